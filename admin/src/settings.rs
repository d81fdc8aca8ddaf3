//! Instance settings: what is in force, whether the configuration or a saved value applies,
//! and saving one.

use kogi_core::settings::{self, Source};
use kogi_core::{Core, Result};

/// One instance setting in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingInfo {
    pub key: String,
    pub value: String,
    /// Whether the configuration's value or an admin's saved value applies.
    pub source: Source,
}

/// Every instance setting in force, in the order of `settings::KEYS`.
pub async fn settings(core: &Core) -> Result<Vec<SettingInfo>> {
    let (eff, sources) =
        settings::effective_with_sources(&core.db, &core.settings_defaults).await?;
    Ok(sources
        .into_iter()
        .map(|(key, source)| SettingInfo {
            value: eff.get(&key).unwrap_or_default(),
            source,
            key,
        })
        .collect())
}

/// Whether `key` names an instance setting.
pub fn is_setting(key: &str) -> bool {
    settings::KEYS.contains(&key)
}

/// Checks a value for a setting, with the operator-facing reason when it does not fit.
pub fn validate_setting(key: &str, value: &str) -> std::result::Result<(), String> {
    settings::validate(key, value)
}

/// Saves an instance setting; it wins over the configuration from now on.
pub async fn set_setting(core: &Core, key: &str, value: &str) -> Result<()> {
    settings::save(&core.db, key, value).await
}
