//! NodeInfo 2.1 (and 2.0) with real usage counts.

use serde_json::{json, Value};

pub const SCHEMA_21: &str = "http://nodeinfo.diaspora.software/ns/schema/2.1";
pub const SCHEMA_20: &str = "http://nodeinfo.diaspora.software/ns/schema/2.0";

pub fn well_known(base: &str) -> Value {
    json!({ "links": [
        { "rel": SCHEMA_21, "href": format!("{base}/nodeinfo/2.1") },
        { "rel": SCHEMA_20, "href": format!("{base}/nodeinfo/2.0") },
    ]})
}

pub struct Usage {
    pub users: i64,
    pub active_month: i64,
    pub active_halfyear: i64,
    pub local_posts: i64,
}

pub fn document(version: &str, node_name: &str, open_registrations: bool, usage: &Usage) -> Value {
    let software = json!({ "name": "kogi", "version": env!("CARGO_PKG_VERSION") });
    json!({
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": { "inbound": [], "outbound": [] },
        "openRegistrations": open_registrations,
        "usage": {
            "users": { "total": usage.users, "activeMonth": usage.active_month, "activeHalfyear": usage.active_halfyear },
            "localPosts": usage.local_posts,
        },
        "metadata": { "nodeName": node_name },
    })
}
