//! The old path of the portfolio writes, kept for callers: they live in [`super::actions`].

pub use super::actions::*;
