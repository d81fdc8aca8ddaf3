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
