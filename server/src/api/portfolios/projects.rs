//! A portfolio's projects: writing them, their team and their updates.

use super::*;

/// Add a project (owners and editors).
#[utoipa::path(post, path = "/api/kogi/v1/portfolios/{handle}/projects", tag = "portfolios", security(("bearer" = [])),
    params(("handle" = String, Path,)), request_body = ProjectInput,
    responses((status = 201, description = "Added", body = ProjectView), Problems))]
pub async fn create_project(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(handle): ApiPath<String>,
    ApiJson(body): ApiJson<ProjectInput>,
) -> Result<(StatusCode, Json<ProjectView>), ApiError> {
    let p = local(&state, &handle, Some(&user.person.actor), Need::Edit).await?;
    let project = store::create_project(&state.core, &p, body).await?;
    Ok((
        StatusCode::CREATED,
        Json(project_view(&state, &project).await?),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct ProjectPage {
    pub project: ProjectView,
    pub updates: Vec<UpdateView>,
}

#[derive(Serialize, ToSchema)]
pub struct UpdateView {
    pub id: i64,
    pub uri: String,
    /// Sanitised HTML.
    pub content: String,
    pub created_at: String,
}

/// A project with its updates, if you may see it.
#[utoipa::path(get, path = "/api/kogi/v1/portfolios/{handle}/projects/{id}", tag = "portfolios",
    params(("handle" = String, Path,), ("id" = i64, Path,)),
    responses((status = 200, description = "The project", body = ProjectPage), Problems))]
pub async fn get_project(
    State(state): State<AppState>,
    user: MaybeApiUser,
    ApiPath((handle, id)): ApiPath<(String, i64)>,
) -> Result<Json<ProjectPage>, ApiError> {
    let me = user.0.as_ref().map(|u| &u.person.actor);
    let p = local(&state, &handle, me, Need::See).await?;
    let v = queries::viewer(&state.core, &p, me.map(|m| m.id), false).await?;
    let project = local_project(&state, &p, id).await?;
    if !v.may_see(project.visibility(), PState::Published) {
        return Err(ApiError::not_found());
    }
    let mut updates = Vec::new();
    for post in queries::project_updates(&state.core, &project.ap_id).await? {
        if kogi_core::posts::can_view(&state.core, me.map(|m| m.id), &post).await?
            || v.role.is_some()
        {
            updates.push(UpdateView {
                id: post.id,
                uri: post.ap_id.clone(),
                content: post.content_html.clone(),
                created_at: iso(post.published_at),
            });
        }
    }
    Ok(Json(ProjectPage {
        project: project_view(&state, &project).await?,
        updates,
    }))
}

/// Edit a project (owners and editors).
#[utoipa::path(patch, path = "/api/kogi/v1/portfolios/{handle}/projects/{id}", tag = "portfolios", security(("bearer" = [])),
    params(("handle" = String, Path,), ("id" = i64, Path,)), request_body = ProjectInput,
    responses((status = 200, description = "Edited", body = ProjectView), Problems))]
pub async fn update_project(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath((handle, id)): ApiPath<(String, i64)>,
    ApiJson(body): ApiJson<ProjectInput>,
) -> Result<Json<ProjectView>, ApiError> {
    let p = local(&state, &handle, Some(&user.person.actor), Need::Edit).await?;
    let project = local_project(&state, &p, id).await?;
    let project = store::update_project(&state.core, &project, body).await?;
    Ok(Json(project_view(&state, &project).await?))
}

/// Delete a project (owners and editors).
#[utoipa::path(delete, path = "/api/kogi/v1/portfolios/{handle}/projects/{id}", tag = "portfolios", security(("bearer" = [])),
    params(("handle" = String, Path,), ("id" = i64, Path,)),
    responses((status = 204, description = "Deleted"), Problems))]
pub async fn delete_project(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath((handle, id)): ApiPath<(String, i64)>,
) -> Result<StatusCode, ApiError> {
    let p = local(&state, &handle, Some(&user.person.actor), Need::Edit).await?;
    let project = local_project(&state, &p, id).await?;
    store::delete_project(&state.core, &project).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Put a local person on a project's team, with what they do there (owners and editors).
#[utoipa::path(put, path = "/api/kogi/v1/portfolios/{handle}/projects/{id}/members/{username}", tag = "portfolios", security(("bearer" = [])),
    params(("handle" = String, Path,), ("id" = i64, Path,), ("username" = String, Path,)), request_body = RoleBody,
    responses((status = 200, description = "The project", body = ProjectView), Problems))]
pub async fn put_project_member(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath((handle, id, username)): ApiPath<(String, i64, String)>,
    ApiJson(body): ApiJson<RoleBody>,
) -> Result<Json<ProjectView>, ApiError> {
    let p = local(&state, &handle, Some(&user.person.actor), Need::Edit).await?;
    let project = local_project(&state, &p, id).await?;
    let person = person_by_username(&state, &username).await?;
    store::set_project_member(&state.core, &project, &person, &body.role).await?;
    Ok(Json(project_view(&state, &project).await?))
}

/// Take someone off a project's team (owners and editors).
#[utoipa::path(delete, path = "/api/kogi/v1/portfolios/{handle}/projects/{id}/members/{username}", tag = "portfolios", security(("bearer" = [])),
    params(("handle" = String, Path,), ("id" = i64, Path,), ("username" = String, Path,)),
    responses((status = 204, description = "Removed"), Problems))]
pub async fn delete_project_member(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath((handle, id, username)): ApiPath<(String, i64, String)>,
) -> Result<StatusCode, ApiError> {
    let p = local(&state, &handle, Some(&user.person.actor), Need::Edit).await?;
    let project = local_project(&state, &p, id).await?;
    let person = person_by_username(&state, &username).await?;
    if !store::remove_project_member(&state.core, &project, person.id).await? {
        return Err(ApiError::not_found().detail("not on the project"));
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TextBody {
    /// Plain text; `#tags` and URLs become links.
    pub content: String,
}

/// Post an update of a project (owners and editors): shown on the project page and sent to
/// the portfolio's followers as a `Note` (to the team only when the project is members-only).
#[utoipa::path(post, path = "/api/kogi/v1/portfolios/{handle}/projects/{id}/updates", tag = "portfolios", security(("bearer" = [])),
    params(("handle" = String, Path,), ("id" = i64, Path,)), request_body = TextBody,
    responses((status = 201, description = "Posted", body = UpdateView), Problems))]
pub async fn post_update(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath((handle, id)): ApiPath<(String, i64)>,
    ApiJson(body): ApiJson<TextBody>,
) -> Result<(StatusCode, Json<UpdateView>), ApiError> {
    let p = local(&state, &handle, Some(&user.person.actor), Need::Edit).await?;
    let project = local_project(&state, &p, id).await?;
    let post = state
        .fed
        .post_project_update(&p, &project, &body.content)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(UpdateView {
            id: post.id,
            uri: post.ap_id.clone(),
            content: post.content_html.clone(),
            created_at: iso(post.published_at),
        }),
    ))
}
