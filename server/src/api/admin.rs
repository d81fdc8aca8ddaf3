//! Admin-only routes (until the admin console exists): approvals, instance settings, the
//! delivery queue and instance blocks. Every handler calls `kogi_admin`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiJson, ApiPath};
use crate::app::AppState;
use crate::ctx::ApiAdmin;
use crate::error::{ApiError, Problem};

#[derive(Serialize, ToSchema)]
pub struct PendingAccount {
    pub username: String,
    pub email: String,
    /// Whether the person has confirmed their email yet.
    pub email_confirmed: bool,
    pub created_at: String,
}

/// Accounts waiting for approval (registration mode `approval`).
#[utoipa::path(get, path = "/api/kogi/v1/admin/accounts/pending", tag = "admin", security(("bearer" = [])),
    responses(
        (status = 200, description = "Pending accounts, oldest first", body = Vec<PendingAccount>),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn pending(
    State(state): State<AppState>,
    _admin: ApiAdmin,
) -> Result<Json<Vec<PendingAccount>>, ApiError> {
    let list = kogi_admin::pending_users(&state.core).await?;
    Ok(Json(
        list.into_iter()
            .map(|a| PendingAccount {
                username: a.username,
                email: a.email,
                email_confirmed: a.email_confirmed_at.is_some(),
                created_at: rfc3339(a.created_at),
            })
            .collect(),
    ))
}

/// Approve an account.
#[utoipa::path(post, path = "/api/kogi/v1/admin/accounts/{username}/approve", tag = "admin", security(("bearer" = [])),
    params(("username" = String, Path, description = "The account's username")),
    responses(
        (status = 204, description = "Approved"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn approve(
    State(state): State<AppState>,
    admin: ApiAdmin,
    ApiPath(username): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    tracing::info!(admin = %admin.0.person.account.username, %username, "approving account");
    kogi_admin::approve_user(&state.core, &username).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct SettingInfo {
    pub key: String,
    pub value: String,
    /// `config` (the configuration's value applies) or `saved` (an admin's saved value applies).
    pub source: String,
}

/// Instance settings in force and where each comes from.
#[utoipa::path(get, path = "/api/kogi/v1/admin/settings", tag = "admin", security(("bearer" = [])),
    responses(
        (status = 200, description = "Settings", body = Vec<SettingInfo>),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn settings(
    State(state): State<AppState>,
    _admin: ApiAdmin,
) -> Result<Json<Vec<SettingInfo>>, ApiError> {
    let list = kogi_admin::settings(&state.core).await?;
    Ok(Json(
        list.into_iter()
            .map(|s| SettingInfo {
                key: s.key,
                value: s.value,
                source: match s.source {
                    kogi_core::settings::Source::Config => "config".into(),
                    kogi_core::settings::Source::Saved => "saved".into(),
                },
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingValue {
    pub value: String,
}

/// Save an instance setting (`name`, `about`, `logo_url`, `primary_color`, `accent_color`,
/// `contact_email`, `footer`, `registration_mode`, `default_language`). It wins over the
/// configuration from now on.
#[utoipa::path(put, path = "/api/kogi/v1/admin/settings/{key}", tag = "admin", security(("bearer" = [])),
    params(("key" = String, Path, description = "Setting key")), request_body = SettingValue,
    responses(
        (status = 204, description = "Saved"),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown setting", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid value", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn put_setting(
    State(state): State<AppState>,
    admin: ApiAdmin,
    ApiPath(key): ApiPath<String>,
    ApiJson(body): ApiJson<SettingValue>,
) -> Result<StatusCode, ApiError> {
    if !kogi_admin::is_setting(&key) {
        return Err(ApiError::not_found().detail("unknown setting"));
    }
    if let Err(msg) = kogi_admin::validate_setting(&key, &body.value) {
        return Err(
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "setting_invalid")
                .field("value")
                .detail(msg),
        );
    }
    tracing::info!(admin = %admin.0.person.account.username, %key, "saving instance setting");
    kogi_admin::set_setting(&state.core, &key, &body.value).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn rfc3339(t: chrono::NaiveDateTime) -> String {
    t.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[derive(Serialize, ToSchema)]
pub struct QueueStates {
    /// Deliveries waiting to be sent or retried.
    pub pending: i64,
    pub done: i64,
    /// Refused for good (or to a blocked instance).
    pub failed: i64,
    /// Given up after failing too long.
    pub expired: i64,
}

#[derive(Serialize, ToSchema)]
pub struct QueueHost {
    /// `host` or `host:port`.
    pub host: String,
    pub pending: i64,
    pub failed: i64,
}

#[derive(Serialize, ToSchema)]
pub struct DeadHost {
    pub host: String,
    /// When its deliveries began to fail.
    pub failing_since: Option<String>,
    /// When it was last probed.
    pub last_probe_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct QueueReport {
    pub states: QueueStates,
    /// Hosts with pending or failed deliveries, most pending first.
    pub hosts: Vec<QueueHost>,
    /// Hosts marked dead: their deliveries wait and they are probed now and then.
    pub dead_hosts: Vec<DeadHost>,
}

/// The delivery queue: rows by state, pending and failed rows per host, and dead hosts.
#[utoipa::path(get, path = "/api/kogi/v1/admin/queue", tag = "admin", security(("bearer" = [])),
    responses(
        (status = 200, description = "The queue", body = QueueReport),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn queue(
    State(state): State<AppState>,
    _admin: ApiAdmin,
) -> Result<Json<QueueReport>, ApiError> {
    let q = kogi_admin::queue(&state.core).await?;
    Ok(Json(QueueReport {
        states: QueueStates {
            pending: q.states.pending,
            done: q.states.done,
            failed: q.states.failed,
            expired: q.states.expired,
        },
        hosts: q
            .hosts
            .into_iter()
            .map(|h| QueueHost {
                host: h.host,
                pending: h.pending,
                failed: h.failed,
            })
            .collect(),
        dead_hosts: q
            .dead
            .into_iter()
            .map(|h| DeadHost {
                host: h.host,
                failing_since: h.failing_since.map(rfc3339),
                last_probe_at: h.last_probe_at.map(rfc3339),
            })
            .collect(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct Retried {
    /// Deliveries made due now.
    pub retried: usize,
}

/// Try a host's waiting deliveries now (and probe it now if it is dead).
#[utoipa::path(post, path = "/api/kogi/v1/admin/queue/hosts/{host}/retry", tag = "admin", security(("bearer" = [])),
    params(("host" = String, Path, description = "`host` or `host:port`")),
    responses(
        (status = 200, description = "Made due", body = Retried),
        (status = 400, description = "Malformed path", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a host", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn retry_host(
    State(state): State<AppState>,
    admin: ApiAdmin,
    ApiPath(host): ApiPath<String>,
) -> Result<Json<Retried>, ApiError> {
    tracing::info!(admin = %admin.0.person.account.username, %host, "retrying deliveries to host");
    let retried = kogi_admin::retry_host(&state.core, &host).await?;
    Ok(Json(Retried { retried }))
}

#[derive(Serialize, ToSchema)]
pub struct BlockedInstance {
    /// `host` or `host:port`.
    pub host: String,
}

/// Blocked instances (`kogi admin block-instance`), by host.
#[utoipa::path(get, path = "/api/kogi/v1/admin/instances/blocked", tag = "admin", security(("bearer" = [])),
    responses(
        (status = 200, description = "Blocked instances", body = Vec<BlockedInstance>),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn blocked_instances(
    State(state): State<AppState>,
    _admin: ApiAdmin,
) -> Result<Json<Vec<BlockedInstance>>, ApiError> {
    let list = kogi_admin::blocked_instances(&state.core).await?;
    Ok(Json(
        list.into_iter()
            .map(|h| BlockedInstance { host: h.host })
            .collect(),
    ))
}

/// The admin routes (under `/api/kogi/v1`).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/accounts/pending", get(pending))
        .route("/admin/accounts/{username}/approve", post(approve))
        .route("/admin/settings", get(settings))
        .route("/admin/settings/{key}", put(put_setting))
        .route("/admin/queue", get(queue))
        .route("/admin/queue/hosts/{host}/retry", post(retry_host))
        .route("/admin/instances/blocked", get(blocked_instances))
}
