//! Per-host counts, and the `(actor, inbox)` pairs, of the deliveries in flight in one worker.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct InFlight {
    hosts: HashMap<String, usize>,
    pairs: HashSet<(i64, String)>,
}

/// Deliveries in flight in this worker.
#[derive(Clone, Default)]
pub(super) struct HostSlots(Arc<Mutex<InFlight>>);

impl HostSlots {
    fn lock(&self) -> std::sync::MutexGuard<'_, InFlight> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// By host, how many are in flight; and the pairs in flight.
    pub(super) fn snapshot(&self) -> (HashMap<String, usize>, HashSet<(i64, String)>) {
        let s = self.lock();
        (s.hosts.clone(), s.pairs.clone())
    }

    /// Counts one delivery by `actor_id` to `inbox` on `host` until the returned slot is
    /// dropped (also when the task panics or is aborted).
    pub(super) fn take(&self, host: &str, actor_id: i64, inbox: &str) -> HostSlot {
        let mut s = self.lock();
        *s.hosts.entry(host.to_string()).or_default() += 1;
        s.pairs.insert((actor_id, inbox.to_string()));
        HostSlot {
            slots: self.clone(),
            host: host.to_string(),
            pair: (actor_id, inbox.to_string()),
        }
    }
}

pub(super) struct HostSlot {
    slots: HostSlots,
    host: String,
    pair: (i64, String),
}

impl Drop for HostSlot {
    fn drop(&mut self) {
        let mut s = self.slots.lock();
        s.pairs.remove(&self.pair);
        if let Some(n) = s.hosts.get_mut(&self.host) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                s.hosts.remove(&self.host);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_slots_are_given_back_when_dropped() {
        let slots = HostSlots::default();
        let a = slots.take("a:1", 1, "https://a:1/x");
        let b = slots.take("a:1", 1, "https://a:1/y");
        let c = slots.take("b:2", 2, "https://b:2/x");
        assert_eq!(slots.snapshot().0.get("a:1"), Some(&2));
        assert!(slots.snapshot().1.contains(&(2, "https://b:2/x".into())));
        drop(a);
        drop(c);
        assert_eq!(slots.snapshot().0.get("a:1"), Some(&1));
        assert_eq!(slots.snapshot().0.get("b:2"), None);
        assert!(!slots.snapshot().1.contains(&(1, "https://a:1/x".into())));
        drop(b);
        assert!(slots.snapshot().0.is_empty() && slots.snapshot().1.is_empty());
    }
}
