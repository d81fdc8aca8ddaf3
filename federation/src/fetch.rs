//! Signed fetches of remote documents (as the instance actor, so servers in authorized-fetch
//! mode answer) and resolution of remote actors by id or by `user@host`.

use kogi_core::accounts::Actor;
use serde_json::Value;

use crate::actors::parse_remote_actor;
use crate::client::{FetchError, SignedRequest};
use crate::delivery::Federation;
use crate::{vocab, webfinger};

/// A refused refresh (a changed actor type, a key id another actor holds) is the document's
/// fault; anything else is ours, and worth a retry.
fn stored_error(e: kogi_core::Error) -> FetchError {
    match e {
        kogi_core::Error::Invalid { field, code } => {
            FetchError::BadResponse(format!("{field}: {code}"))
        }
        e => FetchError::Network(format!("database: {e}")),
    }
}

impl Federation {
    /// GETs an ActivityPub document, signed by the instance actor.
    pub async fn fetch_json(&self, url: &str) -> Result<Value, FetchError> {
        let parsed =
            url::Url::parse(url).map_err(|e| FetchError::Refused(format!("bad URL {url}: {e}")))?;
        let signer = kogi_core::actors::instance_actor(&self.core)
            .await
            .map_err(|e| FetchError::Network(format!("database: {e}")))?;
        let key = signer.private_key_pem.clone().unwrap_or_default();
        let key_id = signer
            .key_id
            .clone()
            .unwrap_or_else(|| format!("{}#main-key", signer.ap_id));
        let accept = format!("{}, {}", vocab::ACTIVITY_JSON, vocab::LD_JSON);
        let fetched = self
            .client
            .send_signed(&SignedRequest {
                method: reqwest::Method::GET,
                url: &parsed,
                body: None,
                content_type: None,
                accept: Some(&accept),
                timeout: None,
                key_id: &key_id,
                private_key_pem: &key,
            })
            .await?;
        if fetched.status != 200 {
            return Err(FetchError::Status(fetched.status));
        }
        let doc: Value = serde_json::from_slice(&fetched.body)
            .map_err(|e| FetchError::BadResponse(format!("not JSON: {e}")))?;
        // The document must come from the host it claims (a redirect may not change that).
        let claimed = doc
            .get("id")
            .and_then(Value::as_str)
            .and_then(crate::actors::host_of);
        if claimed.is_some() && claimed != crate::actors::host_of(fetched.url.as_str()) {
            return Err(FetchError::BadResponse(
                "the document's id is on another host".into(),
            ));
        }
        Ok(doc)
    }

    /// Fetches (or refreshes) a remote actor by id and stores it.
    pub async fn fetch_actor(&self, id: &str) -> Result<Actor, FetchError> {
        let doc = self.fetch_json(id).await?;
        let remote =
            parse_remote_actor(&doc, id).map_err(|e| FetchError::BadResponse(e.to_string()))?;
        if remote.ap_id != id && remote.ap_id.split('#').next() != id.split('#').next() {
            // A key id URL may serve the actor; anything else must be its own id.
            let again = self.fetch_json(&remote.ap_id).await?;
            let remote = parse_remote_actor(&again, &remote.ap_id)
                .map_err(|e| FetchError::BadResponse(e.to_string()))?;
            return kogi_core::actors::upsert_remote(&self.core, remote)
                .await
                .map_err(stored_error);
        }
        kogi_core::actors::upsert_remote(&self.core, remote)
            .await
            .map_err(stored_error)
    }

    /// A remote actor by id: from the cache, or fetched.
    pub async fn actor(&self, id: &str) -> Result<Actor, FetchError> {
        if let Ok(Some(a)) = kogi_core::actors::find_by_ap_id(&self.core, id).await {
            return Ok(a);
        }
        self.fetch_actor(id).await
    }

    /// An actor already stored here, named by its actor id (as Kogi lists people, in follow
    /// and join requests), by `user@host` or `@user@host`, or by a local handle; no network.
    /// Answering someone who asked something of this server goes by what Kogi stored about
    /// them, so it works also when their server has no WebFinger.
    pub async fn stored_actor(&self, input: &str) -> kogi_core::Result<Option<Actor>> {
        let input = input.trim();
        let found = if input.starts_with("http://") || input.starts_with("https://") {
            kogi_core::actors::find_by_ap_id(&self.core, input).await?
        } else {
            match webfinger::parse_acct(input) {
                Some((user, host)) if host == self.core.config.host() => {
                    kogi_core::accounts::find_local_actor(&self.core, &user).await?
                }
                Some((user, host)) => {
                    kogi_core::actors::find_remote_by_handle(&self.core, &user, &host).await?
                }
                None => {
                    kogi_core::accounts::find_local_actor(&self.core, input.trim_start_matches('@'))
                        .await?
                }
            }
        };
        Ok(found.filter(|a| a.deleted_at.is_none()))
    }

    /// Resolves what a person typed — `@user@host`, `user@host` or an actor URL — to an actor.
    pub async fn resolve(&self, input: &str) -> Result<Actor, FetchError> {
        let input = input.trim();
        if input.starts_with("http://") || input.starts_with("https://") {
            if let Ok(Some(a)) = kogi_core::actors::find_by_ap_id(&self.core, input).await {
                return Ok(a);
            }
            return self.fetch_actor(input).await;
        }
        let (user, host) = webfinger::parse_acct(input)
            .ok_or_else(|| FetchError::Refused(format!("{input} is not user@host or a URL")))?;
        if host == self.core.config.host() {
            return match kogi_core::accounts::find_local_actor(&self.core, &user).await {
                Ok(Some(a)) if a.deleted_at.is_none() => Ok(a),
                _ => Err(FetchError::Status(404)),
            };
        }
        let id = webfinger::resolve(&self.client, &user, &host).await?;
        let actor = self.fetch_actor(&id).await?;
        // The round trip Mastodon checks: the actor must live on the host we asked.
        if actor.host != host {
            return Err(FetchError::BadResponse(format!(
                "{user}@{host} points to an actor on {}",
                actor.host
            )));
        }
        Ok(actor)
    }
}
