//! Managing portfolios from the web: creating one, the editors (details, cover, lifecycle,
//! team, items with their files, projects with their updates), likes and bookmarks. Every
//! form works without JavaScript; every write answers with a 303 back and a flash message,
//! and tells the federation what followers need to hear.
//!
//! The read-only pages (portfolio, item, project, feed, explore, dashboard) live in
//! `portfolio_pages`.

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

use super::accounts::{form_errors, safe_next};
use super::{WebError, WebForm};
use crate::ctx::WebCtx;

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

fn csrf(ctx: &WebCtx, form: &Fields) -> Result<(), WebError> {
    ctx.check_csrf(form.get("csrf_token").map(String::as_str))
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

fn media_url(m: &ItemMedia) -> Option<String> {
    m.path
        .as_ref()
        .map(|p| format!("/media/{p}"))
        .or_else(|| m.url.clone())
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

async fn new_form(ctx: &WebCtx, values: Fields, errors: Errors) -> Result<Response, WebError> {
    let core = &ctx.state.core;
    let kinds = types::list_types(core).await?;
    // The chosen type's own fields (a failed submission shows those of the type it chose).
    let chosen = values.get("portfolio_type").cloned().unwrap_or_default();
    let type_fields: Vec<Value> = kinds
        .iter()
        .find(|k| k.name == chosen)
        .or(kinds.first())
        .map(|k| k.fields.iter().map(field_view).collect())
        .unwrap_or_default();
    let kinds: Vec<Value> = kinds
        .into_iter()
        .map(|t| context! { name => t.name, label => t.label })
        .collect();
    let templates: Vec<Value> = types::list_templates(core)
        .await?
        .into_iter()
        .map(|t| context! { name => t.name, description => t.description, portfolio_type => t.portfolio_type })
        .collect();
    Ok(ctx.render_status(
        unprocessable(&errors),
        "portfolios/new.html",
        context! {
            values => values, errors => errors, types => kinds, templates => templates,
            visibilities => VISIBILITIES, type_fields => type_fields,
        },
    ))
}

#[derive(Deserialize)]
pub struct NewQuery {
    /// A type to start with (its fields are on the form).
    #[serde(rename = "type")]
    kind: Option<String>,
}

/// The form for a new portfolio.
pub async fn new_page(ctx: WebCtx, Query(q): Query<NewQuery>) -> Result<Response, WebError> {
    signed_in!(ctx, "/portfolios/new");
    let mut values = Fields::new();
    values.insert("visibility".into(), "public".into());
    if let Some(k) = q.kind.filter(|k| !k.is_empty()) {
        values.insert("portfolio_type".into(), k);
    }
    new_form(&ctx, values, Errors::new()).await
}

/// Creates a draft portfolio owned by the signed-in person, then opens its editor.
pub async fn create(ctx: WebCtx, WebForm(form): WebForm<Fields>) -> Result<Response, WebError> {
    let me = signed_in!(ctx, "/portfolios/new");
    csrf(&ctx, &form)?;
    let optional = |k: &str| Some(get(&form, k)).filter(|v| !v.trim().is_empty());
    let mut fields = Map::new();
    if let Some(def) =
        types::find_type(&ctx.state.core, get(&form, "portfolio_type").trim()).await?
    {
        for d in &def.fields {
            if let Some(x) = form.get(&format!("field_{}", d.name)) {
                fields.insert(d.name.clone(), Json::String(x.clone()));
            }
        }
    }
    let input = PortfolioInput {
        fields: Some(fields),
        handle: Some(get(&form, "handle")),
        title: Some(get(&form, "title")),
        summary: Some(get(&form, "summary")),
        portfolio_type: optional("portfolio_type"),
        tags: Some(split_list(&get(&form, "tags"))),
        visibility: optional("visibility"),
        template: optional("template"),
        ..Default::default()
    };
    match store::create(&ctx.state.core, &me, input).await {
        Ok(p) => Ok(ctx.redirect_with_flash(&manage_of(&p), "success", "pf_created")),
        Err(e) => {
            let errors = form_errors(&ctx, e)?;
            new_form(&ctx, form, errors).await
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The portfolio editor

fn portfolio_values(p: &Portfolio) -> Fields {
    let mut v = Fields::new();
    v.insert("title".into(), p.title().to_string());
    v.insert("summary".into(), p.actor.summary.clone());
    v.insert("tags".into(), p.tags().join(", "));
    v.insert("visibility".into(), p.row.visibility.clone());
    v.insert("portfolio_type".into(), p.row.portfolio_type.clone());
    put_links(&mut v, &p.links());
    for (k, x) in p.fields() {
        v.insert(format!("field_{k}"), shown(&x));
    }
    for (i, s) in p.sections().iter().enumerate() {
        for (k, x) in &s.values {
            v.insert(format!("section_{i}_{k}"), shown(x));
        }
    }
    v
}

async fn editor(
    ctx: &WebCtx,
    p: &Portfolio,
    v: &Viewer,
    values: Option<Fields>,
    errors: Errors,
) -> Result<Response, WebError> {
    let core = &ctx.state.core;
    let values = values.unwrap_or_else(|| portfolio_values(p));
    let kinds = types::list_types(core).await?;
    let chosen = values
        .get("portfolio_type")
        .cloned()
        .unwrap_or_else(|| p.row.portfolio_type.clone());
    let type_fields: Vec<Value> = kinds
        .iter()
        .find(|k| k.name == chosen)
        .map(|k| k.fields.iter().map(field_view).collect())
        .unwrap_or_default();
    let kinds: Vec<Value> = kinds
        .iter()
        .map(|k| context! { name => k.name, label => k.label })
        .collect();
    let sections: Vec<Value> = p
        .sections()
        .iter()
        .enumerate()
        .map(|(i, s)| context! { index => i, name => s.name, fields => s.fields.iter().map(section_field_view).collect::<Vec<_>>() })
        .collect();
    let page = page_of(p);
    let items: Vec<Value> = queries::items(core, p.id())
        .await?
        .iter()
        .map(|i| context! {
            id => i.id, title => i.title, state => i.state, visibility => i.visibility,
            featured => i.featured, section => i.section, url => format!("{page}/items/{}", i.id),
            edit_url => item_edit_of(p, i.id), media => i.media().len(),
        })
        .collect();
    let projects: Vec<Value> = queries::projects(core, p.id())
        .await?
        .iter()
        .map(|x| {
            context! {
                id => x.id, title => x.title, status => x.status, visibility => x.visibility,
                url => format!("{page}/projects/{}", x.id), edit_url => project_edit_of(p, x.id),
            }
        })
        .collect();
    let members: Vec<Value> = queries::members(core, p.id())
        .await?
        .into_iter()
        .map(|(m, a)| {
            context! {
                username => a.handle, name => a.name(), role => m.role,
                is_me => Some(a.id) == v.actor_id, url => format!("/users/{}", a.handle),
            }
        })
        .collect();
    Ok(ctx.render_status(
        unprocessable(&errors),
        "portfolios/edit.html",
        context! {
            portfolio => context! {
                handle => p.actor.handle, title => p.title(), state => p.row.state,
                visibility => p.row.visibility, url => page, edit_url => manage_of(p),
                cover_url => p.row.cover_path.as_ref().map(|c| format!("/media/{c}")),
                federated => p.is_federated(), published_before => p.row.published_at.is_some(),
            },
            values => values, errors => errors, types => kinds, type_fields => type_fields,
            sections => sections, items => items, projects => projects, members => members,
            is_owner => v.is_owner(), roles => ROLES, visibilities => VISIBILITIES,
            media_max_mb => ctx.state.config.limits.portfolio_media_max_bytes >> 20,
        },
    ))
}

/// The editor of a portfolio (owners and editors).
pub async fn edit_page(ctx: WebCtx, Path(handle): Path<String>) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/portfolios/{handle}/edit"));
    let (p, v) = allowed(&ctx, &me, &handle, Need::Edit).await?;
    editor(&ctx, &p, &v, None, Errors::new()).await
}

/// Saves the details form; followers get an `Update`.
pub async fn edit_save(
    ctx: WebCtx,
    Path(handle): Path<String>,
    WebForm(form): WebForm<Fields>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/portfolios/{handle}/edit"));
    csrf(&ctx, &form)?;
    let (p, v) = allowed(&ctx, &me, &handle, Need::Edit).await?;
    let core = &ctx.state.core;
    let kind = get(&form, "portfolio_type");
    // Only the chosen type's fields are sent (a changed type drops the old type's fields).
    let mut fields = Map::new();
    if let Some(def) = types::find_type(core, kind.trim()).await? {
        for d in &def.fields {
            if let Some(x) = form.get(&format!("field_{}", d.name)) {
                fields.insert(d.name.clone(), Json::String(x.clone()));
            }
        }
    }
    let mut sections: Vec<Section> = Vec::new();
    for (i, mut s) in p.sections().into_iter().enumerate() {
        if form.contains_key(&format!("remove_section_{i}")) {
            continue;
        }
        for d in &s.fields {
            if let Some(x) = form.get(&format!("section_{i}_{}", d.name)) {
                s.values.insert(d.name.clone(), Json::String(x.clone()));
            }
        }
        sections.push(s);
    }
    let added = get(&form, "new_section");
    if !added.trim().is_empty() {
        sections.push(Section {
            name: added.trim().to_string(),
            fields: vec![],
            values: Map::new(),
        });
    }
    let input = PortfolioInput {
        title: Some(get(&form, "title")),
        summary: Some(get(&form, "summary")),
        portfolio_type: Some(kind),
        tags: Some(split_list(&get(&form, "tags"))),
        links: Some(links_from(&form)),
        visibility: Some(get(&form, "visibility")),
        fields: Some(fields),
        sections: Some(sections),
        ..Default::default()
    };
    match store::update(core, &p, input).await {
        Ok(p) => {
            ctx.state.fed.announce_portfolio(&p).await?;
            Ok(ctx.redirect_with_flash(&manage_of(&p), "success", "pf_saved"))
        }
        Err(e) => {
            let errors = form_errors(&ctx, e)?;
            editor(&ctx, &p, &v, Some(form), errors).await
        }
    }
}

/// A form that carries only its CSRF token (and sometimes a confirmation).
#[derive(Deserialize)]
pub struct PlainForm {
    csrf_token: Option<String>,
    confirm: Option<String>,
}

async fn lifecycle(
    ctx: WebCtx,
    handle: String,
    form: PlainForm,
    to: State,
    done: &str,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/portfolios/{handle}/edit"));
    ctx.check_csrf(form.csrf_token.as_deref())?;
    let (p, _) = allowed(&ctx, &me, &handle, Need::Own).await?;
    let back = manage_of(&p);
    match ctx.state.fed.set_portfolio_state(&p, to).await {
        Ok(_) => Ok(ctx.redirect_with_flash(&back, "success", done)),
        Err(e) => refused(&ctx, &back, e),
    }
}

/// Publishes a draft (owners): it becomes followable and its published work goes out.
pub async fn publish(
    ctx: WebCtx,
    Path(handle): Path<String>,
    WebForm(form): WebForm<PlainForm>,
) -> Result<Response, WebError> {
    lifecycle(ctx, handle, form, State::Published, "pf_published").await
}

/// Archives a published portfolio (owners).
pub async fn archive(
    ctx: WebCtx,
    Path(handle): Path<String>,
    WebForm(form): WebForm<PlainForm>,
) -> Result<Response, WebError> {
    lifecycle(ctx, handle, form, State::Archived, "pf_archived").await
}

/// Restores an archived portfolio (owners).
pub async fn restore(
    ctx: WebCtx,
    Path(handle): Path<String>,
    WebForm(form): WebForm<PlainForm>,
) -> Result<Response, WebError> {
    lifecycle(ctx, handle, form, State::Published, "pf_restored").await
}

/// Deletes a portfolio for good (owners, who type its handle to confirm).
pub async fn delete(
    ctx: WebCtx,
    Path(handle): Path<String>,
    WebForm(form): WebForm<PlainForm>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/portfolios/{handle}/edit"));
    ctx.check_csrf(form.csrf_token.as_deref())?;
    let (p, _) = allowed(&ctx, &me, &handle, Need::Own).await?;
    let typed = form.confirm.unwrap_or_default();
    if !typed
        .trim()
        .trim_start_matches('@')
        .eq_ignore_ascii_case(&p.actor.handle)
    {
        return Ok(ctx.redirect_with_flash(&manage_of(&p), "error", "pf_confirm_mismatch"));
    }
    ctx.state.fed.delete_portfolio(&p).await?;
    Ok(ctx.redirect_with_flash("/portfolios/mine", "success", "pf_deleted"))
}

/// Sets the cover image (multipart `file`; re-encoded to WebP). Followers get an `Update`.
pub async fn cover(
    ctx: WebCtx,
    Path(handle): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/portfolios/{handle}/edit"));
    let (file, form) = multipart_fields(multipart).await?;
    csrf(&ctx, &form)?;
    let (p, _) = allowed(&ctx, &me, &handle, Need::Edit).await?;
    let back = manage_of(&p);
    let Some(bytes) = file else {
        return Ok(ctx.redirect_with_flash(&back, "error", "pf_file_missing"));
    };
    let max = ctx.state.config.limits.portfolio_media_max_bytes;
    let dir = ctx.state.core.config.media_dir();
    let stored = tokio::task::spawn_blocking(move || -> kogi_core::Result<String> {
        let webp = kogi_core::media::process_post_image(&bytes, max)
            .map_err(|_| Error::invalid("file", "file_invalid"))?;
        kogi_core::media::store(&dir, "covers", "webp", &webp)
    })
    .await
    .map_err(|_| WebError::Internal)?;
    let path = match stored {
        Ok(path) => path,
        Err(e) => return refused(&ctx, &back, e),
    };
    let p = store::set_cover(&ctx.state.core, &p, Some(path)).await?;
    ctx.state.fed.announce_portfolio(&p).await?;
    Ok(ctx.redirect_with_flash(&back, "success", "pf_cover_saved"))
}

/// Removes the cover image.
pub async fn cover_remove(
    ctx: WebCtx,
    Path(handle): Path<String>,
    WebForm(form): WebForm<PlainForm>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/portfolios/{handle}/edit"));
    ctx.check_csrf(form.csrf_token.as_deref())?;
    let (p, _) = allowed(&ctx, &me, &handle, Need::Edit).await?;
    let p = store::set_cover(&ctx.state.core, &p, None).await?;
    ctx.state.fed.announce_portfolio(&p).await?;
    Ok(ctx.redirect_with_flash(&manage_of(&p), "success", "pf_cover_removed"))
}

#[derive(Deserialize)]
pub struct MemberForm {
    csrf_token: Option<String>,
    #[serde(default)]
    username: String,
    #[serde(default)]
    role: String,
}

/// Adds a local person to the team or changes their role (owners).
pub async fn member_save(
    ctx: WebCtx,
    Path(handle): Path<String>,
    WebForm(form): WebForm<MemberForm>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/portfolios/{handle}/edit"));
    ctx.check_csrf(form.csrf_token.as_deref())?;
    let (p, _) = allowed(&ctx, &me, &handle, Need::Own).await?;
    let back = format!("{}#team-title", manage_of(&p));
    let Some(role) = kogi_core::portfolios::Role::parse(form.role.trim()) else {
        return Ok(ctx.redirect_with_flash(&back, "error", "pf_role_invalid"));
    };
    let username = form.username.trim().trim_start_matches('@');
    let Some(person) = kogi_core::accounts::find_person(&ctx.state.core.db, username).await? else {
        return Ok(ctx.redirect_with_flash(&back, "error", "pf_no_such_person"));
    };
    match store::set_member(&ctx.state.core, &p, &person.actor, role).await {
        Ok(()) => Ok(ctx.redirect_with_flash(&back, "success", "pf_member_saved")),
        Err(e) => refused(&ctx, &back, e),
    }
}

/// Takes someone off the team (owners; the last owner stays).
pub async fn member_remove(
    ctx: WebCtx,
    Path(handle): Path<String>,
    WebForm(form): WebForm<MemberForm>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/portfolios/{handle}/edit"));
    ctx.check_csrf(form.csrf_token.as_deref())?;
    let (p, _) = allowed(&ctx, &me, &handle, Need::Own).await?;
    let back = format!("{}#team-title", manage_of(&p));
    let Some(person) =
        kogi_core::accounts::find_person(&ctx.state.core.db, form.username.trim()).await?
    else {
        return Ok(ctx.redirect_with_flash(&back, "error", "pf_no_such_person"));
    };
    match store::remove_member(&ctx.state.core, &p, person.actor.id).await {
        Ok(true) if person.actor.id == me.id => {
            Ok(ctx.redirect_with_flash("/portfolios/mine", "success", "pf_member_removed"))
        }
        Ok(true) => Ok(ctx.redirect_with_flash(&back, "success", "pf_member_removed")),
        Ok(false) => Ok(ctx.redirect_with_flash(&back, "info", "pf_not_a_member")),
        Err(e) => refused(&ctx, &back, e),
    }
}

// ---------------------------------------------------------------------------------------------
// Items

fn item_values(p: &Portfolio, item: &Item) -> Fields {
    let mut v = Fields::new();
    v.insert("title".into(), item.title.clone());
    v.insert("description".into(), item.description.clone());
    v.insert("role".into(), item.role.clone());
    v.insert("client".into(), item.client.clone());
    v.insert("skills".into(), item.skills().join(", "));
    v.insert(
        "started_on".into(),
        item.started_on.clone().unwrap_or_default(),
    );
    v.insert("ended_on".into(), item.ended_on.clone().unwrap_or_default());
    v.insert(
        "video_url".into(),
        item.video_url.clone().unwrap_or_default(),
    );
    v.insert(
        "external_url".into(),
        item.external_url.clone().unwrap_or_default(),
    );
    v.insert("position".into(), item.position.to_string());
    if item.featured {
        v.insert("featured".into(), "1".into());
    }
    v.insert("visibility".into(), item.visibility.clone());
    v.insert("section".into(), item.section.clone().unwrap_or_default());
    if let Some(i) = p
        .sections()
        .iter()
        .position(|s| Some(&s.name) == item.section.as_ref())
    {
        for (k, x) in item.fields() {
            v.insert(format!("ifield_{i}_{k}"), shown(&x));
        }
    }
    v
}

fn item_input(form: &Fields, sections: &[Section]) -> ItemInput {
    let section = get(form, "section").trim().to_string();
    let mut fields = Map::new();
    if let Some((i, s)) = sections.iter().enumerate().find(|(_, s)| s.name == section) {
        for d in &s.fields {
            if let Some(x) = form.get(&format!("ifield_{i}_{}", d.name)) {
                fields.insert(d.name.clone(), Json::String(x.clone()));
            }
        }
    }
    ItemInput {
        title: Some(get(form, "title")),
        description: Some(get(form, "description")),
        role: Some(get(form, "role")),
        client: Some(get(form, "client")),
        skills: Some(split_list(&get(form, "skills"))),
        started_on: Some(get(form, "started_on")),
        ended_on: Some(get(form, "ended_on")),
        video_url: Some(get(form, "video_url")),
        external_url: Some(get(form, "external_url")),
        position: get(form, "position").trim().parse().ok(),
        featured: Some(form.contains_key("featured")),
        visibility: Some(get(form, "visibility")),
        section: Some(section),
        fields: Some(fields),
    }
}

async fn item_editor(
    ctx: &WebCtx,
    p: &Portfolio,
    item: Option<&Item>,
    values: Option<Fields>,
    errors: Errors,
) -> Result<Response, WebError> {
    let values = values.unwrap_or_else(|| match item {
        Some(i) => item_values(p, i),
        None => Fields::from([("visibility".to_string(), "public".to_string())]),
    });
    let sections: Vec<Value> = p
        .sections()
        .iter()
        .enumerate()
        .map(|(i, s)| context! { index => i, name => s.name, fields => s.fields.iter().map(field_view).collect::<Vec<_>>() })
        .collect();
    let page = page_of(p);
    let item_view = item.map(|i| {
        let media: Vec<Value> = i
            .media()
            .iter()
            .enumerate()
            .map(|(n, m)| context! { index => n, url => media_url(m), kind => m.kind, media_type => m.media_type, description => m.description })
            .collect();
        context! {
            id => i.id, title => i.title, state => i.state, visibility => i.visibility,
            url => format!("{page}/items/{}", i.id), action => item_edit_of(p, i.id),
            base => format!("{page}/items/{}", i.id), media => media,
            media_full => media.len() >= bundle::ITEM_MEDIA_MAX, federated => i.post_id.is_some(),
        }
    });
    Ok(ctx.render_status(
        unprocessable(&errors),
        "portfolios/item_form.html",
        context! {
            portfolio => context! { handle => p.actor.handle, title => p.title(), url => page, edit_url => manage_of(p) },
            item => item_view, values => values, errors => errors, sections => sections,
            visibilities => VISIBILITIES, new_action => format!("{page}/items/new"),
            media_max_mb => ctx.state.config.limits.portfolio_media_max_bytes >> 20,
        },
    ))
}

/// The form for a new item (owners and editors).
pub async fn item_new_page(ctx: WebCtx, Path(handle): Path<String>) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/portfolios/{handle}/items/new"));
    let (p, _) = allowed(&ctx, &me, &handle, Need::Edit).await?;
    item_editor(&ctx, &p, None, None, Errors::new()).await
}

/// Adds an item as a draft, then opens its editor (files, publishing).
pub async fn item_create(
    ctx: WebCtx,
    Path(handle): Path<String>,
    WebForm(form): WebForm<Fields>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/portfolios/{handle}/items/new"));
    csrf(&ctx, &form)?;
    let (p, _) = allowed(&ctx, &me, &handle, Need::Edit).await?;
    let input = item_input(&form, &p.sections());
    match store::create_item(&ctx.state.core, &p, input).await {
        Ok(item) => {
            Ok(ctx.redirect_with_flash(&item_edit_of(&p, item.id), "success", "pf_item_created"))
        }
        Err(e) => {
            let errors = form_errors(&ctx, e)?;
            item_editor(&ctx, &p, None, Some(form), errors).await
        }
    }
}

/// The editor of an item.
pub async fn item_edit_page(
    ctx: WebCtx,
    Path((handle, id)): Path<(String, i64)>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/portfolios/{handle}/items/{id}/edit"));
    let (p, _) = allowed(&ctx, &me, &handle, Need::Edit).await?;
    let item = item_of(&ctx, &p, id).await?;
    item_editor(&ctx, &p, Some(&item), None, Errors::new()).await
}

/// Saves an item; a published item's followers get an `Update` and watchers hear of it.
pub async fn item_save(
    ctx: WebCtx,
    Path((handle, id)): Path<(String, i64)>,
    WebForm(form): WebForm<Fields>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/portfolios/{handle}/items/{id}/edit"));
    csrf(&ctx, &form)?;
    let (p, _) = allowed(&ctx, &me, &handle, Need::Edit).await?;
    let item = item_of(&ctx, &p, id).await?;
    let input = item_input(&form, &p.sections());
    match store::update_item(&ctx.state.core, &p, &item, input).await {
        Ok(item) => {
            if item.state() != State::Draft {
                ctx.state.fed.sync_item(&p, &item, true).await?;
            }
            Ok(ctx.redirect_with_flash(&item_edit_of(&p, item.id), "success", "pf_item_saved"))
        }
        Err(e) => {
            let errors = form_errors(&ctx, e)?;
            item_editor(&ctx, &p, Some(&item), Some(form), errors).await
        }
    }
}

async fn item_lifecycle(
    ctx: WebCtx,
    handle: String,
    id: i64,
    form: PlainForm,
    to: State,
    done: &str,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/portfolios/{handle}/items/{id}/edit"));
    ctx.check_csrf(form.csrf_token.as_deref())?;
    let (p, _) = allowed(&ctx, &me, &handle, Need::Edit).await?;
    let item = item_of(&ctx, &p, id).await?;
    let back = item_edit_of(&p, item.id);
    match store::set_item_state(&ctx.state.core, &item, to).await {
        Ok(item) => {
            ctx.state.fed.sync_item(&p, &item, true).await?;
            Ok(ctx.redirect_with_flash(&back, "success", done))
        }
        Err(e) => refused(&ctx, &back, e),
    }
}

/// Publishes an item: followers get it (members-only items reach the team only).
pub async fn item_publish(
    ctx: WebCtx,
    Path((handle, id)): Path<(String, i64)>,
    WebForm(form): WebForm<PlainForm>,
) -> Result<Response, WebError> {
    item_lifecycle(ctx, handle, id, form, State::Published, "pf_item_published").await
}

pub async fn item_archive(
    ctx: WebCtx,
    Path((handle, id)): Path<(String, i64)>,
    WebForm(form): WebForm<PlainForm>,
) -> Result<Response, WebError> {
    item_lifecycle(ctx, handle, id, form, State::Archived, "pf_item_archived").await
}

pub async fn item_restore(
    ctx: WebCtx,
    Path((handle, id)): Path<(String, i64)>,
    WebForm(form): WebForm<PlainForm>,
) -> Result<Response, WebError> {
    item_lifecycle(ctx, handle, id, form, State::Published, "pf_item_restored").await
}

/// Deletes an item for good; followers who had it are sent a `Delete`.
pub async fn item_delete(
    ctx: WebCtx,
    Path((handle, id)): Path<(String, i64)>,
    WebForm(form): WebForm<PlainForm>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/portfolios/{handle}/items/{id}/edit"));
    ctx.check_csrf(form.csrf_token.as_deref())?;
    let (p, _) = allowed(&ctx, &me, &handle, Need::Edit).await?;
    let item = item_of(&ctx, &p, id).await?;
    ctx.state.fed.delete_item(&p, &item).await?;
    Ok(ctx.redirect_with_flash(&manage_of(&p), "success", "pf_item_deleted"))
}

/// Attaches a file to an item (multipart: `file` and its `description`).
pub async fn item_media(
    ctx: WebCtx,
    Path((handle, id)): Path<(String, i64)>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/portfolios/{handle}/items/{id}/edit"));
    let (file, form) = multipart_fields(multipart).await?;
    csrf(&ctx, &form)?;
    let (p, _) = allowed(&ctx, &me, &handle, Need::Edit).await?;
    let item = item_of(&ctx, &p, id).await?;
    let back = format!("{}#media-title", item_edit_of(&p, item.id));
    let Some(bytes) = file else {
        return Ok(ctx.redirect_with_flash(&back, "error", "pf_file_missing"));
    };
    let mut media = item.media();
    if media.len() >= bundle::ITEM_MEDIA_MAX {
        return Ok(ctx.redirect_with_flash(&back, "error", "pf_too_many_files"));
    }
    let description = get(&form, "description");
    let max = ctx.state.config.limits.portfolio_media_max_bytes;
    let core = ctx.state.core.clone();
    let stored = tokio::task::spawn_blocking(move || -> kogi_core::Result<ItemMedia> {
        let file = bundle::process_item_file(&bytes, max)?;
        bundle::store_item_file(&core, &file, &description)
    })
    .await
    .map_err(|_| WebError::Internal)?;
    match stored {
        Ok(m) => media.push(m),
        Err(e) => return refused(&ctx, &back, e),
    }
    let item = store::set_item_media(&ctx.state.core, item.id, &media).await?;
    if item.state() != State::Draft {
        ctx.state.fed.sync_item(&p, &item, true).await?;
    }
    Ok(ctx.redirect_with_flash(&back, "success", "pf_media_added"))
}

#[derive(Deserialize)]
pub struct MediaRemoveForm {
    csrf_token: Option<String>,
    index: usize,
}

/// Removes one file from an item.
pub async fn item_media_remove(
    ctx: WebCtx,
    Path((handle, id)): Path<(String, i64)>,
    WebForm(form): WebForm<MediaRemoveForm>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/portfolios/{handle}/items/{id}/edit"));
    ctx.check_csrf(form.csrf_token.as_deref())?;
    let (p, _) = allowed(&ctx, &me, &handle, Need::Edit).await?;
    let item = item_of(&ctx, &p, id).await?;
    let back = format!("{}#media-title", item_edit_of(&p, item.id));
    let mut media = item.media();
    if form.index >= media.len() {
        return Ok(ctx.redirect_with_flash(&back, "info", "pf_media_gone"));
    }
    let gone = media.remove(form.index);
    let item = store::set_item_media(&ctx.state.core, item.id, &media).await?;
    if let Some(path) = gone.path {
        kogi_core::media::remove(&ctx.state.core.config.media_dir(), &path);
    }
    if item.state() != State::Draft {
        ctx.state.fed.sync_item(&p, &item, true).await?;
    }
    Ok(ctx.redirect_with_flash(&back, "success", "pf_media_removed"))
}

// ---------------------------------------------------------------------------------------------
// Likes and bookmarks (anyone signed in who may see the thing)

#[derive(Deserialize)]
pub struct LikeForm {
    csrf_token: Option<String>,
    undo: Option<String>,
    next: Option<String>,
}

async fn like_item(
    ctx: WebCtx,
    p: Portfolio,
    id: i64,
    form: LikeForm,
) -> Result<Response, WebError> {
    let page = page_of(&p);
    let me = signed_in!(ctx, page);
    ctx.check_csrf(form.csrf_token.as_deref())?;
    let core = &ctx.state.core;
    let v = queries::authorize(core, &p, Some(me.id), Need::See).await?;
    let item = item_of(&ctx, &p, id).await?;
    if p.row.local && !v.may_see(item.visibility(), item.state()) {
        return Err(WebError::NotFound);
    }
    let back = match form.next.as_deref() {
        Some(n) => safe_next(Some(n)),
        None if p.row.local => format!("{page}/items/{id}"),
        None => page.clone(),
    };
    let post = match item.post_id {
        Some(pid) => kogi_core::posts::find(core, pid).await?,
        None => None,
    }
    .filter(|x| x.deleted_at.is_none());
    let Some(post) = post else {
        return Ok(ctx.redirect_with_flash(&back, "error", "pf_not_published"));
    };
    let key = if form.undo.as_deref() == Some("1") {
        ctx.state
            .fed
            .unreact(&me, &post, kogi_core::posts::LIKE)
            .await?;
        "pf_unliked"
    } else if ctx
        .state
        .fed
        .react(&me, &post, kogi_core::posts::LIKE)
        .await?
    {
        "pf_liked"
    } else {
        "pf_already_liked"
    };
    Ok(ctx.redirect_with_flash(&back, "success", key))
}

/// Likes an item of a portfolio here (its federated copy).
pub async fn like(
    ctx: WebCtx,
    Path((handle, id)): Path<(String, i64)>,
    WebForm(form): WebForm<LikeForm>,
) -> Result<Response, WebError> {
    let p = local(&ctx, &handle).await?;
    like_item(ctx, p, id, form).await
}

async fn remote(ctx: &WebCtx, actor_id: i64) -> Result<Portfolio, WebError> {
    let p = queries::find_by_actor(&ctx.state.core, actor_id)
        .await?
        .filter(|p| !p.row.local)
        .ok_or(WebError::NotFound)?;
    if p.is_deleted() {
        return Err(WebError::Gone);
    }
    Ok(p)
}

/// Likes an item of a portfolio on another Kogi instance.
pub async fn remote_like(
    ctx: WebCtx,
    Path((actor_id, id)): Path<(i64, i64)>,
    WebForm(form): WebForm<LikeForm>,
) -> Result<Response, WebError> {
    let p = remote(&ctx, actor_id).await?;
    like_item(ctx, p, id, form).await
}

#[derive(Deserialize)]
pub struct BookmarkForm {
    csrf_token: Option<String>,
    #[serde(default)]
    folder: String,
    /// `portfolio` (the default), `item` or `project`.
    kind: Option<String>,
    /// The item's or project's id.
    target: Option<i64>,
    next: Option<String>,
}

async fn bookmark_in(ctx: WebCtx, p: Portfolio, form: BookmarkForm) -> Result<Response, WebError> {
    let page = page_of(&p);
    let me = signed_in!(ctx, page);
    ctx.check_csrf(form.csrf_token.as_deref())?;
    let core = &ctx.state.core;
    let v = queries::authorize(core, &p, Some(me.id), Need::See).await?;
    let back = form
        .next
        .as_deref()
        .map(|n| safe_next(Some(n)))
        .unwrap_or_else(|| page.clone());
    let kind = form.kind.as_deref().unwrap_or("portfolio");
    let target = match (kind, form.target) {
        ("portfolio", _) => p.id(),
        ("item", Some(id)) => {
            let item = item_of(&ctx, &p, id).await?;
            if p.row.local && !v.may_see(item.visibility(), item.state()) {
                return Err(WebError::NotFound);
            }
            item.id
        }
        ("project", Some(id)) => {
            let x = project_of(&ctx, &p, id).await?;
            if p.row.local && !v.may_see(x.visibility(), State::Published) {
                return Err(WebError::NotFound);
            }
            x.id
        }
        _ => return Err(WebError::BadRequest),
    };
    match engagement::bookmark(core, me.id, &form.folder, kind, target).await {
        Ok(true) => Ok(ctx.redirect_with_flash(&back, "success", "pf_bookmarked")),
        Ok(false) => Ok(ctx.redirect_with_flash(&back, "info", "pf_already_bookmarked")),
        Err(Error::Invalid {
            field: "folder", ..
        }) => Ok(ctx.redirect_with_flash(&back, "error", "pf_folder_invalid")),
        Err(e) => refused(&ctx, &back, e),
    }
}

/// Bookmarks a portfolio here, or one of its items or projects, into a named folder.
pub async fn bookmark(
    ctx: WebCtx,
    Path(handle): Path<String>,
    WebForm(form): WebForm<BookmarkForm>,
) -> Result<Response, WebError> {
    let p = local(&ctx, &handle).await?;
    bookmark_in(ctx, p, form).await
}

/// Bookmarks a portfolio from another Kogi instance (or one of its items).
pub async fn remote_bookmark(
    ctx: WebCtx,
    Path(actor_id): Path<i64>,
    WebForm(form): WebForm<BookmarkForm>,
) -> Result<Response, WebError> {
    let p = remote(&ctx, actor_id).await?;
    bookmark_in(ctx, p, form).await
}

#[derive(Deserialize)]
pub struct BookmarksQuery {
    folder: Option<String>,
}

/// What a bookmark points at, as the viewer may see it now: (title, link, portfolio title).
async fn bookmark_target(
    ctx: &WebCtx,
    me: &Actor,
    kind: &str,
    id: i64,
) -> Result<Option<(String, String, String)>, WebError> {
    let core = &ctx.state.core;
    let (portfolio_id, item, project) = match kind {
        "portfolio" => (id, None, None),
        "item" => match queries::item(core, id).await? {
            Some(i) if i.deleted_at.is_none() => (i.portfolio_id, Some(i), None),
            _ => return Ok(None),
        },
        "project" => match queries::project(core, id).await? {
            Some(x) if x.deleted_at.is_none() => (x.portfolio_id, None, Some(x)),
            _ => return Ok(None),
        },
        _ => return Ok(None),
    };
    let Some(p) = queries::find(core, portfolio_id).await? else {
        return Ok(None);
    };
    let v = match queries::authorize(core, &p, Some(me.id), Need::See).await {
        Ok(v) => v,
        Err(Error::NotFound | Error::Forbidden(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let page = page_of(&p);
    let title = p.title().to_string();
    Ok(match (item, project) {
        (Some(i), _) if !p.row.local || v.may_see(i.visibility(), i.state()) => {
            let url = if p.row.local {
                format!("{page}/items/{}", i.id)
            } else {
                i.ap_id.clone()
            };
            Some((i.title, url, title))
        }
        (_, Some(x)) if !p.row.local || v.may_see(x.visibility(), State::Published) => {
            let url = if p.row.local {
                format!("{page}/projects/{}", x.id)
            } else {
                x.ap_id.clone()
            };
            Some((x.title, url, title))
        }
        (None, None) => Some((title.clone(), page, title)),
        _ => None,
    })
}

/// My bookmark folders and what is in them.
pub async fn bookmarks(ctx: WebCtx, Query(q): Query<BookmarksQuery>) -> Result<Response, WebError> {
    let me = signed_in!(ctx, "/bookmarks");
    let core = &ctx.state.core;
    let folder = q.folder.filter(|f| !f.trim().is_empty());
    let folders: Vec<Value> = engagement::folders(core, me.id)
        .await?
        .into_iter()
        .map(|f| {
            let current = folder
                .as_ref()
                .is_some_and(|x| x.trim().to_lowercase() == f.name.to_lowercase());
            context! {
                name => f.name, count => f.count, current => current,
                url => format!("/bookmarks?folder={}", crate::ctx::urlencode(&f.name)),
            }
        })
        .collect();
    let mut groups: Vec<(String, Vec<Value>)> = Vec::new();
    for b in engagement::bookmarks(core, me.id, folder.as_deref()).await? {
        let target = bookmark_target(&ctx, &me, &b.target_kind, b.target_id).await?;
        let entry = match target {
            Some((title, url, portfolio)) => context! {
                id => b.id, kind => b.target_kind, title => title, url => url,
                portfolio => portfolio, available => true,
            },
            None => context! { id => b.id, kind => b.target_kind, available => false },
        };
        match groups.iter_mut().find(|(name, _)| name == &b.folder) {
            Some((_, list)) => list.push(entry),
            None => groups.push((b.folder.clone(), vec![entry])),
        }
    }
    groups.sort_by_key(|(name, _)| name.to_lowercase());
    let groups: Vec<Value> = groups
        .into_iter()
        .enumerate()
        .map(|(i, (name, list))| context! { index => i, name => name, bookmarks => list })
        .collect();
    let here = match &folder {
        Some(f) => format!("/bookmarks?folder={}", crate::ctx::urlencode(f)),
        None => "/bookmarks".to_string(),
    };
    Ok(ctx.render(
        "portfolios/bookmarks.html",
        context! { folders => folders, groups => groups, folder => folder, here => here },
    ))
}

#[derive(Deserialize)]
pub struct RemoveBookmarkForm {
    csrf_token: Option<String>,
    next: Option<String>,
}

/// Removes a bookmark (folders stay).
pub async fn bookmark_remove(
    ctx: WebCtx,
    Path(id): Path<i64>,
    WebForm(form): WebForm<RemoveBookmarkForm>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, "/bookmarks");
    ctx.check_csrf(form.csrf_token.as_deref())?;
    let back = form
        .next
        .as_deref()
        .map(|n| safe_next(Some(n)))
        .unwrap_or_else(|| "/bookmarks".to_string());
    if engagement::unbookmark(&ctx.state.core, me.id, id).await? {
        Ok(ctx.redirect_with_flash(&back, "success", "pf_bookmark_removed"))
    } else {
        Ok(ctx.redirect_with_flash(&back, "info", "pf_bookmark_gone"))
    }
}

// ---------------------------------------------------------------------------------------------
// Projects

fn project_values(x: &Project) -> Fields {
    let mut v = Fields::new();
    v.insert("title".into(), x.title.clone());
    v.insert("description".into(), x.description.clone());
    v.insert("status".into(), x.status.clone());
    v.insert("visibility".into(), x.visibility.clone());
    v.insert("goals".into(), x.goals().join("\n"));
    let data: Vec<String> = x
        .data()
        .iter()
        .map(|(k, d)| format!("{k}: {}", shown(d)))
        .collect();
    v.insert("data".into(), data.join("\n"));
    put_links(&mut v, &x.links());
    v
}

fn project_input(form: &Fields) -> ProjectInput {
    let goals: Vec<String> = get(form, "goals")
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    let mut data = Map::new();
    for line in get(form, "data").lines().filter(|l| !l.trim().is_empty()) {
        let (k, d) = line.split_once(':').unwrap_or((line, ""));
        data.insert(k.trim().to_string(), Json::String(d.trim().to_string()));
    }
    ProjectInput {
        title: Some(get(form, "title")),
        description: Some(get(form, "description")),
        status: Some(get(form, "status")),
        goals: Some(goals),
        data: Some(data),
        links: Some(links_from(form)),
        visibility: Some(get(form, "visibility")),
    }
}

async fn project_editor(
    ctx: &WebCtx,
    p: &Portfolio,
    x: Option<&Project>,
    values: Option<Fields>,
    errors: Errors,
) -> Result<Response, WebError> {
    let core = &ctx.state.core;
    let values = values.unwrap_or_else(|| match x {
        Some(x) => project_values(x),
        None => Fields::from([
            ("visibility".to_string(), "public".to_string()),
            ("status".to_string(), "planned".to_string()),
        ]),
    });
    let page = page_of(p);
    let project = match x {
        Some(x) => {
            let members: Vec<Value> = queries::project_members(core, x.id)
                .await?
                .into_iter()
                .map(|(role, a)| context! { username => a.handle, name => a.name(), role => role })
                .collect();
            let updates = queries::project_updates(core, &x.ap_id).await?.len();
            Some(context! {
                id => x.id, title => x.title, url => format!("{page}/projects/{}", x.id),
                base => format!("{page}/projects/{}", x.id), action => project_edit_of(p, x.id),
                members => members, updates => updates,
            })
        }
        None => None,
    };
    Ok(ctx.render_status(
        unprocessable(&errors),
        "portfolios/project_form.html",
        context! {
            portfolio => context! { handle => p.actor.handle, title => p.title(), url => page, edit_url => manage_of(p) },
            project => project, values => values, errors => errors,
            statuses => PROJECT_STATUSES, visibilities => VISIBILITIES,
            new_action => format!("{page}/projects"),
        },
    ))
}

/// The form for a new project (owners and editors).
pub async fn project_new_page(
    ctx: WebCtx,
    Path(handle): Path<String>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/portfolios/{handle}/projects/new"));
    let (p, _) = allowed(&ctx, &me, &handle, Need::Edit).await?;
    project_editor(&ctx, &p, None, None, Errors::new()).await
}

/// Adds a project, then opens its editor (team, updates).
pub async fn project_create(
    ctx: WebCtx,
    Path(handle): Path<String>,
    WebForm(form): WebForm<Fields>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/portfolios/{handle}/projects/new"));
    csrf(&ctx, &form)?;
    let (p, _) = allowed(&ctx, &me, &handle, Need::Edit).await?;
    match store::create_project(&ctx.state.core, &p, project_input(&form)).await {
        Ok(x) => Ok(ctx.redirect_with_flash(
            &project_edit_of(&p, x.id),
            "success",
            "pf_project_created",
        )),
        Err(e) => {
            let errors = form_errors(&ctx, e)?;
            project_editor(&ctx, &p, None, Some(form), errors).await
        }
    }
}

/// The editor of a project.
pub async fn project_edit_page(
    ctx: WebCtx,
    Path((handle, id)): Path<(String, i64)>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/portfolios/{handle}/projects/{id}/edit"));
    let (p, _) = allowed(&ctx, &me, &handle, Need::Edit).await?;
    let x = project_of(&ctx, &p, id).await?;
    project_editor(&ctx, &p, Some(&x), None, Errors::new()).await
}

/// Saves a project.
pub async fn project_save(
    ctx: WebCtx,
    Path((handle, id)): Path<(String, i64)>,
    WebForm(form): WebForm<Fields>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/portfolios/{handle}/projects/{id}/edit"));
    csrf(&ctx, &form)?;
    let (p, _) = allowed(&ctx, &me, &handle, Need::Edit).await?;
    let x = project_of(&ctx, &p, id).await?;
    match store::update_project(&ctx.state.core, &x, project_input(&form)).await {
        Ok(x) => {
            Ok(ctx.redirect_with_flash(&project_edit_of(&p, x.id), "success", "pf_project_saved"))
        }
        Err(e) => {
            let errors = form_errors(&ctx, e)?;
            project_editor(&ctx, &p, Some(&x), Some(form), errors).await
        }
    }
}

/// Deletes a project.
pub async fn project_delete(
    ctx: WebCtx,
    Path((handle, id)): Path<(String, i64)>,
    WebForm(form): WebForm<PlainForm>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/portfolios/{handle}/projects/{id}/edit"));
    ctx.check_csrf(form.csrf_token.as_deref())?;
    let (p, _) = allowed(&ctx, &me, &handle, Need::Edit).await?;
    let x = project_of(&ctx, &p, id).await?;
    store::delete_project(&ctx.state.core, &x).await?;
    Ok(ctx.redirect_with_flash(&manage_of(&p), "success", "pf_project_deleted"))
}

#[derive(Deserialize)]
pub struct UpdateForm {
    csrf_token: Option<String>,
    #[serde(default)]
    content: String,
}

/// Posts an update of a project: on its page, and to the portfolio's followers (to the team
/// only when the project is members-only).
pub async fn project_update(
    ctx: WebCtx,
    Path((handle, id)): Path<(String, i64)>,
    WebForm(form): WebForm<UpdateForm>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/portfolios/{handle}/projects/{id}/edit"));
    ctx.check_csrf(form.csrf_token.as_deref())?;
    let (p, _) = allowed(&ctx, &me, &handle, Need::Edit).await?;
    let x = project_of(&ctx, &p, id).await?;
    let back = format!("{}#updates-title", project_edit_of(&p, x.id));
    match ctx
        .state
        .fed
        .post_project_update(&p, &x, &form.content)
        .await
    {
        Ok(_) => Ok(ctx.redirect_with_flash(
            &format!("{}/projects/{}", page_of(&p), x.id),
            "success",
            "pf_update_posted",
        )),
        Err(e) => refused(&ctx, &back, e),
    }
}

#[derive(Deserialize)]
pub struct ProjectMemberForm {
    csrf_token: Option<String>,
    #[serde(default)]
    username: String,
    #[serde(default)]
    role: String,
}

/// Puts a local person on a project's team, with what they do there.
pub async fn project_member_save(
    ctx: WebCtx,
    Path((handle, id)): Path<(String, i64)>,
    WebForm(form): WebForm<ProjectMemberForm>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/portfolios/{handle}/projects/{id}/edit"));
    ctx.check_csrf(form.csrf_token.as_deref())?;
    let (p, _) = allowed(&ctx, &me, &handle, Need::Edit).await?;
    let x = project_of(&ctx, &p, id).await?;
    let back = format!("{}#project-team-title", project_edit_of(&p, x.id));
    let username = form.username.trim().trim_start_matches('@');
    let Some(person) = kogi_core::accounts::find_person(&ctx.state.core.db, username).await? else {
        return Ok(ctx.redirect_with_flash(&back, "error", "pf_no_such_person"));
    };
    match store::set_project_member(&ctx.state.core, &x, &person.actor, &form.role).await {
        Ok(()) => Ok(ctx.redirect_with_flash(&back, "success", "pf_member_saved")),
        Err(e) => refused(&ctx, &back, e),
    }
}

/// Takes someone off a project's team.
pub async fn project_member_remove(
    ctx: WebCtx,
    Path((handle, id)): Path<(String, i64)>,
    WebForm(form): WebForm<ProjectMemberForm>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/portfolios/{handle}/projects/{id}/edit"));
    ctx.check_csrf(form.csrf_token.as_deref())?;
    let (p, _) = allowed(&ctx, &me, &handle, Need::Edit).await?;
    let x = project_of(&ctx, &p, id).await?;
    let back = format!("{}#project-team-title", project_edit_of(&p, x.id));
    let Some(person) =
        kogi_core::accounts::find_person(&ctx.state.core.db, form.username.trim()).await?
    else {
        return Ok(ctx.redirect_with_flash(&back, "error", "pf_no_such_person"));
    };
    if store::remove_project_member(&ctx.state.core, &x, person.actor.id).await? {
        Ok(ctx.redirect_with_flash(&back, "success", "pf_member_removed"))
    } else {
        Ok(ctx.redirect_with_flash(&back, "info", "pf_not_a_member"))
    }
}
