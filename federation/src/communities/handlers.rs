//! Communities: incoming activities in a community (posts, relayed announces, collection
//! changes, locks, flags, invites, votes, chat).

use kogi_core::accounts::Actor;
use kogi_core::communities::{moderation, store, Community, Role};
use kogi_core::posts::{self, Post};
use kogi_core::{Error, Result};
use serde_json::{json, Value};

use super::objects::{addresses, same_collection};
use crate::actors::{first_url, host_of};
use crate::delivery::Federation;
use crate::inbox::{Accepted, InboxError};
use crate::protocol::classify::object_id;

impl Federation {
    /// A `Create` addressed to a local community: checked against its rules, stored, linked
    /// and relayed. `Ok(None)` when the object is not for a local community.
    pub async fn on_create_in_community(
        &self,
        sender: &Actor,
        doc: &Value,
        obj: &Value,
    ) -> std::result::Result<Option<Accepted>, InboxError> {
        let Some((c, parent)) = self.local_community_for(obj).await? else {
            return Ok(None);
        };
        match self.may_post(&c, sender, parent.as_ref()).await {
            Ok(()) => {}
            Err(Error::Forbidden(why)) => {
                if why == "thread_locked" {
                    if let Some(id) = doc.get("id").and_then(Value::as_str) {
                        kogi_core::communities::manage::reject_activity(
                            &self.core, &c, sender.id, id,
                        )
                        .await?;
                    }
                }
                return Err(InboxError::Refused(why.to_string()));
            }
            Err(e) => return Err(e.into()),
        }
        let Some(received) = self.incoming_object(sender, obj).await? else {
            return Ok(Some(Accepted::Ignored(
                "unsupported object for a community".into(),
            )));
        };
        let Some(activity_id) = doc.get("id").and_then(Value::as_str) else {
            return Err(InboxError::Malformed("activity without id".into()));
        };
        let place = self.place_in_community(obj, parent.as_ref()).await?;
        let to_json =
            |v: &Value| serde_json::to_string(v).map_err(|e| Error::Internal(e.to_string()));
        let (activity, object) = (to_json(doc)?, to_json(obj)?);
        kogi_core::communities::received::receive_post(
            &self.core,
            &c,
            received,
            place,
            activity,
            object,
            activity_id,
        )
        .await
        .map_err(crate::posts::refusal)?;
        Ok(Some(Accepted::Applied(
            "Create in a community, relayed".into(),
        )))
    }

    /// An `Announce` of an activity from a group: the group relays its members' posts.
    /// Only groups relay; an announced object hosted elsewhere than the group is fetched from
    /// its origin before it is stored.
    pub async fn on_group_announce(
        &self,
        sender: &Actor,
        doc: &Value,
    ) -> std::result::Result<Accepted, InboxError> {
        // Only groups relay: anyone else's Announce of an activity changes nothing here.
        let c = match sender.kind.as_str() {
            "community" => store::find_by_actor(&self.core, sender.id).await?,
            _ => None,
        };
        let Some(c) = c else {
            return Ok(Accepted::Ignored(
                "Announce of an activity by an actor that is not a known group".into(),
            ));
        };
        let inner = doc.get("object").cloned().unwrap_or(Value::Null);
        let kind = inner.get("type").and_then(Value::as_str).unwrap_or("");
        if kind == "Create"
            && inner
                .get("object")
                .is_some_and(|o| Self::is_chat(o, &c.actor))
        {
            return self.on_forwarded_chat(&c, &inner).await;
        }
        if kind == "Update" && object_id(&inner).as_deref() == Some(c.actor.ap_id.as_str()) {
            // Lemmy announces its groups' profile edits: the group, signing, vouches for its
            // own document.
            let doc = inner.get("object").filter(|o| o.is_object());
            let mut remote = match doc {
                Some(d) => crate::actors::parse_remote_actor(d, &c.actor.ap_id)
                    .map_err(|e| InboxError::Malformed(e.to_string()))?,
                None => {
                    self.fetch_actor(&c.actor.ap_id)
                        .await
                        .map_err(InboxError::from)?;
                    return Ok(Accepted::Applied("Announce(Update(Group))".into()));
                }
            };
            // Keys change only when the group's own document is fetched (on a failed check).
            remote.public_key_pem = c.actor.public_key_pem.clone();
            if let Some(k) = &c.actor.key_id {
                remote.key_id = k.clone();
            }
            kogi_core::actors::upsert_remote(&self.core, remote).await?;
            return Ok(Accepted::Applied("Announce(Update(Group))".into()));
        }
        match kind {
            "Add" | "Remove" => self.on_collection_change(&c, &inner, kind == "Add").await,
            "Lock" => self.on_lock(&c, &inner, true).await,
            "Undo"
                if inner
                    .get("object")
                    .and_then(|o| o.get("type"))
                    .and_then(Value::as_str)
                    == Some("Lock") =>
            {
                self.on_lock(&c, &inner, false).await
            }
            // Stored and linked only by the relay rules (crate::relays).
            "Create" | "Update" => {
                self.on_group_relayed_post(&c, &inner, kind == "Update")
                    .await
            }
            "Delete" => {
                // A group removing a post from itself: authoritative for its own content.
                let Some(target) = object_id(&inner) else {
                    return Err(InboxError::Malformed("Delete without object".into()));
                };
                let Some(p) = posts::find_by_ap_id(&self.core, &target).await? else {
                    return Ok(Accepted::Ignored("Delete of an unknown post".into()));
                };
                match store::post_link(&self.core, p.id).await? {
                    Some(l) if l.community_id == c.id() => {
                        posts::mark_deleted(&self.core, p.id).await?;
                        Ok(Accepted::Applied("Announce(Delete) from a group".into()))
                    }
                    _ => Err(InboxError::Refused(
                        "a group can only remove its own posts".into(),
                    )),
                }
            }
            // Likes and their undoing: the origin counts; counts refresh from it on view.
            other => Ok(Accepted::Ignored(format!("Announce({other}) from a group"))),
        }
    }

    /// `Add` or `Remove` relayed by a group: its moderators collection (Lemmy's and Kogi's
    /// moderator changes) or its featured collection (pinned threads).
    async fn on_collection_change(
        &self,
        c: &Community,
        inner: &Value,
        add: bool,
    ) -> std::result::Result<Accepted, InboxError> {
        let target = inner.get("target").and_then(first_url);
        let Some(object) = object_id(inner) else {
            return Err(InboxError::Malformed("Add or Remove without object".into()));
        };
        let is = |mine: &Option<String>| match (&target, mine) {
            (Some(t), Some(m)) => same_collection(t, m),
            _ => false,
        };
        if is(&c.row.moderators_url) {
            let who = self.actor(&object).await.map_err(InboxError::from)?;
            let role = add.then_some(Role::Moderator);
            if !add && store::role_of(&self.core, c, who.id).await? == Some(Role::Owner) {
                return Ok(Accepted::Ignored("the owner stays".into()));
            }
            store::set_role(&self.core, c, who.id, role).await?;
            return Ok(Accepted::Applied("moderators changed".into()));
        }
        if is(&c.row.featured_url) {
            let mut known = posts::find_by_ap_id(&self.core, &object).await?;
            if known.is_none() && add {
                // The pin overtook the thread's own relay (deliveries to one server run in
                // parallel): take the thread by the relay rules, fetched from its origin.
                let relayed = json!({"type": "Create", "object": object});
                self.on_group_relayed_post(c, &relayed, false).await?;
                known = posts::find_by_ap_id(&self.core, &object).await?;
            }
            let Some(p) = known else {
                return Ok(Accepted::Ignored("pin of an unknown thread".into()));
            };
            return match store::post_link(&self.core, p.id).await? {
                Some(l) if l.community_id == c.id() && l.kind == "thread" => {
                    moderation::set_pinned(&self.core, p.id, add).await?;
                    if add && inner.get("kogi:announcement").and_then(Value::as_bool) == Some(true)
                    {
                        self.notify_announcement(c, &p).await?;
                    }
                    Ok(Accepted::Applied("featured changed".into()))
                }
                _ => Err(InboxError::Refused(
                    "a group can only pin its own threads".into(),
                )),
            };
        }
        Ok(Accepted::Ignored(
            "Add or Remove for an unknown collection".into(),
        ))
    }

    /// Tells a community's members on this server about an announcement (a notification).
    pub(super) async fn notify_announcement(&self, c: &Community, p: &Post) -> Result<()> {
        let members = kogi_core::follows::followers(
            &self.core,
            c.actor.id,
            kogi_core::follows::ACCEPTED,
            0,
            100_000,
        )
        .await?;
        for m in members.iter().filter(|m| m.local) {
            posts::notify(&self.core, m.id, "announcement", c.actor.id, Some(p.id)).await?;
        }
        Ok(())
    }

    /// `Lock` or `Undo(Lock)` relayed by a group for one of its threads.
    async fn on_lock(
        &self,
        c: &Community,
        inner: &Value,
        locked: bool,
    ) -> std::result::Result<Accepted, InboxError> {
        let target = if locked {
            object_id(inner)
        } else {
            inner.get("object").and_then(object_id)
        };
        let Some(target) = target else {
            return Err(InboxError::Malformed("Lock without object".into()));
        };
        let Some(p) = posts::find_by_ap_id(&self.core, &target).await? else {
            return Ok(Accepted::Ignored("Lock of an unknown thread".into()));
        };
        match store::post_link(&self.core, p.id).await? {
            Some(l) if l.community_id == c.id() && l.kind != "thread" => Ok(Accepted::Ignored(
                "Lock of a comment (threads are locked here)".into(),
            )),
            Some(l) if l.community_id == c.id() => {
                store::set_locked(&self.core, p.id, locked).await?;
                Ok(Accepted::Applied("thread lock changed".into()))
            }
            _ => Err(InboxError::Refused(
                "a group can only lock its own threads".into(),
            )),
        }
    }

    /// A like of a community post: the origin counts it (as for any post); the group hears
    /// of it too, and a local group relays it.
    /// A report (`Flag`) about a post of a local community, or about the community itself,
    /// lands in its moderation queue.
    pub async fn on_flag(
        &self,
        sender: &Actor,
        doc: &Value,
    ) -> std::result::Result<Accepted, InboxError> {
        let mut objects: Vec<String> = match doc.get("object") {
            Some(Value::Array(a)) => a.iter().filter_map(first_url).collect(),
            Some(v) => first_url(v).into_iter().collect(),
            None => vec![],
        };
        objects.extend(addresses(doc));
        let reason = doc
            .get("summary")
            .or_else(|| doc.get("content"))
            .and_then(Value::as_str)
            .map(crate::vocab::strip_html)
            .unwrap_or_default();
        let id = doc
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let mut community = None;
        let mut post_id = None;
        for o in &objects {
            if let Some(p) = posts::find_by_ap_id(&self.core, o).await? {
                if let Some(l) = store::post_link(&self.core, p.id).await? {
                    community = store::find(&self.core, l.community_id).await?;
                    post_id = Some(p.id);
                    break;
                }
            }
            if let Some(a) = kogi_core::actors::find_by_ap_id(&self.core, o).await? {
                if a.kind == "community" && a.local {
                    community = store::find_by_actor(&self.core, a.id).await?;
                }
            }
        }
        match community.filter(|c| c.row.local) {
            Some(c) => {
                let reason: String = reason.chars().take(2000).collect();
                moderation::report(&self.core, &c, sender.id, post_id, &reason, &id).await?;
                Ok(Accepted::Applied("Flag to a community's moderators".into()))
            }
            None => Ok(Accepted::Ignored(
                "Flag of nothing in a local community".into(),
            )),
        }
    }

    /// An `Invite` from a group to a local person: they are told (and may join).
    pub async fn on_invite(
        &self,
        sender: &Actor,
        doc: &Value,
    ) -> std::result::Result<Accepted, InboxError> {
        if sender.kind != "community" {
            return Ok(Accepted::Ignored(
                "Invite from an actor that is not a group".into(),
            ));
        }
        let Some(target) = doc.get("target").and_then(first_url) else {
            return Ok(Accepted::Ignored("Invite without target".into()));
        };
        match kogi_core::actors::find_by_ap_id(&self.core, &target).await? {
            Some(a) if a.local => {
                posts::notify(&self.core, a.id, "community_invite", sender.id, None).await?;
                Ok(Accepted::Applied("Invite".into()))
            }
            _ => Ok(Accepted::Ignored("Invite of someone not here".into())),
        }
    }

    /// A vote in a poll: `Create(Note)` with `name` (the choice) and `inReplyTo` (the poll),
    /// as Mastodon sends it. Counted here when the poll is ours; never stored as a post nor
    /// relayed. `Ok(None)` when the object is not a vote.
    pub async fn on_vote(
        &self,
        sender: &Actor,
        doc: &Value,
        obj: &Value,
    ) -> std::result::Result<Option<Accepted>, InboxError> {
        let is_vote = obj.get("type").and_then(Value::as_str) == Some("Note")
            && obj.get("name").and_then(Value::as_str).is_some()
            && obj
                .get("content")
                .and_then(Value::as_str)
                .is_none_or(|c| c.trim().is_empty());
        if !is_vote {
            return Ok(None);
        }
        let Some(parent) = obj.get("inReplyTo").and_then(first_url) else {
            return Ok(None);
        };
        let Some(poll) = posts::find_by_ap_id(&self.core, &parent).await? else {
            return Ok(Some(Accepted::Ignored("vote in an unknown poll".into())));
        };
        if !poll.local || poll.poll.is_none() {
            return Ok(Some(Accepted::Ignored(
                "vote in a poll hosted elsewhere".into(),
            )));
        }
        let choice = obj.get("name").and_then(Value::as_str).unwrap_or_default();
        let id = obj.get("id").and_then(Value::as_str).unwrap_or_default();
        let activity_id = doc.get("id").and_then(Value::as_str).unwrap_or_default();
        let counted = kogi_core::communities::manage::receive_vote(
            &self.core,
            &poll,
            sender.id,
            choice,
            id,
            activity_id,
        )
        .await;
        match counted {
            Ok(true) => Ok(Some(Accepted::Applied("vote counted".into()))),
            Ok(false) => Ok(Some(Accepted::Ignored("repeated vote".into()))),
            // Not a member of a private community, banned, or a closed poll (moderation::may_vote).
            Err(Error::Invalid { code, .. }) => Err(InboxError::Refused(code.to_string())),
            Err(Error::Forbidden(why)) => Err(InboxError::Refused(why.to_string())),
            Err(Error::NotFound) => Ok(Some(Accepted::Ignored("vote in a deleted poll".into()))),
            Err(e) => Err(e.into()),
        }
    }

    /// A chat message sent to a local group by a member on another server: stored, shown
    /// live, forwarded to the members. `Ok(None)` when the object is not a chat message for
    /// a local group.
    pub async fn on_chat(
        &self,
        sender: &Actor,
        doc: &Value,
        obj: &Value,
    ) -> std::result::Result<Option<Accepted>, InboxError> {
        let mut group = None;
        for addr in addresses(obj) {
            if let Some(a) = kogi_core::actors::find_by_ap_id(&self.core, &addr).await? {
                if a.local && a.kind == "community" {
                    group = Some(a);
                }
            }
        }
        let Some(group) = group else { return Ok(None) };
        if !Self::is_chat(obj, &group) {
            return Ok(None);
        }
        let Some(c) = store::find_by_actor(&self.core, group.id).await? else {
            return Ok(None);
        };
        let id = obj.get("id").and_then(Value::as_str).unwrap_or_default();
        if host_of(id).as_deref() != Some(sender.host.as_str())
            || obj.get("attributedTo").and_then(first_url).as_deref() != Some(sender.ap_id.as_str())
        {
            return Err(InboxError::Refused(
                "the message is not the sender's".into(),
            ));
        }
        let html = crate::notes::sanitise(obj.get("content").and_then(Value::as_str).unwrap_or(""));
        let activity = serde_json::to_string(doc).map_err(|e| Error::Internal(e.to_string()))?;
        let activity_id = doc.get("id").and_then(Value::as_str).unwrap_or_default();
        let received = kogi_core::communities::manage::receive_chat(
            &self.core,
            sender.id,
            &c,
            id,
            &html,
            activity,
            activity_id,
        )
        .await;
        match received {
            Ok(_) => Ok(Some(Accepted::Applied("chat message".into()))),
            Err(Error::Forbidden(why)) => Err(InboxError::Refused(why.to_string())),
            Err(e) => Err(e.into()),
        }
    }

    /// A chat message forwarded by a remote group: stored for that community's page here. One
    /// hosted by the group's own server is taken from the group; any other is fetched from its
    /// origin first.
    async fn on_forwarded_chat(
        &self,
        c: &Community,
        inner: &Value,
    ) -> std::result::Result<Accepted, InboxError> {
        let Some(obj_id) = object_id(inner) else {
            return Err(InboxError::Malformed("no object".into()));
        };
        // One written here is stored here already, and its row is the truth.
        if self.is_local_id(&obj_id) {
            return Ok(Accepted::Ignored(
                "a chat message hosted here is never taken from a relay".into(),
            ));
        }
        let obj = if host_of(&obj_id).as_deref() == Some(c.actor.host.as_str()) {
            inner.get("object").cloned().unwrap_or(Value::Null)
        } else {
            match self.fetch_json(&obj_id).await {
                Ok(d) => d,
                Err(_) => {
                    return Ok(Accepted::Ignored(
                        "chat message not found at its origin".into(),
                    ))
                }
            }
        };
        // What the origin says must be a chat message of this group, as the relay claimed.
        if obj.get("id").and_then(Value::as_str) != Some(obj_id.as_str())
            || !Self::is_chat(&obj, &c.actor)
        {
            return Ok(Accepted::Ignored("not a chat message of this group".into()));
        }
        let Some(author_id) = obj.get("attributedTo").and_then(first_url) else {
            return Ok(Accepted::Ignored("chat message without author".into()));
        };
        if host_of(&author_id) != host_of(&obj_id) {
            return Err(InboxError::Refused(
                "the message's author is not on its host".into(),
            ));
        }
        let author = self.actor(&author_id).await.map_err(InboxError::from)?;
        let html = crate::notes::sanitise(obj.get("content").and_then(Value::as_str).unwrap_or(""));
        kogi_core::communities::chat::post(&self.core, c, author.id, &obj_id, &html).await?;
        Ok(Accepted::Applied("forwarded chat message".into()))
    }
}
