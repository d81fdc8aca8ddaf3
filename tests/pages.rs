//! The social pages driven as a browser without JavaScript would: plain HTML forms over HTTP
//! with cookies, across two instances — search, follow (with approval), compose, like, reply.

use serde_json::json;

use crate::harness::{csrf, csrf_of, eventually, wait_quiet, Instance, PASSWORD};

async fn form(client: &reqwest::Client, url: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    client.post(url).form(fields).send().await.unwrap()
}

/// A browser-like client logged in as `name`.
async fn log_in(i: &Instance, name: &str) -> reqwest::Client {
    let c = i.client();
    let token = csrf(&c, &i.u("/login")).await;
    let r = form(
        &c,
        &i.u("/login"),
        &[
            ("csrf_token", &token),
            ("username", name),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(r.status(), 303, "log in as {name}");
    c
}

/// A page's HTML, with the `/` that the templates escape put back.
async fn page(c: &reqwest::Client, url: &str) -> String {
    let r = c.get(url).send().await.unwrap();
    assert_eq!(r.status(), 200, "GET {url}");
    r.text().await.unwrap().replace("&#x2f;", "/")
}

fn location(r: &reqwest::Response) -> String {
    r.headers()["location"].to_str().unwrap().to_string()
}

/// The action of the first form after `needle` whose action ends with `suffix`.
fn action_after(html: &str, needle: &str, suffix: &str) -> String {
    let from = html
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} not in page: {html}"));
    html[from..]
        .split("action=\"")
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap()])
        .find(|a| a.ends_with(suffix))
        .unwrap_or_else(|| panic!("no {suffix} form after {needle}"))
        .to_string()
}

/// The number in the like button of the first post after `needle`.
fn like_count_after(html: &str, needle: &str) -> String {
    let from = html.find(needle).unwrap();
    let rest = &html[from..];
    let button = &rest[rest.find("post-action--like").unwrap()..];
    let count = &button[button.find("class=\"post-count\">").unwrap() + 19..];
    count[..count.find('<').unwrap()].to_string()
}

#[tokio::test]
async fn a_person_on_another_server_is_found_followed_liked_and_answered_through_the_pages() {
    let a = Instance::start().await;
    let b = Instance::start().await;
    let ann_token = a.user("ann").await;
    b.user("bob").await;
    // ann approves her followers.
    let r = reqwest::Client::new()
        .patch(a.u("/api/kogi/v1/accounts/me"))
        .bearer_auth(&ann_token)
        .json(&json!({"locked": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let ann = log_in(&a, "ann").await;
    let bob = log_in(&b, "bob").await;
    let ann_id = a.u("/users/ann");
    let a_host = format!("localhost:{}", a.port);

    // bob finds ann on A from the search page (the header box sends the same GET).
    let search = format!(
        "/search?q={}",
        crate::harness::urlencode(&format!("@ann@{a_host}"))
    );
    let html = page(&bob, &b.u(&search)).await;
    assert!(html.contains(&format!("@ann@{a_host}")), "{html}");
    assert!(html.contains("action=\"/follow\""), "{html}");
    assert!(html.contains(&format!("name=\"target\" value=\"{ann_id}\"")));
    // Kind errors for addresses that lead nowhere.
    let html = page(&bob, &b.u(&format!("/search?q=%40nobody%40{a_host}"))).await;
    assert!(html.contains("couldn&#x27;t find anyone"), "{html}");
    let html = page(&bob, &b.u("/search?q=%40someone%40127.0.0.1%3A1")).await;
    assert!(html.contains("couldn&#x27;t reach that server"), "{html}");

    // Follow through the form: a request, since ann approves followers.
    let token = csrf(&bob, &b.u(&search)).await;
    let r = form(
        &bob,
        &b.u("/follow"),
        &[
            ("csrf_token", &token),
            ("target", &ann_id),
            ("next", &search),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), search);
    let html = page(&bob, &b.u(&search)).await;
    assert!(html.contains("Follow request sent"), "{html}");
    assert!(html.contains("action=\"/unfollow\""));
    wait_quiet(&[&a, &b]).await;

    // ann sees the request in her notifications and approves it on the requests page.
    eventually("the request reached ann", || async {
        page(&ann, &a.u("/notifications"))
            .await
            .contains("asked to follow you")
    })
    .await;
    let html = page(&ann, &a.u("/follow-requests")).await;
    assert!(
        html.contains(&format!("@bob@localhost:{}", b.port)),
        "{html}"
    );
    let token = csrf_of(&html);
    let r = form(
        &ann,
        &a.u("/follow-requests/answer"),
        &[
            ("csrf_token", &token),
            ("actor", &b.u("/users/bob")),
            ("approve", "true"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert!(page(&ann, &a.u("/follow-requests"))
        .await
        .contains("Follow request approved"));
    wait_quiet(&[&a, &b]).await;
    eventually("B has the Accept", || async {
        b.sql_count("SELECT COUNT(*) AS n FROM follows WHERE state = 'accepted'") == 1
    })
    .await;
    assert!(page(&bob, &b.u(&search)).await.contains("Unfollow"));

    // ann posts through the compose form; a mistake keeps what she typed.
    let token = csrf(&ann, &a.u("/")).await;
    let r = form(
        &ann,
        &a.u("/posts"),
        &[
            ("csrf_token", &token),
            ("content", "   "),
            ("summary", "kept"),
            ("visibility", "followers"),
            ("next", "/"),
        ],
    )
    .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("Write something before publishing") && html.contains("value=\"kept\""));
    assert!(html.contains("<option value=\"followers\" selected>"));
    let r = form(
        &ann,
        &a.u("/posts"),
        &[("content", "No token, no post"), ("next", "/")],
    )
    .await;
    assert_eq!(r.status(), 403);
    let r = form(
        &ann,
        &a.u("/posts"),
        &[
            ("csrf_token", &token),
            ("content", "Hello from the compose form"),
            ("summary", ""),
            ("visibility", "public"),
            ("next", "/"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/");
    let html = page(&ann, &a.u("/")).await;
    assert!(
        html.contains("Your post has been published")
            && html.contains("Hello from the compose form"),
        "{html}"
    );
    let post_path = action_after(&html, "Hello from the compose form", "/like")
        .trim_end_matches("/like")
        .to_string();
    let on_a: i64 = post_path.trim_start_matches("/posts/").parse().unwrap();

    // It appears on bob's home page on B.
    wait_quiet(&[&a, &b]).await;
    eventually("the post is on B's home page", || async {
        page(&bob, &b.u("/"))
            .await
            .contains("Hello from the compose form")
    })
    .await;

    // bob likes it through the form: counted on A.
    let html = page(&bob, &b.u("/")).await;
    let like = action_after(&html, "Hello from the compose form", "/like");
    let token = csrf_of(&html);
    let r = form(&bob, &b.u(&like), &[("csrf_token", &token), ("next", "/")]).await;
    assert_eq!(r.status(), 303);
    assert!(location(&r).starts_with("/#post-"), "{}", location(&r));
    let html = page(&bob, &b.u("/")).await;
    assert!(
        html.contains("aria-pressed=\"true\""),
        "the like shows as pressed"
    );
    wait_quiet(&[&a, &b]).await;
    let count = |html: String| like_count_after(&html, "Hello from the compose form");
    eventually("A counts the like", || async {
        count(page(&ann, &a.u("/")).await) == "1"
    })
    .await;
    assert_eq!(
        a.sql_count(&format!(
            "SELECT CAST(like_count AS BIGINT) AS n FROM posts WHERE id = {on_a}"
        )),
        1
    );
    assert!(page(&ann, &a.u("/notifications"))
        .await
        .contains("liked your post"));

    // bob replies from the post's page on B; it threads under the post on A.
    let html = page(&bob, &b.u("/")).await;
    let from = html.find("Hello from the compose form").unwrap();
    let reply_link = html[from..]
        .split("href=\"")
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap()])
        .find(|h| h.ends_with("#reply"))
        .unwrap()
        .trim_end_matches("#reply")
        .to_string();
    assert!(reply_link.starts_with("/remote-posts/"), "{reply_link}");
    let html = page(&bob, &b.u(&reply_link)).await;
    let post_url = a.sql_string(&format!("SELECT ap_id AS s FROM posts WHERE id = {on_a}"));
    assert!(
        html.contains(&format!("name=\"in_reply_to\" value=\"{post_url}\"")),
        "{html}"
    );
    let token = csrf_of(&html);
    let r = form(
        &bob,
        &b.u("/posts"),
        &[
            ("csrf_token", &token),
            ("content", "Nice to meet you, ann"),
            ("visibility", "public"),
            ("in_reply_to", &post_url),
            ("next", &reply_link),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert!(location(&r).starts_with(&format!("{reply_link}#post-")));
    wait_quiet(&[&a, &b]).await;
    eventually("the reply is on ann's post page", || async {
        page(&ann, &post_url)
            .await
            .contains("Nice to meet you, ann")
    })
    .await;
    // ann hears of it (as a mention: the reply tags her, as Mastodon's replies do).
    let html = page(&ann, &a.u("/notifications")).await;
    assert!(html.contains("Nice to meet you, ann"), "{html}");

    // The like button toggles: the same form again takes the like back.
    let html = page(&bob, &b.u("/")).await;
    let token = csrf_of(&html);
    let r = form(&bob, &b.u(&like), &[("csrf_token", &token), ("next", "/")]).await;
    assert_eq!(r.status(), 303);
    wait_quiet(&[&a, &b]).await;
    eventually("A drops the like", || async {
        a.sql_count(&format!(
            "SELECT CAST(like_count AS BIGINT) AS n FROM posts WHERE id = {on_a}"
        )) == 0
    })
    .await;

    // Unfollow through the form.
    let token = csrf(&bob, &b.u(&search)).await;
    let r = form(
        &bob,
        &b.u("/unfollow"),
        &[
            ("csrf_token", &token),
            ("target", &ann_id),
            ("next", &search),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    wait_quiet(&[&a, &b]).await;
    eventually("A drops the follower", || async {
        a.sql_count("SELECT COUNT(*) AS n FROM follows") == 0
    })
    .await;
}
