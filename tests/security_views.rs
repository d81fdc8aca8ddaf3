//! Security: views never wait on other servers (a page or API view of a remote post or
//! portfolio serves what is stored and refreshes in the background, bounded and throttled),
//! and answers address the actor Kogi listed, not its WebFinger (a peer without WebFinger is
//! approved, and a compact `Undo` by id undoes only its own actor's reaction or follow).

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::{api, api_ok as ok, eventually, urlencode, wait_quiet, Instance, Opts};
use crate::hostile::{Answer, HostilePeer};

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// An instance whose fetches wait up to a minute, so that a view waiting on a hanging peer
/// is plainly seen, with the default refresh interval (a minute per object).
async fn patient_instance() -> Instance {
    Instance::start_with(
        Opts::default()
            .env("KOGI_FEDERATION_FETCH_TIMEOUT_SECS", "60")
            .env("KOGI_FEDERATION_REFRESH_INTERVAL_SECS", "60"),
    )
    .await
}

/// GETs `url` (with `token` as bearer when not empty) and returns the status and how long
/// the answer took.
async fn timed_get(url: &str, token: &str) -> (u16, Duration) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(90))
        .build()
        .unwrap();
    let mut r = client.get(url);
    if !token.is_empty() {
        r = r.bearer_auth(token);
    }
    let started = Instant::now();
    let status = r.send().await.map(|r| r.status().as_u16()).unwrap_or(0);
    (status, started.elapsed())
}

async fn prompt(url: &str, token: &str) {
    let (status, took) = timed_get(url, token).await;
    assert_eq!(status, 200, "GET {url}");
    assert!(
        took < Duration::from_secs(5),
        "GET {url} waited {took:?} on a hanging server"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn views_of_a_remote_post_do_not_wait_on_its_server() {
    let a = patient_instance().await;
    let alice = a.user("alice").await;
    ok(
        &a,
        &alice,
        Method::POST,
        "/communities",
        Some(json!({"handle": "plaza", "name": "Plaza", "description": "Anyone."})),
    )
    .await;
    let group = a.u("/communities/plaza");
    let peer = HostilePeer::start().await;
    let mallory = peer.actor("mallory", "Person");
    let post_path = "/posts/1";
    let post_id = peer.u(post_path);
    let page = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": post_id,
        "type": "Page",
        "name": "Free kittens",
        "attributedTo": mallory,
        "content": "<p>Come and see.</p>",
        "to": [group, PUBLIC],
        "audience": group,
        "published": "2026-12-01T10:00:00Z",
        "likes": {"type": "Collection", "totalItems": 3},
        "shares": {"type": "Collection", "totalItems": 1},
    });
    peer.serve(post_path, page.clone());
    let (s, body) = peer
        .post_as(
            "mallory",
            &a.u("/communities/plaza/inbox"),
            &json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": peer.u("/posts/1/activity"),
                "type": "Create",
                "actor": mallory,
                "to": [group, PUBLIC],
                "object": page,
            }),
        )
        .await;
    assert!((200..300).contains(&s), "{s} {body}");
    let pid = a.sql_count(&format!(
        "SELECT id AS n FROM posts WHERE ap_id = '{post_id}'"
    ));
    assert!(pid > 0);
    wait_quiet(&[&a]).await;

    // From now on the post's origin never answers.
    peer.answer(post_path, Answer::Hang);
    let before = peer.hits(post_path);
    for _ in 0..10 {
        prompt(&a.u(&format!("/communities/plaza/threads/{pid}")), "").await;
    }
    prompt(
        &a.u(&format!("/api/kogi/v1/communities/plaza/threads/{pid}")),
        "",
    )
    .await;
    prompt(&a.u(&format!("/api/kogi/v1/posts/{pid}")), &alice).await;
    prompt(
        &a.u(&format!("/api/kogi/v1/communities/plaza/threads/{pid}")),
        &alice,
    )
    .await;
    // Give a background refresh time to reach the peer, then count.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let fetched = peer.hits(post_path) - before;
    assert!(
        fetched <= 1,
        "{fetched} fetches of the post for thirteen views"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn views_of_a_remote_portfolio_do_not_wait_on_its_server() {
    let a = patient_instance().await;
    let alice = a.user("alice").await;
    let peer = HostilePeer::start().await;
    let studio = peer.actor("studio", "Organization");
    let (actor_path, items_path, projects_path) = (
        "/users/studio",
        "/users/studio/items",
        "/users/studio/projects",
    );
    let mut doc = peer.actor_doc("studio", "Organization");
    doc["kogi:portfolioType"] = json!("creative");
    doc["kogi:items"] = json!(peer.u(items_path));
    doc["kogi:projects"] = json!(peer.u(projects_path));
    doc["attributedTo"] = json!([studio]);
    peer.serve(actor_path, doc);
    let item = json!({
        "id": peer.u("/items/1"),
        "type": "Article",
        "kogi:kind": "item",
        "name": "Glazed bowls",
        "attributedTo": studio,
        "content": "<p>Twelve bowls.</p>",
        "to": [PUBLIC],
        "published": "2026-12-01T10:00:00Z",
    });
    peer.serve("/items/1", item.clone());
    let big: Vec<Value> = (0..400)
        .map(|i| {
            let mut x = item.clone();
            x["id"] = json!(peer.u(&format!("/items/{}", i + 2)));
            x["name"] = json!(format!("Bowl {i}"));
            x
        })
        .collect();
    peer.serve(
        items_path,
        json!({"type": "OrderedCollection", "totalItems": big.len(), "orderedItems": big}),
    );
    peer.serve(
        projects_path,
        json!({"type": "OrderedCollection", "totalItems": 0, "orderedItems": []}),
    );
    // The portfolio reaches A with one of its items (A fetches the actor to check the
    // signature); no one has viewed it yet.
    let (s, body) = peer
        .post_as(
            "studio",
            &a.u("/inbox"),
            &json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": peer.u("/items/1/activity"),
                "type": "Create",
                "actor": studio,
                "to": [PUBLIC],
                "object": item,
            }),
        )
        .await;
    assert!((200..300).contains(&s), "{s} {body}");
    let rid = a.sql_count(&format!(
        "SELECT a.id AS n FROM actors a JOIN portfolios p ON p.actor_id = a.id WHERE a.ap_id = '{studio}'"
    ));
    assert!(rid > 0, "A stored the remote portfolio");

    // From now on the portfolio's server never answers.
    for p in [actor_path, items_path, projects_path] {
        peer.answer(p, Answer::Hang);
    }
    let before: Vec<usize> = [actor_path, items_path, projects_path]
        .iter()
        .map(|p| peer.hits(p))
        .collect();
    for _ in 0..10 {
        prompt(&a.u(&format!("/remote-portfolios/{rid}")), "").await;
    }
    let by_url = format!("/api/kogi/v1/portfolios/{}", urlencode(&studio));
    // By handle too: a portfolio known here is served as stored, with no WebFinger (which
    // this server does not even have).
    let by_handle = format!("/api/kogi/v1/portfolios/studio@{}", peer.host());
    for _ in 0..3 {
        prompt(&a.u(&by_url), "").await;
        prompt(&a.u(&by_url), &alice).await;
        prompt(&a.u(&by_handle), &alice).await;
    }
    let web = a.login("alice", crate::harness::PASSWORD).await;
    let started = Instant::now();
    let r = web
        .get(a.u(&format!("/remote-portfolios/{rid}")))
        .timeout(Duration::from_secs(90))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(r.text().await.unwrap().contains("Glazed bowls"));
    tokio::time::sleep(Duration::from_millis(500)).await;
    for (i, p) in [actor_path, items_path, projects_path].iter().enumerate() {
        let fetched = peer.hits(p) - before[i];
        assert!(fetched <= 1, "{fetched} fetches of {p} for nineteen views");
    }
}

/// A peer without WebFinger asks to follow a person who approves followers and to join a
/// private community: both are approved by the actor Kogi listed, and the peer gets `Accept`.
#[tokio::test(flavor = "multi_thread")]
async fn requests_from_a_peer_without_webfinger_are_answered() {
    let a = Instance::start().await;
    let alice = a.user("alice").await;
    ok(
        &a,
        &alice,
        Method::PATCH,
        "/accounts/me",
        Some(json!({"locked": true})),
    )
    .await;
    ok(
        &a,
        &alice,
        Method::POST,
        "/communities",
        Some(json!({"handle": "circle", "name": "Circle", "description": "Members only.", "visibility": "private"})),
    )
    .await;
    let peer = HostilePeer::start().await;
    let pat = peer.actor("pat", "Person");
    let quinn = peer.actor("quinn", "Person");
    let alice_id = a.u("/users/alice");
    let group = a.u("/communities/circle");
    let follow = |who: &str, n: u32, object: &str| {
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": peer.u(&format!("/follows/{n}")),
            "type": "Follow",
            "actor": who,
            "object": object,
        })
    };
    for (name, inbox, activity) in [
        ("pat", a.u("/users/alice/inbox"), follow(&pat, 1, &alice_id)),
        (
            "pat",
            a.u("/communities/circle/inbox"),
            follow(&pat, 2, &group),
        ),
        (
            "quinn",
            a.u("/communities/circle/inbox"),
            follow(&quinn, 3, &group),
        ),
    ] {
        let (s, body) = peer.post_as(name, &inbox, &activity).await;
        assert!((200..300).contains(&s), "{s} {body}");
    }

    // The person's follow request, answered by the id listed.
    let listed = ok(&a, &alice, Method::GET, "/follow-requests", None).await;
    assert_eq!(listed[0]["id"], pat, "{listed}");
    let (s, v) = api(
        &a,
        &alice,
        Method::POST,
        "/follow-requests/answer",
        Some(json!({"actor": listed[0]["id"], "approve": true})),
    )
    .await;
    assert_eq!(s, 204, "{v}");

    // The community's join requests: one answered by the listed id, one by the listed handle.
    let listed = ok(
        &a,
        &alice,
        Method::GET,
        "/communities/circle/requests",
        None,
    )
    .await;
    let entry = |id: &str| {
        listed
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id} not listed: {listed}"))
    };
    let (pat_entry, quinn_entry) = (entry(&pat), entry(&quinn));
    for (person, approve) in [(&pat_entry["id"], true), (&quinn_entry["handle"], false)] {
        let (s, v) = api(
            &a,
            &alice,
            Method::POST,
            "/communities/circle/requests/answer",
            Some(json!({"person": person, "approve": approve})),
        )
        .await;
        assert_eq!(s, 204, "answering {person}: {v}");
    }
    wait_quiet(&[&a]).await;
    eventually("the peer got both Accepts and the Reject", || async {
        let accepts = peer.posted("Accept");
        let answered = |n: u32| {
            let id = json!(peer.u(&format!("/follows/{n}")));
            accepts
                .iter()
                .any(|x| x["object"] == id || x["object"]["id"] == id)
        };
        answered(1)
            && answered(2)
            && peer.posted("Reject").iter().any(|x| {
                let id = json!(peer.u("/follows/3"));
                x["object"] == id || x["object"]["id"] == id
            })
    })
    .await;
    assert_eq!(
        a.sql_count(&format!(
            "SELECT COUNT(*) AS n FROM follows f JOIN actors x ON x.id = f.follower_id WHERE x.ap_id = '{pat}' AND f.state = 'accepted'"
        )),
        2
    );
}

/// A compact `Undo` (the undone activity's id as a plain string, as Mastodon sends it) undoes
/// a like and a follow; from anyone but their own actor it is refused and changes nothing.
#[tokio::test(flavor = "multi_thread")]
async fn a_compact_undo_undoes_only_its_own_actors_activity() {
    let a = Instance::start().await;
    let alice = a.user("alice").await;
    let post = ok(
        &a,
        &alice,
        Method::POST,
        "/posts",
        Some(json!({"content": "Hello, fediverse.", "visibility": "public"})),
    )
    .await;
    let post_uri = post["uri"].as_str().unwrap().to_string();
    let peer = HostilePeer::start().await;
    let pat = peer.actor("pat", "Person");
    let mallory = peer.actor("mallory", "Person");
    let inbox = a.u("/users/alice/inbox");
    let like_id = peer.u("/likes/1");
    let follow_id = peer.u("/follows/1");
    for activity in [
        json!({"@context": "https://www.w3.org/ns/activitystreams", "id": like_id, "type": "Like", "actor": pat, "object": post_uri}),
        json!({"@context": "https://www.w3.org/ns/activitystreams", "id": follow_id, "type": "Follow", "actor": pat, "object": a.u("/users/alice")}),
    ] {
        let (s, body) = peer.post_as("pat", &inbox, &activity).await;
        assert!((200..300).contains(&s), "{s} {body}");
    }
    let likes = || {
        a.sql_count(&format!(
            "SELECT COUNT(*) AS n FROM reactions r JOIN actors x ON x.id = r.actor_id WHERE x.ap_id = '{pat}'"
        ))
    };
    let follows = || {
        a.sql_count(&format!(
            "SELECT COUNT(*) AS n FROM follows f JOIN actors x ON x.id = f.follower_id WHERE x.ap_id = '{pat}'"
        ))
    };
    assert_eq!((likes(), follows()), (1, 1));
    let undo = |n: u32, actor: &str, object: &str| {
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": peer.u(&format!("/undos/{n}")),
            "type": "Undo",
            "actor": actor,
            "object": object,
        })
    };

    // Another actor of the same server undoing pat's like and follow: refused.
    for (n, object) in [(1, &like_id), (2, &follow_id)] {
        let (s, body) = peer
            .post_as("mallory", &inbox, &undo(n, &mallory, object))
            .await;
        assert_eq!(s, 403, "mallory undoing {object}: {body}");
    }
    assert_eq!(
        (likes(), follows()),
        (1, 1),
        "a refused Undo changed nothing"
    );

    // pat's own compact Undos.
    for (n, object) in [(3, &like_id), (4, &follow_id)] {
        let (s, body) = peer.post_as("pat", &inbox, &undo(n, &pat, object)).await;
        assert!((200..300).contains(&s), "{s} {body}");
    }
    assert_eq!(likes(), 0, "the like is undone");
    assert_eq!(follows(), 0, "the follow is undone");
    let shown = ok(
        &a,
        &alice,
        Method::GET,
        &format!("/posts/{}", post["id"]),
        None,
    )
    .await;
    assert_eq!(shown["like_count"], 0, "{shown}");
}
