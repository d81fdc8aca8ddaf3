//! Prometheus metrics: requests by route and status, a latency histogram, pool usage.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::app::AppState;

const BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Default)]
struct Histogram {
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
}

/// The outbox gauge: events recorded by use cases and not yet turned into deliveries (absent
/// when the count could not be read).
pub fn render_outbox(unpublished: Option<i64>) -> String {
    let Some(n) = unpublished else {
        return String::new();
    };
    format!(
        "# HELP kogi_outbox_unpublished Outbox events not yet published as deliveries.\n\
         # TYPE kogi_outbox_unpublished gauge\nkogi_outbox_unpublished {n}\n"
    )
}

impl Metrics {
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        if let Ok(mut r) = self.requests.lock() {
            *r.entry((method.to_string(), route.to_string(), status))
                .or_default() += 1;
        }
        if let Ok(mut l) = self.latency.lock() {
            let h = l.entry(route.to_string()).or_insert_with(|| Histogram {
                counts: vec![0; BUCKETS.len()],
                ..Default::default()
            });
            for (i, b) in BUCKETS.iter().enumerate() {
                if seconds <= *b {
                    h.counts[i] += 1;
                }
            }
            h.sum += seconds;
            h.count += 1;
        }
    }

    pub fn render(&self, pool: (u32, u32, u32), queue: &[(String, i64)]) -> String {
        let mut out = String::new();
        out.push_str("# HELP kogi_delivery_queue Deliveries by state (pending = waiting to be sent or retried).\n");
        out.push_str("# TYPE kogi_delivery_queue gauge\n");
        for state in ["pending", "done", "failed", "expired"] {
            let n = queue
                .iter()
                .find(|(s, _)| s == state)
                .map(|(_, n)| *n)
                .unwrap_or(0);
            out.push_str(&format!("kogi_delivery_queue{{state=\"{state}\"}} {n}\n"));
        }
        out.push_str(
            "# HELP kogi_http_requests_total HTTP requests by method, route and status.\n",
        );
        out.push_str("# TYPE kogi_http_requests_total counter\n");
        if let Ok(r) = self.requests.lock() {
            for ((m, route, s), n) in r.iter() {
                out.push_str(&format!(
                    "kogi_http_requests_total{{method=\"{m}\",route=\"{}\",status=\"{s}\"}} {n}\n",
                    escape(route)
                ));
            }
        }
        out.push_str("# HELP kogi_http_request_duration_seconds Time to answer, by route.\n");
        out.push_str("# TYPE kogi_http_request_duration_seconds histogram\n");
        if let Ok(l) = self.latency.lock() {
            for (route, h) in l.iter() {
                let route = escape(route);
                for (i, b) in BUCKETS.iter().enumerate() {
                    out.push_str(&format!(
                        "kogi_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{b}\"}} {}\n",
                        h.counts[i]
                    ));
                }
                out.push_str(&format!("kogi_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}\n", h.count));
                out.push_str(&format!(
                    "kogi_http_request_duration_seconds_sum{{route=\"{route}\"}} {}\n",
                    h.sum
                ));
                out.push_str(&format!(
                    "kogi_http_request_duration_seconds_count{{route=\"{route}\"}} {}\n",
                    h.count
                ));
            }
        }
        let (busy, idle, max) = pool;
        out.push_str("# HELP kogi_db_pool_connections Database pool connections by state.\n");
        out.push_str("# TYPE kogi_db_pool_connections gauge\n");
        out.push_str(&format!(
            "kogi_db_pool_connections{{state=\"busy\"}} {busy}\n"
        ));
        out.push_str(&format!(
            "kogi_db_pool_connections{{state=\"idle\"}} {idle}\n"
        ));
        out.push_str(&format!(
            "kogi_db_pool_connections{{state=\"max\"}} {max}\n"
        ));
        out
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Middleware: counts every request under its route pattern (not the raw path, which would
/// make one series per profile).
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "(unmatched)".to_string());
    let resp = next.run(req).await;
    state.metrics.observe(
        &method,
        &route,
        resp.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    resp
}
