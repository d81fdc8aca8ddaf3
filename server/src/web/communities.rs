//! Community pages: the community with its threads, and a thread with its comments. The
//! community URL answers ActivityPub JSON (the `Group`) when asked for it.

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;
use kogi_core::communities::store;
use minijinja::context;
use minijinja::Value;

use super::WebError;
use crate::ctx::WebCtx;

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

/// The community page.
pub async fn community(
    ctx: WebCtx,
    headers: HeaderMap,
    Path(handle): Path<String>,
) -> Result<Response, WebError> {
    if crate::ap::wants_json(&headers) {
        return Ok(crate::ap::community_document(&ctx.state, &handle).await);
    }
    let c = store::find_by_handle(&ctx.state.core, &handle)
        .await?
        .ok_or(WebError::NotFound)?;
    let (members, _) = kogi_core::follows::counts(&ctx.state.core, c.actor.id).await?;
    let about = context! {
        name => c.actor.name(), handle => format!("{}@{}", c.actor.handle, c.actor.host),
        description => c.actor.summary, kind => c.row.kind, visibility => c.row.visibility,
        rules => c.row.rules, members => members, ap_id => c.actor.ap_id,
    };
    let threads: Vec<Value> = if readable(&ctx, &c).await.is_ok() {
        store::threads(&ctx.state.core, c.id())
            .await?
            .into_iter()
            .map(|(l, p, a)| context! {
                title => l.title, url => format!("/communities/{}/threads/{}", c.actor.handle, p.id),
                author => format!("{}@{}", a.handle, a.host), replies => p.reply_count, likes => p.like_count,
                pinned => l.pinned, locked => l.locked,
            })
            .collect()
    } else if c.is_deleted() {
        return Err(WebError::Gone);
    } else {
        vec![]
    };
    let mut r = ctx.render(
        "communities/community.html",
        context! { community => about, threads => threads },
    );
    r.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    Ok(r)
}

/// A thread with its comments (members only for private communities).
pub async fn thread(
    ctx: WebCtx,
    Path((handle, id)): Path<(String, i64)>,
) -> Result<Response, WebError> {
    let c = store::find_by_handle(&ctx.state.core, &handle)
        .await?
        .ok_or(WebError::NotFound)?;
    readable(&ctx, &c).await?;
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
    let p = ctx.state.fed.refresh_counts(&p).await;
    let author = kogi_core::actors::find_by_id(&ctx.state.core, p.author_id)
        .await?
        .ok_or(WebError::NotFound)?;
    let comments: Vec<Value> = store::comments(&ctx.state.core, p.id)
        .await?
        .into_iter()
        .map(|(cp, a)| context! { content => cp.content_html, author => format!("{}@{}", a.handle, a.host), likes => cp.like_count })
        .collect();
    Ok(ctx.render("communities/thread.html", context! {
        community => context! { name => c.actor.name(), url => format!("/communities/{}", c.actor.handle) },
        thread => context! { title => link.title, content => p.content_html, author => format!("{}@{}", author.handle, author.host), likes => p.like_count, locked => link.locked },
        comments => comments,
    }))
}
