//! Instance settings (the white-label part): the configuration gives defaults, and a value an
//! admin saved wins over it.

use diesel::prelude::*;
use diesel::upsert::excluded;
use serde::{Deserialize, Serialize};

use crate::db::DbPool;
use crate::error::{Error, Result};
use crate::schema::instance_settings;
use crate::{db_run, db_tx};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RegistrationMode {
    Open,
    Approval,
    Closed,
}

impl RegistrationMode {
    pub fn as_str(self) -> &'static str {
        match self {
            RegistrationMode::Open => "open",
            RegistrationMode::Approval => "approval",
            RegistrationMode::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<RegistrationMode> {
        match s {
            "open" => Some(RegistrationMode::Open),
            "approval" => Some(RegistrationMode::Approval),
            "closed" => Some(RegistrationMode::Closed),
            _ => None,
        }
    }
}

/// The instance's look, words and sign-up policy.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct InstanceSettings {
    pub name: String,
    pub about: String,
    pub logo_url: Option<String>,
    pub primary_color: String,
    pub accent_color: String,
    pub contact_email: Option<String>,
    pub footer: Option<String>,
    pub registration_mode: RegistrationMode,
    pub default_language: String,
}

impl Default for InstanceSettings {
    fn default() -> Self {
        InstanceSettings {
            name: "Kogi".into(),
            about: "Portfolios, communities, opportunities and events — on your own server, connected to the fediverse.".into(),
            logo_url: None,
            primary_color: "#1d4ed8".into(),
            accent_color: "#0f766e".into(),
            contact_email: None,
            footer: None,
            registration_mode: RegistrationMode::Open,
            default_language: "en".into(),
        }
    }
}

/// The keys an admin can save.
pub const KEYS: &[&str] = &[
    "name",
    "about",
    "logo_url",
    "primary_color",
    "accent_color",
    "contact_email",
    "footer",
    "registration_mode",
    "default_language",
];

/// Where an effective value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Config,
    Saved,
}

fn valid_color(v: &str) -> bool {
    v.len() == 7 && v.starts_with('#') && v[1..].chars().all(|c| c.is_ascii_hexdigit())
}

fn optional(v: &str) -> Option<String> {
    let v = v.trim();
    (!v.is_empty()).then(|| v.to_string())
}

impl InstanceSettings {
    /// Applies one key; refuses unknown keys and invalid values with an error naming the key.
    pub fn apply(&mut self, key: &str, value: &str) -> std::result::Result<(), String> {
        match key {
            "name" => {
                let v = value.trim();
                if v.is_empty() || v.chars().count() > 80 {
                    return Err("name: must be 1 to 80 characters".into());
                }
                self.name = v.to_string();
            }
            "about" => {
                if value.chars().count() > 5000 {
                    return Err("about: at most 5000 characters".into());
                }
                self.about = value.to_string();
            }
            "logo_url" => {
                if let Some(v) = optional(value) {
                    if !(v.starts_with('/')
                        || v.starts_with("https://")
                        || v.starts_with("http://"))
                    {
                        return Err(
                            "logo_url: must be an http(s) URL or a path starting with /".into()
                        );
                    }
                }
                self.logo_url = optional(value);
            }
            "primary_color" | "accent_color" => {
                let v = value.trim();
                if !valid_color(v) {
                    return Err(format!("{key}: must be a colour like #1d4ed8"));
                }
                if key == "primary_color" {
                    self.primary_color = v.to_lowercase();
                } else {
                    self.accent_color = v.to_lowercase();
                }
            }
            "contact_email" => {
                if let Some(v) = optional(value) {
                    if crate::accounts::rules::normalise_email(&v).is_none() {
                        return Err("contact_email: not a valid email address".into());
                    }
                }
                self.contact_email = optional(value);
            }
            "footer" => {
                if value.chars().count() > 1000 {
                    return Err("footer: at most 1000 characters".into());
                }
                self.footer = optional(value);
            }
            "registration_mode" => {
                self.registration_mode = RegistrationMode::parse(value.trim())
                    .ok_or("registration_mode: must be open, approval or closed")?;
            }
            "default_language" => {
                let v = value.trim();
                if !(2..=8).contains(&v.len())
                    || !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                {
                    return Err("default_language: must be a language code such as en".into());
                }
                self.default_language = v.to_string();
            }
            other => {
                return Err(format!(
                    "{other}: unknown instance setting (known: {})",
                    KEYS.join(", ")
                ))
            }
        }
        Ok(())
    }

    /// The value of a key as a string (empty for unset optional values).
    pub fn get(&self, key: &str) -> Option<String> {
        Some(match key {
            "name" => self.name.clone(),
            "about" => self.about.clone(),
            "logo_url" => self.logo_url.clone().unwrap_or_default(),
            "primary_color" => self.primary_color.clone(),
            "accent_color" => self.accent_color.clone(),
            "contact_email" => self.contact_email.clone().unwrap_or_default(),
            "footer" => self.footer.clone().unwrap_or_default(),
            "registration_mode" => self.registration_mode.as_str().to_string(),
            "default_language" => self.default_language.clone(),
            _ => return None,
        })
    }
}

async fn saved(db: &DbPool) -> Result<Vec<(String, String)>> {
    db_run!(db, |conn| {
        Ok(instance_settings::table
            .select((instance_settings::key, instance_settings::value))
            .order(instance_settings::key)
            .load::<(String, String)>(conn)?)
    })
}

/// The settings in force, with where each key comes from.
pub async fn effective_with_sources(
    db: &DbPool,
    defaults: &InstanceSettings,
) -> Result<(InstanceSettings, Vec<(String, Source)>)> {
    let mut s = defaults.clone();
    let saved = saved(db).await?;
    for (k, v) in &saved {
        // A value that no longer validates (say, after an upgrade) falls back to the config.
        if let Err(e) = s.apply(k, v) {
            tracing::warn!(key = %k, error = %e, "ignoring invalid saved instance setting");
        }
    }
    let sources = KEYS
        .iter()
        .map(|k| {
            let src = if saved.iter().any(|(sk, _)| sk == k) {
                Source::Saved
            } else {
                Source::Config
            };
            (k.to_string(), src)
        })
        .collect();
    Ok((s, sources))
}

pub async fn effective(db: &DbPool, defaults: &InstanceSettings) -> Result<InstanceSettings> {
    Ok(effective_with_sources(db, defaults).await?.0)
}

/// Saves one setting after validating it.
pub async fn save(db: &DbPool, key: &str, value: &str) -> Result<()> {
    let mut probe = InstanceSettings::default();
    probe.apply(key, value).map_err(|msg| {
        if msg.contains("unknown instance setting") {
            Error::NotFound
        } else {
            Error::invalid("value", "setting_invalid")
        }
    })?;
    let (key, value) = (key.to_string(), value.to_string());
    let now = crate::now();
    db_tx!(db, |conn| {
        diesel::insert_into(instance_settings::table)
            .values((
                instance_settings::key.eq(&key),
                instance_settings::value.eq(&value),
                instance_settings::updated_at.eq(now),
            ))
            .on_conflict(instance_settings::key)
            .do_update()
            .set((
                instance_settings::value.eq(excluded(instance_settings::value)),
                instance_settings::updated_at.eq(excluded(instance_settings::updated_at)),
            ))
            .execute(conn)?;
        Ok(())
    })
}

/// Validates a setting without saving it; the message names the key.
pub fn validate(key: &str, value: &str) -> std::result::Result<(), String> {
    InstanceSettings::default().apply(key, value)
}
