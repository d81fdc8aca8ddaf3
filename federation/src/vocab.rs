//! Vocabulary shared by every document Kogi serves: the JSON-LD context (Kogi's own terms
//! declared inline, never fetched), the public collection, media types, text helpers.

pub use crate::protocol::context::{context, AS_CONTEXT, SECURITY_CONTEXT};
/// The fixed IRI of Kogi's extension terms.
pub use crate::protocol::kogi::KOGI_NS;
pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";
pub const ACTIVITY_JSON: &str = "application/activity+json";
pub const LD_JSON: &str = "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"";

/// Does an `Accept` header ask for ActivityPub JSON?
pub fn wants_activity_json(accept: &str) -> bool {
    let a = accept.to_ascii_lowercase();
    a.contains("application/activity+json")
        || (a.contains("application/ld+json")
            && (a.contains("activitystreams") || !a.contains("profile=")))
}

pub use kogi_core::text::{escape_html, text_to_html};

/// HTML reduced to plain text: tags dropped (block ends become line breaks), entities decoded.
pub fn strip_html(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    let mut tag = String::new();
    for c in html.chars() {
        match (in_tag, c) {
            (false, '<') => {
                in_tag = true;
                tag.clear();
            }
            (true, '>') => {
                in_tag = false;
                let t = tag
                    .trim_start_matches('/')
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .to_ascii_lowercase();
                if t == "br" || (tag.starts_with('/') && t == "p") {
                    out.push('\n');
                }
            }
            (true, c) => tag.push(c),
            (false, c) => out.push(c),
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&apos;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_helpers() {
        assert_eq!(
            text_to_html("a <b>\nc\n\nd"),
            "<p>a &lt;b&gt;<br>c</p><p>d</p>"
        );
        assert_eq!(
            strip_html("<p>Hi &amp; <a href=\"x\">there</a></p><p>x</p>"),
            "Hi & there\nx"
        );
        assert!(wants_activity_json("application/activity+json"));
        assert!(wants_activity_json(
            "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\""
        ));
        assert!(!wants_activity_json("text/html,application/xhtml+xml"));
    }
}
