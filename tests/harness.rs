//! Test harness: real `kogi` processes on loopback with their own data directories and
//! databases, an SMTP sink (aiosmtpd), HTTP clients with cookie jars, and a Chromium driver.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use diesel::{Connection, RunQueryDsl};

pub const PASSWORD: &str = "a sturdy passphrase 42";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub fn backend() -> Backend {
    match std::env::var("KOGI_TEST_BACKEND").as_deref() {
        Ok("postgres") => Backend::Postgres,
        _ => Backend::Sqlite,
    }
}

/// Tests that touch nothing backend-specific run only in the SQLite pass.
pub fn sqlite_only() -> bool {
    backend() == Backend::Sqlite
}

/// A tool from the environment that scripts/test provides. Without it the test is skipped,
/// unless KOGI_TEST_REQUIRE_ALL is set (as scripts/test does), when it fails.
pub fn tool(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Some(v),
        _ => {
            if std::env::var("KOGI_TEST_REQUIRE_ALL").is_ok() {
                panic!("{var} is not set; run the tests through scripts/test");
            }
            eprintln!("skipping: {var} is not set (run scripts/test for the full suite)");
            None
        }
    }
}

/// A port no other listener of this run holds. Ports come from a counter below the kernel's
/// ephemeral range (32768 and up), so a port handed to one instance is never handed to a
/// second instance of this process, nor to a helper that binds port 0; the start differs per
/// process so two test binaries running at once do not walk the same ports.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    const LOW: u32 = 10_000;
    const SPAN: u32 = 22_000;
    static NEXT: AtomicU32 = AtomicU32::new(u32::MAX);
    let _ = NEXT.compare_exchange(
        u32::MAX,
        (std::process::id().wrapping_mul(7_919)) % SPAN,
        Ordering::SeqCst,
        Ordering::SeqCst,
    );
    loop {
        let port = (LOW + NEXT.fetch_add(1, Ordering::SeqCst) % SPAN) as u16;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// The `kogi` binary under test: the freshly built one, or `KOGI_BIN` (benchmarks point it
/// at a release build).
pub fn kogi_bin() -> PathBuf {
    match std::env::var("KOGI_BIN") {
        Ok(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from(env!("CARGO_BIN_EXE_kogi")),
    }
}

/// A PostgreSQL database made for one instance and dropped afterwards.
pub struct PgDatabase {
    pub url: String,
    admin_url: String,
    name: String,
}

impl PgDatabase {
    pub fn create() -> PgDatabase {
        let admin_url = std::env::var("KOGI_TEST_PG_URL")
            .expect("KOGI_TEST_PG_URL must be set for KOGI_TEST_BACKEND=postgres");
        let name = format!("kogi_test_{}", uuid_like());
        let mut conn =
            diesel::PgConnection::establish(&admin_url).expect("connect to the test cluster");
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .unwrap();
        let base = admin_url
            .rsplit_once('/')
            .map(|(b, _)| b)
            .unwrap_or(&admin_url);
        PgDatabase {
            url: format!("{base}/{name}"),
            admin_url,
            name,
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if let Ok(mut conn) = diesel::PgConnection::establish(&self.admin_url) {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut conn);
        }
    }
}

pub fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{}_{}_{}",
        std::process::id(),
        t % 1_000_000_000,
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// An SMTP server on loopback (Python's aiosmtpd) that stores every message in a Maildir.
pub struct SmtpSink {
    pub port: u16,
    pub dir: PathBuf,
    child: Child,
}

impl SmtpSink {
    pub fn start(dir: &Path) -> Option<SmtpSink> {
        let python = tool("KOGI_TEST_PYTHON")?;
        let port = free_port();
        let dir = dir.join("maildir");
        let child = Command::new(python)
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aiosmtpd");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "aiosmtpd did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(SmtpSink { port, dir, child })
    }

    pub fn messages(&self) -> Vec<Mail> {
        read_mails(&self.dir.join("new"))
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

impl Mail {
    /// The first link in the body that contains `needle`.
    pub fn link(&self, needle: &str) -> String {
        self.body
            .split_whitespace()
            .find(|w| w.starts_with("http") && w.contains(needle))
            .unwrap_or_else(|| panic!("no link with {needle} in mail: {}", self.body))
            .to_string()
    }
    /// The `token` query parameter of the first link containing `needle`.
    pub fn token(&self, needle: &str) -> String {
        let link = self.link(needle);
        link.split("token=")
            .nth(1)
            .unwrap()
            .split('&')
            .next()
            .unwrap()
            .to_string()
    }
}

fn decode_quoted_printable(s: &str) -> String {
    let s = s.replace("=\r\n", "").replace("=\n", "");
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_mail(raw: &str) -> Mail {
    let raw = raw.replace("\r\n", "\n");
    let (head, body) = raw.split_once("\n\n").unwrap_or((&raw, ""));
    let header = |name: &str| {
        head.lines()
            .find(|l| {
                l.to_lowercase()
                    .starts_with(&format!("{}:", name.to_lowercase()))
            })
            .map(|l| l[name.len() + 1..].trim().to_string())
            .unwrap_or_default()
    };
    let body = if header("Content-Transfer-Encoding").eq_ignore_ascii_case("quoted-printable") {
        decode_quoted_printable(body)
    } else {
        body.to_string()
    };
    Mail {
        to: header("To"),
        subject: header("Subject"),
        body,
    }
}

fn read_mails(dir: &Path) -> Vec<Mail> {
    let mut files: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.path().is_file())
                .map(|e| {
                    (
                        e.metadata()
                            .and_then(|m| m.modified())
                            .unwrap_or(std::time::UNIX_EPOCH),
                        e.path(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
        .into_iter()
        .filter_map(|(_, p)| std::fs::read_to_string(p).ok())
        .map(|s| parse_mail(&s))
        .collect()
}

/// How to start an instance.
#[derive(Default, Clone)]
pub struct Opts {
    pub env: Vec<(String, String)>,
    pub smtp: bool,
    /// `kogi serve --role ROLE` (PostgreSQL only).
    pub role: Option<String>,
}

impl Opts {
    pub fn env(mut self, k: &str, v: &str) -> Opts {
        self.env.push((k.to_string(), v.to_string()));
        self
    }
    pub fn smtp(mut self) -> Opts {
        self.smtp = true;
        self
    }
    pub fn role(mut self, role: &str) -> Opts {
        self.role = Some(role.to_string());
        self
    }
}

/// A running `kogi serve`.
pub struct Instance {
    pub port: u16,
    pub url: String,
    pub dir: tempfile::TempDir,
    pub db_url: String,
    pub smtp: Option<SmtpSink>,
    env: Vec<(String, String)>,
    role: Option<String>,
    child: Option<Child>,
    _pg: Option<PgDatabase>,
}

impl Instance {
    pub async fn start() -> Instance {
        Instance::start_with(Opts::default()).await
    }

    pub async fn start_with(opts: Opts) -> Instance {
        let dir = tempfile::Builder::new()
            .prefix("kogi-test-")
            .tempdir()
            .unwrap();
        let port = free_port();
        let url = format!("http://localhost:{port}");
        let pg = (backend() == Backend::Postgres).then(PgDatabase::create);
        let db_url = match &pg {
            Some(pg) => pg.url.clone(),
            None => format!("sqlite://{}", dir.path().join("kogi.db").display()),
        };
        let mut env: Vec<(String, String)> = vec![
            ("KOGI_LISTEN".into(), format!("127.0.0.1:{port}")),
            ("KOGI_PUBLIC_URL".into(), url.clone()),
            (
                "KOGI_DATA_DIR".into(),
                dir.path().join("data").display().to_string(),
            ),
            ("KOGI_DATABASE_URL".into(), db_url.clone()),
            ("KOGI_DATABASE_MAX_CONNECTIONS".into(), "4".into()),
            (
                "KOGI_LOG_LEVEL".into(),
                // `kogi::app=info` always: the harness waits for its "kogi is ready" line.
                format!(
                    "{},kogi::app=info",
                    std::env::var("KOGI_TEST_LOG")
                        .unwrap_or_else(|_| "info,tower_http=warn".into())
                ),
            ),
            // Tests raise the limits, except the tests of the limits themselves.
            ("KOGI_RATE_LIMITS_LOGIN_PER_MINUTE".into(), "1000".into()),
            ("KOGI_RATE_LIMITS_SIGNUP_PER_HOUR".into(), "1000".into()),
            ("KOGI_RATE_LIMITS_RESET_PER_HOUR".into(), "1000".into()),
            ("KOGI_RATE_LIMITS_IP_PER_MINUTE".into(), "100000".into()),
            // Test instances are http://localhost:PORT peers of each other.
            (
                "KOGI_FEDERATION_ALLOW_PRIVATE_ADDRESSES".into(),
                "true".into(),
            ),
            (
                "KOGI_FEDERATION_DELIVERY_FIRST_RETRY_SECS".into(),
                "1".into(),
            ),
            (
                "KOGI_FEDERATION_DELIVERY_MAX_BACKOFF_SECS".into(),
                "2".into(),
            ),
            ("KOGI_FEDERATION_FETCH_TIMEOUT_SECS".into(), "5".into()),
            // Shorter than the fetch time-out, as the README asks of operators.
            ("KOGI_FEDERATION_DELIVERY_TIMEOUT_SECS".into(), "4".into()),
            // Views refresh other servers' objects in the background at most this often each.
            ("KOGI_FEDERATION_REFRESH_INTERVAL_SECS".into(), "1".into()),
        ];
        let smtp = if opts.smtp {
            SmtpSink::start(dir.path())
        } else {
            None
        };
        if let Some(s) = &smtp {
            env.push(("KOGI_MAIL_KIND".into(), "smtp".into()));
            env.push(("KOGI_MAIL_SMTP_HOST".into(), "127.0.0.1".into()));
            env.push(("KOGI_MAIL_SMTP_PORT".into(), s.port.to_string()));
            env.push(("KOGI_MAIL_SMTP_TLS".into(), "none".into()));
        }
        for (k, v) in opts.env {
            env.retain(|(ek, _)| *ek != k);
            env.push((k, v));
        }
        let mut inst = Instance {
            port,
            url,
            dir,
            db_url,
            smtp,
            env,
            role: opts.role,
            child: None,
            _pg: pg,
        };
        inst.spawn().await;
        inst
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("kogi.log")
    }

    pub fn command(&self) -> Command {
        let mut cmd = Command::new(kogi_bin());
        cmd.env_clear();
        for key in ["PATH", "HOME", "LANG"] {
            if let Ok(v) = std::env::var(key) {
                cmd.env(key, v);
            }
        }
        cmd.envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        cmd.current_dir(self.dir.path());
        cmd
    }

    async fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .unwrap();
        let log_before = self.log().len();
        let mut cmd = self.command();
        cmd.arg("serve");
        if let Some(r) = &self.role {
            cmd.args(["--role", r]);
        }
        let child = cmd
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("start kogi");
        self.child = Some(child);
        self.wait_ready(log_before).await;
    }

    /// Waits until this instance's own process says it listens and `/readyz` answers: a
    /// `/readyz` alone could come from another process that holds the port.
    async fn wait_ready(&mut self, log_before: usize) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let client = reqwest::Client::new();
        loop {
            let listening = self
                .log()
                .get(log_before..)
                .is_some_and(|l| l.contains("kogi is ready"));
            if listening {
                if let Ok(r) = client.get(format!("{}/readyz", self.url)).send().await {
                    if r.status().is_success() {
                        return;
                    }
                }
            }
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    panic!("kogi exited during start-up ({status}):\n{}", self.log());
                }
            }
            assert!(
                Instant::now() < deadline,
                "kogi did not become ready:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    pub fn pid(&self) -> i32 {
        self.child.as_ref().map(|c| c.id() as i32).unwrap_or(0)
    }

    /// SIGKILL, as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Sets (or, with `None`, removes) an environment variable for the next start.
    pub fn set_env(&mut self, k: &str, v: Option<&str>) {
        self.env.retain(|(ek, _)| ek != k);
        if let Some(v) = v {
            self.env.push((k.to_string(), v.to_string()));
        }
    }

    /// Waits (up to 20 s) for the process to exit on its own, as a fail point makes it.
    pub async fn wait_exited(&mut self) -> std::process::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "kogi did not exit:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Starts the process again on the same port, data directory and database.
    pub async fn restart(&mut self) {
        self.kill();
        self.spawn().await;
    }

    pub fn take_child(&mut self) -> Option<Child> {
        self.child.take()
    }

    /// Runs a `kogi` sub-command with this instance's configuration.
    pub fn cli(&self, args: &[&str]) -> Output {
        self.command().args(args).output().expect("run kogi")
    }

    pub fn cli_ok(&self, args: &[&str]) -> String {
        let out = self.cli(args);
        assert!(
            out.status.success(),
            "kogi {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Every message sent so far: from the SMTP sink when there is one, else from the spool.
    pub fn mails(&self) -> Vec<Mail> {
        match &self.smtp {
            Some(s) => s.messages(),
            None => read_mails(&self.dir.path().join("data").join("mail")),
        }
    }

    pub async fn wait_mail(&self, to: &str, subject_contains: &str) -> Mail {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(m) = self
                .mails()
                .into_iter()
                .rev()
                .find(|m| m.to.contains(to) && m.subject.contains(subject_contains))
            {
                return m;
            }
            assert!(
                Instant::now() < deadline,
                "no mail to {to} with {subject_contains:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    pub fn u(&self, path: &str) -> String {
        format!("{}{}", self.url, path)
    }

    /// Runs SQL against this instance's database (for setting up states such as an expired
    /// token, and for checking that refused input wrote nothing).
    pub fn sql_count(&self, query: &str) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        match backend() {
            Backend::Postgres => {
                let mut c = diesel::PgConnection::establish(&self.db_url).unwrap();
                diesel::sql_query(query).get_result::<N>(&mut c).unwrap().n
            }
            Backend::Sqlite => {
                let path = self.db_url.trim_start_matches("sqlite://");
                let mut c = diesel::SqliteConnection::establish(path).unwrap();
                diesel::sql_query("PRAGMA busy_timeout = 5000")
                    .execute(&mut c)
                    .unwrap();
                diesel::sql_query(query).get_result::<N>(&mut c).unwrap().n
            }
        }
    }

    /// One text value from the database.
    pub fn sql_string(&self, query: &str) -> String {
        #[derive(diesel::QueryableByName)]
        struct S {
            #[diesel(sql_type = diesel::sql_types::Text)]
            s: String,
        }
        match backend() {
            Backend::Postgres => {
                let mut c = diesel::PgConnection::establish(&self.db_url).unwrap();
                diesel::sql_query(query).get_result::<S>(&mut c).unwrap().s
            }
            Backend::Sqlite => {
                let path = self.db_url.trim_start_matches("sqlite://");
                let mut c = diesel::SqliteConnection::establish(path).unwrap();
                diesel::sql_query("PRAGMA busy_timeout = 5000")
                    .execute(&mut c)
                    .unwrap();
                diesel::sql_query(query).get_result::<S>(&mut c).unwrap().s
            }
        }
    }

    pub fn sql_exec(&self, query: &str) {
        match backend() {
            Backend::Postgres => {
                let mut c = diesel::PgConnection::establish(&self.db_url).unwrap();
                diesel::sql_query(query).execute(&mut c).unwrap();
            }
            Backend::Sqlite => {
                let path = self.db_url.trim_start_matches("sqlite://");
                let mut c = diesel::SqliteConnection::establish(path).unwrap();
                diesel::sql_query("PRAGMA busy_timeout = 5000")
                    .execute(&mut c)
                    .unwrap();
                diesel::sql_query(query).execute(&mut c).unwrap();
            }
        }
    }

    /// Makes a confirmed, approved account through the CLI; returns an API token for it.
    pub async fn user(&self, name: &str) -> String {
        self.cli_ok(&[
            "admin",
            "create-user",
            name,
            "--email",
            &format!("{name}@example.org"),
            "--password",
            PASSWORD,
        ]);
        self.token(name, PASSWORD).await
    }

    pub async fn admin(&self, name: &str) -> String {
        self.cli_ok(&[
            "admin",
            "create-user",
            name,
            "--email",
            &format!("{name}@example.org"),
            "--password",
            PASSWORD,
            "--admin",
        ]);
        self.token(name, PASSWORD).await
    }

    /// A browser-like client logged in through the login form.
    pub async fn login(&self, name: &str, password: &str) -> reqwest::Client {
        let web = self.client();
        let t = csrf(&web, &self.u("/login")).await;
        let r = web
            .post(self.u("/login"))
            .form(&[
                ("csrf_token", t.as_str()),
                ("username", name),
                ("password", password),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "login of {name}");
        web
    }

    /// Deletes the logged-in account through the settings form; returns the status.
    pub async fn delete_account(&self, web: &reqwest::Client, name: &str, password: &str) -> u16 {
        let t = csrf(web, &self.u("/settings/account")).await;
        web.post(self.u("/settings/account/delete"))
            .form(&[
                ("csrf_token", t.as_str()),
                ("current_password", password),
                ("confirm", name),
            ])
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    pub async fn token(&self, name: &str, password: &str) -> String {
        let r = reqwest::Client::new()
            .post(self.u("/api/kogi/v1/auth/token"))
            .json(&serde_json::json!({"username": name, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            200,
            "token for {name}: {}",
            r.text().await.unwrap()
        );
        r.json::<serde_json::Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            let log = self.log();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            eprintln!("--- last lines of {} log ---", self.url);
            for l in tail.into_iter().rev() {
                eprintln!("{l}");
            }
        }
    }
}

/// A page's CSRF token (from the hidden form field).
pub fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let i = html
        .find(marker)
        .unwrap_or_else(|| panic!("no csrf field in page: {html}"));
    let rest = &html[i + marker.len()..];
    rest[..rest.find('"').unwrap()].to_string()
}

/// GETs a page and returns its CSRF token.
pub async fn csrf(client: &reqwest::Client, url: &str) -> String {
    let html = client.get(url).send().await.unwrap().text().await.unwrap();
    csrf_of(&html)
}

/// Deliveries waiting in an instance's queue (from its metrics).
pub async fn pending_deliveries(i: &Instance) -> i64 {
    let m = reqwest::get(i.u("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    m.lines()
        .find_map(|l| l.strip_prefix("kogi_delivery_queue{state=\"pending\"} "))
        .and_then(|n| n.trim().parse::<i64>().ok())
        .unwrap_or(0)
        // Events not yet published become deliveries soon: not quiet either.
        + m.lines()
            .find_map(|l| l.strip_prefix("kogi_outbox_unpublished "))
            .and_then(|n| n.trim().parse::<i64>().ok())
            .unwrap_or(0)
}

/// Waits until no instance has deliveries waiting (instead of sleeping and hoping).
///
/// The instances are read one after another, so one round can miss an answer that an
/// instance already read queued while the instance read next finished the delivery that
/// caused it. Quiet means three rounds in a row with nothing pending anywhere.
pub async fn wait_quiet(instances: &[&Instance]) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut quiet_rounds = 0;
    loop {
        let mut busy = 0;
        for i in instances {
            busy += pending_deliveries(i).await;
        }
        if busy == 0 {
            quiet_rounds += 1;
            if quiet_rounds == 3 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(30)).await;
            continue;
        }
        quiet_rounds = 0;
        assert!(
            Instant::now() < deadline,
            "instances still have {busy} deliveries pending"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Polls `check` until it holds (for effects that follow a delivery).
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A PNG of the given size.
pub fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

pub fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A JSON API call (`/api/kogi/v1{path}`) with a bearer token (none when empty): the status
/// and the JSON answer (`null` when there is none).
pub async fn api(
    i: &Instance,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let mut r = reqwest::Client::new().request(method, i.u(&format!("/api/kogi/v1{path}")));
    if !token.is_empty() {
        r = r.bearer_auth(token);
    }
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(serde_json::Value::Null))
}

/// [`api`] that must succeed (2xx): the JSON answer.
pub async fn api_ok(
    i: &Instance,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> serde_json::Value {
    let (s, v) = api(i, token, method.clone(), path, body).await;
    assert!((200..300).contains(&s), "{method} {path}: {s} {v}");
    v
}

/// An ActivityPub document fetched without a signature, as anyone may.
pub async fn ap_get(url: &str) -> serde_json::Value {
    reqwest::Client::new()
        .get(url)
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}
