//! Follows and blocks: the activities Kogi sends (`Follow`, `Accept`, `Reject`, `Undo`,
//! `Block`) and the handlers of those it receives. The use cases are in core
//! (`kogi_core::follows::actions`, `kogi_core::blocks::actions`).

pub mod activities;
mod handlers;

pub use kogi_core::follows::actions::FollowState;
