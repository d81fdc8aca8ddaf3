//! The block and mute use cases, each ONE transaction. A block of a remote actor is told to
//! its server (`Block`, and `Undo` when lifted) through the outbox; mutes stay local.

use super::{add_in, remove_in, BLOCK, MUTE};
use crate::accounts::Actor;
use crate::db;
use crate::error::Result;
use crate::outbox::{self, DomainEvent};
use crate::{ids, inbox, Core};

/// `actor` blocks `target`: follows between them end. Returns whether the block is new.
pub async fn block(core: &Core, actor: &Actor, target: &Actor) -> Result<bool> {
    let (aid, tid, remote) = (actor.id, target.id, !target.local);
    let ap_id = ids::activity(&core.config.public_url, "block");
    let new = db::tx(&core.db, move |c| {
        if !add_in(c, aid, tid, BLOCK, &ap_id)? {
            return Ok(false);
        }
        if remote {
            let event = DomainEvent::BlockAdded {
                actor_id: aid,
                target_id: tid,
                block_ap_id: ap_id,
            };
            outbox::record(c, aid, &event)?;
        }
        Ok(true)
    })
    .await?;
    outbox::committed(core, "block");
    Ok(new)
}

/// Lifts a block; returns whether there was one.
pub async fn unblock(core: &Core, actor: &Actor, target: &Actor) -> Result<bool> {
    let (aid, tid, remote) = (actor.id, target.id, !target.local);
    let done = db::tx(&core.db, move |c| {
        let Some(ap_id) = remove_in(c, aid, tid, BLOCK)? else {
            return Ok(false);
        };
        if remote {
            let event = DomainEvent::BlockUndone {
                actor_id: aid,
                target_id: tid,
                block_ap_id: ap_id,
            };
            outbox::record(c, aid, &event)?;
        }
        Ok(true)
    })
    .await?;
    outbox::committed(core, "unblock");
    Ok(done)
}

/// `actor` mutes `target` (hidden from timelines and notifications; nobody is told).
pub async fn mute(core: &Core, actor: &Actor, target: &Actor) -> Result<bool> {
    let (aid, tid) = (actor.id, target.id);
    let id = format!("{}/mutes/{}", actor.ap_id, target.id);
    db::tx(&core.db, move |c| add_in(c, aid, tid, MUTE, &id)).await
}

/// Lifts a mute; returns whether there was one.
pub async fn unmute(core: &Core, actor: &Actor, target: &Actor) -> Result<bool> {
    let (aid, tid) = (actor.id, target.id);
    db::tx(&core.db, move |c| {
        Ok(remove_in(c, aid, tid, MUTE)?.is_some())
    })
    .await
}

/// A verified `Block` (id `activity_id`) from the remote `sender` of the local `target`,
/// applied with the activity recorded as seen.
pub async fn receive_block(
    core: &Core,
    sender: &Actor,
    target: &Actor,
    activity_id: &str,
) -> Result<()> {
    let (sid, tid, id) = (sender.id, target.id, activity_id.to_string());
    db::tx(&core.db, move |c| {
        inbox::mark_done_in(c, &id)?;
        add_in(c, sid, tid, BLOCK, &id)?;
        Ok(())
    })
    .await
}

/// A verified `Undo` (id `activity_id`) of the remote `sender`'s block of the local `target`.
pub async fn receive_unblock(
    core: &Core,
    sender: &Actor,
    target: &Actor,
    activity_id: &str,
) -> Result<()> {
    let (sid, tid, id) = (sender.id, target.id, activity_id.to_string());
    db::tx(&core.db, move |c| {
        inbox::mark_done_in(c, &id)?;
        remove_in(c, sid, tid, BLOCK)?;
        Ok(())
    })
    .await
}
