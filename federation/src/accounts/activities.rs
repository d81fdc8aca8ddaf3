//! `Update` and `Delete` of local actors, sent to their followers (and, for a deletion, to
//! every server ever seen).

use kogi_core::accounts::Actor;
use kogi_core::follows;
use serde_json::{json, Value};

use crate::delivery::Federation;
use crate::outbox::Outgoing;
use crate::vocab::AS_CONTEXT;
use kogi_core::ids::activity as new_id;

impl Federation {
    /// The `Update` of a local person's or community's current document, to its followers
    /// (the `ActorUpdated` outbox event). Nothing for an actor that is gone.
    pub(crate) async fn actor_update_activities(
        &self,
        actor_id: i64,
    ) -> kogi_core::Result<Vec<Outgoing>> {
        let Some(actor) = kogi_core::actors::find_by_id(&self.core, actor_id).await? else {
            return Ok(Vec::new());
        };
        if let Some(p) = kogi_core::portfolios::queries::find_by_actor(&self.core, actor_id).await?
        {
            return self.portfolio_update_activities(&p).await;
        }
        let doc = match kogi_core::communities::store::find_by_actor(&self.core, actor_id).await? {
            Some(c) => crate::communities::group_json(&c, &self.base()),
            None => {
                let (followers, following) = follows::counts(&self.core, actor.id).await?;
                crate::actors::local_actor_json(&actor, &self.base(), followers, following)
            }
        };
        let (activity, inboxes) = self.actor_update(&actor, doc).await?;
        Ok(vec![Outgoing {
            activity,
            actor_id,
            inboxes,
        }])
    }

    /// `Update` of a local actor's document (a person's, a group's), with its followers'
    /// inboxes.
    async fn actor_update(
        &self,
        actor: &Actor,
        doc: Value,
    ) -> kogi_core::Result<(Value, Vec<String>)> {
        let activity = json!({
            "@context": doc["@context"].clone(),
            "id": new_id(&self.base(), "update"),
            "type": "Update",
            "actor": actor.ap_id,
            "to": [crate::vocab::PUBLIC],
            "object": doc,
        });
        let inboxes = follows::follower_inboxes(&self.core, actor.id).await?;
        Ok((activity, inboxes))
    }

    /// `Delete` of a deleted local actor, to every instance ever seen (a deleted account
    /// must disappear everywhere, not only from its followers' servers) and to the
    /// followers' inboxes the deletion listed.
    pub(crate) async fn actor_deletion(
        &self,
        actor_id: i64,
        follower_inboxes: &[String],
    ) -> kogi_core::Result<Vec<Outgoing>> {
        let Some(actor) = kogi_core::actors::find_by_id(&self.core, actor_id).await? else {
            return Ok(Vec::new());
        };
        let activity = json!({
            "@context": AS_CONTEXT,
            "id": format!("{}#delete", actor.ap_id),
            "type": "Delete",
            "actor": actor.ap_id,
            "to": [crate::vocab::PUBLIC],
            "object": actor.ap_id,
        });
        let mut inboxes = kogi_core::deliveries::all_shared_inboxes(&self.core).await?;
        inboxes.extend(follower_inboxes.iter().cloned());
        inboxes.sort();
        inboxes.dedup();
        Ok(vec![Outgoing {
            activity,
            actor_id,
            inboxes,
        }])
    }
}
