//! Home, public profiles, and the files pages need (theme static files, media, instance CSS).

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use kogi_core::accounts;
use minijinja::context;

use super::WebError;
use crate::app::AppState;
use crate::ctx::WebCtx;

pub async fn home(ctx: WebCtx) -> Result<Response, WebError> {
    let people = accounts::recent_people(&ctx.state.core.db, 12).await?;
    let users = accounts::count_people(&ctx.state.core.db).await?;
    let recent: Vec<_> = people
        .iter()
        .map(|a| {
            context! {
                username => a.handle, display_name => a.name(), avatar_url => ctx.avatar_url(a),
                profile_url => format!("/users/{}", a.handle),
            }
        })
        .collect();
    Ok(ctx.render(
        "pages/home.html",
        context! {
            registration_mode => ctx.instance.registration_mode.as_str(),
            stats => context! { users => users },
            recent_people => recent,
        },
    ))
}

pub async fn profile(
    ctx: WebCtx,
    headers: axum::http::HeaderMap,
    Path(username): Path<String>,
) -> Result<Response, WebError> {
    // One URL for browsers and servers: ActivityPub JSON when asked for it.
    if crate::ap::wants_json(&headers) {
        return Ok(crate::ap::person_document(&ctx.state, &username).await);
    }
    let actor = accounts::find_local_actor(&ctx.state.core, &username)
        .await?
        .filter(|a| a.kind == "person")
        .ok_or(WebError::NotFound)?;
    if actor.deleted_at.is_some() {
        return Err(WebError::Gone);
    }
    // Accounts that cannot log in yet have no public page.
    let person = accounts::find_person(&ctx.state.core.db, &actor.handle)
        .await?
        .ok_or(WebError::NotFound)?;
    if person.account.email_confirmed_at.is_none() || !person.account.approved {
        return Err(WebError::NotFound);
    }
    let host = ctx.state.core.config.host();
    let is_self = ctx
        .person()
        .map(|p| p.actor.id == actor.id)
        .unwrap_or(false);
    let links: Vec<_> = actor
        .links()
        .into_iter()
        .map(|l| context! { name => l.name, url => l.url })
        .collect();
    let joined = person.account.created_at.format("%Y-%m-%d").to_string();
    let page = context! {
        profile => context! {
            username => actor.handle,
            handle => format!("@{}@{}", actor.handle, host),
            display_name => actor.name(),
            bio => actor.summary,
            avatar_url => ctx.avatar_url(&actor).map(|u| if u.starts_with('/') { format!("{}{u}", ctx.state.config.public_url) } else { u }),
            interests => actor.interests(),
            skills => actor.skills(),
            links => links,
            joined => joined,
            profile_url => format!("{}/users/{}", ctx.state.config.public_url, actor.handle),
        },
        is_self => is_self,
    };
    let mut resp = ctx.render("pages/profile.html", page);
    resp.headers_mut()
        .insert(header::VARY, header::HeaderValue::from_static("Accept"));
    Ok(resp)
}

pub async fn at_redirect(Path(username): Path<String>) -> Redirect {
    Redirect::permanent(&format!("/users/{}", crate::ctx::urlencode(&username)))
}

pub async fn static_file(State(state): State<AppState>, Path(path): Path<String>) -> Response {
    match state.theme.static_file(&path) {
        Some((bytes, ct)) => (
            [
                (header::CONTENT_TYPE, ct),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            bytes,
        )
            .into_response(),
        None => WebError::NotFound.into_response(),
    }
}

/// Uploaded media: only re-encoded images are stored, and they are served with their image
/// type, `nosniff` and a sandboxing CSP, never inline as HTML or SVG.
pub async fn media_file(State(state): State<AppState>, Path(path): Path<String>) -> Response {
    let Some(file) = kogi_core::media::resolve(&state.core.config.media_dir(), &path) else {
        return WebError::NotFound.into_response();
    };
    let ct = match path.rsplit('.').next() {
        Some("webp") => "image/webp",
        Some("png") => "image/png",
        Some("jpg") | Some("jpeg") => "image/jpeg",
        _ => "application/octet-stream",
    };
    match tokio::fs::read(&file).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, ct),
                (header::CACHE_CONTROL, "public, max-age=86400"),
                (
                    header::CONTENT_SECURITY_POLICY,
                    "default-src 'none'; sandbox",
                ),
                (header::CONTENT_DISPOSITION, "inline"),
            ],
            bytes,
        )
            .into_response(),
        Err(_) => WebError::NotFound.into_response(),
    }
}

/// The instance's colours as CSS custom properties (the CSP forbids inline styles).
pub async fn instance_css(State(state): State<AppState>) -> Response {
    let s =
        match kogi_core::settings::effective(&state.core.db, &state.core.settings_defaults).await {
            Ok(s) => s,
            Err(_) => (*state.core.settings_defaults).clone(),
        };
    let css = format!(
        ":root {{ --kogi-primary: {}; --kogi-accent: {}; }}\n",
        s.primary_color, s.accent_color
    );
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        css,
    )
        .into_response()
}

/// A post: its ActivityPub document for servers, its page (with replies) for browsers.
pub async fn post(
    ctx: WebCtx,
    headers: axum::http::HeaderMap,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    if crate::ap::wants_json(&headers) {
        return Ok(crate::ap::post_document(&ctx.state, &token).await);
    }
    let ap_id = format!("{}/posts/{token}", ctx.state.config.public_url);
    let post = kogi_core::posts::find_by_ap_id(&ctx.state.core, &ap_id)
        .await?
        .ok_or(WebError::NotFound)?;
    if post.deleted_at.is_some() {
        return Err(WebError::Gone);
    }
    let viewer = ctx.person().map(|p| p.actor.id);
    if !kogi_core::posts::can_view(&ctx.state.core, viewer, &post).await? {
        return Err(WebError::NotFound);
    }
    let author = kogi_core::actors::find_by_id(&ctx.state.core, post.author_id)
        .await?
        .ok_or(WebError::NotFound)?;
    let mut replies = Vec::new();
    for (r, a) in kogi_core::posts::replies(&ctx.state.core, &post.ap_id).await? {
        if kogi_core::posts::can_view(&ctx.state.core, viewer, &r).await? {
            replies.push(post_context(&ctx, &r, &a));
        }
    }
    let mut resp = ctx.render(
        "pages/post.html",
        context! { post => post_context(&ctx, &post, &author), replies => replies },
    );
    resp.headers_mut()
        .insert(header::VARY, header::HeaderValue::from_static("Accept"));
    Ok(resp)
}

fn post_context(
    ctx: &WebCtx,
    p: &kogi_core::posts::Post,
    a: &kogi_core::accounts::Actor,
) -> minijinja::Value {
    let profile_url = if a.local {
        format!("/users/{}", a.handle)
    } else {
        a.profile_url.clone().unwrap_or_else(|| a.ap_id.clone())
    };
    context! {
        url => p.url.clone().unwrap_or_else(|| p.ap_id.clone()),
        author => context! {
            display_name => a.name(), handle => format!("@{}@{}", a.handle, a.host),
            avatar_url => ctx.avatar_url(a), profile_url => profile_url, username => a.handle,
        },
        content => minijinja::Value::from_safe_string(p.content_html.clone()),
        summary => p.summary,
        visibility => p.visibility,
        published => p.published_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        edited => p.edited_at.is_some(),
        like_count => p.like_count,
        boost_count => p.announce_count,
        reply_count => p.reply_count,
    }
}
