//! Password reset, password and email changes, and account deletion.

use diesel::prelude::*;

use super::model::{Account, Person};
use super::rules::{normalise_email, password_problem};
use super::{hash_password, verify_password, PURPOSE_CHANGE_EMAIL, PURPOSE_RESET};
use crate::error::{Error, Result};
use crate::schema::{account_tokens, accounts, actors, sessions};
use crate::tokens::{hash_secret, new_secret};
use crate::{db_tx, now, Core};

/// Starts a password reset for the address. Returns the account and the secret to email, or
/// `None` when no live account has that address (the caller answers the same either way).
pub async fn request_password_reset(core: &Core, email: &str) -> Result<Option<(Account, String)>> {
    let Some(norm) = normalise_email(email) else {
        return Ok(None);
    };
    let secret = new_secret();
    let hash = hash_secret(&secret);
    let t = now();
    let expires = t + chrono::Duration::minutes(core.config.reset_token_minutes);
    let account = db_tx!(core.db, |conn| {
        let account: Option<Account> = accounts::table
            .filter(accounts::email_norm.eq(&norm))
            .filter(accounts::deleted_at.is_null())
            .select(Account::as_select())
            .first(conn)
            .optional()?;
        if let Some(a) = &account {
            diesel::insert_into(account_tokens::table)
                .values((
                    account_tokens::account_id.eq(a.id),
                    account_tokens::purpose.eq(PURPOSE_RESET),
                    account_tokens::token_hash.eq(&hash),
                    account_tokens::created_at.eq(t),
                    account_tokens::expires_at.eq(expires),
                ))
                .execute(conn)?;
        }
        Ok(account)
    })?;
    Ok(account.map(|a| (a, secret)))
}

/// Is this reset token still usable? (For showing the form.)
pub async fn reset_token_valid(core: &Core, secret: &str) -> Result<bool> {
    let hash = hash_secret(secret.trim());
    let t = now();
    crate::db_run!(core.db, |conn| {
        let n: i64 = account_tokens::table
            .filter(account_tokens::token_hash.eq(&hash))
            .filter(account_tokens::purpose.eq(PURPOSE_RESET))
            .filter(account_tokens::used_at.is_null())
            .filter(account_tokens::expires_at.gt(t))
            .count()
            .get_result(conn)?;
        Ok(n > 0)
    })
}

/// Sets a new password with a reset token (single use) and signs out every session, since
/// whoever knew the old password may hold one.
pub async fn reset_password(core: &Core, secret: &str, new_password: &str) -> Result<Account> {
    let hash = hash_secret(secret.trim());
    // Validate the token before the (slow) password hash so a bad link fails fast.
    if !reset_token_valid(core, secret).await? {
        return Err(Error::invalid("token", "token_invalid"));
    }
    let new_hash = hash_password(new_password).await?;
    let new_password = new_password.to_string();
    db_tx!(core.db, |conn| {
        let t = now();
        let token: Option<(i64, i64)> = account_tokens::table
            .filter(account_tokens::token_hash.eq(&hash))
            .filter(account_tokens::purpose.eq(PURPOSE_RESET))
            .filter(account_tokens::used_at.is_null())
            .filter(account_tokens::expires_at.gt(t))
            .select((account_tokens::id, account_tokens::account_id))
            .first(conn)
            .optional()?;
        let (token_id, account_id) = token.ok_or(Error::invalid("token", "token_invalid"))?;
        let account: Account = accounts::table
            .find(account_id)
            .filter(accounts::deleted_at.is_null())
            .select(Account::as_select())
            .first(conn)
            .optional()?
            .ok_or(Error::invalid("token", "token_invalid"))?;
        if let Some(code) = password_problem(&new_password, &account.username) {
            return Err(Error::invalid("password", code));
        }
        diesel::update(account_tokens::table.find(token_id))
            .set(account_tokens::used_at.eq(t))
            .execute(conn)?;
        // Every other outstanding reset link for the account dies with this one.
        diesel::update(
            account_tokens::table
                .filter(account_tokens::account_id.eq(account_id))
                .filter(account_tokens::purpose.eq(PURPOSE_RESET))
                .filter(account_tokens::used_at.is_null()),
        )
        .set(account_tokens::used_at.eq(t))
        .execute(conn)?;
        diesel::delete(sessions::table.filter(sessions::account_id.eq(account_id)))
            .execute(conn)?;
        // Following the emailed link proves the address too.
        let account = diesel::update(accounts::table.find(account_id))
            .set((
                accounts::password_hash.eq(&new_hash),
                accounts::email_confirmed_at.eq(account.email_confirmed_at.or(Some(t))),
            ))
            .returning(Account::as_returning())
            .get_result(conn)?;
        Ok(account)
    })
}

async fn require_password(person: &Person, password: &str) -> Result<()> {
    if verify_password(password, &person.account.password_hash).await? {
        Ok(())
    } else {
        Err(Error::invalid("current_password", "wrong_password"))
    }
}

/// Changes the password (the current one is required) and ends the account's other sessions.
pub async fn change_password(
    core: &Core,
    person: &Person,
    current: &str,
    new: &str,
    keep_session: Option<i64>,
) -> Result<()> {
    require_password(person, current).await?;
    if let Some(code) = password_problem(new, &person.account.username) {
        return Err(Error::invalid("new_password", code));
    }
    let hash = hash_password(new).await?;
    let id = person.account.id;
    let keep = keep_session.unwrap_or(-1);
    db_tx!(core.db, |conn| {
        diesel::update(accounts::table.find(id))
            .set(accounts::password_hash.eq(&hash))
            .execute(conn)?;
        diesel::delete(
            sessions::table
                .filter(sessions::account_id.eq(id))
                .filter(sessions::id.ne(keep)),
        )
        .execute(conn)?;
        Ok(())
    })
}

/// Starts an email change: the new address must be confirmed through the emailed link before
/// it replaces the old one. Returns the secret to email to the new address.
pub async fn request_email_change(
    core: &Core,
    person: &Person,
    new_email: &str,
    current_password: &str,
) -> Result<String> {
    let norm = normalise_email(new_email).ok_or(Error::invalid("new_email", "email_invalid"))?;
    require_password(person, current_password).await?;
    let new_email = new_email.trim().to_string();
    let secret = new_secret();
    let hash = hash_secret(&secret);
    let t = now();
    let expires = t + chrono::Duration::hours(core.config.confirm_token_hours);
    let id = person.account.id;
    db_tx!(core.db, |conn| {
        let taken: i64 = accounts::table
            .filter(accounts::email_norm.eq(&norm))
            .count()
            .get_result(conn)?;
        if taken > 0 {
            return Err(Error::invalid("new_email", "email_taken"));
        }
        diesel::update(accounts::table.find(id))
            .set(accounts::pending_email.eq(Some(&new_email)))
            .execute(conn)?;
        diesel::insert_into(account_tokens::table)
            .values((
                account_tokens::account_id.eq(id),
                account_tokens::purpose.eq(PURPOSE_CHANGE_EMAIL),
                account_tokens::token_hash.eq(&hash),
                account_tokens::new_email.eq(Some(&new_email)),
                account_tokens::created_at.eq(t),
                account_tokens::expires_at.eq(expires),
            ))
            .execute(conn)?;
        Ok(())
    })?;
    Ok(secret)
}

/// Deletes the account: login data and profile are erased, sessions and tokens end, the
/// actor row stays as a tombstone so the handle is never reused and its URL can answer 410.
pub async fn delete_account(core: &Core, person: &Person, current_password: &str) -> Result<()> {
    require_password(person, current_password).await?;
    let (account_id, actor_id) = (person.account.id, person.actor.id);
    let avatar = person.actor.avatar_path.clone();
    crate::db::tx(&core.db, move |conn| {
        // Every known server and the followers are told (`Delete` of the actor).
        crate::outbox::actor_deleted(conn, actor_id)?;
        crate::with_conn!(conn, |conn| {
            let t = now();
            diesel::delete(sessions::table.filter(sessions::account_id.eq(account_id)))
                .execute(conn)?;
            diesel::delete(account_tokens::table.filter(account_tokens::account_id.eq(account_id)))
                .execute(conn)?;
            diesel::update(accounts::table.find(account_id))
                .set((
                    accounts::email.eq(""),
                    accounts::email_norm.eq(format!("deleted:{account_id}")),
                    accounts::pending_email.eq(None::<String>),
                    accounts::password_hash.eq(""),
                    accounts::deleted_at.eq(Some(t)),
                ))
                .execute(conn)?;
            diesel::update(actors::table.find(actor_id))
                .set((
                    actors::display_name.eq(""),
                    actors::summary.eq(""),
                    actors::avatar_path.eq(None::<String>),
                    actors::interests.eq("[]"),
                    actors::skills.eq("[]"),
                    actors::links.eq("[]"),
                    // The key stays: it signs the Delete that tells other servers.
                    actors::deleted_at.eq(Some(t)),
                    actors::updated_at.eq(t),
                ))
                .execute(conn)?;
            Ok(())
        })
    })
    .await?;
    crate::outbox::committed(core, "delete_account");
    if let Some(p) = avatar {
        crate::media::remove(&core.config.media_dir(), &p);
    }
    Ok(())
}
