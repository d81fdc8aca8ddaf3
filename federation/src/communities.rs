//! Communities over ActivityPub, as FEP-1b12 and Lemmy do them. A community is a `Group`;
//! joining is `Follow` (accepted at once when public, after a moderator's approval when
//! private). Members send `Create` of a `Page` (thread) or `Note` (comment) to the group, which
//! checks its rules and relays the activity unchanged as `Announce(activity)` to its members —
//! a new thread also as `Announce(Page)`, since Mastodon ignores announced activities.
//! Receivers accept an announced object hosted elsewhere only after fetching it from its
//! origin.

use std::collections::BTreeSet;

use kogi_core::accounts::Actor;
use kogi_core::communities::{moderation, store, Community, RemoteCommunity, Role, Visibility};
use kogi_core::posts::{self, NewPost, Post, Visibility as PostVisibility};
use kogi_core::{Error, Result};
use serde_json::{json, Value};

use crate::activities::{new_id, object_id};
use crate::actors::{first_url, host_of, local_actor_json};
use crate::delivery::Federation;
use crate::inbox::{Accepted, InboxError};
use crate::notes::{compose_html, scan};
use crate::vocab::{AS_CONTEXT, KOGI_NS, PUBLIC};

/// The actor document of a local community.
pub fn group_json(c: &Community, base: &str) -> Value {
    let mut doc = local_actor_json(&c.actor, base, 0, 0);
    doc["type"] = json!("Group");
    doc["attributedTo"] = json!(c.row.moderators_url);
    doc["moderators"] = json!(c.row.moderators_url);
    doc["featured"] = json!(c.row.featured_url);
    doc["postingRestrictedToMods"] = json!(false);
    doc["kogi:kind"] = json!(c.row.kind);
    doc["kogi:visibility"] = json!(c.row.visibility);
    doc["kogi:rules"] = json!(c.row.rules);
    doc["kogi:portfolios"] = json!(c.portfolios());
    doc["tag"] = json!(crate::portfolios::hashtags(base, &c.tags()));
    if let Some(b) = &c.row.banner_path {
        doc["image"] =
            json!({"type": "Image", "mediaType": "image/webp", "url": format!("{base}/media/{b}")});
    }
    doc
}

/// What a remote `Group` document says beyond the actor (Kogi's and Lemmy's terms).
pub fn parse_group_terms(doc: &Value) -> RemoteCommunity {
    let moderators = doc
        .get("moderators")
        .or_else(|| doc.get("attributedTo"))
        .and_then(first_url);
    RemoteCommunity {
        kind: doc
            .get("kogi:kind")
            .and_then(Value::as_str)
            .unwrap_or("community")
            .to_string(),
        visibility: doc
            .get("kogi:visibility")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| {
                if doc
                    .get("manuallyApprovesFollowers")
                    .and_then(Value::as_bool)
                    == Some(true)
                {
                    "private".into()
                } else {
                    "public".into()
                }
            }),
        rules: doc
            .get("kogi:rules")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        tags: crate::portfolios::as_tags(doc.get("tag")),
        portfolios: match doc.get("kogi:portfolios") {
            Some(Value::Array(a)) => a.iter().filter_map(first_url).take(20).collect(),
            _ => vec![],
        },
        banner_url: doc.get("image").and_then(first_url),
        moderators_url: moderators,
        featured_url: doc.get("featured").and_then(first_url),
    }
}

/// Which servers have members of other servers' groups, as last read (for a minute).
struct MemberHostsCache {
    entries:
        std::sync::Mutex<std::collections::HashMap<(String, String), (std::time::Instant, bool)>>,
}

impl MemberHostsCache {
    const TTL: std::time::Duration = std::time::Duration::from_secs(60);

    fn lookup(&self, key: &(String, String)) -> Option<bool> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(key)
            .filter(|(at, _)| at.elapsed() < Self::TTL)
            .map(|(_, v)| *v)
    }

    fn remember(&self, key: (String, String), value: bool) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() > 10_000 {
                entries.retain(|_, (at, _)| at.elapsed() < Self::TTL);
            }
            entries.insert(key, (std::time::Instant::now(), value));
        }
    }
}

fn member_hosts_cache() -> &'static MemberHostsCache {
    static CACHE: std::sync::OnceLock<MemberHostsCache> = std::sync::OnceLock::new();
    CACHE.get_or_init(|| MemberHostsCache {
        entries: Default::default(),
    })
}

/// Two URLs naming the same collection of a group, forgiving what Lemmy writes: doubled
/// slashes (`…/c/name//featured`), a trailing slash, and `https` in documents of a group
/// whose id is `http` (the group relaying the activity vouches for its own collections).
fn same_collection(a: &str, b: &str) -> bool {
    fn norm(u: &str) -> String {
        let rest = u.split_once("://").map_or(u, |(_, r)| r);
        let mut path = rest.to_string();
        while path.contains("//") {
            path = path.replace("//", "/");
        }
        path.trim_end_matches('/').to_string()
    }
    norm(a) == norm(b)
}

/// A title for a thread that came without one (a `Note` mentioning the group, as Mastodon
/// sends it): the first line of its text without leading mentions, at most 100 characters.
pub fn title_from_content(html: &str) -> String {
    let text = crate::vocab::strip_html(html);
    let line = text
        .lines()
        .map(|l| {
            l.split_whitespace()
                .skip_while(|w| w.starts_with('@'))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .find(|l| !l.is_empty())
        .unwrap_or_default();
    if line.chars().count() > 100 {
        let cut: String = line.chars().take(99).collect();
        format!("{}…", cut.trim_end())
    } else if line.is_empty() {
        "…".to_string()
    } else {
        line
    }
}

fn addresses(obj: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for key in ["to", "cc", "audience"] {
        match obj.get(key) {
            Some(Value::String(s)) => {
                out.insert(s.clone());
            }
            Some(Value::Array(a)) => out.extend(a.iter().filter_map(first_url)),
            Some(o @ Value::Object(_)) => out.extend(first_url(o)),
            _ => {}
        }
    }
    out
}

impl Federation {
    /// The local community an incoming object is for: named in `to`, `cc` or `audience`, or
    /// answering a post of a local community (Mastodon replies often leave the group out).
    pub async fn local_community_for(
        &self,
        obj: &Value,
    ) -> Result<Option<(Community, Option<Post>)>> {
        let parent = match obj.get("inReplyTo").and_then(first_url) {
            Some(id) => posts::find_by_ap_id(&self.core, &id).await?,
            None => None,
        };
        for addr in addresses(obj) {
            if let Some(a) = kogi_core::actors::find_by_ap_id(&self.core, &addr).await? {
                if a.local && a.kind == "community" {
                    if let Some(c) = store::find_by_actor(&self.core, a.id).await? {
                        return Ok(Some((c, parent)));
                    }
                }
            }
        }
        if let Some(p) = &parent {
            if let Some(link) = store::post_link(&self.core, p.id).await? {
                if let Some(c) = store::find(&self.core, link.community_id).await? {
                    if c.row.local {
                        return Ok(Some((c, parent)));
                    }
                }
            }
        }
        Ok(None)
    }

    /// May `author` post in `c`? Banned people never; private and invite-only communities
    /// only take posts from members; locked threads take no comments.
    pub async fn may_post(
        &self,
        c: &Community,
        author: &Actor,
        parent: Option<&Post>,
    ) -> Result<()> {
        if c.is_deleted() {
            return Err(Error::NotFound);
        }
        if store::is_banned(&self.core, c, author.id).await? {
            return Err(Error::Forbidden("banned"));
        }
        if !c.is_public() && store::role_of(&self.core, c, author.id).await?.is_none() {
            return Err(Error::Forbidden("members_only"));
        }
        if let Some(p) = parent {
            let thread = self.thread_of(p).await?;
            if let Some(t) = thread {
                if let Some(link) = store::post_link(&self.core, t.id).await? {
                    if link.locked {
                        return Err(Error::Forbidden("thread_locked"));
                    }
                }
            }
        }
        Ok(())
    }

    /// The thread a post belongs to (itself when it is one).
    pub async fn thread_of(&self, p: &Post) -> Result<Option<Post>> {
        match store::post_link(&self.core, p.id).await? {
            Some(l) if l.kind == "thread" => Ok(Some(p.clone())),
            Some(l) => match l.thread_post_id {
                Some(t) => posts::find(&self.core, t).await,
                None => Ok(None),
            },
            None => Ok(None),
        }
    }

    /// Links a stored post to a community as a thread (a `Page`, `Article` or `Question`
    /// without `inReplyTo`) or a comment.
    pub(crate) async fn link(
        &self,
        c: &Community,
        post: &Post,
        obj: &Value,
        parent: Option<&Post>,
    ) -> Result<()> {
        if let Some(parent) = parent {
            let thread = self
                .thread_of(parent)
                .await?
                .unwrap_or_else(|| parent.clone());
            store::link_post(&self.core, c.id(), post.id, "comment", "", Some(thread.id)).await
        } else {
            let title = match obj.get("name").and_then(Value::as_str).map(str::trim) {
                Some(t) if !t.is_empty() => t.to_string(),
                // A Mastodon post that mentions the group: its first line is the title.
                _ => title_from_content(obj.get("content").and_then(Value::as_str).unwrap_or("")),
            };
            store::link_post(&self.core, c.id(), post.id, "thread", &title, None).await
        }
    }

    /// The group relays an activity to its members: `Announce(activity)`, and for a new
    /// thread also `Announce(object)` for servers that ignore announced activities.
    pub async fn relay(
        &self,
        c: &Community,
        activity: &Value,
        new_thread: Option<&Value>,
    ) -> Result<()> {
        let base = self.core.config.public_url.clone();
        let inboxes = kogi_core::follows::follower_inboxes(&self.core, c.actor.id).await?;
        let to = if c.is_public() {
            json!([PUBLIC])
        } else {
            json!([])
        };
        let mut inner = activity.clone();
        if let Some(o) = inner.as_object_mut() {
            o.remove("@context");
        }
        let announce = json!({
            "@context": [AS_CONTEXT, {"kogi": KOGI_NS}],
            "id": new_id(&base, "announce"),
            "type": "Announce",
            "actor": c.actor.ap_id,
            "to": to,
            "cc": [c.actor.followers_url],
            "audience": c.actor.ap_id,
            "object": inner,
        });
        self.enqueue(&announce, c.actor.id, &inboxes).await?;
        if let Some(obj) = new_thread {
            let announce = json!({
                "@context": AS_CONTEXT,
                "id": new_id(&base, "announce"),
                "type": "Announce",
                "actor": c.actor.ap_id,
                "to": to,
                "cc": [c.actor.followers_url],
                "audience": c.actor.ap_id,
                "object": obj.get("id").cloned().unwrap_or(Value::Null),
            });
            self.enqueue(&announce, c.actor.id, &inboxes).await?;
        }
        Ok(())
    }

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
                    let reject = json!({"@context": AS_CONTEXT, "id": new_id(&self.core.config.public_url, "reject"), "type": "Reject", "actor": c.actor.ap_id, "to": [sender.ap_id], "object": doc.get("id").cloned().unwrap_or(Value::Null)});
                    self.enqueue(&reject, c.actor.id, std::slice::from_ref(&sender.inbox_url))
                        .await?;
                }
                return Err(InboxError::Refused(why.to_string()));
            }
            Err(e) => return Err(e.into()),
        }
        let Some(post) = self.store_object(sender, obj).await? else {
            return Ok(Some(Accepted::Ignored(
                "unsupported object for a community".into(),
            )));
        };
        let new_thread = parent.is_none() && store::post_link(&self.core, post.id).await?.is_none();
        self.link(&c, &post, obj, parent.as_ref()).await?;
        self.relay(&c, doc, new_thread.then_some(obj)).await?;
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
            let Some(p) = posts::find_by_ap_id(&self.core, &object).await? else {
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
    async fn notify_announcement(&self, c: &Community, p: &Post) -> Result<()> {
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

    /// Pins or unpins a thread of a local community (its featured collection) and announces
    /// it as `Add` or `Remove` with the featured collection as target, as Lemmy does. An
    /// announcement (`announcement`) is a pin that also notifies every member: here directly,
    /// elsewhere through `kogi:announcement` on the `Add`, which their servers act on.
    pub async fn set_pinned(
        &self,
        by: &Actor,
        c: &Community,
        p: &Post,
        pinned: bool,
        announcement: bool,
    ) -> Result<()> {
        let pinned = pinned || announcement;
        moderation::set_pinned(&self.core, p.id, pinned).await?;
        if announcement {
            self.notify_announcement(c, p).await?;
        }
        let mut activity = Self::collection_change(
            &self.core.config.public_url,
            by,
            c,
            pinned,
            &p.ap_id,
            &c.row.featured_url,
        );
        activity["kogi:announcement"] = json!(announcement);
        self.relay(c, &activity, None).await
    }

    /// `Add` or `Remove` of `object` on one of a local group's collections (`target`), by
    /// `by`, addressed as Lemmy addresses it; the group relays it.
    fn collection_change(
        base: &str,
        by: &Actor,
        c: &Community,
        add: bool,
        object: &str,
        target: &Option<String>,
    ) -> Value {
        json!({
            "@context": [AS_CONTEXT, {"kogi": KOGI_NS}],
            "id": new_id(base, if add { "add" } else { "remove" }),
            "type": if add { "Add" } else { "Remove" },
            "actor": by.ap_id,
            "to": [c.actor.ap_id],
            "cc": [c.actor.followers_url],
            "audience": c.actor.ap_id,
            "object": object,
            "target": target,
        })
    }

    /// Locks or unlocks a thread of a local community and announces it (`Lock`, or
    /// `Undo(Lock)`, as Lemmy does), so that members' servers refuse comments early too.
    pub async fn set_locked(
        &self,
        by: &Actor,
        c: &Community,
        p: &Post,
        locked: bool,
    ) -> Result<()> {
        store::set_locked(&self.core, p.id, locked).await?;
        let base = &self.core.config.public_url;
        let lock = json!({
            "id": new_id(base, "lock"),
            "type": "Lock",
            "actor": by.ap_id,
            "to": [c.actor.ap_id],
            "cc": [c.actor.followers_url],
            "audience": c.actor.ap_id,
            "object": p.ap_id,
        });
        let activity = if locked {
            lock
        } else {
            json!({"id": new_id(base, "undo"), "type": "Undo", "actor": by.ap_id,
                "to": [c.actor.ap_id], "cc": [c.actor.followers_url], "audience": c.actor.ap_id,
                "object": lock})
        };
        self.relay(c, &activity, None).await
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

    /// A community by what someone typed: a local handle, `name@host`, `!name@host` or its
    /// URL. Another server's is taken from what is stored here, else looked up over the
    /// network when `fetch` (an unreachable server is the error). Deleted ones are `None`.
    pub async fn find_community(
        &self,
        reference: &str,
        fetch: bool,
    ) -> std::result::Result<Option<Community>, crate::client::FetchError> {
        let db = |e: Error| crate::client::FetchError::Network(format!("database: {e}"));
        let r = reference.trim().trim_start_matches(['!', '@']);
        let here = self.core.config.host();
        let actor = match r.split_once('@') {
            _ if r.contains("://") => match kogi_core::actors::find_by_ap_id(&self.core, r)
                .await
                .map_err(db)?
            {
                Some(a) => Some(a),
                None if fetch => Some(self.fetch_actor(r).await?),
                None => None,
            },
            None => return Ok(self.live(store::find_by_handle(&self.core, r).await.map_err(db)?)),
            Some((name, host)) if host == here => {
                return Ok(self.live(store::find_by_handle(&self.core, name).await.map_err(db)?))
            }
            Some((name, host)) => {
                match kogi_core::actors::find_remote_by_handle(&self.core, name, host)
                    .await
                    .map_err(db)?
                {
                    Some(a) => Some(a),
                    None if fetch => Some(self.resolve(r).await?),
                    None => None,
                }
            }
        };
        match actor.filter(|a| a.kind == "community") {
            Some(a) => Ok(self.live(store::find_by_actor(&self.core, a.id).await.map_err(db)?)),
            None => Ok(None),
        }
    }

    fn live(&self, c: Option<Community>) -> Option<Community> {
        c.filter(|c| !c.is_deleted())
    }

    /// Linked portfolios as typed (a local handle, `name@host` or a URL) made into their actor
    /// URLs; one that is not a portfolio is refused.
    pub async fn portfolio_urls(&self, list: &[String]) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for p in list {
            let p = p.trim().trim_start_matches('@');
            let actor = if p.contains('@') || p.contains('/') {
                self.resolve(p).await.ok()
            } else {
                kogi_core::accounts::find_local_actor(&self.core, p).await?
            };
            match actor {
                Some(a) if a.kind == "portfolio" && a.deleted_at.is_none() => out.push(a.ap_id),
                _ => return Err(Error::invalid("portfolios", "portfolio_unknown")),
            }
        }
        Ok(out)
    }

    /// Another server's public community with no thread known here: its latest threads are
    /// read from its outbox first.
    pub async fn backfill_if_empty(&self, c: &Community) -> Result<()> {
        if !c.row.local && c.is_public() && store::threads(&self.core, c.id()).await?.is_empty() {
            self.backfill(c).await?;
        }
        Ok(())
    }

    /// Reads the latest threads of another server's public community from its outbox (as
    /// Kogi and Lemmy list them: `Announce` of a `Create(Page)` or of the `Page` by id), so
    /// that a community found or just joined is not empty. Each thread is taken from its
    /// origin (or from the group's own host), as relays are. Returns how many were stored.
    pub async fn backfill(&self, c: &Community) -> Result<usize> {
        if c.row.local || !c.is_public() {
            return Ok(0);
        }
        let Some(outbox) = c.actor.outbox_url.clone() else {
            return Ok(0);
        };
        let Ok(doc) = self.fetch_json(&outbox).await else {
            return Ok(0);
        };
        let items_of = |d: &Value| -> Vec<Value> {
            d.get("orderedItems")
                .or_else(|| d.get("items"))
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        };
        let mut items = items_of(&doc);
        if items.is_empty() {
            let page = match doc.get("first") {
                Some(p @ Value::Object(_)) => Some(p.clone()),
                Some(Value::String(u)) if host_of(u) == host_of(&outbox) => {
                    self.fetch_json(u).await.ok()
                }
                _ => None,
            };
            items = page.map(|p| items_of(&p)).unwrap_or_default();
        }
        let mut stored = 0;
        for item in items.iter().take(20) {
            // The same rules as relays (crate::relays): threads naming the group only.
            if self.backfill_item(c, item).await {
                stored += 1;
            }
        }
        Ok(stored)
    }

    /// Does the server `host` have a member of `c` (or is it the group's own server)? That is
    /// what lets it fetch the community's members-only things (DESIGN §4, visibility). For
    /// another server's group, its members are read from its followers collection, which it
    /// shows in full to this server because this server has a member.
    pub async fn host_has_member(&self, c: &Community, host: &str) -> Result<bool> {
        if host == c.actor.host {
            return Ok(true);
        }
        if c.row.local {
            return kogi_core::follows::has_follower_on(&self.core, c.actor.id, host).await;
        }
        // A yes is remembered for a minute (a page of a private thread can mean many
        // fetches); a no is not, so that a member who just joined is served at once.
        let key = (c.actor.ap_id.clone(), host.to_string());
        if member_hosts_cache().lookup(&key) == Some(true) {
            return Ok(true);
        }
        let found = self.remote_group_has_member(c, host).await;
        if found {
            member_hosts_cache().remember(key, true);
        }
        Ok(found)
    }

    /// Reads another server's group's followers collection (at most 20 pages) for a member
    /// on `host`.
    async fn remote_group_has_member(&self, c: &Community, host: &str) -> bool {
        let Some(url) = c.actor.followers_url.clone() else {
            return false;
        };
        let mut next = Some(url);
        for _ in 0..20 {
            let Some(u) = next.take() else { break };
            if host_of(&u).as_deref() != Some(c.actor.host.as_str()) {
                break;
            }
            let Ok(page) = self.fetch_json(&u).await else {
                break;
            };
            let items = page
                .get("orderedItems")
                .or_else(|| page.get("items"))
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if items
                .iter()
                .filter_map(first_url)
                .any(|m| host_of(&m).as_deref() == Some(host))
            {
                return true;
            }
            next = page
                .get("next")
                .or_else(|| {
                    if items.is_empty() {
                        page.get("first")
                    } else {
                        None
                    }
                })
                .and_then(first_url);
        }
        false
    }

    /// The community a post belongs to, if any.
    pub async fn community_of(&self, p: &Post) -> Result<Option<Community>> {
        match store::post_link(&self.core, p.id).await? {
            Some(l) => store::find(&self.core, l.community_id).await,
            None => Ok(None),
        }
    }

    /// An author's edit or deletion of their post in a community goes through the group: a
    /// local group relays it to its members, another server's group gets it in its inbox.
    pub async fn send_in_community(
        &self,
        author: &Actor,
        c: &Community,
        activity: &Value,
    ) -> Result<()> {
        if c.row.local {
            self.relay(c, activity, None).await
        } else {
            self.enqueue(
                activity,
                author.id,
                std::slice::from_ref(&c.actor.inbox_url),
            )
            .await?;
            Ok(())
        }
    }

    /// Sends a local community's edited profile (`Update` of the `Group`) to its members'
    /// servers.
    pub async fn update_community(&self, c: &Community) -> Result<()> {
        self.send_actor_update(&c.actor, group_json(c, &self.core.config.public_url))
            .await
    }

    /// Makes a member a moderator (or a moderator a member again) and announces it: `Add` or
    /// `Remove` on the moderators collection, relayed by the group.
    pub async fn change_moderator(
        &self,
        by: &Actor,
        c: &Community,
        who: &Actor,
        moderator: bool,
    ) -> Result<()> {
        let before = store::role_of(&self.core, c, who.id).await?;
        let role = if moderator {
            Role::Moderator
        } else {
            Role::Member
        };
        store::set_role(&self.core, c, who.id, Some(role)).await?;
        if before.is_some_and(Role::moderates) == moderator {
            return Ok(());
        }
        let activity = Self::collection_change(
            &self.core.config.public_url,
            by,
            c,
            moderator,
            &who.ap_id,
            &c.row.moderators_url,
        );
        self.relay(c, &activity, None).await
    }

    /// Ends someone's membership (removal or ban); a remote member's server is told with
    /// `Reject` of their `Follow`, as Mastodon does when it removes a follower.
    pub async fn remove_member(
        &self,
        c: &Community,
        who: &Actor,
        ban: Option<&str>,
    ) -> Result<bool> {
        let follow = kogi_core::follows::find(&self.core, who.id, c.actor.id).await?;
        match ban {
            Some(reason) => store::ban(&self.core, c, who.id, reason).await?,
            None => {
                if follow.is_none() {
                    return Ok(false);
                }
                store::set_role(&self.core, c, who.id, None).await?;
                kogi_core::follows::remove(&self.core, who.id, c.actor.id).await?;
            }
        }
        if let (Some(f), false) = (&follow, who.local) {
            let reject = crate::activities::answer(
                "Reject",
                &self.core.config.public_url,
                &c.actor.ap_id,
                &f.ap_id,
                &who.ap_id,
            );
            self.enqueue(&reject, c.actor.id, std::slice::from_ref(&who.inbox_url))
                .await?;
        }
        Ok(true)
    }

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
        let token = crate::activities::new_token();
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

    /// A like of a community post: the origin counts it (as for any post); the group hears
    /// of it too, and a local group relays it.
    pub async fn after_react_in_community(&self, activity: &Value, post: &Post) -> Result<()> {
        let Some(link) = store::post_link(&self.core, post.id).await? else {
            return Ok(());
        };
        let Some(c) = store::find(&self.core, link.community_id).await? else {
            return Ok(());
        };
        if c.row.local {
            self.relay(&c, activity, None).await
        } else {
            self.enqueue(
                activity,
                kogi_core::actors::find_by_ap_id(
                    &self.core,
                    activity["actor"].as_str().unwrap_or(""),
                )
                .await?
                .map(|a| a.id)
                .unwrap_or(0),
                std::slice::from_ref(&c.actor.inbox_url),
            )
            .await
            .map(|_| ())
        }
    }

    /// A moderator removes a thread or comment: deleted here, and the group announces the
    /// `Delete` to its members.
    pub async fn remove_from_community(
        &self,
        moderator: &Actor,
        c: &Community,
        post: &Post,
    ) -> Result<()> {
        if !c.row.local {
            return Err(Error::Forbidden("not_moderator"));
        }
        let role = store::role_of(&self.core, c, moderator.id).await?;
        if !role.is_some_and(Role::moderates) {
            return Err(Error::Forbidden("not_moderator"));
        }
        match store::post_link(&self.core, post.id).await? {
            Some(l) if l.community_id == c.id() => {}
            _ => return Err(Error::NotFound),
        }
        posts::mark_deleted(&self.core, post.id).await?;
        let delete = json!({
            "@context": AS_CONTEXT,
            "id": new_id(&self.core.config.public_url, "delete"),
            "type": "Delete",
            "actor": c.actor.ap_id,
            "to": [PUBLIC],
            "audience": c.actor.ap_id,
            "object": post.ap_id,
        });
        self.relay(c, &delete, None).await
    }

    /// Relays a received activity about a post of a local community (a like, a deletion by
    /// its author) to the community's members.
    pub async fn relay_if_in_local_community(&self, post_id: i64, activity: &Value) -> Result<()> {
        if let Some(link) = store::post_link(&self.core, post_id).await? {
            if let Some(c) = store::find(&self.core, link.community_id).await? {
                if c.row.local {
                    self.relay(&c, activity, None).await?;
                }
            }
        }
        Ok(())
    }

    /// A remote post with its like and boost counts refreshed from its origin (which is
    /// authoritative); the post as stored when the origin does not answer.
    pub async fn refresh_counts(&self, p: &Post) -> Post {
        if p.local {
            return p.clone();
        }
        let Ok(doc) = self.fetch_json(&p.ap_id).await else {
            return p.clone();
        };
        let total = |k: &str| {
            doc.get(k)
                .and_then(|c| c.get("totalItems"))
                .and_then(Value::as_i64)
                .unwrap_or(0)
                .clamp(0, i32::MAX as i64) as i32
        };
        // A poll's results come with it.
        if p.poll.is_some() {
            if let Ok(Some(author)) = kogi_core::actors::find_by_id(&self.core, p.author_id).await {
                let _ = self.store_object(&author, &doc).await;
            }
        }
        if posts::set_counts(&self.core, p.id, total("likes"), total("shares"))
            .await
            .is_err()
        {
            return p.clone();
        }
        posts::find(&self.core, p.id)
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| p.clone())
    }

    /// Joins a community (a `Follow` of the group); refused when banned. An invitation (a
    /// link's secret, or one recorded for this person) admits at once to a private or
    /// invite-only community here; without one, invite-only communities refuse.
    pub async fn join(
        &self,
        person: &Actor,
        c: &Community,
        invite: Option<&str>,
    ) -> Result<crate::activities::FollowState> {
        if store::is_banned(&self.core, c, person.id).await? {
            return Err(Error::Forbidden("banned"));
        }
        if c.row.local
            && !c.is_public()
            && store::role_of(&self.core, c, person.id).await?.is_none()
        {
            let by_link = match invite {
                Some(secret) => moderation::use_invite_link(&self.core, c, secret).await?,
                None => false,
            };
            if invite.is_some() && !by_link {
                return Err(Error::invalid("invite", "token_invalid"));
            }
            let invited =
                by_link || moderation::consume_invitation(&self.core, c, person.id).await?;
            if invited {
                let id = new_id(&self.core.config.public_url, "follow");
                kogi_core::follows::upsert(
                    &self.core,
                    person.id,
                    c.actor.id,
                    &id,
                    kogi_core::follows::ACCEPTED,
                )
                .await?;
                return Ok(crate::activities::FollowState::Following);
            }
            if c.visibility() == Visibility::Invite {
                return Err(Error::Forbidden("invite_only"));
            }
        }
        self.follow(person, &c.actor).await
    }

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

    /// A local member reports a post to the community's moderators (here, or as a `Flag` to
    /// a remote group).
    pub async fn report_post(
        &self,
        reporter: &Actor,
        c: &Community,
        post: &Post,
        reason: &str,
    ) -> Result<()> {
        let id = new_id(&self.core.config.public_url, "flag");
        if c.row.local {
            moderation::report(&self.core, c, reporter.id, Some(post.id), reason, &id).await?;
            return Ok(());
        }
        let flag = json!({"@context": AS_CONTEXT, "id": id, "type": "Flag", "actor": reporter.ap_id,
            "object": [post.ap_id], "to": [c.actor.ap_id], "audience": c.actor.ap_id, "summary": reason});
        self.enqueue(&flag, reporter.id, std::slice::from_ref(&c.actor.inbox_url))
            .await?;
        Ok(())
    }

    /// Invites a remote person to a local community: remembered, and sent as `Invite`; their
    /// `Follow` is then accepted whatever the community's visibility.
    pub async fn invite(&self, by: &Actor, c: &Community, invitee: &Actor) -> Result<()> {
        moderation::invite_actor(&self.core, c, by, invitee.id).await?;
        if !invitee.local {
            let invite = json!({"@context": AS_CONTEXT, "id": new_id(&self.core.config.public_url, "invite"),
                "type": "Invite", "actor": c.actor.ap_id, "object": c.actor.ap_id, "target": invitee.ap_id,
                "to": [invitee.ap_id]});
            self.enqueue(
                &invite,
                c.actor.id,
                std::slice::from_ref(&invitee.inbox_url),
            )
            .await?;
        } else {
            posts::notify(&self.core, invitee.id, "community_invite", c.actor.id, None).await?;
        }
        Ok(())
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
        match moderation::vote(&self.core, &poll, sender.id, choice, id).await {
            Ok(true) => {
                self.announce_poll_results(&poll).await?;
                Ok(Some(Accepted::Applied("vote counted".into())))
            }
            Ok(false) => Ok(Some(Accepted::Ignored("repeated vote".into()))),
            // Not a member of a private community, banned, or a closed poll (moderation::may_vote).
            Err(Error::Invalid { code, .. }) => Err(InboxError::Refused(code.to_string())),
            Err(Error::Forbidden(why)) => Err(InboxError::Refused(why.to_string())),
            Err(Error::NotFound) => Ok(Some(Accepted::Ignored("vote in a deleted poll".into()))),
            Err(e) => Err(e.into()),
        }
    }

    /// Sends the poll's new counts (`Update` of the `Question`) to its community's members.
    async fn announce_poll_results(&self, poll: &Post) -> Result<()> {
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

    /// Is this object addressed to the group (in `to`, `cc` or `audience`)?
    pub(crate) fn addressed_to(obj: &Value, group: &Actor) -> bool {
        let addrs = addresses(obj);
        addrs.contains(&group.ap_id)
            || group
                .followers_url
                .as_ref()
                .is_some_and(|f| addrs.contains(f))
    }

    /// Is this object a chat message for the group `group` (a `Note` addressed to the group or
    /// its members only, answering nothing, without a title)?
    pub fn is_chat(obj: &Value, group: &Actor) -> bool {
        if obj.get("type").and_then(Value::as_str) != Some("Note")
            || obj.get("inReplyTo").is_some_and(|v| !v.is_null())
            || obj.get("name").is_some_and(|v| !v.is_null())
        {
            return false;
        }
        let addrs = addresses(obj);
        let followers = group.followers_url.clone().unwrap_or_default();
        addrs.contains(&group.ap_id) && addrs.iter().all(|a| a == &group.ap_id || a == &followers)
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
    async fn forward_chat(&self, c: &Community, create: &Value) -> Result<()> {
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
        let token = crate::activities::new_token();
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
        if store::is_banned(&self.core, &c, sender.id).await?
            || store::role_of(&self.core, &c, sender.id).await?.is_none()
        {
            return Err(InboxError::Refused("members_only".into()));
        }
        let html = crate::notes::sanitise(obj.get("content").and_then(Value::as_str).unwrap_or(""));
        if kogi_core::communities::chat::post(&self.core, &c, sender.id, id, &html)
            .await?
            .is_some()
        {
            self.forward_chat(&c, doc).await?;
        }
        Ok(Some(Accepted::Applied("chat message".into())))
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

#[cfg(test)]
mod tests {
    #[test]
    fn titles_from_mastodon_posts() {
        use super::title_from_content as t;
        assert_eq!(
            t("<p><span class=\"h-card\"><a href=\"https://k/c/garden\">@<span>garden</span></a></span> Seeds &amp; soil?</p><p>Details</p>"),
            "Seeds & soil?"
        );
        assert_eq!(t("<p>First<br>second</p>"), "First");
        assert_eq!(
            t(&format!("<p>{}</p>", "a".repeat(150))).chars().count(),
            100
        );
        assert_eq!(t(""), "…");
    }
}
