//! Inbound de-duplication. An activity id is *claimed* (a row under a unique index) before its
//! processing starts, so parallel deliveries of the same activity cannot all pass a "seen?"
//! check; it is marked done when processing completed, and the claim is released when
//! processing failed, so a failure is not a replay. A claim left behind by a process that
//! died mid-way is taken over once it is older than [`STALE_CLAIM_SECS`].

use diesel::prelude::*;

use crate::error::Result;
use crate::schema::inbox_seen;
use crate::{db_run, db_tx, now, Core};

/// Longer than any one activity's processing (a few fetches, each under its time-out).
pub const STALE_CLAIM_SECS: i64 = 120;

/// What a claim found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// The id is ours to process now.
    Claimed,
    /// Processed before: a replay.
    Done,
    /// Another delivery of the same activity is being processed right now.
    InProgress,
}

pub async fn claim(core: &Core, activity_id: &str) -> Result<Claim> {
    let id = activity_id.to_string();
    let t = now();
    let stale = t - chrono::Duration::seconds(STALE_CLAIM_SECS);
    db_tx!(core.db, |conn| {
        let inserted = diesel::insert_into(inbox_seen::table)
            .values((
                inbox_seen::activity_id.eq(&id),
                inbox_seen::received_at.eq(t),
                inbox_seen::done.eq(false),
            ))
            .on_conflict(inbox_seen::activity_id)
            .do_nothing()
            .execute(conn)?;
        if inserted == 1 {
            return Ok(Claim::Claimed);
        }
        let taken_over = diesel::update(
            inbox_seen::table
                .filter(inbox_seen::activity_id.eq(&id))
                .filter(inbox_seen::done.eq(false))
                .filter(inbox_seen::received_at.lt(stale)),
        )
        .set(inbox_seen::received_at.eq(t))
        .execute(conn)?;
        if taken_over == 1 {
            return Ok(Claim::Claimed);
        }
        let done: Option<bool> = inbox_seen::table
            .filter(inbox_seen::activity_id.eq(&id))
            .select(inbox_seen::done)
            .first(conn)
            .optional()?;
        Ok(match done {
            Some(true) => Claim::Done,
            Some(false) => Claim::InProgress,
            // Released between the insert and the read: let the sender try again.
            None => Claim::InProgress,
        })
    })
}

/// Processing completed: later copies are replays.
pub async fn mark_done(core: &Core, activity_id: &str) -> Result<()> {
    let id = activity_id.to_string();
    crate::db::run(&core.db, move |c| mark_done_in(c, &id)).await
}

/// [`mark_done`] inside the apply transaction of a received activity: the id is recorded as
/// seen together with the activity's effects, so a failed apply leaves it unseen.
pub fn mark_done_in(conn: &mut crate::db::Conn, activity_id: &str) -> Result<()> {
    crate::with_conn!(conn, |conn| {
        diesel::update(inbox_seen::table.filter(inbox_seen::activity_id.eq(activity_id)))
            .set(inbox_seen::done.eq(true))
            .execute(conn)?;
        Ok(())
    })
}

/// Processing failed: the id is unseen again, so a redelivery is processed.
pub async fn release(core: &Core, activity_id: &str) -> Result<()> {
    let id = activity_id.to_string();
    db_run!(core.db, |conn| {
        diesel::delete(
            inbox_seen::table
                .filter(inbox_seen::activity_id.eq(&id))
                .filter(inbox_seen::done.eq(false)),
        )
        .execute(conn)?;
        Ok(())
    })
}

/// Forgets ids older than `days` (longer than any peer retries for).
pub async fn prune(core: &Core, days: i64) -> Result<usize> {
    let cutoff = now() - chrono::Duration::days(days);
    db_run!(core.db, |conn| {
        Ok(
            diesel::delete(inbox_seen::table.filter(inbox_seen::received_at.lt(cutoff)))
                .execute(conn)?,
        )
    })
}
