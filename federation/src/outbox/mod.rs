//! The outbox publisher: turns the domain events core use cases record (see
//! `kogi_core::outbox`) into activities and delivery rows. Events are taken in id order, so one
//! actor's activities are queued in the order they happened; each event's rows are inserted in
//! the same transaction that marks it published, so a crash before that commit publishes it
//! again and one after it redoes nothing.

mod publisher;

pub use publisher::POLL;
