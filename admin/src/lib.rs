//! kogi-admin: operator use-cases as plain functions over core, shared by the `kogi admin`
//! commands and the admin API and pages.

use kogi_core::accounts::{self, Account, Role, SignupMode, SignupRequest};
use kogi_core::{settings, Core, Error, Result};

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

/// Saves an instance setting; it wins over the configuration from now on.
pub async fn set_setting(core: &Core, key: &str, value: &str) -> Result<()> {
    settings::save(&core.db, key, value).await
}

/// Blocks an instance (`host` or `host:port`): its inbox posts are refused with 403 and
/// nothing more is delivered to it.
pub async fn block_instance(core: &Core, host: &str, blocked: bool) -> Result<()> {
    let host = host.trim().to_lowercase();
    if host.is_empty() || host.contains('/') || host.contains('@') {
        return Err(Error::invalid("host", "bad_request"));
    }
    kogi_core::deliveries::set_blocked(core, &host, blocked).await
}

/// Parses a field definition as typed on the command line: `name:kind`, then optionally
/// `:choice1|choice2` (for `choice` fields) and `:required`.
pub fn parse_field(spec: &str) -> Result<kogi_core::portfolios::FieldDef> {
    use kogi_core::portfolios::{FieldDef, FieldKind};
    let mut parts = spec.split(':');
    let name = parts.next().unwrap_or("").trim().to_string();
    let kind = match parts.next().unwrap_or("").trim() {
        "text" => FieldKind::Text,
        "number" => FieldKind::Number,
        "date" => FieldKind::Date,
        "url" => FieldKind::Url,
        "choice" => FieldKind::Choice,
        _ => return Err(Error::invalid("fields", "field_kind_invalid")),
    };
    let mut choices = Vec::new();
    let mut required = false;
    for p in parts {
        if p == "required" {
            required = true;
        } else if kind == FieldKind::Choice {
            choices = p.split('|').map(|c| c.trim().to_string()).collect();
        } else {
            return Err(Error::invalid("fields", "field_kind_invalid"));
        }
    }
    Ok(FieldDef {
        name,
        kind,
        choices,
        required,
    })
}

/// Defines a portfolio type with extra fields (`name:kind[:choices][:required]`).
pub async fn add_portfolio_type(
    core: &Core,
    name: &str,
    label: &str,
    fields: &[String],
) -> Result<kogi_core::portfolios::types::PortfolioType> {
    let defs = fields
        .iter()
        .map(|f| parse_field(f))
        .collect::<Result<Vec<_>>>()?;
    kogi_core::portfolios::types::add_type(core, name, label, defs).await
}

/// Defines a portfolio template from its JSON (`{name, description, portfolio_type,
/// sections: [{name, fields: [{name, kind, choices, required}]}]}`).
pub async fn add_portfolio_template(
    core: &Core,
    json: &str,
) -> Result<kogi_core::portfolios::types::Template> {
    let t: kogi_core::portfolios::types::Template =
        serde_json::from_str(json).map_err(|_| Error::invalid("template", "template_invalid"))?;
    kogi_core::portfolios::types::add_template(core, t).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn field_specs() {
        let f = super::parse_field("stage:choice:seed|series_a:required").unwrap();
        assert_eq!(f.choices, vec!["seed", "series_a"]);
        assert!(f.required);
        assert!(super::parse_field("x:colour").is_err());
        assert!(super::parse_field("x:text:a|b").is_err());
    }
}
