//! A portfolio's team.

use super::*;

/// The team (anyone who may see the portfolio).
#[utoipa::path(get, path = "/api/kogi/v1/portfolios/{handle}/members", tag = "portfolios",
    params(("handle" = String, Path,)), responses((status = 200, description = "The team", body = Vec<MemberView>), Problems))]
pub async fn members(
    State(state): State<AppState>,
    user: MaybeApiUser,
    ApiPath(handle): ApiPath<String>,
) -> Result<Json<Vec<MemberView>>, ApiError> {
    let me = user.0.as_ref().map(|u| &u.person.actor);
    let p = local(&state, &handle, me, Need::See).await?;
    Ok(Json(
        queries::members(&state.core, p.id())
            .await?
            .into_iter()
            .map(|(m, a)| MemberView {
                person: ActorSummary::of(&a),
                role: m.role,
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleBody {
    /// `owner`, `editor` or `viewer`.
    pub role: String,
}

/// Add a local person to the team or change their role (owners).
#[utoipa::path(put, path = "/api/kogi/v1/portfolios/{handle}/members/{username}", tag = "portfolios", security(("bearer" = [])),
    params(("handle" = String, Path,), ("username" = String, Path,)), request_body = RoleBody,
    responses((status = 200, description = "The team", body = Vec<MemberView>), Problems))]
pub async fn put_member(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath((handle, username)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<RoleBody>,
) -> Result<Json<Vec<MemberView>>, ApiError> {
    let p = local(&state, &handle, Some(&user.person.actor), Need::Own).await?;
    let role = Role::parse(body.role.trim())
        .ok_or_else(|| ApiError::from(kogi_core::Error::invalid("role", "role_invalid")))?;
    let person = person_by_username(&state, &username).await?;
    store::set_member(&state.core, &p, &person, role).await?;
    members(State(state), MaybeApiUser(Some(user)), ApiPath(handle)).await
}

/// Remove someone from the team (owners; the last owner stays).
#[utoipa::path(delete, path = "/api/kogi/v1/portfolios/{handle}/members/{username}", tag = "portfolios", security(("bearer" = [])),
    params(("handle" = String, Path,), ("username" = String, Path,)),
    responses((status = 204, description = "Removed"), Problems))]
pub async fn delete_member(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath((handle, username)): ApiPath<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let p = local(&state, &handle, Some(&user.person.actor), Need::Own).await?;
    let person = person_by_username(&state, &username).await?;
    if !store::remove_member(&state.core, &p, person.id).await? {
        return Err(ApiError::not_found().detail("not on the team"));
    }
    Ok(StatusCode::NO_CONTENT)
}
