//! Communities: groups, teams, organizations and cohorts, each a `Group` actor (FEP-1b12).
//! Members are the group's accepted followers; owners and moderators have roles; threads and
//! comments are posts linked to the community. ActivityPub shapes live in kogi-federation.

pub mod actions;
pub mod chat;
pub mod manage;
pub mod model;
pub mod moderation;
pub mod queries;
pub mod received;
pub mod rules;
pub mod store;

pub use model::*;
