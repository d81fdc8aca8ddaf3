//! Community use cases: creating and editing a community, its picture, roles, bans and
//! threads, and storing what other instances send about theirs.

use diesel::prelude::*;
use diesel::upsert::excluded;
use serde::Deserialize;

use super::model::*;
use super::queries::find;
use super::rules::clean_portfolios;
use crate::accounts::rules::{is_reserved, normalise_handle};
use crate::accounts::{clean_tags, Actor};
use crate::db::Conn;
use crate::error::{Error, Result};
use crate::portfolios::rules::{optional_text, required_text};
use crate::schema::{
    accounts, actors, communities, community_bans, community_posts, community_roles, follows,
};
use crate::{db_tx, keys, now, with_conn, Core};

/// A community as its founder describes it; absent fields are left as they are on edits.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CommunityInput {
    /// Creation only: `[a-z0-9_]{1,30}`, shared with people and portfolios.
    pub handle: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    /// `community` (default), `team`, `organization` or `cohort`.
    pub kind: Option<String>,
    /// `public` (default), `private` (joining needs approval) or `invite`.
    pub visibility: Option<String>,
    pub rules: Option<String>,
    pub tags: Option<Vec<String>>,
    /// Linked portfolios, as their actor URLs.
    pub portfolios: Option<Vec<String>>,
}

/// Creates a community; its founder is its owner and first member.
pub async fn create(core: &Core, owner: &Actor, input: CommunityInput) -> Result<Community> {
    let handle = input
        .handle
        .as_deref()
        .and_then(normalise_handle)
        .ok_or(Error::invalid("handle", "handle_invalid"))?;
    if is_reserved(&handle) {
        return Err(Error::invalid("handle", "handle_taken"));
    }
    let name = required_text("name", input.name.as_deref().unwrap_or(""), 200)?;
    let description = optional_text(
        "description",
        input.description.as_deref().unwrap_or(""),
        5000,
    )?;
    let rules = optional_text("rules", input.rules.as_deref().unwrap_or(""), 10000)?;
    let kind = input.kind.clone().unwrap_or_else(|| "community".into());
    if !KINDS.contains(&kind.as_str()) {
        return Err(Error::invalid("kind", "kind_invalid"));
    }
    let visibility = match input.visibility.as_deref() {
        None => Visibility::Public,
        Some(v) => {
            Visibility::parse(v).ok_or(Error::invalid("visibility", "visibility_invalid"))?
        }
    };
    let tags = serde_json::to_string(&clean_tags(
        "tags",
        &input.tags.clone().unwrap_or_default(),
    )?)
    .map_err(|e| Error::Internal(e.to_string()))?;
    let portfolios = clean_portfolios(&input.portfolios.clone().unwrap_or_default())?;
    let keys = keys::generate().await?;
    let base = core.config.public_url.clone();
    let host = core.config.host();
    let ap_id = format!("{base}/communities/{handle}");
    let owner_id = owner.id;
    let t = now();
    let res = db_tx!(core.db, |conn| {
        let taken: i64 = actors::table
            .filter(actors::host.eq(&host))
            .filter(actors::handle_norm.eq(&handle))
            .count()
            .get_result(conn)?;
        let taken_account: i64 = accounts::table
            .filter(accounts::username_norm.eq(&handle))
            .count()
            .get_result(conn)?;
        if taken > 0 || taken_account > 0 {
            return Err(Error::invalid("handle", "handle_taken"));
        }
        let actor_id = crate::actors::insert_local_actor(
            conn,
            &crate::actors::NewLocalActor {
                kind: "community",
                ap_type: "Group",
                ap_id: &ap_id,
                handle: &handle,
                host: &host,
                base: &base,
                display_name: &name,
                summary: &description,
                links_json: "[]",
                profile_url: &ap_id,
                keys: &keys,
                manually_approves_followers: visibility != Visibility::Public,
                at: t,
            },
        )?;
        let cid: i64 = diesel::insert_into(communities::table)
            .values((
                communities::actor_id.eq(actor_id),
                communities::local.eq(true),
                communities::kind.eq(&kind),
                communities::visibility.eq(visibility.as_str()),
                communities::rules.eq(&rules),
                communities::tags.eq(&tags),
                communities::portfolios.eq(&portfolios),
                communities::moderators_url.eq(format!("{ap_id}/moderators")),
                communities::featured_url.eq(format!("{ap_id}/featured")),
                communities::created_at.eq(t),
                communities::updated_at.eq(t),
            ))
            .returning(communities::id)
            .get_result(conn)?;
        diesel::insert_into(community_roles::table)
            .values((
                community_roles::community_id.eq(cid),
                community_roles::actor_id.eq(owner_id),
                community_roles::role.eq(Role::Owner.as_str()),
                community_roles::created_at.eq(t),
            ))
            .execute(conn)?;
        diesel::insert_into(follows::table)
            .values((
                follows::follower_id.eq(owner_id),
                follows::target_id.eq(actor_id),
                follows::ap_id.eq(format!("{ap_id}#member-{owner_id}")),
                follows::state.eq(crate::follows::ACCEPTED),
                follows::created_at.eq(t),
                follows::updated_at.eq(t),
            ))
            .execute(conn)?;
        Ok(cid)
    });
    let cid = match res {
        Err(e) if e.is_unique_violation() => return Err(Error::invalid("handle", "handle_taken")),
        other => other?,
    };
    find(core, cid).await?.ok_or(Error::NotFound)
}

/// Edits a local community's profile: only the fields given change (the handle cannot).
pub async fn update(core: &Core, c: &Community, input: CommunityInput) -> Result<Community> {
    if input.handle.is_some() {
        return Err(Error::invalid("handle", "handle_fixed"));
    }
    let name = match &input.name {
        Some(n) => required_text("name", n, 200)?,
        None => c.actor.display_name.clone(),
    };
    let description = match &input.description {
        Some(d) => optional_text("description", d, 5000)?,
        None => c.actor.summary.clone(),
    };
    let rules = match &input.rules {
        Some(r) => optional_text("rules", r, 10000)?,
        None => c.row.rules.clone(),
    };
    let kind = input.kind.clone().unwrap_or_else(|| c.row.kind.clone());
    if !KINDS.contains(&kind.as_str()) {
        return Err(Error::invalid("kind", "kind_invalid"));
    }
    let visibility = match input.visibility.as_deref() {
        None => c.visibility(),
        Some(v) => {
            Visibility::parse(v).ok_or(Error::invalid("visibility", "visibility_invalid"))?
        }
    };
    let tags = match &input.tags {
        Some(t) => serde_json::to_string(&clean_tags("tags", t)?)
            .map_err(|e| Error::Internal(e.to_string()))?,
        None => c.row.tags.clone(),
    };
    let portfolios = match &input.portfolios {
        Some(p) => clean_portfolios(p)?,
        None => c.row.portfolios.clone(),
    };
    let (cid, aid) = (c.id(), c.actor.id);
    let t = now();
    db_tx!(core.db, |conn| {
        diesel::update(actors::table.find(aid))
            .set((
                actors::display_name.eq(&name),
                actors::summary.eq(&description),
                actors::manually_approves_followers.eq(visibility != Visibility::Public),
                actors::updated_at.eq(t),
            ))
            .execute(conn)?;
        diesel::update(communities::table.find(cid))
            .set((
                communities::kind.eq(&kind),
                communities::visibility.eq(visibility.as_str()),
                communities::rules.eq(&rules),
                communities::tags.eq(&tags),
                communities::portfolios.eq(&portfolios),
                communities::updated_at.eq(t),
            ))
            .execute(conn)?;
        // Members' servers hear of the change (an `Update` of the group).
        crate::outbox::actor_updated(&mut crate::db::Conn::from(&mut *conn), aid)?;
        Ok(())
    })?;
    crate::outbox::committed(core, "update_community");
    find(core, cid).await?.ok_or(Error::NotFound)
}

/// Which picture of a community.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Picture {
    Avatar,
    Banner,
}

/// An uploaded avatar (a 400×400 WebP) or banner (a WebP of at most 2048 px a side), checked
/// and re-encoded without metadata.
pub async fn prepare_picture(core: &Core, which: Picture, bytes: Vec<u8>) -> Result<Vec<u8>> {
    match which {
        Picture::Avatar => crate::accounts::prepare_avatar(core, bytes).await,
        Picture::Banner => {
            let max = core.config.avatar_max_bytes;
            tokio::task::spawn_blocking(move || crate::media::process_post_image(&bytes, max))
                .await
                .map_err(|e| Error::Internal(format!("picture task: {e}")))?
        }
    }
}

/// Replaces a community's avatar or banner with a WebP image from [`prepare_picture`], or
/// with `None` removes it.
pub async fn set_picture(
    core: &Core,
    c: &Community,
    which: Picture,
    webp: Option<Vec<u8>>,
) -> Result<Community> {
    let media_dir = core.config.media_dir();
    let sub = match which {
        Picture::Avatar => "avatars",
        Picture::Banner => "banners",
    };
    let new_path = match webp {
        Some(bytes) => {
            let dir = media_dir.clone();
            Some(
                tokio::task::spawn_blocking(move || crate::media::store(&dir, sub, "webp", &bytes))
                    .await
                    .map_err(|e| Error::Internal(format!("picture task: {e}")))??,
            )
        }
        None => None,
    };
    let (cid, aid) = (c.id(), c.actor.id);
    let stored = new_path.clone();
    let t = now();
    let res = db_tx!(core.db, |conn| {
        match which {
            Picture::Avatar => {
                diesel::update(actors::table.find(aid))
                    .set((actors::avatar_path.eq(&stored), actors::updated_at.eq(t)))
                    .execute(conn)?;
            }
            Picture::Banner => {
                diesel::update(communities::table.find(cid))
                    .set((
                        communities::banner_path.eq(&stored),
                        communities::updated_at.eq(t),
                    ))
                    .execute(conn)?;
            }
        }
        crate::outbox::actor_updated(&mut crate::db::Conn::from(&mut *conn), aid)?;
        Ok(())
    });
    let old = match which {
        Picture::Avatar => c.actor.avatar_path.clone(),
        Picture::Banner => c.row.banner_path.clone(),
    };
    match res {
        Ok(()) => {
            crate::outbox::committed(core, "set_community_picture");
            if let Some(o) = old {
                crate::media::remove(&media_dir, &o);
            }
            find(core, cid).await?.ok_or(Error::NotFound)
        }
        Err(e) => {
            if let Some(p) = &new_path {
                crate::media::remove(&media_dir, p);
            }
            Err(e)
        }
    }
}

/// Makes someone a moderator (or owner), or back a plain member (`None`).
pub async fn set_role(core: &Core, c: &Community, actor_id: i64, role: Option<Role>) -> Result<()> {
    let cid = c.id();
    crate::db::tx(&core.db, move |conn| set_role_in(conn, cid, actor_id, role)).await
}

/// [`set_role`] inside the caller's transaction.
pub fn set_role_in(conn: &mut Conn, cid: i64, actor_id: i64, role: Option<Role>) -> Result<()> {
    let t = now();
    with_conn!(conn, |conn| {
        match role {
            Some(r) if r != Role::Member => {
                diesel::insert_into(community_roles::table)
                    .values((
                        community_roles::community_id.eq(cid),
                        community_roles::actor_id.eq(actor_id),
                        community_roles::role.eq(r.as_str()),
                        community_roles::created_at.eq(t),
                    ))
                    .on_conflict((community_roles::community_id, community_roles::actor_id))
                    .do_update()
                    .set(community_roles::role.eq(excluded(community_roles::role)))
                    .execute(conn)?;
            }
            _ => {
                diesel::delete(
                    community_roles::table
                        .filter(community_roles::community_id.eq(cid))
                        .filter(community_roles::actor_id.eq(actor_id)),
                )
                .execute(conn)?;
            }
        }
        Ok(())
    })
}

/// Bans someone inside the caller's transaction: their membership and role end (`gid` is
/// the community's actor).
pub fn ban_in(conn: &mut Conn, cid: i64, gid: i64, actor_id: i64, reason: &str) -> Result<()> {
    let reason = optional_text("reason", reason, 1000)?;
    let t = now();
    with_conn!(conn, |conn| {
        diesel::insert_into(community_bans::table)
            .values((
                community_bans::community_id.eq(cid),
                community_bans::actor_id.eq(actor_id),
                community_bans::reason.eq(&reason),
                community_bans::created_at.eq(t),
            ))
            .on_conflict((community_bans::community_id, community_bans::actor_id))
            .do_nothing()
            .execute(conn)?;
        diesel::delete(
            follows::table
                .filter(follows::follower_id.eq(actor_id))
                .filter(follows::target_id.eq(gid)),
        )
        .execute(conn)?;
        diesel::delete(
            community_roles::table
                .filter(community_roles::community_id.eq(cid))
                .filter(community_roles::actor_id.eq(actor_id)),
        )
        .execute(conn)?;
        Ok(())
    })
}

/// Records that a post is a thread (with its title) or a comment (under `thread_post_id`) of
/// a community. Idempotent.
pub async fn link_post(
    core: &Core,
    community_id: i64,
    post_id: i64,
    kind: &str,
    title: &str,
    thread_post_id: Option<i64>,
) -> Result<()> {
    let (kind, title) = (kind.to_string(), title.to_string());
    crate::db::tx(&core.db, move |conn| {
        link_post_in(conn, community_id, post_id, &kind, &title, thread_post_id)
    })
    .await
}

/// [`link_post`] inside the caller's transaction.
pub fn link_post_in(
    conn: &mut Conn,
    community_id: i64,
    post_id: i64,
    kind: &str,
    title: &str,
    thread_post_id: Option<i64>,
) -> Result<()> {
    let title = title.chars().take(300).collect::<String>();
    let t = now();
    with_conn!(conn, |conn| {
        diesel::insert_into(community_posts::table)
            .values((
                community_posts::post_id.eq(post_id),
                community_posts::community_id.eq(community_id),
                community_posts::kind.eq(kind),
                community_posts::title.eq(&title),
                community_posts::thread_post_id.eq(thread_post_id),
                community_posts::created_at.eq(t),
            ))
            .on_conflict(community_posts::post_id)
            .do_update()
            .set(community_posts::title.eq(excluded(community_posts::title)))
            .execute(conn)?;
        Ok(())
    })
}

pub async fn set_locked(core: &Core, post_id: i64, locked: bool) -> Result<()> {
    crate::db::tx(&core.db, move |conn| set_locked_in(conn, post_id, locked)).await
}

/// Locks or unlocks a thread, inside the caller's transaction.
pub fn set_locked_in(conn: &mut Conn, post_id: i64, locked: bool) -> Result<()> {
    with_conn!(conn, |conn| {
        diesel::update(community_posts::table.filter(community_posts::post_id.eq(post_id)))
            .set(community_posts::locked.eq(locked))
            .execute(conn)?;
        Ok(())
    })
}

/// Stores what a remote Group document says (its row in `communities`).
pub async fn upsert_remote(core: &Core, actor_id: i64, r: &RemoteCommunity) -> Result<()> {
    let r = r.clone();
    let kind = if KINDS.contains(&r.kind.as_str()) {
        r.kind.clone()
    } else {
        "community".into()
    };
    let vis = Visibility::parse(&r.visibility).unwrap_or(Visibility::Public);
    let rules: String = r.rules.chars().take(10000).collect();
    let tags = serde_json::to_string(&clean_tags("tags", &r.tags).unwrap_or_default())
        .map_err(|e| Error::Internal(e.to_string()))?;
    let portfolios = clean_portfolios(&r.portfolios).unwrap_or_else(|_| "[]".into());
    let t = now();
    db_tx!(core.db, |conn| {
        diesel::insert_into(communities::table)
            .values((
                communities::actor_id.eq(actor_id),
                communities::local.eq(false),
                communities::kind.eq(&kind),
                communities::visibility.eq(vis.as_str()),
                communities::rules.eq(&rules),
                communities::tags.eq(&tags),
                communities::portfolios.eq(&portfolios),
                communities::banner_url.eq(&r.banner_url),
                communities::moderators_url.eq(&r.moderators_url),
                communities::featured_url.eq(&r.featured_url),
                communities::created_at.eq(t),
                communities::updated_at.eq(t),
            ))
            .on_conflict(communities::actor_id)
            .do_update()
            .set((
                communities::kind.eq(excluded(communities::kind)),
                communities::visibility.eq(excluded(communities::visibility)),
                communities::rules.eq(excluded(communities::rules)),
                communities::tags.eq(excluded(communities::tags)),
                communities::portfolios.eq(excluded(communities::portfolios)),
                communities::banner_url.eq(excluded(communities::banner_url)),
                communities::moderators_url.eq(excluded(communities::moderators_url)),
                communities::featured_url.eq(excluded(communities::featured_url)),
                communities::updated_at.eq(excluded(communities::updated_at)),
            ))
            .execute(conn)?;
        Ok(())
    })
}
