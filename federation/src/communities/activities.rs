//! Communities: activities sent for a community (relays, pins, locks, moderators, members,
//! joins, reports, invites).

use kogi_core::accounts::Actor;
use kogi_core::communities::{moderation, store, Community, Role, Visibility};
use kogi_core::posts::{self, Post};
use kogi_core::{Error, Result};
use serde_json::{json, Value};

use super::objects::{group_json, title_from_content};
use crate::delivery::Federation;
use crate::outbox::Outgoing;
use crate::vocab::{AS_CONTEXT, KOGI_NS, PUBLIC};
use kogi_core::ids::activity as new_id;
use kogi_core::posts::actions::Relay;

impl Federation {
    /// Links a stored post to a community as a thread (a `Page`, `Article` or `Question`
    /// without `inReplyTo`) or a comment.
    pub(crate) async fn link(
        &self,
        c: &Community,
        post: &Post,
        obj: &Value,
        parent: Option<&Post>,
    ) -> Result<()> {
        if let Some(parent) = parent {
            let thread = self
                .thread_of(parent)
                .await?
                .unwrap_or_else(|| parent.clone());
            store::link_post(&self.core, c.id(), post.id, "comment", "", Some(thread.id)).await
        } else {
            let title = match obj.get("name").and_then(Value::as_str).map(str::trim) {
                Some(t) if !t.is_empty() => t.to_string(),
                // A Mastodon post that mentions the group: its first line is the title.
                _ => title_from_content(obj.get("content").and_then(Value::as_str).unwrap_or("")),
            };
            store::link_post(&self.core, c.id(), post.id, "thread", &title, None).await
        }
    }

    /// The group relays an activity to its members: `Announce(activity)`, and for a new
    /// thread also `Announce(object)` for servers that ignore announced activities.
    pub async fn relay(
        &self,
        c: &Community,
        activity: &Value,
        new_thread: Option<&Value>,
    ) -> Result<()> {
        for out in self.relayed(c, activity, new_thread).await? {
            self.enqueue(&out.activity, out.actor_id, &out.inboxes)
                .await?;
        }
        Ok(())
    }

    /// The `Announce`s of [`Self::relay`], with the members' inboxes, for the caller (or the
    /// outbox publisher) to queue.
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

    /// Pins or unpins a thread of a local community (its featured collection) and announces
    /// it as `Add` or `Remove` with the featured collection as target, as Lemmy does. An
    /// announcement (`announcement`) is a pin that also notifies every member: here directly,
    /// elsewhere through `kogi:announcement` on the `Add`, which their servers act on.
    pub async fn set_pinned(
        &self,
        by: &Actor,
        c: &Community,
        p: &Post,
        pinned: bool,
        announcement: bool,
    ) -> Result<()> {
        let pinned = pinned || announcement;
        moderation::set_pinned(&self.core, p.id, pinned).await?;
        if announcement {
            self.notify_announcement(c, p).await?;
        }
        let mut activity = Self::collection_change(
            &self.core.config.public_url,
            by,
            c,
            pinned,
            &p.ap_id,
            &c.row.featured_url,
        );
        activity["kogi:announcement"] = json!(announcement);
        self.relay(c, &activity, None).await
    }

    /// `Add` or `Remove` of `object` on one of a local group's collections (`target`), by
    /// `by`, addressed as Lemmy addresses it; the group relays it.
    fn collection_change(
        base: &str,
        by: &Actor,
        c: &Community,
        add: bool,
        object: &str,
        target: &Option<String>,
    ) -> Value {
        json!({
            "@context": [AS_CONTEXT, {"kogi": KOGI_NS}],
            "id": new_id(base, if add { "add" } else { "remove" }),
            "type": if add { "Add" } else { "Remove" },
            "actor": by.ap_id,
            "to": [c.actor.ap_id],
            "cc": [c.actor.followers_url],
            "audience": c.actor.ap_id,
            "object": object,
            "target": target,
        })
    }

    /// Locks or unlocks a thread of a local community and announces it (`Lock`, or
    /// `Undo(Lock)`, as Lemmy does), so that members' servers refuse comments early too.
    pub async fn set_locked(
        &self,
        by: &Actor,
        c: &Community,
        p: &Post,
        locked: bool,
    ) -> Result<()> {
        store::set_locked(&self.core, p.id, locked).await?;
        let base = &self.core.config.public_url;
        let lock = json!({
            "id": new_id(base, "lock"),
            "type": "Lock",
            "actor": by.ap_id,
            "to": [c.actor.ap_id],
            "cc": [c.actor.followers_url],
            "audience": c.actor.ap_id,
            "object": p.ap_id,
        });
        let activity = if locked {
            lock
        } else {
            json!({"id": new_id(base, "undo"), "type": "Undo", "actor": by.ap_id,
                "to": [c.actor.ap_id], "cc": [c.actor.followers_url], "audience": c.actor.ap_id,
                "object": lock})
        };
        self.relay(c, &activity, None).await
    }

    /// Sends a local community's edited profile (`Update` of the `Group`) to its members'
    /// servers.
    pub async fn update_community(&self, c: &Community) -> Result<()> {
        self.send_actor_update(&c.actor, group_json(c, &self.core.config.public_url))
            .await
    }

    /// Makes a member a moderator (or a moderator a member again) and announces it: `Add` or
    /// `Remove` on the moderators collection, relayed by the group.
    pub async fn change_moderator(
        &self,
        by: &Actor,
        c: &Community,
        who: &Actor,
        moderator: bool,
    ) -> Result<()> {
        let before = store::role_of(&self.core, c, who.id).await?;
        let role = if moderator {
            Role::Moderator
        } else {
            Role::Member
        };
        store::set_role(&self.core, c, who.id, Some(role)).await?;
        if before.is_some_and(Role::moderates) == moderator {
            return Ok(());
        }
        let activity = Self::collection_change(
            &self.core.config.public_url,
            by,
            c,
            moderator,
            &who.ap_id,
            &c.row.moderators_url,
        );
        self.relay(c, &activity, None).await
    }

    /// Ends someone's membership (removal or ban); a remote member's server is told with
    /// `Reject` of their `Follow`, as Mastodon does when it removes a follower.
    pub async fn remove_member(
        &self,
        c: &Community,
        who: &Actor,
        ban: Option<&str>,
    ) -> Result<bool> {
        let follow = kogi_core::follows::find(&self.core, who.id, c.actor.id).await?;
        match ban {
            Some(reason) => store::ban(&self.core, c, who.id, reason).await?,
            None => {
                if follow.is_none() {
                    return Ok(false);
                }
                store::set_role(&self.core, c, who.id, None).await?;
                kogi_core::follows::remove(&self.core, who.id, c.actor.id).await?;
            }
        }
        if let (Some(f), false) = (&follow, who.local) {
            let reject = crate::follows::activities::answer(
                "Reject",
                &self.core.config.public_url,
                &c.actor.ap_id,
                &f.ap_id,
                &who.ap_id,
            );
            self.enqueue(&reject, c.actor.id, std::slice::from_ref(&who.inbox_url))
                .await?;
        }
        Ok(true)
    }

    /// A moderator removes a thread or comment: deleted here, and the group announces the
    /// `Delete` to its members.
    pub async fn remove_from_community(
        &self,
        moderator: &Actor,
        c: &Community,
        post: &Post,
    ) -> Result<()> {
        if !c.row.local {
            return Err(Error::Forbidden("not_moderator"));
        }
        let role = store::role_of(&self.core, c, moderator.id).await?;
        if !role.is_some_and(Role::moderates) {
            return Err(Error::Forbidden("not_moderator"));
        }
        match store::post_link(&self.core, post.id).await? {
            Some(l) if l.community_id == c.id() => {}
            _ => return Err(Error::NotFound),
        }
        posts::mark_deleted(&self.core, post.id).await?;
        let delete = json!({
            "@context": AS_CONTEXT,
            "id": new_id(&self.core.config.public_url, "delete"),
            "type": "Delete",
            "actor": c.actor.ap_id,
            "to": [PUBLIC],
            "audience": c.actor.ap_id,
            "object": post.ap_id,
        });
        self.relay(c, &delete, None).await
    }

    /// Relays a received activity about a post of a local community (a like, a deletion by
    /// its author) to the community's members.
    pub async fn relay_if_in_local_community(&self, post_id: i64, activity: &Value) -> Result<()> {
        if let Some(link) = store::post_link(&self.core, post_id).await? {
            if let Some(c) = store::find(&self.core, link.community_id).await? {
                if c.row.local {
                    self.relay(&c, activity, None).await?;
                }
            }
        }
        Ok(())
    }

    /// Joins a community (a `Follow` of the group); refused when banned. An invitation (a
    /// link's secret, or one recorded for this person) admits at once to a private or
    /// invite-only community here; without one, invite-only communities refuse.
    pub async fn join(
        &self,
        person: &Actor,
        c: &Community,
        invite: Option<&str>,
    ) -> Result<crate::follows::FollowState> {
        if store::is_banned(&self.core, c, person.id).await? {
            return Err(Error::Forbidden("banned"));
        }
        if c.row.local
            && !c.is_public()
            && store::role_of(&self.core, c, person.id).await?.is_none()
        {
            let by_link = match invite {
                Some(secret) => moderation::use_invite_link(&self.core, c, secret).await?,
                None => false,
            };
            if invite.is_some() && !by_link {
                return Err(Error::invalid("invite", "token_invalid"));
            }
            let invited =
                by_link || moderation::consume_invitation(&self.core, c, person.id).await?;
            if invited {
                let id = new_id(&self.core.config.public_url, "follow");
                kogi_core::follows::upsert(
                    &self.core,
                    person.id,
                    c.actor.id,
                    &id,
                    kogi_core::follows::ACCEPTED,
                )
                .await?;
                return Ok(crate::follows::FollowState::Following);
            }
            if c.visibility() == Visibility::Invite {
                return Err(Error::Forbidden("invite_only"));
            }
        }
        kogi_core::follows::actions::follow(&self.core, person, &c.actor).await
    }

    /// A local member reports a post to the community's moderators (here, or as a `Flag` to
    /// a remote group).
    pub async fn report_post(
        &self,
        reporter: &Actor,
        c: &Community,
        post: &Post,
        reason: &str,
    ) -> Result<()> {
        let id = new_id(&self.core.config.public_url, "flag");
        if c.row.local {
            moderation::report(&self.core, c, reporter.id, Some(post.id), reason, &id).await?;
            return Ok(());
        }
        let flag = json!({"@context": AS_CONTEXT, "id": id, "type": "Flag", "actor": reporter.ap_id,
            "object": [post.ap_id], "to": [c.actor.ap_id], "audience": c.actor.ap_id, "summary": reason});
        self.enqueue(&flag, reporter.id, std::slice::from_ref(&c.actor.inbox_url))
            .await?;
        Ok(())
    }

    /// Invites a remote person to a local community: remembered, and sent as `Invite`; their
    /// `Follow` is then accepted whatever the community's visibility.
    pub async fn invite(&self, by: &Actor, c: &Community, invitee: &Actor) -> Result<()> {
        moderation::invite_actor(&self.core, c, by, invitee.id).await?;
        if !invitee.local {
            let invite = json!({"@context": AS_CONTEXT, "id": new_id(&self.core.config.public_url, "invite"),
                "type": "Invite", "actor": c.actor.ap_id, "object": c.actor.ap_id, "target": invitee.ap_id,
                "to": [invitee.ap_id]});
            self.enqueue(
                &invite,
                c.actor.id,
                std::slice::from_ref(&invitee.inbox_url),
            )
            .await?;
        } else {
            posts::notify(&self.core, invitee.id, "community_invite", c.actor.id, None).await?;
        }
        Ok(())
    }
}
