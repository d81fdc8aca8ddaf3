//! Writes: creating and editing portfolios, their lifecycle and team, items and projects, and
//! storing what other Kogi instances send about theirs.

use diesel::prelude::*;
use diesel::upsert::excluded;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::model::*;
use super::queries;
use super::rules::{self, optional_text, required_text};
use super::types;
use crate::accounts::rules::{is_reserved, normalise_handle};
use crate::accounts::{clean_links, clean_tags};
use crate::accounts::{Actor, ProfileLink};
use crate::error::{Error, Result};
use crate::schema::{
    accounts, actors, portfolio_items, portfolio_members, portfolios, project_members,
    project_updates, projects,
};
use crate::{db_tx, keys, now, Core};

/// A portfolio as a person creates or edits it; absent fields are left as they are.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PortfolioInput {
    /// Creation only: `[a-z0-9_]{1,30}`, shared with people and communities; never changes.
    pub handle: Option<String>,
    pub title: Option<String>,
    pub summary: Option<String>,
    /// A built-in type (creative, career, startup, research, education, investment) or one
    /// the admin defined.
    pub portfolio_type: Option<String>,
    pub tags: Option<Vec<String>>,
    /// Up to four `{name, url}` links.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<Object>>))]
    pub links: Option<Vec<ProfileLink>>,
    /// `public` (default), `unlisted`, `members` (the team) or `private` (owners and editors).
    pub visibility: Option<String>,
    /// Creation only: the name of a template to start from.
    pub template: Option<String>,
    /// Values of the type's extra fields, by field name.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub fields: Option<Map<String, Value>>,
    /// Sections (`{name, fields, values}`); on creation they default to the template's.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<Object>>))]
    pub sections: Option<Vec<Section>>,
}

fn parse_visibility(s: Option<&str>, default: Visibility) -> Result<Visibility> {
    match s {
        None => Ok(default),
        Some(v) => {
            Visibility::parse(v.trim()).ok_or(Error::invalid("visibility", "visibility_invalid"))
        }
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::Internal(e.to_string()))
}

/// Creates a draft portfolio owned by `owner`.
pub async fn create(core: &Core, owner: &Actor, input: PortfolioInput) -> Result<Portfolio> {
    let handle = input
        .handle
        .as_deref()
        .and_then(normalise_handle)
        .ok_or(Error::invalid("handle", "handle_invalid"))?;
    if is_reserved(&handle) {
        return Err(Error::invalid("handle", "handle_taken"));
    }
    let title = required_text(
        "title",
        input.title.as_deref().unwrap_or(""),
        rules::TITLE_MAX,
    )?;
    let summary = optional_text(
        "summary",
        input.summary.as_deref().unwrap_or(""),
        rules::SUMMARY_MAX,
    )?;
    let template = match input.template.as_deref().filter(|t| !t.trim().is_empty()) {
        Some(name) => Some(
            types::find_template(core, name.trim())
                .await?
                .ok_or(Error::invalid("template", "unknown_template"))?,
        ),
        None => None,
    };
    let kind_name = input
        .portfolio_type
        .clone()
        .or_else(|| template.as_ref().map(|t| t.portfolio_type.clone()))
        .ok_or(Error::invalid("portfolio_type", "required"))?;
    let kind = types::find_type(core, kind_name.trim())
        .await?
        .ok_or(Error::invalid("portfolio_type", "unknown_type"))?;
    let fields = rules::check_values(
        "fields",
        &kind.fields,
        &input.fields.clone().unwrap_or_default(),
    )?;
    let sections = match &input.sections {
        Some(s) => rules::check_sections(s)?,
        None => template
            .as_ref()
            .map(|t| t.sections.clone())
            .unwrap_or_default(),
    };
    let tags = clean_tags("tags", &input.tags.clone().unwrap_or_default())?;
    let links = clean_links(&input.links.clone().unwrap_or_default())?;
    let visibility = parse_visibility(input.visibility.as_deref(), Visibility::Public)?;
    let keys = keys::generate().await?;
    let base = core.config.public_url.clone();
    let host = core.config.host();
    let ap_id = format!("{base}/portfolios/{handle}");
    let (fields_json, sections_json, tags_json, links_json) = (
        to_json(&fields)?,
        to_json(&sections)?,
        to_json(&tags)?,
        to_json(&links)?,
    );
    let template_name = template.map(|t| t.name);
    let owner_id = owner.id;
    let t = now();
    let res = db_tx!(core.db, |conn| {
        let taken: i64 = actors::table
            .filter(actors::host.eq(&host))
            .filter(actors::handle_norm.eq(&handle))
            .count()
            .get_result(conn)?;
        let taken_account: i64 = accounts::table
            .filter(accounts::username_norm.eq(&handle))
            .count()
            .get_result(conn)?;
        if taken > 0 || taken_account > 0 {
            return Err(Error::invalid("handle", "handle_taken"));
        }
        let actor_id = crate::actors::insert_local_actor(
            conn,
            &crate::actors::NewLocalActor {
                kind: "portfolio",
                ap_type: "Organization",
                ap_id: &ap_id,
                handle: &handle,
                host: &host,
                base: &base,
                display_name: &title,
                summary: &summary,
                links_json: &links_json,
                profile_url: &ap_id,
                keys: &keys,
                manually_approves_followers: false,
                at: t,
            },
        )?;
        let pid: i64 = diesel::insert_into(portfolios::table)
            .values((
                portfolios::actor_id.eq(actor_id),
                portfolios::local.eq(true),
                portfolios::portfolio_type.eq(&kind.name),
                portfolios::visibility.eq(visibility.as_str()),
                portfolios::state.eq(State::Draft.as_str()),
                portfolios::tags.eq(&tags_json),
                portfolios::fields.eq(&fields_json),
                portfolios::sections.eq(&sections_json),
                portfolios::template.eq(&template_name),
                portfolios::items_url.eq(format!("{ap_id}/items")),
                portfolios::projects_url.eq(format!("{ap_id}/projects")),
                portfolios::created_at.eq(t),
                portfolios::updated_at.eq(t),
            ))
            .returning(portfolios::id)
            .get_result(conn)?;
        diesel::insert_into(portfolio_members::table)
            .values((
                portfolio_members::portfolio_id.eq(pid),
                portfolio_members::actor_id.eq(owner_id),
                portfolio_members::role.eq(Role::Owner.as_str()),
                portfolio_members::created_at.eq(t),
            ))
            .execute(conn)?;
        Ok(pid)
    });
    let pid = match res {
        Err(e) if e.is_unique_violation() => return Err(Error::invalid("handle", "handle_taken")),
        other => other?,
    };
    queries::find(core, pid).await?.ok_or(Error::NotFound)
}

/// Applies an edit by someone allowed to edit (see the server's permission checks).
pub async fn update(core: &Core, p: &Portfolio, input: PortfolioInput) -> Result<Portfolio> {
    if input.handle.is_some() || input.template.is_some() {
        return Err(Error::invalid("handle", "read_only"));
    }
    let title = match &input.title {
        Some(t) => required_text("title", t, rules::TITLE_MAX)?,
        None => p.actor.display_name.clone(),
    };
    let summary = match &input.summary {
        Some(s) => optional_text("summary", s, rules::SUMMARY_MAX)?,
        None => p.actor.summary.clone(),
    };
    let kind_name = input
        .portfolio_type
        .clone()
        .unwrap_or_else(|| p.row.portfolio_type.clone());
    let kind = types::find_type(core, kind_name.trim())
        .await?
        .ok_or(Error::invalid("portfolio_type", "unknown_type"))?;
    let fields = match &input.fields {
        Some(f) => rules::check_values("fields", &kind.fields, f)?,
        // A changed type keeps only the values its fields still describe.
        None => rules::check_values("fields", &kind.fields, &p.fields()).unwrap_or_default(),
    };
    let sections = match &input.sections {
        Some(s) => rules::check_sections(s)?,
        None => p.sections(),
    };
    let tags = match &input.tags {
        Some(t) => clean_tags("tags", t)?,
        None => p.tags(),
    };
    let links = match &input.links {
        Some(l) => clean_links(l)?,
        None => p.links(),
    };
    let visibility = parse_visibility(input.visibility.as_deref(), p.visibility())?;
    let (fields_json, sections_json, tags_json, links_json) = (
        to_json(&fields)?,
        to_json(&sections)?,
        to_json(&tags)?,
        to_json(&links)?,
    );
    let (pid, aid) = (p.id(), p.actor.id);
    let t = now();
    db_tx!(core.db, |conn| {
        diesel::update(actors::table.find(aid))
            .set((
                actors::display_name.eq(&title),
                actors::summary.eq(&summary),
                actors::links.eq(&links_json),
                actors::updated_at.eq(t),
            ))
            .execute(conn)?;
        diesel::update(portfolios::table.find(pid))
            .set((
                portfolios::portfolio_type.eq(&kind.name),
                portfolios::visibility.eq(visibility.as_str()),
                portfolios::tags.eq(&tags_json),
                portfolios::fields.eq(&fields_json),
                portfolios::sections.eq(&sections_json),
                portfolios::updated_at.eq(t),
            ))
            .execute(conn)?;
        Ok(())
    })?;
    queries::find(core, pid).await?.ok_or(Error::NotFound)
}

/// Moves a portfolio along its lifecycle: publish (from draft), archive (from published),
/// restore (from archived).
pub async fn set_state(core: &Core, p: &Portfolio, to: State) -> Result<Portfolio> {
    let allowed = matches!(
        (p.state(), to),
        (State::Draft, State::Published)
            | (State::Published, State::Archived)
            | (State::Archived, State::Published)
    );
    if !allowed {
        return Err(Error::invalid("state", "invalid_transition"));
    }
    let pid = p.id();
    let first_publish = p.row.published_at.is_none() && to == State::Published;
    let t = now();
    db_tx!(core.db, |conn| {
        diesel::update(portfolios::table.find(pid))
            .set((
                portfolios::state.eq(to.as_str()),
                portfolios::updated_at.eq(t),
            ))
            .execute(conn)?;
        if first_publish {
            diesel::update(portfolios::table.find(pid))
                .set(portfolios::published_at.eq(Some(t)))
                .execute(conn)?;
        }
        Ok(())
    })?;
    queries::find(core, pid).await?.ok_or(Error::NotFound)
}

pub async fn set_cover(core: &Core, p: &Portfolio, path: Option<String>) -> Result<Portfolio> {
    let old = p.row.cover_path.clone();
    let pid = p.id();
    let t = now();
    let path_q = path.clone();
    db_tx!(core.db, |conn| {
        diesel::update(portfolios::table.find(pid))
            .set((
                portfolios::cover_path.eq(&path_q),
                portfolios::updated_at.eq(t),
            ))
            .execute(conn)?;
        Ok(())
    })?;
    if let Some(o) = old.filter(|o| Some(o) != path.as_ref()) {
        crate::media::remove(&core.config.media_dir(), &o);
    }
    queries::find(core, pid).await?.ok_or(Error::NotFound)
}

/// Deletes a portfolio for good: its items, projects and posts go too; the actor row stays
/// (marked deleted, keys kept to sign the `Delete`) so the handle stays reserved.
pub async fn mark_deleted(core: &Core, p: &Portfolio) -> Result<()> {
    let (pid, aid) = (p.id(), p.actor.id);
    let t = now();
    db_tx!(core.db, |conn| {
        diesel::update(portfolios::table.find(pid))
            .set((
                portfolios::deleted_at.eq(Some(t)),
                portfolios::updated_at.eq(t),
            ))
            .execute(conn)?;
        diesel::update(actors::table.find(aid))
            .set((actors::deleted_at.eq(Some(t)), actors::updated_at.eq(t)))
            .execute(conn)?;
        diesel::update(
            portfolio_items::table
                .filter(portfolio_items::portfolio_id.eq(pid))
                .filter(portfolio_items::deleted_at.is_null()),
        )
        .set(portfolio_items::deleted_at.eq(Some(t)))
        .execute(conn)?;
        diesel::update(
            projects::table
                .filter(projects::portfolio_id.eq(pid))
                .filter(projects::deleted_at.is_null()),
        )
        .set(projects::deleted_at.eq(Some(t)))
        .execute(conn)?;
        diesel::update(
            crate::schema::posts::table
                .filter(crate::schema::posts::author_id.eq(aid))
                .filter(crate::schema::posts::deleted_at.is_null()),
        )
        .set(crate::schema::posts::deleted_at.eq(Some(t)))
        .execute(conn)?;
        diesel::delete(
            crate::schema::follows::table.filter(
                crate::schema::follows::target_id
                    .eq(aid)
                    .or(crate::schema::follows::follower_id.eq(aid)),
            ),
        )
        .execute(conn)?;
        Ok(())
    })
}

/// Adds someone to the team or changes their role. The last owner cannot step down.
pub async fn set_member(core: &Core, p: &Portfolio, actor: &Actor, role: Role) -> Result<()> {
    if !actor.local || actor.kind != "person" || actor.deleted_at.is_some() {
        return Err(Error::invalid("person", "not_a_local_person"));
    }
    let (pid, aid) = (p.id(), actor.id);
    let t = now();
    db_tx!(core.db, |conn| {
        let current: Option<String> = portfolio_members::table
            .filter(portfolio_members::portfolio_id.eq(pid))
            .filter(portfolio_members::actor_id.eq(aid))
            .select(portfolio_members::role)
            .first(conn)
            .optional()?;
        if current.as_deref() == Some("owner") && role != Role::Owner {
            let owners: i64 = portfolio_members::table
                .filter(portfolio_members::portfolio_id.eq(pid))
                .filter(portfolio_members::role.eq("owner"))
                .count()
                .get_result(conn)?;
            if owners <= 1 {
                return Err(Error::invalid("role", "last_owner"));
            }
        }
        diesel::insert_into(portfolio_members::table)
            .values((
                portfolio_members::portfolio_id.eq(pid),
                portfolio_members::actor_id.eq(aid),
                portfolio_members::role.eq(role.as_str()),
                portfolio_members::created_at.eq(t),
            ))
            .on_conflict((portfolio_members::portfolio_id, portfolio_members::actor_id))
            .do_update()
            .set(portfolio_members::role.eq(excluded(portfolio_members::role)))
            .execute(conn)?;
        Ok(())
    })
}

pub async fn remove_member(core: &Core, p: &Portfolio, actor_id: i64) -> Result<bool> {
    let pid = p.id();
    db_tx!(core.db, |conn| {
        let current: Option<String> = portfolio_members::table
            .filter(portfolio_members::portfolio_id.eq(pid))
            .filter(portfolio_members::actor_id.eq(actor_id))
            .select(portfolio_members::role)
            .first(conn)
            .optional()?;
        let Some(role) = current else {
            return Ok(false);
        };
        if role == "owner" {
            let owners: i64 = portfolio_members::table
                .filter(portfolio_members::portfolio_id.eq(pid))
                .filter(portfolio_members::role.eq("owner"))
                .count()
                .get_result(conn)?;
            if owners <= 1 {
                return Err(Error::invalid("person", "last_owner"));
            }
        }
        diesel::delete(
            portfolio_members::table
                .filter(portfolio_members::portfolio_id.eq(pid))
                .filter(portfolio_members::actor_id.eq(actor_id)),
        )
        .execute(conn)?;
        Ok(true)
    })
}

/// A work sample as a person writes it; absent fields are left as they are.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ItemInput {
    pub title: Option<String>,
    pub description: Option<String>,
    /// What the author did (e.g. "Lead designer").
    pub role: Option<String>,
    pub client: Option<String>,
    pub skills: Option<Vec<String>>,
    /// `YYYY-MM-DD`.
    pub started_on: Option<String>,
    /// `YYYY-MM-DD`.
    pub ended_on: Option<String>,
    /// A link to a video hosted elsewhere.
    pub video_url: Option<String>,
    /// A link to the work itself.
    pub external_url: Option<String>,
    pub position: Option<i32>,
    pub featured: Option<bool>,
    /// `public` (default), `unlisted`, `members` or `private`.
    pub visibility: Option<String>,
    /// The section of the portfolio it belongs to.
    pub section: Option<String>,
    /// Values of the section's fields.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub fields: Option<Map<String, Value>>,
}

struct CleanItem {
    title: String,
    description: String,
    role: String,
    client: String,
    skills: String,
    started_on: Option<String>,
    ended_on: Option<String>,
    video_url: Option<String>,
    external_url: Option<String>,
    featured: bool,
    visibility: Visibility,
    section: Option<String>,
    fields: String,
}

fn clean_item(
    sections: &[Section],
    input: &ItemInput,
    current: Option<&Item>,
) -> Result<CleanItem> {
    let pick = |new: &Option<String>, old: Option<&str>| -> String {
        new.clone().unwrap_or_else(|| old.unwrap_or("").to_string())
    };
    let title = required_text(
        "title",
        &pick(&input.title, current.map(|c| c.title.as_str())),
        rules::TITLE_MAX,
    )?;
    let description = optional_text(
        "description",
        &pick(&input.description, current.map(|c| c.description.as_str())),
        rules::DESCRIPTION_MAX,
    )?;
    let role = optional_text(
        "role",
        &pick(&input.role, current.map(|c| c.role.as_str())),
        rules::SHORT_MAX,
    )?;
    let client = optional_text(
        "client",
        &pick(&input.client, current.map(|c| c.client.as_str())),
        rules::SHORT_MAX,
    )?;
    let skills = match &input.skills {
        Some(s) => clean_tags("skills", s)?,
        None => current.map(Item::skills).unwrap_or_default(),
    };
    let date = |field: &'static str, new: &Option<String>, old: Option<&Option<String>>| match new {
        Some(v) => rules::optional_date(field, Some(v)),
        None => Ok(old.cloned().flatten()),
    };
    let started_on = date(
        "started_on",
        &input.started_on,
        current.map(|c| &c.started_on),
    )?;
    let ended_on = date("ended_on", &input.ended_on, current.map(|c| &c.ended_on))?;
    if let (Some(a), Some(b)) = (&started_on, &ended_on) {
        if b < a {
            return Err(Error::invalid("ended_on", "ends_before_start"));
        }
    }
    let url = |field: &'static str, new: &Option<String>, old: Option<&Option<String>>| match new {
        Some(v) => rules::optional_url(field, Some(v)),
        None => Ok(old.cloned().flatten()),
    };
    let video_url = url("video_url", &input.video_url, current.map(|c| &c.video_url))?;
    let external_url = url(
        "external_url",
        &input.external_url,
        current.map(|c| &c.external_url),
    )?;
    let visibility = parse_visibility(
        input.visibility.as_deref(),
        current.map(Item::visibility).unwrap_or(Visibility::Public),
    )?;
    let section = match &input.section {
        Some(s) if s.trim().is_empty() => None,
        Some(s) => Some(s.trim().to_string()),
        None => current.and_then(|c| c.section.clone()),
    };
    let defs: Vec<FieldDef> = match &section {
        Some(name) => sections
            .iter()
            .find(|s| &s.name == name)
            .ok_or(Error::invalid("section", "unknown_section"))?
            .fields
            .clone(),
        None => vec![],
    };
    let fields = match &input.fields {
        Some(f) => rules::check_values("fields", &defs, f)?,
        None => current
            .map(Item::fields)
            .map(|f| rules::check_values("fields", &defs, &f).unwrap_or_default())
            .unwrap_or_default(),
    };
    Ok(CleanItem {
        title,
        description,
        role,
        client,
        skills: to_json(&skills)?,
        started_on,
        ended_on,
        video_url,
        external_url,
        featured: input
            .featured
            .or(current.map(|c| c.featured))
            .unwrap_or(false),
        visibility,
        section,
        fields: to_json(&fields)?,
    })
}

/// Checks an item without storing it (imports check everything before writing anything).
pub fn validate_item(sections: &[Section], input: &ItemInput) -> Result<()> {
    clean_item(sections, input, None).map(|_| ())
}

/// Checks a project without storing it.
pub fn validate_project(input: &ProjectInput) -> Result<()> {
    clean_project(input, None).map(|_| ())
}

/// Checks a new portfolio's fields without storing it (the handle is checked on creation).
pub async fn validate_portfolio(core: &Core, input: &PortfolioInput) -> Result<()> {
    required_text(
        "title",
        input.title.as_deref().unwrap_or(""),
        rules::TITLE_MAX,
    )?;
    optional_text(
        "summary",
        input.summary.as_deref().unwrap_or(""),
        rules::SUMMARY_MAX,
    )?;
    let kind = types::find_type(core, input.portfolio_type.as_deref().unwrap_or("").trim())
        .await?
        .ok_or(Error::invalid("portfolio_type", "unknown_type"))?;
    rules::check_values(
        "fields",
        &kind.fields,
        &input.fields.clone().unwrap_or_default(),
    )?;
    rules::check_sections(&input.sections.clone().unwrap_or_default())?;
    clean_tags("tags", &input.tags.clone().unwrap_or_default())?;
    clean_links(&input.links.clone().unwrap_or_default())?;
    parse_visibility(input.visibility.as_deref(), Visibility::Public)?;
    Ok(())
}

/// Removes a portfolio that never left the instance, rows and all (an import that failed
/// half-way undoes itself with this).
pub async fn purge(core: &Core, p: &Portfolio) -> Result<()> {
    let (pid, aid) = (p.id(), p.actor.id);
    db_tx!(core.db, |conn| {
        diesel::delete(portfolio_items::table.filter(portfolio_items::portfolio_id.eq(pid)))
            .execute(conn)?;
        let project_ids = projects::table
            .filter(projects::portfolio_id.eq(pid))
            .select(projects::id);
        diesel::delete(
            project_members::table.filter(project_members::project_id.eq_any(project_ids)),
        )
        .execute(conn)?;
        diesel::delete(projects::table.filter(projects::portfolio_id.eq(pid))).execute(conn)?;
        diesel::delete(portfolio_members::table.filter(portfolio_members::portfolio_id.eq(pid)))
            .execute(conn)?;
        diesel::delete(portfolios::table.find(pid)).execute(conn)?;
        let post_ids = crate::schema::posts::table
            .filter(crate::schema::posts::author_id.eq(aid))
            .select(crate::schema::posts::id);
        diesel::delete(project_updates::table.filter(project_updates::post_id.eq_any(post_ids)))
            .execute(conn)?;
        diesel::delete(crate::schema::posts::table.filter(crate::schema::posts::author_id.eq(aid)))
            .execute(conn)?;
        diesel::delete(actors::table.find(aid)).execute(conn)?;
        Ok(())
    })
}

/// Adds an item (a draft) to a portfolio; its id is `{portfolio}/items/{n}`.
pub async fn create_item(core: &Core, p: &Portfolio, input: ItemInput) -> Result<Item> {
    let c = clean_item(&p.sections(), &input, None)?;
    let (pid, base_id) = (p.id(), p.actor.ap_id.clone());
    let temp = format!("{base_id}/items/new-{}", uuid::Uuid::new_v4().simple());
    let t = now();
    let id = db_tx!(core.db, |conn| {
        let last: Option<i32> = portfolio_items::table
            .filter(portfolio_items::portfolio_id.eq(pid))
            .select(diesel::dsl::max(portfolio_items::position))
            .first(conn)?;
        let position = input.position.unwrap_or(last.map(|l| l + 1).unwrap_or(0));
        let id: i64 = diesel::insert_into(portfolio_items::table)
            .values((
                portfolio_items::ap_id.eq(&temp),
                portfolio_items::portfolio_id.eq(pid),
                portfolio_items::local.eq(true),
                portfolio_items::title.eq(&c.title),
                portfolio_items::description.eq(&c.description),
                portfolio_items::role.eq(&c.role),
                portfolio_items::client.eq(&c.client),
                portfolio_items::skills.eq(&c.skills),
                portfolio_items::started_on.eq(&c.started_on),
                portfolio_items::ended_on.eq(&c.ended_on),
                portfolio_items::video_url.eq(&c.video_url),
                portfolio_items::external_url.eq(&c.external_url),
                portfolio_items::position.eq(position),
                portfolio_items::featured.eq(c.featured),
                portfolio_items::visibility.eq(c.visibility.as_str()),
                portfolio_items::state.eq(State::Draft.as_str()),
                portfolio_items::section.eq(&c.section),
                portfolio_items::fields.eq(&c.fields),
                portfolio_items::created_at.eq(t),
                portfolio_items::updated_at.eq(t),
            ))
            .returning(portfolio_items::id)
            .get_result(conn)?;
        diesel::update(portfolio_items::table.find(id))
            .set(portfolio_items::ap_id.eq(format!("{base_id}/items/{id}")))
            .execute(conn)?;
        Ok(id)
    })?;
    queries::item(core, id).await?.ok_or(Error::NotFound)
}

pub async fn update_item(
    core: &Core,
    p: &Portfolio,
    item: &Item,
    input: ItemInput,
) -> Result<Item> {
    let c = clean_item(&p.sections(), &input, Some(item))?;
    let id = item.id;
    let position = input.position.unwrap_or(item.position);
    let t = now();
    db_tx!(core.db, |conn| {
        diesel::update(portfolio_items::table.find(id))
            .set((
                portfolio_items::title.eq(&c.title),
                portfolio_items::description.eq(&c.description),
                portfolio_items::role.eq(&c.role),
                portfolio_items::client.eq(&c.client),
                portfolio_items::skills.eq(&c.skills),
                portfolio_items::started_on.eq(&c.started_on),
                portfolio_items::ended_on.eq(&c.ended_on),
                portfolio_items::video_url.eq(&c.video_url),
                portfolio_items::external_url.eq(&c.external_url),
                portfolio_items::position.eq(position),
                portfolio_items::featured.eq(c.featured),
                portfolio_items::visibility.eq(c.visibility.as_str()),
                portfolio_items::section.eq(&c.section),
                portfolio_items::fields.eq(&c.fields),
                portfolio_items::updated_at.eq(t),
            ))
            .execute(conn)?;
        Ok(())
    })?;
    queries::item(core, id).await?.ok_or(Error::NotFound)
}

/// Publish (from draft), archive (from published) or restore (from archived) an item.
pub async fn set_item_state(core: &Core, item: &Item, to: State) -> Result<Item> {
    let allowed = matches!(
        (item.state(), to),
        (State::Draft, State::Published)
            | (State::Published, State::Archived)
            | (State::Archived, State::Published)
    );
    if !allowed {
        return Err(Error::invalid("state", "invalid_transition"));
    }
    let id = item.id;
    let first = item.published_at.is_none() && to == State::Published;
    let t = now();
    db_tx!(core.db, |conn| {
        diesel::update(portfolio_items::table.find(id))
            .set((
                portfolio_items::state.eq(to.as_str()),
                portfolio_items::updated_at.eq(t),
            ))
            .execute(conn)?;
        if first {
            diesel::update(portfolio_items::table.find(id))
                .set(portfolio_items::published_at.eq(Some(t)))
                .execute(conn)?;
        }
        Ok(())
    })?;
    queries::item(core, id).await?.ok_or(Error::NotFound)
}

pub async fn set_item_media(core: &Core, item_id: i64, media: &[ItemMedia]) -> Result<Item> {
    let json = to_json(&media)?;
    let t = now();
    db_tx!(core.db, |conn| {
        diesel::update(portfolio_items::table.find(item_id))
            .set((
                portfolio_items::media.eq(&json),
                portfolio_items::updated_at.eq(t),
            ))
            .execute(conn)?;
        Ok(())
    })?;
    queries::item(core, item_id).await?.ok_or(Error::NotFound)
}

/// Links an item to its federated copy.
pub async fn set_item_post(core: &Core, item_id: i64, post_id: Option<i64>) -> Result<()> {
    db_tx!(core.db, |conn| {
        diesel::update(portfolio_items::table.find(item_id))
            .set(portfolio_items::post_id.eq(post_id))
            .execute(conn)?;
        Ok(())
    })
}

pub async fn delete_item(core: &Core, item: &Item) -> Result<()> {
    let (id, post) = (item.id, item.post_id);
    let t = now();
    db_tx!(core.db, |conn| {
        diesel::update(portfolio_items::table.find(id))
            .set((
                portfolio_items::deleted_at.eq(Some(t)),
                portfolio_items::updated_at.eq(t),
            ))
            .execute(conn)?;
        if let Some(post) = post {
            diesel::update(crate::schema::posts::table.find(post))
                .set(crate::schema::posts::deleted_at.eq(Some(t)))
                .execute(conn)?;
        }
        Ok(())
    })?;
    if item.local {
        for m in item.media() {
            if let Some(path) = m.path {
                crate::media::remove(&core.config.media_dir(), &path);
            }
        }
    }
    Ok(())
}

/// A project as a person writes it; absent fields are left as they are.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ProjectInput {
    pub title: Option<String>,
    pub description: Option<String>,
    /// `planned` (default), `active`, `paused` or `done`.
    pub status: Option<String>,
    pub goals: Option<Vec<String>>,
    /// Named values (text or numbers), e.g. budget, team size, repository.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub data: Option<Map<String, Value>>,
    /// Up to four `{name, url}` links, e.g. to the task tracker where the work happens.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<Object>>))]
    pub links: Option<Vec<ProfileLink>>,
    /// `public` (default), `unlisted`, `members` or `private`.
    pub visibility: Option<String>,
}

struct CleanProject {
    title: String,
    description: String,
    status: String,
    goals: String,
    data: String,
    links: String,
    visibility: Visibility,
}

fn clean_project(input: &ProjectInput, current: Option<&Project>) -> Result<CleanProject> {
    let title = required_text(
        "title",
        input
            .title
            .as_deref()
            .unwrap_or(current.map(|c| c.title.as_str()).unwrap_or("")),
        rules::TITLE_MAX,
    )?;
    let description = optional_text(
        "description",
        input
            .description
            .as_deref()
            .unwrap_or(current.map(|c| c.description.as_str()).unwrap_or("")),
        rules::DESCRIPTION_MAX,
    )?;
    let status = input.status.clone().unwrap_or_else(|| {
        current
            .map(|c| c.status.clone())
            .unwrap_or_else(|| "planned".into())
    });
    if !PROJECT_STATUSES.contains(&status.as_str()) {
        return Err(Error::invalid("status", "status_invalid"));
    }
    let goals = match &input.goals {
        Some(g) => {
            let g: Vec<String> = g
                .iter()
                .map(|x| optional_text("goals", x, rules::SHORT_MAX))
                .collect::<Result<Vec<_>>>()?
                .into_iter()
                .filter(|x| !x.is_empty())
                .collect();
            if g.len() > rules::GOALS_MAX {
                return Err(Error::invalid("goals", "too_many_goals"));
            }
            g
        }
        None => current.map(Project::goals).unwrap_or_default(),
    };
    let data = match &input.data {
        Some(d) => {
            if d.len() > rules::FIELDS_MAX {
                return Err(Error::invalid("data", "too_many_fields"));
            }
            let mut out = Map::new();
            for (k, v) in d {
                let k = required_text("data", k, 60)?;
                let v = match v {
                    Value::String(s) => {
                        Value::String(optional_text("data", s, rules::FIELD_VALUE_MAX)?)
                    }
                    Value::Number(n) => Value::Number(n.clone()),
                    _ => return Err(Error::invalid("data", "field_wrong_kind")),
                };
                out.insert(k, v);
            }
            out
        }
        None => current.map(Project::data).unwrap_or_default(),
    };
    let links = match &input.links {
        Some(l) => clean_links(l)?,
        None => current.map(Project::links).unwrap_or_default(),
    };
    let visibility = parse_visibility(
        input.visibility.as_deref(),
        current
            .map(Project::visibility)
            .unwrap_or(Visibility::Public),
    )?;
    Ok(CleanProject {
        title,
        description,
        status,
        goals: to_json(&goals)?,
        data: to_json(&data)?,
        links: to_json(&links)?,
        visibility,
    })
}

pub async fn create_project(core: &Core, p: &Portfolio, input: ProjectInput) -> Result<Project> {
    let c = clean_project(&input, None)?;
    let (pid, base_id) = (p.id(), p.actor.ap_id.clone());
    let temp = format!("{base_id}/projects/new-{}", uuid::Uuid::new_v4().simple());
    let t = now();
    let id = db_tx!(core.db, |conn| {
        let id: i64 = diesel::insert_into(projects::table)
            .values((
                projects::ap_id.eq(&temp),
                projects::portfolio_id.eq(pid),
                projects::local.eq(true),
                projects::title.eq(&c.title),
                projects::description.eq(&c.description),
                projects::status.eq(&c.status),
                projects::goals.eq(&c.goals),
                projects::data.eq(&c.data),
                projects::links.eq(&c.links),
                projects::visibility.eq(c.visibility.as_str()),
                projects::created_at.eq(t),
                projects::updated_at.eq(t),
            ))
            .returning(projects::id)
            .get_result(conn)?;
        diesel::update(projects::table.find(id))
            .set(projects::ap_id.eq(format!("{base_id}/projects/{id}")))
            .execute(conn)?;
        Ok(id)
    })?;
    queries::project(core, id).await?.ok_or(Error::NotFound)
}

pub async fn update_project(
    core: &Core,
    project: &Project,
    input: ProjectInput,
) -> Result<Project> {
    let c = clean_project(&input, Some(project))?;
    let id = project.id;
    let t = now();
    db_tx!(core.db, |conn| {
        diesel::update(projects::table.find(id))
            .set((
                projects::title.eq(&c.title),
                projects::description.eq(&c.description),
                projects::status.eq(&c.status),
                projects::goals.eq(&c.goals),
                projects::data.eq(&c.data),
                projects::links.eq(&c.links),
                projects::visibility.eq(c.visibility.as_str()),
                projects::updated_at.eq(t),
            ))
            .execute(conn)?;
        Ok(())
    })?;
    queries::project(core, id).await?.ok_or(Error::NotFound)
}

pub async fn delete_project(core: &Core, project: &Project) -> Result<()> {
    let id = project.id;
    let t = now();
    db_tx!(core.db, |conn| {
        diesel::update(projects::table.find(id))
            .set((projects::deleted_at.eq(Some(t)), projects::updated_at.eq(t)))
            .execute(conn)?;
        Ok(())
    })
}

/// Adds a local person to a project's team (or changes what they do on it).
pub async fn set_project_member(
    core: &Core,
    project: &Project,
    actor: &Actor,
    role: &str,
) -> Result<()> {
    if !actor.local || actor.kind != "person" || actor.deleted_at.is_some() {
        return Err(Error::invalid("person", "not_a_local_person"));
    }
    let role = optional_text("role", role, rules::SHORT_MAX)?;
    let (pid, aid) = (project.id, actor.id);
    let t = now();
    db_tx!(core.db, |conn| {
        diesel::insert_into(project_members::table)
            .values((
                project_members::project_id.eq(pid),
                project_members::actor_id.eq(aid),
                project_members::role.eq(&role),
                project_members::created_at.eq(t),
            ))
            .on_conflict((project_members::project_id, project_members::actor_id))
            .do_update()
            .set(project_members::role.eq(excluded(project_members::role)))
            .execute(conn)?;
        Ok(())
    })
}

pub async fn remove_project_member(core: &Core, project: &Project, actor_id: i64) -> Result<bool> {
    let pid = project.id;
    let n = db_tx!(core.db, |conn| {
        Ok(diesel::delete(
            project_members::table
                .filter(project_members::project_id.eq(pid))
                .filter(project_members::actor_id.eq(actor_id)),
        )
        .execute(conn)?)
    })?;
    Ok(n > 0)
}

/// Records that a post is an update of a project (by the project's id).
pub async fn link_update(core: &Core, project_ap_id: &str, post_id: i64) -> Result<()> {
    let ap = project_ap_id.to_string();
    let t = now();
    db_tx!(core.db, |conn| {
        diesel::insert_into(project_updates::table)
            .values((
                project_updates::project_ap_id.eq(&ap),
                project_updates::post_id.eq(post_id),
                project_updates::created_at.eq(t),
            ))
            .on_conflict(project_updates::post_id)
            .do_nothing()
            .execute(conn)?;
        Ok(())
    })
}

/// Stores what a remote Kogi portfolio's actor document says (its row in `portfolios`).
pub async fn upsert_remote(core: &Core, actor_id: i64, r: &RemotePortfolio) -> Result<()> {
    let (tags, fields, sections, owners) = (
        to_json(&r.tags)?,
        to_json(&r.fields)?,
        to_json(&r.sections)?,
        to_json(&r.owners)?,
    );
    let state = if r.archived {
        State::Archived
    } else {
        State::Published
    };
    let t = now();
    let r = r.clone();
    db_tx!(core.db, |conn| {
        diesel::insert_into(portfolios::table)
            .values((
                portfolios::actor_id.eq(actor_id),
                portfolios::local.eq(false),
                portfolios::portfolio_type.eq(&r.portfolio_type),
                portfolios::visibility.eq("public"),
                portfolios::state.eq(state.as_str()),
                portfolios::tags.eq(&tags),
                portfolios::cover_url.eq(&r.cover_url),
                portfolios::fields.eq(&fields),
                portfolios::sections.eq(&sections),
                portfolios::owners.eq(&owners),
                portfolios::items_url.eq(&r.items_url),
                portfolios::projects_url.eq(&r.projects_url),
                portfolios::created_at.eq(t),
                portfolios::updated_at.eq(t),
                portfolios::published_at.eq(Some(t)),
            ))
            .on_conflict(portfolios::actor_id)
            .do_update()
            .set((
                portfolios::portfolio_type.eq(excluded(portfolios::portfolio_type)),
                portfolios::state.eq(excluded(portfolios::state)),
                portfolios::tags.eq(excluded(portfolios::tags)),
                portfolios::cover_url.eq(excluded(portfolios::cover_url)),
                portfolios::fields.eq(excluded(portfolios::fields)),
                portfolios::sections.eq(excluded(portfolios::sections)),
                portfolios::owners.eq(excluded(portfolios::owners)),
                portfolios::items_url.eq(excluded(portfolios::items_url)),
                portfolios::projects_url.eq(excluded(portfolios::projects_url)),
                portfolios::updated_at.eq(excluded(portfolios::updated_at)),
            ))
            .execute(conn)?;
        Ok(())
    })
}

/// A remote portfolio's item as its origin describes it.
#[derive(Debug, Clone, Default)]
pub struct RemoteItem {
    pub ap_id: String,
    pub title: String,
    pub description: String,
    pub role: String,
    pub client: String,
    pub skills: Vec<String>,
    pub started_on: Option<String>,
    pub ended_on: Option<String>,
    pub media: Vec<ItemMedia>,
    pub video_url: Option<String>,
    pub external_url: Option<String>,
    pub position: i32,
    pub featured: bool,
    pub archived: bool,
    pub unlisted: bool,
    pub section: Option<String>,
    pub fields: Map<String, Value>,
    pub post_id: Option<i64>,
}

/// Stores or refreshes a remote portfolio's item. An item stays with the portfolio it was
/// first stored for, and a local one is never written over: an upsert that claims another's
/// item is refused (`Forbidden`) and changes nothing.
pub async fn upsert_remote_item(core: &Core, portfolio_id: i64, r: RemoteItem) -> Result<Item> {
    let (skills, media, fields) = (to_json(&r.skills)?, to_json(&r.media)?, to_json(&r.fields)?);
    let state = if r.archived {
        State::Archived
    } else {
        State::Published
    };
    let vis = if r.unlisted {
        Visibility::Unlisted
    } else {
        Visibility::Public
    };
    let t = now();
    let ap_id = r.ap_id.clone();
    db_tx!(core.db, |conn| {
        let owner: Option<(i64, bool)> = portfolio_items::table
            .filter(portfolio_items::ap_id.eq(&r.ap_id))
            .select((portfolio_items::portfolio_id, portfolio_items::local))
            .first(conn)
            .optional()?;
        if owner.is_some_and(|(pid, local)| local || pid != portfolio_id) {
            return Err(Error::Forbidden("not_this_portfolio"));
        }
        diesel::insert_into(portfolio_items::table)
            .values((
                portfolio_items::ap_id.eq(&r.ap_id),
                portfolio_items::portfolio_id.eq(portfolio_id),
                portfolio_items::local.eq(false),
                portfolio_items::title.eq(&r.title),
                portfolio_items::description.eq(&r.description),
                portfolio_items::role.eq(&r.role),
                portfolio_items::client.eq(&r.client),
                portfolio_items::skills.eq(&skills),
                portfolio_items::started_on.eq(&r.started_on),
                portfolio_items::ended_on.eq(&r.ended_on),
                portfolio_items::media.eq(&media),
                portfolio_items::video_url.eq(&r.video_url),
                portfolio_items::external_url.eq(&r.external_url),
                portfolio_items::position.eq(r.position),
                portfolio_items::featured.eq(r.featured),
                portfolio_items::visibility.eq(vis.as_str()),
                portfolio_items::state.eq(state.as_str()),
                portfolio_items::section.eq(&r.section),
                portfolio_items::fields.eq(&fields),
                portfolio_items::post_id.eq(r.post_id),
                portfolio_items::created_at.eq(t),
                portfolio_items::updated_at.eq(t),
                portfolio_items::published_at.eq(Some(t)),
            ))
            .on_conflict(portfolio_items::ap_id)
            .do_update()
            .set((
                portfolio_items::title.eq(excluded(portfolio_items::title)),
                portfolio_items::description.eq(excluded(portfolio_items::description)),
                portfolio_items::role.eq(excluded(portfolio_items::role)),
                portfolio_items::client.eq(excluded(portfolio_items::client)),
                portfolio_items::skills.eq(excluded(portfolio_items::skills)),
                portfolio_items::started_on.eq(excluded(portfolio_items::started_on)),
                portfolio_items::ended_on.eq(excluded(portfolio_items::ended_on)),
                portfolio_items::media.eq(excluded(portfolio_items::media)),
                portfolio_items::video_url.eq(excluded(portfolio_items::video_url)),
                portfolio_items::external_url.eq(excluded(portfolio_items::external_url)),
                portfolio_items::position.eq(excluded(portfolio_items::position)),
                portfolio_items::featured.eq(excluded(portfolio_items::featured)),
                portfolio_items::visibility.eq(excluded(portfolio_items::visibility)),
                portfolio_items::state.eq(excluded(portfolio_items::state)),
                portfolio_items::section.eq(excluded(portfolio_items::section)),
                portfolio_items::fields.eq(excluded(portfolio_items::fields)),
                portfolio_items::post_id.eq(excluded(portfolio_items::post_id)),
                portfolio_items::updated_at.eq(excluded(portfolio_items::updated_at)),
            ))
            .execute(conn)?;
        Ok(())
    })?;
    queries::item_by_ap_id(core, &ap_id)
        .await?
        .ok_or(Error::NotFound)
}

/// A remote portfolio's project as its origin describes it.
#[derive(Debug, Clone, Default)]
pub struct RemoteProject {
    pub ap_id: String,
    pub title: String,
    pub description: String,
    pub status: String,
    pub goals: Vec<String>,
    pub data: Map<String, Value>,
    pub links: Vec<ProfileLink>,
}

/// Stores or refreshes a remote portfolio's project; like items, a project stays with the
/// portfolio it was first stored for (an upsert claiming another's is `Forbidden`).
pub async fn upsert_remote_project(core: &Core, portfolio_id: i64, r: RemoteProject) -> Result<()> {
    let (goals, data, links) = (to_json(&r.goals)?, to_json(&r.data)?, to_json(&r.links)?);
    let status = if PROJECT_STATUSES.contains(&r.status.as_str()) {
        r.status.clone()
    } else {
        "active".to_string()
    };
    let t = now();
    db_tx!(core.db, |conn| {
        let owner: Option<(i64, bool)> = projects::table
            .filter(projects::ap_id.eq(&r.ap_id))
            .select((projects::portfolio_id, projects::local))
            .first(conn)
            .optional()?;
        if owner.is_some_and(|(pid, local)| local || pid != portfolio_id) {
            return Err(Error::Forbidden("not_this_portfolio"));
        }
        diesel::insert_into(projects::table)
            .values((
                projects::ap_id.eq(&r.ap_id),
                projects::portfolio_id.eq(portfolio_id),
                projects::local.eq(false),
                projects::title.eq(&r.title),
                projects::description.eq(&r.description),
                projects::status.eq(&status),
                projects::goals.eq(&goals),
                projects::data.eq(&data),
                projects::links.eq(&links),
                projects::visibility.eq("public"),
                projects::created_at.eq(t),
                projects::updated_at.eq(t),
            ))
            .on_conflict(projects::ap_id)
            .do_update()
            .set((
                projects::title.eq(excluded(projects::title)),
                projects::description.eq(excluded(projects::description)),
                projects::status.eq(excluded(projects::status)),
                projects::goals.eq(excluded(projects::goals)),
                projects::data.eq(excluded(projects::data)),
                projects::links.eq(excluded(projects::links)),
                projects::updated_at.eq(excluded(projects::updated_at)),
            ))
            .execute(conn)?;
        Ok(())
    })
}

/// A remote item or project was deleted at its origin.
pub async fn mark_remote_deleted_by_ap_id(core: &Core, ap_id: &str) -> Result<()> {
    let ap = ap_id.to_string();
    let t = now();
    db_tx!(core.db, |conn| {
        diesel::update(
            portfolio_items::table
                .filter(portfolio_items::ap_id.eq(&ap))
                .filter(portfolio_items::local.eq(false)),
        )
        .set(portfolio_items::deleted_at.eq(Some(t)))
        .execute(conn)?;
        diesel::update(
            projects::table
                .filter(projects::ap_id.eq(&ap))
                .filter(projects::local.eq(false)),
        )
        .set(projects::deleted_at.eq(Some(t)))
        .execute(conn)?;
        Ok(())
    })
}

/// A remote portfolio was deleted at its origin.
pub async fn mark_remote_portfolio_deleted(core: &Core, actor_id: i64) -> Result<()> {
    let t = now();
    db_tx!(core.db, |conn| {
        diesel::update(
            portfolios::table
                .filter(portfolios::actor_id.eq(actor_id))
                .filter(portfolios::local.eq(false)),
        )
        .set(portfolios::deleted_at.eq(Some(t)))
        .execute(conn)?;
        Ok(())
    })
}
