//! A hostile fediverse server for security tests: a small axum app on loopback that serves
//! whatever documents a test puts on it (actors with real RSA keys, objects, collections),
//! can hang or fail on chosen paths, records every request it gets, and signs its own
//! requests exactly as Kogi and Mastodon do. Everything it sends is correctly signed: the
//! attacks are in what it says, not in broken cryptography.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

const AP: &str = "application/activity+json";

/// How the peer answers a GET of one path.
#[derive(Clone)]
pub enum Answer {
    Json(u16, Value),
    /// Never answers (until the test ends).
    Hang,
}

/// A request the peer received.
#[derive(Clone, Debug)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub body: Value,
}

#[derive(Default)]
struct State {
    docs: HashMap<String, Answer>,
    received: Vec<Received>,
    /// Status answered to POSTs (202 by default); `None` hangs.
    post_answer: Option<Option<u16>>,
    /// POSTs being handled now (until answered, or until the sender gives up and closes the
    /// connection), and the most there ever were at once.
    posts_in_flight: usize,
    max_posts_in_flight: usize,
}

/// Counts a POST as in flight until it is answered or its connection is dropped.
struct InFlight(Arc<Mutex<State>>);

impl InFlight {
    fn start(state: Arc<Mutex<State>>) -> InFlight {
        {
            let mut s = state.lock().unwrap();
            s.posts_in_flight += 1;
            s.max_posts_in_flight = s.max_posts_in_flight.max(s.posts_in_flight);
        }
        InFlight(state)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Ok(mut s) = self.0.lock() {
            s.posts_in_flight -= 1;
        }
    }
}

#[derive(Clone)]
pub struct HostilePeer {
    pub port: u16,
    /// `http://localhost:PORT`, as test instances are named.
    pub base: String,
    state: Arc<Mutex<State>>,
    keys: Arc<Mutex<HashMap<String, kogi_core::keys::KeyPair>>>,
}

impl HostilePeer {
    pub async fn start() -> HostilePeer {
        let state: Arc<Mutex<State>> = Arc::default();
        let s2 = state.clone();
        let app = axum::Router::new().fallback(move |req: Request| {
            let state = s2.clone();
            async move { answer(state, req).await }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            axum::serve(listener, app).await.ok();
        });
        HostilePeer {
            port,
            base: format!("http://localhost:{port}"),
            state,
            keys: Arc::default(),
        }
    }

    pub fn u(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// `host:port`, as Kogi names an instance.
    pub fn host(&self) -> String {
        format!("localhost:{}", self.port)
    }

    /// Serves `doc` (status 200) at `path`.
    pub fn serve(&self, path: &str, doc: Value) {
        self.answer(path, Answer::Json(200, doc));
    }

    pub fn answer(&self, path: &str, answer: Answer) {
        self.state
            .lock()
            .unwrap()
            .docs
            .insert(path.to_string(), answer);
    }

    /// What POSTs are answered with: `Some(status)`, or `None` to hang.
    pub fn answer_posts(&self, status: Option<u16>) {
        self.state.lock().unwrap().post_answer = Some(status);
    }

    /// POSTs the peer is handling right now (a hanging one counts until the sender closes
    /// its connection).
    pub fn posts_in_flight(&self) -> usize {
        self.state.lock().unwrap().posts_in_flight
    }

    /// The most POSTs the peer was ever handling at once.
    pub fn max_posts_in_flight(&self) -> usize {
        self.state.lock().unwrap().max_posts_in_flight
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    /// Requests received for `path` (any method).
    pub fn hits(&self, path: &str) -> usize {
        self.received().iter().filter(|r| r.path == path).count()
    }

    /// POSTed activities of type `kind`.
    pub fn posted(&self, kind: &str) -> Vec<Value> {
        self.received()
            .into_iter()
            .filter(|r| r.method == "POST" && r.body["type"] == kind)
            .map(|r| r.body)
            .collect()
    }

    /// A key pair for `name` (generated once per name).
    fn key(&self, name: &str) -> kogi_core::keys::KeyPair {
        let mut keys = self.keys.lock().unwrap();
        keys.entry(name.to_string())
            .or_insert_with(|| kogi_core::keys::generate_blocking().unwrap())
            .clone()
    }

    /// Publishes an actor `/users/{name}` of ActivityPub type `ap_type` with its own key
    /// (`{id}#main-key`), an inbox and a shared inbox on this peer, and returns its id.
    pub fn actor(&self, name: &str, ap_type: &str) -> String {
        let id = self.u(&format!("/users/{name}"));
        let doc = self.actor_doc(name, ap_type);
        self.serve(&format!("/users/{name}"), doc);
        id
    }

    /// The document `actor` would publish (for tests that change it before serving).
    pub fn actor_doc(&self, name: &str, ap_type: &str) -> Value {
        let id = self.u(&format!("/users/{name}"));
        let key = self.key(name);
        json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": id,
            "type": ap_type,
            "preferredUsername": name,
            "name": name,
            "inbox": format!("{id}/inbox"),
            "outbox": format!("{id}/outbox"),
            "followers": format!("{id}/followers"),
            "following": format!("{id}/following"),
            "endpoints": {"sharedInbox": self.u("/inbox")},
            "publicKey": {"id": format!("{id}#main-key"), "owner": id, "publicKeyPem": key.public_pem},
        })
    }

    /// Signs as `{actor}#main-key` (or `key_id`) with `name`'s key and POSTs `activity` to
    /// `inbox`; the status and body.
    pub async fn post_as(&self, name: &str, inbox: &str, activity: &Value) -> (u16, String) {
        let key_id = format!("{}#main-key", self.u(&format!("/users/{name}")));
        self.post_with_key(name, &key_id, inbox, activity).await
    }

    pub async fn post_with_key(
        &self,
        name: &str,
        key_id: &str,
        inbox: &str,
        activity: &Value,
    ) -> (u16, String) {
        let body = serde_json::to_vec(activity).unwrap();
        let url = url::Url::parse(inbox).unwrap();
        let key = self.key(name);
        let headers = kogi_federation::signatures::sign(
            &kogi_federation::signatures::OutgoingRequest {
                method: "POST",
                url: &url,
                body: Some(&body),
                content_type: Some(AP),
            },
            key_id,
            &key.private_pem,
            SystemTime::now(),
        )
        .unwrap();
        let mut r = reqwest::Client::new()
            .post(inbox)
            .header("content-type", AP)
            .timeout(Duration::from_secs(60))
            .body(body);
        for (k, v) in headers {
            if !k.eq_ignore_ascii_case("host") {
                r = r.header(k, v);
            }
        }
        let r = r.send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap_or_default())
    }

    /// A signed GET of `url` as `name`, its signature made for `signed_url` (another host or
    /// path, to test replays); the status and body.
    pub async fn get_signed_for(&self, name: &str, url: &str, signed_url: &str) -> (u16, String) {
        let signed = url::Url::parse(signed_url).unwrap();
        let key = self.key(name);
        let key_id = format!("{}#main-key", self.u(&format!("/users/{name}")));
        let headers = kogi_federation::signatures::sign(
            &kogi_federation::signatures::OutgoingRequest {
                method: "GET",
                url: &signed,
                body: None,
                content_type: None,
            },
            &key_id,
            &key.private_pem,
            SystemTime::now(),
        )
        .unwrap();
        let mut r = reqwest::Client::new()
            .get(url)
            .header("accept", AP)
            .timeout(Duration::from_secs(60));
        for (k, v) in headers {
            // The signed Host goes out as signed: that is the replay.
            r = r.header(k, v);
        }
        let r = r.send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap_or_default())
    }

    pub async fn get_signed(&self, name: &str, url: &str) -> (u16, String) {
        self.get_signed_for(name, url, url).await
    }
}

async fn answer(state: Arc<Mutex<State>>, req: Request) -> Response {
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let _in_flight = (method == "POST").then(|| InFlight::start(state.clone()));
    let bytes = axum::body::to_bytes(req.into_body(), 8 << 20)
        .await
        .unwrap_or_default();
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let (doc, post_answer) = {
        let mut s = state.lock().unwrap();
        s.received.push(Received {
            method: method.clone(),
            path: path.clone(),
            body,
        });
        (s.docs.get(&path).cloned(), s.post_answer)
    };
    if method == "POST" {
        return match post_answer.unwrap_or(Some(202)) {
            Some(status) => axum::http::StatusCode::from_u16(status)
                .unwrap_or(axum::http::StatusCode::ACCEPTED)
                .into_response(),
            None => {
                std::future::pending::<()>().await;
                axum::http::StatusCode::ACCEPTED.into_response()
            }
        };
    }
    match doc {
        Some(Answer::Json(status, v)) => (
            axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::OK),
            [("content-type", AP)],
            serde_json::to_vec(&v).unwrap(),
        )
            .into_response(),
        Some(Answer::Hang) => {
            std::future::pending::<()>().await;
            axum::http::StatusCode::OK.into_response()
        }
        None => axum::http::StatusCode::NOT_FOUND.into_response(),
    }
}
