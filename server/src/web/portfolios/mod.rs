//! Managing portfolios from the web: creating one, the editors (details, cover, lifecycle,
//! team, items with their files, projects with their updates), likes and bookmarks. Every
//! form works without JavaScript; every write answers with a 303 back and a flash message,
//! and tells the federation what followers need to hear.
//!
//! The read-only pages (portfolio, item, project, feed, explore, dashboard) live in
//! `pages`.

mod items;
mod members;
pub mod pages;
mod profile;
mod projects;
mod reactions;
pub use items::*;
pub use members::*;
pub use profile::*;
pub use projects::*;
pub use reactions::*;

use std::collections::BTreeMap;

use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use kogi_core::accounts::{Actor, ProfileLink};
use kogi_core::portfolios::queries::{self, Need};
use kogi_core::portfolios::store::{self, ItemInput, PortfolioInput, ProjectInput};
use kogi_core::portfolios::{
    bundle, engagement, types, FieldDef, FieldKind, Item, ItemMedia, Portfolio, Project, Section,
    State, Viewer, PROJECT_STATUSES,
};
use kogi_core::Error;
use minijinja::{context, Value};
use serde::Deserialize;
use serde_json::{Map, Value as Json};

use crate::ctx::WebCtx;
use crate::web::accounts::{form_errors, safe_next};
use crate::web::{WebError, WebForm};

type Errors = BTreeMap<String, String>;
/// A submitted form, field by field (forms with fields named after admin-defined ones).
type Fields = BTreeMap<String, String>;

const VISIBILITIES: &[&str] = &["public", "unlisted", "members", "private"];
const ROLES: &[&str] = &["owner", "editor", "viewer"];
const LINK_ROWS: usize = 4;

/// Returns the login redirect (back to `$next`) when nobody is signed in.
fn get(form: &Fields, key: &str) -> String {
    form.get(key).cloned().unwrap_or_default()
}

/// "a, b, c" as a list (blank entries dropped).
fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

fn shown(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        // Numbers arrive from forms as text and are kept as floats: 4.0 reads as 4.
        Json::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

fn kind_name(k: FieldKind) -> &'static str {
    match k {
        FieldKind::Text => "text",
        FieldKind::Number => "number",
        FieldKind::Date => "date",
        FieldKind::Url => "url",
        FieldKind::Choice => "choice",
    }
}

fn field_view(d: &FieldDef) -> Value {
    context! {
        name => d.name, label => d.name.replace('_', " "), kind => kind_name(d.kind),
        choices => d.choices, required => d.required,
    }
}

/// A section's field on the portfolio: its values are never required there (they are for
/// the items in the section).
fn section_field_view(d: &FieldDef) -> Value {
    field_view(&FieldDef {
        required: false,
        ..d.clone()
    })
}

/// Where a portfolio is read here.
fn page_of(p: &Portfolio) -> String {
    if p.row.local {
        format!("/portfolios/{}", p.actor.handle)
    } else {
        format!("/remote-portfolios/{}", p.actor.id)
    }
}

fn manage_of(p: &Portfolio) -> String {
    format!("/portfolios/{}/edit", p.actor.handle)
}

fn item_edit_of(p: &Portfolio, id: i64) -> String {
    format!("/portfolios/{}/items/{id}/edit", p.actor.handle)
}

fn project_edit_of(p: &Portfolio, id: i64) -> String {
    format!("/portfolios/{}/projects/{id}/edit", p.actor.handle)
}

/// The flash message for a refused action, by the rule it broke.
fn flash_for(code: &str) -> &'static str {
    match code {
        "invalid_transition" => "pf_invalid_transition",
        "last_owner" => "pf_last_owner",
        "not_a_local_person" => "pf_not_a_person",
        "role_invalid" => "pf_role_invalid",
        "not_published" => "pf_not_published",
        "too_many_files" => "pf_too_many_files",
        "file_too_large" => "pf_file_too_large",
        "file_invalid" | "file_type_unsupported" => "pf_file_unsupported",
        "required" => "pf_required",
        "field_too_long" => "pf_too_long",
        "no_owners" => "pf_no_owners",
        _ => "pf_invalid",
    }
}

/// A refused write goes back with a message; anything else is an error page.
fn refused(ctx: &WebCtx, to: &str, e: Error) -> Result<Response, WebError> {
    match e {
        Error::Invalid { code, .. } => Ok(ctx.redirect_with_flash(to, "error", flash_for(code))),
        other => Err(other.into()),
    }
}

fn unprocessable(errors: &Errors) -> StatusCode {
    if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

/// A local portfolio by handle; a deleted one is gone (410).
async fn local(ctx: &WebCtx, handle: &str) -> Result<Portfolio, WebError> {
    let p = queries::find_by_handle(&ctx.state.core, handle)
        .await?
        .ok_or(WebError::NotFound)?;
    if p.is_deleted() {
        return Err(WebError::Gone);
    }
    Ok(p)
}

/// A local portfolio and where `me` stands on it, if `me` may do what `need` says (404 when
/// they may not even see it, 403 when they may see it but not change it).
async fn allowed(
    ctx: &WebCtx,
    me: &Actor,
    handle: &str,
    need: Need,
) -> Result<(Portfolio, Viewer), WebError> {
    let p = local(ctx, handle).await?;
    let v = queries::authorize(&ctx.state.core, &p, Some(me.id), need).await?;
    Ok((p, v))
}

async fn item_of(ctx: &WebCtx, p: &Portfolio, id: i64) -> Result<Item, WebError> {
    let item = queries::item(&ctx.state.core, id)
        .await?
        .filter(|i| i.portfolio_id == p.id())
        .ok_or(WebError::NotFound)?;
    if item.deleted_at.is_some() {
        return Err(WebError::Gone);
    }
    Ok(item)
}

async fn project_of(ctx: &WebCtx, p: &Portfolio, id: i64) -> Result<Project, WebError> {
    let x = queries::project(&ctx.state.core, id)
        .await?
        .filter(|x| x.portfolio_id == p.id())
        .ok_or(WebError::NotFound)?;
    if x.deleted_at.is_some() {
        return Err(WebError::Gone);
    }
    Ok(x)
}

fn links_from(form: &Fields) -> Vec<ProfileLink> {
    (1..=LINK_ROWS)
        .map(|i| ProfileLink {
            name: get(form, &format!("link_name_{i}")),
            url: get(form, &format!("link_url_{i}")),
        })
        .collect()
}

fn put_links(values: &mut Fields, links: &[ProfileLink]) {
    for (i, l) in links.iter().take(LINK_ROWS).enumerate() {
        values.insert(format!("link_name_{}", i + 1), l.name.clone());
        values.insert(format!("link_url_{}", i + 1), l.url.clone());
    }
}

pub(super) async fn multipart_fields(
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(Option<Vec<u8>>, Fields), WebError> {
    let mut multipart = multipart.map_err(|_| WebError::BadRequest)?;
    let too_large = |status: StatusCode| {
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            WebError::PayloadTooLarge
        } else {
            WebError::BadRequest
        }
    };
    let mut file = None;
    let mut fields = Fields::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(too_large(e.status())),
        };
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            let has_file = field.file_name().is_some_and(|f| !f.is_empty());
            let bytes = field.bytes().await.map_err(|e| too_large(e.status()))?;
            if has_file && !bytes.is_empty() {
                file = Some(bytes.to_vec());
            }
        } else {
            let text = field.text().await.map_err(|e| too_large(e.status()))?;
            if text.contains('\0') {
                return Err(WebError::BadRequest);
            }
            fields.insert(name, text);
        }
    }
    Ok((file, fields))
}

// ---------------------------------------------------------------------------------------------
// A new portfolio

/// A form that carries only its CSRF token (and sometimes a confirmation).
#[derive(Deserialize)]
pub struct PlainForm {
    confirm: Option<String>,
}

/// This area's routes (pages); uploads carry their own body limit.
pub fn routes(state: &crate::app::AppState) -> axum::Router<crate::app::AppState> {
    use axum::extract::DefaultBodyLimit;
    use axum::routing::{get, post};
    use axum::Router;

    Router::new()
        .route("/portfolios", get(pages::explore))
        .route("/portfolios/mine", get(pages::mine))
        .route("/portfolios/{handle}", get(pages::portfolio))
        .route("/portfolios/{handle}/feed.atom", get(pages::feed))
        .route("/portfolios/{handle}/items/{id}", get(pages::item))
        .route("/portfolios/{handle}/projects/{id}", get(pages::project))
        .route("/portfolios/{handle}/watch", post(pages::watch))
        .route("/portfolios/message/{actor_id}", post(pages::message))
        .route("/remote-portfolios/{actor_id}", get(pages::remote))
        .route("/portfolios", post(self::create))
        .route("/portfolios/new", get(self::new_page))
        .route(
            "/portfolios/{handle}/edit",
            get(self::edit_page).post(self::edit_save),
        )
        .route("/portfolios/{handle}/publish", post(self::publish))
        .route("/portfolios/{handle}/archive", post(self::archive))
        .route("/portfolios/{handle}/restore", post(self::restore))
        .route("/portfolios/{handle}/delete", post(self::delete))
        .route(
            "/portfolios/{handle}/cover",
            post(self::cover).layer(DefaultBodyLimit::max(
                state.config.limits.portfolio_media_max_bytes + (64 << 10),
            )),
        )
        .route(
            "/portfolios/{handle}/cover/remove",
            post(self::cover_remove),
        )
        .route("/portfolios/{handle}/members", post(self::member_save))
        .route(
            "/portfolios/{handle}/members/remove",
            post(self::member_remove),
        )
        .route("/portfolios/{handle}/bookmark", post(self::bookmark))
        .route(
            "/portfolios/{handle}/items/new",
            get(self::item_new_page).post(self::item_create),
        )
        .route(
            "/portfolios/{handle}/items/{id}/edit",
            get(self::item_edit_page).post(self::item_save),
        )
        .route(
            "/portfolios/{handle}/items/{id}/publish",
            post(self::item_publish),
        )
        .route(
            "/portfolios/{handle}/items/{id}/archive",
            post(self::item_archive),
        )
        .route(
            "/portfolios/{handle}/items/{id}/restore",
            post(self::item_restore),
        )
        .route(
            "/portfolios/{handle}/items/{id}/delete",
            post(self::item_delete),
        )
        .route(
            "/portfolios/{handle}/items/{id}/media",
            post(self::item_media).layer(DefaultBodyLimit::max(
                state.config.limits.portfolio_media_max_bytes + (64 << 10),
            )),
        )
        .route(
            "/portfolios/{handle}/items/{id}/media/remove",
            post(self::item_media_remove),
        )
        .route("/portfolios/{handle}/items/{id}/like", post(self::like))
        .route("/portfolios/{handle}/projects", post(self::project_create))
        .route(
            "/portfolios/{handle}/projects/new",
            get(self::project_new_page),
        )
        .route(
            "/portfolios/{handle}/projects/{id}/edit",
            get(self::project_edit_page).post(self::project_save),
        )
        .route(
            "/portfolios/{handle}/projects/{id}/updates",
            post(self::project_update),
        )
        .route(
            "/portfolios/{handle}/projects/{id}/members",
            post(self::project_member_save),
        )
        .route(
            "/portfolios/{handle}/projects/{id}/members/remove",
            post(self::project_member_remove),
        )
        .route(
            "/portfolios/{handle}/projects/{id}/delete",
            post(self::project_delete),
        )
        .route(
            "/remote-portfolios/{actor_id}/items/{id}/like",
            post(self::remote_like),
        )
        .route(
            "/remote-portfolios/{actor_id}/bookmark",
            post(self::remote_bookmark),
        )
        .route("/bookmarks", get(self::bookmarks))
        .route("/bookmarks/{id}/remove", post(self::bookmark_remove))
}
