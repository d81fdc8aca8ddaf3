//! Parsing the `Signature` header.

use base64::Engine as _;

use super::{is_ows, is_tchar, malformed, Result, SignatureError, CREATED, LENIENT_BASE64};

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

/// draft-cavage-12 §2.1.4 and §2.1.5: integer Unix timestamps, no sub-second precision.
fn parse_timestamp(name: &str, value: &str) -> Result<i64> {
    value
        .parse::<i64>()
        .map_err(|_| malformed(format!("{name} is not an integer Unix time: {value:?}")))
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
