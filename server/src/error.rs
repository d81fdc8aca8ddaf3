//! The one place where errors become HTTP responses: `application/problem+json` for the API,
//! with a stable `type` per kind; the cause of an internal error is logged, never shown.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use kogi_core::Error as CoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// Stable identifier of the kind of problem, e.g. `urn:kogi:problem:username_taken`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The input field the problem is about, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub detail: Option<String>,
    pub field: Option<String>,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str) -> ApiError {
        ApiError {
            status,
            code: code.to_string(),
            detail: None,
            field: None,
            retry_after: None,
        }
    }
    pub fn detail(mut self, d: impl Into<String>) -> ApiError {
        self.detail = Some(d.into());
        self
    }
    pub fn field(mut self, f: impl Into<String>) -> ApiError {
        self.field = Some(f.into());
        self
    }
    pub fn not_found() -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found")
    }
    pub fn unauthorized() -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized")
            .detail("a valid bearer token is required")
    }
    pub fn forbidden() -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden")
    }
    pub fn bad_request(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request").detail(detail)
    }

    /// Another server could not give what was asked for. The client learns which kind of
    /// failure it was, never the network's or the parser's words (which would make Kogi an
    /// oracle for probing other hosts); the cause goes to the log.
    pub fn remote(e: &kogi_federation::client::FetchError) -> ApiError {
        use kogi_federation::client::FetchError as F;
        tracing::info!(error = %e, "a remote lookup failed");
        match e {
            F::Status(404) | F::Status(410) => ApiError::not_found().detail("no such account"),
            F::Refused(_) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body")
                .detail("that address cannot be looked up from here"),
            F::Status(_) => ApiError::new(StatusCode::BAD_GATEWAY, "unreachable")
                .detail("the other server answered with an error"),
            F::BadResponse(_) | F::TooLarge(_) => {
                ApiError::new(StatusCode::BAD_GATEWAY, "unreachable")
                    .detail("the other server sent something Kogi cannot read")
            }
            F::Network(_) => ApiError::new(StatusCode::BAD_GATEWAY, "unreachable")
                .detail("the other server could not be reached"),
        }
    }
}

/// A short English title per code (clients translate by `type`).
pub fn title_for(code: &str) -> &'static str {
    match code {
        "username_invalid" => "Usernames are 1 to 30 lowercase letters, digits or underscores",
        "username_taken" => "That username is taken",
        "username_reserved" => "That username is reserved",
        "email_invalid" => "That is not a valid email address",
        "email_taken" => "That email address is already in use",
        "password_weak" => "That password is too weak",
        "login_failed" => "Wrong username or password",
        "not_confirmed" => "The email address is not confirmed yet",
        "pending_approval" => "The account is waiting for approval",
        "registrations_closed" => "Registrations are closed",
        "rate_limited" => "Too many attempts",
        "csrf" => "The form expired; reload the page and try again",
        "token_invalid" => "The link or token is invalid, used or expired",
        "avatar_too_large" => "The image is too large",
        "avatar_invalid" => "The file is not a supported image",
        "field_too_long" => "A field is too long",
        "too_many_links" => "At most four links",
        "link_invalid" => "Links need a name and an http(s) URL",
        "wrong_password" => "The current password is wrong",
        "setting_invalid" => "Invalid value for this setting",
        "handle_taken" => "That handle is taken",
        "handle_invalid" => "Handles are 1 to 30 lowercase letters, digits or underscores",
        "unknown_type" => "No such portfolio type",
        "unknown_template" => "No such template",
        "unknown_field" => "No such field",
        "field_wrong_kind" => "A field's value is not of the field's kind",
        "field_required" => "A required field is missing",
        "url_invalid" => "That is not an http(s) URL",
        "date_invalid" => "Dates are YYYY-MM-DD",
        "visibility_invalid" => "Visibility is public, unlisted, members or private",
        "invalid_transition" => "That lifecycle step is not possible from here",
        "file_too_large" => "The file is too large",
        "file_invalid" => "The file could not be read",
        "file_type_unsupported" => "Only images, PDFs, audio and video files are accepted",
        "not_team" => "Only the portfolio's team can do that",
        "last_owner" => "A portfolio keeps at least one owner",
        "archive_too_large" | "archive_bomb" => "The archive is too large",
        "archive_malformed" | "archive_manifest_missing" | "archive_manifest_invalid" => {
            "The file is not a Kogi portfolio archive"
        }
        "archive_unsafe_path" => "The archive contains an unsafe file name",
        "not_found" => "Not found",
        "unauthorized" => "Authentication required",
        "forbidden" => "Not allowed",
        "blocked" => "There is a block between you",
        "not_author" => "Only the author can do that",
        "not_boostable" => "Only public and unlisted posts can be boosted",
        "payload_too_large" => "The request body is too large",
        "unsupported_media_type" => "Unsupported content type",
        "malformed_json" => "The body is not valid JSON",
        "invalid_body" => "The body does not match the expected fields and types",
        "method_not_allowed" => "Method not allowed",
        "unavailable" => "Service unavailable",
        "unreachable" => "The other server could not be reached",
        "internal" => "Internal error",
        _ => "Bad request",
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = Problem {
            kind: format!("urn:kogi:problem:{}", self.code),
            title: title_for(&self.code).to_string(),
            status: self.status.as_u16(),
            detail: self.detail,
            field: self.field,
        };
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut resp = (self.status, body).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(s) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&s.to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        resp
    }
}

impl From<CoreError> for ApiError {
    fn from(e: CoreError) -> ApiError {
        match e {
            CoreError::Invalid { field, code } => {
                let status = match code {
                    "username_taken" | "email_taken" | "handle_taken" | "type_exists"
                    | "template_exists" => StatusCode::CONFLICT,
                    "avatar_too_large" | "file_too_large" | "archive_too_large" => {
                        StatusCode::PAYLOAD_TOO_LARGE
                    }
                    "token_invalid" => StatusCode::BAD_REQUEST,
                    _ => StatusCode::UNPROCESSABLE_ENTITY,
                };
                ApiError::new(status, code).field(field)
            }
            CoreError::NotFound => ApiError::not_found(),
            CoreError::Unauthorized(code) => ApiError::new(StatusCode::UNAUTHORIZED, code),
            CoreError::Forbidden(code) => ApiError::new(StatusCode::FORBIDDEN, code),
            CoreError::RateLimited { retry_after } => {
                let mut e = ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited")
                    .detail(format!("try again in {retry_after} seconds"));
                e.retry_after = Some(retry_after);
                e
            }
            CoreError::Unavailable(cause) => {
                tracing::error!(%cause, "dependency unavailable");
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable")
            }
            other => {
                tracing::error!(cause = %other, "internal error");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        }
    }
}
