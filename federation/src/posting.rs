//! What local people do with posts: publish, edit, delete, like and boost — stored, then
//! delivered to exactly the audience the visibility allows.

use kogi_core::accounts::Actor;
use kogi_core::posts::{self, NewPost, Post, Visibility};
use kogi_core::{Error, Result};
use serde_json::{json, Value};

use crate::delivery::Federation;
use crate::notes::{compose_html, note_json, scan, wrap};
use crate::outbox::Outgoing;
use crate::vocab::{AS_CONTEXT, PUBLIC};
use kogi_core::ids::activity as new_id;

/// A post as a person writes it.
#[derive(Debug, Clone)]
pub struct Draft {
    pub text: String,
    pub visibility: Visibility,
    /// A post's id (local number or ActivityPub id) this one answers.
    pub in_reply_to: Option<String>,
    pub summary: Option<String>,
    pub language: Option<String>,
    /// Images already stored (see the media upload), with their alt text.
    pub attachments: Vec<kogi_core::posts::Attachment>,
}

pub const MAX_CHARS: usize = 5000;

impl Federation {
    /// The people a post mentions, resolved (local `@name`, remote `@name@host`). Names that
    /// do not resolve stay plain text.
    async fn mentions(&self, text: &str) -> Vec<(String, Actor)> {
        let (words, _) = scan(text);
        let mut out = Vec::new();
        for w in words {
            let resolved = if w[1..].contains('@') {
                self.resolve(&w).await.ok()
            } else {
                kogi_core::accounts::find_local_actor(&self.core, &w[1..])
                    .await
                    .ok()
                    .flatten()
                    .filter(|a| a.deleted_at.is_none())
            };
            if let Some(a) = resolved {
                if !out.iter().any(|(_, x): &(String, Actor)| x.id == a.id) {
                    out.push((w, a));
                }
            }
        }
        out
    }

    /// Finds a post by local number or ActivityPub id that `viewer` may see.
    pub async fn visible_post(&self, viewer: &Actor, reference: &str) -> Result<Post> {
        let post = match reference.parse::<i64>() {
            Ok(n) => posts::find(&self.core, n).await?,
            Err(_) => self
                .post_by_id(reference)
                .await
                .map_err(|e| Error::Internal(e.to_string()))?,
        };
        match post {
            Some(p) if posts::can_view(&self.core, Some(viewer.id), &p).await? => Ok(p),
            _ => Err(Error::NotFound),
        }
    }

    /// A post's `Create` (or `Update`) and the inboxes it goes to.
    pub(crate) async fn post_activity(
        &self,
        kind: &str,
        post: &Post,
        author: &Actor,
    ) -> Result<(Value, Vec<String>)> {
        let mentioned: Vec<Actor> = posts::recipients(&self.core, post.id)
            .await?
            .into_iter()
            .map(|(a, _)| a)
            .collect();
        let note = note_json(post, author, &mentioned);
        let id = if kind == "Create" {
            format!("{}/activity", post.ap_id)
        } else {
            new_id(&self.core.config.public_url, &kind.to_lowercase())
        };
        let activity = wrap(kind, &id, &author.ap_id, &note);
        let inboxes = self.audience(post, author, &mentioned).await?;
        Ok((activity, inboxes))
    }

    /// Publishes a post by a local person.
    pub async fn publish(&self, author: &Actor, draft: Draft) -> Result<Post> {
        let text = draft.text.trim().to_string();
        if text.is_empty() {
            return Err(Error::invalid("content", "bad_request"));
        }
        if text.chars().count() > MAX_CHARS {
            return Err(Error::invalid("content", "field_too_long"));
        }
        let parent = match &draft.in_reply_to {
            Some(r) => Some(
                self.visible_post(author, r)
                    .await
                    .map_err(|_| Error::invalid("in_reply_to", "not_found"))?,
            ),
            None => None,
        };
        let mentions = self.mentions(&text).await;
        let (_, tags) = scan(&text);
        let base = self.core.config.public_url.clone();
        let html = compose_html(&text, &mentions, &base);
        let token = kogi_core::ids::token();
        let ap_id = format!("{base}/posts/{token}");
        let mut recipients: Vec<(i64, bool)> = mentions.iter().map(|(_, a)| (a.id, true)).collect();
        // A reply also reaches the parent's author.
        if let Some(p) = &parent {
            if !recipients.iter().any(|(id, _)| *id == p.author_id) && p.author_id != author.id {
                recipients.push((p.author_id, false));
            }
        }
        let new = NewPost {
            ap_id: ap_id.clone(),
            author_id: author.id,
            local: true,
            kind: "Note".into(),
            content_html: html,
            source_text: Some(text),
            summary: draft.summary.filter(|s| !s.trim().is_empty()),
            sensitive: false,
            language: draft.language.filter(|l| !l.is_empty()),
            visibility: draft.visibility,
            in_reply_to_ap_id: parent.as_ref().map(|p| p.ap_id.clone()),
            url: Some(ap_id.clone()),
            attachments: draft.attachments.clone(),
            tags,
            poll: None,
            published_at: kogi_core::now(),
            edited_at: None,
            like_count: 0,
            announce_count: 0,
            recipients,
        };
        let mut notify: Vec<(i64, &'static str)> = mentions
            .iter()
            .filter(|(_, a)| a.local)
            .map(|(_, a)| (a.id, "mention"))
            .collect();
        if let Some(p) = &parent {
            if p.local && !mentions.iter().any(|(_, a)| a.id == p.author_id) {
                notify.push((p.author_id, "reply"));
            }
        }
        // One transaction: the post, its notifications and the event the outbox publisher
        // turns into the `Create` (see `crate::outbox`).
        posts::actions::publish(&self.core, new, notify).await
    }

    /// Edits a post's text (author only): stored, then `Update` with `updated`.
    pub async fn edit(&self, author: &Actor, post: &Post, text: &str) -> Result<Post> {
        if post.author_id != author.id || !post.local {
            return Err(Error::Forbidden("not_author"));
        }
        let text = text.trim();
        if text.is_empty() || text.chars().count() > MAX_CHARS {
            return Err(Error::invalid("content", "field_too_long"));
        }
        let mentions = self.mentions(text).await;
        let (_, tags) = scan(text);
        let html = compose_html(text, &mentions, &self.core.config.public_url);
        let mut new = to_new(post);
        new.content_html = html;
        new.source_text = Some(text.to_string());
        new.tags = tags;
        new.edited_at = Some(kogi_core::now());
        new.recipients = mentions.iter().map(|(_, a)| (a.id, true)).collect();
        // One transaction: the new text and the event the publisher turns into the `Update`.
        posts::actions::edit(&self.core, new).await
    }

    /// The `Update` of an edited post: through its community when it is in one.
    pub(crate) async fn edit_activities(
        &self,
        post: &Post,
        author: &Actor,
    ) -> Result<Vec<Outgoing>> {
        if let Some(c) = self.community_of(post).await? {
            let doc = self.post_document(post).await?;
            let activity = json!({
                "@context": AS_CONTEXT,
                "id": new_id(&self.core.config.public_url, "update"),
                "type": "Update",
                "actor": author.ap_id,
                "to": doc["to"].clone(),
                "cc": [],
                "audience": c.actor.ap_id,
                "object": doc,
            });
            return self.in_community(author, &c, activity).await;
        }
        let (activity, inboxes) = self.post_activity("Update", post, author).await?;
        Ok(vec![Outgoing {
            activity,
            actor_id: author.id,
            inboxes,
        }])
    }

    /// Deletes a post (author only): its URL answers 410 and a `Delete` with a `Tombstone`
    /// goes to everyone who received it.
    pub async fn delete_post(&self, author: &Actor, post: &Post) -> Result<()> {
        if post.author_id != author.id || !post.local {
            return Err(Error::Forbidden("not_author"));
        }
        posts::actions::delete(&self.core, post.id).await
    }

    /// The `Delete` of a deleted post, to everyone who received it, and through its
    /// community when it was in one.
    pub(crate) async fn delete_activities(
        &self,
        post: &Post,
        author: &Actor,
    ) -> Result<Vec<Outgoing>> {
        let mentioned: Vec<Actor> = posts::recipients(&self.core, post.id)
            .await?
            .into_iter()
            .map(|(a, _)| a)
            .collect();
        let inboxes = self.audience(post, author, &mentioned).await?;
        let activity = json!({
            "@context": AS_CONTEXT,
            "id": new_id(&self.core.config.public_url, "delete"),
            "type": "Delete",
            "actor": author.ap_id,
            "to": [PUBLIC],
            "object": {"id": post.ap_id, "type": "Tombstone"},
        });
        let mut out = vec![Outgoing {
            activity: activity.clone(),
            actor_id: author.id,
            inboxes,
        }];
        if let Some(c) = self.community_of(post).await? {
            let mut activity = activity;
            activity["audience"] = json!(c.actor.ap_id);
            activity["cc"] = json!([c.actor.ap_id]);
            out.extend(self.in_community(author, &c, activity).await?);
        }
        Ok(out)
    }

    /// Likes or boosts a post. The origin counts: a remote post's author gets the activity
    /// (a boost also goes to our followers).
    pub async fn react(&self, actor: &Actor, post: &Post, kind: &str) -> Result<bool> {
        if kind == posts::ANNOUNCE
            && !matches!(post.visibility(), Visibility::Public | Visibility::Unlisted)
        {
            return Err(Error::Forbidden("not_boostable"));
        }
        posts::actions::react(&self.core, kind, actor.id, post.id).await
    }

    /// Takes back a like or boost.
    pub async fn unreact(&self, actor: &Actor, post: &Post, kind: &str) -> Result<bool> {
        posts::actions::unreact(&self.core, kind, actor.id, post.id).await
    }

    /// The `Like` or `Announce` of a reaction (or, with `undo`, its `Undo`): to a remote
    /// post's author, a boost also to the actor's followers, a like of a community post also
    /// through the community.
    pub(crate) async fn reaction_activities(
        &self,
        actor: &Actor,
        post: &Post,
        kind: &str,
        reaction_ap_id: &str,
        undo: bool,
    ) -> Result<Vec<Outgoing>> {
        let author = kogi_core::actors::find_by_id(&self.core, post.author_id)
            .await?
            .ok_or(Error::NotFound)?;
        let ap_kind = if kind == posts::LIKE {
            "Like"
        } else {
            "Announce"
        };
        let activity = if undo {
            json!({
                "@context": AS_CONTEXT,
                "id": new_id(&self.core.config.public_url, "undo"),
                "type": "Undo",
                "actor": actor.ap_id,
                "object": {"id": reaction_ap_id, "type": ap_kind, "actor": actor.ap_id, "object": post.ap_id},
            })
        } else {
            let mut activity = json!({"@context": AS_CONTEXT, "id": reaction_ap_id, "type": ap_kind, "actor": actor.ap_id, "object": post.ap_id});
            if kind == posts::ANNOUNCE {
                activity["to"] = json!([PUBLIC]);
                activity["cc"] = json!([author.ap_id, actor.followers_url]);
                activity["published"] = json!(kogi_core::now()
                    .and_utc()
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
            }
            activity
        };
        let mut inboxes = Vec::new();
        if !author.local {
            inboxes.push(author.inbox_url.clone());
        }
        if kind == posts::ANNOUNCE {
            inboxes.extend(kogi_core::follows::follower_inboxes(&self.core, actor.id).await?);
        }
        inboxes.sort();
        inboxes.dedup();
        let mut out = vec![Outgoing {
            activity: activity.clone(),
            actor_id: actor.id,
            inboxes,
        }];
        if kind == posts::LIKE && !undo {
            if let Some(c) = self.community_of(post).await? {
                out.extend(self.in_community(actor, &c, activity).await?);
            }
        }
        Ok(out)
    }

    /// The ActivityPub document of a local post.
    pub async fn post_document(&self, post: &Post) -> Result<Value> {
        let author = kogi_core::actors::find_by_id(&self.core, post.author_id)
            .await?
            .ok_or(Error::NotFound)?;
        if let Some(link) = kogi_core::communities::store::post_link(&self.core, post.id).await? {
            if let Some(c) =
                kogi_core::communities::store::find(&self.core, link.community_id).await?
            {
                let mut doc = note_json(post, &author, &[]);
                if link.kind == "thread" {
                    doc["type"] = json!("Page");
                    doc["name"] = json!(link.title);
                }
                if let Some(p) = post.poll() {
                    doc["type"] = json!("Question");
                    doc[if p.multiple { "anyOf" } else { "oneOf" }] = json!(p
                        .options
                        .iter()
                        .map(|o| json!({"type": "Note", "name": o.name, "replies": {"type": "Collection", "totalItems": o.votes}}))
                        .collect::<Vec<_>>());
                    doc["votersCount"] = json!(p.options.iter().map(|o| o.votes).sum::<i64>());
                }
                doc["audience"] = json!(c.actor.ap_id);
                let mut to = doc["to"].as_array().cloned().unwrap_or_default();
                if !to.iter().any(|t| t == &json!(c.actor.ap_id)) {
                    to.push(json!(c.actor.ap_id));
                }
                doc["to"] = json!(to);
                return Ok(doc);
            }
        }
        if author.kind == "portfolio" {
            if let Some(item) =
                kogi_core::portfolios::queries::item_by_post(&self.core, post.id).await?
            {
                let p = kogi_core::portfolios::queries::find_by_actor(&self.core, author.id)
                    .await?
                    .ok_or(Error::NotFound)?;
                return Ok(crate::portfolios::item_json(
                    &p,
                    &item,
                    Some(post),
                    &[],
                    &self.core.config.public_url,
                ));
            }
            if let Some(project) =
                kogi_core::portfolios::queries::project_of_update(&self.core, post.id).await?
            {
                let title = kogi_core::portfolios::queries::project_by_ap_id(&self.core, &project)
                    .await?
                    .map(|p| p.title)
                    .unwrap_or_default();
                return Ok(self.update_document(post, &author, &project, &title));
            }
        }
        let mentioned: Vec<Actor> = posts::recipients(&self.core, post.id)
            .await?
            .into_iter()
            .filter(|(_, m)| *m)
            .map(|(a, _)| a)
            .collect();
        Ok(note_json(post, &author, &mentioned))
    }
}

/// A stored post as an upsert value (for edits).
fn to_new(p: &Post) -> NewPost {
    NewPost {
        ap_id: p.ap_id.clone(),
        author_id: p.author_id,
        local: p.local,
        kind: p.kind.clone(),
        content_html: p.content_html.clone(),
        source_text: p.source_text.clone(),
        summary: p.summary.clone(),
        sensitive: p.sensitive,
        language: p.language.clone(),
        visibility: p.visibility(),
        in_reply_to_ap_id: p.in_reply_to_ap_id.clone(),
        url: p.url.clone(),
        attachments: p.attachments(),
        tags: p.tags(),
        poll: p.poll(),
        published_at: p.published_at,
        edited_at: p.edited_at,
        like_count: p.like_count,
        announce_count: p.announce_count,
        recipients: vec![],
    }
}
