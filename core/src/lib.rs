//! kogi-core: Kogi's domain — storage, models and business rules per area. No HTTP, no
//! ActivityPub JSON.

pub mod accounts;
pub mod actors;
pub mod archive;
pub mod blocks;
pub mod communities;
pub mod db;
pub mod deliveries;
pub mod documents;
pub mod error;
pub mod follows;
pub mod ids;
pub mod inbox;
pub mod keys;
pub mod live;
pub mod mail;
pub mod media;
pub mod outbox;
pub mod portfolios;
pub mod posts;
pub mod ratelimit;
pub mod schema;
pub mod settings;
pub mod text;
pub mod tokens;

use std::path::PathBuf;

pub use error::{Error, Result};

/// Settings the domain needs from the configuration.
#[derive(Debug, Clone)]
pub struct CoreConfig {
    /// The instance's public URL without a trailing slash, e.g. `https://kogi.example`.
    pub public_url: String,
    pub data_dir: PathBuf,
    pub session_days: i64,
    pub confirm_token_hours: i64,
    pub reset_token_minutes: i64,
    pub avatar_max_bytes: usize,
    pub portfolio_import_max_bytes: usize,
    pub portfolio_media_max_bytes: usize,
}

impl CoreConfig {
    /// The instance as it appears in ids and handles: host, plus port when there is one.
    pub fn host(&self) -> String {
        url::Url::parse(&self.public_url)
            .ok()
            .and_then(|u| {
                u.host_str().map(|h| match u.port() {
                    Some(p) => format!("{h}:{p}"),
                    None => h.to_string(),
                })
            })
            .unwrap_or_default()
    }

    pub fn media_dir(&self) -> PathBuf {
        self.data_dir.join("media")
    }
}

/// Everything a use-case needs: the database, the configuration and the mailer.
#[derive(Clone)]
pub struct Core {
    pub db: db::DbPool,
    pub config: std::sync::Arc<CoreConfig>,
    pub mailer: mail::Mailer,
    pub settings_defaults: std::sync::Arc<settings::InstanceSettings>,
    /// Live pushes to open pages (chat).
    pub live: live::Live,
}

/// The current time, as stored in the database (UTC, no zone, microseconds).
pub fn now() -> chrono::NaiveDateTime {
    let t = chrono::Utc::now().naive_utc();
    // PostgreSQL keeps microseconds; truncate so values compare equal after a round trip.
    t - chrono::Duration::nanoseconds(i64::from(t.and_utc().timestamp_subsec_nanos() % 1000))
}
