//! Portfolios, their items, projects and team; following, watching, bookmarking and
//! messaging; templates, clones, export and import; owner metrics; and the admin's types and
//! templates.

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

use super::follows::ActorSummary;
use super::{ApiJson, ApiPath};
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

#[derive(Serialize, ToSchema)]
pub struct MemberView {
    pub person: ActorSummary,
    /// `owner`, `editor` or `viewer`.
    pub role: String,
}

#[derive(Serialize, ToSchema)]
pub struct MediaView {
    pub url: String,
    pub media_type: String,
    /// `Image`, `Document`, `Audio` or `Video`.
    pub kind: String,
    pub description: String,
}

#[derive(Serialize, ToSchema)]
pub struct ItemView {
    pub id: i64,
    /// The ActivityPub id (also the item's page).
    pub uri: String,
    pub title: String,
    pub description: String,
    pub role: String,
    pub client: String,
    pub skills: Vec<String>,
    pub started_on: Option<String>,
    pub ended_on: Option<String>,
    pub video_url: Option<String>,
    pub external_url: Option<String>,
    pub position: i32,
    pub featured: bool,
    pub visibility: String,
    /// `draft`, `published` or `archived`.
    pub state: String,
    pub section: Option<String>,
    #[schema(value_type = Object)]
    pub fields: Map<String, Value>,
    pub media: Vec<MediaView>,
    pub like_count: i32,
    /// Whether you like it.
    pub liked: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ProjectView {
    pub id: i64,
    pub uri: String,
    pub title: String,
    pub description: String,
    pub status: String,
    pub goals: Vec<String>,
    #[schema(value_type = Object)]
    pub data: Map<String, Value>,
    #[schema(value_type = Vec<Object>)]
    pub links: Vec<ProfileLink>,
    pub visibility: String,
    pub members: Vec<MemberView>,
}

#[derive(Serialize, ToSchema)]
pub struct PortfolioView {
    pub id: i64,
    /// The ActivityPub id (also the portfolio's page).
    pub uri: String,
    /// `handle@host`.
    pub handle: String,
    pub local: bool,
    pub title: String,
    pub summary: String,
    pub portfolio_type: String,
    pub tags: Vec<String>,
    #[schema(value_type = Vec<Object>)]
    pub links: Vec<ProfileLink>,
    pub visibility: String,
    /// `draft`, `published` or `archived`.
    pub state: String,
    pub cover_url: Option<String>,
    #[schema(value_type = Object)]
    pub fields: Map<String, Value>,
    #[schema(value_type = Vec<Object>)]
    pub sections: Vec<Section>,
    pub template: Option<String>,
    /// The team (local portfolios; shown to everyone who can see the portfolio).
    pub members: Vec<MemberView>,
    /// Owner ids as the origin names them (remote portfolios).
    pub owners: Vec<String>,
    /// Your role, if you are on the team.
    pub my_role: Option<String>,
    pub following: bool,
    pub watching: bool,
    pub followers: i64,
    pub items: Vec<ItemView>,
    pub projects: Vec<ProjectView>,
    pub created_at: String,
}

async fn item_view(
    state: &AppState,
    item: &Item,
    me: Option<&Actor>,
) -> Result<ItemView, ApiError> {
    let base = &state.config.public_url;
    let (likes, liked) = match item.post_id {
        Some(pid) => match kogi_core::posts::find(&state.core, pid).await? {
            Some(post) => (
                post.like_count,
                match me {
                    Some(m) => {
                        kogi_core::posts::reacted(&state.core, kogi_core::posts::LIKE, m.id, pid)
                            .await?
                    }
                    None => false,
                },
            ),
            None => (0, false),
        },
        None => (0, false),
    };
    Ok(ItemView {
        id: item.id,
        uri: item.ap_id.clone(),
        title: item.title.clone(),
        description: item.description.clone(),
        role: item.role.clone(),
        client: item.client.clone(),
        skills: item.skills(),
        started_on: item.started_on.clone(),
        ended_on: item.ended_on.clone(),
        video_url: item.video_url.clone(),
        external_url: item.external_url.clone(),
        position: item.position,
        featured: item.featured,
        visibility: item.visibility.clone(),
        state: item.state.clone(),
        section: item.section.clone(),
        fields: item.fields(),
        media: item
            .media()
            .into_iter()
            .filter_map(|m| {
                Some(MediaView {
                    url: m
                        .path
                        .as_ref()
                        .map(|p| format!("{base}/media/{p}"))
                        .or(m.url.clone())?,
                    media_type: m.media_type,
                    kind: m.kind,
                    description: m.description,
                })
            })
            .collect(),
        like_count: likes,
        liked,
    })
}

async fn project_view(state: &AppState, project: &Project) -> Result<ProjectView, ApiError> {
    let members = queries::project_members(&state.core, project.id)
        .await?
        .into_iter()
        .map(|(role, a)| MemberView {
            person: ActorSummary::of(&a),
            role,
        })
        .collect();
    Ok(ProjectView {
        id: project.id,
        uri: project.ap_id.clone(),
        title: project.title.clone(),
        description: project.description.clone(),
        status: project.status.clone(),
        goals: project.goals(),
        data: project.data(),
        links: project.links(),
        visibility: project.visibility.clone(),
        members,
    })
}

async fn portfolio_view(
    state: &AppState,
    p: &Portfolio,
    me: Option<&Actor>,
) -> Result<PortfolioView, ApiError> {
    let core = &state.core;
    let v = queries::viewer(core, p, me.map(|m| m.id), false).await?;
    let mut items = Vec::new();
    for item in queries::items(core, p.id()).await? {
        let visible = if p.row.local {
            v.may_see(item.visibility(), item.state())
        } else {
            true
        };
        if visible {
            items.push(item_view(state, &item, me).await?);
        }
    }
    let mut projects = Vec::new();
    for project in queries::projects(core, p.id()).await? {
        if !p.row.local || v.may_see(project.visibility(), PState::Published) {
            projects.push(project_view(state, &project).await?);
        }
    }
    let members = queries::members(core, p.id())
        .await?
        .into_iter()
        .map(|(m, a)| MemberView {
            person: ActorSummary::of(&a),
            role: m.role,
        })
        .collect();
    let (following, watching) = match me {
        Some(m) => (
            kogi_core::follows::find(core, m.id, p.actor.id)
                .await?
                .is_some_and(|f| f.state == kogi_core::follows::ACCEPTED),
            engagement::is_watching(core, p.id(), m.id).await?,
        ),
        None => (false, false),
    };
    let (followers, _) = kogi_core::follows::counts(core, p.actor.id).await?;
    Ok(PortfolioView {
        id: p.id(),
        uri: p.actor.ap_id.clone(),
        handle: format!("{}@{}", p.actor.handle, p.actor.host),
        local: p.row.local,
        title: p.title().to_string(),
        summary: p.actor.summary.clone(),
        portfolio_type: p.row.portfolio_type.clone(),
        tags: p.tags(),
        links: p.links(),
        visibility: p.row.visibility.clone(),
        state: p.row.state.clone(),
        cover_url: p
            .row
            .cover_path
            .as_ref()
            .map(|c| format!("{}/media/{c}", state.config.public_url))
            .or(p.row.cover_url.clone()),
        fields: p.fields(),
        sections: p.sections(),
        template: p.row.template.clone(),
        members,
        owners: p.owner_ids(),
        my_role: v.role.map(|r| r.as_str().to_string()),
        following,
        watching,
        followers,
        items,
        projects,
        created_at: iso(p.row.created_at),
    })
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

fn summary_of(p: &Portfolio) -> PortfolioSummary {
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
    state.fed.announce_portfolio(&p).await?;
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
    state.fed.delete_portfolio(&p).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn lifecycle(
    state: AppState,
    user: ApiUser,
    handle: String,
    to: PState,
) -> Result<Json<PortfolioView>, ApiError> {
    let me = &user.person.actor;
    let p = local(&state, &handle, Some(me), Need::Own).await?;
    let p = state.fed.set_portfolio_state(&p, to).await?;
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
    state.fed.announce_portfolio(&p).await?;
    Ok(Json(portfolio_view(&state, &p, Some(me)).await?))
}

/// The team (anyone who may see the portfolio).
#[utoipa::path(get, path = "/api/kogi/v1/portfolios/{handle}/members", tag = "portfolios",
    params(("handle" = String, Path,)), responses((status = 200, description = "The team", body = Vec<MemberView>), Problems))]
pub async fn members(
    State(state): State<AppState>,
    user: MaybeApiUser,
    ApiPath(handle): ApiPath<String>,
) -> Result<Json<Vec<MemberView>>, ApiError> {
    let me = user.0.as_ref().map(|u| &u.person.actor);
    let p = local(&state, &handle, me, Need::See).await?;
    Ok(Json(
        queries::members(&state.core, p.id())
            .await?
            .into_iter()
            .map(|(m, a)| MemberView {
                person: ActorSummary::of(&a),
                role: m.role,
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleBody {
    /// `owner`, `editor` or `viewer`.
    pub role: String,
}

/// Add a local person to the team or change their role (owners).
#[utoipa::path(put, path = "/api/kogi/v1/portfolios/{handle}/members/{username}", tag = "portfolios", security(("bearer" = [])),
    params(("handle" = String, Path,), ("username" = String, Path,)), request_body = RoleBody,
    responses((status = 200, description = "The team", body = Vec<MemberView>), Problems))]
pub async fn put_member(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath((handle, username)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<RoleBody>,
) -> Result<Json<Vec<MemberView>>, ApiError> {
    let p = local(&state, &handle, Some(&user.person.actor), Need::Own).await?;
    let role = Role::parse(body.role.trim())
        .ok_or_else(|| ApiError::from(kogi_core::Error::invalid("role", "role_invalid")))?;
    let person = person_by_username(&state, &username).await?;
    store::set_member(&state.core, &p, &person, role).await?;
    members(State(state), MaybeApiUser(Some(user)), ApiPath(handle)).await
}

/// Remove someone from the team (owners; the last owner stays).
#[utoipa::path(delete, path = "/api/kogi/v1/portfolios/{handle}/members/{username}", tag = "portfolios", security(("bearer" = [])),
    params(("handle" = String, Path,), ("username" = String, Path,)),
    responses((status = 204, description = "Removed"), Problems))]
pub async fn delete_member(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath((handle, username)): ApiPath<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let p = local(&state, &handle, Some(&user.person.actor), Need::Own).await?;
    let person = person_by_username(&state, &username).await?;
    if !store::remove_member(&state.core, &p, person.id).await? {
        return Err(ApiError::not_found().detail("not on the team"));
    }
    Ok(StatusCode::NO_CONTENT)
}

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
    let item = if item.state() != PState::Draft {
        state.fed.sync_item(&p, &item, true).await?
    } else {
        item
    };
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
    state.fed.delete_item(&p, &item).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn item_state(
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
    let item = state.fed.sync_item(&p, &item, true).await?;
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
    let item = if item.state() != PState::Draft {
        state.fed.sync_item(&p, &item, true).await?
    } else {
        item
    };
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

async fn react_item(
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

/// Add a project (owners and editors).
#[utoipa::path(post, path = "/api/kogi/v1/portfolios/{handle}/projects", tag = "portfolios", security(("bearer" = [])),
    params(("handle" = String, Path,)), request_body = ProjectInput,
    responses((status = 201, description = "Added", body = ProjectView), Problems))]
pub async fn create_project(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(handle): ApiPath<String>,
    ApiJson(body): ApiJson<ProjectInput>,
) -> Result<(StatusCode, Json<ProjectView>), ApiError> {
    let p = local(&state, &handle, Some(&user.person.actor), Need::Edit).await?;
    let project = store::create_project(&state.core, &p, body).await?;
    Ok((
        StatusCode::CREATED,
        Json(project_view(&state, &project).await?),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct ProjectPage {
    pub project: ProjectView,
    pub updates: Vec<UpdateView>,
}

#[derive(Serialize, ToSchema)]
pub struct UpdateView {
    pub id: i64,
    pub uri: String,
    /// Sanitised HTML.
    pub content: String,
    pub created_at: String,
}

/// A project with its updates, if you may see it.
#[utoipa::path(get, path = "/api/kogi/v1/portfolios/{handle}/projects/{id}", tag = "portfolios",
    params(("handle" = String, Path,), ("id" = i64, Path,)),
    responses((status = 200, description = "The project", body = ProjectPage), Problems))]
pub async fn get_project(
    State(state): State<AppState>,
    user: MaybeApiUser,
    ApiPath((handle, id)): ApiPath<(String, i64)>,
) -> Result<Json<ProjectPage>, ApiError> {
    let me = user.0.as_ref().map(|u| &u.person.actor);
    let p = local(&state, &handle, me, Need::See).await?;
    let v = queries::viewer(&state.core, &p, me.map(|m| m.id), false).await?;
    let project = local_project(&state, &p, id).await?;
    if !v.may_see(project.visibility(), PState::Published) {
        return Err(ApiError::not_found());
    }
    let mut updates = Vec::new();
    for post in queries::project_updates(&state.core, &project.ap_id).await? {
        if kogi_core::posts::can_view(&state.core, me.map(|m| m.id), &post).await?
            || v.role.is_some()
        {
            updates.push(UpdateView {
                id: post.id,
                uri: post.ap_id.clone(),
                content: post.content_html.clone(),
                created_at: iso(post.published_at),
            });
        }
    }
    Ok(Json(ProjectPage {
        project: project_view(&state, &project).await?,
        updates,
    }))
}

/// Edit a project (owners and editors).
#[utoipa::path(patch, path = "/api/kogi/v1/portfolios/{handle}/projects/{id}", tag = "portfolios", security(("bearer" = [])),
    params(("handle" = String, Path,), ("id" = i64, Path,)), request_body = ProjectInput,
    responses((status = 200, description = "Edited", body = ProjectView), Problems))]
pub async fn update_project(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath((handle, id)): ApiPath<(String, i64)>,
    ApiJson(body): ApiJson<ProjectInput>,
) -> Result<Json<ProjectView>, ApiError> {
    let p = local(&state, &handle, Some(&user.person.actor), Need::Edit).await?;
    let project = local_project(&state, &p, id).await?;
    let project = store::update_project(&state.core, &project, body).await?;
    Ok(Json(project_view(&state, &project).await?))
}

/// Delete a project (owners and editors).
#[utoipa::path(delete, path = "/api/kogi/v1/portfolios/{handle}/projects/{id}", tag = "portfolios", security(("bearer" = [])),
    params(("handle" = String, Path,), ("id" = i64, Path,)),
    responses((status = 204, description = "Deleted"), Problems))]
pub async fn delete_project(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath((handle, id)): ApiPath<(String, i64)>,
) -> Result<StatusCode, ApiError> {
    let p = local(&state, &handle, Some(&user.person.actor), Need::Edit).await?;
    let project = local_project(&state, &p, id).await?;
    store::delete_project(&state.core, &project).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Put a local person on a project's team, with what they do there (owners and editors).
#[utoipa::path(put, path = "/api/kogi/v1/portfolios/{handle}/projects/{id}/members/{username}", tag = "portfolios", security(("bearer" = [])),
    params(("handle" = String, Path,), ("id" = i64, Path,), ("username" = String, Path,)), request_body = RoleBody,
    responses((status = 200, description = "The project", body = ProjectView), Problems))]
pub async fn put_project_member(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath((handle, id, username)): ApiPath<(String, i64, String)>,
    ApiJson(body): ApiJson<RoleBody>,
) -> Result<Json<ProjectView>, ApiError> {
    let p = local(&state, &handle, Some(&user.person.actor), Need::Edit).await?;
    let project = local_project(&state, &p, id).await?;
    let person = person_by_username(&state, &username).await?;
    store::set_project_member(&state.core, &project, &person, &body.role).await?;
    Ok(Json(project_view(&state, &project).await?))
}

/// Take someone off a project's team (owners and editors).
#[utoipa::path(delete, path = "/api/kogi/v1/portfolios/{handle}/projects/{id}/members/{username}", tag = "portfolios", security(("bearer" = [])),
    params(("handle" = String, Path,), ("id" = i64, Path,), ("username" = String, Path,)),
    responses((status = 204, description = "Removed"), Problems))]
pub async fn delete_project_member(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath((handle, id, username)): ApiPath<(String, i64, String)>,
) -> Result<StatusCode, ApiError> {
    let p = local(&state, &handle, Some(&user.person.actor), Need::Edit).await?;
    let project = local_project(&state, &p, id).await?;
    let person = person_by_username(&state, &username).await?;
    if !store::remove_project_member(&state.core, &project, person.id).await? {
        return Err(ApiError::not_found().detail("not on the project"));
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TextBody {
    /// Plain text; `#tags` and URLs become links.
    pub content: String,
}

/// Post an update of a project (owners and editors): shown on the project page and sent to
/// the portfolio's followers as a `Note` (to the team only when the project is members-only).
#[utoipa::path(post, path = "/api/kogi/v1/portfolios/{handle}/projects/{id}/updates", tag = "portfolios", security(("bearer" = [])),
    params(("handle" = String, Path,), ("id" = i64, Path,)), request_body = TextBody,
    responses((status = 201, description = "Posted", body = UpdateView), Problems))]
pub async fn post_update(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath((handle, id)): ApiPath<(String, i64)>,
    ApiJson(body): ApiJson<TextBody>,
) -> Result<(StatusCode, Json<UpdateView>), ApiError> {
    let p = local(&state, &handle, Some(&user.person.actor), Need::Edit).await?;
    let project = local_project(&state, &p, id).await?;
    let post = state
        .fed
        .post_project_update(&p, &project, &body.content)
        .await?;
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

async fn bookmark_target(
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

#[derive(Serialize, Deserialize, ToSchema)]
pub struct TypeView {
    pub name: String,
    pub label: String,
    #[schema(value_type = Vec<Object>)]
    pub fields: Vec<FieldDef>,
    #[serde(default)]
    pub builtin: bool,
}

/// Portfolio types: the built-in ones and the admin's.
#[utoipa::path(get, path = "/api/kogi/v1/portfolio-types", tag = "portfolios",
    responses((status = 200, description = "Types", body = Vec<TypeView>), Problems))]
pub async fn list_types(State(state): State<AppState>) -> Result<Json<Vec<TypeView>>, ApiError> {
    Ok(Json(
        types::list_types(&state.core)
            .await?
            .into_iter()
            .map(|t| TypeView {
                name: t.name,
                label: t.label,
                fields: t.fields,
                builtin: t.builtin,
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTypeBody {
    /// `[a-z0-9_]{1,30}`, not a built-in type.
    pub name: String,
    pub label: String,
    /// `[{name, kind: text|number|date|url|choice, choices, required}]`.
    #[schema(value_type = Vec<Object>)]
    pub fields: Vec<FieldDef>,
}

/// Define a portfolio type (admins).
#[utoipa::path(post, path = "/api/kogi/v1/admin/portfolio-types", tag = "admin", security(("bearer" = [])), request_body = NewTypeBody,
    responses((status = 201, description = "Defined", body = TypeView), Problems))]
pub async fn add_type(
    State(state): State<AppState>,
    _admin: ApiAdmin,
    ApiJson(body): ApiJson<NewTypeBody>,
) -> Result<(StatusCode, Json<TypeView>), ApiError> {
    let t = types::add_type(&state.core, &body.name, &body.label, body.fields).await?;
    Ok((
        StatusCode::CREATED,
        Json(TypeView {
            name: t.name,
            label: t.label,
            fields: t.fields,
            builtin: false,
        }),
    ))
}

/// Remove a portfolio type (admins; portfolios of that type keep it).
#[utoipa::path(delete, path = "/api/kogi/v1/admin/portfolio-types/{name}", tag = "admin", security(("bearer" = [])),
    params(("name" = String, Path,)), responses((status = 204, description = "Removed"), Problems))]
pub async fn remove_type(
    State(state): State<AppState>,
    _admin: ApiAdmin,
    ApiPath(name): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    if !types::remove_type(&state.core, &name).await? {
        return Err(ApiError::not_found());
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateView {
    /// `[a-z0-9_]{1,30}`.
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub portfolio_type: String,
    /// `[{name, fields: [{name, kind, choices, required}]}]`.
    #[schema(value_type = Vec<Object>)]
    pub sections: Vec<Section>,
}

/// Templates to start a portfolio from.
#[utoipa::path(get, path = "/api/kogi/v1/portfolio-templates", tag = "portfolios",
    responses((status = 200, description = "Templates", body = Vec<TemplateView>), Problems))]
pub async fn list_templates(
    State(state): State<AppState>,
) -> Result<Json<Vec<TemplateView>>, ApiError> {
    Ok(Json(
        types::list_templates(&state.core)
            .await?
            .into_iter()
            .map(|t| TemplateView {
                name: t.name,
                description: t.description,
                portfolio_type: t.portfolio_type,
                sections: t.sections,
            })
            .collect(),
    ))
}

/// Define a template (admins).
#[utoipa::path(post, path = "/api/kogi/v1/admin/portfolio-templates", tag = "admin", security(("bearer" = [])), request_body = TemplateView,
    responses((status = 201, description = "Defined", body = TemplateView), Problems))]
pub async fn add_template(
    State(state): State<AppState>,
    _admin: ApiAdmin,
    ApiJson(body): ApiJson<TemplateView>,
) -> Result<(StatusCode, Json<TemplateView>), ApiError> {
    let t = types::add_template(
        &state.core,
        types::Template {
            name: body.name,
            description: body.description,
            portfolio_type: body.portfolio_type,
            sections: body.sections,
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(TemplateView {
            name: t.name,
            description: t.description,
            portfolio_type: t.portfolio_type,
            sections: t.sections,
        }),
    ))
}

/// Remove a template (admins).
#[utoipa::path(delete, path = "/api/kogi/v1/admin/portfolio-templates/{name}", tag = "admin", security(("bearer" = [])),
    params(("name" = String, Path,)), responses((status = 204, description = "Removed"), Problems))]
pub async fn remove_template(
    State(state): State<AppState>,
    _admin: ApiAdmin,
    ApiPath(name): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    if !types::remove_template(&state.core, &name).await? {
        return Err(ApiError::not_found());
    }
    Ok(StatusCode::NO_CONTENT)
}
