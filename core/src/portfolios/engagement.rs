//! Watching (a notification on every update), bookmarks in named folders, and the owner's
//! metrics: views per day, followers over time, likes per item.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;

use super::model::Portfolio;
use super::rules::{required_text, SHORT_MAX};
use crate::db::Conn;
use crate::error::{Error, Result};
use crate::schema::{
    bookmark_folders, bookmarks, follows, portfolio_items, portfolio_views, portfolio_watches,
    posts,
};
use crate::{db_run, db_tx, now, with_conn, Core};

pub async fn watch(core: &Core, portfolio_id: i64, actor_id: i64, on: bool) -> Result<bool> {
    let t = now();
    db_tx!(core.db, |conn| {
        let n = if on {
            diesel::insert_into(portfolio_watches::table)
                .values((
                    portfolio_watches::portfolio_id.eq(portfolio_id),
                    portfolio_watches::actor_id.eq(actor_id),
                    portfolio_watches::created_at.eq(t),
                ))
                .on_conflict((portfolio_watches::portfolio_id, portfolio_watches::actor_id))
                .do_nothing()
                .execute(conn)?
        } else {
            diesel::delete(
                portfolio_watches::table
                    .filter(portfolio_watches::portfolio_id.eq(portfolio_id))
                    .filter(portfolio_watches::actor_id.eq(actor_id)),
            )
            .execute(conn)?
        };
        Ok(n > 0)
    })
}

pub async fn is_watching(core: &Core, portfolio_id: i64, actor_id: i64) -> Result<bool> {
    let n: i64 = db_run!(core.db, |conn| {
        Ok(portfolio_watches::table
            .filter(portfolio_watches::portfolio_id.eq(portfolio_id))
            .filter(portfolio_watches::actor_id.eq(actor_id))
            .count()
            .get_result(conn)?)
    })?;
    Ok(n > 0)
}

/// Actor ids watching a portfolio.
pub async fn watchers(core: &Core, portfolio_id: i64) -> Result<Vec<i64>> {
    crate::db::run(&core.db, move |c| watchers_in(c, portfolio_id)).await
}

/// [`watchers`] inside the caller's transaction.
pub fn watchers_in(conn: &mut Conn, portfolio_id: i64) -> Result<Vec<i64>> {
    with_conn!(conn, |c| {
        Ok(portfolio_watches::table
            .filter(portfolio_watches::portfolio_id.eq(portfolio_id))
            .select(portfolio_watches::actor_id)
            .load(c)?)
    })
}

/// Tells the watchers of a portfolio who may see an update (`post_id`: the item's or
/// update's post, when there is one) about it, inside the caller's transaction: everyone
/// for what goes to followers, only watchers on the team (`team`) for what stays with it.
pub fn notify_watchers_in(
    conn: &mut Conn,
    p: &Portfolio,
    audience: super::Audience,
    post_id: Option<i64>,
    team: &[i64],
) -> Result<usize> {
    let mut n = 0;
    for actor_id in watchers_in(conn, p.id())? {
        let sees = match audience {
            super::Audience::Followers { .. } => true,
            super::Audience::Team | super::Audience::Nobody => team.contains(&actor_id),
        };
        if sees {
            crate::posts::actions::notify_in(
                conn,
                actor_id,
                "portfolio_update",
                p.actor.id,
                post_id,
            )?;
            n += 1;
        }
    }
    Ok(n)
}

/// What a bookmark points at.
pub const BOOKMARK_KINDS: &[&str] = &["portfolio", "item", "project"];

#[derive(Debug, Clone, Serialize)]
pub struct Folder {
    pub id: i64,
    pub name: String,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Bookmark {
    pub id: i64,
    pub folder: String,
    pub target_kind: String,
    pub target_id: i64,
}

/// A person's folder by name, made when missing.
pub async fn folder(core: &Core, owner_id: i64, name: &str) -> Result<i64> {
    let name = required_text("folder", name, SHORT_MAX)?;
    let norm = name.to_lowercase();
    let t = now();
    db_tx!(core.db, |conn| {
        diesel::insert_into(bookmark_folders::table)
            .values((
                bookmark_folders::owner_id.eq(owner_id),
                bookmark_folders::name.eq(&name),
                bookmark_folders::name_norm.eq(&norm),
                bookmark_folders::created_at.eq(t),
            ))
            .on_conflict((bookmark_folders::owner_id, bookmark_folders::name_norm))
            .do_nothing()
            .execute(conn)?;
        Ok(bookmark_folders::table
            .filter(bookmark_folders::owner_id.eq(owner_id))
            .filter(bookmark_folders::name_norm.eq(&norm))
            .select(bookmark_folders::id)
            .first(conn)?)
    })
}

pub async fn folders(core: &Core, owner_id: i64) -> Result<Vec<Folder>> {
    let rows: Vec<(i64, String)> = db_run!(core.db, |conn| {
        Ok(bookmark_folders::table
            .filter(bookmark_folders::owner_id.eq(owner_id))
            .order(bookmark_folders::name_norm.asc())
            .select((bookmark_folders::id, bookmark_folders::name))
            .load(conn)?)
    })?;
    let mut out = Vec::new();
    for (id, name) in rows {
        let count: i64 = db_run!(core.db, |conn| {
            Ok(bookmarks::table
                .filter(bookmarks::folder_id.eq(id))
                .count()
                .get_result(conn)?)
        })?;
        out.push(Folder { id, name, count });
    }
    Ok(out)
}

/// Bookmarks something into the named folder (made when missing). Returns false when it was
/// already there.
pub async fn bookmark(
    core: &Core,
    owner_id: i64,
    folder_name: &str,
    kind: &str,
    target_id: i64,
) -> Result<bool> {
    if !BOOKMARK_KINDS.contains(&kind) {
        return Err(Error::invalid("kind", "kind_invalid"));
    }
    let folder_id = folder(core, owner_id, folder_name).await?;
    let kind = kind.to_string();
    let t = now();
    let n = db_tx!(core.db, |conn| {
        Ok(diesel::insert_into(bookmarks::table)
            .values((
                bookmarks::folder_id.eq(folder_id),
                bookmarks::target_kind.eq(&kind),
                bookmarks::target_id.eq(target_id),
                bookmarks::created_at.eq(t),
            ))
            .on_conflict((
                bookmarks::folder_id,
                bookmarks::target_kind,
                bookmarks::target_id,
            ))
            .do_nothing()
            .execute(conn)?)
    })?;
    Ok(n > 0)
}

pub async fn unbookmark(core: &Core, owner_id: i64, bookmark_id: i64) -> Result<bool> {
    let n = db_tx!(core.db, |conn| {
        let mine = bookmark_folders::table
            .filter(bookmark_folders::owner_id.eq(owner_id))
            .select(bookmark_folders::id);
        Ok(diesel::delete(
            bookmarks::table
                .filter(bookmarks::id.eq(bookmark_id))
                .filter(bookmarks::folder_id.eq_any(mine)),
        )
        .execute(conn)?)
    })?;
    Ok(n > 0)
}

/// A person's bookmarks, optionally of one folder (by name, any case), newest first.
pub async fn bookmarks(
    core: &Core,
    owner_id: i64,
    folder_name: Option<&str>,
) -> Result<Vec<Bookmark>> {
    let norm = folder_name.map(|f| f.trim().to_lowercase());
    let rows: Vec<(i64, String, String, i64)> = db_run!(core.db, |conn| {
        let mut q = bookmarks::table
            .inner_join(bookmark_folders::table)
            .filter(bookmark_folders::owner_id.eq(owner_id))
            .into_boxed();
        if let Some(n) = &norm {
            q = q.filter(bookmark_folders::name_norm.eq(n));
        }
        Ok(q.order(bookmarks::id.desc())
            .select((
                bookmarks::id,
                bookmark_folders::name,
                bookmarks::target_kind,
                bookmarks::target_id,
            ))
            .load(conn)?)
    })?;
    Ok(rows
        .into_iter()
        .map(|(id, folder, target_kind, target_id)| Bookmark {
            id,
            folder,
            target_kind,
            target_id,
        })
        .collect())
}

/// Crawlers, link previewers and fediverse servers fetching previews: not views.
pub fn is_bot(user_agent: &str) -> bool {
    let ua = user_agent.to_ascii_lowercase();
    ua.is_empty()
        || [
            "bot",
            "crawl",
            "spider",
            "slurp",
            "preview",
            "facebookexternalhit",
            "embedly",
            "mastodon",
            "pleroma",
            "akkoma",
            "misskey",
            "lemmy",
            "gotosocial",
            "http.rb",
            "python-requests",
            "curl/",
            "wget/",
            "headless",
        ]
        .iter()
        .any(|b| ua.contains(b))
}

/// Counts one page view for today (no address or identity is kept).
pub async fn record_view(core: &Core, portfolio_id: i64) -> Result<()> {
    let day = now().date().format("%Y-%m-%d").to_string();
    db_tx!(core.db, |conn| {
        diesel::insert_into(portfolio_views::table)
            .values((
                portfolio_views::portfolio_id.eq(portfolio_id),
                portfolio_views::day.eq(&day),
                portfolio_views::views.eq(1i64),
            ))
            .on_conflict((portfolio_views::portfolio_id, portfolio_views::day))
            .do_update()
            .set(portfolio_views::views.eq(portfolio_views::views + 1i64))
            .execute(conn)?;
        Ok(())
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct DayCount {
    pub day: String,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ItemLikes {
    pub item_id: i64,
    pub title: String,
    pub likes: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Metrics {
    /// Views per day over the period, oldest first (days without views count 0).
    pub views: Vec<DayCount>,
    /// Followers at the end of each day over the period.
    pub followers: Vec<DayCount>,
    pub likes: Vec<ItemLikes>,
}

/// The owner's numbers for the last `days` days.
pub async fn metrics(core: &Core, p: &Portfolio, days: i64) -> Result<Metrics> {
    let days = days.clamp(1, 366);
    let today = now().date();
    let start = today - chrono::Duration::days(days - 1);
    let pid = p.id();
    let aid = p.actor.id;
    let start_s = start.format("%Y-%m-%d").to_string();
    let views: Vec<(String, i64)> = db_run!(core.db, |conn| {
        Ok(portfolio_views::table
            .filter(portfolio_views::portfolio_id.eq(pid))
            .filter(portfolio_views::day.ge(&start_s))
            .select((portfolio_views::day, portfolio_views::views))
            .load(conn)?)
    })?;
    let views: BTreeMap<String, i64> = views.into_iter().collect();
    let follow_times: Vec<chrono::NaiveDateTime> = db_run!(core.db, |conn| {
        Ok(follows::table
            .filter(follows::target_id.eq(aid))
            .filter(follows::state.eq(crate::follows::ACCEPTED))
            .select(follows::created_at)
            .load(conn)?)
    })?;
    let mut view_series = Vec::new();
    let mut follower_series = Vec::new();
    let mut d: NaiveDate = start;
    while d <= today {
        let key = d.format("%Y-%m-%d").to_string();
        view_series.push(DayCount {
            count: views.get(&key).copied().unwrap_or(0),
            day: key.clone(),
        });
        let count = follow_times.iter().filter(|t| t.date() <= d).count() as i64;
        follower_series.push(DayCount { day: key, count });
        d += chrono::Duration::days(1);
    }
    let likes: Vec<(i64, String, Option<i32>)> = db_run!(core.db, |conn| {
        Ok(portfolio_items::table
            .left_join(posts::table.on(posts::id.nullable().eq(portfolio_items::post_id)))
            .filter(portfolio_items::portfolio_id.eq(pid))
            .filter(portfolio_items::deleted_at.is_null())
            .order(portfolio_items::position.asc())
            .select((
                portfolio_items::id,
                portfolio_items::title,
                posts::like_count.nullable(),
            ))
            .load(conn)?)
    })?;
    Ok(Metrics {
        views: view_series,
        followers: follower_series,
        likes: likes
            .into_iter()
            .map(|(item_id, title, l)| ItemLikes {
                item_id,
                title,
                likes: i64::from(l.unwrap_or(0)),
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn bots_are_not_views() {
        assert!(super::is_bot("Mozilla/5.0 (compatible; Googlebot/2.1)"));
        assert!(super::is_bot(
            "http.rb/5.1.1 (Mastodon/4.2.0; +https://m.example/)"
        ));
        assert!(super::is_bot(""));
        assert!(!super::is_bot(
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120 Safari/537.36"
        ));
    }
}
