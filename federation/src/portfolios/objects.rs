//! Portfolios: the portfolio, item and project documents both ways.

use kogi_core::accounts::Actor;
use kogi_core::portfolios::{self as pf, Item, Portfolio, Project, State};
use kogi_core::posts::{Post, Visibility};
use serde_json::{json, Value};

use crate::actors::local_actor_json;
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
