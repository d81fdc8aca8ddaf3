//! Portfolios: a person's or a team's body of work, each an `Organization` actor. Items (work
//! samples), projects with their updates, the team and its roles, admin-defined types and
//! templates, engagement (watches, bookmarks) and owner metrics. ActivityPub shapes live in
//! kogi-federation.

pub mod actions;
pub mod archive;
pub mod bundle;
pub mod engagement;
pub mod model;
pub mod queries;
pub mod rules;
pub mod store;
pub mod types;

pub use model::*;
