//! Posts, their recipients, reactions (likes and boosts) and notifications — storage and the
//! visibility rules. ActivityPub shapes live in kogi-federation.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::upsert::excluded;
use serde::{Deserialize, Serialize};

use crate::accounts::Actor;
use crate::error::{Error, Result};
use crate::schema::{actors, follows, notifications, post_recipients, posts, reactions};
use crate::{db_run, now, Core};

pub mod actions;
pub mod received;
pub use actions::{notify, Notification};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    Public,
    Unlisted,
    Followers,
    Direct,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Unlisted => "unlisted",
            Visibility::Followers => "followers",
            Visibility::Direct => "direct",
        }
    }
    pub fn parse(s: &str) -> Option<Visibility> {
        match s {
            "public" => Some(Visibility::Public),
            "unlisted" => Some(Visibility::Unlisted),
            "followers" | "private" => Some(Visibility::Followers),
            "direct" => Some(Visibility::Direct),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Serialize)]
#[diesel(table_name = posts)]
pub struct Post {
    pub id: i64,
    pub ap_id: String,
    pub author_id: i64,
    pub local: bool,
    pub kind: String,
    pub content_html: String,
    pub source_text: Option<String>,
    pub summary: Option<String>,
    pub sensitive: bool,
    pub language: Option<String>,
    pub visibility: String,
    pub in_reply_to_ap_id: Option<String>,
    pub url: Option<String>,
    pub attachments: String,
    pub tags: String,
    pub poll: Option<String>,
    pub like_count: i32,
    pub announce_count: i32,
    pub reply_count: i32,
    pub published_at: NaiveDateTime,
    pub edited_at: Option<NaiveDateTime>,
    pub deleted_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

impl Post {
    pub fn visibility(&self) -> Visibility {
        Visibility::parse(&self.visibility).unwrap_or(Visibility::Direct)
    }
    pub fn attachments(&self) -> Vec<Attachment> {
        serde_json::from_str(&self.attachments).unwrap_or_default()
    }
    pub fn tags(&self) -> Vec<String> {
        serde_json::from_str(&self.tags).unwrap_or_default()
    }
    pub fn poll(&self) -> Option<Poll> {
        self.poll
            .as_deref()
            .and_then(|p| serde_json::from_str(p).ok())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Attachment {
    pub url: String,
    pub media_type: Option<String>,
    /// Alt text.
    pub description: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PollOption {
    pub name: String,
    pub votes: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Poll {
    pub options: Vec<PollOption>,
    pub multiple: bool,
    pub closed_at: Option<String>,
}

/// Everything stored about a post; used for local and remote posts alike.
#[derive(Debug, Clone)]
pub struct NewPost {
    pub ap_id: String,
    pub author_id: i64,
    pub local: bool,
    pub kind: String,
    pub content_html: String,
    pub source_text: Option<String>,
    pub summary: Option<String>,
    pub sensitive: bool,
    pub language: Option<String>,
    pub visibility: Visibility,
    pub in_reply_to_ap_id: Option<String>,
    pub url: Option<String>,
    pub attachments: Vec<Attachment>,
    pub tags: Vec<String>,
    pub poll: Option<Poll>,
    pub published_at: NaiveDateTime,
    pub edited_at: Option<NaiveDateTime>,
    /// Counts as the origin reports them (remote posts).
    pub like_count: i32,
    pub announce_count: i32,
    /// (actor id, mentioned) of addressed actors known here.
    pub recipients: Vec<(i64, bool)>,
}

/// Stores a post, or (same `ap_id`) applies an edit to it. Returns the row and whether it
/// was new. A deleted post stays deleted; only its author edits it; a post of this instance is
/// never written over by a copy from elsewhere (its row is the truth), nor a remote one by a
/// local write.
pub async fn upsert(core: &Core, p: NewPost) -> Result<(Post, bool)> {
    crate::db::tx(&core.db, move |conn| upsert_in(conn, &p)).await
}

/// [`upsert`] inside the caller's transaction.
pub fn upsert_in(conn: &mut crate::db::Conn, p: &NewPost) -> Result<(Post, bool)> {
    let t = now();
    let attachments = serde_json::to_string(&p.attachments).unwrap_or_else(|_| "[]".into());
    let tags = serde_json::to_string(&p.tags).unwrap_or_else(|_| "[]".into());
    let poll = p.poll.as_ref().and_then(|x| serde_json::to_string(x).ok());
    crate::with_conn!(conn, |conn| {
        let existing: Option<Post> = posts::table
            .filter(posts::ap_id.eq(&p.ap_id))
            .select(Post::as_select())
            .first(conn)
            .optional()?;
        if let Some(e) = &existing {
            if e.local != p.local {
                return Err(Error::Forbidden("hosted_elsewhere"));
            }
            if e.author_id != p.author_id {
                return Err(Error::Forbidden("not_author"));
            }
            if e.deleted_at.is_some() {
                return Ok((e.clone(), false));
            }
        }
        let post: Post = diesel::insert_into(posts::table)
            .values((
                posts::ap_id.eq(&p.ap_id),
                posts::author_id.eq(p.author_id),
                posts::local.eq(p.local),
                posts::kind.eq(&p.kind),
                posts::content_html.eq(&p.content_html),
                posts::source_text.eq(&p.source_text),
                posts::summary.eq(&p.summary),
                posts::sensitive.eq(p.sensitive),
                posts::language.eq(&p.language),
                posts::visibility.eq(p.visibility.as_str()),
                posts::in_reply_to_ap_id.eq(&p.in_reply_to_ap_id),
                posts::url.eq(&p.url),
                posts::attachments.eq(&attachments),
                posts::tags.eq(&tags),
                posts::poll.eq(&poll),
                posts::like_count.eq(p.like_count),
                posts::announce_count.eq(p.announce_count),
                posts::published_at.eq(p.published_at),
                posts::edited_at.eq(p.edited_at),
                posts::created_at.eq(t),
            ))
            .on_conflict(posts::ap_id)
            .do_update()
            .set((
                posts::content_html.eq(excluded(posts::content_html)),
                posts::source_text.eq(excluded(posts::source_text)),
                posts::summary.eq(excluded(posts::summary)),
                posts::sensitive.eq(excluded(posts::sensitive)),
                posts::language.eq(excluded(posts::language)),
                posts::attachments.eq(excluded(posts::attachments)),
                posts::tags.eq(excluded(posts::tags)),
                posts::poll.eq(excluded(posts::poll)),
                posts::edited_at.eq(excluded(posts::edited_at)),
            ))
            .returning(Post::as_returning())
            .get_result(conn)?;
        if !p.local && existing.is_some() {
            // The origin's counts are authoritative for remote posts.
            diesel::update(posts::table.find(post.id))
                .set((
                    posts::like_count.eq(p.like_count),
                    posts::announce_count.eq(p.announce_count),
                ))
                .execute(conn)?;
        }
        for (actor_id, mentioned) in &p.recipients {
            diesel::insert_into(post_recipients::table)
                .values((
                    post_recipients::post_id.eq(post.id),
                    post_recipients::actor_id.eq(actor_id),
                    post_recipients::mentioned.eq(mentioned),
                ))
                .on_conflict((post_recipients::post_id, post_recipients::actor_id))
                .do_nothing()
                .execute(conn)?;
        }
        let is_new = existing.is_none();
        if is_new {
            if let Some(parent) = &p.in_reply_to_ap_id {
                diesel::update(
                    posts::table
                        .filter(posts::ap_id.eq(parent))
                        .filter(posts::local.eq(true)),
                )
                .set(posts::reply_count.eq(posts::reply_count + 1))
                .execute(conn)?;
            }
        }
        Ok((post, is_new))
    })
}

pub async fn find_by_ap_id(core: &Core, ap_id: &str) -> Result<Option<Post>> {
    let ap_id = ap_id.to_string();
    db_run!(core.db, |conn| {
        Ok(posts::table
            .filter(posts::ap_id.eq(&ap_id))
            .select(Post::as_select())
            .first(conn)
            .optional()?)
    })
}

pub async fn find(core: &Core, id: i64) -> Result<Option<Post>> {
    db_run!(core.db, |conn| Ok(posts::table
        .find(id)
        .select(Post::as_select())
        .first(conn)
        .optional()?))
}

/// Marks a post deleted (its URL answers 410 afterwards) and drops its reactions.
pub async fn mark_deleted(core: &Core, post_id: i64) -> Result<()> {
    crate::db::tx(&core.db, move |conn| {
        actions::mark_deleted_in(conn, post_id)
    })
    .await
}

/// Changes who a post is for (a portfolio item whose visibility changed).
pub async fn set_visibility(core: &Core, post_id: i64, visibility: Visibility) -> Result<()> {
    crate::db::tx(&core.db, move |c| set_visibility_in(c, post_id, visibility)).await
}

/// [`set_visibility`] inside the caller's transaction.
pub fn set_visibility_in(
    conn: &mut crate::db::Conn,
    post_id: i64,
    visibility: Visibility,
) -> Result<()> {
    crate::with_conn!(conn, |c| {
        diesel::update(posts::table.find(post_id))
            .set(posts::visibility.eq(visibility.as_str()))
            .execute(c)?;
        Ok(())
    })
}

/// The addressed actors of a post: (actor, mentioned).
pub async fn recipients(core: &Core, post_id: i64) -> Result<Vec<(Actor, bool)>> {
    db_run!(core.db, |conn| {
        Ok(post_recipients::table
            .inner_join(actors::table.on(actors::id.eq(post_recipients::actor_id)))
            .filter(post_recipients::post_id.eq(post_id))
            .select((Actor::as_select(), post_recipients::mentioned))
            .load(conn)?)
    })
}

/// May `viewer` (an actor id, or nobody) see the post?
pub async fn can_view(core: &Core, viewer: Option<i64>, post: &Post) -> Result<bool> {
    if post.deleted_at.is_some() {
        return Ok(false);
    }
    match post.visibility() {
        Visibility::Public | Visibility::Unlisted => Ok(true),
        vis => {
            let Some(v) = viewer else { return Ok(false) };
            if v == post.author_id {
                return Ok(true);
            }
            let (post_id, author) = (post.id, post.author_id);
            db_run!(core.db, |conn| {
                let addressed: i64 = post_recipients::table
                    .filter(post_recipients::post_id.eq(post_id))
                    .filter(post_recipients::actor_id.eq(v))
                    .count()
                    .get_result(conn)?;
                if addressed > 0 {
                    return Ok(true);
                }
                if vis == Visibility::Direct {
                    return Ok(false);
                }
                let follows: i64 = follows::table
                    .filter(follows::follower_id.eq(v))
                    .filter(follows::target_id.eq(author))
                    .filter(follows::state.eq(crate::follows::ACCEPTED))
                    .count()
                    .get_result(conn)?;
                Ok(follows > 0)
            })
        }
    }
}

/// A page of posts with their authors.
pub type Page = Vec<(Post, Actor)>;

/// Home: the person's own posts, posts of accounts they follow that they may see, and posts
/// addressed to them. Newest first; `max_id` pages back.
pub async fn home_timeline(
    core: &Core,
    viewer: i64,
    max_id: Option<i64>,
    limit: i64,
) -> Result<Page> {
    let max_id = max_id.unwrap_or(i64::MAX);
    let hidden = crate::blocks::hidden_from(core, viewer).await?;
    db_run!(core.db, |conn| {
        let followed = follows::table
            .filter(follows::follower_id.eq(viewer))
            .filter(follows::state.eq(crate::follows::ACCEPTED))
            .select(follows::target_id);
        let addressed = post_recipients::table
            .filter(post_recipients::actor_id.eq(viewer))
            .select(post_recipients::post_id);
        Ok(posts::table
            .inner_join(actors::table.on(actors::id.eq(posts::author_id)))
            .filter(posts::deleted_at.is_null())
            .filter(posts::id.lt(max_id))
            .filter(posts::author_id.ne_all(&hidden))
            .filter(
                posts::author_id
                    .eq(viewer)
                    .or(posts::author_id
                        .eq_any(followed)
                        .and(posts::visibility.ne("direct")))
                    .or(posts::id.eq_any(addressed)),
            )
            .order(posts::id.desc())
            .limit(limit)
            .select((Post::as_select(), Actor::as_select()))
            .load(conn)?)
    })
}

/// Public posts: this instance's only (`local`), or everything known here.
pub async fn public_timeline(
    core: &Core,
    local_only: bool,
    max_id: Option<i64>,
    limit: i64,
) -> Result<Page> {
    let max_id = max_id.unwrap_or(i64::MAX);
    db_run!(core.db, |conn| {
        let mut q = posts::table
            .inner_join(actors::table.on(actors::id.eq(posts::author_id)))
            .filter(posts::deleted_at.is_null())
            .filter(posts::visibility.eq("public"))
            .filter(posts::id.lt(max_id))
            .into_boxed();
        if local_only {
            q = q.filter(posts::local.eq(true));
        }
        Ok(q.order(posts::id.desc())
            .limit(limit)
            .select((Post::as_select(), Actor::as_select()))
            .load(conn)?)
    })
}

/// An author's posts that anyone may see (public and unlisted), newest first.
pub async fn by_author(core: &Core, author: i64, limit: i64) -> Result<Vec<Post>> {
    db_run!(core.db, |conn| {
        Ok(posts::table
            .filter(posts::author_id.eq(author))
            .filter(posts::deleted_at.is_null())
            .filter(posts::visibility.eq_any(["public", "unlisted"]))
            .order(posts::id.desc())
            .limit(limit)
            .select(Post::as_select())
            .load(conn)?)
    })
}

pub async fn count_local(core: &Core) -> Result<i64> {
    db_run!(core.db, |conn| {
        Ok(posts::table
            .filter(posts::local.eq(true))
            .filter(posts::deleted_at.is_null())
            .count()
            .get_result(conn)?)
    })
}

/// Direct replies to a post, oldest first, with their authors.
pub async fn replies(core: &Core, ap_id: &str) -> Result<Page> {
    let ap_id = ap_id.to_string();
    db_run!(core.db, |conn| {
        Ok(posts::table
            .inner_join(actors::table.on(actors::id.eq(posts::author_id)))
            .filter(posts::in_reply_to_ap_id.eq(&ap_id))
            .filter(posts::deleted_at.is_null())
            .order(posts::id.asc())
            .select((Post::as_select(), Actor::as_select()))
            .load(conn)?)
    })
}

pub const LIKE: &str = "like";
pub const ANNOUNCE: &str = "announce";

/// A reaction by its activity id: (kind, actor id, post id).
pub async fn reaction_by_ap_id(core: &Core, ap_id: &str) -> Result<Option<(String, i64, i64)>> {
    let ap_id = ap_id.to_string();
    db_run!(core.db, |conn| {
        Ok(reactions::table
            .filter(reactions::ap_id.eq(&ap_id))
            .select((reactions::kind, reactions::actor_id, reactions::post_id))
            .first(conn)
            .optional()?)
    })
}

/// Has `actor` liked/boosted the post?
pub async fn reacted(core: &Core, kind: &str, actor_id: i64, post_id: i64) -> Result<bool> {
    let kind = kind.to_string();
    db_run!(core.db, |conn| {
        let n: i64 = reactions::table
            .filter(reactions::kind.eq(&kind))
            .filter(reactions::actor_id.eq(actor_id))
            .filter(reactions::post_id.eq(post_id))
            .count()
            .get_result(conn)?;
        Ok(n > 0)
    })
}

/// Updates a remote post's counts from its origin.
pub async fn set_counts(core: &Core, post_id: i64, likes: i32, boosts: i32) -> Result<()> {
    db_run!(core.db, |conn| {
        diesel::update(posts::table.find(post_id).filter(posts::local.eq(false)))
            .set((
                posts::like_count.eq(likes),
                posts::announce_count.eq(boosts),
            ))
            .execute(conn)?;
        Ok(())
    })
}

/// A person's notifications, newest first, with the actor who caused each.
pub async fn notifications_for(
    core: &Core,
    account_id: i64,
    limit: i64,
) -> Result<Vec<(Notification, Actor)>> {
    db_run!(core.db, |conn| {
        Ok(notifications::table
            .inner_join(actors::table.on(actors::id.eq(notifications::actor_id)))
            .filter(notifications::account_id.eq(account_id))
            .order(notifications::id.desc())
            .limit(limit)
            .select((Notification::as_select(), Actor::as_select()))
            .load(conn)?)
    })
}
