//! The follow use cases, each ONE transaction: its checks, its writes, its notification and
//! the outbox event the publisher turns into the `Follow`, `Undo`, `Accept` or `Reject`.
//! Whatever a use case needs from other servers (the remote actor) is fetched before.

use super::rules::{notification_kind, state_for};
use super::{find_in, remove_in, set_state_in, upsert_in, ACCEPTED, PENDING};
use crate::accounts::Actor;
use crate::communities::{self, Visibility};
use crate::db::{self, Conn};
use crate::error::{Error, Result};
use crate::outbox::{self, DomainEvent};
use crate::posts::actions::notify_in;
use crate::{blocks, ids, inbox, Core};

/// The result of asking to follow someone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FollowState {
    Following,
    Requested,
}

/// What an incoming Follow came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    Accepted,
    Pending,
    Rejected(&'static str),
}

/// `follower` (local) follows `target` (local or remote). A remote target gets a `Follow`
/// (through the outbox); a local one is followed at once, or asked when it approves
/// followers by hand.
pub async fn follow(core: &Core, follower: &Actor, target: &Actor) -> Result<FollowState> {
    if follower.id == target.id {
        return Err(Error::invalid("target", "bad_request"));
    }
    let (fid, target) = (follower.id, target.clone());
    let ap_id = ids::activity(&core.config.public_url, "follow");
    let state = db::tx(&core.db, move |c| {
        if blocks::blocked_either_way_in(c, fid, target.id)? {
            return Err(Error::Forbidden("blocked"));
        }
        let existing = find_in(c, fid, target.id)?;
        if existing.as_ref().is_some_and(|f| f.state == ACCEPTED) {
            return Ok(FollowState::Following);
        }
        if target.local {
            let state = state_for(existing.as_ref(), &target, false);
            upsert_in(c, fid, target.id, &ap_id, state)?;
            if existing.is_none() {
                notify_in(c, target.id, notification_kind(state), fid, None)?;
            }
            return Ok(if state == ACCEPTED {
                FollowState::Following
            } else {
                FollowState::Requested
            });
        }
        let f = upsert_in(c, fid, target.id, &ap_id, PENDING)?;
        outbox::apply_fails("follow")?;
        outbox::record(c, fid, &DomainEvent::FollowRequested { follow_id: f.id })?;
        Ok(FollowState::Requested)
    })
    .await?;
    outbox::committed(core, "follow");
    Ok(state)
}

/// Stops following (or withdraws a request); a remote target gets an `Undo`.
pub async fn unfollow(core: &Core, follower: &Actor, target: &Actor) -> Result<bool> {
    let (fid, tid, remote) = (follower.id, target.id, !target.local);
    let done = db::tx(&core.db, move |c| {
        let Some(f) = find_in(c, fid, tid)? else {
            return Ok(false);
        };
        remove_in(c, fid, tid)?;
        if remote {
            let event = DomainEvent::FollowUndone {
                follower_id: fid,
                target_id: tid,
                follow_ap_id: f.ap_id,
            };
            outbox::record(c, fid, &event)?;
        }
        Ok(true)
    })
    .await?;
    outbox::committed(core, "unfollow");
    Ok(done)
}

/// Approves or rejects a pending follow request to a local actor; a remote follower gets the
/// `Accept` or `Reject`.
pub async fn answer_request(
    core: &Core,
    target: &Actor,
    follower: &Actor,
    approve: bool,
) -> Result<bool> {
    let (tid, fid, remote) = (target.id, follower.id, !follower.local);
    let done = db::tx(&core.db, move |c| {
        let Some(f) = find_in(c, fid, tid)? else {
            return Ok(false);
        };
        if approve {
            set_state_in(c, f.id, ACCEPTED)?;
        } else {
            remove_in(c, fid, tid)?;
        }
        if remote {
            answer(c, tid, fid, &f.ap_id, approve)?;
        }
        Ok(true)
    })
    .await?;
    outbox::committed(core, "answer_request");
    Ok(done)
}

fn answer(conn: &mut Conn, target_id: i64, follower_id: i64, ap_id: &str, ok: bool) -> Result<()> {
    let event = DomainEvent::FollowAnswered {
        target_id,
        follower_id,
        follow_ap_id: ap_id.to_string(),
        accepted: ok,
    };
    outbox::record(conn, target_id, &event)?;
    Ok(())
}

/// A verified `Follow` (id `follow_ap_id`) from `sender` of the local `target`, applied in
/// ONE transaction with the activity recorded as seen: refused when either side blocked the
/// other or the sender is banned from the community; an invite-only community needs an
/// invitation (consumed here); otherwise accepted or pending by [`state_for`]. The answer
/// (`Accept`, `Reject`) is an outbox event of the same transaction. A re-sent Follow (a new
/// id) gets a fresh Accept, since the first may have been lost.
pub async fn receive_follow(
    core: &Core,
    sender: &Actor,
    target: &Actor,
    follow_ap_id: &str,
) -> Result<Received> {
    let (sender, target, ap_id) = (sender.clone(), target.clone(), follow_ap_id.to_string());
    let out = db::tx(&core.db, move |c| {
        inbox::mark_done_in(c, &ap_id)?;
        let community = if target.kind == "community" {
            communities::queries::find_by_actor_in(c, target.id)?
        } else {
            None
        };
        let banned = match &community {
            Some(cm) => communities::queries::is_banned_in(c, cm.id(), sender.id)?,
            None => false,
        };
        if banned || blocks::blocked_either_way_in(c, sender.id, target.id)? {
            answer(c, target.id, sender.id, &ap_id, false)?;
            return Ok(Received::Rejected("blocked"));
        }
        let existing = find_in(c, sender.id, target.id)?;
        // An invited person joins a private or invite-only community at once; without an
        // invitation, an invite-only one refuses (as it refuses its own server's people).
        let (invited, invite_only) = match &community {
            Some(cm) if existing.as_ref().is_none_or(|f| f.state != ACCEPTED) => (
                communities::moderation::consume_invitation_in(c, cm.id(), sender.id)?,
                cm.row.local && cm.visibility() == Visibility::Invite,
            ),
            _ => (false, false),
        };
        if invite_only && !invited {
            answer(c, target.id, sender.id, &ap_id, false)?;
            remove_in(c, sender.id, target.id)?;
            return Ok(Received::Rejected("invite-only community, no invitation"));
        }
        let state = state_for(existing.as_ref(), &target, invited);
        let f = upsert_in(c, sender.id, target.id, &ap_id, state)?;
        outbox::apply_fails("receive_follow")?;
        // Re-sent Follows are not news.
        if existing.is_none() {
            notify_in(c, target.id, notification_kind(state), sender.id, None)?;
        }
        if state != ACCEPTED {
            return Ok(Received::Pending);
        }
        if f.state != ACCEPTED {
            set_state_in(c, f.id, ACCEPTED)?;
        }
        answer(c, target.id, sender.id, &ap_id, true)?;
        Ok(Received::Accepted)
    })
    .await?;
    outbox::committed(core, "receive_follow");
    Ok(out)
}

/// Which follow an incoming answer or `Undo` is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FollowRef {
    /// By the `Follow`'s activity id.
    ById(String),
    /// By the two actors (follower, target), as an embedded Follow names them.
    Between(i64, i64),
}

fn find_ref_in(c: &mut Conn, r: &FollowRef) -> Result<Option<super::Follow>> {
    match r {
        FollowRef::ById(id) => super::find_by_ap_id_in(c, id),
        FollowRef::Between(f, t) => find_in(c, *f, *t),
    }
}

/// What an incoming `Accept`, `Reject` or `Undo(Follow)` came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answered {
    /// No such follow here: nothing changed.
    Unknown,
    Applied,
}

/// A verified `Accept` or `Reject` (id `activity_id`) from `sender` of a follow — the first
/// of `refs` that names one. Only the followed actor may answer (403, nothing changes). One
/// transaction with the activity recorded as seen.
pub async fn receive_answer(
    core: &Core,
    sender: &Actor,
    refs: Vec<FollowRef>,
    accepted: bool,
    activity_id: &str,
) -> Result<Answered> {
    let (sid, id) = (sender.id, activity_id.to_string());
    let out = db::tx(&core.db, move |c| {
        let mut found = None;
        for r in &refs {
            if let Some(f) = find_ref_in(c, r)? {
                found = Some(f);
                break;
            }
        }
        let Some(f) = found else {
            return Ok(Answered::Unknown);
        };
        if f.target_id != sid {
            return Err(Error::Forbidden(
                "only the followed actor can answer a Follow",
            ));
        }
        inbox::mark_done_in(c, &id)?;
        if accepted {
            set_state_in(c, f.id, ACCEPTED)?;
        } else {
            remove_in(c, f.follower_id, f.target_id)?;
        }
        Ok(Answered::Applied)
    })
    .await?;
    outbox::committed(core, "receive_answer");
    Ok(out)
}

/// A verified `Undo` (id `activity_id`) of `sender`'s follow named by `follow`: only the
/// follower may undo it (403, nothing changes).
pub async fn receive_undo_follow(
    core: &Core,
    sender: &Actor,
    follow: FollowRef,
    activity_id: &str,
) -> Result<Answered> {
    let (sid, id) = (sender.id, activity_id.to_string());
    db::tx(&core.db, move |c| {
        let Some(f) = find_ref_in(c, &follow)? else {
            return Ok(Answered::Unknown);
        };
        if f.follower_id != sid {
            return Err(Error::Forbidden(
                "an Undo must come from the Follow's actor",
            ));
        }
        inbox::mark_done_in(c, &id)?;
        remove_in(c, f.follower_id, f.target_id)?;
        Ok(Answered::Applied)
    })
    .await
}
