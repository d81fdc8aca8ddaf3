//! Portfolios, their items, projects and team; following, watching, bookmarking and
//! messaging; templates, clones, export and import; owner metrics; and the admin's types and
//! templates.

mod audience;
mod export;
mod items;
mod members;
mod profile;
mod projects;
mod templates;
mod views;
pub use audience::*;
pub use export::*;
pub use items::*;
pub use members::*;
pub use profile::*;
pub use projects::*;
pub use templates::*;
pub use views::*;

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use kogi_core::accounts::{self, Actor, ProfileLink};
use kogi_core::portfolios::queries::{self, Need};
use kogi_core::portfolios::store::{self, ItemInput, PortfolioInput, ProjectInput};
use kogi_core::portfolios::{
    bundle, engagement, types, FieldDef, Item, Portfolio, Project, Role, Section, State as PState,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoResponses, ToSchema};

use crate::api::follows::ActorSummary;
use crate::api::{ApiJson, ApiPath};
use crate::app::AppState;
use crate::ctx::{ApiAdmin, ApiUser, MaybeApiUser};
use crate::error::{ApiError, Problem};

/// The problems any portfolio route may answer with.
#[allow(dead_code)]
#[derive(IntoResponses)]
pub enum Problems {
    #[response(
        status = 400,
        description = "Malformed request",
        content_type = "application/problem+json"
    )]
    BadRequest(Problem),
    #[response(
        status = 401,
        description = "No valid token",
        content_type = "application/problem+json"
    )]
    Unauthorized(Problem),
    #[response(
        status = 403,
        description = "Not allowed for your role",
        content_type = "application/problem+json"
    )]
    Forbidden(Problem),
    #[response(
        status = 404,
        description = "No such portfolio, item or project (or not visible to you)",
        content_type = "application/problem+json"
    )]
    NotFound(Problem),
    #[response(
        status = 405,
        description = "Method not allowed",
        content_type = "application/problem+json"
    )]
    MethodNotAllowed(Problem),
    #[response(
        status = 409,
        description = "The handle or name is taken",
        content_type = "application/problem+json"
    )]
    Conflict(Problem),
    #[response(
        status = 413,
        description = "Too large",
        content_type = "application/problem+json"
    )]
    TooLarge(Problem),
    #[response(
        status = 415,
        description = "Wrong content type",
        content_type = "application/problem+json"
    )]
    Unsupported(Problem),
    #[response(
        status = 422,
        description = "A field breaks a rule (the problem names it)",
        content_type = "application/problem+json"
    )]
    Invalid(Problem),
    #[response(
        status = 502,
        description = "Another server could not be reached",
        content_type = "application/problem+json"
    )]
    Unreachable(Problem),
}

fn iso(t: chrono::NaiveDateTime) -> String {
    t.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A local portfolio by handle, or a remote one by `handle@host` or URL (fetched when new).
async fn resolve(state: &AppState, reference: &str) -> Result<Portfolio, ApiError> {
    let reference = reference.trim().trim_start_matches('@');
    let local_host = state.core.config.host();
    let local_handle = match reference.split_once('@') {
        Some((h, host)) if host == local_host => Some(h),
        Some(_) => None,
        None if !reference.contains('/') => Some(reference),
        None => None,
    };
    if let Some(h) = local_handle {
        let p = queries::find_by_handle(&state.core, h)
            .await?
            .ok_or_else(ApiError::not_found)?;
        if p.is_deleted() {
            return Err(ApiError::new(StatusCode::NOT_FOUND, "not_found").detail("deleted"));
        }
        return Ok(p);
    }
    // A portfolio already known here is served as stored (its refresh runs in the
    // background); only an unknown one is looked up over the network.
    let actor = match state.fed.stored_actor(reference).await? {
        Some(a) => a,
        None => state
            .fed
            .resolve(reference)
            .await
            .map_err(|e| ApiError::remote(&e))?,
    };
    let p = queries::find_by_actor(&state.core, actor.id)
        .await?
        .ok_or_else(|| ApiError::not_found().detail("not a portfolio"))?;
    if p.is_deleted() {
        return Err(ApiError::not_found().detail("deleted"));
    }
    Ok(p)
}

/// A local portfolio and what the caller may do with it.
async fn local(
    state: &AppState,
    handle: &str,
    me: Option<&Actor>,
    need: Need,
) -> Result<Portfolio, ApiError> {
    let p = queries::find_by_handle(&state.core, handle)
        .await?
        .ok_or_else(ApiError::not_found)?;
    queries::authorize(&state.core, &p, me.map(|m| m.id), need).await?;
    Ok(p)
}

async fn local_item(state: &AppState, p: &Portfolio, id: i64) -> Result<Item, ApiError> {
    queries::item(&state.core, id)
        .await?
        .filter(|i| i.portfolio_id == p.id() && i.deleted_at.is_none())
        .ok_or_else(ApiError::not_found)
}

async fn local_project(state: &AppState, p: &Portfolio, id: i64) -> Result<Project, ApiError> {
    queries::project(&state.core, id)
        .await?
        .filter(|x| x.portfolio_id == p.id() && x.deleted_at.is_none())
        .ok_or_else(ApiError::not_found)
}

async fn person_by_username(state: &AppState, username: &str) -> Result<Actor, ApiError> {
    accounts::find_person(&state.core.db, username)
        .await?
        .map(|p| p.actor)
        .ok_or_else(|| ApiError::not_found().detail("no such person here"))
}

async fn read_upload(
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(Vec<u8>, Map<String, Value>), ApiError> {
    let mut multipart = multipart.map_err(|r| {
        ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            .detail(r.body_text())
    })?;
    let mut file = None;
    let mut fields = Map::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                ))
            }
            Err(e) => return Err(ApiError::bad_request(e.body_text())),
        };
        let name = field.name().unwrap_or("").to_string();
        let data = field.bytes().await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
            } else {
                ApiError::bad_request(e.body_text())
            }
        })?;
        if name == "file" {
            file = Some(data.to_vec());
        } else if !name.is_empty() {
            let text = String::from_utf8(data.to_vec())
                .map_err(|_| ApiError::bad_request("form fields must be UTF-8"))?;
            if text.contains('\0') {
                return Err(ApiError::bad_request("NUL characters are not allowed"));
            }
            fields.insert(name, Value::String(text));
        }
    }
    let file =
        file.ok_or_else(|| ApiError::bad_request("the form has no `file` field").field("file"))?;
    Ok((file, fields))
}

/// This area's routes (JSON API, mounted under `/api/kogi/v1`); uploads carry their own body limit.
pub fn routes(state: &crate::app::AppState) -> axum::Router<crate::app::AppState> {
    use axum::routing::{get, post, put};
    use axum::Router;

    let portfolio_uploads = Router::new()
        .route("/portfolios/import", post(self::import))
        .route("/portfolios/{handle}/cover", put(self::put_cover))
        .route(
            "/portfolios/{handle}/items/{id}/media",
            post(self::add_media),
        )
        .layer(axum::extract::DefaultBodyLimit::max(
            state
                .config
                .limits
                .portfolio_import_max_bytes
                .max(state.config.limits.portfolio_media_max_bytes)
                + (64 << 10),
        ));
    Router::new()
        .route("/portfolios", get(self::explore).post(self::create))
        .route("/portfolios/mine", get(self::mine))
        .route(
            "/portfolios/{portfolio}",
            get(self::get).patch(self::update).delete(self::delete),
        )
        .route("/portfolios/{handle}/publish", post(self::publish))
        .route("/portfolios/{handle}/archive", post(self::archive))
        .route("/portfolios/{handle}/restore", post(self::restore))
        .route("/portfolios/{handle}/members", get(self::members))
        .route(
            "/portfolios/{handle}/members/{username}",
            put(self::put_member).delete(self::delete_member),
        )
        .route("/portfolios/{handle}/items", post(self::create_item))
        .route(
            "/portfolios/{handle}/items/{id}",
            get(self::get_item)
                .patch(self::update_item)
                .delete(self::delete_item),
        )
        .route(
            "/portfolios/{handle}/items/{id}/publish",
            post(self::publish_item),
        )
        .route(
            "/portfolios/{handle}/items/{id}/archive",
            post(self::archive_item),
        )
        .route(
            "/portfolios/{handle}/items/{id}/restore",
            post(self::restore_item),
        )
        .route(
            "/portfolios/{portfolio}/items/{id}/like",
            post(self::like_item).delete(self::unlike_item),
        )
        .route("/portfolios/{handle}/projects", post(self::create_project))
        .route(
            "/portfolios/{handle}/projects/{id}",
            get(self::get_project)
                .patch(self::update_project)
                .delete(self::delete_project),
        )
        .route(
            "/portfolios/{handle}/projects/{id}/members/{username}",
            put(self::put_project_member).delete(self::delete_project_member),
        )
        .route(
            "/portfolios/{handle}/projects/{id}/updates",
            post(self::post_update),
        )
        .route(
            "/portfolios/{handle}/watch",
            post(self::watch).delete(self::unwatch),
        )
        .route("/portfolios/{portfolio}/message", post(self::message))
        .route("/portfolios/{handle}/clone", post(self::clone))
        .route("/portfolios/{handle}/export", get(self::export))
        .route("/portfolios/{handle}/metrics", get(self::metrics))
        .route("/bookmarks", get(self::bookmarks).post(self::add_bookmark))
        .route("/bookmarks/folders", get(self::folders))
        .route(
            "/bookmarks/{id}",
            axum::routing::delete(self::delete_bookmark),
        )
        .route("/portfolio-types", get(self::list_types))
        .route("/portfolio-templates", get(self::list_templates))
        .route("/admin/portfolio-types", post(self::add_type))
        .route(
            "/admin/portfolio-types/{name}",
            axum::routing::delete(self::remove_type),
        )
        .route("/admin/portfolio-templates", post(self::add_template))
        .route(
            "/admin/portfolio-templates/{name}",
            axum::routing::delete(self::remove_template),
        )
        .merge(portfolio_uploads)
}
