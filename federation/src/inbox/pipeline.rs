//! The inbox pipeline, in DESIGN.md §4's order: (size, checked by the HTTP layer) →
//! signature parse → key (cached, one refetch) → verify → instance block → de-duplication →
//! parse → dispatch. Unsigned or badly signed requests change nothing but, at most, a cached
//! key; an unreachable key is 503 so the sender retries; unknown types are accepted and
//! ignored.

use std::time::{Instant, SystemTime};

use kogi_core::accounts::Actor;
use kogi_core::inbox::Claim;
use serde_json::Value;

use crate::actors::host_of;
use crate::client::FetchError;
use crate::delivery::Federation;
use crate::key_fetch::Refusal;
use crate::signatures::{self, IncomingRequest, VerifyPolicy};

/// Why an inbox refused a request; each maps to one HTTP status (DESIGN.md §4, "Answer
/// codes"). The text inside is for the log; the peer gets [`InboxError::reason`] and
/// [`InboxError::public_message`], never network or database text.
#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    /// A missing, malformed or failing signature: the only 401 (senders retry it).
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// The sender's key could not be fetched for network reasons: 503, the sender retries.
    #[error("the sender's key could not be fetched: {0}")]
    KeyUnavailable(String),
    /// Too many unknown keys to fetch from one host right now: 429, the sender retries.
    #[error("busy: {0}")]
    Busy(String),
    #[error("instance blocked")]
    Blocked,
    /// Refused by the receiver's rules (a foreign id, a wrong owner, a banned member, a
    /// private community, a locked thread); retrying will not help.
    #[error("refused: {0}")]
    Refused(String),
    #[error("malformed activity: {0}")]
    Malformed(String),
    /// Well-formed JSON that is not a valid activity of its type.
    #[error("invalid activity: {0}")]
    Invalid(String),
    /// Something the activity needs is gone at its origin (404, 410): accepted and ignored.
    #[error("gone: {0}")]
    Gone(String),
    /// Another delivery of the same activity is being processed: the sender tries again.
    #[error("the same activity is being processed")]
    InProgress,
    #[error("internal: {0}")]
    Internal(String),
}

impl InboxError {
    pub fn status(&self) -> u16 {
        match self {
            InboxError::Unauthorized(_) => 401,
            InboxError::KeyUnavailable(_) => 503,
            InboxError::Busy(_) => 429,
            InboxError::Blocked | InboxError::Refused(_) => 403,
            InboxError::Malformed(_) => 400,
            InboxError::Invalid(_) => 422,
            InboxError::Gone(_) => 202,
            InboxError::InProgress => 503,
            InboxError::Internal(_) => 500,
        }
    }

    /// A short stable code for the answer body.
    pub fn reason(&self) -> &'static str {
        match self {
            InboxError::Unauthorized(_) => "signature_invalid",
            InboxError::KeyUnavailable(_) => "key_unavailable",
            InboxError::Busy(_) => "busy",
            InboxError::Blocked => "instance_blocked",
            InboxError::Refused(_) => "forbidden",
            InboxError::Malformed(_) => "malformed",
            InboxError::Invalid(_) => "invalid_activity",
            InboxError::Gone(_) => "ignored",
            InboxError::InProgress => "in_progress",
            InboxError::Internal(_) => "internal_error",
        }
    }

    /// What the peer may read: Kogi's own words for refusals, a fixed sentence where the
    /// cause is a network or database failure.
    pub fn public_message(&self) -> String {
        match self {
            InboxError::Unauthorized(m)
            | InboxError::Refused(m)
            | InboxError::Malformed(m)
            | InboxError::Invalid(m) => m.clone(),
            InboxError::Gone(_) => "accepted and ignored: what it needs is gone".into(),
            InboxError::InProgress => {
                "the same activity is being processed; try again later".into()
            }
            InboxError::KeyUnavailable(_) => {
                "the signing key could not be fetched; try again later".into()
            }
            InboxError::Busy(_) => "too many unknown keys from this host; try again later".into(),
            InboxError::Blocked => "this instance does not accept activities from yours".into(),
            InboxError::Internal(_) => "internal error".into(),
        }
    }
}

impl From<kogi_core::Error> for InboxError {
    fn from(e: kogi_core::Error) -> Self {
        use kogi_core::Error as E;
        match e {
            E::Invalid { code, .. } => InboxError::Invalid(code.into()),
            E::Forbidden(c) | E::Unauthorized(c) => InboxError::Refused(c.into()),
            E::RateLimited { .. } => InboxError::Busy("rate limited".into()),
            E::Unavailable(m) => InboxError::KeyUnavailable(m),
            other => InboxError::Internal(other.to_string()),
        }
    }
}

/// A failed fetch of something an activity needs (its author, its object): a network failure
/// or a 5xx is worth a retry (503); an answer that it is not there (404, 410) or not for us is
/// permanent, so the activity is accepted and ignored (202) instead of retried for days.
impl From<FetchError> for InboxError {
    fn from(e: FetchError) -> Self {
        match e {
            e if e.is_network() => InboxError::KeyUnavailable(e.to_string()),
            FetchError::Status(s) => InboxError::Gone(format!("its origin answered {s}")),
            FetchError::Refused(_) => {
                InboxError::Refused("what it names may not be fetched from here".into())
            }
            FetchError::TooLarge(_) | FetchError::BadResponse(_) | FetchError::Network(_) => {
                InboxError::Invalid(format!("unreadable at its origin: {e}"))
            }
        }
    }
}

/// What happened to an accepted activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Accepted {
    Applied(String),
    Duplicate,
    Ignored(String),
}

/// A signed request as the HTTP layer hands it over (a GET has no body).
pub struct SignedRequest<'a> {
    pub method: &'a str,
    pub path_and_query: &'a str,
    pub headers: &'a http::HeaderMap,
    pub body: Option<&'a [u8]>,
    /// The sending address (after trusted proxies), for the key-fetch limits.
    pub remote_addr: Option<std::net::IpAddr>,
}

/// An inbound POST as the HTTP layer hands it over.
pub struct Inbound<'a> {
    pub method: &'a str,
    pub path_and_query: &'a str,
    pub headers: &'a http::HeaderMap,
    pub body: &'a [u8],
    pub remote_addr: Option<std::net::IpAddr>,
}

fn signature_header(headers: &http::HeaderMap) -> Option<String> {
    if let Some(v) = headers.get("signature").and_then(|v| v.to_str().ok()) {
        return Some(v.to_string());
    }
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Signature "))
        .map(str::to_string)
}

/// Does the `Host` a GET was signed for name this instance (`public_url`'s host and port, a
/// default port written or not)?
pub fn host_is_ours(host_header: &str, public_url: &str) -> bool {
    let Ok(ours) = url::Url::parse(public_url) else {
        return false;
    };
    let Some(our_host) = ours.host_str() else {
        return false;
    };
    let Ok(theirs) = url::Url::parse(&format!("{}://{}/", ours.scheme(), host_header.trim()))
    else {
        return false;
    };
    theirs
        .host_str()
        .is_some_and(|h| h.eq_ignore_ascii_case(our_host))
        && theirs.port_or_known_default() == ours.port_or_known_default()
        && theirs.username().is_empty()
        && theirs.path() == "/"
}

impl Federation {
    /// Checks a request's HTTP signature (draft-cavage, as Mastodon signs) and returns the
    /// signing actor: the key cached or fetched (within [`crate::key_fetch`]'s limits; once
    /// more on failure, for rotation), on the actor's own host, the sender's instance not
    /// blocked. Used by the inbox and by signed GETs of private things; a GET's signature
    /// counts only when it was made for this host and for exactly the path and query asked.
    pub async fn verify_signed(&self, req: &SignedRequest<'_>) -> Result<Actor, InboxError> {
        // Signature header.
        let header = signature_header(req.headers)
            .ok_or_else(|| InboxError::Unauthorized("no signature".into()))?;
        let params = signatures::parse_signature_header(&header)
            .map_err(|e| InboxError::Unauthorized(e.to_string()))?;
        let incoming = IncomingRequest {
            method: req.method,
            path_and_query: req.path_and_query,
            headers: req.headers,
            body: req.body,
        };
        let policy = VerifyPolicy::default();
        let is_get =
            req.method.eq_ignore_ascii_case("GET") || req.method.eq_ignore_ascii_case("HEAD");
        if is_get {
            // A signature made for another server's GET is not a key to this one.
            let host = req
                .headers
                .get("host")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            if !host_is_ours(host, &self.core.config.public_url) {
                return Err(InboxError::Unauthorized(
                    "the signature was made for another host".into(),
                ));
            }
        }
        let key_host = host_of(&params.key_id)
            .ok_or_else(|| InboxError::Unauthorized("keyId is not a URL".into()))?;
        let owner_hint = signatures::key_owner_hint(&params.key_id);

        // The key: cached, else fetched; on a failed verification with a cached key, fetched
        // once more (the peer may have rotated it).
        let cached = kogi_core::actors::find_by_key_id(&self.core, &params.key_id).await?;
        let (mut actor, fresh) = match cached {
            Some(a) if !a.local => (a, false),
            Some(_) => {
                return Err(InboxError::Unauthorized(
                    "a local key signed a remote request".into(),
                ))
            }
            None => (
                self.fetch_key_owner(&owner_hint, &key_host, req.remote_addr)
                    .await?,
                true,
            ),
        };
        // The key must be the one its actor publishes, on the actor's own host.
        if actor.key_id.as_deref() != Some(params.key_id.as_str()) || actor.host != key_host {
            return Err(InboxError::Unauthorized(
                "the key id is not the actor's key".into(),
            ));
        }
        let now = SystemTime::now();
        if let Err(first) =
            signatures::verify(&incoming, &params, &actor.public_key_pem, now, &policy)
        {
            let key_problem = matches!(
                first,
                signatures::SignatureError::BadSignature | signatures::SignatureError::BadKey(_)
            );
            if fresh || !key_problem || !self.keys.may_refetch(&actor.ap_id) {
                return Err(InboxError::Unauthorized(first.to_string()));
            }
            actor = match self.fetch_actor(&actor.ap_id).await {
                Ok(a) => a,
                Err(e) if e.is_network() => return Err(InboxError::KeyUnavailable(e.to_string())),
                Err(_) => return Err(InboxError::Unauthorized(first.to_string())),
            };
            if actor.key_id.as_deref() != Some(params.key_id.as_str()) {
                return Err(InboxError::Unauthorized(
                    "the key id is not the actor's key".into(),
                ));
            }
            signatures::verify(&incoming, &params, &actor.public_key_pem, now, &policy)
                .map_err(|e| InboxError::Unauthorized(e.to_string()))?;
        }

        // Instance block.
        if kogi_core::deliveries::is_blocked(&self.core, &actor.host).await? {
            return Err(InboxError::Blocked);
        }
        Ok(actor)
    }

    /// Fetches the owner of a key never seen, within the limits of [`crate::key_fetch`].
    async fn fetch_key_owner(
        &self,
        owner: &str,
        key_host: &str,
        sender: Option<std::net::IpAddr>,
    ) -> Result<Actor, InboxError> {
        let _permit = match self.keys.begin(owner, key_host, sender) {
            Ok(p) => p,
            Err(Refusal::Busy) => return Err(InboxError::Busy(format!("key host {key_host}"))),
            Err(Refusal::RecentlyFailed { network: true }) => {
                return Err(InboxError::KeyUnavailable(format!(
                    "{owner} failed recently"
                )))
            }
            Err(Refusal::RecentlyFailed { network: false }) => {
                return Err(InboxError::Unauthorized(
                    "the key's owner could not be found".into(),
                ))
            }
        };
        let started = Instant::now();
        match self.fetch_actor(owner).await {
            Ok(a) => {
                self.keys.succeeded(owner);
                Ok(a)
            }
            Err(e) => {
                self.keys.failed(owner, &e, started.elapsed());
                Err(match e {
                    e if e.is_network() => InboxError::KeyUnavailable(e.to_string()),
                    FetchError::Status(410) => InboxError::Gone("the key's owner is gone".into()),
                    e => {
                        tracing::info!(error = %e, owner, "the key's owner could not be read");
                        InboxError::Unauthorized("the key's owner could not be found".into())
                    }
                })
            }
        }
    }

    pub async fn receive(&self, req: Inbound<'_>) -> Result<Accepted, InboxError> {
        // A Delete from an actor never seen: nothing to delete, and no fetch (the actor is
        // usually gone already).
        if let Some(params) =
            signature_header(req.headers).and_then(|h| signatures::parse_signature_header(&h).ok())
        {
            let owner_hint = signatures::key_owner_hint(&params.key_id);
            if kogi_core::actors::find_by_key_id(&self.core, &params.key_id)
                .await?
                .is_none()
            {
                if let Ok(doc) = serde_json::from_slice::<Value>(req.body) {
                    if doc.get("type").and_then(Value::as_str) == Some("Delete")
                        && doc.get("actor").and_then(Value::as_str) == Some(owner_hint.as_str())
                    {
                        return Ok(Accepted::Ignored("Delete from an unknown actor".into()));
                    }
                }
            }
        }
        let actor = match self
            .verify_signed(&SignedRequest {
                method: req.method,
                path_and_query: req.path_and_query,
                headers: req.headers,
                body: Some(req.body),
                remote_addr: req.remote_addr,
            })
            .await
        {
            Ok(a) => a,
            Err(InboxError::Gone(m)) => return Ok(Accepted::Ignored(m)),
            Err(e) => return Err(e),
        };

        // Parse, then de-duplicate by id.
        let doc: Value = serde_json::from_slice(req.body)
            .map_err(|_| InboxError::Malformed("the body is not JSON".into()))?;
        let id = doc
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| InboxError::Malformed("no id".into()))?
            .to_string();
        let claimed_actor = crate::protocol::classify::actor_id(&doc)
            .ok_or_else(|| InboxError::Malformed("no actor".into()))?;
        // The key's owner must be the activity's actor, and the activity must be hosted on the
        // actor's instance (host and port); anything else is not applied as sent.
        if claimed_actor != actor.ap_id {
            return Err(InboxError::Refused(
                "the activity's actor is not the key's owner".into(),
            ));
        }
        if host_of(&id).as_deref() != Some(actor.host.as_str()) {
            return Err(InboxError::Refused(
                "the activity's id belongs to another instance".into(),
            ));
        }
        // The id is claimed before anything is applied (a unique row), so parallel copies of
        // one activity apply once; a failure releases it, so it is not a replay next time.
        match kogi_core::inbox::claim(&self.core, &id).await? {
            Claim::Done => return Ok(Accepted::Duplicate),
            Claim::InProgress => return Err(InboxError::InProgress),
            Claim::Claimed => {}
        }
        match self.dispatch(&actor, &doc).await {
            Ok(result) => {
                kogi_core::inbox::mark_done(&self.core, &id).await?;
                Ok(result)
            }
            Err(InboxError::Gone(m)) => {
                kogi_core::inbox::mark_done(&self.core, &id).await?;
                Ok(Accepted::Ignored(m))
            }
            Err(e) => {
                if let Err(release) = kogi_core::inbox::release(&self.core, &id).await {
                    tracing::error!(error = %release, "releasing an inbox claim failed");
                }
                Err(e)
            }
        }
    }
}
