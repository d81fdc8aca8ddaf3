//! The moderators' and members' use cases of a community, each ONE transaction: its checks,
//! its writes, its notifications and the outbox event the publisher turns into the `Add`,
//! `Remove`, `Lock`, `Delete`, `Reject`, `Invite` or `Flag` other servers hear.

use diesel::prelude::*;

use super::actions::{ban_in, link_post_in, set_locked_in, set_role_in};
use super::moderation::{
    consume_invitation_in, invite_actor_in, may_vote, record_remote_vote_in, set_pinned_in,
    use_invite_link_in, vote_in, voted_in,
};
use super::queries::{is_banned_in, post_link_in, role_of_in};
use super::{Community, Role, Visibility};
use crate::accounts::Actor;
use crate::db::{self, Conn};
use crate::error::{Error, Result};
use crate::follows::actions::FollowState;
use crate::outbox::{self, DomainEvent};
use crate::posts::actions::{find_in as find_post_in, mark_deleted_in, notify_in};
use crate::posts::{NewPost, Post};
use crate::schema::{accounts, actors, follows};
use crate::{ids, with_conn, Core};

pub use super::received::{receive_chat, receive_vote, reject_activity};

/// The local accounts' actors among a community's members.
fn local_member_ids_in(conn: &mut Conn, group_actor_id: i64) -> Result<Vec<i64>> {
    with_conn!(conn, |c| {
        Ok(follows::table
            .inner_join(actors::table.on(actors::id.eq(follows::follower_id)))
            .inner_join(accounts::table.on(accounts::actor_id.eq(actors::id)))
            .filter(follows::target_id.eq(group_actor_id))
            .filter(follows::state.eq(crate::follows::ACCEPTED))
            .select(actors::id)
            .load(c)?)
    })
}

/// The post `post_id` belongs to community `community_id` (as a thread or a comment)?
fn in_community_in(conn: &mut Conn, community_id: i64, post_id: i64) -> Result<bool> {
    Ok(post_link_in(conn, post_id)?.is_some_and(|l| l.community_id == community_id))
}

/// Pins or unpins a thread of a local community. An announcement is a pin that also notifies
/// every local member; the `PinChanged` event tells the members' servers.
pub async fn set_pinned(
    core: &Core,
    by: &Actor,
    c: &Community,
    post_id: i64,
    pinned: bool,
    announcement: bool,
) -> Result<()> {
    let pinned = pinned || announcement;
    let (cid, gid, by_id) = (c.id(), c.actor.id, by.id);
    db::tx(&core.db, move |conn| {
        if !in_community_in(conn, cid, post_id)? {
            return Err(Error::NotFound);
        }
        set_pinned_in(conn, post_id, pinned)?;
        if announcement {
            for member in local_member_ids_in(conn, gid)? {
                notify_in(conn, member, "announcement", gid, Some(post_id))?;
            }
        }
        outbox::apply_fails("set_pinned")?;
        let ev = DomainEvent::PinChanged {
            community_id: cid,
            post_id,
            by_id,
            pinned,
            announcement,
        };
        outbox::record(conn, gid, &ev)
    })
    .await?;
    outbox::committed(core, "set_pinned");
    Ok(())
}

/// Locks or unlocks a thread of a local community (`Lock` or `Undo(Lock)` to its members).
pub async fn set_locked(
    core: &Core,
    by: &Actor,
    c: &Community,
    post_id: i64,
    locked: bool,
) -> Result<()> {
    let (cid, gid, by_id) = (c.id(), c.actor.id, by.id);
    db::tx(&core.db, move |conn| {
        if !in_community_in(conn, cid, post_id)? {
            return Err(Error::NotFound);
        }
        set_locked_in(conn, post_id, locked)?;
        let ev = DomainEvent::LockChanged {
            community_id: cid,
            post_id,
            by_id,
            locked,
        };
        outbox::record(conn, gid, &ev)
    })
    .await?;
    outbox::committed(core, "set_locked");
    Ok(())
}

/// Makes a member a moderator, or a moderator a member again; when the role changed, the
/// members' servers hear `Add` or `Remove` on the moderators collection.
pub async fn change_moderator(
    core: &Core,
    by: &Actor,
    c: &Community,
    who: &Actor,
    moderator: bool,
) -> Result<()> {
    let (cid, gid, by_id, who_id) = (c.id(), c.actor.id, by.id, who.id);
    let changed = db::tx(&core.db, move |conn| {
        let before = role_of_in(conn, cid, gid, who_id)?;
        let role = if moderator {
            Role::Moderator
        } else {
            Role::Member
        };
        set_role_in(conn, cid, who_id, Some(role))?;
        if before.is_some_and(Role::moderates) == moderator {
            return Ok(false);
        }
        let ev = DomainEvent::ModeratorChanged {
            community_id: cid,
            by_id,
            member_id: who_id,
            moderator,
        };
        outbox::record(conn, gid, &ev)?;
        Ok(true)
    })
    .await?;
    if changed {
        outbox::committed(core, "change_moderator");
    }
    Ok(())
}

/// Ends someone's membership: removed (false when they were no member) or banned with a
/// reason. A remote member's server hears `Reject` of their `Follow`, as Mastodon sends when
/// it removes a follower.
pub async fn remove_member(
    core: &Core,
    c: &Community,
    who: &Actor,
    ban: Option<&str>,
) -> Result<bool> {
    let (cid, gid, who_id, remote) = (c.id(), c.actor.id, who.id, !who.local);
    let ban = ban.map(str::to_string);
    let removed = db::tx(&core.db, move |conn| {
        let follow = crate::follows::find_in(conn, who_id, gid)?;
        match &ban {
            Some(reason) => ban_in(conn, cid, gid, who_id, reason)?,
            None => {
                if follow.is_none() {
                    return Ok(false);
                }
                set_role_in(conn, cid, who_id, None)?;
                crate::follows::remove_in(conn, who_id, gid)?;
            }
        }
        outbox::apply_fails("remove_member")?;
        if let (Some(f), true) = (follow, remote) {
            let ev = DomainEvent::MemberRemoved {
                community_id: cid,
                member_id: who_id,
                follow_ap_id: f.ap_id,
            };
            outbox::record(conn, gid, &ev)?;
        }
        Ok(true)
    })
    .await?;
    if removed {
        outbox::committed(core, "remove_member");
    }
    Ok(removed)
}

/// A moderator of a local community removes a thread or comment: deleted here, and the
/// group's `Delete` reaches its members.
pub async fn remove_post(
    core: &Core,
    moderator: &Actor,
    c: &Community,
    post_id: i64,
) -> Result<()> {
    if !c.row.local {
        return Err(Error::Forbidden("not_moderator"));
    }
    let (cid, gid, mid) = (c.id(), c.actor.id, moderator.id);
    db::tx(&core.db, move |conn| {
        if !role_of_in(conn, cid, gid, mid)?.is_some_and(Role::moderates) {
            return Err(Error::Forbidden("not_moderator"));
        }
        if !in_community_in(conn, cid, post_id)? {
            return Err(Error::NotFound);
        }
        mark_deleted_in(conn, post_id)?;
        outbox::apply_fails("remove_post")?;
        let ev = DomainEvent::CommunityPostRemoved {
            community_id: cid,
            post_id,
        };
        outbox::record(conn, gid, &ev)
    })
    .await?;
    outbox::committed(core, "remove_post");
    Ok(())
}

/// Invites a person to a local community: remembered (their `Follow` is then accepted
/// whatever the community's visibility), notified here, or sent an `Invite` elsewhere.
pub async fn invite(core: &Core, by: &Actor, c: &Community, invitee: &Actor) -> Result<()> {
    let (cid, gid, by_id) = (c.id(), c.actor.id, by.id);
    let (invitee_id, local) = (invitee.id, invitee.local);
    db::tx(&core.db, move |conn| {
        invite_actor_in(conn, cid, by_id, invitee_id)?;
        if local {
            return notify_in(conn, invitee_id, "community_invite", gid, None);
        }
        let ev = DomainEvent::InviteSent {
            community_id: cid,
            invitee_id,
        };
        outbox::record(conn, gid, &ev)?;
        Ok(())
    })
    .await?;
    if !local {
        outbox::committed(core, "invite");
    }
    Ok(())
}

/// A local member reports a post to a community's moderators: filed here for a local
/// community, or sent as `Flag` to a remote group.
pub async fn report_post(
    core: &Core,
    reporter: &Actor,
    c: &Community,
    post_id: i64,
    reason: &str,
) -> Result<()> {
    let flag_ap_id = ids::activity(&core.config.public_url, "flag");
    if c.row.local {
        super::moderation::report(core, c, reporter.id, Some(post_id), reason, &flag_ap_id).await?;
        return Ok(());
    }
    let reason = crate::portfolios::rules::optional_text("reason", reason, 2000)?;
    let (cid, rid) = (c.id(), reporter.id);
    db::tx(&core.db, move |conn| {
        let ev = DomainEvent::PostReported {
            community_id: cid,
            post_id,
            flag_ap_id,
            reason,
        };
        outbox::record(conn, rid, &ev)
    })
    .await?;
    outbox::committed(core, "report_post");
    Ok(())
}

/// Joins a community (a `Follow` of its group); refused when banned. An invitation (a link's
/// secret, or one recorded for this person) admits at once to a private or invite-only local
/// community, consumed in the same transaction as the membership; without one, invite-only
/// communities refuse and private ones take a request.
pub async fn join(
    core: &Core,
    person: &Actor,
    c: &Community,
    invite: Option<&str>,
) -> Result<FollowState> {
    let (cid, gid, pid) = (c.id(), c.actor.id, person.id);
    let restricted = c.row.local && !c.is_public();
    let invite_only = c.visibility() == Visibility::Invite;
    let invite = invite.map(str::to_string);
    let follow_ap_id = ids::activity(&core.config.public_url, "follow");
    let admitted = db::tx(&core.db, move |conn| {
        if is_banned_in(conn, cid, pid)? {
            return Err(Error::Forbidden("banned"));
        }
        if !restricted || role_of_in(conn, cid, gid, pid)?.is_some() {
            return Ok(false);
        }
        let by_link = match &invite {
            Some(secret) => use_invite_link_in(conn, cid, secret)?,
            None => false,
        };
        if invite.is_some() && !by_link {
            return Err(Error::invalid("invite", "token_invalid"));
        }
        if by_link || consume_invitation_in(conn, cid, pid)? {
            outbox::apply_fails("join_invited")?;
            crate::follows::upsert_in(conn, pid, gid, &follow_ap_id, crate::follows::ACCEPTED)?;
            return Ok(true);
        }
        if invite_only {
            return Err(Error::Forbidden("invite_only"));
        }
        Ok(false)
    })
    .await?;
    if admitted {
        return Ok(FollowState::Following);
    }
    crate::follows::actions::follow(core, person, &c.actor).await
}

/// Where a new post of a community goes.
#[derive(Debug, Clone)]
pub enum Placement {
    /// A thread, with its title.
    Thread { title: String },
    /// A comment under the thread `thread_post_id`.
    Comment { thread_post_id: i64 },
}

impl Placement {
    /// Places `post_id` in community `community_id`, inside the caller's transaction.
    pub fn link_in(&self, conn: &mut Conn, community_id: i64, post_id: i64) -> Result<()> {
        match self {
            Placement::Thread { title } => {
                link_post_in(conn, community_id, post_id, "thread", title, None)
            }
            Placement::Comment { thread_post_id } => link_post_in(
                conn,
                community_id,
                post_id,
                "comment",
                "",
                Some(*thread_post_id),
            ),
        }
    }
}

/// A local person's thread or comment in a community, in ONE transaction: the post, its
/// place in the community and the `CommunityPostPublished` event whose `Create` reaches the
/// members (a crash can no longer keep the post and lose its delivery). The caller checked
/// that the author may post here.
pub async fn publish_post(
    core: &Core,
    c: &Community,
    new: NewPost,
    placement: Placement,
) -> Result<Post> {
    let (cid, author) = (c.id(), new.author_id);
    let post = db::tx(&core.db, move |conn| {
        let (post, _) = crate::posts::upsert_in(conn, &new)?;
        placement.link_in(conn, cid, post.id)?;
        outbox::apply_fails("publish_in_community")?;
        let ev = DomainEvent::CommunityPostPublished {
            post_id: post.id,
            community_id: cid,
        };
        outbox::record(conn, author, &ev)?;
        find_post_in(conn, post.id)?.ok_or(Error::NotFound)
    })
    .await?;
    outbox::committed(core, "publish_in_community");
    Ok(post)
}

/// A local person votes in a poll, in ONE transaction: counted here for a local poll (and a
/// community's members' servers hear the new counts), or recorded and sent to a remote poll's
/// author only (never to the group or anyone else).
pub async fn vote(core: &Core, voter: &Actor, poll: &Post, choices: &[String]) -> Result<()> {
    let Some(p) = poll.poll() else {
        return Err(Error::invalid("poll", "not_a_poll"));
    };
    if choices.is_empty() || (!p.multiple && choices.len() > 1) {
        return Err(Error::invalid("choices", "choices_invalid"));
    }
    if choices
        .iter()
        .any(|c| !p.options.iter().any(|o| &o.name == c))
    {
        return Err(Error::invalid("choices", "unknown_choice"));
    }
    // The same rule as for votes arriving here.
    let checked = may_vote(core, poll, voter.id).await?;
    let votes: Vec<(String, String)> = choices
        .iter()
        .map(|c| (c.clone(), ids::activity(&core.config.public_url, "vote")))
        .collect();
    let (pid, author, local, vid) = (poll.id, poll.author_id, poll.local, voter.id);
    let sent = db::tx(&core.db, move |conn| {
        if local {
            let mut counted = false;
            for (choice, ap_id) in &votes {
                // The counts are recomputed from the votes, so the checked poll will do.
                counted |= vote_in(conn, pid, checked.clone(), vid, choice, ap_id)?;
            }
            let in_community = post_link_in(conn, pid)?.is_some();
            if counted && in_community {
                outbox::record(conn, author, &DomainEvent::PollUpdated { post_id: pid })?;
                return Ok(true);
            }
            return Ok(false);
        }
        if !voted_in(conn, pid, vid)?.is_empty() {
            return Err(Error::invalid("poll", "already_voted"));
        }
        for (choice, ap_id) in votes {
            record_remote_vote_in(conn, pid, vid, &choice, &ap_id)?;
            let ev = DomainEvent::VoteSent {
                post_id: pid,
                choice,
                vote_ap_id: ap_id,
            };
            outbox::record(conn, vid, &ev)?;
        }
        Ok(true)
    })
    .await?;
    if sent {
        outbox::committed(core, "vote");
    }
    Ok(())
}

/// A local member writes in a community's chat (here or on another server), in ONE
/// transaction with the `ChatPosted` event; open chat pages hear of it once committed.
pub async fn post_chat(
    core: &Core,
    author: &Actor,
    c: &Community,
    ap_id: &str,
    html: &str,
) -> Result<super::chat::ChatMessage> {
    let (cid, gid, aid) = (c.id(), c.actor.id, author.id);
    let (ap_id, html) = (ap_id.to_string(), html.to_string());
    let msg = db::tx(&core.db, move |conn| {
        if is_banned_in(conn, cid, aid)? {
            return Err(Error::Forbidden("banned"));
        }
        if role_of_in(conn, cid, gid, aid)?.is_none() {
            return Err(Error::Forbidden("members_only"));
        }
        let msg = super::chat::post_in(conn, cid, aid, &ap_id, &html)?
            .ok_or(Error::Internal("chat message not stored".into()))?;
        let ev = DomainEvent::ChatPosted {
            message_id: msg.id,
            community_id: cid,
        };
        outbox::record(conn, aid, &ev)?;
        Ok(msg)
    })
    .await?;
    outbox::committed(core, "post_chat");
    super::chat::pushed(core, &msg).await;
    Ok(msg)
}
