//! Posts: received `Create`, `Update`, `Delete`, `Like`, `Announce` and their `Undo`.

use std::collections::BTreeSet;

use kogi_core::accounts::Actor;
use kogi_core::posts::received::ReceivedPost;
use kogi_core::posts::{self, Attachment, NewPost, Poll, PollOption, Post, Visibility};
use serde_json::Value;

use super::incoming::{time, Counted, IncomingPost, Link};
use super::objects::{infer_visibility, sanitise, POST_TYPES};
use crate::actors::{first_url, host_of};
use crate::delivery::Federation;
use crate::inbox::{Accepted, InboxError};
use crate::vocab::escape_html;
use serde::Deserialize;

impl Federation {
    /// Who should receive a local post: follower inboxes (shared deduplicated) unless direct,
    /// plus every mentioned remote actor's inbox.
    pub async fn audience(
        &self,
        post: &Post,
        author: &Actor,
        mentioned: &[Actor],
    ) -> kogi_core::Result<Vec<String>> {
        let mut inboxes: BTreeSet<String> = BTreeSet::new();
        if post.visibility() != Visibility::Direct {
            inboxes.extend(kogi_core::follows::follower_inboxes(&self.core, author.id).await?);
        }
        for m in mentioned.iter().filter(|m| !m.local) {
            inboxes.insert(
                m.shared_inbox_url
                    .clone()
                    .filter(|_| post.visibility() != Visibility::Direct)
                    .unwrap_or_else(|| m.inbox_url.clone()),
            );
        }
        Ok(inboxes.into_iter().collect())
    }

    /// Stores a received or fetched post object from `author` (already verified to be its
    /// origin), with notifications for local people it mentions or answers. Never a post of
    /// this instance, whoever hands it over: its local row is the truth (refused, 403).
    pub async fn store_object(
        &self,
        author: &Actor,
        obj: &Value,
    ) -> Result<Option<Post>, InboxError> {
        let Some(received) = self.incoming_object(author, obj).await? else {
            return Ok(None);
        };
        match kogi_core::posts::received::receive_post(&self.core, received).await {
            Ok((post, _)) => Ok(Some(post)),
            Err(e) => Err(refusal(e)),
        }
    }

    /// The verify phase of a received post: its checks (hosted by its author's server,
    /// attributed to the sender, never one of ours) and the row it becomes, with the local
    /// people it mentions; reads only. `None` for a type that is not a post.
    pub async fn incoming_object(
        &self,
        author: &Actor,
        obj: &Value,
    ) -> Result<Option<ReceivedPost>, InboxError> {
        let o = IncomingPost::deserialize(obj)
            .map_err(|e| InboxError::Malformed(format!("object: {e}")))?;
        let kind = o.kind.clone().unwrap_or_default();
        if !POST_TYPES.contains(&kind.as_str()) {
            return Ok(None);
        }
        let id =
            o.id.clone()
                .ok_or_else(|| InboxError::Malformed("object without id".into()))?;
        if author.local || self.is_local_id(&id) {
            return Err(InboxError::Refused(
                "a post hosted here is never taken from elsewhere".into(),
            ));
        }
        if host_of(&id).as_deref() != Some(author.host.as_str()) {
            return Err(InboxError::Refused(
                "the object is not hosted by its author's instance".into(),
            ));
        }
        let attributed = o.attributed_to.as_ref().and_then(Link::url);
        if attributed.as_deref().is_some_and(|a| a != author.ap_id) {
            return Err(InboxError::Refused(
                "the object is attributed to someone else".into(),
            ));
        }
        let to = IncomingPost::addressed(&o.to);
        let cc = IncomingPost::addressed(&o.cc);
        let visibility = infer_visibility(&to, &cc, author.followers_url.as_deref());
        let mut html = sanitise(o.text().as_deref().unwrap_or(""));
        // Types Mastodon only converts: show the title and a link.
        if kind != "Note" && kind != "Question" {
            let name = o.name.as_deref().unwrap_or("");
            let url = o
                .url
                .as_ref()
                .and_then(Link::url)
                .unwrap_or_else(|| id.clone());
            html = format!(
                "<p><strong>{}</strong></p>{}<p><a href=\"{}\">{}</a></p>",
                escape_html(name),
                html,
                escape_html(&url),
                escape_html(&url)
            );
            html = sanitise(&html);
        }
        let attachments: Vec<Attachment> = o
            .attachment
            .iter()
            .filter_map(|a| {
                Some(Attachment {
                    url: a.url.url()?,
                    media_type: a.media_type.clone(),
                    description: a.name.clone(),
                })
            })
            .take(16)
            .collect();
        let mentioned = o.mentions();
        // Local people addressed (in to/cc), noting which were mentioned.
        let mut recipients = Vec::new();
        for addr in to.iter().chain(cc.iter()) {
            if let Some(a) = kogi_core::actors::find_by_ap_id(&self.core, addr).await? {
                if a.local {
                    recipients.push((a.id, mentioned.contains(addr)));
                }
            }
        }
        let poll = if kind == "Question" {
            o.one_of.as_ref().or(o.any_of.as_ref()).map(|choices| Poll {
                options: choices
                    .iter()
                    .map(|c| PollOption {
                        name: c.name.clone(),
                        votes: c.replies.as_ref().and_then(|r| r.total_items).unwrap_or(0),
                    })
                    .collect(),
                multiple: o.one_of.is_none(),
                closed_at: o.closed.clone().or_else(|| o.end_time.clone()),
            })
        } else {
            None
        };
        let new = NewPost {
            ap_id: id.clone(),
            author_id: author.id,
            local: false,
            kind,
            content_html: html,
            source_text: None,
            summary: o
                .summary
                .as_deref()
                .filter(|s| !s.is_empty())
                .map(crate::vocab::strip_html),
            sensitive: o.sensitive.unwrap_or(false),
            language: o.language(),
            visibility,
            in_reply_to_ap_id: o.in_reply_to.as_ref().and_then(Link::url),
            url: o.url.as_ref().and_then(Link::url),
            attachments,
            tags: o.hashtags(),
            poll,
            published_at: time(&o.published).unwrap_or_else(kogi_core::now),
            edited_at: time(&o.updated),
            like_count: Counted::count(&o.likes),
            announce_count: Counted::count(&o.shares),
            recipients: recipients.clone(),
        };
        let mentioned = recipients
            .iter()
            .filter(|(_, m)| *m)
            .map(|(id, _)| *id)
            .collect();
        Ok(Some(ReceivedPost {
            post: new,
            mentioned,
        }))
    }

    /// Is `id` a URL of this instance (its host and port)?
    pub fn is_local_id(&self, id: &str) -> bool {
        host_of(id).as_deref() == Some(self.core.config.host().as_str())
    }

    /// A post by id: known here, or fetched from its origin (signed) and stored.
    pub async fn post_by_id(&self, id: &str) -> Result<Option<Post>, InboxError> {
        if let Some(p) = posts::find_by_ap_id(&self.core, id).await? {
            return Ok(Some(p));
        }
        if host_of(id).as_deref() == Some(self.core.config.host().as_str()) {
            return Ok(None);
        }
        let doc = match self.fetch_json(id).await {
            Ok(d) => d,
            Err(e) if e.is_network() => return Err(InboxError::KeyUnavailable(e.to_string())),
            Err(_) => return Ok(None),
        };
        let Some(author_id) = doc.get("attributedTo").and_then(first_url) else {
            return Ok(None);
        };
        let author = match self.actor(&author_id).await {
            Ok(a) => a,
            Err(_) => return Ok(None),
        };
        self.store_object(&author, &doc).await
    }

    pub async fn on_create(&self, sender: &Actor, doc: &Value) -> Result<Accepted, InboxError> {
        let obj = match doc.get("object") {
            Some(o @ Value::Object(_)) => o.clone(),
            Some(Value::String(id)) => {
                // A bare id: fetch it from its origin rather than trust anything else.
                match self.post_by_id(id).await? {
                    Some(_) => return Ok(Accepted::Applied("Create (fetched)".into())),
                    None => return Ok(Accepted::Ignored("Create of an unreachable object".into())),
                }
            }
            _ => return Err(InboxError::Malformed("Create without object".into())),
        };
        if let Some(outcome) = self.on_chat(sender, doc, &obj).await? {
            return Ok(outcome);
        }
        if let Some(outcome) = self.on_vote(sender, doc, &obj).await? {
            return Ok(outcome);
        }
        if let Some(outcome) = self.on_create_in_community(sender, doc, &obj).await? {
            return Ok(outcome);
        }
        self.check_portfolio_claims(sender, &obj).await?;
        match self.store_object(sender, &obj).await? {
            Some(post) => {
                self.on_portfolio_object(sender, &obj, &post).await?;
                Ok(Accepted::Applied("Create".into()))
            }
            None => Ok(Accepted::Ignored("Create of an unsupported object".into())),
        }
    }

    pub async fn on_update_object(
        &self,
        sender: &Actor,
        doc: &Value,
    ) -> Result<Accepted, InboxError> {
        let Some(obj) = doc.get("object").filter(|o| o.is_object()) else {
            return Ok(Accepted::Ignored(
                "Update without an embedded object".into(),
            ));
        };
        let Some(id) = obj.get("id").and_then(Value::as_str) else {
            return Err(InboxError::Malformed("no object id".into()));
        };
        let Some(existing) = posts::find_by_ap_id(&self.core, id).await? else {
            return Ok(Accepted::Ignored("Update of an unknown object".into()));
        };
        // Only the author edits a post (a group relays edits as Announce(Update)).
        if existing.author_id != sender.id {
            return Err(InboxError::Refused(
                "only the author can edit a post".into(),
            ));
        }
        if existing.deleted_at.is_some() {
            return Ok(Accepted::Ignored("Update of a deleted post".into()));
        }
        self.check_portfolio_claims(sender, obj).await?;
        let Some(received) = self.incoming_object(sender, obj).await? else {
            return Ok(Accepted::Ignored("Update of an unsupported object".into()));
        };
        // An author's edit in a community here is relayed to its members, in the same
        // transaction as the edit.
        let relay = self.relay_for(existing.id, doc).await?;
        let activity_id = doc.get("id").and_then(Value::as_str).map(str::to_string);
        let post =
            kogi_core::posts::received::receive_edit(&self.core, received, relay, activity_id)
                .await
                .map_err(refusal)?;
        self.on_portfolio_object(sender, obj, &post).await?;
        Ok(Accepted::Applied("Update".into()))
    }

    pub async fn on_delete_object(
        &self,
        sender: &Actor,
        doc: &Value,
    ) -> Result<Accepted, InboxError> {
        let Some(id) = crate::protocol::classify::object_id(doc) else {
            return Err(InboxError::Malformed("no object".into()));
        };
        let Some(post) = posts::find_by_ap_id(&self.core, &id).await? else {
            return Ok(Accepted::Ignored("Delete of an unknown object".into()));
        };
        if post.author_id != sender.id {
            // A moderator of a local community (possibly on another server) removes a post.
            if let Some(link) =
                kogi_core::communities::store::post_link(&self.core, post.id).await?
            {
                if let Some(c) =
                    kogi_core::communities::store::find(&self.core, link.community_id).await?
                {
                    if c.row.local
                        && kogi_core::communities::store::role_of(&self.core, &c, sender.id)
                            .await?
                            .is_some_and(kogi_core::communities::Role::moderates)
                    {
                        kogi_core::communities::manage::remove_post(
                            &self.core, sender, &c, post.id,
                        )
                        .await?;
                        return Ok(Accepted::Applied("Delete by a moderator".into()));
                    }
                }
            }
            return Err(InboxError::Refused(
                "only the author can delete a post".into(),
            ));
        }
        let relay = self.relay_for(post.id, doc).await?;
        let activity_id = doc.get("id").and_then(Value::as_str).unwrap_or_default();
        posts::actions::receive_delete(&self.core, post.id, activity_id, relay).await?;
        Ok(Accepted::Applied("Delete".into()))
    }

    pub async fn on_react(
        &self,
        sender: &Actor,
        doc: &Value,
        kind: &str,
    ) -> Result<Accepted, InboxError> {
        let Some(object) = crate::protocol::classify::object_id(doc) else {
            return Err(InboxError::Malformed("no object".into()));
        };
        let id = doc.get("id").and_then(Value::as_str).unwrap_or_default();
        let post = match self.post_by_id(&object).await {
            Ok(p) => p,
            // The object's origin cannot be reached: the sender gains nothing by retrying (a
            // 503 is for the sender's own key), so the reaction is accepted and ignored.
            Err(InboxError::KeyUnavailable(e)) => {
                return Ok(Accepted::Ignored(format!(
                    "{kind} of an unreachable object ({e})"
                )))
            }
            Err(e) => return Err(e),
        };
        let Some(post) = post else {
            return Ok(Accepted::Ignored(format!("{kind} of an unknown object")));
        };
        if !posts::can_view(&self.core, Some(sender.id), &post).await? {
            return Ok(Accepted::Ignored(format!(
                "{kind} of a post the actor cannot see"
            )));
        }
        let relay = if kind == posts::LIKE {
            self.relay_for(post.id, doc).await?
        } else {
            None
        };
        posts::actions::receive_reaction(&self.core, kind, id, sender.id, post.id, relay).await?;
        Ok(Accepted::Applied(kind.to_string()))
    }

    pub async fn on_undo_react(
        &self,
        sender: &Actor,
        doc: &Value,
        kind: &str,
    ) -> Result<Accepted, InboxError> {
        let inner = doc.get("object").cloned().unwrap_or(Value::Null);
        if crate::protocol::classify::actor_id(&inner).is_some_and(|a| a != sender.ap_id) {
            return Err(InboxError::Refused(
                "an Undo must come from the reaction's actor".into(),
            ));
        }
        let post_id = match inner.get("id").and_then(Value::as_str) {
            Some(rid) => match posts::reaction_by_ap_id(&self.core, rid).await? {
                // Someone else's reaction, by its id: not the sender's to undo.
                Some((_, actor, _)) if actor != sender.id => {
                    return Err(InboxError::Refused(
                        "an Undo must come from the reaction's actor".into(),
                    ))
                }
                Some((_, _, p)) => Some(p),
                None => None,
            },
            None => None,
        };
        let post_id = match post_id {
            Some(p) => Some(p),
            None => match crate::protocol::classify::object_id(&inner) {
                Some(obj) => posts::find_by_ap_id(&self.core, &obj).await?.map(|p| p.id),
                None => None,
            },
        };
        let Some(post_id) = post_id else {
            return Ok(Accepted::Ignored("Undo of an unknown reaction".into()));
        };
        let undo_id = doc.get("id").and_then(Value::as_str).unwrap_or_default();
        posts::actions::receive_undo_reaction(&self.core, kind, undo_id, sender.id, post_id)
            .await?;
        Ok(Accepted::Applied(format!("Undo({kind})")))
    }
}

/// A refusal of the store (a post hosted here, someone else's post) as the inbox answers it.
pub(crate) fn refusal(e: kogi_core::Error) -> InboxError {
    match e {
        kogi_core::Error::Forbidden("hosted_elsewhere") => {
            InboxError::Refused("a post hosted here is never taken from elsewhere".into())
        }
        kogi_core::Error::Forbidden(_) => InboxError::Refused("not the post's author".into()),
        e => e.into(),
    }
}
