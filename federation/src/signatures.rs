//! HTTP Signatures (draft-cavage-http-signatures-12) as Mastodon signs and verifies them.
//!
//! Pure functions: no network, no database, no clock (the caller passes `now`). Kogi signs
//! every outgoing request with [`sign`] and runs [`parse_signature_header`] then [`verify`] in
//! its inbox pipeline and on signed fetches; finding the key by `keyId` is the caller's job
//! ([`key_owner_hint`] helps with the local lookup).
//!
//! What goes out (as Mastodon sends it):
//!
//! ```text
//! Date: Sun, 22 Nov 2026 10:00:00 GMT
//! Digest: SHA-256=<base64(sha256(body))>
//! Signature: keyId="https://kogi.example/users/alice#main-key",algorithm="rsa-sha256",
//!            headers="(request-target) host date digest",signature="<base64>"
//! ```
//!
//! What is accepted follows Mastodon's `SignedRequest` (`app/lib/signed_request.rb`), with
//! two deliberate differences: only *signed* timestamps count for the time window (Mastodon
//! also trusts an unsigned `created` parameter), and a covered header that is absent is an
//! error rather than an empty value.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
use rsa::pkcs1v15::{Signature as RsaSignature, SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::signature::{RandomizedSigner, SignatureEncoding, Verifier};
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha2::{Digest as _, Sha256};

/// Why a request could not be signed, or why a signature was refused. Every refusal maps to a
/// 401 in the inbox; the text is meant for logs and for the sender's error body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("request is not signed (no Signature header)")]
    Missing,
    #[error("malformed HTTP signature: {0}")]
    Malformed(String),
    #[error(
        "unsupported HTTP signature algorithm {0:?} (only rsa-sha256 and hs2019 are accepted)"
    )]
    UnsupportedAlgorithm(String),
    #[error("HTTP signature must cover {0}")]
    MissingCoveredHeader(String),
    #[error("HTTP signature covers {0}, but the request has no such header")]
    HeaderAbsent(String),
    #[error("HTTP signature covers the body digest, but the request has no Digest header")]
    DigestMissing,
    #[error("request body does not match its Digest header")]
    DigestMismatch,
    #[error("Digest header offers no SHA-256 digest (the only one accepted)")]
    UnsupportedDigest,
    #[error("HTTP signature is too old (signed more than the allowed age ago)")]
    TooOld,
    #[error("HTTP signature is dated in the future (beyond the allowed clock skew)")]
    FromFuture,
    #[error("HTTP signature has expired")]
    Expired,
    #[error("unusable public key: {0}")]
    BadKey(String),
    #[error("HTTP signature does not verify against the sender's key")]
    BadSignature,
    #[error("cannot sign request: {0}")]
    Signing(String),
}

type Result<T, E = SignatureError> = std::result::Result<T, E>;

const REQUEST_TARGET: &str = "(request-target)";
const CREATED: &str = "(created)";
const EXPIRES: &str = "(expires)";

// ---------------------------------------------------------------------------------------------
// Signing
// ---------------------------------------------------------------------------------------------

/// A request about to be sent.
#[derive(Debug, Clone, Copy)]
pub struct OutgoingRequest<'a> {
    /// HTTP method, any case (`"POST"`, `"GET"`).
    pub method: &'a str,
    pub url: &'a url::Url,
    /// The exact bytes that will be sent. A POST always gets a `Digest` (of the empty body when
    /// this is `None`), as Mastodon requires one.
    pub body: Option<&'a [u8]>,
    /// When given, `content-type` is signed too, so the request must then carry exactly this
    /// `Content-Type` (it is *not* among the headers [`sign`] returns: the caller sets it).
    pub content_type: Option<&'a str>,
}

/// Signs `req` with RSASSA-PKCS1-v1_5/SHA-256 as Mastodon does and returns the headers to add,
/// in this order: `Date`, `Host`, `Digest` (POST, or whenever there is a body), `Signature`.
///
/// Covered headers: `(request-target) host date` for a GET, `(request-target) host date digest`
/// for a POST, followed by `content-type` when [`OutgoingRequest::content_type`] is set.
/// `(request-target)` is the lower-case method and the path **with** the query (Mastodon checks
/// both forms). `Host` carries a non-default port (`http://localhost:8081` → `localhost:8081`).
/// `private_key_pem` may be PKCS#8 (`BEGIN PRIVATE KEY`) or PKCS#1 (`BEGIN RSA PRIVATE KEY`).
pub fn sign(
    req: &OutgoingRequest,
    key_id: &str,
    private_key_pem: &str,
    now: SystemTime,
) -> Result<Vec<(String, String)>> {
    if key_id.is_empty()
        || !key_id
            .chars()
            .all(|c| is_visible_ascii(c) && c != '"' && c != '\\')
    {
        return Err(SignatureError::Signing(format!(
            "keyId {key_id:?} must be a non-empty URI without quotes or backslashes"
        )));
    }
    if req.method.is_empty() || !req.method.chars().all(is_tchar) {
        return Err(SignatureError::Signing(format!(
            "invalid HTTP method {:?}",
            req.method
        )));
    }
    let host = host_header(req.url)?;
    let mut target = req.url.path().to_owned();
    if let Some(query) = req.url.query() {
        target.push('?');
        target.push_str(query);
    }
    let date = httpdate::fmt_http_date(now);

    let mut covered: Vec<(&str, String)> = vec![
        (
            REQUEST_TARGET,
            format!("{} {target}", req.method.to_ascii_lowercase()),
        ),
        ("host", host.clone()),
        ("date", date.clone()),
    ];
    let digest = if req.body.is_some() || req.method.eq_ignore_ascii_case("POST") {
        let hash = Sha256::digest(req.body.unwrap_or_default());
        let value = format!("SHA-256={}", STANDARD.encode(hash));
        covered.push(("digest", value.clone()));
        Some(value)
    } else {
        None
    };
    if let Some(content_type) = req.content_type {
        if content_type.is_empty() || content_type.chars().any(|c| c.is_control()) {
            return Err(SignatureError::Signing(format!(
                "invalid Content-Type {content_type:?}"
            )));
        }
        covered.push(("content-type", content_type.to_owned()));
    }

    let signing_string = covered
        .iter()
        .map(|(name, value)| format!("{name}: {value}"))
        .collect::<Vec<_>>()
        .join("\n");
    let key = parse_private_key(private_key_pem)?;
    // Blinded signing (the RNG only masks the private-key operation; PKCS#1 v1.5 signatures
    // themselves are deterministic).
    let signature = SigningKey::<Sha256>::new(key)
        .try_sign_with_rng(&mut rand::thread_rng(), signing_string.as_bytes())
        .map_err(|e| SignatureError::Signing(format!("RSA signing failed: {e}")))?;
    let names = covered
        .iter()
        .map(|(name, _)| *name)
        .collect::<Vec<_>>()
        .join(" ");
    let signature_header = format!(
        "keyId=\"{key_id}\",algorithm=\"rsa-sha256\",headers=\"{names}\",signature=\"{}\"",
        STANDARD.encode(signature.to_bytes())
    );

    let mut headers = vec![("Date".to_owned(), date), ("Host".to_owned(), host)];
    if let Some(digest) = digest {
        headers.push(("Digest".to_owned(), digest));
    }
    headers.push(("Signature".to_owned(), signature_header));
    Ok(headers)
}

/// `host[:port]` as the `Host` header carries it: the port only when it is not the scheme's
/// default (the `url` crate already drops default ports).
fn host_header(url: &url::Url) -> Result<String> {
    let host = url
        .host_str()
        .ok_or_else(|| SignatureError::Signing(format!("URL {url} has no host")))?;
    Ok(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

fn parse_private_key(pem: &str) -> Result<RsaPrivateKey> {
    let pem = normalize_pem(pem);
    let parsed = if pem.contains("BEGIN RSA PRIVATE KEY") {
        RsaPrivateKey::from_pkcs1_pem(&pem).map_err(|e| e.to_string())
    } else {
        RsaPrivateKey::from_pkcs8_pem(&pem).map_err(|e| e.to_string())
    };
    parsed.map_err(|e| {
        SignatureError::Signing(format!(
            "private key is not a PKCS#8 or PKCS#1 RSA PEM: {e}"
        ))
    })
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

/// The parameters of a `Signature` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureParams {
    pub key_id: String,
    /// As sent; `None` means hs2019 (Mastodon's default).
    pub algorithm: Option<String>,
    /// Covered headers, lower-cased, in signing order. When the header has no `headers`
    /// parameter this is the default: `(created)` for hs2019 (or no algorithm), `date` otherwise.
    pub headers: Vec<String>,
    /// The decoded signature bytes.
    pub signature: Vec<u8>,
    pub created: Option<i64>,
    pub expires: Option<i64>,
}

/// Parses a `Signature:` header value: comma-separated `name=value` parameters, values quoted
/// strings or tokens, optional whitespace around `,` and `=`. Also accepts the `Signature `
/// prefix of the `Authorization: Signature ...` form (and of old node-http-signature).
/// Parameter names are matched case-insensitively, unknown ones are ignored, repeated ones are
/// refused. `keyId` and `signature` are required; `signature` must be base64.
pub fn parse_signature_header(value: &str) -> Result<SignatureParams> {
    let mut rest = value.trim();
    if rest.is_empty() {
        return Err(SignatureError::Missing);
    }
    if let Some(prefix) = rest.get(..10) {
        if prefix.eq_ignore_ascii_case("signature ") {
            rest = rest[10..].trim_start();
        }
    }
    let params = parse_params(rest)?;
    let get = |name: &str| {
        params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };

    let key_id = match get("keyId") {
        Some(k) if !k.is_empty() => k.to_owned(),
        Some(_) => return Err(malformed("keyId is empty")),
        None => return Err(malformed("keyId parameter missing")),
    };
    let signature = match get("signature") {
        Some(s) if !s.is_empty() => LENIENT_BASE64
            .decode(s)
            .map_err(|e| malformed(format!("signature is not valid base64 ({e})")))?,
        Some(_) => return Err(malformed("signature is empty")),
        None => return Err(malformed("signature parameter missing")),
    };
    if signature.is_empty() {
        return Err(malformed("signature is empty"));
    }
    let algorithm = get("algorithm").map(str::to_owned);
    let headers = match get("headers") {
        Some(list) => list
            .split_ascii_whitespace()
            .map(|h| h.to_ascii_lowercase())
            .collect(),
        None => {
            let hs2019 = algorithm
                .as_deref()
                .is_none_or(|a| a.eq_ignore_ascii_case("hs2019"));
            vec![if hs2019 { CREATED } else { "date" }.to_owned()]
        }
    };
    let created = get("created")
        .map(|v| parse_timestamp("created", v))
        .transpose()?;
    let expires = get("expires")
        .map(|v| parse_timestamp("expires", v))
        .transpose()?;
    Ok(SignatureParams {
        key_id,
        algorithm,
        headers,
        signature,
        created,
        expires,
    })
}

/// Standard alphabet, padding optional (some senders strip it).
const LENIENT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

fn malformed(message: impl Into<String>) -> SignatureError {
    SignatureError::Malformed(message.into())
}

/// draft-cavage-12 §2.1.4 and §2.1.5: integer Unix timestamps, no sub-second precision.
fn parse_timestamp(name: &str, value: &str) -> Result<i64> {
    value
        .parse::<i64>()
        .map_err(|_| malformed(format!("{name} is not an integer Unix time: {value:?}")))
}

fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

fn is_visible_ascii(c: char) -> bool {
    c.is_ascii_graphic()
}

fn is_ows(c: char) -> bool {
    c == ' ' || c == '\t'
}

fn parse_params(input: &str) -> Result<Vec<(String, String)>> {
    let mut params: Vec<(String, String)> = Vec::new();
    let mut rest = input;
    loop {
        rest = rest.trim_start_matches(is_ows);
        // Empty list elements are allowed (RFC 9110 §5.6.1), e.g. a trailing comma.
        if let Some(after) = rest.strip_prefix(',') {
            rest = after;
            continue;
        }
        let Some(first) = rest.chars().next() else {
            break;
        };
        let name_len = rest.find(|c| !is_tchar(c)).unwrap_or(rest.len());
        if name_len == 0 {
            return Err(malformed(format!(
                "unexpected character {first:?} where a parameter name was expected"
            )));
        }
        let name = &rest[..name_len];
        rest = rest[name_len..].trim_start_matches(is_ows);
        rest = rest
            .strip_prefix('=')
            .ok_or_else(|| malformed(format!("parameter {name} has no value")))?
            .trim_start_matches(is_ows);

        let value = if let Some(quoted) = rest.strip_prefix('"') {
            let mut value = String::new();
            let mut end = None;
            let mut chars = quoted.char_indices();
            while let Some((i, c)) = chars.next() {
                match c {
                    '"' => {
                        end = Some(i + 1);
                        break;
                    }
                    '\\' => match chars.next() {
                        Some((_, escaped)) if !escaped.is_control() || escaped == '\t' => {
                            value.push(escaped)
                        }
                        _ => break,
                    },
                    c if c.is_control() && c != '\t' => {
                        return Err(malformed(format!(
                            "control character in the value of {name}"
                        )))
                    }
                    c => value.push(c),
                }
            }
            let end =
                end.ok_or_else(|| malformed(format!("unterminated quoted value for {name}")))?;
            rest = &quoted[end..];
            value
        } else {
            let len = rest.find(|c| !is_tchar(c)).unwrap_or(rest.len());
            if len == 0 {
                return Err(malformed(format!("parameter {name} has an empty value")));
            }
            let value = rest[..len].to_owned();
            rest = &rest[len..];
            value
        };

        rest = rest.trim_start_matches(is_ows);
        if !rest.is_empty() && !rest.starts_with(',') {
            return Err(malformed(format!(
                "unexpected text after the value of {name}"
            )));
        }
        if params.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
            return Err(malformed(format!("parameter {name} given twice")));
        }
        params.push((name.to_owned(), value));
    }
    if params.is_empty() {
        return Err(malformed("no parameters"));
    }
    Ok(params)
}

// ---------------------------------------------------------------------------------------------
// Verification
// ---------------------------------------------------------------------------------------------

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

fn signing_string(
    req: &IncomingRequest,
    params: &SignatureParams,
    covered: &[String],
    target: &str,
) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    for (i, name) in covered.iter().enumerate() {
        if i > 0 {
            out.push(b'\n');
        }
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        match name.as_str() {
            REQUEST_TARGET => {
                out.extend_from_slice(req.method.to_ascii_lowercase().as_bytes());
                out.push(b' ');
                out.extend_from_slice(target.as_bytes());
            }
            CREATED => {
                let created = params
                    .created
                    .ok_or_else(|| SignatureError::HeaderAbsent(CREATED.to_owned()))?;
                out.extend_from_slice(created.to_string().as_bytes());
            }
            EXPIRES => {
                let expires = params
                    .expires
                    .ok_or_else(|| SignatureError::HeaderAbsent(EXPIRES.to_owned()))?;
                out.extend_from_slice(expires.to_string().as_bytes());
            }
            _ => out.extend_from_slice(&header_value(req.headers, name)?),
        }
    }
    Ok(out)
}

/// A header's value as signed: every instance, trimmed, joined with `, ` (draft-cavage §2.3).
fn header_value(headers: &http::HeaderMap, name: &str) -> Result<Vec<u8>> {
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
fn check_digest(headers: &http::HeaderMap, body: &[u8]) -> Result<()> {
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
fn check_content_digest(headers: &http::HeaderMap, body: &[u8]) -> Result<()> {
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

/// Trims the PEM and turns CRLF into LF (keys copied from actor JSON come in many shapes).
fn normalize_pem(pem: &str) -> String {
    pem.trim().replace("\r\n", "\n")
}

fn unix_seconds(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => duration_seconds(d),
        Err(e) => duration_seconds(e.duration()).saturating_neg(),
    }
}

fn duration_seconds(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

/// The probable owner of a key, for a local lookup before fetching: the `keyId` without its
/// fragment (`https://h/users/a#main-key` → `https://h/users/a`), or without a trailing
/// `/main-key` segment (GoToSocial's form). Only a hint: the fetched key's `owner` decides.
pub fn key_owner_hint(key_id: &str) -> String {
    if let Some((owner, _fragment)) = key_id.split_once('#') {
        return owner.to_owned();
    }
    key_id
        .strip_suffix("/main-key")
        .unwrap_or(key_id)
        .to_owned()
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderMap, HeaderName, HeaderValue};
    use rsa::pkcs1::EncodeRsaPublicKey;
    use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
    use rsa::signature::Signer;
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

    // --- refusals ---

    #[test]
    fn wrong_key_is_refused() {
        let s = post();
        let err = verify(
            &s.request(),
            &s.params(),
            &other_key().public_pem,
            t0(),
            &VerifyPolicy::default(),
        );
        assert_eq!(err, Err(SignatureError::BadSignature));
    }

    #[test]
    fn garbage_key_is_refused() {
        let s = post();
        for pem in [
            "",
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
        ] {
            let err = verify(
                &s.request(),
                &s.params(),
                pem,
                t0(),
                &VerifyPolicy::default(),
            );
            assert!(matches!(err, Err(SignatureError::BadKey(_))), "{err:?}");
        }
    }

    #[test]
    fn tampered_body_is_a_digest_mismatch() {
        let mut s = post();
        s.body = Some(br#"{"type":"Delete"}"#.to_vec());
        assert_eq!(s.verify_at(t0()), Err(SignatureError::DigestMismatch));
    }

    #[test]
    fn tampered_digest_header_breaks_the_signature() {
        let mut s = post();
        s.body = Some(b"other".to_vec());
        let digest = format!("SHA-256={}", STANDARD.encode(Sha256::digest(b"other")));
        s.headers
            .insert("digest", HeaderValue::from_str(&digest).unwrap());
        assert_eq!(s.verify_at(t0()), Err(SignatureError::BadSignature));
    }

    #[test]
    fn missing_digest_header_on_post_is_refused() {
        let mut s = post();
        s.headers.remove("digest");
        assert_eq!(s.verify_at(t0()), Err(SignatureError::DigestMissing));
    }

    #[test]
    fn post_must_cover_digest() {
        let sig = hand_signed(
            key(),
            Some("rsa-sha256"),
            &[
                ("(request-target)", "post /users/bob/inbox"),
                ("host", "localhost:8082"),
                ("date", DATE),
            ],
            "",
        );
        let s = hand_request(
            "POST",
            "/users/bob/inbox",
            &[
                ("host", "localhost:8082"),
                ("date", DATE),
                ("digest", &post_digest()),
            ],
            sig,
            Some(BODY),
        );
        assert_eq!(
            s.verify_at(t0()),
            Err(SignatureError::MissingCoveredHeader("digest".into()))
        );
    }

    #[test]
    fn get_must_cover_host() {
        let sig = hand_signed(
            key(),
            Some("rsa-sha256"),
            &[("(request-target)", "get /users/bob"), ("date", DATE)],
            "",
        );
        let s = hand_request(
            "GET",
            "/users/bob",
            &[("host", "localhost:8082"), ("date", DATE)],
            sig,
            None,
        );
        assert_eq!(
            s.verify_at(t0()),
            Err(SignatureError::MissingCoveredHeader("host".into()))
        );
    }

    #[test]
    fn date_or_created_must_be_covered() {
        let sig = hand_signed(
            key(),
            Some("rsa-sha256"),
            &[
                ("(request-target)", "get /users/bob"),
                ("host", "localhost:8082"),
            ],
            "",
        );
        let s = hand_request(
            "GET",
            "/users/bob",
            &[("host", "localhost:8082"), ("date", DATE)],
            sig,
            None,
        );
        assert_eq!(
            s.verify_at(t0()),
            Err(SignatureError::MissingCoveredHeader(
                "date or (created)".into()
            ))
        );
    }

    #[test]
    fn request_target_or_digest_must_be_covered() {
        let sig = hand_signed(
            key(),
            Some("rsa-sha256"),
            &[("host", "localhost:8082"), ("date", DATE)],
            "",
        );
        let s = hand_request(
            "GET",
            "/users/bob",
            &[("host", "localhost:8082"), ("date", DATE)],
            sig,
            None,
        );
        assert_eq!(
            s.verify_at(t0()),
            Err(SignatureError::MissingCoveredHeader(
                "(request-target) or digest".into()
            ))
        );
    }

    #[test]
    fn default_headers_date_for_rsa_sha256_is_too_weak() {
        // No `headers` parameter: rsa-sha256 covers only `date`, which Mastodon refuses.
        let params = parse_signature_header(&format!(
            "keyId=\"{KEY_ID}\",algorithm=\"rsa-sha256\",signature=\"AAAA\""
        ))
        .unwrap();
        assert_eq!(params.headers, ["date"]);
        let s = get();
        let err = verify(
            &s.request(),
            &params,
            &key().public_pem,
            t0(),
            &VerifyPolicy::default(),
        );
        assert_eq!(
            err,
            Err(SignatureError::MissingCoveredHeader(
                "(request-target) or digest".into()
            ))
        );
    }

    #[test]
    fn stale_date_is_refused() {
        assert_eq!(
            post().verify_at(t0() + Duration::from_secs(2 * 3600)),
            Err(SignatureError::TooOld)
        );
    }

    #[test]
    fn future_date_is_refused() {
        assert_eq!(
            get().verify_at(t0() - Duration::from_secs(2 * 3600)),
            Err(SignatureError::FromFuture)
        );
    }

    #[test]
    fn policy_is_configurable() {
        let s = post();
        let strict = VerifyPolicy {
            max_age: Duration::from_secs(60),
            max_future: Duration::from_secs(10),
            ..VerifyPolicy::default()
        };
        let at = |now| verify(&s.request(), &s.params(), &key().public_pem, now, &strict);
        at(t0() + Duration::from_secs(60)).unwrap();
        assert_eq!(
            at(t0() + Duration::from_secs(61)),
            Err(SignatureError::TooOld)
        );
        at(t0() - Duration::from_secs(10)).unwrap();
        assert_eq!(
            at(t0() - Duration::from_secs(11)),
            Err(SignatureError::FromFuture)
        );
    }

    #[test]
    fn missing_or_bad_date_header_is_refused() {
        let mut s = get();
        s.headers.remove("date");
        assert_eq!(
            s.verify_at(t0()),
            Err(SignatureError::HeaderAbsent("date".into()))
        );
        s.headers
            .insert("date", HeaderValue::from_static("yesterday"));
        assert!(matches!(
            s.verify_at(t0()),
            Err(SignatureError::Malformed(_))
        ));
    }

    #[test]
    fn tampered_path_is_refused() {
        let mut s = post();
        s.path = "/users/carol/inbox".to_owned();
        assert_eq!(s.verify_at(t0()), Err(SignatureError::BadSignature));
        let mut s = get();
        s.path = "/users/bob?x=1".to_owned();
        assert_eq!(
            s.verify_at(t0()),
            Err(SignatureError::BadSignature),
            "an added query is not covered by a signature of the bare path"
        );
        s.path = "/users/bobby".to_owned();
        assert_eq!(s.verify_at(t0()), Err(SignatureError::BadSignature));
    }

    #[test]
    fn tampered_method_or_host_is_refused() {
        let mut s = get();
        s.headers
            .insert("host", HeaderValue::from_static("evil.example"));
        assert_eq!(s.verify_at(t0()), Err(SignatureError::BadSignature));
        let mut s = post();
        s.method = "PUT";
        assert_eq!(s.verify_at(t0()), Err(SignatureError::BadSignature));
    }

    #[test]
    fn a_signature_without_the_query_does_not_cover_a_request_with_one() {
        // A signature for the bare path must not open the same path with a query (page 2 of
        // a members-only collection, say).
        let sig = hand_signed(
            key(),
            Some("rsa-sha256"),
            &[
                ("(request-target)", "get /users/bob/outbox"),
                ("host", "localhost:8082"),
                ("date", DATE),
            ],
            "",
        );
        let s = hand_request(
            "GET",
            "/users/bob/outbox?page=true",
            &[("host", "localhost:8082"), ("date", DATE)],
            sig,
            None,
        );
        assert_eq!(s.verify_at(t0()), Err(SignatureError::BadSignature));
    }

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
        let at = |now, policy: &VerifyPolicy| {
            verify(&s.request(), &params, &key().public_pem, now, policy)
        };
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
        assert!(
            matches!(s.verify_at(t0()), Err(SignatureError::Malformed(m)) if m.contains("hs2019"))
        );
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
        let p =
            parse_signature_header(r#"keyId="k",algorithm="rsa-sha256",signature="AQID""#).unwrap();
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
        check_fixture(include_str!("../tests-fixtures/bovine_post.json")).unwrap();
    }

    #[test]
    fn bovine_signed_post_with_content_digest_verifies() {
        check_fixture(include_str!(
            "../tests-fixtures/bovine_post_content_digest.json"
        ))
        .unwrap();
    }

    #[test]
    fn bovine_signed_get_with_query_verifies() {
        check_fixture(include_str!("../tests-fixtures/bovine_get.json")).unwrap();
    }

    #[test]
    fn bovine_signed_post_with_tampered_body_is_refused() {
        let mut f: Fixture =
            serde_json::from_str(include_str!("../tests-fixtures/bovine_post.json")).unwrap();
        f.body = Some(f.body.unwrap_or_default().replace("Follow", "Delete"));
        assert_eq!(
            check_fixture(&serde_json::to_string(&f).unwrap()),
            Err(SignatureError::DigestMismatch)
        );
    }

    #[test]
    fn committed_kogi_fixtures_still_verify() {
        check_fixture(include_str!("../tests-fixtures/kogi_post.json")).unwrap();
        check_fixture(include_str!("../tests-fixtures/kogi_get.json")).unwrap();
        check_fixture(include_str!("../tests-fixtures/kogi_get_query.json")).unwrap();
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
}
