//! Following people on this and other servers, and answering follow requests.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use kogi_core::accounts::Actor;
use kogi_core::blocks::actions as blocks;
use kogi_federation::client::FetchError;
use kogi_federation::follows::FollowState;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ApiJson;
use crate::app::AppState;
use crate::ctx::{ApiAdmin, ApiUser};
use crate::error::{ApiError, Problem};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowBody {
    /// `@user@host`, `user@host`, or an actor URL.
    pub target: String,
}

/// An actor as the API shows it.
#[derive(Serialize, ToSchema)]
pub struct ActorSummary {
    /// The ActivityPub id.
    pub id: String,
    /// `user@host`.
    pub handle: String,
    pub display_name: String,
    pub local: bool,
}

impl ActorSummary {
    pub fn of(a: &Actor) -> ActorSummary {
        ActorSummary {
            id: a.ap_id.clone(),
            handle: format!("{}@{}", a.handle, a.host),
            display_name: a.name().to_string(),
            local: a.local,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct FollowResult {
    /// `following`, or `requested` until the other side accepts.
    pub state: String,
    pub target: ActorSummary,
}

fn fetch_error(e: FetchError) -> ApiError {
    match e {
        FetchError::Refused(_) => ApiError::remote(&e).field("target"),
        e => ApiError::remote(&e),
    }
}

/// Follow someone here or on another server. Remote follows stay `requested` until the other
/// server accepts.
#[utoipa::path(post, path = "/api/kogi/v1/follows", tag = "follows", security(("bearer" = [])), request_body = FollowBody,
    responses(
        (status = 200, description = "Following or requested", body = FollowResult),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "There is a block between you", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a handle or URL", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "The other server could not be reached", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn follow(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(body): ApiJson<FollowBody>,
) -> Result<Json<FollowResult>, ApiError> {
    let target = state.fed.resolve(&body.target).await.map_err(fetch_error)?;
    if target.id == user.person.actor.id {
        return Err(
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body")
                .field("target")
                .detail("you cannot follow yourself"),
        );
    }
    let s = kogi_core::follows::actions::follow(&state.core, &user.person.actor, &target).await?;
    let state_name = match s {
        FollowState::Following => "following",
        FollowState::Requested => "requested",
    };
    Ok(Json(FollowResult {
        state: state_name.into(),
        target: ActorSummary::of(&target),
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct TargetQuery {
    /// `@user@host`, `user@host`, or an actor URL.
    pub target: String,
}

/// Stop following someone (or withdraw a request).
#[utoipa::path(delete, path = "/api/kogi/v1/follows", tag = "follows", security(("bearer" = [])), params(TargetQuery),
    responses(
        (status = 204, description = "No longer following"),
        (status = 400, description = "Missing target", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not following that account", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a handle or URL", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "The other server could not be reached", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn unfollow(
    State(state): State<AppState>,
    user: ApiUser,
    q: Result<Query<TargetQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<StatusCode, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let target = state.fed.resolve(&q.target).await.map_err(fetch_error)?;
    if kogi_core::follows::actions::unfollow(&state.core, &user.person.actor, &target).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found().detail("not following that account"))
    }
}

#[derive(Serialize, ToSchema)]
pub struct Following {
    pub state: String,
    pub target: ActorSummary,
}

/// Everyone you follow or asked to follow.
#[utoipa::path(get, path = "/api/kogi/v1/follows", tag = "follows", security(("bearer" = [])),
    responses(
        (status = 200, description = "Newest first", body = Vec<Following>),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list(
    State(state): State<AppState>,
    user: ApiUser,
) -> Result<Json<Vec<Following>>, ApiError> {
    let rows = kogi_core::follows::outgoing(&state.core, user.person.actor.id).await?;
    Ok(Json(
        rows.into_iter()
            .map(|(a, s)| Following {
                state: if s == "accepted" {
                    "following".into()
                } else {
                    "requested".into()
                },
                target: ActorSummary::of(&a),
            })
            .collect(),
    ))
}

/// Your followers (accepted).
#[utoipa::path(get, path = "/api/kogi/v1/followers", tag = "follows", security(("bearer" = [])),
    responses(
        (status = 200, description = "Newest first (up to 200)", body = Vec<ActorSummary>),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn followers(
    State(state): State<AppState>,
    user: ApiUser,
) -> Result<Json<Vec<ActorSummary>>, ApiError> {
    let rows = kogi_core::follows::followers(
        &state.core,
        user.person.actor.id,
        kogi_core::follows::ACCEPTED,
        0,
        200,
    )
    .await?;
    Ok(Json(rows.iter().map(ActorSummary::of).collect()))
}

/// Follow requests waiting for your answer (when your account is locked).
#[utoipa::path(get, path = "/api/kogi/v1/follow-requests", tag = "follows", security(("bearer" = [])),
    responses(
        (status = 200, description = "Oldest last", body = Vec<ActorSummary>),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn requests(
    State(state): State<AppState>,
    user: ApiUser,
) -> Result<Json<Vec<ActorSummary>>, ApiError> {
    let rows = kogi_core::follows::followers(
        &state.core,
        user.person.actor.id,
        kogi_core::follows::PENDING,
        0,
        200,
    )
    .await?;
    Ok(Json(rows.iter().map(ActorSummary::of).collect()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerBody {
    /// The requesting actor's id (as listed by `GET /follow-requests`).
    pub actor: String,
    /// `true` to approve, `false` to reject.
    pub approve: bool,
}

/// Approve or reject a follow request.
#[utoipa::path(post, path = "/api/kogi/v1/follow-requests/answer", tag = "follows", security(("bearer" = [])), request_body = AnswerBody,
    responses(
        (status = 204, description = "Answered"),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such request", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Wrong fields", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn answer(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(body): ApiJson<AnswerBody>,
) -> Result<StatusCode, ApiError> {
    let follower = kogi_core::actors::find_by_ap_id(&state.core, &body.actor)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let pending = kogi_core::follows::find(&state.core, follower.id, user.person.actor.id).await?;
    if pending
        .map(|f| f.state != kogi_core::follows::PENDING)
        .unwrap_or(true)
    {
        return Err(ApiError::not_found().detail("no such follow request"));
    }
    kogi_core::follows::actions::answer_request(
        &state.core,
        &user.person.actor,
        &follower,
        body.approve,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct QueueStats {
    /// Deliveries waiting to be sent or retried.
    pub pending: i64,
    pub done: i64,
    pub failed: i64,
    pub expired: i64,
}

/// The delivery queue, for operators and tests that wait until every instance is quiet.
#[utoipa::path(get, path = "/api/kogi/v1/admin/federation/queue", tag = "admin", security(("bearer" = [])),
    responses(
        (status = 200, description = "Counts by state", body = QueueStats),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn queue(
    State(state): State<AppState>,
    _admin: ApiAdmin,
) -> Result<Json<QueueStats>, ApiError> {
    let counts = kogi_core::deliveries::counts(&state.core).await?;
    let get = |s: &str| {
        counts
            .iter()
            .find(|(k, _)| k == s)
            .map(|(_, n)| *n)
            .unwrap_or(0)
    };
    Ok(Json(QueueStats {
        pending: get("pending"),
        done: get("done"),
        failed: get("failed"),
        expired: get("expired"),
    }))
}

async fn block_or_mute(
    state: &AppState,
    user: &ApiUser,
    target: &str,
    kind: &str,
    on: bool,
) -> Result<StatusCode, ApiError> {
    let target = state.fed.resolve(target).await.map_err(fetch_error)?;
    if target.id == user.person.actor.id {
        return Err(
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body")
                .field("target")
                .detail("that is you"),
        );
    }
    let me = &user.person.actor;
    let changed = match (kind, on) {
        (kogi_core::blocks::BLOCK, true) => blocks::block(&state.core, me, &target).await?,
        (kogi_core::blocks::BLOCK, false) => blocks::unblock(&state.core, me, &target).await?,
        (_, true) => blocks::mute(&state.core, me, &target).await?,
        (_, false) => blocks::unmute(&state.core, me, &target).await?,
    };
    if !on && !changed {
        return Err(ApiError::not_found().detail("nothing to undo"));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Block someone: follows between you end both ways, their posts and notifications are
/// hidden from you, and their server is told (`Block`).
#[utoipa::path(post, path = "/api/kogi/v1/blocks", tag = "follows", security(("bearer" = [])), request_body = FollowBody,
    responses(
        (status = 204, description = "Blocked"),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a handle or URL", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "The other server could not be reached", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn block(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(body): ApiJson<FollowBody>,
) -> Result<StatusCode, ApiError> {
    block_or_mute(&state, &user, &body.target, kogi_core::blocks::BLOCK, true).await
}

/// Lift a block (`Undo(Block)`).
#[utoipa::path(delete, path = "/api/kogi/v1/blocks", tag = "follows", security(("bearer" = [])), params(TargetQuery),
    responses(
        (status = 204, description = "Unblocked"),
        (status = 400, description = "Missing target", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not blocked", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a handle or URL", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "The other server could not be reached", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn unblock(
    State(state): State<AppState>,
    user: ApiUser,
    q: Result<Query<TargetQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<StatusCode, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::bad_request(e.body_text()))?;
    block_or_mute(&state, &user, &q.target, kogi_core::blocks::BLOCK, false).await
}

/// Mute someone: their posts and notifications are hidden from you (nothing is sent).
#[utoipa::path(post, path = "/api/kogi/v1/mutes", tag = "follows", security(("bearer" = [])), request_body = FollowBody,
    responses(
        (status = 204, description = "Muted"),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a handle or URL", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "The other server could not be reached", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn mute(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(body): ApiJson<FollowBody>,
) -> Result<StatusCode, ApiError> {
    block_or_mute(&state, &user, &body.target, kogi_core::blocks::MUTE, true).await
}

/// Unmute someone.
#[utoipa::path(delete, path = "/api/kogi/v1/mutes", tag = "follows", security(("bearer" = [])), params(TargetQuery),
    responses(
        (status = 204, description = "Unmuted"),
        (status = 400, description = "Missing target", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not muted", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a handle or URL", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "The other server could not be reached", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn unmute(
    State(state): State<AppState>,
    user: ApiUser,
    q: Result<Query<TargetQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<StatusCode, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::bad_request(e.body_text()))?;
    block_or_mute(&state, &user, &q.target, kogi_core::blocks::MUTE, false).await
}

/// This area's routes (JSON API, mounted under `/api/kogi/v1`).
pub fn routes() -> axum::Router<crate::app::AppState> {
    use axum::routing::{get, post};
    use axum::Router;

    Router::new()
        .route("/admin/federation/queue", get(self::queue))
        .route(
            "/follows",
            post(self::follow).get(self::list).delete(self::unfollow),
        )
        .route("/followers", get(self::followers))
        .route("/follow-requests", get(self::requests))
        .route("/follow-requests/answer", post(self::answer))
        .route("/blocks", post(self::block).delete(self::unblock))
        .route("/mutes", post(self::mute).delete(self::unmute))
}
