//! Interop with software we did not write: Python's `bovine` acts as a remote server
//! (tests/interop/bovine_peer.py) against a real Kogi instance. bovine resolves Kogi's people
//! through WebFinger, signs its requests with its own code and checks Kogi's signatures with its
//! own verifier; Kogi checks bovine's.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::harness::{api, eventually, free_port, sqlite_only, tool, wait_quiet, Instance};

const AP: &str = "application/activity+json";

/// The bovine peer: an aiohttp app on 127.0.0.1 serving the actor `bob`, killed on drop. It
/// keeps every request it received in JSON-lines files in its state directory.
pub(crate) struct BovinePeer {
    port: u16,
    dir: tempfile::TempDir,
    child: Child,
}

impl BovinePeer {
    pub(crate) async fn start(python: &str) -> BovinePeer {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/interop/bovine_peer.py");
        let dir = tempfile::Builder::new()
            .prefix("kogi-bovine-")
            .tempdir()
            .unwrap();
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("peer.log")).unwrap();
        let child = Command::new(python)
            .arg(&script)
            .arg(port.to_string())
            .arg(dir.path().join("state"))
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("start the bovine peer");
        let mut peer = BovinePeer { port, dir, child };
        let deadline = Instant::now() + Duration::from_secs(30);
        let webfinger = peer.u(&format!(
            "/.well-known/webfinger?resource=acct:bob@localhost:{port}"
        ));
        loop {
            if let Ok(r) = reqwest::get(&webfinger).await {
                if r.status() == 200 {
                    break;
                }
            }
            if let Ok(Some(status)) = peer.child.try_wait() {
                panic!("the bovine peer exited ({status}):\n{}", peer.log());
            }
            assert!(
                Instant::now() < deadline,
                "the bovine peer did not start:\n{}",
                peer.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        peer
    }

    pub(crate) fn u(&self, path: &str) -> String {
        format!("http://localhost:{}{path}", self.port)
    }

    pub(crate) fn actor(&self) -> String {
        self.u("/users/bob")
    }

    pub(crate) fn acct(&self) -> String {
        format!("bob@localhost:{}", self.port)
    }

    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("peer.log")).unwrap_or_default()
    }

    fn records(&self, file: &str) -> Vec<Value> {
        read_jsonl(&self.dir.path().join("state").join(file))
    }

    /// Every POST to its inbox: `activity`, `key_id`, `verified_owner` (what bovine's verifier
    /// returned), `verified` (that owner is the activity's actor) and the `status` answered.
    pub(crate) fn inbox(&self) -> Vec<Value> {
        self.records("inbox.jsonl")
    }

    /// The first received activity of this type.
    pub(crate) fn received(&self, kind: &str) -> Option<Value> {
        self.inbox()
            .into_iter()
            .find(|r| r["activity"]["type"] == kind)
    }

    /// Every GET of its actor document, with the signer bovine verified, if any.
    fn fetches(&self) -> Vec<Value> {
        self.records("fetches.jsonl")
    }

    /// Every activity it sent, with the receiver's status.
    fn sent(&self) -> Vec<Value> {
        self.records("sent.jsonl")
    }

    pub(crate) async fn control(&self, path: &str, body: Value) -> Value {
        let r = reqwest::Client::new()
            .post(self.u(path))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        assert_eq!(status, 200, "{path}: {text}\n{}", self.log());
        serde_json::from_str(&text).unwrap()
    }
}

impl Drop for BovinePeer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- bovine peer log ---\n{}", self.log());
            for file in ["inbox.jsonl", "fetches.jsonl", "sent.jsonl"] {
                eprintln!("--- {file} ---");
                for r in self.records(file) {
                    eprintln!("{r}");
                }
            }
        }
    }
}

/// The complete lines of a JSON-lines file (a line being written is left for the next read).
fn read_jsonl(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// The id an activity's `object` refers to, whether a string or an embedded object.
fn object_id(activity: &Value) -> &Value {
    match &activity["object"] {
        Value::Object(o) => o.get("id").unwrap_or(&Value::Null),
        other => other,
    }
}

async fn get_json(url: &str) -> Value {
    reqwest::Client::new()
        .get(url)
        .header("accept", AP)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Asserts that bovine's verifier accepted every signed request Kogi made to the peer.
fn assert_all_verified(peer: &BovinePeer) {
    for r in peer.inbox() {
        assert_eq!(r["verified"], true, "bovine refused a POST from Kogi: {r}");
        assert_eq!(r["status"], 202, "{r}");
    }
    for f in peer.fetches().iter().filter(|f| f["signed"] == true) {
        assert!(
            f["verified_owner"].is_string(),
            "bovine refused a signed GET from Kogi: {f}"
        );
    }
}

#[tokio::test]
async fn bovine_follows_a_kogi_person_and_verifies_the_signed_accept() {
    if !sqlite_only() {
        return;
    }
    let Some(python) = tool("KOGI_TEST_PYTHON") else {
        return;
    };
    let a = Instance::start().await;
    let alice_token = a.user("alice").await;
    let peer = BovinePeer::start(&python).await;
    let alice = a.u("/users/alice");

    // bovine resolves alice@localhost:PORT through Kogi's WebFinger, fetches her actor and
    // POSTs a Follow signed by its own signed_post.
    let r = peer
        .control(
            "/control/follow",
            json!({"target": format!("alice@localhost:{}", a.port)}),
        )
        .await;
    assert_eq!(r["status"], 202, "Kogi refused bovine's Follow: {r}");
    assert_eq!(r["target"]["id"], alice);
    let follow_id = r["activity"]["id"].clone();
    assert!(follow_id.is_string(), "{r}");

    // Kogi stored the follower and answered with an Accept, signed by alice. (Checked before
    // waiting for Kogi's queue, which would only retry an Accept that bovine refused.)
    eventually("the peer receives an Accept", || async {
        peer.received("Accept").is_some()
    })
    .await;
    let accept = peer.received("Accept").unwrap();
    assert_eq!(
        accept["verified"], true,
        "bovine's verifier refused Kogi's signature on the Accept: {accept}"
    );
    wait_quiet(&[&a]).await;
    assert_eq!(accept["verified_owner"], alice);
    assert_eq!(accept["key_id"], format!("{alice}#main-key"));
    assert_eq!(accept["status"], 202);
    assert_eq!(accept["path"], "/users/bob/inbox");
    assert_eq!(accept["activity"]["actor"], alice);
    assert_eq!(
        object_id(&accept["activity"]),
        &follow_id,
        "the Accept must refer to bovine's Follow: {accept}"
    );
    let followers = get_json(&a.u("/users/alice/followers?page=1")).await;
    assert_eq!(followers["orderedItems"], json!([peer.actor()]));
    assert_eq!(
        get_json(&a.u("/users/alice/followers")).await["totalItems"],
        1
    );

    // Kogi fetched bovine's actor with a GET signed by its instance actor, which bovine's
    // verifier accepted.
    assert!(
        peer.fetches()
            .iter()
            .any(|f| f["key_id"] == a.u("/actor#main-key") && f["verified_owner"] == a.u("/actor")),
        "no signed GET from Kogi's instance actor verified by bovine: {:?}",
        peer.fetches()
    );

    // alice posts: bovine receives the Create(Note), signed and verified.
    let (status, note) = api(
        &a,
        &alice_token,
        reqwest::Method::POST,
        "/posts",
        Some(json!({"content": "Hello, bovine"})),
    )
    .await;
    assert_eq!(status, 201, "{note}");
    wait_quiet(&[&a]).await;
    let create = peer.received("Create").expect("bovine received the Create");
    assert_eq!(create["verified"], true, "{create}");
    assert_eq!(create["activity"]["object"]["id"], note["uri"]);
    assert_eq!(create["activity"]["object"]["type"], "Note");
    assert!(create["activity"]["object"]["content"]
        .as_str()
        .unwrap()
        .contains("Hello, bovine"));

    // bovine replies; Kogi threads it under alice's post.
    let reply_id = peer.u("/objects/reply-1");
    let reply = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": peer.u("/activities/create-reply-1"),
        "type": "Create",
        "actor": peer.actor(),
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [alice],
        "object": {
            "id": reply_id, "type": "Note", "attributedTo": peer.actor(),
            "content": "<p>Moo back</p>", "inReplyTo": note["uri"],
            "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [alice],
            "published": "2026-11-22T10:00:00Z",
        },
    });
    let sent = peer
        .control("/control/send", json!({"target": alice, "activity": reply}))
        .await;
    assert_eq!(sent["status"], 202, "{sent}");
    let (_, mine) = api(
        &a,
        &alice_token,
        reqwest::Method::GET,
        &format!("/posts/{}", note["id"]),
        None,
    )
    .await;
    assert_eq!(
        mine["reply_count"], 1,
        "the reply threads under alice's post"
    );
    let page = reqwest::get(note["url"].as_str().unwrap())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Moo back"));
    assert_all_verified(&peer);
}

#[tokio::test]
async fn a_kogi_person_follows_bovine_which_accepts_with_its_own_signature() {
    if !sqlite_only() {
        return;
    }
    let Some(python) = tool("KOGI_TEST_PYTHON") else {
        return;
    };
    let a = Instance::start().await;
    let token = a.user("alice").await;
    let peer = BovinePeer::start(&python).await;
    let alice = a.u("/users/alice");

    // Kogi resolves bob@localhost:PEER through bovine's WebFinger answer and sends a Follow.
    let (s, r) = api(
        &a,
        &token,
        reqwest::Method::POST,
        "/follows",
        Some(json!({"target": peer.acct()})),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["target"]["id"], peer.actor());
    eventually("the peer receives the Follow", || async {
        peer.received("Follow").is_some()
    })
    .await;
    let follow = peer.received("Follow").unwrap();
    assert_eq!(
        follow["verified"], true,
        "bovine's verifier refused Kogi's signature on the Follow: {follow}"
    );
    wait_quiet(&[&a]).await;
    assert_eq!(follow["verified_owner"], alice);
    assert_eq!(follow["activity"]["object"], peer.actor());

    // bovine's Accept (object: the Follow's id, signed by bovine) is taken by Kogi.
    eventually("Kogi takes bovine's Accept", || async {
        let (_, list) = api(&a, &token, reqwest::Method::GET, "/follows", None).await;
        list[0]["state"] == "following"
    })
    .await;
    let sent = peer.sent();
    let accept = sent
        .iter()
        .find(|s| s["activity"]["type"] == "Accept")
        .unwrap();
    assert_eq!(accept["status"], 202, "{accept}");
    assert_eq!(accept["activity"]["object"], follow["activity"]["id"]);
    assert_eq!(
        get_json(&peer.u("/users/bob/followers")).await["orderedItems"],
        json!([alice])
    );

    // Undo(Follow), signed by Kogi and verified by bovine.
    let url = format!(
        "/follows?target={}",
        crate::harness::urlencode(&peer.actor())
    );
    let (s, _) = api(&a, &token, reqwest::Method::DELETE, &url, None).await;
    assert_eq!(s, 204);
    eventually("the peer receives the Undo", || async {
        peer.received("Undo").is_some()
    })
    .await;
    let undo = peer.received("Undo").unwrap();
    assert_eq!(undo["verified"], true, "{undo}");
    wait_quiet(&[&a]).await;
    assert_eq!(object_id(&undo["activity"]), &follow["activity"]["id"]);
    assert_eq!(
        get_json(&peer.u("/users/bob/followers")).await["totalItems"],
        0
    );
    assert_all_verified(&peer);
}
