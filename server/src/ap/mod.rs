//! ActivityPub and discovery routes: WebFinger, host-meta, NodeInfo, actor documents and
//! their collections. Documents are built in kogi-federation; this module only serves them.

mod actors;
mod collections;
mod discovery;
mod inbox;
mod objects;
pub use actors::*;
pub use collections::*;
pub use discovery::*;
pub use inbox::*;
pub use objects::*;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use kogi_core::accounts::{self, Actor};
use kogi_core::follows;
use kogi_federation::{actors as ap_actors, nodeinfo, vocab, webfinger};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::app::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/.well-known/webfinger", get(webfinger_route))
        .route("/.well-known/host-meta", get(host_meta))
        .route("/.well-known/nodeinfo", get(nodeinfo_links))
        .route("/nodeinfo/2.1", get(nodeinfo_21))
        .route("/nodeinfo/2.0", get(nodeinfo_20))
        .route("/actor", get(instance_actor))
        .route("/users/{username}/followers", get(followers))
        .route("/users/{username}/following", get(following))
        .route("/users/{username}/outbox", get(outbox))
        .route("/communities/{handle}/followers", get(community_followers))
        .route(
            "/communities/{handle}/moderators",
            get(community_moderators),
        )
        .route("/communities/{handle}/outbox", get(community_outbox))
        .route("/communities/{handle}/featured", get(community_featured))
        .route("/chat/{token}", get(chat_message))
        .route("/portfolios/{handle}/followers", get(portfolio_followers))
        .route("/portfolios/{handle}/following", get(portfolio_following))
        .route("/portfolios/{handle}/outbox", get(portfolio_outbox))
        .route("/portfolios/{handle}/items", get(portfolio_items))
        .route("/portfolios/{handle}/projects", get(portfolio_projects))
}

/// An ActivityPub JSON response (`Vary: Accept`, since the same URLs serve HTML).
pub fn activity_json(status: StatusCode, doc: &Value) -> Response {
    let mut resp = (status, serde_json::to_vec(doc).unwrap_or_default()).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(vocab::ACTIVITY_JSON),
    );
    h.insert(header::VARY, HeaderValue::from_static("Accept"));
    resp
}

pub fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .map(vocab::wants_activity_json)
        .unwrap_or(false)
}

fn not_found_json() -> Response {
    activity_json(StatusCode::NOT_FOUND, &json!({"error": "not found"}))
}

/// People appear to the fediverse once they can log in (confirmed and approved); portfolios
/// once published, and only when public or unlisted.
async fn visible(state: &AppState, a: &Actor) -> bool {
    if a.kind == "portfolio" {
        return matches!(
            kogi_core::portfolios::queries::find_by_actor(&state.core, a.id).await,
            Ok(Some(p)) if p.is_federated()
        );
    }
    if a.kind != "person" {
        return true;
    }
    match accounts::find_person(&state.core.db, &a.handle).await {
        Ok(Some(p)) => p.account.email_confirmed_at.is_some() && p.account.approved,
        _ => false,
    }
}

/// The server that signed a GET, if it did and the signature holds.
pub async fn signed_by(
    state: &AppState,
    headers: &HeaderMap,
    uri: &axum::http::Uri,
) -> Option<Actor> {
    let path = uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| uri.path().to_string());
    state
        .fed
        .verify_signed(&kogi_federation::inbox::SignedRequest {
            method: "GET",
            path_and_query: &path,
            headers,
            body: None,
            remote_addr: None,
        })
        .await
        .ok()
}
