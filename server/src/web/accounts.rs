//! Sign-up, log-in and -out, email confirmation and password reset pages.

use std::collections::BTreeMap;

use axum::extract::Query;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use kogi_core::accounts::{self, Confirmed, SessionKind, SignupMode, SignupRequest, SignupStatus};
use kogi_core::settings::RegistrationMode;
use kogi_core::Error;
use minijinja::context;
use serde::Deserialize;

use super::{WebError, WebForm};
use crate::ctx::{set_cookie, WebCtx, SESSION_COOKIE};
use crate::{limits, mailer};

/// Turns a core validation error into the form's error map; other errors pass through.
pub(super) fn form_errors(ctx: &WebCtx, e: Error) -> Result<BTreeMap<String, String>, WebError> {
    let mut m = BTreeMap::new();
    match e {
        Error::Invalid { field, code } => {
            m.insert(field.to_string(), ctx.t(&format!("error.{code}")));
        }
        Error::Unauthorized(code) => {
            m.insert("form".to_string(), ctx.t(&format!("error.{code}")));
        }
        Error::RateLimited { retry_after } => return Err(WebError::RateLimited(retry_after)),
        other => return Err(other.into()),
    }
    Ok(m)
}

#[derive(Deserialize)]
pub struct SignupForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

pub async fn signup_page(ctx: WebCtx) -> Response {
    if ctx.viewer.is_some() {
        return Redirect::to("/").into_response();
    }
    ctx.render(
        "pages/signup.html",
        context! {
            values => context! { username => "", email => "" },
            errors => BTreeMap::<String, String>::new(),
            registration_mode => ctx.instance.registration_mode.as_str(),
            done => false,
        },
    )
}

pub async fn signup_submit(
    ctx: WebCtx,
    WebForm(form): WebForm<SignupForm>,
) -> Result<Response, WebError> {
    let mode = ctx.instance.registration_mode;
    let render = |errors: BTreeMap<String, String>, status: StatusCode| {
        ctx.render_status(
            status,
            "pages/signup.html",
            context! {
                values => context! { username => form.username, email => form.email },
                errors => errors,
                registration_mode => mode.as_str(),
                done => false,
            },
        )
    };
    if mode == RegistrationMode::Closed {
        return Ok(render(BTreeMap::new(), StatusCode::FORBIDDEN));
    }
    if let Err(e) = limits::signup(&ctx.state, ctx.ip, &form.username).await {
        return Err(form_errors(&ctx, e).err().unwrap_or(WebError::Internal));
    }
    let req = SignupRequest {
        username: form.username.clone(),
        email: form.email.clone(),
        password: form.password.clone(),
        language: Some(ctx.lang.clone()),
    };
    match accounts::sign_up(&ctx.state.core, req, SignupMode::Public(mode)).await {
        Ok(outcome) => {
            if let Some(token) = &outcome.confirm_token {
                mailer::confirmation(&ctx.state, &outcome.account, token, &ctx.lang).await;
            }
            Ok(ctx.render_status(
                StatusCode::CREATED,
                "pages/signup.html",
                context! {
                    values => context! { username => outcome.account.username, email => outcome.account.email },
                    errors => BTreeMap::<String, String>::new(),
                    registration_mode => mode.as_str(),
                    done => true,
                    done_email => outcome.account.email,
                    approval => outcome.status == SignupStatus::PendingApproval,
                },
            ))
        }
        Err(e) => Ok(render(
            form_errors(&ctx, e)?,
            StatusCode::UNPROCESSABLE_ENTITY,
        )),
    }
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Only same-site paths are followed after log-in (no open redirects).
pub(super) fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/".to_string(),
    }
}

pub async fn login_page(ctx: WebCtx, Query(q): Query<NextQuery>) -> Response {
    if ctx.viewer.is_some() {
        return Redirect::to(&safe_next(q.next.as_deref())).into_response();
    }
    ctx.render(
        "pages/login.html",
        context! { values => context! { username => "" }, error => (), next => safe_next(q.next.as_deref()) },
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

pub async fn login_submit(
    ctx: WebCtx,
    WebForm(form): WebForm<LoginForm>,
) -> Result<Response, WebError> {
    let next = safe_next(form.next.as_deref());
    let fail = |status: StatusCode, code: &str| {
        ctx.render_status(
            status,
            "pages/login.html",
            context! {
                values => context! { username => form.username },
                error => ctx.t(&format!("error.{code}")),
                next => next,
            },
        )
    };
    if let Err(e) = limits::login(&ctx.state, ctx.ip, &form.username).await {
        return match e {
            Error::RateLimited { retry_after } => {
                let mut resp = fail(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
                if let Ok(v) = retry_after.to_string().parse() {
                    resp.headers_mut().insert(header::RETRY_AFTER, v);
                }
                Ok(resp)
            }
            other => Err(other.into()),
        };
    }
    let person =
        match accounts::check_credentials(&ctx.state.core, &form.username, &form.password).await {
            Ok(p) => p,
            Err(Error::Unauthorized(code)) => return Ok(fail(StatusCode::UNAUTHORIZED, code)),
            Err(e) => return Err(e.into()),
        };
    let (_, secret) = accounts::create_session(
        &ctx.state.core,
        person.account.id,
        SessionKind::Web,
        &ctx.user_agent,
    )
    .await?;
    let mut resp = Redirect::to(&next).into_response();
    let max_age = ctx.state.config.session_days * 24 * 3600;
    resp.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&ctx.state, SESSION_COOKIE, &secret, max_age),
    );
    Ok(resp)
}

pub async fn logout(ctx: WebCtx) -> Result<Response, WebError> {
    if let Some((person, session)) = &ctx.viewer {
        accounts::revoke_session(&ctx.state.core, person.account.id, session.id).await?;
    }
    let mut resp = ctx.redirect_with_flash("/", "info", "logged_out");
    resp.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&ctx.state, SESSION_COOKIE, "", 0),
    );
    Ok(resp)
}

#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

pub async fn confirm(ctx: WebCtx, Query(q): Query<TokenQuery>) -> Result<Response, WebError> {
    limits::token(&ctx.state, ctx.ip).await?;
    let state = match q.token.as_deref() {
        None => "invalid",
        Some(t) => match accounts::confirm_email(&ctx.state.core, t).await {
            Ok((_, Confirmed::Ready)) | Ok((_, Confirmed::EmailChanged)) => "confirmed",
            Ok((_, Confirmed::AwaitingApproval)) => "confirmed_pending_approval",
            Err(Error::Invalid { .. }) => "invalid",
            Err(e) => return Err(e.into()),
        },
    };
    let status = if state == "invalid" {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok(ctx.render_status(status, "pages/confirm.html", context! { state => state }))
}

pub async fn reset_request_page(ctx: WebCtx) -> Response {
    ctx.render(
        "pages/reset_request.html",
        context! { sent => false, errors => BTreeMap::<String, String>::new() },
    )
}

#[derive(Deserialize)]
pub struct ResetRequestForm {
    #[serde(default)]
    email: String,
}

pub async fn reset_request_submit(
    ctx: WebCtx,
    WebForm(form): WebForm<ResetRequestForm>,
) -> Result<Response, WebError> {
    if kogi_core::accounts::rules::normalise_email(&form.email).is_none() {
        let mut errors = BTreeMap::new();
        errors.insert("email".to_string(), ctx.t("error.email_invalid"));
        return Ok(ctx.render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "pages/reset_request.html",
            context! { sent => false, errors => errors },
        ));
    }
    limits::reset(&ctx.state, ctx.ip, &form.email).await?;
    if let Some((account, token)) =
        accounts::request_password_reset(&ctx.state.core, &form.email).await?
    {
        mailer::password_reset(&ctx.state, &account, &token, &ctx.lang).await;
    }
    // The same answer whether or not the address has an account.
    Ok(ctx.render(
        "pages/reset_request.html",
        context! { sent => true, errors => BTreeMap::<String, String>::new() },
    ))
}

pub async fn reset_page(ctx: WebCtx, Query(q): Query<TokenQuery>) -> Result<Response, WebError> {
    let token = q.token.unwrap_or_default();
    let valid = !token.is_empty() && accounts::reset_token_valid(&ctx.state.core, &token).await?;
    let state = if valid { "form" } else { "invalid" };
    Ok(ctx.render(
        "pages/reset_password.html",
        context! { token => token, state => state, errors => BTreeMap::<String, String>::new() },
    ))
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
}

pub async fn reset_submit(
    ctx: WebCtx,
    WebForm(form): WebForm<ResetForm>,
) -> Result<Response, WebError> {
    limits::token(&ctx.state, ctx.ip).await?;
    match accounts::reset_password(&ctx.state.core, &form.token, &form.password).await {
        Ok(_) => Ok(ctx.render(
            "pages/reset_password.html",
            context! { token => "", state => "done", errors => BTreeMap::<String, String>::new() },
        )),
        Err(Error::Invalid { field: "token", .. }) => Ok(ctx.render_status(
            StatusCode::BAD_REQUEST,
            "pages/reset_password.html",
            context! { token => "", state => "invalid", errors => BTreeMap::<String, String>::new() },
        )),
        Err(e) => {
            let errors = form_errors(&ctx, e)?;
            Ok(ctx.render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                "pages/reset_password.html",
                context! { token => form.token, state => "form", errors => errors },
            ))
        }
    }
}

/// This area's routes (pages).
pub fn routes() -> axum::Router<crate::app::AppState> {
    use axum::routing::{get, post};
    use axum::Router;

    Router::new()
        .route("/signup", get(self::signup_page).post(self::signup_submit))
        .route("/login", get(self::login_page).post(self::login_submit))
        .route("/logout", post(self::logout))
        .route("/confirm", get(self::confirm))
        .route(
            "/reset",
            get(self::reset_request_page).post(self::reset_request_submit),
        )
        .route(
            "/reset/confirm",
            get(self::reset_page).post(self::reset_submit),
        )
}
