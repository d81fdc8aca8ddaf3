//! Community reads: look-ups, roles, members, bans, threads and comments.

use diesel::prelude::*;

use super::model::*;
use crate::accounts::Actor;
use crate::db::Conn;
use crate::error::Result;
use crate::posts::Post;
use crate::schema::{
    actors, communities, community_bans, community_posts, community_roles, follows, posts,
};
use crate::{db_run, with_conn, Core};

fn wrap(rows: Vec<(CommunityRow, Actor)>) -> Option<Community> {
    rows.into_iter()
        .next()
        .map(|(row, actor)| Community { row, actor })
}

pub async fn find(core: &Core, id: i64) -> Result<Option<Community>> {
    crate::db::run(&core.db, move |c| find_in(c, id)).await
}

/// [`find`] inside the caller's transaction.
pub fn find_in(conn: &mut Conn, id: i64) -> Result<Option<Community>> {
    let rows = with_conn!(conn, |conn| {
        Ok::<_, crate::Error>(
            communities::table
                .inner_join(actors::table)
                .filter(communities::id.eq(id))
                .select((CommunityRow::as_select(), Actor::as_select()))
                .load(conn)?,
        )
    })?;
    Ok(wrap(rows))
}

pub async fn find_by_actor(core: &Core, actor_id: i64) -> Result<Option<Community>> {
    crate::db::run(&core.db, move |c| find_by_actor_in(c, actor_id)).await
}

/// [`find_by_actor`] on the caller's connection (inside a use case's transaction).
pub fn find_by_actor_in(conn: &mut Conn, actor_id: i64) -> Result<Option<Community>> {
    let rows = with_conn!(conn, |conn| {
        Ok::<_, crate::Error>(
            communities::table
                .inner_join(actors::table)
                .filter(communities::actor_id.eq(actor_id))
                .select((CommunityRow::as_select(), Actor::as_select()))
                .load(conn)?,
        )
    })?;
    Ok(wrap(rows))
}

pub async fn find_by_handle(core: &Core, handle: &str) -> Result<Option<Community>> {
    let norm = handle.trim().to_lowercase();
    let host = core.config.host();
    let rows = db_run!(core.db, |conn| {
        Ok(communities::table
            .inner_join(actors::table)
            .filter(actors::handle_norm.eq(&norm))
            .filter(actors::host.eq(&host))
            .filter(actors::local.eq(true))
            .select((CommunityRow::as_select(), Actor::as_select()))
            .load(conn)?)
    })?;
    Ok(wrap(rows))
}

/// Someone's role in a community: owner or moderator by role, member when an accepted
/// follower, else none.
pub async fn role_of(core: &Core, c: &Community, actor_id: i64) -> Result<Option<Role>> {
    let (cid, gid) = (c.id(), c.actor.id);
    crate::db::run(&core.db, move |conn| role_of_in(conn, cid, gid, actor_id)).await
}

/// [`role_of`] inside the caller's transaction (`gid` is the community's actor).
pub fn role_of_in(conn: &mut Conn, cid: i64, gid: i64, actor_id: i64) -> Result<Option<Role>> {
    let (role, member): (Option<String>, i64) = with_conn!(conn, |conn| {
        let role = community_roles::table
            .filter(community_roles::community_id.eq(cid))
            .filter(community_roles::actor_id.eq(actor_id))
            .select(community_roles::role)
            .first(conn)
            .optional()?;
        let member = follows::table
            .filter(follows::follower_id.eq(actor_id))
            .filter(follows::target_id.eq(gid))
            .filter(follows::state.eq(crate::follows::ACCEPTED))
            .count()
            .get_result(conn)?;
        Ok::<_, crate::error::Error>((role, member))
    })?;
    Ok(role
        .as_deref()
        .and_then(Role::parse)
        .or((member > 0).then_some(Role::Member)))
}

/// The communities someone belongs to or asked to join (here and elsewhere), by name.
pub async fn of_member(core: &Core, actor_id: i64) -> Result<Vec<Community>> {
    let rows: Vec<(CommunityRow, Actor)> = db_run!(core.db, |conn| {
        let followed = follows::table
            .filter(follows::follower_id.eq(actor_id))
            .select(follows::target_id);
        let with_role = community_roles::table
            .filter(community_roles::actor_id.eq(actor_id))
            .select(community_roles::community_id);
        Ok(communities::table
            .inner_join(actors::table)
            .filter(
                communities::actor_id
                    .eq_any(followed)
                    .or(communities::id.eq_any(with_role)),
            )
            .filter(communities::deleted_at.is_null())
            .filter(actors::deleted_at.is_null())
            .order(actors::display_name.asc())
            .limit(500)
            .select((CommunityRow::as_select(), Actor::as_select()))
            .load(conn)?)
    })?;
    Ok(rows
        .into_iter()
        .map(|(row, actor)| Community { row, actor })
        .collect())
}

/// Members (accepted followers) with their roles, owners and moderators first.
pub async fn members(core: &Core, c: &Community) -> Result<Vec<(Actor, Role)>> {
    let followers =
        crate::follows::followers(core, c.actor.id, crate::follows::ACCEPTED, 0, 10_000).await?;
    let mut out = Vec::new();
    for a in followers {
        let role = role_of(core, c, a.id).await?.unwrap_or(Role::Member);
        out.push((a, role));
    }
    out.sort_by_key(|(_, r)| *r);
    Ok(out)
}

/// Owners and moderators (the `attributedTo` collection).
pub async fn moderators(core: &Core, c: &Community) -> Result<Vec<Actor>> {
    let cid = c.id();
    db_run!(core.db, |conn| {
        Ok(community_roles::table
            .inner_join(actors::table.on(actors::id.eq(community_roles::actor_id)))
            .filter(community_roles::community_id.eq(cid))
            .order(community_roles::id.asc())
            .select(Actor::as_select())
            .load(conn)?)
    })
}

pub async fn is_banned(core: &Core, c: &Community, actor_id: i64) -> Result<bool> {
    let cid = c.id();
    crate::db::run(&core.db, move |c| is_banned_in(c, cid, actor_id)).await
}

/// Is `actor_id` banned from the community `community_id`, on the caller's connection.
pub fn is_banned_in(conn: &mut Conn, community_id: i64, actor_id: i64) -> Result<bool> {
    let n: i64 = with_conn!(conn, |conn| {
        community_bans::table
            .filter(community_bans::community_id.eq(community_id))
            .filter(community_bans::actor_id.eq(actor_id))
            .count()
            .get_result(conn)
    })?;
    Ok(n > 0)
}

/// The community a post belongs to, if any.
pub async fn post_link(core: &Core, post_id: i64) -> Result<Option<CommunityPost>> {
    crate::db::run(&core.db, move |conn| post_link_in(conn, post_id)).await
}

/// [`post_link`] inside the caller's transaction.
pub fn post_link_in(conn: &mut Conn, post_id: i64) -> Result<Option<CommunityPost>> {
    with_conn!(conn, |conn| {
        Ok::<_, crate::error::Error>(
            community_posts::table
                .filter(community_posts::post_id.eq(post_id))
                .select(CommunityPost::as_select())
                .first(conn)
                .optional()?,
        )
    })
}

/// A community's threads (not deleted), pinned first, newest first, with their authors.
pub async fn threads(core: &Core, community_id: i64) -> Result<Vec<(CommunityPost, Post, Actor)>> {
    crate::db::run(&core.db, move |c| threads_in(c, community_id)).await
}

/// [`threads`] inside the caller's transaction.
pub fn threads_in(conn: &mut Conn, community_id: i64) -> Result<Vec<(CommunityPost, Post, Actor)>> {
    with_conn!(conn, |conn| {
        Ok::<_, crate::Error>(
            community_posts::table
                .inner_join(posts::table)
                .inner_join(actors::table.on(actors::id.eq(posts::author_id)))
                .filter(community_posts::community_id.eq(community_id))
                .filter(community_posts::kind.eq("thread"))
                .filter(posts::deleted_at.is_null())
                .order((community_posts::pinned.desc(), posts::id.desc()))
                .select((
                    CommunityPost::as_select(),
                    Post::as_select(),
                    Actor::as_select(),
                ))
                .load(conn)?,
        )
    })
}

/// A thread's comments (not deleted), oldest first, with their authors.
pub async fn comments(core: &Core, thread_post_id: i64) -> Result<Vec<(Post, Actor)>> {
    crate::db::run(&core.db, move |c| comments_in(c, thread_post_id)).await
}

/// [`comments`] inside the caller's transaction.
pub fn comments_in(conn: &mut Conn, thread_post_id: i64) -> Result<Vec<(Post, Actor)>> {
    with_conn!(conn, |conn| {
        Ok::<_, crate::Error>(
            community_posts::table
                .inner_join(posts::table)
                .inner_join(actors::table.on(actors::id.eq(posts::author_id)))
                .filter(community_posts::thread_post_id.eq(thread_post_id))
                .filter(posts::deleted_at.is_null())
                .order(posts::id.asc())
                .select((Post::as_select(), Actor::as_select()))
                .load(conn)?,
        )
    })
}
