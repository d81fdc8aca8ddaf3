//! Communities end to end: a community on A with members from B and C, threads and comments
//! relayed by the group, likes counted at the origin, a bovine peer as a member, private
//! communities, moderation, and forged or refused activities.

use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::{api, api_ok as ok, eventually, tool, wait_quiet, Instance};
use crate::interop::BovinePeer;

/// GETs `url` as ActivityPub JSON, signed by `signer`'s instance actor as Kogi signs its
/// fetches; the status and body.
async fn signed_get(signer: &Instance, url: &str) -> (u16, String) {
    // The instance actor exists once it has been asked for.
    reqwest::get(signer.u("/actor")).await.unwrap();
    let actor = signer.u("/actor");
    let pem = signer.sql_string(&format!(
        "SELECT private_key_pem AS s FROM actors WHERE ap_id = '{actor}'"
    ));
    let key_id = signer.sql_string(&format!(
        "SELECT key_id AS s FROM actors WHERE ap_id = '{actor}'"
    ));
    let parsed = reqwest::Url::parse(url).unwrap();
    let headers = kogi_federation::signatures::sign(
        &kogi_federation::signatures::OutgoingRequest {
            method: "GET",
            url: &parsed,
            body: None,
            content_type: None,
        },
        &key_id,
        &pem,
        std::time::SystemTime::now(),
    )
    .unwrap();
    let mut r = reqwest::Client::new()
        .get(url)
        .header("accept", "application/activity+json");
    for (k, v) in headers {
        if !k.eq_ignore_ascii_case("host") {
            r = r.header(k, v);
        }
    }
    let r = r.send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn thread_id(v: &Value, title: &str) -> Option<i64> {
    v.as_array()?.iter().find(|t| t["title"] == title)?["id"].as_i64()
}

#[tokio::test]
async fn a_community_relays_threads_comments_and_likes_between_three_instances() {
    let a = Instance::start().await;
    let b = Instance::start().await;
    let c = Instance::start().await;
    let alice = a.user("alice").await;
    let bea = b.user("bea").await;
    let cal = c.user("cal").await;
    let g = ok(&a, &alice, Method::POST, "/communities", Some(json!({"handle": "garden", "name": "Garden club", "description": "Plants.", "kind": "community"}))).await;
    assert_eq!(g["my_role"], "owner");
    let gref = format!("garden@localhost:{}", a.port);

    // The group as ActivityPub: a Group with a moderators collection.
    let doc: Value = crate::harness::ap_get(&a.u("/communities/garden")).await;
    assert_eq!(doc["type"], "Group");
    assert_eq!(doc["attributedTo"], a.u("/communities/garden/moderators"));
    let mods: Value = crate::harness::ap_get(&a.u("/communities/garden/moderators")).await;
    assert!(mods.to_string().contains(&a.u("/users/alice")));

    // B and C join (Follow → Accept).
    for (i, t) in [(&b, &bea), (&c, &cal)] {
        let r = ok(
            i,
            t,
            Method::POST,
            &format!("/communities/{gref}/join"),
            None,
        )
        .await;
        assert_eq!(r["state"], "pending");
    }
    wait_quiet(&[&a, &b, &c]).await;
    let view = ok(&a, &alice, Method::GET, "/communities/garden", None).await;
    assert_eq!(view["members"], 3, "{view}");
    assert_eq!(
        ok(&b, &bea, Method::GET, &format!("/communities/{gref}"), None).await["my_role"],
        "member"
    );

    // A thread by C appears on A and B.
    let t = ok(
        &c,
        &cal,
        Method::POST,
        &format!("/communities/{gref}/threads"),
        Some(json!({"title": "Tomatoes in November?", "content": "Anyone still harvesting?"})),
    )
    .await;
    let uri = t["uri"].as_str().unwrap().to_string();
    assert!(uri.starts_with(&c.u("/posts/")));
    wait_quiet(&[&a, &b, &c]).await;
    let on_a = ok(&a, &alice, Method::GET, "/communities/garden/threads", None).await;
    let a_tid = thread_id(&on_a, "Tomatoes in November?").expect("thread on A");
    eventually("the thread reaches B through the group", || async {
        thread_id(
            &ok(
                &b,
                &bea,
                Method::GET,
                &format!("/communities/{gref}/threads"),
                None,
            )
            .await,
            "Tomatoes in November?",
        )
        .is_some()
    })
    .await;
    let b_tid = thread_id(
        &ok(
            &b,
            &bea,
            Method::GET,
            &format!("/communities/{gref}/threads"),
            None,
        )
        .await,
        "Tomatoes in November?",
    )
    .unwrap();
    assert_eq!(
        b.sql_count(&format!(
            "SELECT COUNT(*) AS n FROM posts WHERE ap_id = '{uri}'"
        )),
        1
    );
    // A's community page shows it.
    let html = reqwest::get(a.u("/communities/garden"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Tomatoes in November?"));

    // A comment by B reaches C (directly and through the group).
    let cm = ok(
        &b,
        &bea,
        Method::POST,
        &format!("/communities/{gref}/threads/{b_tid}/comments"),
        Some(json!({"content": "Mine are still green."})),
    )
    .await;
    wait_quiet(&[&a, &b, &c]).await;
    let cm_uri = cm["uri"].as_str().unwrap();
    eventually("C has B's comment", || async {
        c.sql_count(&format!(
            "SELECT COUNT(*) AS n FROM posts WHERE ap_id = '{cm_uri}'"
        )) == 1
    })
    .await;
    let on_a = ok(
        &a,
        &alice,
        Method::GET,
        &format!("/communities/garden/threads/{a_tid}"),
        None,
    )
    .await;
    assert_eq!(on_a["comments"][0]["uri"], cm_uri, "{on_a}");

    // A like from A is counted at the origin (C) and shown everywhere after a refresh.
    ok(
        &a,
        &alice,
        Method::POST,
        &format!("/posts/{a_tid}/like"),
        None,
    )
    .await;
    wait_quiet(&[&a, &b, &c]).await;
    let c_tid = c.sql_count(&format!("SELECT id AS n FROM posts WHERE ap_id = '{uri}'"));
    eventually("C counted the like", || async {
        c.sql_count(&format!(
            "SELECT CAST(like_count AS BIGINT) AS n FROM posts WHERE id = {c_tid}"
        )) == 1
    })
    .await;
    // Views refresh counts in the background: shown by a later view.
    eventually("B shows the origin's count", || async {
        let on_b = ok(
            &b,
            &bea,
            Method::GET,
            &format!("/communities/{gref}/threads/{b_tid}"),
            None,
        )
        .await;
        on_b["thread"]["like_count"] == 1
    })
    .await;
    eventually("A shows the origin's count", || async {
        let on_a = ok(
            &a,
            &alice,
            Method::GET,
            &format!("/communities/garden/threads/{a_tid}"),
            None,
        )
        .await;
        on_a["thread"]["like_count"] == 1
    })
    .await;

    // C edits its thread and B deletes its comment: both go through the group to everyone.
    let c_thread = t["id"].as_i64().unwrap();
    ok(
        &c,
        &cal,
        Method::PATCH,
        &format!("/posts/{c_thread}"),
        Some(json!({"content": "Anyone still harvesting? Edited: mine are done."})),
    )
    .await;
    let b_comment = cm["id"].as_i64().unwrap();
    ok(
        &b,
        &bea,
        Method::DELETE,
        &format!("/posts/{b_comment}"),
        None,
    )
    .await;
    wait_quiet(&[&a, &b, &c]).await;
    for i in [&a, &b] {
        eventually("the edit reaches the group and its members", || async {
            i.sql_count(&format!("SELECT COUNT(*) AS n FROM posts WHERE ap_id = '{uri}' AND content_html LIKE '%mine are done%'")) == 1
        })
        .await;
    }
    for i in [&a, &c] {
        eventually("the deletion reaches the group and its members", || async {
            i.sql_count(&format!("SELECT COUNT(*) AS n FROM posts WHERE ap_id = '{cm_uri}' AND deleted_at IS NOT NULL")) == 1
        })
        .await;
    }

    // A moderator removes the remote member's thread: the deletion reaches B.
    let (s, _) = api(
        &a,
        &alice,
        Method::DELETE,
        &format!("/communities/garden/posts/{a_tid}"),
        None,
    )
    .await;
    assert_eq!(s, 204);
    wait_quiet(&[&a, &b, &c]).await;
    eventually("B removed the thread", || async {
        b.sql_count(&format!(
            "SELECT COUNT(*) AS n FROM posts WHERE ap_id = '{uri}' AND deleted_at IS NOT NULL"
        )) == 1
    })
    .await;
    assert!(thread_id(
        &ok(
            &b,
            &bea,
            Method::GET,
            &format!("/communities/{gref}/threads"),
            None
        )
        .await,
        "Tomatoes in November?"
    )
    .is_none());

    // A locked thread refuses a comment from B (A answers 403 and nothing is stored); a
    // local comment gets a clear error.
    let t2 = ok(
        &a,
        &alice,
        Method::POST,
        "/communities/garden/threads",
        Some(json!({"title": "Rules", "content": "Be kind."})),
    )
    .await;
    let a_t2 = t2["id"].as_i64().unwrap();
    wait_quiet(&[&a, &b, &c]).await;
    let (s, _) = api(
        &a,
        &alice,
        Method::PUT,
        &format!("/communities/garden/threads/{a_t2}/lock"),
        Some(json!({"locked": true})),
    )
    .await;
    assert_eq!(s, 204);
    let (s, v) = api(
        &a,
        &alice,
        Method::POST,
        &format!("/communities/garden/threads/{a_t2}/comments"),
        Some(json!({"content": "no"})),
    )
    .await;
    assert_eq!(
        (s, v["type"].as_str().unwrap()),
        (403, "urn:kogi:problem:thread_locked")
    );
    let b_t2 = thread_id(
        &ok(
            &b,
            &bea,
            Method::GET,
            &format!("/communities/{gref}/threads"),
            None,
        )
        .await,
        "Rules",
    )
    .unwrap();
    // The lock is announced (Lock): B shows it and refuses the comment itself.
    eventually("B learns of the lock", || async {
        ok(
            &b,
            &bea,
            Method::GET,
            &format!("/communities/{gref}/threads/{b_t2}"),
            None,
        )
        .await["thread"]["locked"]
            == true
    })
    .await;
    let (s, v) = api(
        &b,
        &bea,
        Method::POST,
        &format!("/communities/{gref}/threads/{b_t2}/comments"),
        Some(json!({"content": "But why?"})),
    )
    .await;
    assert_eq!(
        (s, v["type"].as_str().unwrap()),
        (403, "urn:kogi:problem:thread_locked")
    );
    for i in [&a, &b] {
        assert_eq!(
            i.sql_count("SELECT COUNT(*) AS n FROM posts WHERE content_html LIKE '%But why?%'"),
            0
        );
    }

    // A banned member cannot post or join again.
    ok(
        &a,
        &alice,
        Method::POST,
        "/communities/garden/bans",
        Some(json!({"person": format!("bea@localhost:{}", b.port), "reason": "spam"})),
    )
    .await;
    ok(
        &b,
        &bea,
        Method::POST,
        &format!("/communities/{gref}/threads"),
        Some(json!({"title": "Buy seeds", "content": "cheap"})),
    )
    .await;
    wait_quiet(&[&b]).await;
    assert_eq!(
        a.sql_count("SELECT COUNT(*) AS n FROM posts WHERE content_html LIKE '%cheap%'"),
        0
    );
}

#[tokio::test]
async fn private_communities_admit_after_approval_and_refuse_outsiders() {
    let a = Instance::start().await;
    let b = Instance::start().await;
    let c = Instance::start().await;
    let alice = a.user("alice").await;
    let olly = a.user("olly").await;
    let bea = b.user("bea").await;
    let cal = c.user("cal").await;
    ok(
        &a,
        &alice,
        Method::POST,
        "/communities",
        Some(json!({"handle": "board", "name": "Board", "visibility": "private", "kind": "team"})),
    )
    .await;
    let t = ok(
        &a,
        &alice,
        Method::POST,
        "/communities/board/threads",
        Some(json!({"title": "Budget", "content": "Numbers inside."})),
    )
    .await;
    let tid = t["id"].as_i64().unwrap();
    let gref = format!("board@localhost:{}", a.port);

    // Outsiders: HTML, API and ActivityPub refuse.
    assert_eq!(
        a.client()
            .get(a.u(&format!("/communities/board/threads/{tid}")))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let (s, _) = api(&a, &olly, Method::GET, "/communities/board/threads", None).await;
    assert_eq!(s, 403);
    let (s, _) = api(
        &a,
        "",
        Method::GET,
        &format!("/communities/board/threads/{tid}"),
        None,
    )
    .await;
    assert_eq!(s, 403);
    let ap = reqwest::Client::new()
        .get(t["uri"].as_str().unwrap())
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    assert_eq!(ap.status(), 404);
    let html = reqwest::get(a.u("/communities/board"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("Budget"));

    // A join request from B stays pending until approved.
    let r = ok(
        &b,
        &bea,
        Method::POST,
        &format!("/communities/{gref}/join"),
        None,
    )
    .await;
    assert_eq!(r["state"], "pending");
    wait_quiet(&[&a, &b]).await;
    let reqs = ok(&a, &alice, Method::GET, "/communities/board/requests", None).await;
    assert_eq!(reqs[0]["handle"], format!("bea@localhost:{}", b.port));
    assert_eq!(
        ok(&b, &bea, Method::GET, &format!("/communities/{gref}"), None).await["my_role"],
        "pending"
    );
    let (s, _) = api(
        &a,
        &olly,
        Method::POST,
        "/communities/board/requests/answer",
        Some(json!({"person": format!("bea@localhost:{}", b.port), "approve": true})),
    )
    .await;
    assert_eq!(s, 403, "only moderators answer");
    let r = ok(&a, &olly, Method::POST, "/communities/board/join", None).await;
    assert_eq!(r["state"], "pending");
    let (s, _) = api(&a, &olly, Method::GET, "/communities/board/threads", None).await;
    assert_eq!(s, 403, "pending is not a member");
    let (s, _) = api(
        &a,
        &alice,
        Method::POST,
        "/communities/board/requests/answer",
        Some(json!({"person": "olly", "approve": true})),
    )
    .await;
    assert_eq!(s, 204);
    let threads = ok(&a, &olly, Method::GET, "/communities/board/threads", None).await;
    assert_eq!(thread_id(&threads, "Budget"), Some(tid));
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
    assert_eq!(
        ok(&b, &bea, Method::GET, &format!("/communities/{gref}"), None).await["my_role"],
        "member"
    );

    // Only members read it on B too; once admitted, new threads reach B and C, and a thread
    // by B's member reaches C (C fetches it from B signed; B serves it because C has a member,
    // which it learns from the group's member list).
    let (s, _) = api(
        &c,
        &cal,
        Method::GET,
        &format!("/communities/{gref}/threads"),
        None,
    )
    .await;
    assert_eq!(s, 403, "not a member on C");
    ok(
        &c,
        &cal,
        Method::POST,
        &format!("/communities/{gref}/join"),
        None,
    )
    .await;
    wait_quiet(&[&a, &b, &c]).await;
    ok(
        &a,
        &alice,
        Method::POST,
        "/communities/board/requests/answer",
        Some(json!({"person": format!("cal@localhost:{}", c.port), "approve": true})),
    )
    .await;
    wait_quiet(&[&a, &b, &c]).await;
    ok(
        &a,
        &alice,
        Method::POST,
        "/communities/board/threads",
        Some(json!({"title": "Agenda", "content": "Items."})),
    )
    .await;
    let bt = ok(
        &b,
        &bea,
        Method::POST,
        &format!("/communities/{gref}/threads"),
        Some(json!({"title": "Minutes", "content": "From bea."})),
    )
    .await;
    let origin = reqwest::Client::new()
        .get(bt["uri"].as_str().unwrap())
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .status()
        .as_u16();
    assert_eq!(
        origin, 404,
        "a members-only post is not served to anyone who asks"
    );
    // Signed fetches: a server with a member gets it; one without (D) does not; the member
    // list goes only to members' servers.
    let d = Instance::start().await;
    let uri_b = bt["uri"].as_str().unwrap();
    let (s, body) = signed_get(&c, uri_b).await;
    assert_eq!(s, 200, "{body}");
    assert!(body.contains("Minutes"));
    assert_eq!(signed_get(&d, uri_b).await.0, 404);
    let followers = a.u("/communities/board/followers?page=1");
    let (_, for_c) = signed_get(&c, &followers).await;
    assert!(for_c.contains(&c.u("/users/cal")), "{for_c}");
    let (_, for_d) = signed_get(&d, &followers).await;
    assert!(!for_d.contains("/users/"), "{for_d}");
    let anyone = reqwest::Client::new()
        .get(&followers)
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!anyone.contains("/users/"), "{anyone}");
    wait_quiet(&[&a, &b, &c]).await;
    for (i, t) in [(&b, &bea), (&c, &cal)] {
        eventually("new threads reach the members' servers", || async {
            let v = ok(
                i,
                t,
                Method::GET,
                &format!("/communities/{gref}/threads"),
                None,
            )
            .await;
            thread_id(&v, "Agenda").is_some() && thread_id(&v, "Minutes").is_some()
        })
        .await;
        let v = ok(
            i,
            t,
            Method::GET,
            &format!("/communities/{gref}/threads"),
            None,
        )
        .await;
        assert!(
            thread_id(&v, "Budget").is_none(),
            "written before they joined"
        );
    }
    assert!(thread_id(
        &ok(&a, &alice, Method::GET, "/communities/board/threads", None).await,
        "Minutes"
    )
    .is_some());
}

#[tokio::test]
async fn a_bovine_member_gets_the_page_announced_and_forged_or_refused_activities_change_nothing() {
    let Some(python) = tool("KOGI_TEST_PYTHON") else {
        return;
    };
    let a = Instance::start().await;
    let alice = a.user("alice").await;
    ok(
        &a,
        &alice,
        Method::POST,
        "/communities",
        Some(json!({"handle": "garden", "name": "Garden club"})),
    )
    .await;
    let group = a.u("/communities/garden");
    let peer = BovinePeer::start(&python).await;
    let gref = format!("garden@localhost:{}", a.port);
    let r = peer
        .control("/control/follow", json!({"target": gref}))
        .await;
    assert_eq!(r["status"], 202, "{r}");
    eventually("bovine is accepted", || async {
        peer.received("Accept").is_some()
    })
    .await;

    // A new thread: bovine receives Announce of the Page itself and Announce(Create(Page)).
    let t = ok(
        &a,
        &alice,
        Method::POST,
        "/communities/garden/threads",
        Some(json!({"title": "Welcome", "content": "Say hello."})),
    )
    .await;
    let uri = t["uri"].as_str().unwrap().to_string();
    wait_quiet(&[&a]).await;
    let announces: Vec<Value> = peer
        .inbox()
        .into_iter()
        .filter(|r| r["activity"]["type"] == "Announce")
        .collect();
    assert!(
        announces
            .iter()
            .all(|r| r["verified"] == true && r["activity"]["actor"] == group),
        "{announces:?}"
    );
    assert!(
        announces.iter().any(|r| r["activity"]["object"] == uri),
        "Announce(Page) by id: {announces:?}"
    );
    assert!(
        announces
            .iter()
            .any(|r| r["activity"]["object"]["type"] == "Create"
                && r["activity"]["object"]["object"]["type"] == "Page"),
        "{announces:?}"
    );
    let page: Value = crate::harness::ap_get(&uri).await;
    assert_eq!(page["type"], "Page");
    assert_eq!(page["name"], "Welcome");
    assert_eq!(page["audience"], group);

    // bovine replies: stored on A as a comment of the thread and relayed.
    let reply_id = peer.u("/objects/reply-1");
    let r = peer.control("/control/send", json!({"target": gref, "activity": {
        "type": "Create", "to": [group, "https://www.w3.org/ns/activitystreams#Public"],
        "object": {"id": reply_id, "type": "Note", "attributedTo": peer.actor(), "content": "<p>Moo, hello</p>",
            "inReplyTo": uri, "to": [group, "https://www.w3.org/ns/activitystreams#Public"], "published": "2026-11-22T10:00:00Z"}}})).await;
    assert_eq!(r["status"], 202, "{r}");
    let tid = t["id"].as_i64().unwrap();
    let th = ok(
        &a,
        &alice,
        Method::GET,
        &format!("/communities/garden/threads/{tid}"),
        None,
    )
    .await;
    assert_eq!(th["comments"][0]["uri"], reply_id, "{th}");

    // A post that mentions the group, as Mastodon writes one, starts a thread titled by its
    // first line.
    let r = peer.control("/control/send", json!({"target": gref, "activity": {
        "type": "Create", "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [group],
        "object": {"id": peer.u("/objects/mention-1"), "type": "Note", "attributedTo": peer.actor(),
            "content": format!("<p><span class=\"h-card\"><a href=\"{group}\" class=\"u-url mention\">@<span>garden</span></a></span> Moo seeds for spring?</p><p>Which ones?</p>"),
            "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [group],
            "tag": [{"type": "Mention", "href": group, "name": format!("@garden@localhost:{}", a.port)}],
            "published": "2026-11-22T11:00:00Z"}}})).await;
    assert_eq!(r["status"], 202, "{r}");
    let threads = ok(&a, &alice, Method::GET, "/communities/garden/threads", None).await;
    assert!(
        thread_id(&threads, "Moo seeds for spring?").is_some(),
        "{threads}"
    );

    // A forged Announce (from a person, not the group) is not taken for a relay: nothing is
    // stored.
    let r = peer.control("/control/send", json!({"target": gref, "activity": {
        "type": "Announce", "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": {"type": "Create", "id": peer.u("/activities/x"), "actor": peer.actor(),
            "object": {"id": peer.u("/objects/forged"), "type": "Page", "name": "Forged", "attributedTo": peer.actor(), "content": "x"}}}})).await;
    assert_eq!(r["status"], 202, "accepted and ignored: {r}");
    assert_eq!(a.sql_count("SELECT COUNT(*) AS n FROM posts WHERE content_html LIKE '%Forged%' OR ap_id LIKE '%forged%'"), 0);
    // A Delete of alice's thread by someone who is not its author is refused.
    let r = peer
        .control(
            "/control/send",
            json!({"target": gref, "activity": {"type": "Delete", "object": uri}}),
        )
        .await;
    assert_eq!(r["status"], 403, "{r}");
    assert_eq!(
        a.sql_count(&format!(
            "SELECT COUNT(*) AS n FROM posts WHERE ap_id = '{uri}' AND deleted_at IS NULL"
        )),
        1
    );
    // A locked thread: bovine hears of the lock, and a reply anyway gets 403 and a Reject.
    ok(
        &a,
        &alice,
        Method::PUT,
        &format!("/communities/garden/threads/{tid}/lock"),
        Some(json!({"locked": true})),
    )
    .await;
    wait_quiet(&[&a]).await;
    assert!(
        peer.inbox()
            .iter()
            .any(|r| r["activity"]["type"] == "Announce"
                && r["activity"]["object"]["type"] == "Lock"
                && r["activity"]["object"]["object"] == uri),
        "Announce(Lock)"
    );
    let late = peer.u("/activities/late-reply");
    let r = peer.control("/control/send", json!({"target": gref, "activity": {
        "id": late, "type": "Create", "to": [group],
        "object": {"id": peer.u("/objects/late"), "type": "Note", "attributedTo": peer.actor(), "content": "late",
            "inReplyTo": uri, "to": [group]}}})).await;
    assert_eq!(r["status"], 403, "{r}");
    wait_quiet(&[&a]).await;
    assert!(
        peer.inbox()
            .iter()
            .any(|r| r["activity"]["type"] == "Reject" && r["activity"]["object"] == late),
        "Reject of the refused Create"
    );
    assert_eq!(
        a.sql_count("SELECT COUNT(*) AS n FROM posts WHERE ap_id LIKE '%objects/late%'"),
        0
    );

    // Made a moderator, the peer may remove someone else's thread: a Delete sent to the
    // group, which announces it to the members (as a Lemmy moderator's removal arrives).
    let old = ok(
        &a,
        &alice,
        Method::POST,
        "/communities/garden/threads",
        Some(json!({"title": "Old notice", "content": "Out of date."})),
    )
    .await;
    let old_uri = old["uri"].as_str().unwrap().to_string();
    ok(
        &a,
        &alice,
        Method::PUT,
        &format!(
            "/communities/garden/roles/{}",
            crate::harness::urlencode(&peer.actor())
        ),
        Some(json!({"role": "moderator"})),
    )
    .await;
    let r = peer
        .control("/control/send", json!({"target": gref, "activity": {"type": "Delete", "object": old_uri, "summary": "outdated"}}))
        .await;
    assert_eq!(r["status"], 202, "{r}");
    assert_eq!(
        a.sql_count(&format!(
            "SELECT COUNT(*) AS n FROM posts WHERE ap_id = '{old_uri}' AND deleted_at IS NOT NULL"
        )),
        1
    );
    wait_quiet(&[&a]).await;
    assert!(
        peer.inbox()
            .iter()
            .any(|r| r["activity"]["type"] == "Announce"
                && r["activity"]["object"]["type"] == "Delete"
                && r["activity"]["object"]["object"] == old_uri),
        "the removal is announced"
    );

    // A banned peer's thread is refused (403) and not stored.
    ok(
        &a,
        &alice,
        Method::POST,
        "/communities/garden/bans",
        Some(json!({"person": peer.actor()})),
    )
    .await;
    let r = peer.control("/control/send", json!({"target": gref, "activity": {
        "type": "Create", "to": [group],
        "object": {"id": peer.u("/objects/banned"), "type": "Page", "name": "Still here", "attributedTo": peer.actor(), "content": "x", "to": [group]}}})).await;
    assert_eq!(r["status"], 403, "{r}");
    assert_eq!(
        a.sql_count("SELECT COUNT(*) AS n FROM posts WHERE ap_id LIKE '%objects/banned%'"),
        0
    );
}

#[tokio::test]
async fn invites_reports_polls_and_announcements() {
    let a = Instance::start().await;
    let b = Instance::start().await;
    let alice = a.user("alice").await;
    let ivan = a.user("ivan").await;
    let olly = a.user("olly").await;
    let bea = b.user("bea").await;
    ok(&a, &alice, Method::POST, "/communities", Some(json!({"handle": "cohort", "name": "Cohort 7", "kind": "cohort", "visibility": "invite"}))).await;
    let gref = format!("cohort@localhost:{}", a.port);

    // Invite-only: without an invitation, joining is refused.
    let (s, v) = api(&a, &ivan, Method::POST, "/communities/cohort/join", None).await;
    assert_eq!(
        (s, v["type"].as_str().unwrap()),
        (403, "urn:kogi:problem:invite_only")
    );
    // An invite link admits a local person, once.
    let inv = ok(
        &a,
        &alice,
        Method::POST,
        "/communities/cohort/invites",
        Some(json!({})),
    )
    .await;
    let secret = inv["invite"].as_str().unwrap().to_string();
    assert!(inv["url"].as_str().unwrap().contains(&secret));
    let r = ok(
        &a,
        &ivan,
        Method::POST,
        "/communities/cohort/join",
        Some(json!({"invite": secret})),
    )
    .await;
    assert_eq!(r["state"], "member");
    let (s, _) = api(
        &a,
        &olly,
        Method::POST,
        "/communities/cohort/join",
        Some(json!({"invite": secret})),
    )
    .await;
    assert_eq!(s, 400, "a used link does not work twice");
    // Without an invitation, a remote person's Follow is rejected too.
    let ben = b.user("ben").await;
    ok(
        &b,
        &ben,
        Method::POST,
        &format!("/communities/{gref}/join"),
        None,
    )
    .await;
    wait_quiet(&[&a, &b]).await;
    eventually("ben's uninvited request is rejected", || async {
        ok(&b, &ben, Method::GET, &format!("/communities/{gref}"), None).await["my_role"].is_null()
    })
    .await;
    assert_eq!(
        ok(
            &a,
            &alice,
            Method::GET,
            "/communities/cohort/requests",
            None
        )
        .await,
        json!([])
    );
    // An Invite admits a remote person: B's person is told, and their Follow is accepted.
    ok(
        &a,
        &alice,
        Method::POST,
        "/communities/cohort/invites",
        Some(json!({"person": format!("bea@localhost:{}", b.port)})),
    )
    .await;
    wait_quiet(&[&a, &b]).await;
    eventually("bea was told about the invitation", || async {
        b.sql_count("SELECT COUNT(*) AS n FROM notifications WHERE kind = 'community_invite'") == 1
    })
    .await;
    ok(
        &b,
        &bea,
        Method::POST,
        &format!("/communities/{gref}/join"),
        None,
    )
    .await;
    wait_quiet(&[&a, &b]).await;
    assert_eq!(
        ok(&b, &bea, Method::GET, &format!("/communities/{gref}"), None).await["my_role"],
        "member"
    );

    // A poll: votes from A and B are counted once each (repeats change nothing); the results
    // are shown on B after a refresh.
    let t = ok(
        &a,
        &alice,
        Method::POST,
        "/communities/cohort/threads",
        Some(json!({"title": "Demo day?", "content": "Pick one.", "poll": ["Friday", "Monday"]})),
    )
    .await;
    let tid = t["id"].as_i64().unwrap();
    assert_eq!(
        t["poll"],
        json!([{"name": "Friday", "votes": 0}, {"name": "Monday", "votes": 0}])
    );
    wait_quiet(&[&a, &b]).await;
    let b_threads = ok(
        &b,
        &bea,
        Method::GET,
        &format!("/communities/{gref}/threads"),
        None,
    )
    .await;
    let b_tid = thread_id(&b_threads, "Demo day?").expect("the poll reached B");
    for _ in 0..2 {
        let (s, _) = api(
            &a,
            &ivan,
            Method::POST,
            &format!("/communities/cohort/threads/{tid}/vote"),
            Some(json!({"choices": ["Friday"]})),
        )
        .await;
        assert_eq!(s, 204);
    }
    let (s, _) = api(
        &b,
        &bea,
        Method::POST,
        &format!("/communities/{gref}/threads/{b_tid}/vote"),
        Some(json!({"choices": ["Monday"]})),
    )
    .await;
    assert_eq!(s, 204);
    let (s, v) = api(
        &b,
        &bea,
        Method::POST,
        &format!("/communities/{gref}/threads/{b_tid}/vote"),
        Some(json!({"choices": ["Monday"]})),
    )
    .await;
    assert_eq!(
        (s, v["type"].as_str().unwrap()),
        (422, "urn:kogi:problem:already_voted")
    );
    wait_quiet(&[&a, &b]).await;
    let th = ok(
        &a,
        &alice,
        Method::GET,
        &format!("/communities/cohort/threads/{tid}"),
        None,
    )
    .await;
    assert_eq!(
        th["thread"]["poll"],
        json!([{"name": "Friday", "votes": 1}, {"name": "Monday", "votes": 1}]),
        "{th}"
    );
    // The vote went to the poll's author only, and was neither stored as a comment nor relayed.
    assert_eq!(th["comments"], json!([]));
    assert_eq!(
        b.sql_count(
            "SELECT COUNT(*) AS n FROM deliveries WHERE activity_json LIKE '%\"name\":\"Monday\"%'"
        ),
        1
    );
    // B's view refreshes the results in the background: shown by a later view.
    eventually("B shows the poll's results", || async {
        let th = ok(
            &b,
            &bea,
            Method::GET,
            &format!("/communities/{gref}/threads/{b_tid}"),
            None,
        )
        .await;
        th["thread"]["poll"]
            == json!([{"name": "Friday", "votes": 1}, {"name": "Monday", "votes": 1}])
    })
    .await;

    // Reports from a local and a remote member reach the moderation queue; others cannot read it.
    ok(
        &a,
        &ivan,
        Method::POST,
        "/communities/cohort/reports",
        Some(json!({"post": tid, "reason": "off topic"})),
    )
    .await;
    let (s, _) = api(
        &b,
        &bea,
        Method::POST,
        &format!("/communities/{gref}/reports"),
        Some(json!({"post": b_tid, "reason": "spam from afar"})),
    )
    .await;
    assert_eq!(s, 202);
    wait_quiet(&[&a, &b]).await;
    let q = ok(&a, &alice, Method::GET, "/communities/cohort/reports", None).await;
    let reasons: Vec<&str> = q
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reason"].as_str().unwrap())
        .collect();
    assert!(
        reasons.contains(&"off topic") && reasons.contains(&"spam from afar"),
        "{q}"
    );
    assert!(q.as_array().unwrap().iter().all(|r| r["post_id"] == tid));
    let (s, _) = api(&a, &ivan, Method::GET, "/communities/cohort/reports", None).await;
    assert_eq!(s, 403);

    // An announcement: pinned and every local member notified.
    let t2 = ok(
        &a,
        &alice,
        Method::POST,
        "/communities/cohort/threads",
        Some(json!({"title": "Demo day is Friday", "content": "See you there."})),
    )
    .await;
    let (s, _) = api(
        &a,
        &alice,
        Method::PUT,
        &format!("/communities/cohort/threads/{}/pin", t2["id"]),
        Some(json!({"pinned": true, "announce": true})),
    )
    .await;
    assert_eq!(s, 204);
    let threads = ok(&a, &ivan, Method::GET, "/communities/cohort/threads", None).await;
    assert_eq!(threads[0]["title"], "Demo day is Friday");
    assert_eq!(threads[0]["pinned"], true);
    let n = ok(&a, &ivan, Method::GET, "/notifications", None).await;
    assert!(n.to_string().contains("announcement"), "{n}");
    // Members elsewhere are told too: their server acts on the announced pin.
    wait_quiet(&[&a, &b]).await;
    eventually("bea on B is told of the announcement", || async {
        ok(&b, &bea, Method::GET, "/notifications", None)
            .await
            .to_string()
            .contains("announcement")
    })
    .await;
    let web = b.login("bea", crate::harness::PASSWORD).await;
    let page = web
        .get(b.u("/notifications"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("made an announcement") && page.contains("invited you to join"),
        "{page}"
    );
    let featured: Value = crate::harness::ap_get(&a.u("/communities/cohort/featured")).await;
    assert_eq!(
        featured["totalItems"], 0,
        "an invite-only community does not list its threads"
    );
}

async fn community(i: &Instance, token: &str, reference: &str) -> Value {
    ok(
        i,
        token,
        Method::GET,
        &format!("/communities/{reference}"),
        None,
    )
    .await
}

fn has_moderator(view: &Value, handle: &str) -> bool {
    view["moderators"]
        .as_array()
        .is_some_and(|m| m.iter().any(|x| x["handle"] == handle))
}

#[tokio::test]
async fn profile_edits_moderator_changes_and_removals_reach_the_members_servers() {
    let a = Instance::start().await;
    let b = Instance::start().await;
    let c = Instance::start().await;
    let alice = a.user("alice").await;
    let dan = a.user("dan").await;
    let bea = b.user("bea").await;
    let cal = c.user("cal").await;
    ok(
        &a,
        &alice,
        Method::POST,
        "/communities",
        Some(json!({"handle": "makers", "name": "Makers", "description": "We build."})),
    )
    .await;
    // A thread from before anyone else joined: read from the outbox once B and C join.
    ok(
        &a,
        &alice,
        Method::POST,
        "/communities/makers/threads",
        Some(json!({"title": "Welcome, makers", "content": "Say hi."})),
    )
    .await;
    let gref = format!("makers@localhost:{}", a.port);
    for (i, t) in [(&b, &bea), (&c, &cal)] {
        ok(
            i,
            t,
            Method::POST,
            &format!("/communities/{gref}/join"),
            None,
        )
        .await;
    }
    ok(&a, &dan, Method::POST, "/communities/makers/join", None).await;
    wait_quiet(&[&a, &b, &c]).await;
    for (i, t) in [(&b, &bea), (&c, &cal)] {
        eventually(
            "the earlier thread is read from the group's outbox",
            || async {
                let v = ok(
                    i,
                    t,
                    Method::GET,
                    &format!("/communities/makers@localhost:{}/threads", a.port),
                    None,
                )
                .await;
                thread_id(&v, "Welcome, makers").is_some()
            },
        )
        .await;
    }
    let bea_handle = format!("bea@localhost:{}", b.port);
    let cal_handle = format!("cal@localhost:{}", c.port);

    // Only moderators edit; the handle is fixed; unknown kinds and fields are refused.
    let edit = json!({"description": "We build things together.", "rules": "Be kind.", "tags": ["wood", "#3d"]});
    let (s, _) = api(
        &a,
        &dan,
        Method::PATCH,
        "/communities/makers",
        Some(edit.clone()),
    )
    .await;
    assert_eq!(s, 403);
    for bad in [
        json!({"handle": "other"}),
        json!({"kind": "club"}),
        json!({"colour": "red"}),
        json!({"portfolios": ["nobody"]}),
    ] {
        let (s, v) = api(
            &a,
            &alice,
            Method::PATCH,
            "/communities/makers",
            Some(bad.clone()),
        )
        .await;
        assert_eq!(s, 422, "{bad}: {v}");
    }
    assert_eq!(
        community(&a, &alice, "makers").await["description"],
        "We build."
    );

    // A linked portfolio, an avatar and the edit: members' servers get Update(Group).
    ok(
        &a,
        &alice,
        Method::POST,
        "/portfolios",
        Some(json!({"handle": "workshop", "title": "The Workshop", "portfolio_type": "startup"})),
    )
    .await;
    ok(
        &a,
        &alice,
        Method::POST,
        "/portfolios/workshop/publish",
        None,
    )
    .await;
    // Handles are one namespace: people, portfolios and communities.
    for taken in ["alice", "makers", "workshop"] {
        let (s, v) = api(
            &a,
            &dan,
            Method::POST,
            "/communities",
            Some(json!({"handle": taken, "name": "Mine"})),
        )
        .await;
        assert_eq!(
            (s, v["type"].as_str().unwrap_or("")),
            (409, "urn:kogi:problem:handle_taken"),
            "{taken}: {v}"
        );
    }
    let (s, _) = api(
        &a,
        &dan,
        Method::POST,
        "/portfolios",
        Some(json!({"handle": "makers", "title": "Mine", "portfolio_type": "startup"})),
    )
    .await;
    assert_eq!(s, 409, "a portfolio cannot take a community's handle");
    let mut with_portfolio = edit.clone();
    with_portfolio["portfolios"] = json!(["workshop"]);
    let v = ok(
        &a,
        &alice,
        Method::PATCH,
        "/communities/makers",
        Some(with_portfolio),
    )
    .await;
    assert_eq!(v["portfolios"], json!([a.u("/portfolios/workshop")]), "{v}");
    assert_eq!(v["tags"], json!(["wood", "3d"]));
    let form = reqwest::multipart::Form::new().part(
        "avatar",
        reqwest::multipart::Part::bytes(crate::harness::png(64, 64))
            .file_name("a.png")
            .mime_str("image/png")
            .unwrap(),
    );
    let r = reqwest::Client::new()
        .put(a.u("/api/kogi/v1/communities/makers/avatar"))
        .bearer_auth(&alice)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let avatar = r.json::<Value>().await.unwrap()["avatar_url"]
        .as_str()
        .unwrap()
        .to_string();
    wait_quiet(&[&a, &b, &c]).await;
    for (i, t) in [(&b, &bea), (&c, &cal)] {
        eventually("the edited profile reaches the member's server", || async {
            let v = community(i, t, &gref).await;
            v["description"].as_str().unwrap_or("").contains("together")
                && v["rules"] == "Be kind."
                && v["tags"] == json!(["wood", "3d"])
                && v["portfolios"] == json!([a.u("/portfolios/workshop")])
                && v["avatar_url"] == avatar
        })
        .await;
    }

    // Moderator changes are announced (Add/Remove on the moderators collection).
    let (s, _) = api(
        &a,
        &dan,
        Method::PUT,
        &format!("/communities/makers/roles/{bea_handle}"),
        Some(json!({"role": "moderator"})),
    )
    .await;
    assert_eq!(s, 403, "only owners name moderators");
    ok(
        &a,
        &alice,
        Method::PUT,
        &format!("/communities/makers/roles/{bea_handle}"),
        Some(json!({"role": "moderator"})),
    )
    .await;
    assert!(has_moderator(
        &community(&a, &alice, "makers").await,
        &bea_handle
    ));
    wait_quiet(&[&a, &b, &c]).await;
    for (i, t) in [(&b, &bea), (&c, &cal)] {
        eventually(
            "the new moderator is known on the member's server",
            || async { has_moderator(&community(i, t, &gref).await, &bea_handle) },
        )
        .await;
    }
    ok(
        &a,
        &alice,
        Method::PUT,
        &format!("/communities/makers/roles/{bea_handle}"),
        Some(json!({"role": "member"})),
    )
    .await;
    wait_quiet(&[&a, &b, &c]).await;
    eventually("the moderator's removal reaches C", || async {
        !has_moderator(&community(&c, &cal, &gref).await, &bea_handle)
    })
    .await;

    // Removing a remote member tells their server (Reject of the Follow); they may rejoin.
    let (s, _) = api(
        &a,
        &dan,
        Method::DELETE,
        &format!("/communities/makers/members/{cal_handle}"),
        None,
    )
    .await;
    assert_eq!(s, 403);
    let (s, _) = api(
        &a,
        &alice,
        Method::DELETE,
        "/communities/makers/members/alice",
        None,
    )
    .await;
    assert_eq!(s, 403, "the owner stays");
    ok(
        &a,
        &alice,
        Method::DELETE,
        &format!("/communities/makers/members/{cal_handle}"),
        None,
    )
    .await;
    let (s, _) = api(
        &a,
        &alice,
        Method::DELETE,
        &format!("/communities/makers/members/{cal_handle}"),
        None,
    )
    .await;
    assert_eq!(s, 404, "already removed");
    assert_eq!(community(&a, &alice, "makers").await["members"], 3);
    wait_quiet(&[&a, &b, &c]).await;
    eventually("C learns that cal is no longer a member", || async {
        community(&c, &cal, &gref).await["my_role"].is_null()
    })
    .await;
    ok(
        &c,
        &cal,
        Method::POST,
        &format!("/communities/{gref}/join"),
        None,
    )
    .await;
    wait_quiet(&[&a, &b, &c]).await;
    assert_eq!(community(&c, &cal, &gref).await["my_role"], "member");

    // A ban does the same and keeps them out.
    ok(
        &a,
        &alice,
        Method::POST,
        "/communities/makers/bans",
        Some(json!({"person": bea_handle, "reason": "spam"})),
    )
    .await;
    wait_quiet(&[&a, &b, &c]).await;
    eventually("B learns that bea was banned", || async {
        community(&b, &bea, &gref).await["my_role"].is_null()
    })
    .await;
    ok(
        &b,
        &bea,
        Method::POST,
        &format!("/communities/{gref}/join"),
        None,
    )
    .await;
    wait_quiet(&[&a, &b, &c]).await;
    assert!(community(&b, &bea, &gref).await["my_role"].is_null());
    assert_eq!(community(&a, &alice, "makers").await["members"], 3);
}

/// A second `kogi serve --role web` process on A's database (PostgreSQL), so that a page it
/// serves gets what A's other process receives only through `LISTEN/NOTIFY`.
struct SecondWeb {
    child: std::process::Child,
    url: String,
}

impl SecondWeb {
    async fn start(a: &Instance) -> SecondWeb {
        let port = crate::harness::free_port();
        let log = std::fs::File::create(a.dir.path().join("web2.log")).unwrap();
        let child = a
            .command()
            .env("KOGI_LISTEN", format!("127.0.0.1:{port}"))
            .args(["serve", "--role", "web"])
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let url = format!("http://localhost:{port}");
        eventually("the second web process is ready", || async {
            reqwest::get(format!("{url}/readyz"))
                .await
                .is_ok_and(|r| r.status().is_success())
        })
        .await;
        SecondWeb { child, url }
    }
}

impl Drop for SecondWeb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn chat_texts(b: &crate::browser::Browser) -> String {
    b.client
        .execute(
            "return document.getElementById('chat-log').innerText",
            vec![],
        )
        .await
        .unwrap()
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn chat_messages_arrive_live_in_the_page_and_reach_members_servers_only() {
    use crate::browser::{browser_login, check_pages, click, fill, Browser};
    let Some(browser) = Browser::start().await else {
        return;
    };
    let a = Instance::start().await;
    let b = Instance::start().await;
    let c = Instance::start().await;
    let d = Instance::start().await;
    let alice = a.user("alice").await;
    let bea = b.user("bea").await;
    let cal = c.user("cal").await;
    let dan = d.user("dan").await;
    ok(&a, &alice, Method::POST, "/communities", Some(json!({"handle": "studio", "name": "Night Studio", "description": "Late-night makers.", "visibility": "private"}))).await;
    let gref = format!("studio@localhost:{}", a.port);
    for (i, t) in [(&b, &bea), (&c, &cal), (&d, &dan)] {
        let r = ok(
            i,
            t,
            Method::POST,
            &format!("/communities/{gref}/join"),
            None,
        )
        .await;
        assert_eq!(r["state"], "pending");
    }
    // D follows alice (so A does deliver to D) but is never admitted to the community.
    ok(
        &d,
        &dan,
        Method::POST,
        "/follows",
        Some(json!({"target": format!("alice@localhost:{}", a.port)})),
    )
    .await;
    wait_quiet(&[&a, &b, &c, &d]).await;
    for who in [
        format!("bea@localhost:{}", b.port),
        format!("cal@localhost:{}", c.port),
    ] {
        ok(
            &a,
            &alice,
            Method::POST,
            "/communities/studio/requests/answer",
            Some(json!({"person": who, "approve": true})),
        )
        .await;
    }
    for t in ["Kiln schedule", "Open night on Friday"] {
        ok(
            &a,
            &alice,
            Method::POST,
            "/communities/studio/threads",
            Some(json!({"title": t, "content": "Details inside."})),
        )
        .await;
    }
    wait_quiet(&[&a, &b, &c, &d]).await;
    assert_eq!(
        ok(&b, &bea, Method::GET, &format!("/communities/{gref}"), None).await["my_role"],
        "member"
    );

    // Non-members get no chat, here or there.
    let (s, _) = api(
        &d,
        &dan,
        Method::GET,
        &format!("/communities/{gref}/chat"),
        None,
    )
    .await;
    assert_eq!(s, 403);
    let (s, _) = api(
        &a,
        &a.user("eve").await,
        Method::POST,
        "/communities/studio/chat",
        Some(json!({"content": "let me in"})),
    )
    .await;
    assert_eq!(s, 403);
    let (s, _) = api(
        &b,
        &bea,
        Method::POST,
        &format!("/communities/{gref}/chat"),
        Some(json!({"content": "  "})),
    )
    .await;
    assert_eq!(s, 422);
    let (s, _) = api(
        &b,
        &bea,
        Method::POST,
        &format!("/communities/{gref}/chat"),
        Some(json!({"content": "x".repeat(1001)})),
    )
    .await;
    assert_eq!(s, 422);

    // alice opens the chat (on PostgreSQL through a second web process, which hears of
    // messages received by the first only by LISTEN/NOTIFY).
    let second = if crate::harness::sqlite_only() {
        None
    } else {
        Some(SecondWeb::start(&a).await)
    };
    let page_base = second.as_ref().map_or(a.url.clone(), |s| s.url.clone());
    browser.viewport(1280, 900).await;
    browser_login(&browser, &a, "alice").await;
    browser
        .client
        .goto(&format!("{page_base}/communities/studio/chat"))
        .await
        .unwrap();
    eventually("the page's event stream is open", || async {
        browser
            .client
            .execute(
                "return document.getElementById('chat-log').getAttribute('data-live')",
                vec![],
            )
            .await
            .is_ok_and(|v| v == "true")
    })
    .await;
    crate::browser::mark_page(&browser).await;

    // bea writes on B; it reaches the open page without a reload.
    let sent = ok(
        &b,
        &bea,
        Method::POST,
        &format!("/communities/{gref}/chat"),
        Some(json!({"content": "Hello from B, kiln is hot"})),
    )
    .await;
    let bea_uri = sent["uri"].as_str().unwrap().to_string();
    assert!(bea_uri.starts_with(&b.u("/chat/")));
    eventually("bea's message appears live on A's page", || async {
        chat_texts(&browser)
            .await
            .contains("Hello from B, kiln is hot")
    })
    .await;
    let same_page = browser
        .client
        .execute("return window.__kogiOldPage === true", vec![])
        .await
        .unwrap();
    assert_eq!(same_page, true, "the message came without a reload");

    // alice answers through the form; bea and cal see it on their servers.
    fill(&browser, "#chat-content", "Welcome, bea!").await;
    click(&browser, "main form button[type=submit]").await;
    assert!(chat_texts(&browser).await.contains("Welcome, bea!"));
    wait_quiet(&[&a, &b, &c, &d]).await;
    for (i, t) in [(&b, &bea), (&c, &cal)] {
        eventually("the chat reaches the member's server", || async {
            let v = ok(
                i,
                t,
                Method::GET,
                &format!("/communities/{gref}/chat"),
                None,
            )
            .await;
            let s = v.to_string();
            s.contains("Hello from B, kiln is hot") && s.contains("Welcome, bea!")
        })
        .await;
    }
    // A page reconnecting after a drop (Last-Event-ID) gets what it missed first.
    let web = a.login("alice", crate::harness::PASSWORD).await;
    let mut stream = web
        .get(a.u("/communities/studio/chat/stream"))
        .header("last-event-id", "0")
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    let mut seen = String::new();
    while !(seen.contains("kiln is hot") && seen.contains("Welcome, bea")) {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), stream.chunk())
            .await
            .expect("missed messages are sent at once")
            .unwrap()
            .expect("the stream stays open");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(seen.contains("event: message"), "{seen}");
    drop(stream);
    let (s, _) = (
        reqwest::get(a.u("/communities/studio/chat/stream"))
            .await
            .unwrap()
            .status()
            .as_u16(),
        (),
    );
    assert_eq!(s, 403, "no stream for someone not signed in");

    // C took bea's message from B (its origin), where it is served at its unguessable id.
    let note: Value = crate::harness::ap_get(&bea_uri).await;
    assert_eq!(note["type"], "Note");
    assert_eq!(note["to"], json!([a.u("/communities/studio")]));
    let (s, _) = (
        reqwest::get(b.u("/chat/not-a-message"))
            .await
            .unwrap()
            .status()
            .as_u16(),
        (),
    );
    assert_eq!(s, 404);

    // Never a post, a timeline entry or an outbox item anywhere; nothing for D.
    for i in [&a, &b, &c, &d] {
        assert_eq!(i.sql_count("SELECT COUNT(*) AS n FROM posts WHERE content_html LIKE '%kiln is hot%' OR content_html LIKE '%Welcome, bea%'"), 0);
    }
    for url in [
        a.u("/communities/studio/outbox?page=true"),
        b.u("/users/bea/outbox?page=true"),
        a.u("/users/alice/outbox?page=true"),
    ] {
        let body = reqwest::Client::new()
            .get(&url)
            .header("accept", "application/activity+json")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            !body.contains("kiln is hot") && !body.contains("Welcome, bea"),
            "{url}: {body}"
        );
    }
    ok(
        &a,
        &alice,
        Method::POST,
        "/posts",
        Some(json!({"content": "Public note for everyone", "visibility": "public"})),
    )
    .await;
    wait_quiet(&[&a, &b, &c, &d]).await;
    eventually("D does get alice's public posts", || async {
        d.sql_count(
            "SELECT COUNT(*) AS n FROM posts WHERE content_html LIKE '%Public note for everyone%'",
        ) == 1
    })
    .await;
    assert_eq!(d.sql_count("SELECT COUNT(*) AS n FROM community_chat"), 0);
    assert_eq!(
        a.sql_count(&format!("SELECT COUNT(*) AS n FROM deliveries WHERE inbox_url LIKE '%localhost:{}/%' AND (activity_json LIKE '%kiln is hot%' OR activity_json LIKE '%Welcome, bea%')", d.port)),
        0
    );

    // Screenshots of the community page and its chat; both pages pass axe at both widths.
    if crate::harness::sqlite_only() {
        let problems = check_pages(
            &browser,
            &a,
            "alice",
            &["/communities/studio", "/communities/studio/chat"],
        )
        .await;
        assert!(problems.is_empty(), "{}", problems.join("\n"));
        for (w, h) in [(390u32, 844u32), (1280, 900)] {
            browser.viewport(w, h).await;
            browser
                .client
                .goto(&a.u("/communities/studio"))
                .await
                .unwrap();
            browser.screenshot(&format!("community-{w}")).await;
            browser
                .client
                .goto(&a.u("/communities/studio/chat"))
                .await
                .unwrap();
            browser.screenshot(&format!("chat-{w}")).await;
        }
    }
    drop(second);
}

#[tokio::test]
async fn chromium_runs_a_community_through_its_pages() {
    use crate::browser::{browser_login, check_pages, click, fill, main_text, Browser};
    if !crate::harness::sqlite_only() {
        return;
    }
    let Some(br) = Browser::start().await else {
        return;
    };
    let a = Instance::start().await;
    let b = Instance::start().await;
    for n in ["maya", "otto", "nina"] {
        a.user(n).await;
    }
    b.user("lena").await;
    br.viewport(390, 844).await;

    // maya starts a private community from "My communities".
    browser_login(&br, &a, "maya").await;
    br.client.goto(&a.u("/communities")).await.unwrap();
    assert!(main_text(&br)
        .await
        .contains("You are not in any community yet."));
    click(&br, "details.card > summary").await;
    fill(&br, "#c-handle", "ceramics").await;
    fill(&br, "#c-name", "Ceramics Lab").await;
    fill(&br, "#c-description", "Clay, glaze, kiln.").await;
    br.client
        .find(fantoccini::Locator::Css(
            "#c-visibility option[value=private]",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    click(&br, "form[action='/communities'] button[type=submit]").await;
    assert!(br
        .client
        .current_url()
        .await
        .unwrap()
        .path()
        .ends_with("/communities/ceramics"));
    assert!(main_text(&br).await.contains("Your community is ready."));
    assert_eq!(
        a.sql_count("SELECT COUNT(*) AS n FROM communities WHERE visibility = 'private'"),
        1
    );

    // otto finds it and asks to join; maya approves in the moderation queue.
    browser_login(&br, &a, "otto").await;
    br.client
        .goto(&a.u("/communities/find?q=ceramics"))
        .await
        .unwrap();
    assert!(main_text(&br)
        .await
        .contains("Only members see this community's threads."));
    click(&br, "form[action$='/join'] button[type=submit]").await;
    assert!(main_text(&br)
        .await
        .contains("Your request to join was sent."));
    browser_login(&br, &a, "maya").await;
    br.client
        .goto(&a.u("/communities/ceramics/moderation"))
        .await
        .unwrap();
    click(&br, "button[value=approve][type=submit]").await;
    assert!(main_text(&br).await.contains("No one is waiting."));

    // otto starts a thread with a poll, votes once, and comments.
    browser_login(&br, &a, "otto").await;
    br.client.goto(&a.u("/communities/ceramics")).await.unwrap();
    click(&br, "details.card > summary").await;
    fill(&br, "#thread-title", "Glaze night").await;
    fill(&br, "#thread-content", "Which evening works?").await;
    fill(&br, "#thread-poll", "Tuesday\nThursday").await;
    click(&br, "form[action$='/threads'] button[type=submit]").await;
    let thread_path = br.client.current_url().await.unwrap().path().to_string();
    assert!(
        thread_path.starts_with("/communities/ceramics/threads/"),
        "{thread_path}"
    );
    click(&br, "input[name=choice][value=Thursday]").await;
    click(&br, "form[action$='/vote'] button[type=submit]").await;
    let text = main_text(&br).await;
    assert!(
        text.contains("Your vote was counted.") && text.contains("Thursday: 1 votes"),
        "{text}"
    );
    assert!(
        br.client
            .find(fantoccini::Locator::Css("form[action$='/vote']"))
            .await
            .is_err(),
        "one vote only"
    );
    fill(
        &br,
        "#comment-content",
        "Thursday please, the kiln is free.",
    )
    .await;
    click(&br, "form[action$='/comments'] button[type=submit]").await;
    assert!(main_text(&br).await.contains("the kiln is free"));
    let comment =
        a.sql_count("SELECT id AS n FROM posts WHERE content_html LIKE '%the kiln is free%'");
    // otto reports his own comment by mistake; it lands in the queue.
    click(
        &br,
        &format!("#comment-{comment} form[action$='/report'] button[type=submit]"),
    )
    .await;
    assert!(main_text(&br)
        .await
        .contains("The moderators will look at it."));

    // maya pins and locks the thread, removes the reported comment, names otto moderator.
    browser_login(&br, &a, "maya").await;
    br.client.goto(&a.u(&thread_path)).await.unwrap();
    click(&br, "button[value=pin][type=submit]").await;
    click(&br, "button[value=lock][type=submit]").await;
    let text = main_text(&br).await;
    assert!(
        text.contains("Pinned") && text.contains("This thread is locked"),
        "{text}"
    );
    br.client
        .goto(&a.u("/communities/ceramics/moderation"))
        .await
        .unwrap();
    assert!(main_text(&br).await.contains("the kiln is free"));
    click(&br, ".report-row button[value=remove][type=submit]").await;
    assert_eq!(
        a.sql_count(&format!(
            "SELECT COUNT(*) AS n FROM posts WHERE id = {comment} AND deleted_at IS NOT NULL"
        )),
        1
    );
    br.client
        .goto(&a.u("/communities/ceramics/moderation"))
        .await
        .unwrap();
    click(&br, "button[value=resolve][type=submit]").await;
    assert!(main_text(&br).await.contains("No open reports."));
    br.client
        .goto(&a.u("/communities/ceramics/members"))
        .await
        .unwrap();
    click(&br, "button[value=moderator][type=submit]").await;
    assert_eq!(
        a.sql_count("SELECT COUNT(*) AS n FROM community_roles WHERE role = 'moderator'"),
        1
    );
    // The profile editor: description, tags and an avatar; the page shows them.
    br.client
        .goto(&a.u("/communities/ceramics/edit"))
        .await
        .unwrap();
    fill(&br, "#e-description", "Clay, glaze, kiln. Thursdays.").await;
    fill(&br, "#e-tags", "clay, kiln").await;
    click(&br, "form[action$='/edit'] button[type=submit]").await;
    assert!(main_text(&br)
        .await
        .contains("The community's profile has been saved."));
    let file = a.dir.path().join("logo.png");
    std::fs::write(&file, crate::harness::png(128, 128)).unwrap();
    br.client
        .find(fantoccini::Locator::Css("#p-avatar"))
        .await
        .unwrap()
        .send_keys(&file.display().to_string())
        .await
        .unwrap();
    click(&br, "form:has(#p-avatar) button[type=submit]").await;
    assert!(main_text(&br)
        .await
        .contains("The community's profile has been saved."));
    br.client.goto(&a.u("/communities/ceramics")).await.unwrap();
    let text = main_text(&br).await;
    assert!(
        text.contains("Thursdays.") && text.contains("#kiln"),
        "{text}"
    );
    assert!(br
        .client
        .find(fantoccini::Locator::Css("img.community-avatar"))
        .await
        .is_ok());

    // An invite link, shown once.
    br.client
        .goto(&a.u("/communities/ceramics/moderation"))
        .await
        .unwrap();
    click(&br, "button[value=invite_link][type=submit]").await;
    let link = br
        .client
        .find(fantoccini::Locator::Css("#invite-link"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    assert!(link.contains("/communities/ceramics?invite="), "{link}");
    // nina opens the link and is a member at once.
    browser_login(&br, &a, "nina").await;
    br.client.goto(&link).await.unwrap();
    click(&br, "form[action$='/join'] button[type=submit]").await;
    assert!(main_text(&br)
        .await
        .contains("Welcome! You are a member now."));
    // maya removes nina from the members page, then bans her; she cannot join again.
    browser_login(&br, &a, "maya").await;
    let nina = format!("nina@localhost:{}", a.port);
    // The members page answers by the listed actor id.
    let row = format!(
        "form:has(input[name=person][value='{}'])",
        a.u("/users/nina")
    );
    br.client
        .goto(&a.u("/communities/ceramics/members"))
        .await
        .unwrap();
    click(&br, &format!("{row} button[value=remove][type=submit]")).await;
    assert!(!main_text(&br).await.contains(&nina));
    browser_login(&br, &a, "nina").await;
    br.client.goto(&link).await.unwrap();
    click(&br, "form[action$='/join'] button[type=submit]").await;
    let text = main_text(&br).await;
    assert!(
        text.contains("This invite link was already used"),
        "a used link does not admit twice: {text}"
    );
    click(&br, "form[action$='/join'] button[type=submit]").await;
    assert!(main_text(&br)
        .await
        .contains("Your request to join was sent."));
    browser_login(&br, &a, "maya").await;
    br.client
        .goto(&a.u("/communities/ceramics/moderation"))
        .await
        .unwrap();
    click(&br, "button[value=approve][type=submit]").await;
    br.client
        .goto(&a.u("/communities/ceramics/members"))
        .await
        .unwrap();
    click(&br, &format!("{row} button[value=ban][type=submit]")).await;
    assert_eq!(a.sql_count("SELECT COUNT(*) AS n FROM community_bans"), 1);
    browser_login(&br, &a, "nina").await;
    br.client.goto(&a.u("/communities/ceramics")).await.unwrap();
    assert!(main_text(&br)
        .await
        .contains("You are banned from this community."));
    assert!(br
        .client
        .find(fantoccini::Locator::Css("form[action$='/join']"))
        .await
        .is_err());

    // A comment on the locked thread is refused with a message, and nothing is stored.
    browser_login(&br, &a, "otto").await;
    br.client.goto(&a.u(&thread_path)).await.unwrap();
    assert!(br
        .client
        .find(fantoccini::Locator::Css("#comment-content"))
        .await
        .is_err());
    let web = a.login("otto", crate::harness::PASSWORD).await;
    let csrf = crate::harness::csrf(&web, &a.u(&thread_path)).await;
    let r = web
        .post(a.u(&format!("{thread_path}/comments")))
        .form(&[("csrf_token", csrf.as_str()), ("content", "sneaky")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], thread_path.as_str());
    let page = web
        .get(a.u(&thread_path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("role=\"alert\"") && page.contains("This thread is locked"),
        "{page}"
    );
    assert_eq!(
        a.sql_count("SELECT COUNT(*) AS n FROM posts WHERE content_html LIKE '%sneaky%'"),
        0
    );

    // Every page passes axe and fits a phone and a desktop.
    let pages = [
        "/communities".to_string(),
        "/communities/ceramics".into(),
        thread_path.clone(),
        "/communities/ceramics/members".into(),
        "/communities/ceramics/moderation".into(),
        "/communities/ceramics/edit".into(),
        "/communities/ceramics/chat".into(),
    ];
    let pages: Vec<&str> = pages.iter().map(String::as_str).collect();
    let problems = check_pages(&br, &a, "otto", &pages).await;
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    br.viewport(1280, 900).await;
    br.client.goto(&a.u(&thread_path)).await.unwrap();
    br.screenshot("community-thread-1280").await;

    // lena on B finds the community by !name@host, asks to join and waits for approval.
    browser_login(&br, &b, "lena").await;
    br.client
        .goto(&b.u(&format!(
            "/communities/find?q=!ceramics@localhost:{}",
            a.port
        )))
        .await
        .unwrap();
    assert!(main_text(&br).await.contains("Ceramics Lab"));
    click(&br, "form[action$='/join'] button[type=submit]").await;
    assert!(main_text(&br)
        .await
        .contains("Your request to join was sent."));
    wait_quiet(&[&a, &b]).await;
    let lena = format!("lena@localhost:{}", b.port);
    let maya = a.token("maya", crate::harness::PASSWORD).await;
    ok(
        &a,
        &maya,
        Method::POST,
        "/communities/ceramics/requests/answer",
        Some(json!({"person": lena, "approve": true})),
    )
    .await;
    wait_quiet(&[&a, &b]).await;
    br.client.goto(&b.u("/communities")).await.unwrap();
    let text = main_text(&br).await;
    assert!(
        text.contains("Ceramics Lab") && text.contains("Member"),
        "{text}"
    );
    let problems = check_pages(&br, &b, "lena", &["/communities"]).await;
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Serves captured Lemmy documents (`shared/fixtures/activitypub/lemmy`) as a Lemmy
/// instance on loopback would, their ids moved to it: WebFinger, the community `testcom`, its
/// outbox (two threads by `nutomic`), and people. A stand-in for a Lemmy server, which this
/// machine cannot run; it only answers reads.
async fn captured_lemmy() -> (
    String,
    tokio::task::JoinHandle<()>,
    std::sync::Arc<std::sync::Mutex<Vec<Value>>>,
) {
    use axum::extract::{Path as P, Query};
    use axum::response::IntoResponse;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures/activitypub/lemmy");
    let read = |p: &str| std::fs::read_to_string(root.join(p)).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://localhost:{}", listener.local_addr().unwrap().port());
    let group = read("objects/group.json")
        .replace(
            "https://enterprise.lemmy.ml/c/tenforward",
            &format!("{base}/c/testcom"),
        )
        .replace("https://enterprise.lemmy.ml", &base)
        .replace("\"tenforward\"", "\"testcom\"");
    let outbox = read("collections/group_outbox.json")
        .replace("https://ds9.lemmy.ml", &base)
        .replace("http://ds9.lemmy.ml", &base);
    let person = read("objects/person.json");
    let ap = |body: String| {
        (
            [(
                axum::http::header::CONTENT_TYPE,
                "application/activity+json",
            )],
            body,
        )
            .into_response()
    };
    let b2 = base.clone();
    let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Value>::new()));
    let inbox = {
        let received = received.clone();
        move |body: axum::body::Bytes| {
            let received = received.clone();
            async move {
                if let Ok(v) = serde_json::from_slice::<Value>(&body) {
                    received.lock().unwrap().push(v);
                }
                axum::http::StatusCode::ACCEPTED
            }
        }
    };
    let app = axum::Router::new()
        .route("/c/testcom/inbox", axum::routing::post(inbox.clone()))
        .route("/inbox", axum::routing::post(inbox))
        .route(
            "/.well-known/webfinger",
            axum::routing::get(move |Query(q): Query<std::collections::HashMap<String, String>>| {
                let base = b2.clone();
                async move {
                    let host = base.trim_start_matches("http://");
                    if q.get("resource").map(String::as_str) != Some(&format!("acct:testcom@{host}")) {
                        return axum::http::StatusCode::NOT_FOUND.into_response();
                    }
                    axum::Json(json!({"subject": format!("acct:testcom@{host}"), "links": [
                        {"rel": "self", "type": "application/activity+json", "href": format!("{base}/c/testcom")}]}))
                        .into_response()
                }
            }),
        )
        .route("/c/testcom", axum::routing::get(move || { let g = group.clone(); async move { ap(g) } }))
        .route("/c/testcom/outbox", axum::routing::get(move || { let o = outbox.clone(); async move { ap(o) } }))
        .route(
            "/u/{name}",
            axum::routing::get({
                let base = base.clone();
                move |P(name): P<String>| {
                    let doc = person
                        .replace("https://enterprise.lemmy.ml/u/picard", &format!("{base}/u/{name}"))
                        .replace("https://enterprise.lemmy.ml", &base)
                        .replace("\"picard\"", &format!("\"{name}\""));
                    async move { ap(doc) }
                }
            }),
        );
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (base, task, received)
}

#[tokio::test]
async fn a_lemmy_community_is_found_read_joined_and_written_in() {
    let (base, server, received) = captured_lemmy().await;
    let b = Instance::start().await;
    let bea = b.user("bea").await;
    let host = base.trim_start_matches("http://");
    let v = ok(
        &b,
        &bea,
        Method::GET,
        &format!("/communities/!testcom@{host}"),
        None,
    )
    .await;
    assert_eq!(
        (v["name"].as_str(), v["local"].as_bool()),
        (Some("Ten Forward"), Some(false)),
        "{v}"
    );
    assert_eq!(v["visibility"], "public");
    // The outbox is read in the background after the first view.
    eventually("B read the group's outbox", || async {
        let threads = ok(
            &b,
            &bea,
            Method::GET,
            &format!("/communities/testcom@{host}/threads"),
            None,
        )
        .await;
        ["outbox test", "another outbox test"]
            .iter()
            .all(|t| thread_id(&threads, t).is_some())
    })
    .await;
    let threads = ok(
        &b,
        &bea,
        Method::GET,
        &format!("/communities/testcom@{host}/threads"),
        None,
    )
    .await;
    assert_eq!(
        threads[0]["author"]["handle"],
        format!("nutomic@{host}"),
        "{threads}"
    );
    // The same by URL, and the page shows them; nothing is read twice.
    ok(
        &b,
        &bea,
        Method::GET,
        &format!(
            "/communities/{}",
            crate::harness::urlencode(&format!("{base}/c/testcom"))
        ),
        None,
    )
    .await;
    assert_eq!(b.sql_count("SELECT COUNT(*) AS n FROM community_posts"), 2);
    let web = b.login("bea", crate::harness::PASSWORD).await;
    let html = web
        .get(b.u(&format!("/communities/testcom@{host}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("another outbox test") && html.contains("Ten Forward"));

    // Joining, a thread and a comment reach the Lemmy group's inbox in the shape Lemmy takes.
    let group = format!("{base}/c/testcom");
    ok(
        &b,
        &bea,
        Method::POST,
        &format!("/communities/testcom@{host}/join"),
        None,
    )
    .await;
    ok(
        &b,
        &bea,
        Method::POST,
        &format!("/communities/testcom@{host}/threads"),
        Some(json!({"title": "Hello from Kogi", "content": "A #kogi thread."})),
    )
    .await;
    let tid = thread_id(&threads, "outbox test").unwrap();
    ok(
        &b,
        &bea,
        Method::POST,
        &format!("/communities/testcom@{host}/threads/{tid}/comments"),
        Some(json!({"content": "And a comment."})),
    )
    .await;
    wait_quiet(&[&b]).await;
    let got = received.lock().unwrap().clone();
    let bea_id = b.u("/users/bea");
    assert!(
        got.iter()
            .any(|a| a["type"] == "Follow" && a["object"] == group && a["actor"] == bea_id),
        "{got:?}"
    );
    let page = got
        .iter()
        .find(|a| a["type"] == "Create" && a["object"]["type"] == "Page")
        .unwrap_or_else(|| panic!("{got:?}"));
    let o = &page["object"];
    assert_eq!(
        (&o["name"], &o["attributedTo"], &o["audience"]),
        (&json!("Hello from Kogi"), &json!(bea_id), &json!(group))
    );
    assert!(
        o["to"].as_array().unwrap().contains(&json!(group))
            && o["to"]
                .as_array()
                .unwrap()
                .contains(&json!("https://www.w3.org/ns/activitystreams#Public"))
    );
    assert!(
        o["content"].as_str().unwrap().contains("thread")
            && o["source"]["mediaType"] == "text/markdown"
    );
    let note = got
        .iter()
        .find(|a| a["type"] == "Create" && a["object"]["type"] == "Note")
        .unwrap_or_else(|| panic!("{got:?}"));
    assert_eq!(note["object"]["inReplyTo"], format!("{base}/post/2327"));
    assert_eq!(note["object"]["audience"], group);
    server.abort();
}
