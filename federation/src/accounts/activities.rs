//! `Update` and `Delete` of local actors, sent to their followers (and, for a deletion, to
//! every server ever seen).

use kogi_core::accounts::Actor;
use kogi_core::follows;
use serde_json::{json, Value};

use crate::delivery::Federation;
use crate::vocab::AS_CONTEXT;
use kogi_core::ids::activity as new_id;

impl Federation {
    /// Sends `Update` of a local actor to its followers (after a profile edit).
    pub async fn announce_profile_update(&self, actor: &Actor) -> kogi_core::Result<()> {
        let (followers, following) = follows::counts(&self.core, actor.id).await?;
        let doc = crate::actors::local_actor_json(actor, &self.base(), followers, following);
        self.send_actor_update(actor, doc).await
    }

    /// Sends `Update` of a local actor's document (a person's, a group's) to its followers.
    pub async fn send_actor_update(&self, actor: &Actor, doc: Value) -> kogi_core::Result<()> {
        let activity = json!({
            "@context": doc["@context"].clone(),
            "id": new_id(&self.base(), "update"),
            "type": "Update",
            "actor": actor.ap_id,
            "to": [crate::vocab::PUBLIC],
            "object": doc,
        });
        let inboxes = follows::follower_inboxes(&self.core, actor.id).await?;
        self.enqueue(&activity, actor.id, &inboxes).await?;
        Ok(())
    }

    /// Sends `Delete` of a local actor to every instance ever seen (a deleted account must
    /// disappear everywhere, not only from its followers' servers).
    pub async fn announce_deletion(&self, actor: &Actor) -> kogi_core::Result<()> {
        let activity = json!({
            "@context": AS_CONTEXT,
            "id": format!("{}#delete", actor.ap_id),
            "type": "Delete",
            "actor": actor.ap_id,
            "to": [crate::vocab::PUBLIC],
            "object": actor.ap_id,
        });
        let mut inboxes = kogi_core::deliveries::all_shared_inboxes(&self.core).await?;
        inboxes.extend(follows::follower_inboxes(&self.core, actor.id).await?);
        inboxes.sort();
        inboxes.dedup();
        self.enqueue(&activity, actor.id, &inboxes).await?;
        Ok(())
    }
}
