//! Delivery queue inspection: depth by state, each host's pending and failed rows, dead
//! hosts, and retrying a dead host's rows now.

use kogi_core::deliveries::{self, HostQueue, InstanceHealth};
use kogi_core::{Core, Error, Result};

/// Rows per state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StateCounts {
    /// Waiting to be sent or retried.
    pub pending: i64,
    pub done: i64,
    pub failed: i64,
    pub expired: i64,
}

/// What an operator sees of the delivery queue.
#[derive(Debug, Clone)]
pub struct QueueReport {
    pub states: StateCounts,
    /// Hosts with pending or failed rows, most pending first.
    pub hosts: Vec<HostQueue>,
    pub dead: Vec<InstanceHealth>,
}

/// The delivery queue as it stands.
pub async fn queue(core: &Core) -> Result<QueueReport> {
    let counts = deliveries::counts(core).await?;
    let get = |s: &str| {
        counts
            .iter()
            .find(|(k, _)| k == s)
            .map(|(_, n)| *n)
            .unwrap_or(0)
    };
    Ok(QueueReport {
        states: StateCounts {
            pending: get(deliveries::PENDING),
            done: get(deliveries::DONE),
            failed: get(deliveries::FAILED),
            expired: get(deliveries::EXPIRED),
        },
        hosts: deliveries::host_counts(core).await?,
        dead: deliveries::dead_hosts(core).await?,
    })
}

/// Makes a host's waiting rows due now (and its probe, if it is dead). Returns how many rows
/// will be tried.
pub async fn retry_host(core: &Core, host: &str) -> Result<usize> {
    let host = host.trim();
    if host.is_empty() || host.contains('/') || host.contains('@') {
        return Err(Error::invalid("host", "bad_request"));
    }
    deliveries::retry_host(core, host).await
}
