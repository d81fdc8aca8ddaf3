//! The old path of the community reads and writes, kept for callers: they live in
//! [`super::queries`], [`super::actions`] and [`super::rules`].

pub use super::actions::{
    create, link_post, prepare_picture, set_locked, set_picture, set_role, update, upsert_remote,
    CommunityInput, Picture,
};
pub use super::queries::{
    comments, find, find_by_actor, find_by_handle, is_banned, members, moderators, of_member,
    post_link, role_of, threads,
};
