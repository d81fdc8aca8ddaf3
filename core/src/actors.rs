//! Actors seen from the storage side: remote actors upserted by `ap_id`, look-ups by id and
//! key, and the instance actor.

use diesel::prelude::*;
use diesel::upsert::excluded;

use crate::accounts::Actor;
use crate::error::{Error, Result};
use crate::schema::{actors, instances};
use crate::{db_run, db_tx, keys, now, Core};

/// What a fetched remote actor document says, as stored.
#[derive(Debug, Clone)]
pub struct RemoteActor {
    pub ap_id: String,
    pub ap_type: String,
    pub handle: String,
    pub host: String,
    pub display_name: String,
    pub summary: String,
    pub avatar_url: Option<String>,
    pub profile_url: Option<String>,
    pub inbox_url: String,
    pub shared_inbox_url: Option<String>,
    pub outbox_url: Option<String>,
    pub followers_url: Option<String>,
    pub following_url: Option<String>,
    pub key_id: String,
    pub public_key_pem: String,
    pub manually_approves_followers: bool,
    /// Profile fields (`PropertyValue` attachments) as name/value pairs, JSON-encoded.
    pub links_json: String,
    /// What a Kogi portfolio's document says in Kogi's terms.
    pub portfolio: Option<crate::portfolios::RemotePortfolio>,
    /// What a Group's document says beyond the actor.
    pub community: Option<crate::communities::RemoteCommunity>,
}

/// Kinds that may turn into each other on a refresh.
fn family(kind: &str) -> &str {
    match kind {
        "application" => "person",
        other => other,
    }
}

fn kind_for(ap_type: &str) -> &'static str {
    match ap_type {
        "Group" => "community",
        "Organization" => "portfolio",
        "Application" | "Service" => "application",
        _ => "person",
    }
}

/// Inserts or refreshes a remote actor (keyed by its id) and notes its instance.
pub async fn upsert_remote(core: &Core, a: RemoteActor) -> Result<Actor> {
    let t = now();
    let handle_norm = a.handle.to_lowercase();
    let a2 = a.clone();
    let actor: Result<Actor> = db_tx!(core.db, |conn| {
        let a = &a2;
        // An actor's kind never changes: a Person does not become a Group or a portfolio (or
        // back), whatever an Update says. Person, Service and Application are one family
        // (Mastodon flips Person and Service with the bot setting).
        let existing: Option<(i64, String)> = actors::table
            .filter(actors::ap_id.eq(&a.ap_id))
            .select((actors::id, actors::kind))
            .first(conn)
            .optional()?;
        if let Some((_, kind)) = &existing {
            if family(kind) != family(kind_for(&a.ap_type)) {
                return Err(Error::invalid("type", "actor_type_changed"));
            }
        }
        // A key id belongs to one actor. Another actor holding it is refused, unless that one
        // is on another host than the key (a squatter stored before keys were checked against
        // their actor's host): it loses the key instead.
        let holders: Vec<(i64, String, String)> = actors::table
            .filter(actors::key_id.eq(&a.key_id))
            .filter(actors::ap_id.ne(&a.ap_id))
            .select((actors::id, actors::ap_id, actors::host))
            .load(conn)?;
        let key_host = crate::deliveries::host_of(&a.key_id);
        for (holder_id, _, holder_host) in &holders {
            if key_host.as_deref() == Some(holder_host.as_str()) {
                return Err(Error::invalid("publicKey", "key_id_taken"));
            }
            diesel::update(actors::table.find(holder_id))
                .set(actors::key_id.eq(None::<String>))
                .execute(conn)?;
        }
        diesel::insert_into(instances::table)
            .values((
                instances::host.eq(&a.host),
                instances::shared_inbox_url.eq(&a.shared_inbox_url),
                instances::created_at.eq(t),
                instances::updated_at.eq(t),
            ))
            .on_conflict(instances::host)
            .do_nothing()
            .execute(conn)?;
        if a.shared_inbox_url.is_some() {
            diesel::update(instances::table.filter(instances::host.eq(&a.host)))
                .set(instances::shared_inbox_url.eq(&a.shared_inbox_url))
                .execute(conn)?;
        }
        let actor = diesel::insert_into(actors::table)
            .values((
                actors::ap_id.eq(&a.ap_id),
                actors::kind.eq(kind_for(&a.ap_type)),
                actors::ap_type.eq(&a.ap_type),
                actors::handle.eq(&a.handle),
                actors::handle_norm.eq(&handle_norm),
                actors::host.eq(&a.host),
                actors::local.eq(false),
                actors::display_name.eq(&a.display_name),
                actors::summary.eq(&a.summary),
                actors::avatar_url.eq(&a.avatar_url),
                actors::profile_url.eq(&a.profile_url),
                actors::links.eq(&a.links_json),
                actors::inbox_url.eq(&a.inbox_url),
                actors::shared_inbox_url.eq(&a.shared_inbox_url),
                actors::outbox_url.eq(&a.outbox_url),
                actors::followers_url.eq(&a.followers_url),
                actors::following_url.eq(&a.following_url),
                actors::key_id.eq(&a.key_id),
                actors::public_key_pem.eq(&a.public_key_pem),
                actors::manually_approves_followers.eq(a.manually_approves_followers),
                actors::created_at.eq(t),
                actors::updated_at.eq(t),
                actors::fetched_at.eq(Some(t)),
            ))
            .on_conflict(actors::ap_id)
            .do_update()
            .set((
                actors::ap_type.eq(excluded(actors::ap_type)),
                actors::display_name.eq(excluded(actors::display_name)),
                actors::summary.eq(excluded(actors::summary)),
                actors::avatar_url.eq(excluded(actors::avatar_url)),
                actors::profile_url.eq(excluded(actors::profile_url)),
                actors::links.eq(excluded(actors::links)),
                actors::inbox_url.eq(excluded(actors::inbox_url)),
                actors::shared_inbox_url.eq(excluded(actors::shared_inbox_url)),
                actors::outbox_url.eq(excluded(actors::outbox_url)),
                actors::followers_url.eq(excluded(actors::followers_url)),
                actors::following_url.eq(excluded(actors::following_url)),
                actors::key_id.eq(excluded(actors::key_id)),
                actors::public_key_pem.eq(excluded(actors::public_key_pem)),
                actors::manually_approves_followers
                    .eq(excluded(actors::manually_approves_followers)),
                actors::updated_at.eq(excluded(actors::updated_at)),
                actors::fetched_at.eq(excluded(actors::fetched_at)),
            ))
            .returning(Actor::as_returning())
            .get_result(conn)?;
        Ok(actor)
    });
    let actor = actor?;
    if let Some(p) = &a.portfolio {
        crate::portfolios::store::upsert_remote(core, actor.id, p).await?;
    }
    if let Some(c) = &a.community {
        crate::communities::store::upsert_remote(core, actor.id, c).await?;
    }
    Ok(actor)
}

pub async fn find_by_ap_id(core: &Core, ap_id: &str) -> Result<Option<Actor>> {
    let ap_id = ap_id.to_string();
    db_run!(core.db, |conn| {
        Ok(actors::table
            .filter(actors::ap_id.eq(&ap_id))
            .select(Actor::as_select())
            .first(conn)
            .optional()?)
    })
}

pub async fn find_by_id(core: &Core, id: i64) -> Result<Option<Actor>> {
    crate::db::run(&core.db, move |c| find_by_id_in(c, id)).await
}

/// [`find_by_id`] inside the caller's transaction (or read).
pub fn find_by_id_in(conn: &mut crate::db::Conn, id: i64) -> Result<Option<Actor>> {
    crate::with_conn!(conn, |conn| {
        Ok::<_, crate::Error>(
            actors::table
                .find(id)
                .select(Actor::as_select())
                .first(conn)
                .optional()?,
        )
    })
}

/// The actor owning a key id (`…#main-key`), if we have it.
/// The actor whose key this is: only an actor on the key's own host can hold it.
pub async fn find_by_key_id(core: &Core, key_id: &str) -> Result<Option<Actor>> {
    let key_id = key_id.to_string();
    let Some(host) = crate::deliveries::host_of(&key_id) else {
        return Ok(None);
    };
    db_run!(core.db, |conn| {
        Ok(actors::table
            .filter(actors::key_id.eq(&key_id))
            .filter(actors::host.eq(&host))
            .select(Actor::as_select())
            .first(conn)
            .optional()?)
    })
}

/// A remote actor by `user@host`, when known.
pub async fn find_remote_by_handle(core: &Core, handle: &str, host: &str) -> Result<Option<Actor>> {
    let (handle, host) = (handle.to_lowercase(), host.to_lowercase());
    db_run!(core.db, |conn| {
        Ok(actors::table
            .filter(actors::host.eq(&host))
            .filter(actors::handle_norm.eq(&handle))
            .filter(actors::local.eq(false))
            .select(Actor::as_select())
            .first(conn)
            .optional()?)
    })
}

/// The instance actor (`/actor`, type Application) that signs fetches; made on first use.
pub async fn instance_actor(core: &Core) -> Result<Actor> {
    let base = core.config.public_url.clone();
    let ap_id = format!("{base}/actor");
    if let Some(a) = find_by_ap_id(core, &ap_id).await? {
        return Ok(a);
    }
    let keys = keys::generate().await?;
    let host = core.config.host();
    let t = now();
    let id_for_insert = ap_id.clone();
    let inserted = db_tx!(core.db, |conn| {
        let ap_id = &id_for_insert;
        diesel::insert_into(actors::table)
            .values((
                actors::ap_id.eq(ap_id),
                actors::kind.eq("application"),
                actors::ap_type.eq("Application"),
                // Handles cannot contain dots or colons, so the host never collides with one.
                actors::handle.eq(&host),
                actors::handle_norm.eq(&host),
                actors::host.eq(&host),
                actors::local.eq(true),
                actors::display_name.eq(&host),
                actors::inbox_url.eq(format!("{ap_id}/inbox")),
                actors::shared_inbox_url.eq(format!("{base}/inbox")),
                actors::outbox_url.eq(format!("{ap_id}/outbox")),
                actors::public_key_pem.eq(&keys.public_pem),
                actors::private_key_pem.eq(&keys.private_pem),
                actors::key_id.eq(format!("{ap_id}#main-key")),
                actors::profile_url.eq(&base),
                actors::manually_approves_followers.eq(true),
                actors::created_at.eq(t),
                actors::updated_at.eq(t),
            ))
            .on_conflict(actors::ap_id)
            .do_nothing()
            .execute(conn)?;
        Ok(())
    });
    inserted?;
    find_by_ap_id(core, &ap_id).await?.ok_or(Error::NotFound)
}

/// Marks a remote actor deleted (a `Delete` of the actor arrived).
pub async fn mark_remote_deleted(core: &Core, actor_id: i64) -> Result<()> {
    let t = now();
    db_tx!(core.db, |conn| {
        diesel::update(actors::table.find(actor_id).filter(actors::local.eq(false)))
            .set((actors::deleted_at.eq(Some(t)), actors::updated_at.eq(t)))
            .execute(conn)?;
        diesel::delete(
            crate::schema::follows::table.filter(
                crate::schema::follows::follower_id
                    .eq(actor_id)
                    .or(crate::schema::follows::target_id.eq(actor_id)),
            ),
        )
        .execute(conn)?;
        Ok(())
    })
}

/// What a local actor (a person, a portfolio or a community) is created with; every URL is
/// minted from `ap_id` and the instance's `base` URL.
pub struct NewLocalActor<'a> {
    /// `person`, `portfolio` or `community`.
    pub kind: &'a str,
    /// `Person`, `Organization` or `Group`.
    pub ap_type: &'a str,
    pub ap_id: &'a str,
    /// The normalised handle (handles are stored as normalised).
    pub handle: &'a str,
    pub host: &'a str,
    pub base: &'a str,
    pub display_name: &'a str,
    pub summary: &'a str,
    pub links_json: &'a str,
    pub profile_url: &'a str,
    pub keys: &'a keys::KeyPair,
    pub manually_approves_followers: bool,
    pub at: chrono::NaiveDateTime,
}

/// Inserts a local actor's row inside the caller's transaction, returning its id. Used by
/// sign-up, portfolio creation and community creation alike.
pub fn insert_local_actor<C: LocalActorInsert>(
    conn: &mut C,
    a: &NewLocalActor<'_>,
) -> diesel::QueryResult<i64> {
    conn.insert_local_actor(a)
}

/// The connection types [`insert_local_actor`] runs on (one body, expanded per backend).
pub trait LocalActorInsert {
    fn insert_local_actor(&mut self, a: &NewLocalActor<'_>) -> diesel::QueryResult<i64>;
}

macro_rules! local_actor_insert {
    ($conn:ty) => {
        impl LocalActorInsert for $conn {
            fn insert_local_actor(&mut self, a: &NewLocalActor<'_>) -> diesel::QueryResult<i64> {
                let (ap_id, base) = (a.ap_id, a.base);
                diesel::insert_into(actors::table)
                    .values((
                        actors::ap_id.eq(ap_id),
                        actors::kind.eq(a.kind),
                        actors::ap_type.eq(a.ap_type),
                        actors::handle.eq(a.handle),
                        actors::handle_norm.eq(a.handle),
                        actors::host.eq(a.host),
                        actors::local.eq(true),
                        actors::display_name.eq(a.display_name),
                        actors::summary.eq(a.summary),
                        actors::links.eq(a.links_json),
                        actors::inbox_url.eq(format!("{ap_id}/inbox")),
                        actors::shared_inbox_url.eq(format!("{base}/inbox")),
                        actors::outbox_url.eq(format!("{ap_id}/outbox")),
                        actors::followers_url.eq(format!("{ap_id}/followers")),
                        actors::following_url.eq(format!("{ap_id}/following")),
                        actors::public_key_pem.eq(&a.keys.public_pem),
                        actors::private_key_pem.eq(&a.keys.private_pem),
                        actors::key_id.eq(format!("{ap_id}#main-key")),
                        actors::profile_url.eq(a.profile_url),
                        actors::manually_approves_followers.eq(a.manually_approves_followers),
                        actors::created_at.eq(a.at),
                        actors::updated_at.eq(a.at),
                    ))
                    .returning(actors::id)
                    .get_result(self)
            }
        }
    };
}

local_actor_insert!(diesel::sqlite::SqliteConnection);
local_actor_insert!(diesel::pg::PgConnection);
