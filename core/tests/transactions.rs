//! One transaction per use case, on both backends: a use case whose last step fails leaves
//! no row of its first steps, and a `db::tx` composed of several query functions rolls back
//! as a whole. SQLite always; PostgreSQL on the cluster `KOGI_TEST_PG_URL` names (scripts/test
//! sets it; without it the PostgreSQL half is skipped, unless `KOGI_TEST_REQUIRE_ALL` is set).
//!
//! One test function: the fail points are read from the process environment, which the tests
//! of this binary would otherwise share.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use diesel::prelude::*;
use kogi_core::accounts::{sign_up, Actor, Role, SignupMode, SignupRequest};
use kogi_core::actors::RemoteActor;
use kogi_core::db::{self, Conn, DbPool};
use kogi_core::follows::actions::{follow, receive_follow, FollowState, Received};
use kogi_core::outbox::{self, DomainEvent};
use kogi_core::posts::actions::{react, receive_reaction, unreact, Relay};
use kogi_core::posts::{NewPost, Visibility, LIKE};
use kogi_core::{with_conn, Core, CoreConfig, Error};

const FAILPOINT: &str = "KOGI_TEST_FAILPOINT";

#[derive(QueryableByName)]
struct N {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

async fn count(core: &Core, sql: &'static str) -> i64 {
    db::run(&core.db, move |c: &mut Conn| {
        with_conn!(c, |c| Ok(diesel::sql_query(sql).get_result::<N>(c)?.n))
    })
    .await
    .expect(sql)
}

async fn core_for(url: &str, dir: &std::path::Path) -> Core {
    let db = DbPool::connect(url, 4).expect("connect");
    db::migrate(&db, url).await.expect("migrate");
    Core {
        db,
        config: Arc::new(CoreConfig {
            public_url: "https://kogi.test".into(),
            data_dir: dir.to_path_buf(),
            session_days: 30,
            confirm_token_hours: 24,
            reset_token_minutes: 30,
            avatar_max_bytes: 1 << 20,
            portfolio_import_max_bytes: 1 << 20,
            portfolio_media_max_bytes: 1 << 20,
        }),
        mailer: kogi_core::mail::Mailer::spool(dir.join("mail"), "kogi@kogi.test").expect("mailer"),
        settings_defaults: Default::default(),
        live: Default::default(),
    }
}

async fn local_person(core: &Core, name: &str) -> Actor {
    let req = SignupRequest {
        username: name.into(),
        email: format!("{name}@kogi.test"),
        password: "a long enough password".into(),
        language: None,
    };
    sign_up(core, req, SignupMode::ByAdmin(Role::User))
        .await
        .expect("sign up");
    kogi_core::accounts::find_local_actor(core, name)
        .await
        .expect("read")
        .expect("the person's actor")
}

async fn remote_person(core: &Core) -> Actor {
    let base = "https://remote.test/users/rita";
    kogi_core::actors::upsert_remote(
        core,
        RemoteActor {
            ap_id: base.into(),
            ap_type: "Person".into(),
            handle: "rita".into(),
            host: "remote.test".into(),
            display_name: "Rita".into(),
            summary: String::new(),
            avatar_url: None,
            profile_url: None,
            inbox_url: format!("{base}/inbox"),
            shared_inbox_url: None,
            outbox_url: None,
            followers_url: None,
            following_url: None,
            key_id: format!("{base}#main-key"),
            public_key_pem: String::new(),
            manually_approves_followers: false,
            links_json: "[]".into(),
            portfolio: None,
            community: None,
        },
    )
    .await
    .expect("remote actor")
}

/// Everything of one backend, in order.
async fn check(core: &Core) {
    let ann = local_person(core, "ann").await;
    let rita = remote_person(core).await;

    // A composed transaction of several query functions whose last step fails: nothing of
    // the first steps remains.
    let (aid, rid) = (ann.id, rita.id);
    let failed = db::tx(&core.db, move |c| {
        let f =
            kogi_core::follows::upsert_in(c, aid, rid, "https://kogi.test/follow/x", "pending")?;
        kogi_core::posts::actions::notify_in(c, rid, "follow", aid, None)?;
        outbox::record(c, aid, &DomainEvent::FollowRequested { follow_id: f.id })?;
        Err::<(), _>(Error::Internal("the last step fails".into()))
    })
    .await;
    assert!(failed.is_err());
    assert_eq!(count(core, "SELECT COUNT(*) AS n FROM follows").await, 0);
    assert_eq!(
        count(core, "SELECT COUNT(*) AS n FROM notifications").await,
        0
    );
    assert_eq!(
        count(core, "SELECT COUNT(*) AS n FROM outbox_events").await,
        0
    );

    // The follow use case failing at its last step (the outbox event): no follow row either.
    std::env::set_var(FAILPOINT, "apply_fails:follow");
    assert!(follow(core, &ann, &rita).await.is_err());
    assert_eq!(count(core, "SELECT COUNT(*) AS n FROM follows").await, 0);
    assert_eq!(
        count(core, "SELECT COUNT(*) AS n FROM outbox_events").await,
        0
    );
    // Without the fail point the same use case writes both.
    std::env::remove_var(FAILPOINT);
    assert_eq!(
        follow(core, &ann, &rita).await.expect("follow"),
        FollowState::Requested
    );
    assert_eq!(count(core, "SELECT COUNT(*) AS n FROM follows").await, 1);
    assert_eq!(
        count(
            core,
            "SELECT COUNT(*) AS n FROM outbox_events WHERE kind = 'follow_requested'"
        )
        .await,
        1
    );

    // An incoming Follow whose apply fails after its first writes (seen mark, follow row):
    // the id stays unseen, no follow, no notification, no Accept queued.
    let activity = "https://remote.test/activities/follow-1";
    assert_eq!(
        kogi_core::inbox::claim(core, activity)
            .await
            .expect("claim"),
        kogi_core::inbox::Claim::Claimed
    );
    std::env::set_var(FAILPOINT, "apply_fails:receive_follow");
    assert!(receive_follow(core, &rita, &ann, activity).await.is_err());
    std::env::remove_var(FAILPOINT);
    assert_eq!(
        count(
            core,
            "SELECT COUNT(*) AS n FROM inbox_seen WHERE done = TRUE"
        )
        .await,
        0
    );
    assert_eq!(count(core, "SELECT COUNT(*) AS n FROM follows").await, 1);
    assert_eq!(
        count(core, "SELECT COUNT(*) AS n FROM notifications").await,
        0
    );
    assert_eq!(
        count(
            core,
            "SELECT COUNT(*) AS n FROM outbox_events WHERE kind = 'follow_answered'"
        )
        .await,
        0
    );
    // Applied again (the redelivery): once, whole.
    assert_eq!(
        receive_follow(core, &rita, &ann, activity)
            .await
            .expect("apply"),
        Received::Accepted
    );
    assert_eq!(
        count(
            core,
            "SELECT COUNT(*) AS n FROM inbox_seen WHERE done = TRUE"
        )
        .await,
        1
    );
    assert_eq!(count(core, "SELECT COUNT(*) AS n FROM follows").await, 2);
    assert_eq!(
        count(core, "SELECT COUNT(*) AS n FROM notifications").await,
        1
    );
    assert_eq!(
        count(
            core,
            "SELECT COUNT(*) AS n FROM outbox_events WHERE kind = 'follow_answered'"
        )
        .await,
        1
    );

    // A remote Like of a local post, relayed by a community, whose apply fails part-way: no
    // reaction, no count, no notification, no relay queued, the id unseen; redelivered, it
    // applies once and whole.
    let post = kogi_core::posts::actions::publish(core, local_post(ann.id), vec![])
        .await
        .expect("publish");
    let like = "https://remote.test/activities/like-1";
    let relay = Relay {
        community_id: 1,
        community_actor_id: ann.id,
        activity: format!(r#"{{"id":"{like}","type":"Like"}}"#),
    };
    assert_eq!(
        kogi_core::inbox::claim(core, like).await.expect("claim"),
        kogi_core::inbox::Claim::Claimed
    );
    std::env::set_var(FAILPOINT, "apply_fails:receive_reaction");
    let failed = receive_reaction(core, LIKE, like, rita.id, post.id, Some(relay.clone())).await;
    std::env::remove_var(FAILPOINT);
    assert!(failed.is_err());
    let reactions = "SELECT COUNT(*) AS n FROM reactions";
    let likes = "SELECT COUNT(*) AS n FROM posts WHERE like_count = 1";
    let relayed = "SELECT COUNT(*) AS n FROM outbox_events WHERE kind = 'relayed'";
    let liked = "SELECT COUNT(*) AS n FROM notifications WHERE kind = 'like'";
    let seen = "SELECT COUNT(*) AS n FROM inbox_seen WHERE done = TRUE";
    for (sql, n) in [
        (reactions, 0),
        (likes, 0),
        (relayed, 0),
        (liked, 0),
        (seen, 1),
    ] {
        assert_eq!(count(core, sql).await, n, "{sql}");
    }
    assert!(
        receive_reaction(core, LIKE, like, rita.id, post.id, Some(relay))
            .await
            .expect("apply")
    );
    for (sql, n) in [
        (reactions, 1),
        (likes, 1),
        (relayed, 1),
        (liked, 1),
        (seen, 2),
    ] {
        assert_eq!(count(core, sql).await, n, "{sql}");
    }

    // A local like and its undo: each one transaction with its event; a second like is none.
    assert!(react(core, LIKE, ann.id, post.id).await.expect("like"));
    assert!(!react(core, LIKE, ann.id, post.id)
        .await
        .expect("like again"));
    assert!(unreact(core, LIKE, ann.id, post.id).await.expect("unlike"));
    let added = "SELECT COUNT(*) AS n FROM outbox_events WHERE kind = 'reaction_added'";
    let undone = "SELECT COUNT(*) AS n FROM outbox_events WHERE kind = 'reaction_undone'";
    for (sql, n) in [(added, 1), (undone, 1), (reactions, 1), (likes, 1)] {
        assert_eq!(count(core, sql).await, n, "{sql}");
    }

    // Deleting a post whose event cannot be written: the post stays.
    std::env::set_var(FAILPOINT, "apply_fails:delete_post");
    assert!(kogi_core::posts::actions::delete(core, post.id)
        .await
        .is_err());
    std::env::remove_var(FAILPOINT);
    let deleted = "SELECT COUNT(*) AS n FROM posts WHERE deleted_at IS NOT NULL";
    assert_eq!(count(core, deleted).await, 0);
    assert_eq!(count(core, reactions).await, 1);
    kogi_core::posts::actions::delete(core, post.id)
        .await
        .expect("delete");
    let gone = "SELECT COUNT(*) AS n FROM outbox_events WHERE kind = 'post_deleted'";
    for (sql, n) in [(deleted, 1), (gone, 1), (reactions, 0)] {
        assert_eq!(count(core, sql).await, n, "{sql}");
    }
    communities(core, &ann, &rita).await;
    portfolios(core, &ann).await;
}

/// An item's edit and its federated copy, and a project update, each one transaction.
async fn portfolios(core: &Core, ann: &Actor) {
    use kogi_core::portfolios::{store, State};
    let input = store::PortfolioInput {
        handle: Some("ann_work".into()),
        title: Some("Ann's work".into()),
        portfolio_type: Some("creative".into()),
        ..Default::default()
    };
    let p = store::create(core, ann, input).await.expect("portfolio");
    let p = store::set_state(core, &p, State::Published)
        .await
        .expect("publish portfolio");
    let item_input = store::ItemInput {
        title: Some("Chair".into()),
        ..Default::default()
    };
    let item = store::create_item(core, &p, item_input)
        .await
        .expect("item");
    let item = store::set_item_state(core, &item, State::Published)
        .await
        .expect("publish item");
    let published = "SELECT COUNT(*) AS n FROM outbox_events WHERE kind = 'item_published'";
    assert_eq!(count(core, published).await, 1);
    assert!(item.post_id.is_some(), "the item has its federated copy");

    // The edit fails after its first write: the title, the copy and the outbox are as before.
    std::env::set_var(FAILPOINT, "apply_fails:update_item");
    let edit = store::ItemInput {
        title: Some("Table".into()),
        ..Default::default()
    };
    assert!(store::update_item(core, &p, &item, edit.clone())
        .await
        .is_err());
    std::env::remove_var(FAILPOINT);
    let renamed = "SELECT COUNT(*) AS n FROM portfolio_items WHERE title = 'Table'";
    let copy = "SELECT COUNT(*) AS n FROM posts WHERE content_html LIKE '%Table%'";
    for (sql, n) in [(renamed, 0), (copy, 0), (published, 1)] {
        assert_eq!(count(core, sql).await, n, "{sql}");
    }
    store::update_item(core, &p, &item, edit)
        .await
        .expect("edit");
    for (sql, n) in [(renamed, 1), (copy, 1), (published, 2)] {
        assert_eq!(count(core, sql).await, n, "{sql}");
    }

    // Deleting it queues the Delete for followers in the same transaction.
    let item = kogi_core::portfolios::queries::item(core, item.id)
        .await
        .expect("read")
        .expect("item");
    store::delete_item(core, &item).await.expect("delete item");
    let withdrawn = "SELECT COUNT(*) AS n FROM outbox_events WHERE kind = 'item_withdrawn'";
    assert_eq!(count(core, withdrawn).await, 1);

    // A project update whose last step fails: no post, no link, no event.
    let project = store::create_project(
        core,
        &p,
        store::ProjectInput {
            title: Some("Stool".into()),
            ..Default::default()
        },
    )
    .await
    .expect("project");
    let draft = store::UpdateDraft {
        ap_id: "https://kogi.test/posts/update1".into(),
        text: "Sanded today".into(),
        html: "<p>Sanded today</p>".into(),
        tags: vec![],
    };
    std::env::set_var(FAILPOINT, "apply_fails:post_project_update");
    assert!(store::post_update(core, &p, &project, draft.clone())
        .await
        .is_err());
    std::env::remove_var(FAILPOINT);
    let updates = "SELECT COUNT(*) AS n FROM project_updates";
    let posted = "SELECT COUNT(*) AS n FROM outbox_events WHERE kind = 'project_update_posted'";
    let post = "SELECT COUNT(*) AS n FROM posts WHERE source_text = 'Sanded today'";
    for (sql, n) in [(updates, 0), (posted, 0), (post, 0)] {
        assert_eq!(count(core, sql).await, n, "{sql}");
    }
    store::post_update(core, &p, &project, draft)
        .await
        .expect("update");
    for (sql, n) in [(updates, 1), (posted, 1), (post, 1)] {
        assert_eq!(count(core, sql).await, n, "{sql}");
    }
}

/// Joining by invitation and removing a member, each one transaction.
async fn communities(core: &Core, ann: &Actor, rita: &Actor) {
    use kogi_core::communities::{actions::CommunityInput, manage};
    let input = CommunityInput {
        handle: Some("studio".into()),
        name: Some("Studio".into()),
        visibility: Some("invite".into()),
        ..Default::default()
    };
    let c = kogi_core::communities::actions::create(core, ann, input)
        .await
        .expect("community");
    let bea = local_person(core, "bea").await;
    assert!(matches!(
        manage::join(core, &bea, &c, None).await,
        Err(Error::Forbidden("invite_only"))
    ));
    manage::invite(core, ann, &c, &bea).await.expect("invite");

    // Joining fails after the invitation was consumed: the invitation is still there.
    std::env::set_var(FAILPOINT, "apply_fails:join_invited");
    assert!(manage::join(core, &bea, &c, None).await.is_err());
    std::env::remove_var(FAILPOINT);
    let unused = "SELECT COUNT(*) AS n FROM community_invites WHERE used_at IS NULL";
    assert_eq!(count(core, unused).await, 1);
    let state = manage::join(core, &bea, &c, None).await.expect("join");
    assert_eq!(state, FollowState::Following);
    assert_eq!(count(core, unused).await, 0);

    // Removing a remote member whose Reject cannot be queued: still a member.
    let gid = c.actor.id;
    let (rid, follow) = (rita.id, "https://remote.test/follows/1");
    db::tx(&core.db, move |conn| {
        kogi_core::follows::upsert_in(conn, rid, gid, follow, kogi_core::follows::ACCEPTED)
    })
    .await
    .expect("rita joins");
    std::env::set_var(FAILPOINT, "apply_fails:remove_member");
    assert!(manage::remove_member(core, &c, rita, None).await.is_err());
    std::env::remove_var(FAILPOINT);
    let rita_in = "SELECT COUNT(*) AS n FROM follows WHERE ap_id = 'https://remote.test/follows/1'";
    let removed = "SELECT COUNT(*) AS n FROM outbox_events WHERE kind = 'member_removed'";
    assert_eq!(count(core, rita_in).await, 1);
    assert_eq!(count(core, removed).await, 0);
    assert!(manage::remove_member(core, &c, rita, None)
        .await
        .expect("remove"));
    assert_eq!(count(core, rita_in).await, 0);
    assert_eq!(count(core, removed).await, 1);
    assert!(!manage::remove_member(core, &c, rita, None)
        .await
        .expect("remove again"));

    // A thread whose Create cannot be queued: neither the post nor its place stays.
    let mut thread = local_post(ann.id);
    thread.ap_id = "https://kogi.test/posts/t1".into();
    let placement = manage::Placement::Thread {
        title: "Crits on Friday".into(),
    };
    std::env::set_var(FAILPOINT, "apply_fails:publish_in_community");
    let failed = manage::publish_post(core, &c, thread.clone(), placement.clone()).await;
    std::env::remove_var(FAILPOINT);
    assert!(failed.is_err());
    let t1 = "SELECT COUNT(*) AS n FROM posts WHERE ap_id = 'https://kogi.test/posts/t1'";
    let threads = "SELECT COUNT(*) AS n FROM community_posts WHERE kind = 'thread'";
    let published =
        "SELECT COUNT(*) AS n FROM outbox_events WHERE kind = 'community_post_published'";
    for (sql, n) in [(t1, 0), (threads, 0), (published, 0)] {
        assert_eq!(count(core, sql).await, n, "{sql}");
    }
    manage::publish_post(core, &c, thread, placement)
        .await
        .expect("thread");
    for (sql, n) in [(t1, 1), (threads, 1), (published, 1)] {
        assert_eq!(count(core, sql).await, n, "{sql}");
    }

    // A member's thread from another server whose apply fails after the post was stored:
    // no post, no place, no relay, the activity id unseen; sent again, it is applied once.
    let mut remote_thread = local_post(rita.id);
    remote_thread.ap_id = "https://remote.test/notes/t2".into();
    remote_thread.local = false;
    let received = kogi_core::posts::received::ReceivedPost {
        post: remote_thread,
        mentioned: vec![ann.id],
    };
    let create = "https://remote.test/notes/t2/activity";
    let receive = |r: kogi_core::posts::received::ReceivedPost| {
        kogi_core::communities::received::receive_post(
            core,
            &c,
            r,
            manage::Placement::Thread {
                title: "From afar".into(),
            },
            format!(r#"{{"id":"{create}","type":"Create"}}"#),
            r#"{"id":"https://remote.test/notes/t2","type":"Page"}"#.into(),
            create,
        )
    };
    assert!(matches!(
        kogi_core::inbox::claim(core, create).await,
        Ok(kogi_core::inbox::Claim::Claimed)
    ));
    std::env::set_var(FAILPOINT, "apply_fails:receive_community_post");
    assert!(receive(received.clone()).await.is_err());
    std::env::remove_var(FAILPOINT);
    kogi_core::inbox::release(core, create)
        .await
        .expect("release");
    let t2 = "SELECT COUNT(*) AS n FROM posts WHERE ap_id = 'https://remote.test/notes/t2'";
    let far = "SELECT COUNT(*) AS n FROM community_posts WHERE title = 'From afar'";
    let relayed = "SELECT COUNT(*) AS n FROM outbox_events WHERE kind = 'relayed' AND payload LIKE '%notes/t2%'";
    let mention = "SELECT COUNT(*) AS n FROM notifications WHERE kind = 'mention'";
    let seen =
        "SELECT COUNT(*) AS n FROM inbox_seen WHERE done = TRUE AND activity_id LIKE '%notes/t2%'";
    for (sql, n) in [(t2, 0), (far, 0), (relayed, 0), (mention, 0), (seen, 0)] {
        assert_eq!(count(core, sql).await, n, "{sql}");
    }
    assert!(matches!(
        kogi_core::inbox::claim(core, create).await,
        Ok(kogi_core::inbox::Claim::Claimed)
    ));
    receive(received).await.expect("received");
    for (sql, n) in [(t2, 1), (far, 1), (relayed, 1), (mention, 1), (seen, 1)] {
        assert_eq!(count(core, sql).await, n, "{sql}");
    }

    // Its author's edit whose apply fails: the old text stays and no relay is queued; sent
    // again, the edit and its relay land together.
    let mut edited = local_post(rita.id);
    edited.ap_id = "https://remote.test/notes/t2".into();
    edited.local = false;
    edited.content_html = "<p>edited from afar</p>".into();
    let edit = kogi_core::posts::received::ReceivedPost {
        post: edited,
        mentioned: vec![],
    };
    let relay = kogi_core::posts::actions::Relay {
        community_id: c.id(),
        community_actor_id: c.actor.id,
        activity: r#"{"id":"https://remote.test/notes/t2#update","type":"Update"}"#.into(),
    };
    let update = Some("https://remote.test/notes/t2#update".to_string());
    std::env::set_var(FAILPOINT, "apply_fails:receive_edit");
    let failed = kogi_core::posts::received::receive_edit(
        core,
        edit.clone(),
        Some(relay.clone()),
        update.clone(),
    )
    .await;
    std::env::remove_var(FAILPOINT);
    assert!(failed.is_err());
    let new_text = "SELECT COUNT(*) AS n FROM posts WHERE content_html LIKE '%edited from afar%'";
    let edit_relayed =
        "SELECT COUNT(*) AS n FROM outbox_events WHERE kind = 'relayed' AND payload LIKE '%#update%'";
    for (sql, n) in [(new_text, 0), (edit_relayed, 0)] {
        assert_eq!(count(core, sql).await, n, "{sql}");
    }
    kogi_core::posts::received::receive_edit(core, edit, Some(relay), update)
        .await
        .expect("edit");
    for (sql, n) in [(new_text, 1), (edit_relayed, 1)] {
        assert_eq!(count(core, sql).await, n, "{sql}");
    }

    // Chat: only members write, and the message comes with its event.
    let html = "<p>hi</p>";
    assert!(matches!(
        manage::post_chat(core, rita, &c, "https://kogi.test/chat/x", html).await,
        Err(Error::Forbidden(_))
    ));
    manage::post_chat(core, ann, &c, "https://kogi.test/chat/1", html)
        .await
        .expect("chat");
    let chat = "SELECT COUNT(*) AS n FROM outbox_events WHERE kind = 'chat_posted'";
    assert_eq!(count(core, chat).await, 1);

    // A vote from another server whose apply fails: not counted, and no Update queued; sent
    // again, it counts once.
    let mut poll = local_post(ann.id);
    poll.ap_id = "https://kogi.test/posts/poll".into();
    poll.kind = "Question".into();
    let options = ["wood".to_string(), "steel".to_string()];
    poll.poll = Some(kogi_core::communities::moderation::new_poll(&options, false).expect("poll"));
    let title = manage::Placement::Thread {
        title: "Material?".into(),
    };
    let poll = manage::publish_post(core, &c, poll, title)
        .await
        .expect("poll");
    let (vote, activity) = (
        "https://remote.test/votes/1",
        "https://remote.test/votes/1/activity",
    );
    std::env::set_var(FAILPOINT, "apply_fails:receive_vote");
    let failed = manage::receive_vote(core, &poll, bea.id, "wood", vote, activity).await;
    std::env::remove_var(FAILPOINT);
    assert!(failed.is_err());
    let votes = "SELECT COUNT(*) AS n FROM poll_votes";
    let updated = "SELECT COUNT(*) AS n FROM outbox_events WHERE kind = 'poll_updated'";
    assert_eq!(count(core, votes).await, 0);
    assert_eq!(count(core, updated).await, 0);
    for counted in [true, false] {
        let again = manage::receive_vote(core, &poll, bea.id, "wood", vote, activity).await;
        assert_eq!(again.expect("vote"), counted);
    }
    assert_eq!(count(core, votes).await, 1);
    assert_eq!(count(core, updated).await, 1);
}

fn local_post(author_id: i64) -> NewPost {
    NewPost {
        ap_id: "https://kogi.test/posts/p1".into(),
        author_id,
        local: true,
        kind: "Note".into(),
        content_html: "<p>hello</p>".into(),
        source_text: Some("hello".into()),
        summary: None,
        sensitive: false,
        language: None,
        visibility: Visibility::Public,
        in_reply_to_ap_id: None,
        url: None,
        attachments: vec![],
        tags: vec![],
        poll: None,
        published_at: kogi_core::now(),
        edited_at: None,
        like_count: 0,
        announce_count: 0,
        recipients: vec![],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_use_case_whose_last_step_fails_leaves_nothing_on_both_backends() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite = core_for(
        &format!("sqlite://{}", dir.path().join("kogi.db").display()),
        dir.path(),
    )
    .await;
    check(&sqlite).await;

    let Some(admin_url) = std::env::var("KOGI_TEST_PG_URL")
        .ok()
        .filter(|v| !v.is_empty())
    else {
        assert!(
            std::env::var("KOGI_TEST_REQUIRE_ALL").is_err(),
            "KOGI_TEST_PG_URL is not set; run the tests through scripts/test"
        );
        eprintln!("skipping PostgreSQL: KOGI_TEST_PG_URL is not set");
        return;
    };
    let name = format!("kogi_core_tx_{}", std::process::id());
    let mut admin = diesel::PgConnection::establish(&admin_url).expect("connect to the cluster");
    diesel::sql_query(format!("DROP DATABASE IF EXISTS {name}"))
        .execute(&mut admin)
        .expect("drop");
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .expect("create");
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url.as_str(), |(b, _)| b);
    let pg = core_for(&format!("{base}/{name}"), dir.path()).await;
    check(&pg).await;
    drop(pg);
    let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut admin);
}
