//! A crowd of remote actors for the benchmarks: one small axum server per host (`127.0.0.1`
//! on its own port — Kogi names an instance by host and port, so each port is a distinct
//! server to it), serving any number of `Person`s `/users/{name}` with keys, and recording
//! every POST it receives (path, activity type, whether it was signed, when).
//!
//! All actors of one host share that host's key pair (each under its own key id,
//! `{actor}#main-key`): generating 1,000 RSA keys would take longer than the benchmark, and
//! Kogi keys its caches by key id and owner, not by key material.
//! The actors have no shared inbox, so a delivery to each of them is a delivery to a
//! distinct inbox (`/users/{name}/inbox`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

const AP: &str = "application/activity+json";

/// A POST the host received.
#[derive(Clone, Debug)]
pub struct Post {
    pub path: String,
    pub kind: String,
    pub signed: bool,
    pub at: Instant,
}

#[derive(Clone)]
pub struct BenchHost {
    pub base: String,
    key: Arc<kogi_core::keys::KeyPair>,
    posts: Arc<Mutex<Vec<Post>>>,
}

impl BenchHost {
    pub async fn start() -> BenchHost {
        let key = Arc::new(kogi_core::keys::generate().await.unwrap());
        let posts: Arc<Mutex<Vec<Post>>> = Arc::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let base = format!("http://127.0.0.1:{port}");
        let (k2, p2, b2) = (key.clone(), posts.clone(), base.clone());
        let app = axum::Router::new().fallback(move |req: Request| {
            let (key, posts, base) = (k2.clone(), p2.clone(), b2.clone());
            async move { answer(&base, &key, &posts, req).await }
        });
        tokio::spawn(async move {
            axum::serve(listener, app).await.ok();
        });
        BenchHost { base, key, posts }
    }

    /// The id of actor `name` on this host.
    pub fn actor(&self, name: &str) -> String {
        format!("{}/users/{name}", self.base)
    }

    pub fn posts(&self) -> Vec<Post> {
        self.posts.lock().unwrap().clone()
    }

    /// Signs `activity` as `name` for a POST to `inbox`: the body and the headers to send.
    pub fn sign(
        &self,
        name: &str,
        inbox: &str,
        activity: &Value,
    ) -> (Vec<u8>, Vec<(String, String)>) {
        let body = serde_json::to_vec(activity).unwrap();
        let url = url::Url::parse(inbox).unwrap();
        let headers = kogi_federation::signatures::sign(
            &kogi_federation::signatures::OutgoingRequest {
                method: "POST",
                url: &url,
                body: Some(&body),
                content_type: Some(AP),
            },
            &format!("{}#main-key", self.actor(name)),
            &self.key.private_pem,
            SystemTime::now(),
        )
        .unwrap();
        (body, headers)
    }
}

async fn answer(
    base: &str,
    key: &kogi_core::keys::KeyPair,
    posts: &Mutex<Vec<Post>>,
    req: Request,
) -> Response {
    let path = req.uri().path().to_string();
    if req.method() == axum::http::Method::POST {
        let signed = req.headers().contains_key("signature");
        let bytes = axum::body::to_bytes(req.into_body(), 8 << 20)
            .await
            .unwrap_or_default();
        let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        posts.lock().unwrap().push(Post {
            path,
            kind: body["type"].as_str().unwrap_or("?").to_string(),
            signed,
            at: Instant::now(),
        });
        return axum::http::StatusCode::ACCEPTED.into_response();
    }
    let Some(name) = path.strip_prefix("/users/").filter(|n| !n.contains('/')) else {
        return axum::http::StatusCode::NOT_FOUND.into_response();
    };
    let id = format!("{base}/users/{name}");
    let doc = json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": id,
        "type": "Person",
        "preferredUsername": name,
        "name": name,
        "inbox": format!("{id}/inbox"),
        "outbox": format!("{id}/outbox"),
        "followers": format!("{id}/followers"),
        "following": format!("{id}/following"),
        "publicKey": {"id": format!("{id}#main-key"), "owner": id, "publicKeyPem": key.public_pem},
    });
    ([("content-type", AP)], serde_json::to_vec(&doc).unwrap()).into_response()
}

/// A signed POST to send: the source address's last byte (`127.0.0.{n}`), body, headers.
pub type SignedPost = (u8, Vec<u8>, Vec<(String, String)>);

/// Sends signed POSTs to an inbox, `concurrency` at once, each from the source address its
/// sender would use (`127.0.0.{n}`, so Kogi's per-address limits see distinct servers);
/// a `429` or `503` (the inbox's key-fetch limits) is retried after a pause, as a real sender
/// would. Returns how many were answered `202` and how many retries it took.
pub async fn send_all(inbox: &str, items: Vec<SignedPost>, concurrency: usize) -> (usize, usize) {
    let mut clients: HashMap<u8, reqwest::Client> = HashMap::new();
    for (addr, _, _) in &items {
        clients.entry(*addr).or_insert_with(|| {
            reqwest::Client::builder()
                .local_address(std::net::IpAddr::from([127, 0, 0, *addr]))
                .build()
                .unwrap()
        });
    }
    let send = |addr: u8, body: Vec<u8>, headers: Vec<(String, String)>| {
        let client = clients[&addr].clone();
        let inbox = inbox.to_string();
        async move {
            let mut retries = 0;
            loop {
                let mut r = client
                    .post(&inbox)
                    .header("content-type", AP)
                    .body(body.clone());
                for (k, v) in &headers {
                    if !k.eq_ignore_ascii_case("host") {
                        r = r.header(k, v);
                    }
                }
                let status = r.send().await.map(|r| r.status().as_u16()).unwrap_or(0);
                if (status == 429 || status == 503) && retries < 200 {
                    retries += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
                return (status, retries);
            }
        }
    };
    let mut set = tokio::task::JoinSet::new();
    let mut iter = items.into_iter();
    let (mut ok, mut retries) = (0, 0);
    for _ in 0..concurrency {
        if let Some((addr, body, headers)) = iter.next() {
            set.spawn(send(addr, body, headers));
        }
    }
    while let Some(r) = set.join_next().await {
        let (status, n) = r.unwrap();
        ok += usize::from(status == 202);
        retries += n;
        if let Some((addr, body, headers)) = iter.next() {
            set.spawn(send(addr, body, headers));
        }
    }
    (ok, retries)
}

/// GET/s of `url` with `connections` concurrent connections for `secs` seconds: with `wrk`
/// when it is installed (`scripts/bench` installs it), else with as many concurrent tasks
/// in this process (which then shares the CPU with the server). The figure and the tool.
pub async fn get_rate(
    url: &str,
    accept: &str,
    connections: usize,
    secs: u64,
) -> (f64, &'static str) {
    if let Some(rate) = tokio::task::block_in_place(|| wrk(url, accept, connections, secs)) {
        return (rate, "wrk");
    }
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(connections)
        .build()
        .unwrap();
    let until = Instant::now() + std::time::Duration::from_secs(secs);
    let started = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..connections {
        let (client, url, accept) = (client.clone(), url.to_string(), accept.to_string());
        set.spawn(async move {
            let mut n = 0u64;
            while Instant::now() < until {
                let r = client
                    .get(&url)
                    .header("accept", &accept)
                    .send()
                    .await
                    .unwrap();
                assert!(r.status().is_success(), "GET {url}: {}", r.status());
                r.bytes().await.unwrap();
                n += 1;
            }
            n
        });
    }
    let mut total = 0;
    while let Some(n) = set.join_next().await {
        total += n.unwrap();
    }
    (
        total as f64 / started.elapsed().as_secs_f64(),
        "in-process loop",
    )
}

fn wrk(url: &str, accept: &str, connections: usize, secs: u64) -> Option<f64> {
    let out = std::process::Command::new("wrk")
        .args([
            "-t",
            "2",
            "-c",
            &connections.to_string(),
            "-d",
            &format!("{secs}s"),
        ])
        .args(["-H", &format!("Accept: {accept}"), url])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains("Non-2xx"),
        "wrk saw errors for {url}:\n{text}"
    );
    text.lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
}

/// `VmRSS:` or `VmHWM:` of a process, in KiB.
pub fn rss_kib(pid: i32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix(field)
                .map(|v| v.trim().trim_end_matches(" kB").trim().parse().unwrap_or(0))
        })
        .unwrap_or(0)
}

/// The benchmarks' size: `KOGI_BENCH_SCALE` (default 1) times `full`, at least 1.
pub fn scaled(full: usize) -> usize {
    let scale: f64 = std::env::var("KOGI_BENCH_SCALE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1.0);
    ((full as f64 * scale).round() as usize).max(1)
}
