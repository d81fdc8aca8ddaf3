//! Threads and comments, and moderating them (removing, locking, pinning).

use super::*;

pub(crate) async fn thread_view(
    t: &kogi_core::communities::CommunityPost,
    p: &Post,
    a: &Actor,
) -> ThreadView {
    ThreadView {
        id: p.id,
        uri: p.ap_id.clone(),
        title: t.title.clone(),
        content: p.content_html.clone(),
        author: ActorSummary::of(a),
        like_count: p.like_count,
        reply_count: p.reply_count,
        pinned: t.pinned,
        locked: t.locked,
        poll: p.poll().map(|x| {
            x.options
                .into_iter()
                .map(|o| PollChoice {
                    name: o.name,
                    votes: o.votes,
                })
                .collect()
        }),
        created_at: iso(p.published_at),
    }
}

/// A community's threads, pinned first, newest first.
#[utoipa::path(get, path = "/api/kogi/v1/communities/{community}/threads", tag = "communities",
    params(("community" = String, Path,)), responses((status = 200, description = "Threads", body = Vec<ThreadView>), Problems))]
pub async fn threads(
    State(state): State<AppState>,
    user: MaybeApiUser,
    ApiPath(reference): ApiPath<String>,
) -> Result<Json<Vec<ThreadView>>, ApiError> {
    let me = user.0.as_ref().map(|u| &u.person.actor);
    let c = resolve(&state, &reference).await?;
    may_read(&state, &c, me).await?;
    let mut out = Vec::new();
    for (t, p, a) in store::threads(&state.core, c.id()).await? {
        out.push(thread_view(&t, &p, &a).await);
    }
    Ok(Json(out))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewThread {
    pub title: String,
    /// Plain text; `#tags` and URLs become links.
    pub content: String,
    /// Makes the thread a poll with these choices (2 to 10).
    pub poll: Option<Vec<String>>,
    /// Whether several choices may be picked.
    #[serde(default)]
    pub multiple: bool,
}

/// Start a thread in a community here or on another server.
#[utoipa::path(post, path = "/api/kogi/v1/communities/{community}/threads", tag = "communities", security(("bearer" = [])),
    params(("community" = String, Path,)), request_body = NewThread,
    responses((status = 201, description = "Posted", body = ThreadView), Problems))]
pub async fn post_thread(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(reference): ApiPath<String>,
    ApiJson(body): ApiJson<NewThread>,
) -> Result<(StatusCode, Json<ThreadView>), ApiError> {
    let me = &user.person.actor;
    let c = resolve(&state, &reference).await?;
    let poll = match &body.poll {
        Some(options) => Some(kogi_core::communities::moderation::new_poll(
            options,
            body.multiple,
        )?),
        None => None,
    };
    let p = state
        .fed
        .post_in_community(me, &c, Some(&body.title), &body.content, None, poll)
        .await?;
    let link = store::post_link(&state.core, p.id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok((StatusCode::CREATED, Json(thread_view(&link, &p, me).await)))
}

pub(crate) async fn thread_in(
    state: &AppState,
    c: &Community,
    id: i64,
) -> Result<(kogi_core::communities::CommunityPost, Post), ApiError> {
    let p = posts::find(&state.core, id)
        .await?
        .filter(|p| p.deleted_at.is_none())
        .ok_or_else(ApiError::not_found)?;
    let link = store::post_link(&state.core, p.id)
        .await?
        .filter(|l| l.community_id == c.id() && l.kind == "thread")
        .ok_or_else(ApiError::not_found)?;
    Ok((link, p))
}

/// A thread with its comments. Counts of posts from other servers are refreshed from their
/// origin in the background.
#[utoipa::path(get, path = "/api/kogi/v1/communities/{community}/threads/{id}", tag = "communities",
    params(("community" = String, Path,), ("id" = i64, Path,)), responses((status = 200, description = "The thread", body = ThreadPage), Problems))]
pub async fn thread(
    State(state): State<AppState>,
    user: MaybeApiUser,
    ApiPath((reference, id)): ApiPath<(String, i64)>,
) -> Result<Json<ThreadPage>, ApiError> {
    let me = user.0.as_ref().map(|u| &u.person.actor);
    let c = resolve(&state, &reference).await?;
    may_read(&state, &c, me).await?;
    let (link, p) = thread_in(&state, &c, id).await?;
    state.fed.refresh_counts_later(&p);
    let author = kogi_core::actors::find_by_id(&state.core, p.author_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let mut comments = Vec::new();
    for (cp, ca) in store::comments(&state.core, p.id).await? {
        state.fed.refresh_counts_later(&cp);
        comments.push(CommentView {
            id: cp.id,
            uri: cp.ap_id.clone(),
            content: cp.content_html.clone(),
            author: ActorSummary::of(&ca),
            in_reply_to: cp.in_reply_to_ap_id.clone(),
            like_count: cp.like_count,
            created_at: iso(cp.published_at),
        });
    }
    Ok(Json(ThreadPage {
        thread: thread_view(&link, &p, &author).await,
        comments,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewComment {
    pub content: String,
    /// The comment this answers (its number here); the thread itself when absent.
    pub in_reply_to: Option<i64>,
}

/// Comment on a thread.
#[utoipa::path(post, path = "/api/kogi/v1/communities/{community}/threads/{id}/comments", tag = "communities", security(("bearer" = [])),
    params(("community" = String, Path,), ("id" = i64, Path,)), request_body = NewComment,
    responses((status = 201, description = "Posted", body = CommentView), Problems))]
pub async fn comment(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath((reference, id)): ApiPath<(String, i64)>,
    ApiJson(body): ApiJson<NewComment>,
) -> Result<(StatusCode, Json<CommentView>), ApiError> {
    let me = &user.person.actor;
    let c = resolve(&state, &reference).await?;
    let (_, thread) = thread_in(&state, &c, id).await?;
    let parent = match body.in_reply_to {
        Some(pid) => {
            let p = posts::find(&state.core, pid)
                .await?
                .filter(|p| p.deleted_at.is_none())
                .ok_or_else(|| {
                    ApiError::from(kogi_core::Error::invalid("in_reply_to", "not_found"))
                })?;
            match state.fed.thread_of(&p).await? {
                Some(t) if t.id == thread.id => p,
                _ => return Err(kogi_core::Error::invalid("in_reply_to", "not_found").into()),
            }
        }
        None => thread,
    };
    let p = state
        .fed
        .post_in_community(me, &c, None, &body.content, Some(&parent), None)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CommentView {
            id: p.id,
            uri: p.ap_id.clone(),
            content: p.content_html.clone(),
            author: ActorSummary::of(me),
            in_reply_to: p.in_reply_to_ap_id.clone(),
            like_count: 0,
            created_at: iso(p.published_at),
        }),
    ))
}

/// Remove a thread or comment (moderators); the group announces the `Delete`.
#[utoipa::path(delete, path = "/api/kogi/v1/communities/{handle}/posts/{id}", tag = "communities", security(("bearer" = [])),
    params(("handle" = String, Path,), ("id" = i64, Path,)), responses((status = 204, description = "Removed"), Problems))]
pub async fn remove(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath((handle, id)): ApiPath<(String, i64)>,
) -> Result<StatusCode, ApiError> {
    let c = moderated(&state, &handle, &user.person.actor).await?;
    let p = posts::find(&state.core, id)
        .await?
        .filter(|p| p.deleted_at.is_none())
        .ok_or_else(ApiError::not_found)?;
    kogi_core::communities::manage::remove_post(&state.core, &user.person.actor, &c, p.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LockBody {
    pub locked: bool,
}

/// Lock or unlock a thread (moderators): a locked thread takes no comments.
#[utoipa::path(put, path = "/api/kogi/v1/communities/{handle}/threads/{id}/lock", tag = "communities", security(("bearer" = [])),
    params(("handle" = String, Path,), ("id" = i64, Path,)), request_body = LockBody,
    responses((status = 204, description = "Done"), Problems))]
pub async fn lock(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath((handle, id)): ApiPath<(String, i64)>,
    ApiJson(body): ApiJson<LockBody>,
) -> Result<StatusCode, ApiError> {
    let c = moderated(&state, &handle, &user.person.actor).await?;
    let (_, p) = thread_in(&state, &c, id).await?;
    kogi_core::communities::manage::set_locked(
        &state.core,
        &user.person.actor,
        &c,
        p.id,
        body.locked,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PinBody {
    pub pinned: bool,
    /// An announcement: pinned, and every member here is notified.
    #[serde(default)]
    pub announce: bool,
}

/// Pin or unpin a thread (moderators); `announce` also notifies every local member.
#[utoipa::path(put, path = "/api/kogi/v1/communities/{handle}/threads/{id}/pin", tag = "communities", security(("bearer" = [])),
    params(("handle" = String, Path,), ("id" = i64, Path,)), request_body = PinBody,
    responses((status = 204, description = "Done"), Problems))]
pub async fn pin(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath((handle, id)): ApiPath<(String, i64)>,
    ApiJson(body): ApiJson<PinBody>,
) -> Result<StatusCode, ApiError> {
    let c = moderated(&state, &handle, &user.person.actor).await?;
    let (_, p) = thread_in(&state, &c, id).await?;
    let (pinned, announce) = (body.pinned, body.announce);
    kogi_core::communities::manage::set_pinned(
        &state.core,
        &user.person.actor,
        &c,
        p.id,
        pinned,
        announce,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
