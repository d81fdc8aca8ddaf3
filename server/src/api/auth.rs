//! API tokens: exchanged for a username and password, valid until revoked.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use kogi_core::accounts::{self, SessionKind};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiJson, ApiPath};
use crate::app::AppState;
use crate::ctx::{ApiUser, ClientInfo};
use crate::error::{ApiError, Problem};
use crate::limits;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    pub username: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    /// Send as `Authorization: Bearer <token>`. Shown once; only a hash is stored.
    pub token: String,
    /// The token's id, for listing and revoking.
    pub id: i64,
}

/// Exchange a username and password for an API token. Refused with `not_confirmed` until the
/// email is confirmed and with `pending_approval` until an admin approves the account.
#[utoipa::path(post, path = "/api/kogi/v1/auth/token", tag = "auth", request_body = TokenRequest,
    responses(
        (status = 200, description = "A new token", body = TokenResponse),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Wrong credentials (`login_failed`), unconfirmed email (`not_confirmed`) or unapproved account (`pending_approval`)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Wrong fields", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_token(
    State(state): State<AppState>,
    client: ClientInfo,
    ApiJson(body): ApiJson<TokenRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    limits::login(&state, client.ip, &body.username).await?;
    let person = accounts::check_credentials(&state.core, &body.username, &body.password).await?;
    let (session, token) = accounts::create_session(
        &state.core,
        person.account.id,
        SessionKind::Api,
        &client.user_agent,
    )
    .await?;
    Ok(Json(TokenResponse {
        token,
        id: session.id,
    }))
}

/// Revoke the token used for this request (log out).
#[utoipa::path(delete, path = "/api/kogi/v1/auth/token", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete_current_token(
    State(state): State<AppState>,
    user: ApiUser,
) -> Result<StatusCode, ApiError> {
    accounts::revoke_session(&state.core, user.person.account.id, user.session.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct TokenInfo {
    pub id: i64,
    pub user_agent: String,
    pub created_at: String,
    pub last_seen_at: String,
    /// True for the token that made this request.
    pub current: bool,
}

/// The account's API tokens.
#[utoipa::path(get, path = "/api/kogi/v1/auth/tokens", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, description = "Tokens, newest first", body = Vec<TokenInfo>),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_tokens(
    State(state): State<AppState>,
    user: ApiUser,
) -> Result<Json<Vec<TokenInfo>>, ApiError> {
    let list = accounts::list_sessions(&state.core, user.person.account.id, Some(SessionKind::Api))
        .await?;
    let fmt = |t: chrono::NaiveDateTime| {
        t.and_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    Ok(Json(
        list.into_iter()
            .map(|s| TokenInfo {
                id: s.id,
                user_agent: s.user_agent,
                created_at: fmt(s.created_at),
                last_seen_at: fmt(s.last_seen_at),
                current: s.id == user.session.id,
            })
            .collect(),
    ))
}

/// Revoke one of the account's tokens.
#[utoipa::path(delete, path = "/api/kogi/v1/auth/tokens/{id}", tag = "auth", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Token id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 400, description = "Not a token id", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such token of this account", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete_token(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    accounts::revoke_session(&state.core, user.person.account.id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// This area's routes (JSON API, mounted under `/api/kogi/v1`).
pub fn routes() -> axum::Router<crate::app::AppState> {
    use axum::routing::{get, post};
    use axum::Router;

    Router::new()
        .route(
            "/auth/token",
            post(self::create_token).delete(self::delete_current_token),
        )
        .route("/auth/tokens", get(self::list_tokens))
        .route(
            "/auth/tokens/{id}",
            axum::routing::delete(self::delete_token),
        )
}
