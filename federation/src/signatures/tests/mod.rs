//! Tests of signing, parsing and verification; test vectors by topic in the submodules.

mod algorithms;
mod fixtures;
mod normalization;
mod parsing;
mod refusals;
mod signing;

use super::*;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use http::{HeaderMap, HeaderName, HeaderValue};
use rsa::pkcs1::EncodeRsaPublicKey;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::signature::SignatureEncoding;
use rsa::signature::Signer;
use rsa::RsaPrivateKey;
use sha2::{Digest as _, Sha256};
use std::sync::OnceLock;

struct TestKey {
    private: RsaPrivateKey,
    private_pem: String,
    public_pem: String,
}

fn generate() -> TestKey {
    let private = RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap();
    let private_pem = private.to_pkcs8_pem(LineEnding::LF).unwrap().to_string();
    let public_pem = private
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    TestKey {
        private,
        private_pem,
        public_pem,
    }
}

fn key() -> &'static TestKey {
    static KEY: OnceLock<TestKey> = OnceLock::new();
    KEY.get_or_init(generate)
}

fn other_key() -> &'static TestKey {
    static KEY: OnceLock<TestKey> = OnceLock::new();
    KEY.get_or_init(generate)
}

const KEY_ID: &str = "http://localhost:8081/users/alice#main-key";
const BODY: &[u8] = br#"{"type":"Follow","actor":"http://localhost:8081/users/alice"}"#;
const AP_JSON: &str = "application/activity+json";

/// 2026-11-22T10:00:00Z
fn t0() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_795_341_600)
}

fn to_map(headers: &[(String, String)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    map
}

/// A request Kogi signed: its headers (plus Content-Type when given) and its path.
struct Signed {
    method: &'static str,
    path: String,
    headers: HeaderMap,
    body: Option<Vec<u8>>,
}

impl Signed {
    fn request(&self) -> IncomingRequest<'_> {
        IncomingRequest {
            method: self.method,
            path_and_query: &self.path,
            headers: &self.headers,
            body: self.body.as_deref(),
        }
    }

    fn params(&self) -> SignatureParams {
        parse_signature_header(self.headers["signature"].to_str().unwrap()).unwrap()
    }

    fn verify_at(&self, now: SystemTime) -> Result<()> {
        verify(
            &self.request(),
            &self.params(),
            &key().public_pem,
            now,
            &VerifyPolicy::default(),
        )
    }
}

fn kogi_signed(method: &'static str, url: &str, body: Option<&[u8]>) -> Signed {
    let url = url::Url::parse(url).unwrap();
    let content_type = body.map(|_| AP_JSON);
    let req = OutgoingRequest {
        method,
        url: &url,
        body,
        content_type,
    };
    let out = sign(&req, KEY_ID, &key().private_pem, t0()).unwrap();
    let mut headers = to_map(&out);
    if let Some(ct) = content_type {
        headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static(ct));
    }
    let mut path = url.path().to_owned();
    if let Some(q) = url.query() {
        path = format!("{path}?{q}");
    }
    Signed {
        method,
        path,
        headers,
        body: body.map(<[u8]>::to_vec),
    }
}

fn post() -> Signed {
    kogi_signed("POST", "http://localhost:8082/users/bob/inbox", Some(BODY))
}

fn get() -> Signed {
    kogi_signed("GET", "http://localhost:8082/users/bob", None)
}

/// Signs a hand-built signing string (an independent implementation of the format), so
/// tests can produce signatures Kogi itself would never send.
fn hand_signed(
    key: &TestKey,
    algorithm: Option<&str>,
    lines: &[(&str, &str)],
    extra_params: &str,
) -> String {
    let string = lines
        .iter()
        .map(|(n, v)| format!("{n}: {v}"))
        .collect::<Vec<_>>()
        .join("\n");
    let signature = SigningKey::<Sha256>::new(key.private.clone()).sign(string.as_bytes());
    let names = lines.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(" ");
    let algorithm = algorithm
        .map(|a| format!("algorithm=\"{a}\","))
        .unwrap_or_default();
    format!(
        "keyId=\"{KEY_ID}\",{algorithm}headers=\"{names}\",signature=\"{}\"{extra_params}",
        STANDARD.encode(signature.to_bytes())
    )
}

fn post_digest() -> String {
    format!("SHA-256={}", STANDARD.encode(Sha256::digest(BODY)))
}

fn hand_request(
    method: &'static str,
    path: &str,
    headers: &[(&str, &str)],
    signature: String,
    body: Option<&[u8]>,
) -> Signed {
    let mut list: Vec<(String, String)> = headers
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    list.push(("signature".to_owned(), signature));
    Signed {
        method,
        path: path.to_owned(),
        headers: to_map(&list),
        body: body.map(<[u8]>::to_vec),
    }
}

const DATE: &str = "Sun, 22 Nov 2026 10:00:00 GMT";
