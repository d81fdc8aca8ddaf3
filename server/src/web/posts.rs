//! Posts on pages: the compose form, the home and public timelines, likes and boosts, post
//! pages with their replies and reply form, and notifications.

use std::collections::BTreeMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use kogi_core::accounts::Actor;
use kogi_core::posts::{self, Post, Visibility};
use kogi_core::Error;
use kogi_federation::posting::{Draft, MAX_CHARS};
use minijinja::{context, Value};
use serde::Deserialize;

use super::accounts::safe_next;
use super::{WebError, WebForm};
use crate::ctx::{urlencode, WebCtx};

type Errors = BTreeMap<String, String>;

/// Posts per timeline page.
pub(super) const PAGE: i64 = 20;
/// The longest content warning accepted.
const MAX_SUMMARY_CHARS: usize = 500;

/// For a form post by someone logged out: the log-in page, then back to `next`.
pub(crate) fn login_first(next: &str) -> Response {
    Redirect::to(&format!("/login?next={}", urlencode(next))).into_response()
}

/// Where a post is read here: local posts at `/posts/{token}`, others at `/remote-posts/{id}`.
pub(super) fn page_path(ctx: &WebCtx, p: &Post) -> String {
    let base = format!("{}/posts/", ctx.state.config.public_url);
    match p.ap_id.strip_prefix(&base) {
        Some(token) if p.local => format!("/posts/{token}"),
        _ => format!("/remote-posts/{}", p.id),
    }
}

/// Where an actor's profile is: here for local people, at their server for others.
pub(super) fn profile_path(a: &Actor) -> String {
    if a.local {
        format!("/users/{}", a.handle)
    } else {
        a.profile_url.clone().unwrap_or_else(|| a.ap_id.clone())
    }
}

/// An actor as pages show it.
pub(super) fn actor_view(ctx: &WebCtx, a: &Actor) -> Value {
    context! {
        id => a.ap_id,
        display_name => a.name(),
        username => a.handle,
        handle => format!("@{}@{}", a.handle, a.host),
        avatar_url => ctx.avatar_url(a),
        profile_url => profile_path(a),
        summary => a.summary,
        local => a.local,
        locked => a.manually_approves_followers,
    }
}

/// A post as the `post_card` macro draws it, with the viewer's likes and boosts.
pub(super) async fn post_view(ctx: &WebCtx, p: &Post, a: &Actor) -> Result<Value, WebError> {
    let core = &ctx.state.core;
    let (liked, boosted) = match ctx.person() {
        Some(me) => (
            posts::reacted(core, posts::LIKE, me.actor.id, p.id).await?,
            posts::reacted(core, posts::ANNOUNCE, me.actor.id, p.id).await?,
        ),
        None => (false, false),
    };
    let page = page_path(ctx, p);
    let url = if p.local {
        page.clone()
    } else {
        p.url.clone().unwrap_or_else(|| p.ap_id.clone())
    };
    let published = p.published_at.and_utc();
    Ok(context! {
        id => p.id,
        anchor => format!("post-{}", p.id),
        ap_id => p.ap_id,
        url => url,
        page_url => page,
        local => p.local,
        author => actor_view(ctx, a),
        content => Value::from_safe_string(p.content_html.clone()),
        summary => p.summary.clone().filter(|s| !s.trim().is_empty()),
        visibility => p.visibility().as_str(),
        boostable => matches!(p.visibility(), Visibility::Public | Visibility::Unlisted),
        published => published.format("%Y-%m-%d %H:%M UTC").to_string(),
        published_iso => published.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        edited => p.edited_at.is_some(),
        like_count => p.like_count,
        boost_count => p.announce_count,
        reply_count => p.reply_count,
        liked => liked,
        boosted => boosted,
        poll => p.poll().map(|poll| {
            let total: i64 = poll.options.iter().map(|o| o.votes).sum();
            context! {
                multiple => poll.multiple,
                total => total,
                options => poll.options.iter().map(|o| context! {
                    name => o.name,
                    votes => o.votes,
                    percent => if total > 0 { o.votes * 100 / total } else { 0 },
                }).collect::<Vec<_>>(),
            }
        }),
        // Remote media is linked, never inlined: images show with their alt text.
        attachments => p.attachments().iter().filter(|m| m.url.starts_with("https://") || m.url.starts_with("http://")).map(|m| context! {
            url => m.url,
            image => m.media_type.as_deref().is_some_and(|t| t.starts_with("image/")),
            description => m.description.clone().unwrap_or_default(),
        }).collect::<Vec<_>>(),
    })
}

/// Posts with their authors, ready for a template, and the `max_id` of the next page when
/// this one is full.
pub(super) async fn feed(
    ctx: &WebCtx,
    rows: posts::Page,
) -> Result<(Vec<Value>, Option<i64>), WebError> {
    let older = if rows.len() as i64 >= PAGE {
        rows.last().map(|(p, _)| p.id)
    } else {
        None
    };
    let mut out = Vec::with_capacity(rows.len());
    for (p, a) in &rows {
        out.push(post_view(ctx, p, a).await?);
    }
    Ok((out, older))
}

#[derive(Deserialize)]
pub struct PageQuery {
    max_id: Option<String>,
}

/// `?max_id=`: absent or empty is the newest page; anything but a number is a bad request.
pub(super) fn max_id(q: Result<Query<PageQuery>, QueryRejection>) -> Result<Option<i64>, WebError> {
    let Query(q) = q.map_err(|_| WebError::BadRequest)?;
    match q.max_id.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => s.parse().map(Some).map_err(|_| WebError::BadRequest),
    }
}

/// The page's own address (for forms that come back to it).
fn here(path: &str, max_id: Option<i64>) -> String {
    match max_id {
        Some(m) => format!("{path}?max_id={m}"),
        None => path.to_string(),
    }
}

/// What the compose form shows: empty, or what was sent when it is shown again with errors.
pub(super) fn compose_values(content: &str, summary: &str, visibility: &str) -> Value {
    context! { content => content, summary => summary, visibility => visibility }
}

/// The signed-in home page: the compose form and the home timeline.
pub(super) async fn home_page(
    ctx: &WebCtx,
    max_id: Option<i64>,
    compose: Value,
    errors: Errors,
    status: StatusCode,
) -> Result<Response, WebError> {
    let Some(me) = ctx.person() else {
        return Err(WebError::Forbidden);
    };
    let core = &ctx.state.core;
    let rows = posts::home_timeline(core, me.actor.id, max_id, PAGE).await?;
    let (items, older) = feed(ctx, rows).await?;
    let people = kogi_core::accounts::recent_people(&core.db, 6).await?;
    let recent: Vec<_> = people
        .iter()
        .filter(|a| a.id != me.actor.id)
        .map(|a| actor_view(ctx, a))
        .collect();
    let (followers, following) = kogi_core::follows::counts(core, me.actor.id).await?;
    let requests =
        kogi_core::follows::followers(core, me.actor.id, kogi_core::follows::PENDING, 0, 200)
            .await?
            .len();
    Ok(ctx.render_status(
        status,
        "pages/home.html",
        context! {
            feed_section => "home",
            posts => items,
            older_url => older.map(|id| format!("/?max_id={id}")),
            paged => max_id.is_some(),
            here => here("/", max_id),
            compose => compose,
            errors => errors,
            recent_people => recent,
            me => context! { followers => followers, following => following, requests => requests },
        },
    ))
}

async fn timeline(
    ctx: WebCtx,
    q: Result<Query<PageQuery>, QueryRejection>,
    local_only: bool,
) -> Result<Response, WebError> {
    let max_id = max_id(q)?;
    let rows = posts::public_timeline(&ctx.state.core, local_only, max_id, PAGE).await?;
    let (items, older) = feed(&ctx, rows).await?;
    let (section, path) = if local_only {
        ("local", "/timelines/local")
    } else {
        ("federated", "/timelines/federated")
    };
    Ok(ctx.render(
        "pages/timeline.html",
        context! {
            feed_section => section,
            posts => items,
            older_url => older.map(|id| format!("{path}?max_id={id}")),
            paged => max_id.is_some(),
            here => here(path, max_id),
            registration_mode => ctx.instance.registration_mode.as_str(),
        },
    ))
}

/// This server's public posts.
pub async fn local_timeline(
    ctx: WebCtx,
    q: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response, WebError> {
    timeline(ctx, q, true).await
}

/// Every public post known here, from this server and others.
pub async fn federated_timeline(
    ctx: WebCtx,
    q: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response, WebError> {
    timeline(ctx, q, false).await
}

#[derive(Deserialize)]
pub struct ComposeForm {
    #[serde(default)]
    content: String,
    #[serde(default)]
    summary: String,
    visibility: Option<String>,
    in_reply_to: Option<String>,
    next: Option<String>,
}

/// Publishes a post or a reply from the compose form. Mistakes show the form again, with
/// what was typed, on the page it came from.
pub async fn create(
    ctx: WebCtx,
    WebForm(form): WebForm<ComposeForm>,
) -> Result<Response, WebError> {
    let next = safe_next(form.next.as_deref());
    let Some(me) = ctx.person().map(|p| p.actor.clone()) else {
        return Ok(login_first(&next));
    };
    let visibility = match form.visibility.as_deref().map(str::trim) {
        None | Some("") => Visibility::Public,
        Some(v) => Visibility::parse(v).ok_or(WebError::BadRequest)?,
    };
    let in_reply_to = form
        .in_reply_to
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    let mut errors = Errors::new();
    let content = form.content.trim();
    if content.is_empty() {
        errors.insert("content".into(), ctx.t("compose.error_empty"));
    } else if content.chars().count() > MAX_CHARS {
        errors.insert("content".into(), ctx.t("error.field_too_long"));
    }
    if form.summary.trim().chars().count() > MAX_SUMMARY_CHARS {
        errors.insert("summary".into(), ctx.t("error.field_too_long"));
    }
    if errors.is_empty() {
        let draft = Draft {
            text: content.to_string(),
            visibility,
            in_reply_to: in_reply_to.clone(),
            summary: Some(form.summary.trim().to_string()).filter(|s| !s.is_empty()),
            language: Some(ctx.lang.clone()),
            attachments: vec![],
        };
        match ctx.state.fed.publish(&me, draft).await {
            Ok(post) => {
                let (to, key) = if in_reply_to.is_some() {
                    (format!("{next}#post-{}", post.id), "reply_published")
                } else {
                    (next, "post_published")
                };
                return Ok(ctx.redirect_with_flash(&to, "success", key));
            }
            Err(Error::Invalid {
                field: "in_reply_to",
                ..
            }) => {
                errors.insert("form".into(), ctx.t("compose.error_parent_gone"));
            }
            Err(Error::Invalid { field, code }) => {
                errors.insert(field.to_string(), ctx.t(&format!("error.{code}")));
            }
            Err(e) => return Err(e.into()),
        }
    }
    let values = compose_values(&form.content, &form.summary, visibility.as_str());
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    if let Some(parent) = &in_reply_to {
        if let Some(p) = posts::find_by_ap_id(&ctx.state.core, parent).await? {
            if posts::can_view(&ctx.state.core, Some(me.id), &p).await? {
                return post_page(&ctx, p, values, errors, status).await;
            }
        }
    }
    home_page(&ctx, None, values, errors, status).await
}

#[derive(Deserialize)]
pub struct ReactForm {
    /// "1" takes a like or boost back, "0" adds it; without it the button toggles.
    undo: Option<String>,
    next: Option<String>,
}

async fn react(ctx: WebCtx, id: &str, form: ReactForm, kind: &str) -> Result<Response, WebError> {
    let next = safe_next(form.next.as_deref());
    let Some(me) = ctx.person().map(|p| p.actor.clone()) else {
        return Ok(login_first(&next));
    };
    let id: i64 = id.parse().map_err(|_| WebError::NotFound)?;
    let core = &ctx.state.core;
    let post = match posts::find(core, id).await? {
        Some(p) if posts::can_view(core, Some(me.id), &p).await? => p,
        _ => return Err(WebError::NotFound),
    };
    let on = match form.undo.as_deref() {
        Some("1") => false,
        Some("0") => true,
        _ => !posts::reacted(core, kind, me.id, post.id).await?,
    };
    let to = format!("{next}#post-{}", post.id);
    let done = if on {
        ctx.state.fed.react(&me, &post, kind).await
    } else {
        ctx.state.fed.unreact(&me, &post, kind).await
    };
    match done {
        Ok(_) => Ok(Redirect::to(&to).into_response()),
        Err(Error::Forbidden("not_boostable")) => {
            Ok(ctx.redirect_with_flash(&to, "error", "not_boostable"))
        }
        Err(e) => Err(e.into()),
    }
}

/// Likes a post, or takes the like back.
pub async fn like(
    ctx: WebCtx,
    Path(id): Path<String>,
    WebForm(form): WebForm<ReactForm>,
) -> Result<Response, WebError> {
    react(ctx, &id, form, posts::LIKE).await
}

/// Boosts a post, or takes the boost back.
pub async fn boost(
    ctx: WebCtx,
    Path(id): Path<String>,
    WebForm(form): WebForm<ReactForm>,
) -> Result<Response, WebError> {
    react(ctx, &id, form, posts::ANNOUNCE).await
}

/// A post's page: the post, what it answers, its replies, and the reply form.
pub(super) async fn post_page(
    ctx: &WebCtx,
    post: Post,
    compose: Value,
    errors: Errors,
    status: StatusCode,
) -> Result<Response, WebError> {
    let core = &ctx.state.core;
    let viewer = ctx.person().map(|p| p.actor.id);
    let author = kogi_core::actors::find_by_id(core, post.author_id)
        .await?
        .ok_or(WebError::NotFound)?;
    let parent = match &post.in_reply_to_ap_id {
        Some(id) => match posts::find_by_ap_id(core, id).await? {
            Some(p) if kogi_core::posts::can_view(core, viewer, &p).await? => {
                let a = kogi_core::actors::find_by_id(core, p.author_id).await?;
                a.map(|a| context! { url => page_path(ctx, &p), author => a.name() })
            }
            _ => None,
        },
        None => None,
    };
    let mut replies = Vec::new();
    for (r, a) in posts::replies(core, &post.ap_id).await? {
        if posts::can_view(core, viewer, &r).await? {
            replies.push(post_view(ctx, &r, &a).await?);
        }
    }
    let here = page_path(ctx, &post);
    let canonical = if post.local {
        Some(post.ap_id.clone())
    } else {
        None
    };
    let view = post_view(ctx, &post, &author).await?;
    Ok(ctx.render_status(
        status,
        "pages/post.html",
        context! {
            post => view,
            parent => parent,
            replies => replies,
            here => here,
            canonical => canonical,
            compose => compose,
            errors => errors,
        },
    ))
}

/// The reply form starts with the parent's visibility.
fn reply_values(p: &Post) -> Value {
    compose_values("", "", p.visibility().as_str())
}

/// A local post: its ActivityPub document for servers, its page (with replies) for browsers.
pub async fn post(
    ctx: WebCtx,
    headers: HeaderMap,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    if crate::ap::wants_json(&headers) {
        return Ok(crate::ap::post_document(&ctx.state, &token, &headers, &uri).await);
    }
    let ap_id = format!("{}/posts/{token}", ctx.state.config.public_url);
    let post = posts::find_by_ap_id(&ctx.state.core, &ap_id)
        .await?
        .ok_or(WebError::NotFound)?;
    if post.deleted_at.is_some() {
        return Err(WebError::Gone);
    }
    let viewer = ctx.person().map(|p| p.actor.id);
    if !posts::can_view(&ctx.state.core, viewer, &post).await? {
        return Err(WebError::NotFound);
    }
    let values = reply_values(&post);
    let mut resp = post_page(&ctx, post, values, Errors::new(), StatusCode::OK).await?;
    resp.headers_mut()
        .insert(header::VARY, header::HeaderValue::from_static("Accept"));
    Ok(resp)
}

/// A post from another server as it is known here (by its number), so people can read its
/// thread and reply. Local posts redirect to their own address.
pub async fn remote_post(ctx: WebCtx, Path(id): Path<String>) -> Result<Response, WebError> {
    let id: i64 = id.parse().map_err(|_| WebError::NotFound)?;
    let post = posts::find(&ctx.state.core, id)
        .await?
        .ok_or(WebError::NotFound)?;
    let viewer = ctx.person().map(|p| p.actor.id);
    if !posts::can_view(&ctx.state.core, viewer, &post).await? {
        return Err(WebError::NotFound);
    }
    if post.local {
        return Ok(Redirect::permanent(&page_path(&ctx, &post)).into_response());
    }
    let values = reply_values(&post);
    post_page(&ctx, post, values, Errors::new(), StatusCode::OK).await
}

/// The signed-in person's notifications, newest first.
pub async fn notifications(ctx: WebCtx) -> Result<Response, WebError> {
    let Some(me) = ctx.person() else {
        return Ok(login_first("/notifications"));
    };
    let core = &ctx.state.core;
    let rows = posts::notifications_for(core, me.account.id, 100).await?;
    let mut items = Vec::with_capacity(rows.len());
    for (n, a) in rows {
        let post = match n.post_id {
            Some(id) => match posts::find(core, id).await? {
                Some(p) if posts::can_view(core, Some(me.actor.id), &p).await? => Some(context! {
                    url => page_path(&ctx, &p),
                    content => Value::from_safe_string(p.content_html.clone()),
                    summary => p.summary.clone().filter(|s| !s.trim().is_empty()),
                }),
                _ => None,
            },
            None => None,
        };
        let at = n.created_at.and_utc();
        items.push(context! {
            kind => n.kind,
            actor => actor_view(&ctx, &a),
            post => post,
            created => at.format("%Y-%m-%d %H:%M UTC").to_string(),
            created_iso => at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        });
    }
    let requests =
        kogi_core::follows::followers(core, me.actor.id, kogi_core::follows::PENDING, 0, 200)
            .await?
            .len();
    Ok(ctx.render(
        "pages/notifications.html",
        context! { notifications => items, requests => requests },
    ))
}

/// This area's routes (pages).
pub fn routes() -> axum::Router<crate::app::AppState> {
    use axum::routing::{get, post};
    use axum::Router;

    Router::new()
        .route("/timelines/local", get(self::local_timeline))
        .route("/timelines/federated", get(self::federated_timeline))
        .route("/posts", post(self::create))
        .route("/posts/{token}", get(self::post))
        .route("/posts/{token}/like", post(self::like))
        .route("/posts/{token}/boost", post(self::boost))
        .route("/remote-posts/{id}", get(self::remote_post))
        .route("/notifications", get(self::notifications))
}
