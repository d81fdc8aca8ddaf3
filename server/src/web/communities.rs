//! Community pages: the community with its threads, and a thread with its comments. The
//! community URL answers ActivityPub JSON (the `Group`) when asked for it.

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
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
        rules => c.row.rules, members => members, ap_id => c.actor.ap_id, handle_only => c.actor.handle,
    };
    let is_member = match ctx.person() {
        Some(p) => store::role_of(&ctx.state.core, &c, p.actor.id)
            .await?
            .is_some(),
        None => false,
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
        context! { community => about, threads => threads, is_member => is_member },
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

fn chat_view(
    m: &kogi_core::communities::chat::ChatMessage,
    a: &kogi_core::accounts::Actor,
) -> Value {
    context! {
        id => m.id, author => format!("{}@{}", a.handle, a.host), name => a.name(),
        content => m.content_html, time => m.created_at.format("%H:%M").to_string(),
    }
}

async fn member_community(
    ctx: &WebCtx,
    handle: &str,
) -> Result<kogi_core::communities::Community, WebError> {
    let c = store::find_by_handle(&ctx.state.core, handle)
        .await?
        .ok_or(WebError::NotFound)?;
    if c.is_deleted() {
        return Err(WebError::Gone);
    }
    let me = ctx
        .person()
        .map(|p| p.actor.id)
        .ok_or(WebError::Forbidden)?;
    if store::role_of(&ctx.state.core, &c, me).await?.is_none() {
        return Err(WebError::Forbidden);
    }
    Ok(c)
}

/// The community's chat: history, a form, and new messages pushed live (Server-Sent Events,
/// a small script; without it, the form still works and a reload shows new messages).
pub async fn chat(ctx: WebCtx, Path(handle): Path<String>) -> Result<Response, WebError> {
    let c = member_community(&ctx, &handle).await?;
    let history: Vec<Value> = kogi_core::communities::chat::history(&ctx.state.core, &c, 100)
        .await?
        .iter()
        .map(|(m, a)| chat_view(m, a))
        .collect();
    Ok(ctx.render("communities/chat.html", context! {
        community => context! { name => c.actor.name(), url => format!("/communities/{}", c.actor.handle), handle => c.actor.handle },
        messages => history,
    }))
}

#[derive(serde::Deserialize)]
pub struct ChatForm {
    csrf_token: Option<String>,
    #[serde(default)]
    content: String,
}

pub async fn chat_post(
    ctx: WebCtx,
    Path(handle): Path<String>,
    super::WebForm(form): super::WebForm<ChatForm>,
) -> Result<Response, WebError> {
    ctx.check_csrf(form.csrf_token.as_deref())?;
    let c = member_community(&ctx, &handle).await?;
    let me = ctx
        .person()
        .map(|p| p.actor.clone())
        .ok_or(WebError::Forbidden)?;
    let to = format!("/communities/{}/chat", c.actor.handle);
    match ctx.state.fed.post_chat(&me, &c, &form.content).await {
        Ok(_) => Ok(axum::response::Redirect::to(&to).into_response()),
        Err(kogi_core::Error::Invalid { .. }) => {
            Ok(ctx.redirect_with_flash(&to, "error", "message_empty"))
        }
        Err(e) => Err(e.into()),
    }
}

/// New chat messages as Server-Sent Events (`message` events with the rendered HTML).
pub async fn chat_stream(ctx: WebCtx, Path(handle): Path<String>) -> Result<Response, WebError> {
    use axum::response::sse::{Event, KeepAlive, Sse};
    let c = member_community(&ctx, &handle).await?;
    let rx = ctx.state.core.live.subscribe();
    let state = ctx.state.clone();
    let cid = c.id();
    let stream = futures_util::stream::unfold((rx, state), move |(mut rx, state)| async move {
        loop {
            match rx.recv().await {
                Ok(ev) if ev.community_id == cid => {
                    let Ok(Some((m, a))) =
                        kogi_core::communities::chat::find(&state.core, ev.message_id).await
                    else {
                        continue;
                    };
                    let html = state
                        .theme
                        .render(
                            "communities/_chat_message.html",
                            context! { m => chat_view(&m, &a) },
                        )
                        .unwrap_or_default();
                    let event = Event::default()
                        .event("message")
                        .id(m.id.to_string())
                        .data(html.replace('\n', ""));
                    return Some((Ok::<Event, std::convert::Infallible>(event), (rx, state)));
                }
                Ok(_) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response())
}
