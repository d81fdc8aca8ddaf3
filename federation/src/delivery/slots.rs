//! Per-host counts of the deliveries in flight in one worker.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Deliveries in flight in this worker, by host.
#[derive(Clone, Default)]
pub(super) struct HostSlots(Arc<Mutex<HashMap<String, usize>>>);

impl HostSlots {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, usize>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn snapshot(&self) -> HashMap<String, usize> {
        self.lock().clone()
    }

    /// Counts one delivery to `host` until the returned slot is dropped (also when the task
    /// panics or is aborted).
    pub(super) fn take(&self, host: &str) -> HostSlot {
        *self.lock().entry(host.to_string()).or_default() += 1;
        HostSlot {
            slots: self.clone(),
            host: host.to_string(),
        }
    }
}

pub(super) struct HostSlot {
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
