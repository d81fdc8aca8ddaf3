//! Web pages, rendered on the server from the active theme. Forms work without JavaScript.

/// The signed-in person's actor, or (returned from the handler) the login page, which leads
/// back to `$next`.
macro_rules! signed_in {
    ($ctx:expr, $next:expr) => {
        match $ctx.person() {
            Some(p) => p.actor.clone(),
            None => return Ok($crate::web::posts::login_first(&$next)),
        }
    };
}

mod accounts;
mod communities;
mod csrf;
mod follows;
mod pages;
pub mod portfolios;
mod posts;
mod settings;

use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use minijinja::context;
use serde::de::DeserializeOwned;

use crate::app::AppState;
use crate::ctx::WebCtx;

/// Errors shown as a themed page. The variant is carried to `render_errors`, which has what it
/// takes (theme, language) to draw the page.
#[derive(Debug, Clone)]
pub enum WebError {
    Csrf,
    NotFound,
    Gone,
    Forbidden,
    BadRequest,
    PayloadTooLarge,
    RateLimited(u64),
    Unavailable,
    Internal,
}

impl WebError {
    fn status_and_key(&self) -> (StatusCode, &'static str) {
        match self {
            WebError::Csrf => (StatusCode::FORBIDDEN, "error.csrf"),
            WebError::NotFound => (StatusCode::NOT_FOUND, "error.not_found"),
            WebError::Gone => (StatusCode::GONE, "error.not_found"),
            WebError::Forbidden => (StatusCode::FORBIDDEN, "error.forbidden"),
            WebError::BadRequest => (StatusCode::BAD_REQUEST, "error.bad_request"),
            WebError::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "error.payload_too_large"),
            WebError::RateLimited(_) => (StatusCode::TOO_MANY_REQUESTS, "error.rate_limited"),
            WebError::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "error.internal"),
            WebError::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "error.internal"),
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, key) = self.status_and_key();
        let mut resp = (status, key).into_response();
        if let WebError::RateLimited(s) = self {
            if let Ok(v) = s.to_string().parse() {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        resp.extensions_mut().insert(self);
        resp
    }
}

impl From<kogi_core::Error> for WebError {
    fn from(e: kogi_core::Error) -> WebError {
        use kogi_core::Error as E;
        match e {
            E::NotFound => WebError::NotFound,
            E::Forbidden(_) => WebError::Forbidden,
            E::RateLimited { retry_after } => WebError::RateLimited(retry_after),
            E::Invalid { .. } | E::Unauthorized(_) => WebError::BadRequest,
            E::Unavailable(cause) => {
                tracing::error!(%cause, "dependency unavailable");
                WebError::Unavailable
            }
            other => {
                tracing::error!(cause = %other, "internal error");
                WebError::Internal
            }
        }
    }
}

/// Middleware: draws the themed error page for any `WebError` response.
pub async fn render_errors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let mut copy = Request::builder()
        .uri(parts.uri.clone())
        .method(parts.method.clone())
        .body(())
        .map(|r| r.into_parts().0);
    if let Ok(c) = copy.as_mut() {
        c.headers = parts.headers.clone();
        c.extensions = parts.extensions.clone();
    }
    let resp = next.run(Request::from_parts(parts, body)).await;
    let Some(err) = resp.extensions().get::<WebError>().cloned() else {
        return resp;
    };
    let Ok(mut copy) = copy else { return resp };
    let (status, key) = err.status_and_key();
    let ctx = match <WebCtx as axum::extract::FromRequestParts<AppState>>::from_request_parts(
        &mut copy, &state,
    )
    .await
    {
        Ok(c) => c,
        Err(_) => return resp,
    };
    let message = ctx.t(key);
    let mut page = ctx.render_status(
        status,
        "pages/error.html",
        context! { status => status.as_u16(), message => message },
    );
    for (name, value) in resp.headers() {
        if name == header::RETRY_AFTER {
            page.headers_mut().insert(name.clone(), value.clone());
        }
    }
    page
}

/// Does a JSON body carry a NUL character (raw or escaped as `\u0000`)? PostgreSQL cannot
/// store one in text, and no Kogi field has a use for it.
pub fn has_nul_json(bytes: &[u8]) -> bool {
    bytes.contains(&0) || bytes.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000"))
}

/// Does URL-encoded text (a form body, a path, a query) carry an encoded NUL (`%00`)?
pub fn has_nul_urlencoded(bytes: &[u8]) -> bool {
    bytes.contains(&0) || bytes.windows(3).any(|w| w == b"%00")
}

/// Middleware: a NUL character in the path or query is refused before any handler sees it.
pub async fn refuse_nul(req: Request, next: Next) -> Response {
    let uri = req.uri().to_string();
    if has_nul_urlencoded(uri.as_bytes()) {
        if req.uri().path().starts_with("/api/") {
            return crate::error::ApiError::bad_request("NUL characters are not allowed")
                .into_response();
        }
        return WebError::BadRequest.into_response();
    }
    next.run(req).await
}

/// A URL-encoded form whose rejections become themed error pages.
pub struct WebForm<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequest<AppState> for WebForm<T> {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let bytes =
            axum::body::Bytes::from_request(Request::from_parts(parts.clone(), body), state)
                .await
                .map_err(|r| {
                    if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                        WebError::PayloadTooLarge
                    } else {
                        WebError::BadRequest
                    }
                })?;
        if has_nul_urlencoded(&bytes) {
            return Err(WebError::BadRequest);
        }
        let req = Request::from_parts(parts, axum::body::Body::from(bytes));
        match axum::Form::<T>::from_request(req, state).await {
            Ok(axum::Form(v)) => Ok(WebForm(v)),
            Err(r) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(WebError::PayloadTooLarge),
            Err(_) => Err(WebError::BadRequest),
        }
    }
}

pub async fn not_found() -> WebError {
    WebError::NotFound
}

pub fn router(state: AppState) -> Router<AppState> {
    let uploads = Router::new()
        .route(
            "/settings/profile",
            get(settings::profile_page).post(settings::profile_save),
        )
        .layer(DefaultBodyLimit::max(state.config.limits.upload_body_bytes));
    // The CSRF check reads a body up to the largest any page route takes; each route's own
    // limit still applies to it afterwards.
    let limits = &state.config.limits;
    let largest = limits
        .api_body_bytes
        .max(limits.upload_body_bytes)
        .max(limits.portfolio_media_max_bytes + (64 << 10));
    Router::new()
        .merge(pages::routes())
        .merge(accounts::routes())
        .merge(communities::routes(&state))
        .merge(portfolios::routes(&state))
        .merge(posts::routes())
        .merge(follows::routes())
        .merge(settings::routes())
        .layer(DefaultBodyLimit::max(state.config.limits.api_body_bytes))
        .merge(uploads)
        .layer(axum::middleware::from_fn_with_state(
            largest,
            csrf::require_token,
        ))
}
