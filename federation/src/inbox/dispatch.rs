//! The dispatcher: a verified activity, read into the typed [`IncomingActivity`], goes to its
//! area's handler (`<area>/handlers.rs`); anything else is answered 202 and changes nothing.

use kogi_core::accounts::Actor;
use serde_json::Value;

use super::{Accepted, InboxError};
use crate::actors::{host_of, parse_remote_actor};
use crate::delivery::Federation;
use crate::protocol::classify::relays_an_activity;
use crate::protocol::IncomingActivity;

impl Federation {
    pub(crate) fn base(&self) -> String {
        self.core.config.public_url.clone()
    }

    /// Applies a verified activity from `sender`: the document is read into the typed
    /// [`IncomingActivity`] and dispatched on its variant. Follows and blocks take the typed
    /// activity; the posts and communities handlers still read the raw document.
    pub async fn dispatch(&self, sender: &Actor, doc: &Value) -> Result<Accepted, InboxError> {
        let is_sender = |id: Option<&str>| id == Some(sender.ap_id.as_str());
        match IncomingActivity::parse(doc) {
            IncomingActivity::Follow(follow) => self.on_follow(sender, &follow).await,
            IncomingActivity::Accept(a) => self.on_answer(sender, &a, true).await,
            IncomingActivity::Reject(r) => self.on_answer(sender, &r, false).await,
            IncomingActivity::Undo(undo) => {
                let Some(inner) = undo.object.kind() else {
                    // Compact: the undone activity by id (as Mastodon sends an Undo of a
                    // Like or Announce, and others of a Follow).
                    return self.on_undo_by_id(sender, &undo).await;
                };
                match inner {
                    "Follow" => self.on_undo_follow(sender, &undo).await,
                    "Block" => self.on_undo_block(sender, &undo).await,
                    "Like" => {
                        self.on_undo_react(sender, doc, kogi_core::posts::LIKE)
                            .await
                    }
                    "Announce" => {
                        self.on_undo_react(sender, doc, kogi_core::posts::ANNOUNCE)
                            .await
                    }
                    other => Ok(Accepted::Ignored(format!("Undo of {other}"))),
                }
            }
            IncomingActivity::Create(_) => self.on_create(sender, doc).await,
            IncomingActivity::Block(block) => self.on_block(sender, &block).await,
            IncomingActivity::Flag(_) => self.on_flag(sender, doc).await,
            IncomingActivity::Invite(_) => self.on_invite(sender, doc).await,
            IncomingActivity::Like(_) => self.on_react(sender, doc, kogi_core::posts::LIKE).await,
            IncomingActivity::Announce(_) if relays_an_activity(doc) => {
                self.on_group_announce(sender, doc).await
            }
            IncomingActivity::Announce(_) => {
                self.on_react(sender, doc, kogi_core::posts::ANNOUNCE).await
            }
            IncomingActivity::Update(update) if is_sender(update.object_id()) => {
                let obj = doc.get("object").cloned().unwrap_or(Value::Null);
                match parse_remote_actor(&obj, &sender.ap_id) {
                    Ok(remote) => {
                        kogi_core::actors::upsert_remote(&self.core, remote).await?;
                        Ok(Accepted::Applied("Update(actor)".into()))
                    }
                    Err(e) => Err(InboxError::Invalid(e.to_string())),
                }
            }
            IncomingActivity::Delete(delete) if is_sender(delete.object_id()) => {
                kogi_core::actors::mark_remote_deleted(&self.core, sender.id).await?;
                kogi_core::portfolios::store::mark_remote_portfolio_deleted(&self.core, sender.id)
                    .await?;
                Ok(Accepted::Applied("Delete(actor)".into()))
            }
            IncomingActivity::Update(_) => self.on_update_object(sender, doc).await,
            IncomingActivity::Delete(_) => self.on_delete_object(sender, doc).await,
            IncomingActivity::Unsupported { reason, .. } => Ok(Accepted::Ignored(reason)),
        }
    }

    /// A local actor that can be followed, by its id.
    pub(crate) async fn local_actor(&self, ap_id: &str) -> Result<Option<Actor>, InboxError> {
        Ok(kogi_core::actors::find_by_ap_id(&self.core, ap_id)
            .await?
            .filter(|a| a.local && a.deleted_at.is_none() && a.kind != "application"))
    }
}

/// Is `url` hosted on the same instance as `actor`?
pub fn same_instance(url: &str, actor: &Actor) -> bool {
    host_of(url).as_deref() == Some(actor.host.as_str())
}
