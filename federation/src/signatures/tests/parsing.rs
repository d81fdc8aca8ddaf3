//! Parsing the Signature header, and the keyId owner hint.

use super::*;

// --- parsing ---

#[test]
fn parses_mastodon_header() {
    let p = parse_signature_header(
        r#"keyId="https://mastodon.example/users/alice#main-key",algorithm="rsa-sha256",headers="(request-target) host date digest content-type",signature="AQID""#,
    )
    .unwrap();
    assert_eq!(
        p,
        SignatureParams {
            key_id: "https://mastodon.example/users/alice#main-key".into(),
            algorithm: Some("rsa-sha256".into()),
            headers: vec![
                "(request-target)".into(),
                "host".into(),
                "date".into(),
                "digest".into(),
                "content-type".into()
            ],
            signature: vec![1, 2, 3],
            created: None,
            expires: None,
        }
    );
}

#[test]
fn parses_lenient_forms() {
    // Authorization form, whitespace, any order, unquoted integers, upper-case names,
    // unknown parameters, unpadded base64, escapes, trailing comma.
    let p = parse_signature_header(
        "Signature  headers = \"(request-target)  Host (created)\" , created=1795341600,\tKEYID=\"k\\\"ey\", extra=\"x\",signature=\"AQI\",",
    )
    .unwrap();
    assert_eq!(p.key_id, "k\"ey");
    assert_eq!(p.headers, ["(request-target)", "host", "(created)"]);
    assert_eq!(p.signature, vec![1, 2]);
    assert_eq!(p.created, Some(1_795_341_600));
    assert_eq!(p.algorithm, None);
}

#[test]
fn default_headers_follow_the_algorithm() {
    let p = parse_signature_header(r#"keyId="k",signature="AQID""#).unwrap();
    assert_eq!(p.headers, ["(created)"]);
    let p = parse_signature_header(r#"keyId="k",algorithm="hs2019",signature="AQID""#).unwrap();
    assert_eq!(p.headers, ["(created)"]);
    let p = parse_signature_header(r#"keyId="k",algorithm="rsa-sha256",signature="AQID""#).unwrap();
    assert_eq!(p.headers, ["date"]);
}

#[test]
fn malformed_headers_are_refused() {
    assert_eq!(parse_signature_header(""), Err(SignatureError::Missing));
    assert_eq!(parse_signature_header("   "), Err(SignatureError::Missing));
    let cases = [
        r#"keyId="k,signature="AQID"#,                  // unterminated quote
        r#"keyId="k",signature="AQID"#,                 // unterminated quote at the end
        r#"keyId="k",headers="date""#,                  // no signature
        r#"signature="AQID""#,                          // no keyId
        r#"keyId="",signature="AQID""#,                 // empty keyId
        r#"keyId="k",signature="""#,                    // empty signature
        r#"keyId="k",signature="not base64!""#,         // bad base64
        r#"keyId="k",signature="AQID"x"#,               // junk after a value
        r#"keyId="k" signature="AQID""#,                // missing comma
        r#"keyId="k",signature"#,                       // parameter without value
        r#"keyId="k",signature="#,                      // empty token value
        r#"keyId="k",keyId="j",signature="AQID""#,      // repeated parameter
        r#"keyId="k",signature="AQID",created="soon""#, // non-integer created
        r#"keyId="k",signature="AQID",expires=1.5"#,    // fractional expires
        r#"="k""#,                                      // no name
        "Signature ",                                   // prefix only
        ",,,",                                          // no parameters
        "keyId=\"k\u{0}\",signature=\"AQID\"",          // control character
        "keyId=\"k\\",                                  // escape at the end
    ];
    for case in cases {
        let err = parse_signature_header(case);
        assert!(
            matches!(
                err,
                Err(SignatureError::Malformed(_)) | Err(SignatureError::Missing)
            ),
            "{case:?} gave {err:?}"
        );
    }
}

#[test]
fn errors_read_clearly() {
    assert_eq!(
        SignatureError::MissingCoveredHeader("digest".into()).to_string(),
        "HTTP signature must cover digest"
    );
    assert_eq!(
        SignatureError::UnsupportedAlgorithm("rsa-sha512".into()).to_string(),
        "unsupported HTTP signature algorithm \"rsa-sha512\" (only rsa-sha256 and hs2019 are accepted)"
    );
}

// --- keyId owner ---

#[test]
fn key_owner_hint_strips_the_key_part() {
    assert_eq!(
        key_owner_hint("https://h.example/users/a#main-key"),
        "https://h.example/users/a"
    );
    assert_eq!(
        key_owner_hint("http://localhost:8081/actor#main-key"),
        "http://localhost:8081/actor"
    );
    assert_eq!(
        key_owner_hint("https://gts.example/users/a/main-key"),
        "https://gts.example/users/a"
    );
    assert_eq!(
        key_owner_hint("https://h.example/users/a"),
        "https://h.example/users/a"
    );
    assert_eq!(key_owner_hint(""), "");
}
