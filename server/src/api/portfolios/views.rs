//! The JSON views of portfolios, their items, projects, team and media.

use super::*;

#[derive(Serialize, ToSchema)]
pub struct MemberView {
    pub person: ActorSummary,
    /// `owner`, `editor` or `viewer`.
    pub role: String,
}

#[derive(Serialize, ToSchema)]
pub struct MediaView {
    pub url: String,
    pub media_type: String,
    /// `Image`, `Document`, `Audio` or `Video`.
    pub kind: String,
    pub description: String,
}

#[derive(Serialize, ToSchema)]
pub struct ItemView {
    pub id: i64,
    /// The ActivityPub id (also the item's page).
    pub uri: String,
    pub title: String,
    pub description: String,
    pub role: String,
    pub client: String,
    pub skills: Vec<String>,
    pub started_on: Option<String>,
    pub ended_on: Option<String>,
    pub video_url: Option<String>,
    pub external_url: Option<String>,
    pub position: i32,
    pub featured: bool,
    pub visibility: String,
    /// `draft`, `published` or `archived`.
    pub state: String,
    pub section: Option<String>,
    #[schema(value_type = Object)]
    pub fields: Map<String, Value>,
    pub media: Vec<MediaView>,
    pub like_count: i32,
    /// Whether you like it.
    pub liked: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ProjectView {
    pub id: i64,
    pub uri: String,
    pub title: String,
    pub description: String,
    pub status: String,
    pub goals: Vec<String>,
    #[schema(value_type = Object)]
    pub data: Map<String, Value>,
    #[schema(value_type = Vec<Object>)]
    pub links: Vec<ProfileLink>,
    pub visibility: String,
    pub members: Vec<MemberView>,
}

#[derive(Serialize, ToSchema)]
pub struct PortfolioView {
    pub id: i64,
    /// The ActivityPub id (also the portfolio's page).
    pub uri: String,
    /// `handle@host`.
    pub handle: String,
    pub local: bool,
    pub title: String,
    pub summary: String,
    pub portfolio_type: String,
    pub tags: Vec<String>,
    #[schema(value_type = Vec<Object>)]
    pub links: Vec<ProfileLink>,
    pub visibility: String,
    /// `draft`, `published` or `archived`.
    pub state: String,
    pub cover_url: Option<String>,
    #[schema(value_type = Object)]
    pub fields: Map<String, Value>,
    #[schema(value_type = Vec<Object>)]
    pub sections: Vec<Section>,
    pub template: Option<String>,
    /// The team (local portfolios; shown to everyone who can see the portfolio).
    pub members: Vec<MemberView>,
    /// Owner ids as the origin names them (remote portfolios).
    pub owners: Vec<String>,
    /// Your role, if you are on the team.
    pub my_role: Option<String>,
    pub following: bool,
    pub watching: bool,
    pub followers: i64,
    pub items: Vec<ItemView>,
    pub projects: Vec<ProjectView>,
    pub created_at: String,
}

pub(crate) async fn item_view(
    state: &AppState,
    item: &Item,
    me: Option<&Actor>,
) -> Result<ItemView, ApiError> {
    let base = &state.config.public_url;
    let (likes, liked) = match item.post_id {
        Some(pid) => match kogi_core::posts::find(&state.core, pid).await? {
            Some(post) => (
                post.like_count,
                match me {
                    Some(m) => {
                        kogi_core::posts::reacted(&state.core, kogi_core::posts::LIKE, m.id, pid)
                            .await?
                    }
                    None => false,
                },
            ),
            None => (0, false),
        },
        None => (0, false),
    };
    Ok(ItemView {
        id: item.id,
        uri: item.ap_id.clone(),
        title: item.title.clone(),
        description: item.description.clone(),
        role: item.role.clone(),
        client: item.client.clone(),
        skills: item.skills(),
        started_on: item.started_on.clone(),
        ended_on: item.ended_on.clone(),
        video_url: item.video_url.clone(),
        external_url: item.external_url.clone(),
        position: item.position,
        featured: item.featured,
        visibility: item.visibility.clone(),
        state: item.state.clone(),
        section: item.section.clone(),
        fields: item.fields(),
        media: item
            .media()
            .into_iter()
            .filter_map(|m| {
                Some(MediaView {
                    url: m
                        .path
                        .as_ref()
                        .map(|p| format!("{base}/media/{p}"))
                        .or(m.url.clone())?,
                    media_type: m.media_type,
                    kind: m.kind,
                    description: m.description,
                })
            })
            .collect(),
        like_count: likes,
        liked,
    })
}

pub(crate) async fn project_view(
    state: &AppState,
    project: &Project,
) -> Result<ProjectView, ApiError> {
    let members = queries::project_members(&state.core, project.id)
        .await?
        .into_iter()
        .map(|(role, a)| MemberView {
            person: ActorSummary::of(&a),
            role,
        })
        .collect();
    Ok(ProjectView {
        id: project.id,
        uri: project.ap_id.clone(),
        title: project.title.clone(),
        description: project.description.clone(),
        status: project.status.clone(),
        goals: project.goals(),
        data: project.data(),
        links: project.links(),
        visibility: project.visibility.clone(),
        members,
    })
}

pub(crate) async fn portfolio_view(
    state: &AppState,
    p: &Portfolio,
    me: Option<&Actor>,
) -> Result<PortfolioView, ApiError> {
    let core = &state.core;
    let v = queries::viewer(core, p, me.map(|m| m.id), false).await?;
    let mut items = Vec::new();
    for item in queries::items(core, p.id()).await? {
        let visible = if p.row.local {
            v.may_see(item.visibility(), item.state())
        } else {
            true
        };
        if visible {
            items.push(item_view(state, &item, me).await?);
        }
    }
    let mut projects = Vec::new();
    for project in queries::projects(core, p.id()).await? {
        if !p.row.local || v.may_see(project.visibility(), PState::Published) {
            projects.push(project_view(state, &project).await?);
        }
    }
    let members = queries::members(core, p.id())
        .await?
        .into_iter()
        .map(|(m, a)| MemberView {
            person: ActorSummary::of(&a),
            role: m.role,
        })
        .collect();
    let (following, watching) = match me {
        Some(m) => (
            kogi_core::follows::find(core, m.id, p.actor.id)
                .await?
                .is_some_and(|f| f.state == kogi_core::follows::ACCEPTED),
            engagement::is_watching(core, p.id(), m.id).await?,
        ),
        None => (false, false),
    };
    let (followers, _) = kogi_core::follows::counts(core, p.actor.id).await?;
    Ok(PortfolioView {
        id: p.id(),
        uri: p.actor.ap_id.clone(),
        handle: format!("{}@{}", p.actor.handle, p.actor.host),
        local: p.row.local,
        title: p.title().to_string(),
        summary: p.actor.summary.clone(),
        portfolio_type: p.row.portfolio_type.clone(),
        tags: p.tags(),
        links: p.links(),
        visibility: p.row.visibility.clone(),
        state: p.row.state.clone(),
        cover_url: p
            .row
            .cover_path
            .as_ref()
            .map(|c| format!("{}/media/{c}", state.config.public_url))
            .or(p.row.cover_url.clone()),
        fields: p.fields(),
        sections: p.sections(),
        template: p.row.template.clone(),
        members,
        owners: p.owner_ids(),
        my_role: v.role.map(|r| r.as_str().to_string()),
        following,
        watching,
        followers,
        items,
        projects,
        created_at: iso(p.row.created_at),
    })
}
