//! Portfolios end to end: followed from another Kogi instance and from a bovine peer, items
//! and updates federated (and the ones that must not leave, not), team permissions, watching,
//! bookmarks, messages to the owners, templates and clones, the Atom feed, export and import,
//! and bad input.

use std::io::Write;

use reqwest::{multipart, Method};
use serde_json::{json, Value};

use crate::harness::{api, api_ok as ok, eventually, png, tool, wait_quiet, Instance};
use crate::interop::BovinePeer;

const AP: &str = "application/activity+json";

async fn upload(
    i: &Instance,
    token: &str,
    path: &str,
    name: &str,
    bytes: Vec<u8>,
    extra: &[(&str, &str)],
) -> (u16, Value) {
    let mut form = multipart::Form::new().part(
        "file",
        multipart::Part::bytes(bytes).file_name(name.to_string()),
    );
    for (k, v) in extra {
        form = form.text(k.to_string(), v.to_string());
    }
    let method = if path.ends_with("/cover") {
        Method::PUT
    } else {
        Method::POST
    };
    let r = reqwest::Client::new()
        .request(method, i.u(&format!("/api/kogi/v1{path}")))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

async fn get(url: &str, accept: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(url)
        .header("accept", accept)
        .send()
        .await
        .unwrap()
}

/// A published public portfolio `studio` owned by `owner` on `a`.
async fn studio(a: &Instance, owner: &str) -> Value {
    ok(
        a,
        owner,
        Method::POST,
        "/portfolios",
        Some(json!({
            "handle": "studio", "title": "Studio Nine", "summary": "Design and research.",
            "portfolio_type": "creative", "tags": ["design", "Research"],
            "links": [{"name": "Site", "url": "https://studio.example"}],
        })),
    )
    .await;
    ok(a, owner, Method::POST, "/portfolios/studio/publish", None).await
}

#[tokio::test]
async fn a_portfolio_is_followed_from_kogi_and_bovine_and_its_work_federates_until_deleted() {
    let a = Instance::start().await;
    let b = Instance::start().await;
    let ann = a.user("ann").await;
    let bea = b.user("bea").await;
    studio(&a, &ann).await;
    let pid = a.u("/portfolios/studio");

    // The portfolio is an Organization actor, found by WebFinger, with its owner as attributedTo.
    let doc: Value = get(&pid, AP).await.json().await.unwrap();
    assert_eq!(doc["type"], "Organization");
    assert_eq!(doc["attributedTo"], json!([a.u("/users/ann")]));
    assert_eq!(doc["kogi:portfolioType"], "creative");
    assert_eq!(doc["kogi:items"], format!("{pid}/items"));
    assert_eq!(doc["inbox"], format!("{pid}/inbox"));
    let wf: Value = reqwest::get(a.u(&format!(
        "/.well-known/webfinger?resource=acct:studio@localhost:{}",
        a.port
    )))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(
        wf["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rel"] == "self")
            .unwrap()["href"],
        pid
    );

    // Followed from B (a Kogi instance) and from a bovine peer.
    let f = ok(
        &b,
        &bea,
        Method::POST,
        "/follows",
        Some(json!({"target": format!("studio@localhost:{}", a.port)})),
    )
    .await;
    assert_eq!(f["target"]["id"], pid);
    let peer = match tool("KOGI_TEST_PYTHON") {
        Some(py) => Some(BovinePeer::start(&py).await),
        None => None,
    };
    if let Some(peer) = &peer {
        let r = peer
            .control(
                "/control/follow",
                json!({"target": format!("studio@localhost:{}", a.port)}),
            )
            .await;
        assert_eq!(r["status"], 202, "{r}");
    }
    wait_quiet(&[&a, &b]).await;
    eventually("A has two followers of the portfolio", || async {
        a.sql_count("SELECT COUNT(*) AS n FROM follows f JOIN actors t ON t.id = f.target_id WHERE t.handle = 'studio' AND f.state = 'accepted'")
            == if peer.is_some() { 2 } else { 1 }
    }).await;
    let following = ok(
        &b,
        &bea,
        Method::GET,
        &format!("/portfolios/studio@localhost:{}", a.port),
        None,
    )
    .await;
    assert_eq!(following["following"], true, "{following}");
    assert_eq!(following["portfolio_type"], "creative");

    // A new item with a file and an image: B stores it as an item of the remote portfolio
    // and shows its fields; the peer gets a readable, signed Article.
    let item = ok(&a, &ann, Method::POST, "/portfolios/studio/items", Some(json!({
        "title": "Harbour identity", "description": "A new identity for the harbour.",
        "role": "Lead designer", "client": "Port Authority", "skills": ["branding", "typography"],
        "started_on": "2026-01-05", "ended_on": "2026-03-01",
        "external_url": "https://harbour.example/identity", "video_url": "https://video.example/v/1",
        "featured": true,
    }))).await;
    let iid = item["id"].as_i64().unwrap();
    let (s, _) = upload(
        &a,
        &ann,
        &format!("/portfolios/studio/items/{iid}/media"),
        "logo.png",
        png(300, 200),
        &[("description", "The new harbour logo")],
    )
    .await;
    assert_eq!(s, 201);
    let (s, _) = upload(
        &a,
        &ann,
        &format!("/portfolios/studio/items/{iid}/media"),
        "brief.pdf",
        b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n".to_vec(),
        &[],
    )
    .await;
    assert_eq!(s, 201);
    ok(
        &a,
        &ann,
        Method::POST,
        &format!("/portfolios/studio/items/{iid}/publish"),
        None,
    )
    .await;
    wait_quiet(&[&a, &b]).await;
    let item_uri = format!("{pid}/items/{iid}");
    eventually("B stored the item", || async {
        b.sql_count(&format!(
            "SELECT COUNT(*) AS n FROM portfolio_items WHERE ap_id = '{item_uri}' AND local = FALSE"
        )) == 1
    })
    .await;
    assert_eq!(
        b.sql_string(&format!(
            "SELECT role AS s FROM portfolio_items WHERE ap_id = '{item_uri}'"
        )),
        "Lead designer"
    );
    assert_eq!(
        b.sql_string(&format!(
            "SELECT client AS s FROM portfolio_items WHERE ap_id = '{item_uri}'"
        )),
        "Port Authority"
    );
    let remote = ok(
        &b,
        &bea,
        Method::GET,
        &format!("/portfolios/studio@localhost:{}", a.port),
        None,
    )
    .await;
    let ritem = &remote["items"][0];
    assert_eq!(ritem["title"], "Harbour identity");
    assert_eq!(ritem["skills"], json!(["branding", "typography"]));
    assert_eq!(ritem["started_on"], "2026-01-05");
    assert_eq!(ritem["external_url"], "https://harbour.example/identity");
    assert_eq!(ritem["media"].as_array().unwrap().len(), 2, "{ritem}");
    assert_eq!(ritem["media"][0]["description"], "The new harbour logo");
    assert_eq!(ritem["media"][1]["media_type"], "application/pdf");
    // It is in bea's home timeline too, like any account's post.
    let home = ok(&b, &bea, Method::GET, "/timelines/home", None).await;
    assert!(
        home.as_array()
            .unwrap()
            .iter()
            .any(|p| p["uri"] == item_uri),
        "{home}"
    );
    // B's page of the remote portfolio shows the item's fields.
    let rid =
        b.sql_string("SELECT CAST(a.id AS TEXT) AS s FROM actors a WHERE a.handle = 'studio'");
    let page = b
        .client()
        .get(b.u(&format!("/remote-portfolios/{rid}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    {
        let html = page.text().await.unwrap();
        assert!(
            html.contains("Harbour identity")
                && html.contains("Lead designer")
                && html.contains("Port Authority"),
            "{html}"
        );
    }
    if let Some(peer) = &peer {
        eventually("the peer got the Create", || async {
            peer.received("Create").is_some()
        })
        .await;
        let create = peer.received("Create").unwrap();
        assert_eq!(create["verified"], true, "{create}");
        let article = &create["activity"]["object"];
        assert_eq!(article["type"], "Article");
        assert_eq!(article["name"], "Harbour identity");
        assert_eq!(article["url"], item_uri);
        assert!(article["content"]
            .as_str()
            .unwrap()
            .contains("A new identity for the harbour."));
        assert!(article["attachment"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["type"] == "Image" && x["name"] == "The new harbour logo"));
        assert!(article["attachment"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["type"] == "Document" && x["mediaType"] == "application/pdf"));
    }

    // bea likes the item from B: the origin counts it and the owner's metrics show it.
    let b_item = b.sql_count(&format!(
        "SELECT id AS n FROM portfolio_items WHERE ap_id = '{item_uri}'"
    ));
    let liked = ok(
        &b,
        &bea,
        Method::POST,
        &format!(
            "/portfolios/studio@localhost:{}/items/{b_item}/like",
            a.port
        ),
        None,
    )
    .await;
    assert_eq!(liked["liked"], true, "{liked}");
    wait_quiet(&[&a, &b]).await;
    let m = ok(&a, &ann, Method::GET, "/portfolios/studio/metrics", None).await;
    assert_eq!(m["likes"][0]["likes"], 1, "{m}");
    let a_item = ok(
        &a,
        &ann,
        Method::GET,
        &format!("/portfolios/studio/items/{iid}"),
        None,
    )
    .await;
    assert_eq!(a_item["like_count"], 1);

    // An edit sends Update; an archive sends Update with kogi:archived.
    ok(
        &a,
        &ann,
        Method::PATCH,
        &format!("/portfolios/studio/items/{iid}"),
        Some(json!({"title": "Harbour identity, 2nd edition"})),
    )
    .await;
    wait_quiet(&[&a, &b]).await;
    eventually("B has the edit", || async {
        b.sql_string(&format!(
            "SELECT title AS s FROM portfolio_items WHERE ap_id = '{item_uri}'"
        )) == "Harbour identity, 2nd edition"
    })
    .await;
    ok(
        &a,
        &ann,
        Method::POST,
        &format!("/portfolios/studio/items/{iid}/archive"),
        None,
    )
    .await;
    wait_quiet(&[&a, &b]).await;
    eventually("B has it archived", || async {
        b.sql_string(&format!(
            "SELECT state AS s FROM portfolio_items WHERE ap_id = '{item_uri}'"
        )) == "archived"
    })
    .await;
    if let Some(peer) = &peer {
        let updates: Vec<Value> = peer
            .inbox()
            .into_iter()
            .filter(|r| r["activity"]["type"] == "Update")
            .collect();
        assert!(
            updates
                .iter()
                .any(|u| u["activity"]["object"]["kogi:archived"] == true && u["verified"] == true),
            "{updates:?}"
        );
    }
    // Archiving the portfolio reaches B too.
    ok(&a, &ann, Method::POST, "/portfolios/studio/archive", None).await;
    wait_quiet(&[&a, &b]).await;
    eventually("B has the portfolio archived", || async {
        b.sql_string("SELECT p.state AS s FROM portfolios p JOIN actors a ON a.id = p.actor_id WHERE a.handle = 'studio'") == "archived"
    }).await;
    ok(&a, &ann, Method::POST, "/portfolios/studio/restore", None).await;

    // Permanent deletion of the item: Delete, and the URL answers 410.
    let (s, _) = api(
        &a,
        &ann,
        Method::DELETE,
        &format!("/portfolios/studio/items/{iid}"),
        None,
    )
    .await;
    assert_eq!(s, 204);
    wait_quiet(&[&a, &b]).await;
    eventually("B deleted the item", || async {
        b.sql_count(&format!("SELECT COUNT(*) AS n FROM portfolio_items WHERE ap_id = '{item_uri}' AND deleted_at IS NOT NULL")) == 1
    }).await;
    assert_eq!(get(&item_uri, AP).await.status(), 410);
    assert_eq!(get(&item_uri, "text/html").await.status(), 410);
    if let Some(peer) = &peer {
        assert!(peer
            .inbox()
            .iter()
            .any(|r| r["activity"]["type"] == "Delete" && r["verified"] == true));
    }

    // Deleting the portfolio: Delete of the actor everywhere, 410, the handle stays taken.
    let (s, _) = api(&a, &ann, Method::DELETE, "/portfolios/studio", None).await;
    assert_eq!(s, 204);
    // Not `wait_quiet`: bovine cannot verify a Delete whose signing key now answers 410 and
    // refuses it with 401, which the queue retries as it should.

    eventually("B marked the portfolio deleted", || async {
        b.sql_count(
            "SELECT COUNT(*) AS n FROM actors WHERE handle = 'studio' AND deleted_at IS NOT NULL",
        ) == 1
    })
    .await;
    assert_eq!(get(&pid, AP).await.status(), 410);
    assert_eq!(get(&pid, "text/html").await.status(), 410);
    let (s, v) = api(
        &a,
        &ann,
        Method::POST,
        "/portfolios",
        Some(json!({"handle": "studio", "title": "Again", "portfolio_type": "creative"})),
    )
    .await;
    assert_eq!(
        (s, v["type"].as_str()),
        (409, Some("urn:kogi:problem:handle_taken")),
        "{v}"
    );
    let (s, _) = api(&a, "", Method::POST, "/accounts", Some(json!({"username": "studio", "email": "s@example.org", "password": "a long enough password"}))).await;
    assert_eq!(s, 409, "a person cannot take a deleted portfolio's handle");
}

#[tokio::test]
async fn drafts_private_and_members_only_items_never_leave_the_instance() {
    let a = Instance::start().await;
    let b = Instance::start().await;
    let ann = a.user("ann").await;
    let vic = a.user("vic").await;
    let out = a.user("out").await;
    let bea = b.user("bea").await;
    studio(&a, &ann).await;
    ok(
        &a,
        &ann,
        Method::PUT,
        "/portfolios/studio/members/vic",
        Some(json!({"role": "viewer"})),
    )
    .await;
    ok(
        &b,
        &bea,
        Method::POST,
        "/follows",
        Some(json!({"target": format!("studio@localhost:{}", a.port)})),
    )
    .await;
    wait_quiet(&[&a, &b]).await;

    let mk = |title: &'static str, vis: &'static str| json!({"title": title, "visibility": vis});
    let draft = ok(
        &a,
        &ann,
        Method::POST,
        "/portfolios/studio/items",
        Some(mk("Secret draft", "public")),
    )
    .await;
    let private = ok(
        &a,
        &ann,
        Method::POST,
        "/portfolios/studio/items",
        Some(mk("Private notes", "private")),
    )
    .await;
    let members = ok(
        &a,
        &ann,
        Method::POST,
        "/portfolios/studio/items",
        Some(mk("Team only", "members")),
    )
    .await;
    let public = ok(
        &a,
        &ann,
        Method::POST,
        "/portfolios/studio/items",
        Some(mk("Public work", "public")),
    )
    .await;
    for it in [&private, &members, &public] {
        ok(
            &a,
            &ann,
            Method::POST,
            &format!("/portfolios/studio/items/{}/publish", it["id"]),
            None,
        )
        .await;
    }
    wait_quiet(&[&a, &b]).await;
    eventually("B got the public item", || async {
        b.sql_count("SELECT COUNT(*) AS n FROM portfolio_items WHERE title = 'Public work'") == 1
    })
    .await;
    // B received nothing else: no item rows, no posts, no deliveries were even queued.
    assert_eq!(b.sql_count("SELECT COUNT(*) AS n FROM portfolio_items"), 1);
    assert_eq!(b.sql_count("SELECT COUNT(*) AS n FROM posts WHERE content_html LIKE '%Secret draft%' OR content_html LIKE '%Private notes%' OR content_html LIKE '%Team only%'"), 0);
    assert_eq!(a.sql_count("SELECT COUNT(*) AS n FROM deliveries WHERE activity_json LIKE '%Secret draft%' OR activity_json LIKE '%Private notes%' OR activity_json LIKE '%Team only%'"), 0);
    // The members-only item reached the team (a viewer) only, as a direct post.
    let home = ok(&a, &vic, Method::GET, "/timelines/home", None).await;
    assert!(
        home.as_array()
            .unwrap()
            .iter()
            .any(|p| p["uri"] == members["uri"]),
        "{home}"
    );
    let home = ok(&a, &out, Method::GET, "/timelines/home", None).await;
    assert!(!home
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["uri"] == members["uri"]));

    // Outsiders are refused everywhere: HTML, API and ActivityPub.
    for it in [&draft, &private, &members] {
        let id = it["id"].as_i64().unwrap();
        let uri = it["uri"].as_str().unwrap();
        assert_eq!(get(uri, AP).await.status(), 404, "{uri}");
        assert_eq!(get(uri, "text/html").await.status(), 404, "{uri}");
        for token in ["", out.as_str()] {
            let (s, _) = api(
                &a,
                token,
                Method::GET,
                &format!("/portfolios/studio/items/{id}"),
                None,
            )
            .await;
            assert_eq!(s, 404, "{uri}");
        }
        // Signed fetch from B's instance actor: refused too (B hosts no team member).
        let outbox: Value = get(&a.u("/portfolios/studio/items"), AP)
            .await
            .json()
            .await
            .unwrap();
        assert!(!outbox.to_string().contains(uri));
    }
    let view = ok(&a, &out, Method::GET, "/portfolios/studio", None).await;
    let titles: Vec<&str> = view["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, vec!["Public work"]);
    // The viewer sees the members-only item, not the draft or the private one.
    let view = ok(&a, &vic, Method::GET, "/portfolios/studio", None).await;
    let mut titles: Vec<&str> = view["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    titles.sort();
    assert_eq!(titles, vec!["Public work", "Team only"]);
    // A draft portfolio is not there at all for outsiders.
    ok(
        &a,
        &ann,
        Method::POST,
        "/portfolios",
        Some(json!({"handle": "hidden", "title": "Hidden", "portfolio_type": "career"})),
    )
    .await;
    assert_eq!(get(&a.u("/portfolios/hidden"), AP).await.status(), 404);
    assert_eq!(
        get(&a.u("/portfolios/hidden"), "text/html").await.status(),
        404
    );
    let (s, _) = api(&a, &out, Method::GET, "/portfolios/hidden", None).await;
    assert_eq!(s, 404);
    let wf = reqwest::get(a.u(&format!(
        "/.well-known/webfinger?resource=acct:hidden@localhost:{}",
        a.port
    )))
    .await
    .unwrap();
    assert_eq!(wf.status(), 404);
}

#[tokio::test]
async fn editors_add_items_viewers_cannot_and_strangers_get_403_on_every_write_route() {
    let a = Instance::start().await;
    let ann = a.user("ann").await;
    let ed = a.user("ed").await;
    let vic = a.user("vic").await;
    let stranger = a.user("stranger").await;
    studio(&a, &ann).await;
    ok(
        &a,
        &ann,
        Method::PUT,
        "/portfolios/studio/members/ed",
        Some(json!({"role": "editor"})),
    )
    .await;
    ok(
        &a,
        &ann,
        Method::PUT,
        "/portfolios/studio/members/vic",
        Some(json!({"role": "viewer"})),
    )
    .await;
    let item = ok(
        &a,
        &ed,
        Method::POST,
        "/portfolios/studio/items",
        Some(json!({"title": "By the editor"})),
    )
    .await;
    let iid = item["id"].as_i64().unwrap();
    ok(
        &a,
        &ed,
        Method::POST,
        &format!("/portfolios/studio/items/{iid}/publish"),
        None,
    )
    .await;
    let project = ok(
        &a,
        &ed,
        Method::POST,
        "/portfolios/studio/projects",
        Some(json!({"title": "Dock", "status": "active"})),
    )
    .await;
    let prid = project["id"].as_i64().unwrap();
    // Editors cannot manage the team or the lifecycle.
    let (s, _) = api(
        &a,
        &ed,
        Method::PUT,
        "/portfolios/studio/members/stranger",
        Some(json!({"role": "owner"})),
    )
    .await;
    assert_eq!(s, 403);
    let (s, _) = api(&a, &ed, Method::DELETE, "/portfolios/studio", None).await;
    assert_eq!(s, 403);

    let writes: Vec<(Method, String, Option<Value>)> = vec![
        (
            Method::PATCH,
            "/portfolios/studio".into(),
            Some(json!({"title": "x"})),
        ),
        (Method::DELETE, "/portfolios/studio".into(), None),
        (Method::POST, "/portfolios/studio/publish".into(), None),
        (Method::POST, "/portfolios/studio/archive".into(), None),
        (Method::POST, "/portfolios/studio/restore".into(), None),
        (
            Method::PUT,
            "/portfolios/studio/members/stranger".into(),
            Some(json!({"role": "owner"})),
        ),
        (Method::DELETE, "/portfolios/studio/members/ed".into(), None),
        (
            Method::POST,
            "/portfolios/studio/items".into(),
            Some(json!({"title": "x"})),
        ),
        (
            Method::PATCH,
            format!("/portfolios/studio/items/{iid}"),
            Some(json!({"title": "x"})),
        ),
        (
            Method::DELETE,
            format!("/portfolios/studio/items/{iid}"),
            None,
        ),
        (
            Method::POST,
            format!("/portfolios/studio/items/{iid}/publish"),
            None,
        ),
        (
            Method::POST,
            format!("/portfolios/studio/items/{iid}/archive"),
            None,
        ),
        (
            Method::POST,
            format!("/portfolios/studio/items/{iid}/restore"),
            None,
        ),
        (
            Method::POST,
            "/portfolios/studio/projects".into(),
            Some(json!({"title": "x"})),
        ),
        (
            Method::PATCH,
            format!("/portfolios/studio/projects/{prid}"),
            Some(json!({"title": "x"})),
        ),
        (
            Method::DELETE,
            format!("/portfolios/studio/projects/{prid}"),
            None,
        ),
        (
            Method::PUT,
            format!("/portfolios/studio/projects/{prid}/members/stranger"),
            Some(json!({"role": "x"})),
        ),
        (
            Method::DELETE,
            format!("/portfolios/studio/projects/{prid}/members/ed"),
            None,
        ),
        (
            Method::POST,
            format!("/portfolios/studio/projects/{prid}/updates"),
            Some(json!({"content": "x"})),
        ),
        (
            Method::POST,
            "/portfolios/studio/clone".into(),
            Some(json!({"handle": "copy"})),
        ),
        (Method::GET, "/portfolios/studio/export".into(), None),
        (Method::GET, "/portfolios/studio/metrics".into(), None),
    ];
    for (method, path, body) in &writes {
        for (who, token) in [("viewer", &vic), ("stranger", &stranger)] {
            let (s, v) = api(&a, token, method.clone(), path, body.clone()).await;
            assert_eq!(s, 403, "{who}: {method} {path}: {v}");
            assert_eq!(
                v["type"], "urn:kogi:problem:not_team",
                "{who}: {method} {path}"
            );
        }
    }
    for (path, name) in [
        ("/portfolios/studio/cover", "c.png"),
        (&*format!("/portfolios/studio/items/{iid}/media"), "m.png"),
    ] {
        for token in [&vic, &stranger] {
            let (s, _) = upload(&a, token, path, name, png(10, 10), &[]).await;
            assert_eq!(s, 403, "{path}");
        }
    }
    // Nothing changed.
    let view = ok(&a, &ann, Method::GET, "/portfolios/studio", None).await;
    assert_eq!(view["title"], "Studio Nine");
    assert_eq!(view["items"].as_array().unwrap().len(), 1);
    assert_eq!(view["state"], "published");
    assert_eq!(a.sql_count("SELECT COUNT(*) AS n FROM portfolios"), 1);
}

#[tokio::test]
async fn watching_bookmarks_messages_templates_clones_and_the_atom_feed() {
    let a = Instance::start().await;
    let b = Instance::start().await;
    let admin = a.admin("boss").await;
    let ann = a.user("ann").await;
    let wes = a.user("wes").await;
    let bea = b.user("bea").await;

    // An admin-defined type (through the CLI) and a template (through the admin API).
    let out = a.cli_ok(&[
        "admin",
        "add-portfolio-type",
        "startup_plus",
        "--label",
        "Startup+",
        "--field",
        "stage:choice:seed|series_a:required",
        "--field",
        "founded:date",
    ]);
    assert!(out.contains("startup_plus"), "{out}");
    ok(&a, &admin, Method::POST, "/admin/portfolio-templates", Some(json!({
        "name": "pitch", "description": "For founders", "portfolio_type": "startup_plus",
        "sections": [{"name": "Team", "fields": [{"name": "size", "kind": "number"}]}, {"name": "Traction", "fields": []}],
    }))).await;
    let (s, _) = api(
        &a,
        &ann,
        Method::POST,
        "/admin/portfolio-templates",
        Some(json!({"name": "x", "portfolio_type": "creative", "sections": []})),
    )
    .await;
    assert_eq!(s, 403);
    let p = ok(&a, &ann, Method::POST, "/portfolios", Some(json!({
        "handle": "rocket", "title": "Rocket", "template": "pitch", "fields": {"stage": "seed", "founded": "2025-06-01"},
    }))).await;
    assert_eq!(p["portfolio_type"], "startup_plus");
    let names: Vec<&str> = p["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Team", "Traction"]);
    ok(&a, &ann, Method::POST, "/portfolios/rocket/publish", None).await;
    let item = ok(
        &a,
        &ann,
        Method::POST,
        "/portfolios/rocket/items",
        Some(json!({"title": "Seed round", "section": "Team", "fields": {"size": "4"}})),
    )
    .await;
    assert_eq!(item["fields"]["size"], json!(4));
    // A clone has the same sections and items.
    let copy = ok(
        &a,
        &ann,
        Method::POST,
        "/portfolios/rocket/clone",
        Some(json!({"handle": "rocket_two"})),
    )
    .await;
    let names: Vec<&str> = copy["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Team", "Traction"]);
    assert_eq!(copy["state"], "draft");
    assert_eq!(copy["items"][0]["title"], "Seed round");
    assert_eq!(copy["items"][0]["section"], "Team");
    assert_eq!(copy["fields"]["stage"], "seed");

    // Watching: wes is notified of a newly published item.
    ok(&a, &wes, Method::POST, "/portfolios/rocket/watch", None).await;
    ok(
        &a,
        &ann,
        Method::POST,
        &format!("/portfolios/rocket/items/{}/publish", item["id"]),
        None,
    )
    .await;
    let n = ok(&a, &wes, Method::GET, "/notifications", None).await;
    assert!(n.to_string().contains("portfolio_update"), "{n}");
    // ... and of a project update.
    let project = ok(
        &a,
        &ann,
        Method::POST,
        "/portfolios/rocket/projects",
        Some(json!({
            "title": "Launch", "status": "active", "goals": ["Ship v1"],
            "links": [{"name": "Tasks", "url": "https://tasks.example/rocket"}],
        })),
    )
    .await;
    ok(
        &a,
        &ann,
        Method::POST,
        &format!("/portfolios/rocket/projects/{}/updates", project["id"]),
        Some(json!({"content": "We shipped the beta."})),
    )
    .await;
    let n = ok(&a, &wes, Method::GET, "/notifications", None).await;
    assert_eq!(
        n.as_array()
            .unwrap()
            .iter()
            .filter(|x| x.to_string().contains("portfolio_update"))
            .count(),
        2,
        "{n}"
    );
    let page = ok(
        &a,
        "",
        Method::GET,
        &format!("/portfolios/rocket/projects/{}", project["id"]),
        None,
    )
    .await;
    assert!(page["updates"][0]["content"]
        .as_str()
        .unwrap()
        .contains("We shipped the beta."));

    // Bookmarks land in the chosen folder.
    ok(
        &a,
        &wes,
        Method::POST,
        "/bookmarks",
        Some(json!({"folder": "Investors", "kind": "portfolio", "id": p["id"]})),
    )
    .await;
    ok(
        &a,
        &wes,
        Method::POST,
        "/bookmarks",
        Some(json!({"folder": "Reading", "kind": "item", "id": item["id"]})),
    )
    .await;
    let inv = ok(&a, &wes, Method::GET, "/bookmarks?folder=investors", None).await;
    assert_eq!(inv.as_array().unwrap().len(), 1);
    assert_eq!(inv[0]["title"], "Rocket");
    let folders = ok(&a, &wes, Method::GET, "/bookmarks/folders", None).await;
    assert_eq!(folders.as_array().unwrap().len(), 2);

    // The Atom feed lists the new item and the update.
    let feed = reqwest::get(a.u("/portfolios/rocket/feed.atom"))
        .await
        .unwrap();
    assert_eq!(feed.status(), 200);
    {
        assert!(feed.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("atom"));
        let xml = feed.text().await.unwrap();
        assert!(
            xml.contains("Seed round") && xml.contains(item["uri"].as_str().unwrap()),
            "{xml}"
        );
        assert!(xml.contains("We shipped the beta."), "{xml}");
    }

    // Views: other people's page loads count, per day; the team's own, crawlers and
    // fediverse servers fetching previews do not.
    let browser_ua = "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0";
    for ua in [
        browser_ua,
        browser_ua,
        "Mozilla/5.0 (compatible; Googlebot/2.1)",
        "http.rb/5.1.1 (Mastodon/4.3.0; +https://m.example/)",
    ] {
        let r = reqwest::Client::new()
            .get(a.u("/portfolios/rocket"))
            .header("user-agent", ua)
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let owner_web = a.login("ann", crate::harness::PASSWORD).await;
    let r = owner_web
        .get(a.u("/portfolios/rocket"))
        .header("user-agent", browser_ua)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let m = ok(&a, &ann, Method::GET, "/portfolios/rocket/metrics", None).await;
    assert_eq!(m["views"].as_array().unwrap().len(), 30);
    assert_eq!(
        m["views"].as_array().unwrap().last().unwrap()["count"],
        2,
        "{m}"
    );
    assert_eq!(
        m["views"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["count"].as_i64().unwrap())
            .sum::<i64>(),
        2
    );
    assert_eq!(
        a.sql_count("SELECT COUNT(*) AS n FROM portfolio_views"),
        1,
        "one row per portfolio and day, no addresses"
    );

    // "Message the owners" from another instance reaches ann as a direct note.
    let m = ok(
        &b,
        &bea,
        Method::POST,
        &format!("/portfolios/rocket@localhost:{}/message", a.port),
        Some(json!({"content": "Can we talk about your seed round?"})),
    )
    .await;
    wait_quiet(&[&a, &b]).await;
    eventually("ann has the message", || async {
        a.sql_count(&format!("SELECT COUNT(*) AS n FROM posts p JOIN post_recipients r ON r.post_id = p.id JOIN actors a ON a.id = r.actor_id WHERE a.handle = 'ann' AND p.visibility = 'direct' AND p.ap_id = '{}'", m["uri"].as_str().unwrap())) == 1
    }).await;
    let n = ok(&a, &ann, Method::GET, "/notifications", None).await;
    assert!(n.to_string().contains("mention"), "{n}");
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in entries {
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

#[tokio::test]
async fn export_on_one_instance_imports_on_another_and_bad_archives_write_nothing() {
    let a = Instance::start().await;
    let b = Instance::start_with(
        crate::harness::Opts::default().env("KOGI_PORTFOLIOS_IMPORT_MAX_BYTES", "2000000"),
    )
    .await;
    let ann = a.user("ann").await;
    let bob = b.user("bob").await;
    studio(&a, &ann).await;
    let (s, _) = upload(
        &a,
        &ann,
        "/portfolios/studio/cover",
        "cover.png",
        png(640, 320),
        &[],
    )
    .await;
    assert_eq!(s, 200);
    let item = ok(
        &a,
        &ann,
        Method::POST,
        "/portfolios/studio/items",
        Some(json!({"title": "Poster", "skills": ["print"], "client": "Museum"})),
    )
    .await;
    upload(
        &a,
        &ann,
        &format!("/portfolios/studio/items/{}/media", item["id"]),
        "p.png",
        png(100, 100),
        &[("description", "A poster")],
    )
    .await;
    ok(
        &a,
        &ann,
        Method::POST,
        &format!("/portfolios/studio/items/{}/publish", item["id"]),
        None,
    )
    .await;
    ok(
        &a,
        &ann,
        Method::POST,
        "/portfolios/studio/projects",
        Some(json!({"title": "Exhibition", "status": "planned", "data": {"budget": 1200}})),
    )
    .await;

    let r = reqwest::Client::new()
        .get(a.u("/api/kogi/v1/portfolios/studio/export"))
        .bearer_auth(&ann)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/zip");
    let archive = r.bytes().await.unwrap().to_vec();

    let (s, v) = upload(
        &b,
        &bob,
        "/portfolios/import",
        "studio.zip",
        archive.clone(),
        &[],
    )
    .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["uri"], b.u("/portfolios/studio"));
    assert_eq!(v["title"], "Studio Nine");
    assert_eq!(v["tags"], json!(["design", "Research"]));
    assert_eq!(v["state"], "draft");
    assert_eq!(v["followers"], 0);
    assert_eq!(
        v["members"][0]["person"]["handle"],
        format!("bob@localhost:{}", b.port)
    );
    assert!(v["cover_url"]
        .as_str()
        .unwrap()
        .starts_with(&b.u("/media/")));
    assert_eq!(v["items"][0]["title"], "Poster");
    assert_eq!(v["items"][0]["client"], "Museum");
    assert_eq!(v["items"][0]["state"], "published");
    let media_url = v["items"][0]["media"][0]["url"].as_str().unwrap();
    assert!(media_url.starts_with(&b.u("/media/items/")), "{media_url}");
    assert_eq!(reqwest::get(media_url).await.unwrap().status(), 200);
    assert_eq!(v["projects"][0]["title"], "Exhibition");
    assert_eq!(v["projects"][0]["data"]["budget"], 1200);
    // Imported again under the same handle: taken.
    let (s, _) = upload(
        &b,
        &bob,
        "/portfolios/import",
        "studio.zip",
        archive.clone(),
        &[],
    )
    .await;
    assert_eq!(s, 409);

    let before = (
        b.sql_count("SELECT COUNT(*) AS n FROM portfolios"),
        b.sql_count("SELECT COUNT(*) AS n FROM actors"),
        b.sql_count("SELECT COUNT(*) AS n FROM portfolio_items"),
    );
    let manifest = |handle: &str, media: &str| {
        json!({"format": "kogi-portfolio", "version": 1, "portfolio": {"handle": handle, "title": "X", "portfolio_type": "creative", "visibility": "public"}, "items": [{"title": "I", "visibility": "public", "state": "draft", "started_on": null, "ended_on": null, "video_url": null, "external_url": null, "section": null, "media": [{"file": media, "media_type": "image/png", "kind": "Image"}]}]}).to_string()
    };
    let good_png = png(20, 20);
    let mut bomb = Vec::new();
    {
        let zeros = vec![0u8; 30 << 20];
        bomb.extend(zip_of(&[
            (
                "portfolio.json",
                manifest("bombed", "media/a.png").as_bytes(),
            ),
            ("media/a.png", &zeros),
        ]));
    }
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        ("not a zip", b"this is not a zip file".to_vec(), 422),
        ("truncated", archive[..archive.len() / 2].to_vec(), 422),
        ("no manifest", zip_of(&[("media/a.png", &good_png)]), 422),
        (
            "bad manifest",
            zip_of(&[("portfolio.json", b"{\"format\": 1}")]),
            422,
        ),
        (
            "path traversal",
            zip_of(&[
                ("portfolio.json", manifest("trav", "media/a.png").as_bytes()),
                ("../../etc/evil.png", &good_png),
            ]),
            422,
        ),
        (
            "absolute path",
            zip_of(&[
                ("portfolio.json", manifest("abs", "media/a.png").as_bytes()),
                ("/tmp/evil.png", &good_png),
            ]),
            422,
        ),
        (
            "missing file",
            zip_of(&[(
                "portfolio.json",
                manifest("missing", "media/a.png").as_bytes(),
            )]),
            422,
        ),
        (
            "html as media",
            zip_of(&[
                ("portfolio.json", manifest("html", "media/a.png").as_bytes()),
                ("media/a.png", b"<html><script>alert(1)</script></html>"),
            ]),
            422,
        ),
        ("zip bomb", bomb, 422),
        ("oversized", vec![0u8; 2_100_000], 413),
    ];
    for (what, bytes, want) in cases {
        let (s, v) = upload(
            &b,
            &bob,
            "/portfolios/import",
            "x.zip",
            bytes,
            &[("handle", "fresh")],
        )
        .await;
        assert_eq!(s, want, "{what}: {v}");
        assert!(
            v["type"]
                .as_str()
                .unwrap_or("")
                .starts_with("urn:kogi:problem:"),
            "{what}: {v}"
        );
    }
    let after = (
        b.sql_count("SELECT COUNT(*) AS n FROM portfolios"),
        b.sql_count("SELECT COUNT(*) AS n FROM actors"),
        b.sql_count("SELECT COUNT(*) AS n FROM portfolio_items"),
    );
    assert_eq!(before, after, "a refused import wrote something");
    let media_files = std::fs::read_dir(b.dir.path().join("data/media/items"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(media_files, 1, "only the first import's file is stored");
}

#[tokio::test]
async fn bad_portfolio_input_gets_a_clear_error() {
    let a = Instance::start().await;
    let ann = a.user("ann").await;
    a.cli_ok(&[
        "admin",
        "add-portfolio-type",
        "fund",
        "--label",
        "Fund",
        "--field",
        "size:number",
        "--field",
        "site:url",
        "--field",
        "kind:choice:vc|angel",
    ]);
    let cases = [
        (
            json!({"handle": "p1", "title": "T", "portfolio_type": "unicorns"}),
            422,
            "unknown_type",
        ),
        (
            json!({"handle": "p1", "title": "T", "portfolio_type": "fund", "fields": {"size": "lots"}}),
            422,
            "field_wrong_kind",
        ),
        (
            json!({"handle": "p1", "title": "T", "portfolio_type": "fund", "fields": {"site": "not a url"}}),
            422,
            "field_wrong_kind",
        ),
        (
            json!({"handle": "p1", "title": "T", "portfolio_type": "fund", "fields": {"kind": "pe"}}),
            422,
            "field_wrong_kind",
        ),
        (
            json!({"handle": "p1", "title": "T", "portfolio_type": "fund", "fields": {"colour": "red"}}),
            422,
            "unknown_field",
        ),
        (
            json!({"handle": "ann", "title": "T", "portfolio_type": "creative"}),
            409,
            "handle_taken",
        ),
        (
            json!({"handle": "Bad Handle!", "title": "T", "portfolio_type": "creative"}),
            422,
            "handle_invalid",
        ),
        (
            json!({"handle": "p1", "title": "", "portfolio_type": "creative"}),
            422,
            "required",
        ),
        (
            json!({"handle": "p1", "title": "T", "portfolio_type": "creative", "visibility": "everyone"}),
            422,
            "visibility_invalid",
        ),
        (
            json!({"handle": "p1", "title": "T", "portfolio_type": "creative", "links": [{"name": "x", "url": "javascript:alert(1)"}]}),
            422,
            "link_invalid",
        ),
        (
            json!({"handle": "p1", "title": "T", "portfolio_type": "creative", "surprise": 1}),
            422,
            "invalid_body",
        ),
    ];
    for (body, status, code) in cases {
        let (s, v) = api(&a, &ann, Method::POST, "/portfolios", Some(body.clone())).await;
        assert_eq!(
            (s, v["type"].as_str().unwrap_or("")),
            (status, format!("urn:kogi:problem:{code}").as_str()),
            "{body}: {v}"
        );
    }
    assert_eq!(a.sql_count("SELECT COUNT(*) AS n FROM portfolios"), 0);
    let r = reqwest::Client::new()
        .post(a.u("/api/kogi/v1/portfolios"))
        .bearer_auth(&ann)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    studio(&a, &ann).await;
    let item = ok(
        &a,
        &ann,
        Method::POST,
        "/portfolios/studio/items",
        Some(json!({"title": "Work"})),
    )
    .await;
    let iid = item["id"].as_i64().unwrap();
    for (body, code) in [
        (
            json!({"title": "W", "external_url": "ftp://x.example"}),
            "url_invalid",
        ),
        (
            json!({"title": "W", "video_url": "not a link"}),
            "url_invalid",
        ),
        (
            json!({"title": "W", "started_on": "2026-02-30"}),
            "date_invalid",
        ),
        (
            json!({"title": "W", "started_on": "2026-03-01", "ended_on": "2026-01-01"}),
            "ends_before_start",
        ),
        (
            json!({"title": "W", "section": "Nowhere"}),
            "unknown_section",
        ),
        (json!({"title": "W", "fields": {"x": 1}}), "unknown_field"),
    ] {
        let (s, v) = api(
            &a,
            &ann,
            Method::POST,
            "/portfolios/studio/items",
            Some(body.clone()),
        )
        .await;
        assert_eq!(
            (s, v["type"].as_str().unwrap_or("")),
            (422, format!("urn:kogi:problem:{code}").as_str()),
            "{body}: {v}"
        );
    }
    // Mistyped and oversized media.
    let path = format!("/portfolios/studio/items/{iid}/media");
    for (name, bytes, code) in [
        (
            "page.html",
            b"<!doctype html><html><body>hi</body></html>".to_vec(),
            "file_type_unsupported",
        ),
        (
            "image.svg",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>".to_vec(),
            "file_type_unsupported",
        ),
        (
            "fake.png",
            b"\x89PNG\r\n\x1a\nnot really".to_vec(),
            "file_invalid",
        ),
    ] {
        let (s, v) = upload(&a, &ann, &path, name, bytes, &[]).await;
        assert_eq!(
            (s, v["type"].as_str().unwrap_or("")),
            (422, format!("urn:kogi:problem:{code}").as_str()),
            "{name}: {v}"
        );
    }
    let big = [b"%PDF-1.4\n".to_vec(), vec![b'x'; 27 << 20]].concat();
    let (s, _) = upload(&a, &ann, &path, "big.pdf", big, &[]).await;
    assert_eq!(s, 413);
    let item = ok(
        &a,
        &ann,
        Method::GET,
        &format!("/portfolios/studio/items/{iid}"),
        None,
    )
    .await;
    assert_eq!(item["media"], json!([]));
    // Lifecycle steps that do not exist.
    let (s, v) = api(&a, &ann, Method::POST, "/portfolios/studio/restore", None).await;
    assert_eq!(
        (s, v["type"].as_str().unwrap()),
        (422, "urn:kogi:problem:invalid_transition")
    );
    let (s, v) = api(
        &a,
        &ann,
        Method::DELETE,
        "/portfolios/studio/members/ann",
        None,
    )
    .await;
    assert_eq!(
        (s, v["type"].as_str().unwrap()),
        (422, "urn:kogi:problem:last_owner")
    );
}
