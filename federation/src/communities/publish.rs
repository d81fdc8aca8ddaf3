//! Communities: posts, polls and chat messages published in a community.

use kogi_core::accounts::Actor;
use kogi_core::communities::{store, Community};
use kogi_core::posts::{self, NewPost, Post, Visibility as PostVisibility};
use kogi_core::{Error, Result};
use serde_json::{json, Value};

use crate::delivery::Federation;
use crate::notes::{compose_html, scan};
use crate::outbox::Outgoing;
use crate::vocab::{AS_CONTEXT, KOGI_NS, PUBLIC};
use kogi_core::communities::manage::Placement;
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
        let placement = match in_reply_to {
            None => Placement::Thread {
                title: title.unwrap_or_default(),
            },
            Some(parent) => Placement::Comment {
                thread_post_id: self.thread_of(parent).await?.map_or(parent.id, |t| t.id),
            },
        };
        kogi_core::communities::manage::publish_post(&self.core, c, new, placement).await
    }

    /// The `Create` of a local person's community post, built from the stored post: relayed
    /// by a local group (a thread also as `Announce(Page)`), or sent to a remote group and,
    /// for a comment, to the remote author it answers.
    pub(crate) async fn community_post_activities(
        &self,
        post: &Post,
        c: &Community,
    ) -> Result<Vec<Outgoing>> {
        let Some(author) = kogi_core::actors::find_by_id(&self.core, post.author_id).await? else {
            return Ok(Vec::new());
        };
        let title = store::post_link(&self.core, post.id)
            .await?
            .filter(|l| l.kind == "thread")
            .map(|l| l.title);
        let obj = community_object(
            post,
            &author,
            c,
            title.as_deref(),
            &self.core.config.public_url,
        );
        let create = json!({
            "@context": AS_CONTEXT,
            "id": format!("{}/activity", post.ap_id),
            "type": "Create",
            "actor": author.ap_id,
            "to": obj["to"].clone(),
            "cc": [],
            "audience": c.actor.ap_id,
            "object": obj.clone(),
        });
        let parent = match &post.in_reply_to_ap_id {
            Some(id) => posts::find_by_ap_id(&self.core, id).await?,
            None => None,
        };
        if c.row.local {
            let thread = post.in_reply_to_ap_id.is_none().then_some(&obj);
            return self.relayed(c, &create, thread).await;
        }
        let mut inboxes = vec![c.actor.inbox_url.clone()];
        if let Some(p) = parent {
            if let Some(a) = kogi_core::actors::find_by_id(&self.core, p.author_id).await? {
                if !a.local {
                    inboxes.push(a.inbox_url);
                }
            }
        }
        inboxes.sort();
        inboxes.dedup();
        Ok(vec![Outgoing {
            activity: create,
            actor_id: author.id,
            inboxes,
        }])
    }

    /// The `Update` of a local community's poll with its current counts, relayed by the
    /// group; nothing for a poll elsewhere.
    pub(crate) async fn poll_update_activities(&self, poll_id: i64) -> Result<Vec<Outgoing>> {
        let Some(fresh) = posts::find(&self.core, poll_id).await? else {
            return Ok(Vec::new());
        };
        let Some(link) = store::post_link(&self.core, poll_id).await? else {
            return Ok(Vec::new());
        };
        let Some(c) = store::find(&self.core, link.community_id).await? else {
            return Ok(Vec::new());
        };
        if !c.row.local || fresh.deleted_at.is_some() {
            return Ok(Vec::new());
        }
        let Some(author) = kogi_core::actors::find_by_id(&self.core, fresh.author_id).await? else {
            return Ok(Vec::new());
        };
        let doc = self.post_document(&fresh).await?;
        let update = json!({"@context": AS_CONTEXT, "id": new_id(&self.core.config.public_url, "update"),
            "type": "Update", "actor": author.ap_id, "to": doc["to"].clone(), "object": doc});
        self.relayed(&c, &update, None).await
    }

    /// A local person's vote in a remote poll: `Create` of a `Note` named after the choice,
    /// to the poll's author only.
    pub(crate) async fn vote_activities(
        &self,
        voter_id: i64,
        poll_id: i64,
        choice: &str,
        vote_ap_id: &str,
    ) -> Result<Vec<Outgoing>> {
        let (Some(voter), Some(poll)) = (
            kogi_core::actors::find_by_id(&self.core, voter_id).await?,
            posts::find(&self.core, poll_id).await?,
        ) else {
            return Ok(Vec::new());
        };
        let Some(author) = kogi_core::actors::find_by_id(&self.core, poll.author_id).await? else {
            return Ok(Vec::new());
        };
        let note = json!({"id": vote_ap_id, "type": "Note", "name": choice, "attributedTo": voter.ap_id,
            "inReplyTo": poll.ap_id, "to": [author.ap_id]});
        let create = json!({"@context": AS_CONTEXT, "id": format!("{vote_ap_id}/activity"), "type": "Create",
            "actor": voter.ap_id, "to": [author.ap_id], "object": note});
        Ok(vec![Outgoing {
            activity: create,
            actor_id: voter.id,
            inboxes: vec![author.inbox_url],
        }])
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

    /// The group's `Announce` of a chat message's `Create`, to its members.
    pub(crate) async fn chat_forward(&self, c: &Community, create: &Value) -> Result<Outgoing> {
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
        Ok(Outgoing {
            activity: announce,
            actor_id: c.actor.id,
            inboxes,
        })
    }

    /// A local member's chat message: forwarded by a local group, or sent to a remote one.
    pub(crate) async fn chat_activities(
        &self,
        message_id: i64,
        community_id: i64,
    ) -> Result<Vec<Outgoing>> {
        let (Some((msg, author)), Some(c)) = (
            kogi_core::communities::chat::find(&self.core, message_id).await?,
            store::find(&self.core, community_id).await?,
        ) else {
            return Ok(Vec::new());
        };
        let note = Self::chat_note(&msg, &author, &c);
        let create = json!({"@context": AS_CONTEXT, "id": format!("{}/activity", msg.ap_id), "type": "Create",
            "actor": author.ap_id, "to": [c.actor.ap_id], "object": note});
        if c.row.local {
            return Ok(vec![self.chat_forward(&c, &create).await?]);
        }
        Ok(vec![Outgoing {
            activity: create,
            actor_id: author.id,
            inboxes: vec![c.actor.inbox_url.clone()],
        }])
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
        let base = self.core.config.public_url.clone();
        let ap_id = format!("{base}/chat/{}", kogi_core::ids::token());
        let html = compose_html(text, &[], &base);
        kogi_core::communities::manage::post_chat(&self.core, author, c, &ap_id, &html).await
    }
}

/// A community post as sent: a `Page` (thread, with its title), `Note` (comment) or
/// `Question` (poll), addressed to the group (and the public for a public community).
fn community_object(
    post: &Post,
    author: &Actor,
    c: &Community,
    title: Option<&str>,
    base: &str,
) -> Value {
    let to = if c.is_public() {
        json!([c.actor.ap_id, PUBLIC])
    } else {
        json!([c.actor.ap_id])
    };
    let tags = post.tags();
    let mut obj = json!({
        "@context": [AS_CONTEXT, {"kogi": KOGI_NS}],
        "id": post.ap_id,
        "type": if title.is_some() { "Page" } else { "Note" },
        "attributedTo": author.ap_id,
        "content": post.content_html,
        "mediaType": "text/html",
        "source": {"content": post.source_text.clone().unwrap_or_default(), "mediaType": "text/markdown"},
        "url": post.url.clone().unwrap_or_else(|| post.ap_id.clone()),
        "published": post.published_at.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "to": to,
        "cc": [],
        "audience": c.actor.ap_id,
        "tag": tags.iter().map(|t| json!({"type": "Hashtag", "name": format!("#{t}"), "href": format!("{base}/tags/{}", t.to_lowercase())})).collect::<Vec<_>>(),
    });
    if let Some(t) = title {
        obj["name"] = json!(t);
    }
    if let Some(p) = post.poll() {
        obj["type"] = json!("Question");
        obj[if p.multiple { "anyOf" } else { "oneOf" }] = json!(p.options.iter().map(|o| json!({"type": "Note", "name": o.name, "replies": {"type": "Collection", "totalItems": o.votes}})).collect::<Vec<_>>());
    }
    if let Some(parent) = &post.in_reply_to_ap_id {
        obj["inReplyTo"] = json!(parent);
    }
    obj
}
