//! The signing keys of local actors as the worker uses them: read from the database at most
//! once per [`TTL`] per actor, instead of once per delivery (a post to a thousand inboxes is
//! a thousand signatures by one actor). A rotated key is picked up within the TTL; a
//! signature made with the old one meanwhile is refused and retried like any 401.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a key read stays in use.
pub const TTL: Duration = Duration::from_secs(60);

/// A local actor's key id and private key.
#[derive(Clone)]
pub struct Signer {
    pub key_id: String,
    pub private_key_pem: String,
}

#[derive(Default)]
pub struct Signers(Mutex<HashMap<i64, (Instant, Signer)>>);

impl Signers {
    /// The cached signer of `actor_id`, if read within the TTL.
    pub fn get(&self, actor_id: i64) -> Option<Signer> {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&actor_id)
            .filter(|(at, _)| at.elapsed() < TTL)
            .map(|(_, s)| s.clone())
    }

    pub fn put(&self, actor_id: i64, signer: Signer) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        // Bounded: entries past their TTL go when the map grows.
        if map.len() >= 1024 {
            map.retain(|_, (at, _)| at.elapsed() < TTL);
        }
        map.insert(actor_id, (Instant::now(), signer));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signer_is_kept_for_its_actor() {
        let s = Signers::default();
        assert!(s.get(1).is_none());
        s.put(
            1,
            Signer {
                key_id: "k#main-key".into(),
                private_key_pem: "pem".into(),
            },
        );
        assert_eq!(s.get(1).map(|x| x.key_id).as_deref(), Some("k#main-key"));
        assert!(s.get(2).is_none());
    }
}
