//! Builders of the follow and block activities (the publisher sends them).

use serde_json::{json, Value};

use crate::vocab::AS_CONTEXT;
use kogi_core::ids::activity as new_id;

pub fn follow(id: &str, actor: &str, object: &str) -> Value {
    json!({ "@context": AS_CONTEXT, "id": id, "type": "Follow", "actor": actor, "object": object })
}

/// `Accept` or `Reject` of a Follow (the Follow embedded, as Mastodon matches either way).
pub fn answer(kind: &str, base: &str, target: &str, follow_id: &str, follower: &str) -> Value {
    json!({
        "@context": AS_CONTEXT,
        "id": new_id(base, &kind.to_lowercase()),
        "type": kind,
        "actor": target,
        "object": { "id": follow_id, "type": "Follow", "actor": follower, "object": target },
    })
}

pub fn undo_follow(base: &str, follower: &str, follow_id: &str, target: &str) -> Value {
    json!({
        "@context": AS_CONTEXT,
        "id": new_id(base, "undo"),
        "type": "Undo",
        "actor": follower,
        "object": { "id": follow_id, "type": "Follow", "actor": follower, "object": target },
    })
}

/// A `Block` of `object` by `actor` (as Mastodon sends it, to the blocked actor's inbox).
pub fn block(id: &str, actor: &str, object: &str) -> Value {
    json!({"@context": AS_CONTEXT, "id": id, "type": "Block", "actor": actor, "object": object})
}

/// `Undo` of the `Block` with id `block_id`.
pub fn undo_block(base: &str, actor: &str, block_id: &str, object: &str) -> Value {
    json!({
        "@context": AS_CONTEXT, "id": new_id(base, "undo"), "type": "Undo", "actor": actor,
        "object": {"id": block_id, "type": "Block", "actor": actor, "object": object},
    })
}
