//! Received Kogi portfolio documents, typed: the terms of a portfolio actor, an item
//! (`Article` with `kogi:kind` "item") and a project. Fields of an unexpected shape count as
//! absent; lengths are clipped as local input is.

use kogi_core::portfolios::store::{RemoteItem, RemoteProject};
use kogi_core::portfolios::{self as pf, ItemMedia, RemotePortfolio, Section};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::protocol::lenient::{clip, lenient, lenient_list, lenient_many, Link, Tag};
use crate::vocab::PUBLIC;

/// A portfolio actor's Kogi terms.
#[derive(Debug, Deserialize)]
pub struct PortfolioDoc {
    #[serde(rename = "kogi:portfolioType", default, deserialize_with = "lenient")]
    portfolio_type: Option<String>,
    #[serde(rename = "kogi:sections", default, deserialize_with = "lenient_list")]
    sections: Option<Vec<Section>>,
    #[serde(default, deserialize_with = "lenient_many")]
    tag: Vec<Tag>,
    #[serde(default, deserialize_with = "lenient")]
    image: Option<Link>,
    #[serde(rename = "attributedTo", default, deserialize_with = "lenient_many")]
    attributed_to: Vec<Link>,
    #[serde(rename = "kogi:items", default, deserialize_with = "lenient")]
    items: Option<Link>,
    #[serde(rename = "kogi:projects", default, deserialize_with = "lenient")]
    projects: Option<Link>,
    #[serde(rename = "kogi:archived", default, deserialize_with = "lenient")]
    archived: Option<bool>,
    #[serde(rename = "kogi:fields", default, deserialize_with = "lenient")]
    fields: Option<Map<String, Value>>,
}

/// A file of an item.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MediaDoc {
    #[serde(default)]
    url: Link,
    #[serde(rename = "type", default, deserialize_with = "lenient")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    media_type: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    name: Option<String>,
}

/// A portfolio item.
#[derive(Debug, Deserialize)]
pub struct ItemDoc {
    #[serde(default, deserialize_with = "lenient")]
    id: Option<String>,
    #[serde(rename = "kogi:kind", default, deserialize_with = "lenient")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    name: Option<String>,
    #[serde(rename = "kogi:description", default, deserialize_with = "lenient")]
    description: Option<String>,
    #[serde(rename = "kogi:role", default, deserialize_with = "lenient")]
    role: Option<String>,
    #[serde(rename = "kogi:client", default, deserialize_with = "lenient")]
    client: Option<String>,
    #[serde(rename = "kogi:skills", default, deserialize_with = "lenient_list")]
    skills: Option<Vec<String>>,
    #[serde(rename = "kogi:startDate", default, deserialize_with = "lenient")]
    start_date: Option<String>,
    #[serde(rename = "kogi:endDate", default, deserialize_with = "lenient")]
    end_date: Option<String>,
    #[serde(default, deserialize_with = "lenient_many")]
    attachment: Vec<MediaDoc>,
    #[serde(rename = "kogi:videoUrl", default, deserialize_with = "lenient")]
    video_url: Option<String>,
    #[serde(rename = "kogi:externalUrl", default, deserialize_with = "lenient")]
    external_url: Option<String>,
    #[serde(rename = "kogi:position", default, deserialize_with = "lenient")]
    position: Option<i64>,
    #[serde(rename = "kogi:featured", default, deserialize_with = "lenient")]
    featured: Option<bool>,
    #[serde(rename = "kogi:archived", default, deserialize_with = "lenient")]
    archived: Option<bool>,
    #[serde(rename = "kogi:section", default, deserialize_with = "lenient")]
    section: Option<String>,
    #[serde(rename = "kogi:fields", default, deserialize_with = "lenient")]
    fields: Option<Map<String, Value>>,
    #[serde(default, deserialize_with = "lenient_many")]
    to: Vec<Link>,
}

/// A project.
#[derive(Debug, Deserialize)]
pub struct ProjectDoc {
    #[serde(default, deserialize_with = "lenient")]
    id: Option<String>,
    #[serde(rename = "kogi:kind", default, deserialize_with = "lenient")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    name: Option<String>,
    #[serde(rename = "kogi:description", default, deserialize_with = "lenient")]
    description: Option<String>,
    #[serde(rename = "kogi:status", default, deserialize_with = "lenient")]
    status: Option<String>,
    #[serde(rename = "kogi:goals", default, deserialize_with = "lenient_list")]
    goals: Option<Vec<String>>,
    #[serde(rename = "kogi:data", default, deserialize_with = "lenient")]
    data: Option<Map<String, Value>>,
    #[serde(rename = "kogi:links", default, deserialize_with = "lenient_list")]
    links: Option<Vec<kogi_core::accounts::ProfileLink>>,
}

/// Up to 40 named text or number values, names clipped to 60 characters.
fn values(m: &Option<Map<String, Value>>) -> Map<String, Value> {
    m.iter()
        .flatten()
        .take(40)
        .filter(|(_, v)| v.is_string() || v.is_number())
        .map(|(k, v)| (k.chars().take(60).collect(), v.clone()))
        .collect()
}

fn web_url(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .filter(|s| pf::rules::is_web_url(s))
        .map(|s| s.chars().take(500).collect())
}

fn date(s: &Option<String>) -> Option<String> {
    pf::rules::optional_date("date", s.as_deref())
        .ok()
        .flatten()
}

fn texts(list: &Option<Vec<String>>, n: usize, max: usize) -> Vec<String> {
    list.iter()
        .flatten()
        .take(n)
        .map(|s| s.chars().take(max).collect())
        .collect()
}

/// Kogi's terms in a remote `Organization` document, when it is a Kogi portfolio.
pub fn parse_portfolio_terms(doc: &Value) -> Option<RemotePortfolio> {
    let d = PortfolioDoc::deserialize(doc).ok()?;
    let kind = d.portfolio_type.as_deref()?;
    Some(RemotePortfolio {
        portfolio_type: kind.chars().take(30).collect(),
        tags: Tag::hashtags(&d.tag)
            .map(|n| n.chars().take(40).collect())
            .take(20)
            .collect(),
        cover_url: d.image.as_ref().and_then(Link::url),
        owners: Link::urls(&d.attributed_to).into_iter().take(50).collect(),
        items_url: d.items.as_ref().and_then(Link::url),
        projects_url: d.projects.as_ref().and_then(Link::url),
        archived: d.archived.unwrap_or(false),
        fields: values(&d.fields),
        sections: d
            .sections
            .unwrap_or_default()
            .into_iter()
            .take(30)
            .collect(),
    })
}

/// Kogi's item terms in a received `Article` (None when it is not a Kogi item).
pub fn parse_item(obj: &Value) -> Option<RemoteItem> {
    let d = ItemDoc::deserialize(obj).ok()?;
    if d.kind.as_deref() != Some("item") {
        return None;
    }
    let media: Vec<ItemMedia> = d
        .attachment
        .iter()
        .filter_map(|a| {
            let url = a.url.url().filter(|u| pf::rules::is_web_url(u))?;
            let kind = a.kind.as_deref().unwrap_or("Document");
            Some(ItemMedia {
                path: None,
                url: Some(url),
                media_type: clip(&a.media_type, 100),
                kind: if ["Image", "Document", "Audio", "Video"].contains(&kind) {
                    kind.to_string()
                } else {
                    "Document".into()
                },
                description: clip(&a.name, 1500),
            })
        })
        .take(pf::bundle::ITEM_MEDIA_MAX)
        .collect();
    let to = Link::urls(&d.to);
    Some(RemoteItem {
        ap_id: d.id.clone()?,
        title: clip(&d.name, 200),
        description: clip(&d.description, 20000),
        role: clip(&d.role, 200),
        client: clip(&d.client, 200),
        skills: texts(&d.skills, 20, 40),
        started_on: date(&d.start_date),
        ended_on: date(&d.end_date),
        media,
        video_url: web_url(&d.video_url),
        external_url: web_url(&d.external_url),
        position: d.position.unwrap_or(0).clamp(0, 1_000_000) as i32,
        featured: d.featured.unwrap_or(false),
        archived: d.archived.unwrap_or(false),
        unlisted: !to
            .iter()
            .any(|t| t == PUBLIC || t == "as:Public" || t == "Public"),
        section: d.section.as_deref().map(|s| s.chars().take(200).collect()),
        fields: values(&d.fields),
        post_id: None,
    })
}

/// Kogi's project terms in a fetched project document.
pub fn parse_project(obj: &Value) -> Option<RemoteProject> {
    let d = ProjectDoc::deserialize(obj).ok()?;
    if d.kind.as_deref() != Some("project") {
        return None;
    }
    Some(RemoteProject {
        ap_id: d.id.clone()?,
        title: clip(&d.name, 200),
        description: clip(&d.description, 20000),
        status: clip(&d.status, 20),
        goals: texts(&d.goals, 20, 200),
        data: values(&d.data),
        links: d
            .links
            .unwrap_or_default()
            .into_iter()
            .filter(|x| pf::rules::is_web_url(&x.url))
            .take(8)
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn items_and_projects_parse_leniently_and_are_clipped() {
        let item = parse_item(&json!({
            "id": "https://k.example/portfolios/ann/items/1",
            "type": "Article",
            "kogi:kind": "item",
            "name": "x".repeat(300),
            "kogi:skills": ["Wood", 5, "Steel"],
            "kogi:position": "first",
            "kogi:featured": true,
            "kogi:startDate": "2026-01-02",
            "kogi:videoUrl": "javascript:alert(1)",
            "attachment": {"type": "Image", "url": [{"href": "https://k.example/m.webp"}], "name": "alt"},
            "to": ["https://k.example/portfolios/ann/followers"],
        }))
        .expect("an item");
        assert_eq!(item.title.chars().count(), 200);
        assert_eq!(item.skills, vec!["Wood".to_string(), "Steel".to_string()]);
        assert_eq!((item.position, item.featured), (0, true));
        assert_eq!(item.started_on.as_deref(), Some("2026-01-02"));
        assert_eq!(item.video_url, None, "only web URLs");
        assert_eq!(item.media.len(), 1);
        assert_eq!(item.media[0].kind, "Image");
        assert!(item.unlisted, "not addressed to the public");
        assert!(parse_item(&json!({"id": "x", "kogi:kind": "project"})).is_none());

        let project = parse_project(&json!({
            "id": "https://k.example/portfolios/ann/projects/1",
            "kogi:kind": "project",
            "name": "Stool",
            "kogi:goals": ["Sand", {"no": 1}],
            "kogi:links": [{"name": "Repo", "url": "https://git.example/s"}, {"name": "Bad", "url": "ftp://x"}],
            "kogi:data": {"budget": 100, "nested": {"x": 1}},
        }))
        .expect("a project");
        assert_eq!(project.goals, vec!["Sand".to_string()]);
        assert_eq!(project.links.len(), 1);
        assert_eq!(project.data.len(), 1);

        let terms = parse_portfolio_terms(&json!({
            "kogi:portfolioType": "creative",
            "attributedTo": "https://k.example/users/ann",
            "tag": {"type": "Hashtag", "name": "#design"},
            "kogi:archived": "no",
        }))
        .expect("a portfolio");
        assert_eq!(
            terms.owners,
            vec!["https://k.example/users/ann".to_string()]
        );
        assert_eq!(terms.tags, vec!["design".to_string()]);
        assert!(!terms.archived);
        assert!(parse_portfolio_terms(&json!({"type": "Organization"})).is_none());
    }
}
