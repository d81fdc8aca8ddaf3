//! The publisher loop and the activity each event becomes.

use std::collections::HashSet;
use std::time::Duration;

use kogi_core::accounts::Actor;
use kogi_core::outbox::{self, DomainEvent, OutboxEvent};
use kogi_core::{Error, Result};
use serde_json::Value;

use crate::delivery::Federation;
use crate::outbox::Outgoing;

/// How often the publisher looks for events when nothing woke it (another process's commits,
/// a wake-up missed).
pub const POLL: Duration = Duration::from_millis(500);

/// Events taken per round.
const BATCH: i64 = 50;

/// One activity to queue: its id, its JSON, who signs it and where it goes.
struct Row {
    activity_id: String,
    json: String,
    actor_id: i64,
    inboxes: Vec<String>,
}

impl Federation {
    /// Publishes events until `shutdown` turns true: woken by use cases after they commit
    /// (`Live::outbox`), and every [`POLL`] as a fallback. Runs wherever the delivery worker
    /// runs; several publishers (processes sharing PostgreSQL) never publish an event twice.
    pub async fn run_publisher(self, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        loop {
            if *shutdown.borrow() {
                break;
            }
            let wake = self.core.live.outbox().notified();
            tokio::pin!(wake);
            wake.as_mut().enable();
            match self.publish_pending().await {
                Ok(n) if n as i64 >= BATCH => continue,
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "publishing outbox events failed"),
            }
            tokio::select! {
                _ = &mut wake => {},
                _ = tokio::time::sleep(POLL) => {},
                changed = shutdown.changed() => {
                    if changed.is_err() {
                        break;
                    }
                },
            }
        }
    }

    /// One round: publishes the oldest unpublished events, in id order, in ONE transaction
    /// (each event marked published with its delivery rows; a crash loses or duplicates
    /// none). The activities are built first, with reads only. When one cannot be built,
    /// that actor's later events wait for the next round (their order is kept); other actors
    /// go on.
    pub async fn publish_pending(&self) -> Result<usize> {
        let events = kogi_core::db::run(&self.core.db, |c| outbox::unpublished(c, BATCH)).await?;
        let mut stalled: HashSet<i64> = HashSet::new();
        let mut ready: Vec<(i64, Vec<Row>)> = Vec::new();
        for (i, ev) in events.iter().enumerate() {
            if stalled.contains(&ev.actor_id) {
                continue;
            }
            // A profile edited twice in a row (its text, then its avatar) is sent once, with
            // the later document.
            let superseded = ev.kind == "actor_updated"
                && events[i + 1..]
                    .iter()
                    .any(|later| later.kind == ev.kind && later.payload == ev.payload);
            if superseded {
                ready.push((ev.id, Vec::new()));
                continue;
            }
            match self.rows_of(ev).await {
                Ok(rows) => ready.push((ev.id, rows)),
                Err(e) => {
                    tracing::warn!(event = ev.id, kind = %ev.kind, error = %e, "outbox event not published yet");
                    stalled.insert(ev.actor_id);
                }
            }
        }
        if ready.is_empty() {
            return Ok(0);
        }
        let published = ready.len();
        kogi_core::db::tx(&self.core.db, move |conn| {
            for (event_id, rows) in &ready {
                // Already published by another publisher: nothing to add.
                if !outbox::mark_published(conn, *event_id)? {
                    continue;
                }
                for row in rows {
                    kogi_core::deliveries::enqueue_in(
                        conn,
                        &row.activity_id,
                        &row.json,
                        row.actor_id,
                        &row.inboxes,
                    )?;
                }
            }
            Ok(())
        })
        .await?;
        self.wake.notify_waiters();
        Ok(published)
    }

    /// The delivery rows an event becomes (reads only, outside any transaction).
    async fn rows_of(&self, ev: &OutboxEvent) -> Result<Vec<Row>> {
        let activities = self.activities_of(ev.actor_id, &ev.event()?).await?;
        let mut rows = Vec::with_capacity(activities.len());
        for out in activities {
            let activity_id = out
                .activity
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let json =
                serde_json::to_string(&out.activity).map_err(|e| Error::Internal(e.to_string()))?;
            rows.push(Row {
                activity_id,
                json,
                actor_id: out.actor_id,
                inboxes: out.inboxes,
            });
        }
        Ok(rows)
    }

    /// The activities an event becomes, each with its target inboxes (shared inboxes
    /// de-duplicated as the direct paths do).
    async fn activities_of(&self, actor_id: i64, event: &DomainEvent) -> Result<Vec<Outgoing>> {
        let one = |activity: Value, inboxes: Vec<String>| {
            vec![Outgoing {
                activity,
                actor_id,
                inboxes,
            }]
        };
        match event {
            DomainEvent::PostPublished { post_id } => {
                let Some(post) = kogi_core::posts::find(&self.core, *post_id).await? else {
                    return Ok(Vec::new());
                };
                let Some(author) =
                    kogi_core::actors::find_by_id(&self.core, post.author_id).await?
                else {
                    return Ok(Vec::new());
                };
                let (activity, inboxes) = self.post_activity("Create", &post, &author).await?;
                Ok(one(activity, inboxes))
            }
            DomainEvent::FollowRequested { follow_id } => {
                let Some(f) = kogi_core::follows::find_by_id(&self.core, *follow_id).await? else {
                    // Withdrawn before it was sent: its Undo follows, harmlessly.
                    return Ok(Vec::new());
                };
                let (Some(follower), Some(target)) = (
                    kogi_core::actors::find_by_id(&self.core, f.follower_id).await?,
                    kogi_core::actors::find_by_id(&self.core, f.target_id).await?,
                ) else {
                    return Ok(Vec::new());
                };
                let activity =
                    crate::follows::activities::follow(&f.ap_id, &follower.ap_id, &target.ap_id);
                Ok(one(activity, vec![target.inbox_url]))
            }
            DomainEvent::FollowUndone {
                follower_id,
                target_id,
                follow_ap_id,
            } => {
                let Some((follower, target)) = self.pair(*follower_id, *target_id).await? else {
                    return Ok(Vec::new());
                };
                let base = &self.core.config.public_url;
                let activity = crate::follows::activities::undo_follow(
                    base,
                    &follower.ap_id,
                    follow_ap_id,
                    &target.ap_id,
                );
                Ok(one(activity, vec![target.inbox_url]))
            }
            DomainEvent::FollowAnswered {
                target_id,
                follower_id,
                follow_ap_id,
                accepted,
            } => {
                let Some((target, follower)) = self.pair(*target_id, *follower_id).await? else {
                    return Ok(Vec::new());
                };
                let kind = if *accepted { "Accept" } else { "Reject" };
                let base = &self.core.config.public_url;
                let activity = crate::follows::activities::answer(
                    kind,
                    base,
                    &target.ap_id,
                    follow_ap_id,
                    &follower.ap_id,
                );
                Ok(one(activity, vec![follower.inbox_url]))
            }
            DomainEvent::BlockAdded {
                actor_id,
                target_id,
                block_ap_id,
            } => {
                let Some((actor, target)) = self.pair(*actor_id, *target_id).await? else {
                    return Ok(Vec::new());
                };
                let activity =
                    crate::follows::activities::block(block_ap_id, &actor.ap_id, &target.ap_id);
                Ok(one(activity, vec![target.inbox_url]))
            }
            DomainEvent::BlockUndone {
                actor_id,
                target_id,
                block_ap_id,
            } => {
                let Some((actor, target)) = self.pair(*actor_id, *target_id).await? else {
                    return Ok(Vec::new());
                };
                let base = &self.core.config.public_url;
                let activity = crate::follows::activities::undo_block(
                    base,
                    &actor.ap_id,
                    block_ap_id,
                    &target.ap_id,
                );
                Ok(one(activity, vec![target.inbox_url]))
            }
            DomainEvent::ReactionAdded {
                post_id,
                kind,
                reaction_ap_id,
            }
            | DomainEvent::ReactionUndone {
                post_id,
                kind,
                reaction_ap_id,
            } => {
                let undo = matches!(event, DomainEvent::ReactionUndone { .. });
                let (Some(actor), Some(post)) = (
                    kogi_core::actors::find_by_id(&self.core, actor_id).await?,
                    kogi_core::posts::find(&self.core, *post_id).await?,
                ) else {
                    return Ok(Vec::new());
                };
                self.reaction_activities(&actor, &post, kind, reaction_ap_id, undo)
                    .await
            }
            DomainEvent::PostEdited { post_id } | DomainEvent::PostDeleted { post_id } => {
                let (Some(author), Some(post)) = (
                    kogi_core::actors::find_by_id(&self.core, actor_id).await?,
                    kogi_core::posts::find(&self.core, *post_id).await?,
                ) else {
                    return Ok(Vec::new());
                };
                if matches!(event, DomainEvent::PostDeleted { .. }) {
                    self.delete_activities(&post, &author).await
                } else if post.deleted_at.is_some() {
                    // Deleted since: its Delete follows, and an Update would be stale.
                    Ok(Vec::new())
                } else {
                    self.edit_activities(&post, &author).await
                }
            }
            DomainEvent::Relayed {
                community_id,
                activity,
                object,
            } => match self.received_in(*community_id, activity).await? {
                Some((c, activity)) => {
                    let object: Option<Value> = match object {
                        Some(o) => Some(
                            serde_json::from_str(o)
                                .map_err(|e| Error::Internal(format!("relayed object: {e}")))?,
                        ),
                        None => None,
                    };
                    self.relayed(&c, &activity, object.as_ref()).await
                }
                None => Ok(Vec::new()),
            },
            DomainEvent::ActorUpdated { actor_id } => self.actor_update_activities(*actor_id).await,
            DomainEvent::CommunityPostPublished {
                post_id,
                community_id,
            } => {
                let (Some(post), Some(c)) = (
                    kogi_core::posts::find(&self.core, *post_id).await?,
                    kogi_core::communities::store::find(&self.core, *community_id).await?,
                ) else {
                    return Ok(Vec::new());
                };
                if post.deleted_at.is_some() {
                    return Ok(Vec::new());
                }
                self.community_post_activities(&post, &c).await
            }
            DomainEvent::PollUpdated { post_id } => self.poll_update_activities(*post_id).await,
            DomainEvent::VoteSent {
                post_id,
                choice,
                vote_ap_id,
            } => {
                self.vote_activities(actor_id, *post_id, choice, vote_ap_id)
                    .await
            }
            DomainEvent::ChatPosted {
                message_id,
                community_id,
            } => self.chat_activities(*message_id, *community_id).await,
            DomainEvent::ChatRelayed {
                community_id,
                activity,
            } => match self.received_in(*community_id, activity).await? {
                Some((c, activity)) => Ok(vec![self.chat_forward(&c, &activity).await?]),
                None => Ok(Vec::new()),
            },
            DomainEvent::PinChanged { .. }
            | DomainEvent::LockChanged { .. }
            | DomainEvent::ModeratorChanged { .. }
            | DomainEvent::MemberRemoved { .. }
            | DomainEvent::CommunityPostRemoved { .. }
            | DomainEvent::InviteSent { .. }
            | DomainEvent::PostReported { .. }
            | DomainEvent::ActivityRejected { .. } => {
                self.community_activities(actor_id, event).await
            }
            DomainEvent::ItemPublished { item_id, created } => {
                self.item_activities(*item_id, *created).await
            }
            DomainEvent::ItemWithdrawn { item_ap_id } => {
                self.item_withdrawal(actor_id, item_ap_id).await
            }
            DomainEvent::ProjectUpdatePosted {
                post_id,
                project_id,
            } => self.project_update_activities(*post_id, *project_id).await,
            DomainEvent::ActorDeleted {
                actor_id,
                follower_inboxes,
            } => self.actor_deletion(*actor_id, follower_inboxes).await,
        }
    }

    /// The community of a relay event and the received activity it keeps; `None` when the
    /// community is gone.
    async fn received_in(
        &self,
        community_id: i64,
        activity: &str,
    ) -> Result<Option<(kogi_core::communities::Community, Value)>> {
        let Some(c) = kogi_core::communities::store::find(&self.core, community_id).await? else {
            return Ok(None);
        };
        let activity = serde_json::from_str(activity)
            .map_err(|e| Error::Internal(format!("relayed activity: {e}")))?;
        Ok(Some((c, activity)))
    }

    /// Two actors by id, when both still exist.
    /// Two actors, read together (one connection, one blocking hop).
    async fn pair(&self, a: i64, b: i64) -> Result<Option<(Actor, Actor)>> {
        kogi_core::db::run(&self.core.db, move |c| {
            use kogi_core::actors::find_by_id_in;
            Ok(match (find_by_id_in(c, a)?, find_by_id_in(c, b)?) {
                (Some(a), Some(b)) => Some((a, b)),
                _ => None,
            })
        })
        .await
    }
}
