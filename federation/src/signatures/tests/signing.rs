//! Signing, and round trips through verification.

use super::*;

// --- signing ---

#[test]
fn sign_post_emits_mastodon_shaped_headers() {
    let url = url::Url::parse("http://localhost:8081/users/bob/inbox").unwrap();
    let req = OutgoingRequest {
        method: "POST",
        url: &url,
        body: Some(BODY),
        content_type: None,
    };
    let out = sign(&req, KEY_ID, &key().private_pem, t0()).unwrap();
    let names: Vec<&str> = out.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["Date", "Host", "Digest", "Signature"]);
    assert_eq!(out[0].1, DATE);
    assert_eq!(out[1].1, "localhost:8081");
    assert_eq!(out[2].1, post_digest());
    let params = parse_signature_header(&out[3].1).unwrap();
    assert_eq!(params.key_id, KEY_ID);
    assert_eq!(params.algorithm.as_deref(), Some("rsa-sha256"));
    assert_eq!(
        params.headers,
        ["(request-target)", "host", "date", "digest"]
    );
    assert_eq!(params.signature.len(), 256);
    assert!(out[3].1.starts_with(
        "keyId=\"http://localhost:8081/users/alice#main-key\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date digest\",signature=\""
    ));
}

#[test]
fn sign_get_covers_request_target_host_date_only() {
    let url = url::Url::parse("https://kogi.example/users/bob?page=2").unwrap();
    let req = OutgoingRequest {
        method: "GET",
        url: &url,
        body: None,
        content_type: None,
    };
    let out = sign(&req, KEY_ID, &key().private_pem, t0()).unwrap();
    let names: Vec<&str> = out.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["Date", "Host", "Signature"]);
    assert_eq!(out[1].1, "kogi.example", "default port is not in Host");
    let params = parse_signature_header(&out[2].1).unwrap();
    assert_eq!(params.headers, ["(request-target)", "host", "date"]);
}

#[test]
fn sign_post_with_content_type_covers_it_last() {
    let s = post();
    assert_eq!(
        s.params().headers,
        ["(request-target)", "host", "date", "digest", "content-type"]
    );
}

#[test]
fn sign_post_without_body_digests_the_empty_body() {
    let url = url::Url::parse("http://localhost:8081/inbox").unwrap();
    let req = OutgoingRequest {
        method: "post",
        url: &url,
        body: None,
        content_type: None,
    };
    let out = sign(&req, KEY_ID, &key().private_pem, t0()).unwrap();
    assert_eq!(
        out[2],
        (
            "Digest".to_owned(),
            "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=".to_owned()
        )
    );
}

#[test]
fn sign_is_deterministic_and_matches_an_independent_signing_string() {
    let s = post();
    let expected = hand_signed(
        key(),
        Some("rsa-sha256"),
        &[
            ("(request-target)", "post /users/bob/inbox"),
            ("host", "localhost:8082"),
            ("date", DATE),
            ("digest", &post_digest()),
            ("content-type", AP_JSON),
        ],
        "",
    );
    assert_eq!(s.headers["signature"].to_str().unwrap(), expected);
}

#[test]
fn sign_accepts_pkcs1_private_keys_and_ipv6_hosts() {
    use rsa::pkcs1::EncodeRsaPrivateKey;
    let pem = key().private.to_pkcs1_pem(LineEnding::CRLF).unwrap();
    let url = url::Url::parse("http://[::1]:8081/users/bob").unwrap();
    let req = OutgoingRequest {
        method: "GET",
        url: &url,
        body: None,
        content_type: None,
    };
    let out = sign(&req, KEY_ID, &pem, t0()).unwrap();
    assert_eq!(out[1].1, "[::1]:8081");
}

#[test]
fn sign_refuses_bad_inputs() {
    let url = url::Url::parse("http://localhost:8081/inbox").unwrap();
    let req = OutgoingRequest {
        method: "POST",
        url: &url,
        body: Some(b"{}"),
        content_type: None,
    };
    for bad_key_id in ["", "has\"quote", "has space", "back\\slash"] {
        assert!(matches!(
            sign(&req, bad_key_id, &key().private_pem, t0()),
            Err(SignatureError::Signing(_))
        ));
    }
    assert!(matches!(
        sign(&req, KEY_ID, "not a key", t0()),
        Err(SignatureError::Signing(_))
    ));
    assert!(matches!(
        sign(&req, KEY_ID, &key().public_pem, t0()),
        Err(SignatureError::Signing(_))
    ));
    let bad_method = OutgoingRequest {
        method: "PO ST",
        ..req
    };
    assert!(matches!(
        sign(&bad_method, KEY_ID, &key().private_pem, t0()),
        Err(SignatureError::Signing(_))
    ));
    let no_host = url::Url::parse("data:text/plain,hi").unwrap();
    let req = OutgoingRequest {
        method: "GET",
        url: &no_host,
        body: None,
        content_type: None,
    };
    assert!(matches!(
        sign(&req, KEY_ID, &key().private_pem, t0()),
        Err(SignatureError::Signing(_))
    ));
}

// --- round trips ---

#[test]
fn round_trip_post() {
    post().verify_at(t0()).unwrap();
}

#[test]
fn round_trip_get() {
    get().verify_at(t0()).unwrap();
}

#[test]
fn round_trip_get_with_query() {
    let s = kogi_signed(
        "GET",
        "http://localhost:8082/users/bob/outbox?page=true",
        None,
    );
    assert_eq!(s.path, "/users/bob/outbox?page=true");
    s.verify_at(t0()).unwrap();
}

#[test]
fn round_trip_within_the_window() {
    let s = post();
    s.verify_at(t0() + Duration::from_secs(3599)).unwrap();
    s.verify_at(t0() - Duration::from_secs(3599)).unwrap();
}

#[test]
fn round_trip_with_spki_crlf_and_pkcs1_public_keys() {
    let s = post();
    let crlf = key().public_pem.replace('\n', "\r\n");
    let pkcs1 = key()
        .private
        .to_public_key()
        .to_pkcs1_pem(LineEnding::LF)
        .unwrap();
    assert!(pkcs1.contains("BEGIN RSA PUBLIC KEY"));
    for pem in [crlf, pkcs1, format!("\n  {}  \n", key().public_pem)] {
        verify(
            &s.request(),
            &s.params(),
            &pem,
            t0(),
            &VerifyPolicy::default(),
        )
        .unwrap();
    }
}
