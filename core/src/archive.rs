//! The old path of the zip archive code, kept for callers: it lives in
//! [`crate::portfolios::archive`].

pub use crate::portfolios::archive::*;
