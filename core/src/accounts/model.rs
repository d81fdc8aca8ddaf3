use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::schema::{accounts, actors, sessions};

/// An actor row: a local or remote person, portfolio, community or the instance actor.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = actors)]
pub struct Actor {
    pub id: i64,
    pub ap_id: String,
    pub kind: String,
    pub handle: String,
    pub handle_norm: String,
    pub host: String,
    pub local: bool,
    pub display_name: String,
    pub summary: String,
    pub avatar_path: Option<String>,
    pub avatar_url: Option<String>,
    pub interests: String,
    pub skills: String,
    pub links: String,
    pub inbox_url: String,
    pub shared_inbox_url: Option<String>,
    pub outbox_url: Option<String>,
    pub followers_url: Option<String>,
    pub following_url: Option<String>,
    pub public_key_pem: String,
    pub private_key_pem: Option<String>,
    pub manually_approves_followers: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
    /// The ActivityStreams type: Person, Organization, Group, Application, Service.
    pub ap_type: String,
    pub key_id: Option<String>,
    /// The HTML profile page (`url` in the actor document).
    pub profile_url: Option<String>,
    /// When a remote actor was last fetched.
    pub fetched_at: Option<NaiveDateTime>,
}

impl Actor {
    pub fn interests(&self) -> Vec<String> {
        serde_json::from_str(&self.interests).unwrap_or_default()
    }
    pub fn skills(&self) -> Vec<String> {
        serde_json::from_str(&self.skills).unwrap_or_default()
    }
    pub fn links(&self) -> Vec<ProfileLink> {
        serde_json::from_str(&self.links).unwrap_or_default()
    }
    /// The display name, or the handle when none is set.
    pub fn name(&self) -> &str {
        if self.display_name.trim().is_empty() {
            &self.handle
        } else {
            &self.display_name
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ProfileLink {
    pub name: String,
    pub url: String,
}

/// Login data of a local person.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = accounts)]
pub struct Account {
    pub id: i64,
    pub actor_id: i64,
    pub username: String,
    pub username_norm: String,
    pub email: String,
    pub email_norm: String,
    pub password_hash: String,
    pub role: String,
    pub email_confirmed_at: Option<NaiveDateTime>,
    pub approved: bool,
    pub pending_email: Option<String>,
    pub language: Option<String>,
    pub created_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Moderator,
    Admin,
}

impl Role {
    pub fn parse(s: &str) -> Role {
        match s {
            "admin" => Role::Admin,
            "moderator" => Role::Moderator,
            _ => Role::User,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Moderator => "moderator",
            Role::Admin => "admin",
        }
    }
}

impl Account {
    pub fn role(&self) -> Role {
        Role::parse(&self.role)
    }
    pub fn is_admin(&self) -> bool {
        self.role() == Role::Admin
    }
}

/// A browser session or an API token.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Serialize)]
#[diesel(table_name = sessions)]
pub struct Session {
    pub id: i64,
    pub account_id: i64,
    #[serde(skip)]
    pub token_hash: String,
    pub kind: String,
    pub user_agent: String,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    Web,
    Api,
}

impl SessionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionKind::Web => "web",
            SessionKind::Api => "api",
        }
    }
}

/// An account with its actor: what a signed-in request carries around.
#[derive(Debug, Clone)]
pub struct Person {
    pub account: Account,
    pub actor: Actor,
}

/// State of a new account right after sign-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignupStatus {
    /// Waiting for the emailed confirmation link.
    PendingConfirmation,
    /// Waiting for the confirmation link and for an admin's approval.
    PendingApproval,
    /// Ready to log in (accounts made by an admin).
    Active,
}

/// Profile fields a person edits.
#[derive(Debug, Clone, Default)]
pub struct ProfileUpdate {
    pub display_name: Option<String>,
    pub bio: Option<String>,
    pub interests: Option<Vec<String>>,
    pub skills: Option<Vec<String>>,
    pub links: Option<Vec<ProfileLink>>,
    pub language: Option<Option<String>>,
    /// Follow requests need approval (`manuallyApprovesFollowers`).
    pub locked: Option<bool>,
}
