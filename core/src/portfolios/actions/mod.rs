//! Writes: creating and editing portfolios, their lifecycle and team, items and projects, and
//! storing what other Kogi instances send about theirs.

mod checks;
pub mod copies;
mod items;
mod portfolio;
mod projects;
mod remote;

pub use checks::{validate_item, validate_project};
pub use items::{create_item, delete_item, set_item_media, set_item_state, update_item, ItemInput};
pub use portfolio::{
    create, mark_deleted, purge, remove_member, set_cover, set_member, set_state, update,
    validate_portfolio, PortfolioInput,
};
pub use projects::{
    create_project, delete_project, link_update, link_update_in, post_update,
    remove_project_member, set_project_member, update_project, ProjectInput, UpdateDraft,
};
pub use remote::{
    mark_remote_deleted_by_ap_id, mark_remote_deleted_by_ap_id_in, mark_remote_portfolio_deleted,
    upsert_remote, upsert_remote_item, upsert_remote_project, RemoteItem, RemoteProject,
};
