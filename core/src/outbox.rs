//! The transactional outbox. A use case records what happened as a [`DomainEvent`] in the same
//! transaction as its writes (so a crash either loses both or keeps both); the publisher in
//! kogi-federation later turns each unpublished event into its activity and delivery rows.
//! Core never builds ActivityPub JSON: an event names rows, the publisher reads them.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::{Conn, DbPool};
use crate::error::{Error, Result};
use crate::schema::outbox_events;
use crate::{now, with_conn};

/// Something a local actor did that other servers must hear about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum DomainEvent {
    /// A local post was published: the publisher sends its `Create`.
    PostPublished { post_id: i64 },
    /// A local actor asked to follow a remote one: the publisher sends the stored `Follow`.
    FollowRequested { follow_id: i64 },
    /// A local actor stopped following (or withdrew its request to) a remote one: `Undo`.
    FollowUndone {
        follower_id: i64,
        target_id: i64,
        follow_ap_id: String,
    },
    /// A local actor answered a remote actor's Follow: `Accept` or `Reject`.
    FollowAnswered {
        target_id: i64,
        follower_id: i64,
        follow_ap_id: String,
        accepted: bool,
    },
    /// A local actor blocked a remote one: `Block`, to the blocked actor's server.
    BlockAdded {
        actor_id: i64,
        target_id: i64,
        block_ap_id: String,
    },
    /// A local actor lifted its block of a remote one: `Undo` of the `Block`.
    BlockUndone {
        actor_id: i64,
        target_id: i64,
        block_ap_id: String,
    },
    /// A local actor liked or boosted a post (`kind` is `posts::LIKE` or `posts::ANNOUNCE`):
    /// `Like` or `Announce` with the reaction's own id.
    ReactionAdded {
        post_id: i64,
        kind: String,
        reaction_ap_id: String,
    },
    /// A local actor took back a like or boost: `Undo` of it.
    ReactionUndone {
        post_id: i64,
        kind: String,
        reaction_ap_id: String,
    },
    /// A local post's text changed: `Update` with the new object.
    PostEdited { post_id: i64 },
    /// A local post was deleted: `Delete` with a `Tombstone`, to everyone who received it.
    PostDeleted { post_id: i64 },
    /// A local community relays an activity it received (verified, stored as received) to
    /// its members: `Announce` of it by the group. The event's actor is the community's.
    /// For a new thread, `object` is its object as received, announced on its own too for
    /// servers that ignore announced activities.
    Relayed {
        community_id: i64,
        activity: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        object: Option<String>,
    },
    /// A local actor's profile (a person's or a community's) changed: `Update` with its
    /// current document, to its followers. Several in one round collapse into one.
    ActorUpdated { actor_id: i64 },
    /// A local person posted a thread or comment in a community: `Create`, relayed by a
    /// local group (and the thread announced itself), or sent to a remote group's inbox.
    CommunityPostPublished { post_id: i64, community_id: i64 },
    /// Local votes changed a local poll of a community: `Update` of the `Question` with the
    /// new counts, relayed by the group. The event's actor is the poll's author.
    PollUpdated { post_id: i64 },
    /// A local person voted in a remote poll: `Create` of a `Note` named after the choice,
    /// to the poll's author only.
    VoteSent {
        post_id: i64,
        choice: String,
        vote_ap_id: String,
    },
    /// A local member wrote in a community's chat: the group forwards it to its members, or
    /// it goes to a remote group's inbox.
    ChatPosted { message_id: i64, community_id: i64 },
    /// A local group forwards a chat message a member on another server sent it: `Announce`
    /// of the received `Create` (kept as received), to its members' inboxes only.
    ChatRelayed { community_id: i64, activity: String },
    /// A local group refused a remote member's activity (a comment on a locked thread):
    /// `Reject` of it, to the sender, so their server can show it was not accepted.
    ActivityRejected {
        community_id: i64,
        sender_id: i64,
        activity_ap_id: String,
    },
    /// A moderator pinned or unpinned a thread of a local community (an announcement is a
    /// pin that notifies): `Add`/`Remove` on the featured collection, relayed by the group.
    PinChanged {
        community_id: i64,
        post_id: i64,
        by_id: i64,
        pinned: bool,
        announcement: bool,
    },
    /// A moderator locked or unlocked a thread: `Lock` or `Undo(Lock)`, relayed.
    LockChanged {
        community_id: i64,
        post_id: i64,
        by_id: i64,
        locked: bool,
    },
    /// A member became a moderator or a member again: `Add`/`Remove` on the moderators
    /// collection, relayed.
    ModeratorChanged {
        community_id: i64,
        by_id: i64,
        member_id: i64,
        moderator: bool,
    },
    /// A remote member was removed or banned: `Reject` of their `Follow`, to their inbox.
    MemberRemoved {
        community_id: i64,
        member_id: i64,
        follow_ap_id: String,
    },
    /// A moderator removed a post: the group's `Delete`, to its members.
    CommunityPostRemoved { community_id: i64, post_id: i64 },
    /// A remote person was invited to a local community: the group's `Invite`.
    InviteSent { community_id: i64, invitee_id: i64 },
    /// A local member reported a post to a remote community: `Flag` to the group.
    PostReported {
        community_id: i64,
        post_id: i64,
        flag_ap_id: String,
        reason: String,
    },
    /// A local portfolio item's copy left the instance or changed: `Create` (`created`: the
    /// first time followers get it, or again after it was withdrawn) or `Update` of the
    /// item's `Article`, to the portfolio's followers. The event's actor is the portfolio's.
    ItemPublished { item_id: i64, created: bool },
    /// A local item's copy was withdrawn (no longer for followers) or the item deleted:
    /// `Delete` of its `Tombstone`, to the portfolio's followers.
    ItemWithdrawn { item_ap_id: String },
    /// A project update for followers: `Create` of the `Note` naming its project.
    ProjectUpdatePosted { post_id: i64, project_id: i64 },
    /// A local actor (a person's account, a portfolio) was deleted: `Delete` of the actor to
    /// every known server and to its followers' inboxes (listed here: its follows may be gone
    /// by the time the event is published).
    ActorDeleted {
        actor_id: i64,
        follower_inboxes: Vec<String>,
    },
}

impl DomainEvent {
    pub fn kind(&self) -> &'static str {
        match self {
            DomainEvent::PostPublished { .. } => "post_published",
            DomainEvent::FollowRequested { .. } => "follow_requested",
            DomainEvent::FollowUndone { .. } => "follow_undone",
            DomainEvent::FollowAnswered { .. } => "follow_answered",
            DomainEvent::BlockAdded { .. } => "block_added",
            DomainEvent::BlockUndone { .. } => "block_undone",
            DomainEvent::ReactionAdded { .. } => "reaction_added",
            DomainEvent::ReactionUndone { .. } => "reaction_undone",
            DomainEvent::PostEdited { .. } => "post_edited",
            DomainEvent::PostDeleted { .. } => "post_deleted",
            DomainEvent::Relayed { .. } => "relayed",
            DomainEvent::ActorUpdated { .. } => "actor_updated",
            DomainEvent::CommunityPostPublished { .. } => "community_post_published",
            DomainEvent::PollUpdated { .. } => "poll_updated",
            DomainEvent::VoteSent { .. } => "vote_sent",
            DomainEvent::ChatPosted { .. } => "chat_posted",
            DomainEvent::ChatRelayed { .. } => "chat_relayed",
            DomainEvent::ActivityRejected { .. } => "activity_rejected",
            DomainEvent::PinChanged { .. } => "pin_changed",
            DomainEvent::LockChanged { .. } => "lock_changed",
            DomainEvent::ModeratorChanged { .. } => "moderator_changed",
            DomainEvent::MemberRemoved { .. } => "member_removed",
            DomainEvent::CommunityPostRemoved { .. } => "community_post_removed",
            DomainEvent::InviteSent { .. } => "invite_sent",
            DomainEvent::PostReported { .. } => "post_reported",
            DomainEvent::ItemPublished { .. } => "item_published",
            DomainEvent::ItemWithdrawn { .. } => "item_withdrawn",
            DomainEvent::ProjectUpdatePosted { .. } => "project_update_posted",
            DomainEvent::ActorDeleted { .. } => "actor_deleted",
        }
    }
}

/// An event as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox_events)]
pub struct OutboxEvent {
    pub id: i64,
    pub kind: String,
    pub actor_id: i64,
    pub payload: String,
    pub created_at: NaiveDateTime,
    pub published_at: Option<NaiveDateTime>,
}

impl OutboxEvent {
    pub fn event(&self) -> Result<DomainEvent> {
        serde_json::from_str(&self.payload)
            .map_err(|e| Error::Internal(format!("outbox event {}: {e}", self.id)))
    }
}

/// Records `event` for `actor_id` (the local actor it is sent as). Call it inside the use
/// case's transaction.
pub fn record(conn: &mut Conn, actor_id: i64, event: &DomainEvent) -> Result<i64> {
    let payload = serde_json::to_string(event).map_err(|e| Error::Internal(e.to_string()))?;
    let t = now();
    let kind = event.kind();
    with_conn!(conn, |c| {
        Ok(diesel::insert_into(outbox_events::table)
            .values((
                outbox_events::kind.eq(kind),
                outbox_events::actor_id.eq(actor_id),
                outbox_events::payload.eq(&payload),
                outbox_events::created_at.eq(t),
            ))
            .returning(outbox_events::id)
            .get_result(c)?)
    })
}

/// Records that a local actor's profile changed ([`DomainEvent::ActorUpdated`]), inside the
/// edit's transaction.
pub fn actor_updated(conn: &mut Conn, actor_id: i64) -> Result<()> {
    record(conn, actor_id, &DomainEvent::ActorUpdated { actor_id }).map(|_| ())
}

/// Records that a local actor was deleted ([`DomainEvent::ActorDeleted`]), inside the
/// deletion's transaction and before its follows go.
pub fn actor_deleted(conn: &mut Conn, actor_id: i64) -> Result<()> {
    let follower_inboxes = crate::follows::follower_inboxes_in(conn, actor_id)?;
    let event = DomainEvent::ActorDeleted {
        actor_id,
        follower_inboxes,
    };
    record(conn, actor_id, &event).map(|_| ())
}

/// The oldest unpublished events, in id order (so one actor's events stay in order).
pub fn unpublished(conn: &mut Conn, limit: i64) -> Result<Vec<OutboxEvent>> {
    with_conn!(conn, |c| {
        Ok(outbox_events::table
            .filter(outbox_events::published_at.is_null())
            .order(outbox_events::id.asc())
            .limit(limit)
            .select(OutboxEvent::as_select())
            .load(c)?)
    })
}

/// Marks an event published; false when it already was (another publisher got there first:
/// the caller then queues nothing for it).
pub fn mark_published(conn: &mut Conn, id: i64) -> Result<bool> {
    let t = now();
    with_conn!(conn, |c| {
        let n = diesel::update(
            outbox_events::table
                .find(id)
                .filter(outbox_events::published_at.is_null()),
        )
        .set(outbox_events::published_at.eq(Some(t)))
        .execute(c)?;
        Ok(n == 1)
    })
}

/// How many events wait to be published (for `/metrics`).
pub async fn unpublished_count(pool: &DbPool) -> Result<i64> {
    crate::db::run(pool, |conn| {
        with_conn!(conn, |c| {
            Ok(outbox_events::table
                .filter(outbox_events::published_at.is_null())
                .count()
                .get_result(c)?)
        })
    })
    .await
}

/// Test fail points, read from `KOGI_TEST_FAILPOINT` (a comma-separated list) in debug builds
/// only; release builds never read it, so no configuration can trigger them in production.
/// Each names a use case: `after_commit:<use case>` kills the process (SIGKILL) right after
/// that use case committed, before the publisher ran; `apply_fails:<use case>` makes it fail
/// inside its transaction after its first writes, so nothing of it may remain. Use cases:
/// `publish_post`, `receive_follow`, `follow`, `react`, `receive_reaction`, `delete_post`.
#[cfg(debug_assertions)]
pub fn failpoint(name: &str) -> bool {
    std::env::var("KOGI_TEST_FAILPOINT").is_ok_and(|v| v.split(',').any(|p| p.trim() == name))
}

#[cfg(not(debug_assertions))]
pub fn failpoint(_name: &str) -> bool {
    false
}

/// Called by a use case right after its transaction committed.
pub fn after_commit(use_case: &str) {
    if failpoint(&format!("after_commit:{use_case}")) {
        tracing::error!(use_case, "fail point after_commit: killing the process");
        // SIGKILL, as a crash or the OOM killer would: no destructor, no flush. (`kill` the
        // command, since the workspace forbids `unsafe`; abort if it is missing.)
        let _ = std::process::Command::new("kill")
            .args(["-KILL", &std::process::id().to_string()])
            .status();
        std::process::abort();
    }
}

/// Called by every use case right after its transaction committed: the test fail point, then
/// the publisher is woken.
pub fn committed(core: &crate::Core, use_case: &str) {
    after_commit(use_case);
    core.live.outbox().notify_one();
}

/// Called by a use case inside its transaction after its first writes.
pub fn apply_fails(use_case: &str) -> Result<()> {
    if failpoint(&format!("apply_fails:{use_case}")) {
        return Err(Error::Internal(format!(
            "fail point apply_fails:{use_case}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_tagged() {
        let e = DomainEvent::PostPublished { post_id: 7 };
        let s = serde_json::to_string(&e).unwrap_or_default();
        assert_eq!(s, r#"{"type":"PostPublished","post_id":7}"#);
        assert_eq!(serde_json::from_str::<DomainEvent>(&s).ok(), Some(e));
    }
}
