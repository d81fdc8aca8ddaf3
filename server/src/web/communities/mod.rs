//! Community pages: the community with its threads, and a thread with its comments. The
//! community URL answers ActivityPub JSON (the `Group`) when asked for it.

mod chat;
mod community;
mod membership;
mod moderation;
mod polls;
mod threads;
pub use chat::*;
pub use community::*;
pub use membership::*;
pub use moderation::*;
pub use polls::*;
pub use threads::*;

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use kogi_core::communities::store;
use minijinja::context;
use minijinja::Value;

use crate::ctx::WebCtx;
use crate::web::WebError;

async fn readable(ctx: &WebCtx, c: &kogi_core::communities::Community) -> Result<(), WebError> {
    if c.is_deleted() {
        return Err(WebError::Gone);
    }
    if c.is_public() {
        return Ok(());
    }
    let me = ctx.person().map(|p| p.actor.id);
    match me {
        Some(m) if store::role_of(&ctx.state.core, c, m).await?.is_some() => Ok(()),
        _ => Err(WebError::Forbidden),
    }
}

/// A community by its local handle, or one on another server by `name@host` (as known
/// here, or looked up).
async fn lookup(ctx: &WebCtx, handle: &str) -> Result<kogi_core::communities::Community, WebError> {
    // Looked up over the network for signed-in people only.
    ctx.state
        .fed
        .find_community(handle, ctx.person().is_some())
        .await
        .ok()
        .flatten()
        .ok_or(WebError::NotFound)
}

/// The path of a community's page here: its handle, or `name@host` for another server's.
fn page_of(c: &kogi_core::communities::Community) -> String {
    if c.row.local {
        format!("/communities/{}", c.actor.handle)
    } else {
        format!(
            "/communities/{}",
            crate::ctx::urlencode(&format!("{}@{}", c.actor.handle, c.actor.host))
        )
    }
}

fn media_url(ctx: &WebCtx, path: &Option<String>, remote: &Option<String>) -> Option<String> {
    path.as_ref()
        .map(|p| format!("{}/media/{p}", ctx.state.config.public_url))
        .or_else(|| remote.clone())
}

/// A thread of this community, not deleted.
async fn thread_of(
    ctx: &WebCtx,
    c: &kogi_core::communities::Community,
    id: i64,
) -> Result<
    (
        kogi_core::communities::CommunityPost,
        kogi_core::posts::Post,
    ),
    WebError,
> {
    let p = kogi_core::posts::find(&ctx.state.core, id)
        .await?
        .ok_or(WebError::NotFound)?;
    if p.deleted_at.is_some() {
        return Err(WebError::Gone);
    }
    let link = store::post_link(&ctx.state.core, p.id)
        .await?
        .filter(|l| l.community_id == c.id() && l.kind == "thread")
        .ok_or(WebError::NotFound)?;
    Ok((link, p))
}

/// What a refused community action tells the person (a flash message), or an error page.
fn refused(ctx: &WebCtx, to: &str, e: kogi_core::Error) -> Result<Response, WebError> {
    use kogi_core::Error as E;
    let key = match &e {
        E::Forbidden("thread_locked") => "thread_locked",
        E::Forbidden("banned") => "community_banned",
        E::Forbidden("members_only") => "members_only",
        E::Forbidden("invite_only") => "invite_only",
        E::Invalid { .. } => "community_invalid",
        _ => return Err(e.into()),
    };
    Ok(ctx.redirect_with_flash(to, "error", key))
}

/// A local community the signed-in person moderates.
async fn moderated(
    ctx: &WebCtx,
    handle: &str,
    me: &kogi_core::accounts::Actor,
) -> Result<kogi_core::communities::Community, WebError> {
    let c = lookup(ctx, handle).await?;
    if !c.row.local
        || !store::role_of(&ctx.state.core, &c, me.id)
            .await?
            .is_some_and(kogi_core::communities::Role::moderates)
    {
        return Err(WebError::Forbidden);
    }
    Ok(c)
}

/// This area's routes (pages); uploads carry their own body limit.
pub fn routes(state: &crate::app::AppState) -> axum::Router<crate::app::AppState> {
    use axum::extract::DefaultBodyLimit;
    use axum::routing::{get, post};
    use axum::Router;

    Router::new()
        .route("/communities", get(self::mine).post(self::create))
        .route("/communities/find", get(self::find))
        .route("/communities/{handle}", get(self::community))
        .route("/communities/{handle}/join", post(self::join))
        .route("/communities/{handle}/threads", post(self::new_thread))
        .route("/communities/{handle}/threads/{id}", get(self::thread))
        .route(
            "/communities/{handle}/threads/{id}/comments",
            post(self::comment),
        )
        .route("/communities/{handle}/threads/{id}/vote", post(self::vote))
        .route(
            "/communities/{handle}/threads/{id}/report",
            post(self::report),
        )
        .route(
            "/communities/{handle}/threads/{id}/moderate",
            post(self::moderate),
        )
        .route(
            "/communities/{handle}/edit",
            get(self::edit_page).post(self::edit_save),
        )
        .route(
            "/communities/{handle}/picture",
            post(self::picture).layer(DefaultBodyLimit::max(state.config.limits.upload_body_bytes)),
        )
        .route(
            "/communities/{handle}/members",
            get(self::members).post(self::member_action),
        )
        .route(
            "/communities/{handle}/moderation",
            get(self::moderation).post(self::moderation_action),
        )
        .route(
            "/communities/{handle}/chat",
            get(self::chat).post(self::chat_post),
        )
        .route("/communities/{handle}/chat/stream", get(self::chat_stream))
}
