//! Cloning, exporting and importing portfolios.

use super::*;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloneBody {
    /// The copy's handle.
    pub handle: String,
}

/// Copy a portfolio (owners) under a new handle, as a draft with no followers.
#[utoipa::path(post, path = "/api/kogi/v1/portfolios/{handle}/clone", tag = "portfolios", security(("bearer" = [])),
    params(("handle" = String, Path,)), request_body = CloneBody,
    responses((status = 201, description = "Copied", body = PortfolioView), Problems))]
pub async fn clone(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(handle): ApiPath<String>,
    ApiJson(body): ApiJson<CloneBody>,
) -> Result<(StatusCode, Json<PortfolioView>), ApiError> {
    let me = &user.person.actor;
    let p = local(&state, &handle, Some(me), Need::Own).await?;
    let copy = bundle::clone(&state.core, me, &p, &body.handle).await?;
    Ok((
        StatusCode::CREATED,
        Json(portfolio_view(&state, &copy, Some(me)).await?),
    ))
}

/// Download a portfolio as one zip (`portfolio.json` and its files), for import elsewhere.
#[utoipa::path(get, path = "/api/kogi/v1/portfolios/{handle}/export", tag = "portfolios", security(("bearer" = [])),
    params(("handle" = String, Path,)),
    responses((status = 200, description = "The archive", content_type = "application/zip", body = Vec<u8>), Problems))]
pub async fn export(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(handle): ApiPath<String>,
) -> Result<Response, ApiError> {
    let p = local(&state, &handle, Some(&user.person.actor), Need::Own).await?;
    let b = bundle::export(&state.core, &p).await?;
    let zip = tokio::task::spawn_blocking(move || bundle::to_zip(&b))
        .await
        .map_err(|e| ApiError::from(kogi_core::Error::Internal(e.to_string())))??;
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}.zip\"", p.actor.handle),
            ),
        ],
        zip,
    )
        .into_response())
}

/// Import a portfolio archive as a new draft portfolio you own (multipart: `file`, and an
/// optional `handle`; without one the archive's handle is used). Malformed, oversized,
/// path-traversing and zip-bomb archives are refused and nothing is written.
#[utoipa::path(post, path = "/api/kogi/v1/portfolios/import", tag = "portfolios", security(("bearer" = [])),
    request_body(content_type = "multipart/form-data", description = "`file` (zip) and an optional `handle`"),
    responses((status = 201, description = "Imported", body = PortfolioView), Problems))]
pub async fn import(
    State(state): State<AppState>,
    user: ApiUser,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(StatusCode, Json<PortfolioView>), ApiError> {
    let me = &user.person.actor;
    let (bytes, fields) = read_upload(multipart).await?;
    let max = state.core.config.portfolio_import_max_bytes;
    if bytes.len() > max {
        return Err(
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "archive_too_large").field("file"),
        );
    }
    let b = tokio::task::spawn_blocking(move || bundle::from_zip(&bytes, max))
        .await
        .map_err(|e| ApiError::from(kogi_core::Error::Internal(e.to_string())))??;
    let handle = fields
        .get("handle")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .map(str::to_string);
    let p = bundle::import(&state.core, me, b, handle).await?;
    Ok((
        StatusCode::CREATED,
        Json(portfolio_view(&state, &p, Some(me)).await?),
    ))
}
