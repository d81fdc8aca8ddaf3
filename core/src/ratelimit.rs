//! Fixed-window rate limits with counters in the database, so that every web process shares
//! them.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::upsert::excluded;

use crate::db::DbPool;
use crate::error::{Error, Result};
use crate::schema::rate_limits;
use crate::{db_run, db_tx};

/// A limit: at most `max` hits per `window_secs`.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub max: u32,
    pub window_secs: i64,
}

/// Counts one hit on `bucket`; refuses with `RateLimited` once the window's limit is passed.
pub async fn hit(db: &DbPool, bucket: &str, limit: Limit) -> Result<()> {
    let window = limit.window_secs.max(1);
    let now = Utc::now().timestamp();
    let start = now - now.rem_euclid(window);
    let window_start = DateTime::<Utc>::from_timestamp(start, 0)
        .map(|t| t.naive_utc())
        .ok_or_else(|| Error::Internal("clock out of range".into()))?;
    let bucket = bucket.to_string();
    let hits: i32 = db_tx!(db, |conn| {
        Ok(diesel::insert_into(rate_limits::table)
            .values((
                rate_limits::bucket.eq(&bucket),
                rate_limits::window_start.eq(window_start),
                rate_limits::hits.eq(1),
            ))
            .on_conflict((rate_limits::bucket, rate_limits::window_start))
            .do_update()
            .set(rate_limits::hits.eq(rate_limits::hits + excluded(rate_limits::hits)))
            .returning(rate_limits::hits)
            .get_result(conn)?)
    })?;
    if i64::from(hits) > i64::from(limit.max) {
        let retry_after = (start + window - now).max(1) as u64;
        return Err(Error::RateLimited { retry_after });
    }
    Ok(())
}

/// Deletes windows that ended more than a day ago.
pub async fn prune(db: &DbPool) -> Result<usize> {
    let cutoff = Utc::now().naive_utc() - chrono::Duration::days(1);
    db_run!(db, |conn| {
        Ok(
            diesel::delete(rate_limits::table.filter(rate_limits::window_start.lt(cutoff)))
                .execute(conn)?,
        )
    })
}
