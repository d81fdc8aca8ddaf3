//! The inbox, in two phases (DESIGN §4): the pipeline verifies (size, signature, key,
//! instance block, de-duplication, parse; network allowed, no writes but caches), then the
//! dispatcher hands the typed activity to its area's handler, which applies it through a core
//! use case in one transaction with the activity recorded as seen.

mod dispatch;
mod pipeline;

pub use dispatch::same_instance;
pub use pipeline::*;
