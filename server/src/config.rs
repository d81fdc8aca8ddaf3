//! Configuration: an optional TOML file overlaid by `KOGI_*` environment variables.
//!
//! Every setting is declared once in [`KEYS`] with its TOML key, its environment variable,
//! its default and its documentation; the README table is printed from it
//! (`kogi config docs`). Start-up validates everything and names the offending key.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use kogi_core::mail::{SmtpSettings, SmtpTls};
use kogi_core::settings::InstanceSettings;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Str,
    Int,
    Bool,
    /// A list: an array in TOML, comma-separated in the environment.
    List,
}

pub struct Key {
    pub path: &'static str,
    pub env: &'static str,
    pub kind: Kind,
    /// The default as shown in the docs ("" = unset).
    pub default: &'static str,
    pub doc: &'static str,
    pub secret: bool,
}

macro_rules! key {
    ($path:literal, $env:literal, $kind:ident, $default:literal, $doc:literal) => {
        Key {
            path: $path,
            env: $env,
            kind: Kind::$kind,
            default: $default,
            doc: $doc,
            secret: false,
        }
    };
    ($path:literal, $env:literal, $kind:ident, $default:literal, $doc:literal, secret) => {
        Key {
            path: $path,
            env: $env,
            kind: Kind::$kind,
            default: $default,
            doc: $doc,
            secret: true,
        }
    };
}

pub const KEYS: &[Key] = &[
    key!("listen", "KOGI_LISTEN", Str, "127.0.0.1:8080", "Address and port the web server listens on."),
    key!("public_url", "KOGI_PUBLIC_URL", Str, "http://localhost:8080", "The URL people and other servers use to reach this instance. ActivityPub ids are built from it: set it before federating and never change it."),
    key!("data_dir", "KOGI_DATA_DIR", Str, "./data", "Directory for the SQLite database, uploaded media and the mail spool."),
    key!("themes_dir", "KOGI_THEMES_DIR", Str, "", "A theme folder whose templates, static files and message catalogues override the built-in theme, file by file (see `kogi theme export`)."),
    key!("trusted_proxies", "KOGI_TRUSTED_PROXIES", List, "", "Reverse proxies (IP addresses or CIDR ranges) whose `X-Forwarded-For` header is believed. Comma-separated in the environment."),
    key!("database.url", "KOGI_DATABASE_URL", Str, "sqlite://<data_dir>/kogi.db", "`sqlite://PATH` or `postgres://USER:PASSWORD@HOST:PORT/DB`."),
    key!("database.max_connections", "KOGI_DATABASE_MAX_CONNECTIONS", Int, "10", "Size of the connection pool per process."),
    key!("instance.name", "KOGI_INSTANCE_NAME", Str, "Kogi", "The instance's name, shown in the header, titles and mail. An admin's saved setting wins."),
    key!("instance.about", "KOGI_INSTANCE_ABOUT", Str, "(a short default)", "About text on the home page. An admin's saved setting wins."),
    key!("instance.logo_url", "KOGI_INSTANCE_LOGO_URL", Str, "", "Logo image URL (or a path such as /static/logo.svg). An admin's saved setting wins."),
    key!("instance.primary_color", "KOGI_INSTANCE_PRIMARY_COLOR", Str, "#1d4ed8", "Main brand colour (#rrggbb). An admin's saved setting wins."),
    key!("instance.accent_color", "KOGI_INSTANCE_ACCENT_COLOR", Str, "#0f766e", "Accent colour (#rrggbb). An admin's saved setting wins."),
    key!("instance.contact_email", "KOGI_INSTANCE_CONTACT_EMAIL", Str, "", "Contact address shown in the footer. An admin's saved setting wins."),
    key!("instance.footer", "KOGI_INSTANCE_FOOTER", Str, "", "Footer text. An admin's saved setting wins."),
    key!("instance.registration_mode", "KOGI_INSTANCE_REGISTRATION_MODE", Str, "open", "`open`, `approval` (an admin approves each new account) or `closed`. An admin's saved setting wins."),
    key!("instance.default_language", "KOGI_INSTANCE_DEFAULT_LANGUAGE", Str, "en", "Language of the interface when neither the person nor the browser chooses one (`en`, `es`)."),
    key!("mail.kind", "KOGI_MAIL_KIND", Str, "spool", "`spool` writes each message as an .eml file; `smtp` sends through an SMTP server."),
    key!("mail.from", "KOGI_MAIL_FROM", Str, "Kogi <noreply@localhost>", "Sender address of outgoing mail."),
    key!("mail.spool_dir", "KOGI_MAIL_SPOOL_DIR", Str, "<data_dir>/mail", "Where `spool` mail is written."),
    key!("mail.smtp_host", "KOGI_MAIL_SMTP_HOST", Str, "", "SMTP server host (required with `smtp`)."),
    key!("mail.smtp_port", "KOGI_MAIL_SMTP_PORT", Int, "587", "SMTP server port."),
    key!("mail.smtp_tls", "KOGI_MAIL_SMTP_TLS", Str, "starttls", "`starttls` (upgrade, required), `tls` (TLS from the start, usually port 465) or `none` (only for a local relay)."),
    key!("mail.smtp_username", "KOGI_MAIL_SMTP_USERNAME", Str, "", "SMTP user name, if the server needs one."),
    key!("mail.smtp_password", "KOGI_MAIL_SMTP_PASSWORD", Str, "", "SMTP password.", secret),
    key!("limits.api_body_bytes", "KOGI_LIMITS_API_BODY_BYTES", Int, "1048576", "Largest request body for the JSON API and forms (bytes)."),
    key!("limits.upload_body_bytes", "KOGI_LIMITS_UPLOAD_BODY_BYTES", Int, "10485760", "Largest request body for uploads (bytes)."),
    key!("limits.avatar_max_bytes", "KOGI_LIMITS_AVATAR_MAX_BYTES", Int, "5242880", "Largest avatar file accepted (bytes)."),
    key!("portfolios.import_max_bytes", "KOGI_PORTFOLIOS_IMPORT_MAX_BYTES", Int, "104857600", "Largest portfolio archive (zip) accepted by an import, and the most its files may unpack to (bytes)."),
    key!("portfolios.media_max_bytes", "KOGI_PORTFOLIOS_MEDIA_MAX_BYTES", Int, "26214400", "Largest file (image, PDF, audio or video) accepted for a portfolio item (bytes)."),
    key!("rate_limits.login_per_minute", "KOGI_RATE_LIMITS_LOGIN_PER_MINUTE", Int, "10", "Log-in and API-token attempts per account name per minute."),
    key!("rate_limits.signup_per_hour", "KOGI_RATE_LIMITS_SIGNUP_PER_HOUR", Int, "20", "Sign-ups per client IP (and per requested name) per hour."),
    key!("rate_limits.reset_per_hour", "KOGI_RATE_LIMITS_RESET_PER_HOUR", Int, "5", "Password-reset and confirmation mails per address per hour."),
    key!("rate_limits.ip_per_minute", "KOGI_RATE_LIMITS_IP_PER_MINUTE", Int, "60", "Sign-up, log-in, token and reset requests per client IP per minute, all together."),
    key!("accounts.session_days", "KOGI_ACCOUNTS_SESSION_DAYS", Int, "30", "How long a browser session lasts."),
    key!("accounts.confirm_token_hours", "KOGI_ACCOUNTS_CONFIRM_TOKEN_HOURS", Int, "48", "How long an email-confirmation link works."),
    key!("accounts.reset_token_minutes", "KOGI_ACCOUNTS_RESET_TOKEN_MINUTES", Int, "60", "How long a password-reset link works."),
    key!("log.format", "KOGI_LOG_FORMAT", Str, "text", "`text` or `json` (one JSON object per line)."),
    key!("log.level", "KOGI_LOG_LEVEL", Str, "info", "Log filter, e.g. `info`, `debug`, or `info,kogi=debug`."),
    key!("federation.allow_private_addresses", "KOGI_FEDERATION_ALLOW_PRIVATE_ADDRESSES", Bool, "false", "Let federation reach private, loopback and link-local addresses (and plain-HTTP peers). Only for tests and closed networks."),
    key!("federation.ca_file", "KOGI_FEDERATION_CA_FILE", Str, "", "Extra trusted root certificates (PEM file) for peers on a closed network with its own certificate authority."),
    key!("federation.inbox_max_bytes", "KOGI_FEDERATION_INBOX_MAX_BYTES", Int, "1048576", "Largest activity accepted by an inbox (bytes)."),
    key!("federation.fetch_timeout_secs", "KOGI_FEDERATION_FETCH_TIMEOUT_SECS", Int, "10", "Time limit for one fetch from another server (deliveries have `federation.delivery.timeout_secs`)."),
    key!("federation.fetch_max_bytes", "KOGI_FEDERATION_FETCH_MAX_BYTES", Int, "1048576", "Largest document fetched from another server (bytes)."),
    key!("federation.refresh_interval_secs", "KOGI_FEDERATION_REFRESH_INTERVAL_SECS", Int, "60", "Views of other servers' posts and portfolios refresh them in the background at most this often per object."),
    key!("federation.delivery.first_retry_secs", "KOGI_FEDERATION_DELIVERY_FIRST_RETRY_SECS", Int, "30", "Wait before the first retry of a failed delivery; it doubles (±20%) after each failure."),
    key!("federation.delivery.max_backoff_secs", "KOGI_FEDERATION_DELIVERY_MAX_BACKOFF_SECS", Int, "21600", "Longest wait between two attempts."),
    key!("federation.delivery.give_up_secs", "KOGI_FEDERATION_DELIVERY_GIVE_UP_SECS", Int, "604800", "A delivery still failing this long after it was queued is given up."),
    key!("federation.delivery.dead_after_secs", "KOGI_FEDERATION_DELIVERY_DEAD_AFTER_SECS", Int, "86400", "A server failing this long is marked dead: its deliveries wait and it is probed."),
    key!("federation.delivery.probe_interval_secs", "KOGI_FEDERATION_DELIVERY_PROBE_INTERVAL_SECS", Int, "3600", "How often a dead server is probed; when it answers, its deliveries catch up."),
    key!("federation.delivery.concurrency", "KOGI_FEDERATION_DELIVERY_CONCURRENCY", Int, "32", "Deliveries sent at once per process; a finished one frees its place at once."),
    key!("federation.delivery.per_host_concurrency", "KOGI_FEDERATION_DELIVERY_PER_HOST_CONCURRENCY", Int, "4", "Deliveries sent at once to one server, per process, so a slow or hanging server never holds up the others."),
    key!("federation.delivery.timeout_secs", "KOGI_FEDERATION_DELIVERY_TIMEOUT_SECS", Int, "8", "Time limit for one delivery to another server's inbox; keep it shorter than `federation.fetch_timeout_secs`."),
    key!("metrics.token", "KOGI_METRICS_TOKEN", Str, "", "Bearer token that lets non-loopback clients read /metrics. Unset: loopback only.", secret),
];

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

/// The mailbox parser, aliased so the config module does not depend on lettre directly.
mod lettre_mailbox {
    pub use kogi_core::mail::Mailbox;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        let dir = tempfile_dir();
        let cfg_path = dir.join("none.toml");
        std::fs::write(&cfg_path, "").unwrap();
        load_with(Some(&cfg_path), &move |n| {
            vars.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone())
        })
    }

    fn tempfile_dir() -> PathBuf {
        let d = std::env::temp_dir().join(format!("kogi-cfg-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn defaults() {
        let c = with(&[]).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.public_url, "http://localhost:8080");
        assert!(c.database_url.starts_with("sqlite://"));
        assert!(matches!(c.mail, MailConfig::Spool { .. }));
    }

    #[test]
    fn bad_values_name_the_key() {
        let e = with(&[("KOGI_LISTEN", "nope")]).unwrap_err();
        assert_eq!(e.key, "listen");
        let e = with(&[("KOGI_INSTANCE_REGISTRATION_MODE", "sometimes")]).unwrap_err();
        assert_eq!(e.key, "instance.registration_mode");
        let e = with(&[("KOGI_DATABASE_MAX_CONNECTIONS", "-3")]).unwrap_err();
        assert_eq!(e.key, "database.max_connections");
        let e = with(&[("KOGI_MAIL_KIND", "smtp")]).unwrap_err();
        assert_eq!(e.key, "mail.smtp_host");
    }

    #[test]
    fn unknown_file_keys_are_refused() {
        let d = tempfile_dir();
        let p = d.join("k.toml");
        std::fs::write(&p, "[mail]\nkindd = \"spool\"\n").unwrap();
        let e = load_with(Some(&p), &|_| None).unwrap_err();
        assert_eq!(e.key, "mail.kindd");
        std::fs::write(&p, "listen = 8080\n").unwrap();
        let e = load_with(Some(&p), &|_| None).unwrap_err();
        assert_eq!(e.key, "listen");
    }

    #[test]
    fn env_overrides_file() {
        let d = tempfile_dir();
        let p = d.join("k.toml");
        std::fs::write(&p, "[instance]\nname = \"From file\"\n").unwrap();
        let c = load_with(Some(&p), &|n| {
            (n == "KOGI_INSTANCE_NAME").then(|| "From env".to_string())
        })
        .unwrap();
        assert_eq!(c.instance.name, "From env");
        let c = load_with(Some(&p), &|_| None).unwrap();
        assert_eq!(c.instance.name, "From file");
    }

    #[test]
    fn ip_ranges() {
        let r = IpRange::parse("10.0.0.0/8").unwrap();
        assert!(r.contains("10.1.2.3".parse().unwrap()));
        assert!(!r.contains("11.1.2.3".parse().unwrap()));
        assert!(IpRange::parse("::1")
            .unwrap()
            .contains("::1".parse().unwrap()));
        assert!(IpRange::parse("10.0.0.0/40").is_none());
    }

    #[test]
    fn every_key_has_a_kogi_env_name() {
        for k in KEYS {
            assert!(k.env.starts_with("KOGI_"), "{}", k.path);
        }
    }
}
