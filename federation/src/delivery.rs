//! The delivery worker: claims due rows from the persistent queue, signs each request at send
//! time with the sending actor's key, and records what the receiver answered.
//!
//! 2xx → done. 401 (the receiver often could not fetch our key yet), 408, 429, 5xx, time-outs
//! and connection errors → retried with exponential back-off and jitter, given up after
//! `give_up`. Any other 4xx → failed, recorded, never counted as delivered. A host failing for
//! `dead_after` is dead: its rows wait and one is sent as a probe every `probe_interval`; the
//! first success makes all its rows due again.
//!
//! The worker runs continuously: up to `concurrency` deliveries are in flight at once, a
//! finished one frees its slot at once, and at most `per_host_concurrency` go to one host, so a
//! slow or hanging host only ever holds its own few slots. Each POST has the delivery time-out
//! (`timeout`), shorter than the fetch time-out.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::NaiveDateTime;
use kogi_core::deliveries::{self, ClaimLimits, Delivery, DONE, EXPIRED, FAILED, PENDING};
use kogi_core::Core;
use rand::Rng;
use tokio::sync::Notify;
use tracing::Instrument;

use crate::client::{FetchError, HttpClient, SignedRequest};
use crate::vocab;

#[derive(Debug, Clone)]
pub struct DeliverySettings {
    pub first_retry: Duration,
    pub max_backoff: Duration,
    pub give_up: Duration,
    pub dead_after: Duration,
    pub probe_interval: Duration,
    /// Deliveries in flight at once in this process.
    pub concurrency: usize,
    /// Deliveries in flight at once to one host (`host[:port]`), in this process. Several
    /// worker processes sharing PostgreSQL each keep their own count, so a host may get this
    /// many from each of them.
    pub per_host_concurrency: usize,
    /// Time limit for one POST (connecting, sending, and reading the answer); shorter than
    /// the client's fetch time-out, so a hanging inbox gives its slot back sooner.
    pub timeout: Duration,
}

impl DeliverySettings {
    /// How long a claimed row stays locked: longer than one attempt (its time-out, the
    /// signing and the database bookkeeping before and after), so no other worker takes it
    /// while it is being sent; a crashed worker's rows become claimable again after it.
    pub fn lease_secs(&self) -> i64 {
        (self.timeout.as_secs_f64().ceil() as i64) * 2 + 15
    }
}

impl Default for DeliverySettings {
    fn default() -> Self {
        DeliverySettings {
            first_retry: Duration::from_secs(30),
            max_backoff: Duration::from_secs(6 * 3600),
            give_up: Duration::from_secs(7 * 86_400),
            dead_after: Duration::from_secs(86_400),
            probe_interval: Duration::from_secs(3600),
            concurrency: 32,
            per_host_concurrency: 4,
            timeout: Duration::from_secs(8),
        }
    }
}

/// What federation code needs at run time.
#[derive(Clone)]
pub struct Federation {
    pub core: Core,
    pub client: HttpClient,
    pub delivery: Arc<DeliverySettings>,
    /// Woken when rows are queued, so deliveries start at once instead of at the next poll.
    pub wake: Arc<Notify>,
    /// Limits on fetching unknown signing keys (the inbox must not be an amplifier).
    pub keys: Arc<crate::key_fetch::KeyFetchGuard>,
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Delivered(u16),
    Retry(Option<u16>, String),
    Failed(u16),
}

/// Classifies a receiver's answer.
pub fn classify(result: &Result<u16, FetchError>) -> Outcome {
    match result {
        Ok(s) if (200..300).contains(s) => Outcome::Delivered(*s),
        Ok(s) if *s == 401 || *s == 408 || *s == 429 || *s >= 500 => {
            Outcome::Retry(Some(*s), format!("HTTP {s}"))
        }
        Ok(s) if (400..500).contains(s) => Outcome::Failed(*s),
        Ok(s) => Outcome::Retry(Some(*s), format!("unexpected HTTP {s}")),
        Err(e) => Outcome::Retry(None, e.to_string()),
    }
}

/// The wait before the next attempt after `attempts` failures: doubling from `first`,
/// ±20% jitter, capped.
pub fn backoff(settings: &DeliverySettings, attempts: i32) -> Duration {
    let exp = attempts.clamp(0, 30) as u32;
    let base = settings.first_retry.as_secs_f64() * 2f64.powi(exp as i32);
    let jitter = rand::thread_rng().gen_range(0.8..1.2);
    let secs = (base * jitter).min(settings.max_backoff.as_secs_f64());
    Duration::from_secs_f64(secs.max(0.05))
}

fn chrono_dur(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::days(3650))
}

impl Federation {
    /// Queues an activity for the given inboxes and wakes the worker.
    pub async fn enqueue(
        &self,
        activity: &serde_json::Value,
        actor_id: i64,
        inboxes: &[String],
    ) -> kogi_core::Result<usize> {
        let id = activity
            .get("id")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string();
        let json = serde_json::to_string(activity)
            .map_err(|e| kogi_core::Error::Internal(e.to_string()))?;
        let n = deliveries::enqueue(&self.core, &id, &json, actor_id, inboxes).await?;
        self.wake.notify_waiters();
        Ok(n)
    }

    /// Sends one signed POST and returns the HTTP status.
    async fn post(&self, row: &Delivery) -> Result<u16, FetchError> {
        let actor = kogi_core::actors::find_by_id(&self.core, row.actor_id)
            .await
            .map_err(|e| FetchError::Network(format!("database: {e}")))?
            .ok_or_else(|| FetchError::Refused("signing actor is gone".into()))?;
        let key = actor
            .private_key_pem
            .clone()
            .ok_or_else(|| FetchError::Refused("signing actor has no key".into()))?;
        let key_id = actor
            .key_id
            .clone()
            .unwrap_or_else(|| format!("{}#main-key", actor.ap_id));
        let url = url::Url::parse(&row.inbox_url)
            .map_err(|e| FetchError::Refused(format!("bad inbox URL: {e}")))?;
        let fetched = self
            .client
            .send_signed(&SignedRequest {
                method: reqwest::Method::POST,
                url: &url,
                body: Some(row.activity_json.as_bytes()),
                content_type: Some(vocab::ACTIVITY_JSON),
                accept: None,
                // The delivery time-out replaces the client's (fetch) time-out.
                timeout: Some(self.delivery.timeout),
                key_id: &key_id,
                private_key_pem: &key,
            })
            .await?;
        Ok(fetched.status)
    }

    /// One attempt at one row, with the host-health bookkeeping, inside a `delivery` span.
    pub async fn attempt(&self, row: Delivery) -> kogi_core::Result<()> {
        let span = tracing::info_span!(
            "delivery",
            id = row.id,
            host = %row.host,
            inbox = %row.inbox_url,
            attempt = row.attempts + 1
        );
        self.attempt_in_span(row).instrument(span).await
    }

    async fn attempt_in_span(&self, row: Delivery) -> kogi_core::Result<()> {
        let now = kogi_core::now();
        let settings = &self.delivery;
        if let Some(h) = deliveries::instance(&self.core, &row.host).await? {
            if h.blocked {
                return deliveries::finish(
                    &self.core,
                    row.id,
                    FAILED,
                    None,
                    Some("instance blocked".into()),
                    None,
                )
                .await;
            }
            if h.dead {
                let probe_due = h
                    .last_probe_at
                    .map(|t| now - t >= chrono_dur(settings.probe_interval))
                    .unwrap_or(true);
                if !probe_due {
                    let until =
                        h.last_probe_at.unwrap_or(now) + chrono_dur(settings.probe_interval);
                    return deliveries::postpone(&self.core, row.id, until).await;
                }
                deliveries::host_probed(&self.core, &row.host).await?;
            }
        }
        let result = self.post(&row).await;
        match classify(&result) {
            Outcome::Delivered(s) => {
                deliveries::finish(&self.core, row.id, DONE, Some(s), None, None).await?;
                deliveries::host_succeeded(&self.core, &row.host).await?;
                tracing::debug!(status = s, "delivered");
            }
            Outcome::Failed(s) => {
                tracing::warn!(status = s, "delivery refused permanently");
                deliveries::finish(
                    &self.core,
                    row.id,
                    FAILED,
                    Some(s),
                    Some(format!("HTTP {s}")),
                    None,
                )
                .await?;
                // The host answered: it is alive, even if it did not want this activity.
                deliveries::host_succeeded(&self.core, &row.host).await?;
            }
            Outcome::Retry(status, error) => {
                let age = now - row.created_at;
                let dead = match status {
                    // A 401 means the host is up; only unreachable or failing hosts die.
                    Some(401) => false,
                    _ => {
                        deliveries::host_failed(
                            &self.core,
                            &row.host,
                            chrono_dur(settings.dead_after),
                        )
                        .await?
                    }
                };
                if age >= chrono_dur(settings.give_up) {
                    tracing::warn!(%error, "delivery given up");
                    deliveries::finish(&self.core, row.id, EXPIRED, status, Some(error), None)
                        .await?;
                } else {
                    let mut next: NaiveDateTime = now + chrono_dur(backoff(settings, row.attempts));
                    if dead {
                        next = next.max(now + chrono_dur(settings.probe_interval));
                    }
                    tracing::info!(%error, "delivery will be retried");
                    deliveries::finish(
                        &self.core,
                        row.id,
                        PENDING,
                        status,
                        Some(error),
                        Some(next),
                    )
                    .await?;
                }
            }
        }
        Ok(())
    }

    /// Claims and sends due rows until `shutdown` fires, then lets the deliveries in flight
    /// finish. Continuous: whenever a slot is free it claims more (a finished delivery frees
    /// its slot at once, nothing waits for a batch), never more than `concurrency` in flight
    /// and never more than `per_host_concurrency` to one host; rows of a host at its cap are
    /// left in the queue, so they never take the places of other hosts' rows. Several workers
    /// (in one process or many sharing PostgreSQL) can run at once; each counts only its own
    /// deliveries against the caps.
    pub async fn run_worker(self, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        let lease = self.delivery.lease_secs();
        let concurrency = self.delivery.concurrency.max(1);
        let in_flight = HostSlots::default();
        let mut tasks = tokio::task::JoinSet::new();
        loop {
            if *shutdown.borrow() {
                break;
            }
            while tasks.try_join_next().is_some() {}
            // Armed before claiming, so rows queued during the claim wake the wait below.
            let wake = self.wake.notified();
            tokio::pin!(wake);
            wake.as_mut().enable();
            let free = concurrency.saturating_sub(tasks.len());
            let mut claimed = 0;
            if free > 0 {
                let limits = ClaimLimits {
                    total: free,
                    per_host: self.delivery.per_host_concurrency.max(1),
                    in_flight: in_flight.snapshot(),
                };
                match deliveries::claim(&self.core, &limits, lease).await {
                    Ok(rows) => {
                        claimed = rows.len();
                        for row in rows {
                            let slot = in_flight.take(&row.host);
                            let this = self.clone();
                            tasks.spawn(async move {
                                let _slot = slot;
                                if let Err(e) = this.attempt(row).await {
                                    tracing::error!(error = %e, "recording a delivery failed");
                                }
                            });
                        }
                    }
                    Err(e) => tracing::error!(error = %e, "claiming deliveries failed"),
                }
            }
            // Something was claimed and slots are left: the hosts now at their cap are left
            // out of the next claim, which may find other hosts' rows at once.
            if claimed > 0 && tasks.len() < concurrency {
                continue;
            }
            tokio::select! {
                Some(_) = tasks.join_next(), if !tasks.is_empty() => {},
                _ = &mut wake => {},
                _ = tokio::time::sleep(Duration::from_millis(500)) => {},
                changed = shutdown.changed() => {
                    if changed.is_err() {
                        break;
                    }
                },
            }
        }
        while tasks.join_next().await.is_some() {}
    }
}

/// Deliveries in flight in this worker, by host.
#[derive(Clone, Default)]
struct HostSlots(Arc<Mutex<HashMap<String, usize>>>);

impl HostSlots {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, usize>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn snapshot(&self) -> HashMap<String, usize> {
        self.lock().clone()
    }

    /// Counts one delivery to `host` until the returned slot is dropped (also when the task
    /// panics or is aborted).
    fn take(&self, host: &str) -> HostSlot {
        *self.lock().entry(host.to_string()).or_default() += 1;
        HostSlot {
            slots: self.clone(),
            host: host.to_string(),
        }
    }
}

struct HostSlot {
    slots: HostSlots,
    host: String,
}

impl Drop for HostSlot {
    fn drop(&mut self) {
        let mut map = self.slots.lock();
        if let Some(n) = map.get_mut(&self.host) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                map.remove(&self.host);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_classified_as_the_design_says() {
        assert_eq!(classify(&Ok(202)), Outcome::Delivered(202));
        assert!(matches!(classify(&Ok(401)), Outcome::Retry(Some(401), _)));
        assert!(matches!(classify(&Ok(429)), Outcome::Retry(..)));
        assert!(matches!(classify(&Ok(503)), Outcome::Retry(..)));
        assert!(matches!(classify(&Ok(408)), Outcome::Retry(..)));
        assert_eq!(classify(&Ok(403)), Outcome::Failed(403));
        assert_eq!(classify(&Ok(410)), Outcome::Failed(410));
        assert!(matches!(
            classify(&Err(FetchError::Network("refused".into()))),
            Outcome::Retry(None, _)
        ));
    }

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let s = DeliverySettings::default();
        let first = backoff(&s, 0).as_secs_f64();
        assert!((24.0..=36.0).contains(&first), "{first}");
        let third = backoff(&s, 2).as_secs_f64();
        assert!((96.0..=144.0).contains(&third), "{third}");
        assert!(backoff(&s, 20).as_secs_f64() <= 6.0 * 3600.0);
    }

    #[test]
    fn deliveries_time_out_before_fetches_and_a_lease_outlasts_an_attempt() {
        let s = DeliverySettings::default();
        assert!(
            s.timeout < Duration::from_secs(10),
            "the fetch time-out is 10 s"
        );
        assert!(s.per_host_concurrency >= 1 && s.per_host_concurrency < s.concurrency);
        assert!(Duration::from_secs(s.lease_secs() as u64) > s.timeout * 2);
    }

    #[test]
    fn host_slots_are_given_back_when_dropped() {
        let slots = HostSlots::default();
        let a = slots.take("a:1");
        let b = slots.take("a:1");
        let c = slots.take("b:2");
        assert_eq!(slots.snapshot().get("a:1"), Some(&2));
        drop(a);
        drop(c);
        assert_eq!(slots.snapshot().get("a:1"), Some(&1));
        assert_eq!(slots.snapshot().get("b:2"), None);
        drop(b);
        assert!(slots.snapshot().is_empty());
    }
}
