//! Portfolio use cases: a portfolio's items.

use diesel::prelude::*;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::checks::{clean_item, to_json};
use super::copies;
use crate::error::{Error, Result};
use crate::portfolios::model::*;
use crate::portfolios::queries;
use crate::schema::portfolio_items;
use crate::{db_tx, now, with_conn, Core};

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

/// Applies an edit; when the item is not a draft its federated copy follows in the same
/// transaction (`Update` to followers, watchers told).
pub async fn update_item(
    core: &Core,
    p: &Portfolio,
    item: &Item,
    input: ItemInput,
) -> Result<Item> {
    let c = clean_item(&p.sections(), &input, Some(item))?;
    let (id, pid, draft) = (item.id, p.id(), item.state() == State::Draft);
    let position = input.position.unwrap_or(item.position);
    let base = core.config.public_url.clone();
    let t = now();
    let item = crate::db::tx(&core.db, move |conn| {
        with_conn!(conn, |c2| {
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
                .execute(c2)
        })?;
        crate::outbox::apply_fails("update_item")?;
        if draft {
            return queries::item_in(conn, id)?.ok_or(Error::NotFound);
        }
        copies::sync_in(conn, &base, pid, id, true)
    })
    .await?;
    crate::outbox::committed(core, "update_item");
    Ok(item)
}

/// Publish (from draft), archive (from published) or restore (from archived) an item; its
/// federated copy follows in the same transaction (`Create` for followers on publishing,
/// `Update` on archiving and restoring).
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
    let (id, pid) = (item.id, item.portfolio_id);
    let first = item.published_at.is_none() && to == State::Published;
    let base = core.config.public_url.clone();
    let t = now();
    let item = crate::db::tx(&core.db, move |conn| {
        with_conn!(conn, |c| {
            diesel::update(portfolio_items::table.find(id))
                .set((
                    portfolio_items::state.eq(to.as_str()),
                    portfolio_items::updated_at.eq(t),
                ))
                .execute(c)?;
            if first {
                diesel::update(portfolio_items::table.find(id))
                    .set(portfolio_items::published_at.eq(Some(t)))
                    .execute(c)?;
            }
            Ok::<_, Error>(())
        })?;
        copies::sync_in(conn, &base, pid, id, true)
    })
    .await?;
    crate::outbox::committed(core, "set_item_state");
    Ok(item)
}

/// Replaces an item's files; a published or archived item's copy follows in the same
/// transaction.
pub async fn set_item_media(core: &Core, item_id: i64, media: &[ItemMedia]) -> Result<Item> {
    let json = to_json(&media)?;
    let base = core.config.public_url.clone();
    let t = now();
    let item = crate::db::tx(&core.db, move |conn| {
        with_conn!(conn, |c| {
            diesel::update(portfolio_items::table.find(item_id))
                .set((
                    portfolio_items::media.eq(&json),
                    portfolio_items::updated_at.eq(t),
                ))
                .execute(c)
        })?;
        let item = queries::item_in(conn, item_id)?.ok_or(Error::NotFound)?;
        if item.state() == State::Draft {
            return Ok(item);
        }
        copies::sync_in(conn, &base, item.portfolio_id, item_id, true)
    })
    .await?;
    crate::outbox::committed(core, "set_item_media");
    Ok(item)
}

/// Deletes an item for good (its URL answers 410); followers who had its copy are sent a
/// `Delete` (an `ItemWithdrawn` event in the same transaction).
pub async fn delete_item(core: &Core, item: &Item) -> Result<()> {
    let (id, post, pid) = (item.id, item.post_id, item.portfolio_id);
    let row = item.clone();
    let t = now();
    crate::db::tx(&core.db, move |conn| {
        let p = queries::find_in(conn, pid)?.ok_or(Error::NotFound)?;
        copies::item_deleted_in(conn, p.actor.id, &row)?;
        with_conn!(conn, |c| {
            diesel::update(portfolio_items::table.find(id))
                .set((
                    portfolio_items::deleted_at.eq(Some(t)),
                    portfolio_items::updated_at.eq(t),
                ))
                .execute(c)?;
            if let Some(post) = post {
                diesel::update(crate::schema::posts::table.find(post))
                    .set(crate::schema::posts::deleted_at.eq(Some(t)))
                    .execute(c)?;
            }
            Ok(())
        })
    })
    .await?;
    crate::outbox::committed(core, "delete_item");
    if item.local {
        for m in item.media() {
            if let Some(path) = m.path {
                crate::media::remove(&core.config.media_dir(), &path);
            }
        }
    }
    Ok(())
}
