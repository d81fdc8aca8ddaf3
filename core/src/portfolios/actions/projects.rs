//! Portfolio use cases: a portfolio's projects and their members.

use diesel::prelude::*;
use diesel::upsert::excluded;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::checks::clean_project;
use crate::accounts::{Actor, ProfileLink};
use crate::db::Conn;
use crate::error::{Error, Result};
use crate::outbox::DomainEvent;
use crate::portfolios::model::*;
use crate::portfolios::rules::{self, optional_text};
use crate::portfolios::{engagement, queries};
use crate::posts::{NewPost, Post, Visibility};
use crate::schema::{project_members, project_updates, projects};
use crate::{db_tx, now, with_conn, Core};

/// A project as a person writes it; absent fields are left as they are.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ProjectInput {
    pub title: Option<String>,
    pub description: Option<String>,
    /// `planned` (default), `active`, `paused` or `done`.
    pub status: Option<String>,
    pub goals: Option<Vec<String>>,
    /// Named values (text or numbers), e.g. budget, team size, repository.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub data: Option<Map<String, Value>>,
    /// Up to four `{name, url}` links, e.g. to the task tracker where the work happens.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<Object>>))]
    pub links: Option<Vec<ProfileLink>>,
    /// `public` (default), `unlisted`, `members` or `private`.
    pub visibility: Option<String>,
}

pub async fn create_project(core: &Core, p: &Portfolio, input: ProjectInput) -> Result<Project> {
    let c = clean_project(&input, None)?;
    let (pid, base_id) = (p.id(), p.actor.ap_id.clone());
    let temp = format!("{base_id}/projects/new-{}", uuid::Uuid::new_v4().simple());
    let t = now();
    let id = db_tx!(core.db, |conn| {
        let id: i64 = diesel::insert_into(projects::table)
            .values((
                projects::ap_id.eq(&temp),
                projects::portfolio_id.eq(pid),
                projects::local.eq(true),
                projects::title.eq(&c.title),
                projects::description.eq(&c.description),
                projects::status.eq(&c.status),
                projects::goals.eq(&c.goals),
                projects::data.eq(&c.data),
                projects::links.eq(&c.links),
                projects::visibility.eq(c.visibility.as_str()),
                projects::created_at.eq(t),
                projects::updated_at.eq(t),
            ))
            .returning(projects::id)
            .get_result(conn)?;
        diesel::update(projects::table.find(id))
            .set(projects::ap_id.eq(format!("{base_id}/projects/{id}")))
            .execute(conn)?;
        Ok(id)
    })?;
    queries::project(core, id).await?.ok_or(Error::NotFound)
}

pub async fn update_project(
    core: &Core,
    project: &Project,
    input: ProjectInput,
) -> Result<Project> {
    let c = clean_project(&input, Some(project))?;
    let id = project.id;
    let t = now();
    db_tx!(core.db, |conn| {
        diesel::update(projects::table.find(id))
            .set((
                projects::title.eq(&c.title),
                projects::description.eq(&c.description),
                projects::status.eq(&c.status),
                projects::goals.eq(&c.goals),
                projects::data.eq(&c.data),
                projects::links.eq(&c.links),
                projects::visibility.eq(c.visibility.as_str()),
                projects::updated_at.eq(t),
            ))
            .execute(conn)?;
        Ok(())
    })?;
    queries::project(core, id).await?.ok_or(Error::NotFound)
}

pub async fn delete_project(core: &Core, project: &Project) -> Result<()> {
    let id = project.id;
    let t = now();
    db_tx!(core.db, |conn| {
        diesel::update(projects::table.find(id))
            .set((projects::deleted_at.eq(Some(t)), projects::updated_at.eq(t)))
            .execute(conn)?;
        Ok(())
    })
}

/// Adds a local person to a project's team (or changes what they do on it).
pub async fn set_project_member(
    core: &Core,
    project: &Project,
    actor: &Actor,
    role: &str,
) -> Result<()> {
    if !actor.local || actor.kind != "person" || actor.deleted_at.is_some() {
        return Err(Error::invalid("person", "not_a_local_person"));
    }
    let role = optional_text("role", role, rules::SHORT_MAX)?;
    let (pid, aid) = (project.id, actor.id);
    let t = now();
    db_tx!(core.db, |conn| {
        diesel::insert_into(project_members::table)
            .values((
                project_members::project_id.eq(pid),
                project_members::actor_id.eq(aid),
                project_members::role.eq(&role),
                project_members::created_at.eq(t),
            ))
            .on_conflict((project_members::project_id, project_members::actor_id))
            .do_update()
            .set(project_members::role.eq(excluded(project_members::role)))
            .execute(conn)?;
        Ok(())
    })
}

pub async fn remove_project_member(core: &Core, project: &Project, actor_id: i64) -> Result<bool> {
    let pid = project.id;
    let n = db_tx!(core.db, |conn| {
        Ok(diesel::delete(
            project_members::table
                .filter(project_members::project_id.eq(pid))
                .filter(project_members::actor_id.eq(actor_id)),
        )
        .execute(conn)?)
    })?;
    Ok(n > 0)
}

/// Records that a post is an update of a project (by the project's id).
pub async fn link_update(core: &Core, project_ap_id: &str, post_id: i64) -> Result<()> {
    let ap = project_ap_id.to_string();
    crate::db::tx(&core.db, move |c| link_update_in(c, &ap, post_id)).await
}

/// [`link_update`] inside the caller's transaction.
pub fn link_update_in(conn: &mut Conn, project_ap_id: &str, post_id: i64) -> Result<()> {
    let t = now();
    with_conn!(conn, |conn| {
        diesel::insert_into(project_updates::table)
            .values((
                project_updates::project_ap_id.eq(project_ap_id),
                project_updates::post_id.eq(post_id),
                project_updates::created_at.eq(t),
            ))
            .on_conflict(project_updates::post_id)
            .do_nothing()
            .execute(conn)?;
        Ok(())
    })
}

/// A project update as its author wrote it: the text, its HTML and hashtags (composed by
/// the caller, as every post's are), and the id it gets.
#[derive(Debug, Clone)]
pub struct UpdateDraft {
    pub ap_id: String,
    pub text: String,
    pub html: String,
    pub tags: Vec<String>,
}

/// Posts an update of a project in ONE transaction: a `Note` by the portfolio to the
/// project's audience (followers, or the team directly, or only the editors while nobody
/// else may see it), linked to the project, the watchers who may see it notified, and, when
/// it is for followers, the `ProjectUpdatePosted` event that sends its `Create`.
pub async fn post_update(
    core: &Core,
    p: &Portfolio,
    project: &Project,
    draft: UpdateDraft,
) -> Result<Post> {
    if draft.text.trim().is_empty() {
        return Err(Error::invalid("content", "required"));
    }
    let audience = audience(p, project.visibility(), State::Published);
    let (p, project) = (p.clone(), project.clone());
    let post = crate::db::tx(&core.db, move |conn| {
        let members = queries::members_in(conn, p.id())?;
        let team: Vec<i64> = members.iter().map(|(_, a)| a.id).collect();
        let (vis, recipients): (Visibility, Vec<i64>) = match audience {
            Audience::Followers { listed: true } => (Visibility::Public, vec![]),
            Audience::Followers { listed: false } => (Visibility::Unlisted, vec![]),
            Audience::Team => (Visibility::Direct, team.clone()),
            Audience::Nobody => (
                Visibility::Direct,
                members
                    .iter()
                    .filter(|(m, _)| Role::parse(&m.role).is_some_and(Role::can_edit))
                    .map(|(_, a)| a.id)
                    .collect(),
            ),
        };
        let new = NewPost {
            ap_id: draft.ap_id.clone(),
            author_id: p.actor.id,
            local: true,
            kind: "Note".into(),
            content_html: draft.html,
            source_text: Some(draft.text),
            summary: None,
            sensitive: false,
            language: None,
            visibility: vis,
            in_reply_to_ap_id: None,
            url: Some(draft.ap_id),
            attachments: vec![],
            tags: draft.tags,
            poll: None,
            published_at: now(),
            edited_at: None,
            like_count: 0,
            announce_count: 0,
            recipients: recipients.iter().map(|id| (*id, false)).collect(),
        };
        let (post, _) = crate::posts::upsert_in(conn, &new)?;
        link_update_in(conn, &project.ap_id, post.id)?;
        crate::outbox::apply_fails("post_project_update")?;
        if matches!(audience, Audience::Followers { .. }) {
            let event = DomainEvent::ProjectUpdatePosted {
                post_id: post.id,
                project_id: project.id,
            };
            crate::outbox::record(conn, p.actor.id, &event)?;
        }
        engagement::notify_watchers_in(conn, &p, audience, Some(post.id), &team)?;
        Ok(post)
    })
    .await?;
    crate::outbox::committed(core, "post_project_update");
    Ok(post)
}
