//! Home, public profiles, and the files pages need (theme static files, media, instance CSS).

use std::collections::BTreeMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use kogi_core::accounts;
use minijinja::context;

use super::posts::{self, PageQuery};
use super::{follows, WebError};
use crate::app::AppState;
use crate::ctx::WebCtx;

pub async fn home(
    ctx: WebCtx,
    q: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response, WebError> {
    let max_id = posts::max_id(q)?;
    if ctx.viewer.is_some() {
        let compose = posts::compose_values("", "", "public");
        return posts::home_page(&ctx, max_id, compose, BTreeMap::new(), StatusCode::OK).await;
    }
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
    let core = &ctx.state.core;
    let (followers, following) = kogi_core::follows::counts(core, actor.id).await?;
    let follow_state = match ctx.person() {
        Some(me) if !is_self => Some(follows::follow_state(&ctx, &me.actor, &actor).await?),
        _ => None,
    };
    let relation = match ctx.person() {
        Some(me) if !is_self => follows::relation_state(&ctx, &me.actor, &actor).await?,
        _ => context! { blocked => false, muted => false },
    };
    let mut recent_posts = Vec::new();
    for p in kogi_core::posts::by_author(core, actor.id, posts::PAGE).await? {
        recent_posts.push(posts::post_view(&ctx, &p, &actor).await?);
    }
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
            ap_id => actor.ap_id,
            locked => actor.manually_approves_followers,
            followers => followers,
            following => following,
        },
        is_self => is_self,
        follow_state => follow_state,
        relation => relation,
        posts => recent_posts,
        here => format!("/users/{}", actor.handle),
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

/// This area's routes (pages).
pub fn routes() -> axum::Router<crate::app::AppState> {
    use axum::routing::get;
    use axum::Router;

    Router::new()
        .route("/", get(self::home))
        .route("/users/{username}", get(self::profile))
        .route("/@{username}", get(self::at_redirect))
        .route("/static/{*path}", get(self::static_file))
        .route("/media/{*path}", get(self::media_file))
        .route("/instance.css", get(self::instance_css))
}
