//! Communities: activities sent for a community (relays, pins, locks, moderators, members,
//! joins, reports, invites).

use kogi_core::accounts::Actor;
use kogi_core::communities::manage::Placement;
use kogi_core::communities::{store, Community};
use kogi_core::posts::Post;
use kogi_core::{Error, Result};
use serde_json::{json, Value};

use super::objects::title_from_content;
use crate::delivery::Federation;
use crate::outbox::Outgoing;
use crate::vocab::{AS_CONTEXT, KOGI_NS, PUBLIC};
use kogi_core::ids::activity as new_id;
use kogi_core::posts::actions::Relay;

impl Federation {
    /// Where a post goes in a community: a thread (a `Page`, `Article` or `Question` without
    /// `inReplyTo`) with its title, or a comment in its parent's thread. Reads only.
    pub(crate) async fn place_in_community(
        &self,
        obj: &Value,
        parent: Option<&Post>,
    ) -> Result<Placement> {
        if let Some(parent) = parent {
            let thread = self
                .thread_of(parent)
                .await?
                .unwrap_or_else(|| parent.clone());
            Ok(Placement::Comment {
                thread_post_id: thread.id,
            })
        } else {
            let title = match obj.get("name").and_then(Value::as_str).map(str::trim) {
                Some(t) if !t.is_empty() => t.to_string(),
                // A Mastodon post that mentions the group: its first line is the title.
                _ => title_from_content(obj.get("content").and_then(Value::as_str).unwrap_or("")),
            };
            Ok(Placement::Thread { title })
        }
    }

    /// The group's relay of an activity to its members: `Announce(activity)`, and for a new
    /// thread also `Announce(object)` for servers that ignore announced activities; with the
    /// members' inboxes, for the outbox publisher to queue.
    pub(crate) async fn relayed(
        &self,
        c: &Community,
        activity: &Value,
        new_thread: Option<&Value>,
    ) -> Result<Vec<Outgoing>> {
        let base = self.core.config.public_url.clone();
        let inboxes = kogi_core::follows::follower_inboxes(&self.core, c.actor.id).await?;
        let to = if c.is_public() {
            json!([PUBLIC])
        } else {
            json!([])
        };
        let mut inner = activity.clone();
        if let Some(o) = inner.as_object_mut() {
            o.remove("@context");
        }
        let announce = json!({
            "@context": [AS_CONTEXT, {"kogi": KOGI_NS}],
            "id": new_id(&base, "announce"),
            "type": "Announce",
            "actor": c.actor.ap_id,
            "to": to,
            "cc": [c.actor.followers_url],
            "audience": c.actor.ap_id,
            "object": inner,
        });
        let mut out = vec![Outgoing {
            activity: announce,
            actor_id: c.actor.id,
            inboxes: inboxes.clone(),
        }];
        if let Some(obj) = new_thread {
            let announce = json!({
                "@context": AS_CONTEXT,
                "id": new_id(&base, "announce"),
                "type": "Announce",
                "actor": c.actor.ap_id,
                "to": to,
                "cc": [c.actor.followers_url],
                "audience": c.actor.ap_id,
                "object": obj.get("id").cloned().unwrap_or(Value::Null),
            });
            out.push(Outgoing {
                activity: announce,
                actor_id: c.actor.id,
                inboxes,
            });
        }
        Ok(out)
    }

    /// What an author's activity in a community becomes: relayed by a local group, or sent to
    /// another server's group inbox.
    pub(crate) async fn in_community(
        &self,
        author: &Actor,
        c: &Community,
        activity: Value,
    ) -> Result<Vec<Outgoing>> {
        if c.row.local {
            self.relayed(c, &activity, None).await
        } else {
            Ok(vec![Outgoing {
                activity,
                actor_id: author.id,
                inboxes: vec![c.actor.inbox_url.clone()],
            }])
        }
    }

    /// A received activity about a post of a local community (a like, a deletion or edit by
    /// its author) that the community relays to its members, for the apply transaction.
    pub async fn relay_for(&self, post_id: i64, activity: &Value) -> Result<Option<Relay>> {
        let Some(link) = store::post_link(&self.core, post_id).await? else {
            return Ok(None);
        };
        let Some(c) = store::find(&self.core, link.community_id).await? else {
            return Ok(None);
        };
        if !c.row.local {
            return Ok(None);
        }
        Ok(Some(Relay {
            community_id: c.id(),
            community_actor_id: c.actor.id,
            activity: serde_json::to_string(activity)
                .map_err(|e| Error::Internal(e.to_string()))?,
        }))
    }
}
