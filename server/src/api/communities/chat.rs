//! A community's chat.

use super::*;

#[derive(Serialize, ToSchema)]
pub struct ChatView {
    pub id: i64,
    pub uri: String,
    pub author: ActorSummary,
    /// Sanitised HTML.
    pub content: String,
    pub created_at: String,
}

/// The chat's latest messages, oldest first (members).
#[utoipa::path(get, path = "/api/kogi/v1/communities/{community}/chat", tag = "communities", security(("bearer" = [])),
    params(("community" = String, Path,)), responses((status = 200, description = "Messages", body = Vec<ChatView>), Problems))]
pub async fn chat(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(reference): ApiPath<String>,
) -> Result<Json<Vec<ChatView>>, ApiError> {
    let me = &user.person.actor;
    let c = resolve(&state, &reference).await?;
    if store::role_of(&state.core, &c, me.id).await?.is_none() {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "members_only"));
    }
    Ok(Json(
        kogi_core::communities::chat::history(&state.core, &c, 100)
            .await?
            .into_iter()
            .map(|(m, a)| ChatView {
                id: m.id,
                uri: m.ap_id,
                author: ActorSummary::of(&a),
                content: m.content_html,
                created_at: iso(m.created_at),
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatBody {
    /// Up to 1000 characters of plain text.
    pub content: String,
}

/// Write in the chat (members). Members on other servers get it through the group; it never
/// appears in a timeline or an outbox.
#[utoipa::path(post, path = "/api/kogi/v1/communities/{community}/chat", tag = "communities", security(("bearer" = [])),
    params(("community" = String, Path,)), request_body = ChatBody,
    responses((status = 201, description = "Sent", body = ChatView), Problems))]
pub async fn chat_post(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(reference): ApiPath<String>,
    ApiJson(body): ApiJson<ChatBody>,
) -> Result<(StatusCode, Json<ChatView>), ApiError> {
    let me = &user.person.actor;
    let c = resolve(&state, &reference).await?;
    let m = state.fed.post_chat(me, &c, &body.content).await?;
    Ok((
        StatusCode::CREATED,
        Json(ChatView {
            id: m.id,
            uri: m.ap_id,
            author: ActorSummary::of(me),
            content: m.content_html,
            created_at: iso(m.created_at),
        }),
    ))
}
