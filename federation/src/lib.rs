//! kogi-federation: ActivityPub. This release carries the id scheme that every public thing
//! gets from the day it is created; actors, the inbox pipeline, the delivery queue, WebFinger
//! and NodeInfo build on it.

pub mod accounts;
pub mod actors;
pub mod client;
pub mod collections;
pub mod communities;
pub mod delivery;
pub mod fetch;
pub mod follows;
pub mod inbox;
pub mod key_fetch;
pub mod nodeinfo;
pub mod notes;
pub mod outbox;
pub mod portfolios;
pub mod posting;
pub mod posts;
pub mod protocol;
pub mod refresh;
pub mod signatures;
pub mod vocab;
pub mod webfinger;

/// ActivityPub ids of local things, derived from the public URL (no trailing slash).
pub mod ids {
    pub fn person(base: &str, handle: &str) -> String {
        format!("{base}/users/{handle}")
    }
    pub fn portfolio(base: &str, handle: &str) -> String {
        format!("{base}/portfolios/{handle}")
    }
    pub fn community(base: &str, handle: &str) -> String {
        format!("{base}/communities/{handle}")
    }
    pub fn instance_actor(base: &str) -> String {
        format!("{base}/actor")
    }
    /// `acct:` form of a handle, used by WebFinger and shown on profiles.
    pub fn acct(handle: &str, host: &str) -> String {
        format!("{handle}@{host}")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_follow_the_design() {
        assert_eq!(
            super::ids::person("http://localhost:8080", "alice"),
            "http://localhost:8080/users/alice"
        );
        assert_eq!(
            super::ids::acct("alice", "localhost:8080"),
            "alice@localhost:8080"
        );
    }
}
