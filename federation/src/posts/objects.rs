//! Posts as `Note`s: sanitising, addressing, visibility, the document built for a post.

use std::collections::BTreeSet;

use chrono::NaiveDateTime;
use kogi_core::accounts::Actor;
use kogi_core::posts::{Post, Visibility};
use serde_json::{json, Value};

use crate::vocab::{escape_html, AS_CONTEXT, PUBLIC};

/// HTML as Mastodon keeps it (since 4.2), links made safe.
pub fn sanitise(html: &str) -> String {
    ammonia::Builder::default()
        .tags(
            [
                "p",
                "span",
                "br",
                "a",
                "del",
                "pre",
                "code",
                "em",
                "strong",
                "b",
                "i",
                "u",
                "ul",
                "ol",
                "li",
                "blockquote",
            ]
            .into_iter()
            .collect(),
        )
        .link_rel(Some("nofollow noopener noreferrer"))
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .add_tag_attributes("a", ["class"])
        .add_tag_attributes("span", ["class"])
        .clean(html)
        .to_string()
}

/// The addressing of a post: (to, cc).
pub fn addressing(
    visibility: Visibility,
    followers_url: &str,
    mentioned: &[String],
) -> (Vec<String>, Vec<String>) {
    let m = mentioned.to_vec();
    match visibility {
        Visibility::Public => (
            vec![PUBLIC.into()],
            [vec![followers_url.to_string()], m].concat(),
        ),
        Visibility::Unlisted => (
            vec![followers_url.to_string()],
            [vec![PUBLIC.to_string()], m].concat(),
        ),
        Visibility::Followers => (vec![followers_url.to_string()], m),
        Visibility::Direct => (m, vec![]),
    }
}

fn is_public(s: &str) -> bool {
    s == PUBLIC || s == "as:Public" || s == "Public"
}

/// Visibility from addressing, as Mastodon infers it: Public in `to` → public; Public in
/// `cc` → unlisted; the author's followers without Public → followers-only; else direct.
pub fn infer_visibility(to: &[String], cc: &[String], followers_url: Option<&str>) -> Visibility {
    if to.iter().any(|s| is_public(s)) {
        Visibility::Public
    } else if cc.iter().any(|s| is_public(s)) {
        Visibility::Unlisted
    } else if followers_url.is_some_and(|f| to.iter().chain(cc).any(|s| s == f)) {
        Visibility::Followers
    } else {
        Visibility::Direct
    }
}

fn iso(t: NaiveDateTime) -> String {
    t.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A post as a `Note` (or its stored kind) with `likes`/`shares` counts.
pub fn note_json(post: &Post, author: &Actor, mentioned: &[Actor]) -> Value {
    let followers = author
        .followers_url
        .clone()
        .unwrap_or_else(|| format!("{}/followers", author.ap_id));
    let mention_ids: Vec<String> = mentioned.iter().map(|a| a.ap_id.clone()).collect();
    let (to, cc) = addressing(post.visibility(), &followers, &mention_ids);
    let mut tags: Vec<Value> = mentioned
        .iter()
        .map(|a| json!({"type": "Mention", "href": a.ap_id, "name": format!("@{}@{}", a.handle, a.host)}))
        .collect();
    let base = author
        .ap_id
        .rsplit_once("/users/")
        .map(|(b, _)| b.to_string())
        .unwrap_or_default();
    for t in post.tags() {
        tags.push(json!({"type": "Hashtag", "href": format!("{base}/tags/{}", t.to_lowercase()), "name": format!("#{t}")}));
    }
    let mut doc = json!({
        "@context": [AS_CONTEXT, {"sensitive": "as:sensitive", "Hashtag": "as:Hashtag"}],
        "id": post.ap_id,
        "type": if post.kind == "Question" { "Question" } else { "Note" },
        "attributedTo": author.ap_id,
        "content": post.content_html,
        "published": iso(post.published_at),
        "url": post.url.clone().unwrap_or_else(|| post.ap_id.clone()),
        "to": to,
        "cc": cc,
        "sensitive": post.sensitive,
        "summary": post.summary,
        "inReplyTo": post.in_reply_to_ap_id,
        "tag": tags,
        "attachment": post.attachments().iter().map(|a| json!({
            "type": "Document", "url": a.url, "mediaType": a.media_type, "name": a.description,
        })).collect::<Vec<_>>(),
        "likes": {"id": format!("{}/likes", post.ap_id), "type": "Collection", "totalItems": post.like_count},
        "shares": {"id": format!("{}/shares", post.ap_id), "type": "Collection", "totalItems": post.announce_count},
        "replies": {"id": format!("{}/replies", post.ap_id), "type": "Collection", "totalItems": post.reply_count},
    });
    if let Some(lang) = &post.language {
        doc["contentMap"] = json!({ lang.clone(): post.content_html });
    }
    if let Some(e) = post.edited_at {
        doc["updated"] = json!(iso(e));
    }
    doc
}

/// Wraps an object in an activity with the object's addressing.
pub fn wrap(kind: &str, id: &str, actor: &str, object: &Value) -> Value {
    json!({
        "@context": AS_CONTEXT,
        "id": id,
        "type": kind,
        "actor": actor,
        "published": object.get("published").cloned().unwrap_or(Value::Null),
        "to": object.get("to").cloned().unwrap_or(json!([])),
        "cc": object.get("cc").cloned().unwrap_or(json!([])),
        "object": object,
    })
}

/// Text a person typed, as HTML: paragraphs, line breaks, links for URLs, mentions and tags.
pub fn compose_html(text: &str, mentions: &[(String, Actor)], base: &str) -> String {
    let mut paragraphs = Vec::new();
    for para in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        let lines: Vec<String> = para
            .lines()
            .map(|line| {
                line.split(' ')
                    .map(|word| {
                        if let Some((_, a)) = mentions.iter().find(|(w, _)| w == word.trim_end_matches([',', '.', '!', '?', ':'])) {
                            let url = a.profile_url.clone().unwrap_or_else(|| a.ap_id.clone());
                            let rest = &word[word.trim_end_matches([',', '.', '!', '?', ':']).len()..];
                            format!(
                                "<span class=\"h-card\"><a href=\"{}\" class=\"u-url mention\">@<span>{}</span></a></span>{}",
                                escape_html(&url),
                                escape_html(&a.handle),
                                escape_html(rest)
                            )
                        } else if let Some(tag) = word.strip_prefix('#').filter(|t| !t.is_empty() && t.chars().all(|c| c.is_alphanumeric() || c == '_')) {
                            format!(
                                "<a href=\"{base}/tags/{}\" class=\"mention hashtag\" rel=\"tag\">#<span>{}</span></a>",
                                escape_html(&tag.to_lowercase()),
                                escape_html(tag)
                            )
                        } else if word.starts_with("https://") || word.starts_with("http://") {
                            let w = escape_html(word);
                            format!("<a href=\"{w}\" rel=\"nofollow noopener noreferrer\" target=\"_blank\">{w}</a>")
                        } else {
                            escape_html(word)
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        paragraphs.push(format!("<p>{}</p>", lines.join("<br>")));
    }
    paragraphs.concat()
}

/// `@user@host` and `@user` words of a text, and `#tags`.
pub fn scan(text: &str) -> (Vec<String>, Vec<String>) {
    let mut mentions = BTreeSet::new();
    let mut tags = Vec::new();
    for word in text.split_whitespace() {
        let w = word.trim_end_matches([',', '.', '!', '?', ':', ';', ')']);
        if let Some(rest) = w.strip_prefix('@') {
            if !rest.is_empty()
                && rest
                    .chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, '_' | '@' | '.' | '-' | ':'))
            {
                mentions.insert(w.to_string());
            }
        } else if let Some(tag) = w.strip_prefix('#') {
            if !tag.is_empty()
                && tag.chars().all(|c| c.is_alphanumeric() || c == '_')
                && !tags.iter().any(|t: &String| t.eq_ignore_ascii_case(tag))
            {
                tags.push(tag.to_string());
            }
        }
    }
    (mentions.into_iter().collect(), tags)
}

/// Object types stored as posts. Others (and Mastodon-invisible ones) are ignored.
pub const POST_TYPES: &[&str] = &[
    "Note", "Question", "Article", "Page", "Image", "Video", "Audio", "Event",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visibility_is_inferred_as_mastodon_does() {
        let f = "https://m/users/a/followers";
        assert_eq!(
            infer_visibility(&[PUBLIC.into()], &[f.into()], Some(f)),
            Visibility::Public
        );
        assert_eq!(
            infer_visibility(&[f.into()], &[PUBLIC.into()], Some(f)),
            Visibility::Unlisted
        );
        assert_eq!(
            infer_visibility(&[f.into()], &[], Some(f)),
            Visibility::Followers
        );
        assert_eq!(
            infer_visibility(&["https://k/users/b".into()], &[], Some(f)),
            Visibility::Direct
        );
        assert_eq!(
            infer_visibility(&["as:Public".into()], &[], Some(f)),
            Visibility::Public
        );
        for v in [
            Visibility::Public,
            Visibility::Unlisted,
            Visibility::Followers,
            Visibility::Direct,
        ] {
            let (to, cc) = addressing(v, f, &["https://k/users/b".into()]);
            assert_eq!(infer_visibility(&to, &cc, Some(f)), v);
        }
    }

    #[test]
    fn sanitising_keeps_text_and_drops_scripts() {
        let s = sanitise("<p>Hi <script>alert(1)</script><a href=\"javascript:x\">x</a> <b onclick=\"y\">b</b></p><img src=x>");
        assert!(
            !s.contains("script")
                && !s.contains("javascript")
                && !s.contains("onclick")
                && !s.contains("<img")
        );
        assert!(s.contains("<p>Hi") && s.contains("<b>b</b>"));
    }

    #[test]
    fn scanning_and_composing() {
        let (m, t) = scan("Hello @bob@other.example and @carol, see #Rust #rust #kogi_2!");
        assert_eq!(
            m,
            vec!["@bob@other.example".to_string(), "@carol".to_string()]
        );
        assert_eq!(t, vec!["Rust".to_string(), "kogi_2".to_string()]);
        let html = compose_html("a <b>\nhttps://x.example/y #tag", &[], "https://k");
        assert!(html.starts_with("<p>a &lt;b&gt;<br><a href=\"https://x.example/y\""));
        assert!(html.contains("/tags/tag"));
    }
}
