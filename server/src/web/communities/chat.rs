//! A community's chat and its live stream.

use super::*;

pub(crate) fn chat_view(
    m: &kogi_core::communities::chat::ChatMessage,
    a: &kogi_core::accounts::Actor,
) -> Value {
    context! {
        id => m.id, author => format!("{}@{}", a.handle, a.host), name => a.name(),
        content => m.content_html, time => m.created_at.format("%H:%M").to_string(),
    }
}

pub(crate) async fn member_community(
    ctx: &WebCtx,
    handle: &str,
) -> Result<kogi_core::communities::Community, WebError> {
    let c = lookup(ctx, handle).await?;
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
    Ok(ctx.render(
        "communities/chat.html",
        context! {
            community => context! { name => c.actor.name(), url => page_of(&c) },
            messages => history,
        },
    ))
}

#[derive(serde::Deserialize)]
pub struct ChatForm {
    #[serde(default)]
    pub(crate) content: String,
}

pub async fn chat_post(
    ctx: WebCtx,
    Path(handle): Path<String>,
    crate::web::WebForm(form): crate::web::WebForm<ChatForm>,
) -> Result<Response, WebError> {
    let c = member_community(&ctx, &handle).await?;
    let me = ctx
        .person()
        .map(|p| p.actor.clone())
        .ok_or(WebError::Forbidden)?;
    let to = format!("{}/chat", page_of(&c));
    match ctx.state.fed.post_chat(&me, &c, &form.content).await {
        Ok(_) => Ok(axum::response::Redirect::to(&to).into_response()),
        Err(kogi_core::Error::Invalid { .. }) => {
            Ok(ctx.redirect_with_flash(&to, "error", "message_empty"))
        }
        Err(e) => Err(e.into()),
    }
}

/// A chat message as a Server-Sent Event: `message`, its number as the id, the rendered
/// list item as data.
pub(crate) fn chat_event(
    state: &crate::app::AppState,
    m: &kogi_core::communities::chat::ChatMessage,
    a: &kogi_core::accounts::Actor,
) -> axum::response::sse::Event {
    let html = state
        .theme
        .render(
            "communities/_chat_message.html",
            context! { m => chat_view(m, a) },
        )
        .unwrap_or_default();
    axum::response::sse::Event::default()
        .event("message")
        .id(m.id.to_string())
        .data(html.replace('\n', ""))
}

/// New chat messages as Server-Sent Events (`message` events with the rendered HTML).
pub async fn chat_stream(
    ctx: WebCtx,
    headers: HeaderMap,
    Path(handle): Path<String>,
) -> Result<Response, WebError> {
    use axum::response::sse::{Event, KeepAlive, Sse};
    use futures_util::StreamExt;
    let c = member_community(&ctx, &handle).await?;
    let rx = ctx.state.core.live.subscribe();
    let state = ctx.state.clone();
    let cid = c.id();
    // A browser reconnecting after a drop says what it saw last: what came since is sent
    // first (at most the last 100 messages).
    let last_seen: Option<i64> = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok());
    let mut missed = Vec::new();
    if let Some(last) = last_seen {
        for (m, a) in kogi_core::communities::chat::history(&ctx.state.core, &c, 100).await? {
            if m.id > last {
                missed.push(Ok::<Event, std::convert::Infallible>(chat_event(
                    &ctx.state, &m, &a,
                )));
            }
        }
    }
    let stream = futures_util::stream::unfold((rx, state), move |(mut rx, state)| async move {
        loop {
            match rx.recv().await {
                Ok(ev) if ev.community_id == cid => {
                    let Ok(Some((m, a))) =
                        kogi_core::communities::chat::find(&state.core, ev.message_id).await
                    else {
                        continue;
                    };
                    let event = chat_event(&state, &m, &a);
                    return Some((Ok::<Event, std::convert::Infallible>(event), (rx, state)));
                }
                Ok(_) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Ok(Sse::new(futures_util::stream::iter(missed).chain(stream))
        .keep_alive(KeepAlive::default())
        .into_response())
}
