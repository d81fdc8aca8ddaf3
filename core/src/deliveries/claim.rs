//! Claiming due rows: how many a worker may take, by host and by `(actor, inbox)` pair.

use diesel::prelude::*;

use super::Delivery;
use crate::error::Result;
use crate::Core;

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
