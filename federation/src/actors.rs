//! Actor documents: local actors rendered as Mastodon expects them, remote actor documents
//! parsed (and checked) into what core stores.

use kogi_core::accounts::Actor;
use kogi_core::actors::RemoteActor;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::protocol::lenient::{clip, lenient, lenient_many, Link};
use crate::vocab::{context, escape_html, text_to_html};

/// The JSON-LD document of a local actor (Person, or the instance's Application).
pub fn local_actor_json(a: &Actor, base: &str, followers: i64, following: i64) -> Value {
    let _ = (followers, following);
    let ap_type = if a.kind == "application" {
        "Application"
    } else {
        a.ap_type.as_str()
    };
    let mut doc = json!({
        "@context": context(),
        "id": a.ap_id,
        "type": ap_type,
        "preferredUsername": a.handle,
        "name": a.name(),
        "summary": text_to_html(&a.summary),
        "url": a.profile_url.clone().unwrap_or_else(|| a.ap_id.clone()),
        "published": a.created_at.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "inbox": a.inbox_url,
        "outbox": a.outbox_url,
        "endpoints": { "sharedInbox": a.shared_inbox_url.clone().unwrap_or_else(|| format!("{base}/inbox")) },
        "publicKey": {
            "id": a.key_id.clone().unwrap_or_else(|| format!("{}#main-key", a.ap_id)),
            "owner": a.ap_id,
            "publicKeyPem": a.public_key_pem,
        },
        "manuallyApprovesFollowers": a.manually_approves_followers,
        "discoverable": a.kind != "application",
        "indexable": false,
    });
    if a.kind != "application" {
        doc["followers"] = json!(a.followers_url);
        doc["following"] = json!(a.following_url);
        doc["webfinger"] = json!(format!("{}@{}", a.handle, a.host));
    }
    if let Some(p) = &a.avatar_path {
        doc["icon"] = json!({ "type": "Image", "mediaType": "image/webp", "url": format!("{base}/media/{p}") });
    }
    let fields: Vec<Value> = a
        .links()
        .into_iter()
        .map(|l| {
            let url = escape_html(&l.url);
            json!({
                "type": "PropertyValue",
                "name": l.name,
                "value": format!("<a href=\"{url}\" rel=\"me nofollow noopener noreferrer\" target=\"_blank\">{url}</a>"),
            })
        })
        .collect();
    if !fields.is_empty() {
        doc["attachment"] = Value::Array(fields);
    }
    doc
}

/// Why a remote actor document was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum ActorError {
    #[error("missing or invalid field {0}")]
    Field(&'static str),
    #[error("unsupported actor type {0}")]
    Type(String),
    #[error("the document's id {0} does not belong to the host it was fetched from")]
    Origin(String),
    #[error("the key is owned by {0}, not by the actor")]
    KeyOwner(String),
    #[error("the key {0} is not on the actor's host")]
    KeyHost(String),
}

/// The first string of a value that may be a string, an object with `href`/`url`/`id`, or
/// an array of those.
pub fn first_url(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Array(a) => a.iter().find_map(first_url),
        Value::Object(o) => o
            .get("href")
            .or_else(|| o.get("url"))
            .or_else(|| o.get("id"))
            .and_then(first_url),
        _ => None,
    }
}

/// `host[:port]` of a URL.
pub fn host_of(url: &str) -> Option<String> {
    kogi_core::deliveries::host_of(url)
}

/// Actor types Kogi stores.
pub const ACTOR_TYPES: &[&str] = &["Person", "Service", "Application", "Group", "Organization"];

/// The fields of an actor document Kogi reads (Mastodon's, Lemmy's, GoToSocial's, Kogi's).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ActorDoc {
    #[serde(default, deserialize_with = "lenient")]
    id: Option<String>,
    #[serde(rename = "type", default, deserialize_with = "lenient")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    inbox: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    preferred_username: Option<String>,
    /// FEP-2c59: `user@host`.
    #[serde(default, deserialize_with = "lenient")]
    webfinger: Option<String>,
    /// One key, or several (the first is used).
    #[serde(default, deserialize_with = "lenient_many")]
    public_key: Vec<KeyDoc>,
    #[serde(default, deserialize_with = "lenient_many")]
    attachment: Vec<FieldDoc>,
    #[serde(default, deserialize_with = "lenient")]
    name: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    summary: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    icon: Option<Link>,
    #[serde(default, deserialize_with = "lenient")]
    url: Option<Link>,
    #[serde(default, deserialize_with = "lenient")]
    outbox: Option<Link>,
    #[serde(default, deserialize_with = "lenient")]
    followers: Option<Link>,
    #[serde(default, deserialize_with = "lenient")]
    following: Option<Link>,
    #[serde(default, deserialize_with = "lenient")]
    endpoints: Option<Endpoints>,
    #[serde(default, deserialize_with = "lenient")]
    manually_approves_followers: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct KeyDoc {
    #[serde(default, deserialize_with = "lenient")]
    id: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    owner: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    public_key_pem: Option<String>,
}

/// A profile field (`PropertyValue`).
#[derive(Debug, Deserialize)]
struct FieldDoc {
    #[serde(rename = "type", default, deserialize_with = "lenient")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    name: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    value: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Endpoints {
    #[serde(default, deserialize_with = "lenient")]
    shared_inbox: Option<Link>,
}

/// Parses and checks a remote actor document fetched from `fetched_from`.
pub fn parse_remote_actor(doc: &Value, fetched_from: &str) -> Result<RemoteActor, ActorError> {
    let d = ActorDoc::deserialize(doc).map_err(|_| ActorError::Field("id"))?;
    let id = d.id.clone().ok_or(ActorError::Field("id"))?;
    let ap_type = d.kind.clone().ok_or(ActorError::Field("type"))?;
    if !ACTOR_TYPES.contains(&ap_type.as_str()) {
        return Err(ActorError::Type(ap_type));
    }
    let host = host_of(&id).ok_or(ActorError::Field("id"))?;
    if host_of(fetched_from).as_deref() != Some(host.as_str()) {
        return Err(ActorError::Origin(id));
    }
    // Deliveries go where the actor says: only to its own host, or a hostile actor could
    // aim this server's deliveries at a third one.
    let inbox = d.inbox.clone().ok_or(ActorError::Field("inbox"))?;
    if host_of(&inbox).as_deref() != Some(host.as_str()) {
        return Err(ActorError::Field("inbox"));
    }
    let handle = d
        .preferred_username
        .clone()
        .or_else(|| {
            d.webfinger
                .as_deref()
                .and_then(|w| w.split('@').next())
                .map(str::to_string)
        })
        .ok_or(ActorError::Field("preferredUsername"))?;
    let key = d.public_key.first().ok_or(ActorError::Field("publicKey"))?;
    let key_id = key.id.clone().ok_or(ActorError::Field("publicKey.id"))?;
    let owner = key.owner.clone().unwrap_or_else(|| id.clone());
    if owner != id {
        return Err(ActorError::KeyOwner(owner));
    }
    // The key lives with its actor (Mastodon wants the actor's id or a fragment of it; the
    // same host allows GoToSocial's `/main-key` paths): a key id on another host would let
    // one server's actor claim another's key.
    if host_of(&key_id).as_deref() != Some(host.as_str()) {
        return Err(ActorError::KeyHost(key_id));
    }
    let pem = key
        .public_key_pem
        .clone()
        .ok_or(ActorError::Field("publicKey.publicKeyPem"))?;
    let links: Vec<kogi_core::accounts::ProfileLink> = d
        .attachment
        .iter()
        .filter(|f| f.kind.as_deref() == Some("PropertyValue"))
        .filter_map(|f| {
            Some(kogi_core::accounts::ProfileLink {
                name: f.name.as_deref()?.chars().take(100).collect(),
                url: crate::vocab::strip_html(f.value.as_deref()?)
                    .chars()
                    .take(500)
                    .collect(),
            })
        })
        .take(8)
        .collect();
    let url = |l: &Option<Link>| l.as_ref().and_then(Link::url);
    Ok(RemoteActor {
        ap_id: id.clone(),
        ap_type: ap_type.clone(),
        handle: handle.chars().take(100).collect(),
        host,
        display_name: clip(&d.name, 200),
        summary: crate::vocab::strip_html(d.summary.as_deref().unwrap_or("")),
        avatar_url: url(&d.icon),
        profile_url: url(&d.url),
        inbox_url: inbox,
        shared_inbox_url: d
            .endpoints
            .as_ref()
            .and_then(|e| url(&e.shared_inbox))
            .filter(|u| host_of(u) == host_of(&id)),
        outbox_url: url(&d.outbox),
        followers_url: url(&d.followers),
        following_url: url(&d.following),
        key_id,
        public_key_pem: pem,
        manually_approves_followers: d.manually_approves_followers.unwrap_or(false),
        links_json: serde_json::to_string(&links).unwrap_or_else(|_| "[]".into()),
        portfolio: (ap_type == "Organization")
            .then(|| crate::portfolios::parse_portfolio_terms(doc))
            .flatten(),
        community: (ap_type == "Group").then(|| crate::communities::parse_group_terms(doc)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_mastodon_person() {
        let doc: Value = serde_json::from_str(include_str!(
            "../../../shared/fixtures/activitypub/mastodon/objects/person.json"
        ))
        .unwrap();
        let id = doc["id"].as_str().unwrap().to_string();
        let a = parse_remote_actor(&doc, &id).unwrap();
        assert_eq!(a.ap_id, id);
        assert!(a.public_key_pem.contains("BEGIN PUBLIC KEY"));
        assert!(!a.inbox_url.is_empty());
    }

    #[test]
    fn refuses_a_document_from_another_host() {
        let doc: Value = serde_json::from_str(include_str!(
            "../../../shared/fixtures/activitypub/mastodon/objects/person.json"
        ))
        .unwrap();
        assert!(matches!(
            parse_remote_actor(&doc, "https://evil.example/users/x"),
            Err(ActorError::Origin(_))
        ));
    }
}
