//! The protocol layer: typed serde structs for the ActivityPub documents Kogi receives and
//! sends, on `activitypub_federation`'s protocol types (`kinds`, `ObjectId`,
//! `deserialize_one_or_many`, `WithContext`, `PublicKey`).
//!
//! Lenient where real servers differ: ids or embedded objects ([`links::ObjectOrId`]),
//! one-or-many `to`/`cc`, an `actor` given as a string or an object, Lemmy's `audience`;
//! fields Kogi does not read (Mobilizon's, PeerTube's) are ignored. The incoming-activity
//! enum ([`activities::IncomingActivity`]) is what the dispatcher matches on; anything it
//! does not know is its `Unsupported` arm (answered 202, nothing changed).
//!
//! Kogi keeps its own signature verification, inbox pipeline order, delivery queue,
//! WebFinger and HTTP client (DESIGN §4), so the library's `FederationConfig`, queue,
//! signing and axum glue are not used here.

pub mod activities;
pub mod actor_ref;
pub mod classify;
pub mod context;
pub mod kogi;
pub mod lenient;
pub mod links;
pub mod objects;

#[cfg(test)]
mod tests;

pub use activities::IncomingActivity;
pub use actor_ref::{ActorId, ApActor};
pub use context::{context, with_context};
pub use links::{ActorRef, ObjectOrId, TypeName};
