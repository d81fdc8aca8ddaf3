//! The JSON API under `/api/kogi/v1`. Every error, axum's own rejections included, is
//! `application/problem+json`; the OpenAPI document is generated from these handlers.

mod accounts;
mod admin;
mod auth;
mod communities;
mod follows;
pub(crate) mod portfolios;
mod posts;

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::app::AppState;
use crate::error::{ApiError, Problem};

/// A JSON body whose rejections are problem documents.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !json_content_type(req.headers()) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
            )
            .detail("send the body as application/json"));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|r| {
                if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
                } else {
                    ApiError::bad_request(r.body_text())
                }
            })?;
        // NUL characters cannot be stored (PostgreSQL refuses them in text) and are never
        // meaningful in Kogi's fields.
        if crate::web::has_nul_json(&bytes) {
            return Err(
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body")
                    .detail("NUL characters are not allowed"),
            );
        }
        match Json::<T>::from_bytes(&bytes) {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(r) => Err(json_rejection(r)),
        }
    }
}

fn json_content_type(headers: &axum::http::HeaderMap) -> bool {
    let Some(ct) = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fn json_rejection(r: JsonRejection) -> ApiError {
    match r {
        JsonRejection::MissingJsonContentType(_) => {
            ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
                .detail("send the body as application/json")
        }
        JsonRejection::JsonSyntaxError(e) => {
            ApiError::new(StatusCode::BAD_REQUEST, "malformed_json").detail(e.body_text())
        }
        JsonRejection::JsonDataError(e) => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body").detail(e.body_text())
        }
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
        }
        other => ApiError::new(other.status(), "bad_request").detail(other.body_text()),
    }
}

/// A path parameter whose rejections are problem documents.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(ApiPath(v)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => {
                Err(ApiError::bad_request(e.body_text()))
            }
            Err(other) => {
                Err(ApiError::new(other.status(), "bad_request").detail(other.body_text()))
            }
        }
    }
}

/// The bytes of one file field of a multipart upload; every rejection is a problem document
/// (415 not multipart, 413 too large, 400 malformed or missing field).
pub async fn file_field(
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
    name: &str,
) -> Result<Vec<u8>, ApiError> {
    let mut multipart = multipart.map_err(|r| {
        ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            .detail(r.body_text())
    })?;
    let too_large = || ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    let mut bytes = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large()),
            Err(e) => return Err(ApiError::bad_request(e.body_text())),
        };
        if field.name() == Some(name) {
            let data = field.bytes().await.map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    too_large()
                } else {
                    ApiError::bad_request(e.body_text())
                }
            })?;
            bytes = Some(data.to_vec());
        }
    }
    bytes.ok_or_else(|| {
        ApiError::bad_request(format!("the form has no `{name}` file field")).field(name)
    })
}

async fn api_not_found() -> ApiError {
    ApiError::not_found().detail("no such API route")
}

async fn api_method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed")
}

pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi_json))
        .merge(admin::routes())
        .merge(accounts::routes(&state))
        .merge(auth::routes())
        .merge(follows::routes())
        .merge(posts::routes(&state))
        .merge(portfolios::routes(&state))
        .merge(communities::routes(&state))
        .fallback(api_not_found)
        .method_not_allowed_fallback(api_method_not_allowed)
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Kogi API", description = "Kogi's JSON API. Errors are application/problem+json documents whose `type` is stable per kind of problem."),
    paths(
        accounts::sign_up, accounts::confirm, accounts::request_reset, accounts::confirm_reset,
        accounts::me, accounts::update_me, accounts::put_avatar, accounts::delete_avatar,
        auth::create_token, auth::delete_current_token, auth::list_tokens, auth::delete_token,
        admin::pending, admin::approve, admin::settings, admin::put_setting, admin::queue, admin::retry_host, admin::blocked_instances,
        follows::follow, follows::unfollow, follows::list, follows::followers, follows::requests,
        follows::answer, follows::queue, follows::block, follows::unblock, follows::mute, follows::unmute,
        posts::create, posts::upload_media, posts::get, posts::edit, posts::delete, posts::like, posts::unlike, posts::boost,
        posts::unboost, posts::home, posts::public, posts::notifications,
        portfolios::explore, portfolios::create, portfolios::mine, portfolios::get, portfolios::update,
        portfolios::delete, portfolios::publish, portfolios::archive, portfolios::restore,
        portfolios::put_cover, portfolios::members, portfolios::put_member, portfolios::delete_member,
        portfolios::create_item, portfolios::get_item, portfolios::update_item, portfolios::delete_item,
        portfolios::publish_item, portfolios::archive_item, portfolios::restore_item, portfolios::add_media,
        portfolios::like_item, portfolios::unlike_item, portfolios::create_project, portfolios::get_project,
        portfolios::update_project, portfolios::delete_project, portfolios::put_project_member,
        portfolios::delete_project_member, portfolios::post_update, portfolios::watch, portfolios::unwatch,
        portfolios::message, portfolios::clone, portfolios::export, portfolios::import, portfolios::metrics,
        portfolios::bookmarks, portfolios::add_bookmark, portfolios::delete_bookmark, portfolios::folders,
        portfolios::list_types, portfolios::add_type, portfolios::remove_type, portfolios::list_templates,
        portfolios::add_template, portfolios::remove_template,
        communities::create, communities::get, communities::update, communities::put_avatar,
        communities::put_banner, communities::remove_member, communities::join, communities::leave, communities::members,
        communities::requests, communities::answer, communities::set_role, communities::ban,
        communities::threads, communities::post_thread, communities::thread, communities::comment,
        communities::remove, communities::lock, communities::pin, communities::vote, communities::report,
        communities::reports, communities::invite, communities::chat, communities::chat_post,
    ),
    components(schemas(Problem)),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
