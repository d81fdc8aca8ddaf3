//! The transactional outbox and the two-phase inbox, through crashes: a process killed
//! (SIGKILL, by the debug-build fail point `KOGI_TEST_FAILPOINT=after_commit:<use case>`)
//! right after a use case committed and before its activities were queued still federates
//! them, once, after a restart; an apply that fails part-way (`apply_fails:<use case>`)
//! leaves nothing and is applied once when the activity comes again.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::harness::{api, eventually, wait_quiet, Instance};

const FAILPOINT: &str = "KOGI_TEST_FAILPOINT";

fn host(i: &Instance) -> String {
    i.url.trim_start_matches("http://").to_string()
}

/// `who` on `from` follows `target@to` and waits until it is accepted.
async fn follow(from: &Instance, token: &str, target: &str, to: &Instance) {
    let (s, r) = api(
        from,
        token,
        Method::POST,
        "/follows",
        Some(json!({"target": format!("{target}@{}", host(to))})),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    eventually("the follow is accepted", || async {
        let (_, list) = api(from, token, Method::GET, "/follows", None).await;
        list[0]["state"] == "following"
    })
    .await;
}

async fn following_state(i: &Instance, token: &str) -> String {
    let (_, list) = api(i, token, Method::GET, "/follows", None).await;
    list[0]["state"].as_str().unwrap_or("").to_string()
}

#[tokio::test]
async fn a_post_committed_right_before_a_crash_reaches_the_follower_exactly_once() {
    let mut a = Instance::start().await;
    let b = Instance::start().await;
    let ann = a.user("ann").await;
    let bob = b.user("bob").await;
    follow(&b, &bob, "ann", &a).await;
    wait_quiet(&[&a, &b]).await;

    a.set_env(FAILPOINT, Some("after_commit:publish_post"));
    a.restart().await;
    // The request dies with the process: no answer.
    let sent = a
        .client()
        .post(a.u("/api/kogi/v1/posts"))
        .bearer_auth(&ann)
        .json(&json!({"content": "written just before the crash", "visibility": "public"}))
        .send()
        .await;
    assert!(sent.is_err(), "the process answered: {sent:?}");
    a.wait_exited().await;
    // Committed: the post and its event, but nothing queued yet.
    let ap_id = a.sql_string("SELECT ap_id AS s FROM posts WHERE local = TRUE");
    assert_eq!(
        a.sql_count("SELECT COUNT(*) AS n FROM outbox_events WHERE published_at IS NULL"),
        1
    );
    assert_eq!(
        a.sql_count(&format!(
            "SELECT COUNT(*) AS n FROM deliveries WHERE activity_json LIKE '%{ap_id}%'"
        )),
        0
    );

    a.set_env(FAILPOINT, None);
    a.restart().await;
    eventually("bob's server has the post", || async {
        b.sql_count(&format!(
            "SELECT COUNT(*) AS n FROM posts WHERE ap_id = '{ap_id}'"
        )) == 1
    })
    .await;
    wait_quiet(&[&a, &b]).await;
    // Published once, delivered once: a restart does not publish it again.
    a.restart().await;
    wait_quiet(&[&a, &b]).await;
    assert_eq!(
        a.sql_count("SELECT COUNT(*) AS n FROM outbox_events WHERE published_at IS NULL"),
        0
    );
    assert_eq!(
        a.sql_count(&format!(
            "SELECT COUNT(*) AS n FROM deliveries WHERE activity_json LIKE '%{ap_id}%'"
        )),
        1
    );
    assert_eq!(
        b.sql_count(&format!(
            "SELECT COUNT(*) AS n FROM posts WHERE ap_id = '{ap_id}'"
        )),
        1
    );
}

#[tokio::test]
async fn an_incoming_follow_applied_right_before_a_crash_is_accepted_once_after_restart() {
    let a = Instance::start().await;
    let mut b = Instance::start().await;
    let bob = a.user("bob").await;
    b.user("ann").await;
    b.set_env(FAILPOINT, Some("after_commit:receive_follow"));
    b.restart().await;

    let (s, r) = api(
        &a,
        &bob,
        Method::POST,
        "/follows",
        Some(json!({"target": format!("ann@{}", host(&b))})),
    )
    .await;
    assert_eq!((s, r["state"].as_str()), (200, Some("requested")), "{r}");
    b.wait_exited().await;
    // Applied and committed: the follow, the Follow's id as seen, the Accept as an event.
    assert_eq!(
        b.sql_count("SELECT COUNT(*) AS n FROM follows WHERE state = 'accepted'"),
        1
    );
    assert_eq!(
        b.sql_count("SELECT COUNT(*) AS n FROM inbox_seen WHERE done = TRUE"),
        1
    );
    assert_eq!(
        b.sql_count(
            "SELECT COUNT(*) AS n FROM outbox_events WHERE kind = 'follow_answered' AND published_at IS NULL"
        ),
        1
    );
    assert_eq!(b.sql_count("SELECT COUNT(*) AS n FROM deliveries"), 0);

    b.set_env(FAILPOINT, None);
    b.restart().await;
    eventually("bob's server has the Accept", || async {
        following_state(&a, &bob).await == "following"
    })
    .await;
    // bob's server sends the Follow again (its delivery failed with the crash): a replay.
    wait_quiet(&[&a, &b]).await;
    assert_eq!(
        b.sql_count("SELECT COUNT(*) AS n FROM deliveries WHERE activity_json LIKE '%\"Accept\"%'"),
        1
    );
    assert_eq!(b.sql_count("SELECT COUNT(*) AS n FROM follows"), 1);
    assert_eq!(
        b.sql_count("SELECT COUNT(*) AS n FROM notifications WHERE kind = 'follow'"),
        1
    );
}

#[tokio::test]
async fn an_apply_that_fails_part_way_leaves_nothing_and_applies_once_when_sent_again() {
    let a = Instance::start().await;
    let mut b = Instance::start().await;
    let bob = a.user("bob").await;
    b.user("ann").await;
    b.set_env(FAILPOINT, Some("apply_fails:receive_follow"));
    b.restart().await;

    let (s, r) = api(
        &a,
        &bob,
        Method::POST,
        "/follows",
        Some(json!({"target": format!("ann@{}", host(&b))})),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    // The Follow arrives and fails (500); bob's server retries it.
    eventually("the Follow was refused twice", || async {
        a.sql_count(
            "SELECT COUNT(*) AS n FROM deliveries WHERE last_status = 500 AND attempts >= 2",
        ) == 1
    })
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Nothing of it is left: no follow, no notification, the id unseen, no answer queued.
    for q in [
        "SELECT COUNT(*) AS n FROM follows",
        "SELECT COUNT(*) AS n FROM notifications",
        "SELECT COUNT(*) AS n FROM inbox_seen WHERE done = TRUE",
        "SELECT COUNT(*) AS n FROM outbox_events",
        "SELECT COUNT(*) AS n FROM deliveries",
    ] {
        assert_eq!(b.sql_count(q), 0, "{q}");
    }
    assert_eq!(following_state(&a, &bob).await, "requested");

    b.set_env(FAILPOINT, None);
    b.restart().await;
    eventually("the next retry is applied", || async {
        following_state(&a, &bob).await == "following"
    })
    .await;
    wait_quiet(&[&a, &b]).await;
    assert_eq!(
        b.sql_count("SELECT COUNT(*) AS n FROM follows WHERE state = 'accepted'"),
        1
    );
    assert_eq!(
        b.sql_count("SELECT COUNT(*) AS n FROM notifications WHERE kind = 'follow'"),
        1
    );
    assert_eq!(
        b.sql_count("SELECT COUNT(*) AS n FROM inbox_seen WHERE done = TRUE"),
        1
    );
}
