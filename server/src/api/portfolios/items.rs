//! A portfolio's items: writing them, their lifecycle, media and likes.

use super::*;

/// Add an item (a draft; publish it to send it to followers). Owners and editors.
#[utoipa::path(post, path = "/api/kogi/v1/portfolios/{handle}/items", tag = "portfolios", security(("bearer" = [])),
    params(("handle" = String, Path,)), request_body = ItemInput,
    responses((status = 201, description = "Added", body = ItemView), Problems))]
pub async fn create_item(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(handle): ApiPath<String>,
    ApiJson(body): ApiJson<ItemInput>,
) -> Result<(StatusCode, Json<ItemView>), ApiError> {
    let me = &user.person.actor;
    let p = local(&state, &handle, Some(me), Need::Edit).await?;
    let item = store::create_item(&state.core, &p, body).await?;
    Ok((
        StatusCode::CREATED,
        Json(item_view(&state, &item, Some(me)).await?),
    ))
}

/// An item, if you may see it.
#[utoipa::path(get, path = "/api/kogi/v1/portfolios/{handle}/items/{id}", tag = "portfolios",
    params(("handle" = String, Path,), ("id" = i64, Path,)),
    responses((status = 200, description = "The item", body = ItemView), Problems))]
pub async fn get_item(
    State(state): State<AppState>,
    user: MaybeApiUser,
    ApiPath((handle, id)): ApiPath<(String, i64)>,
) -> Result<Json<ItemView>, ApiError> {
    let me = user.0.as_ref().map(|u| &u.person.actor);
    let p = local(&state, &handle, me, Need::See).await?;
    let v = queries::viewer(&state.core, &p, me.map(|m| m.id), false).await?;
    let item = local_item(&state, &p, id).await?;
    if !v.may_see(item.visibility(), item.state()) {
        return Err(ApiError::not_found());
    }
    Ok(Json(item_view(&state, &item, me).await?))
}

/// Edit an item (owners and editors); a published item's followers get an `Update`.
#[utoipa::path(patch, path = "/api/kogi/v1/portfolios/{handle}/items/{id}", tag = "portfolios", security(("bearer" = [])),
    params(("handle" = String, Path,), ("id" = i64, Path,)), request_body = ItemInput,
    responses((status = 200, description = "Edited", body = ItemView), Problems))]
pub async fn update_item(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath((handle, id)): ApiPath<(String, i64)>,
    ApiJson(body): ApiJson<ItemInput>,
) -> Result<Json<ItemView>, ApiError> {
    let me = &user.person.actor;
    let p = local(&state, &handle, Some(me), Need::Edit).await?;
    let item = local_item(&state, &p, id).await?;
    let item = store::update_item(&state.core, &p, &item, body).await?;
    Ok(Json(item_view(&state, &item, Some(me)).await?))
}

/// Delete an item for good (owners and editors); its URL answers 410.
#[utoipa::path(delete, path = "/api/kogi/v1/portfolios/{handle}/items/{id}", tag = "portfolios", security(("bearer" = [])),
    params(("handle" = String, Path,), ("id" = i64, Path,)),
    responses((status = 204, description = "Deleted"), Problems))]
pub async fn delete_item(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath((handle, id)): ApiPath<(String, i64)>,
) -> Result<StatusCode, ApiError> {
    let p = local(&state, &handle, Some(&user.person.actor), Need::Edit).await?;
    let item = local_item(&state, &p, id).await?;
    store::delete_item(&state.core, &item).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn item_state(
    state: AppState,
    user: ApiUser,
    handle: String,
    id: i64,
    to: PState,
) -> Result<Json<ItemView>, ApiError> {
    let me = &user.person.actor;
    let p = local(&state, &handle, Some(me), Need::Edit).await?;
    let item = local_item(&state, &p, id).await?;
    let item = store::set_item_state(&state.core, &item, to).await?;
    Ok(Json(item_view(&state, &item, Some(me)).await?))
}

/// Publish an item: followers get a `Create` (members-only items reach the team only).
#[utoipa::path(post, path = "/api/kogi/v1/portfolios/{handle}/items/{id}/publish", tag = "portfolios", security(("bearer" = [])),
    params(("handle" = String, Path,), ("id" = i64, Path,)), responses((status = 200, description = "Published", body = ItemView), Problems))]
pub async fn publish_item(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath((handle, id)): ApiPath<(String, i64)>,
) -> Result<Json<ItemView>, ApiError> {
    item_state(state, user, handle, id, PState::Published).await
}

/// Archive an item: followers get an `Update` with `kogi:archived`.
#[utoipa::path(post, path = "/api/kogi/v1/portfolios/{handle}/items/{id}/archive", tag = "portfolios", security(("bearer" = [])),
    params(("handle" = String, Path,), ("id" = i64, Path,)), responses((status = 200, description = "Archived", body = ItemView), Problems))]
pub async fn archive_item(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath((handle, id)): ApiPath<(String, i64)>,
) -> Result<Json<ItemView>, ApiError> {
    item_state(state, user, handle, id, PState::Archived).await
}

/// Restore an archived item.
#[utoipa::path(post, path = "/api/kogi/v1/portfolios/{handle}/items/{id}/restore", tag = "portfolios", security(("bearer" = [])),
    params(("handle" = String, Path,), ("id" = i64, Path,)), responses((status = 200, description = "Restored", body = ItemView), Problems))]
pub async fn restore_item(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath((handle, id)): ApiPath<(String, i64)>,
) -> Result<Json<ItemView>, ApiError> {
    item_state(state, user, handle, id, PState::Published).await
}

/// Attach a file to an item (multipart: `file` — an image (re-encoded to WebP), PDF, audio or
/// video — and an optional `description`, its alt text or caption).
#[utoipa::path(post, path = "/api/kogi/v1/portfolios/{handle}/items/{id}/media", tag = "portfolios", security(("bearer" = [])),
    params(("handle" = String, Path,), ("id" = i64, Path,)),
    request_body(content_type = "multipart/form-data", description = "`file` and an optional `description`"),
    responses((status = 201, description = "Attached", body = ItemView), Problems))]
pub async fn add_media(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath((handle, id)): ApiPath<(String, i64)>,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(StatusCode, Json<ItemView>), ApiError> {
    let me = &user.person.actor;
    let p = local(&state, &handle, Some(me), Need::Edit).await?;
    let item = local_item(&state, &p, id).await?;
    let (bytes, fields) = read_upload(multipart).await?;
    let mut media = item.media();
    if media.len() >= bundle::ITEM_MEDIA_MAX {
        return Err(kogi_core::Error::invalid("file", "too_many_files").into());
    }
    let description = fields
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let max = state.core.config.portfolio_media_max_bytes;
    let core = state.core.clone();
    let stored = tokio::task::spawn_blocking(
        move || -> kogi_core::Result<kogi_core::portfolios::ItemMedia> {
            let file = bundle::process_item_file(&bytes, max)?;
            bundle::store_item_file(&core, &file, &description)
        },
    )
    .await
    .map_err(|e| ApiError::from(kogi_core::Error::Internal(e.to_string())))??;
    media.push(stored);
    let item = store::set_item_media(&state.core, item.id, &media).await?;
    Ok((
        StatusCode::CREATED,
        Json(item_view(&state, &item, Some(me)).await?),
    ))
}

/// Like an item (its federated copy; the origin counts).
#[utoipa::path(post, path = "/api/kogi/v1/portfolios/{portfolio}/items/{id}/like", tag = "portfolios", security(("bearer" = [])),
    params(("portfolio" = String, Path, description = "A local handle or `handle@host`"), ("id" = i64, Path, description = "The item's number on this server")),
    responses((status = 200, description = "Liked", body = ItemView), Problems))]
pub async fn like_item(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath((reference, id)): ApiPath<(String, i64)>,
) -> Result<Json<ItemView>, ApiError> {
    react_item(state, user, reference, id, true).await
}

/// Take back a like.
#[utoipa::path(delete, path = "/api/kogi/v1/portfolios/{portfolio}/items/{id}/like", tag = "portfolios", security(("bearer" = [])),
    params(("portfolio" = String, Path,), ("id" = i64, Path,)),
    responses((status = 200, description = "Not liked", body = ItemView), Problems))]
pub async fn unlike_item(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath((reference, id)): ApiPath<(String, i64)>,
) -> Result<Json<ItemView>, ApiError> {
    react_item(state, user, reference, id, false).await
}

pub(crate) async fn react_item(
    state: AppState,
    user: ApiUser,
    reference: String,
    id: i64,
    on: bool,
) -> Result<Json<ItemView>, ApiError> {
    let me = &user.person.actor;
    let p = resolve(&state, &reference).await?;
    let v = queries::authorize(&state.core, &p, Some(me.id), Need::See).await?;
    let item = local_item(&state, &p, id).await?;
    if p.row.local && !v.may_see(item.visibility(), item.state()) {
        return Err(ApiError::not_found());
    }
    let post = match item.post_id {
        Some(pid) => kogi_core::posts::find(&state.core, pid).await?,
        None => None,
    }
    .filter(|x| x.deleted_at.is_none())
    .ok_or_else(|| ApiError::from(kogi_core::Error::invalid("item", "not_published")))?;
    if on {
        state.fed.react(me, &post, kogi_core::posts::LIKE).await?;
    } else {
        state.fed.unreact(me, &post, kogi_core::posts::LIKE).await?;
    }
    let item = local_item(&state, &p, id).await?;
    Ok(Json(item_view(&state, &item, Some(me)).await?))
}
