//! Benchmarks (run by `scripts/bench`, never by the test suite: they are `#[ignore]`d and
//! assert only that the work was done, never how fast). Each figure is printed as one line
//! `BENCH <backend>/<name> <value> <unit>`. `KOGI_BENCH_SCALE` (default 1) scales the counts,
//! so a short run (`KOGI_BENCH_SCALE=0.05`) checks the benchmarks end to end.
//!
//! `bench_follow_ingest_fan_out_and_reads`, on one instance with one local person:
//! - RSS idle;
//! - inbox ingest of 1,000 signed `Follow`s of that person from 1,000 distinct actors (never
//!   seen before, so each costs a key fetch), 32 in flight: follows/s accepted (`202`), and
//!   follows/s end to end, until the signed `Accept` of every one has reached its sender;
//! - fan-out of one public post to those 1,000 followers, each with its own inbox (no shared
//!   inbox): deliveries/s until the last one has arrived;
//! - actor document GET/s and WebFinger GET/s with 50 concurrent connections;
//! - RSS and peak RSS after all that.
//!
//! `bench_note_ingest`: inbox ingest of signed `Create(Note)`s from 50 senders on a second
//! instance (200 each), their keys already cached: activities/s.
//!
//! The remote actors live on 10 hosts (`127.0.0.1` on 10 ports; Kogi tells servers apart by
//! host and port), 100 actors each, sending from 10 source addresses (`127.0.0.1`–`.10`).
//! Why 10 and not 1 or 1,000: Kogi allows at most 4 deliveries in flight to one server and 32
//! in all, and at most 4 key fetches in flight (600 a minute) per key host and per sending
//! address. On a single host those per-server caps would be the whole figure; with 10 hosts
//! the global caps (32) bind first, as they do for an instance with many peers, while the
//! whole crowd still fits in one test process.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::bench_peer::{get_rate, rss_kib, scaled, send_all, BenchHost};
use crate::federation::Signer;
use crate::harness::{backend, wait_quiet, Instance, PASSWORD};

const HOSTS: usize = 10;

fn report(name: &str, value: f64, unit: &str) {
    let b = format!("{:?}", backend()).to_lowercase();
    println!("BENCH {b}/{name} {value:.1} {unit}");
}

/// Waits until every one of `inboxes` has received a signed POST of type `kind`; the time of
/// the last one to arrive.
async fn wait_received(hosts: &[BenchHost], inboxes: &[String], kind: &str) -> Instant {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let posts: Vec<_> = hosts
            .iter()
            .flat_map(|h| h.posts())
            .filter(|p| p.kind == kind && p.signed)
            .collect();
        let missing = inboxes
            .iter()
            .filter(|i| !posts.iter().any(|p| p.path == **i))
            .count();
        if missing == 0 {
            return posts.iter().map(|p| p.at).max().unwrap();
        }
        assert!(
            Instant::now() < deadline,
            "{missing} of {} inboxes still wait for a {kind}",
            inboxes.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run with scripts/bench"]
async fn bench_follow_ingest_fan_out_and_reads() {
    let n = scaled(1000);
    let a = Instance::start().await;
    a.user("ann").await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    report(
        "rss_idle",
        rss_kib(a.pid(), "VmRSS:") as f64 / 1024.0,
        "MiB",
    );

    let mut hosts = Vec::new();
    for _ in 0..HOSTS {
        hosts.push(BenchHost::start().await);
    }
    let ann = a.u("/users/ann");
    let inbox = a.u("/users/ann/inbox");
    // Sign everything first: the figure is the receiver's, not the senders'.
    let mut follows = Vec::new();
    let mut inboxes = Vec::new();
    for i in 0..n {
        let host = &hosts[i % HOSTS];
        let name = format!("f{i}");
        let actor = host.actor(&name);
        let follow = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{actor}#follows/1"), "type": "Follow", "actor": actor, "object": ann,
        });
        let (body, headers) = host.sign(&name, &inbox, &follow);
        follows.push((1 + (i % HOSTS) as u8, body, headers));
        inboxes.push(format!("/users/{name}/inbox"));
    }

    // Inbox ingest of the Follows, then their Accepts reaching the senders.
    let started = Instant::now();
    let (ok, retries) = send_all(&inbox, follows, 32).await;
    let accepted = started.elapsed();
    assert_eq!(ok, n, "every Follow is answered 202");
    let last_accept = wait_received(&hosts, &inboxes, "Accept").await;
    report(
        "follow_ingest",
        n as f64 / accepted.as_secs_f64(),
        "follows/s",
    );
    report(
        "follow_to_accept",
        n as f64 / (last_accept - started).as_secs_f64(),
        "follows/s",
    );
    report("follow_ingest_retries", retries as f64, "retries");
    wait_quiet(&[&a]).await;

    // Fan-out of one post to the followers' inboxes.
    let token = a.token("ann", PASSWORD).await;
    let started = Instant::now();
    let r = reqwest::Client::new()
        .post(a.u("/api/kogi/v1/posts"))
        .bearer_auth(&token)
        .json(&json!({"content": "to a thousand inboxes"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let last_create = wait_received(&hosts, &inboxes, "Create").await;
    report(
        "fan_out",
        n as f64 / (last_create - started).as_secs_f64(),
        "deliveries/s",
    );
    wait_quiet(&[&a]).await;

    // Reads with 50 concurrent connections.
    let secs = scaled(10) as u64;
    let (rate, tool) = get_rate(&ann, "application/activity+json", 50, secs).await;
    println!("NOTE reads measured with {tool}, 50 connections, {secs} s each");
    report("actor_get", rate, "GET/s");
    let finger = a.u(&format!(
        "/.well-known/webfinger?resource=acct:ann@localhost:{}",
        a.port
    ));
    let (rate, _) = get_rate(&finger, "application/jrd+json", 50, secs).await;
    report("webfinger_get", rate, "GET/s");

    report(
        "rss_after_load",
        rss_kib(a.pid(), "VmRSS:") as f64 / 1024.0,
        "MiB",
    );
    report(
        "rss_peak",
        rss_kib(a.pid(), "VmHWM:") as f64 / 1024.0,
        "MiB",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run with scripts/bench"]
async fn bench_note_ingest() {
    let senders = 50;
    let per_sender = std::env::var("KOGI_BENCH_PER_SENDER")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| scaled(200).max(2));
    let a = Instance::start().await;
    let b = Instance::start().await;
    a.user("ann").await;
    for i in 0..senders {
        b.cli_ok(&[
            "admin",
            "create-user",
            &format!("s{i}"),
            "--email",
            &format!("s{i}@example.org"),
            "--password",
            PASSWORD,
        ]);
    }
    let signers: Vec<Signer> = (0..senders)
        .map(|i| Signer::of(&b, &format!("s{i}")))
        .collect();
    let inbox = a.u("/inbox");
    // Sign everything first: the figure is the receiver's, not the sender's.
    let mut warm = Vec::new();
    let mut rest = Vec::new();
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
            let headers = kogi_federation::signatures::sign(
                &req,
                &s.key_id,
                &s.pem,
                std::time::SystemTime::now(),
            )
            .unwrap();
            // The first activity of each sender warms the receiver's key cache.
            if n == 0 {
                warm.push((1, body, headers));
            } else {
                rest.push((1, body, headers));
            }
        }
    }
    let (ok, _) = send_all(&inbox, warm, 1).await;
    assert_eq!(ok, senders);
    let total = rest.len();
    let started = Instant::now();
    let (ok, _) = send_all(&inbox, rest, 32).await;
    let ingest = started.elapsed();
    assert_eq!(ok, total);
    let stored = a.sql_count("SELECT COUNT(*) AS n FROM posts WHERE local = FALSE");
    assert_eq!(stored as usize, total + senders);
    report(
        "note_ingest",
        total as f64 / ingest.as_secs_f64(),
        "activities/s",
    );
}
