//! Accounts: creation by an operator, approval, roles. (Suspension is not here: core has no
//! account state for it yet.)

use kogi_core::accounts::{self, Account, Role, SignupMode, SignupRequest};
use kogi_core::{Core, Error, Result};

/// Creates a ready-to-use account (confirmed and approved). This is how the first admin is
/// made, since spool mail confirms nobody.
pub async fn create_user(
    core: &Core,
    username: &str,
    email: &str,
    password: &str,
    admin: bool,
) -> Result<Account> {
    let role = if admin { Role::Admin } else { Role::User };
    let req = SignupRequest {
        username: username.to_string(),
        email: email.to_string(),
        password: password.to_string(),
        language: None,
    };
    Ok(accounts::sign_up(core, req, SignupMode::ByAdmin(role))
        .await?
        .account)
}

/// Approves an account waiting in registration mode "approval".
pub async fn approve_user(core: &Core, username: &str) -> Result<Account> {
    accounts::approve(core, username).await
}

/// Accounts waiting for approval.
pub async fn pending_users(core: &Core) -> Result<Vec<Account>> {
    accounts::pending_approvals(&core.db).await
}

/// Changes someone's role.
pub async fn set_role(core: &Core, username: &str, role: &str) -> Result<Account> {
    let role = match role {
        "user" => Role::User,
        "moderator" => Role::Moderator,
        "admin" => Role::Admin,
        _ => return Err(Error::invalid("role", "bad_request")),
    };
    accounts::set_role(core, username, role).await
}
