//! Communities: creating, finding (here or on another server), joining and leaving,
//! members and moderators, threads and comments, moderation.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use kogi_core::accounts::{self, Actor};
use kogi_core::communities::store::{self, CommunityInput};
use kogi_core::communities::{Community, Role};
use kogi_core::posts::{self, Post};
use kogi_federation::activities::FollowState;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::follows::ActorSummary;
use super::portfolios::Problems;
use super::{ApiJson, ApiPath};
use crate::app::AppState;
use crate::ctx::{ApiUser, MaybeApiUser};
use crate::error::ApiError;

#[derive(Serialize, ToSchema)]
pub struct CommunityView {
    pub id: i64,
    pub uri: String,
    /// `name@host`.
    pub handle: String,
    pub local: bool,
    pub name: String,
    pub description: String,
    pub kind: String,
    pub visibility: String,
    pub rules: String,
    pub tags: Vec<String>,
    pub members: i64,
    /// `owner`, `moderator`, `member`, `pending` or none.
    pub my_role: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ThreadView {
    /// The post's number on this server.
    pub id: i64,
    pub uri: String,
    pub title: String,
    /// Sanitised HTML.
    pub content: String,
    pub author: ActorSummary,
    pub like_count: i32,
    pub reply_count: i32,
    pub pinned: bool,
    pub locked: bool,
    pub created_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct CommentView {
    pub id: i64,
    pub uri: String,
    pub content: String,
    pub author: ActorSummary,
    pub in_reply_to: Option<String>,
    pub like_count: i32,
    pub created_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct ThreadPage {
    pub thread: ThreadView,
    pub comments: Vec<CommentView>,
}

fn iso(t: chrono::NaiveDateTime) -> String {
    t.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

async fn my_role(
    state: &AppState,
    c: &Community,
    me: Option<&Actor>,
) -> Result<Option<String>, ApiError> {
    let Some(me) = me else { return Ok(None) };
    if let Some(r) = store::role_of(&state.core, c, me.id).await? {
        return Ok(Some(r.as_str().to_string()));
    }
    Ok(kogi_core::follows::find(&state.core, me.id, c.actor.id)
        .await?
        .map(|_| "pending".to_string()))
}

async fn view(
    state: &AppState,
    c: &Community,
    me: Option<&Actor>,
) -> Result<CommunityView, ApiError> {
    let (members, _) = kogi_core::follows::counts(&state.core, c.actor.id).await?;
    Ok(CommunityView {
        id: c.id(),
        uri: c.actor.ap_id.clone(),
        handle: format!("{}@{}", c.actor.handle, c.actor.host),
        local: c.row.local,
        name: c.actor.name().to_string(),
        description: c.actor.summary.clone(),
        kind: c.row.kind.clone(),
        visibility: c.row.visibility.clone(),
        rules: c.row.rules.clone(),
        tags: c.tags(),
        members,
        my_role: my_role(state, c, me).await?,
    })
}

/// A community here (handle) or elsewhere (`name@host`, `!name@host` or a URL).
async fn resolve(state: &AppState, reference: &str) -> Result<Community, ApiError> {
    let r = reference.trim().trim_start_matches(['!', '@']);
    let host = state.core.config.host();
    let local = match r.split_once('@') {
        Some((h, hst)) if hst == host => Some(h),
        Some(_) => None,
        None if !r.contains('/') => Some(r),
        None => None,
    };
    let c = if let Some(h) = local {
        store::find_by_handle(&state.core, h).await?
    } else {
        let actor = state.fed.resolve(r).await.map_err(|e| {
            ApiError::new(StatusCode::BAD_GATEWAY, "unreachable").detail(e.to_string())
        })?;
        store::find_by_actor(&state.core, actor.id).await?
    };
    let c = c.ok_or_else(|| ApiError::not_found().detail("no such community"))?;
    if c.is_deleted() {
        return Err(ApiError::not_found().detail("deleted"));
    }
    Ok(c)
}

/// Members read private communities; everyone reads public ones.
async fn may_read(state: &AppState, c: &Community, me: Option<&Actor>) -> Result<(), ApiError> {
    if c.is_public() {
        return Ok(());
    }
    match me {
        Some(m) if store::role_of(&state.core, c, m.id).await?.is_some() => Ok(()),
        // Not revealing what a private community holds.
        _ => Err(ApiError::new(StatusCode::FORBIDDEN, "members_only")),
    }
}

/// Start a community (you are its owner).
#[utoipa::path(post, path = "/api/kogi/v1/communities", tag = "communities", security(("bearer" = [])), request_body = CommunityInput,
    responses((status = 201, description = "Created", body = CommunityView), Problems))]
pub async fn create(
    State(state): State<AppState>,
    user: ApiUser,
    ApiJson(body): ApiJson<CommunityInput>,
) -> Result<(StatusCode, Json<CommunityView>), ApiError> {
    let me = &user.person.actor;
    let c = store::create(&state.core, me, body).await?;
    Ok((StatusCode::CREATED, Json(view(&state, &c, Some(me)).await?)))
}

/// A community here or on another server.
#[utoipa::path(get, path = "/api/kogi/v1/communities/{community}", tag = "communities",
    params(("community" = String, Path, description = "A local handle, `name@host`, `!name@host` or a URL")),
    responses((status = 200, description = "The community", body = CommunityView), Problems))]
pub async fn get(
    State(state): State<AppState>,
    user: MaybeApiUser,
    ApiPath(reference): ApiPath<String>,
) -> Result<Json<CommunityView>, ApiError> {
    let me = user.0.as_ref().map(|u| &u.person.actor);
    let c = resolve(&state, &reference).await?;
    Ok(Json(view(&state, &c, me).await?))
}

#[derive(Serialize, ToSchema)]
pub struct JoinResult {
    /// `member`, or `pending` until a moderator approves (or the remote group accepts).
    pub state: String,
}

/// Join a community (a `Follow` of the group).
#[utoipa::path(post, path = "/api/kogi/v1/communities/{community}/join", tag = "communities", security(("bearer" = [])),
    params(("community" = String, Path,)), responses((status = 200, description = "Joined or pending", body = JoinResult), Problems))]
pub async fn join(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(reference): ApiPath<String>,
) -> Result<Json<JoinResult>, ApiError> {
    let c = resolve(&state, &reference).await?;
    let s = state.fed.join(&user.person.actor, &c).await?;
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
    state.fed.unfollow(&user.person.actor, &c.actor).await?;
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

async fn moderated(state: &AppState, handle: &str, me: &Actor) -> Result<Community, ApiError> {
    let c = store::find_by_handle(&state.core, handle)
        .await?
        .filter(|c| !c.is_deleted())
        .ok_or_else(ApiError::not_found)?;
    if !store::role_of(&state.core, &c, me.id)
        .await?
        .is_some_and(Role::moderates)
    {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "not_moderator"));
    }
    Ok(c)
}

async fn person_or_remote(state: &AppState, who: &str) -> Result<Actor, ApiError> {
    if who.contains('@') || who.contains('/') {
        return state
            .fed
            .resolve(who)
            .await
            .map_err(|_| ApiError::not_found().detail("no such person"));
    }
    accounts::find_local_actor(&state.core, who)
        .await?
        .filter(|a| a.kind == "person" && a.deleted_at.is_none())
        .ok_or_else(|| ApiError::not_found().detail("no such person"))
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
    if !state
        .fed
        .answer_request(&c.actor, &who, body.approve)
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
    store::set_role(&state.core, &c, who.id, Some(role)).await?;
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
    store::ban(&state.core, &c, who.id, &body.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn thread_view(t: &kogi_core::communities::CommunityPost, p: &Post, a: &Actor) -> ThreadView {
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
    let p = state
        .fed
        .post_in_community(me, &c, Some(&body.title), &body.content, None)
        .await?;
    let link = store::post_link(&state.core, p.id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok((StatusCode::CREATED, Json(thread_view(&link, &p, me).await)))
}

async fn thread_in(
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
/// origin.
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
    let p = state.fed.refresh_counts(&p).await;
    let author = kogi_core::actors::find_by_id(&state.core, p.author_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let mut comments = Vec::new();
    for (cp, ca) in store::comments(&state.core, p.id).await? {
        let cp = state.fed.refresh_counts(&cp).await;
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
        .post_in_community(me, &c, None, &body.content, Some(&parent))
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
    state
        .fed
        .remove_from_community(&user.person.actor, &c, &p)
        .await?;
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
    store::set_locked(&state.core, p.id, body.locked).await?;
    Ok(StatusCode::NO_CONTENT)
}
