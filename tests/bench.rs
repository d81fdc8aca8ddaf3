//! Benchmarks (run by `scripts/bench`, never by the test suite: they are `#[ignore]`d and
//! assert only that the work was done, never how fast).
//!
//! (a) inbox ingest: signed `Create(Note)`s from 50 remote senders × 200 each;
//! (b) fan-out: one post to 1,000 follower inboxes on 10 receiving hosts (no shared inbox);
//! (c) idle and peak RSS of the receiving/sending instance.

use std::time::{Duration, Instant, SystemTime};

use serde_json::json;

use crate::federation::{counting_receiver, Signer};
use crate::harness::{backend, wait_quiet, Instance};

fn rss_kib(pid: i32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix(field)
                .map(|v| v.trim().trim_end_matches(" kB").trim().parse().unwrap_or(0))
        })
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run with scripts/bench"]
async fn bench_inbox_ingest_and_fan_out() {
    let senders = 50;
    let per_sender = std::env::var("KOGI_BENCH_PER_SENDER")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200usize);
    let a = Instance::start().await;
    let b = Instance::start().await;
    a.user("ann").await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle = rss_kib(a.pid(), "VmRSS:");

    // (a) inbox ingest.
    for i in 0..senders {
        b.cli_ok(&[
            "admin",
            "create-user",
            &format!("s{i}"),
            "--email",
            &format!("s{i}@example.org"),
            "--password",
            crate::harness::PASSWORD,
        ]);
    }
    let signers: Vec<Signer> = (0..senders)
        .map(|i| Signer::of(&b, &format!("s{i}")))
        .collect();
    let inbox = a.u("/inbox");
    // Sign everything first: the figure is the receiver's, not the sender's.
    let mut bodies = Vec::new();
    for (i, s) in signers.iter().enumerate() {
        for n in 0..per_sender {
            let actor = b.u(&format!("/users/s{i}"));
            let id = b.u(&format!("/posts/s{i}-{n}"));
            let body = serde_json::to_vec(&json!({
                "@context": "https://www.w3.org/ns/activitystreams", "id": format!("{id}/activity"), "type": "Create", "actor": actor,
                "to": ["https://www.w3.org/ns/activitystreams#Public"],
                "object": {"id": id, "type": "Note", "attributedTo": actor, "content": format!("<p>note {n}</p>"),
                           "to": ["https://www.w3.org/ns/activitystreams#Public"], "published": "2026-11-22T10:00:00Z"}
            }))
            .unwrap();
            let url = url::Url::parse(&inbox).unwrap();
            let req = kogi_federation::signatures::OutgoingRequest {
                method: "POST",
                url: &url,
                body: Some(&body),
                content_type: Some("application/activity+json"),
            };
            let headers =
                kogi_federation::signatures::sign(&req, &s.key_id, &s.pem, SystemTime::now())
                    .unwrap();
            bodies.push((body, headers));
        }
    }
    // Warm the receiver's key cache with one activity per sender, then time the rest.
    let client = reqwest::Client::new();
    let send = |body: Vec<u8>, headers: Vec<(String, String)>| {
        let client = client.clone();
        let inbox = inbox.clone();
        async move {
            let mut r = client
                .post(&inbox)
                .header("content-type", "application/activity+json")
                .body(body);
            for (k, v) in headers {
                if !k.eq_ignore_ascii_case("host") {
                    r = r.header(k, v);
                }
            }
            r.send().await.map(|r| r.status().as_u16()).unwrap_or(0)
        }
    };
    let mut warm = Vec::new();
    let mut rest = Vec::new();
    for (i, item) in bodies.into_iter().enumerate() {
        if i % per_sender == 0 {
            warm.push(item);
        } else {
            rest.push(item);
        }
    }
    for (body, headers) in warm {
        assert_eq!(send(body, headers).await, 202);
    }
    let total = rest.len();
    let started = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    let mut iter = rest.into_iter();
    let mut ok = 0usize;
    for _ in 0..32 {
        if let Some((body, headers)) = iter.next() {
            set.spawn(send(body, headers));
        }
    }
    while let Some(r) = set.join_next().await {
        if r.unwrap() == 202 {
            ok += 1;
        }
        if let Some((body, headers)) = iter.next() {
            set.spawn(send(body, headers));
        }
    }
    let ingest = started.elapsed();
    assert_eq!(ok, total);
    let stored = a.sql_count("SELECT COUNT(*) AS n FROM posts WHERE local = FALSE");
    assert_eq!(stored as usize, total + senders);

    // (b) fan-out: 1,000 followers, 100 on each of 10 receiving hosts, no shared inbox.
    let mut receivers = Vec::new();
    for _ in 0..10 {
        receivers.push(counting_receiver().await);
    }
    let ann_id = a.sql_count("SELECT actor_id AS n FROM accounts WHERE username = 'ann'");
    let now = "2026-11-22 10:00:00";
    for (h, (port, _)) in receivers.iter().enumerate() {
        for k in 0..100 {
            let ap = format!("http://127.0.0.1:{port}/users/f{h}_{k}");
            a.sql_exec(&format!(
                "INSERT INTO actors (ap_id, kind, handle, handle_norm, host, local, inbox_url, public_key_pem, created_at, updated_at, ap_type) \
                 VALUES ('{ap}', 'person', 'f{h}_{k}', 'f{h}_{k}', '127.0.0.1:{port}', FALSE, '{ap}/inbox', 'none', '{now}', '{now}', 'Person')"
            ));
            a.sql_exec(&format!(
                "INSERT INTO follows (follower_id, target_id, ap_id, state, created_at, updated_at) \
                 SELECT id, {ann_id}, '{ap}#follow', 'accepted', '{now}', '{now}' FROM actors WHERE ap_id = '{ap}'"
            ));
        }
    }
    let token = a.token("ann", crate::harness::PASSWORD).await;
    let started = Instant::now();
    let r = reqwest::Client::new()
        .post(a.u("/api/kogi/v1/posts"))
        .bearer_auth(&token)
        .json(&json!({"content": "to a thousand inboxes"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    wait_quiet(&[&a]).await;
    let fan_out = started.elapsed();
    let delivered: u32 = receivers
        .iter()
        .map(|(_, c)| c.lock().unwrap().values().sum::<u32>())
        .sum();
    assert_eq!(a.sql_count("SELECT COUNT(*) AS n FROM deliveries WHERE state = 'done' AND inbox_url LIKE '%/users/f%'"), 1000);
    assert_eq!(delivered, 1000);
    let peak = rss_kib(a.pid(), "VmHWM:");

    println!(
        "BENCH backend={:?} ingest: {total} activities in {:.2}s = {:.0}/s; fan-out: 1000 deliveries in {:.2}s = {:.0}/s; RSS idle {} MiB, peak {} MiB",
        backend(),
        ingest.as_secs_f64(),
        total as f64 / ingest.as_secs_f64(),
        fan_out.as_secs_f64(),
        1000.0 / fan_out.as_secs_f64(),
        idle / 1024,
        peak / 1024
    );
}
