//! CSRF protection for every state-changing page request, as one middleware instead of a
//! check in each handler. Every form of the pages carries the `csrf_token` the page was
//! rendered with (the `kogi_csrf` cookie's value, double-submitted); a POST whose form does
//! not carry it, or whose cookie is missing, is answered 403 with the themed error page
//! before any handler runs. URL-encoded and multipart forms are read alike (an upload's
//! token may come before or after its file); the body, read once within the route's size
//! limit, is handed on unchanged.

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::WebError;
use crate::ctx::{cookie, CSRF_COOKIE};

/// The form field holding the token.
const FIELD: &str = "csrf_token";

/// Is `t` a token this instance could have issued (see `WebCtx`)?
fn well_formed(t: &str) -> bool {
    t.len() >= 32
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The middleware; `limit` is the body size the routes behind it accept.
pub async fn require_token(State(limit): State<usize>, req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let Some(expected) = cookie(req.headers(), CSRF_COOKIE).filter(|t| well_formed(t)) else {
        return WebError::Csrf.into_response();
    };
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(b) => b,
        Err(_) => return WebError::PayloadTooLarge.into_response(),
    };
    let submitted = submitted_token(&content_type, bytes.clone()).await;
    let matches = submitted
        .as_deref()
        .is_some_and(|s| kogi_core::tokens::constant_time_eq(s, &expected));
    if !matches {
        return WebError::Csrf.into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// The token a form body carries, by its content type.
async fn submitted_token(content_type: &str, body: Bytes) -> Option<String> {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "application/x-www-form-urlencoded" => url::form_urlencoded::parse(&body)
            .find(|(k, _)| k == FIELD)
            .map(|(_, v)| v.into_owned()),
        "multipart/form-data" => {
            let boundary = multer::parse_boundary(content_type).ok()?;
            let stream = futures_util::stream::once(async move { Ok::<_, std::io::Error>(body) });
            let mut form = multer::Multipart::new(stream, boundary);
            while let Ok(Some(field)) = form.next_field().await {
                if field.name() == Some(FIELD) {
                    return field.text().await.ok();
                }
            }
            None
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_token_is_found_in_both_kinds_of_form() {
        let t = "a".repeat(40);
        let url = format!("title=x&csrf_token={t}&b=2");
        assert_eq!(
            submitted_token("application/x-www-form-urlencoded", Bytes::from(url)).await,
            Some(t.clone())
        );
        let multipart = format!(
            "--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\
             Content-Type: image/png\r\n\r\n\x01\x02\r\n--XX\r\nContent-Disposition: form-data; \
             name=\"csrf_token\"\r\n\r\n{t}\r\n--XX--\r\n"
        );
        assert_eq!(
            submitted_token("multipart/form-data; boundary=XX", Bytes::from(multipart)).await,
            Some(t)
        );
        assert_eq!(
            submitted_token("application/json", Bytes::from("{}")).await,
            None
        );
        assert!(!well_formed("short") && well_formed(&"b".repeat(32)));
    }
}
