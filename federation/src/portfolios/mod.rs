//! Portfolios over ActivityPub. A portfolio is an `Organization` actor whose owners are its
//! `attributedTo`; its items go out as `Article`s and its project updates as `Note`s, both
//! readable by Mastodon, with Kogi's terms (`kogi:…`) carrying the rest so another Kogi
//! instance can show the whole portfolio. Items and projects are also linked collections
//! (`kogi:items`, `kogi:projects`), fetched by other Kogi instances when they show the page.

mod activities;
mod documents;
mod handlers;
mod objects;

pub use documents::{parse_item, parse_portfolio_terms, parse_project};
pub(crate) use objects::hashtags;
pub use objects::{item_html, item_json, object_context, portfolio_json, project_json};
