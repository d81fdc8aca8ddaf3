//! Inbound de-duplication: an activity id is recorded once its processing has completed, so a
//! replay changes nothing and an activity whose processing failed is processed when re-sent.

use diesel::prelude::*;

use crate::error::Result;
use crate::schema::inbox_seen;
use crate::{db_run, now, Core};

pub async fn seen(core: &Core, activity_id: &str) -> Result<bool> {
    let id = activity_id.to_string();
    db_run!(core.db, |conn| {
        let n: i64 = inbox_seen::table
            .filter(inbox_seen::activity_id.eq(&id))
            .count()
            .get_result(conn)?;
        Ok(n > 0)
    })
}

pub async fn mark_seen(core: &Core, activity_id: &str) -> Result<()> {
    let id = activity_id.to_string();
    let t = now();
    db_run!(core.db, |conn| {
        diesel::insert_into(inbox_seen::table)
            .values((
                inbox_seen::activity_id.eq(&id),
                inbox_seen::received_at.eq(t),
            ))
            .on_conflict(inbox_seen::activity_id)
            .do_nothing()
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
