//! kogi-admin: operator use-cases as plain functions over core, shared by the `kogi admin`
//! commands and the admin API and pages. Each function calls the core use case or query that
//! holds the rule; nothing here talks to the database itself.

mod instances;
mod people;
mod queue;
mod reports;
mod settings;
mod types;

pub use instances::{block_instance, blocked_instances};
pub use people::{approve_user, create_user, pending_users, set_role};
pub use queue::{queue, retry_host, QueueReport, StateCounts};
pub use reports::{community_reports, resolve_report};
pub use settings::{is_setting, set_setting, settings, validate_setting, SettingInfo};
pub use types::{
    add_portfolio_template, add_portfolio_type, parse_field, portfolio_templates, portfolio_types,
    remove_portfolio_template, remove_portfolio_type,
};

#[cfg(test)]
mod tests;
