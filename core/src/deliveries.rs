//! The persistent delivery queue (storage side): one row per activity and target inbox, and
//! the health of the instances behind them. The worker that sends lives in kogi-federation.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::db::Conn;
use crate::error::Result;
use crate::schema::{deliveries, instances};
use crate::{db_run, db_tx, now, with_conn, Core};

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

/// How many due rows one claim may take: `total` in all, and for each host no more than
/// `per_host` minus what the claiming worker already has in flight there. The counts are the
/// claiming process's own: several worker processes sharing PostgreSQL each keep their own cap,
/// so a host may see up to `per_host` deliveries from each of them.
#[derive(Debug, Clone, Default)]
pub struct ClaimLimits {
    pub total: usize,
    pub per_host: usize,
    /// Deliveries this worker has in flight, by host (`host[:port]` as in `deliveries.host`).
    pub in_flight: std::collections::HashMap<String, usize>,
    /// The `(actor, inbox)` pairs this worker has a delivery in flight to: their next rows
    /// wait, so one actor's activities reach one inbox in the order they were queued.
    pub busy: std::collections::HashSet<(i64, String)>,
}

/// A due row as a claim sees it.
#[derive(Debug, Clone, Queryable)]
pub struct Candidate {
    pub id: i64,
    pub host: String,
    pub actor_id: i64,
    pub inbox_url: String,
}

impl ClaimLimits {
    /// Hosts already at their cap: their rows are left out of the claim altogether, so they
    /// never take the places of other hosts' rows.
    pub fn saturated(&self) -> Vec<String> {
        let mut hosts: Vec<String> = self
            .in_flight
            .iter()
            .filter(|(_, n)| **n >= self.per_host)
            .map(|(h, _)| h.clone())
            .collect();
        hosts.sort();
        hosts
    }

    /// From candidate rows (oldest due first), the ids to claim: in order, while the total and
    /// each host's remaining room allow, and at most one per `(actor, inbox)` pair, none for a
    /// pair already in flight (a later activity never overtakes an earlier one on its way to
    /// the same inbox; a row waiting for a retry does not hold the later ones back).
    pub fn pick(&self, candidates: &[Candidate]) -> Vec<i64> {
        let mut room: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        let mut taken: std::collections::HashSet<(i64, &str)> = std::collections::HashSet::new();
        let mut out = Vec::new();
        for c in candidates {
            if out.len() >= self.total {
                break;
            }
            if taken.contains(&(c.actor_id, c.inbox_url.as_str()))
                || self.busy.contains(&(c.actor_id, c.inbox_url.clone()))
            {
                continue;
            }
            let left = room.entry(c.host.as_str()).or_insert_with(|| {
                self.per_host
                    .saturating_sub(self.in_flight.get(&c.host).copied().unwrap_or(0))
            });
            if *left > 0 {
                *left -= 1;
                taken.insert((c.actor_id, c.inbox_url.as_str()));
                out.push(c.id);
            }
        }
        out
    }

    /// How many candidates one claim looks at: enough that a few busy hosts at the head of the
    /// queue do not hide the others (saturated hosts are skipped by the query itself).
    pub fn scan(&self) -> i64 {
        (self.total.saturating_mul(self.per_host.max(1)) as i64).clamp(16, 512)
    }
}

/// Claims due rows within `limits` for `lease_secs` (see `db::claim_deliveries`).
pub async fn claim(core: &Core, limits: &ClaimLimits, lease_secs: i64) -> Result<Vec<Delivery>> {
    if limits.total == 0 || limits.per_host == 0 {
        return Ok(Vec::new());
    }
    crate::db::claim_deliveries(&core.db, limits, lease_secs).await
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

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(total: usize, per_host: usize, busy: &[(&str, usize)]) -> ClaimLimits {
        ClaimLimits {
            total,
            per_host,
            in_flight: busy.iter().map(|(h, n)| (h.to_string(), *n)).collect(),
            busy: Default::default(),
        }
    }

    /// One row per host, each to its own inbox.
    fn rows(hosts: &[&str]) -> Vec<Candidate> {
        hosts
            .iter()
            .enumerate()
            .map(|(i, h)| Candidate {
                id: i as i64 + 1,
                host: h.to_string(),
                actor_id: 1,
                inbox_url: format!("https://{h}/inbox/{i}"),
            })
            .collect()
    }

    #[test]
    fn one_actors_rows_to_one_inbox_go_one_at_a_time_in_order() {
        let to = |id: i64, actor_id: i64, inbox: &str| Candidate {
            id,
            host: "h".into(),
            actor_id,
            inbox_url: inbox.into(),
        };
        let c = vec![
            to(1, 1, "https://h/inbox"),
            to(2, 1, "https://h/inbox"),
            to(3, 2, "https://h/inbox"),
            to(4, 1, "https://h/other"),
        ];
        // The first row of each pair; the second of actor 1 to the inbox waits for the first.
        assert_eq!(limits(10, 10, &[]).pick(&c), vec![1, 3, 4]);
        // While actor 1's delivery to the inbox is in flight, its next row is not taken.
        let mut l = limits(10, 10, &[("h", 1)]);
        l.busy.insert((1, "https://h/inbox".into()));
        assert_eq!(l.pick(&c[1..]), vec![3, 4]);
    }

    #[test]
    fn a_claim_takes_rows_in_order_within_each_hosts_room() {
        let l = limits(10, 2, &[("slow:1", 1)]);
        // slow:1 has one slot left, fast:2 two.
        let c = rows(&[
            "slow:1", "slow:1", "slow:1", "fast:2", "fast:2", "fast:2", "other",
        ]);
        assert_eq!(l.pick(&c), vec![1, 4, 5, 7]);
        assert_eq!(l.saturated(), Vec::<String>::new());
    }

    #[test]
    fn saturated_hosts_are_excluded_and_the_total_is_respected() {
        let l = limits(3, 2, &[("slow:1", 2), ("half:3", 1)]);
        assert_eq!(l.saturated(), vec!["slow:1".to_string()]);
        let c = rows(&["slow:1", "a", "a", "a", "b", "c"]);
        assert_eq!(l.pick(&c), vec![2, 3, 5]);
        assert!(limits(0, 2, &[]).pick(&c).is_empty());
        assert!((16..=512).contains(&l.scan()));
    }
}
