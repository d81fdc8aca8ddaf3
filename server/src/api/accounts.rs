//! Accounts: sign-up, confirmation, password reset, and the signed-in person's own account.

use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use kogi_core::accounts::{
    self, Confirmed, Person, ProfileLink, ProfileUpdate, SignupMode, SignupRequest, SignupStatus,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ApiJson;
use crate::app::AppState;
use crate::ctx::{ApiUser, ClientInfo};
use crate::error::{ApiError, Problem};
use crate::{limits, mailer};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignupBody {
    /// 1–30 lowercase letters, digits or underscores (input is lowercased). Never changes.
    pub username: String,
    pub email: String,
    /// At least 10 characters and not a common password.
    pub password: String,
    /// Preferred language for mail and pages, e.g. `en`.
    #[serde(default)]
    pub language: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SignupResponse {
    pub username: String,
    /// `pending_confirmation` (check your email) or `pending_approval` (and an admin must approve).
    pub status: String,
}

fn status_str(s: SignupStatus) -> &'static str {
    match s {
        SignupStatus::PendingConfirmation => "pending_confirmation",
        SignupStatus::PendingApproval => "pending_approval",
        SignupStatus::Active => "active",
    }
}

/// Sign up. 201 when the account only needs its email confirmed; 202 when an admin must also
/// approve it; 403 when registrations are closed.
#[utoipa::path(post, path = "/api/kogi/v1/accounts", tag = "accounts", request_body = SignupBody,
    responses(
        (status = 201, description = "Created; a confirmation link was emailed", body = SignupResponse),
        (status = 202, description = "Created, pending confirmation and approval", body = SignupResponse),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Registrations are closed", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Username or email taken", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn sign_up(
    State(state): State<AppState>,
    client: ClientInfo,
    ApiJson(body): ApiJson<SignupBody>,
) -> Result<Response, ApiError> {
    limits::signup(&state, client.ip, &body.username).await?;
    let settings =
        kogi_core::settings::effective(&state.core.db, &state.core.settings_defaults).await?;
    let language = body.language.filter(|l| state.theme.has_language(l));
    let lang = language
        .clone()
        .unwrap_or_else(|| settings.default_language.clone());
    let req = SignupRequest {
        username: body.username,
        email: body.email,
        password: body.password,
        language,
    };
    let outcome = accounts::sign_up(
        &state.core,
        req,
        SignupMode::Public(settings.registration_mode),
    )
    .await?;
    if let Some(token) = &outcome.confirm_token {
        mailer::confirmation(&state, &outcome.account, token, &lang).await;
    }
    let status = if outcome.status == SignupStatus::PendingApproval {
        StatusCode::ACCEPTED
    } else {
        StatusCode::CREATED
    };
    Ok((
        status,
        Json(SignupResponse {
            username: outcome.account.username,
            status: status_str(outcome.status).into(),
        }),
    )
        .into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenBody {
    /// The token from the emailed link.
    pub token: String,
}

#[derive(Serialize, ToSchema)]
pub struct ConfirmResponse {
    pub username: String,
    /// `active`, `pending_approval`, or `email_changed`.
    pub status: String,
}

/// Confirm an email address with the emailed token (single use; it expires).
#[utoipa::path(post, path = "/api/kogi/v1/accounts/confirm", tag = "accounts", request_body = TokenBody,
    responses(
        (status = 200, description = "Confirmed", body = ConfirmResponse),
        (status = 400, description = "Invalid, used or expired token, or malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Wrong fields", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn confirm(
    State(state): State<AppState>,
    client: ClientInfo,
    ApiJson(body): ApiJson<TokenBody>,
) -> Result<Json<ConfirmResponse>, ApiError> {
    limits::token(&state, client.ip).await?;
    let (account, c) = accounts::confirm_email(&state.core, &body.token).await?;
    let status = match c {
        Confirmed::Ready => "active",
        Confirmed::AwaitingApproval => "pending_approval",
        Confirmed::EmailChanged => "email_changed",
    };
    Ok(Json(ConfirmResponse {
        username: account.username,
        status: status.into(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetBody {
    pub email: String,
}

/// Ask for a password-reset link. The answer is the same whether or not the address is known.
#[utoipa::path(post, path = "/api/kogi/v1/accounts/password-reset", tag = "accounts", request_body = ResetBody,
    responses(
        (status = 202, description = "If the address has an account, a link was emailed"),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not an email address", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn request_reset(
    State(state): State<AppState>,
    client: ClientInfo,
    ApiJson(body): ApiJson<ResetBody>,
) -> Result<StatusCode, ApiError> {
    if accounts::rules::normalise_email(&body.email).is_none() {
        return Err(kogi_core::Error::invalid("email", "email_invalid").into());
    }
    limits::reset(&state, client.ip, &body.email).await?;
    if let Some((account, token)) =
        accounts::request_password_reset(&state.core, &body.email).await?
    {
        let lang = state.core.settings_defaults.default_language.clone();
        mailer::password_reset(&state, &account, &token, &lang).await;
    }
    Ok(StatusCode::ACCEPTED)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetConfirmBody {
    pub token: String,
    pub password: String,
}

/// Set a new password with the emailed reset token. Every session and token is revoked.
#[utoipa::path(post, path = "/api/kogi/v1/accounts/password-reset/confirm", tag = "accounts", request_body = ResetConfirmBody,
    responses(
        (status = 204, description = "Password changed"),
        (status = 400, description = "Invalid, used or expired token, or malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Weak password or wrong fields", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn confirm_reset(
    State(state): State<AppState>,
    client: ClientInfo,
    ApiJson(body): ApiJson<ResetConfirmBody>,
) -> Result<StatusCode, ApiError> {
    limits::token(&state, client.ip).await?;
    accounts::reset_password(&state.core, &body.token, &body.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkDto {
    pub name: String,
    pub url: String,
}

/// The signed-in person's account and profile.
#[derive(Serialize, ToSchema)]
pub struct Me {
    pub username: String,
    /// The ActivityPub id of the person.
    pub id: String,
    pub email: String,
    /// A new address waiting for confirmation, if any.
    pub pending_email: Option<String>,
    pub display_name: String,
    pub bio: String,
    pub avatar_url: Option<String>,
    pub interests: Vec<String>,
    pub skills: Vec<String>,
    pub links: Vec<LinkDto>,
    pub language: Option<String>,
    /// `user`, `moderator` or `admin`.
    pub role: String,
    /// Follow requests need approval.
    pub locked: bool,
    pub created_at: String,
}

pub(super) fn me_of(state: &AppState, p: &Person) -> Me {
    Me {
        username: p.account.username.clone(),
        id: p.actor.ap_id.clone(),
        email: p.account.email.clone(),
        pending_email: p.account.pending_email.clone(),
        display_name: p.actor.display_name.clone(),
        bio: p.actor.summary.clone(),
        avatar_url: p
            .actor
            .avatar_path
            .as_ref()
            .map(|a| format!("{}/media/{a}", state.config.public_url)),
        interests: p.actor.interests(),
        skills: p.actor.skills(),
        links: p
            .actor
            .links()
            .into_iter()
            .map(|l| LinkDto {
                name: l.name,
                url: l.url,
            })
            .collect(),
        language: p.account.language.clone(),
        role: p.account.role.clone(),
        locked: p.actor.manually_approves_followers,
        created_at: p
            .account
            .created_at
            .and_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    }
}

/// The signed-in person.
#[utoipa::path(get, path = "/api/kogi/v1/accounts/me", tag = "accounts", security(("bearer" = [])),
    responses(
        (status = 200, description = "The account", body = Me),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn me(State(state): State<AppState>, user: ApiUser) -> Json<Me> {
    Json(me_of(&state, &user.person))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfilePatch {
    pub display_name: Option<String>,
    pub bio: Option<String>,
    pub interests: Option<Vec<String>>,
    pub skills: Option<Vec<String>>,
    /// At most four, each a name and an http(s) URL. Replaces the whole list.
    pub links: Option<Vec<LinkDto>>,
    pub language: Option<String>,
    /// Follow requests need approval.
    pub locked: Option<bool>,
}

/// Edit the profile; fields left out stay as they are.
#[utoipa::path(patch, path = "/api/kogi/v1/accounts/me", tag = "accounts", security(("bearer" = [])), request_body = ProfilePatch,
    responses(
        (status = 200, description = "Updated", body = Me),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update_me(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(body): ApiJson<ProfilePatch>,
) -> Result<Json<Me>, ApiError> {
    if let Some(l) = &body.language {
        if !l.is_empty() && !state.theme.has_language(l) {
            return Err(
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body")
                    .field("language")
                    .detail("unsupported language"),
            );
        }
    }
    let update = ProfileUpdate {
        display_name: body.display_name,
        bio: body.bio,
        interests: body.interests,
        skills: body.skills,
        links: body.links.map(|v| {
            v.into_iter()
                .map(|l| ProfileLink {
                    name: l.name,
                    url: l.url,
                })
                .collect()
        }),
        language: body.language.map(Some),
        locked: body.locked,
    };
    accounts::update_profile(&state.core, &user.person, update).await?;
    let person = accounts::find_person_by_account_id(&state.core.db, user.person.account.id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(me_of(&state, &person)))
}

/// Upload an avatar (multipart field `avatar`: PNG, JPEG, WebP or GIF, at most 5 MiB). It is
/// re-encoded to a 400×400 WebP without metadata.
#[utoipa::path(put, path = "/api/kogi/v1/accounts/me/avatar", tag = "accounts", security(("bearer" = [])),
    request_body(content_type = "multipart/form-data", description = "A form with one file field `avatar`"),
    responses(
        (status = 200, description = "Updated", body = Me),
        (status = 400, description = "Not a multipart form with an avatar field", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "File or body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not multipart", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a supported image", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn put_avatar(
    State(state): State<AppState>,
    user: ApiUser,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Json<Me>, ApiError> {
    let bytes = super::file_field(multipart, "avatar").await?;
    let webp = accounts::prepare_avatar(&state.core, bytes).await?;
    accounts::set_avatar(&state.core, &user.person, Some(webp)).await?;
    let person = accounts::find_person_by_account_id(&state.core.db, user.person.account.id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(me_of(&state, &person)))
}

/// Remove the avatar.
#[utoipa::path(delete, path = "/api/kogi/v1/accounts/me/avatar", tag = "accounts", security(("bearer" = [])),
    responses(
        (status = 200, description = "Removed", body = Me),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete_avatar(
    State(state): State<AppState>,
    user: ApiUser,
) -> Result<Json<Me>, ApiError> {
    accounts::set_avatar(&state.core, &user.person, None).await?;
    let person = accounts::find_person_by_account_id(&state.core.db, user.person.account.id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(Json(me_of(&state, &person)))
}

/// This area's routes (JSON API, mounted under `/api/kogi/v1`); uploads carry their own body limit.
pub fn routes(state: &crate::app::AppState) -> axum::Router<crate::app::AppState> {
    use axum::routing::{get, post, put};
    use axum::Router;

    let uploads = Router::new()
        .route(
            "/accounts/me/avatar",
            put(self::put_avatar).delete(self::delete_avatar),
        )
        .layer(axum::extract::DefaultBodyLimit::max(
            state.config.limits.upload_body_bytes,
        ));
    Router::new()
        .route("/accounts", post(self::sign_up))
        .route("/accounts/confirm", post(self::confirm))
        .route("/accounts/password-reset", post(self::request_reset))
        .route(
            "/accounts/password-reset/confirm",
            post(self::confirm_reset),
        )
        .route("/accounts/me", get(self::me).patch(self::update_me))
        .merge(uploads)
}
