//! HTTP Signatures (draft-cavage-http-signatures-12) as Mastodon signs and verifies them.
//!
//! Pure functions: no network, no database, no clock (the caller passes `now`). Kogi signs
//! every outgoing request with [`sign`] and runs [`parse_signature_header`] then [`verify`] in
//! its inbox pipeline and on signed fetches; finding the key by `keyId` is the caller's job
//! ([`key_owner_hint`] helps with the local lookup).
//!
//! The signing string (both directions) comes from `http-signature-normalization`; the
//! `Signature` header is still parsed here, because the crate's parser misreads headers that
//! Mastodon accepts (see `tests/normalization.rs`), and the time window and digest checks are
//! Kogi's own (the crate checks only age, against the wall clock).
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

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use http_signature_normalization::verify::ParsedHeader;

mod parse;
mod sign;
mod verify;

pub use parse::{parse_signature_header, SignatureParams};
pub use sign::{sign, OutgoingRequest};
#[cfg(test)]
use verify::{check_content_digest, check_digest, header_value};
pub use verify::{verify, IncomingRequest, VerifyPolicy};

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

/// Standard alphabet, padding optional (some senders strip it).
const LENIENT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

fn malformed(message: impl Into<String>) -> SignatureError {
    SignatureError::Malformed(message.into())
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

/// The draft-cavage signing string, built by `http-signature-normalization`: one
/// `name: value` line per `covered` name, in that order, `(request-target)` from `method` and
/// `path_and_query`. `values` holds every other covered name (lower case) with its value as
/// signed, including `(created)`/`(expires)` as Unix seconds. Signing and verifying both use it,
/// so both sides build the same bytes.
///
/// The crate's own header parser and time checks are not used (see [`parse_signature_header`]
/// and [`verify`] for why); it is handed a neutral header naming only the covered list, and a
/// covered name without a value is refused instead of being skipped.
pub(crate) fn signing_string(
    method: &str,
    path_and_query: &str,
    covered: &[String],
    mut values: BTreeMap<String, String>,
) -> Result<String> {
    for (i, name) in covered.iter().enumerate() {
        // The crate would sign a repeated name once and skip the repeat.
        if covered[..i].contains(name) {
            return Err(malformed(format!("{name} is covered twice")));
        }
        let known = name == REQUEST_TARGET || values.contains_key(name);
        if !known || name.contains([',', '"']) || name.chars().any(char::is_whitespace) {
            return Err(SignatureError::HeaderAbsent(name.clone()));
        }
    }
    let neutral = format!(
        "keyId=\"-\",signature=\"-\",headers=\"{}\"",
        covered.join(" ")
    );
    let parsed: ParsedHeader = neutral
        .parse()
        .map_err(|e| malformed(format!("signing string: {e}")))?;
    let required: HashSet<String> = covered.iter().cloned().collect();
    let unvalidated = parsed
        .into_unvalidated(method, path_and_query, &mut values, required)
        .map_err(|e| {
            let missing = e.headers().iter().next().cloned().unwrap_or_default();
            SignatureError::HeaderAbsent(missing)
        })?;
    // Time checks are Kogi's own (signed timestamps only, against the caller's clock), so the
    // crate's are given nothing to refuse: no `created`/`expires` parameters, and an
    // expiration far beyond any `Date`.
    let unverified = unvalidated
        .validate(NO_EXPIRY)
        .map_err(|e| malformed(format!("signing string: {e}")))?;
    Ok(unverified.signing_string().to_owned())
}

/// Larger than any real signature's age, small enough not to overflow a `SystemTime`.
const NO_EXPIRY: Duration = Duration::from_secs(1000 * 365 * 24 * 3600);

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

#[cfg(test)]
mod tests;
