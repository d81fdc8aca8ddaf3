//! Security: what a hostile server can make a Kogi instance believe through group relays,
//! poll votes and portfolio documents. Every request here is correctly signed by the hostile
//! peer: the attacks are in what it claims.

use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::{api, api_ok as ok, eventually, uuid_like, wait_quiet, Instance};
use crate::hostile::HostilePeer;

const AS: &str = "https://www.w3.org/ns/activitystreams";
const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// A refused relay is 403 or accepted-and-ignored (202), never 401 (that is for signatures).
fn refused_or_ignored(what: &str, (s, body): (u16, String)) {
    assert!(s == 202 || s == 403, "{what}: {s} {body}");
}

/// `name` (a group on the peer) announces `inner` to `inbox`.
async fn announce(h: &HostilePeer, name: &str, inbox: &str, inner: Value) -> (u16, String) {
    let group = h.u(&format!("/users/{name}"));
    let activity = json!({
        "@context": AS,
        "id": h.u(&format!("/activities/announce-{}", uuid_like())),
        "type": "Announce",
        "actor": group,
        "to": [PUBLIC],
        "cc": [format!("{group}/followers")],
        "audience": group,
        "object": inner,
    });
    h.post_as(name, inbox, &activity).await
}

fn activity(h: &HostilePeer, kind: &str, actor: &str, object: Value) -> Value {
    json!({
        "id": h.u(&format!("/activities/{}-{}", kind.to_lowercase(), uuid_like())),
        "type": kind,
        "actor": actor,
        "to": [PUBLIC],
        "object": object,
    })
}

async fn post(i: &Instance, token: &str, content: &str) -> Value {
    let (s, p) = api(
        i,
        token,
        Method::POST,
        "/posts",
        Some(json!({"content": content, "visibility": "public"})),
    )
    .await;
    assert_eq!(s, 201, "{p}");
    p
}

/// How many community links a post (by id) has here, in any group or in the group `group`.
fn links(i: &Instance, post: &str, group: Option<&str>) -> i64 {
    let mut q = format!(
        "SELECT COUNT(*) AS n FROM community_posts cp JOIN posts p ON p.id = cp.post_id \
         JOIN communities c ON c.id = cp.community_id JOIN actors g ON g.id = c.actor_id \
         WHERE p.ap_id = '{post}'"
    );
    if let Some(g) = group {
        q.push_str(&format!(" AND g.ap_id = '{g}'"));
    }
    i.sql_count(&q)
}

fn alive(i: &Instance, post: &str) -> bool {
    i.sql_count(&format!(
        "SELECT COUNT(*) AS n FROM posts WHERE ap_id = '{post}' AND deleted_at IS NULL"
    )) == 1
}

#[tokio::test]
async fn a_hostile_group_cannot_claim_edit_or_delete_posts_not_addressed_to_it() {
    let a = Instance::start().await;
    let b = Instance::start().await;
    let h = HostilePeer::start().await;
    let alice = a.user("alice").await;
    let bob = b.user("bob").await;
    let mine = post(&a, &alice, "Words from alice").await;
    let mine_uri = mine["uri"].as_str().unwrap().to_string();
    let mine_id = mine["id"].as_i64().unwrap();
    let theirs = post(&b, &bob, "Words from bob").await;
    let theirs_uri = theirs["uri"].as_str().unwrap().to_string();
    let g = h.actor("grp", "Group");
    let g2 = h.actor("other", "Group");
    let mallory = h.actor("mallory", "Person");
    let inbox = a.u("/inbox");
    let alice_id = a.u("/users/alice");

    // The attack seen: Announce(Create(<A's post>)) then Announce(Delete(<A's post>)).
    let create = activity(&h, "Create", &alice_id, json!(mine_uri));
    refused_or_ignored(
        "Announce(Create(local post))",
        announce(&h, "grp", &inbox, create).await,
    );
    // The same with the post embedded, claiming the group, and as an edit.
    let forged = json!({"id": mine_uri, "type": "Note", "attributedTo": alice_id,
        "content": "<p>defaced</p>", "to": [g, PUBLIC], "audience": g});
    for kind in ["Create", "Update"] {
        let inner = activity(&h, kind, &alice_id, forged.clone());
        refused_or_ignored(
            "Announce(local post, embedded)",
            announce(&h, "grp", &inbox, inner).await,
        );
    }
    let delete = activity(&h, "Delete", &g, json!(mine_uri));
    refused_or_ignored(
        "Announce(Delete(local post))",
        announce(&h, "grp", &inbox, delete).await,
    );
    for kind in ["Lock", "Like"] {
        let inner = activity(&h, kind, &g, json!(mine_uri));
        refused_or_ignored(kind, announce(&h, "grp", &inbox, inner).await);
    }
    // An ordinary Update or Delete of the post by someone who is not its author.
    let mut defaced = forged.clone();
    defaced["attributedTo"] = json!(mallory);
    let (s, body) = h
        .post_as(
            "mallory",
            &inbox,
            &activity(&h, "Update", &mallory, defaced),
        )
        .await;
    assert_eq!(s, 403, "{body}");
    // (A Delete from an actor never seen is ignored unfetched: mallory is known by now.)
    let (s, body) = h
        .post_as(
            "mallory",
            &inbox,
            &activity(&h, "Delete", &mallory, json!(mine_uri)),
        )
        .await;
    assert_eq!(s, 403, "{body}");
    wait_quiet(&[&a, &b]).await;

    // The local post is untouched: alive, its text and source kept, in no group, served.
    assert!(alive(&a, &mine_uri), "the local post was deleted");
    assert_eq!(
        a.sql_count(&format!(
            "SELECT COUNT(*) AS n FROM posts WHERE ap_id = '{mine_uri}' AND local = TRUE \
             AND content_html LIKE '%Words from alice%' AND source_text = 'Words from alice'"
        )),
        1,
        "the local post's content or source was overwritten"
    );
    assert_eq!(links(&a, &mine_uri, None), 0, "the local post was linked");
    let r = reqwest::Client::new()
        .get(&mine_uri)
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let doc: Value = r.json().await.unwrap();
    assert!(doc["content"]
        .as_str()
        .unwrap()
        .contains("Words from alice"));
    let own = ok(&a, &alice, Method::GET, &format!("/posts/{mine_id}"), None).await;
    assert!(own.to_string().contains("Words from alice"), "{own}");

    // A post on a third instance that does not name the group is not linked, by id or
    // embedded with forged addressing, and the group cannot delete it.
    let create = activity(&h, "Create", &g, json!(theirs_uri));
    refused_or_ignored(
        "Announce(Create(B's post))",
        announce(&h, "grp", &inbox, create).await,
    );
    let forged_b = json!({"id": theirs_uri, "type": "Note", "attributedTo": b.u("/users/bob"),
        "content": "<p>forged</p>", "to": [g, PUBLIC], "audience": g});
    let create = activity(&h, "Create", &g, forged_b);
    refused_or_ignored(
        "Announce(Create(B's post, embedded))",
        announce(&h, "grp", &inbox, create).await,
    );
    let delete = activity(&h, "Delete", &g, json!(theirs_uri));
    refused_or_ignored(
        "Announce(Delete(B's post))",
        announce(&h, "grp", &inbox, delete).await,
    );
    assert_eq!(links(&a, &theirs_uri, None), 0, "B's post was linked");
    assert_eq!(
        a.sql_count(&format!(
            "SELECT COUNT(*) AS n FROM posts WHERE ap_id = '{theirs_uri}' \
             AND (deleted_at IS NOT NULL OR content_html LIKE '%forged%')"
        )),
        0,
        "B's post was deleted or forged"
    );

    // Positive control: a thread that names the group is linked, and so is a reply to it that
    // does not name the group; a thread in the group is not moved by another group.
    let page = h.u("/pages/1");
    let page_doc = json!({"@context": AS, "id": page, "type": "Page", "attributedTo": mallory,
        "name": "A real thread", "content": "<p>In the group</p>", "to": [g, PUBLIC],
        "cc": [], "audience": g, "published": "2026-01-01T00:00:00Z"});
    h.serve("/pages/1", page_doc.clone());
    let create = activity(&h, "Create", &mallory, page_doc.clone());
    let (s, body) = announce(&h, "grp", &inbox, create).await;
    assert_eq!(s, 202, "{body}");
    assert_eq!(links(&a, &page, Some(&g)), 1, "a thread naming the group");
    let note = h.u("/notes/1");
    h.serve(
        "/notes/1",
        json!({"@context": AS, "id": note, "type": "Note", "attributedTo": mallory,
            "content": "<p>A reply</p>", "inReplyTo": page, "to": [PUBLIC],
            "published": "2026-01-01T00:01:00Z"}),
    );
    let create = activity(&h, "Create", &mallory, json!(note));
    let (s, body) = announce(&h, "grp", &inbox, create).await;
    assert_eq!(s, 202, "{body}");
    assert_eq!(
        links(&a, &note, Some(&g)),
        1,
        "a reply to a thread of the group"
    );
    // Another group cannot take, edit, lock or delete the first group's thread.
    let mut both = page_doc.clone();
    both["to"] = json!([g, g2, PUBLIC]);
    both["content"] = json!("<p>moved</p>");
    for kind in ["Create", "Update"] {
        let inner = activity(&h, kind, &mallory, both.clone());
        refused_or_ignored(
            "another group's announce",
            announce(&h, "other", &inbox, inner).await,
        );
    }
    for kind in ["Delete", "Lock"] {
        let inner = activity(&h, kind, &g2, json!(page));
        refused_or_ignored(kind, announce(&h, "other", &inbox, inner).await);
    }
    assert_eq!(
        links(&a, &page, Some(&g)),
        1,
        "the thread stays in its group"
    );
    assert!(alive(&a, &page));
    assert_eq!(
        a.sql_count(&format!(
            "SELECT COUNT(*) AS n FROM posts WHERE ap_id = '{page}' AND content_html LIKE '%moved%'"
        )),
        0
    );
    assert_eq!(
        a.sql_count(&format!(
            "SELECT COUNT(*) AS n FROM community_posts cp JOIN posts p ON p.id = cp.post_id \
             WHERE p.ap_id = '{page}' AND cp.locked = TRUE"
        )),
        0
    );
    // The group itself removes its own thread.
    let delete = activity(&h, "Delete", &g, json!(page));
    let (s, body) = announce(&h, "grp", &inbox, delete).await;
    assert_eq!(s, 202, "{body}");
    assert!(!alive(&a, &page), "the group removes its own thread");
}

#[tokio::test]
async fn votes_in_a_private_communitys_poll_count_only_from_members() {
    let a = Instance::start().await;
    let b = Instance::start().await;
    let h = HostilePeer::start().await;
    let alice = a.user("alice").await;
    let bea = b.user("bea").await;
    ok(
        &a,
        &alice,
        Method::POST,
        "/communities",
        Some(json!({"handle": "board", "name": "Board", "visibility": "private", "kind": "team"})),
    )
    .await;
    let gref = format!("board@localhost:{}", a.port);
    let r = ok(
        &b,
        &bea,
        Method::POST,
        &format!("/communities/{gref}/join"),
        None,
    )
    .await;
    assert_eq!(r["state"], "pending");
    wait_quiet(&[&a, &b]).await;
    let (s, _) = api(
        &a,
        &alice,
        Method::POST,
        "/communities/board/requests/answer",
        Some(json!({"person": format!("bea@localhost:{}", b.port), "approve": true})),
    )
    .await;
    assert_eq!(s, 204);
    wait_quiet(&[&a, &b]).await;
    let t = ok(
        &a,
        &alice,
        Method::POST,
        "/communities/board/threads",
        Some(json!({"title": "Offsite?", "content": "Pick one.", "poll": ["Friday", "Monday"]})),
    )
    .await;
    let tid = t["id"].as_i64().unwrap();
    let poll = t["uri"].as_str().unwrap().to_string();
    let zero = json!([{"name": "Friday", "votes": 0}, {"name": "Monday", "votes": 0}]);
    assert_eq!(t["poll"], zero);

    // Three actors that never joined vote, as Mastodon votes: Create(Note) with the choice
    // as `name`, answering the Question, without content.
    for n in 1..=3 {
        let name = format!("voter{n}");
        let voter = h.actor(&name, "Person");
        let id = h.u(&format!("/votes/{n}"));
        let create = json!({"@context": AS, "id": format!("{id}/activity"), "type": "Create",
            "actor": voter, "to": [a.u("/users/alice")],
            "object": {"id": id, "type": "Note", "name": "Friday", "attributedTo": voter,
                "inReplyTo": poll, "to": [a.u("/users/alice")]}});
        let (s, body) = h.post_as(&name, &a.u("/inbox"), &create).await;
        assert!(s == 403 || s == 202, "a stranger's vote: {s} {body}");
    }
    wait_quiet(&[&a, &b]).await;
    let th = ok(
        &a,
        &alice,
        Method::GET,
        &format!("/communities/board/threads/{tid}"),
        None,
    )
    .await;
    assert_eq!(th["thread"]["poll"], zero, "strangers' votes were counted");
    assert_eq!(
        a.sql_count("SELECT COUNT(*) AS n FROM poll_votes"),
        0,
        "strangers' votes were stored"
    );

    // A member on B votes through B's API: counted at the origin.
    let b_threads = ok(
        &b,
        &bea,
        Method::GET,
        &format!("/communities/{gref}/threads"),
        None,
    )
    .await;
    let b_tid = b_threads
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["title"] == "Offsite?")
        .expect("the poll reached B")["id"]
        .as_i64()
        .unwrap();
    let (s, v) = api(
        &b,
        &bea,
        Method::POST,
        &format!("/communities/{gref}/threads/{b_tid}/vote"),
        Some(json!({"choices": ["Monday"]})),
    )
    .await;
    assert_eq!(s, 204, "{v}");
    wait_quiet(&[&a, &b]).await;
    eventually("the member's vote is counted", || async {
        let th = ok(
            &a,
            &alice,
            Method::GET,
            &format!("/communities/board/threads/{tid}"),
            None,
        )
        .await;
        th["thread"]["poll"]
            == json!([{"name": "Friday", "votes": 0}, {"name": "Monday", "votes": 1}])
    })
    .await;
}

/// Serves a Kogi-like portfolio `name` on the peer with its items and projects collections.
fn serve_portfolio(h: &HostilePeer, name: &str, items: Vec<Value>, projects: Vec<Value>) -> String {
    let id = h.u(&format!("/users/{name}"));
    let mut doc = h.actor_doc(name, "Organization");
    doc["kogi:portfolioType"] = json!("creative");
    doc["kogi:items"] = json!(format!("{id}/items"));
    doc["kogi:projects"] = json!(format!("{id}/projects"));
    h.serve(&format!("/users/{name}"), doc);
    h.serve(
        &format!("/users/{name}/items"),
        json!({"@context": AS, "id": format!("{id}/items"), "type": "OrderedCollection",
            "totalItems": items.len(), "orderedItems": items}),
    );
    h.serve(
        &format!("/users/{name}/projects"),
        json!({"@context": AS, "id": format!("{id}/projects"), "type": "OrderedCollection",
            "totalItems": projects.len(), "orderedItems": projects}),
    );
    id
}

fn project(id: &str, owner: &str, title: &str) -> Value {
    json!({"id": id, "type": "Article", "attributedTo": owner, "name": title,
        "content": format!("<p>{title}</p>"), "to": [PUBLIC], "kogi:kind": "project",
        "kogi:portfolio": owner, "kogi:description": title, "kogi:status": "active"})
}

fn item(id: &str, owner: &str, title: &str) -> Value {
    json!({"id": id, "type": "Article", "attributedTo": owner, "name": title,
        "content": format!("<p>{title}</p>"), "to": [PUBLIC], "kogi:kind": "item",
        "kogi:portfolio": owner, "kogi:description": title,
        "published": "2026-01-01T00:00:00Z"})
}

/// Views `id` signed in until the background refresh has read its projects collection again,
/// then gives it a moment to store what it read; the view after that.
async fn refreshed_view(a: &Instance, token: &str, h: &HostilePeer, name: &str, id: &str) -> Value {
    let path = format!("/users/{name}/projects");
    let before = h.hits(&path);
    eventually("the portfolio is refreshed", || async {
        portfolio_view(a, token, id).await;
        h.hits(&path) > before
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    portfolio_view(a, token, id).await
}

async fn portfolio_view(a: &Instance, token: &str, id: &str) -> Value {
    ok(
        a,
        token,
        Method::GET,
        &format!("/portfolios/{}", crate::harness::urlencode(id)),
        None,
    )
    .await
}

#[tokio::test]
async fn a_hostile_server_cannot_move_a_portfolios_projects_or_items_to_another() {
    let a = Instance::start().await;
    let h = HostilePeer::start().await;
    let ann = a.user("ann").await;
    let x = h.u("/users/xport");
    let y = h.u("/users/yport");
    let x_project = format!("{x}/projects/1");
    let x_item = format!("{x}/items/1");
    serve_portfolio(
        &h,
        "xport",
        vec![item(&x_item, &x, "Harbour")],
        vec![project(&x_project, &x, "Bridge")],
    );
    serve_portfolio(&h, "yport", vec![], vec![]);
    // A signed-in view reads the portfolio's collections in the background.
    eventually("X's project and item are read", || async {
        let xv = portfolio_view(&a, &ann, &x).await;
        xv["projects"][0]["title"] == "Bridge" && xv["items"][0]["title"] == "Harbour"
    })
    .await;
    portfolio_view(&a, &ann, &y).await;

    // Y's collections claim X's project, then X's item.
    serve_portfolio(
        &h,
        "yport",
        vec![],
        vec![project(&x_project, &y, "Hijacked")],
    );
    let yv = refreshed_view(&a, &ann, &h, "yport", &y).await;
    assert_eq!(yv["projects"], json!([]), "{yv}");
    serve_portfolio(
        &h,
        "yport",
        vec![item(&x_item, &y, "Hijacked item")],
        vec![project(&x_project, &y, "Hijacked")],
    );
    let yv = refreshed_view(&a, &ann, &h, "yport", &y).await;
    assert_eq!(yv["projects"], json!([]), "{yv}");
    assert_eq!(yv["items"], json!([]), "{yv}");
    // Y sends Create and Update of X's item, and a post claiming to update X's project.
    for kind in ["Create", "Update"] {
        let obj = item(&x_item, &y, "Hijacked item");
        let (s, body) = h
            .post_as("yport", &a.u("/inbox"), &activity(&h, kind, &y, obj))
            .await;
        assert!(s == 403 || s == 202, "{kind} of X's item by Y: {s} {body}");
    }
    let update = h.u("/users/yport/posts/1");
    let note = json!({"id": update, "type": "Note", "attributedTo": y,
        "content": "<p>Project news</p>", "to": [PUBLIC], "kogi:project": x_project});
    let (s, body) = h
        .post_as("yport", &a.u("/inbox"), &activity(&h, "Create", &y, note))
        .await;
    assert!(s == 403 || s == 202, "{s} {body}");

    // Checked before X is refreshed again (a refresh would repair the rows from X's origin).
    let owner_of = |ap: &str| {
        a.sql_string(&format!(
            "SELECT g.ap_id AS s FROM {t} r JOIN portfolios p ON p.id = r.portfolio_id \
             JOIN actors g ON g.id = p.actor_id WHERE r.ap_id = '{ap}'",
            t = if ap.contains("/projects/") {
                "projects"
            } else {
                "portfolio_items"
            }
        ))
    };
    assert_eq!(owner_of(&x_project), x);
    assert_eq!(owner_of(&x_item), x);
    assert_eq!(
        a.sql_count(&format!(
            "SELECT COUNT(*) AS n FROM projects WHERE ap_id = '{x_project}' AND title = 'Bridge'"
        )),
        1,
        "X's project was overwritten"
    );
    assert_eq!(
        a.sql_count(&format!(
            "SELECT COUNT(*) AS n FROM portfolio_items WHERE ap_id = '{x_item}' AND title = 'Harbour'"
        )),
        1,
        "X's item was overwritten"
    );
    assert_eq!(
        a.sql_count(&format!(
            "SELECT COUNT(*) AS n FROM project_updates WHERE project_ap_id = '{x_project}'"
        )),
        0,
        "Y's post was linked to X's project"
    );
    let xv = portfolio_view(&a, &ann, &x).await;
    assert_eq!(xv["projects"].as_array().unwrap().len(), 1, "{xv}");
    assert_eq!(xv["projects"][0]["title"], "Bridge", "{xv}");
    assert_eq!(xv["items"].as_array().unwrap().len(), 1, "{xv}");
    assert_eq!(xv["items"][0]["title"], "Harbour", "{xv}");
    let yv = portfolio_view(&a, &ann, &y).await;
    assert_eq!(yv["projects"], json!([]), "{yv}");
    assert_eq!(yv["items"], json!([]), "{yv}");
}
