//! Configuration: an optional TOML file overlaid by `KOGI_*` environment variables.
//!
//! Every setting is declared once in [`KEYS`] with its TOML key, its environment variable,
//! its default and its documentation; the README table is printed from it
//! (`kogi config docs`). Start-up validates everything and names the offending key.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use kogi_core::mail::{SmtpSettings, SmtpTls};
use kogi_core::settings::InstanceSettings;

mod keys;
mod show;
#[cfg(test)]
mod tests;

pub use keys::{Kind, KEYS};
pub use show::{docs, show};

/// A configuration error, always naming the key.
#[derive(Debug, thiserror::Error)]
#[error("{key}: {message}")]
pub struct ConfigError {
    pub key: String,
    pub message: String,
}

fn err(key: &str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        key: key.to_string(),
        message: message.into(),
    }
}

#[derive(Debug, Clone)]
pub enum MailConfig {
    Spool { dir: PathBuf },
    Smtp(SmtpSettings),
}

#[derive(Debug, Clone)]
pub struct Limits {
    pub api_body_bytes: usize,
    pub upload_body_bytes: usize,
    pub avatar_max_bytes: usize,
    pub portfolio_import_max_bytes: usize,
    pub portfolio_media_max_bytes: usize,
}

#[derive(Debug, Clone)]
pub struct RateLimits {
    pub login_per_minute: u32,
    pub signup_per_hour: u32,
    pub reset_per_hour: u32,
    pub ip_per_minute: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// A trusted proxy: an address or a CIDR range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl IpRange {
    pub fn parse(s: &str) -> Option<IpRange> {
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = a.trim().parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            Some(p) => p.trim().parse::<u8>().ok().filter(|p| *p <= max)?,
            None => max,
        };
        Some(IpRange { addr, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        fn bits(ip: IpAddr) -> (u128, u8) {
            match ip {
                IpAddr::V4(v) => (u128::from(u32::from(v)), 32),
                IpAddr::V6(v) => match v.to_ipv4_mapped() {
                    Some(v4) => (u128::from(u32::from(v4)), 32),
                    None => (u128::from(v), 128),
                },
            }
        }
        let (a, wa) = bits(self.addr);
        let (b, wb) = bits(ip);
        if wa != wb {
            return false;
        }
        let shift = u32::from(wa - self.prefix.min(wa));
        if shift >= 128 {
            return true;
        }
        (a >> shift) == (b >> shift)
    }
}

#[derive(Debug, Clone)]
pub struct Federation {
    pub allow_private_addresses: bool,
    pub ca_pem: Option<Vec<u8>>,
    pub inbox_max_bytes: usize,
    pub fetch_timeout_secs: u64,
    pub fetch_max_bytes: usize,
    pub refresh_interval_secs: u64,
    pub first_retry_secs: i64,
    pub max_backoff_secs: i64,
    pub give_up_secs: i64,
    pub dead_after_secs: i64,
    pub probe_interval_secs: i64,
    pub concurrency: usize,
    pub per_host_concurrency: usize,
    pub delivery_timeout_secs: u64,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub federation: Federation,
    pub listen: SocketAddr,
    /// Without a trailing slash.
    pub public_url: String,
    pub data_dir: PathBuf,
    pub themes_dir: Option<PathBuf>,
    pub trusted_proxies: Vec<IpRange>,
    pub database_url: String,
    pub database_max_connections: u32,
    pub instance: InstanceSettings,
    pub mail: MailConfig,
    pub mail_from: String,
    pub limits: Limits,
    pub rate_limits: RateLimits,
    pub session_days: i64,
    pub confirm_token_hours: i64,
    pub reset_token_minutes: i64,
    pub log_format: LogFormat,
    pub log_level: String,
    pub metrics_token: Option<String>,
    /// The raw values in force, by key, for `kogi config show`.
    pub raw: Vec<(&'static str, Option<String>)>,
}

impl Config {
    pub fn is_https(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

/// Looks a dotted path up in a TOML table.
fn lookup<'a>(table: &'a toml::Table, path: &str) -> Option<&'a toml::Value> {
    let mut parts = path.split('.');
    let first = parts.next()?;
    let mut v = table.get(first)?;
    for p in parts {
        v = v.as_table()?.get(p)?;
    }
    Some(v)
}

/// Every leaf key of the file must be a known setting: a typo should not pass silently.
fn check_unknown(table: &toml::Table, prefix: &str) -> Result<(), ConfigError> {
    for (k, v) in table {
        let path = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::Table(t) if !KEYS.iter().any(|key| key.path == path) => {
                check_unknown(t, &path)?
            }
            _ => {
                if !KEYS.iter().any(|key| key.path == path) {
                    return Err(err(
                        &path,
                        "unknown setting (see the configuration table in the README)",
                    ));
                }
            }
        }
    }
    Ok(())
}

/// The raw string value of every key after overlaying the environment; `None` = default.
fn raw_values(
    file: &toml::Table,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<(&'static str, Option<String>)>, ConfigError> {
    let mut out = Vec::new();
    for key in KEYS {
        let from_env = env(key.env);
        let value = match from_env {
            Some(v) => Some(v),
            None => match lookup(file, key.path) {
                None => None,
                Some(v) => Some(match (key.kind, v) {
                    (Kind::Str, toml::Value::String(s)) => s.clone(),
                    (Kind::Int, toml::Value::Integer(i)) => i.to_string(),
                    (Kind::Bool, toml::Value::Boolean(b)) => b.to_string(),
                    (Kind::List, toml::Value::Array(a)) => a
                        .iter()
                        .map(|x| {
                            x.as_str()
                                .map(str::to_string)
                                .ok_or_else(|| err(key.path, "must be a list of strings"))
                        })
                        .collect::<Result<Vec<_>, _>>()?
                        .join(","),
                    (Kind::List, toml::Value::String(s)) => s.clone(),
                    (kind, _) => {
                        let want = match kind {
                            Kind::Str => "a string",
                            Kind::Int => "a whole number",
                            Kind::Bool => "true or false",
                            Kind::List => "a list of strings",
                        };
                        return Err(err(key.path, format!("must be {want}")));
                    }
                }),
            },
        };
        out.push((key.path, value));
    }
    Ok(out)
}

struct Values(Vec<(&'static str, Option<String>)>);

impl Values {
    fn get(&self, path: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(p, _)| *p == path)
            .and_then(|(_, v)| v.as_deref())
            .filter(|v| !v.is_empty())
    }

    fn str_or(&self, path: &str, default: &str) -> String {
        self.get(path).unwrap_or(default).to_string()
    }

    fn bool(&self, path: &str, default: bool) -> Result<bool, ConfigError> {
        match self.get(path).map(|v| v.trim().to_ascii_lowercase()) {
            None => Ok(default),
            Some(v) if matches!(v.as_str(), "true" | "1" | "yes" | "on") => Ok(true),
            Some(v) if matches!(v.as_str(), "false" | "0" | "no" | "off") => Ok(false),
            Some(v) => Err(err(path, format!("must be true or false, got {v:?}"))),
        }
    }

    fn int(&self, path: &str, default: i64, min: i64, max: i64) -> Result<i64, ConfigError> {
        match self.get(path) {
            None => Ok(default),
            Some(v) => {
                let n: i64 = v
                    .trim()
                    .parse()
                    .map_err(|_| err(path, format!("must be a whole number, got {v:?}")))?;
                if n < min || n > max {
                    return Err(err(
                        path,
                        format!("must be between {min} and {max}, got {n}"),
                    ));
                }
                Ok(n)
            }
        }
    }
}

/// Loads the configuration. `file` is the `--config` path; without one, `kogi.toml` in the
/// working directory is read if it exists.
pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
    load_with(file, &|name| std::env::var(name).ok())
}

pub fn load_with(
    file: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, ConfigError> {
    let table = match file {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| err("--config", format!("cannot read {}: {e}", p.display())))?;
            parse_toml(&text)?
        }
        None => match std::fs::read_to_string("kogi.toml") {
            Ok(text) => parse_toml(&text)?,
            Err(_) => toml::Table::new(),
        },
    };
    check_unknown(&table, "")?;
    let v = Values(raw_values(&table, env)?);

    let listen_s = v.str_or("listen", "127.0.0.1:8080");
    let listen: SocketAddr = listen_s.parse().map_err(|_| {
        err(
            "listen",
            format!("must be an address and port such as 127.0.0.1:8080, got {listen_s:?}"),
        )
    })?;

    let public_url = v.str_or("public_url", "http://localhost:8080");
    let parsed =
        url::Url::parse(&public_url).map_err(|e| err("public_url", format!("not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(err(
            "public_url",
            "must be an http:// or https:// URL with a host",
        ));
    }
    if parsed.path() != "/" || parsed.query().is_some() {
        return Err(err(
            "public_url",
            "must not have a path or query (Kogi serves from the root of its host)",
        ));
    }
    let public_url = public_url.trim_end_matches('/').to_string();

    let data_dir = PathBuf::from(v.str_or("data_dir", "./data"));
    let themes_dir = v.get("themes_dir").map(PathBuf::from);
    if let Some(d) = &themes_dir {
        if !d.is_dir() {
            return Err(err(
                "themes_dir",
                format!("{} is not a directory", d.display()),
            ));
        }
    }
    let trusted_proxies = match v.get("trusted_proxies") {
        None => Vec::new(),
        Some(s) => s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                IpRange::parse(s).ok_or_else(|| {
                    err(
                        "trusted_proxies",
                        format!("{s:?} is not an IP address or CIDR range"),
                    )
                })
            })
            .collect::<Result<_, _>>()?,
    };

    let default_db = format!("sqlite://{}", data_dir.join("kogi.db").display());
    let database_url = v.str_or("database.url", &default_db);
    if kogi_core::db::Backend::from_url(&database_url).is_none() {
        return Err(err(
            "database.url",
            "must start with sqlite:// or postgres://",
        ));
    }
    let database_max_connections = v.int("database.max_connections", 10, 1, 1000)? as u32;

    let mut instance = InstanceSettings::default();
    for k in kogi_core::settings::KEYS {
        let path = format!("instance.{k}");
        if let Some(val) = v.get(&path) {
            instance
                .apply(k, val)
                .map_err(|m| err(&path, m.split_once(": ").map(|x| x.1).unwrap_or(&m)))?;
        }
    }

    let mail_from = v.str_or("mail.from", "Kogi <noreply@localhost>");
    if mail_from.parse::<lettre_mailbox::Mailbox>().is_err() {
        return Err(err(
            "mail.from",
            format!("not a valid sender address: {mail_from:?}"),
        ));
    }
    // Validate every mail key whatever the kind, so a typo is caught before switching to SMTP.
    let smtp_port = v.int("mail.smtp_port", 587, 1, 65535)? as u16;
    let smtp_tls = match v.str_or("mail.smtp_tls", "starttls").as_str() {
        "starttls" => SmtpTls::Starttls,
        "tls" => SmtpTls::Tls,
        "none" => SmtpTls::None,
        other => {
            return Err(err(
                "mail.smtp_tls",
                format!("must be starttls, tls or none, got {other:?}"),
            ))
        }
    };
    let mail = match v.str_or("mail.kind", "spool").as_str() {
        "spool" => MailConfig::Spool {
            dir: v
                .get("mail.spool_dir")
                .map(PathBuf::from)
                .unwrap_or_else(|| data_dir.join("mail")),
        },
        "smtp" => {
            let host = v
                .get("mail.smtp_host")
                .ok_or_else(|| err("mail.smtp_host", "required when mail.kind is smtp"))?;
            MailConfig::Smtp(SmtpSettings {
                host: host.to_string(),
                port: smtp_port,
                tls: smtp_tls,
                username: v.get("mail.smtp_username").map(str::to_string),
                password: v.get("mail.smtp_password").map(str::to_string),
            })
        }
        other => {
            return Err(err(
                "mail.kind",
                format!("must be spool or smtp, got {other:?}"),
            ))
        }
    };

    let limits = Limits {
        api_body_bytes: v.int("limits.api_body_bytes", 1 << 20, 1024, 1 << 30)? as usize,
        upload_body_bytes: v.int("limits.upload_body_bytes", 10 << 20, 1024, 1 << 32)? as usize,
        avatar_max_bytes: v.int("limits.avatar_max_bytes", 5 << 20, 1024, 1 << 30)? as usize,
        portfolio_import_max_bytes: v.int(
            "portfolios.import_max_bytes",
            100 << 20,
            1024,
            1 << 34,
        )? as usize,
        portfolio_media_max_bytes: v.int("portfolios.media_max_bytes", 25 << 20, 1024, 1 << 32)?
            as usize,
    };
    let rate_limits = RateLimits {
        login_per_minute: v.int("rate_limits.login_per_minute", 10, 1, 1_000_000)? as u32,
        signup_per_hour: v.int("rate_limits.signup_per_hour", 20, 1, 1_000_000)? as u32,
        reset_per_hour: v.int("rate_limits.reset_per_hour", 5, 1, 1_000_000)? as u32,
        ip_per_minute: v.int("rate_limits.ip_per_minute", 60, 1, 1_000_000)? as u32,
    };
    let log_format = match v.str_or("log.format", "text").as_str() {
        "text" => LogFormat::Text,
        "json" => LogFormat::Json,
        other => {
            return Err(err(
                "log.format",
                format!("must be text or json, got {other:?}"),
            ))
        }
    };
    let log_level = v.str_or("log.level", "info");
    if tracing_subscriber::EnvFilter::try_new(&log_level).is_err() {
        return Err(err(
            "log.level",
            format!("not a valid log filter: {log_level:?}"),
        ));
    }

    let federation = Federation {
        allow_private_addresses: v.bool("federation.allow_private_addresses", false)?,
        ca_pem: match v.get("federation.ca_file") {
            None => None,
            Some(p) => Some(
                std::fs::read(p)
                    .map_err(|e| err("federation.ca_file", format!("cannot read {p}: {e}")))?,
            ),
        },
        inbox_max_bytes: v.int("federation.inbox_max_bytes", 1 << 20, 1024, 1 << 30)? as usize,
        fetch_timeout_secs: v.int("federation.fetch_timeout_secs", 10, 1, 600)? as u64,
        fetch_max_bytes: v.int("federation.fetch_max_bytes", 1 << 20, 1024, 1 << 30)? as usize,
        refresh_interval_secs: v.int("federation.refresh_interval_secs", 60, 1, 86_400)? as u64,
        first_retry_secs: v.int("federation.delivery.first_retry_secs", 30, 1, 86_400)?,
        max_backoff_secs: v.int(
            "federation.delivery.max_backoff_secs",
            21_600,
            1,
            30 * 86_400,
        )?,
        give_up_secs: v.int("federation.delivery.give_up_secs", 604_800, 1, 365 * 86_400)?,
        dead_after_secs: v.int(
            "federation.delivery.dead_after_secs",
            86_400,
            1,
            365 * 86_400,
        )?,
        probe_interval_secs: v.int(
            "federation.delivery.probe_interval_secs",
            3_600,
            1,
            30 * 86_400,
        )?,
        concurrency: v.int("federation.delivery.concurrency", 32, 1, 1024)? as usize,
        per_host_concurrency: v.int("federation.delivery.per_host_concurrency", 4, 1, 256)?
            as usize,
        delivery_timeout_secs: v.int("federation.delivery.timeout_secs", 8, 1, 600)? as u64,
    };

    Ok(Config {
        federation,
        listen,
        public_url,
        data_dir,
        themes_dir,
        trusted_proxies,
        database_url,
        database_max_connections,
        instance,
        mail,
        mail_from,
        limits,
        rate_limits,
        session_days: v.int("accounts.session_days", 30, 1, 3650)?,
        confirm_token_hours: v.int("accounts.confirm_token_hours", 48, 1, 24 * 365)?,
        reset_token_minutes: v.int("accounts.reset_token_minutes", 60, 1, 24 * 60 * 7)?,
        log_format,
        log_level,
        metrics_token: v.get("metrics.token").map(str::to_string),
        raw: v.0,
    })
}

fn parse_toml(text: &str) -> Result<toml::Table, ConfigError> {
    text.parse::<toml::Table>()
        .map_err(|e| err("--config", format!("not valid TOML: {}", e.message())))
}

/// The mailbox parser, aliased so the config module does not depend on lettre directly.
mod lettre_mailbox {
    pub use kogi_core::mail::Mailbox;
}
