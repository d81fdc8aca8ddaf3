//! Pages in headless Chromium: sign-up through the form, accessibility with axe-core, and
//! layouts at a 390 px phone and a 1280 px desktop.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

use crate::harness::{free_port, png, sqlite_only, tool, Instance, PASSWORD};

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
        // Killing chromedriver alone leaves the Chromium it started running: end its
        // children first (Chromium's own helpers exit with their browser).
        // All of them, helpers included, so none is still writing to the profile when it
        // is removed below.
        let mut all = Vec::new();
        let mut next = vec![self.driver.id()];
        while let Some(pid) = next.pop() {
            let kids = children_of(pid);
            next.extend(&kids);
            all.extend(kids);
        }
        for pid in &all {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let deadline = Instant::now() + Duration::from_secs(5);
        while all.iter().any(|pid| alive(*pid)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        // The TempDir guard removes the profile next; a helper that wrote a last file as it
        // died is caught by a second pass.
        let _ = std::fs::remove_dir_all(self._profile.path());
    }
}

/// Is `pid` running (neither gone nor a zombie waiting to be reaped)?
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X")
    })
}

/// The processes whose parent is `parent`, from /proc.
fn children_of(parent: u32) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| {
        let pid: u32 = e.ok()?.file_name().to_str()?.parse().ok()?;
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // "pid (comm) state ppid ...": the command may hold spaces, so read after ')'.
        let ppid: u32 = stat
            .rsplit_once(')')?
            .1
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()?;
        (ppid == parent && pid != 0).then_some(pid)
    })
    .collect()
}

pub async fn fill(b: &Browser, css: &str, text: &str) {
    let e = b.client.find(Locator::Css(css)).await.unwrap();
    e.clear().await.unwrap();
    e.send_keys(text).await.unwrap();
}

/// The id a query finds, waiting for the row (a clicked submit does not wait for the page).
async fn row_id(a: &Instance, query: &str) -> i64 {
    let count = format!("SELECT COUNT(*) AS n FROM ({query}) AS q");
    crate::harness::eventually(query, || async { a.sql_count(&count) > 0 }).await;
    a.sql_count(query)
}

pub async fn submit(b: &Browser) {
    click(b, "main form button[type=submit]").await;
}

/// Marks the current document, so that a new one (after a form posts) can be told apart.
pub async fn mark_page(b: &Browser) {
    b.client
        .execute("window.__kogiOldPage = true; return true", vec![])
        .await
        .unwrap();
}

/// Waits until the marked document has been replaced by a fully loaded new one.
pub async fn wait_new_page(b: &Browser) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let fresh = b
            .client
            .execute(
                "return !window.__kogiOldPage && document.readyState === 'complete'",
                vec![],
            )
            .await
            .map(|v| v == true)
            .unwrap_or(false);
        if fresh {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the form did not lead to a new page"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
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

/// Clicks an element; a submit button's form is followed to the page it leads to.
pub async fn click(b: &Browser, css: &str) {
    let submits = css.contains("submit");
    if submits {
        mark_page(b).await;
    }
    b.client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap();
    if submits {
        wait_new_page(b).await;
    }
}

/// The text of the page's `main`, waiting for a page that is still loading after a click.
pub async fn main_text(b: &Browser) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let ready = b
            .client
            .execute("return document.readyState", vec![])
            .await
            .map(|v| v == "complete")
            .unwrap_or(false);
        if ready {
            if let Ok(main) = b.client.find(Locator::Css("main")).await {
                if let Ok(text) = main.text().await {
                    return text;
                }
            }
        }
        assert!(
            Instant::now() < deadline,
            "no <main> on {:?}",
            b.client.current_url().await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn browser_login(b: &Browser, a: &Instance, name: &str) {
    b.client.delete_all_cookies().await.unwrap();
    b.client.goto(&a.u("/login")).await.unwrap();
    fill(b, "input[name=username]", name).await;
    fill(b, "input[name=password]", PASSWORD).await;
    submit(b).await;
}

/// Axe-core and sideways scrolling on each page at phone and desktop width.
pub async fn check_pages(b: &Browser, a: &Instance, who: &str, pages: &[&str]) -> Vec<String> {
    let mut problems = Vec::new();
    for (width, height) in [(390u32, 844u32), (1280, 900)] {
        b.viewport(width, height).await;
        for p in pages {
            b.client.goto(&a.u(p)).await.unwrap();
            for v in b.axe().await {
                problems.push(format!("{p} ({who}) @{width}: {v}"));
            }
            let over = b.overflow_x().await;
            if over > 0 {
                problems.push(format!(
                    "{p} ({who}) @{width}: scrolls sideways by {over}px"
                ));
            }
        }
    }
    problems
}

#[tokio::test]
async fn chromium_builds_a_portfolio_through_the_forms_and_its_pages_are_accessible() {
    if !sqlite_only() {
        return;
    }
    let Some(b) = Browser::start().await else {
        return;
    };
    let a = Instance::start().await;
    for n in ["maya", "otto", "lena"] {
        a.user(n).await;
    }
    b.viewport(390, 844).await;
    browser_login(&b, &a, "maya").await;

    // A new portfolio, then its editor.
    b.client.goto(&a.u("/portfolios/new")).await.unwrap();
    fill(&b, "input[name=handle]", "atelier").await;
    fill(&b, "input[name=title]", "Atelier Maya").await;
    fill(&b, "textarea[name=summary]", "Posters and type.").await;
    fill(&b, "input[name=tags]", "posters, type").await;
    submit(&b).await;
    assert!(b
        .client
        .current_url()
        .await
        .unwrap()
        .path()
        .ends_with("/portfolios/atelier/edit"));
    assert!(main_text(&b).await.contains("Manage Atelier Maya"));

    // A piece of work with an image (and its alt text), published.
    b.client
        .goto(&a.u("/portfolios/atelier/items/new"))
        .await
        .unwrap();
    fill(&b, "input[name=title]", "Festival poster").await;
    fill(
        &b,
        "textarea[name=description]",
        "Three colours.\n\nScreen printed.",
    )
    .await;
    fill(&b, "input[name=role]", "Designer").await;
    fill(&b, "input[name=skills]", "print, type").await;
    submit(&b).await;
    let item = row_id(
        &a,
        "SELECT id AS n FROM portfolio_items WHERE title = 'Festival poster'",
    )
    .await;
    let file = a.dir.path().join("poster.png");
    std::fs::write(&file, png(320, 200)).unwrap();
    b.client
        .find(Locator::Css("input[type=file][name=file]"))
        .await
        .unwrap()
        .send_keys(&file.display().to_string())
        .await
        .unwrap();
    fill(&b, "#media-description", "A poster in red, yellow and blue").await;
    click(&b, "form[action$='/media'] button[type=submit]").await;
    click(&b, "form[action$='/publish'] button[type=submit]").await;
    assert!(main_text(&b).await.contains("The work is published."));
    assert_eq!(
        a.sql_count(&format!(
            "SELECT COUNT(*) AS n FROM portfolio_items WHERE id = {item} AND state = 'published' AND media LIKE '%red, yellow and blue%'"
        )),
        1
    );

    // Publish the portfolio, add an editor, a project and an update.
    b.client
        .goto(&a.u("/portfolios/atelier/edit"))
        .await
        .unwrap();
    click(&b, "form[action$='/atelier/publish'] button[type=submit]").await;
    fill(&b, "#member-username", "lena").await;
    click(&b, "form[action$='/atelier/members'] button.btn--primary").await;
    assert!(main_text(&b).await.contains("The team has been updated."));
    b.client
        .goto(&a.u("/portfolios/atelier/projects/new"))
        .await
        .unwrap();
    fill(&b, "input[name=title]", "Poster series").await;
    fill(&b, "textarea[name=goals]", "Twelve posters\nOne exhibition").await;
    submit(&b).await;
    let project = row_id(
        &a,
        "SELECT id AS n FROM projects WHERE title = 'Poster series'",
    )
    .await;
    fill(&b, "#update-content", "The first four are printed.").await;
    click(&b, "form[action$='/updates'] button[type=submit]").await;
    assert!(main_text(&b).await.contains("The first four are printed."));

    let mine: Vec<String> = [
        "/portfolios".to_string(),
        "/portfolios/new".into(),
        "/portfolios/mine".into(),
        "/portfolios/atelier".into(),
        "/portfolios/atelier/edit".into(),
        "/portfolios/atelier/items/new".into(),
        format!("/portfolios/atelier/items/{item}"),
        format!("/portfolios/atelier/items/{item}/edit"),
        "/portfolios/atelier/projects/new".into(),
        format!("/portfolios/atelier/projects/{project}"),
        format!("/portfolios/atelier/projects/{project}/edit"),
    ]
    .to_vec();
    let mine: Vec<&str> = mine.iter().map(String::as_str).collect();
    let mut problems = check_pages(&b, &a, "owner", &mine).await;

    // Someone else likes the work and bookmarks it into a folder.
    browser_login(&b, &a, "otto").await;
    b.viewport(390, 844).await;
    b.client
        .goto(&a.u(&format!("/portfolios/atelier/items/{item}")))
        .await
        .unwrap();
    click(&b, "form[action$='/like'] button[type=submit]").await;
    assert!(main_text(&b).await.contains("You like this."));
    click(&b, "details.compose-cw summary").await;
    fill(&b, "input[name=folder]", "Inspiration").await;
    click(&b, "form.bookmark-form button[type=submit]").await;
    b.client.goto(&a.u("/bookmarks")).await.unwrap();
    let text = main_text(&b).await;
    assert!(
        text.contains("Inspiration") && text.contains("Festival poster"),
        "{text}"
    );
    problems.extend(
        check_pages(
            &b,
            &a,
            "follower",
            &[
                "/portfolios/atelier",
                &format!("/portfolios/atelier/items/{item}"),
                "/bookmarks",
                "/search?q=atelier",
            ],
        )
        .await,
    );
    // Someone off the team may not edit.
    b.client
        .goto(&a.u("/portfolios/atelier/edit"))
        .await
        .unwrap();
    assert!(main_text(&b).await.contains("403"));

    b.client.delete_all_cookies().await.unwrap();
    problems.extend(
        check_pages(
            &b,
            &a,
            "logged out",
            &[
                "/portfolios",
                "/portfolios/atelier",
                &format!("/portfolios/atelier/items/{item}"),
                &format!("/portfolios/atelier/projects/{project}"),
            ],
        )
        .await,
    );
    for width in [390, 1280] {
        b.viewport(width, 900).await;
        b.client.goto(&a.u("/portfolios/atelier")).await.unwrap();
        b.screenshot(&format!("portfolio-{width}")).await;
    }
    // Views by people in ordinary browsers (headless Chromium counts as a bot) and a
    // follower, so the owner's dashboard has something to draw.
    for _ in 0..3 {
        let r = reqwest::Client::new()
            .get(a.u("/portfolios/atelier"))
            .header(
                "user-agent",
                "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0",
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let otto = a.token("otto", PASSWORD).await;
    let r = reqwest::Client::new()
        .post(a.u("/api/kogi/v1/follows"))
        .bearer_auth(&otto)
        .json(&json!({"target": format!("atelier@localhost:{}", a.port)}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    browser_login(&b, &a, "maya").await;
    for width in [390, 1280] {
        b.viewport(width, 900).await;
        b.client.goto(&a.u("/portfolios/mine")).await.unwrap();
        let text = main_text(&b).await;
        assert!(
            text.contains("Festival poster: 1"),
            "likes per item on the dashboard: {text}"
        );
        b.screenshot(&format!("dashboard-{width}")).await;
    }
    assert!(
        problems.is_empty(),
        "accessibility/layout problems:\n{}",
        problems.join("\n")
    );
}
