//! Voting in a thread's poll.

use super::*;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoteBody {
    pub choices: Vec<String>,
}

/// Vote in a poll thread. The poll's origin counts; a vote goes to the poll's author only.
#[utoipa::path(post, path = "/api/kogi/v1/communities/{community}/threads/{id}/vote", tag = "communities", security(("bearer" = [])),
    params(("community" = String, Path,), ("id" = i64, Path,)), request_body = VoteBody,
    responses((status = 204, description = "Voted"), Problems))]
pub async fn vote(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath((reference, id)): ApiPath<(String, i64)>,
    ApiJson(body): ApiJson<VoteBody>,
) -> Result<StatusCode, ApiError> {
    let me = &user.person.actor;
    let c = resolve(&state, &reference).await?;
    may_read(&state, &c, Some(me)).await?;
    let (_, p) = thread_in(&state, &c, id).await?;
    kogi_core::communities::manage::vote(&state.core, me, &p, &body.choices).await?;
    Ok(StatusCode::NO_CONTENT)
}
