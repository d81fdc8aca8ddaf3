//! Reports to a community's moderators, invitations, pinned threads, and poll votes.

use diesel::prelude::*;
use serde::Serialize;

use super::model::Community;
use crate::accounts::Actor;
use crate::error::{Error, Result};
use crate::portfolios::rules::optional_text;
use crate::posts::{Poll, Post};
use crate::schema::{
    actors, community_invites, community_posts, community_reports, poll_votes, posts,
};
use crate::{db_run, db_tx, now, Core};

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub id: i64,
    pub reporter: String,
    pub post_id: Option<i64>,
    pub reason: String,
    pub resolved: bool,
}

/// Files a report (idempotent by its activity id). Returns false for a repeat.
pub async fn report(
    core: &Core,
    c: &Community,
    reporter_id: i64,
    post_id: Option<i64>,
    reason: &str,
    ap_id: &str,
) -> Result<bool> {
    let reason = optional_text("reason", reason, 2000)?;
    let (cid, ap_id) = (c.id(), ap_id.to_string());
    let t = now();
    let n = db_tx!(core.db, |conn| {
        Ok(diesel::insert_into(community_reports::table)
            .values((
                community_reports::community_id.eq(cid),
                community_reports::reporter_id.eq(reporter_id),
                community_reports::post_id.eq(post_id),
                community_reports::reason.eq(&reason),
                community_reports::ap_id.eq(&ap_id),
                community_reports::created_at.eq(t),
            ))
            .on_conflict(community_reports::ap_id)
            .do_nothing()
            .execute(conn)?)
    })?;
    Ok(n > 0)
}

/// The moderation queue: open reports first, newest first.
pub async fn reports(core: &Core, c: &Community) -> Result<Vec<Report>> {
    let cid = c.id();
    let rows: Vec<(i64, String, String, Option<i64>, String, bool)> = db_run!(core.db, |conn| {
        Ok(community_reports::table
            .inner_join(actors::table.on(actors::id.eq(community_reports::reporter_id)))
            .filter(community_reports::community_id.eq(cid))
            .order((
                community_reports::resolved.asc(),
                community_reports::id.desc(),
            ))
            .select((
                community_reports::id,
                actors::handle,
                actors::host,
                community_reports::post_id,
                community_reports::reason,
                community_reports::resolved,
            ))
            .load(conn)?)
    })?;
    Ok(rows
        .into_iter()
        .map(|(id, h, host, post_id, reason, resolved)| Report {
            id,
            reporter: format!("{h}@{host}"),
            post_id,
            reason,
            resolved,
        })
        .collect())
}

pub async fn resolve_report(core: &Core, c: &Community, id: i64) -> Result<bool> {
    let cid = c.id();
    let n = db_tx!(core.db, |conn| {
        Ok(diesel::update(
            community_reports::table
                .find(id)
                .filter(community_reports::community_id.eq(cid)),
        )
        .set(community_reports::resolved.eq(true))
        .execute(conn)?)
    })?;
    Ok(n > 0)
}

fn hash(secret: &str) -> String {
    crate::tokens::hash_secret(secret)
}

/// A single-use invite link secret (valid 14 days).
pub async fn create_invite_link(core: &Core, c: &Community, by: &Actor) -> Result<String> {
    let secret = crate::tokens::new_secret();
    let (cid, by, h) = (c.id(), by.id, hash(&secret));
    let t = now();
    db_tx!(core.db, |conn| {
        diesel::insert_into(community_invites::table)
            .values((
                community_invites::community_id.eq(cid),
                community_invites::created_by.eq(by),
                community_invites::token_hash.eq(Some(&h)),
                community_invites::created_at.eq(t),
                community_invites::expires_at.eq(t + chrono::Duration::days(14)),
            ))
            .execute(conn)?;
        Ok(())
    })?;
    Ok(secret)
}

/// Uses an invite link inside the caller's transaction: true, once, for a valid secret.
pub fn use_invite_link_in(conn: &mut crate::db::Conn, cid: i64, secret: &str) -> Result<bool> {
    let h = hash(secret.trim());
    let t = now();
    let n = crate::with_conn!(conn, |conn| {
        Ok::<usize, Error>(
            diesel::update(
                community_invites::table
                    .filter(community_invites::community_id.eq(cid))
                    .filter(community_invites::token_hash.eq(&h))
                    .filter(community_invites::used_at.is_null())
                    .filter(community_invites::expires_at.gt(t)),
            )
            .set(community_invites::used_at.eq(Some(t)))
            .execute(conn)?,
        )
    })?;
    Ok(n > 0)
}

/// Records an invitation of a (remote or local) person, valid 14 days, inside the caller's
/// transaction.
pub fn invite_actor_in(
    conn: &mut crate::db::Conn,
    cid: i64,
    by: i64,
    invitee_id: i64,
) -> Result<()> {
    let t = now();
    crate::with_conn!(conn, |conn| {
        diesel::insert_into(community_invites::table)
            .values((
                community_invites::community_id.eq(cid),
                community_invites::created_by.eq(by),
                community_invites::invitee_id.eq(Some(invitee_id)),
                community_invites::created_at.eq(t),
                community_invites::expires_at.eq(t + chrono::Duration::days(14)),
            ))
            .execute(conn)?;
        Ok(())
    })
}

/// Consumes a pending invitation of this person, if there is one, inside the caller's
/// transaction.
pub fn consume_invitation_in(
    conn: &mut crate::db::Conn,
    community_id: i64,
    invitee_id: i64,
) -> Result<bool> {
    let t = now();
    crate::with_conn!(conn, |conn| {
        let id: Option<i64> = community_invites::table
            .filter(community_invites::community_id.eq(community_id))
            .filter(community_invites::invitee_id.eq(invitee_id))
            .filter(community_invites::used_at.is_null())
            .filter(community_invites::expires_at.gt(t))
            .select(community_invites::id)
            .first(conn)
            .optional()?;
        let Some(id) = id else { return Ok(false) };
        diesel::update(community_invites::table.find(id))
            .set(community_invites::used_at.eq(Some(t)))
            .execute(conn)?;
        Ok(true)
    })
}

pub async fn set_pinned(core: &Core, post_id: i64, pinned: bool) -> Result<()> {
    crate::db::tx(&core.db, move |conn| set_pinned_in(conn, post_id, pinned)).await
}

/// Pins or unpins a thread, inside the caller's transaction.
pub fn set_pinned_in(conn: &mut crate::db::Conn, post_id: i64, pinned: bool) -> Result<()> {
    crate::with_conn!(conn, |conn| {
        diesel::update(community_posts::table.filter(community_posts::post_id.eq(post_id)))
            .set(community_posts::pinned.eq(pinned))
            .execute(conn)?;
        Ok(())
    })
}

/// May `voter_id` vote in this poll? The one rule for votes from this server's pages and API
/// and for votes arriving over federation: the poll exists and is still open; in a community,
/// the voter is not banned, and in a private or invite-only one, a member. A poll outside
/// communities takes votes from those who may see it.
pub async fn may_vote(core: &Core, post: &Post, voter_id: i64) -> Result<Poll> {
    if post.deleted_at.is_some() {
        return Err(Error::NotFound);
    }
    let Some(poll) = post.poll() else {
        return Err(Error::invalid("poll", "not_a_poll"));
    };
    if poll.closed_at.as_deref().is_some_and(|c| {
        chrono::DateTime::parse_from_rfc3339(c).is_ok_and(|d| d.naive_utc() < now())
    }) {
        return Err(Error::invalid("poll", "poll_closed"));
    }
    let community = match super::store::post_link(core, post.id).await? {
        Some(l) => super::store::find(core, l.community_id).await?,
        None => None,
    };
    match community {
        Some(c) => {
            if super::store::is_banned(core, &c, voter_id).await? {
                return Err(Error::Forbidden("banned"));
            }
            if !c.is_public() && super::store::role_of(core, &c, voter_id).await?.is_none() {
                return Err(Error::Forbidden("members_only"));
            }
        }
        None => {
            if !crate::posts::can_view(core, Some(voter_id), post).await? {
                return Err(Error::Forbidden("not_visible"));
            }
        }
    }
    Ok(poll)
}

/// Counts one vote for `choice` in the poll of post `pid` (as `poll` holds it, checked by
/// [`may_vote`]) inside the caller's transaction; false for a repeat or a second choice in
/// a single-choice poll.
pub fn vote_in(
    conn: &mut crate::db::Conn,
    pid: i64,
    mut poll: Poll,
    actor_id: i64,
    choice: &str,
    ap_id: &str,
) -> Result<bool> {
    let multiple = poll.multiple;
    let t = now();
    crate::with_conn!(conn, |conn| {
        let earlier: Vec<String> = poll_votes::table
            .filter(poll_votes::post_id.eq(pid))
            .filter(poll_votes::actor_id.eq(actor_id))
            .select(poll_votes::choice)
            .load(conn)?;
        if earlier.iter().any(|e| e == choice) || (!multiple && !earlier.is_empty()) {
            return Ok(false);
        }
        diesel::insert_into(poll_votes::table)
            .values((
                poll_votes::post_id.eq(pid),
                poll_votes::actor_id.eq(actor_id),
                poll_votes::choice.eq(choice),
                poll_votes::ap_id.eq(ap_id),
                poll_votes::created_at.eq(t),
            ))
            .execute(conn)?;
        let counts: Vec<String> = poll_votes::table
            .filter(poll_votes::post_id.eq(pid))
            .select(poll_votes::choice)
            .load(conn)?;
        for o in poll.options.iter_mut() {
            o.votes = counts.iter().filter(|c| **c == o.name).count() as i64;
        }
        let json = serde_json::to_string(&poll).map_err(|e| Error::Internal(e.to_string()))?;
        diesel::update(posts::table.find(pid))
            .set(posts::poll.eq(Some(json)))
            .execute(conn)?;
        Ok(true)
    })
}

/// Has this person voted in this poll (a local person's vote in a remote poll is recorded too,
/// so it is sent only once)?
pub async fn voted(core: &Core, post_id: i64, actor_id: i64) -> Result<Vec<String>> {
    crate::db::run(&core.db, move |conn| voted_in(conn, post_id, actor_id)).await
}

/// [`voted`] inside the caller's transaction.
pub fn voted_in(conn: &mut crate::db::Conn, post_id: i64, actor_id: i64) -> Result<Vec<String>> {
    crate::with_conn!(conn, |conn| {
        Ok::<_, Error>(
            poll_votes::table
                .filter(poll_votes::post_id.eq(post_id))
                .filter(poll_votes::actor_id.eq(actor_id))
                .select(poll_votes::choice)
                .load(conn)?,
        )
    })
}

/// Records a local person's vote in a remote poll (the origin counts it), inside the
/// caller's transaction.
pub fn record_remote_vote_in(
    conn: &mut crate::db::Conn,
    post_id: i64,
    actor_id: i64,
    choice: &str,
    ap_id: &str,
) -> Result<()> {
    let t = now();
    crate::with_conn!(conn, |conn| {
        diesel::insert_into(poll_votes::table)
            .values((
                poll_votes::post_id.eq(post_id),
                poll_votes::actor_id.eq(actor_id),
                poll_votes::choice.eq(choice),
                poll_votes::ap_id.eq(ap_id),
                poll_votes::created_at.eq(t),
            ))
            .on_conflict_do_nothing()
            .execute(conn)?;
        Ok(())
    })
}

/// A new poll's options, checked: 2 to 10 distinct non-empty choices.
pub fn new_poll(options: &[String], multiple: bool) -> Result<Poll> {
    let mut names: Vec<String> = Vec::new();
    for o in options {
        let o = optional_text("poll", o, 100)?;
        if o.is_empty() || names.contains(&o) {
            return Err(Error::invalid("poll", "poll_invalid"));
        }
        names.push(o);
    }
    if !(2..=10).contains(&names.len()) {
        return Err(Error::invalid("poll", "poll_invalid"));
    }
    Ok(Poll {
        options: names
            .into_iter()
            .map(|name| crate::posts::PollOption { name, votes: 0 })
            .collect(),
        multiple,
        closed_at: None,
    })
}
