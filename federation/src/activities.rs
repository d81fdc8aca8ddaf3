//! Activities Kogi builds, the classification of received documents and the dispatcher that
//! applies received activities: follows (`Follow`, `Accept`, `Reject`, `Undo(Follow)`), actor
//! updates and deletions, and posts and reactions (in `notes`); everything else is accepted
//! and ignored.

use std::fmt;

use kogi_core::accounts::Actor;
use kogi_core::actors::RemoteActor;
use kogi_core::follows::{self, ACCEPTED};
use serde_json::{json, Value};

use crate::actors::{first_url, host_of, parse_remote_actor, ACTOR_TYPES};
use crate::delivery::Federation;
use crate::inbox::{Accepted, InboxError};
use crate::notes::POST_TYPES;
use crate::protocol::activities::Activity;
use crate::protocol::IncomingActivity;
use crate::vocab::AS_CONTEXT;
use activitypub_federation::kinds::activity::FollowType;

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
fn relays_an_activity(doc: &Value) -> bool {
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

pub fn new_id(base: &str, kind: &str) -> String {
    kogi_core::ids::activity(base, kind)
}

/// A new unguessable token for a local object's URL (`/posts/{token}`, `/chat/{token}`).
pub fn new_token() -> String {
    kogi_core::ids::token()
}

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

pub use kogi_core::follows::actions::FollowState;

impl Federation {
    fn base(&self) -> String {
        self.core.config.public_url.clone()
    }

    /// Applies a verified activity from `sender`: the document is read into the typed
    /// [`IncomingActivity`] and dispatched on its variant; the handlers still take the raw
    /// document, until their bodies move to the typed values.
    pub async fn dispatch(&self, sender: &Actor, doc: &Value) -> Result<Accepted, InboxError> {
        let is_sender = |id: Option<&str>| id == Some(sender.ap_id.as_str());
        match IncomingActivity::parse(doc) {
            IncomingActivity::Follow(follow) => self.on_follow(sender, &follow).await,
            IncomingActivity::Accept(_) => self.on_answer(sender, doc, true).await,
            IncomingActivity::Reject(_) => self.on_answer(sender, doc, false).await,
            IncomingActivity::Undo(undo) => {
                let Some(inner) = undo.object.kind() else {
                    // Compact: the undone activity by id (as Mastodon sends an Undo of a
                    // Like or Announce, and others of a Follow).
                    return self.on_undo_by_id(sender, doc).await;
                };
                match inner {
                    "Follow" => self.on_undo_follow(sender, doc).await,
                    "Block" => self.on_undo_block(sender, doc).await,
                    "Like" => {
                        self.on_undo_react(sender, doc, kogi_core::posts::LIKE)
                            .await
                    }
                    "Announce" => {
                        self.on_undo_react(sender, doc, kogi_core::posts::ANNOUNCE)
                            .await
                    }
                    other => Ok(Accepted::Ignored(format!("Undo of {other}"))),
                }
            }
            IncomingActivity::Create(_) => self.on_create(sender, doc).await,
            IncomingActivity::Block(_) => self.on_block(sender, doc).await,
            IncomingActivity::Flag(_) => self.on_flag(sender, doc).await,
            IncomingActivity::Invite(_) => self.on_invite(sender, doc).await,
            IncomingActivity::Like(_) => self.on_react(sender, doc, kogi_core::posts::LIKE).await,
            IncomingActivity::Announce(_) if relays_an_activity(doc) => {
                self.on_group_announce(sender, doc).await
            }
            IncomingActivity::Announce(_) => {
                self.on_react(sender, doc, kogi_core::posts::ANNOUNCE).await
            }
            IncomingActivity::Update(update) if is_sender(update.object_id()) => {
                let obj = doc.get("object").cloned().unwrap_or(Value::Null);
                match parse_remote_actor(&obj, &sender.ap_id) {
                    Ok(remote) => {
                        kogi_core::actors::upsert_remote(&self.core, remote).await?;
                        Ok(Accepted::Applied("Update(actor)".into()))
                    }
                    Err(e) => Err(InboxError::Invalid(e.to_string())),
                }
            }
            IncomingActivity::Delete(delete) if is_sender(delete.object_id()) => {
                kogi_core::actors::mark_remote_deleted(&self.core, sender.id).await?;
                kogi_core::portfolios::store::mark_remote_portfolio_deleted(&self.core, sender.id)
                    .await?;
                Ok(Accepted::Applied("Delete(actor)".into()))
            }
            IncomingActivity::Update(_) => self.on_update_object(sender, doc).await,
            IncomingActivity::Delete(_) => self.on_delete_object(sender, doc).await,
            IncomingActivity::Unsupported { reason, .. } => Ok(Accepted::Ignored(reason)),
        }
    }

    async fn local_target(&self, doc: &Value) -> Result<Option<Actor>, InboxError> {
        match object_id(doc) {
            Some(target) => self.local_actor(&target).await,
            None => Ok(None),
        }
    }

    /// A local actor that can be followed, by its id.
    async fn local_actor(&self, ap_id: &str) -> Result<Option<Actor>, InboxError> {
        Ok(kogi_core::actors::find_by_ap_id(&self.core, ap_id)
            .await?
            .filter(|a| a.local && a.deleted_at.is_none() && a.kind != "application"))
    }

    /// Verify has run (signature, origin); apply is core's one transaction, which also
    /// records the activity as seen and queues the answer.
    async fn on_follow(
        &self,
        sender: &Actor,
        follow: &Activity<FollowType>,
    ) -> Result<Accepted, InboxError> {
        use kogi_core::follows::actions::{receive_follow, Received};
        let target = match follow.object_id() {
            Some(id) => self.local_actor(id).await?,
            None => None,
        };
        let Some(target) = target else {
            return Ok(Accepted::Ignored("Follow of an unknown actor".into()));
        };
        let follow_id = follow.id.clone().unwrap_or_default();
        Ok(
            match receive_follow(&self.core, sender, &target, &follow_id).await? {
                Received::Accepted => Accepted::Applied("Follow accepted".into()),
                Received::Pending => Accepted::Applied("Follow pending approval".into()),
                Received::Rejected(why) => Accepted::Applied(format!("Follow rejected ({why})")),
            },
        )
    }

    async fn on_answer(
        &self,
        sender: &Actor,
        doc: &Value,
        accepted: bool,
    ) -> Result<Accepted, InboxError> {
        // Match by the Follow's id, or by the embedded Follow's actor and object.
        let follow = match object_id(doc) {
            Some(id) => follows::find_by_ap_id(&self.core, &id).await?,
            None => None,
        };
        let follow = match follow {
            Some(f) => Some(f),
            None => {
                let embedded_actor = doc
                    .get("object")
                    .and_then(|o| o.get("actor"))
                    .and_then(crate::actors::first_url);
                match embedded_actor {
                    Some(a) => match kogi_core::actors::find_by_ap_id(&self.core, &a).await? {
                        Some(local) if local.local => {
                            follows::find(&self.core, local.id, sender.id).await?
                        }
                        _ => None,
                    },
                    None => None,
                }
            }
        };
        let Some(f) = follow else {
            return Ok(Accepted::Ignored("answer to an unknown Follow".into()));
        };
        // Only the followed actor may answer.
        if f.target_id != sender.id {
            return Err(InboxError::Refused(
                "only the followed actor can answer a Follow".into(),
            ));
        }
        if accepted {
            follows::set_state(&self.core, f.id, ACCEPTED).await?;
            // A community just joined: its latest threads, read in the background.
            if sender.kind == "community" {
                if let Some(c) =
                    kogi_core::communities::store::find_by_actor(&self.core, sender.id).await?
                {
                    self.backfill_joined_later(&c);
                }
            }
            Ok(Accepted::Applied("Accept".into()))
        } else {
            follows::remove(&self.core, f.follower_id, f.target_id).await?;
            Ok(Accepted::Applied("Reject".into()))
        }
    }

    /// An `Undo` naming the undone activity by id only: the stored reaction (`Like`,
    /// `Announce`) or follow with that activity id is undone — only by its own actor (403
    /// otherwise, and nothing changes).
    async fn on_undo_by_id(&self, sender: &Actor, doc: &Value) -> Result<Accepted, InboxError> {
        let Some(id) = object_id(doc) else {
            return Err(InboxError::Malformed("Undo without object".into()));
        };
        if let Some((kind, actor, post)) =
            kogi_core::posts::reaction_by_ap_id(&self.core, &id).await?
        {
            if actor != sender.id {
                return Err(InboxError::Refused(
                    "an Undo must come from the reaction's actor".into(),
                ));
            }
            kogi_core::posts::unreact(&self.core, &kind, sender.id, post).await?;
            return Ok(Accepted::Applied(format!("Undo({kind})")));
        }
        if let Some(f) = follows::find_by_ap_id(&self.core, &id).await? {
            if f.follower_id != sender.id {
                return Err(InboxError::Refused(
                    "an Undo must come from the Follow's actor".into(),
                ));
            }
            follows::remove(&self.core, sender.id, f.target_id).await?;
            return Ok(Accepted::Applied("Undo(Follow)".into()));
        }
        Ok(Accepted::Ignored("Undo of an unknown activity".into()))
    }

    async fn on_undo_follow(&self, sender: &Actor, doc: &Value) -> Result<Accepted, InboxError> {
        let inner = doc.get("object").cloned().unwrap_or(Value::Null);
        if actor_id(&inner)
            .as_deref()
            .is_some_and(|a| a != sender.ap_id)
        {
            return Err(InboxError::Refused(
                "an Undo must come from the Follow's actor".into(),
            ));
        }
        let Some(target) = self.local_target(&inner).await? else {
            return Ok(Accepted::Ignored(
                "Undo of a Follow of an unknown actor".into(),
            ));
        };
        follows::remove(&self.core, sender.id, target.id).await?;
        Ok(Accepted::Applied("Undo(Follow)".into()))
    }
}

/// Is `url` hosted on the same instance as `actor`?
pub fn same_instance(url: &str, actor: &Actor) -> bool {
    host_of(url).as_deref() == Some(actor.host.as_str())
}

impl Federation {
    /// Sends `Update` of a local actor to its followers (after a profile edit).
    pub async fn announce_profile_update(&self, actor: &Actor) -> kogi_core::Result<()> {
        let (followers, following) = follows::counts(&self.core, actor.id).await?;
        let doc = crate::actors::local_actor_json(actor, &self.base(), followers, following);
        self.send_actor_update(actor, doc).await
    }

    /// Sends `Update` of a local actor's document (a person's, a group's) to its followers.
    pub async fn send_actor_update(&self, actor: &Actor, doc: Value) -> kogi_core::Result<()> {
        let activity = json!({
            "@context": doc["@context"].clone(),
            "id": new_id(&self.base(), "update"),
            "type": "Update",
            "actor": actor.ap_id,
            "to": [crate::vocab::PUBLIC],
            "object": doc,
        });
        let inboxes = follows::follower_inboxes(&self.core, actor.id).await?;
        self.enqueue(&activity, actor.id, &inboxes).await?;
        Ok(())
    }

    /// Sends `Delete` of a local actor to every instance ever seen (a deleted account must
    /// disappear everywhere, not only from its followers' servers).
    pub async fn announce_deletion(&self, actor: &Actor) -> kogi_core::Result<()> {
        let activity = json!({
            "@context": AS_CONTEXT,
            "id": format!("{}#delete", actor.ap_id),
            "type": "Delete",
            "actor": actor.ap_id,
            "to": [crate::vocab::PUBLIC],
            "object": actor.ap_id,
        });
        let mut inboxes = kogi_core::deliveries::all_shared_inboxes(&self.core).await?;
        inboxes.extend(follows::follower_inboxes(&self.core, actor.id).await?);
        inboxes.sort();
        inboxes.dedup();
        self.enqueue(&activity, actor.id, &inboxes).await?;
        Ok(())
    }
}

impl Federation {
    /// `actor` blocks `target`: follows between them end, and a remote target's server is
    /// told with a `Block` (as Mastodon sends it).
    pub async fn block(&self, actor: &Actor, target: &Actor) -> kogi_core::Result<bool> {
        let id = new_id(&self.base(), "block");
        if !kogi_core::blocks::add(
            &self.core,
            actor.id,
            target.id,
            kogi_core::blocks::BLOCK,
            &id,
        )
        .await?
        {
            return Ok(false);
        }
        if !target.local {
            let activity = json!({"@context": AS_CONTEXT, "id": id, "type": "Block", "actor": actor.ap_id, "object": target.ap_id});
            self.enqueue(&activity, actor.id, std::slice::from_ref(&target.inbox_url))
                .await?;
        }
        Ok(true)
    }

    pub async fn unblock(&self, actor: &Actor, target: &Actor) -> kogi_core::Result<bool> {
        let Some(id) =
            kogi_core::blocks::remove(&self.core, actor.id, target.id, kogi_core::blocks::BLOCK)
                .await?
        else {
            return Ok(false);
        };
        if !target.local {
            let activity = json!({
                "@context": AS_CONTEXT, "id": new_id(&self.base(), "undo"), "type": "Undo", "actor": actor.ap_id,
                "object": {"id": id, "type": "Block", "actor": actor.ap_id, "object": target.ap_id},
            });
            self.enqueue(&activity, actor.id, std::slice::from_ref(&target.inbox_url))
                .await?;
        }
        Ok(true)
    }

    /// A remote actor blocked a local one.
    pub async fn on_block(&self, sender: &Actor, doc: &Value) -> Result<Accepted, InboxError> {
        let Some(target) = self.local_target(doc).await? else {
            return Ok(Accepted::Ignored("Block of an unknown actor".into()));
        };
        let id = doc.get("id").and_then(Value::as_str).unwrap_or_default();
        kogi_core::blocks::add(
            &self.core,
            sender.id,
            target.id,
            kogi_core::blocks::BLOCK,
            id,
        )
        .await?;
        Ok(Accepted::Applied("Block".into()))
    }

    pub async fn on_undo_block(&self, sender: &Actor, doc: &Value) -> Result<Accepted, InboxError> {
        let inner = doc.get("object").cloned().unwrap_or(Value::Null);
        if actor_id(&inner).is_some_and(|a| a != sender.ap_id) {
            return Err(InboxError::Refused(
                "an Undo must come from the Block's actor".into(),
            ));
        }
        let Some(target) = self.local_target(&inner).await? else {
            return Ok(Accepted::Ignored("Undo of an unknown Block".into()));
        };
        kogi_core::blocks::remove(&self.core, sender.id, target.id, kogi_core::blocks::BLOCK)
            .await?;
        Ok(Accepted::Applied("Undo(Block)".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
