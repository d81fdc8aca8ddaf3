//! Actor ids as `ObjectId<ApActor>`, and the library's `Object` trait for Kogi's actors: the
//! split between verifying a fetched document (`verify`: no writes) and receiving it
//! (`from_json`: stored), with the same checks as [`crate::actors::parse_remote_actor`].
//! Kogi dereferences actors through its own guarded client for now; the trait is the seam
//! for handing that client to the library later.

use activitypub_federation::config::Data;
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::traits::Object;
use kogi_core::accounts::Actor;
use url::Url;

use super::objects::ActorObject;
use crate::actors::{host_of, parse_remote_actor, ActorError};
use crate::delivery::Federation;

/// A Kogi actor (local or a stored remote one) as the library sees it.
#[derive(Debug, Clone)]
pub struct ApActor(pub Actor);

/// An actor's id, typed.
pub type ActorId = ObjectId<ApActor>;

#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    #[error(transparent)]
    Core(#[from] kogi_core::Error),
    #[error(transparent)]
    Actor(#[from] ActorError),
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("{0} is served by Kogi's own actor routes")]
    Local(String),
}

#[async_trait::async_trait]
impl Object for ApActor {
    type DataType = Federation;
    type Kind = ActorObject;
    type Error = ProtocolError;

    async fn read_from_id(id: Url, data: &Data<Federation>) -> Result<Option<Self>, Self::Error> {
        let found = kogi_core::actors::find_by_ap_id(&data.app_data().core, id.as_str()).await?;
        Ok(found.filter(|a| a.deleted_at.is_none()).map(ApActor))
    }

    async fn into_json(self, _data: &Data<Federation>) -> Result<ActorObject, Self::Error> {
        // Local actor documents carry counts and Kogi's terms; `server/src/ap` builds them.
        Err(ProtocolError::Local(self.0.ap_id))
    }

    async fn verify(
        json: &ActorObject,
        expected_domain: &Url,
        _data: &Data<Federation>,
    ) -> Result<(), Self::Error> {
        // An instance is its host and port (the library's own check ignores the port).
        let doc = serde_json::to_value(json)?;
        parse_remote_actor(&doc, expected_domain.as_str())?;
        Ok(())
    }

    async fn from_json(json: ActorObject, data: &Data<Federation>) -> Result<Self, Self::Error> {
        let id = json.id.clone();
        let doc = serde_json::to_value(&json)?;
        let remote = parse_remote_actor(&doc, &id)?;
        if host_of(&remote.ap_id) != host_of(&id) {
            return Err(ActorError::Origin(id).into());
        }
        let stored = kogi_core::actors::upsert_remote(&data.app_data().core, remote).await?;
        Ok(ApActor(stored))
    }
}
