//! Portfolios: activities sent for a portfolio, its items and its project updates.

use kogi_core::accounts::Actor;
use kogi_core::portfolios::{
    self as pf, engagement, queries, store, Audience, Item, Portfolio, Project, State,
};
use kogi_core::posts::{self, Attachment, NewPost, Post, Visibility};
use kogi_core::{Error, Result};
use serde_json::{json, Value};

use super::objects::{item_html, item_json, media_url, object_context, portfolio_json};
use crate::actors::host_of;
use crate::delivery::Federation;
use crate::notes::{compose_html, note_json, wrap};
use crate::vocab::{escape_html, AS_CONTEXT, PUBLIC};
use kogi_core::ids::activity as new_id;

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
        let token = kogi_core::ids::token();
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
}
