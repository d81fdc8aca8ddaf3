use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::accounts::{Actor, ProfileLink};
use crate::schema::{portfolio_items, portfolio_members, portfolios, projects};

/// Types every instance has; admins add their own (see [`super::types`]).
pub const BUILTIN_TYPES: &[&str] = &[
    "creative",
    "career",
    "startup",
    "research",
    "education",
    "investment",
];

/// Who may see a portfolio, an item or a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    Public,
    Unlisted,
    /// The portfolio's team (owners, editors and viewers).
    Members,
    /// The people who manage it (owners and editors).
    Private,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Unlisted => "unlisted",
            Visibility::Members => "members",
            Visibility::Private => "private",
        }
    }
    pub fn parse(s: &str) -> Option<Visibility> {
        match s {
            "public" => Some(Visibility::Public),
            "unlisted" => Some(Visibility::Unlisted),
            "members" | "members-only" | "members_only" => Some(Visibility::Members),
            "private" => Some(Visibility::Private),
            _ => None,
        }
    }
}

/// Lifecycle: draft → published → archived → (restored) published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Draft,
    Published,
    Archived,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Draft => "draft",
            State::Published => "published",
            State::Archived => "archived",
        }
    }
    pub fn parse(s: &str) -> Option<State> {
        match s {
            "draft" => Some(State::Draft),
            "published" => Some(State::Published),
            "archived" => Some(State::Archived),
            _ => None,
        }
    }
}

/// A team member's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Owner,
    Editor,
    Viewer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Editor => "editor",
            Role::Viewer => "viewer",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "owner" => Some(Role::Owner),
            "editor" => Some(Role::Editor),
            "viewer" => Some(Role::Viewer),
            _ => None,
        }
    }
    pub fn can_edit(self) -> bool {
        matches!(self, Role::Owner | Role::Editor)
    }
}

/// The kind of an admin-defined field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldKind {
    Text,
    Number,
    Date,
    Url,
    Choice,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldDef {
    pub name: String,
    pub kind: FieldKind,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
    #[serde(default)]
    pub required: bool,
}

/// A section of a portfolio (from a template): a title, its fields and their values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    pub name: String,
    #[serde(default)]
    pub fields: Vec<FieldDef>,
    #[serde(default)]
    pub values: serde_json::Map<String, Value>,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Serialize)]
#[diesel(table_name = portfolios)]
pub struct PortfolioRow {
    pub id: i64,
    pub actor_id: i64,
    pub local: bool,
    pub portfolio_type: String,
    pub visibility: String,
    pub state: String,
    pub tags: String,
    pub cover_path: Option<String>,
    pub cover_url: Option<String>,
    pub fields: String,
    pub sections: String,
    pub template: Option<String>,
    pub owners: String,
    pub items_url: Option<String>,
    pub projects_url: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub published_at: Option<NaiveDateTime>,
    pub deleted_at: Option<NaiveDateTime>,
}

/// A portfolio with its actor (title, summary, links, keys).
#[derive(Debug, Clone)]
pub struct Portfolio {
    pub row: PortfolioRow,
    pub actor: Actor,
}

impl Portfolio {
    pub fn id(&self) -> i64 {
        self.row.id
    }
    pub fn handle(&self) -> &str {
        &self.actor.handle
    }
    pub fn title(&self) -> &str {
        self.actor.name()
    }
    pub fn visibility(&self) -> Visibility {
        Visibility::parse(&self.row.visibility).unwrap_or(Visibility::Private)
    }
    pub fn state(&self) -> State {
        State::parse(&self.row.state).unwrap_or(State::Draft)
    }
    pub fn tags(&self) -> Vec<String> {
        serde_json::from_str(&self.row.tags).unwrap_or_default()
    }
    pub fn links(&self) -> Vec<ProfileLink> {
        self.actor.links()
    }
    pub fn fields(&self) -> serde_json::Map<String, Value> {
        serde_json::from_str(&self.row.fields).unwrap_or_default()
    }
    pub fn sections(&self) -> Vec<Section> {
        serde_json::from_str(&self.row.sections).unwrap_or_default()
    }
    /// Owner actor ids as the origin names them (`attributedTo`), for remote portfolios.
    pub fn owner_ids(&self) -> Vec<String> {
        serde_json::from_str(&self.row.owners).unwrap_or_default()
    }
    pub fn is_deleted(&self) -> bool {
        self.row.deleted_at.is_some() || self.actor.deleted_at.is_some()
    }
    /// Seen by the fediverse: published (or archived) and public or unlisted.
    pub fn is_federated(&self) -> bool {
        !self.is_deleted()
            && self.state() != State::Draft
            && matches!(self.visibility(), Visibility::Public | Visibility::Unlisted)
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Serialize)]
#[diesel(table_name = portfolio_members)]
pub struct Member {
    pub id: i64,
    pub portfolio_id: i64,
    pub actor_id: i64,
    pub role: String,
    pub created_at: NaiveDateTime,
}

/// A stored media file of an item (local: `path` under the media directory; remote: `url`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemMedia {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub media_type: String,
    /// `Image`, `Document`, `Audio` or `Video`, as ActivityStreams names attachments.
    pub kind: String,
    /// Alt text or a caption.
    #[serde(default)]
    pub description: String,
}

impl ItemMedia {
    /// Where the file is served: under `base` (`""` for a path on this instance) when it is
    /// stored here, else the URL it came from.
    pub fn url_at(&self, base: &str) -> Option<String> {
        self.path
            .as_ref()
            .map(|p| format!("{base}/media/{p}"))
            .or_else(|| self.url.clone())
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Serialize)]
#[diesel(table_name = portfolio_items)]
pub struct Item {
    pub id: i64,
    pub ap_id: String,
    pub portfolio_id: i64,
    pub local: bool,
    pub title: String,
    pub description: String,
    pub role: String,
    pub client: String,
    pub skills: String,
    pub started_on: Option<String>,
    pub ended_on: Option<String>,
    pub media: String,
    pub video_url: Option<String>,
    pub external_url: Option<String>,
    pub position: i32,
    pub featured: bool,
    pub visibility: String,
    pub state: String,
    pub section: Option<String>,
    pub fields: String,
    pub post_id: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub published_at: Option<NaiveDateTime>,
    pub deleted_at: Option<NaiveDateTime>,
}

impl Item {
    pub fn visibility(&self) -> Visibility {
        Visibility::parse(&self.visibility).unwrap_or(Visibility::Private)
    }
    pub fn state(&self) -> State {
        State::parse(&self.state).unwrap_or(State::Draft)
    }
    pub fn skills(&self) -> Vec<String> {
        serde_json::from_str(&self.skills).unwrap_or_default()
    }
    pub fn media(&self) -> Vec<ItemMedia> {
        serde_json::from_str(&self.media).unwrap_or_default()
    }
    pub fn fields(&self) -> serde_json::Map<String, Value> {
        serde_json::from_str(&self.fields).unwrap_or_default()
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Serialize)]
#[diesel(table_name = projects)]
pub struct Project {
    pub id: i64,
    pub ap_id: String,
    pub portfolio_id: i64,
    pub local: bool,
    pub title: String,
    pub description: String,
    pub status: String,
    pub goals: String,
    pub data: String,
    pub links: String,
    pub visibility: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
}

impl Project {
    pub fn visibility(&self) -> Visibility {
        Visibility::parse(&self.visibility).unwrap_or(Visibility::Private)
    }
    pub fn goals(&self) -> Vec<String> {
        serde_json::from_str(&self.goals).unwrap_or_default()
    }
    pub fn data(&self) -> serde_json::Map<String, Value> {
        serde_json::from_str(&self.data).unwrap_or_default()
    }
    pub fn links(&self) -> Vec<ProfileLink> {
        serde_json::from_str(&self.links).unwrap_or_default()
    }
}

pub const PROJECT_STATUSES: &[&str] = &["planned", "active", "paused", "done"];

/// Who is asking, relative to a portfolio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewer {
    pub actor_id: Option<i64>,
    pub role: Option<Role>,
    pub admin: bool,
}

impl Viewer {
    pub fn anonymous() -> Viewer {
        Viewer {
            actor_id: None,
            role: None,
            admin: false,
        }
    }
    /// May this viewer see something with this visibility and state?
    pub fn may_see(&self, visibility: Visibility, state: State) -> bool {
        if state == State::Draft || visibility == Visibility::Private {
            return self.role.is_some_and(Role::can_edit);
        }
        if visibility == Visibility::Members {
            return self.role.is_some();
        }
        true
    }
    pub fn can_edit(&self) -> bool {
        self.role.is_some_and(Role::can_edit)
    }
    pub fn is_owner(&self) -> bool {
        self.role == Some(Role::Owner)
    }
}

/// How far an item or project update travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Stays on the instance with the people who manage it (drafts, private things).
    Nobody,
    /// Pushed to the team only (members-only).
    Team,
    /// Followers (and the public timelines when public).
    Followers { listed: bool },
}

/// The audience of something with `visibility` and `state` in `portfolio`: the more
/// restrictive of the two visibilities, and nothing at all while either is a draft.
pub fn audience(portfolio: &Portfolio, visibility: Visibility, state: State) -> Audience {
    if state == State::Draft || portfolio.state() == State::Draft || portfolio.is_deleted() {
        return Audience::Nobody;
    }
    match visibility.max(portfolio.visibility()) {
        Visibility::Public => Audience::Followers { listed: true },
        Visibility::Unlisted => Audience::Followers { listed: false },
        Visibility::Members => Audience::Team,
        Visibility::Private => Audience::Nobody,
    }
}

/// What a remote Kogi portfolio actor document carries in Kogi's terms.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RemotePortfolio {
    pub portfolio_type: String,
    pub tags: Vec<String>,
    pub cover_url: Option<String>,
    pub owners: Vec<String>,
    pub items_url: Option<String>,
    pub projects_url: Option<String>,
    pub archived: bool,
    pub fields: serde_json::Map<String, Value>,
    pub sections: Vec<Section>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viewers_see_by_role() {
        let stranger = Viewer::anonymous();
        let viewer = Viewer {
            actor_id: Some(1),
            role: Some(Role::Viewer),
            admin: false,
        };
        let editor = Viewer {
            role: Some(Role::Editor),
            ..viewer
        };
        assert!(stranger.may_see(Visibility::Public, State::Published));
        assert!(stranger.may_see(Visibility::Unlisted, State::Archived));
        assert!(!stranger.may_see(Visibility::Members, State::Published));
        assert!(!stranger.may_see(Visibility::Public, State::Draft));
        assert!(viewer.may_see(Visibility::Members, State::Published));
        assert!(!viewer.may_see(Visibility::Private, State::Published));
        assert!(!viewer.may_see(Visibility::Public, State::Draft));
        assert!(editor.may_see(Visibility::Private, State::Draft));
    }
}
