//! Domain blocks: other instances refused and no longer delivered to.

use kogi_core::deliveries::{self, InstanceHealth};
use kogi_core::{Core, Error, Result};

/// Blocks an instance (`host` or `host:port`): its inbox posts are refused with 403 and
/// nothing more is delivered to it.
pub async fn block_instance(core: &Core, host: &str, blocked: bool) -> Result<()> {
    let host = host.trim().to_lowercase();
    if host.is_empty() || host.contains('/') || host.contains('@') {
        return Err(Error::invalid("host", "bad_request"));
    }
    deliveries::set_blocked(core, &host, blocked).await
}

/// Blocked instances, by host.
pub async fn blocked_instances(core: &Core) -> Result<Vec<InstanceHealth>> {
    deliveries::blocked_instances(core).await
}
