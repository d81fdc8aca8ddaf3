//! Admin-defined portfolio types (a name plus extra fields) and templates (a type plus
//! sections with fields) — used by `kogi admin` and the admin API.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::model::{FieldDef, Section, BUILTIN_TYPES};
use super::rules;
use crate::error::{Error, Result};
use crate::schema::{portfolio_templates, portfolio_types};
use crate::{db_run, db_tx, now, Core};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PortfolioType {
    pub name: String,
    pub label: String,
    pub fields: Vec<FieldDef>,
    pub builtin: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Template {
    pub name: String,
    pub description: String,
    pub portfolio_type: String,
    pub sections: Vec<Section>,
}

fn builtin(name: &str) -> PortfolioType {
    let mut label = name.to_string();
    if let Some(first) = label.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    PortfolioType {
        name: name.to_string(),
        label,
        fields: vec![],
        builtin: true,
    }
}

/// Every type: built-in first, then the admin's.
pub async fn list_types(core: &Core) -> Result<Vec<PortfolioType>> {
    let rows: Vec<(String, String, String)> = db_run!(core.db, |conn| {
        Ok(portfolio_types::table
            .order(portfolio_types::name.asc())
            .select((
                portfolio_types::name,
                portfolio_types::label,
                portfolio_types::fields,
            ))
            .load(conn)?)
    })?;
    let mut out: Vec<PortfolioType> = BUILTIN_TYPES.iter().map(|n| builtin(n)).collect();
    out.extend(rows.into_iter().map(|(name, label, fields)| PortfolioType {
        name,
        label,
        fields: serde_json::from_str(&fields).unwrap_or_default(),
        builtin: false,
    }));
    Ok(out)
}

/// A type by name, or `None` when no such type exists.
pub async fn find_type(core: &Core, name: &str) -> Result<Option<PortfolioType>> {
    if BUILTIN_TYPES.contains(&name) {
        return Ok(Some(builtin(name)));
    }
    Ok(list_types(core).await?.into_iter().find(|t| t.name == name))
}

/// Adds a custom type (names are lowercase `[a-z0-9_]{1,30}` and not a built-in's).
pub async fn add_type(
    core: &Core,
    name: &str,
    label: &str,
    fields: Vec<FieldDef>,
) -> Result<PortfolioType> {
    let name = crate::accounts::rules::normalise_handle(name)
        .ok_or(Error::invalid("name", "name_invalid"))?;
    if BUILTIN_TYPES.contains(&name.as_str()) {
        return Err(Error::invalid("name", "type_exists"));
    }
    let label = rules::required_text("label", label, rules::SHORT_MAX)?;
    rules::check_field_defs(&fields)?;
    let json = serde_json::to_string(&fields).map_err(|e| Error::Internal(e.to_string()))?;
    let t = now();
    let (name_q, label_q) = (name.clone(), label.clone());
    let res = db_tx!(core.db, |conn| {
        let (name, label) = (&name_q, &label_q);
        diesel::insert_into(portfolio_types::table)
            .values((
                portfolio_types::name.eq(name),
                portfolio_types::label.eq(label),
                portfolio_types::fields.eq(&json),
                portfolio_types::created_at.eq(t),
            ))
            .execute(conn)?;
        Ok(())
    });
    match res {
        Err(e) if e.is_unique_violation() => return Err(Error::invalid("name", "type_exists")),
        other => other?,
    }
    Ok(PortfolioType {
        name,
        label,
        fields,
        builtin: false,
    })
}

pub async fn remove_type(core: &Core, name: &str) -> Result<bool> {
    let name = name.to_string();
    let n = db_tx!(core.db, |conn| {
        Ok(
            diesel::delete(portfolio_types::table.filter(portfolio_types::name.eq(&name)))
                .execute(conn)?,
        )
    })?;
    Ok(n > 0)
}

type TemplateRow = (String, String, String, String, NaiveDateTime);

fn to_template(r: TemplateRow) -> Template {
    Template {
        name: r.0,
        description: r.1,
        portfolio_type: r.2,
        sections: serde_json::from_str(&r.3).unwrap_or_default(),
    }
}

pub async fn list_templates(core: &Core) -> Result<Vec<Template>> {
    let rows: Vec<TemplateRow> = db_run!(core.db, |conn| {
        Ok(portfolio_templates::table
            .order(portfolio_templates::name.asc())
            .select((
                portfolio_templates::name,
                portfolio_templates::description,
                portfolio_templates::portfolio_type,
                portfolio_templates::sections,
                portfolio_templates::created_at,
            ))
            .load(conn)?)
    })?;
    Ok(rows.into_iter().map(to_template).collect())
}

pub async fn find_template(core: &Core, name: &str) -> Result<Option<Template>> {
    Ok(list_templates(core)
        .await?
        .into_iter()
        .find(|t| t.name == name))
}

/// Adds a template; its type must exist and its sections follow the section rules.
pub async fn add_template(core: &Core, template: Template) -> Result<Template> {
    let name = crate::accounts::rules::normalise_handle(&template.name)
        .ok_or(Error::invalid("name", "name_invalid"))?;
    if find_type(core, &template.portfolio_type).await?.is_none() {
        return Err(Error::invalid("portfolio_type", "unknown_type"));
    }
    let description =
        rules::optional_text("description", &template.description, rules::SUMMARY_MAX)?;
    let sections = rules::check_sections(&template.sections)?;
    let json = serde_json::to_string(&sections).map_err(|e| Error::Internal(e.to_string()))?;
    let t = now();
    let kind = template.portfolio_type.clone();
    let (name_q, description_q, kind_q) = (name.clone(), description.clone(), kind.clone());
    let res = db_tx!(core.db, |conn| {
        let (name, description, kind) = (&name_q, &description_q, &kind_q);
        diesel::insert_into(portfolio_templates::table)
            .values((
                portfolio_templates::name.eq(name),
                portfolio_templates::description.eq(description),
                portfolio_templates::portfolio_type.eq(kind),
                portfolio_templates::sections.eq(&json),
                portfolio_templates::created_at.eq(t),
            ))
            .execute(conn)?;
        Ok(())
    });
    match res {
        Err(e) if e.is_unique_violation() => return Err(Error::invalid("name", "template_exists")),
        other => other?,
    }
    Ok(Template {
        name,
        description,
        portfolio_type: kind,
        sections,
    })
}

pub async fn remove_template(core: &Core, name: &str) -> Result<bool> {
    let name = name.to_string();
    let n = db_tx!(core.db, |conn| {
        Ok(
            diesel::delete(portfolio_templates::table.filter(portfolio_templates::name.eq(&name)))
                .execute(conn)?,
        )
    })?;
    Ok(n > 0)
}
