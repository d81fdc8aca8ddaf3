//! Joining and leaving, members, join requests, roles and bans.

use super::*;

/// Remove someone from a community (moderators) without banning them; they may ask to join
/// again. A remote member's server is sent `Reject` of their `Follow`.
#[utoipa::path(delete, path = "/api/kogi/v1/communities/{community}/members/{person}", tag = "communities", security(("bearer" = [])),
    params(("community" = String, Path, description = "A local handle"), ("person" = String, Path, description = "`user@host` or a local username")),
    responses((status = 204, description = "Removed"), Problems))]
pub async fn remove_member(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath((handle, who)): ApiPath<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let c = moderated(&state, &handle, &user.person.actor).await?;
    let who = person_or_remote(&state, &who).await?;
    match store::role_of(&state.core, &c, who.id).await? {
        Some(Role::Owner) => {
            return Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden")
                .detail("owners cannot be removed"))
        }
        Some(Role::Moderator)
            if store::role_of(&state.core, &c, user.person.actor.id).await?
                != Some(Role::Owner) =>
        {
            return Err(ApiError::new(StatusCode::FORBIDDEN, "not_owner")
                .detail("only owners remove moderators"))
        }
        _ => {}
    }
    if !kogi_core::communities::manage::remove_member(&state.core, &c, &who, None).await? {
        return Err(ApiError::not_found().detail("not a member"));
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct JoinResult {
    /// `member`, or `pending` until a moderator approves (or the remote group accepts).
    pub state: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JoinBody {
    /// The secret of an invite link, for private and invite-only communities.
    pub invite: Option<String>,
}

/// Join a community (a `Follow` of the group). An invite link's secret (optional JSON body)
/// admits at once.
#[utoipa::path(post, path = "/api/kogi/v1/communities/{community}/join", tag = "communities", security(("bearer" = [])),
    params(("community" = String, Path,)), request_body(content = JoinBody, description = "Optional"), responses((status = 200, description = "Joined or pending", body = JoinResult), Problems))]
pub async fn join(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(reference): ApiPath<String>,
    body: axum::body::Bytes,
) -> Result<Json<JoinResult>, ApiError> {
    let invite = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        serde_json::from_slice::<JoinBody>(&body)
            .map_err(|e| {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body")
                    .detail(e.to_string())
            })?
            .invite
    };
    let c = resolve(&state, &reference).await?;
    let s = kogi_core::communities::manage::join(
        &state.core,
        &user.person.actor,
        &c,
        invite.as_deref(),
    )
    .await?;
    Ok(Json(JoinResult {
        state: if s == FollowState::Following {
            "member"
        } else {
            "pending"
        }
        .into(),
    }))
}

/// Leave a community (`Undo(Follow)`).
#[utoipa::path(delete, path = "/api/kogi/v1/communities/{community}/join", tag = "communities", security(("bearer" = [])),
    params(("community" = String, Path,)), responses((status = 204, description = "Left"), Problems))]
pub async fn leave(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(reference): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    let c = resolve(&state, &reference).await?;
    kogi_core::follows::actions::unfollow(&state.core, &user.person.actor, &c.actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct MemberView {
    pub person: ActorSummary,
    pub role: String,
}

/// Members, with their roles (members only, for private communities).
#[utoipa::path(get, path = "/api/kogi/v1/communities/{community}/members", tag = "communities",
    params(("community" = String, Path,)), responses((status = 200, description = "Members", body = Vec<MemberView>), Problems))]
pub async fn members(
    State(state): State<AppState>,
    user: MaybeApiUser,
    ApiPath(reference): ApiPath<String>,
) -> Result<Json<Vec<MemberView>>, ApiError> {
    let me = user.0.as_ref().map(|u| &u.person.actor);
    let c = resolve(&state, &reference).await?;
    if !c.row.local {
        return Err(ApiError::not_found()
            .detail("members of other servers' communities are not listed here"));
    }
    may_read(&state, &c, me).await?;
    Ok(Json(
        store::members(&state.core, &c)
            .await?
            .into_iter()
            .map(|(a, r)| MemberView {
                person: ActorSummary::of(&a),
                role: r.as_str().into(),
            })
            .collect(),
    ))
}

/// Join requests waiting for a moderator (private communities).
#[utoipa::path(get, path = "/api/kogi/v1/communities/{handle}/requests", tag = "communities", security(("bearer" = [])),
    params(("handle" = String, Path,)), responses((status = 200, description = "Waiting", body = Vec<ActorSummary>), Problems))]
pub async fn requests(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(handle): ApiPath<String>,
) -> Result<Json<Vec<ActorSummary>>, ApiError> {
    let c = moderated(&state, &handle, &user.person.actor).await?;
    let list =
        kogi_core::follows::followers(&state.core, c.actor.id, kogi_core::follows::PENDING, 0, 500)
            .await?;
    Ok(Json(list.iter().map(ActorSummary::of).collect()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerBody {
    /// The requesting actor's id (as listed by `GET /communities/{handle}/requests`),
    /// `user@host` or a local username.
    pub person: String,
    pub approve: bool,
}

/// Approve or reject a join request (moderators). Remote people get `Accept` or `Reject`.
#[utoipa::path(post, path = "/api/kogi/v1/communities/{handle}/requests/answer", tag = "communities", security(("bearer" = [])),
    params(("handle" = String, Path,)), request_body = AnswerBody,
    responses((status = 204, description = "Answered"), Problems))]
pub async fn answer(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(handle): ApiPath<String>,
    ApiJson(body): ApiJson<AnswerBody>,
) -> Result<StatusCode, ApiError> {
    let c = moderated(&state, &handle, &user.person.actor).await?;
    let who = person_or_remote(&state, &body.person).await?;
    if !kogi_core::follows::actions::answer_request(&state.core, &c.actor, &who, body.approve)
        .await?
    {
        return Err(ApiError::not_found().detail("no such request"));
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleBody {
    /// `moderator` or `member`.
    pub role: String,
}

/// Make a member a moderator, or a moderator a member again (owners).
#[utoipa::path(put, path = "/api/kogi/v1/communities/{handle}/roles/{person}", tag = "communities", security(("bearer" = [])),
    params(("handle" = String, Path,), ("person" = String, Path,)), request_body = RoleBody,
    responses((status = 204, description = "Changed"), Problems))]
pub async fn set_role(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath((handle, who)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<RoleBody>,
) -> Result<StatusCode, ApiError> {
    let c = moderated(&state, &handle, &user.person.actor).await?;
    if store::role_of(&state.core, &c, user.person.actor.id).await? != Some(Role::Owner) {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "not_owner"));
    }
    let role = match body.role.as_str() {
        "moderator" => Role::Moderator,
        "member" => Role::Member,
        _ => return Err(kogi_core::Error::invalid("role", "role_invalid").into()),
    };
    let who = person_or_remote(&state, &who).await?;
    if store::role_of(&state.core, &c, who.id).await?.is_none() {
        return Err(kogi_core::Error::invalid("person", "not_a_member").into());
    }
    if store::role_of(&state.core, &c, who.id).await? == Some(Role::Owner) {
        return Err(kogi_core::Error::invalid("person", "owner_role_fixed").into());
    }
    let moderator = role == Role::Moderator;
    kogi_core::communities::manage::change_moderator(
        &state.core,
        &user.person.actor,
        &c,
        &who,
        moderator,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BanBody {
    /// `user@host` or a local username.
    pub person: String,
    #[serde(default)]
    pub reason: String,
}

/// Ban someone (moderators): they are removed and can no longer join or post.
#[utoipa::path(post, path = "/api/kogi/v1/communities/{handle}/bans", tag = "communities", security(("bearer" = [])),
    params(("handle" = String, Path,)), request_body = BanBody,
    responses((status = 204, description = "Banned"), Problems))]
pub async fn ban(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(handle): ApiPath<String>,
    ApiJson(body): ApiJson<BanBody>,
) -> Result<StatusCode, ApiError> {
    let c = moderated(&state, &handle, &user.person.actor).await?;
    let who = person_or_remote(&state, &body.person).await?;
    if store::role_of(&state.core, &c, who.id).await? == Some(Role::Owner) {
        return Err(
            ApiError::new(StatusCode::FORBIDDEN, "forbidden").detail("owners cannot be banned")
        );
    }
    kogi_core::communities::manage::remove_member(&state.core, &c, &who, Some(&body.reason))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
