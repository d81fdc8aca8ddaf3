//! Profile edits: display name, bio, interests and skills, link fields, avatar, language.

use diesel::prelude::*;

use super::model::{Actor, Person, ProfileLink, ProfileUpdate};
use crate::error::{Error, Result};
use crate::schema::{accounts, actors};
use crate::{db_tx, media, now, Core};

pub const DISPLAY_NAME_MAX: usize = 100;
pub const BIO_MAX: usize = 2000;
pub const TAGS_MAX: usize = 20;
pub const TAG_MAX: usize = 40;
pub const LINKS_MAX: usize = 4;
pub const LINK_NAME_MAX: usize = 60;
pub const LINK_URL_MAX: usize = 500;

/// Trims, drops empties and duplicates (any case), and checks counts and lengths.
pub fn clean_tags(field: &'static str, tags: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for t in tags {
        let t = t.trim().trim_start_matches('#').trim();
        if t.is_empty() {
            continue;
        }
        if t.chars().count() > TAG_MAX {
            return Err(Error::invalid(field, "field_too_long"));
        }
        if !out.iter().any(|o| o.to_lowercase() == t.to_lowercase()) {
            out.push(t.to_string());
        }
    }
    if out.len() > TAGS_MAX {
        return Err(Error::invalid(field, "field_too_long"));
    }
    Ok(out)
}

/// Link fields: at most four, each a name and an http(s) URL; blank rows are dropped.
pub fn clean_links(links: &[ProfileLink]) -> Result<Vec<ProfileLink>> {
    let links: Vec<ProfileLink> = links
        .iter()
        .map(|l| ProfileLink {
            name: l.name.trim().to_string(),
            url: l.url.trim().to_string(),
        })
        .filter(|l| !(l.name.is_empty() && l.url.is_empty()))
        .collect();
    if links.len() > LINKS_MAX {
        return Err(Error::invalid("links", "too_many_links"));
    }
    for l in &links {
        if l.name.chars().count() > LINK_NAME_MAX || l.url.len() > LINK_URL_MAX {
            return Err(Error::invalid("links", "field_too_long"));
        }
        let parsed =
            url::Url::parse(&l.url).map_err(|_| Error::invalid("links", "link_invalid"))?;
        if !matches!(parsed.scheme(), "http" | "https")
            || parsed.host_str().is_none()
            || l.name.is_empty()
        {
            return Err(Error::invalid("links", "link_invalid"));
        }
    }
    Ok(links)
}

/// Applies the given fields (absent ones stay as they are) after validating all of them.
pub async fn update_profile(core: &Core, person: &Person, update: ProfileUpdate) -> Result<Actor> {
    let display_name = match update.display_name {
        Some(n) => {
            let n = n.trim().to_string();
            if n.chars().count() > DISPLAY_NAME_MAX {
                return Err(Error::invalid("display_name", "field_too_long"));
            }
            Some(n)
        }
        None => None,
    };
    let bio = match update.bio {
        Some(b) => {
            let b = b.trim().replace("\r\n", "\n");
            if b.chars().count() > BIO_MAX {
                return Err(Error::invalid("bio", "field_too_long"));
            }
            Some(b)
        }
        None => None,
    };
    let interests = update
        .interests
        .map(|t| clean_tags("interests", &t))
        .transpose()?;
    let skills = update
        .skills
        .map(|t| clean_tags("skills", &t))
        .transpose()?;
    let links = update.links.map(|l| clean_links(&l)).transpose()?;
    let language = match update.language {
        Some(Some(l)) => {
            let l = l.trim().to_string();
            if l.is_empty() {
                Some(None)
            } else if l.len() > 8 || !l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                return Err(Error::invalid("language", "bad_request"));
            } else {
                Some(Some(l))
            }
        }
        other => other,
    };
    let interests = interests.map(|v| to_json(&v));
    let skills = skills.map(|v| to_json(&v));
    let links = links.map(|v| to_json(&v));
    let (actor_id, account_id) = (person.actor.id, person.account.id);
    let actor = db_tx!(core.db, |conn| {
        let t = now();
        if let Some(v) = &display_name {
            diesel::update(actors::table.find(actor_id))
                .set(actors::display_name.eq(v))
                .execute(conn)?;
        }
        if let Some(v) = &bio {
            diesel::update(actors::table.find(actor_id))
                .set(actors::summary.eq(v))
                .execute(conn)?;
        }
        if let Some(v) = &interests {
            diesel::update(actors::table.find(actor_id))
                .set(actors::interests.eq(v))
                .execute(conn)?;
        }
        if let Some(v) = &skills {
            diesel::update(actors::table.find(actor_id))
                .set(actors::skills.eq(v))
                .execute(conn)?;
        }
        if let Some(v) = &links {
            diesel::update(actors::table.find(actor_id))
                .set(actors::links.eq(v))
                .execute(conn)?;
        }
        if let Some(v) = update.locked {
            diesel::update(actors::table.find(actor_id))
                .set(actors::manually_approves_followers.eq(v))
                .execute(conn)?;
        }
        if let Some(v) = &language {
            diesel::update(accounts::table.find(account_id))
                .set(accounts::language.eq(v))
                .execute(conn)?;
        }
        let actor = diesel::update(actors::table.find(actor_id))
            .set(actors::updated_at.eq(t))
            .returning(Actor::as_returning())
            .get_result(conn)?;
        // Followers' servers hear of the change (an `Update` of the actor).
        crate::outbox::actor_updated(&mut crate::db::Conn::from(&mut *conn), actor_id)?;
        Ok(actor)
    })?;
    crate::outbox::committed(core, "update_profile");
    Ok(actor)
}

/// Checks and re-encodes an uploaded avatar (on a blocking thread) without storing anything,
/// so a form can refuse a bad image before it writes any other field.
pub async fn prepare_avatar(core: &Core, bytes: Vec<u8>) -> Result<Vec<u8>> {
    let max = core.config.avatar_max_bytes;
    tokio::task::spawn_blocking(move || media::process_avatar(&bytes, max))
        .await
        .map_err(|e| Error::Internal(format!("avatar task: {e}")))?
}

/// Replaces the avatar with an image from `prepare_avatar`, or with `None` removes it.
pub async fn set_avatar(core: &Core, person: &Person, webp: Option<Vec<u8>>) -> Result<Actor> {
    let media_dir = core.config.media_dir();
    let new_path = match webp {
        Some(bytes) => {
            let dir = media_dir.clone();
            Some(
                tokio::task::spawn_blocking(move || media::store(&dir, "avatars", "webp", &bytes))
                    .await
                    .map_err(|e| Error::Internal(format!("avatar task: {e}")))??,
            )
        }
        None => None,
    };
    let actor_id = person.actor.id;
    let stored = new_path.clone();
    let result = db_tx!(core.db, |conn| {
        let actor = diesel::update(actors::table.find(actor_id))
            .set((
                actors::avatar_path.eq(&stored),
                actors::updated_at.eq(now()),
            ))
            .returning(Actor::as_returning())
            .get_result(conn)?;
        crate::outbox::actor_updated(&mut crate::db::Conn::from(&mut *conn), actor_id)?;
        Ok(actor)
    });
    match result {
        Ok(actor) => {
            crate::outbox::committed(core, "set_avatar");
            if let Some(old) = &person.actor.avatar_path {
                media::remove(&media_dir, old);
            }
            Ok(actor)
        }
        Err(e) => {
            if let Some(p) = &new_path {
                media::remove(&media_dir, p);
            }
            Err(e)
        }
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}
