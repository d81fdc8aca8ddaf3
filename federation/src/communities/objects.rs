//! Communities: the Group document both ways, membership checks and the reads that resolve a
//! post's community.

use std::collections::BTreeSet;

use kogi_core::accounts::Actor;
use kogi_core::communities::{store, Community, RemoteCommunity};
use kogi_core::posts::{self, Post};
use kogi_core::{Error, Result};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::actors::{first_url, host_of, local_actor_json};
use crate::delivery::Federation;
use crate::protocol::lenient::{lenient, lenient_list, lenient_many, Link, Tag};

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

/// The terms of a `Group` document beyond the actor (Kogi's and Lemmy's).
#[derive(Debug, Default, Deserialize)]
struct GroupDoc {
    #[serde(default, deserialize_with = "lenient")]
    moderators: Option<Link>,
    #[serde(rename = "attributedTo", default, deserialize_with = "lenient")]
    attributed_to: Option<Link>,
    #[serde(rename = "kogi:kind", default, deserialize_with = "lenient")]
    kind: Option<String>,
    #[serde(rename = "kogi:visibility", default, deserialize_with = "lenient")]
    visibility: Option<String>,
    #[serde(
        rename = "manuallyApprovesFollowers",
        default,
        deserialize_with = "lenient"
    )]
    manually_approves_followers: Option<bool>,
    #[serde(rename = "kogi:rules", default, deserialize_with = "lenient")]
    rules: Option<String>,
    #[serde(default, deserialize_with = "lenient_many")]
    tag: Vec<Tag>,
    #[serde(rename = "kogi:portfolios", default, deserialize_with = "lenient_list")]
    portfolios: Option<Vec<Link>>,
    #[serde(default, deserialize_with = "lenient")]
    image: Option<Link>,
    #[serde(default, deserialize_with = "lenient")]
    featured: Option<Link>,
}

/// What a remote `Group` document says beyond the actor (Kogi's and Lemmy's terms).
pub fn parse_group_terms(doc: &Value) -> RemoteCommunity {
    let d = GroupDoc::deserialize(doc).unwrap_or_default();
    let url = |l: &Option<Link>| l.as_ref().and_then(Link::url);
    RemoteCommunity {
        kind: d.kind.clone().unwrap_or_else(|| "community".into()),
        visibility: d.visibility.clone().unwrap_or_else(|| {
            if d.manually_approves_followers == Some(true) {
                "private".into()
            } else {
                "public".into()
            }
        }),
        rules: d.rules.clone().unwrap_or_default(),
        tags: Tag::hashtags(&d.tag)
            .map(|n| n.chars().take(40).collect())
            .take(20)
            .collect(),
        portfolios: d
            .portfolios
            .iter()
            .flatten()
            .filter_map(Link::url)
            .take(20)
            .collect(),
        banner_url: url(&d.image),
        moderators_url: url(&d.moderators).or_else(|| url(&d.attributed_to)),
        featured_url: url(&d.featured),
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
pub(super) fn same_collection(a: &str, b: &str) -> bool {
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

pub(super) fn addresses(obj: &Value) -> BTreeSet<String> {
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

    pub(super) fn live(&self, c: Option<Community>) -> Option<Community> {
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

    #[test]
    fn group_terms_of_lemmy_and_kogi_groups() {
        use serde_json::json;
        let lemmy = super::parse_group_terms(&json!({
            "type": "Group",
            "attributedTo": "https://l.example/c/garden/moderators",
            "manuallyApprovesFollowers": true,
            "featured": "https://l.example/c/garden/featured",
            "image": {"type": "Image", "url": "https://l.example/b.png"},
            "tag": "junk",
        }));
        assert_eq!(lemmy.kind, "community");
        assert_eq!(lemmy.visibility, "private");
        assert_eq!(
            lemmy.moderators_url.as_deref(),
            Some("https://l.example/c/garden/moderators")
        );
        assert_eq!(lemmy.banner_url.as_deref(), Some("https://l.example/b.png"));
        assert!(lemmy.tags.is_empty());
        let kogi = super::parse_group_terms(&json!({
            "moderators": "https://k.example/communities/s/moderators",
            "attributedTo": "https://k.example/other",
            "kogi:kind": "startup",
            "kogi:visibility": "invite",
            "kogi:rules": "Be kind",
            "kogi:portfolios": ["https://k.example/portfolios/a", 5],
            "tag": [{"type": "Hashtag", "name": "#design"}],
        }));
        assert_eq!(
            (kogi.kind.as_str(), kogi.visibility.as_str()),
            ("startup", "invite")
        );
        assert_eq!(
            kogi.moderators_url.as_deref(),
            Some("https://k.example/communities/s/moderators")
        );
        assert_eq!(
            kogi.portfolios,
            vec!["https://k.example/portfolios/a".to_string()]
        );
        assert_eq!(kogi.tags, vec!["design".to_string()]);
    }
}
