//! The objects Kogi receives: actors, posts (`Note`, `Article`, `Page`, `Question` and the
//! media types Kogi stores as posts), and `Tombstone`. Only the fields Kogi reads are typed;
//! the rest is kept as sent (`rest`), so a document round-trips.

use activitypub_federation::kinds::object::TombstoneType;
use activitypub_federation::protocol::helpers::deserialize_one_or_many;
use activitypub_federation::protocol::public_key::PublicKey;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::links::{audience, ObjectOrId};

/// Actor types Kogi stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ActorKind {
    Person,
    Service,
    Application,
    Group,
    Organization,
}

/// An actor document (Mastodon's, Lemmy's, Kogi's own).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActorObject {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: ActorKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inbox: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbox: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub followers: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<PublicKey>,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// Object types Kogi stores as posts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PostKind {
    Note,
    Article,
    Page,
    Question,
    Image,
    Video,
    Audio,
    Event,
}

/// A post-like object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostObject {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: PostKind,
    /// Mastodon gives one id; PeerTube a list of actors (the channel and the account).
    #[serde(
        default,
        deserialize_with = "deserialize_one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub attributed_to: Vec<ObjectOrId>,
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
    /// Lemmy's community of a post (FEP-1b12).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<ObjectOrId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_reply_to: Option<ObjectOrId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// A deleted object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tombstone {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(rename = "type")]
    pub kind: TombstoneType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub former_type: Option<String>,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

/// Any object Kogi knows the shape of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum KnownObject {
    Actor(Box<ActorObject>),
    Post(Box<PostObject>),
    Tombstone(Tombstone),
}
