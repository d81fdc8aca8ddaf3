//! Portfolio types (extra fields) and templates (sections of fields), defined by operators.

use kogi_core::portfolios::types::{self, PortfolioType, Template};
use kogi_core::portfolios::{FieldDef, FieldKind};
use kogi_core::{Core, Error, Result};

/// Parses a field definition as typed on the command line: `name:kind`, then optionally
/// `:choice1|choice2` (for `choice` fields) and `:required`.
pub fn parse_field(spec: &str) -> Result<FieldDef> {
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
) -> Result<PortfolioType> {
    let defs = fields
        .iter()
        .map(|f| parse_field(f))
        .collect::<Result<Vec<_>>>()?;
    types::add_type(core, name, label, defs).await
}

/// Removes a portfolio type (portfolios of that type keep it); false when there is none.
pub async fn remove_portfolio_type(core: &Core, name: &str) -> Result<bool> {
    types::remove_type(core, name).await
}

/// Portfolio types, built-in and defined.
pub async fn portfolio_types(core: &Core) -> Result<Vec<PortfolioType>> {
    types::list_types(core).await
}

/// Defines a portfolio template from its JSON (`{name, description, portfolio_type,
/// sections: [{name, fields: [{name, kind, choices, required}]}]}`).
pub async fn add_portfolio_template(core: &Core, json: &str) -> Result<Template> {
    let t: Template =
        serde_json::from_str(json).map_err(|_| Error::invalid("template", "template_invalid"))?;
    types::add_template(core, t).await
}

/// Removes a portfolio template; false when there is none.
pub async fn remove_portfolio_template(core: &Core, name: &str) -> Result<bool> {
    types::remove_template(core, name).await
}

/// Portfolio templates.
pub async fn portfolio_templates(core: &Core) -> Result<Vec<Template>> {
    types::list_templates(core).await
}
