//! Operator use cases through the admin API and `kogi admin`: queue inspection with a real
//! queue (a follower on a host that went down), retrying a dead host, instance blocks and
//! settings.

use serde_json::{json, Value};

use crate::harness::{api, api_ok, eventually, wait_quiet, Instance, Opts};

fn host(i: &Instance) -> String {
    format!("localhost:{}", i.port)
}

fn host_row<'a>(q: &'a Value, h: &str) -> Option<&'a Value> {
    q["hosts"]
        .as_array()
        .and_then(|a| a.iter().find(|r| r["host"] == h))
}

fn is_dead(q: &Value, h: &str) -> bool {
    q["dead_hosts"]
        .as_array()
        .is_some_and(|a| a.iter().any(|r| r["host"] == h))
}

#[tokio::test]
async fn the_queue_shows_a_dead_follower_host_and_retrying_it_delivers_at_once() {
    // Fail fast: a second failed attempt a second after the first marks the host dead, and a
    // dead host is only probed hourly, so nothing reaches it unless an operator retries.
    let a = Instance::start_with(
        Opts::default()
            .env("KOGI_FEDERATION_DELIVERY_FIRST_RETRY_SECS", "1")
            .env("KOGI_FEDERATION_DELIVERY_DEAD_AFTER_SECS", "1"),
    )
    .await;
    let mut b = Instance::start().await;
    let ann = a.admin("ann").await;
    let carol = a.user("carol").await;
    let bob = b.user("bob").await;
    let (s, r) = api(
        &b,
        &bob,
        reqwest::Method::POST,
        "/follows",
        Some(json!({"target": format!("ann@{}", host(&a))})),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    wait_quiet(&[&a, &b]).await;
    eventually("bob follows ann", || async {
        let (_, list) = api(&b, &bob, reqwest::Method::GET, "/follows", None).await;
        list[0]["state"] == "following"
    })
    .await;

    // Only admins read the queue.
    let (s, _) = api(&a, &carol, reqwest::Method::GET, "/admin/queue", None).await;
    assert_eq!(s, 403);
    let (s, _) = api(&a, "", reqwest::Method::GET, "/admin/queue", None).await;
    assert_eq!(s, 401);

    b.kill();
    let (s, p) = api(
        &a,
        &ann,
        reqwest::Method::POST,
        "/posts",
        Some(json!({"content": "written while B is down"})),
    )
    .await;
    assert_eq!(s, 201, "{p}");
    let hb = host(&b);
    eventually("B is marked dead", || async {
        let q = api_ok(&a, &ann, reqwest::Method::GET, "/admin/queue", None).await;
        is_dead(&q, &hb)
    })
    .await;
    let q = api_ok(&a, &ann, reqwest::Method::GET, "/admin/queue", None).await;
    assert_eq!(host_row(&q, &hb).unwrap()["pending"], 1, "{q}");
    assert_eq!(host_row(&q, &hb).unwrap()["failed"], 0, "{q}");
    assert!(q["states"]["pending"].as_i64().unwrap() >= 1, "{q}");
    assert!(q["states"]["done"].as_i64().unwrap() >= 1, "{q}");
    let dead = q["dead_hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["host"] == hb.as_str())
        .unwrap();
    assert!(dead["failing_since"].is_string(), "{q}");

    // The CLI prints the same figures.
    let out = a.cli_ok(&["admin", "queue"]);
    assert!(
        out.lines().next().unwrap().starts_with(&format!(
            "pending {}\tdone {}\tfailed {}\texpired {}",
            q["states"]["pending"],
            q["states"]["done"],
            q["states"]["failed"],
            q["states"]["expired"]
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!("host {hb}\tpending 1\tfailed 0\n")),
        "{out}"
    );
    assert!(out.contains(&format!("dead {hb}\tfailing since ")), "{out}");

    // B is back; without a retry A would wait for the hourly probe. The operator retries it.
    b.restart().await;
    let out = a.cli_ok(&["admin", "retry-host", &hb]);
    assert_eq!(out, format!("1 deliveries to {hb} due now\n"));
    eventually("B receives the post", || async {
        b.sql_count(
            "SELECT COUNT(*) AS n FROM posts WHERE content_html LIKE '%written while B is down%'",
        ) == 1
    })
    .await;
    wait_quiet(&[&a, &b]).await;
    let q = api_ok(&a, &ann, reqwest::Method::GET, "/admin/queue", None).await;
    assert!(!is_dead(&q, &hb), "{q}");
    assert!(host_row(&q, &hb).is_none(), "{q}");
    assert_eq!(q["states"]["pending"], 0, "{q}");

    // The API retries too; nothing is left for B now.
    let path = format!("/admin/queue/hosts/{hb}/retry");
    let r = api_ok(&a, &ann, reqwest::Method::POST, &path, None).await;
    assert_eq!(r, json!({"retried": 0}));
    let (s, _) = api(&a, &carol, reqwest::Method::POST, &path, None).await;
    assert_eq!(s, 403);
    let (s, _) = api(
        &a,
        &ann,
        reqwest::Method::POST,
        "/admin/queue/hosts/ann@x/retry",
        None,
    )
    .await;
    assert_eq!(s, 422);
}

#[tokio::test]
async fn blocked_instances_and_settings_are_listed_by_the_api_and_the_cli() {
    let a = Instance::start().await;
    let ann = a.admin("ann").await;
    let carol = a.user("carol").await;
    let list = api_ok(
        &a,
        &ann,
        reqwest::Method::GET,
        "/admin/instances/blocked",
        None,
    )
    .await;
    assert_eq!(list, json!([]));
    assert_eq!(
        a.cli_ok(&["admin", "block-instance", "Spam.Example"]),
        "blocked Spam.Example\n"
    );
    a.cli_ok(&["admin", "block-instance", "abuse.example:8443"]);
    let list = api_ok(
        &a,
        &ann,
        reqwest::Method::GET,
        "/admin/instances/blocked",
        None,
    )
    .await;
    assert_eq!(
        list,
        json!([{"host": "abuse.example:8443"}, {"host": "spam.example"}])
    );
    assert_eq!(
        a.cli_ok(&["admin", "blocked-instances"]),
        "abuse.example:8443\nspam.example\n"
    );
    a.cli_ok(&["admin", "unblock-instance", "spam.example"]);
    assert_eq!(
        a.cli_ok(&["admin", "blocked-instances"]),
        "abuse.example:8443\n"
    );
    let (s, _) = api(
        &a,
        &carol,
        reqwest::Method::GET,
        "/admin/instances/blocked",
        None,
    )
    .await;
    assert_eq!(s, 403);

    // Settings: the CLI and the API agree on values and sources.
    assert!(a
        .cli_ok(&["admin", "settings"])
        .lines()
        .any(|l| l.starts_with("name\tconfig\t")));
    assert_eq!(
        a.cli_ok(&["admin", "set-setting", "name", "Kogi Lab"]),
        "saved name\n"
    );
    assert!(a
        .cli_ok(&["admin", "settings"])
        .lines()
        .any(|l| l == "name\tsaved\tKogi Lab"));
    let list = api_ok(&a, &ann, reqwest::Method::GET, "/admin/settings", None).await;
    let name = list
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == "name")
        .unwrap();
    assert_eq!(
        name,
        &json!({"key": "name", "value": "Kogi Lab", "source": "saved"})
    );
}
