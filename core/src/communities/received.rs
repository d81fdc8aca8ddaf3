//! What local communities receive from other servers, each applied in ONE transaction with
//! the group's relay as an outbox event and the activity id recorded as seen: a member's
//! thread or comment, a vote in a local poll, a chat message; and the group's `Reject` of
//! what it refuses.

use super::manage::Placement;
use super::moderation::{may_vote, vote_in};
use super::queries::{is_banned_in, post_link_in, role_of_in};
use super::Community;
use crate::db;
use crate::error::{Error, Result};
use crate::outbox::{self, DomainEvent};
use crate::posts::received::{receive_post_in, ReceivedPost};
use crate::posts::Post;
use crate::Core;

/// A member's thread or comment from another server in a local community, in ONE
/// transaction: the post stored with its notifications, linked to the community, the
/// group's relay to its members queued (`Relayed`, the received `activity` kept as it came,
/// and for a new thread its `object` too, for servers that ignore announced activities),
/// and the activity id recorded as seen. The caller checked the sender may post there.
pub async fn receive_post(
    core: &Core,
    c: &Community,
    received: ReceivedPost,
    place: Placement,
    activity: String,
    object: String,
    activity_id: &str,
) -> Result<Post> {
    let (cid, gid, activity_id) = (c.id(), c.actor.id, activity_id.to_string());
    let post = db::tx(&core.db, move |conn| {
        let (post, _) = receive_post_in(conn, &received)?;
        let new_thread =
            matches!(place, Placement::Thread { .. }) && post_link_in(conn, post.id)?.is_none();
        place.link_in(conn, cid, post.id)?;
        outbox::apply_fails("receive_community_post")?;
        let ev = DomainEvent::Relayed {
            community_id: cid,
            activity,
            object: new_thread.then_some(object),
        };
        outbox::record(conn, gid, &ev)?;
        crate::inbox::mark_done_in(conn, &activity_id)?;
        Ok(post)
    })
    .await?;
    outbox::committed(core, "receive_community_post");
    Ok(post)
}

/// A post a remote group relayed (or its outbox listed), stored as this instance's copy of
/// the group's content in ONE transaction: the post with its notifications and, when it is
/// not placed yet, its place in the community. Nothing is sent.
pub async fn store_relayed(
    core: &Core,
    c: &Community,
    received: ReceivedPost,
    place: Option<Placement>,
) -> Result<Post> {
    let cid = c.id();
    db::tx(&core.db, move |conn| {
        let (post, _) = receive_post_in(conn, &received)?;
        if let Some(place) = &place {
            if post_link_in(conn, post.id)?.is_none() {
                place.link_in(conn, cid, post.id)?;
            }
        }
        Ok(post)
    })
    .await
}

/// A vote from another server in a local poll (`Create(Note)` named after the choice), in
/// ONE transaction: counted, the community's members' servers told the new counts, and the
/// activity id recorded as seen. False for a repeat. The voter's right to vote is checked
/// here too ([`may_vote`]).
pub async fn receive_vote(
    core: &Core,
    poll: &Post,
    voter_id: i64,
    choice: &str,
    vote_ap_id: &str,
    activity_id: &str,
) -> Result<bool> {
    let checked = may_vote(core, poll, voter_id).await?;
    if !checked.options.iter().any(|o| o.name == choice) {
        return Err(Error::invalid("choice", "unknown_choice"));
    }
    let (pid, author) = (poll.id, poll.author_id);
    let (choice, vote_ap_id, activity_id) = (
        choice.to_string(),
        vote_ap_id.to_string(),
        activity_id.to_string(),
    );
    let counted = db::tx(&core.db, move |conn| {
        let counted = vote_in(conn, pid, checked, voter_id, &choice, &vote_ap_id)?;
        outbox::apply_fails("receive_vote")?;
        if counted && post_link_in(conn, pid)?.is_some() {
            outbox::record(conn, author, &DomainEvent::PollUpdated { post_id: pid })?;
        }
        crate::inbox::mark_done_in(conn, &activity_id)?;
        Ok(counted)
    })
    .await?;
    if counted {
        outbox::committed(core, "receive_vote");
    }
    Ok(counted)
}

/// A chat message a member on another server sent to a local group, in ONE transaction:
/// stored, the group's forward to its members queued (the received `Create` kept as it came)
/// and the activity id recorded as seen; open chat pages hear of it once committed. `None`
/// for a repeat. The caller checked the message is the sender's.
pub async fn receive_chat(
    core: &Core,
    sender_id: i64,
    c: &Community,
    message_ap_id: &str,
    html: &str,
    activity: String,
    activity_id: &str,
) -> Result<Option<super::chat::ChatMessage>> {
    let (cid, gid) = (c.id(), c.actor.id);
    let (ap_id, html, activity_id) = (
        message_ap_id.to_string(),
        html.to_string(),
        activity_id.to_string(),
    );
    let msg = db::tx(&core.db, move |conn| {
        if is_banned_in(conn, cid, sender_id)? || role_of_in(conn, cid, gid, sender_id)?.is_none() {
            return Err(Error::Forbidden("members_only"));
        }
        let msg = super::chat::post_in(conn, cid, sender_id, &ap_id, &html)?;
        if msg.is_some() {
            let ev = DomainEvent::ChatRelayed {
                community_id: cid,
                activity,
            };
            outbox::record(conn, gid, &ev)?;
        }
        crate::inbox::mark_done_in(conn, &activity_id)?;
        Ok(msg)
    })
    .await?;
    if let Some(m) = &msg {
        outbox::committed(core, "receive_chat");
        super::chat::pushed(core, m).await;
    }
    Ok(msg)
}

/// A local group answers a remote member's refused activity with `Reject` (through the
/// outbox; nothing else is written).
pub async fn reject_activity(
    core: &Core,
    c: &Community,
    sender_id: i64,
    activity_ap_id: &str,
) -> Result<()> {
    let (cid, gid, activity_ap_id) = (c.id(), c.actor.id, activity_ap_id.to_string());
    db::tx(&core.db, move |conn| {
        let ev = DomainEvent::ActivityRejected {
            community_id: cid,
            sender_id,
            activity_ap_id,
        };
        outbox::record(conn, gid, &ev).map(|_| ())
    })
    .await?;
    outbox::committed(core, "reject_activity");
    Ok(())
}
