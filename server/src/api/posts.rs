//! Posts, timelines and notifications.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use kogi_core::accounts::Actor;
use kogi_core::posts::{self, Post, Visibility};
use kogi_federation::posting::Draft;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::follows::ActorSummary;
use super::{ApiJson, ApiPath};
use crate::app::AppState;
use crate::ctx::ApiUser;
use crate::error::{ApiError, Problem};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPostBody {
    /// Plain text; `@user@host` mentions, `#tags` and URLs become links.
    pub content: String,
    /// `public` (default), `unlisted`, `followers` or `direct` (only the mentioned see it).
    pub visibility: Option<String>,
    /// The post this answers: its number here or its ActivityPub id.
    pub in_reply_to: Option<String>,
    /// A content warning.
    pub summary: Option<String>,
    /// ISO 639 language code.
    pub language: Option<String>,
    /// Up to four images from `POST /media`, each with its alt text.
    pub media: Option<Vec<MediaRef>>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MediaRef {
    /// The `id` returned by `POST /media`.
    pub id: String,
    /// Alt text: what the image shows, for people who cannot see it.
    pub description: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct MediaView {
    pub id: String,
    pub url: String,
}

/// Upload an image to attach to a post (multipart field `file`: PNG, JPEG, WebP or GIF). It is
/// re-encoded to WebP (at most 2048 px a side, no metadata).
#[utoipa::path(post, path = "/api/kogi/v1/media", tag = "posts", security(("bearer" = [])),
    request_body(content_type = "multipart/form-data", description = "A form with one file field `file`"),
    responses(
        (status = 201, description = "Stored", body = MediaView),
        (status = 400, description = "Not a form with a file field", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not multipart", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a supported image", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn upload_media(
    State(state): State<AppState>,
    _user: ApiUser,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(StatusCode, Json<MediaView>), ApiError> {
    let bytes = super::file_field(multipart, "file").await?;
    let max = state.config.limits.upload_body_bytes;
    let dir = state.core.config.media_dir();
    let id = tokio::task::spawn_blocking(move || -> kogi_core::Result<String> {
        let webp = kogi_core::media::process_post_image(&bytes, max)?;
        kogi_core::media::store(&dir, "posts", "webp", &webp)
    })
    .await
    .map_err(|e| ApiError::from(kogi_core::Error::Internal(e.to_string())))??;
    let url = format!("{}/media/{id}", state.config.public_url);
    Ok((StatusCode::CREATED, Json(MediaView { id, url })))
}

#[derive(Serialize, ToSchema)]
pub struct PostView {
    /// The number of the post on this server.
    pub id: i64,
    /// The ActivityPub id.
    pub uri: String,
    pub url: Option<String>,
    pub author: ActorSummary,
    /// Sanitised HTML.
    pub content: String,
    pub summary: Option<String>,
    pub visibility: String,
    pub language: Option<String>,
    pub in_reply_to: Option<String>,
    pub tags: Vec<String>,
    pub like_count: i32,
    pub boost_count: i32,
    pub reply_count: i32,
    pub liked: bool,
    pub boosted: bool,
    pub created_at: String,
    pub edited_at: Option<String>,
}

pub(crate) async fn view(
    state: &AppState,
    viewer: &Actor,
    p: &Post,
    author: &Actor,
) -> Result<PostView, ApiError> {
    let fmt = |t: chrono::NaiveDateTime| {
        t.and_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    };
    Ok(PostView {
        id: p.id,
        uri: p.ap_id.clone(),
        url: p.url.clone(),
        author: ActorSummary::of(author),
        content: p.content_html.clone(),
        summary: p.summary.clone(),
        visibility: p.visibility.clone(),
        language: p.language.clone(),
        in_reply_to: p.in_reply_to_ap_id.clone(),
        tags: p.tags(),
        like_count: p.like_count,
        boost_count: p.announce_count,
        reply_count: p.reply_count,
        liked: posts::reacted(&state.core, posts::LIKE, viewer.id, p.id).await?,
        boosted: posts::reacted(&state.core, posts::ANNOUNCE, viewer.id, p.id).await?,
        created_at: fmt(p.published_at),
        edited_at: p.edited_at.map(fmt),
    })
}

async fn author_of(state: &AppState, p: &Post) -> Result<Actor, ApiError> {
    kogi_core::actors::find_by_id(&state.core, p.author_id)
        .await?
        .ok_or_else(ApiError::not_found)
}

/// Publish a post. It reaches exactly the followers (or, for `direct`, the mentioned) its
/// visibility allows, here and on other servers.
#[utoipa::path(post, path = "/api/kogi/v1/posts", tag = "posts", security(("bearer" = [])), request_body = NewPostBody,
    responses(
        (status = 201, description = "Published", body = PostView),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Empty, too long, unknown visibility or unknown parent", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(body): ApiJson<NewPostBody>,
) -> Result<(StatusCode, Json<PostView>), ApiError> {
    let visibility = match body.visibility.as_deref() {
        None => Visibility::Public,
        Some(v) => Visibility::parse(v).ok_or_else(|| {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body")
                .field("visibility")
                .detail("public, unlisted, followers or direct")
        })?,
    };
    let mut attachments = Vec::new();
    for m in body.media.unwrap_or_default() {
        // Only files this server stored through the media upload can be attached.
        let ok =
            m.id.strip_prefix("posts/")
                .is_some_and(|n| n.len() == 37 && n.ends_with(".webp"))
                && kogi_core::media::resolve(&state.core.config.media_dir(), &m.id)
                    .is_some_and(|p| p.is_file());
        if !ok || attachments.len() >= 4 {
            return Err(
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body")
                    .field("media")
                    .detail("unknown media id, or more than four"),
            );
        }
        attachments.push(posts::Attachment {
            url: format!("{}/media/{}", state.config.public_url, m.id),
            media_type: Some("image/webp".into()),
            description: m
                .description
                .filter(|d| !d.trim().is_empty())
                .map(|d| d.chars().take(1500).collect()),
        });
    }
    let draft = Draft {
        text: body.content,
        visibility,
        in_reply_to: body.in_reply_to,
        summary: body.summary,
        language: body.language,
        attachments,
    };
    let me = &user.person.actor;
    let post = state.fed.publish(me, draft).await.map_err(|e| match e {
        kogi_core::Error::Invalid {
            field: "in_reply_to",
            ..
        } => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body")
            .field("in_reply_to")
            .detail("no such post"),
        other => other.into(),
    })?;
    Ok((
        StatusCode::CREATED,
        Json(view(&state, me, &post, me).await?),
    ))
}

async fn load(state: &AppState, viewer: &Actor, id: i64) -> Result<Post, ApiError> {
    match posts::find(&state.core, id).await? {
        Some(p) if posts::can_view(&state.core, Some(viewer.id), &p).await? => Ok(p),
        _ => Err(ApiError::not_found()),
    }
}

/// A post, if you may see it.
#[utoipa::path(get, path = "/api/kogi/v1/posts/{id}", tag = "posts", security(("bearer" = [])), params(("id" = i64, Path)),
    responses(
        (status = 200, description = "The post", body = PostView),
        (status = 400, description = "Not a post number", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such post, or not visible to you", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<PostView>, ApiError> {
    let p = load(&state, &user.person.actor, id).await?;
    // The origin's counts are authoritative: refreshed in the background when the post is
    // viewed (throttled); the view shows what is stored.
    state.fed.refresh_counts_later(&p);
    let a = author_of(&state, &p).await?;
    Ok(Json(view(&state, &user.person.actor, &p, &a).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditBody {
    pub content: String,
}

/// Edit your post (sent as `Update`).
#[utoipa::path(patch, path = "/api/kogi/v1/posts/{id}", tag = "posts", security(("bearer" = [])), params(("id" = i64, Path)), request_body = EditBody,
    responses(
        (status = 200, description = "Edited", body = PostView),
        (status = 400, description = "Malformed", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not your post", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such post", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Empty or too long", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn edit(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<EditBody>,
) -> Result<Json<PostView>, ApiError> {
    let me = &user.person.actor;
    let p = load(&state, me, id).await?;
    let p = state.fed.edit(me, &p, &body.content).await?;
    Ok(Json(view(&state, me, &p, me).await?))
}

/// Delete your post (sent as `Delete`; its URL answers 410 afterwards).
#[utoipa::path(delete, path = "/api/kogi/v1/posts/{id}", tag = "posts", security(("bearer" = [])), params(("id" = i64, Path)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "Not a post number", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not your post", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such post", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    let p = load(&state, &user.person.actor, id).await?;
    state.fed.delete_post(&user.person.actor, &p).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn react(
    state: AppState,
    user: ApiUser,
    id: i64,
    kind: &str,
    on: bool,
) -> Result<Json<PostView>, ApiError> {
    let me = &user.person.actor;
    let p = load(&state, me, id).await?;
    if on {
        state.fed.react(me, &p, kind).await?;
    } else {
        state.fed.unreact(me, &p, kind).await?;
    }
    let p = posts::find(&state.core, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let a = author_of(&state, &p).await?;
    Ok(Json(view(&state, me, &p, &a).await?))
}

macro_rules! reaction_route {
    ($name:ident, $method:ident, $path:literal, $kind:expr, $on:expr, $desc:literal) => {
        #[doc = $desc]
        #[utoipa::path($method, path = $path, tag = "posts", security(("bearer" = [])), params(("id" = i64, Path)),
            responses(
                (status = 200, description = "The post with its counts", body = PostView),
                (status = 400, description = "Not a post number", body = Problem, content_type = "application/problem+json"),
                (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
                (status = 403, description = "Not boostable (followers-only or direct)", body = Problem, content_type = "application/problem+json"),
                (status = 404, description = "No such post", body = Problem, content_type = "application/problem+json"),
            ))]
        pub async fn $name(State(state): State<AppState>, user: ApiUser, ApiPath(id): ApiPath<i64>) -> Result<Json<PostView>, ApiError> {
            react(state, user, id, $kind, $on).await
        }
    };
}

reaction_route!(
    like,
    post,
    "/api/kogi/v1/posts/{id}/like",
    posts::LIKE,
    true,
    "Like a post (sent as `Like`)."
);
reaction_route!(
    unlike,
    delete,
    "/api/kogi/v1/posts/{id}/like",
    posts::LIKE,
    false,
    "Take a like back (`Undo(Like)`)."
);
reaction_route!(
    boost,
    post,
    "/api/kogi/v1/posts/{id}/boost",
    posts::ANNOUNCE,
    true,
    "Boost a post (sent as `Announce`)."
);
reaction_route!(
    unboost,
    delete,
    "/api/kogi/v1/posts/{id}/boost",
    posts::ANNOUNCE,
    false,
    "Take a boost back (`Undo(Announce)`)."
);

#[derive(Deserialize, utoipa::IntoParams)]
pub struct TimelineQuery {
    /// Posts older than this number.
    pub max_id: Option<i64>,
    /// At most this many (default 20, at most 40).
    pub limit: Option<i64>,
    /// Public timeline: only this server's posts.
    pub local: Option<bool>,
}

async fn page(
    state: &AppState,
    me: &Actor,
    rows: posts::Page,
) -> Result<Json<Vec<PostView>>, ApiError> {
    let mut out = Vec::with_capacity(rows.len());
    for (p, a) in rows {
        out.push(view(state, me, &p, &a).await?);
    }
    Ok(Json(out))
}

/// Your posts, posts of people you follow that you may see, and posts addressed to you.
#[utoipa::path(get, path = "/api/kogi/v1/timelines/home", tag = "posts", security(("bearer" = [])), params(TimelineQuery),
    responses(
        (status = 200, description = "Newest first", body = Vec<PostView>),
        (status = 400, description = "Bad query", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn home(
    State(state): State<AppState>,
    user: ApiUser,
    q: Result<Query<TimelineQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<PostView>>, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let me = &user.person.actor;
    let rows = posts::home_timeline(
        &state.core,
        me.id,
        q.max_id,
        q.limit.unwrap_or(20).clamp(1, 40),
    )
    .await?;
    page(&state, me, rows).await
}

/// Public posts: this server's (`local=true`) or every public post known here.
#[utoipa::path(get, path = "/api/kogi/v1/timelines/public", tag = "posts", security(("bearer" = [])), params(TimelineQuery),
    responses(
        (status = 200, description = "Newest first", body = Vec<PostView>),
        (status = 400, description = "Bad query", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn public(
    State(state): State<AppState>,
    user: ApiUser,
    q: Result<Query<TimelineQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<PostView>>, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let rows = posts::public_timeline(
        &state.core,
        q.local.unwrap_or(false),
        q.max_id,
        q.limit.unwrap_or(20).clamp(1, 40),
    )
    .await?;
    page(&state, &user.person.actor, rows).await
}

#[derive(Serialize, ToSchema)]
pub struct NotificationView {
    pub id: i64,
    /// `follow`, `follow_request`, `mention`, `reply`, `like` or `announce`.
    pub kind: String,
    pub actor: ActorSummary,
    /// The post concerned, by number.
    pub post_id: Option<i64>,
    pub created_at: String,
}

/// Your notifications, newest first.
#[utoipa::path(get, path = "/api/kogi/v1/notifications", tag = "posts", security(("bearer" = [])),
    responses(
        (status = 200, description = "Newest first (up to 100)", body = Vec<NotificationView>),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn notifications(
    State(state): State<AppState>,
    user: ApiUser,
) -> Result<Json<Vec<NotificationView>>, ApiError> {
    let rows = posts::notifications_for(&state.core, user.person.account.id, 100).await?;
    Ok(Json(
        rows.into_iter()
            .map(|(n, a)| NotificationView {
                id: n.id,
                kind: n.kind,
                actor: ActorSummary::of(&a),
                post_id: n.post_id,
                created_at: n
                    .created_at
                    .and_utc()
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            })
            .collect(),
    ))
}

/// This area's routes (JSON API, mounted under `/api/kogi/v1`); uploads carry their own body limit.
pub fn routes(state: &crate::app::AppState) -> axum::Router<crate::app::AppState> {
    use axum::routing::{get, post};
    use axum::Router;

    let uploads = Router::new()
        .route("/media", post(self::upload_media))
        .layer(axum::extract::DefaultBodyLimit::max(
            state.config.limits.upload_body_bytes,
        ));
    Router::new()
        .route("/posts", post(self::create))
        .route(
            "/posts/{id}",
            get(self::get).patch(self::edit).delete(self::delete),
        )
        .route("/posts/{id}/like", post(self::like).delete(self::unlike))
        .route("/posts/{id}/boost", post(self::boost).delete(self::unboost))
        .route("/timelines/home", get(self::home))
        .route("/timelines/public", get(self::public))
        .route("/notifications", get(self::notifications))
        .merge(uploads)
}
