//! What a group's relay may do here (DESIGN.md §4, "Communities"): an `Announce` of a
//! `Create` or `Update` of a post, a chat message it forwards, or a thread read from its
//! outbox. The rules, in one place for all of them:
//! - an object hosted on this instance is never taken from a relay (its local row is the
//!   truth);
//! - an object hosted on the group's own host is taken as the group sends it (the group,
//!   signing, vouches for its host); any other is fetched from its origin, whatever the group
//!   embedded;
//! - it joins the group only when it names the group (`audience`, `to` or `cc`, as Lemmy and
//!   Kogi address it) or answers a post already in that group;
//! - a post already in a group is never moved to another, and an edit applies only to a post
//!   already in the relaying group.

use kogi_core::accounts::Actor;
use kogi_core::communities::manage::Placement;
use kogi_core::communities::{store, Community};
use kogi_core::posts::{self, Post};
use serde_json::Value;

use crate::actors::{first_url, host_of};
use crate::delivery::Federation;
use crate::inbox::{Accepted, InboxError};
use crate::protocol::classify::object_id;

/// A relayed object once checked: its document and author, or why it is left alone.
pub(crate) enum Relayed {
    Object { doc: Value, author: Box<Actor> },
    Skip(Accepted),
}

impl Federation {
    /// The document of an object a group relays (by id, or embedded as `embedded`) and its
    /// author, taken from the group's host or fetched from its origin; never one hosted here.
    pub(crate) async fn verify_relayed(
        &self,
        c: &Community,
        obj_id: &str,
        embedded: Option<&Value>,
    ) -> Result<Relayed, InboxError> {
        let skip = |why: &str| Ok(Relayed::Skip(Accepted::Ignored(why.to_string())));
        if self.is_local_id(obj_id) {
            return skip("a post hosted here is never taken from a relay");
        }
        let doc = match embedded {
            Some(obj) if host_of(obj_id).as_deref() == Some(c.actor.host.as_str()) => obj.clone(),
            _ => match self.fetch_json(obj_id).await {
                Ok(d) => d,
                Err(e) if e.is_network() => return Err(InboxError::KeyUnavailable(e.to_string())),
                Err(_) => return skip("announced object not found at its origin"),
            },
        };
        let Some(id) = doc.get("id").and_then(Value::as_str) else {
            return skip("announced object without id");
        };
        if self.is_local_id(id) {
            return skip("a post hosted here is never taken from a relay");
        }
        let Some(author_id) = doc.get("attributedTo").and_then(first_url) else {
            return skip("announced object without author");
        };
        if host_of(&author_id) != host_of(id) {
            return Err(InboxError::Refused(
                "the object's author is not on its host".into(),
            ));
        }
        let author = self.actor(&author_id).await.map_err(InboxError::from)?;
        Ok(Relayed::Object {
            doc,
            author: Box::new(author),
        })
    }

    /// Does a relayed object belong in `c`: does it name the group, or answer a post already
    /// in it? An answer to a post of another group never does.
    pub(crate) async fn belongs_in(
        &self,
        c: &Community,
        doc: &Value,
        parent: Option<&Post>,
    ) -> kogi_core::Result<bool> {
        let parent_link = match parent {
            Some(p) => store::post_link(&self.core, p.id).await?,
            None => None,
        };
        match parent_link {
            Some(l) => Ok(l.community_id == c.id()),
            None => Ok(Self::addressed_to(doc, &c.actor)),
        }
    }

    /// `Announce(Create)` or `Announce(Update)` of a post from the group `c` (`edit` for an
    /// `Update`): stored and linked by the rules above; anything else changes nothing.
    pub(crate) async fn on_group_relayed_post(
        &self,
        c: &Community,
        inner: &Value,
        edit: bool,
    ) -> Result<Accepted, InboxError> {
        let Some(obj_id) = object_id(inner) else {
            return Err(InboxError::Malformed(
                "announced activity without object".into(),
            ));
        };
        let embedded = inner.get("object").filter(|o| o.is_object());
        let (doc, author) = match self.verify_relayed(c, &obj_id, embedded).await? {
            Relayed::Object { doc, author } => (doc, author),
            Relayed::Skip(why) => return Ok(why),
        };
        let id = doc.get("id").and_then(Value::as_str).unwrap_or(&obj_id);
        let existing = posts::find_by_ap_id(&self.core, id).await?;
        if existing.as_ref().is_some_and(|p| p.deleted_at.is_some()) {
            return Ok(Accepted::Ignored("announced post was deleted".into()));
        }
        let link = match &existing {
            Some(p) => store::post_link(&self.core, p.id).await?,
            None => None,
        };
        let parent = match doc.get("inReplyTo").and_then(first_url) {
            Some(pid) => posts::find_by_ap_id(&self.core, &pid).await?,
            None => None,
        };
        match &link {
            Some(l) if l.community_id != c.id() => {
                return Err(InboxError::Refused(
                    "the post belongs to another group".into(),
                ))
            }
            Some(_) => {}
            None if edit => {
                return Ok(Accepted::Ignored(
                    "Update of a post that is not in the group".into(),
                ))
            }
            None => {
                if !self.belongs_in(c, &doc, parent.as_ref()).await? {
                    return Ok(Accepted::Ignored(
                        "the object names neither the group nor a thread of it".into(),
                    ));
                }
            }
        }
        let Some(received) = self.incoming_object(&author, &doc).await? else {
            return Ok(Accepted::Ignored("announced object is not a post".into()));
        };
        let place = match link {
            Some(_) => None,
            None => Some(self.place_in_community(&doc, parent.as_ref()).await?),
        };
        kogi_core::communities::received::store_relayed(&self.core, c, received, place)
            .await
            .map_err(crate::posts::refusal)?;
        Ok(Accepted::Applied(if edit {
            "Announce(Update) from a group".into()
        } else {
            "Announce(Create) from a group".into()
        }))
    }

    /// A thread read from a group's outbox (an `Announce`/`Create` of it, or the object):
    /// taken by the same rules as relays, threads only. Whether it was stored and linked.
    pub(crate) async fn backfill_item(&self, c: &Community, item: &Value) -> bool {
        let mut obj = item.clone();
        for _ in 0..2 {
            match obj.get("type").and_then(Value::as_str) {
                Some("Announce" | "Create") => {
                    obj = obj.get("object").cloned().unwrap_or(Value::Null)
                }
                _ => break,
            }
        }
        let Some(id) = first_url(&obj) else {
            return false;
        };
        if let Ok(Some(p)) = posts::find_by_ap_id(&self.core, &id).await {
            if !matches!(store::post_link(&self.core, p.id).await, Ok(None)) {
                return false;
            }
        }
        let embedded = obj.is_object().then_some(&obj);
        let Ok(Relayed::Object { doc, author }) = self.verify_relayed(c, &id, embedded).await
        else {
            return false;
        };
        if doc.get("inReplyTo").is_some_and(|v| !v.is_null()) || !Self::addressed_to(&doc, &c.actor)
        {
            return false;
        }
        let Ok(Some(received)) = self.incoming_object(&author, &doc).await else {
            return false;
        };
        let Ok(Placement::Thread { title }) = self.place_in_community(&doc, None).await else {
            return false;
        };
        let place = Some(Placement::Thread { title });
        kogi_core::communities::received::store_relayed(&self.core, c, received, place)
            .await
            .is_ok()
    }
}
