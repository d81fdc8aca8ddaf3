//! Blocks (federated, and they end follows both ways) and mutes (local: hide from timelines
//! and notifications).

use diesel::prelude::*;

use crate::accounts::Actor;
use crate::db::Conn;
use crate::error::Result;
use crate::schema::{actors, blocks, follows};
use crate::{now, with_conn, Core};

pub mod actions;

pub const BLOCK: &str = "block";
pub const MUTE: &str = "mute";

/// Records a block or mute on the caller's connection; a block also ends follows in both
/// directions. Returns whether it is new.
pub fn add_in(
    conn: &mut Conn,
    actor_id: i64,
    target_id: i64,
    kind: &str,
    ap_id: &str,
) -> Result<bool> {
    let t = now();
    with_conn!(conn, |conn| {
        let n = diesel::insert_into(blocks::table)
            .values((
                blocks::actor_id.eq(actor_id),
                blocks::target_id.eq(target_id),
                blocks::kind.eq(kind),
                blocks::ap_id.eq(ap_id),
                blocks::created_at.eq(t),
            ))
            .on_conflict_do_nothing()
            .execute(conn)?;
        if kind == BLOCK {
            diesel::delete(
                follows::table.filter(
                    (follows::follower_id
                        .eq(actor_id)
                        .and(follows::target_id.eq(target_id)))
                    .or(follows::follower_id
                        .eq(target_id)
                        .and(follows::target_id.eq(actor_id))),
                ),
            )
            .execute(conn)?;
        }
        Ok(n > 0)
    })
}

/// Removes a block or mute on the caller's connection; returns the block's activity id if
/// there was one.
pub fn remove_in(
    conn: &mut Conn,
    actor_id: i64,
    target_id: i64,
    kind: &str,
) -> Result<Option<String>> {
    with_conn!(conn, |conn| {
        let id: Option<String> = blocks::table
            .filter(blocks::actor_id.eq(actor_id))
            .filter(blocks::target_id.eq(target_id))
            .filter(blocks::kind.eq(kind))
            .select(blocks::ap_id)
            .first(conn)
            .optional()?;
        diesel::delete(
            blocks::table
                .filter(blocks::actor_id.eq(actor_id))
                .filter(blocks::target_id.eq(target_id))
                .filter(blocks::kind.eq(kind)),
        )
        .execute(conn)?;
        Ok(id)
    })
}

/// Is there a block between the two actors, in either direction?
pub async fn blocked_either_way(core: &Core, a: i64, b: i64) -> Result<bool> {
    crate::db::run(&core.db, move |c| blocked_either_way_in(c, a, b)).await
}

/// [`blocked_either_way`] on the caller's connection.
pub fn blocked_either_way_in(conn: &mut Conn, a: i64, b: i64) -> Result<bool> {
    crate::with_conn!(conn, |conn| {
        let n: i64 = blocks::table
            .filter(blocks::kind.eq(BLOCK))
            .filter(
                (blocks::actor_id.eq(a).and(blocks::target_id.eq(b)))
                    .or(blocks::actor_id.eq(b).and(blocks::target_id.eq(a))),
            )
            .count()
            .get_result(conn)?;
        Ok(n > 0)
    })
}

/// Actors this one blocked or muted (of `kind`).
pub async fn list(core: &Core, actor_id: i64, kind: &str) -> Result<Vec<Actor>> {
    let kind = kind.to_string();
    crate::db::run(&core.db, move |c| list_in(c, actor_id, &kind)).await
}

/// [`list`] inside the caller's transaction.
pub fn list_in(conn: &mut Conn, actor_id: i64, kind: &str) -> Result<Vec<Actor>> {
    crate::with_conn!(conn, |conn| {
        Ok::<_, crate::Error>(
            blocks::table
                .inner_join(actors::table.on(actors::id.eq(blocks::target_id)))
                .filter(blocks::actor_id.eq(actor_id))
                .filter(blocks::kind.eq(kind))
                .order(blocks::id.desc())
                .select(Actor::as_select())
                .load(conn)?,
        )
    })
}

/// Ids of actors whose posts `viewer` should not see: blocked or muted by the viewer, or
/// who blocked the viewer.
pub async fn hidden_from(core: &Core, viewer: i64) -> Result<Vec<i64>> {
    crate::db::run(&core.db, move |c| hidden_from_in(c, viewer)).await
}

/// [`hidden_from`] inside the caller's transaction.
pub fn hidden_from_in(conn: &mut Conn, viewer: i64) -> Result<Vec<i64>> {
    crate::with_conn!(conn, |conn| {
        let mine: Vec<i64> = blocks::table
            .filter(blocks::actor_id.eq(viewer))
            .select(blocks::target_id)
            .load(conn)?;
        let theirs: Vec<i64> = blocks::table
            .filter(blocks::target_id.eq(viewer))
            .filter(blocks::kind.eq(BLOCK))
            .select(blocks::actor_id)
            .load(conn)?;
        Ok::<_, crate::Error>([mine, theirs].concat())
    })
}

/// Has `actor_id` blocked (or muted, per `kind`) `target_id`?
pub async fn has(core: &Core, actor_id: i64, target_id: i64, kind: &str) -> Result<bool> {
    let kind = kind.to_string();
    crate::db::run(&core.db, move |c| has_in(c, actor_id, target_id, &kind)).await
}

/// [`has`] inside the caller's transaction.
pub fn has_in(conn: &mut Conn, actor_id: i64, target_id: i64, kind: &str) -> Result<bool> {
    crate::with_conn!(conn, |conn| {
        let n: i64 = blocks::table
            .filter(blocks::actor_id.eq(actor_id))
            .filter(blocks::target_id.eq(target_id))
            .filter(blocks::kind.eq(kind))
            .count()
            .get_result(conn)?;
        Ok::<_, crate::Error>(n > 0)
    })
}
