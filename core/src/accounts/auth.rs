//! Logging in, sessions (browser cookies, 30 days) and API tokens (until revoked).

use diesel::prelude::*;

use super::model::{Account, Actor, Person, Session, SessionKind};
use super::verify_password;
use crate::error::{Error, Result};
use crate::schema::{accounts, actors, sessions};
use crate::tokens::{hash_secret, new_secret};
use crate::{db_run, db_tx, now, Core};

/// Checks a username and password. Wrong credentials give one generic error; only a correct
/// password reveals that the email is unconfirmed or the account unapproved.
pub async fn check_credentials(core: &Core, username: &str, password: &str) -> Result<Person> {
    let person = super::find_person(&core.db, username).await?;
    let hash = person
        .as_ref()
        .map(|p| p.account.password_hash.clone())
        .unwrap_or_default();
    let ok = verify_password(password, &hash).await?;
    let person = match (ok, person) {
        (true, Some(p)) => p,
        _ => return Err(Error::Unauthorized("login_failed")),
    };
    if person.account.email_confirmed_at.is_none() {
        return Err(Error::Unauthorized("not_confirmed"));
    }
    if !person.account.approved {
        return Err(Error::Unauthorized("pending_approval"));
    }
    Ok(person)
}

/// Opens a session or API token for the account; returns the secret to hand out.
pub async fn create_session(
    core: &Core,
    account_id: i64,
    kind: SessionKind,
    user_agent: &str,
) -> Result<(Session, String)> {
    let secret = new_secret();
    let hash = hash_secret(&secret);
    let t = now();
    let expires = match kind {
        SessionKind::Web => Some(t + chrono::Duration::days(core.config.session_days)),
        SessionKind::Api => None,
    };
    let ua: String = user_agent.chars().take(300).collect();
    let session = db_tx!(core.db, |conn| {
        Ok(diesel::insert_into(sessions::table)
            .values((
                sessions::account_id.eq(account_id),
                sessions::token_hash.eq(&hash),
                sessions::kind.eq(kind.as_str()),
                sessions::user_agent.eq(&ua),
                sessions::created_at.eq(t),
                sessions::last_seen_at.eq(t),
                sessions::expires_at.eq(expires),
            ))
            .returning(Session::as_returning())
            .get_result(conn)?)
    })?;
    Ok((session, secret))
}

/// Resolves a session cookie or bearer token to the person and the session. Expired, revoked
/// and deleted accounts' secrets resolve to nothing.
pub async fn authenticate(
    core: &Core,
    secret: &str,
    kind: SessionKind,
) -> Result<Option<(Person, Session)>> {
    let hash = hash_secret(secret);
    let kind = kind.as_str();
    let t = now();
    let found = db_run!(core.db, |conn| {
        Ok(sessions::table
            .inner_join(accounts::table.inner_join(actors::table))
            .filter(sessions::token_hash.eq(&hash))
            .filter(sessions::kind.eq(kind))
            .filter(accounts::deleted_at.is_null())
            .select((
                Session::as_select(),
                Account::as_select(),
                Actor::as_select(),
            ))
            .first::<(Session, Account, Actor)>(conn)
            .optional()?)
    })?;
    let Some((session, account, actor)) = found else {
        return Ok(None);
    };
    if session.expires_at.map(|e| e <= t).unwrap_or(false) {
        return Ok(None);
    }
    // Refresh "last seen" at most once a minute to keep reads cheap.
    if t - session.last_seen_at > chrono::Duration::minutes(1) {
        let id = session.id;
        db_run!(core.db, |conn| {
            diesel::update(sessions::table.find(id))
                .set(sessions::last_seen_at.eq(t))
                .execute(conn)?;
            Ok(())
        })?;
    }
    Ok(Some((Person { account, actor }, session)))
}

/// The account's sessions and tokens, newest first; expired ones are left out.
pub async fn list_sessions(
    core: &Core,
    account_id: i64,
    kind: Option<SessionKind>,
) -> Result<Vec<Session>> {
    let t = now();
    let kind = kind.map(|k| k.as_str());
    db_run!(core.db, |conn| {
        let mut q = sessions::table
            .filter(sessions::account_id.eq(account_id))
            .filter(
                sessions::expires_at
                    .is_null()
                    .or(sessions::expires_at.gt(t)),
            )
            .order(sessions::id.desc())
            .select(Session::as_select())
            .into_boxed();
        if let Some(k) = kind {
            q = q.filter(sessions::kind.eq(k));
        }
        Ok(q.load(conn)?)
    })
}

/// Revokes one of the account's sessions or tokens; someone else's id is "not found".
pub async fn revoke_session(core: &Core, account_id: i64, session_id: i64) -> Result<()> {
    let n = db_run!(core.db, |conn| {
        Ok(diesel::delete(
            sessions::table
                .filter(sessions::id.eq(session_id))
                .filter(sessions::account_id.eq(account_id)),
        )
        .execute(conn)?)
    })?;
    if n == 0 {
        return Err(Error::NotFound);
    }
    Ok(())
}

/// Revokes every session and token of the account except `keep`.
pub async fn revoke_other_sessions(
    core: &Core,
    account_id: i64,
    keep: Option<i64>,
) -> Result<usize> {
    let keep = keep.unwrap_or(-1);
    db_run!(core.db, |conn| {
        Ok(diesel::delete(
            sessions::table
                .filter(sessions::account_id.eq(account_id))
                .filter(sessions::id.ne(keep)),
        )
        .execute(conn)?)
    })
}

/// Deletes expired browser sessions.
pub async fn prune_sessions(core: &Core) -> Result<usize> {
    let t = now();
    db_run!(core.db, |conn| {
        Ok(diesel::delete(sessions::table.filter(sessions::expires_at.le(t))).execute(conn)?)
    })
}
