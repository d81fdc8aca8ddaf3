//! Algorithms, pseudo-headers, digests.

use super::*;

#[test]
fn unknown_algorithm_is_refused() {
    let s = post();
    let mut params = s.params();
    params.algorithm = Some("rsa-sha512".to_owned());
    let err = verify(
        &s.request(),
        &params,
        &key().public_pem,
        t0(),
        &VerifyPolicy::default(),
    );
    assert_eq!(
        err,
        Err(SignatureError::UnsupportedAlgorithm("rsa-sha512".into()))
    );
    params.algorithm = Some("hmac-sha256".to_owned());
    let err = verify(
        &s.request(),
        &params,
        &key().public_pem,
        t0(),
        &VerifyPolicy::default(),
    );
    assert!(matches!(err, Err(SignatureError::UnsupportedAlgorithm(_))));
}

#[test]
fn hs2019_and_absent_algorithm_verify_rsa_signatures() {
    let s = post();
    let mut params = s.params();
    params.algorithm = Some("hs2019".to_owned());
    verify(
        &s.request(),
        &params,
        &key().public_pem,
        t0(),
        &VerifyPolicy::default(),
    )
    .unwrap();
    params.algorithm = None;
    verify(
        &s.request(),
        &params,
        &key().public_pem,
        t0(),
        &VerifyPolicy::default(),
    )
    .unwrap();
    params.algorithm = Some("RSA-SHA256".to_owned());
    verify(
        &s.request(),
        &params,
        &key().public_pem,
        t0(),
        &VerifyPolicy::default(),
    )
    .unwrap();
}

#[test]
fn created_and_expires_with_hs2019() {
    // The shape activitypub_federation (http-signature-normalization) sends.
    let created = "1795341600";
    let expires = "1795341610";
    let digest = post_digest();
    let sig = hand_signed(
        key(),
        Some("hs2019"),
        &[
            ("(request-target)", "post /users/bob/inbox"),
            ("(created)", created),
            ("(expires)", expires),
            ("host", "localhost:8082"),
            ("digest", &digest),
        ],
        &format!(",created={created},expires=\"{expires}\""),
    );
    let s = hand_request(
        "POST",
        "/users/bob/inbox",
        &[("host", "localhost:8082"), ("digest", &digest)],
        sig,
        Some(BODY),
    );
    let params = s.params();
    assert_eq!(params.created, Some(1_795_341_600));
    assert_eq!(params.expires, Some(1_795_341_610));
    s.verify_at(t0()).unwrap();
    // Past its expiry, but within the clock-skew grace.
    s.verify_at(t0() + Duration::from_secs(600)).unwrap();
    // Past expiry plus grace (and past max_age, which is checked first).
    assert_eq!(
        s.verify_at(t0() + Duration::from_secs(3611)),
        Err(SignatureError::TooOld)
    );
    let long_age = VerifyPolicy {
        max_age: Duration::from_secs(86_400),
        ..VerifyPolicy::default()
    };
    let at =
        |now, policy: &VerifyPolicy| verify(&s.request(), &params, &key().public_pem, now, policy);
    at(t0() + Duration::from_secs(3610), &long_age).unwrap();
    assert_eq!(
        at(t0() + Duration::from_secs(3611), &long_age),
        Err(SignatureError::Expired)
    );
    assert_eq!(
        s.verify_at(t0() - Duration::from_secs(3601)),
        Err(SignatureError::FromFuture)
    );
    let no_grace = VerifyPolicy {
        expires_grace: Duration::ZERO,
        ..VerifyPolicy::default()
    };
    assert_eq!(
        verify(
            &s.request(),
            &params,
            &key().public_pem,
            t0() + Duration::from_secs(11),
            &no_grace
        ),
        Err(SignatureError::Expired)
    );
    // The created value is signed: changing it breaks the signature.
    let mut forged = params.clone();
    forged.created = Some(1_795_341_601);
    assert_eq!(
        verify(
            &s.request(),
            &forged,
            &key().public_pem,
            t0(),
            &VerifyPolicy::default()
        ),
        Err(SignatureError::BadSignature)
    );
    // Old (created) is too old even without (expires).
    let mut stale = params;
    stale.headers.retain(|h| h != "(expires)");
    assert_eq!(
        verify(
            &s.request(),
            &stale,
            &key().public_pem,
            t0() + Duration::from_secs(7200),
            &VerifyPolicy::default()
        ),
        Err(SignatureError::TooOld)
    );
}

#[test]
fn created_with_rsa_sha256_is_refused() {
    let created = "1795341600";
    let sig = hand_signed(
        key(),
        Some("rsa-sha256"),
        &[
            ("(request-target)", "get /users/bob"),
            ("host", "localhost:8082"),
            ("(created)", created),
        ],
        &format!(",created={created}"),
    );
    let s = hand_request(
        "GET",
        "/users/bob",
        &[("host", "localhost:8082")],
        sig,
        None,
    );
    assert!(matches!(s.verify_at(t0()), Err(SignatureError::Malformed(m)) if m.contains("hs2019")));
}

#[test]
fn created_covered_without_parameter_is_refused() {
    let sig = hand_signed(
        key(),
        Some("hs2019"),
        &[
            ("(request-target)", "get /users/bob"),
            ("host", "localhost:8082"),
            ("(created)", "1795341600"),
        ],
        "",
    );
    let s = hand_request(
        "GET",
        "/users/bob",
        &[("host", "localhost:8082")],
        sig,
        None,
    );
    assert!(matches!(
        s.verify_at(t0()),
        Err(SignatureError::HeaderAbsent(_))
    ));
}

#[test]
fn unsigned_created_does_not_rescue_a_stale_date() {
    // hs2019 covering `date` only; a replayer adds a fresh, unsigned `created`.
    let s = get();
    let mut params = s.params();
    params.algorithm = Some("hs2019".to_owned());
    params.created = Some(unix_seconds(t0()) + 7200);
    assert_eq!(
        verify(
            &s.request(),
            &params,
            &key().public_pem,
            t0() + Duration::from_secs(7200),
            &VerifyPolicy::default()
        ),
        Err(SignatureError::TooOld)
    );
}

#[test]
fn unknown_pseudo_header_is_refused() {
    let s = get();
    let mut params = s.params();
    params.headers.push("(nonsense)".to_owned());
    assert!(matches!(
        verify(
            &s.request(),
            &params,
            &key().public_pem,
            t0(),
            &VerifyPolicy::default()
        ),
        Err(SignatureError::Malformed(_))
    ));
}

#[test]
fn covered_header_absent_is_refused() {
    let mut s = post();
    s.headers.remove("content-type");
    assert_eq!(
        s.verify_at(t0()),
        Err(SignatureError::HeaderAbsent("content-type".into()))
    );
}

#[test]
fn digest_variants() {
    let good = STANDARD.encode(Sha256::digest(BODY));
    let check = |value: &str| {
        let mut h = HeaderMap::new();
        h.insert("digest", HeaderValue::from_str(value).unwrap());
        check_digest(&h, BODY)
    };
    check(&format!("SHA-256={good}")).unwrap();
    check(&format!("sha-256={good}")).unwrap();
    check(&format!("SHA-512=abcd, SHA-256={good}")).unwrap();
    check(&format!("SHA-256={}", good.trim_end_matches('='))).unwrap();
    assert_eq!(
        check("SHA-512=abcd"),
        Err(SignatureError::UnsupportedDigest)
    );
    assert_eq!(check("MD5=abcd"), Err(SignatureError::UnsupportedDigest));
    assert_eq!(check("garbage"), Err(SignatureError::UnsupportedDigest));
    assert_eq!(check("SHA-256=AAAA"), Err(SignatureError::DigestMismatch));
    assert!(matches!(
        check("SHA-256=!!!"),
        Err(SignatureError::Malformed(_))
    ));
    assert_eq!(
        check_digest(&HeaderMap::new(), BODY),
        Err(SignatureError::DigestMissing)
    );
}

#[test]
fn content_digest_variants() {
    let good = STANDARD.encode(Sha256::digest(BODY));
    let check = |value: &str| {
        let mut h = HeaderMap::new();
        h.insert("content-digest", HeaderValue::from_str(value).unwrap());
        check_content_digest(&h, BODY)
    };
    check(&format!("sha-256=:{good}:")).unwrap();
    check(&format!("sha-512=:AAAA:, sha-256=:{good}:")).unwrap();
    check(&format!("sha-256=:{good}:;p=1")).unwrap();
    assert_eq!(
        check("sha-512=:AAAA:"),
        Err(SignatureError::UnsupportedDigest)
    );
    assert_eq!(check("sha-256=:AAAA:"), Err(SignatureError::DigestMismatch));
    assert!(matches!(
        check(&format!("sha-256={good}")),
        Err(SignatureError::Malformed(_))
    ));
}

#[test]
fn post_covering_content_digest_verifies() {
    let good = format!("sha-256=:{}:", STANDARD.encode(Sha256::digest(BODY)));
    let sig = hand_signed(
        key(),
        Some("rsa-sha256"),
        &[
            ("(request-target)", "post /users/bob/inbox"),
            ("host", "localhost:8082"),
            ("date", DATE),
            ("content-digest", &good),
        ],
        "",
    );
    let mut s = hand_request(
        "POST",
        "/users/bob/inbox",
        &[
            ("host", "localhost:8082"),
            ("date", DATE),
            ("content-digest", &good),
        ],
        sig,
        Some(BODY),
    );
    s.verify_at(t0()).unwrap();
    s.body = Some(b"tampered".to_vec());
    assert_eq!(s.verify_at(t0()), Err(SignatureError::DigestMismatch));
    s.body = Some(BODY.to_vec());
    s.headers.remove("content-digest");
    assert_eq!(s.verify_at(t0()), Err(SignatureError::DigestMissing));
}

#[test]
fn repeated_headers_are_joined() {
    let mut h = HeaderMap::new();
    h.append("x-a", HeaderValue::from_static("one"));
    h.append("x-a", HeaderValue::from_static(" two "));
    assert_eq!(header_value(&h, "x-a").unwrap(), b"one, two");
    assert_eq!(
        header_value(&h, "x-b"),
        Err(SignatureError::HeaderAbsent("x-b".into()))
    );
}
