use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::accounts::Actor;
use crate::schema::communities;

pub const KINDS: &[&str] = &["community", "team", "organization", "cohort"];

/// Who may join and read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Anyone joins and reads; anyone not banned posts.
    Public,
    /// Joining needs a moderator's approval; only members read and post.
    Private,
    /// Joining needs an invitation; only members read and post.
    Invite,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Private => "private",
            Visibility::Invite => "invite",
        }
    }
    pub fn parse(s: &str) -> Option<Visibility> {
        match s {
            "public" => Some(Visibility::Public),
            "private" => Some(Visibility::Private),
            "invite" | "invite-only" | "invite_only" => Some(Visibility::Invite),
            _ => None,
        }
    }
}

/// Owner or moderator; everyone else who joined is a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Owner,
    Moderator,
    Member,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Moderator => "moderator",
            Role::Member => "member",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "owner" => Some(Role::Owner),
            "moderator" => Some(Role::Moderator),
            "member" => Some(Role::Member),
            _ => None,
        }
    }
    pub fn moderates(self) -> bool {
        matches!(self, Role::Owner | Role::Moderator)
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Serialize)]
#[diesel(table_name = communities)]
pub struct CommunityRow {
    pub id: i64,
    pub actor_id: i64,
    pub local: bool,
    pub kind: String,
    pub visibility: String,
    pub rules: String,
    pub tags: String,
    pub portfolios: String,
    pub banner_path: Option<String>,
    pub banner_url: Option<String>,
    pub moderators_url: Option<String>,
    pub featured_url: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
}

/// A community with its Group actor.
#[derive(Debug, Clone)]
pub struct Community {
    pub row: CommunityRow,
    pub actor: Actor,
}

impl Community {
    pub fn id(&self) -> i64 {
        self.row.id
    }
    pub fn visibility(&self) -> Visibility {
        Visibility::parse(&self.row.visibility).unwrap_or(Visibility::Private)
    }
    pub fn is_public(&self) -> bool {
        self.visibility() == Visibility::Public
    }
    pub fn tags(&self) -> Vec<String> {
        serde_json::from_str(&self.row.tags).unwrap_or_default()
    }
    /// The actor URLs of the linked portfolios.
    pub fn portfolios(&self) -> Vec<String> {
        serde_json::from_str(&self.row.portfolios).unwrap_or_default()
    }
    pub fn is_deleted(&self) -> bool {
        self.row.deleted_at.is_some() || self.actor.deleted_at.is_some()
    }
}

/// A thread or comment of a community.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = crate::schema::community_posts)]
pub struct CommunityPost {
    pub id: i64,
    pub post_id: i64,
    pub community_id: i64,
    pub kind: String,
    pub title: String,
    pub thread_post_id: Option<i64>,
    pub pinned: bool,
    pub locked: bool,
    pub created_at: NaiveDateTime,
}

/// What a remote Group document says beyond the actor (Lemmy and Kogi).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RemoteCommunity {
    pub kind: String,
    pub visibility: String,
    pub rules: String,
    pub tags: Vec<String>,
    pub portfolios: Vec<String>,
    pub banner_url: Option<String>,
    pub moderators_url: Option<String>,
    pub featured_url: Option<String>,
}
