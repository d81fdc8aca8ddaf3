//! Object documents: portfolio items and projects, chat messages and posts.

use super::*;
use kogi_federation::collections;

/// A local item's `Article` (the item page, asked for as ActivityPub). Only items that
/// followers may see are served; drafts, private and members-only items are refused, and a
/// deleted item answers 410.
pub async fn item_document(state: &AppState, handle: &str, id: i64) -> Response {
    use kogi_core::portfolios::{audience, queries, Audience};
    let p = match federated_portfolio(state, handle).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let item = match queries::item(&state.core, id).await {
        Ok(Some(i)) if i.portfolio_id == p.id() => i,
        Ok(_) => return not_found_json(),
        Err(e) => return crate::error::ApiError::from(e).into_response(),
    };
    if let Some(d) = item.deleted_at {
        return activity_json(
            StatusCode::GONE,
            &collections::tombstone(&item.ap_id, "Article", d),
        );
    }
    if !matches!(
        audience(&p, item.visibility(), item.state()),
        Audience::Followers { .. }
    ) {
        return not_found_json();
    }
    let post = match item.post_id {
        Some(pid) => kogi_core::posts::find(&state.core, pid)
            .await
            .ok()
            .flatten(),
        None => None,
    };
    activity_json(
        StatusCode::OK,
        &kogi_federation::portfolios::item_json(
            &p,
            &item,
            post.as_ref(),
            &[],
            &state.config.public_url,
        ),
    )
}

/// A local project's document, under the same rules as items.
pub async fn project_document(state: &AppState, handle: &str, id: i64) -> Response {
    use kogi_core::portfolios::{audience, queries, Audience, State};
    let p = match federated_portfolio(state, handle).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let project = match queries::project(&state.core, id).await {
        Ok(Some(x)) if x.portfolio_id == p.id() => x,
        Ok(_) => return not_found_json(),
        Err(e) => return crate::error::ApiError::from(e).into_response(),
    };
    if let Some(d) = project.deleted_at {
        return activity_json(
            StatusCode::GONE,
            &collections::tombstone(&project.ap_id, "Article", d),
        );
    }
    if !matches!(
        audience(&p, project.visibility(), State::Published),
        Audience::Followers { .. }
    ) {
        return not_found_json();
    }
    activity_json(
        StatusCode::OK,
        &kogi_federation::portfolios::project_json(&p, &project),
    )
}

/// A chat message written here, as the `Note` its community forwarded. The unguessable id
/// is the capability: only the community's members' servers were sent it, and they fetch it
/// here to check that the message is what its author wrote.
pub(crate) async fn chat_message(
    State(state): State<AppState>,
    axum::extract::Path(token): axum::extract::Path<String>,
) -> Response {
    let id = format!("{}/chat/{token}", state.config.public_url);
    let found = match kogi_core::communities::chat::find_by_ap_id(&state.core, &id).await {
        Ok(f) => f,
        Err(e) => return crate::error::ApiError::from(e).into_response(),
    };
    let Some((msg, author)) = found.filter(|(_, a)| a.local && a.deleted_at.is_none()) else {
        return not_found_json();
    };
    match kogi_core::communities::store::find(&state.core, msg.community_id).await {
        Ok(Some(c)) if !c.is_deleted() => activity_json(
            StatusCode::OK,
            &kogi_federation::delivery::Federation::chat_note(&msg, &author, &c),
        ),
        Ok(_) => not_found_json(),
        Err(e) => crate::error::ApiError::from(e).into_response(),
    }
}

/// A post of a private community, fetched with a signature by a server that has one of its
/// members (or is the group's): the only way members elsewhere can check it at its origin.
pub(crate) async fn members_may_fetch(
    state: &AppState,
    p: &kogi_core::posts::Post,
    headers: &HeaderMap,
    uri: &axum::http::Uri,
) -> bool {
    let Ok(Some(c)) = state.fed.community_of(p).await else {
        return false;
    };
    if c.is_public() || p.visibility() == kogi_core::posts::Visibility::Direct {
        return false;
    }
    let Some(signer) = signed_by(state, headers, uri).await else {
        return false;
    };
    state
        .fed
        .host_has_member(&c, &signer.host)
        .await
        .unwrap_or(false)
}

/// A local post's ActivityPub document. Followers-only and direct posts are pushed to their
/// audience, never served here; deleted ones answer 410.
pub async fn post_document(
    state: &AppState,
    token: &str,
    headers: &HeaderMap,
    uri: &axum::http::Uri,
) -> Response {
    let ap_id = format!("{}/posts/{token}", state.config.public_url);
    match kogi_core::posts::find_by_ap_id(&state.core, &ap_id).await {
        Ok(Some(p)) if p.local => {
            if let Some(d) = p.deleted_at {
                return activity_json(
                    StatusCode::GONE,
                    &collections::tombstone(&p.ap_id, "Note", d),
                );
            }
            if !matches!(
                p.visibility(),
                kogi_core::posts::Visibility::Public | kogi_core::posts::Visibility::Unlisted
            ) && !members_may_fetch(state, &p, headers, uri).await
            {
                return not_found_json();
            }
            match state.fed.post_document(&p).await {
                Ok(doc) => activity_json(StatusCode::OK, &doc),
                Err(e) => crate::error::ApiError::from(e).into_response(),
            }
        }
        Ok(_) => not_found_json(),
        Err(e) => crate::error::ApiError::from(e).into_response(),
    }
}
