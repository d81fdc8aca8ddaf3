//! Portfolios: the portfolio, item and project documents both ways.

use kogi_core::accounts::Actor;
use kogi_core::portfolios::store::{RemoteItem, RemoteProject};
use kogi_core::portfolios::{
    self as pf, Item, ItemMedia, Portfolio, Project, RemotePortfolio, Section, State,
};
use kogi_core::posts::{Post, Visibility};
use serde_json::{json, Map, Value};

use crate::actors::{first_url, local_actor_json};
use crate::notes::addressing;
use crate::vocab::{escape_html, text_to_html, AS_CONTEXT, KOGI_NS, PUBLIC};

/// The `@context` of item, project and update documents.
pub fn object_context() -> Value {
    json!([AS_CONTEXT, {"kogi": KOGI_NS, "sensitive": "as:sensitive", "Hashtag": "as:Hashtag"}])
}

fn iso(t: chrono::NaiveDateTime) -> String {
    t.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub(crate) fn hashtags(base: &str, tags: &[String]) -> Vec<Value> {
    tags.iter()
        .map(|t| {
            let slug: String = t
                .chars()
                .filter(|c| c.is_alphanumeric() || *c == '_')
                .collect::<String>()
                .to_lowercase();
            json!({"type": "Hashtag", "href": format!("{base}/tags/{slug}"), "name": format!("#{slug}")})
        })
        .collect()
}

/// The actor document of a local portfolio.
pub fn portfolio_json(p: &Portfolio, owners: &[Actor], base: &str) -> Value {
    let mut doc = local_actor_json(&p.actor, base, 0, 0);
    doc["type"] = json!("Organization");
    doc["attributedTo"] = json!(owners.iter().map(|o| o.ap_id.clone()).collect::<Vec<_>>());
    doc["discoverable"] = json!(p.visibility() == pf::Visibility::Public);
    doc["kogi:portfolioType"] = json!(p.row.portfolio_type);
    doc["kogi:items"] = json!(p.row.items_url);
    doc["kogi:projects"] = json!(p.row.projects_url);
    doc["kogi:archived"] = json!(p.state() == State::Archived);
    doc["kogi:fields"] = Value::Object(p.fields());
    doc["kogi:sections"] = json!(p.sections());
    doc["tag"] = json!(hashtags(base, &p.tags()));
    if let Some(c) = &p.row.cover_path {
        doc["image"] =
            json!({"type": "Image", "mediaType": "image/webp", "url": format!("{base}/media/{c}")});
    }
    doc
}

fn as_strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a.iter().filter_map(first_url).collect(),
        Some(Value::String(s)) => vec![s.clone()],
        Some(o @ Value::Object(_)) => first_url(o).into_iter().collect(),
        _ => vec![],
    }
}

pub(super) fn text(v: Option<&Value>, max: usize) -> String {
    v.and_then(Value::as_str)
        .unwrap_or("")
        .chars()
        .take(max)
        .collect()
}

fn opt_url(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str)
        .filter(|s| pf::rules::is_web_url(s))
        .map(|s| s.chars().take(500).collect())
}

fn opt_date(v: Option<&Value>) -> Option<String> {
    pf::rules::optional_date("date", v.and_then(Value::as_str))
        .ok()
        .flatten()
}

fn object_map(v: Option<&Value>) -> Map<String, Value> {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .take(40)
                .filter(|(_, v)| v.is_string() || v.is_number())
                .map(|(k, v)| (k.chars().take(60).collect(), v.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// Kogi's terms in a remote `Organization` document, when it is a Kogi portfolio.
pub fn parse_portfolio_terms(doc: &Value) -> Option<RemotePortfolio> {
    let kind = doc.get("kogi:portfolioType")?.as_str()?;
    let sections: Vec<Section> = doc
        .get("kogi:sections")
        .cloned()
        .and_then(|s| serde_json::from_value(s).ok())
        .unwrap_or_default();
    Some(RemotePortfolio {
        portfolio_type: kind.chars().take(30).collect(),
        tags: as_tags(doc.get("tag")),
        cover_url: doc.get("image").and_then(first_url),
        owners: as_strings(doc.get("attributedTo"))
            .into_iter()
            .take(50)
            .collect(),
        items_url: doc.get("kogi:items").and_then(first_url),
        projects_url: doc.get("kogi:projects").and_then(first_url),
        archived: doc
            .get("kogi:archived")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        fields: object_map(doc.get("kogi:fields")),
        sections: sections.into_iter().take(30).collect(),
    })
}

pub(crate) fn as_tags(v: Option<&Value>) -> Vec<String> {
    let list = match v {
        Some(Value::Array(a)) => a.clone(),
        Some(o @ Value::Object(_)) => vec![o.clone()],
        _ => vec![],
    };
    list.iter()
        .filter(|t| t.get("type").and_then(Value::as_str) == Some("Hashtag"))
        .filter_map(|t| t.get("name").and_then(Value::as_str))
        .map(|n| n.trim_start_matches('#').chars().take(40).collect())
        .take(20)
        .collect()
}

pub use kogi_core::portfolios::store::copies::item_html;

/// A local item as an `Article`.
pub fn item_json(
    p: &Portfolio,
    item: &Item,
    post: Option<&Post>,
    team: &[Actor],
    base: &str,
) -> Value {
    let vis = post.map(Post::visibility).unwrap_or(Visibility::Public);
    let followers = p
        .actor
        .followers_url
        .clone()
        .unwrap_or_else(|| format!("{}/followers", p.actor.ap_id));
    let team_ids: Vec<String> = if vis == Visibility::Direct {
        team.iter().map(|a| a.ap_id.clone()).collect()
    } else {
        vec![]
    };
    let (to, cc) = addressing(vis, &followers, &team_ids);
    let attachments: Vec<Value> = item
        .media()
        .iter()
        .filter_map(|m| {
            Some(json!({"type": m.kind, "mediaType": m.media_type, "url": m.url_at(base)?, "name": m.description}))
        })
        .collect();
    let mut doc = json!({
        "@context": object_context(),
        "id": item.ap_id,
        "type": "Article",
        "attributedTo": p.actor.ap_id,
        "name": item.title,
        "content": item_html(item),
        "url": item.ap_id,
        "published": iso(item.published_at.unwrap_or(item.created_at)),
        "to": to,
        "cc": cc,
        "sensitive": false,
        "attachment": attachments,
        "tag": hashtags(base, &item.skills()),
        "kogi:kind": "item",
        "kogi:portfolio": p.actor.ap_id,
        "kogi:description": item.description,
        "kogi:role": item.role,
        "kogi:client": item.client,
        "kogi:skills": item.skills(),
        "kogi:startDate": item.started_on,
        "kogi:endDate": item.ended_on,
        "kogi:externalUrl": item.external_url,
        "kogi:videoUrl": item.video_url,
        "kogi:featured": item.featured,
        "kogi:position": item.position,
        "kogi:section": item.section,
        "kogi:fields": Value::Object(item.fields()),
        "kogi:archived": item.state() == State::Archived,
    });
    if let Some(post) = post {
        doc["likes"] = json!({"id": format!("{}/likes", item.ap_id), "type": "Collection", "totalItems": post.like_count});
        doc["shares"] = json!({"id": format!("{}/shares", item.ap_id), "type": "Collection", "totalItems": post.announce_count});
        if let Some(e) = post.edited_at {
            doc["updated"] = json!(iso(e));
        }
    }
    doc
}

/// A local project, as listed in the portfolio's `kogi:projects` collection.
pub fn project_json(p: &Portfolio, project: &Project) -> Value {
    let mut html = text_to_html(&project.description);
    let goals = project.goals();
    if !goals.is_empty() {
        html.push_str("<ul>");
        for g in &goals {
            html.push_str(&format!("<li>{}</li>", escape_html(g)));
        }
        html.push_str("</ul>");
    }
    json!({
        "@context": object_context(),
        "id": project.ap_id,
        "type": "Article",
        "attributedTo": p.actor.ap_id,
        "name": project.title,
        "content": html,
        "url": project.ap_id,
        "published": iso(project.created_at),
        "updated": iso(project.updated_at),
        "to": [PUBLIC],
        "cc": [p.actor.followers_url],
        "kogi:kind": "project",
        "kogi:portfolio": p.actor.ap_id,
        "kogi:description": project.description,
        "kogi:status": project.status,
        "kogi:goals": goals,
        "kogi:data": Value::Object(project.data()),
        "kogi:links": project.links(),
    })
}

/// Kogi's item terms in a received `Article` (None when it is not a Kogi item).
pub fn parse_item(obj: &Value) -> Option<RemoteItem> {
    if obj.get("kogi:kind").and_then(Value::as_str) != Some("item") {
        return None;
    }
    let media: Vec<ItemMedia> = match obj.get("attachment") {
        Some(Value::Array(a)) => a.clone(),
        Some(o @ Value::Object(_)) => vec![o.clone()],
        _ => vec![],
    }
    .iter()
    .filter_map(|a| {
        let url = a
            .get("url")
            .and_then(first_url)
            .filter(|u| pf::rules::is_web_url(u))?;
        let kind = a.get("type").and_then(Value::as_str).unwrap_or("Document");
        Some(ItemMedia {
            path: None,
            url: Some(url),
            media_type: text(a.get("mediaType"), 100),
            kind: if ["Image", "Document", "Audio", "Video"].contains(&kind) {
                kind.to_string()
            } else {
                "Document".into()
            },
            description: text(a.get("name"), 1500),
        })
    })
    .take(pf::bundle::ITEM_MEDIA_MAX)
    .collect();
    let to = as_strings(obj.get("to"));
    Some(RemoteItem {
        ap_id: obj.get("id")?.as_str()?.to_string(),
        title: text(obj.get("name"), 200),
        description: text(obj.get("kogi:description"), 20000),
        role: text(obj.get("kogi:role"), 200),
        client: text(obj.get("kogi:client"), 200),
        skills: obj
            .get("kogi:skills")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .take(20)
                    .map(|s| s.chars().take(40).collect())
                    .collect()
            })
            .unwrap_or_default(),
        started_on: opt_date(obj.get("kogi:startDate")),
        ended_on: opt_date(obj.get("kogi:endDate")),
        media,
        video_url: opt_url(obj.get("kogi:videoUrl")),
        external_url: opt_url(obj.get("kogi:externalUrl")),
        position: obj
            .get("kogi:position")
            .and_then(Value::as_i64)
            .unwrap_or(0)
            .clamp(0, 1_000_000) as i32,
        featured: obj
            .get("kogi:featured")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        archived: obj
            .get("kogi:archived")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        unlisted: !to
            .iter()
            .any(|t| t == PUBLIC || t == "as:Public" || t == "Public"),
        section: obj
            .get("kogi:section")
            .and_then(Value::as_str)
            .map(|s| s.chars().take(200).collect()),
        fields: object_map(obj.get("kogi:fields")),
        post_id: None,
    })
}

/// Kogi's project terms in a fetched project document.
pub fn parse_project(obj: &Value) -> Option<RemoteProject> {
    if obj.get("kogi:kind").and_then(Value::as_str) != Some("project") {
        return None;
    }
    Some(RemoteProject {
        ap_id: obj.get("id")?.as_str()?.to_string(),
        title: text(obj.get("name"), 200),
        description: text(obj.get("kogi:description"), 20000),
        status: text(obj.get("kogi:status"), 20),
        goals: obj
            .get("kogi:goals")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .take(20)
                    .map(|s| s.chars().take(200).collect())
                    .collect()
            })
            .unwrap_or_default(),
        data: object_map(obj.get("kogi:data")),
        links: obj
            .get("kogi:links")
            .cloned()
            .and_then(|l| serde_json::from_value::<Vec<kogi_core::accounts::ProfileLink>>(l).ok())
            .map(|l| {
                l.into_iter()
                    .filter(|x| pf::rules::is_web_url(&x.url))
                    .take(8)
                    .collect()
            })
            .unwrap_or_default(),
    })
}
