use std::sync::Arc;

use kogi_core::{deliveries, Core, CoreConfig};

#[test]
fn field_specs() {
    let f = super::parse_field("stage:choice:seed|series_a:required").unwrap();
    assert_eq!(f.choices, vec!["seed", "series_a"]);
    assert!(f.required);
    assert!(super::parse_field("x:colour").is_err());
    assert!(super::parse_field("x:text:a|b").is_err());
}

/// A core on a fresh SQLite database in `dir`.
async fn core(dir: &std::path::Path) -> Core {
    let url = format!("sqlite://{}", dir.join("kogi.db").display());
    let db = kogi_core::db::DbPool::connect(&url, 4).unwrap();
    kogi_core::db::migrate(&db, &url).await.unwrap();
    Core {
        db,
        config: Arc::new(CoreConfig {
            public_url: "http://kogi.test".into(),
            data_dir: dir.to_path_buf(),
            session_days: 30,
            confirm_token_hours: 24,
            reset_token_minutes: 60,
            avatar_max_bytes: 1 << 20,
            portfolio_import_max_bytes: 1 << 20,
            portfolio_media_max_bytes: 1 << 20,
        }),
        mailer: kogi_core::mail::Mailer::spool(dir.join("mail"), "kogi@kogi.test").unwrap(),
        settings_defaults: Arc::new(Default::default()),
        live: Default::default(),
    }
}

#[tokio::test]
async fn the_queue_report_counts_states_and_hosts_and_a_dead_host_can_be_retried() {
    let dir = tempfile::tempdir().unwrap();
    let core = core(dir.path()).await;
    let admin = super::create_user(&core, "ada", "ada@example.org", "a long passphrase 1", true)
        .await
        .unwrap();
    let actor = kogi_core::accounts::find_person(&core.db, &admin.username)
        .await
        .unwrap()
        .unwrap()
        .actor
        .id;
    let inboxes = [
        "http://down.test/inbox".to_string(),
        "http://down.test/users/b/inbox".to_string(),
        "http://up.test:8080/inbox".to_string(),
    ];
    deliveries::enqueue(&core, "http://kogi.test/a/1", "{}", actor, &inboxes)
        .await
        .unwrap();
    deliveries::enqueue(&core, "http://kogi.test/a/2", "{}", actor, &inboxes[2..])
        .await
        .unwrap();
    // One row to up.test is refused for good; down.test fails until it is dead.
    let rows = deliveries::for_activity(&core, "http://kogi.test/a/2")
        .await
        .unwrap();
    deliveries::finish(&core, rows[0].id, deliveries::FAILED, Some(410), None, None)
        .await
        .unwrap();
    assert!(
        deliveries::host_failed(&core, "down.test", chrono::Duration::zero())
            .await
            .unwrap()
    );
    let later = kogi_core::now() + chrono::Duration::hours(1);
    for r in deliveries::for_activity(&core, "http://kogi.test/a/1")
        .await
        .unwrap()
    {
        if r.host == "down.test" {
            deliveries::postpone(&core, r.id, later).await.unwrap();
        }
    }
    deliveries::host_probed(&core, "down.test").await.unwrap();

    let q = super::queue(&core).await.unwrap();
    assert_eq!(
        q.states,
        super::StateCounts {
            pending: 3,
            done: 0,
            failed: 1,
            expired: 0
        }
    );
    let hosts: Vec<(&str, i64, i64)> = q
        .hosts
        .iter()
        .map(|h| (h.host.as_str(), h.pending, h.failed))
        .collect();
    assert_eq!(hosts, vec![("down.test", 2, 0), ("up.test:8080", 1, 1)]);
    assert_eq!(q.dead.len(), 1);
    assert_eq!(q.dead[0].host, "down.test");
    assert!(q.dead[0].last_probe_at.is_some());

    // Retrying makes the host's rows due now and its probe due.
    assert_eq!(super::retry_host(&core, "DOWN.test").await.unwrap(), 2);
    let t = kogi_core::now();
    for r in deliveries::for_activity(&core, "http://kogi.test/a/1")
        .await
        .unwrap()
    {
        assert!(r.next_attempt_at <= t, "{r:?}");
    }
    let h = deliveries::instance(&core, "down.test")
        .await
        .unwrap()
        .unwrap();
    assert!(h.dead && h.last_probe_at.is_none());
    assert_eq!(super::retry_host(&core, "nowhere.test").await.unwrap(), 0);
    assert!(super::retry_host(&core, "a/b").await.is_err());
}

#[tokio::test]
async fn blocked_instances_are_listed_until_unblocked() {
    let dir = tempfile::tempdir().unwrap();
    let core = core(dir.path()).await;
    assert!(super::blocked_instances(&core).await.unwrap().is_empty());
    super::block_instance(&core, " Spam.Test ", true)
        .await
        .unwrap();
    super::block_instance(&core, "abuse.test:8443", true)
        .await
        .unwrap();
    deliveries::host_failed(&core, "other.test", chrono::Duration::hours(1))
        .await
        .unwrap();
    let hosts: Vec<String> = super::blocked_instances(&core)
        .await
        .unwrap()
        .into_iter()
        .map(|h| h.host)
        .collect();
    assert_eq!(hosts, vec!["abuse.test:8443", "spam.test"]);
    super::block_instance(&core, "spam.test", false)
        .await
        .unwrap();
    let hosts: Vec<String> = super::blocked_instances(&core)
        .await
        .unwrap()
        .into_iter()
        .map(|h| h.host)
        .collect();
    assert_eq!(hosts, vec!["abuse.test:8443"]);
}

#[tokio::test]
async fn settings_show_where_each_value_comes_from() {
    let dir = tempfile::tempdir().unwrap();
    let core = core(dir.path()).await;
    let before = super::settings(&core).await.unwrap();
    assert!(before
        .iter()
        .all(|s| s.source == kogi_core::settings::Source::Config));
    super::set_setting(&core, "name", "Kogi Test")
        .await
        .unwrap();
    let after = super::settings(&core).await.unwrap();
    let name = after.iter().find(|s| s.key == "name").unwrap();
    assert_eq!(name.value, "Kogi Test");
    assert_eq!(name.source, kogi_core::settings::Source::Saved);
    assert!(super::is_setting("name") && !super::is_setting("nope"));
}
