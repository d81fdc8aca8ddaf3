//! A community itself: creating, reading, editing, its avatar and banner.

use super::*;

/// Start a community (you are its owner).
#[utoipa::path(post, path = "/api/kogi/v1/communities", tag = "communities", security(("bearer" = [])), request_body = CommunityInput,
    responses((status = 201, description = "Created", body = CommunityView), Problems))]
pub async fn create(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(body): ApiJson<CommunityInput>,
) -> Result<(StatusCode, Json<CommunityView>), ApiError> {
    let me = &user.person.actor;
    let c = store::create(&state.core, me, body).await?;
    Ok((StatusCode::CREATED, Json(view(&state, &c, Some(me)).await?)))
}

/// A community here or on another server.
#[utoipa::path(get, path = "/api/kogi/v1/communities/{community}", tag = "communities",
    params(("community" = String, Path, description = "A local handle, `name@host`, `!name@host` or a URL")),
    responses((status = 200, description = "The community", body = CommunityView), Problems))]
pub async fn get(
    State(state): State<AppState>,
    user: MaybeApiUser,
    ApiPath(reference): ApiPath<String>,
) -> Result<Json<CommunityView>, ApiError> {
    let me = user.0.as_ref().map(|u| &u.person.actor);
    let c = resolve(&state, &reference).await?;
    // A public community of another server with no thread here: its outbox is read in the
    // background, for signed-in callers only.
    state
        .fed
        .backfill_later(&c, kogi_federation::refresh::Viewer::of(me.is_some()));
    Ok(Json(view(&state, &c, me).await?))
}

/// Edit a community's profile (owners and moderators): only the fields given change; the
/// handle cannot. Members' servers get `Update` of the group.
#[utoipa::path(patch, path = "/api/kogi/v1/communities/{community}", tag = "communities", security(("bearer" = [])),
    params(("community" = String, Path, description = "A local handle")), request_body = CommunityInput,
    responses((status = 200, description = "Updated", body = CommunityView), Problems))]
pub async fn update(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(handle): ApiPath<String>,
    ApiJson(mut body): ApiJson<CommunityInput>,
) -> Result<Json<CommunityView>, ApiError> {
    let me = &user.person.actor;
    let c = moderated(&state, &handle, me).await?;
    if let Some(list) = body.portfolios.take() {
        body.portfolios = Some(state.fed.portfolio_urls(&list).await?);
    }
    let c = store::update(&state.core, &c, body).await?;
    Ok(Json(view(&state, &c, Some(me)).await?))
}

pub(crate) async fn put_picture(
    state: AppState,
    user: ApiUser,
    handle: String,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
    which: store::Picture,
) -> Result<Json<CommunityView>, ApiError> {
    let me = &user.person.actor;
    let c = moderated(&state, &handle, me).await?;
    let field = match which {
        store::Picture::Avatar => "avatar",
        store::Picture::Banner => "banner",
    };
    let bytes = crate::api::file_field(multipart, field).await?;
    let webp = store::prepare_picture(&state.core, which, bytes).await?;
    let c = store::set_picture(&state.core, &c, which, Some(webp)).await?;
    Ok(Json(view(&state, &c, Some(me)).await?))
}

/// Upload the community's avatar (owners and moderators; multipart field `avatar`: PNG,
/// JPEG, WebP or GIF). Re-encoded to a 400×400 WebP; members' servers get `Update`.
#[utoipa::path(put, path = "/api/kogi/v1/communities/{community}/avatar", tag = "communities", security(("bearer" = [])),
    params(("community" = String, Path, description = "A local handle")),
    request_body(content_type = "multipart/form-data", description = "A form with one file field `avatar`"),
    responses((status = 200, description = "Updated", body = CommunityView), Problems,
        (status = 415, description = "Not multipart", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn put_avatar(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(handle): ApiPath<String>,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Json<CommunityView>, ApiError> {
    put_picture(state, user, handle, multipart, store::Picture::Avatar).await
}

/// Upload the community's banner (owners and moderators; multipart field `banner`). Re-encoded
/// to a WebP of at most 2048 px per side; members' servers get `Update`.
#[utoipa::path(put, path = "/api/kogi/v1/communities/{community}/banner", tag = "communities", security(("bearer" = [])),
    params(("community" = String, Path, description = "A local handle")),
    request_body(content_type = "multipart/form-data", description = "A form with one file field `banner`"),
    responses((status = 200, description = "Updated", body = CommunityView), Problems,
        (status = 415, description = "Not multipart", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn put_banner(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(handle): ApiPath<String>,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Json<CommunityView>, ApiError> {
    put_picture(state, user, handle, multipart, store::Picture::Banner).await
}
