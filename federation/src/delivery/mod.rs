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

use std::sync::Arc;
use std::time::Duration;

use kogi_core::Core;
use rand::Rng;
use tokio::sync::Notify;

use crate::client::{FetchError, HttpClient};

pub mod signers;
mod slots;
mod worker;

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
    /// The local actors' signing keys, read once per minute rather than once per delivery.
    pub signers: Arc<signers::Signers>,
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
}
