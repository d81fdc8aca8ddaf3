//! Attacks on the inbox and on signed fetches by a hostile server speaking real, correctly
//! signed HTTP (tests/hostile.rs): replayed GET signatures, key-id squatting, key-fetch floods,
//! actor type changes, parallel copies of one activity, permanent failures answered as
//! retryable, and answer codes.

use std::time::{Duration, Instant, SystemTime};

use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::{api, api_ok as ok, eventually, wait_quiet, Instance, Opts};
use crate::hostile::{Answer, HostilePeer};

/// A GET of `url` signed by `signer`'s instance actor as Kogi signs, but for `signed_url`
/// (the Host and request target it was made for), sent with the signed Host header.
async fn instance_signed_get(signer: &Instance, url: &str, signed_url: &str) -> (u16, String) {
    reqwest::get(signer.u("/actor")).await.unwrap();
    let actor = signer.u("/actor");
    let pem = signer.sql_string(&format!(
        "SELECT private_key_pem AS s FROM actors WHERE ap_id = '{actor}'"
    ));
    let key_id = signer.sql_string(&format!(
        "SELECT key_id AS s FROM actors WHERE ap_id = '{actor}'"
    ));
    let signed = reqwest::Url::parse(signed_url).unwrap();
    let headers = kogi_federation::signatures::sign(
        &kogi_federation::signatures::OutgoingRequest {
            method: "GET",
            url: &signed,
            body: None,
            content_type: None,
        },
        &key_id,
        &pem,
        SystemTime::now(),
    )
    .unwrap();
    let mut r = reqwest::Client::new()
        .get(url)
        .header("accept", "application/activity+json");
    for (k, v) in headers {
        r = r.header(k, v);
    }
    let r = r.send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn a_get_signature_made_for_another_host_or_path_opens_nothing() {
    let a = Instance::start().await;
    let b = Instance::start().await;
    let alice = a.user("alice").await;
    let bea = b.user("bea").await;
    ok(
        &a,
        &alice,
        Method::POST,
        "/communities",
        Some(json!({"handle": "board", "name": "Board", "visibility": "private", "kind": "team"})),
    )
    .await;
    let gref = format!("board@localhost:{}", a.port);
    ok(
        &b,
        &bea,
        Method::POST,
        &format!("/communities/{gref}/join"),
        None,
    )
    .await;
    wait_quiet(&[&a, &b]).await;
    let (s, _) = api(
        &a,
        &alice,
        Method::POST,
        "/communities/board/requests/answer",
        Some(json!({"person": format!("bea@localhost:{}", b.port), "approve": true})),
    )
    .await;
    assert_eq!(s, 204);
    wait_quiet(&[&a, &b]).await;
    let bea_id = b.u("/users/bea");
    let followers = a.u("/communities/board/followers");
    let page = a.u("/communities/board/followers?page=1");

    // B has a member: its signature for this very URL lists the members.
    let (s, body) = instance_signed_get(&b, &page, &page).await;
    assert_eq!(s, 200);
    assert!(body.contains(&bea_id), "{body}");

    // The same signature made for another host (a GET B sent elsewhere, replayed here).
    let elsewhere = format!(
        "http://localhost:{}/communities/board/followers?page=1",
        crate::harness::free_port()
    );
    let (s, body) = instance_signed_get(&b, &page, &elsewhere).await;
    assert_eq!(s, 200, "the count is public");
    assert!(
        !body.contains(&bea_id),
        "another host's signature listed members: {body}"
    );
    // Made for the path without the query, used with one.
    let (_, body) = instance_signed_get(&b, &page, &followers).await;
    assert!(
        !body.contains(&bea_id),
        "a query-less signature listed members: {body}"
    );
    // Made for another path on this host.
    let (_, body) =
        instance_signed_get(&b, &page, &a.u("/communities/board/followers?page=2")).await;
    assert!(!body.contains(&bea_id), "{body}");
}

#[tokio::test]
async fn an_actor_publishing_another_servers_key_id_cannot_shadow_it() {
    let a = Instance::start().await;
    let b = Instance::start().await;
    let ann = a.user("ann").await;
    let bob = b.user("bob").await;
    let peer = HostilePeer::start().await;
    let bob_key = b.u("/users/bob#main-key");

    // The squatter publishes bob's key id as its own.
    let mut doc = peer.actor_doc("squat", "Person");
    doc["publicKey"]["id"] = json!(bob_key);
    peer.serve("/users/squat", doc);
    let (s, _) = api(
        &a,
        &ann,
        Method::POST,
        "/follows",
        Some(json!({"target": peer.u("/users/squat")})),
    )
    .await;
    assert_ne!(s, 200, "an actor with a key on another host is not taken");
    assert_eq!(
        a.sql_count(&format!(
            "SELECT COUNT(*) AS n FROM actors WHERE key_id = '{bob_key}'"
        )),
        0
    );

    // A squatter stored before keys were checked (as an attacker left it) loses the key, and
    // bob's follow still arrives.
    a.sql_exec(&format!(
        "INSERT INTO actors (ap_id, kind, ap_type, handle, handle_norm, host, local, display_name, summary, interests, skills, links, inbox_url, key_id, public_key_pem, manually_approves_followers, created_at, updated_at) \
         VALUES ('{}', 'person', 'Person', 'squat', 'squat', '{}', false, '', '', '', '', '[]', '{}', '{bob_key}', 'not a key', false, '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
        peer.u("/users/squat"), peer.host(), peer.u("/users/squat/inbox")
    ));
    let (s, r) = api(
        &b,
        &bob,
        Method::POST,
        "/follows",
        Some(json!({"target": format!("@ann@localhost:{}", a.port)})),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    wait_quiet(&[&a, &b]).await;
    eventually("bob's follow arrives at A", || async {
        a.sql_count(&format!("SELECT COUNT(*) AS n FROM follows JOIN actors ON actors.id = follows.follower_id WHERE actors.ap_id = '{}'", b.u("/users/bob"))) == 1
    })
    .await;
    assert_eq!(
        a.sql_count(&format!(
            "SELECT COUNT(*) AS n FROM actors WHERE key_id = '{bob_key}'"
        )),
        1
    );

    // An actor whose inbox is on another server (deliveries aimed at a third party) is not
    // taken; a shared inbox elsewhere is dropped.
    let mut doc = peer.actor_doc("aimer", "Person");
    doc["inbox"] = json!(b.u("/users/bob/inbox"));
    peer.serve("/users/aimer", doc);
    let (s, _) = api(
        &a,
        &ann,
        Method::POST,
        "/follows",
        Some(json!({"target": peer.u("/users/aimer")})),
    )
    .await;
    assert_ne!(s, 200, "an actor whose inbox is elsewhere is not taken");
    let mut doc = peer.actor_doc("sharer", "Person");
    doc["endpoints"]["sharedInbox"] = json!(b.u("/inbox"));
    peer.serve("/users/sharer", doc);
    ok(
        &a,
        &ann,
        Method::POST,
        "/follows",
        Some(json!({"target": peer.u("/users/sharer")})),
    )
    .await;
    assert_eq!(
        a.sql_count(&format!(
            "SELECT COUNT(*) AS n FROM actors WHERE ap_id = '{}' AND shared_inbox_url IS NULL",
            peer.u("/users/sharer")
        )),
        1
    );

    // On one host, a second actor claiming a key id the first holds is refused.
    let first = peer.actor("first", "Person");
    let mut second = peer.actor_doc("second", "Person");
    second["publicKey"]["id"] = json!(format!("{first}#main-key"));
    peer.serve("/users/second", second);
    ok(
        &a,
        &ann,
        Method::POST,
        "/follows",
        Some(json!({"target": first})),
    )
    .await;
    let (s, _) = api(
        &a,
        &ann,
        Method::POST,
        "/follows",
        Some(json!({"target": peer.u("/users/second")})),
    )
    .await;
    assert_ne!(s, 200);
    assert_eq!(
        a.sql_count(&format!(
            "SELECT COUNT(*) AS n FROM actors WHERE key_id = '{first}#main-key'"
        )),
        1
    );
}

#[tokio::test]
async fn unknown_keys_on_a_hanging_host_cause_bounded_fetches_and_no_internal_text() {
    let a =
        Instance::start_with(Opts::default().env("KOGI_FEDERATION_FETCH_TIMEOUT_SECS", "4")).await;
    let ann = a.user("ann").await;
    let sender = HostilePeer::start().await;
    let hanging = HostilePeer::start().await;
    sender.actor("spam", "Person");
    hanging.answer("/users/ghost", Answer::Hang);
    let key = hanging.u("/users/ghost#main-key");
    let inbox = a.u("/inbox");
    let note = |n: usize| {
        json!({"id": hanging.u(&format!("/notes/{n}/activity")), "type": "Create", "actor": hanging.u("/users/ghost"),
        "object": {"id": hanging.u(&format!("/notes/{n}")), "type": "Note", "content": "hi", "attributedTo": hanging.u("/users/ghost")}})
    };

    // Forty at once: a handful of fetches, the rest answered at once with a retryable code.
    let started = Instant::now();
    let mut tasks = Vec::new();
    for n in 0..40 {
        let (s, inbox, body) = (sender.clone(), inbox.clone(), note(n));
        let key = key.clone();
        tasks.push(tokio::spawn(async move {
            s.post_with_key("spam", &key, &inbox, &body).await
        }));
    }
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    assert!(
        hanging.hits("/users/ghost") <= 4,
        "{} fetches",
        hanging.hits("/users/ghost")
    );
    for (s, body) in &answers {
        assert!([429, 503].contains(s), "{s} {body}");
        for leak in [
            "tcp",
            "os error",
            "connect",
            "timed out",
            "database",
            "hyper",
        ] {
            assert!(!body.to_lowercase().contains(leak), "{body}");
        }
        let v: Value = serde_json::from_str(body).unwrap();
        assert!(v["error"].is_string(), "{body}");
    }
    assert!(started.elapsed() < Duration::from_secs(30));

    // The host hung: it is not asked again for a while.
    let before = hanging.hits("/users/ghost");
    for n in 40..60 {
        let (s, _) = sender.post_with_key("spam", &key, &inbox, &note(n)).await;
        assert!([429, 503].contains(&s));
    }
    assert_eq!(
        hanging.hits("/users/ghost"),
        before,
        "a hanging key host was asked again"
    );

    // A key host that refuses connections: a retryable answer without the socket's words.
    let closed = format!(
        "http://localhost:{}/users/x#main-key",
        crate::harness::free_port()
    );
    let (s, body) = sender
        .post_with_key("spam", &closed, &inbox, &note(99))
        .await;
    assert_eq!(s, 503, "{body}");
    for leak in ["tcp", "os error", "refused", "connect"] {
        assert!(!body.to_lowercase().contains(leak), "{body}");
    }
    // Nor do a person's lookups of other servers carry the network's words.
    let (s, body) = api(
        &a,
        &ann,
        Method::POST,
        "/follows",
        Some(
            json!({"target": format!("http://localhost:{}/users/x", crate::harness::free_port())}),
        ),
    )
    .await;
    assert_eq!(s, 502, "{body}");
    for leak in ["tcp", "os error", "refused", "connect error"] {
        assert!(!body.to_string().to_lowercase().contains(leak), "{body}");
    }
    // The owner of a key that answers 410 is gone: accepted and ignored, not retried.
    sender.answer(
        "/users/gone",
        Answer::Json(410, json!({"type": "Tombstone"})),
    );
    let gone_key = sender.u("/users/gone#main-key");
    let (s, body) = sender.post_with_key("spam", &gone_key, &inbox, &json!({"id": sender.u("/a/1"), "type": "Like", "actor": sender.u("/users/gone"), "object": a.u("/users/ann")})).await;
    assert_eq!(s, 202, "{body}");
    assert_eq!(a.sql_count("SELECT COUNT(*) AS n FROM posts"), 0);
}

#[tokio::test]
async fn a_remote_actor_cannot_change_its_type_and_refusals_are_not_401() {
    let a = Instance::start().await;
    a.user("ann").await;
    let peer = HostilePeer::start().await;
    let p = peer.actor("pat", "Person");
    let follow = json!({"id": peer.u("/follows/1"), "type": "Follow", "actor": p, "object": a.u("/users/ann")});
    assert_eq!(
        peer.post_as("pat", &a.u("/users/ann/inbox"), &follow)
            .await
            .0,
        202
    );

    // An Update that turns the Person into a Group (or a portfolio) is refused whole.
    for kind in ["Group", "Organization"] {
        let mut doc = peer.actor_doc("pat", kind);
        doc["name"] = json!("Renamed");
        let update = json!({"id": peer.u(&format!("/updates/{kind}")), "type": "Update", "actor": p, "object": doc});
        let (s, body) = peer.post_as("pat", &a.u("/inbox"), &update).await;
        assert_eq!(s, 422, "{body}");
        assert_eq!(
            a.sql_string(&format!(
                "SELECT ap_type AS s FROM actors WHERE ap_id = '{p}'"
            )),
            "Person"
        );
        assert_eq!(
            a.sql_string(&format!(
                "SELECT display_name AS s FROM actors WHERE ap_id = '{p}'"
            )),
            "pat"
        );
    }
    // Person to Service (Mastodon's bot switch) is a refresh, not a change of kind.
    let mut doc = peer.actor_doc("pat", "Service");
    doc["name"] = json!("Pat the bot");
    let update = json!({"id": peer.u("/updates/bot"), "type": "Update", "actor": p, "object": doc});
    assert_eq!(peer.post_as("pat", &a.u("/inbox"), &update).await.0, 202);
    assert_eq!(
        a.sql_string(&format!(
            "SELECT display_name AS s FROM actors WHERE ap_id = '{p}'"
        )),
        "Pat the bot"
    );

    // Refusals are 403 with a stable reason, never 401: an activity whose actor is not the
    // key's owner, and one whose id is on another host.
    let other = peer.actor("other", "Person");
    let (s, body) = peer.post_as("pat", &a.u("/inbox"), &json!({"id": peer.u("/x/1"), "type": "Follow", "actor": other, "object": a.u("/users/ann")})).await;
    assert_eq!(s, 403, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["error"],
        "forbidden"
    );
    let (s, _) = peer
        .post_as(
            "pat",
            &a.u("/inbox"),
            &json!({"id": a.u("/x/2"), "type": "Follow", "actor": p, "object": a.u("/users/ann")}),
        )
        .await;
    assert_eq!(s, 403);
    // Malformed JSON is 400, a missing signature 401.
    let (s, _) = peer
        .post_as("pat", &a.u("/inbox"), &json!("just a string"))
        .await;
    assert_eq!(s, 400);
    let r = reqwest::Client::new()
        .post(a.u("/inbox"))
        .header("content-type", "application/activity+json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn twenty_parallel_copies_of_one_activity_apply_once() {
    let a = Instance::start().await;
    let alice = a.user("alice").await;
    let peer = HostilePeer::start().await;
    let p = peer.actor("pat", "Person");
    // Another member, on another server: the relays go there.
    let other = HostilePeer::start().await;
    let quinn = other.actor("quinn", "Person");
    // Known first, so that the copies race on applying, not on fetching the key.
    let like = json!({"id": peer.u("/likes/0"), "type": "Like", "actor": p, "object": a.u("/users/alice")});
    assert_eq!(peer.post_as("pat", &a.u("/inbox"), &like).await.0, 202);

    let follow = json!({"id": peer.u("/follows/1"), "type": "Follow", "actor": p, "object": a.u("/users/alice")});
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (peer, inbox, body) = (peer.clone(), a.u("/users/alice/inbox"), follow.clone());
        tasks.push(tokio::spawn(async move {
            peer.post_as("pat", &inbox, &body).await.0
        }));
    }
    for t in tasks {
        let s = t.await.unwrap();
        assert!([202, 503].contains(&s), "{s}");
    }
    wait_quiet(&[&a]).await;
    assert_eq!(peer.posted("Accept").len(), 1, "one Accept for one Follow");
    assert_eq!(
        a.sql_count("SELECT COUNT(*) AS n FROM notifications WHERE kind = 'follow'"),
        1
    );
    assert_eq!(a.sql_count("SELECT COUNT(*) AS n FROM follows"), 1);

    // Twenty copies of one thread sent to a community: one post, one relay.
    ok(
        &a,
        &alice,
        Method::POST,
        "/communities",
        Some(json!({"handle": "club", "name": "Club", "kind": "community"})),
    )
    .await;
    let group = a.u("/communities/club");
    let join =
        json!({"id": other.u("/follows/2"), "type": "Follow", "actor": quinn, "object": group});
    assert_eq!(
        other
            .post_as("quinn", &format!("{group}/inbox"), &join)
            .await
            .0,
        202
    );
    let join = json!({"id": peer.u("/follows/3"), "type": "Follow", "actor": p, "object": group});
    assert_eq!(
        peer.post_as("pat", &format!("{group}/inbox"), &join)
            .await
            .0,
        202
    );
    wait_quiet(&[&a]).await;
    let page = json!({"id": peer.u("/pages/1"), "type": "Page", "name": "Hello", "content": "<p>Hi all</p>", "attributedTo": p,
        "audience": group, "to": [group, "https://www.w3.org/ns/activitystreams#Public"]});
    let create = json!({"id": peer.u("/pages/1/create"), "type": "Create", "actor": p, "object": page,
        "audience": group, "to": [group, "https://www.w3.org/ns/activitystreams#Public"]});
    let relays_before = a.sql_count("SELECT COUNT(DISTINCT activity_id) AS n FROM deliveries");
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (peer, inbox, body) = (peer.clone(), format!("{group}/inbox"), create.clone());
        tasks.push(tokio::spawn(async move {
            peer.post_as("pat", &inbox, &body).await.0
        }));
    }
    for t in tasks {
        let s = t.await.unwrap();
        assert!([202, 503].contains(&s), "{s}");
    }
    wait_quiet(&[&a]).await;
    assert_eq!(
        a.sql_count(&format!(
            "SELECT COUNT(*) AS n FROM posts WHERE ap_id = '{}'",
            peer.u("/pages/1")
        )),
        1
    );
    let relays =
        a.sql_count("SELECT COUNT(DISTINCT activity_id) AS n FROM deliveries") - relays_before;
    // Announce(Create(Page)) and Announce(Page), once each.
    assert_eq!(relays, 2, "relayed {relays} times");
    // A copy sent again later is a replay: 202, nothing new.
    assert_eq!(
        peer.post_as("pat", &format!("{group}/inbox"), &create)
            .await
            .0,
        202
    );
    wait_quiet(&[&a]).await;
    assert_eq!(
        a.sql_count("SELECT COUNT(DISTINCT activity_id) AS n FROM deliveries") - relays_before,
        2
    );
}
