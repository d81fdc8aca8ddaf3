//! Background refreshes of what views show from other servers (DESIGN §4: "views never wait
//! on other servers"). A page or API view of another server's post, portfolio or community
//! serves what is stored and asks for a refresh here; the refresh runs in a tokio task,
//! bounded three ways:
//!
//! - **At most once per object per interval** ([`INTERVAL`]): a map of when each object was
//!   last refreshed (bounded to [`MAX_TRACKED`] entries; when it is full of recent entries,
//!   nothing new is refreshed until they age).
//! - **At most [`CONCURRENT`] refreshes at a time**: a semaphore taken with `try_acquire`, so
//!   when every slot is busy the refresh is skipped (a later view asks again), never queued.
//! - **A time limit per refresh** ([`TIME_LIMIT`]), so a peer that drips its answers cannot
//!   hold a slot for ever.
//!
//! Who may start what: refreshing a post's counts reads one document (the post itself), so
//! any view may ask, signed in or not, and the throttle makes it rare. Refreshes that read
//! collections — a remote portfolio's items and projects, a community's outbox (backfill) —
//! are asked for only by signed-in viewers ([`Viewer::SignedIn`]): an anonymous page load
//! never starts a large fetch, it shows what is stored.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use kogi_core::communities::Community;
use kogi_core::portfolios::Portfolio;
use kogi_core::posts::Post;
use tokio::sync::Semaphore;

use crate::delivery::Federation;

/// How often one object may be refreshed, unless configured ([`set_interval`]).
pub const INTERVAL: Duration = Duration::from_secs(60);
/// How many objects' last refresh times are remembered.
pub const MAX_TRACKED: usize = 10_000;
/// How many refreshes may run at once.
pub const CONCURRENT: usize = 4;
/// How long one refresh may take in all.
pub const TIME_LIMIT: Duration = Duration::from_secs(300);
/// A remote portfolio shown to a signed-in viewer is refreshed when older than this.
pub const PORTFOLIO_STALE_AFTER: Duration = Duration::from_secs(300);

/// Who is looking: only signed-in viewers start refreshes that read collections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    Anonymous,
    SignedIn,
}

impl Viewer {
    pub fn of(signed_in: bool) -> Viewer {
        if signed_in {
            Viewer::SignedIn
        } else {
            Viewer::Anonymous
        }
    }
}

/// When each object was last refreshed.
pub struct Throttle {
    interval: Duration,
    max: usize,
    last: Mutex<HashMap<String, Instant>>,
}

impl Throttle {
    pub fn new(interval: Duration, max: usize) -> Throttle {
        Throttle {
            interval,
            max,
            last: Mutex::new(HashMap::new()),
        }
    }

    /// May `key` be refreshed at `now`? A yes is remembered as its last refresh.
    pub fn admit(&self, key: &str, now: Instant) -> bool {
        let Ok(mut last) = self.last.lock() else {
            return false;
        };
        if last
            .get(key)
            .is_some_and(|t| now.saturating_duration_since(*t) < self.interval)
        {
            return false;
        }
        if last.len() >= self.max && !last.contains_key(key) {
            let interval = self.interval;
            last.retain(|_, t| now.saturating_duration_since(*t) < interval);
            if last.len() >= self.max {
                return false;
            }
        }
        last.insert(key.to_string(), now);
        true
    }

    /// Forgets `key`'s last refresh (one that could not start).
    pub fn forget(&self, key: &str) {
        if let Ok(mut last) = self.last.lock() {
            last.remove(key);
        }
    }
}

struct Refresher {
    throttle: Throttle,
    slots: Arc<Semaphore>,
}

static CONFIGURED_INTERVAL: OnceLock<Duration> = OnceLock::new();

/// Sets how often one object may be refreshed (`federation.refresh_interval_secs`); called
/// once at start-up, before the first view.
pub fn set_interval(interval: Duration) {
    let _ = CONFIGURED_INTERVAL.set(interval);
}

fn refresher() -> &'static Refresher {
    static R: OnceLock<Refresher> = OnceLock::new();
    R.get_or_init(|| Refresher {
        throttle: Throttle::new(
            CONFIGURED_INTERVAL.get().copied().unwrap_or(INTERVAL),
            MAX_TRACKED,
        ),
        slots: Arc::new(Semaphore::new(CONCURRENT)),
    })
}

/// Runs `job` in the background unless `key` was refreshed within the interval or every
/// slot is busy; whether it was started.
pub fn spawn_refresh<F>(key: String, job: F) -> bool
where
    F: Future<Output = ()> + Send + 'static,
{
    let r = refresher();
    if !r.throttle.admit(&key, Instant::now()) {
        return false;
    }
    let Ok(permit) = r.slots.clone().try_acquire_owned() else {
        // Busy: not refreshed now, so a later view may ask again.
        r.throttle.forget(&key);
        return false;
    };
    tokio::spawn(async move {
        if tokio::time::timeout(TIME_LIMIT, job).await.is_err() {
            tracing::info!(key = %key, "a background refresh ran out of time");
        }
        drop(permit);
    });
    true
}

impl Federation {
    /// A view of another server's post: its counts (and a poll's results) are refreshed from
    /// its origin in the background. Any viewer may ask (one document, throttled).
    pub fn refresh_counts_later(&self, p: &Post) {
        if p.local {
            return;
        }
        let (fed, p) = (self.clone(), p.clone());
        spawn_refresh(format!("counts {}", p.ap_id), async move {
            fed.refresh_counts(&p).await;
        });
    }

    /// A view of another server's portfolio: for a signed-in viewer, when it is stale or
    /// nothing of it is stored yet, its actor, items and projects are read in the background.
    pub async fn refresh_portfolio_later(&self, p: &Portfolio, viewer: Viewer) {
        if p.row.local || viewer != Viewer::SignedIn {
            return;
        }
        let core = &self.core;
        let empty = kogi_core::portfolios::queries::items(core, p.id())
            .await
            .map(|v| v.is_empty())
            .unwrap_or(false)
            && kogi_core::portfolios::queries::projects(core, p.id())
                .await
                .map(|v| v.is_empty())
                .unwrap_or(false);
        let stale_after = chrono::Duration::from_std(PORTFOLIO_STALE_AFTER)
            .unwrap_or_else(|_| chrono::Duration::minutes(5));
        let stale = p
            .actor
            .fetched_at
            .is_none_or(|t| kogi_core::now() - t > stale_after);
        if !(empty || stale) {
            return;
        }
        let (fed, p) = (self.clone(), p.clone());
        spawn_refresh(format!("portfolio {}", p.actor.ap_id), async move {
            if let Err(e) = fed.refresh_remote_portfolio(&p).await {
                tracing::info!(error = %e, "refreshing a remote portfolio failed");
            }
        });
    }

    /// A view of another server's public community with no thread stored: for a signed-in
    /// viewer, its latest threads are read from its outbox in the background.
    pub fn backfill_later(&self, c: &Community, viewer: Viewer) {
        if c.row.local || !c.is_public() || viewer != Viewer::SignedIn {
            return;
        }
        let (fed, c) = (self.clone(), c.clone());
        spawn_refresh(format!("backfill {}", c.actor.ap_id), async move {
            if let Err(e) = fed.backfill_if_empty(&c).await {
                tracing::info!(error = %e, "reading a community's outbox failed");
            }
        });
    }

    /// A community just joined: its latest threads, read from its outbox in the background
    /// (bounded like every refresh).
    pub fn backfill_joined_later(&self, c: &Community) {
        if c.row.local || !c.is_public() {
            return;
        }
        let (fed, c) = (self.clone(), c.clone());
        spawn_refresh(format!("joined {}", c.actor.ap_id), async move {
            if let Err(e) = fed.backfill(&c).await {
                tracing::warn!(error = %e, "reading a joined community's outbox");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_object_is_refreshed_at_most_once_per_interval() {
        let t = Throttle::new(Duration::from_secs(60), 3);
        let now = Instant::now();
        assert!(t.admit("a", now));
        assert!(!t.admit("a", now + Duration::from_secs(59)));
        assert!(t.admit("a", now + Duration::from_secs(61)));
        assert!(t.admit("b", now));
    }

    #[test]
    fn the_map_stays_bounded() {
        let t = Throttle::new(Duration::from_secs(60), 2);
        let now = Instant::now();
        assert!(t.admit("a", now));
        assert!(t.admit("b", now));
        // Full of recent entries: nothing new until they age.
        assert!(!t.admit("c", now + Duration::from_secs(1)));
        assert!(t.admit("c", now + Duration::from_secs(61)));
        t.forget("c");
        assert!(t.admit("c", now + Duration::from_secs(62)));
    }
}
