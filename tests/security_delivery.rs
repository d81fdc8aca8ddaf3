//! Security: a slow or hanging peer never delays deliveries to other servers. The delivery
//! worker runs continuously, caps the deliveries in flight per host and gives up on a
//! delivery after its own time-out, shorter than the fetch time-out.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::harness::{api, wait_quiet, Instance, Opts};
use crate::hostile::HostilePeer;

const AS: &str = "https://www.w3.org/ns/activitystreams";
const PER_HOST: usize = 2;
const HANGING_FOLLOWERS: usize = 40;

fn host(i: &Instance) -> String {
    format!("localhost:{}", i.port)
}

fn has_post(i: &Instance, ap_id: &str) -> bool {
    i.sql_count(&format!(
        "SELECT COUNT(*) AS n FROM posts WHERE ap_id = '{ap_id}' AND deleted_at IS NULL"
    )) == 1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forty_hanging_inboxes_on_one_peer_neither_delay_a_healthy_server_nor_exceed_the_per_host_cap(
) {
    let peer = HostilePeer::start().await;
    let a = Instance::start_with(
        Opts::default()
            .env(
                "KOGI_FEDERATION_DELIVERY_PER_HOST_CONCURRENCY",
                &PER_HOST.to_string(),
            )
            // Deliveries give up after 2 s; fetches would wait 30 s. Rows that were attempted
            // within the 10 s below can only have used the delivery time-out.
            .env("KOGI_FEDERATION_DELIVERY_TIMEOUT_SECS", "2")
            .env("KOGI_FEDERATION_FETCH_TIMEOUT_SECS", "30"),
    )
    .await;
    let b = Instance::start().await;
    let ann = a.user("ann").await;
    let bob = b.user("bob").await;

    // 40 people on the peer, none offering a shared inbox, follow ann (the peer still answers).
    for n in 0..HANGING_FOLLOWERS {
        let name = format!("h{n}");
        let mut doc = peer.actor_doc(&name, "Person");
        doc.as_object_mut().unwrap().remove("endpoints");
        peer.serve(&format!("/users/{name}"), doc);
        let follow = json!({
            "@context": AS,
            "id": peer.u(&format!("/follows/{n}")),
            "type": "Follow",
            "actor": peer.u(&format!("/users/{name}")),
            "object": a.u("/users/ann"),
        });
        let (s, body) = peer.post_as(&name, &a.u("/users/ann/inbox"), &follow).await;
        assert_eq!(s, 202, "{body}");
    }
    // bob on the healthy server B follows ann too.
    let (s, r) = api(
        &b,
        &bob,
        reqwest::Method::POST,
        "/follows",
        Some(json!({"target": format!("@ann@{}", host(&a))})),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    wait_quiet(&[&a, &b]).await;
    assert_eq!(
        a.sql_count("SELECT COUNT(*) AS n FROM follows WHERE state = 'accepted'"),
        HANGING_FOLLOWERS as i64 + 1
    );
    let peer_inboxes = a.sql_count(&format!(
        "SELECT COUNT(DISTINCT inbox_url) AS n FROM deliveries WHERE host = '{}'",
        peer.host()
    ));
    assert_eq!(
        peer_inboxes, HANGING_FOLLOWERS as i64,
        "without a shared inbox each follower has its own"
    );
    let max_before = peer.max_posts_in_flight();
    assert!(max_before >= 1, "the peer got the Accepts");

    // From now on every inbox of the peer hangs. ann publishes three public posts: 120 hanging
    // deliveries and three to B.
    peer.answer_posts(None);
    let mut uris: Vec<String> = Vec::new();
    for n in 0..3 {
        let (s, p) = api(
            &a,
            &ann,
            reqwest::Method::POST,
            "/posts",
            Some(json!({"content": format!("Post {n} for everyone")})),
        )
        .await;
        assert_eq!(s, 201, "{p}");
        uris.push(p["uri"].as_str().unwrap().to_string());
    }
    let published = Instant::now();

    // B has all three within 10 s, while the peer's deliveries are still in flight or waiting.
    let deadline = published + Duration::from_secs(10);
    while !uris.iter().all(|u| has_post(&b, u)) {
        assert!(
            Instant::now() < deadline,
            "B got {} of 3 posts within 10 s; A's queue: {:?}",
            uris.iter().filter(|u| has_post(&b, u)).count(),
            a.sql_string(
                "SELECT CAST(COUNT(*) AS TEXT) AS s FROM deliveries WHERE state = 'pending'"
            )
        );
        assert!(
            peer.posts_in_flight() <= PER_HOST,
            "{} POSTs in flight to one host",
            peer.posts_in_flight()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let waiting = a.sql_count(&format!(
        "SELECT COUNT(*) AS n FROM deliveries WHERE host = '{}' AND state = 'pending'",
        peer.host()
    ));
    assert_eq!(
        waiting,
        3 * HANGING_FOLLOWERS as i64,
        "none of the peer's deliveries is done: they are in flight, waiting or to be retried"
    );
    let b_rows = a.sql_count(&format!(
        "SELECT COUNT(*) AS n FROM deliveries WHERE host = '{}' AND state = 'done'",
        host(&b)
    ));
    assert!(b_rows >= 3, "A recorded its deliveries to B: {b_rows}");

    // Keep watching while the hanging deliveries time out and the peer's next rows take their
    // slots: never more than the cap in flight at once, and the peer is being tried.
    let watch_until = published + Duration::from_secs(20);
    loop {
        assert!(
            peer.posts_in_flight() <= PER_HOST,
            "{} POSTs in flight to one host",
            peer.posts_in_flight()
        );
        let timed_out = a.sql_count(&format!(
            "SELECT COUNT(*) AS n FROM deliveries WHERE host = '{}' AND state = 'pending' AND attempts > 0",
            peer.host()
        ));
        if timed_out >= 2 * PER_HOST as i64 {
            break;
        }
        assert!(
            Instant::now() < watch_until,
            "within 20 s only {timed_out} deliveries to the hanging peer timed out \
             (the delivery time-out is 2 s; the fetch time-out is 30 s)"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The peer's other rows keep being tried as slots free up (the worker picks the next row
    // when one times out; allow for a loaded machine rather than sampling one instant).
    let tried = peer
        .received()
        .iter()
        .filter(|r| r.method == "POST")
        .count();
    let still_tried_until = Instant::now() + Duration::from_secs(20);
    while peer
        .received()
        .iter()
        .filter(|r| r.method == "POST")
        .count()
        <= tried
    {
        assert!(
            Instant::now() < still_tried_until,
            "after {tried} POSTs the peer was no longer tried"
        );
        assert!(
            peer.posts_in_flight() <= PER_HOST,
            "{} POSTs in flight to one host",
            peer.posts_in_flight()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        peer.max_posts_in_flight() <= PER_HOST,
        "the peer saw {} POSTs in flight at once; the cap is {PER_HOST}",
        peer.max_posts_in_flight()
    );
    let errors: Value = json!(a.sql_string(&format!(
        "SELECT COALESCE(MAX(last_error), '') AS s FROM deliveries WHERE host = '{}' AND attempts > 0",
        peer.host()
    )));
    assert!(
        errors.as_str().unwrap_or("").contains("time"),
        "the peer's deliveries ended by a time-out: {errors}"
    );
}
