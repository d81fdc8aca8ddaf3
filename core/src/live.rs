//! Live pushes to open pages (community chat). Within one process a broadcast channel carries
//! them; across processes sharing PostgreSQL they travel by `NOTIFY kogi_live` and every
//! process's listener re-broadcasts them. On SQLite (one process) the channel is enough.

use tokio::sync::broadcast;

use crate::db::DbPool;

pub const CHANNEL: &str = "kogi_live";

/// Something happened that open pages may show: a chat message in a community.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiveEvent {
    pub community_id: i64,
    pub message_id: i64,
}

impl LiveEvent {
    fn encode(&self) -> String {
        format!("chat:{}:{}", self.community_id, self.message_id)
    }
    fn decode(s: &str) -> Option<LiveEvent> {
        let mut p = s.strip_prefix("chat:")?.split(':');
        Some(LiveEvent {
            community_id: p.next()?.parse().ok()?,
            message_id: p.next()?.parse().ok()?,
        })
    }
}

#[derive(Clone)]
pub struct Live {
    tx: broadcast::Sender<LiveEvent>,
    /// Woken after a use case commits outbox events, so the publisher runs at once.
    outbox: std::sync::Arc<tokio::sync::Notify>,
}

impl Default for Live {
    fn default() -> Self {
        Live {
            tx: broadcast::channel(1024).0,
            outbox: std::sync::Arc::default(),
        }
    }
}

impl Live {
    /// The outbox publisher waits on this; use cases wake it after committing events.
    pub fn outbox(&self) -> &tokio::sync::Notify {
        &self.outbox
    }

    pub fn subscribe(&self) -> broadcast::Receiver<LiveEvent> {
        self.tx.subscribe()
    }

    /// Publishes an event: directly on SQLite, by `NOTIFY` on PostgreSQL (the listener of
    /// every process, this one included, broadcasts it).
    pub async fn publish(&self, db: &DbPool, event: LiveEvent) {
        match db {
            DbPool::Sqlite(_) => {
                let _ = self.tx.send(event);
            }
            DbPool::Postgres(pool) => {
                let pool = pool.clone();
                let payload = event.encode();
                let sent = tokio::task::spawn_blocking(move || -> Result<(), String> {
                    let mut c = pool.get().map_err(|e| e.to_string())?;
                    crate::db::pg_notify(&mut crate::db::Conn::Pg(&mut c), CHANNEL, &payload)
                        .map_err(|e| e.to_string())
                })
                .await;
                if !matches!(sent, Ok(Ok(()))) {
                    tracing::warn!(?sent, "NOTIFY failed; delivering the live event locally");
                    let _ = self.tx.send(event);
                }
            }
        }
    }

    /// On PostgreSQL, listens for other processes' events (and this one's) and broadcasts
    /// them here. Holds one pooled connection; reconnects after errors.
    pub fn spawn_listener(&self, db: &DbPool) {
        let DbPool::Postgres(pool) = db else { return };
        let (pool, tx) = (pool.clone(), self.tx.clone());
        std::thread::spawn(move || loop {
            let result = (|| -> Result<(), String> {
                let mut c = pool.get().map_err(|e| e.to_string())?;
                crate::db::pg_listen(&mut c, CHANNEL, |payload| {
                    if let Some(ev) = LiveEvent::decode(payload) {
                        let _ = tx.send(ev);
                    }
                })
            })();
            if let Err(e) = result {
                tracing::warn!(error = %e, "live listener failed; retrying");
            }
            std::thread::sleep(std::time::Duration::from_secs(1));
        });
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn events_round_trip() {
        let e = super::LiveEvent {
            community_id: 3,
            message_id: 99,
        };
        assert_eq!(super::LiveEvent::decode(&e.encode()), Some(e));
        assert_eq!(super::LiveEvent::decode("chat:x:1"), None);
    }
}
