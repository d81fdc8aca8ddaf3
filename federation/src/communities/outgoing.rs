//! What a community's outbox events become: the moderators' `Add`, `Remove`, `Lock` and
//! `Delete` relayed by the group (as Lemmy sends them), the `Reject` a removed member's
//! server hears, the group's `Invite`, and a member's `Flag` to a remote group.

use kogi_core::accounts::Actor;
use kogi_core::communities::{store, Community};
use kogi_core::outbox::DomainEvent;
use kogi_core::Result;
use serde_json::{json, Value};

use crate::delivery::Federation;
use crate::outbox::Outgoing;
use crate::vocab::{AS_CONTEXT, KOGI_NS, PUBLIC};
use kogi_core::ids::activity as new_id;

/// `Add` or `Remove` of `object` on one of a local group's collections (`target`), by `by`,
/// addressed as Lemmy addresses it; the group relays it.
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

/// `Lock` of a thread by `by`, or its `Undo`.
fn lock(base: &str, by: &Actor, c: &Community, post_ap_id: &str, locked: bool) -> Value {
    let lock = json!({
        "id": new_id(base, "lock"),
        "type": "Lock",
        "actor": by.ap_id,
        "to": [c.actor.ap_id],
        "cc": [c.actor.followers_url],
        "audience": c.actor.ap_id,
        "object": post_ap_id,
    });
    if locked {
        return lock;
    }
    json!({"id": new_id(base, "undo"), "type": "Undo", "actor": by.ap_id,
        "to": [c.actor.ap_id], "cc": [c.actor.followers_url], "audience": c.actor.ap_id,
        "object": lock})
}

/// The community of a community event.
fn community_of(event: &DomainEvent) -> Option<i64> {
    match event {
        DomainEvent::PinChanged { community_id, .. }
        | DomainEvent::LockChanged { community_id, .. }
        | DomainEvent::ModeratorChanged { community_id, .. }
        | DomainEvent::MemberRemoved { community_id, .. }
        | DomainEvent::CommunityPostRemoved { community_id, .. }
        | DomainEvent::InviteSent { community_id, .. }
        | DomainEvent::PostReported { community_id, .. }
        | DomainEvent::ActivityRejected { community_id, .. } => Some(*community_id),
        _ => None,
    }
}

impl Federation {
    /// The activities of a community event (`actor_id` is the event's actor: the group, or
    /// the reporting member for `PostReported`). Nothing when what it names is gone.
    pub(crate) async fn community_activities(
        &self,
        actor_id: i64,
        event: &DomainEvent,
    ) -> Result<Vec<Outgoing>> {
        let Some(cid) = community_of(event) else {
            return Ok(Vec::new());
        };
        let Some(c) = store::find(&self.core, cid).await? else {
            return Ok(Vec::new());
        };
        let base = self.core.config.public_url.clone();
        let actor = |id: i64| kogi_core::actors::find_by_id(&self.core, id);
        let post = |id: i64| kogi_core::posts::find(&self.core, id);
        let to = |activity: Value, actor_id: i64, inbox: &str| {
            vec![Outgoing {
                activity,
                actor_id,
                inboxes: vec![inbox.to_string()],
            }]
        };
        match event {
            DomainEvent::PinChanged {
                post_id,
                by_id,
                pinned,
                announcement,
                ..
            } => {
                let (Some(by), Some(p)) = (actor(*by_id).await?, post(*post_id).await?) else {
                    return Ok(Vec::new());
                };
                let featured = &c.row.featured_url;
                let mut activity = collection_change(&base, &by, &c, *pinned, &p.ap_id, featured);
                activity["kogi:announcement"] = json!(announcement);
                self.relayed(&c, &activity, None).await
            }
            DomainEvent::LockChanged {
                post_id,
                by_id,
                locked,
                ..
            } => {
                let (Some(by), Some(p)) = (actor(*by_id).await?, post(*post_id).await?) else {
                    return Ok(Vec::new());
                };
                let activity = lock(&base, &by, &c, &p.ap_id, *locked);
                self.relayed(&c, &activity, None).await
            }
            DomainEvent::ModeratorChanged {
                by_id,
                member_id,
                moderator,
                ..
            } => {
                let (Some(by), Some(who)) = (actor(*by_id).await?, actor(*member_id).await?) else {
                    return Ok(Vec::new());
                };
                let mods = &c.row.moderators_url;
                let activity = collection_change(&base, &by, &c, *moderator, &who.ap_id, mods);
                self.relayed(&c, &activity, None).await
            }
            DomainEvent::MemberRemoved {
                member_id,
                follow_ap_id,
                ..
            } => {
                let Some(who) = actor(*member_id).await? else {
                    return Ok(Vec::new());
                };
                let reject = crate::follows::activities::answer(
                    "Reject",
                    &base,
                    &c.actor.ap_id,
                    follow_ap_id,
                    &who.ap_id,
                );
                Ok(to(reject, c.actor.id, &who.inbox_url))
            }
            DomainEvent::CommunityPostRemoved { post_id, .. } => {
                let Some(p) = post(*post_id).await? else {
                    return Ok(Vec::new());
                };
                let delete = json!({
                    "@context": AS_CONTEXT,
                    "id": new_id(&base, "delete"),
                    "type": "Delete",
                    "actor": c.actor.ap_id,
                    "to": [PUBLIC],
                    "audience": c.actor.ap_id,
                    "object": p.ap_id,
                });
                self.relayed(&c, &delete, None).await
            }
            DomainEvent::InviteSent { invitee_id, .. } => {
                let Some(invitee) = actor(*invitee_id).await? else {
                    return Ok(Vec::new());
                };
                let invite = json!({"@context": AS_CONTEXT, "id": new_id(&base, "invite"),
                    "type": "Invite", "actor": c.actor.ap_id, "object": c.actor.ap_id,
                    "target": invitee.ap_id, "to": [invitee.ap_id]});
                Ok(to(invite, c.actor.id, &invitee.inbox_url))
            }
            DomainEvent::PostReported {
                post_id,
                flag_ap_id,
                reason,
                ..
            } => {
                let (Some(reporter), Some(p)) = (actor(actor_id).await?, post(*post_id).await?)
                else {
                    return Ok(Vec::new());
                };
                let flag = json!({"@context": AS_CONTEXT, "id": flag_ap_id, "type": "Flag",
                    "actor": reporter.ap_id, "object": [p.ap_id], "to": [c.actor.ap_id],
                    "audience": c.actor.ap_id, "summary": reason});
                Ok(to(flag, actor_id, &c.actor.inbox_url))
            }
            DomainEvent::ActivityRejected {
                sender_id,
                activity_ap_id,
                ..
            } => {
                let Some(sender) = actor(*sender_id).await? else {
                    return Ok(Vec::new());
                };
                let reject = json!({"@context": AS_CONTEXT, "id": new_id(&base, "reject"),
                    "type": "Reject", "actor": c.actor.ap_id, "to": [sender.ap_id],
                    "object": activity_ap_id});
                Ok(to(reject, c.actor.id, &sender.inbox_url))
            }
            _ => Ok(Vec::new()),
        }
    }
}
