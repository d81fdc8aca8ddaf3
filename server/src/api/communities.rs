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
    /// Linked portfolios (their actor URLs).
    pub portfolios: Vec<String>,
    pub avatar_url: Option<String>,
    pub banner_url: Option<String>,
    pub members: i64,
    /// Owners and moderators (as known here, for communities on other servers).
    pub moderators: Vec<ActorSummary>,
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
    /// Choices and their counts (as the poll's origin counts them), for polls.
    pub poll: Option<Vec<PollChoice>>,
    pub created_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct PollChoice {
    pub name: String,
    pub votes: i64,
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
        portfolios: c.portfolios(),
        avatar_url: c
            .actor
            .avatar_path
            .as_ref()
            .map(|p| format!("{}/media/{p}", state.config.public_url))
            .or_else(|| c.actor.avatar_url.clone()),
        banner_url: c
            .row
            .banner_path
            .as_ref()
            .map(|p| format!("{}/media/{p}", state.config.public_url))
            .or_else(|| c.row.banner_url.clone()),
        members,
        moderators: store::moderators(&state.core, c)
            .await?
            .iter()
            .map(ActorSummary::of)
            .collect(),
        my_role: my_role(state, c, me).await?,
    })
}

/// A community here (handle) or elsewhere (`name@host`, `!name@host` or a URL).
async fn resolve(state: &AppState, reference: &str) -> Result<Community, ApiError> {
    state
        .fed
        .find_community(reference, true)
        .await
        .map_err(|e| ApiError::remote(&e))?
        .ok_or_else(|| ApiError::not_found().detail("no such community"))
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
    // A public community of another server with no thread here: its outbox is read in the
    // background, for signed-in callers only.
    state
        .fed
        .backfill_later(&c, kogi_federation::refresh::Viewer::of(me.is_some()));
    Ok(Json(view(&state, &c, me).await?))
}

/// Edit a community's profile (owners and moderators): only the fields given change; the
/// handle cannot. Members' servers get `Update` of the group.
#[utoipa::path(patch, path = "/api/kogi/v1/communities/{community}", tag = "communities", security(("bearer" = [])),
    params(("community" = String, Path, description = "A local handle")), request_body = CommunityInput,
    responses((status = 200, description = "Updated", body = CommunityView), Problems))]
pub async fn update(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(handle): ApiPath<String>,
    ApiJson(mut body): ApiJson<CommunityInput>,
) -> Result<Json<CommunityView>, ApiError> {
    let me = &user.person.actor;
    let c = moderated(&state, &handle, me).await?;
    if let Some(list) = body.portfolios.take() {
        body.portfolios = Some(state.fed.portfolio_urls(&list).await?);
    }
    let c = store::update(&state.core, &c, body).await?;
    state.fed.update_community(&c).await?;
    Ok(Json(view(&state, &c, Some(me)).await?))
}

async fn put_picture(
    state: AppState,
    user: ApiUser,
    handle: String,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
    which: store::Picture,
) -> Result<Json<CommunityView>, ApiError> {
    let me = &user.person.actor;
    let c = moderated(&state, &handle, me).await?;
    let field = match which {
        store::Picture::Avatar => "avatar",
        store::Picture::Banner => "banner",
    };
    let bytes = super::file_field(multipart, field).await?;
    let webp = store::prepare_picture(&state.core, which, bytes).await?;
    let c = store::set_picture(&state.core, &c, which, Some(webp)).await?;
    state.fed.update_community(&c).await?;
    Ok(Json(view(&state, &c, Some(me)).await?))
}

/// Upload the community's avatar (owners and moderators; multipart field `avatar`: PNG,
/// JPEG, WebP or GIF). Re-encoded to a 400×400 WebP; members' servers get `Update`.
#[utoipa::path(put, path = "/api/kogi/v1/communities/{community}/avatar", tag = "communities", security(("bearer" = [])),
    params(("community" = String, Path, description = "A local handle")),
    request_body(content_type = "multipart/form-data", description = "A form with one file field `avatar`"),
    responses((status = 200, description = "Updated", body = CommunityView), Problems,
        (status = 415, description = "Not multipart", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn put_avatar(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(handle): ApiPath<String>,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Json<CommunityView>, ApiError> {
    put_picture(state, user, handle, multipart, store::Picture::Avatar).await
}

/// Upload the community's banner (owners and moderators; multipart field `banner`). Re-encoded
/// to a WebP of at most 2048 px per side; members' servers get `Update`.
#[utoipa::path(put, path = "/api/kogi/v1/communities/{community}/banner", tag = "communities", security(("bearer" = [])),
    params(("community" = String, Path, description = "A local handle")),
    request_body(content_type = "multipart/form-data", description = "A form with one file field `banner`"),
    responses((status = 200, description = "Updated", body = CommunityView), Problems,
        (status = 415, description = "Not multipart", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn put_banner(
    State(state): State<AppState>,
    user: ApiUser,
    ApiPath(handle): ApiPath<String>,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Json<CommunityView>, ApiError> {
    put_picture(state, user, handle, multipart, store::Picture::Banner).await
}

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
    if !state.fed.remove_member(&c, &who, None).await? {
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
    let s = state
        .fed
        .join(&user.person.actor, &c, invite.as_deref())
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

/// A person named by actor id (as requests and members are listed), `user@host` or a local
/// username. Someone already known here is taken as stored (so that a server without
/// WebFinger can be answered); only someone unknown is looked up over the network.
async fn person_or_remote(state: &AppState, who: &str) -> Result<Actor, ApiError> {
    if who.contains('@') || who.contains('/') {
        if let Some(a) = state.fed.stored_actor(who).await? {
            return Ok(a);
        }
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
    if store::role_of(&state.core, &c, who.id).await? == Some(Role::Owner) {
        return Err(kogi_core::Error::invalid("person", "owner_role_fixed").into());
    }
    state
        .fed
        .change_moderator(&user.person.actor, &c, &who, role == Role::Moderator)
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
    state
        .fed
        .remove_member(&c, &who, Some(&body.reason))
        .await?;
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
    state
        .fed
        .set_locked(&user.person.actor, &c, &p, body.locked)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

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
    state.fed.vote(me, &p, &body.choices).await?;
    Ok(StatusCode::NO_CONTENT)
}

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
    state.fed.report_post(me, &c, &p, &body.reason).await?;
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
            state.fed.invite(me, &c, &who).await?;
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
    state
        .fed
        .set_pinned(&user.person.actor, &c, &p, body.pinned, body.announce)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

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
