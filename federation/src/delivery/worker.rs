//! The worker loop and one attempt at one row: claim, sign and send, record the answer.

use std::time::Duration;

use chrono::NaiveDateTime;
use kogi_core::deliveries::{self, ClaimLimits, Delivery, DONE, EXPIRED, FAILED, PENDING};
use tracing::Instrument;

use super::signers::Signer;
use super::slots::HostSlots;
use super::{backoff, chrono_dur, classify, Federation, Outcome};
use crate::client::{FetchError, SignedRequest};
use crate::vocab;

impl Federation {
    /// Sends one signed POST and returns the HTTP status.
    async fn post(&self, row: &Delivery) -> Result<u16, FetchError> {
        let signer = match self.signers.get(row.actor_id) {
            Some(s) => s,
            None => {
                let actor = kogi_core::actors::find_by_id(&self.core, row.actor_id)
                    .await
                    .map_err(|e| FetchError::Network(format!("database: {e}")))?
                    .ok_or_else(|| FetchError::Refused("signing actor is gone".into()))?;
                let private_key_pem = actor
                    .private_key_pem
                    .clone()
                    .ok_or_else(|| FetchError::Refused("signing actor has no key".into()))?;
                let key_id = actor
                    .key_id
                    .clone()
                    .unwrap_or_else(|| format!("{}#main-key", actor.ap_id));
                let s = Signer {
                    key_id,
                    private_key_pem,
                };
                self.signers.put(row.actor_id, s.clone());
                s
            }
        };
        let (key, key_id) = (&signer.private_key_pem, &signer.key_id);
        let url = url::Url::parse(&row.inbox_url)
            .map_err(|e| FetchError::Refused(format!("bad inbox URL: {e}")))?;
        let fetched = self
            .client
            .send_signed(&SignedRequest {
                method: reqwest::Method::POST,
                url: &url,
                body: Some(row.activity_json.as_bytes()),
                content_type: Some(vocab::ACTIVITY_JSON),
                accept: None,
                // The delivery time-out replaces the client's (fetch) time-out.
                timeout: Some(self.delivery.timeout),
                key_id,
                private_key_pem: key,
            })
            .await?;
        Ok(fetched.status)
    }

    /// One attempt at one row, with the host-health bookkeeping, inside a `delivery` span.
    pub async fn attempt(&self, row: Delivery) -> kogi_core::Result<()> {
        let span = tracing::info_span!(
            "delivery",
            id = row.id,
            host = %row.host,
            inbox = %row.inbox_url,
            attempt = row.attempts + 1
        );
        self.attempt_in_span(row).instrument(span).await
    }

    async fn attempt_in_span(&self, row: Delivery) -> kogi_core::Result<()> {
        let now = kogi_core::now();
        let settings = &self.delivery;
        let health = deliveries::instance(&self.core, &row.host).await?;
        // Only a host that was failing needs its health written back after an answer.
        let was_failing = health
            .as_ref()
            .is_some_and(|h| h.failing_since.is_some() || h.dead);
        if let Some(h) = health {
            if h.blocked {
                return deliveries::finish(
                    &self.core,
                    row.id,
                    FAILED,
                    None,
                    Some("instance blocked".into()),
                    None,
                )
                .await;
            }
            if h.dead {
                let probe_due = h
                    .last_probe_at
                    .map(|t| now - t >= chrono_dur(settings.probe_interval))
                    .unwrap_or(true);
                if !probe_due {
                    let until =
                        h.last_probe_at.unwrap_or(now) + chrono_dur(settings.probe_interval);
                    return deliveries::postpone(&self.core, row.id, until).await;
                }
                deliveries::host_probed(&self.core, &row.host).await?;
            }
        }
        let result = self.post(&row).await;
        match classify(&result) {
            Outcome::Delivered(s) => {
                deliveries::finish(&self.core, row.id, DONE, Some(s), None, None).await?;
                if was_failing {
                    deliveries::host_succeeded(&self.core, &row.host).await?;
                }
                tracing::debug!(status = s, "delivered");
            }
            Outcome::Failed(s) => {
                tracing::warn!(status = s, "delivery refused permanently");
                deliveries::finish(
                    &self.core,
                    row.id,
                    FAILED,
                    Some(s),
                    Some(format!("HTTP {s}")),
                    None,
                )
                .await?;
                // The host answered: it is alive, even if it did not want this activity.
                if was_failing {
                    deliveries::host_succeeded(&self.core, &row.host).await?;
                }
            }
            Outcome::Retry(status, error) => {
                let age = now - row.created_at;
                let dead = match status {
                    // A 401 means the host is up; only unreachable or failing hosts die.
                    Some(401) => false,
                    _ => {
                        deliveries::host_failed(
                            &self.core,
                            &row.host,
                            chrono_dur(settings.dead_after),
                        )
                        .await?
                    }
                };
                if age >= chrono_dur(settings.give_up) {
                    tracing::warn!(%error, "delivery given up");
                    deliveries::finish(&self.core, row.id, EXPIRED, status, Some(error), None)
                        .await?;
                } else {
                    let mut next: NaiveDateTime = now + chrono_dur(backoff(settings, row.attempts));
                    if dead {
                        next = next.max(now + chrono_dur(settings.probe_interval));
                    }
                    tracing::info!(%error, "delivery will be retried");
                    deliveries::finish(
                        &self.core,
                        row.id,
                        PENDING,
                        status,
                        Some(error),
                        Some(next),
                    )
                    .await?;
                }
            }
        }
        Ok(())
    }

    /// Claims and sends due rows until `shutdown` fires, then lets the deliveries in flight
    /// finish. Continuous: whenever a slot is free it claims more (a finished delivery frees
    /// its slot at once, nothing waits for a batch), never more than `concurrency` in flight
    /// and never more than `per_host_concurrency` to one host; rows of a host at its cap are
    /// left in the queue, so they never take the places of other hosts' rows. Several workers
    /// (in one process or many sharing PostgreSQL) can run at once; each counts only its own
    /// deliveries against the caps.
    pub async fn run_worker(self, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        let lease = self.delivery.lease_secs();
        let concurrency = self.delivery.concurrency.max(1);
        let in_flight = HostSlots::default();
        let mut tasks = tokio::task::JoinSet::new();
        loop {
            if *shutdown.borrow() {
                break;
            }
            while tasks.try_join_next().is_some() {}
            // Armed before claiming, so rows queued during the claim wake the wait below.
            let wake = self.wake.notified();
            tokio::pin!(wake);
            wake.as_mut().enable();
            let free = concurrency.saturating_sub(tasks.len());
            let mut claimed = 0;
            if free > 0 {
                let (hosts, busy) = in_flight.snapshot();
                let limits = ClaimLimits {
                    total: free,
                    per_host: self.delivery.per_host_concurrency.max(1),
                    in_flight: hosts,
                    busy,
                };
                match deliveries::claim(&self.core, &limits, lease).await {
                    Ok(rows) => {
                        claimed = rows.len();
                        for row in rows {
                            let slot = in_flight.take(&row.host, row.actor_id, &row.inbox_url);
                            let this = self.clone();
                            tasks.spawn(async move {
                                let _slot = slot;
                                if let Err(e) = this.attempt(row).await {
                                    tracing::error!(error = %e, "recording a delivery failed");
                                }
                            });
                        }
                    }
                    Err(e) => tracing::error!(error = %e, "claiming deliveries failed"),
                }
            }
            // Something was claimed and slots are left: the hosts now at their cap are left
            // out of the next claim, which may find other hosts' rows at once.
            if claimed > 0 && tasks.len() < concurrency {
                continue;
            }
            tokio::select! {
                Some(_) = tasks.join_next(), if !tasks.is_empty() => {},
                _ = &mut wake => {},
                _ = tokio::time::sleep(Duration::from_millis(500)) => {},
                changed = shutdown.changed() => {
                    if changed.is_err() {
                        break;
                    }
                },
            }
        }
        while tasks.join_next().await.is_some() {}
    }
}
