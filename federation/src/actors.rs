//! Actor documents: local actors rendered as Mastodon expects them, remote actor documents
//! parsed (and checked) into what core stores.

use kogi_core::accounts::Actor;
use kogi_core::actors::RemoteActor;
use serde_json::{json, Value};

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

fn str_field(doc: &Value, name: &'static str) -> Result<String, ActorError> {
    doc.get(name)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or(ActorError::Field(name))
}

/// `host[:port]` of a URL.
pub fn host_of(url: &str) -> Option<String> {
    kogi_core::deliveries::host_of(url)
}

/// Actor types Kogi stores.
pub const ACTOR_TYPES: &[&str] = &["Person", "Service", "Application", "Group", "Organization"];

/// Parses and checks a remote actor document fetched from `fetched_from`.
pub fn parse_remote_actor(doc: &Value, fetched_from: &str) -> Result<RemoteActor, ActorError> {
    let id = str_field(doc, "id")?;
    let ap_type = str_field(doc, "type")?;
    if !ACTOR_TYPES.contains(&ap_type.as_str()) {
        return Err(ActorError::Type(ap_type));
    }
    let host = host_of(&id).ok_or(ActorError::Field("id"))?;
    if host_of(fetched_from).as_deref() != Some(host.as_str()) {
        return Err(ActorError::Origin(id));
    }
    // Deliveries go where the actor says: only to its own host, or a hostile actor could
    // aim this server's deliveries at a third one.
    let inbox = str_field(doc, "inbox")?;
    if host_of(&inbox).as_deref() != Some(host.as_str()) {
        return Err(ActorError::Field("inbox"));
    }
    let handle = doc
        .get("preferredUsername")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| {
            doc.get("webfinger")
                .and_then(Value::as_str)
                .and_then(|w| w.split('@').next())
                .map(str::to_string)
        })
        .ok_or(ActorError::Field("preferredUsername"))?;
    let key = match doc.get("publicKey") {
        Some(Value::Array(a)) => a.first().cloned(),
        Some(v) => Some(v.clone()),
        None => None,
    }
    .ok_or(ActorError::Field("publicKey"))?;
    let key_id = key
        .get("id")
        .and_then(Value::as_str)
        .ok_or(ActorError::Field("publicKey.id"))?
        .to_string();
    let owner = key
        .get("owner")
        .and_then(Value::as_str)
        .unwrap_or(&id)
        .to_string();
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
        .get("publicKeyPem")
        .and_then(Value::as_str)
        .ok_or(ActorError::Field("publicKey.publicKeyPem"))?
        .to_string();
    let links: Vec<kogi_core::accounts::ProfileLink> = doc
        .get("attachment")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter(|f| f.get("type").and_then(Value::as_str) == Some("PropertyValue"))
                .filter_map(|f| {
                    Some(kogi_core::accounts::ProfileLink {
                        name: f.get("name")?.as_str()?.chars().take(100).collect(),
                        url: crate::vocab::strip_html(f.get("value")?.as_str()?)
                            .chars()
                            .take(500)
                            .collect(),
                    })
                })
                .take(8)
                .collect()
        })
        .unwrap_or_default();
    let opt = |name: &str| doc.get(name).and_then(first_url);
    Ok(RemoteActor {
        ap_id: id.clone(),
        ap_type: ap_type.clone(),
        handle: handle.chars().take(100).collect(),
        host,
        display_name: doc
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .chars()
            .take(200)
            .collect(),
        summary: crate::vocab::strip_html(doc.get("summary").and_then(Value::as_str).unwrap_or("")),
        avatar_url: doc.get("icon").and_then(first_url),
        profile_url: opt("url"),
        inbox_url: inbox,
        shared_inbox_url: doc
            .get("endpoints")
            .and_then(|e| e.get("sharedInbox"))
            .and_then(first_url)
            .filter(|u| host_of(u) == host_of(&id)),
        outbox_url: opt("outbox"),
        followers_url: opt("followers"),
        following_url: opt("following"),
        key_id,
        public_key_pem: pem,
        manually_approves_followers: doc
            .get("manuallyApprovesFollowers")
            .and_then(Value::as_bool)
            .unwrap_or(false),
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
