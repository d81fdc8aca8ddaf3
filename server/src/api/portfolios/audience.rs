//! Watching, messaging and bookmarking portfolios, and the owner's metrics.

use super::*;

#[derive(Serialize, ToSchema)]
pub struct Done {
    pub ok: bool,
}

/// Watch a portfolio: a notification on every new or edited item and project update.
#[utoipa::path(post, path = "/api/kogi/v1/portfolios/{handle}/watch", tag = "portfolios", security(("bearer" = [])),
    params(("handle" = String, Path,)), responses((status = 200, description = "Watching", body = Done), Problems))]
pub async fn watch(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(handle): ApiPath<String>,
) -> Result<Json<Done>, ApiError> {
    let me = &user.person.actor;
    let p = local(&state, &handle, Some(me), Need::See).await?;
    engagement::watch(&state.core, p.id(), me.id, true).await?;
    Ok(Json(Done { ok: true }))
}

/// Stop watching.
#[utoipa::path(delete, path = "/api/kogi/v1/portfolios/{handle}/watch", tag = "portfolios", security(("bearer" = [])),
    params(("handle" = String, Path,)), responses((status = 200, description = "Not watching", body = Done), Problems))]
pub async fn unwatch(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(handle): ApiPath<String>,
) -> Result<Json<Done>, ApiError> {
    let me = &user.person.actor;
    let p = local(&state, &handle, Some(me), Need::See).await?;
    engagement::watch(&state.core, p.id(), me.id, false).await?;
    Ok(Json(Done { ok: true }))
}

/// Send a direct message to every owner of a portfolio, here or on another server.
#[utoipa::path(post, path = "/api/kogi/v1/portfolios/{portfolio}/message", tag = "portfolios", security(("bearer" = [])),
    params(("portfolio" = String, Path, description = "A local handle, `handle@host`, or a URL")), request_body = TextBody,
    responses((status = 201, description = "Sent", body = UpdateView), Problems))]
pub async fn message(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(reference): ApiPath<String>,
    ApiJson(body): ApiJson<TextBody>,
) -> Result<(StatusCode, Json<UpdateView>), ApiError> {
    let me = &user.person.actor;
    let p = resolve(&state, &reference).await?;
    queries::authorize(&state.core, &p, Some(me.id), Need::See).await?;
    let post = state.fed.message_owners(me, &p, &body.content).await?;
    Ok((
        StatusCode::CREATED,
        Json(UpdateView {
            id: post.id,
            uri: post.ap_id.clone(),
            content: post.content_html.clone(),
            created_at: iso(post.published_at),
        }),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct DayCountView {
    pub day: String,
    pub count: i64,
}

#[derive(Serialize, ToSchema)]
pub struct ItemLikesView {
    pub item_id: i64,
    pub title: String,
    pub likes: i64,
}

#[derive(Serialize, ToSchema)]
pub struct MetricsView {
    /// Page views by other people per day (bots excluded), the last 30 days.
    pub views: Vec<DayCountView>,
    /// Followers at the end of each of the last 30 days.
    pub followers: Vec<DayCountView>,
    pub likes: Vec<ItemLikesView>,
}

/// The owner's numbers (owners and editors).
#[utoipa::path(get, path = "/api/kogi/v1/portfolios/{handle}/metrics", tag = "portfolios", security(("bearer" = [])),
    params(("handle" = String, Path,)), responses((status = 200, description = "Metrics", body = MetricsView), Problems))]
pub async fn metrics(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(handle): ApiPath<String>,
) -> Result<Json<MetricsView>, ApiError> {
    let p = local(&state, &handle, Some(&user.person.actor), Need::Edit).await?;
    let m = engagement::metrics(&state.core, &p, 30).await?;
    let days = |v: Vec<engagement::DayCount>| {
        v.into_iter()
            .map(|d| DayCountView {
                day: d.day,
                count: d.count,
            })
            .collect()
    };
    Ok(Json(MetricsView {
        views: days(m.views),
        followers: days(m.followers),
        likes: m
            .likes
            .into_iter()
            .map(|l| ItemLikesView {
                item_id: l.item_id,
                title: l.title,
                likes: l.likes,
            })
            .collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookmarkBody {
    /// The folder's name (made when new).
    pub folder: String,
    /// `portfolio`, `item` or `project`.
    pub kind: String,
    /// The portfolio's, item's or project's number on this server.
    pub id: i64,
}

#[derive(Serialize, ToSchema)]
pub struct BookmarkView {
    pub id: i64,
    pub folder: String,
    pub kind: String,
    pub target_id: i64,
    pub title: String,
    pub uri: String,
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct FolderQuery {
    /// Only this folder.
    pub folder: Option<String>,
}

pub(crate) async fn bookmark_target(
    state: &AppState,
    me: &Actor,
    kind: &str,
    id: i64,
) -> Result<(String, String), ApiError> {
    let core = &state.core;
    let (p, title, uri, vis) = match kind {
        "portfolio" => {
            let p = queries::find(core, id)
                .await?
                .ok_or_else(ApiError::not_found)?;
            let (t, u) = (p.title().to_string(), p.actor.ap_id.clone());
            (p, t, u, None)
        }
        "item" => {
            let i = queries::item(core, id)
                .await?
                .filter(|i| i.deleted_at.is_none())
                .ok_or_else(ApiError::not_found)?;
            let p = queries::find(core, i.portfolio_id)
                .await?
                .ok_or_else(ApiError::not_found)?;
            (
                p,
                i.title.clone(),
                i.ap_id.clone(),
                Some((i.visibility(), i.state())),
            )
        }
        "project" => {
            let x = queries::project(core, id)
                .await?
                .filter(|x| x.deleted_at.is_none())
                .ok_or_else(ApiError::not_found)?;
            let p = queries::find(core, x.portfolio_id)
                .await?
                .ok_or_else(ApiError::not_found)?;
            (
                p,
                x.title.clone(),
                x.ap_id.clone(),
                Some((x.visibility(), PState::Published)),
            )
        }
        _ => return Err(kogi_core::Error::invalid("kind", "kind_invalid").into()),
    };
    let v = queries::authorize(core, &p, Some(me.id), Need::See).await?;
    if let Some((vis, st)) = vis {
        if p.row.local && !v.may_see(vis, st) {
            return Err(ApiError::not_found());
        }
    }
    Ok((title, uri))
}

/// Your bookmarks, newest first (optionally one folder's).
#[utoipa::path(get, path = "/api/kogi/v1/bookmarks", tag = "portfolios", security(("bearer" = [])), params(FolderQuery),
    responses((status = 200, description = "Bookmarks", body = Vec<BookmarkView>), Problems))]
pub async fn bookmarks(
    State(state): State<AppState>,
    user: ApiUser,
    q: Result<Query<FolderQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<BookmarkView>>, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let me = &user.person.actor;
    let mut out = Vec::new();
    for b in engagement::bookmarks(&state.core, me.id, q.folder.as_deref()).await? {
        // Things that were deleted or hidden since are left out.
        if let Ok((title, uri)) = bookmark_target(&state, me, &b.target_kind, b.target_id).await {
            out.push(BookmarkView {
                id: b.id,
                folder: b.folder,
                kind: b.target_kind,
                target_id: b.target_id,
                title,
                uri,
            });
        }
    }
    Ok(Json(out))
}

/// Bookmark a portfolio, item or project into a named folder.
#[utoipa::path(post, path = "/api/kogi/v1/bookmarks", tag = "portfolios", security(("bearer" = [])), request_body = BookmarkBody,
    responses((status = 201, description = "Bookmarked", body = BookmarkView), Problems))]
pub async fn add_bookmark(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(body): ApiJson<BookmarkBody>,
) -> Result<(StatusCode, Json<BookmarkView>), ApiError> {
    let me = &user.person.actor;
    let (title, uri) = bookmark_target(&state, me, &body.kind, body.id).await?;
    engagement::bookmark(&state.core, me.id, &body.folder, &body.kind, body.id).await?;
    let b = engagement::bookmarks(&state.core, me.id, Some(&body.folder))
        .await?
        .into_iter()
        .find(|b| b.target_kind == body.kind && b.target_id == body.id)
        .ok_or_else(ApiError::not_found)?;
    Ok((
        StatusCode::CREATED,
        Json(BookmarkView {
            id: b.id,
            folder: b.folder,
            kind: b.target_kind,
            target_id: b.target_id,
            title,
            uri,
        }),
    ))
}

/// Remove a bookmark.
#[utoipa::path(delete, path = "/api/kogi/v1/bookmarks/{id}", tag = "portfolios", security(("bearer" = [])),
    params(("id" = i64, Path,)), responses((status = 204, description = "Removed"), Problems))]
pub async fn delete_bookmark(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    if !engagement::unbookmark(&state.core, user.person.actor.id, id).await? {
        return Err(ApiError::not_found());
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct FolderView {
    pub id: i64,
    pub name: String,
    pub count: i64,
}

/// Your bookmark folders.
#[utoipa::path(get, path = "/api/kogi/v1/bookmarks/folders", tag = "portfolios", security(("bearer" = [])),
    responses((status = 200, description = "Folders", body = Vec<FolderView>), Problems))]
pub async fn folders(
    State(state): State<AppState>,
    user: ApiUser,
) -> Result<Json<Vec<FolderView>>, ApiError> {
    Ok(Json(
        engagement::folders(&state.core, user.person.actor.id)
            .await?
            .into_iter()
            .map(|f| FolderView {
                id: f.id,
                name: f.name,
                count: f.count,
            })
            .collect(),
    ))
}
