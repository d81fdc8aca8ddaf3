//! Links as peers send them: an id or an embedded object, one or many, a `type` that is a
//! string or an array.

use activitypub_federation::protocol::helpers::deserialize_one_or_many;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use super::actor_ref::ActorId;

/// A document's `type`: one name, or an array of them (JSON-LD allows both).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TypeName {
    One(String),
    Many(Vec<Value>),
}

impl TypeName {
    /// The name when it is a single string (what the dispatcher keys on).
    pub fn single(&self) -> Option<&str> {
        match self {
            TypeName::One(s) => Some(s),
            TypeName::Many(_) => None,
        }
    }

    /// Every name given.
    pub fn names(&self) -> Vec<&str> {
        match self {
            TypeName::One(s) => vec![s.as_str()],
            TypeName::Many(v) => v.iter().filter_map(Value::as_str).collect(),
        }
    }
}

/// An embedded object: its id and type typed, the rest kept as sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Embedded {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<TypeName>,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

impl Embedded {
    /// An embedded activity's `actor` id (a string or an embedded actor).
    pub fn actor_id(&self) -> Option<String> {
        self.rest.get("actor").and_then(crate::actors::first_url)
    }

    /// An embedded activity's `object` id (a string or an embedded object's `id`).
    pub fn object_id(&self) -> Option<String> {
        match self.rest.get("object")? {
            Value::String(s) => Some(s.clone()),
            Value::Object(o) => o.get("id").and_then(Value::as_str).map(str::to_string),
            _ => None,
        }
    }
}

/// An object given by id or embedded (Mastodon embeds the Follow in an Accept, others send
/// its id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ObjectOrId {
    Id(String),
    Object(Box<Embedded>),
}

impl ObjectOrId {
    /// The id, whether given or embedded.
    pub fn id(&self) -> Option<&str> {
        match self {
            ObjectOrId::Id(s) => Some(s),
            ObjectOrId::Object(o) => o.id.as_deref(),
        }
    }

    /// The embedded object's type when it is a single name; `None` for a bare id.
    pub fn kind(&self) -> Option<&str> {
        match self {
            ObjectOrId::Id(_) => None,
            ObjectOrId::Object(o) => o.kind.as_ref().and_then(TypeName::single),
        }
    }

    pub fn embedded(&self) -> Option<&Embedded> {
        match self {
            ObjectOrId::Id(_) => None,
            ObjectOrId::Object(o) => Some(o),
        }
    }
}

/// An activity's `actor`: its id (Mastodon's string) or an embedded actor with an id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ActorRef {
    Id(ActorId),
    Object {
        id: ActorId,
        #[serde(flatten)]
        rest: Map<String, Value>,
    },
}

impl ActorRef {
    pub fn id(&self) -> &ActorId {
        match self {
            ActorRef::Id(id) | ActorRef::Object { id, .. } => id,
        }
    }
}

/// `to`, `cc`, `bto`…: one or many links, absent meaning none.
pub fn audience<'de, D>(d: D) -> Result<Vec<ObjectOrId>, D::Error>
where
    D: Deserializer<'de>,
{
    deserialize_one_or_many(d)
}
