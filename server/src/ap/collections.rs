//! Actors' collections: followers, following, outboxes, a portfolio's items and projects, a
//! community's moderators and featured threads.

use super::*;
use kogi_federation::collections;

#[derive(Deserialize)]
pub struct PageQuery {
    pub(crate) page: Option<i64>,
}

pub(crate) const PAGE_SIZE: i64 = 40;

pub(crate) async fn collection(
    state: &AppState,
    username: &str,
    which: &str,
    page: Option<i64>,
) -> Response {
    collection_of(state, username, "person", which, page).await
}

pub(crate) async fn collection_of(
    state: &AppState,
    username: &str,
    kind: &str,
    which: &str,
    page: Option<i64>,
) -> Response {
    let actor = match accounts::find_local_actor(&state.core, username).await {
        Ok(Some(a)) if a.kind == kind && a.deleted_at.is_none() && visible(state, &a).await => a,
        Ok(Some(a)) if a.deleted_at.is_some() => {
            return activity_json(StatusCode::GONE, &json!({"error": "gone"}))
        }
        Ok(_) => return not_found_json(),
        Err(e) => return crate::error::ApiError::from(e).into_response(),
    };
    let id = format!("{}/{which}", actor.ap_id);
    let (followers, following) = follows::counts(&state.core, actor.id)
        .await
        .unwrap_or((0, 0));
    let total = if which == "followers" {
        followers
    } else {
        following
    };
    let Some(page) = page.filter(|p| *p >= 1) else {
        return activity_json(StatusCode::OK, &collections::ordered_collection(&id, total));
    };
    let offset = (page - 1) * PAGE_SIZE;
    let items = if which == "followers" {
        follows::followers(&state.core, actor.id, follows::ACCEPTED, offset, PAGE_SIZE).await
    } else {
        follows::following(&state.core, actor.id, offset, PAGE_SIZE).await
    };
    let items: Vec<Value> = match items {
        Ok(v) => v.into_iter().map(|a| Value::String(a.ap_id)).collect(),
        Err(e) => return crate::error::ApiError::from(e).into_response(),
    };
    activity_json(
        StatusCode::OK,
        &collections::collection_page(&id, page, PAGE_SIZE, total, items),
    )
}

pub(crate) async fn followers(
    State(state): State<AppState>,
    axum::extract::Path(u): axum::extract::Path<String>,
    Query(q): Query<PageQuery>,
) -> Response {
    collection(&state, &u, "followers", q.page).await
}

pub(crate) async fn following(
    State(state): State<AppState>,
    axum::extract::Path(u): axum::extract::Path<String>,
    Query(q): Query<PageQuery>,
) -> Response {
    collection(&state, &u, "following", q.page).await
}

/// The outbox: public and unlisted posts as `Create` activities, newest first (up to 40).
pub(crate) async fn outbox(
    State(state): State<AppState>,
    axum::extract::Path(u): axum::extract::Path<String>,
) -> Response {
    let actor = match accounts::find_local_actor(&state.core, &u).await {
        Ok(Some(a)) if a.kind == "person" && a.deleted_at.is_none() => a,
        _ => return not_found_json(),
    };
    let posts = match kogi_core::posts::by_author(&state.core, actor.id, PAGE_SIZE).await {
        Ok(p) => p,
        Err(e) => return crate::error::ApiError::from(e).into_response(),
    };
    let mut items = Vec::new();
    for p in &posts {
        match state.fed.post_document(p).await {
            Ok(doc) => items.push(kogi_federation::notes::wrap(
                "Create",
                &format!("{}/activity", p.ap_id),
                &actor.ap_id,
                &doc,
            )),
            Err(e) => return crate::error::ApiError::from(e).into_response(),
        }
    }
    let id = format!("{}/outbox", actor.ap_id);
    activity_json(StatusCode::OK, &collections::inline_collection(&id, items))
}

pub(crate) async fn portfolio_followers(
    State(state): State<AppState>,
    axum::extract::Path(h): axum::extract::Path<String>,
    Query(q): Query<PageQuery>,
) -> Response {
    collection_of(&state, &h, "portfolio", "followers", q.page).await
}

pub(crate) async fn portfolio_following(
    State(state): State<AppState>,
    axum::extract::Path(h): axum::extract::Path<String>,
    Query(q): Query<PageQuery>,
) -> Response {
    collection_of(&state, &h, "portfolio", "following", q.page).await
}

/// A portfolio's outbox: its public items and updates as `Create` activities.
pub(crate) async fn portfolio_outbox(
    State(state): State<AppState>,
    axum::extract::Path(h): axum::extract::Path<String>,
) -> Response {
    let p = match federated_portfolio(&state, &h).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let posts = match kogi_core::posts::by_author(&state.core, p.actor.id, PAGE_SIZE).await {
        Ok(p) => p,
        Err(e) => return crate::error::ApiError::from(e).into_response(),
    };
    let mut items = Vec::new();
    for post in &posts {
        match state.fed.post_document(post).await {
            Ok(doc) => items.push(kogi_federation::notes::wrap(
                "Create",
                &format!("{}/activity", post.ap_id),
                &p.actor.ap_id,
                &doc,
            )),
            Err(e) => return crate::error::ApiError::from(e).into_response(),
        }
    }
    let id = format!("{}/outbox", p.actor.ap_id);
    activity_json(StatusCode::OK, &collections::inline_collection(&id, items))
}

/// `kogi:items`: every item followers may see, as `Article`s, in the portfolio's order.
pub(crate) async fn portfolio_items(
    State(state): State<AppState>,
    axum::extract::Path(h): axum::extract::Path<String>,
) -> Response {
    use kogi_core::portfolios::{audience, queries, Audience};
    let p = match federated_portfolio(&state, &h).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let items = match queries::items(&state.core, p.id()).await {
        Ok(i) => i,
        Err(e) => return crate::error::ApiError::from(e).into_response(),
    };
    let mut docs = Vec::new();
    for item in items.iter().filter(|i| {
        matches!(
            audience(&p, i.visibility(), i.state()),
            Audience::Followers { .. }
        )
    }) {
        let post = match item.post_id {
            Some(pid) => kogi_core::posts::find(&state.core, pid)
                .await
                .ok()
                .flatten(),
            None => None,
        };
        docs.push(kogi_federation::portfolios::item_json(
            &p,
            item,
            post.as_ref(),
            &[],
            &state.config.public_url,
        ));
    }
    let id = p.row.items_url.clone().unwrap_or_default();
    activity_json(StatusCode::OK, &collections::inline_collection(&id, docs))
}

/// `kogi:projects`: every project followers may see.
pub(crate) async fn portfolio_projects(
    State(state): State<AppState>,
    axum::extract::Path(h): axum::extract::Path<String>,
) -> Response {
    use kogi_core::portfolios::{audience, queries, Audience, State as S};
    let p = match federated_portfolio(&state, &h).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let projects = match queries::projects(&state.core, p.id()).await {
        Ok(x) => x,
        Err(e) => return crate::error::ApiError::from(e).into_response(),
    };
    let docs: Vec<Value> = projects
        .iter()
        .filter(|x| {
            matches!(
                audience(&p, x.visibility(), S::Published),
                Audience::Followers { .. }
            )
        })
        .map(|x| kogi_federation::portfolios::project_json(&p, x))
        .collect();
    let id = p.row.projects_url.clone().unwrap_or_default();
    activity_json(StatusCode::OK, &collections::inline_collection(&id, docs))
}

pub(crate) async fn community_followers(
    State(state): State<AppState>,
    axum::extract::Path(h): axum::extract::Path<String>,
    Query(q): Query<PageQuery>,
    headers: HeaderMap,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
) -> Response {
    match live_community(&state, &h).await {
        // Members of private communities are not listed to the world, only to the servers
        // of other members (who check fetches of members-only posts with it); the count is.
        Ok(c) if !c.is_public() => {
            if let Some(signer) = signed_by(&state, &headers, &uri).await {
                if state
                    .fed
                    .host_has_member(&c, &signer.host)
                    .await
                    .unwrap_or(false)
                {
                    return collection_of(&state, &h, "community", "followers", q.page.or(Some(1)))
                        .await;
                }
            }
            let (n, _) = follows::counts(&state.core, c.actor.id)
                .await
                .unwrap_or((0, 0));
            activity_json(
                StatusCode::OK,
                &collections::ordered_collection(&format!("{}/followers", c.actor.ap_id), n),
            )
        }
        Ok(_) => collection_of(&state, &h, "community", "followers", q.page).await,
        Err(r) => r,
    }
}

/// The moderators collection (the group's `attributedTo`).
pub(crate) async fn community_moderators(
    State(state): State<AppState>,
    axum::extract::Path(h): axum::extract::Path<String>,
) -> Response {
    let c = match live_community(&state, &h).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    match kogi_core::communities::store::moderators(&state.core, &c).await {
        Ok(m) => activity_json(
            StatusCode::OK,
            &collections::inline_collection(
                &format!("{}/moderators", c.actor.ap_id),
                m.into_iter().map(|a| Value::String(a.ap_id)).collect(),
            ),
        ),
        Err(e) => crate::error::ApiError::from(e).into_response(),
    }
}

/// The outbox: announced threads of a public community (empty for private ones).
pub(crate) async fn community_outbox(
    State(state): State<AppState>,
    axum::extract::Path(h): axum::extract::Path<String>,
) -> Response {
    let c = match live_community(&state, &h).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let mut items = Vec::new();
    if c.is_public() {
        if let Ok(threads) = kogi_core::communities::store::threads(&state.core, c.id()).await {
            for (_, post, _) in threads.into_iter().take(PAGE_SIZE as usize) {
                items.push(json!({"type": "Announce", "actor": c.actor.ap_id, "object": post.ap_id, "to": [vocab::PUBLIC]}));
            }
        }
    }
    activity_json(
        StatusCode::OK,
        &collections::inline_collection(&format!("{}/outbox", c.actor.ap_id), items),
    )
}

/// Pinned threads.
pub(crate) async fn community_featured(
    State(state): State<AppState>,
    axum::extract::Path(h): axum::extract::Path<String>,
) -> Response {
    let c = match live_community(&state, &h).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let mut items = Vec::new();
    if c.is_public() {
        if let Ok(threads) = kogi_core::communities::store::threads(&state.core, c.id()).await {
            items = threads
                .into_iter()
                .filter(|(l, _, _)| l.pinned)
                .map(|(_, p, _)| Value::String(p.ap_id))
                .collect();
        }
    }
    activity_json(
        StatusCode::OK,
        &collections::inline_collection(&format!("{}/featured", c.actor.ap_id), items),
    )
}
