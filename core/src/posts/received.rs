//! Posts from other servers, applied in the inbox's apply phase: the verified object is
//! stored, with its notifications, inside the caller's transaction.

use diesel::prelude::*;

use super::actions::notify_in;
use super::{upsert_in, NewPost, Post};
use crate::db::Conn;
use crate::error::Result;
use crate::schema::posts;
use crate::with_conn;

/// A remote post as the verify phase checked it: the row to store and the local people it
/// mentions.
#[derive(Debug, Clone)]
pub struct ReceivedPost {
    pub post: NewPost,
    pub mentioned: Vec<i64>,
}

/// A post by its ActivityPub id, inside the caller's transaction.
pub fn find_by_ap_id_in(conn: &mut Conn, ap_id: &str) -> Result<Option<Post>> {
    with_conn!(conn, |c| Ok(posts::table
        .filter(posts::ap_id.eq(ap_id))
        .select(Post::as_select())
        .first(c)
        .optional()?))
}

/// Stores a received post (or applies its author's edit), inside the caller's transaction;
/// a new one notifies the local people it mentions and the local author it replies to.
/// Returns the row and whether it was new. Refusals are `upsert`'s (`hosted_elsewhere`, not
/// the author).
pub fn receive_post_in(conn: &mut Conn, r: &ReceivedPost) -> Result<(Post, bool)> {
    let (post, is_new) = upsert_in(conn, &r.post)?;
    if is_new {
        let author = r.post.author_id;
        for id in &r.mentioned {
            notify_in(conn, *id, "mention", author, Some(post.id))?;
        }
        if let Some(parent) = &post.in_reply_to_ap_id {
            if let Some(p) = find_by_ap_id_in(conn, parent)? {
                if p.local && !r.mentioned.contains(&p.author_id) {
                    notify_in(conn, p.author_id, "reply", author, Some(post.id))?;
                }
            }
        }
    }
    Ok((post, is_new))
}

/// [`receive_post_in`] in its own transaction (objects fetched or embedded outside an
/// activity of their own: a reply's parent, a relayed thread).
pub async fn receive_post(core: &crate::Core, r: ReceivedPost) -> Result<(Post, bool)> {
    crate::db::tx(&core.db, move |c| receive_post_in(c, &r)).await
}

/// An author's edit of a received post, in ONE transaction: the new version stored, the
/// relay to a local community's members when the post is in one (`relay`), and the
/// activity id recorded as seen.
pub async fn receive_edit(
    core: &crate::Core,
    r: ReceivedPost,
    relay: Option<super::actions::Relay>,
    activity_id: Option<String>,
) -> Result<Post> {
    let relayed = relay.is_some();
    let post = crate::db::tx(&core.db, move |c| {
        let (post, _) = receive_post_in(c, &r)?;
        super::actions::record_relay(c, relay)?;
        crate::outbox::apply_fails("receive_edit")?;
        if let Some(id) = &activity_id {
            crate::inbox::mark_done_in(c, id)?;
        }
        Ok(post)
    })
    .await?;
    if relayed {
        crate::outbox::committed(core, "receive_edit");
    }
    Ok(post)
}
