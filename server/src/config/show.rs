//! `kogi config show` and `kogi config docs`.

use kogi_core::settings::InstanceSettings;

use super::{Config, MailConfig, KEYS};

/// Masks secrets in a URL's password part.
fn mask_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("****"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

/// `kogi config show`: the effective value of every key, secrets masked; for instance
/// settings, whether the configuration or a saved setting applies.
pub fn show(
    cfg: &Config,
    saved: Option<&[(String, kogi_core::settings::Source)]>,
    effective: Option<&InstanceSettings>,
) -> String {
    let mut out = String::new();
    for key in KEYS {
        let raw = cfg
            .raw
            .iter()
            .find(|(p, _)| *p == key.path)
            .and_then(|(_, v)| v.clone());
        let mut value = match key.path {
            "database.url" => cfg.database_url.clone(),
            "data_dir" => cfg.data_dir.display().to_string(),
            "mail.spool_dir" => match &cfg.mail {
                MailConfig::Spool { dir } => dir.display().to_string(),
                MailConfig::Smtp(_) => String::new(),
            },
            _ => raw.clone().unwrap_or_else(|| key.default.to_string()),
        };
        if let Some(k) = key.path.strip_prefix("instance.") {
            value = cfg.instance.get(k).unwrap_or_default();
        }
        if key.secret && !value.is_empty() {
            value = "****".into();
        }
        if key.path == "database.url" {
            value = mask_url(&value);
        }
        let origin = if raw.is_some() { "set" } else { "default" };
        let mut line = format!("{} = {:?}  # {origin}", key.path, value);
        if let (Some(k), Some(sources), Some(eff)) =
            (key.path.strip_prefix("instance."), saved, effective)
        {
            if let Some((_, src)) = sources.iter().find(|(sk, _)| sk == k) {
                if *src == kogi_core::settings::Source::Saved {
                    line = format!(
                        "{} = {:?}  # saved setting applies (config value: {:?})",
                        key.path,
                        eff.get(k).unwrap_or_default(),
                        value
                    );
                } else {
                    line.push_str(", config applies");
                }
            }
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// `kogi config docs`: the Markdown table for the README.
pub fn docs() -> String {
    let mut out = String::from(
        "| TOML key | Environment variable | Default | Meaning |\n|---|---|---|---|\n",
    );
    for k in KEYS {
        let default = if k.default.is_empty() {
            "(unset)".to_string()
        } else {
            format!("`{}`", k.default)
        };
        out.push_str(&format!(
            "| `{}` | `{}` | {} | {} |\n",
            k.path, k.env, default, k.doc
        ));
    }
    out
}
