//! Moderation reports an operator sees. Core keeps reports per community (filed to its
//! moderators); an operator reads and resolves them through the community's handle.

use kogi_core::communities::{self, moderation::Report};
use kogi_core::{Core, Error, Result};

async fn community(core: &Core, handle: &str) -> Result<communities::Community> {
    communities::store::find_by_handle(core, handle)
        .await?
        .ok_or(Error::NotFound)
}

/// A community's reports: open ones first, newest first.
pub async fn community_reports(core: &Core, handle: &str) -> Result<Vec<Report>> {
    let c = community(core, handle).await?;
    communities::moderation::reports(core, &c).await
}

/// Marks one of a community's reports resolved; false when it has no such report.
pub async fn resolve_report(core: &Core, handle: &str, id: i64) -> Result<bool> {
    let c = community(core, handle).await?;
    communities::moderation::resolve_report(core, &c, id).await
}
