//! Communities: creating, finding (here or on another server), joining and leaving,
//! members and moderators, threads and comments, moderation.

mod chat;
mod community;
mod invites;
mod membership;
mod polls;
mod reports;
mod threads;
pub use chat::*;
pub use community::*;
pub use invites::*;
pub use membership::*;
pub use polls::*;
pub use reports::*;
pub use threads::*;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use kogi_core::accounts::{self, Actor};
use kogi_core::communities::store::{self, CommunityInput};
use kogi_core::communities::{Community, Role};
use kogi_core::posts::{self, Post};
use kogi_federation::follows::FollowState;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::follows::ActorSummary;
use crate::api::portfolios::Problems;
use crate::api::{ApiJson, ApiPath};
use crate::app::AppState;
use crate::ctx::{ApiUser, MaybeApiUser};
use crate::error::ApiError;

#[derive(Serialize, ToSchema)]
pub struct CommunityView {
    pub id: i64,
    pub uri: String,
    /// `name@host`.
    pub handle: String,
    pub local: bool,
    pub name: String,
    pub description: String,
    pub kind: String,
    pub visibility: String,
    pub rules: String,
    pub tags: Vec<String>,
    /// Linked portfolios (their actor URLs).
    pub portfolios: Vec<String>,
    pub avatar_url: Option<String>,
    pub banner_url: Option<String>,
    pub members: i64,
    /// Owners and moderators (as known here, for communities on other servers).
    pub moderators: Vec<ActorSummary>,
    /// `owner`, `moderator`, `member`, `pending` or none.
    pub my_role: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ThreadView {
    /// The post's number on this server.
    pub id: i64,
    pub uri: String,
    pub title: String,
    /// Sanitised HTML.
    pub content: String,
    pub author: ActorSummary,
    pub like_count: i32,
    pub reply_count: i32,
    pub pinned: bool,
    pub locked: bool,
    /// Choices and their counts (as the poll's origin counts them), for polls.
    pub poll: Option<Vec<PollChoice>>,
    pub created_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct PollChoice {
    pub name: String,
    pub votes: i64,
}

#[derive(Serialize, ToSchema)]
pub struct CommentView {
    pub id: i64,
    pub uri: String,
    pub content: String,
    pub author: ActorSummary,
    pub in_reply_to: Option<String>,
    pub like_count: i32,
    pub created_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct ThreadPage {
    pub thread: ThreadView,
    pub comments: Vec<CommentView>,
}

fn iso(t: chrono::NaiveDateTime) -> String {
    t.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

async fn my_role(
    state: &AppState,
    c: &Community,
    me: Option<&Actor>,
) -> Result<Option<String>, ApiError> {
    let Some(me) = me else { return Ok(None) };
    if let Some(r) = store::role_of(&state.core, c, me.id).await? {
        return Ok(Some(r.as_str().to_string()));
    }
    Ok(kogi_core::follows::find(&state.core, me.id, c.actor.id)
        .await?
        .map(|_| "pending".to_string()))
}

async fn view(
    state: &AppState,
    c: &Community,
    me: Option<&Actor>,
) -> Result<CommunityView, ApiError> {
    let (members, _) = kogi_core::follows::counts(&state.core, c.actor.id).await?;
    Ok(CommunityView {
        id: c.id(),
        uri: c.actor.ap_id.clone(),
        handle: format!("{}@{}", c.actor.handle, c.actor.host),
        local: c.row.local,
        name: c.actor.name().to_string(),
        description: c.actor.summary.clone(),
        kind: c.row.kind.clone(),
        visibility: c.row.visibility.clone(),
        rules: c.row.rules.clone(),
        tags: c.tags(),
        portfolios: c.portfolios(),
        avatar_url: c
            .actor
            .avatar_path
            .as_ref()
            .map(|p| format!("{}/media/{p}", state.config.public_url))
            .or_else(|| c.actor.avatar_url.clone()),
        banner_url: c
            .row
            .banner_path
            .as_ref()
            .map(|p| format!("{}/media/{p}", state.config.public_url))
            .or_else(|| c.row.banner_url.clone()),
        members,
        moderators: store::moderators(&state.core, c)
            .await?
            .iter()
            .map(ActorSummary::of)
            .collect(),
        my_role: my_role(state, c, me).await?,
    })
}

/// A community here (handle) or elsewhere (`name@host`, `!name@host` or a URL).
async fn resolve(state: &AppState, reference: &str) -> Result<Community, ApiError> {
    state
        .fed
        .find_community(reference, true)
        .await
        .map_err(|e| ApiError::remote(&e))?
        .ok_or_else(|| ApiError::not_found().detail("no such community"))
}

/// Members read private communities; everyone reads public ones.
async fn may_read(state: &AppState, c: &Community, me: Option<&Actor>) -> Result<(), ApiError> {
    if c.is_public() {
        return Ok(());
    }
    match me {
        Some(m) if store::role_of(&state.core, c, m.id).await?.is_some() => Ok(()),
        // Not revealing what a private community holds.
        _ => Err(ApiError::new(StatusCode::FORBIDDEN, "members_only")),
    }
}

async fn moderated(state: &AppState, handle: &str, me: &Actor) -> Result<Community, ApiError> {
    let c = store::find_by_handle(&state.core, handle)
        .await?
        .filter(|c| !c.is_deleted())
        .ok_or_else(ApiError::not_found)?;
    if !store::role_of(&state.core, &c, me.id)
        .await?
        .is_some_and(Role::moderates)
    {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "not_moderator"));
    }
    Ok(c)
}

/// A person named by actor id (as requests and members are listed), `user@host` or a local
/// username. Someone already known here is taken as stored (so that a server without
/// WebFinger can be answered); only someone unknown is looked up over the network.
async fn person_or_remote(state: &AppState, who: &str) -> Result<Actor, ApiError> {
    if who.contains('@') || who.contains('/') {
        if let Some(a) = state.fed.stored_actor(who).await? {
            return Ok(a);
        }
        return state
            .fed
            .resolve(who)
            .await
            .map_err(|_| ApiError::not_found().detail("no such person"));
    }
    accounts::find_local_actor(&state.core, who)
        .await?
        .filter(|a| a.kind == "person" && a.deleted_at.is_none())
        .ok_or_else(|| ApiError::not_found().detail("no such person"))
}

/// This area's routes (JSON API, mounted under `/api/kogi/v1`); uploads carry their own body limit.
pub fn routes(state: &crate::app::AppState) -> axum::Router<crate::app::AppState> {
    use axum::routing::{get, post, put};
    use axum::Router;

    let uploads = Router::new()
        .route("/communities/{community}/avatar", put(self::put_avatar))
        .route("/communities/{community}/banner", put(self::put_banner))
        .layer(axum::extract::DefaultBodyLimit::max(
            state.config.limits.upload_body_bytes,
        ));
    Router::new()
        .route("/communities", post(self::create))
        .route(
            "/communities/{community}",
            get(self::get).patch(self::update),
        )
        .route(
            "/communities/{community}/members/{person}",
            axum::routing::delete(self::remove_member),
        )
        .route(
            "/communities/{community}/join",
            post(self::join).delete(self::leave),
        )
        .route("/communities/{community}/members", get(self::members))
        .route("/communities/{handle}/requests", get(self::requests))
        .route("/communities/{handle}/requests/answer", post(self::answer))
        .route("/communities/{handle}/roles/{person}", put(self::set_role))
        .route("/communities/{handle}/bans", post(self::ban))
        .route(
            "/communities/{community}/threads",
            get(self::threads).post(self::post_thread),
        )
        .route("/communities/{community}/threads/{id}", get(self::thread))
        .route(
            "/communities/{community}/threads/{id}/comments",
            post(self::comment),
        )
        .route("/communities/{handle}/threads/{id}/lock", put(self::lock))
        .route("/communities/{handle}/threads/{id}/pin", put(self::pin))
        .route(
            "/communities/{community}/threads/{id}/vote",
            post(self::vote),
        )
        .route(
            "/communities/{community}/reports",
            post(self::report).get(self::reports),
        )
        .route("/communities/{handle}/invites", post(self::invite))
        .route(
            "/communities/{community}/chat",
            get(self::chat).post(self::chat_post),
        )
        .route(
            "/communities/{handle}/posts/{id}",
            axum::routing::delete(self::remove),
        )
        .merge(uploads)
}
