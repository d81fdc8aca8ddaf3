//! Every setting, declared once: its TOML key, environment variable, default and docs.

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
