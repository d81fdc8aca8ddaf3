//! The persistent delivery queue (storage side): one row per activity and target inbox, and
//! the health of the instances behind them. The worker that sends lives in kogi-federation.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::db::Conn;
use crate::error::Result;
use crate::schema::{deliveries, instances};
use crate::{db_run, db_tx, now, with_conn, Core};

mod claim;
pub use claim::{claim, Candidate, ClaimLimits};

pub const PENDING: &str = "pending";
pub const DONE: &str = "done";
pub const FAILED: &str = "failed";
pub const EXPIRED: &str = "expired";

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable, Serialize)]
#[diesel(table_name = deliveries)]
pub struct Delivery {
    pub id: i64,
    pub activity_id: String,
    pub activity_json: String,
    pub actor_id: i64,
    pub inbox_url: String,
    pub host: String,
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub locked_until: Option<NaiveDateTime>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// An instance as `host[:port]` from a URL.
pub fn host_of(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    let h = u.host_str()?.to_lowercase();
    Some(match u.port() {
        Some(p) => format!("{h}:{p}"),
        None => h,
    })
}

/// Queues an activity for each inbox (duplicates and blocked instances skipped). Returns how
/// many rows were added.
pub async fn enqueue(
    core: &Core,
    activity_id: &str,
    activity_json: &str,
    actor_id: i64,
    inboxes: &[String],
) -> Result<usize> {
    let (activity_id, activity_json) = (activity_id.to_string(), activity_json.to_string());
    let inboxes = inboxes.to_vec();
    crate::db::tx(&core.db, move |conn| {
        enqueue_in(conn, &activity_id, &activity_json, actor_id, &inboxes)
    })
    .await
}

/// [`enqueue`] inside the caller's transaction (the outbox publisher's).
pub fn enqueue_in(
    conn: &mut Conn,
    activity_id: &str,
    activity_json: &str,
    actor_id: i64,
    inboxes: &[String],
) -> Result<usize> {
    let t = now();
    let rows: Vec<(String, String)> = inboxes
        .iter()
        .filter_map(|i| host_of(i).map(|h| (i.clone(), h)))
        .collect();
    with_conn!(conn, |conn| {
        let blocked: Vec<String> = instances::table
            .filter(instances::blocked.eq(true))
            .select(instances::host)
            .load(conn)?;
        let mut n = 0;
        for (inbox, host) in &rows {
            if blocked.contains(host) {
                continue;
            }
            n += diesel::insert_into(deliveries::table)
                .values((
                    deliveries::activity_id.eq(activity_id),
                    deliveries::activity_json.eq(activity_json),
                    deliveries::actor_id.eq(actor_id),
                    deliveries::inbox_url.eq(inbox),
                    deliveries::host.eq(host),
                    deliveries::state.eq(PENDING),
                    deliveries::attempts.eq(0),
                    deliveries::next_attempt_at.eq(t),
                    deliveries::created_at.eq(t),
                    deliveries::updated_at.eq(t),
                ))
                .on_conflict((deliveries::activity_id, deliveries::inbox_url))
                .do_nothing()
                .execute(conn)?;
        }
        Ok(n)
    })
}

/// Records the outcome of one attempt.
pub async fn finish(
    core: &Core,
    id: i64,
    state: &str,
    status: Option<u16>,
    error: Option<String>,
    next_attempt_at: Option<NaiveDateTime>,
) -> Result<()> {
    let t = now();
    let state = state.to_string();
    let status = status.map(i32::from);
    db_run!(core.db, |conn| {
        diesel::update(deliveries::table.find(id))
            .set((
                deliveries::state.eq(&state),
                deliveries::attempts.eq(deliveries::attempts + 1),
                deliveries::last_status.eq(status),
                deliveries::last_error.eq(&error),
                deliveries::next_attempt_at.eq(next_attempt_at.unwrap_or(t)),
                deliveries::locked_until.eq(None::<NaiveDateTime>),
                deliveries::updated_at.eq(t),
            ))
            .execute(conn)?;
        Ok(())
    })
}

/// Puts a row back without counting an attempt (its host is dead and not due for a probe).
pub async fn postpone(core: &Core, id: i64, until: NaiveDateTime) -> Result<()> {
    db_run!(core.db, |conn| {
        diesel::update(deliveries::table.find(id))
            .set((
                deliveries::next_attempt_at.eq(until),
                deliveries::locked_until.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)?;
        Ok(())
    })
}

/// Rows not yet finished (pending, including those waiting for a retry).
pub async fn depth(core: &Core) -> Result<i64> {
    db_run!(core.db, |conn| {
        Ok(deliveries::table
            .filter(deliveries::state.eq(PENDING))
            .count()
            .get_result(conn)?)
    })
}

/// Count of rows per state.
pub async fn counts(core: &Core) -> Result<Vec<(String, i64)>> {
    db_run!(core.db, |conn| {
        Ok(deliveries::table
            .group_by(deliveries::state)
            .select((deliveries::state, diesel::dsl::count_star()))
            .load(conn)?)
    })
}

/// Deliveries of one activity, for tests and the admin view.
pub async fn for_activity(core: &Core, activity_id: &str) -> Result<Vec<Delivery>> {
    let activity_id = activity_id.to_string();
    db_run!(core.db, |conn| {
        Ok(deliveries::table
            .filter(deliveries::activity_id.eq(&activity_id))
            .select(Delivery::as_select())
            .load(conn)?)
    })
}

/// Deletes finished rows older than `days`.
pub async fn prune(core: &Core, days: i64) -> Result<usize> {
    let cutoff = now() - chrono::Duration::days(days);
    db_run!(core.db, |conn| {
        Ok(diesel::delete(
            deliveries::table
                .filter(deliveries::state.ne(PENDING))
                .filter(deliveries::updated_at.lt(cutoff)),
        )
        .execute(conn)?)
    })
}

/// The health of an instance as the queue sees it.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = instances)]
pub struct InstanceHealth {
    pub id: i64,
    pub host: String,
    pub shared_inbox_url: Option<String>,
    pub blocked: bool,
    pub failing_since: Option<NaiveDateTime>,
    pub dead: bool,
    pub last_probe_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

fn norm_host(host: &str) -> String {
    host.to_lowercase()
}

pub async fn instance(core: &Core, host: &str) -> Result<Option<InstanceHealth>> {
    let host = norm_host(host);
    db_run!(core.db, |conn| {
        Ok(instances::table
            .filter(instances::host.eq(&host))
            .select(InstanceHealth::as_select())
            .first(conn)
            .optional()?)
    })
}

/// Notes a failed attempt to a host; marks it dead once it has failed for `dead_after`.
/// Returns whether the host is now dead.
pub async fn host_failed(core: &Core, host: &str, dead_after: chrono::Duration) -> Result<bool> {
    let host = norm_host(host);
    let t = now();
    db_tx!(core.db, |conn| {
        diesel::insert_into(instances::table)
            .values((
                instances::host.eq(&host),
                instances::created_at.eq(t),
                instances::updated_at.eq(t),
            ))
            .on_conflict(instances::host)
            .do_nothing()
            .execute(conn)?;
        let since: Option<NaiveDateTime> = instances::table
            .filter(instances::host.eq(&host))
            .select(instances::failing_since)
            .first(conn)?;
        let since = since.unwrap_or(t);
        let dead = t - since >= dead_after;
        diesel::update(instances::table.filter(instances::host.eq(&host)))
            .set((
                instances::failing_since.eq(Some(since)),
                instances::dead.eq(dead),
                instances::updated_at.eq(t),
            ))
            .execute(conn)?;
        Ok(dead)
    })
}

/// Notes a successful delivery: a failing or dead host is alive again, and its waiting rows
/// are made due at once so it catches up.
pub async fn host_succeeded(core: &Core, host: &str) -> Result<()> {
    let host = norm_host(host);
    let t = now();
    db_tx!(core.db, |conn| {
        let was: Option<(Option<NaiveDateTime>, bool)> = instances::table
            .filter(instances::host.eq(&host))
            .select((instances::failing_since, instances::dead))
            .first(conn)
            .optional()?;
        if let Some((failing, dead)) = was {
            if failing.is_some() || dead {
                diesel::update(instances::table.filter(instances::host.eq(&host)))
                    .set((
                        instances::failing_since.eq(None::<NaiveDateTime>),
                        instances::dead.eq(false),
                        instances::updated_at.eq(t),
                    ))
                    .execute(conn)?;
                diesel::update(
                    deliveries::table
                        .filter(deliveries::host.eq(&host))
                        .filter(deliveries::state.eq(PENDING)),
                )
                .set(deliveries::next_attempt_at.eq(t))
                .execute(conn)?;
            }
        }
        Ok(())
    })
}

/// Records a probe of a dead host.
pub async fn host_probed(core: &Core, host: &str) -> Result<()> {
    let host = norm_host(host);
    let t = now();
    db_run!(core.db, |conn| {
        diesel::update(instances::table.filter(instances::host.eq(&host)))
            .set(instances::last_probe_at.eq(Some(t)))
            .execute(conn)?;
        Ok(())
    })
}

/// Blocks or unblocks an instance (its deliveries stop, its inbox posts are refused).
pub async fn set_blocked(core: &Core, host: &str, blocked: bool) -> Result<()> {
    let host = norm_host(host);
    let t = now();
    db_tx!(core.db, |conn| {
        diesel::insert_into(instances::table)
            .values((
                instances::host.eq(&host),
                instances::blocked.eq(blocked),
                instances::created_at.eq(t),
                instances::updated_at.eq(t),
            ))
            .on_conflict(instances::host)
            .do_update()
            .set((instances::blocked.eq(blocked), instances::updated_at.eq(t)))
            .execute(conn)?;
        if blocked {
            diesel::update(
                deliveries::table
                    .filter(deliveries::host.eq(&host))
                    .filter(deliveries::state.eq(PENDING)),
            )
            .set((
                deliveries::state.eq(FAILED),
                deliveries::last_error.eq(Some("instance blocked")),
            ))
            .execute(conn)?;
        }
        Ok(())
    })
}

pub async fn is_blocked(core: &Core, host: &str) -> Result<bool> {
    let host = norm_host(host);
    db_run!(core.db, |conn| {
        let n: i64 = instances::table
            .filter(instances::host.eq(&host))
            .filter(instances::blocked.eq(true))
            .count()
            .get_result(conn)?;
        Ok(n > 0)
    })
}

/// The shared inbox of every instance ever seen (for account deletions), blocked ones left out.
pub async fn all_shared_inboxes(core: &Core) -> Result<Vec<String>> {
    db_run!(core.db, |conn| {
        Ok(instances::table
            .filter(instances::blocked.eq(false))
            .filter(instances::shared_inbox_url.is_not_null())
            .select(instances::shared_inbox_url)
            .load::<Option<String>>(conn)?
            .into_iter()
            .flatten()
            .collect())
    })
}

/// Releases every claim. Only safe when no other process delivers (one process on SQLite):
/// claims left at start-up belong to a process that died.
pub async fn release_leases(core: &Core) -> Result<usize> {
    db_run!(core.db, |conn| {
        Ok(
            diesel::update(deliveries::table.filter(deliveries::locked_until.is_not_null()))
                .set(deliveries::locked_until.eq(None::<NaiveDateTime>))
                .execute(conn)?,
        )
    })
}

/// One host's share of the queue: rows waiting (pending, including retries) and rows given
/// up as failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostQueue {
    pub host: String,
    pub pending: i64,
    pub failed: i64,
}

/// Pending and failed rows per host, hosts with the most pending first (then by name).
pub async fn host_counts(core: &Core) -> Result<Vec<HostQueue>> {
    let rows: Vec<(String, String, i64)> = db_run!(core.db, |conn| {
        Ok(deliveries::table
            .filter(deliveries::state.eq_any([PENDING, FAILED]))
            .group_by((deliveries::host, deliveries::state))
            .select((
                deliveries::host,
                deliveries::state,
                diesel::dsl::count_star(),
            ))
            .load(conn)?)
    })?;
    let mut hosts: Vec<HostQueue> = Vec::new();
    for (host, state, n) in rows {
        let i = match hosts.iter().position(|h| h.host == host) {
            Some(i) => i,
            None => {
                hosts.push(HostQueue {
                    host,
                    pending: 0,
                    failed: 0,
                });
                hosts.len() - 1
            }
        };
        if state == PENDING {
            hosts[i].pending += n;
        } else {
            hosts[i].failed += n;
        }
    }
    hosts.sort_by(|a, b| b.pending.cmp(&a.pending).then_with(|| a.host.cmp(&b.host)));
    Ok(hosts)
}

/// Instances marked dead (failing for longer than the worker's `dead_after`), by host.
pub async fn dead_hosts(core: &Core) -> Result<Vec<InstanceHealth>> {
    db_run!(core.db, |conn| {
        Ok(instances::table
            .filter(instances::dead.eq(true))
            .order(instances::host.asc())
            .select(InstanceHealth::as_select())
            .load(conn)?)
    })
}

/// Blocked instances, by host.
pub async fn blocked_instances(core: &Core) -> Result<Vec<InstanceHealth>> {
    db_run!(core.db, |conn| {
        Ok(instances::table
            .filter(instances::blocked.eq(true))
            .order(instances::host.asc())
            .select(InstanceHealth::as_select())
            .load(conn)?)
    })
}

/// Makes a host's waiting rows due now and its probe due (an operator's "try again now" for
/// a dead host): the worker's next claim sends them, and the first answer revives the host
/// as usual. Rows claimed at this moment are left alone. Returns how many rows were made due.
pub async fn retry_host(core: &Core, host: &str) -> Result<usize> {
    let host = norm_host(host);
    let t = now();
    db_tx!(core.db, |conn| {
        diesel::update(instances::table.filter(instances::host.eq(&host)))
            .set(instances::last_probe_at.eq(None::<NaiveDateTime>))
            .execute(conn)?;
        Ok(diesel::update(
            deliveries::table
                .filter(deliveries::host.eq(&host))
                .filter(deliveries::state.eq(PENDING))
                .filter(
                    deliveries::locked_until
                        .is_null()
                        .or(deliveries::locked_until.lt(t)),
                ),
        )
        .set(deliveries::next_attempt_at.eq(t))
        .execute(conn)?)
    })
}
