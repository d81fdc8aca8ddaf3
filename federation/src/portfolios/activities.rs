//! Portfolios: activities sent for a portfolio, its items and its project updates.

use kogi_core::accounts::Actor;
use kogi_core::portfolios::{queries, store, Portfolio, Project};
use kogi_core::posts::{self, Post, Visibility};
use kogi_core::{Error, Result};
use serde_json::{json, Value};

use super::objects::{item_json, object_context, portfolio_json};
use crate::actors::host_of;
use crate::delivery::Federation;
use crate::notes::{compose_html, note_json, wrap};
use crate::outbox::Outgoing;
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

    /// The activities of a portfolio's outbox events (see `DomainEvent`): an item's
    /// `Create`/`Update` or `Delete`, a project update's `Create`, all to the followers.
    pub(crate) async fn item_activities(
        &self,
        item_id: i64,
        created: bool,
    ) -> Result<Vec<Outgoing>> {
        let base = self.base_url();
        let Some(item) = queries::item(&self.core, item_id).await? else {
            return Ok(Vec::new());
        };
        let Some(p) = queries::find(&self.core, item.portfolio_id).await? else {
            return Ok(Vec::new());
        };
        // Withdrawn or deleted since: its own event says so.
        let Some(post) = match item.post_id {
            Some(id) => posts::find(&self.core, id).await?,
            None => None,
        }
        .filter(|x| x.deleted_at.is_none() && item.deleted_at.is_none()) else {
            return Ok(Vec::new());
        };
        if !matches!(post.visibility(), Visibility::Public | Visibility::Unlisted) {
            return Ok(Vec::new());
        }
        let team = self.team_actors(&p).await?;
        let doc = item_json(&p, &item, Some(&post), &team, &base);
        let (kind, id) = if created {
            ("Create", format!("{}/activity", item.ap_id))
        } else {
            ("Update", new_id(&base, "update"))
        };
        let inboxes = kogi_core::follows::follower_inboxes(&self.core, p.actor.id).await?;
        Ok(vec![Outgoing {
            activity: wrap(kind, &id, &p.actor.ap_id, &doc),
            actor_id: p.actor.id,
            inboxes,
        }])
    }

    /// `Delete` of a withdrawn item's `Tombstone`, by `actor_id` (the portfolio).
    pub(crate) async fn item_withdrawal(
        &self,
        actor_id: i64,
        item_ap_id: &str,
    ) -> Result<Vec<Outgoing>> {
        let Some(actor) = kogi_core::actors::find_by_id(&self.core, actor_id).await? else {
            return Ok(Vec::new());
        };
        let activity = json!({
            "@context": AS_CONTEXT,
            "id": new_id(&self.base_url(), "delete"),
            "type": "Delete",
            "actor": actor.ap_id,
            "to": [PUBLIC],
            "object": {"id": item_ap_id, "type": "Tombstone"},
        });
        let inboxes = kogi_core::follows::follower_inboxes(&self.core, actor_id).await?;
        Ok(vec![Outgoing {
            activity,
            actor_id,
            inboxes,
        }])
    }

    /// `Create` of a project update's `Note`, to the portfolio's followers.
    pub(crate) async fn project_update_activities(
        &self,
        post_id: i64,
        project_id: i64,
    ) -> Result<Vec<Outgoing>> {
        let (Some(post), Some(project)) = (
            posts::find(&self.core, post_id).await?,
            queries::project(&self.core, project_id).await?,
        ) else {
            return Ok(Vec::new());
        };
        if post.deleted_at.is_some() {
            return Ok(Vec::new());
        }
        let Some(author) = kogi_core::actors::find_by_id(&self.core, post.author_id).await? else {
            return Ok(Vec::new());
        };
        let doc = self.update_document(&post, &author, &project.ap_id, &project.title);
        let inboxes = kogi_core::follows::follower_inboxes(&self.core, author.id).await?;
        let id = format!("{}/activity", post.ap_id);
        Ok(vec![Outgoing {
            activity: wrap("Create", &id, &author.ap_id, &doc),
            actor_id: author.id,
            inboxes,
        }])
    }

    /// `Update` of a local portfolio's actor document, to its followers; nothing while it
    /// does not federate (a draft).
    pub(crate) async fn portfolio_update_activities(&self, p: &Portfolio) -> Result<Vec<Outgoing>> {
        if !p.is_federated() {
            return Ok(Vec::new());
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
        Ok(vec![Outgoing {
            activity,
            actor_id: p.actor.id,
            inboxes,
        }])
    }

    /// Posts an update of a project: a `Note` by the portfolio, to the project's audience
    /// (the text is composed here, as every post's is; the use case is core's).
    pub async fn post_project_update(
        &self,
        p: &Portfolio,
        project: &Project,
        text: &str,
    ) -> Result<Post> {
        // An empty update is refused by the use case; the length limit is the one every
        // post has.
        let text = text.trim();
        if text.chars().count() > crate::posting::MAX_CHARS {
            return Err(Error::invalid("content", "field_too_long"));
        }
        let base = self.base_url();
        let (_, tags) = crate::notes::scan(text);
        let html = format!(
            "<p><a href=\"{}\">{}</a></p>{}",
            escape_html(&project.ap_id),
            escape_html(&project.title),
            compose_html(text, &[], &base)
        );
        let draft = store::UpdateDraft {
            ap_id: kogi_core::ids::post(&base, &kogi_core::ids::token()),
            text: text.to_string(),
            html,
            tags,
        };
        store::post_update(&self.core, p, project, draft).await
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
