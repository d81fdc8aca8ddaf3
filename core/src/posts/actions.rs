//! Writes about posts that compose into one transaction: the publish use case, notifications
//! and reaction counts. Each takes the caller's [`Conn`].

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::{NewPost, Post, ANNOUNCE, LIKE};
use crate::db::Conn;
use crate::error::{Error, Result};
use crate::outbox::{self, DomainEvent};
use crate::schema::{accounts, blocks, notifications, posts, reactions};
use crate::{now, with_conn, Core};

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = notifications)]
pub struct Notification {
    pub id: i64,
    pub account_id: i64,
    pub kind: String,
    pub actor_id: i64,
    pub post_id: Option<i64>,
    pub read: bool,
    pub created_at: NaiveDateTime,
}

/// Notifies the local account behind `actor_id` (nothing happens for remote actors).
pub async fn notify(
    core: &Core,
    actor_id: i64,
    kind: &str,
    from: i64,
    post_id: Option<i64>,
) -> Result<()> {
    let kind = kind.to_string();
    crate::db::run(&core.db, move |conn| {
        notify_in(conn, actor_id, &kind, from, post_id)
    })
    .await
}

/// [`notify`] inside the caller's transaction. Nobody is notified of themselves, nor of
/// someone either side has blocked (or whom they muted).
pub fn notify_in(
    conn: &mut Conn,
    actor_id: i64,
    kind: &str,
    from: i64,
    post_id: Option<i64>,
) -> Result<()> {
    if actor_id == from {
        return Ok(());
    }
    let t = now();
    with_conn!(conn, |conn| {
        let hidden: i64 = blocks::table
            .filter(
                blocks::actor_id
                    .eq(actor_id)
                    .and(blocks::target_id.eq(from))
                    .or(blocks::actor_id
                        .eq(from)
                        .and(blocks::target_id.eq(actor_id))
                        .and(blocks::kind.eq(crate::blocks::BLOCK))),
            )
            .count()
            .get_result(conn)?;
        if hidden > 0 {
            return Ok(());
        }
        let account: Option<i64> = accounts::table
            .filter(accounts::actor_id.eq(actor_id))
            .filter(accounts::deleted_at.is_null())
            .select(accounts::id)
            .first(conn)
            .optional()?;
        if let Some(account_id) = account {
            diesel::insert_into(notifications::table)
                .values((
                    notifications::account_id.eq(account_id),
                    notifications::kind.eq(kind),
                    notifications::actor_id.eq(from),
                    notifications::post_id.eq(post_id),
                    notifications::created_at.eq(t),
                ))
                .execute(conn)?;
        }
        Ok(())
    })
}

/// Recounts a local post's likes and boosts from its reactions (remote posts keep the counts
/// their origin reports).
pub fn recount(conn: &mut Conn, post_id: i64) -> Result<()> {
    with_conn!(conn, |conn| {
        let local: bool = posts::table
            .find(post_id)
            .select(posts::local)
            .first(conn)?;
        if local {
            let likes: i64 = reactions::table
                .filter(reactions::post_id.eq(post_id))
                .filter(reactions::kind.eq(LIKE))
                .count()
                .get_result(conn)?;
            let boosts: i64 = reactions::table
                .filter(reactions::post_id.eq(post_id))
                .filter(reactions::kind.eq(ANNOUNCE))
                .count()
                .get_result(conn)?;
            diesel::update(posts::table.find(post_id))
                .set((
                    posts::like_count.eq(likes as i32),
                    posts::announce_count.eq(boosts as i32),
                ))
                .execute(conn)?;
        }
        Ok(())
    })
}

/// A post by its local number, inside the caller's transaction.
pub fn find_in(conn: &mut Conn, id: i64) -> Result<Option<Post>> {
    with_conn!(conn, |conn| Ok(posts::table
        .find(id)
        .select(Post::as_select())
        .first(conn)
        .optional()?))
}

/// Publishing a local post, in ONE transaction: the post and its recipients, the
/// notifications (`(local actor, kind)`, e.g. `mention` or `reply`) and the `PostPublished`
/// event the publisher turns into the `Create`. Everything the post needs from other servers
/// (mentions, the parent) is looked up before.
pub async fn publish(core: &Core, new: NewPost, notify: Vec<(i64, &'static str)>) -> Result<Post> {
    let author_id = new.author_id;
    let post = crate::db::tx(&core.db, move |conn| {
        let (post, _) = super::upsert_in(conn, &new)?;
        for (actor_id, kind) in &notify {
            notify_in(conn, *actor_id, kind, author_id, Some(post.id))?;
        }
        outbox::apply_fails("publish_post")?;
        outbox::record(
            conn,
            author_id,
            &DomainEvent::PostPublished { post_id: post.id },
        )?;
        find_in(conn, post.id)?.ok_or(Error::NotFound)
    })
    .await?;
    outbox::committed(core, "publish_post");
    Ok(post)
}

/// Records a like or boost inside the caller's transaction; false when it was already there.
/// Local posts' counts are recomputed (this instance is their origin).
fn react_in(conn: &mut Conn, kind: &str, ap_id: &str, actor_id: i64, post_id: i64) -> Result<bool> {
    let t = now();
    let n = with_conn!(conn, |c| diesel::insert_into(reactions::table)
        .values((
            reactions::ap_id.eq(ap_id),
            reactions::kind.eq(kind),
            reactions::actor_id.eq(actor_id),
            reactions::post_id.eq(post_id),
            reactions::created_at.eq(t),
        ))
        .on_conflict_do_nothing()
        .execute(c)?);
    recount(conn, post_id)?;
    Ok(n > 0)
}

/// Removes a like or boost by its actor inside the caller's transaction; the removed
/// reaction's activity id.
fn unreact_in(conn: &mut Conn, kind: &str, actor_id: i64, post_id: i64) -> Result<Option<String>> {
    let mine = reactions::table
        .filter(reactions::kind.eq(kind))
        .filter(reactions::actor_id.eq(actor_id))
        .filter(reactions::post_id.eq(post_id));
    let id: Option<String> = with_conn!(conn, |c| mine
        .select(reactions::ap_id)
        .first(c)
        .optional()?);
    if id.is_some() {
        with_conn!(conn, |c| diesel::delete(mine).execute(c)?);
        recount(conn, post_id)?;
    }
    Ok(id)
}

/// The notification a reaction gives the post's author.
fn reaction_notice(kind: &str) -> &'static str {
    if kind == LIKE {
        "like"
    } else {
        "announce"
    }
}

/// Marks a post deleted (its URL answers 410 afterwards) and drops its reactions and
/// notifications, inside the caller's transaction.
pub fn mark_deleted_in(conn: &mut Conn, post_id: i64) -> Result<()> {
    let t = now();
    with_conn!(conn, |c| {
        diesel::update(posts::table.find(post_id))
            .set((
                posts::deleted_at.eq(Some(t)),
                posts::content_html.eq(""),
                posts::source_text.eq(None::<String>),
            ))
            .execute(c)?;
        diesel::delete(reactions::table.filter(reactions::post_id.eq(post_id))).execute(c)?;
        diesel::delete(notifications::table.filter(notifications::post_id.eq(post_id)))
            .execute(c)?;
        Ok(())
    })
}

/// A local actor likes or boosts a post, in ONE transaction: the reaction (its activity id
/// minted here), the counts, the author's notification and the `ReactionAdded` event. False
/// when it was already there (nothing is sent again).
pub async fn react(core: &Core, kind: &str, actor_id: i64, post_id: i64) -> Result<bool> {
    let kind = kind.to_string();
    let ap_id = crate::ids::activity(
        &core.config.public_url,
        if kind == LIKE { "like" } else { "announce" },
    );
    let added = crate::db::tx(&core.db, move |conn| {
        if !react_in(conn, &kind, &ap_id, actor_id, post_id)? {
            return Ok(false);
        }
        let post = find_in(conn, post_id)?.ok_or(Error::NotFound)?;
        if post.local {
            notify_in(
                conn,
                post.author_id,
                reaction_notice(&kind),
                actor_id,
                Some(post_id),
            )?;
        }
        outbox::apply_fails("react")?;
        outbox::record(
            conn,
            actor_id,
            &DomainEvent::ReactionAdded {
                post_id,
                kind,
                reaction_ap_id: ap_id,
            },
        )?;
        Ok(true)
    })
    .await?;
    if added {
        outbox::committed(core, "react");
    }
    Ok(added)
}

/// A local actor takes back a like or boost, in one transaction with its `ReactionUndone`
/// event. False when there was none.
pub async fn unreact(core: &Core, kind: &str, actor_id: i64, post_id: i64) -> Result<bool> {
    let kind = kind.to_string();
    let undone = crate::db::tx(&core.db, move |conn| {
        let Some(reaction_ap_id) = unreact_in(conn, &kind, actor_id, post_id)? else {
            return Ok(false);
        };
        outbox::record(
            conn,
            actor_id,
            &DomainEvent::ReactionUndone {
                post_id,
                kind,
                reaction_ap_id,
            },
        )?;
        Ok(true)
    })
    .await?;
    if undone {
        outbox::committed(core, "unreact");
    }
    Ok(undone)
}

/// A received activity a local community passes on to its members (see
/// [`DomainEvent::Relayed`]): the community's id and the activity as received.
#[derive(Debug, Clone)]
pub struct Relay {
    pub community_id: i64,
    pub community_actor_id: i64,
    pub activity: String,
}

pub(crate) fn record_relay(conn: &mut Conn, relay: Option<Relay>) -> Result<()> {
    if let Some(r) = relay {
        outbox::record(
            conn,
            r.community_actor_id,
            &DomainEvent::Relayed {
                community_id: r.community_id,
                activity: r.activity,
                object: None,
            },
        )?;
    }
    Ok(())
}

/// A remote actor's `Like` or `Announce` of a post, applied in ONE transaction: the reaction
/// under the activity's id, the counts, the author's notification, the relay to a local
/// community's members and the activity id recorded as seen.
pub async fn receive_reaction(
    core: &Core,
    kind: &str,
    activity_id: &str,
    actor_id: i64,
    post_id: i64,
    relay: Option<Relay>,
) -> Result<bool> {
    let (kind, activity_id) = (kind.to_string(), activity_id.to_string());
    let relayed = relay.is_some();
    let added = crate::db::tx(&core.db, move |conn| {
        record_relay(conn, relay)?;
        let added = react_in(conn, &kind, &activity_id, actor_id, post_id)?;
        outbox::apply_fails("receive_reaction")?;
        if added {
            let post = find_in(conn, post_id)?.ok_or(Error::NotFound)?;
            if post.local {
                notify_in(
                    conn,
                    post.author_id,
                    reaction_notice(&kind),
                    actor_id,
                    Some(post_id),
                )?;
            }
        }
        crate::inbox::mark_done_in(conn, &activity_id)?;
        Ok(added)
    })
    .await?;
    if relayed {
        outbox::committed(core, "receive_reaction");
    }
    Ok(added)
}

/// A remote actor's `Undo` of its own like or boost, applied with the id recorded as seen.
pub async fn receive_undo_reaction(
    core: &Core,
    kind: &str,
    activity_id: &str,
    actor_id: i64,
    post_id: i64,
) -> Result<bool> {
    let (kind, activity_id) = (kind.to_string(), activity_id.to_string());
    crate::db::tx(&core.db, move |conn| {
        let undone = unreact_in(conn, &kind, actor_id, post_id)?.is_some();
        crate::inbox::mark_done_in(conn, &activity_id)?;
        Ok(undone)
    })
    .await
}

/// Deleting a local post, in ONE transaction: marked deleted (410 from then on) and the
/// `PostDeleted` event whose `Delete` reaches everyone who received the post.
pub async fn delete(core: &Core, post_id: i64) -> Result<()> {
    crate::db::tx(&core.db, move |conn| {
        let post = find_in(conn, post_id)?.ok_or(Error::NotFound)?;
        mark_deleted_in(conn, post_id)?;
        outbox::apply_fails("delete_post")?;
        outbox::record(conn, post.author_id, &DomainEvent::PostDeleted { post_id })
    })
    .await?;
    outbox::committed(core, "delete_post");
    Ok(())
}

/// Editing a local post, in ONE transaction: the new text, tags and mentions stored and the
/// `PostEdited` event whose `Update` carries them.
pub async fn edit(core: &Core, new: NewPost) -> Result<Post> {
    let author_id = new.author_id;
    let post = crate::db::tx(&core.db, move |conn| {
        let (post, _) = super::upsert_in(conn, &new)?;
        outbox::record(
            conn,
            author_id,
            &DomainEvent::PostEdited { post_id: post.id },
        )?;
        find_in(conn, post.id)?.ok_or(Error::NotFound)
    })
    .await?;
    outbox::committed(core, "edit_post");
    Ok(post)
}

/// A remote author's `Delete` of its post, in ONE transaction: the post (and a portfolio item
/// or project with that id) marked deleted, the relay to a local community's members and
/// the activity id recorded as seen.
pub async fn receive_delete(
    core: &Core,
    post_id: i64,
    activity_id: &str,
    relay: Option<Relay>,
) -> Result<()> {
    let activity_id = activity_id.to_string();
    let relayed = relay.is_some();
    crate::db::tx(&core.db, move |conn| {
        let post = find_in(conn, post_id)?.ok_or(Error::NotFound)?;
        mark_deleted_in(conn, post_id)?;
        crate::portfolios::actions::mark_remote_deleted_by_ap_id_in(conn, &post.ap_id)?;
        record_relay(conn, relay)?;
        crate::inbox::mark_done_in(conn, &activity_id)
    })
    .await?;
    if relayed {
        outbox::committed(core, "receive_delete");
    }
    Ok(())
}
