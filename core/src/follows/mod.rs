//! Follows between actors, local or remote: requests, acceptance, collections. The use cases
//! (follow, unfollow, answer, and the incoming Follow, Accept, Reject and Undo) are in
//! [`actions`], each one transaction; the state rule they share is in [`rules`].

pub mod actions;
pub mod rules;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::upsert::excluded;
use serde::Serialize;

use crate::accounts::Actor;
use crate::db::Conn;
use crate::error::Result;
use crate::schema::{actors, follows};
use crate::{db_run, now, with_conn, Core};

pub const PENDING: &str = "pending";
pub const ACCEPTED: &str = "accepted";

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = follows)]
pub struct Follow {
    pub id: i64,
    pub follower_id: i64,
    pub target_id: i64,
    /// The id of the `Follow` activity.
    pub ap_id: String,
    pub state: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Records a follow (or refreshes the activity id of an existing one, as a re-sent Follow
/// does). Returns the follow as stored.
pub async fn upsert(
    core: &Core,
    follower_id: i64,
    target_id: i64,
    ap_id: &str,
    state: &str,
) -> Result<Follow> {
    let (ap_id, state) = (ap_id.to_string(), state.to_string());
    crate::db::tx(&core.db, move |c| {
        upsert_in(c, follower_id, target_id, &ap_id, &state)
    })
    .await
}

/// [`upsert`] inside the caller's transaction.
pub fn upsert_in(
    conn: &mut Conn,
    follower_id: i64,
    target_id: i64,
    ap_id: &str,
    state: &str,
) -> Result<Follow> {
    let t = now();
    with_conn!(conn, |conn| {
        // A Follow id reused for another pair is replaced rather than refused.
        diesel::delete(
            follows::table.filter(follows::ap_id.eq(ap_id)).filter(
                follows::follower_id
                    .ne(follower_id)
                    .or(follows::target_id.ne(target_id)),
            ),
        )
        .execute(conn)?;
        Ok(diesel::insert_into(follows::table)
            .values((
                follows::follower_id.eq(follower_id),
                follows::target_id.eq(target_id),
                follows::ap_id.eq(ap_id),
                follows::state.eq(state),
                follows::created_at.eq(t),
                follows::updated_at.eq(t),
            ))
            .on_conflict((follows::follower_id, follows::target_id))
            .do_update()
            .set((
                follows::ap_id.eq(excluded(follows::ap_id)),
                follows::updated_at.eq(t),
            ))
            .returning(Follow::as_returning())
            .get_result(conn)?)
    })
}

pub async fn find(core: &Core, follower_id: i64, target_id: i64) -> Result<Option<Follow>> {
    crate::db::run(&core.db, move |c| find_in(c, follower_id, target_id)).await
}

pub fn find_in(conn: &mut Conn, follower_id: i64, target_id: i64) -> Result<Option<Follow>> {
    with_conn!(conn, |conn| {
        Ok(follows::table
            .filter(follows::follower_id.eq(follower_id))
            .filter(follows::target_id.eq(target_id))
            .select(Follow::as_select())
            .first(conn)
            .optional()?)
    })
}

pub async fn find_by_id(core: &Core, id: i64) -> Result<Option<Follow>> {
    crate::db::run(&core.db, move |c| {
        with_conn!(c, |conn| Ok(follows::table
            .find(id)
            .select(Follow::as_select())
            .first(conn)
            .optional()?))
    })
    .await
}

pub async fn find_by_ap_id(core: &Core, ap_id: &str) -> Result<Option<Follow>> {
    let ap_id = ap_id.to_string();
    crate::db::run(&core.db, move |c| find_by_ap_id_in(c, &ap_id)).await
}

pub fn find_by_ap_id_in(conn: &mut Conn, ap_id: &str) -> Result<Option<Follow>> {
    with_conn!(conn, |conn| {
        Ok(follows::table
            .filter(follows::ap_id.eq(ap_id))
            .select(Follow::as_select())
            .first(conn)
            .optional()?)
    })
}

pub async fn set_state(core: &Core, id: i64, state: &str) -> Result<()> {
    let state = state.to_string();
    crate::db::run(&core.db, move |c| set_state_in(c, id, &state)).await
}

pub fn set_state_in(conn: &mut Conn, id: i64, state: &str) -> Result<()> {
    let t = now();
    with_conn!(conn, |conn| {
        diesel::update(follows::table.find(id))
            .set((follows::state.eq(state), follows::updated_at.eq(t)))
            .execute(conn)?;
        Ok(())
    })
}

/// Removes a follow; returns whether there was one.
pub async fn remove(core: &Core, follower_id: i64, target_id: i64) -> Result<bool> {
    crate::db::run(&core.db, move |c| remove_in(c, follower_id, target_id)).await
}

pub fn remove_in(conn: &mut Conn, follower_id: i64, target_id: i64) -> Result<bool> {
    let n = with_conn!(conn, |conn| {
        diesel::delete(
            follows::table
                .filter(follows::follower_id.eq(follower_id))
                .filter(follows::target_id.eq(target_id)),
        )
        .execute(conn)
    })?;
    Ok(n > 0)
}

/// Accepted followers of an actor, newest first, a page at a time.
pub async fn followers(
    core: &Core,
    target_id: i64,
    state: &str,
    offset: i64,
    limit: i64,
) -> Result<Vec<Actor>> {
    let state = state.to_string();
    db_run!(core.db, |conn| {
        Ok(follows::table
            .inner_join(actors::table.on(actors::id.eq(follows::follower_id)))
            .filter(follows::target_id.eq(target_id))
            .filter(follows::state.eq(&state))
            .order(follows::id.desc())
            .offset(offset)
            .limit(limit)
            .select(Actor::as_select())
            .load(conn)?)
    })
}

/// Actors this one follows (accepted), newest first.
pub async fn following(
    core: &Core,
    follower_id: i64,
    offset: i64,
    limit: i64,
) -> Result<Vec<Actor>> {
    db_run!(core.db, |conn| {
        Ok(follows::table
            .inner_join(actors::table.on(actors::id.eq(follows::target_id)))
            .filter(follows::follower_id.eq(follower_id))
            .filter(follows::state.eq(ACCEPTED))
            .order(follows::id.desc())
            .offset(offset)
            .limit(limit)
            .select(Actor::as_select())
            .load(conn)?)
    })
}

/// (followers, following) counts, accepted only.
pub async fn counts(core: &Core, actor_id: i64) -> Result<(i64, i64)> {
    crate::db::run(&core.db, move |c| counts_in(c, actor_id)).await
}

/// [`counts`] inside the caller's transaction.
pub fn counts_in(conn: &mut Conn, actor_id: i64) -> Result<(i64, i64)> {
    crate::with_conn!(conn, |conn| {
        let followers: i64 = follows::table
            .filter(follows::target_id.eq(actor_id))
            .filter(follows::state.eq(ACCEPTED))
            .count()
            .get_result(conn)?;
        let following: i64 = follows::table
            .filter(follows::follower_id.eq(actor_id))
            .filter(follows::state.eq(ACCEPTED))
            .count()
            .get_result(conn)?;
        Ok::<_, crate::Error>((followers, following))
    })
}

/// Has the actor an accepted follower on `host` (host and port)?
pub async fn has_follower_on(core: &Core, target_id: i64, host: &str) -> Result<bool> {
    let host = host.to_string();
    crate::db::run(&core.db, move |c| has_follower_on_in(c, target_id, &host)).await
}

/// [`has_follower_on`] inside the caller's transaction.
pub fn has_follower_on_in(conn: &mut Conn, target_id: i64, host: &str) -> Result<bool> {
    let n: i64 = crate::with_conn!(conn, |conn| {
        Ok::<_, crate::Error>(
            follows::table
                .inner_join(actors::table.on(actors::id.eq(follows::follower_id)))
                .filter(follows::target_id.eq(target_id))
                .filter(follows::state.eq(ACCEPTED))
                .filter(actors::host.eq(host))
                .filter(actors::deleted_at.is_null())
                .count()
                .get_result(conn)?,
        )
    })?;
    Ok(n > 0)
}

/// Where to deliver to an actor's followers: each remote follower's shared inbox when it has
/// one (once per shared inbox), else its own inbox.
pub async fn follower_inboxes(core: &Core, target_id: i64) -> Result<Vec<String>> {
    crate::db::run(&core.db, move |c| follower_inboxes_in(c, target_id)).await
}

/// [`follower_inboxes`] inside the caller's transaction.
pub fn follower_inboxes_in(conn: &mut Conn, target_id: i64) -> Result<Vec<String>> {
    let rows: Vec<(String, Option<String>)> = crate::with_conn!(conn, |conn| {
        Ok::<_, crate::Error>(
            follows::table
                .inner_join(actors::table.on(actors::id.eq(follows::follower_id)))
                .filter(follows::target_id.eq(target_id))
                .filter(follows::state.eq(ACCEPTED))
                .filter(actors::local.eq(false))
                .filter(actors::deleted_at.is_null())
                .select((actors::inbox_url, actors::shared_inbox_url))
                .load(conn)?,
        )
    })?;
    let mut out: Vec<String> = rows
        .into_iter()
        .map(|(inbox, shared)| shared.unwrap_or(inbox))
        .collect();
    out.sort();
    out.dedup();
    Ok(out)
}

/// Everyone this actor follows or asked to follow, with the state of each.
pub async fn outgoing(core: &Core, follower_id: i64) -> Result<Vec<(Actor, String)>> {
    crate::db::run(&core.db, move |c| outgoing_in(c, follower_id)).await
}

/// [`outgoing`] inside the caller's transaction.
pub fn outgoing_in(conn: &mut Conn, follower_id: i64) -> Result<Vec<(Actor, String)>> {
    crate::with_conn!(conn, |conn| {
        Ok::<_, crate::Error>(
            follows::table
                .inner_join(actors::table.on(actors::id.eq(follows::target_id)))
                .filter(follows::follower_id.eq(follower_id))
                .order(follows::id.desc())
                .select((Actor::as_select(), follows::state))
                .load(conn)?,
        )
    })
}
