//! Checks on items and projects as submitted: pure, no storage.

use serde_json::{Map, Value};

use super::items::ItemInput;
use super::projects::ProjectInput;
use crate::accounts::{clean_links, clean_tags};
use crate::error::{Error, Result};
use crate::portfolios::model::*;
use crate::portfolios::rules::{self, optional_text, required_text};

pub(super) fn parse_visibility(s: Option<&str>, default: Visibility) -> Result<Visibility> {
    match s {
        None => Ok(default),
        Some(v) => {
            Visibility::parse(v.trim()).ok_or(Error::invalid("visibility", "visibility_invalid"))
        }
    }
}

pub(super) fn to_json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::Internal(e.to_string()))
}

pub(super) struct CleanItem {
    pub(super) title: String,
    pub(super) description: String,
    pub(super) role: String,
    pub(super) client: String,
    pub(super) skills: String,
    pub(super) started_on: Option<String>,
    pub(super) ended_on: Option<String>,
    pub(super) video_url: Option<String>,
    pub(super) external_url: Option<String>,
    pub(super) featured: bool,
    pub(super) visibility: Visibility,
    pub(super) section: Option<String>,
    pub(super) fields: String,
}

pub(super) fn clean_item(
    sections: &[Section],
    input: &ItemInput,
    current: Option<&Item>,
) -> Result<CleanItem> {
    let pick = |new: &Option<String>, old: Option<&str>| -> String {
        new.clone().unwrap_or_else(|| old.unwrap_or("").to_string())
    };
    let title = required_text(
        "title",
        &pick(&input.title, current.map(|c| c.title.as_str())),
        rules::TITLE_MAX,
    )?;
    let description = optional_text(
        "description",
        &pick(&input.description, current.map(|c| c.description.as_str())),
        rules::DESCRIPTION_MAX,
    )?;
    let role = optional_text(
        "role",
        &pick(&input.role, current.map(|c| c.role.as_str())),
        rules::SHORT_MAX,
    )?;
    let client = optional_text(
        "client",
        &pick(&input.client, current.map(|c| c.client.as_str())),
        rules::SHORT_MAX,
    )?;
    let skills = match &input.skills {
        Some(s) => clean_tags("skills", s)?,
        None => current.map(Item::skills).unwrap_or_default(),
    };
    let date = |field: &'static str, new: &Option<String>, old: Option<&Option<String>>| match new {
        Some(v) => rules::optional_date(field, Some(v)),
        None => Ok(old.cloned().flatten()),
    };
    let started_on = date(
        "started_on",
        &input.started_on,
        current.map(|c| &c.started_on),
    )?;
    let ended_on = date("ended_on", &input.ended_on, current.map(|c| &c.ended_on))?;
    if let (Some(a), Some(b)) = (&started_on, &ended_on) {
        if b < a {
            return Err(Error::invalid("ended_on", "ends_before_start"));
        }
    }
    let url = |field: &'static str, new: &Option<String>, old: Option<&Option<String>>| match new {
        Some(v) => rules::optional_url(field, Some(v)),
        None => Ok(old.cloned().flatten()),
    };
    let video_url = url("video_url", &input.video_url, current.map(|c| &c.video_url))?;
    let external_url = url(
        "external_url",
        &input.external_url,
        current.map(|c| &c.external_url),
    )?;
    let visibility = parse_visibility(
        input.visibility.as_deref(),
        current.map(Item::visibility).unwrap_or(Visibility::Public),
    )?;
    let section = match &input.section {
        Some(s) if s.trim().is_empty() => None,
        Some(s) => Some(s.trim().to_string()),
        None => current.and_then(|c| c.section.clone()),
    };
    let defs: Vec<FieldDef> = match &section {
        Some(name) => sections
            .iter()
            .find(|s| &s.name == name)
            .ok_or(Error::invalid("section", "unknown_section"))?
            .fields
            .clone(),
        None => vec![],
    };
    let fields = match &input.fields {
        Some(f) => rules::check_values("fields", &defs, f)?,
        None => current
            .map(Item::fields)
            .map(|f| rules::check_values("fields", &defs, &f).unwrap_or_default())
            .unwrap_or_default(),
    };
    Ok(CleanItem {
        title,
        description,
        role,
        client,
        skills: to_json(&skills)?,
        started_on,
        ended_on,
        video_url,
        external_url,
        featured: input
            .featured
            .or(current.map(|c| c.featured))
            .unwrap_or(false),
        visibility,
        section,
        fields: to_json(&fields)?,
    })
}

/// Checks an item without storing it (imports check everything before writing anything).
pub fn validate_item(sections: &[Section], input: &ItemInput) -> Result<()> {
    clean_item(sections, input, None).map(|_| ())
}

/// Checks a project without storing it.
pub fn validate_project(input: &ProjectInput) -> Result<()> {
    clean_project(input, None).map(|_| ())
}

pub(super) struct CleanProject {
    pub(super) title: String,
    pub(super) description: String,
    pub(super) status: String,
    pub(super) goals: String,
    pub(super) data: String,
    pub(super) links: String,
    pub(super) visibility: Visibility,
}

pub(super) fn clean_project(
    input: &ProjectInput,
    current: Option<&Project>,
) -> Result<CleanProject> {
    let title = required_text(
        "title",
        input
            .title
            .as_deref()
            .unwrap_or(current.map(|c| c.title.as_str()).unwrap_or("")),
        rules::TITLE_MAX,
    )?;
    let description = optional_text(
        "description",
        input
            .description
            .as_deref()
            .unwrap_or(current.map(|c| c.description.as_str()).unwrap_or("")),
        rules::DESCRIPTION_MAX,
    )?;
    let status = input.status.clone().unwrap_or_else(|| {
        current
            .map(|c| c.status.clone())
            .unwrap_or_else(|| "planned".into())
    });
    if !PROJECT_STATUSES.contains(&status.as_str()) {
        return Err(Error::invalid("status", "status_invalid"));
    }
    let goals = match &input.goals {
        Some(g) => {
            let g: Vec<String> = g
                .iter()
                .map(|x| optional_text("goals", x, rules::SHORT_MAX))
                .collect::<Result<Vec<_>>>()?
                .into_iter()
                .filter(|x| !x.is_empty())
                .collect();
            if g.len() > rules::GOALS_MAX {
                return Err(Error::invalid("goals", "too_many_goals"));
            }
            g
        }
        None => current.map(Project::goals).unwrap_or_default(),
    };
    let data = match &input.data {
        Some(d) => {
            if d.len() > rules::FIELDS_MAX {
                return Err(Error::invalid("data", "too_many_fields"));
            }
            let mut out = Map::new();
            for (k, v) in d {
                let k = required_text("data", k, 60)?;
                let v = match v {
                    Value::String(s) => {
                        Value::String(optional_text("data", s, rules::FIELD_VALUE_MAX)?)
                    }
                    Value::Number(n) => Value::Number(n.clone()),
                    _ => return Err(Error::invalid("data", "field_wrong_kind")),
                };
                out.insert(k, v);
            }
            out
        }
        None => current.map(Project::data).unwrap_or_default(),
    };
    let links = match &input.links {
        Some(l) => clean_links(l)?,
        None => current.map(Project::links).unwrap_or_default(),
    };
    let visibility = parse_visibility(
        input.visibility.as_deref(),
        current
            .map(Project::visibility)
            .unwrap_or(Visibility::Public),
    )?;
    Ok(CleanProject {
        title,
        description,
        status,
        goals: to_json(&goals)?,
        data: to_json(&data)?,
        links: to_json(&links)?,
        visibility,
    })
}
