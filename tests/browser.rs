//! Pages in headless Chromium: sign-up through the form, accessibility with axe-core, and
//! layouts at a 390 px phone and a 1280 px desktop.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

use crate::harness::{free_port, sqlite_only, tool, Instance, PASSWORD};

/// chromedriver on a free loopback port, and one browser session (one per instance: cookies
/// are not scoped by port).
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub async fn start() -> Option<Browser> {
        // Both of rustls' crypto back-ends are linked into the test binary; pick one.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let chromedriver = tool("KOGI_TEST_CHROMEDRIVER")?;
        let chromium = tool("KOGI_TEST_CHROMIUM")?;
        let port = free_port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        let caps = json!({
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-quic", "--no-first-run", "--hide-scrollbars",
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            }
        });
        let Value::Object(caps) = caps else {
            unreachable!()
        };
        let client = ClientBuilder::rustls()
            .unwrap()
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("start a Chromium session");
        Some(Browser {
            client,
            driver,
            _profile: profile,
        })
    }

    /// Serious and critical axe-core violations on the current page.
    pub async fn axe(&self) -> Vec<String> {
        let path = std::env::var("KOGI_TEST_AXE").expect("KOGI_TEST_AXE");
        let source = std::fs::read_to_string(path).unwrap();
        self.client.execute(&source, vec![]).await.unwrap();
        let result = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, {resultTypes: ['violations']})
                   .then(r => done(r.violations
                      .filter(v => v.impact === 'serious' || v.impact === 'critical')
                      .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.map(n => n.target.join(' ')).join(' | '))))
                   .catch(e => done(['axe failed: ' + e]));",
                vec![],
            )
            .await
            .unwrap();
        result
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// Width of the page's content beyond the viewport, in CSS pixels (0 = no sideways scroll).
    pub async fn overflow_x(&self) -> i64 {
        let v = self
            .client
            .execute("return document.documentElement.scrollWidth - document.documentElement.clientWidth;", vec![])
            .await
            .unwrap();
        v.as_i64().unwrap_or(0)
    }

    /// Sets the viewport's CSS width (the window is a little larger than its viewport).
    pub async fn viewport(&self, width: u32, height: u32) {
        self.client.set_window_size(width, height).await.unwrap();
        let inner = self
            .client
            .execute("return window.innerWidth;", vec![])
            .await
            .unwrap()
            .as_i64()
            .unwrap_or(width as i64);
        let extra = width as i64 - inner;
        if extra > 0 {
            self.client
                .set_window_size(width + extra as u32, height)
                .await
                .unwrap();
        }
    }

    pub async fn screenshot(&self, name: &str) {
        if let Ok(dir) = std::env::var("KOGI_SCREENSHOTS_DIR") {
            let png = self.client.screenshot().await.unwrap();
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(std::path::Path::new(&dir).join(format!("{name}.png")), png).unwrap();
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

async fn fill(b: &Browser, css: &str, text: &str) {
    let e = b.client.find(Locator::Css(css)).await.unwrap();
    e.clear().await.unwrap();
    e.send_keys(text).await.unwrap();
}

async fn submit(b: &Browser) {
    b.client
        .find(Locator::Css("main form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

#[tokio::test]
async fn chromium_signs_up_through_the_form_and_every_page_is_accessible_at_phone_and_desktop_width(
) {
    if !sqlite_only() {
        return;
    }
    let Some(b) = Browser::start().await else {
        return;
    };
    let a = Instance::start().await;
    b.viewport(390, 844).await;

    b.client.goto(&a.u("/signup")).await.unwrap();
    fill(&b, "input[name=username]", "june").await;
    fill(&b, "input[name=email]", "june@example.org").await;
    fill(&b, "input[name=password]", PASSWORD).await;
    submit(&b).await;
    let text = b
        .client
        .find(Locator::Css("main"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("june@example.org"), "{text}");
    let mail = a.wait_mail("june@example.org", "").await;
    b.client.goto(&mail.link("/confirm")).await.unwrap();
    b.client.goto(&a.u("/login")).await.unwrap();
    fill(&b, "input[name=username]", "june").await;
    fill(&b, "input[name=password]", PASSWORD).await;
    submit(&b).await;
    b.client.goto(&a.u("/settings/profile")).await.unwrap();
    fill(&b, "input[name=display_name]", "June Almeida").await;
    fill(&b, "textarea[name=bio]", "Virologist. Imaging pioneer.").await;
    fill(&b, "input[name=skills]", "electron microscopy, virology").await;
    submit(&b).await;
    b.client.goto(&a.u("/users/june")).await.unwrap();
    let text = b
        .client
        .find(Locator::Css("main"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("June Almeida") && text.contains("Imaging pioneer"),
        "{text}"
    );

    // A post through the compose form on the home page.
    b.client.goto(&a.u("/")).await.unwrap();
    fill(
        &b,
        "textarea[name=content]",
        "Imaging a new virus today: a halo like a crown. #virology",
    )
    .await;
    submit(&b).await;
    let text = b
        .client
        .find(Locator::Css("main"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("a halo like a crown"), "{text}");
    let post_id = a.sql_count("SELECT id AS n FROM posts WHERE content_html LIKE '%halo%'");
    let post_page = a
        .sql_string(&format!(
            "SELECT ap_id AS s FROM posts WHERE id = {post_id}"
        ))
        .replace(&a.url, "");

    // Some people on the home page for the screenshots, and things for june's notifications:
    // june approves followers and alan asks to follow; hedy mentions, likes and replies.
    let mut tokens = Vec::new();
    for n in ["alan", "hedy", "katherine"] {
        tokens.push(a.user(n).await);
    }
    let api = |token: &str, method: reqwest::Method, path: &str, body: Value| {
        let req = reqwest::Client::new()
            .request(method, a.u(&format!("/api/kogi/v1{path}")))
            .bearer_auth(token)
            .json(&body);
        let path = path.to_string();
        async move {
            let r = req.send().await.unwrap();
            let status = r.status().as_u16();
            assert!(status < 300, "{path}: {status} {}", r.text().await.unwrap());
        }
    };
    let june = a.token("june", PASSWORD).await;
    api(
        &june,
        reqwest::Method::PATCH,
        "/accounts/me",
        json!({"locked": true}),
    )
    .await;
    api(
        &tokens[0],
        reqwest::Method::POST,
        "/follows",
        json!({"target": a.u("/users/june")}),
    )
    .await;
    api(
        &tokens[1],
        reqwest::Method::POST,
        "/posts",
        json!({"content": "Welcome, @june! Your pictures are wonderful.", "summary": "Fan mail"}),
    )
    .await;
    api(
        &tokens[1],
        reqwest::Method::POST,
        &format!("/posts/{post_id}/like"),
        json!({}),
    )
    .await;
    api(
        &tokens[1],
        reqwest::Method::POST,
        "/posts",
        json!({"content": "Extraordinary work.", "in_reply_to": post_id.to_string()}),
    )
    .await;
    api(
        &tokens[2],
        reqwest::Method::POST,
        "/follows",
        json!({"target": a.u("/users/hedy")}),
    )
    .await;

    let pages = [
        "/",
        "/users/june",
        "/users/hedy",
        post_page.as_str(),
        "/timelines/local",
        "/timelines/federated",
        "/notifications",
        "/follow-requests",
        "/search?q=hedy",
        "/search?q=not%20an%20address",
        "/settings/profile",
        "/settings/password",
        "/settings/email",
        "/settings/sessions",
        "/settings/language",
        "/settings/account",
        "/no-such-page",
    ];
    let mut problems = Vec::new();
    for (width, height) in [(390u32, 844u32), (1280, 900)] {
        b.viewport(width, height).await;
        for p in pages {
            b.client.goto(&a.u(p)).await.unwrap();
            for v in b.axe().await {
                problems.push(format!("{p} @{width}: {v}"));
            }
            let over = b.overflow_x().await;
            if over > 0 {
                problems.push(format!("{p} @{width}: scrolls sideways by {over}px"));
            }
        }
        b.client.goto(&a.u("/users/june")).await.unwrap();
        b.screenshot(&format!("profile-{width}")).await;
        b.client.goto(&a.u("/")).await.unwrap();
        b.screenshot(&format!("home-signed-in-{width}")).await;
        b.client.goto(&a.u("/notifications")).await.unwrap();
        b.screenshot(&format!("notifications-{width}")).await;
        b.client.goto(&a.u(&post_page)).await.unwrap();
        b.screenshot(&format!("post-{width}")).await;
    }
    // Logged-out pages.
    b.client.delete_all_cookies().await.unwrap();
    let public = [
        "/",
        "/signup",
        "/login",
        "/reset",
        "/reset/confirm?token=nope",
        "/confirm?token=nope",
        "/users/june",
        post_page.as_str(),
        "/timelines/local",
        "/timelines/federated",
    ];
    for (width, height) in [(390u32, 844u32), (1280, 900)] {
        b.viewport(width, height).await;
        for p in public {
            b.client.goto(&a.u(p)).await.unwrap();
            for v in b.axe().await {
                problems.push(format!("{p} (logged out) @{width}: {v}"));
            }
            let over = b.overflow_x().await;
            if over > 0 {
                problems.push(format!(
                    "{p} (logged out) @{width}: scrolls sideways by {over}px"
                ));
            }
        }
        b.client.goto(&a.u("/")).await.unwrap();
        b.screenshot(&format!("home-{width}")).await;
        b.client.goto(&a.u("/signup")).await.unwrap();
        b.screenshot(&format!("signup-{width}")).await;
        b.client.goto(&a.u("/timelines/federated")).await.unwrap();
        b.screenshot(&format!("federated-{width}")).await;
    }
    assert!(
        problems.is_empty(),
        "accessibility/layout problems:\n{}",
        problems.join("\n")
    );
}
