//! Verifying a received request against its sender's key.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs1v15::{Signature as RsaSignature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier;
use rsa::RsaPublicKey;
use sha2::{Digest as _, Sha256};

use super::{
    duration_seconds, is_ows, malformed, normalize_pem, unix_seconds, Result, SignatureError,
    SignatureParams, CREATED, EXPIRES, LENIENT_BASE64, REQUEST_TARGET,
};

/// A received request, as the inbox sees it.
#[derive(Debug, Clone, Copy)]
pub struct IncomingRequest<'a> {
    /// HTTP method, any case.
    pub method: &'a str,
    /// Path and query exactly as received (`/users/bob/inbox`, `/users/bob/outbox?page=1`).
    pub path_and_query: &'a str,
    /// The received headers. Behind HTTP/2 the caller must add `host` from the `:authority`.
    pub headers: &'a http::HeaderMap,
    /// The raw body; `None` is treated as empty.
    pub body: Option<&'a [u8]>,
}

/// Time limits for [`verify`], in seconds precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifyPolicy {
    /// A signature whose `Date` (or `(created)`) is older than this is refused.
    pub max_age: Duration,
    /// A signature whose `Date` (or `(created)`) is later than now plus this is refused.
    pub max_future: Duration,
    /// Clock-skew allowance past a signed `expires` (Mastodon allows one hour; some senders,
    /// such as `http-signature-normalization`, expire signatures after seconds).
    pub expires_grace: Duration,
}

impl Default for VerifyPolicy {
    fn default() -> Self {
        Self {
            max_age: Duration::from_secs(3600),
            max_future: Duration::from_secs(3600),
            expires_grace: Duration::from_secs(3600),
        }
    }
}

/// Verifies `params` (from [`parse_signature_header`]) on `req` against the sender's public key,
/// following Mastodon's rules:
///
/// - algorithm `rsa-sha256` or `hs2019` (absent means hs2019); `(created)`/`(expires)` only with
///   hs2019, and only when the matching parameter is present;
/// - the signature must cover `date` or `(created)`, and `(request-target)` or a body digest
///   (`digest`, or RFC 9530 `content-digest`); a GET (or HEAD) must cover `host`; a POST must
///   cover `digest` or `content-digest`;
/// - the signed `Date`/`(created)` must be within [`VerifyPolicy::max_age`] in the past and
///   [`VerifyPolicy::max_future`] ahead; a signed `(expires)` must not be more than
///   [`VerifyPolicy::expires_grace`] past;
/// - each covered digest must be present, offer SHA-256 and match the body;
/// - the RSASSA-PKCS1-v1_5/SHA-256 signature must verify with `(request-target)` built from the
///   exactly the path and query requested (no query-less fallback: it would let a signature
///   made for one URL open another).
///
/// `public_key_pem` may be SPKI (`BEGIN PUBLIC KEY`, what actors publish) or PKCS#1
/// (`BEGIN RSA PUBLIC KEY`).
pub fn verify(
    req: &IncomingRequest,
    params: &SignatureParams,
    public_key_pem: &str,
    now: SystemTime,
    policy: &VerifyPolicy,
) -> Result<()> {
    let algorithm = params.algorithm.as_deref().unwrap_or("hs2019");
    let hs2019 = if algorithm.eq_ignore_ascii_case("hs2019") {
        true
    } else if algorithm.eq_ignore_ascii_case("rsa-sha256") {
        false
    } else {
        return Err(SignatureError::UnsupportedAlgorithm(algorithm.to_owned()));
    };
    if params.key_id.is_empty() {
        return Err(malformed("keyId is empty"));
    }
    if params.signature.is_empty() {
        return Err(malformed("signature is empty"));
    }

    let covered: Vec<String> = params
        .headers
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    let covers = |name: &str| covered.iter().any(|h| h == name);

    // Pseudo-headers.
    for name in &covered {
        match name.as_str() {
            REQUEST_TARGET => {}
            CREATED | EXPIRES if !hs2019 => {
                return Err(malformed(format!(
                    "{name} is only allowed with algorithm hs2019, not {algorithm}"
                )))
            }
            CREATED if params.created.is_none() => {
                return Err(SignatureError::HeaderAbsent(
                    "(created) (no created parameter)".to_owned(),
                ))
            }
            EXPIRES if params.expires.is_none() => {
                return Err(SignatureError::HeaderAbsent(
                    "(expires) (no expires parameter)".to_owned(),
                ))
            }
            CREATED | EXPIRES => {}
            other if other.starts_with('(') => {
                return Err(malformed(format!("unknown pseudo-header {other}")))
            }
            _ => {}
        }
    }

    // Strength, in Mastodon's order.
    let covers_digest = covers("digest") || covers("content-digest");
    if !covers("date") && !covers(CREATED) {
        return Err(SignatureError::MissingCoveredHeader(
            "date or (created)".to_owned(),
        ));
    }
    if !covers(REQUEST_TARGET) && !covers_digest {
        return Err(SignatureError::MissingCoveredHeader(
            "(request-target) or digest".to_owned(),
        ));
    }
    let is_get = req.method.eq_ignore_ascii_case("GET") || req.method.eq_ignore_ascii_case("HEAD");
    if is_get && !covers("host") {
        return Err(SignatureError::MissingCoveredHeader("host".to_owned()));
    }
    if req.method.eq_ignore_ascii_case("POST") && !covers_digest {
        return Err(SignatureError::MissingCoveredHeader("digest".to_owned()));
    }

    // Time window, on signed timestamps only.
    let now_s = unix_seconds(now);
    let max_age = duration_seconds(policy.max_age);
    let max_future = duration_seconds(policy.max_future);
    let check_time = |t: i64| {
        if t > now_s.saturating_add(max_future) {
            Err(SignatureError::FromFuture)
        } else if t < now_s.saturating_sub(max_age) {
            Err(SignatureError::TooOld)
        } else {
            Ok(())
        }
    };
    if covers(CREATED) {
        if let Some(created) = params.created {
            check_time(created)?;
        }
    }
    if covers("date") {
        let date = header_value(req.headers, "date")?;
        let date = std::str::from_utf8(&date)
            .ok()
            .and_then(|d| httpdate::parse_http_date(d.trim()).ok())
            .ok_or_else(|| malformed("Date header is not an HTTP date"))?;
        check_time(unix_seconds(date))?;
    }
    if covers(EXPIRES) {
        if let Some(expires) = params.expires {
            if now_s > expires.saturating_add(duration_seconds(policy.expires_grace)) {
                return Err(SignatureError::Expired);
            }
        }
    }

    // Body digests.
    let body = req.body.unwrap_or_default();
    if covers("digest") {
        check_digest(req.headers, body)?;
    }
    if covers("content-digest") {
        check_content_digest(req.headers, body)?;
    }

    // The signature itself.
    let key = VerifyingKey::<Sha256>::new(parse_public_key(public_key_pem)?);
    let signature = RsaSignature::try_from(params.signature.as_slice())
        .map_err(|_| SignatureError::BadSignature)?;
    let with_query = signing_string(req, params, &covered, req.path_and_query)?;
    // Exactly the path and query requested: a signature for a query-less path (or another
    // query) does not cover this request.
    key.verify(&with_query, &signature)
        .map_err(|_| SignatureError::BadSignature)
}

/// The signing string of `req` for `covered` (see [`super::signing_string`]): each covered
/// header's value as [`header_value`] reads it, `(created)`/`(expires)` from the parameters.
fn signing_string(
    req: &IncomingRequest,
    params: &SignatureParams,
    covered: &[String],
    target: &str,
) -> Result<Vec<u8>> {
    let mut values = BTreeMap::new();
    for name in covered {
        let value = match name.as_str() {
            REQUEST_TARGET => continue,
            CREATED => params
                .created
                .ok_or_else(|| SignatureError::HeaderAbsent(CREATED.to_owned()))?
                .to_string(),
            EXPIRES => params
                .expires
                .ok_or_else(|| SignatureError::HeaderAbsent(EXPIRES.to_owned()))?
                .to_string(),
            _ => String::from_utf8(header_value(req.headers, name)?)
                .map_err(|_| malformed(format!("covered header {name} is not text")))?,
        };
        values.insert(name.clone(), value);
    }
    super::signing_string(req.method, target, covered, values).map(String::into_bytes)
}

/// A header's value as signed: every instance, trimmed, joined with `, ` (draft-cavage §2.3).
pub(super) fn header_value(headers: &http::HeaderMap, name: &str) -> Result<Vec<u8>> {
    let absent = || SignatureError::HeaderAbsent(name.to_owned());
    let header_name = http::HeaderName::from_bytes(name.as_bytes()).map_err(|_| absent())?;
    let mut out = Vec::new();
    for (i, value) in headers.get_all(&header_name).iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(b", ");
        }
        out.extend_from_slice(value.as_bytes().trim_ascii());
    }
    if headers.contains_key(&header_name) {
        Ok(out)
    } else {
        Err(absent())
    }
}

/// RFC 3230 `Digest: SHA-256=<base64>[, OTHER=...]`; algorithm names are case-insensitive.
pub(super) fn check_digest(headers: &http::HeaderMap, body: &[u8]) -> Result<()> {
    let value = header_value(headers, "digest").map_err(|_| SignatureError::DigestMissing)?;
    let value = String::from_utf8(value).map_err(|_| malformed("Digest header is not text"))?;
    let sha256 = value
        .split(',')
        .filter_map(|item| item.split_once('='))
        .find(|(algorithm, _)| algorithm.trim().eq_ignore_ascii_case("sha-256"))
        .map(|(_, digest)| digest.trim())
        .ok_or(SignatureError::UnsupportedDigest)?;
    let given = LENIENT_BASE64
        .decode(sha256)
        .map_err(|_| malformed(format!("Digest value is not base64: {sha256:?}")))?;
    if given.as_slice() == Sha256::digest(body).as_slice() {
        Ok(())
    } else {
        Err(SignatureError::DigestMismatch)
    }
}

/// RFC 9530 `Content-Digest: sha-256=:<base64>:` (an RFC 8941 dictionary of byte sequences).
pub(super) fn check_content_digest(headers: &http::HeaderMap, body: &[u8]) -> Result<()> {
    let value =
        header_value(headers, "content-digest").map_err(|_| SignatureError::DigestMissing)?;
    let value =
        String::from_utf8(value).map_err(|_| malformed("Content-Digest header is not text"))?;
    let mut sha256 = None;
    for member in value.split(',') {
        let member = member.trim_matches(is_ows);
        let (key, item) = member.split_once('=').unwrap_or((member, ""));
        if key == "sha-256" {
            // Drop any parameters (`;key=value`) after the byte sequence.
            let item = item
                .split(';')
                .next()
                .unwrap_or_default()
                .trim_matches(is_ows);
            let bytes = item
                .strip_prefix(':')
                .and_then(|i| i.strip_suffix(':'))
                .ok_or_else(|| malformed("Content-Digest sha-256 is not a byte sequence"))?;
            sha256 = Some(bytes.to_owned());
        }
    }
    let sha256 = sha256.ok_or(SignatureError::UnsupportedDigest)?;
    let given = LENIENT_BASE64
        .decode(&sha256)
        .map_err(|_| malformed(format!("Content-Digest value is not base64: {sha256:?}")))?;
    if given.as_slice() == Sha256::digest(body).as_slice() {
        Ok(())
    } else {
        Err(SignatureError::DigestMismatch)
    }
}

fn parse_public_key(pem: &str) -> Result<RsaPublicKey> {
    let pem = normalize_pem(pem);
    let parsed = if pem.contains("BEGIN RSA PUBLIC KEY") {
        RsaPublicKey::from_pkcs1_pem(&pem).map_err(|e| e.to_string())
    } else {
        RsaPublicKey::from_public_key_pem(&pem).map_err(|e| e.to_string())
    };
    parsed.map_err(|e| {
        SignatureError::BadKey(format!("not an RSA public key in SPKI or PKCS#1 PEM: {e}"))
    })
}
