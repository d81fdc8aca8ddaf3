//! Operations: rate limits, graceful shutdown, configuration errors, health and metrics,
//! schemas of both backends, themes, the Docker files and the README.

use std::io::{Read, Write};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::harness::{
    backend, kogi_bin, sqlite_only, tool, Backend, Instance, Opts, PgDatabase, PASSWORD,
};

/// Waits until at least `margin` seconds remain in the current minute, so a burst of requests
/// lands in one rate-limit window.
async fn away_from_minute_boundary(margin: u64) {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        % 60;
    if 60 - secs < margin {
        tokio::time::sleep(Duration::from_secs(60 - secs + 1)).await;
    }
}

#[tokio::test]
async fn the_eleventh_login_attempt_in_a_minute_gets_429() {
    let a =
        Instance::start_with(Opts::default().env("KOGI_RATE_LIMITS_LOGIN_PER_MINUTE", "10")).await;
    a.cli_ok(&[
        "admin",
        "create-user",
        "rita",
        "--email",
        "rita@example.org",
        "--password",
        PASSWORD,
    ]);
    let c = reqwest::Client::new();
    away_from_minute_boundary(20).await;
    for i in 0..10 {
        let r = c
            .post(a.u("/api/kogi/v1/auth/token"))
            .json(&json!({"username": "rita", "password": "wrong password!"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "attempt {}", i + 1);
    }
    let r = c
        .post(a.u("/api/kogi/v1/auth/token"))
        .json(&json!({"username": "RITA", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry));
    assert_eq!(
        r.json::<Value>().await.unwrap()["type"],
        "urn:kogi:problem:rate_limited"
    );
    // The web form is counted against the same name.
    let web = a.client();
    let t = crate::harness::csrf(&web, &a.u("/login")).await;
    let r = web
        .post(a.u("/login"))
        .form(&[
            ("csrf_token", t.as_str()),
            ("username", "rita"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    // Other names are not affected.
    let r = c
        .post(a.u("/api/kogi/v1/auth/token"))
        .json(&json!({"username": "someone", "password": "wrong password!"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn sigterm_lets_a_slow_request_finish_and_exits_zero() {
    if !sqlite_only() {
        return;
    }
    let mut a = Instance::start().await;
    let token = a.user("slow").await;
    // An avatar upload whose body trickles in: the request is in flight when SIGTERM arrives.
    let body_head = "--XBOUNDARY\r\nContent-Disposition: form-data; name=\"avatar\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n";
    let png = crate::harness::png(64, 64);
    let tail = "\r\n--XBOUNDARY--\r\n";
    let len = body_head.len() + png.len() + tail.len();
    let mut s = std::net::TcpStream::connect(("127.0.0.1", a.port)).unwrap();
    write!(
        s,
        "PUT /api/kogi/v1/accounts/me/avatar HTTP/1.1\r\nHost: localhost:{}\r\nAuthorization: Bearer {token}\r\nContent-Type: multipart/form-data; boundary=XBOUNDARY\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n",
        a.port
    )
    .unwrap();
    s.write_all(body_head.as_bytes()).unwrap();
    s.write_all(&png[..png.len() / 2]).unwrap();
    s.flush().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(a.pid()),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    s.write_all(&png[png.len() / 2..]).unwrap();
    s.write_all(tail.as_bytes()).unwrap();
    let mut resp = String::new();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.read_to_string(&mut resp).unwrap();
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    let mut child = a.take_child().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        assert!(Instant::now() < deadline, "kogi did not exit after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status {status}");
}

#[tokio::test]
async fn bad_configuration_stops_start_up_naming_the_key() {
    if !sqlite_only() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let run = |vars: &[(&str, &str)]| {
        let mut cmd = Command::new(kogi_bin());
        cmd.current_dir(dir.path())
            .env_clear()
            .env("KOGI_DATA_DIR", dir.path().join("d"))
            .env("KOGI_LISTEN", "127.0.0.1:1");
        for (k, v) in vars {
            cmd.env(k, v);
        }
        let out = cmd.arg("serve").output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, err) = run(&[("KOGI_INSTANCE_REGISTRATION_MODE", "sometimes")]);
    assert!(!ok && err.contains("instance.registration_mode"), "{err}");
    let (ok, err) = run(&[("KOGI_PUBLIC_URL", "ftp://x")]);
    assert!(!ok && err.contains("public_url"), "{err}");
    let (ok, err) = run(&[("KOGI_MAIL_SMTP_PORT", "99999")]);
    assert!(!ok && err.contains("mail.smtp_port"), "{err}");
    let (ok, err) = run(&[("KOGI_DATABASE_URL", "mysql://x")]);
    assert!(!ok && err.contains("database.url"), "{err}");
    std::fs::write(
        dir.path().join("bad.toml"),
        "[instance]\ncolour = \"red\"\n",
    )
    .unwrap();
    let out = Command::new(kogi_bin())
        .current_dir(dir.path())
        .env_clear()
        .args(["--config", "bad.toml", "serve"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("instance.colour"));
    // An unreachable PostgreSQL fails clearly, not with a panic.
    let port = crate::harness::free_port();
    let (ok, err) = run(&[(
        "KOGI_DATABASE_URL",
        &format!("postgres://kogi:kogi@127.0.0.1:{port}/kogi"),
    )]);
    assert!(!ok, "{err}");
    assert!(
        err.contains("database.url") && err.contains("PostgreSQL"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[tokio::test]
async fn health_readiness_metrics_and_security_headers() {
    if !sqlite_only() {
        return;
    }
    let a = Instance::start_with(
        Opts::default()
            .env("KOGI_METRICS_TOKEN", "s3cret-metrics")
            .env("KOGI_TRUSTED_PROXIES", "127.0.0.1, ::1")
            .env("KOGI_LOG_FORMAT", "json"),
    )
    .await;
    let c = reqwest::Client::new();
    assert_eq!(
        c.get(a.u("/healthz"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "ok"
    );
    assert_eq!(c.get(a.u("/readyz")).send().await.unwrap().status(), 200);
    c.get(a.u("/users/nobody")).send().await.unwrap();
    let m = c
        .get(a.u("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        m.contains(
            "kogi_http_requests_total{method=\"GET\",route=\"/users/{username}\",status=\"404\"} 1"
        ),
        "{m}"
    );
    assert!(m.contains("kogi_http_request_duration_seconds_bucket"));
    assert!(m.contains("kogi_db_pool_connections{state=\"max\"} 4"));
    let home = c.get(a.u("/")).send().await.unwrap();
    let h = home.headers();
    assert!(h["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("default-src 'self'"));
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(h.contains_key("x-request-id"));
    // Behind a trusted proxy, the forwarded client address counts: a remote client needs the
    // metrics token.
    let remote = |tok: Option<&str>| {
        let mut r = c
            .get(a.u("/metrics"))
            .header("x-forwarded-for", "203.0.113.9");
        if let Some(t) = tok {
            r = r.bearer_auth(t);
        }
        r.send()
    };
    assert_eq!(remote(None).await.unwrap().status(), 403);
    assert_eq!(remote(Some("wrong")).await.unwrap().status(), 403);
    assert_eq!(remote(Some("s3cret-metrics")).await.unwrap().status(), 200);
    // Logs are JSON lines when asked.
    let log = a.log();
    let line = log
        .lines()
        .find(|l| l.contains("kogi is ready"))
        .expect("ready line");
    let v: Value = serde_json::from_str(line).expect("a JSON log line");
    assert_eq!(v["level"], "INFO");
    // `config show` masks secrets.
    let shown = a.cli_ok(&["config", "show"]);
    assert!(shown.contains("metrics.token = \"****\""), "{shown}");
    assert!(!shown.contains("s3cret-metrics"));
}

#[tokio::test]
async fn both_migration_trees_give_the_same_schema() {
    // Needs both backends: runs in the PostgreSQL pass.
    if backend() != Backend::Postgres {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pg = PgDatabase::create();
    let schema = |url: &str| {
        let out = Command::new(kogi_bin())
            .current_dir(dir.path())
            .env_clear()
            .env("KOGI_DATA_DIR", dir.path())
            .env("KOGI_DATABASE_URL", url)
            .arg("db-schema")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let sqlite = schema(&format!("sqlite://{}", dir.path().join("s.db").display()));
    let postgres = schema(&pg.url);
    assert!(sqlite["tables"].as_array().unwrap().len() >= 6);
    assert_eq!(sqlite, postgres);
}

#[tokio::test]
async fn themes_dir_overrides_a_template_without_rebuilding_and_export_writes_the_default() {
    if !sqlite_only() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(kogi_bin())
        .args(["theme", "export"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(dir.path().join("templates/layout.html").is_file());
    assert!(dir.path().join("locales/en.toml").is_file());
    assert!(dir.path().join("static/kogi.css").is_file());
    let override_dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(override_dir.path().join("templates/pages")).unwrap();
    std::fs::write(override_dir.path().join("templates/pages/home.html"), "{% extends \"layout.html\" %}{% block content %}<p>Welcome to Our Campus</p>{% endblock %}").unwrap();
    let a = Instance::start_with(
        Opts::default().env("KOGI_THEMES_DIR", override_dir.path().to_str().unwrap()),
    )
    .await;
    let html = reqwest::get(a.u("/")).await.unwrap().text().await.unwrap();
    assert!(html.contains("Welcome to Our Campus"));
    assert!(
        html.contains("/static/kogi.css"),
        "the rest of the default theme still applies"
    );

    // Instance settings change the look: a saved colour and name.
    a.cli_ok(&["admin", "set-setting", "primary_color", "#7c2d12"]);
    a.cli_ok(&["admin", "set-setting", "name", "Campus Works"]);
    let css = reqwest::get(a.u("/instance.css"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(css.contains("#7c2d12"));
    let html = reqwest::get(a.u("/")).await.unwrap().text().await.unwrap();
    assert!(html.contains("Campus Works"));
    let bad = a.cli(&["admin", "set-setting", "primary_color", "blue"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("primary_color"));
}

#[tokio::test]
async fn compose_file_parses_and_names_only_existing_settings_and_the_readme_documents_every_key() {
    if !sqlite_only() {
        return;
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let docs = String::from_utf8(
        Command::new(kogi_bin())
            .args(["config", "docs"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let known: Vec<String> = docs
        .lines()
        .filter_map(|l| l.split('`').nth(3).map(str::to_string))
        .filter(|v| v.starts_with("KOGI_"))
        .collect();
    assert!(known.len() > 20);
    let compose = std::fs::read_to_string(root.join("docker/compose.yaml")).unwrap();
    for word in compose.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
        if word.starts_with("KOGI_") {
            assert!(
                known.iter().any(|k| k == word),
                "compose.yaml names unknown setting {word}"
            );
        }
    }
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    for k in &known {
        assert!(readme.contains(k.as_str()), "README does not document {k}");
    }
    assert!(readme.contains("scripts/test"));
    assert!(
        readme.contains(docs.trim()),
        "the README's configuration table differs from `kogi config docs`"
    );
    if let Some(python) = tool("KOGI_TEST_PYTHON") {
        let out = Command::new(python)
            .args(["-c", "import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); assert 'kogi' in d['services'], d"])
            .arg(root.join("docker/compose.yaml"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[tokio::test]
async fn schemathesis_finds_no_server_errors_and_every_response_matches_the_openapi_document() {
    let Some(python) = tool("KOGI_TEST_PYTHON") else {
        return;
    };
    let a = Instance::start().await;
    let admin = a.admin("root_admin").await;
    let doc: Value = reqwest::get(a.u("/api/kogi/v1/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["paths"]["/api/kogi/v1/accounts"]["post"].is_object());
    let st = std::path::Path::new(&python).with_file_name("schemathesis");
    let out = tokio::process::Command::new(st)
        .arg("run")
        .arg(a.u("/api/kogi/v1/openapi.json"))
        .args(["--url", &a.url])
        .args(["--checks", "not_a_server_error,response_schema_conformance,content_type_conformance,status_code_conformance"])
        .args(["--max-examples", "25", "--no-color", "--suppress-health-check", "all"])
        .args(["--header", &format!("Authorization: Bearer {admin}")])
        .env("SCHEMATHESIS_HOOKS", "")
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "schemathesis failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn session_cookies_are_secure_when_the_public_url_is_https() {
    if !sqlite_only() {
        return;
    }
    // The instance is reached over plain HTTP here, as behind a TLS-terminating proxy.
    let a =
        Instance::start_with(Opts::default().env("KOGI_PUBLIC_URL", "https://kogi.example")).await;
    a.cli_ok(&[
        "admin",
        "create-user",
        "sam",
        "--email",
        "sam@example.org",
        "--password",
        PASSWORD,
    ]);
    let c = a.client();
    let t = crate::harness::csrf(&c, &a.u("/login")).await;
    let r = c
        .post(a.u("/login"))
        .form(&[
            ("csrf_token", t.as_str()),
            ("username", "sam"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|v| v.starts_with("kogi_session="))
        .unwrap();
    assert!(
        cookie.contains("; Secure")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let me: Value = reqwest::Client::new()
        .get(a.u("/api/kogi/v1/accounts/me"))
        .bearer_auth(a.token("sam", PASSWORD).await)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["id"], "https://kogi.example/users/sam");
}
