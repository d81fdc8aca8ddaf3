//! A received post-like object (`Note`, `Article`, `Page`, `Question`, media types, `Event`)
//! as typed fields. Peers differ in what they send: every field is optional, a field of an
//! unexpected shape counts as absent (as Mastodon treats it) rather than refusing the post,
//! and links may be a string, an object or an array of either.

use chrono::{DateTime, NaiveDateTime};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::protocol::lenient::{lenient, lenient_list, lenient_many};
pub use crate::protocol::lenient::{Link, Tag};

/// An attachment (`Document`, `Image`, …).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    #[serde(default)]
    pub url: Link,
    #[serde(default, deserialize_with = "lenient")]
    pub media_type: Option<String>,
    /// Alt text.
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
}

/// A collection's size as Mastodon gives it (`likes`, `shares`, a poll option's `replies`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Counted {
    #[serde(default, deserialize_with = "lenient")]
    pub total_items: Option<i64>,
}

impl Counted {
    pub fn count(c: &Option<Counted>) -> i32 {
        c.as_ref()
            .and_then(|c| c.total_items)
            .unwrap_or(0)
            .clamp(0, i32::MAX as i64) as i32
    }
}

/// A poll option of a `Question`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Choice {
    pub name: String,
    #[serde(default, deserialize_with = "lenient")]
    pub replies: Option<Counted>,
}

/// The fields of a received post Kogi reads.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IncomingPost {
    #[serde(default, deserialize_with = "lenient")]
    pub id: Option<String>,
    #[serde(rename = "type", default, deserialize_with = "lenient")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub attributed_to: Option<Link>,
    #[serde(default, deserialize_with = "lenient_many")]
    pub to: Vec<Link>,
    #[serde(default, deserialize_with = "lenient_many")]
    pub cc: Vec<Link>,
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub content: Option<String>,
    /// Content by language; the first is used when `content` is missing.
    #[serde(default, deserialize_with = "lenient")]
    pub content_map: Option<Map<String, Value>>,
    #[serde(default, deserialize_with = "lenient")]
    pub summary: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub sensitive: Option<bool>,
    #[serde(default, deserialize_with = "lenient")]
    pub url: Option<Link>,
    #[serde(default, deserialize_with = "lenient")]
    pub in_reply_to: Option<Link>,
    #[serde(default, deserialize_with = "lenient_many")]
    pub attachment: Vec<Attachment>,
    #[serde(default, deserialize_with = "lenient_many")]
    pub tag: Vec<Tag>,
    #[serde(default, deserialize_with = "lenient_list")]
    pub one_of: Option<Vec<Choice>>,
    #[serde(default, deserialize_with = "lenient_list")]
    pub any_of: Option<Vec<Choice>>,
    #[serde(default, deserialize_with = "lenient")]
    pub closed: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub end_time: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub published: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub updated: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub likes: Option<Counted>,
    #[serde(default, deserialize_with = "lenient")]
    pub shares: Option<Counted>,
}

/// An RFC 3339 time as stored.
pub fn time(s: &Option<String>) -> Option<NaiveDateTime> {
    s.as_deref()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|d| d.naive_utc())
}

impl IncomingPost {
    /// The addressees in `to` and `cc`, as ids.
    pub fn addressed(list: &[Link]) -> Vec<String> {
        Link::urls(list)
    }

    /// The text: `content`, else the first of `contentMap`.
    pub fn text(&self) -> Option<String> {
        self.content.clone().or_else(|| {
            self.content_map
                .as_ref()
                .and_then(|m| m.values().next())
                .and_then(Value::as_str)
                .map(str::to_string)
        })
    }

    /// The language of `contentMap`'s first entry.
    pub fn language(&self) -> Option<String> {
        self.content_map
            .as_ref()
            .and_then(|m| m.keys().next().cloned())
    }

    /// The `Hashtag` names, without `#`.
    pub fn hashtags(&self) -> Vec<String> {
        Tag::hashtags(&self.tag)
            .map(str::to_string)
            .take(32)
            .collect()
    }

    /// The `Mention` hrefs.
    pub fn mentions(&self) -> std::collections::BTreeSet<String> {
        self.tag
            .iter()
            .filter(|t| t.kind.as_deref() == Some("Mention"))
            .filter_map(|t| t.href.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn odd_shapes_count_as_absent_and_links_take_every_form() {
        let p: IncomingPost = serde_json::from_value(json!({
            "id": "https://x.example/n/1",
            "type": "Note",
            "attributedTo": [{"type": "Person", "id": "https://x.example/u"}],
            "to": "https://www.w3.org/ns/activitystreams#Public",
            "cc": [{"href": "https://x.example/u/followers"}, 7],
            "summary": 5,
            "sensitive": "yes",
            "contentMap": {"es": "<p>hola</p>"},
            "url": {"type": "Link", "href": "https://x.example/@u/1"},
            "attachment": {"type": "Image", "url": "https://x.example/a.png", "name": "alt"},
            "tag": [{"type": "Hashtag", "name": "#Wood"}, {"type": "Mention", "href": "https://k/u"}, "junk"],
            "likes": "https://x.example/n/1/likes",
            "shares": {"totalItems": 3}
        }))
        .expect("parses");
        assert_eq!(
            p.attributed_to.as_ref().and_then(Link::url).as_deref(),
            Some("https://x.example/u")
        );
        assert_eq!(
            IncomingPost::addressed(&p.cc),
            vec!["https://x.example/u/followers"]
        );
        assert_eq!((p.summary.clone(), p.sensitive), (None, None));
        assert_eq!(p.text().as_deref(), Some("<p>hola</p>"));
        assert_eq!(p.language().as_deref(), Some("es"));
        assert_eq!(p.hashtags(), vec!["Wood".to_string()]);
        assert!(p.mentions().contains("https://k/u"));
        assert_eq!(p.attachment.len(), 1);
        assert_eq!(
            p.attachment[0].url.url().as_deref(),
            Some("https://x.example/a.png")
        );
        assert_eq!(Counted::count(&p.likes), 0);
        assert_eq!(Counted::count(&p.shares), 3);
    }
}
