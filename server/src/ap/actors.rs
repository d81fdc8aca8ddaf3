//! Actor documents: the instance actor, people, portfolios and communities.

use super::*;
use kogi_federation::collections;

/// The instance actor is served unsigned to anyone: it is what signs our fetches, so
/// requiring a signature to read it would loop.
pub(crate) async fn instance_actor(State(state): State<AppState>) -> Response {
    match kogi_core::actors::instance_actor(&state.core).await {
        Ok(a) => activity_json(
            StatusCode::OK,
            &ap_actors::local_actor_json(&a, &state.config.public_url, 0, 0),
        ),
        Err(e) => crate::error::ApiError::from(e).into_response(),
    }
}

/// A local person's actor document (called by the profile route for ActivityPub requests).
pub async fn person_document(state: &AppState, username: &str) -> Response {
    match accounts::find_local_actor(&state.core, username).await {
        Ok(Some(a)) if a.kind == "person" => {
            if let Some(deleted) = a.deleted_at {
                return activity_json(
                    StatusCode::GONE,
                    &collections::tombstone(&a.ap_id, "Person", deleted),
                );
            }
            if !visible(state, &a).await {
                return not_found_json();
            }
            let (followers, following) = follows::counts(&state.core, a.id).await.unwrap_or((0, 0));
            activity_json(
                StatusCode::OK,
                &ap_actors::local_actor_json(&a, &state.config.public_url, followers, following),
            )
        }
        Ok(_) => not_found_json(),
        Err(e) => crate::error::ApiError::from(e).into_response(),
    }
}

/// A local portfolio that the fediverse may see (published, public or unlisted), or the
/// answer to give instead: 410 when deleted, 404 otherwise.
pub(crate) async fn federated_portfolio(
    state: &AppState,
    handle: &str,
) -> Result<kogi_core::portfolios::Portfolio, Response> {
    match kogi_core::portfolios::queries::find_by_handle(&state.core, handle).await {
        Ok(Some(p)) if p.is_deleted() => Err(activity_json(
            StatusCode::GONE,
            &collections::tombstone(
                &p.actor.ap_id,
                "Organization",
                p.row
                    .deleted_at
                    .or(p.actor.deleted_at)
                    .unwrap_or_else(kogi_core::now),
            ),
        )),
        Ok(Some(p)) if p.is_federated() => Ok(p),
        Ok(_) => Err(not_found_json()),
        Err(e) => Err(crate::error::ApiError::from(e).into_response()),
    }
}

/// A local portfolio's actor document (the portfolio page, asked for as ActivityPub).
pub async fn portfolio_document(state: &AppState, handle: &str) -> Response {
    let p = match federated_portfolio(state, handle).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    match kogi_core::portfolios::queries::owners(&state.core, p.id()).await {
        Ok(owners) => activity_json(
            StatusCode::OK,
            &kogi_federation::portfolios::portfolio_json(&p, &owners, &state.config.public_url),
        ),
        Err(e) => crate::error::ApiError::from(e).into_response(),
    }
}

/// A local community the fediverse may see, or the answer to give instead (410 deleted).
pub(crate) async fn live_community(
    state: &AppState,
    handle: &str,
) -> Result<kogi_core::communities::Community, Response> {
    match kogi_core::communities::store::find_by_handle(&state.core, handle).await {
        Ok(Some(c)) if c.is_deleted() => Err(activity_json(
            StatusCode::GONE,
            &collections::tombstone(
                &c.actor.ap_id,
                "Group",
                c.row
                    .deleted_at
                    .or(c.actor.deleted_at)
                    .unwrap_or_else(kogi_core::now),
            ),
        )),
        Ok(Some(c)) => Ok(c),
        Ok(None) => Err(not_found_json()),
        Err(e) => Err(crate::error::ApiError::from(e).into_response()),
    }
}

/// A local community's `Group` document.
pub async fn community_document(state: &AppState, handle: &str) -> Response {
    match live_community(state, handle).await {
        Ok(c) => activity_json(
            StatusCode::OK,
            &kogi_federation::communities::group_json(&c, &state.config.public_url),
        ),
        Err(r) => r,
    }
}
