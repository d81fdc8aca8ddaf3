//! Vectors for what changed when the signing string moved to `http-signature-normalization`:
//! header-name case, whitespace and parameter order in the `Signature` header, the `hs2019`
//! algorithm name as Mastodon sends it, and what the crate's own parser would get wrong.

use super::*;
use http_signature_normalization::verify::ParsedHeader;

/// A Mastodon-shaped POST signed by hand, with the `Signature` header given as `header`
/// (`{sig}` replaced by the signature of the standard covered lines).
fn mastodon_post(header: &str) -> Signed {
    let digest = post_digest();
    let lines = [
        ("(request-target)", "post /users/bob/inbox"),
        ("host", "localhost:8082"),
        ("date", DATE),
        ("digest", digest.as_str()),
        ("content-type", AP_JSON),
    ];
    let string = lines
        .iter()
        .map(|(n, v)| format!("{n}: {v}"))
        .collect::<Vec<_>>()
        .join("\n");
    let signature = SigningKey::<Sha256>::new(key().private.clone()).sign(string.as_bytes());
    let header = header.replace("{sig}", &STANDARD.encode(signature.to_bytes()));
    hand_request(
        "POST",
        "/users/bob/inbox",
        &[
            ("Host", "localhost:8082"),
            ("Date", DATE),
            ("Digest", digest.as_str()),
            ("Content-Type", AP_JSON),
        ],
        header,
        Some(BODY),
    )
}

#[test]
fn hs2019_with_upper_case_names_spaces_and_any_order_verifies() {
    let s = mastodon_post(concat!(
        r#"algorithm="hs2019", headers="(request-target) Host Date Digest Content-Type", "#,
        r#"signature="{sig}",  keyId="http://localhost:8081/users/alice#main-key""#,
    ));
    s.verify_at(t0()).unwrap();
    assert_eq!(s.params().algorithm.as_deref(), Some("hs2019"));
    assert_eq!(s.params().key_id, KEY_ID);
}

#[test]
fn rsa_sha256_in_mastodon_order_verifies() {
    let s = mastodon_post(concat!(
        r#"keyId="http://localhost:8081/users/alice#main-key",algorithm="rsa-sha256","#,
        r#"headers="(request-target) host date digest content-type",signature="{sig}""#,
    ));
    s.verify_at(t0()).unwrap();
}

#[test]
fn covered_order_is_the_signed_order() {
    // The same names in another order make another signing string.
    let s = mastodon_post(concat!(
        r#"keyId="http://localhost:8081/users/alice#main-key",algorithm="hs2019","#,
        r#"headers="(request-target) date host digest content-type",signature="{sig}""#,
    ));
    assert_eq!(s.verify_at(t0()), Err(SignatureError::BadSignature));
}

#[test]
fn a_name_covered_twice_is_not_verified() {
    let s = mastodon_post(concat!(
        r#"keyId="http://localhost:8081/users/alice#main-key",algorithm="hs2019","#,
        r#"headers="(request-target) host date digest content-type date",signature="{sig}""#,
    ));
    assert!(s.verify_at(t0()).is_err());
}

#[test]
fn the_signing_string_is_the_draft_cavage_one() {
    let values = [
        ("host", "h.example:8443"),
        ("date", DATE),
        ("(created)", "1795341600"),
    ]
    .into_iter()
    .map(|(n, v)| (n.to_owned(), v.to_owned()))
    .collect();
    let covered = ["(request-target)", "(created)", "host", "date"].map(str::to_owned);
    assert_eq!(
        signing_string("GET", "/users/bob?page=1", &covered, values).unwrap(),
        "(request-target): get /users/bob?page=1\n(created): 1795341600\nhost: h.example:8443\ndate: Sun, 22 Nov 2026 10:00:00 GMT"
    );
    // A covered name without a value is refused, not skipped.
    assert_eq!(
        signing_string("GET", "/", &covered, Default::default()),
        Err(SignatureError::HeaderAbsent("(created)".into()))
    );
}

/// Why the `Signature` header is still parsed by Kogi: the crate's parser splits on every
/// comma and does not trim, so Mastodon-valid headers with spaces after the commas, or a
/// comma inside a quoted value, are misread; it also lets a repeated parameter through.
#[test]
fn the_crates_header_parser_misreads_valid_headers() {
    let spaced = r#"keyId="k", signature="AQID""#;
    assert!(spaced.parse::<ParsedHeader>().is_err());
    assert!(parse_signature_header(spaced).is_ok());

    let repeated = r#"keyId="k",keyId="j",signature="AQID""#;
    assert!(repeated.parse::<ParsedHeader>().is_ok());
    assert!(parse_signature_header(repeated).is_err());
}
