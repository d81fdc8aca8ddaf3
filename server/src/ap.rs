//! ActivityPub and discovery routes: WebFinger, host-meta, NodeInfo, actor documents and
//! their collections. Documents are built in kogi-federation; this module only serves them.

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use kogi_core::accounts::{self, Actor};
use kogi_core::follows;
use kogi_federation::{actors as ap_actors, collections, nodeinfo, vocab, webfinger};
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

#[derive(Deserialize)]
pub struct ResourceQuery {
    resource: Option<String>,
}

fn jrd_response(doc: &Value) -> Response {
    let mut resp = (StatusCode::OK, serde_json::to_vec(doc).unwrap_or_default()).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/jrd+json"),
    );
    resp.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    resp
}

async fn webfinger_route(
    State(state): State<AppState>,
    Query(q): Query<ResourceQuery>,
) -> Response {
    let base = &state.config.public_url;
    let host = state.core.config.host();
    let Some(resource) = q.resource.filter(|r| !r.is_empty()) else {
        return (
            StatusCode::BAD_REQUEST,
            "the resource parameter is required",
        )
            .into_response();
    };
    // The instance actor, asked for by the instance URL (FEP-d556) or as host@host.
    if resource.trim_end_matches('/') == base.as_str() || resource == format!("acct:{host}@{host}")
    {
        return jrd_response(&webfinger::instance_jrd(base, &host));
    }
    let handle = if let Some((user, h)) = webfinger::parse_acct(&resource) {
        if h != host {
            return (StatusCode::NOT_FOUND, "not a local account").into_response();
        }
        user
    } else if let Some(rest) = resource.strip_prefix(&format!("{base}/")) {
        // A URL resource: the actor id or the profile page.
        let rest = rest.trim_start_matches('@');
        rest.strip_prefix("users/")
            .or_else(|| rest.strip_prefix("portfolios/"))
            .or_else(|| rest.strip_prefix("communities/"))
            .unwrap_or(rest)
            .to_string()
    } else {
        return (StatusCode::NOT_FOUND, "unknown resource").into_response();
    };
    match accounts::find_local_actor(&state.core, &handle).await {
        Ok(Some(a)) if a.deleted_at.is_some() => (StatusCode::GONE, "gone").into_response(),
        Ok(Some(a)) if a.kind != "application" && visible(&state, &a).await => {
            let profile = a.profile_url.clone().unwrap_or_else(|| a.ap_id.clone());
            jrd_response(&webfinger::jrd(
                &a.handle,
                &host,
                &a.ap_id,
                &profile,
                a.kind == "community",
            ))
        }
        Ok(_) => (StatusCode::NOT_FOUND, "no such account").into_response(),
        Err(e) => crate::error::ApiError::from(e).into_response(),
    }
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

async fn host_meta(State(state): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/xrd+xml; charset=utf-8")],
        webfinger::host_meta(&state.config.public_url),
    )
        .into_response()
}

async fn nodeinfo_links(State(state): State<AppState>) -> Response {
    let doc = nodeinfo::well_known(&state.config.public_url);
    (
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::to_vec(&doc).unwrap_or_default(),
    )
        .into_response()
}

async fn nodeinfo_doc(state: &AppState, version: &str) -> Response {
    let db = &state.core.db;
    let usage = async {
        Ok::<_, kogi_core::Error>(nodeinfo::Usage {
            users: accounts::count_people(db).await?,
            active_month: accounts::active_people(db, 30).await?,
            active_halfyear: accounts::active_people(db, 180).await?,
            local_posts: 0,
        })
    }
    .await;
    let settings = kogi_core::settings::effective(db, &state.core.settings_defaults).await;
    match (usage, settings) {
        (Ok(u), Ok(s)) => {
            let open = s.registration_mode != kogi_core::settings::RegistrationMode::Closed;
            let doc = nodeinfo::document(version, &s.name, open, &u);
            let ct = format!("application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/{version}#\"");
            (
                [(header::CONTENT_TYPE, ct)],
                serde_json::to_vec(&doc).unwrap_or_default(),
            )
                .into_response()
        }
        (Err(e), _) | (_, Err(e)) => crate::error::ApiError::from(e).into_response(),
    }
}

async fn nodeinfo_21(State(state): State<AppState>) -> Response {
    nodeinfo_doc(&state, "2.1").await
}

async fn nodeinfo_20(State(state): State<AppState>) -> Response {
    nodeinfo_doc(&state, "2.0").await
}

/// The instance actor is served unsigned to anyone: it is what signs our fetches, so
/// requiring a signature to read it would loop.
async fn instance_actor(State(state): State<AppState>) -> Response {
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

#[derive(Deserialize)]
pub struct PageQuery {
    page: Option<i64>,
}

const PAGE_SIZE: i64 = 40;

async fn collection(state: &AppState, username: &str, which: &str, page: Option<i64>) -> Response {
    collection_of(state, username, "person", which, page).await
}

async fn collection_of(
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

async fn followers(
    State(state): State<AppState>,
    axum::extract::Path(u): axum::extract::Path<String>,
    Query(q): Query<PageQuery>,
) -> Response {
    collection(&state, &u, "followers", q.page).await
}

async fn following(
    State(state): State<AppState>,
    axum::extract::Path(u): axum::extract::Path<String>,
    Query(q): Query<PageQuery>,
) -> Response {
    collection(&state, &u, "following", q.page).await
}

/// The outbox: public and unlisted posts as `Create` activities, newest first (up to 40).
async fn outbox(
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

/// A local portfolio that the fediverse may see (published, public or unlisted), or the
/// answer to give instead: 410 when deleted, 404 otherwise.
async fn federated_portfolio(
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

async fn portfolio_followers(
    State(state): State<AppState>,
    axum::extract::Path(h): axum::extract::Path<String>,
    Query(q): Query<PageQuery>,
) -> Response {
    collection_of(&state, &h, "portfolio", "followers", q.page).await
}

async fn portfolio_following(
    State(state): State<AppState>,
    axum::extract::Path(h): axum::extract::Path<String>,
    Query(q): Query<PageQuery>,
) -> Response {
    collection_of(&state, &h, "portfolio", "following", q.page).await
}

/// A portfolio's outbox: its public items and updates as `Create` activities.
async fn portfolio_outbox(
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
async fn portfolio_items(
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
async fn portfolio_projects(
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

/// A local community the fediverse may see, or the answer to give instead (410 deleted).
async fn live_community(
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

/// A chat message written here, as the `Note` its community forwarded. The unguessable id
/// is the capability: only the community's members' servers were sent it, and they fetch it
/// here to check that the message is what its author wrote.
async fn chat_message(
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

async fn community_followers(
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
async fn community_moderators(
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
async fn community_outbox(
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
async fn community_featured(
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

async fn inbox(State(state): State<AppState>, req: axum::extract::Request) -> Response {
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

/// A post of a private community, fetched with a signature by a server that has one of its
/// members (or is the group's): the only way members elsewhere can check it at its origin.
async fn members_may_fetch(
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
