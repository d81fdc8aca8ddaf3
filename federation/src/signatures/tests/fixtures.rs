//! Interop fixtures: requests signed by bovine, and Kogi's own for bovine to check.

use super::*;

// --- interop fixtures ---

#[derive(serde::Deserialize, serde::Serialize)]
struct Fixture {
    description: String,
    method: String,
    url: String,
    path: String,
    headers: std::collections::BTreeMap<String, String>,
    body: Option<String>,
    key_id: String,
    public_key_pem: String,
}

fn check_fixture(json: &str) -> Result<()> {
    let f: Fixture = serde_json::from_str(json).unwrap();
    let mut headers = HeaderMap::new();
    for (name, value) in &f.headers {
        headers.insert(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    let now = httpdate::parse_http_date(&f.headers["date"]).unwrap();
    let params = parse_signature_header(&f.headers["signature"])?;
    assert_eq!(params.key_id, f.key_id);
    let req = IncomingRequest {
        method: &f.method,
        path_and_query: &f.path,
        headers: &headers,
        body: f.body.as_deref().map(str::as_bytes),
    };
    verify(
        &req,
        &params,
        &f.public_key_pem,
        now,
        &VerifyPolicy::default(),
    )?;
    // And they age like any other signature.
    assert_eq!(
        verify(
            &req,
            &params,
            &f.public_key_pem,
            now + Duration::from_secs(7200),
            &VerifyPolicy::default()
        ),
        Err(SignatureError::TooOld)
    );
    Ok(())
}

#[test]
fn bovine_signed_post_verifies() {
    check_fixture(include_str!("../../../tests-fixtures/bovine_post.json")).unwrap();
}

#[test]
fn bovine_signed_post_with_content_digest_verifies() {
    check_fixture(include_str!(
        "../../../tests-fixtures/bovine_post_content_digest.json"
    ))
    .unwrap();
}

#[test]
fn bovine_signed_get_with_query_verifies() {
    check_fixture(include_str!("../../../tests-fixtures/bovine_get.json")).unwrap();
}

#[test]
fn bovine_signed_post_with_tampered_body_is_refused() {
    let mut f: Fixture =
        serde_json::from_str(include_str!("../../../tests-fixtures/bovine_post.json")).unwrap();
    f.body = Some(f.body.unwrap_or_default().replace("Follow", "Delete"));
    assert_eq!(
        check_fixture(&serde_json::to_string(&f).unwrap()),
        Err(SignatureError::DigestMismatch)
    );
}

#[test]
fn committed_kogi_fixtures_still_verify() {
    check_fixture(include_str!("../../../tests-fixtures/kogi_post.json")).unwrap();
    check_fixture(include_str!("../../../tests-fixtures/kogi_get.json")).unwrap();
    check_fixture(include_str!("../../../tests-fixtures/kogi_get_query.json")).unwrap();
}

/// Writes freshly Kogi-signed requests for `tests-fixtures/verify_kogi_with_bovine.py`
/// when `KOGI_SIG_FIXTURE_DIR` is set (a fresh key and the current time); does nothing
/// otherwise.
#[test]
fn write_kogi_fixtures_for_bovine() {
    let Some(dir) = std::env::var_os("KOGI_SIG_FIXTURE_DIR") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    let key = generate();
    let now = SystemTime::now();
    let key_id = "http://localhost:8081/users/alice#main-key";
    let body = r#"{"@context":"https://www.w3.org/ns/activitystreams","id":"http://localhost:8081/activities/1","type":"Follow","actor":"http://localhost:8081/users/alice","object":"http://localhost:8082/users/bob"}"#;
    let cases: [(&str, &str, &str, Option<&str>); 3] = [
        (
            "kogi_post.json",
            "POST",
            "http://localhost:8082/users/bob/inbox",
            Some(body),
        ),
        (
            "kogi_get.json",
            "GET",
            "http://localhost:8082/users/bob",
            None,
        ),
        (
            "kogi_get_query.json",
            "GET",
            "http://localhost:8082/users/bob/outbox?page=true",
            None,
        ),
    ];
    for (file, method, url, body) in cases {
        let parsed = url::Url::parse(url).unwrap();
        let content_type = body.map(|_| AP_JSON);
        let out = sign(
            &OutgoingRequest {
                method,
                url: &parsed,
                body: body.map(str::as_bytes),
                content_type,
            },
            key_id,
            &key.private_pem,
            now,
        )
        .unwrap();
        let mut headers: std::collections::BTreeMap<String, String> = out
            .into_iter()
            .map(|(n, v)| (n.to_ascii_lowercase(), v))
            .collect();
        if let Some(ct) = content_type {
            headers.insert("content-type".into(), ct.into());
        }
        let mut path = parsed.path().to_owned();
        if let Some(q) = parsed.query() {
            path = format!("{path}?{q}");
        }
        let fixture = Fixture {
            description: format!("{method} {url} signed by Kogi's signatures::sign"),
            method: method.into(),
            url: url.into(),
            path,
            headers,
            body: body.map(str::to_owned),
            key_id: key_id.into(),
            public_key_pem: key.public_pem.clone(),
        };
        let json = serde_json::to_string_pretty(&fixture).unwrap();
        check_fixture(&json).unwrap();
        std::fs::write(dir.join(file), json + "\n").unwrap();
    }
}
