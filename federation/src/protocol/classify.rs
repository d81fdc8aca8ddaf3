//! What a received or fetched JSON document is to Kogi: an activity, an actor, an object
//! stored as a post, a collection, or unsupported. Accepts any JSON; never panics.

use std::fmt;

use kogi_core::actors::RemoteActor;
use serde_json::Value;

use crate::actors::{first_url, parse_remote_actor, ACTOR_TYPES};
use crate::notes::POST_TYPES;

/// Activity types of the ActivityStreams vocabulary, and extensions peers send (Lemmy's
/// `Lock`, Pleroma's `EmojiReact`). Any other type with both an `actor` and an `object` is
/// taken for an activity too (Lemmy's `Resolve`, for one).
pub const ACTIVITY_TYPES: &[&str] = &[
    "Accept",
    "Add",
    "Announce",
    "Arrive",
    "Block",
    "Create",
    "Delete",
    "Dislike",
    "EmojiReact",
    "Flag",
    "Follow",
    "Ignore",
    "Invite",
    "Join",
    "Leave",
    "Like",
    "Listen",
    "Lock",
    "Move",
    "Offer",
    "Read",
    "Reject",
    "Remove",
    "TentativeAccept",
    "TentativeReject",
    "Travel",
    "Undo",
    "Update",
    "View",
];

/// Collection types (whole collections and their pages).
pub const COLLECTION_TYPES: &[&str] = &[
    "Collection",
    "OrderedCollection",
    "CollectionPage",
    "OrderedCollectionPage",
];

/// What a received or fetched JSON document is to Kogi, as [`classify`] finds it.
#[derive(Debug, Clone)]
pub enum Incoming {
    /// An activity; `object` is its object's id when it has one (a string or an embedded
    /// object with an `id`).
    Activity {
        kind: String,
        id: Option<String>,
        actor: String,
        object: Option<String>,
    },
    /// An actor document that Kogi would store, checked as if fetched from its own id.
    Actor(Box<RemoteActor>),
    /// An object of a type Kogi stores as a post.
    Object {
        kind: String,
        id: Option<String>,
        attributed_to: Option<String>,
    },
    /// A collection or a page of one.
    Collection {
        kind: String,
        id: Option<String>,
        total_items: Option<u64>,
    },
    /// Anything else, with the reason.
    Unsupported(String),
}

impl fmt::Display for Incoming {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Incoming::Activity { kind, .. } => write!(f, "activity {kind}"),
            Incoming::Actor(a) => write!(f, "actor {}", a.ap_type),
            Incoming::Object { kind, .. } => write!(f, "object {kind}"),
            Incoming::Collection { kind, .. } => write!(f, "collection {kind}"),
            Incoming::Unsupported(why) => write!(f, "unsupported: {why}"),
        }
    }
}

/// A document's `type`: the string, or of an array of strings the first one Kogi knows (else
/// the first).
fn type_of(doc: &Value) -> Option<String> {
    match doc.get("type")? {
        Value::String(s) => Some(s.clone()),
        Value::Array(a) => {
            let names: Vec<&str> = a.iter().filter_map(Value::as_str).collect();
            let known = |t: &str| {
                [ACTOR_TYPES, POST_TYPES, COLLECTION_TYPES, ACTIVITY_TYPES]
                    .iter()
                    .any(|list| list.contains(&t))
            };
            names
                .iter()
                .find(|t| known(t))
                .or(names.first())
                .map(|s| s.to_string())
        }
        _ => None,
    }
}

/// Says what a document is: an activity, an actor Kogi would store, an object it stores as a
/// post, a collection, or unsupported (with the reason). Accepts any JSON; never panics.
pub fn classify(doc: &Value) -> Incoming {
    if !doc.is_object() {
        return Incoming::Unsupported("not a JSON object".into());
    }
    let Some(kind) = type_of(doc) else {
        return Incoming::Unsupported("no type".into());
    };
    let id = doc.get("id").and_then(Value::as_str).map(str::to_string);
    let is = |list: &[&str]| list.contains(&kind.as_str());
    if is(ACTOR_TYPES) {
        let fetched_from = id.clone().unwrap_or_default();
        return match parse_remote_actor(doc, &fetched_from) {
            Ok(actor) => Incoming::Actor(Box::new(actor)),
            Err(e) => Incoming::Unsupported(format!("{kind} not accepted: {e}")),
        };
    }
    if is(POST_TYPES) {
        return Incoming::Object {
            attributed_to: doc.get("attributedTo").and_then(first_url),
            kind,
            id,
        };
    }
    if is(COLLECTION_TYPES) {
        return Incoming::Collection {
            total_items: doc.get("totalItems").and_then(Value::as_u64),
            kind,
            id,
        };
    }
    if is(ACTIVITY_TYPES) || (doc.get("actor").is_some() && doc.get("object").is_some()) {
        return match actor_id(doc) {
            Some(actor) => Incoming::Activity {
                object: object_id(doc),
                kind,
                id,
                actor,
            },
            None => Incoming::Unsupported(format!("{kind} without an actor")),
        };
    }
    Incoming::Unsupported(format!("{kind} is not a type Kogi handles"))
}

/// An `Announce` of an embedded activity: a group relaying its members' activities
/// (FEP-1b12, as Lemmy and WordPress send them), not a boost of a post.
pub fn relays_an_activity(doc: &Value) -> bool {
    doc.get("object")
        .filter(|o| o.is_object())
        .is_some_and(|o| matches!(classify(o), Incoming::Activity { .. }))
}

/// The `actor` of an activity, whether a string or an embedded object.
pub fn actor_id(doc: &Value) -> Option<String> {
    crate::actors::first_url(doc.get("actor")?)
}

/// The id of an activity's `object`, whether a string or an embedded object.
pub fn object_id(doc: &Value) -> Option<String> {
    match doc.get("object")? {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("id").and_then(Value::as_str).map(str::to_string),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn classifies_any_json_without_panicking() {
        for doc in [
            json!(null),
            json!(42),
            json!("Create"),
            json!([{"type": "Create"}]),
            json!({}),
            json!({"type": 7}),
            json!({"type": []}),
            json!({"type": [1, null]}),
            json!({"type": "Person"}),
            json!({"type": "Person", "id": 5, "inbox": []}),
            json!({"type": "Person", "id": "not a url", "inbox": "x", "publicKey": []}),
            json!({"type": "Create"}),
            json!({"type": "Create", "actor": {"id": null}}),
            json!({"type": "Create", "actor": [], "object": [[[]]]}),
            json!({"type": "Note", "attributedTo": [{"href": {}}]}),
            json!({"type": "OrderedCollection", "totalItems": -1}),
            json!({"type": "Zap"}),
        ] {
            let _ = classify(&doc).to_string();
        }
    }

    #[test]
    fn classifies_by_type_first() {
        assert!(matches!(
            classify(&json!({"type": "Create", "id": "https://a.example/1",
                "actor": {"id": "https://a.example/u"}, "object": {"id": "https://a.example/n"}})),
            Incoming::Activity { kind, actor, object: Some(o), .. }
                if kind == "Create" && actor == "https://a.example/u" && o == "https://a.example/n"
        ));
        // Mobilizon's events carry an `actor`, but are objects.
        assert!(matches!(
            classify(&json!({"type": "Event", "actor": "https://m.example/@a",
                "attributedTo": "https://m.example/@g"})),
            Incoming::Object { kind, attributed_to: Some(a), .. } if kind == "Event" && a == "https://m.example/@g"
        ));
        assert!(matches!(
            classify(&json!({"type": ["Note", "x:Other"], "id": "https://a.example/n"})),
            Incoming::Object { kind, .. } if kind == "Note"
        ));
        assert!(matches!(
            classify(&json!({"type": "Resolve", "actor": "https://a.example/u", "object": "https://a.example/f"})),
            Incoming::Activity { kind, .. } if kind == "Resolve"
        ));
        assert!(matches!(
            classify(&json!({"type": "Create", "object": "https://a.example/n"})),
            Incoming::Unsupported(_)
        ));
        assert!(matches!(
            classify(&json!({"type": "OrderedCollection", "totalItems": 3})),
            Incoming::Collection {
                total_items: Some(3),
                ..
            }
        ));
        assert!(matches!(
            classify(&json!({"type": "ChatMessage", "id": "https://p.example/o/1"})),
            Incoming::Unsupported(_)
        ));
        // An actor that fails the checks is unsupported, with the reason.
        assert!(matches!(
            classify(&json!({"type": "Person", "id": "https://a.example/u"})),
            Incoming::Unsupported(why) if why.contains("inbox")
        ));
    }

    #[test]
    fn an_announced_activity_is_a_relay_not_a_boost() {
        let relay = json!({"type": "Announce", "actor": "https://l.example/c/main",
            "object": {"type": "Create", "id": "https://l.example/activities/create/1",
                "actor": "https://l.example/u/a", "object": {"type": "Page", "id": "https://l.example/post/1"}}});
        assert!(relays_an_activity(&relay));
        let boost = json!({"type": "Announce", "actor": "https://m.example/users/a",
            "object": "https://l.example/post/1"});
        assert!(!relays_an_activity(&boost));
        let embedded = json!({"type": "Announce", "actor": "https://m.example/users/a",
            "object": {"type": "Note", "id": "https://l.example/post/1"}});
        assert!(!relays_an_activity(&embedded));
    }
}
