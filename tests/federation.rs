//! Federation between real instances on loopback with real HTTP signatures: discovery,
//! follows, the inbox pipeline's refusals, and the delivery queue's retries.

use std::time::{Duration, SystemTime};

use serde_json::{json, Value};

use crate::harness::{api, eventually, sqlite_only, wait_quiet, Instance, PASSWORD};

const AP: &str = "application/activity+json";

async fn get_json(url: &str) -> (u16, Value, String) {
    let r = reqwest::Client::new()
        .get(url)
        .header("accept", AP)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, r.json().await.unwrap_or(Value::Null), ct)
}

fn host(i: &Instance) -> String {
    format!("localhost:{}", i.port)
}

#[tokio::test]
async fn webfinger_actor_and_nodeinfo_answer_as_mastodon_expects() {
    if !sqlite_only() {
        return;
    }
    let a = Instance::start().await;
    a.user("ann").await;
    let c = reqwest::Client::new();
    let r = c
        .get(a.u(&format!(
            "/.well-known/webfinger?resource=acct:ann@{}",
            host(&a)
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/jrd+json");
    let jrd: Value = r.json().await.unwrap();
    assert_eq!(jrd["subject"], format!("acct:ann@{}", host(&a)));
    let self_link = jrd["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "self")
        .unwrap();
    assert_eq!(self_link["href"], a.u("/users/ann"));
    // By URL too, and unknown people are 404.
    let r = c
        .get(a.u(&format!(
            "/.well-known/webfinger?resource={}",
            a.u("/users/ann")
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        c.get(a.u(&format!(
            "/.well-known/webfinger?resource=acct:nobody@{}",
            host(&a)
        )))
        .send()
        .await
        .unwrap()
        .status(),
        404
    );

    // The round trip: preferredUsername + host gives back the same id.
    let (s, actor, ct) = get_json(&a.u("/users/ann")).await;
    assert_eq!(s, 200);
    assert_eq!(ct, AP);
    assert_eq!(actor["id"], a.u("/users/ann"));
    assert_eq!(actor["type"], "Person");
    assert_eq!(actor["preferredUsername"], "ann");
    for field in [
        "inbox",
        "outbox",
        "followers",
        "following",
        "url",
        "published",
        "name",
        "summary",
    ] {
        assert!(!actor[field].is_null(), "{field} missing");
    }
    assert_eq!(actor["endpoints"]["sharedInbox"], a.u("/inbox"));
    assert_eq!(actor["publicKey"]["owner"], a.u("/users/ann"));
    assert!(actor["publicKey"]["publicKeyPem"]
        .as_str()
        .unwrap()
        .starts_with("-----BEGIN PUBLIC KEY-----"));
    assert_eq!(actor["manuallyApprovesFollowers"], false);
    assert!(actor["@context"]
        .to_string()
        .contains("https://www.w3.org/ns/activitystreams"));
    // The same URL is HTML for browsers.
    let html = c
        .get(a.u("/users/ann"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert!(html.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let ld = c
        .get(a.u("/users/ann"))
        .header(
            "accept",
            "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(ld.headers()["content-type"], AP);
    assert_eq!(ld.headers()["vary"], "Accept");

    // The instance actor is fetchable unsigned.
    let (s, inst, _) = get_json(&a.u("/actor")).await;
    assert_eq!(s, 200);
    assert_eq!(inst["type"], "Application");
    let r = c
        .get(a.u(&format!("/.well-known/webfinger?resource={}", a.url)))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.json::<Value>().await.unwrap()["links"][0]["href"],
        a.u("/actor")
    );

    // NodeInfo 2.1 with real counts.
    let links: Value = c
        .get(a.u("/.well-known/nodeinfo"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        links["links"][0]["rel"],
        "http://nodeinfo.diaspora.software/ns/schema/2.1"
    );
    let ni: Value = c
        .get(a.u("/nodeinfo/2.1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ni["version"], "2.1");
    assert_eq!(ni["software"]["name"], "kogi");
    assert_eq!(ni["protocols"], json!(["activitypub"]));
    assert_eq!(ni["usage"]["users"]["total"], 1);
    assert_eq!(
        ni["usage"]["users"]["activeMonth"], 1,
        "ann's token counts as activity"
    );
    assert_eq!(ni["openRegistrations"], true);
    let hm = c
        .get(a.u("/.well-known/host-meta"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(hm.contains("lrdd") && hm.contains("/.well-known/webfinger?resource={uri}"));

    // After deletion the actor answers 410 with a Tombstone.
    let web = a.login("ann", PASSWORD).await;
    assert_eq!(a.delete_account(&web, "ann", PASSWORD).await, 303);
    let (s, tomb, _) = get_json(&a.u("/users/ann")).await;
    assert_eq!(s, 410);
    assert_eq!(tomb["type"], "Tombstone");
}

#[tokio::test]
async fn people_follow_each_other_across_instances_with_accept_approval_and_undo() {
    let a = Instance::start().await;
    let b = Instance::start().await;
    a.user("ann").await;
    let carol = a.user("carol").await;
    let bob = b.user("bob").await;
    let (s, me) = api(
        &a,
        &carol,
        reqwest::Method::PATCH,
        "/accounts/me",
        Some(json!({"locked": true})),
    )
    .await;
    assert_eq!((s, me["locked"].clone()), (200, json!(true)));

    // bob@B follows ann@A: WebFinger, signed fetch, Follow, Accept.
    let (s, r) = api(
        &b,
        &bob,
        reqwest::Method::POST,
        "/follows",
        Some(json!({"target": format!("@ann@{}", host(&a))})),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["state"], "requested");
    assert_eq!(r["target"]["id"], a.u("/users/ann"));
    wait_quiet(&[&a, &b]).await;
    eventually("B sees the Accept", || async {
        let (_, list) = api(&b, &bob, reqwest::Method::GET, "/follows", None).await;
        list[0]["state"] == "following"
    })
    .await;
    let (_, followers, _) = get_json(&a.u("/users/ann/followers?page=1")).await;
    assert_eq!(followers["orderedItems"], json!([b.u("/users/bob")]));
    let (_, following, _) = get_json(&b.u("/users/bob/following")).await;
    assert_eq!(following["totalItems"], 1);
    // A stored bob as a remote actor from his document.
    assert_eq!(
        a.sql_count(&format!(
            "SELECT COUNT(*) AS n FROM actors WHERE ap_id = '{}' AND local = FALSE",
            b.u("/users/bob")
        )),
        1
    );

    // A locked account: the follow waits for approval.
    let (_, r) = api(
        &b,
        &bob,
        reqwest::Method::POST,
        "/follows",
        Some(json!({"target": a.u("/users/carol")})),
    )
    .await;
    assert_eq!(r["state"], "requested");
    wait_quiet(&[&a, &b]).await;
    let (_, reqs) = api(&a, &carol, reqwest::Method::GET, "/follow-requests", None).await;
    assert_eq!(reqs[0]["id"], b.u("/users/bob"));
    let (_, list) = api(&b, &bob, reqwest::Method::GET, "/follows", None).await;
    assert!(list
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["target"]["id"] == a.u("/users/carol") && f["state"] == "requested"));
    let (s, _) = api(
        &a,
        &carol,
        reqwest::Method::POST,
        "/follow-requests/answer",
        Some(json!({"actor": b.u("/users/bob"), "approve": true})),
    )
    .await;
    assert_eq!(s, 204);
    wait_quiet(&[&a, &b]).await;
    eventually("B sees carol's approval", || async {
        let (_, list) = api(&b, &bob, reqwest::Method::GET, "/follows", None).await;
        list.as_array()
            .unwrap()
            .iter()
            .any(|f| f["target"]["id"] == a.u("/users/carol") && f["state"] == "following")
    })
    .await;

    // Undo(Follow).
    let url = format!(
        "/follows?target={}",
        crate::harness::urlencode(&a.u("/users/ann"))
    );
    let (s, _) = api(&b, &bob, reqwest::Method::DELETE, &url, None).await;
    assert_eq!(s, 204);
    wait_quiet(&[&a, &b]).await;
    eventually("A drops the follower", || async {
        let (_, f, _) = get_json(&a.u("/users/ann/followers")).await;
        f["totalItems"] == 0
    })
    .await;
}

/// Signs and posts an activity to `inbox` as the actor `key_owner` of instance `from`, whose
/// private key is read from that instance's database.
pub(crate) struct Signer {
    pub(crate) key_id: String,
    pub(crate) pem: String,
}

impl Signer {
    pub(crate) fn of(from: &Instance, username: &str) -> Signer {
        let pem = from.sql_string(&format!(
            "SELECT actors.private_key_pem AS s FROM actors JOIN accounts ON accounts.actor_id = actors.id WHERE accounts.username = '{username}'"
        ));
        Signer {
            key_id: from.u(&format!("/users/{username}#main-key")),
            pem,
        }
    }

    pub(crate) async fn post(&self, inbox: &str, body: &[u8], at: SystemTime) -> (u16, String) {
        let url = url::Url::parse(inbox).unwrap();
        let req = kogi_federation::signatures::OutgoingRequest {
            method: "POST",
            url: &url,
            body: Some(body),
            content_type: Some(AP),
        };
        let headers = kogi_federation::signatures::sign(&req, &self.key_id, &self.pem, at).unwrap();
        let mut r = reqwest::Client::new()
            .post(inbox)
            .header("content-type", AP)
            .body(body.to_vec());
        for (k, v) in headers {
            if !k.eq_ignore_ascii_case("host") {
                r = r.header(k, v);
            }
        }
        let r = r.send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }
}

#[tokio::test]
async fn the_inbox_refuses_bad_signatures_and_foreign_ids_and_ignores_replays() {
    let a = Instance::start().await;
    let b = Instance::start().await;
    a.user("ann").await;
    b.user("bob").await;
    b.user("eve").await;
    let bob = Signer::of(&b, "bob");
    let inbox = a.u("/users/ann/inbox");
    let now = SystemTime::now();
    let follow = |id: &str, actor: &str| {
        serde_json::to_vec(&json!({"@context": "https://www.w3.org/ns/activitystreams", "id": id, "type": "Follow", "actor": actor, "object": a.u("/users/ann")})).unwrap()
    };
    let followers = || a.sql_count("SELECT COUNT(*) AS n FROM follows");
    let fid = b.u("/activities/follow/1");
    let body = follow(&fid, &b.u("/users/bob"));

    // Unsigned.
    let r = reqwest::Client::new()
        .post(&inbox)
        .header("content-type", AP)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // Signed with another key (eve's key under bob's key id).
    let forged = Signer {
        key_id: bob.key_id.clone(),
        pem: Signer::of(&b, "eve").pem,
    };
    assert_eq!(forged.post(&inbox, &body, now).await.0, 401);
    // Stale and future-dated.
    assert_eq!(
        bob.post(&inbox, &body, now - Duration::from_secs(2 * 3600))
            .await
            .0,
        401
    );
    assert_eq!(
        bob.post(&inbox, &body, now + Duration::from_secs(2 * 3600))
            .await
            .0,
        401
    );
    // A tampered body (signed one body, sent another) and a missing digest.
    {
        let url = url::Url::parse(&inbox).unwrap();
        let req = kogi_federation::signatures::OutgoingRequest {
            method: "POST",
            url: &url,
            body: Some(&body),
            content_type: Some(AP),
        };
        let headers = kogi_federation::signatures::sign(&req, &bob.key_id, &bob.pem, now).unwrap();
        let other = follow(&b.u("/activities/follow/2"), &b.u("/users/bob"));
        for (drop_digest, payload) in [(false, other.clone()), (true, body.clone())] {
            let mut r = reqwest::Client::new()
                .post(&inbox)
                .header("content-type", AP)
                .body(payload);
            for (k, v) in &headers {
                if k.eq_ignore_ascii_case("host")
                    || (drop_digest && k.eq_ignore_ascii_case("digest"))
                {
                    continue;
                }
                r = r.header(k.as_str(), v.as_str());
            }
            assert_eq!(r.send().await.unwrap().status(), 401);
        }
    }
    // bob's key, but the activity claims eve as its actor; and an id on another instance.
    assert_eq!(
        bob.post(
            &inbox,
            &follow(&b.u("/activities/follow/3"), &b.u("/users/eve")),
            now
        )
        .await
        .0,
        403
    );
    assert_eq!(
        bob.post(
            &inbox,
            &follow(&a.u("/activities/follow/4"), &b.u("/users/bob")),
            now
        )
        .await
        .0,
        403
    );
    assert_eq!(followers(), 0, "nothing applied so far");

    // Malformed JSON with a valid signature; an unknown type; an oversized body.
    assert_eq!(bob.post(&inbox, b"{\"id\": ", now).await.0, 400);
    let odd =
        serde_json::to_vec(&json!({"id": b.u("/x/1"), "type": "Jump", "actor": b.u("/users/bob")}))
            .unwrap();
    assert_eq!(bob.post(&inbox, &odd, now).await.0, 202);
    let big = vec![b' '; 2 << 20];
    let r = reqwest::Client::new()
        .post(&inbox)
        .header("content-type", AP)
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);

    // The real thing, then a replay.
    assert_eq!(bob.post(&inbox, &body, now).await.0, 202);
    assert_eq!(followers(), 1);
    assert_eq!(bob.post(&inbox, &body, now).await.0, 202);
    assert_eq!(followers(), 1);
    assert_eq!(
        a.sql_count(&format!(
            "SELECT COUNT(*) AS n FROM inbox_seen WHERE activity_id = '{fid}'"
        )),
        1
    );

    // A blocked instance gets 403 and changes nothing.
    a.cli_ok(&["admin", "block-instance", &host(&b)]);
    let undo = serde_json::to_vec(&json!({"id": b.u("/activities/undo/1"), "type": "Undo", "actor": b.u("/users/bob"),
        "object": {"id": fid, "type": "Follow", "actor": b.u("/users/bob"), "object": a.u("/users/ann")}})).unwrap();
    assert_eq!(bob.post(&inbox, &undo, now).await.0, 403);
    assert_eq!(followers(), 1);
    a.cli_ok(&["admin", "unblock-instance", &host(&b)]);
    assert_eq!(bob.post(&inbox, &undo, now).await.0, 202);
    assert_eq!(followers(), 0);
}

#[tokio::test]
async fn deliveries_to_a_server_that_is_down_are_retried_and_a_403_is_recorded_as_failed() {
    let mut a = Instance::start().await;
    let b = Instance::start().await;
    a.user("ann").await;
    let bob = b.user("bob").await;
    let (_, r) = api(
        &b,
        &bob,
        reqwest::Method::POST,
        "/follows",
        Some(json!({"target": format!("ann@{}", host(&a))})),
    )
    .await;
    assert_eq!(r["state"], "requested");
    wait_quiet(&[&a, &b]).await;

    // A is down while bob unfollows: the Undo waits in B's queue and is retried.
    a.kill();
    let url = format!(
        "/follows?target={}",
        crate::harness::urlencode(&a.u("/users/ann"))
    );
    let (s, _) = api(&b, &bob, reqwest::Method::DELETE, &url, None).await;
    assert_eq!(s, 204);
    eventually("a failed attempt is recorded", || async {
        b.sql_count("SELECT COUNT(*) AS n FROM deliveries WHERE state = 'pending' AND attempts > 0")
            == 1
    })
    .await;
    a.restart().await;
    wait_quiet(&[&a, &b]).await;
    eventually("A applied the Undo", || async {
        a.sql_count("SELECT COUNT(*) AS n FROM follows") == 0
    })
    .await;

    // A blocks B: B's next delivery is refused with 403, recorded as failed, not retried.
    a.cli_ok(&["admin", "block-instance", &host(&b)]);
    let (_, r) = api(
        &b,
        &bob,
        reqwest::Method::POST,
        "/follows",
        Some(json!({"target": format!("ann@{}", host(&a))})),
    )
    .await;
    assert_eq!(r["state"], "requested");
    wait_quiet(&[&b]).await;
    assert_eq!(b.sql_count("SELECT COUNT(*) AS n FROM deliveries WHERE state = 'failed' AND last_status = 403 AND attempts = 1"), 1);
    assert_eq!(
        b.sql_count("SELECT COUNT(*) AS n FROM deliveries WHERE state = 'pending'"),
        0
    );
}

async fn post(i: &Instance, token: &str, body: Value) -> Value {
    let (s, p) = api(i, token, reqwest::Method::POST, "/posts", Some(body)).await;
    assert_eq!(s, 201, "{p}");
    p
}

async fn has_post(i: &Instance, ap_id: &str) -> bool {
    i.sql_count(&format!(
        "SELECT COUNT(*) AS n FROM posts WHERE ap_id = '{ap_id}' AND deleted_at IS NULL"
    )) == 1
}

async fn local_id(i: &Instance, ap_id: &str) -> i64 {
    i.sql_count(&format!(
        "SELECT id AS n FROM posts WHERE ap_id = '{ap_id}'"
    ))
}

#[tokio::test]
async fn posts_reach_exactly_their_audience_and_replies_edits_deletes_and_likes_federate() {
    let a = Instance::start().await;
    let b = Instance::start().await;
    let c = Instance::start().await;
    let ann = a.user("ann").await;
    let bob = b.user("bob").await;
    let cat = c.user("cat").await;
    for (i, t) in [(&b, &bob), (&c, &cat)] {
        let (s, _) = api(
            i,
            t,
            reqwest::Method::POST,
            "/follows",
            Some(json!({"target": format!("ann@{}", host(&a))})),
        )
        .await;
        assert_eq!(s, 200);
    }
    wait_quiet(&[&a, &b, &c]).await;
    eventually("both follows accepted", || async {
        a.sql_count("SELECT COUNT(*) AS n FROM follows WHERE state = 'accepted'") == 2
    })
    .await;

    // Public, followers-only and direct posts.
    let public = post(
        &a,
        &ann,
        json!({"content": "Hello fediverse #kogi", "language": "en"}),
    )
    .await;
    let followers = post(
        &a,
        &ann,
        json!({"content": "Only for followers", "visibility": "followers"}),
    )
    .await;
    let direct = post(
        &a,
        &ann,
        json!({"content": format!("Psst @bob@{}", host(&b)), "visibility": "direct"}),
    )
    .await;
    wait_quiet(&[&a, &b, &c]).await;
    for (uri, on_b, on_c) in [
        (&public["uri"], true, true),
        (&followers["uri"], true, true),
        (&direct["uri"], true, false),
    ] {
        let uri = uri.as_str().unwrap();
        assert_eq!(has_post(&b, uri).await, on_b, "B and {uri}");
        assert_eq!(has_post(&c, uri).await, on_c, "C and {uri}");
    }
    let (_, home) = api(&b, &bob, reqwest::Method::GET, "/timelines/home", None).await;
    let uris: Vec<&str> = home
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["uri"].as_str().unwrap())
        .collect();
    assert!(
        uris.contains(&public["uri"].as_str().unwrap())
            && uris.contains(&direct["uri"].as_str().unwrap())
    );
    let (_, notes) = api(&b, &bob, reqwest::Method::GET, "/notifications", None).await;
    assert!(
        notes
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "mention"),
        "{notes}"
    );
    // Followers-only and direct posts are never served to an unauthorised fetch.
    for p in [&followers, &direct] {
        let (s, _, _) = get_json(p["uri"].as_str().unwrap()).await;
        assert_eq!(s, 404);
    }
    let (s, doc, _) = get_json(public["uri"].as_str().unwrap()).await;
    assert_eq!(s, 200);
    assert_eq!(doc["type"], "Note");
    // The outbox lists the public post (not the followers-only or direct ones).
    let (_, outbox, _) = get_json(&a.u("/users/ann/outbox")).await;
    assert_eq!(outbox["totalItems"], 1, "{outbox}");
    assert_eq!(outbox["orderedItems"][0]["type"], "Create");
    assert_eq!(outbox["orderedItems"][0]["object"]["id"], public["uri"]);
    assert_eq!(
        doc["to"],
        json!(["https://www.w3.org/ns/activitystreams#Public"])
    );
    assert_eq!(doc["contentMap"]["en"], doc["content"]);

    // bob replies; it threads under ann's post on A.
    let on_b = local_id(&b, public["uri"].as_str().unwrap()).await;
    let reply = post(
        &b,
        &bob,
        json!({"content": "Welcome!", "in_reply_to": on_b.to_string()}),
    )
    .await;
    wait_quiet(&[&a, &b, &c]).await;
    eventually("the reply reached A", || async {
        has_post(&a, reply["uri"].as_str().unwrap()).await
    })
    .await;
    let (_, mine) = api(
        &a,
        &ann,
        reqwest::Method::GET,
        &format!("/posts/{}", public["id"]),
        None,
    )
    .await;
    assert_eq!(mine["reply_count"], 1);
    let page = reqwest::get(public["url"].as_str().unwrap())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Welcome!"), "the post page shows the reply");

    // bob and cat like it: counted at the origin, and B sees the origin's count on view.
    let on_c = local_id(&c, public["uri"].as_str().unwrap()).await;
    let (s, _) = api(
        &b,
        &bob,
        reqwest::Method::POST,
        &format!("/posts/{on_b}/like"),
        None,
    )
    .await;
    assert_eq!(s, 200);
    let (s, _) = api(
        &c,
        &cat,
        reqwest::Method::POST,
        &format!("/posts/{on_c}/like"),
        None,
    )
    .await;
    assert_eq!(s, 200);
    wait_quiet(&[&a, &b, &c]).await;
    let (_, mine) = api(
        &a,
        &ann,
        reqwest::Method::GET,
        &format!("/posts/{}", public["id"]),
        None,
    )
    .await;
    assert_eq!(mine["like_count"], 2);
    // B's view refreshes the counts in the background: shown by a later view.
    eventually("B shows the origin's like count", || async {
        let (_, seen) = api(
            &b,
            &bob,
            reqwest::Method::GET,
            &format!("/posts/{on_b}"),
            None,
        )
        .await;
        seen["like_count"] == 2 && seen["liked"] == true
    })
    .await;
    // A boost from C is counted at the origin and seen from B.
    let path = format!("/posts/{on_c}/boost");
    let (s, boosted) = api(&c, &cat, reqwest::Method::POST, &path, None).await;
    assert_eq!((s, boosted["boosted"].clone()), (200, json!(true)));
    wait_quiet(&[&a, &b, &c]).await;
    let mine_path = format!("/posts/{}", public["id"]);
    let (_, mine) = api(&a, &ann, reqwest::Method::GET, &mine_path, None).await;
    assert_eq!(mine["boost_count"], 1);
    eventually("B shows the origin's boost count", || async {
        let (_, seen) = api(
            &b,
            &bob,
            reqwest::Method::GET,
            &format!("/posts/{on_b}"),
            None,
        )
        .await;
        seen["boost_count"] == 1
    })
    .await;
    api(&c, &cat, reqwest::Method::DELETE, &path, None).await;
    let (_, _) = api(
        &c,
        &cat,
        reqwest::Method::DELETE,
        &format!("/posts/{on_c}/like"),
        None,
    )
    .await;
    wait_quiet(&[&a, &b, &c]).await;
    let (_, mine) = api(
        &a,
        &ann,
        reqwest::Method::GET,
        &format!("/posts/{}", public["id"]),
        None,
    )
    .await;
    assert_eq!(mine["like_count"], 1);
    assert_eq!(
        mine["boost_count"], 0,
        "the Undo(Announce) reached the origin"
    );

    // Edit, then delete: both propagate, and the URL answers 410.
    let (s, _) = api(
        &a,
        &ann,
        reqwest::Method::PATCH,
        &format!("/posts/{}", public["id"]),
        Some(json!({"content": "Hello again"})),
    )
    .await;
    assert_eq!(s, 200);
    wait_quiet(&[&a, &b, &c]).await;
    eventually("B has the edit", || async {
        b.sql_count(&format!("SELECT COUNT(*) AS n FROM posts WHERE ap_id = '{}' AND content_html LIKE '%Hello again%' AND edited_at IS NOT NULL", public["uri"].as_str().unwrap())) == 1
    })
    .await;
    let (s, _) = api(
        &a,
        &ann,
        reqwest::Method::DELETE,
        &format!("/posts/{}", public["id"]),
        None,
    )
    .await;
    assert_eq!(s, 204);
    wait_quiet(&[&a, &b, &c]).await;
    eventually("B and C drop it", || async {
        !has_post(&b, public["uri"].as_str().unwrap()).await
            && !has_post(&c, public["uri"].as_str().unwrap()).await
    })
    .await;
    let (s, tomb, _) = get_json(public["uri"].as_str().unwrap()).await;
    assert_eq!((s, tomb["type"].clone()), (410, json!("Tombstone")));
    // Another instance cannot delete or edit ann's post: bob's copy of a forged Delete is refused.
    let forged = Signer::of(&b, "bob");
    let body = serde_json::to_vec(
        &json!({"id": b.u("/activities/delete/x"), "type": "Delete", "actor": b.u("/users/bob"),
        "object": {"id": followers["uri"], "type": "Tombstone"}}),
    )
    .unwrap();
    assert_eq!(
        forged
            .post(&a.u("/inbox"), &body, SystemTime::now())
            .await
            .0,
        403,
        "A refuses: bob is not the author"
    );
    assert!(has_post(&a, followers["uri"].as_str().unwrap()).await);
    // C has never seen bob: a Delete from an unknown actor is accepted without a fetch and
    // changes nothing.
    assert_eq!(
        forged
            .post(&c.u("/inbox"), &body, SystemTime::now())
            .await
            .0,
        202
    );
    assert!(has_post(&c, followers["uri"].as_str().unwrap()).await);
}

/// A receiver that counts each activity id it gets.
pub(crate) async fn counting_receiver() -> (
    u16,
    std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, u32>>>,
) {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};
    let counts: Arc<Mutex<HashMap<String, u32>>> = Arc::default();
    let c2 = counts.clone();
    // Any path: the benchmark gives each follower its own inbox.
    let app = axum::Router::new().fallback(axum::routing::post(move |body: axum::body::Bytes| {
        let counts = c2.clone();
        async move {
            let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let id = v["id"].as_str().unwrap_or("?").to_string();
            *counts.lock().unwrap().entry(id).or_default() += 1;
            axum::http::StatusCode::ACCEPTED
        }
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (port, counts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_worker_processes_deliver_a_thousand_activities_exactly_once() {
    if crate::harness::backend() != crate::harness::Backend::Postgres {
        return;
    }
    let web = Instance::start_with(crate::harness::Opts::default().role("web")).await;
    web.user("ann").await;
    let (port, counts) = counting_receiver().await;
    let actor_id = web.sql_count("SELECT actor_id AS n FROM accounts WHERE username = 'ann'");
    web.sql_exec(&format!(
        "INSERT INTO deliveries (activity_id, activity_json, actor_id, inbox_url, host, state, attempts, next_attempt_at, created_at, updated_at) \
         SELECT 'urn:kogi-test:' || g, '{{\"id\": \"urn:kogi-test:' || g || '\", \"type\": \"Like\"}}', {actor_id}, \
         'http://127.0.0.1:{port}/inbox', '127.0.0.1:{port}', 'pending', 0, now(), now(), now() FROM generate_series(1, 1000) AS g"
    ));
    let spawn_worker = || {
        let mut cmd = web.command();
        cmd.args(["serve", "--role", "worker"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        cmd.spawn().unwrap()
    };
    let mut w1 = spawn_worker();
    let mut w2 = spawn_worker();
    wait_quiet(&[&web]).await;
    let _ = w1.kill();
    let _ = w2.kill();
    let _ = w1.wait();
    let _ = w2.wait();
    let counts = counts.lock().unwrap();
    assert_eq!(counts.len(), 1000, "every activity arrived");
    assert!(counts.values().all(|n| *n == 1), "each exactly once");
    assert_eq!(
        web.sql_count("SELECT COUNT(*) AS n FROM deliveries WHERE state = 'done'"),
        1000
    );
    // --role is refused on SQLite.
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(crate::harness::kogi_bin())
        .current_dir(dir.path())
        .env_clear()
        .env("KOGI_DATA_DIR", dir.path())
        .args(["serve", "--role", "worker"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs PostgreSQL"));
}

#[tokio::test]
async fn a_block_ends_follows_and_stops_delivery_both_ways() {
    let a = Instance::start().await;
    let b = Instance::start().await;
    let ann = a.user("ann").await;
    let bob = b.user("bob").await;
    api(
        &b,
        &bob,
        reqwest::Method::POST,
        "/follows",
        Some(json!({"target": format!("ann@{}", host(&a))})),
    )
    .await;
    api(
        &a,
        &ann,
        reqwest::Method::POST,
        "/follows",
        Some(json!({"target": format!("bob@{}", host(&b))})),
    )
    .await;
    wait_quiet(&[&a, &b]).await;
    eventually("mutual follows", || async {
        a.sql_count("SELECT COUNT(*) AS n FROM follows WHERE state = 'accepted'") == 2
            && b.sql_count("SELECT COUNT(*) AS n FROM follows WHERE state = 'accepted'") == 2
    })
    .await;

    let (s, _) = api(
        &a,
        &ann,
        reqwest::Method::POST,
        "/blocks",
        Some(json!({"target": format!("@bob@{}", host(&b))})),
    )
    .await;
    assert_eq!(s, 204);
    wait_quiet(&[&a, &b]).await;
    eventually("both sides dropped the follows", || async {
        a.sql_count("SELECT COUNT(*) AS n FROM follows") == 0
            && b.sql_count("SELECT COUNT(*) AS n FROM follows") == 0
    })
    .await;
    let from_a = post(&a, &ann, json!({"content": "after the block"})).await;
    let from_b = post(&b, &bob, json!({"content": "me too"})).await;
    wait_quiet(&[&a, &b]).await;
    assert!(!has_post(&b, from_a["uri"].as_str().unwrap()).await);
    assert!(!has_post(&a, from_b["uri"].as_str().unwrap()).await);
    // bob cannot follow ann again: B knows of the block and refuses; a Follow sent anyway is
    // rejected by A and stores nothing.
    let (s, _) = api(
        &b,
        &bob,
        reqwest::Method::POST,
        "/follows",
        Some(json!({"target": format!("ann@{}", host(&a))})),
    )
    .await;
    assert_eq!(s, 403);
    let raw = serde_json::to_vec(&json!({"id": b.u("/activities/follow/raw"), "type": "Follow", "actor": b.u("/users/bob"), "object": a.u("/users/ann")})).unwrap();
    assert_eq!(
        Signer::of(&b, "bob")
            .post(&a.u("/users/ann/inbox"), &raw, SystemTime::now())
            .await
            .0,
        202
    );
    wait_quiet(&[&a, &b]).await;
    assert_eq!(a.sql_count("SELECT COUNT(*) AS n FROM follows"), 0);
    // ann cannot follow bob while she blocks him; after unblocking she can.
    let (s, _) = api(
        &a,
        &ann,
        reqwest::Method::POST,
        "/follows",
        Some(json!({"target": format!("bob@{}", host(&b))})),
    )
    .await;
    assert_eq!(s, 403);
    let url = format!(
        "/blocks?target={}",
        crate::harness::urlencode(&b.u("/users/bob"))
    );
    assert_eq!(
        api(&a, &ann, reqwest::Method::DELETE, &url, None).await.0,
        204
    );
    wait_quiet(&[&a, &b]).await;
    assert_eq!(
        b.sql_count("SELECT COUNT(*) AS n FROM blocks"),
        0,
        "Undo(Block) reached B"
    );
    let (s, _) = api(
        &a,
        &ann,
        reqwest::Method::POST,
        "/follows",
        Some(json!({"target": format!("bob@{}", host(&b))})),
    )
    .await;
    assert_eq!(s, 200);
}

/// A receiver that answers each POST with the next status of `script` (the last one repeats)
/// and counts requests.
async fn scripted_receiver(
    script: Vec<u16>,
) -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let hits = Arc::new(AtomicUsize::new(0));
    let h2 = hits.clone();
    let app = axum::Router::new().fallback(axum::routing::post(move || {
        let hits = h2.clone();
        let script = script.clone();
        async move {
            let n = hits.fetch_add(1, Ordering::SeqCst);
            let s = *script.get(n).or(script.last()).unwrap_or(&202);
            axum::http::StatusCode::from_u16(s).unwrap()
        }
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (port, hits)
}

fn queue_one(i: &Instance, username: &str, activity_id: &str, inbox: &str) {
    let actor_id = i.sql_count(&format!(
        "SELECT actor_id AS n FROM accounts WHERE username = '{username}'"
    ));
    let host = inbox.split('/').nth(2).unwrap();
    let now = "2026-01-01 00:00:00";
    i.sql_exec(&format!(
        "INSERT INTO deliveries (activity_id, activity_json, actor_id, inbox_url, host, state, attempts, next_attempt_at, created_at, updated_at) \
         VALUES ('{activity_id}', '{{\"id\": \"{activity_id}\", \"type\": \"Like\"}}', {actor_id}, '{inbox}', '{host}', 'pending', 0, '{now}', '{}', '{now}')",
        chrono_now()
    ));
}

fn chrono_now() -> String {
    let t = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    chrono::DateTime::from_timestamp(t, 0)
        .unwrap()
        .naive_utc()
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

#[tokio::test]
async fn a_401_is_retried_and_a_410_is_recorded_as_failed_without_retry() {
    let a = Instance::start().await;
    a.user("ann").await;
    let (p401, hits401) = scripted_receiver(vec![401, 202]).await;
    let (p410, hits410) = scripted_receiver(vec![410]).await;
    queue_one(
        &a,
        "ann",
        "urn:kogi-test:retry",
        &format!("http://127.0.0.1:{p401}/inbox"),
    );
    queue_one(
        &a,
        "ann",
        "urn:kogi-test:gone",
        &format!("http://127.0.0.1:{p410}/inbox"),
    );
    wait_quiet(&[&a]).await;
    assert_eq!(a.sql_count("SELECT COUNT(*) AS n FROM deliveries WHERE activity_id = 'urn:kogi-test:retry' AND state = 'done' AND attempts = 2"), 1);
    assert_eq!(hits401.load(std::sync::atomic::Ordering::SeqCst), 2);
    assert_eq!(a.sql_count("SELECT COUNT(*) AS n FROM deliveries WHERE activity_id = 'urn:kogi-test:gone' AND state = 'failed' AND last_status = 410 AND attempts = 1"), 1);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        hits410.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "a permanent failure is not retried"
    );
}

#[tokio::test]
async fn a_sender_killed_before_delivering_delivers_after_restart_and_a_dead_host_is_probed_and_caught_up(
) {
    let mut a = Instance::start().await;
    let dead = crate::harness::Opts::default()
        .env("KOGI_FEDERATION_DELIVERY_DEAD_AFTER_SECS", "1")
        .env("KOGI_FEDERATION_DELIVERY_PROBE_INTERVAL_SECS", "2")
        // On PostgreSQL a row claimed by the killed process waits out its lease (twice the
        // delivery time-out plus 15 s) before the restarted one takes it: keep it short here.
        .env("KOGI_FEDERATION_DELIVERY_TIMEOUT_SECS", "2");
    let mut b = Instance::start_with(dead).await;
    a.user("ann").await;
    let bob = b.user("bob").await;
    api(
        &b,
        &bob,
        reqwest::Method::POST,
        "/follows",
        Some(json!({"target": format!("ann@{}", host(&a))})),
    )
    .await;
    wait_quiet(&[&a, &b]).await;
    eventually("followed", || async {
        a.sql_count("SELECT COUNT(*) AS n FROM follows WHERE state = 'accepted'") == 1
    })
    .await;

    // A goes down; bob unfollows; B is SIGKILLed before it could deliver.
    a.kill();
    let url = format!(
        "/follows?target={}",
        crate::harness::urlencode(&a.u("/users/ann"))
    );
    assert_eq!(
        api(&b, &bob, reqwest::Method::DELETE, &url, None).await.0,
        204
    );
    b.kill();
    b.restart().await;
    // With lowered thresholds A is marked dead, and its row waits for probes.
    eventually("A is marked dead", || async {
        b.sql_count(&format!(
            "SELECT COUNT(*) AS n FROM instances WHERE host = '{}' AND dead = TRUE",
            host(&a)
        )) == 1
    })
    .await;
    assert_eq!(
        b.sql_count("SELECT COUNT(*) AS n FROM deliveries WHERE state = 'pending'"),
        1
    );
    a.restart().await;
    wait_quiet(&[&a, &b]).await;
    eventually("the Undo arrived after the probe", || async {
        a.sql_count("SELECT COUNT(*) AS n FROM follows") == 0
    })
    .await;
    assert_eq!(b.sql_count(&format!("SELECT COUNT(*) AS n FROM instances WHERE host = '{}' AND dead = FALSE AND failing_since IS NULL", host(&a))), 1);
}

#[tokio::test]
async fn after_a_peer_rotates_its_key_its_next_activity_is_accepted_after_one_refetch() {
    let a = Instance::start().await;
    let b = Instance::start().await;
    a.user("ann").await;
    b.user("bob").await;
    let bob = Signer::of(&b, "bob");
    let inbox = a.u("/users/ann/inbox");
    let body = |n: u32| {
        serde_json::to_vec(&json!({"id": b.u(&format!("/activities/like/{n}")), "type": "Like", "actor": b.u("/users/bob"), "object": a.u("/posts/none")})).unwrap()
    };
    assert_eq!(
        bob.post(&inbox, &body(1), SystemTime::now()).await.0,
        202,
        "A caches bob's key"
    );
    let old_key = a.sql_string(&format!(
        "SELECT public_key_pem AS s FROM actors WHERE ap_id = '{}'",
        b.u("/users/bob")
    ));
    // bob's server rotates his key.
    let new = kogi_core::keys::generate_blocking().unwrap();
    b.sql_exec(&format!(
        "UPDATE actors SET public_key_pem = '{}', private_key_pem = '{}' WHERE ap_id = '{}'",
        new.public_pem,
        new.private_pem,
        b.u("/users/bob")
    ));
    let rotated = Signer {
        key_id: bob.key_id.clone(),
        pem: new.private_pem.clone(),
    };
    assert_eq!(
        rotated.post(&inbox, &body(2), SystemTime::now()).await.0,
        202
    );
    let cached = a.sql_string(&format!(
        "SELECT public_key_pem AS s FROM actors WHERE ap_id = '{}'",
        b.u("/users/bob")
    ));
    assert_ne!(cached, old_key);
    assert_eq!(cached.trim(), new.public_pem.trim());
    // The old key no longer works.
    assert_eq!(bob.post(&inbox, &body(3), SystemTime::now()).await.0, 401);
}

#[tokio::test]
async fn an_account_deletion_reaches_the_followers_instances_and_the_old_url_answers_410() {
    let a = Instance::start().await;
    let b = Instance::start().await;
    a.user("ann").await;
    let bob = b.user("bob").await;
    api(
        &b,
        &bob,
        reqwest::Method::POST,
        "/follows",
        Some(json!({"target": format!("ann@{}", host(&a))})),
    )
    .await;
    wait_quiet(&[&a, &b]).await;
    eventually("followed", || async {
        b.sql_count("SELECT COUNT(*) AS n FROM follows WHERE state = 'accepted'") == 1
    })
    .await;
    let web = a.login("ann", PASSWORD).await;
    assert_eq!(a.delete_account(&web, "ann", PASSWORD).await, 303);
    wait_quiet(&[&a, &b]).await;
    eventually("B marks ann deleted and drops the follow", || async {
        b.sql_count(&format!(
            "SELECT COUNT(*) AS n FROM actors WHERE ap_id = '{}' AND deleted_at IS NOT NULL",
            a.u("/users/ann")
        )) == 1
            && b.sql_count("SELECT COUNT(*) AS n FROM follows") == 0
    })
    .await;
    let (s, _, _) = get_json(&a.u("/users/ann")).await;
    assert_eq!(s, 410);
}

#[tokio::test]
async fn an_unreachable_key_gets_503_and_the_same_activity_is_processed_when_sent_again() {
    let a = Instance::start().await;
    let mut b = Instance::start().await;
    a.user("ann").await;
    b.user("bob").await;
    let bob = Signer::of(&b, "bob");
    let body = serde_json::to_vec(&json!({"id": b.u("/activities/follow/retry"), "type": "Follow", "actor": b.u("/users/bob"), "object": a.u("/users/ann")})).unwrap();
    // B is down: A cannot fetch bob's key, answers 503 (the sender will retry) and records
    // nothing.
    b.kill();
    assert_eq!(
        bob.post(&a.u("/users/ann/inbox"), &body, SystemTime::now())
            .await
            .0,
        503
    );
    assert_eq!(a.sql_count("SELECT COUNT(*) AS n FROM inbox_seen"), 0);
    assert_eq!(a.sql_count("SELECT COUNT(*) AS n FROM follows"), 0);
    b.restart().await;
    assert_eq!(
        bob.post(&a.u("/users/ann/inbox"), &body, SystemTime::now())
            .await
            .0,
        202
    );
    assert_eq!(a.sql_count("SELECT COUNT(*) AS n FROM follows"), 1);
}

#[tokio::test]
async fn received_polls_and_images_with_alt_text_are_shown() {
    let a = Instance::start().await;
    let b = Instance::start().await;
    a.user("ann").await;
    b.user("bob").await;
    let bob = Signer::of(&b, "bob");
    let public = ["https://www.w3.org/ns/activitystreams#Public"];
    let question = json!({
        "id": b.u("/activities/q1"), "type": "Create", "actor": b.u("/users/bob"), "to": public,
        "object": {"id": b.u("/objects/q1"), "type": "Question", "attributedTo": b.u("/users/bob"), "to": public,
            "content": "<p>Tea or coffee?</p>", "published": "2026-11-22T10:00:00Z",
            "oneOf": [{"type": "Note", "name": "Tea", "replies": {"type": "Collection", "totalItems": 3}},
                      {"type": "Note", "name": "Coffee", "replies": {"type": "Collection", "totalItems": 1}}]}
    });
    let photo = json!({
        "id": b.u("/activities/p1"), "type": "Create", "actor": b.u("/users/bob"), "to": public,
        "object": {"id": b.u("/objects/p1"), "type": "Note", "attributedTo": b.u("/users/bob"), "to": public,
            "content": "<p>Our lab</p>", "published": "2026-11-22T10:01:00Z",
            "attachment": [{"type": "Document", "mediaType": "image/png", "url": "https://media.example/lab.png", "name": "A clean room with two microscopes"}]}
    });
    for doc in [question, photo] {
        assert_eq!(
            bob.post(
                &a.u("/inbox"),
                &serde_json::to_vec(&doc).unwrap(),
                SystemTime::now()
            )
            .await
            .0,
            202
        );
    }
    let html = reqwest::get(a.u("/timelines/federated"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Tea or coffee?")
            && html.contains("Tea")
            && html.contains("Coffee")
            && html.contains("75%"),
        "{html}"
    );
    assert!(html.contains("alt=\"A clean room with two microscopes\""));
}

#[tokio::test]
async fn block_and_mute_buttons_work_from_the_pages() {
    let a = Instance::start().await;
    let b = Instance::start().await;
    a.cli_ok(&[
        "admin",
        "create-user",
        "ann",
        "--email",
        "ann@example.org",
        "--password",
        PASSWORD,
    ]);
    b.user("bob").await;
    let web = a.login("ann", PASSWORD).await;
    let page = web
        .get(a.u(&format!("/search?q=@bob@{}", host(&b))))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("action=\"/relations\""),
        "search shows block and mute buttons"
    );
    let t = crate::harness::csrf_of(&page);
    let bob_id = b.u("/users/bob");
    for action in ["mute", "block"] {
        let r = web
            .post(a.u("/relations"))
            .form(&[
                ("csrf_token", t.as_str()),
                ("target", bob_id.as_str()),
                ("action", action),
                ("next", "/"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
    }
    assert_eq!(a.sql_count("SELECT COUNT(*) AS n FROM blocks"), 2);
    wait_quiet(&[&a, &b]).await;
    eventually("B got the Block", || async {
        b.sql_count("SELECT COUNT(*) AS n FROM blocks WHERE kind = 'block'") == 1
    })
    .await;
    // Without the CSRF field nothing happens.
    let r = web
        .post(a.u("/relations"))
        .form(&[("target", bob_id.as_str()), ("action", "unblock")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(a.sql_count("SELECT COUNT(*) AS n FROM blocks"), 2);
}

#[tokio::test]
async fn images_with_alt_text_travel_with_a_post() {
    let a = Instance::start().await;
    let b = Instance::start().await;
    let ann = a.user("ann").await;
    let bob = b.user("bob").await;
    api(
        &b,
        &bob,
        reqwest::Method::POST,
        "/follows",
        Some(json!({"target": format!("ann@{}", host(&a))})),
    )
    .await;
    wait_quiet(&[&a, &b]).await;
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(crate::harness::png(3000, 1000)).file_name("lab.png"),
    );
    let r = reqwest::Client::new()
        .post(a.u("/api/kogi/v1/media"))
        .bearer_auth(&ann)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let media: Value = r.json().await.unwrap();
    let img = reqwest::get(media["url"].as_str().unwrap()).await.unwrap();
    assert_eq!(img.headers()["content-type"], "image/webp");
    let decoded = image::load_from_memory(&img.bytes().await.unwrap()).unwrap();
    assert_eq!(
        (decoded.width(), decoded.height()),
        (2048, 683),
        "re-encoded and scaled down"
    );
    let p = post(&a, &ann, json!({"content": "Our lab", "media": [{"id": media["id"], "description": "Two microscopes on a bench"}]})).await;
    wait_quiet(&[&a, &b]).await;
    let (_, doc, _) = get_json(p["uri"].as_str().unwrap()).await;
    assert_eq!(doc["attachment"][0]["name"], "Two microscopes on a bench");
    assert_eq!(doc["attachment"][0]["url"], media["url"]);
    eventually("B stored the attachment with its alt text", || async {
        b.sql_count(&format!("SELECT COUNT(*) AS n FROM posts WHERE ap_id = '{}' AND attachments LIKE '%Two microscopes on a bench%'", p["uri"].as_str().unwrap())) == 1
    })
    .await;
    // Unknown media ids and non-images are refused.
    let (s, _) = api(
        &a,
        &ann,
        reqwest::Method::POST,
        "/posts",
        Some(json!({"content": "x", "media": [{"id": "../../etc/passwd"}]})),
    )
    .await;
    assert_eq!(s, 422);
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(b"<svg/>".to_vec()).file_name("x.svg"),
    );
    let r = reqwest::Client::new()
        .post(a.u("/api/kogi/v1/media"))
        .bearer_auth(&ann)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
}
