//! The JSON-LD `@context` Kogi sends: ActivityStreams, the security vocabulary, and the
//! extension terms it uses (Mastodon's, schema.org's, WebFinger's, and Kogi's own namespace,
//! declared inline and never fetched).

use activitypub_federation::protocol::context::WithContext;
use serde_json::{json, Value};

use super::kogi::KOGI_NS;

pub const AS_CONTEXT: &str = "https://www.w3.org/ns/activitystreams";
pub const SECURITY_CONTEXT: &str = "https://w3id.org/security/v1";

/// The `@context` of the documents Kogi serves (actors, and what carries Kogi's terms).
pub fn context() -> Value {
    json!([
        AS_CONTEXT,
        SECURITY_CONTEXT,
        {
            "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
            "toot": "http://joinmastodon.org/ns#",
            "discoverable": "toot:discoverable",
            "indexable": "toot:indexable",
            "schema": "http://schema.org#",
            "PropertyValue": "schema:PropertyValue",
            "value": "schema:value",
            "webfinger": "https://purl.archive.org/socialweb/webfinger#webfinger",
            "kogi": KOGI_NS,
        }
    ])
}

/// A typed document wrapped with Kogi's `@context`.
pub fn with_context<T>(inner: T) -> WithContext<T> {
    WithContext::new(inner, context())
}
