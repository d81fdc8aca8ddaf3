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
mod follows;
mod pages;
pub mod portfolios;
mod posts;
mod settings;

use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
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
    Router::new()
        .route("/", get(pages::home))
        .route(
            "/signup",
            get(accounts::signup_page).post(accounts::signup_submit),
        )
        .route(
            "/login",
            get(accounts::login_page).post(accounts::login_submit),
        )
        .route("/logout", post(accounts::logout))
        .route("/confirm", get(accounts::confirm))
        .route(
            "/reset",
            get(accounts::reset_request_page).post(accounts::reset_request_submit),
        )
        .route(
            "/reset/confirm",
            get(accounts::reset_page).post(accounts::reset_submit),
        )
        .route(
            "/communities",
            get(communities::mine).post(communities::create),
        )
        .route("/communities/find", get(communities::find))
        .route("/communities/{handle}", get(communities::community))
        .route("/communities/{handle}/join", post(communities::join))
        .route(
            "/communities/{handle}/threads",
            post(communities::new_thread),
        )
        .route(
            "/communities/{handle}/threads/{id}",
            get(communities::thread),
        )
        .route(
            "/communities/{handle}/threads/{id}/comments",
            post(communities::comment),
        )
        .route(
            "/communities/{handle}/threads/{id}/vote",
            post(communities::vote),
        )
        .route(
            "/communities/{handle}/threads/{id}/report",
            post(communities::report),
        )
        .route(
            "/communities/{handle}/threads/{id}/moderate",
            post(communities::moderate),
        )
        .route(
            "/communities/{handle}/edit",
            get(communities::edit_page).post(communities::edit_save),
        )
        .route(
            "/communities/{handle}/picture",
            post(communities::picture)
                .layer(DefaultBodyLimit::max(state.config.limits.upload_body_bytes)),
        )
        .route(
            "/communities/{handle}/members",
            get(communities::members).post(communities::member_action),
        )
        .route(
            "/communities/{handle}/moderation",
            get(communities::moderation).post(communities::moderation_action),
        )
        .route(
            "/communities/{handle}/chat",
            get(communities::chat).post(communities::chat_post),
        )
        .route(
            "/communities/{handle}/chat/stream",
            get(communities::chat_stream),
        )
        .route("/portfolios", get(portfolios::pages::explore))
        .route("/portfolios/mine", get(portfolios::pages::mine))
        .route("/portfolios/{handle}", get(portfolios::pages::portfolio))
        .route(
            "/portfolios/{handle}/feed.atom",
            get(portfolios::pages::feed),
        )
        .route(
            "/portfolios/{handle}/items/{id}",
            get(portfolios::pages::item),
        )
        .route(
            "/portfolios/{handle}/projects/{id}",
            get(portfolios::pages::project),
        )
        .route("/portfolios/{handle}/watch", post(portfolios::pages::watch))
        .route(
            "/portfolios/message/{actor_id}",
            post(portfolios::pages::message),
        )
        .route(
            "/remote-portfolios/{actor_id}",
            get(portfolios::pages::remote),
        )
        .route("/portfolios", post(portfolios::create))
        .route("/portfolios/new", get(portfolios::new_page))
        .route(
            "/portfolios/{handle}/edit",
            get(portfolios::edit_page).post(portfolios::edit_save),
        )
        .route("/portfolios/{handle}/publish", post(portfolios::publish))
        .route("/portfolios/{handle}/archive", post(portfolios::archive))
        .route("/portfolios/{handle}/restore", post(portfolios::restore))
        .route("/portfolios/{handle}/delete", post(portfolios::delete))
        .route(
            "/portfolios/{handle}/cover",
            post(portfolios::cover).layer(DefaultBodyLimit::max(
                state.config.limits.portfolio_media_max_bytes + (64 << 10),
            )),
        )
        .route(
            "/portfolios/{handle}/cover/remove",
            post(portfolios::cover_remove),
        )
        .route(
            "/portfolios/{handle}/members",
            post(portfolios::member_save),
        )
        .route(
            "/portfolios/{handle}/members/remove",
            post(portfolios::member_remove),
        )
        .route("/portfolios/{handle}/bookmark", post(portfolios::bookmark))
        .route(
            "/portfolios/{handle}/items/new",
            get(portfolios::item_new_page).post(portfolios::item_create),
        )
        .route(
            "/portfolios/{handle}/items/{id}/edit",
            get(portfolios::item_edit_page).post(portfolios::item_save),
        )
        .route(
            "/portfolios/{handle}/items/{id}/publish",
            post(portfolios::item_publish),
        )
        .route(
            "/portfolios/{handle}/items/{id}/archive",
            post(portfolios::item_archive),
        )
        .route(
            "/portfolios/{handle}/items/{id}/restore",
            post(portfolios::item_restore),
        )
        .route(
            "/portfolios/{handle}/items/{id}/delete",
            post(portfolios::item_delete),
        )
        .route(
            "/portfolios/{handle}/items/{id}/media",
            post(portfolios::item_media).layer(DefaultBodyLimit::max(
                state.config.limits.portfolio_media_max_bytes + (64 << 10),
            )),
        )
        .route(
            "/portfolios/{handle}/items/{id}/media/remove",
            post(portfolios::item_media_remove),
        )
        .route(
            "/portfolios/{handle}/items/{id}/like",
            post(portfolios::like),
        )
        .route(
            "/portfolios/{handle}/projects",
            post(portfolios::project_create),
        )
        .route(
            "/portfolios/{handle}/projects/new",
            get(portfolios::project_new_page),
        )
        .route(
            "/portfolios/{handle}/projects/{id}/edit",
            get(portfolios::project_edit_page).post(portfolios::project_save),
        )
        .route(
            "/portfolios/{handle}/projects/{id}/updates",
            post(portfolios::project_update),
        )
        .route(
            "/portfolios/{handle}/projects/{id}/members",
            post(portfolios::project_member_save),
        )
        .route(
            "/portfolios/{handle}/projects/{id}/members/remove",
            post(portfolios::project_member_remove),
        )
        .route(
            "/portfolios/{handle}/projects/{id}/delete",
            post(portfolios::project_delete),
        )
        .route(
            "/remote-portfolios/{actor_id}/items/{id}/like",
            post(portfolios::remote_like),
        )
        .route(
            "/remote-portfolios/{actor_id}/bookmark",
            post(portfolios::remote_bookmark),
        )
        .route("/bookmarks", get(portfolios::bookmarks))
        .route("/bookmarks/{id}/remove", post(portfolios::bookmark_remove))
        .route("/users/{username}", get(pages::profile))
        .route("/@{username}", get(pages::at_redirect))
        .route("/timelines/local", get(posts::local_timeline))
        .route("/timelines/federated", get(posts::federated_timeline))
        .route("/posts", post(posts::create))
        .route("/posts/{token}", get(posts::post))
        .route("/posts/{token}/like", post(posts::like))
        .route("/posts/{token}/boost", post(posts::boost))
        .route("/remote-posts/{id}", get(posts::remote_post))
        .route("/notifications", get(posts::notifications))
        .route("/search", get(follows::search))
        .route("/follow", post(follows::follow))
        .route("/unfollow", post(follows::unfollow))
        .route("/relations", post(follows::relation))
        .route("/follow-requests", get(follows::requests))
        .route("/follow-requests/answer", post(follows::answer))
        .route("/settings", get(settings::index))
        .route(
            "/settings/password",
            get(settings::password_page).post(settings::password_save),
        )
        .route(
            "/settings/email",
            get(settings::email_page).post(settings::email_save),
        )
        .route("/settings/sessions", get(settings::sessions_page))
        .route(
            "/settings/sessions/revoke-others",
            post(settings::revoke_others),
        )
        .route("/settings/sessions/{id}/revoke", post(settings::revoke))
        .route(
            "/settings/language",
            get(settings::language_page).post(settings::language_save),
        )
        .route("/settings/account", get(settings::account_page))
        .route("/settings/account/delete", post(settings::account_delete))
        .route("/static/{*path}", get(pages::static_file))
        .route("/media/{*path}", get(pages::media_file))
        .route("/instance.css", get(pages::instance_css))
        .layer(DefaultBodyLimit::max(state.config.limits.api_body_bytes))
        .merge(uploads)
}
