//! Per-request context: the client's address (behind trusted proxies), cookies, the signed-in
//! person for pages (session cookie) and for the API (bearer token), CSRF and language.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use kogi_core::accounts::{self, Person, Session, SessionKind};
use kogi_core::settings::{self, InstanceSettings};
use minijinja::{context, Value};

use crate::app::AppState;
use crate::error::ApiError;
use crate::web::WebError;

pub const SESSION_COOKIE: &str = "kogi_session";
pub const CSRF_COOKIE: &str = "kogi_csrf";
pub const FLASH_COOKIE: &str = "kogi_flash";
pub const LANG_COOKIE: &str = "kogi_lang";

/// The client's IP: the peer, or — when the peer is a trusted proxy — the right-most
/// `X-Forwarded-For` entry that is not itself a trusted proxy.
pub fn client_ip(state: &AppState, parts: &Parts) -> IpAddr {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    let trusted = |ip: IpAddr| state.config.trusted_proxies.iter().any(|r| r.contains(ip));
    if !trusted(peer) {
        return peer;
    }
    let mut chain: Vec<IpAddr> = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    while let Some(ip) = chain.pop() {
        if !trusted(ip) {
            return ip;
        }
    }
    peer
}

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// A `Set-Cookie` value; `max_age` of 0 deletes the cookie.
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age: i64) -> HeaderValue {
    let secure = if state.config.is_https() {
        "; Secure"
    } else {
        ""
    };
    let v = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}");
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn user_agent(parts: &Parts) -> String {
    parts
        .headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

/// What every page handler gets.
pub struct WebCtx {
    pub state: AppState,
    pub viewer: Option<(Person, Session)>,
    pub lang: String,
    pub instance: InstanceSettings,
    pub csrf_token: String,
    new_csrf: bool,
    pub flash: Option<(String, String)>,
    pub ip: IpAddr,
    pub user_agent: String,
    pub path: String,
}

impl FromRequestParts<AppState> for WebCtx {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let instance = settings::effective(&state.core.db, &state.core.settings_defaults)
            .await
            .map_err(|e| WebError::from(e).into_response())?;
        let viewer = match cookie(&parts.headers, SESSION_COOKIE) {
            Some(secret) if !secret.is_empty() => {
                accounts::authenticate(&state.core, &secret, SessionKind::Web)
                    .await
                    .map_err(|e| WebError::from(e).into_response())?
            }
            _ => None,
        };
        let (csrf_token, new_csrf) = match cookie(&parts.headers, CSRF_COOKIE) {
            Some(t)
                if t.len() >= 32
                    && t.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
            {
                (t, false)
            }
            _ => (kogi_core::tokens::new_secret(), true),
        };
        let flash = cookie(&parts.headers, FLASH_COOKIE).and_then(|v| {
            let (kind, key) = v.split_once('.')?;
            matches!(kind, "success" | "error" | "info")
                .then(|| (kind.to_string(), key.to_string()))
        });
        // Language: the person's setting, a chosen cookie, the browser's preference, the default.
        let theme = &state.theme;
        let lang = viewer
            .as_ref()
            .and_then(|(p, _)| p.account.language.clone())
            .filter(|l| theme.has_language(l))
            .or_else(|| cookie(&parts.headers, LANG_COOKIE).filter(|l| theme.has_language(l)))
            .or_else(|| {
                parts
                    .headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| theme.negotiate(v))
            })
            .or_else(|| Some(instance.default_language.clone()).filter(|l| theme.has_language(l)))
            .unwrap_or_else(|| "en".to_string());
        Ok(WebCtx {
            state: state.clone(),
            viewer,
            lang,
            instance,
            csrf_token,
            new_csrf,
            flash,
            ip: client_ip(state, parts),
            user_agent: user_agent(parts),
            path: parts.uri.path().to_string(),
        })
    }
}

impl WebCtx {
    pub fn t(&self, key: &str) -> String {
        self.state.theme.text(&self.lang, key, &[])
    }

    pub fn person(&self) -> Option<&Person> {
        self.viewer.as_ref().map(|(p, _)| p)
    }

    pub fn avatar_url(&self, actor: &kogi_core::accounts::Actor) -> Option<String> {
        actor
            .avatar_path
            .as_ref()
            .map(|p| format!("/media/{p}"))
            .or_else(|| actor.avatar_url.clone())
    }

    fn base_context(&self) -> Value {
        let viewer = self.person().map(|p| {
            context! {
                username => p.account.username,
                display_name => p.actor.name(),
                avatar_url => self.avatar_url(&p.actor),
                role => p.account.role,
                profile_url => format!("/users/{}", p.account.username),
            }
        });
        let flash = self.flash.as_ref().map(|(kind, key)| {
            context! { kind => kind, text => self.t(&format!("flash.{key}")) }
        });
        let i = &self.instance;
        context! {
            instance => context! {
                name => i.name, about => i.about, logo_url => i.logo_url, favicon_url => Value::from(()),
                primary_color => i.primary_color, accent_color => i.accent_color,
                contact_email => i.contact_email, footer => i.footer,
            },
            lang => self.lang,
            viewer => viewer,
            csrf_token => self.csrf_token,
            flash => flash,
            path => self.path,
        }
    }

    /// Renders a page with the shared context merged under the page's own.
    pub fn render(&self, template: &str, page: Value) -> Response {
        self.render_status(axum::http::StatusCode::OK, template, page)
    }

    pub fn render_status(
        &self,
        status: axum::http::StatusCode,
        template: &str,
        page: Value,
    ) -> Response {
        let ctx = context! { ..page, ..self.base_context() };
        match self.state.theme.render(template, ctx) {
            Ok(html) => {
                let mut resp = (status, Html(html)).into_response();
                self.finish(&mut resp);
                resp
            }
            Err(e) => {
                tracing::error!(template, error = %e, "template failed");
                WebError::Internal.into_response()
            }
        }
    }

    /// Adds the cookies this request set up: a new CSRF token, and clearing a shown flash.
    pub fn finish(&self, resp: &mut Response) {
        if self.new_csrf {
            resp.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(
                    &self.state,
                    CSRF_COOKIE,
                    &self.csrf_token,
                    60 * 60 * 24 * 365,
                ),
            );
        }
        if self.flash.is_some() {
            resp.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(&self.state, FLASH_COOKIE, "", 0),
            );
        }
    }

    /// A 303 redirect that shows a message on the next page.
    pub fn redirect_with_flash(&self, to: &str, kind: &str, key: &str) -> Response {
        let mut resp = axum::response::Redirect::to(to).into_response();
        resp.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(&self.state, FLASH_COOKIE, &format!("{kind}.{key}"), 60),
        );
        resp
    }

    /// The signed-in person, or a redirect to the login page.
    pub fn require_login(&self) -> Result<&(Person, Session), axum::response::Redirect> {
        self.viewer.as_ref().ok_or_else(|| {
            let next = urlencode(&self.path);
            axum::response::Redirect::to(&format!("/login?next={next}"))
        })
    }
}

pub fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The API caller, authenticated by `Authorization: Bearer <token>`.
pub struct ApiUser {
    pub person: Person,
    pub session: Session,
}

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(ApiError::unauthorized)?;
        match accounts::authenticate(&state.core, token, SessionKind::Api).await? {
            Some((person, session)) => Ok(ApiUser { person, session }),
            None => Err(ApiError::unauthorized()),
        }
    }
}

/// An API caller who may be anonymous: no `Authorization` header means nobody; a header
/// with a token that does not work is still refused (401).
pub struct MaybeApiUser(pub Option<ApiUser>);

impl FromRequestParts<AppState> for MaybeApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if !parts.headers.contains_key(header::AUTHORIZATION) {
            return Ok(MaybeApiUser(None));
        }
        Ok(MaybeApiUser(Some(
            ApiUser::from_request_parts(parts, state).await?,
        )))
    }
}

/// An API caller who must be an admin.
pub struct ApiAdmin(pub ApiUser);

impl FromRequestParts<AppState> for ApiAdmin {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let user = ApiUser::from_request_parts(parts, state).await?;
        if !user.person.account.is_admin() {
            return Err(ApiError::forbidden().detail("admins only"));
        }
        Ok(ApiAdmin(user))
    }
}

/// The client address and user agent, for rate limits and session lists.
pub struct ClientInfo {
    pub ip: IpAddr,
    pub user_agent: String,
}

impl FromRequestParts<AppState> for ClientInfo {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientInfo {
            ip: client_ip(state, parts),
            user_agent: user_agent(parts),
        })
    }
}
