//! The shared and per-actor inboxes.

use super::*;

/// The inboxes (per actor and shared). Body size is limited by the router; everything else
/// is the federation crate's pipeline.
pub fn inbox_router(max_bytes: usize) -> Router<AppState> {
    Router::new()
        .route("/inbox", axum::routing::post(inbox))
        .route("/actor/inbox", axum::routing::post(inbox))
        .route("/users/{username}/inbox", axum::routing::post(inbox))
        .route("/portfolios/{handle}/inbox", axum::routing::post(inbox))
        .route("/communities/{handle}/inbox", axum::routing::post(inbox))
        .layer(axum::extract::DefaultBodyLimit::max(max_bytes))
}

pub(crate) async fn inbox(State(state): State<AppState>, req: axum::extract::Request) -> Response {
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, state.config.federation.inbox_max_bytes).await {
        Ok(b) => b,
        Err(_) => return (StatusCode::PAYLOAD_TOO_LARGE, "activity too large").into_response(),
    };
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let inbound = kogi_federation::inbox::Inbound {
        method: parts.method.as_str(),
        path_and_query,
        headers: &parts.headers,
        body: &bytes,
        remote_addr: Some(crate::ctx::client_ip(&state, &parts)),
    };
    match state.fed.receive(inbound).await {
        Ok(outcome) => {
            tracing::debug!(?outcome, "inbox");
            (StatusCode::ACCEPTED, "").into_response()
        }
        Err(e) => {
            let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
            if status.is_server_error() && status != StatusCode::SERVICE_UNAVAILABLE {
                tracing::error!(error = %e, "inbox failed");
            } else {
                tracing::info!(error = %e, status = status.as_u16(), "inbox refused");
            }
            // The cause stays in the log (with the request's id); the peer gets a stable
            // reason and Kogi's own words, never network or database text.
            let mut resp = (
                status,
                axum::Json(json!({"error": e.reason(), "message": e.public_message()})),
            )
                .into_response();
            if matches!(status.as_u16(), 429 | 503) {
                resp.headers_mut().insert(
                    axum::http::header::RETRY_AFTER,
                    axum::http::HeaderValue::from_static("60"),
                );
            }
            resp
        }
    }
}
