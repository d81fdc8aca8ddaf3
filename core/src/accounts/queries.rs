//! Look-ups of accounts and actors.

use diesel::prelude::*;

use super::model::{Account, Actor, Person};
use crate::db::DbPool;
use crate::error::Result;
use crate::schema::{accounts, actors};
use crate::{db_run, Core};

/// A live (not deleted) local person by username, any case.
pub async fn find_person(db: &DbPool, username: &str) -> Result<Option<Person>> {
    let norm = username.trim().to_lowercase();
    db_run!(db, |conn| {
        Ok(accounts::table
            .inner_join(actors::table)
            .filter(accounts::username_norm.eq(&norm))
            .filter(accounts::deleted_at.is_null())
            .select((Account::as_select(), Actor::as_select()))
            .first::<(Account, Actor)>(conn)
            .optional()?
            .map(|(account, actor)| Person { account, actor }))
    })
}

pub async fn find_person_by_account_id(db: &DbPool, account_id: i64) -> Result<Option<Person>> {
    db_run!(db, |conn| {
        Ok(accounts::table
            .inner_join(actors::table)
            .filter(accounts::id.eq(account_id))
            .filter(accounts::deleted_at.is_null())
            .select((Account::as_select(), Actor::as_select()))
            .first::<(Account, Actor)>(conn)
            .optional()?
            .map(|(account, actor)| Person { account, actor }))
    })
}

/// A local actor by handle, deleted ones included (their URLs answer 410).
pub async fn find_local_actor(core: &Core, handle: &str) -> Result<Option<Actor>> {
    let norm = handle.trim().to_lowercase();
    let host = core.config.host();
    db_run!(core.db, |conn| {
        Ok(actors::table
            .filter(actors::host.eq(&host))
            .filter(actors::handle_norm.eq(&norm))
            .filter(actors::local.eq(true))
            .select(Actor::as_select())
            .first(conn)
            .optional()?)
    })
}

/// The newest active, confirmed and approved people, for the home page.
pub async fn recent_people(db: &DbPool, limit: i64) -> Result<Vec<Actor>> {
    db_run!(db, |conn| {
        Ok(accounts::table
            .inner_join(actors::table)
            .filter(accounts::deleted_at.is_null())
            .filter(accounts::approved.eq(true))
            .filter(accounts::email_confirmed_at.is_not_null())
            .order(accounts::id.desc())
            .limit(limit)
            .select(Actor::as_select())
            .load(conn)?)
    })
}

/// Counts of local people: (all active, active within 30 days, within 180 days).
pub async fn count_people(db: &DbPool) -> Result<i64> {
    db_run!(db, |conn| {
        Ok(accounts::table
            .filter(accounts::deleted_at.is_null())
            .filter(accounts::approved.eq(true))
            .count()
            .get_result(conn)?)
    })
}

/// Accounts waiting for an admin's approval.
pub async fn pending_approvals(db: &DbPool) -> Result<Vec<Account>> {
    db_run!(db, |conn| {
        Ok(accounts::table
            .filter(accounts::deleted_at.is_null())
            .filter(accounts::approved.eq(false))
            .order(accounts::id.asc())
            .select(Account::as_select())
            .load(conn)?)
    })
}

/// Local people active (a session seen) within the last `days` days.
pub async fn active_people(db: &DbPool, days: i64) -> Result<i64> {
    use crate::schema::sessions;
    let since = crate::now() - chrono::Duration::days(days);
    db_run!(db, |conn| {
        Ok(sessions::table
            .inner_join(accounts::table)
            .filter(accounts::deleted_at.is_null())
            .filter(sessions::last_seen_at.ge(since))
            .select(diesel::dsl::count(sessions::account_id).aggregate_distinct())
            .first(conn)?)
    })
}
