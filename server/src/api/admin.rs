//! Admin-only routes (until the admin console exists): approvals and instance settings.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
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
                created_at: a
                    .created_at
                    .and_utc()
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
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
    let (eff, sources) =
        kogi_core::settings::effective_with_sources(&state.core.db, &state.core.settings_defaults)
            .await?;
    Ok(Json(
        sources
            .into_iter()
            .map(|(key, src)| SettingInfo {
                value: eff.get(&key).unwrap_or_default(),
                source: match src {
                    kogi_core::settings::Source::Config => "config".into(),
                    kogi_core::settings::Source::Saved => "saved".into(),
                },
                key,
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
    if !kogi_core::settings::KEYS.contains(&key.as_str()) {
        return Err(ApiError::not_found().detail("unknown setting"));
    }
    if let Err(msg) = kogi_core::settings::validate(&key, &body.value) {
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
