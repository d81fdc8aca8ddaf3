//! Settings pages: profile (with avatar), password, email, sessions, language, account.

use std::collections::BTreeMap;

use axum::extract::{Multipart, Path};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use kogi_core::accounts::{self, ProfileLink, ProfileUpdate};
use kogi_core::Error;
use minijinja::{context, Value};
use serde::Deserialize;

use super::accounts::form_errors;
use super::{WebError, WebForm};
use crate::ctx::{set_cookie, WebCtx, LANG_COOKIE, SESSION_COOKIE};
use crate::mailer;

type Errors = BTreeMap<String, String>;

macro_rules! login_or_redirect {
    ($ctx:expr) => {
        match $ctx.require_login() {
            Ok(v) => v.clone(),
            Err(r) => return Ok(r.into_response()),
        }
    };
}

pub async fn index() -> Redirect {
    Redirect::to("/settings/profile")
}

fn split_tags(s: &str) -> Vec<String> {
    s.split(',')
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

fn profile_values(
    display_name: &str,
    bio: &str,
    interests: &str,
    skills: &str,
    links: &[ProfileLink],
) -> Value {
    let mut rows: Vec<Value> = links
        .iter()
        .map(|l| context! { name => l.name, url => l.url })
        .collect();
    while rows.len() < 4 {
        rows.push(context! { name => "", url => "" });
    }
    context! { display_name => display_name, bio => bio, interests => interests, skills => skills, links => rows }
}

pub async fn profile_page(ctx: WebCtx) -> Result<Response, WebError> {
    let (person, _) = login_or_redirect!(ctx);
    let a = &person.actor;
    let values = profile_values(
        &a.display_name,
        &a.summary,
        &a.interests().join(", "),
        &a.skills().join(", "),
        &a.links(),
    );
    Ok(ctx.render(
        "settings/profile.html",
        context! { settings_section => "profile", values => values, avatar_url => ctx.avatar_url(a), errors => Errors::new() },
    ))
}

/// The profile form is multipart (it carries the avatar). Every field is checked, and the
/// avatar decoded, before anything is written.
pub async fn profile_save(ctx: WebCtx, mut multipart: Multipart) -> Result<Response, WebError> {
    let (person, _) = login_or_redirect!(ctx);
    let mut fields: BTreeMap<String, String> = BTreeMap::new();
    let mut avatar: Option<Vec<u8>> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(WebError::PayloadTooLarge)
            }
            Err(_) => return Err(WebError::BadRequest),
        };
        let name = field.name().unwrap_or("").to_string();
        if name == "avatar" {
            let has_file = field.file_name().map(|f| !f.is_empty()).unwrap_or(false);
            let bytes = field.bytes().await.map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    WebError::PayloadTooLarge
                } else {
                    WebError::BadRequest
                }
            })?;
            if has_file && !bytes.is_empty() {
                avatar = Some(bytes.to_vec());
            }
        } else {
            let text = field.text().await.map_err(|_| WebError::BadRequest)?;
            if text.contains('\0') {
                return Err(WebError::BadRequest);
            }
            fields.insert(name, text);
        }
    }
    let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
    let links: Vec<ProfileLink> = (1..=4)
        .map(|i| ProfileLink {
            name: get(&format!("link_name_{i}")),
            url: get(&format!("link_url_{i}")),
        })
        .collect();
    let rerender = |errors: Errors| {
        let values = profile_values(
            &get("display_name"),
            &get("bio"),
            &get("interests"),
            &get("skills"),
            &links,
        );
        ctx.render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "settings/profile.html",
            context! { settings_section => "profile", values => values, avatar_url => ctx.avatar_url(&person.actor), errors => errors },
        )
    };
    let processed = match avatar {
        Some(bytes) => match accounts::prepare_avatar(&ctx.state.core, bytes).await {
            Ok(webp) => Some(webp),
            Err(e) => return Ok(rerender(form_errors(&ctx, e)?)),
        },
        None => None,
    };
    let update = ProfileUpdate {
        display_name: Some(get("display_name")),
        bio: Some(get("bio")),
        interests: Some(split_tags(&get("interests"))),
        skills: Some(split_tags(&get("skills"))),
        links: Some(links.clone()),
        language: None,
        locked: None,
    };
    if let Err(e) = accounts::update_profile(&ctx.state.core, &person, update).await {
        return Ok(rerender(form_errors(&ctx, e)?));
    }
    if processed.is_some() {
        accounts::set_avatar(&ctx.state.core, &person, processed).await?;
    } else if get("remove_avatar") == "1" && person.actor.avatar_path.is_some() {
        accounts::set_avatar(&ctx.state.core, &person, None).await?;
    }
    Ok(ctx.redirect_with_flash("/settings/profile", "success", "profile_saved"))
}

pub async fn password_page(ctx: WebCtx) -> Result<Response, WebError> {
    let _ = login_or_redirect!(ctx);
    Ok(ctx.render(
        "settings/password.html",
        context! { settings_section => "password", errors => Errors::new() },
    ))
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

pub async fn password_save(
    ctx: WebCtx,
    WebForm(form): WebForm<PasswordForm>,
) -> Result<Response, WebError> {
    let (person, session) = login_or_redirect!(ctx);
    match accounts::change_password(
        &ctx.state.core,
        &person,
        &form.current_password,
        &form.new_password,
        Some(session.id),
    )
    .await
    {
        Ok(()) => Ok(ctx.redirect_with_flash("/settings/password", "success", "password_changed")),
        Err(e) => {
            let errors = form_errors(&ctx, e)?;
            Ok(ctx.render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                "settings/password.html",
                context! { settings_section => "password", errors => errors },
            ))
        }
    }
}

pub async fn email_page(ctx: WebCtx) -> Result<Response, WebError> {
    let (person, _) = login_or_redirect!(ctx);
    Ok(ctx.render(
        "settings/email.html",
        context! {
            settings_section => "email", current_email => person.account.email,
            pending_email => person.account.pending_email, errors => Errors::new(),
        },
    ))
}

#[derive(Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    new_email: String,
    #[serde(default)]
    current_password: String,
}

pub async fn email_save(
    ctx: WebCtx,
    WebForm(form): WebForm<EmailForm>,
) -> Result<Response, WebError> {
    let (person, _) = login_or_redirect!(ctx);
    crate::limits::reset(&ctx.state, ctx.ip, &form.new_email).await?;
    match accounts::request_email_change(
        &ctx.state.core,
        &person,
        &form.new_email,
        &form.current_password,
    )
    .await
    {
        Ok(token) => {
            mailer::email_change(
                &ctx.state,
                &person.account,
                form.new_email.trim(),
                &token,
                &ctx.lang,
            )
            .await;
            Ok(ctx.redirect_with_flash("/settings/email", "success", "email_change_sent"))
        }
        Err(e) => {
            let errors = form_errors(&ctx, e)?;
            Ok(ctx.render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                "settings/email.html",
                context! {
                    settings_section => "email", current_email => person.account.email,
                    pending_email => person.account.pending_email, errors => errors,
                },
            ))
        }
    }
}

pub async fn sessions_page(ctx: WebCtx) -> Result<Response, WebError> {
    let (person, current) = login_or_redirect!(ctx);
    let list = accounts::list_sessions(&ctx.state.core, person.account.id, None).await?;
    let rows: Vec<Value> = list
        .iter()
        .map(|s| {
            context! {
                id => s.id, kind => s.kind, user_agent => s.user_agent,
                created_at => s.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                last_seen_at => s.last_seen_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                current => s.id == current.id,
            }
        })
        .collect();
    Ok(ctx.render(
        "settings/sessions.html",
        context! { settings_section => "sessions", sessions => rows },
    ))
}

pub async fn revoke(ctx: WebCtx, Path(id): Path<i64>) -> Result<Response, WebError> {
    let (person, current) = login_or_redirect!(ctx);
    accounts::revoke_session(&ctx.state.core, person.account.id, id).await?;
    let mut resp = ctx.redirect_with_flash("/settings/sessions", "success", "session_revoked");
    if id == current.id {
        resp = ctx.redirect_with_flash("/login", "info", "logged_out");
        resp.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(&ctx.state, SESSION_COOKIE, "", 0),
        );
    }
    Ok(resp)
}

pub async fn revoke_others(ctx: WebCtx) -> Result<Response, WebError> {
    let (person, current) = login_or_redirect!(ctx);
    accounts::revoke_other_sessions(&ctx.state.core, person.account.id, Some(current.id)).await?;
    Ok(ctx.redirect_with_flash("/settings/sessions", "success", "sessions_revoked"))
}

pub async fn language_page(ctx: WebCtx) -> Result<Response, WebError> {
    let _ = login_or_redirect!(ctx);
    let languages: Vec<Value> = ctx
        .state
        .theme
        .languages()
        .into_iter()
        .map(|(code, name)| context! { code => code, name => name })
        .collect();
    Ok(ctx.render(
        "settings/language.html",
        context! { settings_section => "language", languages => languages, current => ctx.lang },
    ))
}

#[derive(Deserialize)]
pub struct LanguageForm {
    #[serde(default)]
    language: String,
}

pub async fn language_save(
    ctx: WebCtx,
    WebForm(form): WebForm<LanguageForm>,
) -> Result<Response, WebError> {
    let (person, _) = login_or_redirect!(ctx);
    if !ctx.state.theme.has_language(&form.language) {
        return Err(WebError::BadRequest);
    }
    let update = ProfileUpdate {
        language: Some(Some(form.language.clone())),
        ..Default::default()
    };
    accounts::update_profile(&ctx.state.core, &person, update).await?;
    let mut resp = ctx.redirect_with_flash("/settings/language", "success", "language_saved");
    resp.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&ctx.state, LANG_COOKIE, &form.language, 60 * 60 * 24 * 365),
    );
    Ok(resp)
}

pub async fn account_page(ctx: WebCtx) -> Result<Response, WebError> {
    let _ = login_or_redirect!(ctx);
    Ok(ctx.render(
        "settings/account.html",
        context! { settings_section => "account", errors => Errors::new() },
    ))
}

#[derive(Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    confirm: String,
}

pub async fn account_delete(
    ctx: WebCtx,
    WebForm(form): WebForm<DeleteForm>,
) -> Result<Response, WebError> {
    let (person, _) = login_or_redirect!(ctx);
    let result = if form.confirm.trim().to_lowercase() != person.account.username {
        Err(Error::invalid("confirm", "confirm_mismatch"))
    } else {
        accounts::delete_account(&ctx.state.core, &person, &form.current_password).await
    };
    match result {
        Ok(()) => {
            let mut resp = ctx.redirect_with_flash("/", "info", "account_deleted");
            resp.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(&ctx.state, SESSION_COOKIE, "", 0),
            );
            Ok(resp.into_response())
        }
        Err(e) => {
            let errors = form_errors(&ctx, e)?;
            Ok(ctx.render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                "settings/account.html",
                context! { settings_section => "account", errors => errors },
            ))
        }
    }
}

/// This area's routes (pages).
pub fn routes() -> axum::Router<crate::app::AppState> {
    use axum::routing::{get, post};
    use axum::Router;

    Router::new()
        .route("/settings", get(self::index))
        .route(
            "/settings/password",
            get(self::password_page).post(self::password_save),
        )
        .route(
            "/settings/email",
            get(self::email_page).post(self::email_save),
        )
        .route("/settings/sessions", get(self::sessions_page))
        .route(
            "/settings/sessions/revoke-others",
            post(self::revoke_others),
        )
        .route("/settings/sessions/{id}/revoke", post(self::revoke))
        .route(
            "/settings/language",
            get(self::language_page).post(self::language_save),
        )
        .route("/settings/account", get(self::account_page))
        .route("/settings/account/delete", post(self::account_delete))
}
