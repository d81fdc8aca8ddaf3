//! Community chat messages: stored, listed, and pushed live to open pages.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::Community;
use crate::accounts::Actor;
use crate::error::Result;
use crate::live::LiveEvent;
use crate::schema::{actors, community_chat};
use crate::{db_run, now, Core};

pub const MAX_CHARS: usize = 1000;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = community_chat)]
pub struct ChatMessage {
    pub id: i64,
    pub community_id: i64,
    pub author_id: i64,
    pub ap_id: String,
    pub content_html: String,
    pub created_at: NaiveDateTime,
}

/// Stores a message (once per id) and pushes it to open pages. `None` for a repeat.
pub async fn post(
    core: &Core,
    c: &Community,
    author_id: i64,
    ap_id: &str,
    content_html: &str,
) -> Result<Option<ChatMessage>> {
    let (cid, ap_id, html) = (c.id(), ap_id.to_string(), content_html.to_string());
    let msg = crate::db::tx(&core.db, move |conn| {
        post_in(conn, cid, author_id, &ap_id, &html)
    })
    .await?;
    if let Some(m) = &msg {
        pushed(core, m).await;
    }
    Ok(msg)
}

/// Tells open chat pages about a stored message (after its transaction committed).
pub async fn pushed(core: &Core, m: &ChatMessage) {
    let ev = LiveEvent {
        community_id: m.community_id,
        message_id: m.id,
    };
    core.live.publish(&core.db, ev).await;
}

/// Stores a message inside the caller's transaction; `None` for a repeat of its id.
pub fn post_in(
    conn: &mut crate::db::Conn,
    cid: i64,
    author_id: i64,
    ap_id: &str,
    html: &str,
) -> Result<Option<ChatMessage>> {
    let t = now();
    crate::with_conn!(conn, |conn| {
        Ok(diesel::insert_into(community_chat::table)
            .values((
                community_chat::community_id.eq(cid),
                community_chat::author_id.eq(author_id),
                community_chat::ap_id.eq(ap_id),
                community_chat::content_html.eq(html),
                community_chat::created_at.eq(t),
            ))
            .on_conflict(community_chat::ap_id)
            .do_nothing()
            .returning(ChatMessage::as_returning())
            .get_result(conn)
            .optional()?)
    })
}

/// The last `limit` messages, oldest first, with their authors.
pub async fn history(core: &Core, c: &Community, limit: i64) -> Result<Vec<(ChatMessage, Actor)>> {
    let cid = c.id();
    let mut rows: Vec<(ChatMessage, Actor)> = db_run!(core.db, |conn| {
        Ok(community_chat::table
            .inner_join(actors::table.on(actors::id.eq(community_chat::author_id)))
            .filter(community_chat::community_id.eq(cid))
            .order(community_chat::id.desc())
            .limit(limit)
            .select((ChatMessage::as_select(), Actor::as_select()))
            .load(conn)?)
    })?;
    rows.reverse();
    Ok(rows)
}

pub async fn find(core: &Core, id: i64) -> Result<Option<(ChatMessage, Actor)>> {
    db_run!(core.db, |conn| {
        Ok(community_chat::table
            .inner_join(actors::table.on(actors::id.eq(community_chat::author_id)))
            .filter(community_chat::id.eq(id))
            .select((ChatMessage::as_select(), Actor::as_select()))
            .first(conn)
            .optional()?)
    })
}

pub async fn find_by_ap_id(core: &Core, ap_id: &str) -> Result<Option<(ChatMessage, Actor)>> {
    let ap_id = ap_id.to_string();
    db_run!(core.db, |conn| {
        Ok(community_chat::table
            .inner_join(actors::table.on(actors::id.eq(community_chat::author_id)))
            .filter(community_chat::ap_id.eq(&ap_id))
            .select((ChatMessage::as_select(), Actor::as_select()))
            .first(conn)
            .optional()?)
    })
}
