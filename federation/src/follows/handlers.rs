//! Incoming follows and blocks: verified activities applied through core's use cases.

use activitypub_federation::kinds::activity::{BlockType, FollowType, UndoType};
use kogi_core::accounts::Actor;
use kogi_core::follows::actions::{
    receive_answer, receive_follow, receive_undo_follow, Answered, FollowRef, Received,
};

use crate::delivery::Federation;
use crate::inbox::{Accepted, InboxError};
use crate::protocol::activities::Activity;
use crate::protocol::links::Embedded;

impl Federation {
    /// Verify has run (signature, origin); apply is core's one transaction, which also
    /// records the activity as seen and queues the answer.
    pub(crate) async fn on_follow(
        &self,
        sender: &Actor,
        follow: &Activity<FollowType>,
    ) -> Result<Accepted, InboxError> {
        let target = match follow.object_id() {
            Some(id) => self.local_actor(id).await?,
            None => None,
        };
        let Some(target) = target else {
            return Ok(Accepted::Ignored("Follow of an unknown actor".into()));
        };
        let follow_id = follow.id.clone().unwrap_or_default();
        Ok(
            match receive_follow(&self.core, sender, &target, &follow_id).await? {
                Received::Accepted => Accepted::Applied("Follow accepted".into()),
                Received::Pending => Accepted::Applied("Follow pending approval".into()),
                Received::Rejected(why) => Accepted::Applied(format!("Follow rejected ({why})")),
            },
        )
    }

    /// `Accept` or `Reject` of a local actor's Follow, matched by the Follow's id or by the
    /// embedded Follow's actor (a local one) and the sender.
    pub(crate) async fn on_answer<K>(
        &self,
        sender: &Actor,
        answer: &Activity<K>,
        accepted: bool,
    ) -> Result<Accepted, InboxError> {
        let mut refs = Vec::new();
        if let Some(id) = answer.object_id() {
            refs.push(FollowRef::ById(id.to_string()));
        }
        if let Some(a) = answer.object.embedded().and_then(Embedded::actor_id) {
            if let Some(local) = kogi_core::actors::find_by_ap_id(&self.core, &a).await? {
                if local.local {
                    refs.push(FollowRef::Between(local.id, sender.id));
                }
            }
        }
        let id = answer.id.clone().unwrap_or_default();
        if receive_answer(&self.core, sender, refs, accepted, &id).await? == Answered::Unknown {
            return Ok(Accepted::Ignored("answer to an unknown Follow".into()));
        }
        if !accepted {
            return Ok(Accepted::Applied("Reject".into()));
        }
        // A community just joined: its latest threads, read in the background.
        if sender.kind == "community" {
            if let Some(c) =
                kogi_core::communities::store::find_by_actor(&self.core, sender.id).await?
            {
                self.backfill_joined_later(&c);
            }
        }
        Ok(Accepted::Applied("Accept".into()))
    }

    /// An `Undo` naming the undone activity by id only: the stored reaction (`Like`,
    /// `Announce`) or follow with that activity id is undone — only by its own actor (403
    /// otherwise, and nothing changes).
    pub(crate) async fn on_undo_by_id(
        &self,
        sender: &Actor,
        undo: &Activity<UndoType>,
    ) -> Result<Accepted, InboxError> {
        let Some(id) = undo.object_id() else {
            return Err(InboxError::Malformed("Undo without object".into()));
        };
        if let Some((kind, actor, post)) =
            kogi_core::posts::reaction_by_ap_id(&self.core, id).await?
        {
            if actor != sender.id {
                return Err(InboxError::Refused(
                    "an Undo must come from the reaction's actor".into(),
                ));
            }
            let undo_id = undo.id.clone().unwrap_or_default();
            kogi_core::posts::actions::receive_undo_reaction(
                &self.core, &kind, &undo_id, sender.id, post,
            )
            .await?;
            return Ok(Accepted::Applied(format!("Undo({kind})")));
        }
        let undo_id = undo.id.clone().unwrap_or_default();
        let follow = FollowRef::ById(id.to_string());
        Ok(
            match receive_undo_follow(&self.core, sender, follow, &undo_id).await? {
                Answered::Applied => Accepted::Applied("Undo(Follow)".into()),
                Answered::Unknown => Accepted::Ignored("Undo of an unknown activity".into()),
            },
        )
    }

    /// `Undo` of an embedded `Follow`: only its own actor may undo it.
    pub(crate) async fn on_undo_follow(
        &self,
        sender: &Actor,
        undo: &Activity<UndoType>,
    ) -> Result<Accepted, InboxError> {
        let inner = undo.object.embedded();
        if inner
            .and_then(Embedded::actor_id)
            .is_some_and(|a| a != sender.ap_id)
        {
            return Err(InboxError::Refused(
                "an Undo must come from the Follow's actor".into(),
            ));
        }
        let target = match inner.and_then(Embedded::object_id) {
            Some(id) => self.local_actor(&id).await?,
            None => None,
        };
        let Some(target) = target else {
            return Ok(Accepted::Ignored(
                "Undo of a Follow of an unknown actor".into(),
            ));
        };
        let undo_id = undo.id.clone().unwrap_or_default();
        let follow = FollowRef::Between(sender.id, target.id);
        receive_undo_follow(&self.core, sender, follow, &undo_id).await?;
        Ok(Accepted::Applied("Undo(Follow)".into()))
    }
}

impl Federation {
    /// A remote actor blocked a local one: applied with the Block's id as seen.
    pub(crate) async fn on_block(
        &self,
        sender: &Actor,
        block: &Activity<BlockType>,
    ) -> Result<Accepted, InboxError> {
        let target = match block.object_id() {
            Some(id) => self.local_actor(id).await?,
            None => None,
        };
        let Some(target) = target else {
            return Ok(Accepted::Ignored("Block of an unknown actor".into()));
        };
        let id = block.id.clone().unwrap_or_default();
        kogi_core::blocks::actions::receive_block(&self.core, sender, &target, &id).await?;
        Ok(Accepted::Applied("Block".into()))
    }

    /// `Undo` of a remote actor's `Block`: only its own actor may lift it.
    pub(crate) async fn on_undo_block(
        &self,
        sender: &Actor,
        undo: &Activity<UndoType>,
    ) -> Result<Accepted, InboxError> {
        let inner = undo.object.embedded();
        if inner
            .and_then(Embedded::actor_id)
            .is_some_and(|a| a != sender.ap_id)
        {
            return Err(InboxError::Refused(
                "an Undo must come from the Block's actor".into(),
            ));
        }
        let target = match inner.and_then(Embedded::object_id) {
            Some(id) => self.local_actor(&id).await?,
            None => None,
        };
        let Some(target) = target else {
            return Ok(Accepted::Ignored("Undo of an unknown Block".into()));
        };
        let id = undo.id.clone().unwrap_or_default();
        kogi_core::blocks::actions::receive_unblock(&self.core, sender, &target, &id).await?;
        Ok(Accepted::Applied("Undo(Block)".into()))
    }
}
