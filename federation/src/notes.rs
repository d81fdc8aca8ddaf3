//! The old path of the post documents and handlers, kept for callers: they live in
//! [`crate::posts`].

pub use crate::posts::*;
