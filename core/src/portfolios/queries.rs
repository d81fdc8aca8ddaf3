//! Reads: portfolios with their actors, the team, items, projects and updates.

use diesel::prelude::*;

use super::model::{Item, Member, Portfolio, PortfolioRow, Project, Role, Viewer};
use crate::accounts::Actor;
use crate::db::Conn;
use crate::error::Result;
use crate::posts::Post;
use crate::schema::{
    actors, portfolio_items, portfolio_members, portfolios, posts, project_members,
    project_updates, projects,
};
use crate::{db_run, with_conn, Core};

fn wrap(rows: Vec<(PortfolioRow, Actor)>) -> Vec<Portfolio> {
    rows.into_iter()
        .map(|(row, actor)| Portfolio { row, actor })
        .collect()
}

/// A local portfolio by handle (deleted ones included: their URLs answer 410).
pub async fn find_by_handle(core: &Core, handle: &str) -> Result<Option<Portfolio>> {
    let norm = handle.trim().to_lowercase();
    let host = core.config.host();
    let rows = db_run!(core.db, |conn| {
        Ok(portfolios::table
            .inner_join(actors::table)
            .filter(actors::handle_norm.eq(&norm))
            .filter(actors::host.eq(&host))
            .filter(actors::local.eq(true))
            .select((PortfolioRow::as_select(), Actor::as_select()))
            .load(conn)?)
    })?;
    Ok(wrap(rows).into_iter().next())
}

pub async fn find_by_actor(core: &Core, actor_id: i64) -> Result<Option<Portfolio>> {
    let rows = db_run!(core.db, |conn| {
        Ok(portfolios::table
            .inner_join(actors::table)
            .filter(portfolios::actor_id.eq(actor_id))
            .select((PortfolioRow::as_select(), Actor::as_select()))
            .load(conn)?)
    })?;
    Ok(wrap(rows).into_iter().next())
}

pub async fn find(core: &Core, id: i64) -> Result<Option<Portfolio>> {
    crate::db::run(&core.db, move |c| find_in(c, id)).await
}

/// [`find`] inside the caller's transaction.
pub fn find_in(conn: &mut Conn, id: i64) -> Result<Option<Portfolio>> {
    let rows = with_conn!(conn, |c| {
        Ok::<_, crate::Error>(
            portfolios::table
                .inner_join(actors::table)
                .filter(portfolios::id.eq(id))
                .select((PortfolioRow::as_select(), Actor::as_select()))
                .load(c)?,
        )
    })?;
    Ok(wrap(rows).into_iter().next())
}

pub async fn find_by_ap_id(core: &Core, ap_id: &str) -> Result<Option<Portfolio>> {
    let ap_id = ap_id.to_string();
    let rows = db_run!(core.db, |conn| {
        Ok(portfolios::table
            .inner_join(actors::table)
            .filter(actors::ap_id.eq(&ap_id))
            .select((PortfolioRow::as_select(), Actor::as_select()))
            .load(conn)?)
    })?;
    Ok(wrap(rows).into_iter().next())
}

pub async fn role_of(core: &Core, portfolio_id: i64, actor_id: i64) -> Result<Option<Role>> {
    let role: Option<String> = db_run!(core.db, |conn| {
        Ok(portfolio_members::table
            .filter(portfolio_members::portfolio_id.eq(portfolio_id))
            .filter(portfolio_members::actor_id.eq(actor_id))
            .select(portfolio_members::role)
            .first(conn)
            .optional()?)
    })?;
    Ok(role.as_deref().and_then(Role::parse))
}

/// The viewer as a portfolio sees them: their role on its team, if any.
pub async fn viewer(
    core: &Core,
    p: &Portfolio,
    actor_id: Option<i64>,
    admin: bool,
) -> Result<Viewer> {
    let role = match actor_id {
        Some(a) if p.row.local => role_of(core, p.id(), a).await?,
        _ => None,
    };
    Ok(Viewer {
        actor_id,
        role,
        admin,
    })
}

/// The team, owners first.
pub async fn members(core: &Core, portfolio_id: i64) -> Result<Vec<(Member, Actor)>> {
    crate::db::run(&core.db, move |c| members_in(c, portfolio_id)).await
}

/// [`members`] inside the caller's transaction: the team, owners first.
pub fn members_in(conn: &mut Conn, portfolio_id: i64) -> Result<Vec<(Member, Actor)>> {
    let mut rows: Vec<(Member, Actor)> = with_conn!(conn, |c| {
        Ok::<_, crate::Error>(
            portfolio_members::table
                .inner_join(actors::table)
                .filter(portfolio_members::portfolio_id.eq(portfolio_id))
                .order(portfolio_members::id.asc())
                .select((Member::as_select(), Actor::as_select()))
                .load(c)?,
        )
    })?;
    rows.sort_by_key(|(m, _)| Role::parse(&m.role).unwrap_or(Role::Viewer));
    Ok(rows)
}

pub async fn owners(core: &Core, portfolio_id: i64) -> Result<Vec<Actor>> {
    Ok(members(core, portfolio_id)
        .await?
        .into_iter()
        .filter(|(m, _)| m.role == Role::Owner.as_str())
        .map(|(_, a)| a)
        .collect())
}

/// Portfolios where a person is on the team, with their role.
pub async fn mine(core: &Core, actor_id: i64) -> Result<Vec<(Portfolio, Role)>> {
    let rows: Vec<(PortfolioRow, Actor, String)> = db_run!(core.db, |conn| {
        Ok(portfolios::table
            .inner_join(actors::table)
            .inner_join(portfolio_members::table)
            .filter(portfolio_members::actor_id.eq(actor_id))
            .filter(portfolios::deleted_at.is_null())
            .order(portfolios::id.asc())
            .select((
                PortfolioRow::as_select(),
                Actor::as_select(),
                portfolio_members::role,
            ))
            .load(conn)?)
    })?;
    Ok(rows
        .into_iter()
        .map(|(row, actor, role)| {
            (
                Portfolio { row, actor },
                Role::parse(&role).unwrap_or(Role::Viewer),
            )
        })
        .collect())
}

/// Public, published portfolios (local and known remote ones), newest first, optionally of
/// one type and carrying one tag (any case).
pub async fn explore(
    core: &Core,
    kind: Option<&str>,
    tag: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<Vec<Portfolio>> {
    let kind = kind.map(str::to_string);
    let rows = db_run!(core.db, |conn| {
        let mut q = portfolios::table
            .inner_join(actors::table)
            .filter(portfolios::deleted_at.is_null())
            .filter(actors::deleted_at.is_null())
            .filter(portfolios::visibility.eq("public"))
            .filter(portfolios::state.ne("draft"))
            .into_boxed();
        if let Some(k) = &kind {
            q = q.filter(portfolios::portfolio_type.eq(k));
        }
        Ok(q.order(portfolios::id.desc())
            .select((PortfolioRow::as_select(), Actor::as_select()))
            .load(conn)?)
    })?;
    let tag = tag.map(|t| t.trim().trim_start_matches('#').to_lowercase());
    Ok(wrap(rows)
        .into_iter()
        .filter(|p| {
            tag.as_ref()
                .is_none_or(|t| p.tags().iter().any(|x| &x.to_lowercase() == t))
        })
        .skip(offset.max(0) as usize)
        .take(limit.max(0) as usize)
        .collect())
}

/// A portfolio's items that are not deleted: featured first, then by position.
pub async fn items(core: &Core, portfolio_id: i64) -> Result<Vec<Item>> {
    crate::db::run(&core.db, move |c| items_in(c, portfolio_id)).await
}

/// [`items`] inside the caller's transaction.
pub fn items_in(conn: &mut Conn, portfolio_id: i64) -> Result<Vec<Item>> {
    with_conn!(conn, |conn| {
        Ok(portfolio_items::table
            .filter(portfolio_items::portfolio_id.eq(portfolio_id))
            .filter(portfolio_items::deleted_at.is_null())
            .order((
                portfolio_items::featured.desc(),
                portfolio_items::position.asc(),
                portfolio_items::id.asc(),
            ))
            .select(Item::as_select())
            .load(conn)?)
    })
}

pub async fn item(core: &Core, id: i64) -> Result<Option<Item>> {
    crate::db::run(&core.db, move |c| item_in(c, id)).await
}

/// [`item`] inside the caller's transaction.
pub fn item_in(conn: &mut Conn, id: i64) -> Result<Option<Item>> {
    with_conn!(conn, |conn| {
        Ok(portfolio_items::table
            .find(id)
            .select(Item::as_select())
            .first(conn)
            .optional()?)
    })
}

pub async fn item_by_ap_id(core: &Core, ap_id: &str) -> Result<Option<Item>> {
    let ap_id = ap_id.to_string();
    db_run!(core.db, |conn| {
        Ok(portfolio_items::table
            .filter(portfolio_items::ap_id.eq(&ap_id))
            .select(Item::as_select())
            .first(conn)
            .optional()?)
    })
}

pub async fn item_by_post(core: &Core, post_id: i64) -> Result<Option<Item>> {
    db_run!(core.db, |conn| {
        Ok(portfolio_items::table
            .filter(portfolio_items::post_id.eq(post_id))
            .select(Item::as_select())
            .first(conn)
            .optional()?)
    })
}

pub async fn projects(core: &Core, portfolio_id: i64) -> Result<Vec<Project>> {
    db_run!(core.db, |conn| {
        Ok(projects::table
            .filter(projects::portfolio_id.eq(portfolio_id))
            .filter(projects::deleted_at.is_null())
            .order(projects::id.asc())
            .select(Project::as_select())
            .load(conn)?)
    })
}

pub async fn project(core: &Core, id: i64) -> Result<Option<Project>> {
    crate::db::run(&core.db, move |c| project_in(c, id)).await
}

/// [`project`] inside the caller's transaction.
pub fn project_in(conn: &mut Conn, id: i64) -> Result<Option<Project>> {
    with_conn!(conn, |conn| {
        Ok(projects::table
            .find(id)
            .select(Project::as_select())
            .first(conn)
            .optional()?)
    })
}

pub async fn project_by_ap_id(core: &Core, ap_id: &str) -> Result<Option<Project>> {
    let ap_id = ap_id.to_string();
    db_run!(core.db, |conn| {
        Ok(projects::table
            .filter(projects::ap_id.eq(&ap_id))
            .select(Project::as_select())
            .first(conn)
            .optional()?)
    })
}

/// A project's team: each person with what they do on it.
pub async fn project_members(core: &Core, project_id: i64) -> Result<Vec<(String, Actor)>> {
    db_run!(core.db, |conn| {
        Ok(project_members::table
            .inner_join(actors::table)
            .filter(project_members::project_id.eq(project_id))
            .order(project_members::id.asc())
            .select((project_members::role, Actor::as_select()))
            .load(conn)?)
    })
}

/// A project's updates (posts), newest first.
pub async fn project_updates(core: &Core, project_ap_id: &str) -> Result<Vec<Post>> {
    let ap_id = project_ap_id.to_string();
    db_run!(core.db, |conn| {
        Ok(project_updates::table
            .inner_join(posts::table)
            .filter(project_updates::project_ap_id.eq(&ap_id))
            .filter(posts::deleted_at.is_null())
            .order(posts::id.desc())
            .select(Post::as_select())
            .load(conn)?)
    })
}

/// The project a post is an update of, if any.
pub async fn project_of_update(core: &Core, post_id: i64) -> Result<Option<String>> {
    db_run!(core.db, |conn| {
        Ok(project_updates::table
            .filter(project_updates::post_id.eq(post_id))
            .select(project_updates::project_ap_id)
            .first(conn)
            .optional()?)
    })
}

/// What a request needs to be allowed to do with a portfolio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Read it.
    See,
    /// Change its content (owners and editors).
    Edit,
    /// Manage it: team, lifecycle, deletion, export (owners).
    Own,
}

/// Checks a request against a portfolio's team and visibility. Someone who may not even see
/// it gets `NotFound` (its existence is not revealed); someone who may see it but not do
/// what they ask gets `Forbidden`. Deleted portfolios are `NotFound` here (pages answer 410
/// before asking).
pub async fn authorize(
    core: &Core,
    p: &Portfolio,
    actor_id: Option<i64>,
    need: Need,
) -> Result<Viewer> {
    if p.is_deleted() {
        return Err(crate::Error::NotFound);
    }
    let v = viewer(core, p, actor_id, false).await?;
    if !p.row.local {
        return match need {
            Need::See => Ok(v),
            _ => Err(crate::Error::Forbidden("not_team")),
        };
    }
    if !v.may_see(p.visibility(), p.state()) {
        return Err(crate::Error::NotFound);
    }
    match need {
        Need::See => Ok(v),
        Need::Edit if v.can_edit() => Ok(v),
        Need::Own if v.is_owner() => Ok(v),
        _ => Err(crate::Error::Forbidden("not_team")),
    }
}
