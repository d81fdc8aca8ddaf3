//! Communities: posts, polls and chat messages published in a community.

use kogi_core::accounts::Actor;
use kogi_core::communities::{moderation, store, Community};
use kogi_core::posts::{self, NewPost, Post, Visibility as PostVisibility};
use kogi_core::{Error, Result};
use serde_json::{json, Value};

use crate::delivery::Federation;
use crate::notes::{compose_html, scan};
use crate::vocab::{AS_CONTEXT, KOGI_NS, PUBLIC};
use kogi_core::ids::activity as new_id;

impl Federation {
    /// A local person posts a thread (`in_reply_to` None) or a comment in a community, here
    /// or on another server.
    pub async fn post_in_community(
        &self,
        author: &Actor,
        c: &Community,
        title: Option<&str>,
        text: &str,
        in_reply_to: Option<&Post>,
        poll: Option<kogi_core::posts::Poll>,
    ) -> Result<Post> {
        let text = text.trim();
        if text.is_empty() {
            return Err(Error::invalid("content", "required"));
        }
        if text.chars().count() > crate::posting::MAX_CHARS {
            return Err(Error::invalid("content", "field_too_long"));
        }
        let title = match (in_reply_to, title.map(str::trim)) {
            (None, Some(t)) if !t.is_empty() => Some(kogi_core::portfolios::rules::required_text(
                "title", t, 300,
            )?),
            (None, _) => return Err(Error::invalid("title", "required")),
            (Some(_), _) => None,
        };
        if c.row.local {
            self.may_post(c, author, in_reply_to).await?;
        } else if store::is_banned(&self.core, c, author.id).await? {
            return Err(Error::Forbidden("banned"));
        } else if let Some(parent) = in_reply_to {
            // The group announced the lock: refused here already, as the group would.
            if let Some(t) = self.thread_of(parent).await? {
                if store::post_link(&self.core, t.id)
                    .await?
                    .is_some_and(|l| l.locked)
                {
                    return Err(Error::Forbidden("thread_locked"));
                }
            }
        }
        let base = self.core.config.public_url.clone();
        let token = kogi_core::ids::token();
        let ap_id = format!("{base}/posts/{token}");
        let (_, tags) = scan(text);
        let html = compose_html(text, &[], &base);
        let visibility = if c.is_public() {
            PostVisibility::Public
        } else {
            PostVisibility::Followers
        };
        let new = NewPost {
            ap_id: ap_id.clone(),
            author_id: author.id,
            local: true,
            kind: if poll.is_some() {
                "Question".into()
            } else if title.is_some() {
                "Page".into()
            } else {
                "Note".into()
            },
            content_html: html.clone(),
            source_text: Some(text.to_string()),
            summary: None,
            sensitive: false,
            language: None,
            visibility,
            in_reply_to_ap_id: in_reply_to.map(|p| p.ap_id.clone()),
            url: Some(ap_id.clone()),
            attachments: vec![],
            tags: tags.clone(),
            poll: poll.clone(),
            published_at: kogi_core::now(),
            edited_at: None,
            like_count: 0,
            announce_count: 0,
            recipients: vec![(c.actor.id, false)],
        };
        let (post, _) = posts::upsert(&self.core, new).await?;
        let to = if c.is_public() {
            json!([c.actor.ap_id, PUBLIC])
        } else {
            json!([c.actor.ap_id])
        };
        let mut obj = json!({
            "@context": [AS_CONTEXT, {"kogi": KOGI_NS}],
            "id": ap_id,
            "type": if title.is_some() { "Page" } else { "Note" },
            "attributedTo": author.ap_id,
            "content": html,
            "mediaType": "text/html",
            "source": {"content": text, "mediaType": "text/markdown"},
            "url": ap_id,
            "published": post.published_at.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "to": to,
            "cc": [],
            "audience": c.actor.ap_id,
            "tag": tags.iter().map(|t| json!({"type": "Hashtag", "name": format!("#{t}"), "href": format!("{base}/tags/{}", t.to_lowercase())})).collect::<Vec<_>>(),
        });
        if let Some(t) = &title {
            obj["name"] = json!(t);
        }
        if let Some(p) = &poll {
            obj["type"] = json!("Question");
            obj[if p.multiple { "anyOf" } else { "oneOf" }] = json!(p.options.iter().map(|o| json!({"type": "Note", "name": o.name, "replies": {"type": "Collection", "totalItems": o.votes}})).collect::<Vec<_>>());
        }
        if let Some(p) = in_reply_to {
            obj["inReplyTo"] = json!(p.ap_id);
        }
        let create = json!({
            "@context": AS_CONTEXT,
            "id": format!("{ap_id}/activity"),
            "type": "Create",
            "actor": author.ap_id,
            "to": obj["to"].clone(),
            "cc": [],
            "audience": c.actor.ap_id,
            "object": obj.clone(),
        });
        self.link(c, &post, &obj, in_reply_to).await?;
        if c.row.local {
            self.relay(c, &create, in_reply_to.is_none().then_some(&obj))
                .await?;
        } else {
            let mut inboxes = vec![c.actor.inbox_url.clone()];
            if let Some(p) = in_reply_to {
                if let Some(a) = kogi_core::actors::find_by_id(&self.core, p.author_id).await? {
                    if !a.local {
                        inboxes.push(a.inbox_url);
                    }
                }
            }
            inboxes.sort();
            inboxes.dedup();
            self.enqueue(&create, author.id, &inboxes).await?;
        }
        Ok(post)
    }

    /// Sends the poll's new counts (`Update` of the `Question`) to its community's members.
    pub(super) async fn announce_poll_results(&self, poll: &Post) -> Result<()> {
        let Some(fresh) = posts::find(&self.core, poll.id).await? else {
            return Ok(());
        };
        let Some(link) = store::post_link(&self.core, poll.id).await? else {
            return Ok(());
        };
        let Some(c) = store::find(&self.core, link.community_id).await? else {
            return Ok(());
        };
        let author = kogi_core::actors::find_by_id(&self.core, fresh.author_id)
            .await?
            .ok_or(Error::NotFound)?;
        let doc = self.post_document(&fresh).await?;
        let update = json!({"@context": AS_CONTEXT, "id": new_id(&self.core.config.public_url, "update"),
            "type": "Update", "actor": author.ap_id, "to": doc["to"].clone(), "object": doc});
        if c.row.local {
            self.relay(&c, &update, None).await?;
        }
        Ok(())
    }

    /// A local person votes: counted here for a local poll, else sent to the poll's author
    /// only (never to the group or anyone else).
    pub async fn vote(&self, voter: &Actor, poll: &Post, choices: &[String]) -> Result<()> {
        let Some(p) = poll.poll() else {
            return Err(Error::invalid("poll", "not_a_poll"));
        };
        if choices.is_empty() || (!p.multiple && choices.len() > 1) {
            return Err(Error::invalid("choices", "choices_invalid"));
        }
        for c in choices {
            if !p.options.iter().any(|o| &o.name == c) {
                return Err(Error::invalid("choices", "unknown_choice"));
            }
        }
        // The same rule as for votes arriving here (checked again as each vote is counted).
        moderation::may_vote(&self.core, poll, voter.id).await?;
        let base = self.core.config.public_url.clone();
        if poll.local {
            let mut counted = false;
            for c in choices {
                counted |=
                    moderation::vote(&self.core, poll, voter.id, c, &new_id(&base, "vote")).await?;
            }
            if counted {
                self.announce_poll_results(poll).await?;
            }
            return Ok(());
        }
        let earlier = moderation::voted(&self.core, poll.id, voter.id).await?;
        if !earlier.is_empty() {
            return Err(Error::invalid("poll", "already_voted"));
        }
        let author = kogi_core::actors::find_by_id(&self.core, poll.author_id)
            .await?
            .ok_or(Error::NotFound)?;
        for c in choices {
            let id = new_id(&base, "vote");
            let note = json!({"id": id, "type": "Note", "name": c, "attributedTo": voter.ap_id,
                "inReplyTo": poll.ap_id, "to": [author.ap_id]});
            let create = json!({"@context": AS_CONTEXT, "id": format!("{id}/activity"), "type": "Create",
                "actor": voter.ap_id, "to": [author.ap_id], "object": note});
            self.enqueue(&create, voter.id, std::slice::from_ref(&author.inbox_url))
                .await?;
            moderation::record_remote_vote(&self.core, poll.id, voter.id, c, &id).await?;
        }
        Ok(())
    }

    /// A chat message as a `Note` addressed to the group only.
    pub fn chat_note(
        msg: &kogi_core::communities::chat::ChatMessage,
        author: &Actor,
        c: &Community,
    ) -> Value {
        json!({
            "@context": [AS_CONTEXT, {"kogi": KOGI_NS}],
            "id": msg.ap_id,
            "type": "Note",
            "attributedTo": author.ap_id,
            "content": msg.content_html,
            "published": msg.created_at.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "to": [c.actor.ap_id],
            "cc": [],
            "audience": c.actor.ap_id,
            "kogi:chat": true,
        })
    }

    /// The group forwards a chat message to its members' inboxes only (never its outbox or a
    /// public timeline).
    pub(super) async fn forward_chat(&self, c: &Community, create: &Value) -> Result<()> {
        let mut inner = create.clone();
        if let Some(o) = inner.as_object_mut() {
            o.remove("@context");
        }
        let announce = json!({
            "@context": AS_CONTEXT,
            "id": new_id(&self.core.config.public_url, "announce"),
            "type": "Announce",
            "actor": c.actor.ap_id,
            "to": [c.actor.followers_url],
            "audience": c.actor.ap_id,
            "object": inner,
        });
        let inboxes = kogi_core::follows::follower_inboxes(&self.core, c.actor.id).await?;
        self.enqueue(&announce, c.actor.id, &inboxes).await?;
        Ok(())
    }

    /// A local member writes in a community's chat (here or on another server).
    pub async fn post_chat(
        &self,
        author: &Actor,
        c: &Community,
        text: &str,
    ) -> Result<kogi_core::communities::chat::ChatMessage> {
        let text = text.trim();
        if text.is_empty() {
            return Err(Error::invalid("content", "required"));
        }
        if text.chars().count() > kogi_core::communities::chat::MAX_CHARS {
            return Err(Error::invalid("content", "field_too_long"));
        }
        if store::is_banned(&self.core, c, author.id).await? {
            return Err(Error::Forbidden("banned"));
        }
        if store::role_of(&self.core, c, author.id).await?.is_none() {
            return Err(Error::Forbidden("members_only"));
        }
        let base = self.core.config.public_url.clone();
        let token = kogi_core::ids::token();
        let ap_id = format!("{base}/chat/{token}");
        let html = compose_html(text, &[], &base);
        let msg = kogi_core::communities::chat::post(&self.core, c, author.id, &ap_id, &html)
            .await?
            .ok_or(Error::Internal("chat message not stored".into()))?;
        let note = Self::chat_note(&msg, author, c);
        let create = json!({"@context": AS_CONTEXT, "id": format!("{ap_id}/activity"), "type": "Create",
            "actor": author.ap_id, "to": [c.actor.ap_id], "object": note});
        if c.row.local {
            self.forward_chat(c, &create).await?;
        } else {
            self.enqueue(&create, author.id, std::slice::from_ref(&c.actor.inbox_url))
                .await?;
        }
        Ok(msg)
    }
}
