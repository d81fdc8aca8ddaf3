//! Portfolios over ActivityPub. A portfolio is an `Organization` actor whose owners are its
//! `attributedTo`; its items go out as `Article`s and its project updates as `Note`s, both
//! readable by Mastodon, with Kogi's terms (`kogi:…`) carrying the rest so another Kogi
//! instance can show the whole portfolio. Items and projects are also linked collections
//! (`kogi:items`, `kogi:projects`), fetched by other Kogi instances when they show the page.

use std::collections::BTreeSet;

use kogi_core::accounts::Actor;
use kogi_core::portfolios::store::{RemoteItem, RemoteProject};
use kogi_core::portfolios::{
    self as pf, engagement, queries, store, Audience, Item, ItemMedia, Portfolio, Project,
    RemotePortfolio, Section, State,
};
use kogi_core::posts::{self, Attachment, NewPost, Post, Visibility};
use kogi_core::{Error, Result};
use serde_json::{json, Map, Value};

use crate::activities::new_id;
use crate::actors::{first_url, host_of, local_actor_json};
use crate::delivery::Federation;
use crate::inbox::InboxError;
use crate::notes::{addressing, compose_html, note_json, wrap};
use crate::vocab::{escape_html, text_to_html, AS_CONTEXT, KOGI_NS, PUBLIC};

/// The `@context` of item, project and update documents.
pub fn object_context() -> Value {
    json!([AS_CONTEXT, {"kogi": KOGI_NS, "sensitive": "as:sensitive", "Hashtag": "as:Hashtag"}])
}

fn iso(t: chrono::NaiveDateTime) -> String {
    t.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn media_url(base: &str, m: &ItemMedia) -> Option<String> {
    m.path
        .as_ref()
        .map(|p| format!("{base}/media/{p}"))
        .or_else(|| m.url.clone())
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

fn text(v: Option<&Value>, max: usize) -> String {
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

/// An item as HTML for readers that know nothing of Kogi (Mastodon shows the `name` and
/// this content with a link).
pub fn item_html(item: &Item) -> String {
    let mut html = text_to_html(&item.description);
    let mut facts = Vec::new();
    if !item.role.is_empty() {
        facts.push(format!("Role: {}", escape_html(&item.role)));
    }
    if !item.client.is_empty() {
        facts.push(format!("Client: {}", escape_html(&item.client)));
    }
    match (&item.started_on, &item.ended_on) {
        (Some(a), Some(b)) => facts.push(format!("{a} – {b}")),
        (Some(a), None) => facts.push(format!("Since {a}")),
        (None, Some(b)) => facts.push(format!("Until {b}")),
        _ => {}
    }
    if !facts.is_empty() {
        html.push_str(&format!("<p>{}</p>", facts.join(" · ")));
    }
    let skills = item.skills();
    if !skills.is_empty() {
        html.push_str(&format!(
            "<p>Skills: {}</p>",
            escape_html(&skills.join(", "))
        ));
    }
    for u in [&item.external_url, &item.video_url].into_iter().flatten() {
        let u = escape_html(u);
        html.push_str(&format!(
            "<p><a href=\"{u}\" rel=\"nofollow noopener noreferrer\" target=\"_blank\">{u}</a></p>"
        ));
    }
    html
}

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
            Some(json!({"type": m.kind, "mediaType": m.media_type, "url": media_url(base, m)?, "name": m.description}))
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

impl Federation {
    fn base_url(&self) -> String {
        self.core.config.public_url.clone()
    }

    async fn team_actors(&self, p: &Portfolio) -> Result<Vec<Actor>> {
        Ok(queries::members(&self.core, p.id())
            .await?
            .into_iter()
            .map(|(_, a)| a)
            .collect())
    }

    /// Sends `Update` of a portfolio's actor to its followers (edits, archive, restore).
    pub async fn announce_portfolio(&self, p: &Portfolio) -> Result<()> {
        if !p.is_federated() {
            return Ok(());
        }
        let owners = queries::owners(&self.core, p.id()).await?;
        let doc = portfolio_json(p, &owners, &self.base_url());
        let activity = json!({
            "@context": doc["@context"].clone(),
            "id": new_id(&self.base_url(), "update"),
            "type": "Update",
            "actor": p.actor.ap_id,
            "to": [PUBLIC],
            "cc": [p.actor.followers_url],
            "object": doc,
        });
        let inboxes = kogi_core::follows::follower_inboxes(&self.core, p.actor.id).await?;
        self.enqueue(&activity, p.actor.id, &inboxes).await?;
        Ok(())
    }

    /// Publishes or restores a portfolio: published items get their federated copies and
    /// followers hear of the change.
    pub async fn set_portfolio_state(&self, p: &Portfolio, to: State) -> Result<Portfolio> {
        let p = store::set_state(&self.core, p, to).await?;
        if to == State::Published {
            for item in queries::items(&self.core, p.id()).await? {
                if item.state() != State::Draft && item.post_id.is_none() {
                    self.sync_item(&p, &item, false).await?;
                }
            }
        }
        self.announce_portfolio(&p).await?;
        Ok(p)
    }

    /// Deletes a portfolio for good; if it ever left the instance, every known instance is
    /// told (`Delete` of the actor) and its URL answers 410 from now on.
    pub async fn delete_portfolio(&self, p: &Portfolio) -> Result<()> {
        if p.row.published_at.is_some() {
            self.announce_deletion(&p.actor).await?;
        }
        store::mark_deleted(&self.core, p).await
    }

    /// Brings an item's federated copy in line with the item: creates it (`Create`), edits it
    /// (`Update`), or withdraws it (`Delete`) when the item may no longer leave the
    /// instance. Watchers are told about new and edited items they may see.
    pub async fn sync_item(&self, p: &Portfolio, item: &Item, edited: bool) -> Result<Item> {
        let base = self.base_url();
        let existing = match item.post_id {
            Some(id) => posts::find(&self.core, id)
                .await?
                .filter(|x| x.deleted_at.is_none()),
            None => None,
        };
        let audience = pf::audience(p, item.visibility(), item.state());
        let followers = kogi_core::follows::follower_inboxes(&self.core, p.actor.id).await?;
        let team = self.team_actors(p).await?;
        let vis = match audience {
            Audience::Nobody => {
                if let Some(post) = existing {
                    if matches!(post.visibility(), Visibility::Public | Visibility::Unlisted) {
                        self.send_item_delete(p, item, &followers).await?;
                    }
                    posts::mark_deleted(&self.core, post.id).await?;
                    store::set_item_post(&self.core, item.id, None).await?;
                }
                return queries::item(&self.core, item.id)
                    .await?
                    .ok_or(Error::NotFound);
            }
            Audience::Team => Visibility::Direct,
            Audience::Followers { listed: true } => Visibility::Public,
            Audience::Followers { listed: false } => Visibility::Unlisted,
        };
        let was_public = existing
            .as_ref()
            .is_some_and(|x| matches!(x.visibility(), Visibility::Public | Visibility::Unlisted));
        let new = NewPost {
            ap_id: item.ap_id.clone(),
            author_id: p.actor.id,
            local: true,
            kind: "Article".into(),
            content_html: format!(
                "<p><strong>{}</strong></p>{}",
                escape_html(&item.title),
                item_html(item)
            ),
            source_text: None,
            summary: None,
            sensitive: false,
            language: None,
            visibility: vis,
            in_reply_to_ap_id: None,
            url: Some(item.ap_id.clone()),
            attachments: item
                .media()
                .iter()
                .filter_map(|m| {
                    Some(Attachment {
                        url: media_url(&base, m)?,
                        media_type: Some(m.media_type.clone()),
                        description: Some(m.description.clone()),
                    })
                })
                .collect(),
            tags: item.skills(),
            poll: None,
            published_at: item.published_at.unwrap_or_else(kogi_core::now),
            edited_at: existing.as_ref().map(|_| kogi_core::now()),
            like_count: existing.as_ref().map(|x| x.like_count).unwrap_or(0),
            announce_count: existing.as_ref().map(|x| x.announce_count).unwrap_or(0),
            recipients: if vis == Visibility::Direct {
                team.iter().map(|a| (a.id, false)).collect()
            } else {
                vec![]
            },
        };
        let (post, is_new) = posts::upsert(&self.core, new).await?;
        if post.visibility() != vis {
            posts::set_visibility(&self.core, post.id, vis).await?;
        }
        if item.post_id != Some(post.id) {
            store::set_item_post(&self.core, item.id, Some(post.id)).await?;
        }
        let item = queries::item(&self.core, item.id)
            .await?
            .ok_or(Error::NotFound)?;
        let post = posts::find(&self.core, post.id)
            .await?
            .ok_or(Error::NotFound)?;
        if vis == Visibility::Direct {
            // The team is local: nothing leaves the instance. Followers who had it lose it.
            if was_public {
                self.send_item_delete(p, &item, &followers).await?;
            }
        } else {
            let kind = if is_new || !was_public {
                "Create"
            } else {
                "Update"
            };
            let doc = item_json(p, &item, Some(&post), &team, &base);
            let id = if kind == "Create" {
                format!("{}/activity", item.ap_id)
            } else {
                new_id(&base, "update")
            };
            self.enqueue(
                &wrap(kind, &id, &p.actor.ap_id, &doc),
                p.actor.id,
                &followers,
            )
            .await?;
        }
        if is_new || edited {
            self.notify_watchers_who_see(p, vis, Some(post.id), &team)
                .await?;
        }
        Ok(item)
    }

    async fn notify_watchers_who_see(
        &self,
        p: &Portfolio,
        vis: Visibility,
        post_id: Option<i64>,
        team: &[Actor],
    ) -> Result<()> {
        if vis == Visibility::Direct {
            for w in engagement::watchers(&self.core, p.id()).await? {
                if team.iter().any(|a| a.id == w) {
                    posts::notify(&self.core, w, "portfolio_update", p.actor.id, post_id).await?;
                }
            }
            Ok(())
        } else {
            engagement::notify_watchers(&self.core, p, post_id, None)
                .await
                .map(|_| ())
        }
    }

    async fn send_item_delete(&self, p: &Portfolio, item: &Item, inboxes: &[String]) -> Result<()> {
        let activity = json!({
            "@context": AS_CONTEXT,
            "id": new_id(&self.base_url(), "delete"),
            "type": "Delete",
            "actor": p.actor.ap_id,
            "to": [PUBLIC],
            "object": {"id": item.ap_id, "type": "Tombstone"},
        });
        self.enqueue(&activity, p.actor.id, inboxes).await?;
        Ok(())
    }

    /// Deletes an item for good; followers who had it are sent a `Delete`.
    pub async fn delete_item(&self, p: &Portfolio, item: &Item) -> Result<()> {
        let had_public_copy = match item.post_id {
            Some(id) => posts::find(&self.core, id).await?.is_some_and(|x| {
                x.deleted_at.is_none()
                    && matches!(x.visibility(), Visibility::Public | Visibility::Unlisted)
            }),
            None => false,
        };
        store::delete_item(&self.core, item).await?;
        if had_public_copy {
            let followers = kogi_core::follows::follower_inboxes(&self.core, p.actor.id).await?;
            self.send_item_delete(p, item, &followers).await?;
        }
        Ok(())
    }

    /// Posts an update of a project: a `Note` by the portfolio, to the project's audience.
    pub async fn post_project_update(
        &self,
        p: &Portfolio,
        project: &Project,
        text: &str,
    ) -> Result<Post> {
        let text = text.trim();
        if text.is_empty() {
            return Err(Error::invalid("content", "required"));
        }
        if text.chars().count() > crate::posting::MAX_CHARS {
            return Err(Error::invalid("content", "field_too_long"));
        }
        let base = self.base_url();
        let audience = pf::audience(p, project.visibility(), State::Published);
        let team = self.team_actors(p).await?;
        let (vis, recipients): (Visibility, Vec<i64>) = match audience {
            Audience::Followers { listed: true } => (Visibility::Public, vec![]),
            Audience::Followers { listed: false } => (Visibility::Unlisted, vec![]),
            Audience::Team => (Visibility::Direct, team.iter().map(|a| a.id).collect()),
            Audience::Nobody => {
                let mut ids = Vec::new();
                for (m, a) in queries::members(&self.core, p.id()).await? {
                    if pf::Role::parse(&m.role).is_some_and(pf::Role::can_edit) {
                        ids.push(a.id);
                    }
                }
                (Visibility::Direct, ids)
            }
        };
        let (_, tags) = crate::notes::scan(text);
        let token = crate::activities::new_token();
        let ap_id = format!("{base}/posts/{token}");
        let html = format!(
            "<p><a href=\"{}\">{}</a></p>{}",
            escape_html(&project.ap_id),
            escape_html(&project.title),
            compose_html(text, &[], &base)
        );
        let new = NewPost {
            ap_id: ap_id.clone(),
            author_id: p.actor.id,
            local: true,
            kind: "Note".into(),
            content_html: html,
            source_text: Some(text.to_string()),
            summary: None,
            sensitive: false,
            language: None,
            visibility: vis,
            in_reply_to_ap_id: None,
            url: Some(ap_id.clone()),
            attachments: vec![],
            tags,
            poll: None,
            published_at: kogi_core::now(),
            edited_at: None,
            like_count: 0,
            announce_count: 0,
            recipients: recipients.iter().map(|id| (*id, false)).collect(),
        };
        let (post, _) = posts::upsert(&self.core, new).await?;
        store::link_update(&self.core, &project.ap_id, post.id).await?;
        if matches!(audience, Audience::Followers { .. }) {
            let doc = self.update_document(&post, &p.actor, &project.ap_id, &project.title);
            let followers = kogi_core::follows::follower_inboxes(&self.core, p.actor.id).await?;
            let activity = wrap("Create", &format!("{ap_id}/activity"), &p.actor.ap_id, &doc);
            self.enqueue(&activity, p.actor.id, &followers).await?;
        }
        self.notify_watchers_who_see(p, vis, Some(post.id), &team)
            .await?;
        Ok(post)
    }

    /// A project update as a `Note` naming its project.
    pub fn update_document(
        &self,
        post: &Post,
        author: &Actor,
        project_ap_id: &str,
        title: &str,
    ) -> Value {
        let mut doc = note_json(post, author, &[]);
        doc["@context"] = object_context();
        doc["kogi:project"] = json!(project_ap_id);
        doc["kogi:projectName"] = json!(title);
        doc
    }

    /// A direct message from a local person to every owner of a portfolio (here or remote).
    pub async fn message_owners(&self, sender: &Actor, p: &Portfolio, text: &str) -> Result<Post> {
        let owners: Vec<Actor> = if p.row.local {
            queries::owners(&self.core, p.id()).await?
        } else {
            let mut v = Vec::new();
            for id in p.owner_ids() {
                if host_of(&id).as_deref() != Some(p.actor.host.as_str()) {
                    continue;
                }
                if let Ok(a) = self.actor(&id).await {
                    v.push(a);
                }
            }
            v
        };
        let owners: Vec<Actor> = owners.into_iter().filter(|o| o.id != sender.id).collect();
        if owners.is_empty() {
            return Err(Error::invalid("portfolio", "no_owners"));
        }
        let prefix: Vec<String> = owners
            .iter()
            .map(|o| format!("@{}@{}", o.handle, o.host))
            .collect();
        let draft = crate::posting::Draft {
            text: format!("{} {}", prefix.join(" "), text.trim()),
            visibility: Visibility::Direct,
            in_reply_to: None,
            summary: None,
            language: None,
            attachments: vec![],
        };
        if text.trim().is_empty() {
            return Err(Error::invalid("content", "required"));
        }
        self.publish(sender, draft).await
    }

    /// Called after a received object was stored as a post: a Kogi item from a portfolio is
    /// stored as an item of the remote portfolio too, and a project update is linked to its
    /// project.
    pub async fn on_portfolio_object(
        &self,
        sender: &Actor,
        obj: &Value,
        post: &Post,
    ) -> std::result::Result<(), InboxError> {
        if sender.kind != "portfolio" {
            return Ok(());
        }
        let Some(p) = queries::find_by_actor(&self.core, sender.id).await? else {
            return Ok(());
        };
        if let Some(mut item) = parse_item(obj) {
            item.post_id = Some(post.id);
            match store::upsert_remote_item(&self.core, p.id(), item).await {
                Ok(_) => {}
                Err(Error::Forbidden(_)) => {
                    return Err(InboxError::Refused(
                        "the item belongs to another portfolio".into(),
                    ))
                }
                Err(e) => return Err(e.into()),
            }
        }
        if let Some(project) = obj.get("kogi:project").and_then(Value::as_str) {
            if self.is_own_project(&p, project).await? {
                store::link_update(&self.core, project, post.id).await?;
            }
        }
        Ok(())
    }

    /// Is `project` (an id) a project of the remote portfolio `p`: stored here for it, or not
    /// stored yet and under the portfolio's own id (`{portfolio}/projects/…`, Kogi's ids)?
    async fn is_own_project(&self, p: &Portfolio, project: &str) -> Result<bool> {
        Ok(
            match queries::project_by_ap_id(&self.core, project).await? {
                Some(known) => !known.local && known.portfolio_id == p.id(),
                None => project.starts_with(&format!("{}/", p.actor.ap_id)),
            },
        )
    }

    /// Who may send a portfolio's item or project update (`Create`/`Update`, or its
    /// collections): the portfolio actor itself, about its own things only. Checked before
    /// anything is stored: an object naming another portfolio (`kogi:portfolio`), an item
    /// stored here for another portfolio, or an update of another portfolio's project is
    /// refused (403). Anyone else's objects are plain posts and never become items.
    pub async fn check_portfolio_claims(
        &self,
        sender: &Actor,
        obj: &Value,
    ) -> std::result::Result<(), InboxError> {
        let kind = obj.get("kogi:kind").and_then(Value::as_str);
        let project = obj.get("kogi:project").and_then(Value::as_str);
        if sender.kind != "portfolio" || (kind.is_none() && project.is_none()) {
            return Ok(());
        }
        let Some(p) = queries::find_by_actor(&self.core, sender.id).await? else {
            return Ok(());
        };
        let refuse = |why: &str| Err(InboxError::Refused(why.to_string()));
        if obj
            .get("kogi:portfolio")
            .and_then(first_url)
            .is_some_and(|claimed| claimed != sender.ap_id)
        {
            return refuse("the object names another portfolio");
        }
        let id = obj.get("id").and_then(Value::as_str).unwrap_or_default();
        let stored_elsewhere = match kind {
            Some("item") => queries::item_by_ap_id(&self.core, id)
                .await?
                .is_some_and(|i| i.local || i.portfolio_id != p.id()),
            Some("project") => queries::project_by_ap_id(&self.core, id)
                .await?
                .is_some_and(|x| x.local || x.portfolio_id != p.id()),
            _ => false,
        };
        if stored_elsewhere {
            return refuse("the object belongs to another portfolio");
        }
        if let Some(project) = project {
            if !self.is_own_project(&p, project).await? {
                return refuse("the project belongs to another portfolio");
            }
        }
        Ok(())
    }

    /// Refreshes a remote Kogi portfolio: its actor, items and projects, fetched from its
    /// origin (signed), keeping only documents the portfolio's host serves about itself.
    pub async fn refresh_remote_portfolio(
        &self,
        p: &Portfolio,
    ) -> std::result::Result<(), InboxError> {
        if p.row.local {
            return Ok(());
        }
        let actor = self
            .fetch_actor(&p.actor.ap_id)
            .await
            .map_err(InboxError::from)?;
        let Some(p) = queries::find_by_actor(&self.core, actor.id).await? else {
            return Ok(());
        };
        let mut seen_items = BTreeSet::new();
        for (url, is_items) in [
            (p.row.items_url.clone(), true),
            (p.row.projects_url.clone(), false),
        ] {
            let Some(url) = url.filter(|u| host_of(u).as_deref() == Some(actor.host.as_str()))
            else {
                continue;
            };
            let Ok(doc) = self.fetch_json(&url).await else {
                continue;
            };
            let list = doc
                .get("orderedItems")
                .or_else(|| doc.get("items"))
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for obj in list.iter().take(500) {
                let id = obj.get("id").and_then(Value::as_str).unwrap_or("");
                let attributed = obj.get("attributedTo").and_then(first_url);
                if host_of(id).as_deref() != Some(actor.host.as_str())
                    || attributed.as_deref() != Some(actor.ap_id.as_str())
                {
                    continue;
                }
                // What claims another portfolio's things is skipped, not the whole refresh.
                if self.check_portfolio_claims(&actor, obj).await.is_err() {
                    continue;
                }
                if is_items {
                    match self.store_object(&actor, obj).await {
                        Ok(Some(post)) => {
                            if self.on_portfolio_object(&actor, obj, &post).await.is_ok() {
                                seen_items.insert(id.to_string());
                            }
                        }
                        Ok(None) | Err(InboxError::Refused(_) | InboxError::Malformed(_)) => {}
                        Err(e) => return Err(e),
                    }
                } else if let Some(project) = parse_project(obj) {
                    match store::upsert_remote_project(&self.core, p.id(), project).await {
                        Ok(()) | Err(Error::Forbidden(_)) => {}
                        Err(e) => return Err(e.into()),
                    }
                }
            }
        }
        Ok(())
    }
}
