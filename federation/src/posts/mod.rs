//! Posts as ActivityPub `Note`s, addressed exactly as Mastodon infers visibility, and the
//! handling of received `Create`, `Update`, `Delete`, `Like`, `Announce` and their `Undo`.

mod handlers;
pub mod incoming;
mod objects;

pub(crate) use handlers::refusal;
pub use objects::{
    addressing, compose_html, infer_visibility, note_json, sanitise, scan, wrap, POST_TYPES,
};
