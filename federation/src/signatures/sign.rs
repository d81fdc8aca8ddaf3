//! Signing outgoing requests.

use std::time::SystemTime;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{RandomizedSigner, SignatureEncoding};
use rsa::RsaPrivateKey;
use sha2::{Digest as _, Sha256};

use super::{is_tchar, is_visible_ascii, normalize_pem, Result, SignatureError, REQUEST_TARGET};

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
        (REQUEST_TARGET, String::new()),
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

    let names: Vec<String> = covered.iter().map(|(name, _)| (*name).to_owned()).collect();
    let values = covered
        .iter()
        .skip(1)
        .map(|(name, value)| ((*name).to_owned(), value.clone()))
        .collect();
    let signing_string = super::signing_string(req.method, &target, &names, values)
        .map_err(|e| SignatureError::Signing(e.to_string()))?;
    let key = parse_private_key(private_key_pem)?;
    // Blinded signing (the RNG only masks the private-key operation; PKCS#1 v1.5 signatures
    // themselves are deterministic).
    let signature = SigningKey::<Sha256>::new(key)
        .try_sign_with_rng(&mut rand::thread_rng(), signing_string.as_bytes())
        .map_err(|e| SignatureError::Signing(format!("RSA signing failed: {e}")))?;
    let names = names.join(" ");
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
