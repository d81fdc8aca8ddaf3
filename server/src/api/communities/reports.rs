//! Reports to a community's moderators.

use super::*;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportBody {
    /// The thread or comment (its number here).
    pub post: i64,
    #[serde(default)]
    pub reason: String,
}

/// Report a thread or comment to the community's moderators (a `Flag` for a community on
/// another server).
#[utoipa::path(post, path = "/api/kogi/v1/communities/{community}/reports", tag = "communities", security(("bearer" = [])),
    params(("community" = String, Path,)), request_body = ReportBody,
    responses((status = 202, description = "Reported"), Problems))]
pub async fn report(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(reference): ApiPath<String>,
    ApiJson(body): ApiJson<ReportBody>,
) -> Result<StatusCode, ApiError> {
    let me = &user.person.actor;
    let c = resolve(&state, &reference).await?;
    may_read(&state, &c, Some(me)).await?;
    let p = posts::find(&state.core, body.post)
        .await?
        .filter(|p| p.deleted_at.is_none())
        .ok_or_else(ApiError::not_found)?;
    if store::post_link(&state.core, p.id)
        .await?
        .is_none_or(|l| l.community_id != c.id())
    {
        return Err(ApiError::not_found());
    }
    kogi_core::communities::manage::report_post(&state.core, me, &c, p.id, &body.reason).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Serialize, ToSchema)]
pub struct ReportView {
    pub id: i64,
    pub reporter: String,
    pub post_id: Option<i64>,
    pub reason: String,
    pub resolved: bool,
}

/// The moderation queue (moderators).
#[utoipa::path(get, path = "/api/kogi/v1/communities/{community}/reports", tag = "communities", security(("bearer" = [])),
    params(("community" = String, Path, description = "A local handle")), responses((status = 200, description = "Reports", body = Vec<ReportView>), Problems))]
pub async fn reports(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(handle): ApiPath<String>,
) -> Result<Json<Vec<ReportView>>, ApiError> {
    let c = moderated(&state, &handle, &user.person.actor).await?;
    Ok(Json(
        kogi_core::communities::moderation::reports(&state.core, &c)
            .await?
            .into_iter()
            .map(|r| ReportView {
                id: r.id,
                reporter: r.reporter,
                post_id: r.post_id,
                reason: r.reason,
                resolved: r.resolved,
            })
            .collect(),
    ))
}
