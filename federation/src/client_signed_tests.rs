//! Tests of [`HttpClient::send_signed`]: what a peer receives, byte for byte where it matters.
use super::*;
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};

/// A one-shot loopback server that answers 202 and hands back the raw request it read.
async fn capture_one() -> (u16, tokio::sync::oneshot::Receiver<Vec<u8>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut raw = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = s.read(&mut buf).await.unwrap();
            raw.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&raw).to_string();
            if let Some(end) = text.find("\r\n\r\n") {
                let length = text[..end]
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse::<usize>().unwrap())
                    })
                    .unwrap_or(0);
                if raw.len() >= end + 4 + length || n == 0 {
                    break;
                }
            }
        }
        let _ = s
            .write_all(b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            .await;
        let _ = tx.send(raw);
    });
    (port, rx)
}

fn client() -> HttpClient {
    HttpClient::new(ClientSettings {
        allow_private_addresses: true,
        timeout: Duration::from_secs(5),
        max_response_bytes: 64 * 1024,
        user_agent: "kogi-test".into(),
        extra_roots_pem: None,
    })
    .unwrap()
}

/// The head's headers in order, and the body.
fn split(raw: &[u8]) -> (String, Vec<(String, String)>, Vec<u8>) {
    let text = String::from_utf8(raw.to_vec()).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let mut lines = head.lines();
    let request_line = lines.next().unwrap().to_owned();
    let headers = lines
        .map(|l| {
            let (n, v) = l.split_once(':').unwrap();
            (n.to_ascii_lowercase(), v.trim().to_owned())
        })
        .collect();
    (request_line, headers, body.as_bytes().to_vec())
}

async fn send_and_verify(method: reqwest::Method, body: Option<&[u8]>) -> Vec<String> {
    let key = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap();
    let private = key.to_pkcs8_pem(LineEnding::LF).unwrap().to_string();
    let public = key
        .to_public_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    let (port, rx) = capture_one().await;
    let url = url::Url::parse(&format!("http://127.0.0.1:{port}/users/bob/inbox?x=1")).unwrap();
    let is_post = method == reqwest::Method::POST;
    let fetched = client()
        .send_signed(&SignedRequest {
            method: method.clone(),
            url: &url,
            body,
            content_type: is_post.then_some("application/activity+json"),
            accept: (!is_post).then_some("application/activity+json"),
            timeout: None,
            key_id: "http://localhost:1/actor#main-key",
            private_key_pem: &private,
        })
        .await
        .unwrap();
    assert_eq!(fetched.status, 202);
    let (request_line, headers, sent_body) = split(&rx.await.unwrap());
    assert_eq!(
        request_line,
        format!("{} /users/bob/inbox?x=1 HTTP/1.1", method.as_str())
    );
    assert_eq!(sent_body, body.unwrap_or_default());
    let mut map = http::HeaderMap::new();
    for (n, v) in &headers {
        map.append(
            http::HeaderName::from_bytes(n.as_bytes()).unwrap(),
            http::HeaderValue::from_str(v).unwrap(),
        );
    }
    let params = signatures::parse_signature_header(map["signature"].to_str().unwrap()).unwrap();
    let incoming = signatures::IncomingRequest {
        method: method.as_str(),
        path_and_query: "/users/bob/inbox?x=1",
        headers: &map,
        body,
    };
    signatures::verify(
        &incoming,
        &params,
        &public,
        SystemTime::now(),
        &signatures::VerifyPolicy::default(),
    )
    .unwrap();
    assert_eq!(map["host"], format!("127.0.0.1:{port}").as_str());
    assert_eq!(params.algorithm.as_deref(), Some("rsa-sha256"));
    params.headers
}

#[tokio::test]
async fn a_signed_post_carries_date_digest_and_signature_as_mastodon_expects() {
    let covered = send_and_verify(reqwest::Method::POST, Some(br#"{"type":"Follow"}"#)).await;
    assert_eq!(
        covered,
        ["(request-target)", "host", "date", "digest", "content-type"]
    );
}

#[tokio::test]
async fn a_signed_get_covers_target_host_and_date() {
    let covered = send_and_verify(reqwest::Method::GET, None).await;
    assert_eq!(covered, ["(request-target)", "host", "date"]);
}
