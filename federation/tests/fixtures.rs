//! DESIGN.md §10, fixtures from other servers: every captured document under
//! `../shared/fixtures/activitypub/` classifies into a Kogi type or an explicit "unsupported"
//! value without panicking; every activity among them is fed to the dispatcher that runs after
//! the signature check, with its actors and objects pre-seeded from the same folder (actors
//! found in no folder get a placeholder, as the signature check would have found one).
//! Supported activities whose target exists are applied; those aimed at objects found in no
//! folder are ignored (the inbox answers 202). The client refuses private addresses and times
//! out after a second: the few activities that make Kogi fetch their target fail fast and are
//! ignored; only on a machine with network could an origin answer and the activity apply.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use kogi_core::accounts::Actor;
use kogi_core::actors::RemoteActor;
use kogi_core::{db, mail::Mailer, posts, settings::InstanceSettings, Core, CoreConfig};
use kogi_federation::actors::host_of;
use kogi_federation::client::{ClientSettings, HttpClient};
use kogi_federation::delivery::{DeliverySettings, Federation};
use kogi_federation::inbox::{Accepted, InboxError};
use kogi_federation::protocol::classify::{classify, Incoming};
use serde_json::Value;

fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/activitypub")
}

/// One captured document: its path under the root (`mastodon/activities/follow.json`), the
/// software it came from (the first folder), the JSON and its classification.
struct Fixture {
    path: String,
    software: String,
    doc: Value,
    incoming: Incoming,
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

fn load_fixtures() -> Vec<Fixture> {
    let root = fixtures_root();
    let mut paths = Vec::new();
    walk(&root, &mut paths);
    paths.sort();
    assert!(
        paths.len() > 50,
        "expected the captured fixtures under {}, found {}",
        root.display(),
        paths.len()
    );
    paths
        .into_iter()
        .map(|p| {
            let rel = p
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let text = std::fs::read_to_string(&p).unwrap();
            let doc: Value =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{rel} is not JSON: {e}"));
            let incoming = classify(&doc);
            Fixture {
                software: rel.split('/').next().unwrap_or_default().to_string(),
                path: rel,
                doc,
                incoming,
            }
        })
        .collect()
}

/// What became of one fixture.
#[derive(Debug, Clone)]
enum Outcome {
    Applied(String),
    Ignored(String),
    /// A refusal the inbox would answer with this status (401, 400, 503, 403).
    Refused(u16, String),
    /// `InboxError::Internal`: always a failure.
    Internal(String),
}

impl Outcome {
    fn from_dispatch(r: Result<Accepted, InboxError>) -> Outcome {
        match r {
            Ok(Accepted::Applied(m)) => Outcome::Applied(m),
            Ok(Accepted::Ignored(m)) => Outcome::Ignored(m),
            Ok(Accepted::Duplicate) => Outcome::Ignored("duplicate".into()),
            Err(InboxError::Internal(m)) => Outcome::Internal(m),
            Err(e) => Outcome::Refused(e.status(), e.to_string()),
        }
    }

    fn label(&self) -> &'static str {
        match self {
            Outcome::Applied(_) => "applied",
            Outcome::Ignored(_) => "ignored",
            Outcome::Refused(..) => "refused",
            Outcome::Internal(_) => "INTERNAL",
        }
    }

    fn message(&self) -> String {
        match self {
            Outcome::Applied(m) | Outcome::Ignored(m) | Outcome::Internal(m) => m.clone(),
            Outcome::Refused(s, m) => format!("{s} {m}"),
        }
    }
}

/// What the rule demands of an activity fixture; the text must occur in the dispatcher's
/// message.
#[derive(Debug, Clone, Copy)]
enum Expect {
    Applied(&'static str),
    Ignored(&'static str),
    Refused(u16, &'static str),
    /// Aimed at an object found in no folder, which Kogi tries to fetch: ignored when the
    /// origin cannot be reached (always, offline); applied only if it answered.
    Unreachable,
}

/// Every activity fixture and what must become of it.
const EXPECTED: &[(&str, Expect)] = &[
    // Friendica.
    (
        "friendica/activities/create_note.json",
        Expect::Applied("Create"),
    ),
    // A Mastodon Create relayed by Friendica; the note is Mastodon's own.
    (
        "friendica/activities/create_page_1.json",
        Expect::Applied("Create"),
    ),
    (
        "friendica/activities/create_page_2.json",
        Expect::Applied("Create"),
    ),
    (
        "friendica/activities/delete.json",
        Expect::Ignored("Delete of an unknown object"),
    ),
    (
        "friendica/activities/dislike_page.json",
        Expect::Ignored("Dislike is not handled"),
    ),
    ("friendica/activities/like_page.json", Expect::Unreachable),
    (
        "friendica/activities/undo_dislike_page.json",
        Expect::Ignored("Undo of Dislike"),
    ),
    (
        "friendica/activities/update_note.json",
        Expect::Ignored("Update of an unknown object"),
    ),
    // GNU social.
    (
        "gnusocial/activities/create_note.json",
        Expect::Applied("Create"),
    ),
    (
        "gnusocial/activities/create_page.json",
        Expect::Applied("Create"),
    ),
    ("gnusocial/activities/like_note.json", Expect::Unreachable),
    // Lemmy: moderation and community activities as a moderator sends them to the group. A
    // member server gets them relayed by the group instead; relayed so, they apply (see
    // `lemmy_community_activities_relayed_by_their_group_apply`). Straight from a person they
    // change nothing.
    (
        "lemmy/activities/block/block_user.json",
        Expect::Ignored("Block of an unknown actor"),
    ),
    (
        "lemmy/activities/block/undo_block_user.json",
        Expect::Ignored("Undo of an unknown Block"),
    ),
    (
        "lemmy/activities/community/add_featured_post.json",
        Expect::Ignored("Add is not handled"),
    ),
    (
        "lemmy/activities/community/add_mod.json",
        Expect::Ignored("Add is not handled"),
    ),
    // FEP-1b12: the community relays a member's Create; a relay is not a boost.
    (
        "lemmy/activities/community/announce_create_page.json",
        Expect::Ignored("Announce of an activity"),
    ),
    (
        "lemmy/activities/community/lock_note.json",
        Expect::Ignored("Lock is not handled"),
    ),
    (
        "lemmy/activities/community/lock_page.json",
        Expect::Ignored("Lock is not handled"),
    ),
    (
        "lemmy/activities/community/remove_featured_post.json",
        Expect::Ignored("Remove is not handled"),
    ),
    (
        "lemmy/activities/community/remove_mod.json",
        Expect::Ignored("Remove is not handled"),
    ),
    (
        "lemmy/activities/community/report_page.json",
        Expect::Ignored("Flag of nothing in a local community"),
    ),
    (
        "lemmy/activities/community/resolve_report_page.json",
        Expect::Ignored("Resolve is not handled"),
    ),
    (
        "lemmy/activities/community/undo_lock_note.json",
        Expect::Ignored("Undo of Lock"),
    ),
    (
        "lemmy/activities/community/undo_lock_page.json",
        Expect::Ignored("Undo of Lock"),
    ),
    // An Update of a Group by a person: not the sender's own actor, and not a post.
    (
        "lemmy/activities/community/update_community.json",
        Expect::Ignored("Update of an unknown object"),
    ),
    (
        "lemmy/activities/community/warn.json",
        Expect::Ignored("Warn is not handled"),
    ),
    // Lemmy: posts, comments and private messages.
    (
        "lemmy/activities/create_or_update/create_comment.json",
        Expect::Applied("Create"),
    ),
    (
        "lemmy/activities/create_or_update/create_page.json",
        Expect::Applied("Create"),
    ),
    (
        "lemmy/activities/create_or_update/create_private_message.json",
        Expect::Applied("Create"),
    ),
    (
        "lemmy/activities/create_or_update/create_private_message_0.19.json",
        Expect::Ignored("Create of an unsupported object"),
    ),
    (
        "lemmy/activities/create_or_update/update_page.json",
        Expect::Applied("Update"),
    ),
    (
        "lemmy/activities/deletion/delete_page.json",
        Expect::Applied("Delete"),
    ),
    (
        "lemmy/activities/deletion/delete_private_message.json",
        Expect::Applied("Delete"),
    ),
    (
        "lemmy/activities/deletion/delete_user.json",
        Expect::Applied("Delete(actor)"),
    ),
    // A moderator's removal of someone else's comment: only authors delete posts in Kogi.
    (
        "lemmy/activities/deletion/remove_note.json",
        Expect::Refused(403, "only the author can delete a post"),
    ),
    (
        "lemmy/activities/deletion/undo_delete_page.json",
        Expect::Ignored("Undo of Delete"),
    ),
    (
        "lemmy/activities/deletion/undo_delete_private_message.json",
        Expect::Ignored("Undo of Delete"),
    ),
    (
        "lemmy/activities/deletion/undo_remove_note.json",
        Expect::Ignored("Undo of Delete"),
    ),
    // Follows between two remote actors: nothing of Kogi's.
    (
        "lemmy/activities/following/accept.json",
        Expect::Ignored("answer to an unknown Follow"),
    ),
    (
        "lemmy/activities/following/follow.json",
        Expect::Ignored("Follow of an unknown actor"),
    ),
    (
        "lemmy/activities/following/undo_follow.json",
        Expect::Ignored("Undo of a Follow of an unknown actor"),
    ),
    (
        "lemmy/activities/voting/dislike_page.json",
        Expect::Ignored("Dislike is not handled"),
    ),
    (
        "lemmy/activities/voting/like_note.json",
        Expect::Applied("like"),
    ),
    // Lemmy sends the withdrawal of a downvote as Undo(Like) of the post; it exists.
    (
        "lemmy/activities/voting/undo_dislike_page.json",
        Expect::Applied("Undo(like)"),
    ),
    (
        "lemmy/activities/voting/undo_like_note.json",
        Expect::Applied("Undo(like)"),
    ),
    // Mastodon.
    (
        "mastodon/activities/create_note.json",
        Expect::Applied("Create"),
    ),
    (
        "mastodon/activities/delete.json",
        Expect::Ignored("Delete of an unknown object"),
    ),
    (
        "mastodon/activities/flag.json",
        Expect::Ignored("Flag of nothing in a local community"),
    ),
    // Its object is a Lemmy community, not a local actor.
    (
        "mastodon/activities/follow.json",
        Expect::Ignored("Follow of an unknown actor"),
    ),
    // A Like of a Lemmy post in no folder.
    ("mastodon/activities/like_page.json", Expect::Unreachable),
    (
        "mastodon/activities/undo_follow.json",
        Expect::Ignored("Undo of a Follow of an unknown actor"),
    ),
    (
        "mastodon/activities/undo_like_page.json",
        Expect::Ignored("Undo of an unknown reaction"),
    ),
    // Mbin, Mitra.
    (
        "mbin/activities/accept.json",
        Expect::Ignored("answer to an unknown Follow"),
    ),
    (
        "mbin/activities/flag.json",
        Expect::Ignored("Flag of nothing in a local community"),
    ),
    (
        "mitra/activities/accept.json",
        Expect::Ignored("answer to an unknown Follow"),
    ),
    (
        "mitra/activities/create_post.json",
        Expect::Applied("Create"),
    ),
    // PeerTube: a channel announcing its own video (in the objects folder).
    (
        "peertube/activities/announce_video.json",
        Expect::Applied("announce"),
    ),
    // Pleroma.
    (
        "pleroma/activities/create_note.json",
        Expect::Applied("Create"),
    ),
    (
        "pleroma/activities/delete.json",
        Expect::Ignored("Delete of an unknown object"),
    ),
    (
        "pleroma/activities/follow.json",
        Expect::Ignored("Follow of an unknown actor"),
    ),
    // WordPress: the blog's actor relays an Update of an article.
    (
        "wordpress/activities/announce.json",
        Expect::Ignored("Announce of an activity"),
    ),
];

/// Object fixtures that must be stored as posts (all of those whose type Kogi stores).
const STORED_OBJECTS: &[&str] = &[
    "friendica/objects/note_1.json",
    "friendica/objects/note_2.json",
    "friendica/objects/page_1.json",
    "friendica/objects/page_2.json",
    "gnusocial/objects/note.json",
    "gnusocial/objects/page.json",
    "lemmy/objects/comment.json",
    "lemmy/objects/page.json",
    "lemmy/objects/page_image_and_link.json",
    "lemmy/objects/private_message.json",
    // A bare Note, although captured among the activities.
    "mastodon/activities/private_message.json",
    "mastodon/objects/note_1.json",
    "mastodon/objects/note_2.json",
    "mastodon/objects/page.json",
    "mobilizon/objects/event.json",
    "peertube/objects/note.json",
    "peertube/objects/video.json",
    "pleroma/objects/note.json",
    "wordpress/objects/note.json",
    "wordpress/objects/page.json",
];

/// Documents that are explicitly unsupported, and why.
const UNSUPPORTED: &[(&str, &str)] = &[
    // Its key is owned by actor/2, not by the group actor/21: refused as Mastodon would.
    ("gnusocial/objects/group.json", "the key is owned by"),
    ("lemmy/objects/tombstone.json", "Tombstone"),
    ("pleroma/objects/chat_message.json", "ChatMessage"),
];

/// Order of application, so that targets exist before what refers to them: creations first,
/// deletions last.
fn phase(kind: &str) -> u8 {
    match kind {
        "Create" => 0,
        "Update" => 1,
        "Accept" | "Reject" => 3,
        "Undo" => 4,
        "Delete" => 5,
        _ => 2,
    }
}

const DUMMY_PEM: &str =
    "-----BEGIN PUBLIC KEY-----\nplaceholder, never verified\n-----END PUBLIC KEY-----\n";

/// A stand-in for an actor found in no folder (only its id is known), so that the dispatcher
/// can run as it does once the signature check has found the sender.
fn placeholder(id: &str) -> RemoteActor {
    let handle = id
        .trim_end_matches('/')
        .rsplit(['/', '@'])
        .next()
        .filter(|h| !h.is_empty())
        .unwrap_or("placeholder")
        .to_string();
    RemoteActor {
        ap_id: id.to_string(),
        ap_type: "Person".into(),
        handle,
        host: host_of(id).unwrap_or_else(|| panic!("{id} has no host")),
        display_name: String::new(),
        summary: String::new(),
        avatar_url: None,
        profile_url: None,
        inbox_url: format!("{id}/inbox"),
        shared_inbox_url: None,
        outbox_url: None,
        followers_url: Some(format!("{id}/followers")),
        following_url: None,
        key_id: format!("{id}#main-key"),
        public_key_pem: DUMMY_PEM.into(),
        manually_approves_followers: false,
        links_json: "[]".into(),
        portfolio: None,
        community: None,
    }
}

async fn test_core(dir: &Path) -> Core {
    let url = format!("sqlite://{}", dir.join("kogi.db").display());
    let pool = db::DbPool::connect(&url, 4).unwrap();
    db::migrate(&pool, &url).await.unwrap();
    Core {
        db: pool,
        config: Arc::new(CoreConfig {
            public_url: "https://kogi.test".into(),
            data_dir: dir.to_path_buf(),
            session_days: 30,
            confirm_token_hours: 24,
            reset_token_minutes: 60,
            avatar_max_bytes: 1 << 20,
            portfolio_import_max_bytes: 1 << 20,
            portfolio_media_max_bytes: 1 << 20,
        }),
        mailer: Mailer::spool(dir.join("mail"), "Kogi <kogi@kogi.test>").unwrap(),
        settings_defaults: Arc::new(InstanceSettings::default()),
        live: Default::default(),
    }
}

fn test_federation(core: Core) -> Federation {
    let client = HttpClient::new(ClientSettings {
        allow_private_addresses: false,
        timeout: Duration::from_secs(1),
        max_response_bytes: 1 << 20,
        user_agent: "Kogi fixtures test".into(),
        extra_roots_pem: None,
    })
    .unwrap();
    Federation {
        core,
        client,
        delivery: Arc::new(DeliverySettings::default()),
        wake: Arc::new(tokio::sync::Notify::new()),
        keys: Arc::default(),
        signers: Arc::default(),
    }
}

/// The known actor with this id, or a placeholder stored for it.
async fn sender(fed: &Federation, seeded: &mut HashMap<String, Actor>, id: &str) -> Actor {
    if let Some(a) = seeded.get(id) {
        return a.clone();
    }
    let a = kogi_core::actors::upsert_remote(&fed.core, placeholder(id))
        .await
        .unwrap();
    seeded.insert(id.to_string(), a.clone());
    a
}

#[test]
fn every_fixture_classifies() {
    let fixtures = load_fixtures();
    for f in &fixtures {
        // Actors are checked as if fetched from their own id, so each one a folder holds is
        // either stored or unsupported with the reason.
        match &f.incoming {
            Incoming::Actor(a) => assert_eq!(Some(a.ap_id.as_str()), f.doc["id"].as_str()),
            Incoming::Activity { kind, .. } => {
                assert_eq!(Some(kind.as_str()), f.doc["type"].as_str(), "{}", f.path)
            }
            _ => {}
        }
        if f.path.contains("/collections/") {
            assert!(
                matches!(f.incoming, Incoming::Collection { .. }),
                "{}: {}",
                f.path,
                f.incoming
            );
        }
    }
    for (path, why) in UNSUPPORTED {
        let f = fixtures.iter().find(|f| f.path == *path).unwrap();
        assert!(
            matches!(&f.incoming, Incoming::Unsupported(m) if m.contains(why)),
            "{path}: {}",
            f.incoming
        );
    }
    // Every other document is something Kogi knows.
    for f in &fixtures {
        if !UNSUPPORTED.iter().any(|(p, _)| *p == f.path) {
            assert!(
                !matches!(f.incoming, Incoming::Unsupported(_)),
                "{}: {}",
                f.path,
                f.incoming
            );
        }
    }
}

#[tokio::test]
async fn fixtures_through_the_dispatcher() {
    let tmp = tempfile::tempdir().unwrap();
    let core = test_core(tmp.path()).await;
    let fed = test_federation(core.clone());
    let fixtures = load_fixtures();
    let mut outcomes: BTreeMap<String, Outcome> = BTreeMap::new();
    let mut seeded: HashMap<String, Actor> = HashMap::new();

    // 1. Actors.
    for f in &fixtures {
        if let Incoming::Actor(remote) = &f.incoming {
            let a = kogi_core::actors::upsert_remote(&core, (**remote).clone())
                .await
                .unwrap_or_else(|e| panic!("{}: {e}", f.path));
            outcomes.insert(
                f.path.clone(),
                Outcome::Applied(format!("stored as {}", a.kind)),
            );
            seeded.insert(a.ap_id.clone(), a);
        }
    }
    let from_folders: Vec<String> = seeded.keys().cloned().collect();

    // 2. Objects, by their author: one from a folder, else a placeholder.
    for f in &fixtures {
        let Incoming::Object { attributed_to, .. } = &f.incoming else {
            continue;
        };
        let Some(author_id) = attributed_to else {
            outcomes.insert(f.path.clone(), Outcome::Ignored("no attributedTo".into()));
            continue;
        };
        let author = sender(&fed, &mut seeded, author_id).await;
        let outcome = match fed.store_object(&author, &f.doc).await {
            Ok(Some(p)) => {
                let whose = if from_folders.contains(author_id) {
                    "author from a folder"
                } else {
                    "author in no folder, placeholder"
                };
                Outcome::Applied(format!("stored as a post of type {} ({whose})", p.kind))
            }
            Ok(None) => Outcome::Ignored("not a post type".into()),
            Err(e) => Outcome::from_dispatch(Err(e)),
        };
        outcomes.insert(f.path.clone(), outcome);
    }

    // 3. Activities, through the dispatcher, creations first and deletions last.
    let mut activities: Vec<(&Fixture, &str, &str)> = fixtures
        .iter()
        .filter_map(|f| match &f.incoming {
            Incoming::Activity { kind, actor, .. } => Some((f, kind.as_str(), actor.as_str())),
            _ => None,
        })
        .collect();
    activities.sort_by_key(|(f, kind, _)| (phase(kind), f.path.clone()));
    let mut senders: HashMap<String, Actor> = HashMap::new();
    for (f, _, actor) in &activities {
        let from = sender(&fed, &mut seeded, actor).await;
        let started = std::time::Instant::now();
        let outcome = Outcome::from_dispatch(fed.dispatch(&from, &f.doc).await);
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "{}: the dispatcher took {:?}",
            f.path,
            started.elapsed()
        );
        outcomes.insert(f.path.clone(), outcome);
        senders.insert(f.path.clone(), from);
    }

    // 4. Anything else posted to an inbox is accepted and ignored.
    let stranger = sender(&fed, &mut seeded, "https://stranger.invalid/users/x").await;
    for f in &fixtures {
        if matches!(f.incoming, Incoming::Activity { .. }) {
            continue;
        }
        let r = Outcome::from_dispatch(fed.dispatch(&stranger, &f.doc).await);
        assert!(
            matches!(r, Outcome::Ignored(_)),
            "{} posted as is: {r:?}",
            f.path
        );
        match &f.incoming {
            Incoming::Collection { .. } => {
                outcomes.insert(f.path.clone(), r);
            }
            Incoming::Unsupported(why) => {
                outcomes.insert(
                    f.path.clone(),
                    Outcome::Ignored(format!("not stored: {why}")),
                );
            }
            _ => {}
        }
    }

    // The table, and counts per software.
    eprintln!("{:<66} {:<20} outcome", "fixture", "classification");
    let mut counts: BTreeMap<String, BTreeMap<&'static str, usize>> = BTreeMap::new();
    for f in &fixtures {
        let o = &outcomes[&f.path];
        let class = match &f.incoming {
            Incoming::Unsupported(_) => "unsupported".to_string(),
            other => other.to_string(),
        };
        eprintln!(
            "{:<66} {:<20} {}: {}",
            f.path,
            class,
            o.label(),
            o.message()
        );
        *counts
            .entry(f.software.clone())
            .or_default()
            .entry(o.label())
            .or_default() += 1;
    }
    for (software, c) in &counts {
        eprintln!("{software:<10} {c:?}");
    }

    // No Internal error anywhere, and every fixture has an outcome.
    assert_eq!(outcomes.len(), fixtures.len());
    let internal: Vec<String> = outcomes
        .iter()
        .filter(|(_, o)| matches!(o, Outcome::Internal(_)))
        .map(|(p, o)| format!("{p}: {}", o.message()))
        .collect();
    assert!(internal.is_empty(), "internal errors: {internal:#?}");

    // Activities as the rule demands.
    let mut wrong = Vec::new();
    for (path, expect) in EXPECTED {
        let Some(o) = outcomes.get(*path) else {
            wrong.push(format!("{path}: no such activity fixture"));
            continue;
        };
        let ok = match (expect, o) {
            (Expect::Applied(m), Outcome::Applied(got)) => got.contains(m),
            (Expect::Ignored(m), Outcome::Ignored(got)) => got.contains(m),
            (Expect::Refused(s, m), Outcome::Refused(st, got)) => st == s && got.contains(m),
            (Expect::Unreachable, Outcome::Ignored(got)) => {
                got.contains("unreachable") || got.contains("unknown object")
            }
            (Expect::Unreachable, Outcome::Applied(_)) => true,
            _ => false,
        };
        if !ok {
            wrong.push(format!("{path}: expected {expect:?}, got {o:?}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    // An activity fixture added later has no stated expectation yet: it is held to the rules
    // above (no panic, no Internal error) and named here, so that one gets written.
    for (f, _, _) in &activities {
        if !EXPECTED.iter().any(|(p, _)| *p == f.path) {
            eprintln!("no stated expectation for {}", f.path);
        }
    }

    // Objects stored as posts: every one of a type Kogi stores, by its author.
    for f in &fixtures {
        if let Incoming::Object { .. } = f.incoming {
            assert!(
                STORED_OBJECTS.contains(&f.path.as_str()),
                "{}: an object of a type Kogi stores, not listed",
                f.path
            );
        }
    }
    for path in STORED_OBJECTS {
        let f = fixtures.iter().find(|f| f.path == *path).unwrap();
        assert!(
            matches!(outcomes[*path], Outcome::Applied(_)),
            "{path}: {:?}",
            outcomes[*path]
        );
        let id = f.doc["id"].as_str().unwrap();
        let post = posts::find_by_ap_id(&core, id).await.unwrap();
        assert!(post.is_some(), "{path}: {id} not stored");
    }
    // The Mobilizon event keeps its type.
    let event = posts::find_by_ap_id(
        &core,
        "https://rendezvous.nomagic.uk/events/b81c0531-a57c-497d-93ba-af0f8b255498",
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(event.kind, "Event");

    // Every applied Create stored its object, attributed to the sender, as its type.
    for (f, kind, _) in &activities {
        if *kind != "Create" || !matches!(outcomes[&f.path], Outcome::Applied(_)) {
            continue;
        }
        let obj = &f.doc["object"];
        let post = posts::find_by_ap_id(&core, obj["id"].as_str().unwrap())
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{}: the post was not stored", f.path));
        assert_eq!(post.author_id, senders[&f.path].id, "{}", f.path);
        assert_eq!(Some(post.kind.as_str()), obj["type"].as_str(), "{}", f.path);
    }

    // Effects that can be seen: Mastodon's note is unlisted (followers in `to`, Public in
    // `cc`); Lemmy's page was edited, then
    // deleted by its author; the comment a moderator removed is still there; the PeerTube
    // video carries the channel's announce; Lemmy's alpha deleted their account.
    let note = posts::find_by_ap_id(
        &core,
        "https://mastodon.madrid/users/felix/statuses/107224289116410645",
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(note.visibility, "unlisted");
    assert!(note.deleted_at.is_none());
    let page = posts::find_by_ap_id(&core, "http://ds9.lemmy.ml/post/1")
        .await
        .unwrap()
        .unwrap();
    assert!(page.edited_at.is_some() && page.deleted_at.is_some());
    let comment = posts::find_by_ap_id(&core, "http://ds9.lemmy.ml/comment/1")
        .await
        .unwrap()
        .unwrap();
    assert!(comment.deleted_at.is_none());
    let dm = posts::find_by_ap_id(&core, "http://enterprise.lemmy.ml/private_message/1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(dm.visibility, "direct");
    assert!(dm.deleted_at.is_some());
    let video = posts::find_by_ap_id(
        &core,
        "https://tilvids.com/videos/watch/e7946124-7b72-4ad7-9d22-844a84bb2de1",
    )
    .await
    .unwrap()
    .unwrap();
    let channel = &seeded["https://tilvids.com/video-channels/thelinuxexperiment_channel"];
    assert!(posts::reacted(&core, posts::ANNOUNCE, channel.id, video.id)
        .await
        .unwrap());
    let alpha = kogi_core::actors::find_by_ap_id(&core, "http://ds9.lemmy.ml/u/lemmy_alpha")
        .await
        .unwrap()
        .unwrap();
    assert!(alpha.deleted_at.is_some());
}

/// A Lemmy group with this id, made from the captured `Group` (its moderators and featured
/// collections follow the id).
async fn lemmy_group(
    fed: &Federation,
    template: &Value,
    id: &str,
) -> (Actor, kogi_core::communities::Community) {
    let text = serde_json::to_string(template)
        .unwrap()
        .replace("https://enterprise.lemmy.ml/c/tenforward", id);
    let doc: Value = serde_json::from_str(&text).unwrap();
    let remote = kogi_federation::actors::parse_remote_actor(&doc, id).unwrap();
    assert!(remote.community.is_some(), "{id}: the Group's terms");
    let a = kogi_core::actors::upsert_remote(&fed.core, remote)
        .await
        .unwrap();
    let c = kogi_core::communities::store::find_by_actor(&fed.core, a.id)
        .await
        .unwrap()
        .unwrap();
    (a, c)
}

/// A post of a Lemmy community, made from the captured `Page` or `Note`, stored and linked as
/// the group's thread or comment (as its relayed `Create` would have left it).
async fn lemmy_post(
    fed: &Federation,
    template: &Value,
    id: &str,
    c: &kogi_core::communities::Community,
    thread: Option<i64>,
) -> posts::Post {
    let host = host_of(id).unwrap();
    let scheme = id.split("://").next().unwrap();
    let author = kogi_core::actors::upsert_remote(
        &fed.core,
        placeholder(&format!("{scheme}://{host}/u/someone")),
    )
    .await
    .unwrap();
    let mut doc = template.clone();
    doc["id"] = Value::from(id);
    doc["attributedTo"] = Value::from(author.ap_id.clone());
    if thread.is_none() {
        doc.as_object_mut().unwrap().remove("inReplyTo");
    }
    let p = fed.store_object(&author, &doc).await.unwrap().unwrap();
    let kind = if thread.is_some() {
        "comment"
    } else {
        "thread"
    };
    kogi_core::communities::store::link_post(&fed.core, c.id(), p.id, kind, "A thread", thread)
        .await
        .unwrap();
    p
}

/// Lemmy's community activities as captured are what a moderator sends to the group; a member
/// server such as Kogi gets them relayed by the group as `Announce(activity)` (FEP-1b12).
/// Relayed so, the ones Kogi supports apply: moderators added and removed, threads pinned
/// and unpinned, locked and unlocked, the group's profile edited, a comment removed, and a
/// relayed thread stored in its community.
#[tokio::test]
async fn lemmy_community_activities_relayed_by_their_group_apply() {
    use kogi_core::communities::{store, Role};
    let tmp = tempfile::tempdir().unwrap();
    let core = test_core(tmp.path()).await;
    let fed = test_federation(core.clone());
    let fixtures = load_fixtures();
    let get = |p: &str| {
        fixtures
            .iter()
            .find(|f| f.path == format!("lemmy/{p}"))
            .unwrap_or_else(|| panic!("{p}"))
            .doc
            .clone()
    };
    for f in &fixtures {
        if let Incoming::Actor(remote) = &f.incoming {
            kogi_core::actors::upsert_remote(&core, (**remote).clone())
                .await
                .unwrap();
        }
    }
    let group_doc = get("objects/group.json");
    let (enterprise, enterprise_c) =
        lemmy_group(&fed, &group_doc, "http://enterprise.lemmy.ml/c/main").await;
    let (ds9, ds9_c) = lemmy_group(&fed, &group_doc, "https://ds9.lemmy.ml/c/main").await;
    let (alpha, alpha_c) = lemmy_group(&fed, &group_doc, "http://lemmy-alpha:8541/c/main").await;
    let (test_g, test_c) = lemmy_group(&fed, &group_doc, "https://lemmy-alpha/c/test").await;
    // The people named, as a fetch would have stored them (this machine reaches no Lemmy).
    for id in [
        "http://ds9.lemmy.ml/u/lemmy_alpha",
        "http://enterprise.lemmy.ml/u/lemmy_beta",
    ] {
        kogi_core::actors::upsert_remote(&core, placeholder(id))
            .await
            .unwrap();
    }
    let page = get("objects/page.json");
    let comment = get("objects/comment.json");
    let ds9_post = lemmy_post(&fed, &page, "https://ds9.lemmy.ml/post/2", &ds9_c, None).await;
    let alpha_post = lemmy_post(
        &fed,
        &page,
        "http://lemmy-alpha:8541/post/2",
        &alpha_c,
        None,
    )
    .await;
    let test_thread = lemmy_post(&fed, &page, "https://lemmy-alpha/post/1", &test_c, None).await;
    lemmy_post(
        &fed,
        &comment,
        "https://lemmy-alpha/comment/1",
        &test_c,
        Some(test_thread.id),
    )
    .await;

    let mut n = 0;
    let mut relay = |group: &Actor, path: &str| {
        n += 1;
        let mut inner = get(path);
        inner.as_object_mut().unwrap().remove("@context");
        (
            group.clone(),
            serde_json::json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": format!("{}/activities/announce/{n}", group.ap_id),
                "type": "Announce",
                "actor": group.ap_id,
                "to": ["https://www.w3.org/ns/activitystreams#Public"],
                "cc": [format!("{}/followers", group.ap_id)],
                "object": inner,
            }),
            path.to_string(),
        )
    };
    let steps = vec![
        relay(&enterprise, "activities/community/add_mod.json"),
        relay(&ds9, "activities/community/add_featured_post.json"),
        relay(&alpha, "activities/community/lock_page.json"),
        relay(&test_g, "activities/community/lock_note.json"),
        relay(&enterprise, "activities/community/update_community.json"),
    ];
    let mut outcomes = Vec::new();
    for (g, doc, path) in &steps {
        outcomes.push((
            path.clone(),
            Outcome::from_dispatch(fed.dispatch(g, doc).await),
        ));
    }
    // The captured Announce(Create(Page)) itself, from its (now known) group.
    let announce = get("activities/community/announce_create_page.json");
    outcomes.push((
        "announce_create_page".into(),
        Outcome::from_dispatch(fed.dispatch(&enterprise, &announce).await),
    ));
    for (path, o) in &outcomes {
        eprintln!("{path:<55} {}: {}", o.label(), o.message());
    }
    let lemmy_alpha = kogi_core::actors::find_by_ap_id(&core, "http://ds9.lemmy.ml/u/lemmy_alpha")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store::role_of(&core, &enterprise_c, lemmy_alpha.id)
            .await
            .unwrap(),
        Some(Role::Moderator)
    );
    assert!(
        store::post_link(&core, ds9_post.id)
            .await
            .unwrap()
            .unwrap()
            .pinned
    );
    assert!(
        store::post_link(&core, alpha_post.id)
            .await
            .unwrap()
            .unwrap()
            .locked
    );
    let updated = kogi_core::actors::find_by_id(&core, enterprise.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(updated.display_name, "The Updated Community");
    assert_eq!(
        updated.public_key_pem, enterprise.public_key_pem,
        "keys come only from the group's own document"
    );
    let relayed = posts::find_by_ap_id(&core, "http://enterprise.lemmy.ml/post/7")
        .await
        .unwrap()
        .expect("the relayed thread is stored");
    let link = store::post_link(&core, relayed.id).await.unwrap().unwrap();
    assert_eq!(
        (link.community_id, link.kind.as_str(), link.title.as_str()),
        (enterprise_c.id(), "thread", "post 4")
    );

    // A moderator's removal of a comment in the thread, relayed by the group.
    lemmy_post(
        &fed,
        &comment,
        "http://ds9.lemmy.ml/comment/1",
        &enterprise_c,
        Some(relayed.id),
    )
    .await;
    let later = vec![
        relay(&enterprise, "activities/community/remove_mod.json"),
        relay(&ds9, "activities/community/remove_featured_post.json"),
        relay(&alpha, "activities/community/undo_lock_page.json"),
        relay(&test_g, "activities/community/undo_lock_note.json"),
        relay(&enterprise, "activities/deletion/remove_note.json"),
    ];
    for (g, doc, path) in &later {
        outcomes.push((
            path.clone(),
            Outcome::from_dispatch(fed.dispatch(g, doc).await),
        ));
    }
    assert_eq!(
        store::role_of(&core, &enterprise_c, lemmy_alpha.id)
            .await
            .unwrap(),
        None
    );
    assert!(
        !store::post_link(&core, ds9_post.id)
            .await
            .unwrap()
            .unwrap()
            .pinned
    );
    assert!(
        !store::post_link(&core, alpha_post.id)
            .await
            .unwrap()
            .unwrap()
            .locked
    );
    let removed = posts::find_by_ap_id(&core, "http://ds9.lemmy.ml/comment/1")
        .await
        .unwrap()
        .unwrap();
    assert!(removed.deleted_at.is_some());

    for (path, o) in &outcomes {
        eprintln!("{path:<55} {}: {}", o.label(), o.message());
        let ok = if path.contains("lock_note") {
            matches!(o, Outcome::Ignored(m) if m.contains("Lock of a comment"))
        } else {
            matches!(o, Outcome::Applied(_))
        };
        assert!(ok, "{path}: {o:?}");
    }

    // The same activities from anyone but their group change nothing.
    let stranger = kogi_core::actors::upsert_remote(&core, placeholder("https://evil.example/u/x"))
        .await
        .unwrap();
    let (_, forged, _) = relay(&enterprise, "activities/community/add_mod.json");
    let o = Outcome::from_dispatch(fed.dispatch(&stranger, &forged).await);
    assert!(matches!(o, Outcome::Ignored(_)), "{o:?}");
    assert_eq!(
        store::role_of(&core, &enterprise_c, lemmy_alpha.id)
            .await
            .unwrap(),
        None
    );
}
