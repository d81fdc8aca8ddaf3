//! A portfolio itself: exploring, creating, reading, editing, its lifecycle and cover.

use super::*;

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ExploreQuery {
    /// A portfolio type.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// A tag.
    pub tag: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct PortfolioSummary {
    pub id: i64,
    pub uri: String,
    pub handle: String,
    pub title: String,
    pub summary: String,
    pub portfolio_type: String,
    pub tags: Vec<String>,
    pub state: String,
    pub local: bool,
}

pub(crate) fn summary_of(p: &Portfolio) -> PortfolioSummary {
    PortfolioSummary {
        id: p.id(),
        uri: p.actor.ap_id.clone(),
        handle: format!("{}@{}", p.actor.handle, p.actor.host),
        title: p.title().to_string(),
        summary: p.actor.summary.clone(),
        portfolio_type: p.row.portfolio_type.clone(),
        tags: p.tags(),
        state: p.row.state.clone(),
        local: p.row.local,
    }
}

/// Public portfolios, newest first, optionally of one type and with one tag.
#[utoipa::path(get, path = "/api/kogi/v1/portfolios", tag = "portfolios", params(ExploreQuery),
    responses((status = 200, description = "Portfolios", body = Vec<PortfolioSummary>), Problems))]
pub async fn explore(
    State(state): State<AppState>,
    q: Result<Query<ExploreQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<PortfolioSummary>>, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let list = queries::explore(
        &state.core,
        q.kind.as_deref().filter(|k| !k.is_empty()),
        q.tag.as_deref().filter(|t| !t.is_empty()),
        q.limit.unwrap_or(40).clamp(1, 200),
        q.offset.unwrap_or(0).max(0),
    )
    .await?;
    Ok(Json(list.iter().map(summary_of).collect()))
}

/// Start a portfolio (a draft until published). `template` fills its type and sections.
#[utoipa::path(post, path = "/api/kogi/v1/portfolios", tag = "portfolios", security(("bearer" = [])), request_body = PortfolioInput,
    responses((status = 201, description = "Created", body = PortfolioView), Problems))]
pub async fn create(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(body): ApiJson<PortfolioInput>,
) -> Result<(StatusCode, Json<PortfolioView>), ApiError> {
    let me = &user.person.actor;
    let p = store::create(&state.core, me, body).await?;
    Ok((
        StatusCode::CREATED,
        Json(portfolio_view(&state, &p, Some(me)).await?),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct MinePortfolio {
    pub portfolio: PortfolioSummary,
    pub role: String,
}

/// The portfolios you are on the team of, with your role.
#[utoipa::path(get, path = "/api/kogi/v1/portfolios/mine", tag = "portfolios", security(("bearer" = [])),
    responses((status = 200, description = "Yours", body = Vec<MinePortfolio>), Problems))]
pub async fn mine(
    State(state): State<AppState>,
    user: ApiUser,
) -> Result<Json<Vec<MinePortfolio>>, ApiError> {
    let list = queries::mine(&state.core, user.person.actor.id).await?;
    Ok(Json(
        list.iter()
            .map(|(p, r)| MinePortfolio {
                portfolio: summary_of(p),
                role: r.as_str().to_string(),
            })
            .collect(),
    ))
}

/// A portfolio here (by handle) or elsewhere (`handle@host` or its URL), with the items and
/// projects you may see.
#[utoipa::path(get, path = "/api/kogi/v1/portfolios/{portfolio}", tag = "portfolios",
    params(("portfolio" = String, Path, description = "A local handle, `handle@host`, or a URL")),
    responses((status = 200, description = "The portfolio", body = PortfolioView), Problems))]
pub async fn get(
    State(state): State<AppState>,
    user: MaybeApiUser,
    ApiPath(reference): ApiPath<String>,
) -> Result<Json<PortfolioView>, ApiError> {
    let me = user.0.as_ref().map(|u| &u.person.actor);
    let p = resolve(&state, &reference).await?;
    if p.row.local {
        queries::authorize(&state.core, &p, me.map(|m| m.id), Need::See).await?;
    } else {
        // Another server's portfolio: shown as stored, refreshed in the background for
        // signed-in callers (kogi_federation::refresh).
        state
            .fed
            .refresh_portfolio_later(&p, kogi_federation::refresh::Viewer::of(me.is_some()))
            .await;
    }
    let p = queries::find(&state.core, p.id())
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(portfolio_view(&state, &p, me).await?))
}

/// Edit a portfolio (owners and editors). Followers get an `Update`.
#[utoipa::path(patch, path = "/api/kogi/v1/portfolios/{handle}", tag = "portfolios", security(("bearer" = [])), request_body = PortfolioInput,
    params(("handle" = String, Path,)),
    responses((status = 200, description = "Edited", body = PortfolioView), Problems))]
pub async fn update(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(handle): ApiPath<String>,
    ApiJson(body): ApiJson<PortfolioInput>,
) -> Result<Json<PortfolioView>, ApiError> {
    let me = &user.person.actor;
    let p = local(&state, &handle, Some(me), Need::Edit).await?;
    let p = store::update(&state.core, &p, body).await?;
    Ok(Json(portfolio_view(&state, &p, Some(me)).await?))
}

/// Delete a portfolio for good (owners). Other servers are told; its URL answers 410 and the
/// handle stays reserved.
#[utoipa::path(delete, path = "/api/kogi/v1/portfolios/{handle}", tag = "portfolios", security(("bearer" = [])),
    params(("handle" = String, Path,)),
    responses((status = 204, description = "Deleted"), Problems))]
pub async fn delete(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(handle): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    let p = local(&state, &handle, Some(&user.person.actor), Need::Own).await?;
    store::mark_deleted(&state.core, &p).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn lifecycle(
    state: AppState,
    user: ApiUser,
    handle: String,
    to: PState,
) -> Result<Json<PortfolioView>, ApiError> {
    let me = &user.person.actor;
    let p = local(&state, &handle, Some(me), Need::Own).await?;
    let p = store::set_state(&state.core, &p, to).await?;
    Ok(Json(portfolio_view(&state, &p, Some(me)).await?))
}

/// Publish a draft portfolio (owners): it becomes followable and its published items go out.
#[utoipa::path(post, path = "/api/kogi/v1/portfolios/{handle}/publish", tag = "portfolios", security(("bearer" = [])),
    params(("handle" = String, Path,)), responses((status = 200, description = "Published", body = PortfolioView), Problems))]
pub async fn publish(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(handle): ApiPath<String>,
) -> Result<Json<PortfolioView>, ApiError> {
    lifecycle(state, user, handle, PState::Published).await
}

/// Archive a published portfolio (owners); followers see `kogi:archived`.
#[utoipa::path(post, path = "/api/kogi/v1/portfolios/{handle}/archive", tag = "portfolios", security(("bearer" = [])),
    params(("handle" = String, Path,)), responses((status = 200, description = "Archived", body = PortfolioView), Problems))]
pub async fn archive(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(handle): ApiPath<String>,
) -> Result<Json<PortfolioView>, ApiError> {
    lifecycle(state, user, handle, PState::Archived).await
}

/// Restore an archived portfolio (owners).
#[utoipa::path(post, path = "/api/kogi/v1/portfolios/{handle}/restore", tag = "portfolios", security(("bearer" = [])),
    params(("handle" = String, Path,)), responses((status = 200, description = "Restored", body = PortfolioView), Problems))]
pub async fn restore(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(handle): ApiPath<String>,
) -> Result<Json<PortfolioView>, ApiError> {
    lifecycle(state, user, handle, PState::Published).await
}

/// Set the cover image (multipart field `file`: PNG, JPEG, WebP or GIF; re-encoded to WebP).
#[utoipa::path(put, path = "/api/kogi/v1/portfolios/{handle}/cover", tag = "portfolios", security(("bearer" = [])),
    params(("handle" = String, Path,)),
    request_body(content_type = "multipart/form-data", description = "A form with one file field `file`"),
    responses((status = 200, description = "Stored", body = PortfolioView), Problems))]
pub async fn put_cover(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(handle): ApiPath<String>,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Json<PortfolioView>, ApiError> {
    let me = &user.person.actor;
    let p = local(&state, &handle, Some(me), Need::Edit).await?;
    let (bytes, _) = read_upload(multipart).await?;
    let max = state.core.config.portfolio_media_max_bytes;
    let dir = state.core.config.media_dir();
    let path = tokio::task::spawn_blocking(move || -> kogi_core::Result<String> {
        let webp = kogi_core::media::process_post_image(&bytes, max)
            .map_err(|_| kogi_core::Error::invalid("file", "file_invalid"))?;
        kogi_core::media::store(&dir, "covers", "webp", &webp)
    })
    .await
    .map_err(|e| ApiError::from(kogi_core::Error::Internal(e.to_string())))??;
    let p = store::set_cover(&state.core, &p, Some(path)).await?;
    Ok(Json(portfolio_view(&state, &p, Some(me)).await?))
}
