//! The activities Kogi receives, typed, and the incoming-activity enum the dispatcher matches
//! on. Every activity type the dispatcher handles has its variant; anything else (an unknown
//! type, or a known type with an object of a shape Kogi does not know) is `Unsupported`,
//! answered 202 with nothing changed.

use activitypub_federation::kinds::activity::{
    AcceptType, AnnounceType, BlockType, CreateType, DeleteType, FlagType, FollowType, InviteType,
    LikeType, RejectType, UndoType, UpdateType,
};
use activitypub_federation::protocol::helpers::deserialize_one_or_many;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::links::{audience, ActorRef, ObjectOrId};

/// An activity with one `object`, its type given by the marker `K` from the library's
/// `kinds`. Fields Kogi does not read are kept as sent (`rest`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Activity<K> {
    #[serde(rename = "type")]
    pub kind: K,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub actor: ActorRef,
    pub object: ObjectOrId,
    #[serde(
        default,
        deserialize_with = "audience",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub to: Vec<ObjectOrId>,
    #[serde(
        default,
        deserialize_with = "audience",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub cc: Vec<ObjectOrId>,
    /// The community an activity belongs to (Lemmy, FEP-1b12).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<ObjectOrId>,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

impl<K> Activity<K> {
    /// The id of the object, whether given or embedded.
    pub fn object_id(&self) -> Option<&str> {
        self.object.id()
    }
}

/// A report: Mastodon sends the reported account and posts as a list of ids.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flag {
    #[serde(rename = "type")]
    pub kind: FlagType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub actor: ActorRef,
    #[serde(deserialize_with = "deserialize_one_or_many")]
    pub object: Vec<ObjectOrId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(
        default,
        deserialize_with = "audience",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub to: Vec<ObjectOrId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<ObjectOrId>,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// What arrives in an inbox, as the dispatcher sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum IncomingActivity {
    Follow(Activity<FollowType>),
    Accept(Activity<AcceptType>),
    Reject(Activity<RejectType>),
    Undo(Activity<UndoType>),
    Create(Activity<CreateType>),
    Update(Activity<UpdateType>),
    Delete(Activity<DeleteType>),
    Announce(Activity<AnnounceType>),
    Like(Activity<LikeType>),
    Block(Activity<BlockType>),
    Flag(Flag),
    Invite(Activity<InviteType>),
    /// Anything else, with its `type` (empty when it has none) and the reason.
    #[serde(skip)]
    Unsupported {
        kind: String,
        reason: String,
    },
}

/// The types with a variant above.
pub const HANDLED: &[&str] = &[
    "Follow", "Accept", "Reject", "Undo", "Create", "Update", "Delete", "Announce", "Like",
    "Block", "Flag", "Invite",
];

impl IncomingActivity {
    /// Reads a received document. Accepts any JSON; never panics.
    pub fn parse(doc: &Value) -> IncomingActivity {
        let kind = doc.get("type").and_then(Value::as_str).unwrap_or("");
        match IncomingActivity::deserialize(doc) {
            Ok(a) => a,
            Err(_) if HANDLED.contains(&kind) => IncomingActivity::Unsupported {
                kind: kind.to_string(),
                reason: format!("{kind} of a shape Kogi does not handle"),
            },
            Err(_) => IncomingActivity::Unsupported {
                kind: kind.to_string(),
                reason: format!("{kind} is not handled"),
            },
        }
    }

    /// The activity's type name.
    pub fn kind(&self) -> &str {
        match self {
            IncomingActivity::Follow(_) => "Follow",
            IncomingActivity::Accept(_) => "Accept",
            IncomingActivity::Reject(_) => "Reject",
            IncomingActivity::Undo(_) => "Undo",
            IncomingActivity::Create(_) => "Create",
            IncomingActivity::Update(_) => "Update",
            IncomingActivity::Delete(_) => "Delete",
            IncomingActivity::Announce(_) => "Announce",
            IncomingActivity::Like(_) => "Like",
            IncomingActivity::Block(_) => "Block",
            IncomingActivity::Flag(_) => "Flag",
            IncomingActivity::Invite(_) => "Invite",
            IncomingActivity::Unsupported { kind, .. } => kind,
        }
    }
}
