//! Communities over ActivityPub, as FEP-1b12 and Lemmy do them. A community is a `Group`;
//! joining is `Follow` (accepted at once when public, after a moderator's approval when
//! private). Members send `Create` of a `Page` (thread) or `Note` (comment) to the group, which
//! checks its rules and relays the activity unchanged as `Announce(activity)` to its members —
//! a new thread also as `Announce(Page)`, since Mastodon ignores announced activities.
//! Receivers accept an announced object hosted elsewhere only after fetching it from its
//! origin.

mod activities;
mod handlers;
mod objects;
mod outgoing;
mod publish;
mod relays;

pub use objects::{group_json, parse_group_terms, title_from_content};
