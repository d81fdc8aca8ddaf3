//! Sign-up, email confirmation and approval.

use diesel::prelude::*;

use super::model::{Account, Role, SignupStatus};
use super::rules::{is_reserved, normalise_email, normalise_handle, password_problem};
use super::{hash_password, PURPOSE_CHANGE_EMAIL, PURPOSE_CONFIRM};
use crate::error::{Error, Result};
use crate::schema::{account_tokens, accounts, actors};
use crate::settings::RegistrationMode;
use crate::tokens::{hash_secret, new_secret};
use crate::{db_tx, keys, now, Core};

/// What a person submits to sign up.
#[derive(Debug, Clone)]
pub struct SignupRequest {
    pub username: String,
    pub email: String,
    pub password: String,
    pub language: Option<String>,
}

/// A created account and, unless made by an admin, the confirmation secret to email.
#[derive(Debug, Clone)]
pub struct SignupOutcome {
    pub account: Account,
    pub status: SignupStatus,
    pub confirm_token: Option<String>,
}

/// How the account is being created.
#[derive(Debug, Clone, Copy)]
pub enum SignupMode {
    /// Through the sign-up form or API, under the instance's registration mode.
    Public(RegistrationMode),
    /// By an operator: confirmed and approved at once, with the given role.
    ByAdmin(Role),
}

/// Checks a sign-up's fields; the first problem found per field, in form order.
pub fn validate_signup(req: &SignupRequest) -> Result<(String, String)> {
    let username =
        normalise_handle(&req.username).ok_or(Error::invalid("username", "username_invalid"))?;
    if is_reserved(&username) {
        return Err(Error::invalid("username", "username_reserved"));
    }
    let email = normalise_email(&req.email).ok_or(Error::invalid("email", "email_invalid"))?;
    if let Some(code) = password_problem(&req.password, &username) {
        return Err(Error::invalid("password", code));
    }
    Ok((username, email))
}

/// Creates the account, its `Person` actor with an RSA-2048 key pair, and (for public
/// sign-ups) a confirmation token, in one transaction.
pub async fn sign_up(core: &Core, req: SignupRequest, mode: SignupMode) -> Result<SignupOutcome> {
    if let SignupMode::Public(RegistrationMode::Closed) = mode {
        return Err(Error::Forbidden("registrations_closed"));
    }
    let (username, email_norm) = validate_signup(&req)?;
    let email = req.email.trim().to_string();
    let password_hash = hash_password(&req.password).await?;
    let keys = keys::generate().await?;
    let (approved, confirmed, role) = match mode {
        SignupMode::Public(m) => (m != RegistrationMode::Approval, false, Role::User),
        SignupMode::ByAdmin(role) => (true, true, role),
    };
    let status = match mode {
        SignupMode::ByAdmin(_) => SignupStatus::Active,
        SignupMode::Public(RegistrationMode::Approval) => SignupStatus::PendingApproval,
        SignupMode::Public(_) => SignupStatus::PendingConfirmation,
    };
    let base = core.config.public_url.clone();
    let host = core.config.host();
    let ap_id = format!("{base}/users/{username}");
    let secret = (!confirmed).then(new_secret);
    let token_hash = secret.as_deref().map(hash_secret);
    let expires = now() + chrono::Duration::hours(core.config.confirm_token_hours);
    let language = req.language.clone();
    let result = db_tx!(core.db, |conn| {
        // Handles are one namespace per instance: people, portfolios and communities.
        let taken: i64 = actors::table
            .filter(actors::host.eq(&host))
            .filter(actors::handle_norm.eq(&username))
            .count()
            .get_result(conn)?;
        let taken_account: i64 = accounts::table
            .filter(accounts::username_norm.eq(&username))
            .count()
            .get_result(conn)?;
        if taken > 0 || taken_account > 0 {
            return Err(Error::invalid("username", "username_taken"));
        }
        let email_taken: i64 = accounts::table
            .filter(accounts::email_norm.eq(&email_norm))
            .count()
            .get_result(conn)?;
        if email_taken > 0 {
            return Err(Error::invalid("email", "email_taken"));
        }
        let t = now();
        let actor_id = crate::actors::insert_local_actor(
            conn,
            &crate::actors::NewLocalActor {
                kind: "person",
                ap_type: "Person",
                ap_id: &ap_id,
                handle: &username,
                host: &host,
                base: &base,
                display_name: "",
                summary: "",
                links_json: "[]",
                profile_url: &format!("{base}/@{username}"),
                keys: &keys,
                manually_approves_followers: false,
                at: t,
            },
        )?;
        let account: Account = diesel::insert_into(accounts::table)
            .values((
                accounts::actor_id.eq(actor_id),
                accounts::username.eq(&username),
                accounts::username_norm.eq(&username),
                accounts::email.eq(&email),
                accounts::email_norm.eq(&email_norm),
                accounts::password_hash.eq(&password_hash),
                accounts::role.eq(role.as_str()),
                accounts::email_confirmed_at.eq(confirmed.then_some(t)),
                accounts::approved.eq(approved),
                accounts::language.eq(&language),
                accounts::created_at.eq(t),
            ))
            .returning(Account::as_returning())
            .get_result(conn)?;
        if let Some(h) = &token_hash {
            diesel::insert_into(account_tokens::table)
                .values((
                    account_tokens::account_id.eq(account.id),
                    account_tokens::purpose.eq(PURPOSE_CONFIRM),
                    account_tokens::token_hash.eq(h),
                    account_tokens::created_at.eq(t),
                    account_tokens::expires_at.eq(expires),
                ))
                .execute(conn)?;
        }
        Ok(account)
    });
    let account = match result {
        Ok(a) => a,
        // Two sign-ups racing for the same name or address: the unique index decides.
        Err(e) if e.is_unique_violation() => {
            let msg = e.to_string();
            return Err(if msg.contains("email") {
                Error::invalid("email", "email_taken")
            } else {
                Error::invalid("username", "username_taken")
            });
        }
        Err(e) => return Err(e),
    };
    Ok(SignupOutcome {
        account,
        status,
        confirm_token: secret,
    })
}

/// What confirming an emailed token did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmed {
    /// The address is confirmed and the account can log in.
    Ready,
    /// Confirmed, but an admin must still approve the account.
    AwaitingApproval,
    /// A changed email address is now the account's address.
    EmailChanged,
}

/// Consumes a confirmation or email-change token (single use, until it expires).
pub async fn confirm_email(core: &Core, secret: &str) -> Result<(Account, Confirmed)> {
    let hash = hash_secret(secret.trim());
    db_tx!(core.db, |conn| {
        let t = now();
        let token: Option<(i64, i64, String, Option<String>)> = account_tokens::table
            .filter(account_tokens::token_hash.eq(&hash))
            .filter(account_tokens::used_at.is_null())
            .filter(account_tokens::expires_at.gt(t))
            .filter(account_tokens::purpose.eq_any([PURPOSE_CONFIRM, PURPOSE_CHANGE_EMAIL]))
            .select((
                account_tokens::id,
                account_tokens::account_id,
                account_tokens::purpose,
                account_tokens::new_email,
            ))
            .first(conn)
            .optional()?;
        let (token_id, account_id, purpose, new_email) =
            token.ok_or(Error::invalid("token", "token_invalid"))?;
        diesel::update(account_tokens::table.find(token_id))
            .set(account_tokens::used_at.eq(t))
            .execute(conn)?;
        let account: Account = accounts::table
            .find(account_id)
            .filter(accounts::deleted_at.is_null())
            .select(Account::as_select())
            .first(conn)
            .optional()?
            .ok_or(Error::invalid("token", "token_invalid"))?;
        if purpose == PURPOSE_CHANGE_EMAIL {
            let new_email = new_email.ok_or(Error::invalid("token", "token_invalid"))?;
            let norm =
                normalise_email(&new_email).ok_or(Error::invalid("email", "email_invalid"))?;
            let taken: i64 = accounts::table
                .filter(accounts::email_norm.eq(&norm))
                .filter(accounts::id.ne(account_id))
                .count()
                .get_result(conn)?;
            if taken > 0 {
                return Err(Error::invalid("email", "email_taken"));
            }
            let account = diesel::update(accounts::table.find(account_id))
                .set((
                    accounts::email.eq(&new_email),
                    accounts::email_norm.eq(&norm),
                    accounts::pending_email.eq(None::<String>),
                    accounts::email_confirmed_at.eq(Some(t)),
                ))
                .returning(Account::as_returning())
                .get_result(conn)?;
            return Ok((account, Confirmed::EmailChanged));
        }
        let account = if account.email_confirmed_at.is_none() {
            diesel::update(accounts::table.find(account_id))
                .set(accounts::email_confirmed_at.eq(Some(t)))
                .returning(Account::as_returning())
                .get_result(conn)?
        } else {
            account
        };
        let state = if account.approved {
            Confirmed::Ready
        } else {
            Confirmed::AwaitingApproval
        };
        Ok((account, state))
    })
}

/// A fresh confirmation token for an account that has not confirmed yet (the link expired or
/// the mail was lost). `None` when there is nothing to confirm.
pub async fn new_confirmation_token(core: &Core, account_id: i64) -> Result<Option<String>> {
    let secret = new_secret();
    let hash = hash_secret(&secret);
    let expires = now() + chrono::Duration::hours(core.config.confirm_token_hours);
    db_tx!(core.db, |conn| {
        let pending: i64 = accounts::table
            .find(account_id)
            .filter(accounts::email_confirmed_at.is_null())
            .filter(accounts::deleted_at.is_null())
            .count()
            .get_result(conn)?;
        if pending == 0 {
            return Ok(None);
        }
        diesel::insert_into(account_tokens::table)
            .values((
                account_tokens::account_id.eq(account_id),
                account_tokens::purpose.eq(PURPOSE_CONFIRM),
                account_tokens::token_hash.eq(&hash),
                account_tokens::created_at.eq(now()),
                account_tokens::expires_at.eq(expires),
            ))
            .execute(conn)?;
        Ok(Some(secret.clone()))
    })
}

/// Approves a pending account (registration mode "approval").
pub async fn approve(core: &Core, username: &str) -> Result<Account> {
    let norm = username.trim().to_lowercase();
    db_tx!(core.db, |conn| {
        let updated: Option<Account> = diesel::update(
            accounts::table
                .filter(accounts::username_norm.eq(&norm))
                .filter(accounts::deleted_at.is_null()),
        )
        .set(accounts::approved.eq(true))
        .returning(Account::as_returning())
        .get_result(conn)
        .optional()?;
        updated.ok_or(Error::NotFound)
    })
}

/// Changes an account's role.
pub async fn set_role(core: &Core, username: &str, role: Role) -> Result<Account> {
    let norm = username.trim().to_lowercase();
    db_tx!(core.db, |conn| {
        let updated: Option<Account> = diesel::update(
            accounts::table
                .filter(accounts::username_norm.eq(&norm))
                .filter(accounts::deleted_at.is_null()),
        )
        .set(accounts::role.eq(role.as_str()))
        .returning(Account::as_returning())
        .get_result(conn)
        .optional()?;
        updated.ok_or(Error::NotFound)
    })
}
