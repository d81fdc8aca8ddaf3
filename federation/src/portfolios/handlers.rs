//! Portfolios: received portfolio objects, claims checked against the portfolio, refreshes.

use std::collections::BTreeSet;

use kogi_core::accounts::Actor;
use kogi_core::portfolios::{queries, store, Portfolio};
use kogi_core::posts::Post;
use kogi_core::{Error, Result};
use serde_json::Value;

use super::documents::{parse_item, parse_project};
use crate::actors::{first_url, host_of};
use crate::delivery::Federation;
use crate::inbox::InboxError;

impl Federation {
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
