//! Input rules for portfolios, items and projects: lengths, URLs, dates and the values of
//! admin-defined fields.

use serde_json::{Map, Value};

use super::model::{FieldDef, FieldKind, Section};
use crate::error::{Error, Result};

pub const TITLE_MAX: usize = 200;
pub const SUMMARY_MAX: usize = 5000;
pub const DESCRIPTION_MAX: usize = 20000;
pub const SHORT_MAX: usize = 200;
pub const URL_MAX: usize = 500;
pub const FIELD_VALUE_MAX: usize = 2000;
pub const GOALS_MAX: usize = 20;
pub const SECTIONS_MAX: usize = 30;
pub const FIELDS_MAX: usize = 40;

/// A required one-line text: trimmed, not empty, at most `max` characters.
pub fn required_text(field: &'static str, s: &str, max: usize) -> Result<String> {
    let s = s.trim();
    if s.is_empty() {
        return Err(Error::invalid(field, "required"));
    }
    optional_text(field, s, max)
}

/// An optional text: trimmed, at most `max` characters, no NUL.
pub fn optional_text(field: &'static str, s: &str, max: usize) -> Result<String> {
    let s = s.trim();
    if s.chars().count() > max {
        return Err(Error::invalid(field, "field_too_long"));
    }
    if s.contains('\0') {
        return Err(Error::invalid(field, "bad_request"));
    }
    Ok(s.to_string())
}

/// An optional http(s) URL; blank means none.
pub fn optional_url(field: &'static str, s: Option<&str>) -> Result<Option<String>> {
    let Some(s) = s.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if s.len() > URL_MAX {
        return Err(Error::invalid(field, "field_too_long"));
    }
    if !is_web_url(s) {
        return Err(Error::invalid(field, "url_invalid"));
    }
    Ok(Some(s.to_string()))
}

pub fn is_web_url(s: &str) -> bool {
    url::Url::parse(s)
        .map(|u| {
            matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty())
        })
        .unwrap_or(false)
}

/// An optional calendar date, `YYYY-MM-DD`.
pub fn optional_date(field: &'static str, s: Option<&str>) -> Result<Option<String>> {
    let Some(s) = s.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(|d| Some(d.format("%Y-%m-%d").to_string()))
        .map_err(|_| Error::invalid(field, "date_invalid"))
}

/// Field definitions as an admin writes them: names are unique, lowercase `[a-z0-9_]`, and a
/// choice field lists its choices.
pub fn check_field_defs(defs: &[FieldDef]) -> Result<()> {
    if defs.len() > FIELDS_MAX {
        return Err(Error::invalid("fields", "too_many_fields"));
    }
    let mut seen = std::collections::BTreeSet::new();
    for d in defs {
        if crate::accounts::rules::normalise_handle(&d.name).as_deref() != Some(d.name.as_str()) {
            return Err(Error::invalid("fields", "field_name_invalid"));
        }
        if !seen.insert(d.name.clone()) {
            return Err(Error::invalid("fields", "field_duplicate"));
        }
        if d.kind == FieldKind::Choice
            && (d.choices.is_empty() || d.choices.iter().any(|c| c.trim().is_empty()))
        {
            return Err(Error::invalid("fields", "choices_missing"));
        }
    }
    Ok(())
}

/// Checks values against field definitions and returns them normalised (numbers as JSON
/// numbers, dates as `YYYY-MM-DD`, everything else as strings). Unknown names, values of the
/// wrong kind and missing required fields are refused.
pub fn check_values(
    field: &'static str,
    defs: &[FieldDef],
    values: &Map<String, Value>,
) -> Result<Map<String, Value>> {
    let mut out = Map::new();
    for (name, value) in values {
        let Some(def) = defs.iter().find(|d| &d.name == name) else {
            return Err(Error::invalid(field, "unknown_field"));
        };
        if value.is_null() || value.as_str().is_some_and(|s| s.trim().is_empty()) {
            continue;
        }
        let wrong = || Error::invalid(field, "field_wrong_kind");
        let normalised = match def.kind {
            FieldKind::Number => match value {
                Value::Number(n) => Value::Number(n.clone()),
                Value::String(s) if s.trim().parse::<i64>().is_ok() => {
                    Value::from(s.trim().parse::<i64>().map_err(|_| wrong())?)
                }
                Value::String(s) => {
                    let f: f64 = s.trim().parse().map_err(|_| wrong())?;
                    if !f.is_finite() {
                        return Err(wrong());
                    }
                    serde_json::Number::from_f64(f)
                        .map(Value::Number)
                        .ok_or_else(wrong)?
                }
                _ => return Err(wrong()),
            },
            FieldKind::Text => {
                let s = value.as_str().ok_or_else(wrong)?;
                Value::String(optional_text(field, s, FIELD_VALUE_MAX)?)
            }
            FieldKind::Date => {
                let s = value.as_str().ok_or_else(wrong)?;
                Value::String(
                    optional_date(field, Some(s))
                        .map_err(|_| wrong())?
                        .unwrap_or_default(),
                )
            }
            FieldKind::Url => {
                let s = value.as_str().ok_or_else(wrong)?;
                Value::String(
                    optional_url(field, Some(s))
                        .map_err(|_| wrong())?
                        .unwrap_or_default(),
                )
            }
            FieldKind::Choice => {
                let s = value.as_str().ok_or_else(wrong)?.trim();
                if !def.choices.iter().any(|c| c == s) {
                    return Err(wrong());
                }
                Value::String(s.to_string())
            }
        };
        out.insert(name.clone(), normalised);
    }
    for d in defs.iter().filter(|d| d.required) {
        if !out.contains_key(&d.name) {
            return Err(Error::invalid(field, "field_required"));
        }
    }
    Ok(out)
}

/// Sections as a template defines them (values empty) or as a portfolio fills them in.
pub fn check_sections(sections: &[Section]) -> Result<Vec<Section>> {
    if sections.len() > SECTIONS_MAX {
        return Err(Error::invalid("sections", "too_many_sections"));
    }
    let mut out: Vec<Section> = Vec::new();
    for s in sections {
        let name = required_text("sections", &s.name, SHORT_MAX)?;
        if out
            .iter()
            .any(|o| o.name.to_lowercase() == name.to_lowercase())
        {
            return Err(Error::invalid("sections", "section_duplicate"));
        }
        check_field_defs(&s.fields)?;
        let mut values = s.values.clone();
        // Required fields are for the person filling the section in, not for the template.
        let defs: Vec<FieldDef> = s
            .fields
            .iter()
            .map(|f| FieldDef {
                required: false,
                ..f.clone()
            })
            .collect();
        values = check_values("sections", &defs, &values)?;
        out.push(Section {
            name,
            fields: s.fields.clone(),
            values,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn defs() -> Vec<FieldDef> {
        serde_json::from_value(json!([
            {"name": "stage", "kind": "choice", "choices": ["seed", "series_a"], "required": true},
            {"name": "founded", "kind": "date"},
            {"name": "employees", "kind": "number"},
            {"name": "site", "kind": "url"},
            {"name": "motto", "kind": "text"}
        ]))
        .unwrap()
    }

    #[test]
    fn values_are_checked_by_kind() {
        let ok = check_values(
            "fields",
            &defs(),
            json!({"stage": "seed", "founded": "2024-02-29", "employees": "12", "site": "https://x.example", "motto": " go "})
                .as_object()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(ok["employees"], json!(12));
        assert_eq!(ok["motto"], json!("go"));
        for (bad, code) in [
            (json!({"stage": "ipo"}), "field_wrong_kind"),
            (
                json!({"stage": "seed", "employees": "many"}),
                "field_wrong_kind",
            ),
            (
                json!({"stage": "seed", "founded": "2023-02-29"}),
                "field_wrong_kind",
            ),
            (
                json!({"stage": "seed", "site": "javascript:alert(1)"}),
                "field_wrong_kind",
            ),
            (
                json!({"stage": "seed", "employees": true}),
                "field_wrong_kind",
            ),
            (json!({"stage": "seed", "colour": "red"}), "unknown_field"),
            (json!({"founded": "2020-01-01"}), "field_required"),
        ] {
            match check_values("fields", &defs(), bad.as_object().unwrap()) {
                Err(Error::Invalid { code: c, .. }) => assert_eq!(c, code, "{bad}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn urls_and_dates() {
        assert!(optional_url("u", Some("ftp://x.example")).is_err());
        assert!(optional_url("u", Some("not a url")).is_err());
        assert_eq!(optional_url("u", Some("  ")).unwrap(), None);
        assert!(optional_date("d", Some("2024-13-01")).is_err());
        assert_eq!(
            optional_date("d", Some("2024-01-05")).unwrap().as_deref(),
            Some("2024-01-05")
        );
    }
}
