//! The outbox publisher: turns the domain events core use cases record (see
//! `kogi_core::outbox`) into activities and delivery rows. Events are taken in id order, so one
//! actor's activities are queued in the order they happened; each event's rows are inserted in
//! the same transaction that marks it published, so a crash before that commit publishes it
//! again and one after it redoes nothing.

mod publisher;

pub use publisher::POLL;

/// One activity the publisher queues: who signs it and where it goes.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub activity: serde_json::Value,
    /// The local actor whose key signs it (a relay is signed by the community).
    pub actor_id: i64,
    pub inboxes: Vec<String>,
}
