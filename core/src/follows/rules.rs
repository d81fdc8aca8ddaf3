//! The follow-state decision, shared by follows from this server's people and Follows that
//! arrive from other servers.

use super::{Follow, ACCEPTED, PENDING};
use crate::accounts::Actor;

/// The state a new or re-sent follow of `target` gets: an accepted follow stays accepted;
/// an invited person is accepted; an actor that approves followers by hand gets a request;
/// anyone else is accepted.
pub fn state_for(existing: Option<&Follow>, target: &Actor, invited: bool) -> &'static str {
    match existing {
        Some(f) if f.state == ACCEPTED => ACCEPTED,
        _ if invited => ACCEPTED,
        _ if target.manually_approves_followers => PENDING,
        _ => ACCEPTED,
    }
}

/// The notification a new follow gives its target: a follower, or a request to answer.
pub fn notification_kind(state: &str) -> &'static str {
    if state == ACCEPTED {
        "follow"
    } else {
        "follow_request"
    }
}
