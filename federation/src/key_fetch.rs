//! Limits on fetching the keys of signatures the inbox has never seen, so that the inbox is
//! not an amplifier: a flood of requests naming unknown (or hanging) key hosts must not turn
//! into a flood of outbound fetches or of waiting requests.
//!
//! - a bound on fetches in flight, in all and per key host (extra requests are answered at
//!   once with 429 instead of queueing with their bodies in memory);
//! - fixed-window rate limits per key host and per sending address;
//! - a negative cache: an owner whose fetch failed permanently (404, a bad document) is not
//!   asked again for [`KeyFetchLimits::permanent_failure_ttl`], and one whose fetch failed
//!   slowly (a hanging host) for [`KeyFetchLimits::slow_failure_ttl`]; a quick network
//!   failure (connection refused) is cheap and not remembered, so a peer that was briefly
//!   down is heard again as soon as it is back;
//! - a cached key that failed to verify is refetched (key rotation) at most once per
//!   [`KeyFetchLimits::refetch_interval`] per owner.
//!
//! The counters live in this process's memory, not in the database like the API's rate
//! limits: what they bound is this process's own outbound fetching and memory.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::client::FetchError;

#[derive(Debug, Clone)]
pub struct KeyFetchLimits {
    pub max_in_flight: usize,
    pub max_in_flight_per_host: usize,
    /// Fetches per minute for one key host, and for one sending address.
    pub per_host_per_minute: u32,
    pub per_sender_per_minute: u32,
    pub permanent_failure_ttl: Duration,
    pub slow_failure_ttl: Duration,
    /// A failed fetch that took at least this long counts as slow.
    pub slow_after: Duration,
    pub refetch_interval: Duration,
}

impl Default for KeyFetchLimits {
    fn default() -> Self {
        KeyFetchLimits {
            max_in_flight: 32,
            max_in_flight_per_host: 4,
            per_host_per_minute: 600,
            per_sender_per_minute: 600,
            permanent_failure_ttl: Duration::from_secs(600),
            slow_failure_ttl: Duration::from_secs(60),
            slow_after: Duration::from_secs(3),
            refetch_interval: Duration::from_secs(60),
        }
    }
}

/// Why no fetch was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Too many fetches right now (in flight or in this minute): try again later.
    Busy,
    /// The owner failed recently; `network` says whether that was a network failure
    /// (worth retrying later) or a permanent one.
    RecentlyFailed { network: bool },
}

/// Entries kept at most in each map before expired ones are dropped.
const MAX_ENTRIES: usize = 10_000;

#[derive(Default)]
struct State {
    failures: HashMap<String, (Instant, bool)>,
    refetched: HashMap<String, Instant>,
    in_flight: HashMap<String, usize>,
    windows: HashMap<String, (Instant, u32)>,
}

pub struct KeyFetchGuard {
    limits: KeyFetchLimits,
    global: Arc<Semaphore>,
    state: Arc<Mutex<State>>,
}

impl Default for KeyFetchGuard {
    fn default() -> Self {
        KeyFetchGuard::new(KeyFetchLimits::default())
    }
}

/// Held while one fetch is in flight.
pub struct KeyFetchPermit {
    _global: OwnedSemaphorePermit,
    host: String,
    state: Arc<Mutex<State>>,
}

impl Drop for KeyFetchPermit {
    fn drop(&mut self) {
        if let Ok(mut s) = self.state.lock() {
            if let Some(n) = s.in_flight.get_mut(&self.host) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    s.in_flight.remove(&self.host);
                }
            }
        }
    }
}

fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    // A panic while holding the lock leaves plain counters behind: still usable.
    state.lock().unwrap_or_else(|p| p.into_inner())
}

impl KeyFetchGuard {
    pub fn new(limits: KeyFetchLimits) -> KeyFetchGuard {
        KeyFetchGuard {
            global: Arc::new(Semaphore::new(limits.max_in_flight.max(1))),
            limits,
            state: Arc::default(),
        }
    }

    /// Asks to fetch `owner` (the key's actor) from `key_host` for a request from `sender`.
    pub fn begin(
        &self,
        owner: &str,
        key_host: &str,
        sender: Option<IpAddr>,
    ) -> Result<KeyFetchPermit, Refusal> {
        let now = Instant::now();
        let mut s = lock(&self.state);
        if let Some((until, network)) = s.failures.get(owner).copied() {
            if until > now {
                return Err(Refusal::RecentlyFailed { network });
            }
            s.failures.remove(owner);
        }
        if s.in_flight.get(key_host).copied().unwrap_or(0) >= self.limits.max_in_flight_per_host {
            return Err(Refusal::Busy);
        }
        let Ok(global) = self.global.clone().try_acquire_owned() else {
            return Err(Refusal::Busy);
        };
        let mut buckets = vec![(format!("host {key_host}"), self.limits.per_host_per_minute)];
        if let Some(ip) = sender {
            buckets.push((format!("sender {ip}"), self.limits.per_sender_per_minute));
        }
        for (bucket, max) in &buckets {
            let (start, hits) = s.windows.get(bucket).copied().unwrap_or((now, 0));
            let (start, hits) = if now.duration_since(start) >= Duration::from_secs(60) {
                (now, 0)
            } else {
                (start, hits)
            };
            if hits >= *max {
                return Err(Refusal::Busy);
            }
            s.windows.insert(bucket.clone(), (start, hits));
        }
        for (bucket, _) in &buckets {
            if let Some(w) = s.windows.get_mut(bucket) {
                w.1 += 1;
            }
        }
        *s.in_flight.entry(key_host.to_string()).or_default() += 1;
        prune(&mut s, now);
        Ok(KeyFetchPermit {
            _global: global,
            host: key_host.to_string(),
            state: self.state.clone(),
        })
    }

    /// Records a failed fetch of `owner` that took `took`.
    pub fn failed(&self, owner: &str, error: &FetchError, took: Duration) {
        let network = error.is_network();
        let ttl = if !network {
            self.limits.permanent_failure_ttl
        } else if took >= self.limits.slow_after {
            self.limits.slow_failure_ttl
        } else {
            return;
        };
        let now = Instant::now();
        let mut s = lock(&self.state);
        s.failures.insert(owner.to_string(), (now + ttl, network));
        prune(&mut s, now);
    }

    /// A fetch of `owner` succeeded: forget its failures.
    pub fn succeeded(&self, owner: &str) {
        lock(&self.state).failures.remove(owner);
    }

    /// May a cached key of `owner` that failed to verify be refetched now? Once per interval.
    pub fn may_refetch(&self, owner: &str) -> bool {
        let now = Instant::now();
        let mut s = lock(&self.state);
        match s.refetched.get(owner) {
            Some(t) if now.duration_since(*t) < self.limits.refetch_interval => false,
            _ => {
                s.refetched.insert(owner.to_string(), now);
                prune(&mut s, now);
                true
            }
        }
    }
}

fn prune(s: &mut State, now: Instant) {
    if s.failures.len() > MAX_ENTRIES {
        s.failures.retain(|_, (until, _)| *until > now);
        if s.failures.len() > MAX_ENTRIES {
            s.failures.clear();
        }
    }
    if s.refetched.len() > MAX_ENTRIES {
        s.refetched
            .retain(|_, t| now.duration_since(*t) < Duration::from_secs(600));
        if s.refetched.len() > MAX_ENTRIES {
            s.refetched.clear();
        }
    }
    if s.windows.len() > MAX_ENTRIES {
        s.windows
            .retain(|_, (start, _)| now.duration_since(*start) < Duration::from_secs(60));
        if s.windows.len() > MAX_ENTRIES {
            s.windows.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> KeyFetchLimits {
        KeyFetchLimits {
            max_in_flight: 3,
            max_in_flight_per_host: 2,
            per_host_per_minute: 5,
            per_sender_per_minute: 4,
            ..KeyFetchLimits::default()
        }
    }

    #[tokio::test]
    async fn fetches_in_flight_are_bounded_per_host_and_in_all() {
        let g = KeyFetchGuard::new(limits());
        let a1 = g.begin("https://a/1", "a", None).unwrap();
        let _a2 = g.begin("https://a/2", "a", None).unwrap();
        assert_eq!(g.begin("https://a/3", "a", None).err(), Some(Refusal::Busy));
        let _b1 = g.begin("https://b/1", "b", None).unwrap();
        assert_eq!(g.begin("https://c/1", "c", None).err(), Some(Refusal::Busy));
        drop(a1);
        assert!(g.begin("https://a/3", "a", None).is_ok());
    }

    #[tokio::test]
    async fn fetches_are_rate_limited_per_host_and_per_sender() {
        let g = KeyFetchGuard::new(limits());
        for i in 0..5 {
            drop(g.begin(&format!("https://a/{i}"), "a", None).unwrap());
        }
        assert_eq!(g.begin("https://a/9", "a", None).err(), Some(Refusal::Busy));
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        for i in 0..4 {
            drop(
                g.begin(&format!("https://h{i}/x"), &format!("h{i}"), Some(ip))
                    .unwrap(),
            );
        }
        assert_eq!(
            g.begin("https://h9/x", "h9", Some(ip)).err(),
            Some(Refusal::Busy)
        );
        assert!(g.begin("https://h9/x", "h9", None).is_ok());
    }

    #[tokio::test]
    async fn failures_are_remembered_unless_quick_network_ones() {
        let g = KeyFetchGuard::new(limits());
        g.failed("https://a/gone", &FetchError::Status(404), Duration::ZERO);
        assert_eq!(
            g.begin("https://a/gone", "a", None).err(),
            Some(Refusal::RecentlyFailed { network: false })
        );
        g.failed(
            "https://a/hangs",
            &FetchError::Network("timed out".into()),
            Duration::from_secs(10),
        );
        assert_eq!(
            g.begin("https://a/hangs", "a", None).err(),
            Some(Refusal::RecentlyFailed { network: true })
        );
        g.failed(
            "https://a/down",
            &FetchError::Network("connection refused".into()),
            Duration::from_millis(5),
        );
        assert!(g.begin("https://a/down", "a", None).is_ok());
        g.succeeded("https://a/gone");
        assert!(g.begin("https://a/gone", "a", None).is_ok());
    }

    #[test]
    fn a_cached_key_is_refetched_once_per_interval() {
        let g = KeyFetchGuard::new(limits());
        assert!(g.may_refetch("https://a/u"));
        assert!(!g.may_refetch("https://a/u"));
        assert!(g.may_refetch("https://b/u"));
    }
}
