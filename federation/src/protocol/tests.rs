//! Every captured document under `../shared/fixtures/` reads into the typed layer (supported
//! activity types into their variant, the rest into `Unsupported`) without panicking, and
//! what Kogi's builders send reads back into the same types.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use activitypub_federation::kinds::activity::{FollowType, UndoType};
use activitypub_federation::protocol::context::WithContext;
use serde_json::{json, Value};

use super::activities::{Activity, IncomingActivity, HANDLED};
use super::kogi::{PortfolioObjectKind, PortfolioObjectTerms, PortfolioTerms};
use super::objects::{KnownObject, PostKind};
use crate::follows::activities::{answer, follow, undo_follow};

fn fixtures() -> Vec<(String, Value)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "json") {
                out.push(path);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures");
    let mut paths = Vec::new();
    walk(&root, &mut paths);
    paths.sort();
    assert!(paths.len() > 50, "fixtures under {}", root.display());
    paths
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(&root).unwrap().to_string_lossy().to_string();
            let doc = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            (rel, doc)
        })
        .collect()
}

const ACTORS: &[&str] = &["Person", "Service", "Application", "Group", "Organization"];
const POSTS: &[&str] = &[
    "Note", "Article", "Page", "Question", "Image", "Video", "Audio", "Event",
];

/// Checks a document whose `type` Kogi knows as an object reads into that object.
fn check_object(path: &str, doc: &Value) {
    let Some(kind) = doc.get("type").and_then(Value::as_str) else {
        return;
    };
    let known = serde_json::from_value::<KnownObject>(doc.clone());
    if ACTORS.contains(&kind) {
        assert!(
            matches!(known, Ok(KnownObject::Actor(_))),
            "{path}: {known:?}"
        );
    } else if POSTS.contains(&kind) && doc.get("id").is_some() {
        assert!(
            matches!(known, Ok(KnownObject::Post(_))),
            "{path}: {known:?}"
        );
    } else if kind == "Tombstone" {
        assert!(
            matches!(known, Ok(KnownObject::Tombstone(_))),
            "{path}: {known:?}"
        );
    }
}

#[test]
fn every_fixture_reads_into_the_typed_enum() {
    let mut handled = std::collections::BTreeSet::new();
    for (path, doc) in fixtures() {
        let incoming = IncomingActivity::parse(&doc);
        let kind = doc.get("type").and_then(Value::as_str).unwrap_or("");
        if HANDLED.contains(&kind) {
            assert_eq!(incoming.kind(), kind, "{path}: {incoming:?}");
            assert!(
                !matches!(incoming, IncomingActivity::Unsupported { .. }),
                "{path}: {incoming:?}"
            );
            handled.insert(kind.to_string());
        } else {
            assert!(
                matches!(&incoming, IncomingActivity::Unsupported { reason, .. }
                    if reason == &format!("{kind} is not handled")),
                "{path}: {incoming:?}"
            );
        }
        check_object(&path, &doc);
        if let Some(obj) = doc.get("object").filter(|o| o.is_object()) {
            check_object(&path, obj);
        }
        // Serialising the typed value keeps what was read.
        if !matches!(incoming, IncomingActivity::Unsupported { .. }) {
            let again = serde_json::to_value(&incoming).unwrap();
            assert_eq!(IncomingActivity::parse(&again), incoming, "{path}");
        }
    }
    // The captured traffic covers most of what the dispatcher handles; the rest is below.
    for kind in [
        "Follow", "Accept", "Undo", "Create", "Update", "Delete", "Announce", "Like", "Block",
        "Flag", "Reject",
    ] {
        assert!(handled.contains(kind), "no fixture of {kind}");
    }
}

#[test]
fn never_panics_on_odd_documents() {
    for doc in [
        json!(null),
        json!([]),
        json!("Follow"),
        json!({}),
        json!({"type": 3}),
        json!({"type": ["Follow", "Other"], "actor": "https://a.example/u", "object": "x"}),
        json!({"type": "Follow"}),
        json!({"type": "Follow", "actor": 1, "object": "https://b.example/u"}),
        json!({"type": "Follow", "actor": "not a url", "object": "https://b.example/u"}),
        json!({"type": "Undo", "actor": "https://a.example/u", "object": 7}),
        json!({"type": "Flag", "actor": "https://a.example/u", "object": [1, 2]}),
    ] {
        assert!(
            matches!(
                IncomingActivity::parse(&doc),
                IncomingActivity::Unsupported { .. }
            ),
            "{doc}"
        );
    }
    let odd = IncomingActivity::parse(&json!({"type": "Follow", "actor": "https://a.example/u"}));
    assert!(
        matches!(&odd, IncomingActivity::Unsupported { reason, .. } if reason.contains("shape")),
        "{odd:?}"
    );
}

#[test]
fn every_dispatched_type_has_its_variant() {
    let actor = "https://a.example/users/a";
    let object = "https://b.example/users/b";
    for kind in HANDLED {
        let doc =
            json!({"id": format!("{actor}#1"), "type": kind, "actor": actor, "object": object});
        let parsed = IncomingActivity::parse(&doc);
        assert_eq!(parsed.kind(), *kind, "{parsed:?}");
        assert!(!matches!(parsed, IncomingActivity::Unsupported { .. }));
    }
    // Lenient shapes: an embedded actor, one-or-many `to`, Lemmy's `audience`.
    let doc = json!({
        "type": "Like", "actor": {"id": actor, "type": "Person"}, "object": {"id": object},
        "to": "https://www.w3.org/ns/activitystreams#Public", "audience": "https://c.example/c/x",
        "extra": {"ignored": true},
    });
    let IncomingActivity::Like(like) = IncomingActivity::parse(&doc) else {
        panic!("not a Like")
    };
    assert_eq!(like.actor.id().inner().as_str(), actor);
    assert_eq!(like.object_id(), Some(object));
    assert_eq!(like.to.len(), 1);
    assert_eq!(
        like.audience
            .and_then(|a| a.id().map(str::to_string))
            .as_deref(),
        Some("https://c.example/c/x")
    );
}

#[test]
fn what_kogi_sends_reads_back() {
    let base = "https://k.example";
    let a = "https://k.example/users/a";
    let b = "https://r.example/users/b";
    let f = follow("https://k.example/activities/follow/1", a, b);
    let typed: WithContext<Activity<FollowType>> = serde_json::from_value(f.clone()).unwrap();
    assert_eq!(serde_json::to_value(&typed).unwrap(), f);
    assert!(matches!(
        IncomingActivity::parse(&f),
        IncomingActivity::Follow(_)
    ));

    for kind in ["Accept", "Reject"] {
        let doc = answer(kind, base, a, "https://r.example/f/1", b);
        let parsed = IncomingActivity::parse(&doc);
        assert_eq!(parsed.kind(), kind);
        // Read without `WithContext`, the `@context` is kept with the other fields.
        assert_eq!(serde_json::to_value(&parsed).unwrap(), doc);
    }

    let undo = undo_follow(base, a, "https://k.example/f/1", b);
    let typed: WithContext<Activity<UndoType>> = serde_json::from_value(undo.clone()).unwrap();
    assert_eq!(typed.inner().object.kind(), Some("Follow"));
    assert_eq!(serde_json::to_value(&typed).unwrap(), undo);

    let note = json!({
        "id": "https://k.example/posts/1", "type": "Note", "attributedTo": a,
        "content": "<p>hi</p>", "to": [crate::vocab::PUBLIC], "cc": [format!("{a}/followers")],
    });
    let create = crate::notes::wrap("Create", "https://k.example/activities/create/1", a, &note);
    let IncomingActivity::Create(c) = IncomingActivity::parse(&create) else {
        panic!("not a Create")
    };
    let obj = serde_json::to_value(c.object.embedded().unwrap()).unwrap();
    let KnownObject::Post(post) = serde_json::from_value(obj).unwrap() else {
        panic!("not a post")
    };
    assert_eq!(post.kind, PostKind::Note);

    let gone = crate::collections::tombstone(
        "https://k.example/posts/1",
        "Note",
        chrono::DateTime::from_timestamp(0, 0).unwrap().naive_utc(),
    );
    assert!(matches!(
        serde_json::from_value::<KnownObject>(gone).unwrap(),
        KnownObject::Tombstone(_)
    ));

    let ctx = super::context::with_context(json!({"id": a}));
    let v = serde_json::to_value(&ctx).unwrap();
    assert_eq!(v["@context"][2]["kogi"], super::kogi::KOGI_NS);
}

#[test]
fn kogi_terms_read() {
    let portfolio: PortfolioTerms = serde_json::from_value(json!({
        "kogi:portfolioType": "design", "kogi:items": "https://k.example/portfolios/p/items",
        "kogi:archived": false,
    }))
    .unwrap();
    assert_eq!(portfolio.portfolio_type.as_deref(), Some("design"));
    let item: PortfolioObjectTerms = serde_json::from_value(json!({
        "kogi:kind": "item", "kogi:portfolio": "https://k.example/portfolios/p", "kogi:position": 2,
    }))
    .unwrap();
    assert_eq!(item.kind, PortfolioObjectKind::Item);
}
