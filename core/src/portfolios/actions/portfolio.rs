//! Portfolio use cases: creating and editing a portfolio, its lifecycle and its team.

use diesel::prelude::*;
use diesel::upsert::excluded;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::checks::{parse_visibility, to_json};
use crate::accounts::rules::{is_reserved, normalise_handle};
use crate::accounts::{clean_links, clean_tags};
use crate::accounts::{Actor, ProfileLink};
use crate::error::{Error, Result};
use crate::portfolios::model::*;
use crate::portfolios::queries;
use crate::portfolios::rules::{self, optional_text, required_text};
use crate::portfolios::types;
use crate::schema::{
    accounts, actors, portfolio_items, portfolio_members, portfolios, project_members,
    project_updates, projects,
};
use crate::{db_tx, keys, now, with_conn, Core};

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
    crate::db::tx(&core.db, move |conn| {
        with_conn!(conn, |c| {
            diesel::update(actors::table.find(aid))
                .set((
                    actors::display_name.eq(&title),
                    actors::summary.eq(&summary),
                    actors::links.eq(&links_json),
                    actors::updated_at.eq(t),
                ))
                .execute(c)?;
            diesel::update(portfolios::table.find(pid))
                .set((
                    portfolios::portfolio_type.eq(&kind.name),
                    portfolios::visibility.eq(visibility.as_str()),
                    portfolios::tags.eq(&tags_json),
                    portfolios::fields.eq(&fields_json),
                    portfolios::sections.eq(&sections_json),
                    portfolios::updated_at.eq(t),
                ))
                .execute(c)?;
            Ok::<_, Error>(())
        })?;
        // Followers get the new document (the publisher sends nothing for a draft).
        crate::outbox::actor_updated(conn, aid)
    })
    .await?;
    crate::outbox::committed(core, "update_portfolio");
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
    let (pid, aid) = (p.id(), p.actor.id);
    let first_publish = p.row.published_at.is_none() && to == State::Published;
    let base = core.config.public_url.clone();
    let t = now();
    crate::db::tx(&core.db, move |conn| {
        with_conn!(conn, |c| {
            diesel::update(portfolios::table.find(pid))
                .set((
                    portfolios::state.eq(to.as_str()),
                    portfolios::updated_at.eq(t),
                ))
                .execute(c)?;
            if first_publish {
                diesel::update(portfolios::table.find(pid))
                    .set(portfolios::published_at.eq(Some(t)))
                    .execute(c)?;
            }
            Ok::<_, Error>(())
        })?;
        // Published (or back): the published work that never left gets its copies.
        if to == State::Published {
            for item in queries::items_in(conn, pid)? {
                if item.state() != State::Draft && item.post_id.is_none() {
                    super::copies::sync_in(conn, &base, pid, item.id, false)?;
                }
            }
        }
        crate::outbox::actor_updated(conn, aid)
    })
    .await?;
    crate::outbox::committed(core, "set_portfolio_state");
    queries::find(core, pid).await?.ok_or(Error::NotFound)
}

pub async fn set_cover(core: &Core, p: &Portfolio, path: Option<String>) -> Result<Portfolio> {
    let old = p.row.cover_path.clone();
    let (pid, aid) = (p.id(), p.actor.id);
    let t = now();
    let path_q = path.clone();
    crate::db::tx(&core.db, move |conn| {
        with_conn!(conn, |c| {
            diesel::update(portfolios::table.find(pid))
                .set((
                    portfolios::cover_path.eq(&path_q),
                    portfolios::updated_at.eq(t),
                ))
                .execute(c)
        })?;
        crate::outbox::actor_updated(conn, aid)
    })
    .await?;
    crate::outbox::committed(core, "set_cover");
    if let Some(o) = old.filter(|o| Some(o) != path.as_ref()) {
        crate::media::remove(&core.config.media_dir(), &o);
    }
    queries::find(core, pid).await?.ok_or(Error::NotFound)
}

/// Deletes a portfolio for good: its items, projects and posts go too; the actor row stays
/// (marked deleted, keys kept to sign the `Delete`) so the handle stays reserved.
pub async fn mark_deleted(core: &Core, p: &Portfolio) -> Result<()> {
    let (pid, aid) = (p.id(), p.actor.id);
    let ever_left = p.row.published_at.is_some();
    let t = now();
    crate::db::tx(&core.db, move |conn| {
        // If it ever left the instance, every known server is told (`Delete` of the actor).
        if ever_left {
            crate::outbox::actor_deleted(conn, aid)?;
        }
        with_conn!(conn, |conn| {
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
    })
    .await?;
    crate::outbox::committed(core, "delete_portfolio");
    Ok(())
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
