//! Invitations to a community.

use super::*;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteBody {
    /// `user@host` (or a local username) to invite; without it an invite link is made.
    pub person: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct InviteView {
    /// The link to share (invite links only).
    pub url: Option<String>,
    /// The secret for `POST …/join` (invite links only).
    pub invite: Option<String>,
}

/// Invite someone (sent as `Invite` to people on other servers), or make a single-use invite
/// link (moderators).
#[utoipa::path(post, path = "/api/kogi/v1/communities/{handle}/invites", tag = "communities", security(("bearer" = [])),
    params(("handle" = String, Path,)), request_body = InviteBody,
    responses((status = 201, description = "Invited", body = InviteView), Problems))]
pub async fn invite(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(handle): ApiPath<String>,
    ApiJson(body): ApiJson<InviteBody>,
) -> Result<(StatusCode, Json<InviteView>), ApiError> {
    let me = &user.person.actor;
    let c = moderated(&state, &handle, me).await?;
    match body.person {
        Some(p) => {
            let who = person_or_remote(&state, &p).await?;
            kogi_core::communities::manage::invite(&state.core, me, &c, &who).await?;
            Ok((
                StatusCode::CREATED,
                Json(InviteView {
                    url: None,
                    invite: None,
                }),
            ))
        }
        None => {
            let secret =
                kogi_core::communities::moderation::create_invite_link(&state.core, &c, me).await?;
            Ok((
                StatusCode::CREATED,
                Json(InviteView {
                    url: Some(format!(
                        "{}/communities/{}?invite={secret}",
                        state.config.public_url, c.actor.handle
                    )),
                    invite: Some(secret),
                }),
            ))
        }
    }
}
