//! Storing what other Kogi instances send about their portfolios, items and projects.

use diesel::prelude::*;
use diesel::upsert::excluded;
use serde_json::{Map, Value};

use super::checks::to_json;
use crate::accounts::ProfileLink;
use crate::error::{Error, Result};
use crate::portfolios::model::*;
use crate::portfolios::queries;
use crate::schema::{portfolio_items, portfolios, projects};
use crate::{db_tx, now, Core};

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
    crate::db::tx(&core.db, move |conn| {
        mark_remote_deleted_by_ap_id_in(conn, &ap)
    })
    .await
}

/// [`mark_remote_deleted_by_ap_id`] inside the caller's transaction.
pub fn mark_remote_deleted_by_ap_id_in(conn: &mut crate::db::Conn, ap: &str) -> Result<()> {
    let t = now();
    crate::with_conn!(conn, |conn| {
        diesel::update(
            portfolio_items::table
                .filter(portfolio_items::ap_id.eq(ap))
                .filter(portfolio_items::local.eq(false)),
        )
        .set(portfolio_items::deleted_at.eq(Some(t)))
        .execute(conn)?;
        diesel::update(
            projects::table
                .filter(projects::ap_id.eq(ap))
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
