//! WebFinger (RFC 7033): Kogi's own, both directions — answering for local actors by `acct:`
//! and by URL, and resolving `user@host` on other servers.

use serde_json::{json, Value};

use crate::client::{FetchError, HttpClient};

/// A parsed `acct:` (or bare `user@host`, or `@user@host`) resource.
pub fn parse_acct(resource: &str) -> Option<(String, String)> {
    let r = resource.trim();
    let r = r.strip_prefix("acct:").unwrap_or(r);
    let r = r.strip_prefix('@').unwrap_or(r);
    let (user, host) = r.split_once('@')?;
    if user.is_empty() || host.is_empty() || host.contains('@') || host.contains('/') {
        return None;
    }
    Some((user.to_string(), host.to_lowercase()))
}

/// The JRD for a local actor.
pub fn jrd(handle: &str, host: &str, actor_id: &str, profile_url: &str, is_group: bool) -> Value {
    let mut self_link =
        json!({ "rel": "self", "type": "application/activity+json", "href": actor_id });
    if is_group {
        self_link["properties"] = json!({ "https://www.w3.org/ns/activitystreams#type": "Group" });
    }
    json!({
        "subject": format!("acct:{handle}@{host}"),
        "aliases": [profile_url, actor_id],
        "links": [
            { "rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": profile_url },
            self_link,
        ]
    })
}

/// The JRD for the instance actor (FEP-d556: asked for by the instance URL).
pub fn instance_jrd(base: &str, host: &str) -> Value {
    let actor = format!("{base}/actor");
    json!({
        "subject": base,
        "aliases": [actor],
        "links": [
            { "rel": "https://www.w3.org/ns/activitystreams#Service", "type": "application/activity+json", "href": actor },
            { "rel": "self", "type": "application/activity+json", "href": actor },
        ],
        "properties": { "https://www.w3.org/ns/activitystreams#preferredUsername": host },
    })
}

/// host-meta (XRD) pointing at the WebFinger endpoint, for clients that start there.
pub fn host_meta(base: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\">\n  <Link rel=\"lrdd\" template=\"{base}/.well-known/webfinger?resource={{uri}}\"/>\n</XRD>\n"
    )
}

/// The `self` ActivityPub link of a JRD.
pub fn self_href(jrd: &Value) -> Option<String> {
    jrd.get("links")?.as_array()?.iter().find_map(|l| {
        let rel = l.get("rel")?.as_str()?;
        let ty = l.get("type").and_then(Value::as_str).unwrap_or("");
        (rel == "self"
            && (ty.starts_with("application/activity+json")
                || ty.starts_with("application/ld+json")))
        .then(|| l.get("href")?.as_str().map(str::to_string))
        .flatten()
    })
}

/// Resolves `user@host` to an actor id through the host's WebFinger. HTTPS is tried first;
/// plain HTTP only when private addresses are allowed (tests and closed networks).
pub async fn resolve(client: &HttpClient, user: &str, host: &str) -> Result<String, FetchError> {
    let mut schemes = vec!["https"];
    if client.allow_private() {
        schemes.push("http");
    }
    let mut last = FetchError::Network("no scheme tried".into());
    for scheme in schemes {
        let url = format!("{scheme}://{host}/.well-known/webfinger?resource=acct:{user}@{host}");
        let Ok(url) = url::Url::parse(&url) else {
            return Err(FetchError::Refused(format!("bad host {host}")));
        };
        match client
            .send(&url, |c| {
                c.get(url.clone())
                    .header("accept", "application/jrd+json, application/json")
            })
            .await
        {
            Ok(f) if f.status == 200 => {
                let jrd: Value = serde_json::from_slice(&f.body)
                    .map_err(|e| FetchError::BadResponse(format!("webfinger: {e}")))?;
                return self_href(&jrd)
                    .ok_or_else(|| FetchError::BadResponse("webfinger: no self link".into()));
            }
            Ok(f) => return Err(FetchError::Status(f.status)),
            Err(e) => last = e,
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accts() {
        assert_eq!(
            parse_acct("acct:alice@Kogi.Example"),
            Some(("alice".into(), "kogi.example".into()))
        );
        assert_eq!(
            parse_acct("@bob@localhost:8081"),
            Some(("bob".into(), "localhost:8081".into()))
        );
        assert_eq!(parse_acct("https://x/y"), None);
        let j = jrd("a", "h", "https://h/users/a", "https://h/@a", false);
        assert_eq!(self_href(&j).as_deref(), Some("https://h/users/a"));
    }
}
