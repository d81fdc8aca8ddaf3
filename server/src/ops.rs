//! Operations endpoints: liveness, readiness and Prometheus metrics.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::app::AppState;
use crate::ctx::ClientInfo;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

async fn healthz() -> &'static str {
    "ok"
}

/// Ready when the database answers.
async fn readyz(State(state): State<AppState>) -> Response {
    match kogi_core::db::ping(&state.core.db).await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
        }
    }
}

/// Loopback clients may read metrics; others need the `metrics.token` bearer token.
async fn metrics(
    State(state): State<AppState>,
    client: ClientInfo,
    headers: HeaderMap,
) -> Response {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let token_ok = match (&state.config.metrics_token, bearer) {
        (Some(expected), Some(given)) => kogi_core::tokens::constant_time_eq(expected, given),
        _ => false,
    };
    if !client.ip.is_loopback() && !token_ok {
        return (
            StatusCode::FORBIDDEN,
            "metrics are served to loopback clients or with the metrics token",
        )
            .into_response();
    }
    let queue = kogi_core::deliveries::counts(&state.core)
        .await
        .unwrap_or_default();
    let unpublished = kogi_core::outbox::unpublished_count(&state.core.db)
        .await
        .ok();
    let mut body = state.metrics.render(state.core.db.usage(), &queue);
    body.push_str(&crate::metrics::render_outbox(unpublished));
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}
