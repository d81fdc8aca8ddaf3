//! Community pages: the community with its threads, and a thread with its comments. The
//! community URL answers ActivityPub JSON (the `Group`) when asked for it.

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use kogi_core::communities::store;
use minijinja::context;
use minijinja::Value;

use super::WebError;
use crate::ctx::WebCtx;

async fn readable(ctx: &WebCtx, c: &kogi_core::communities::Community) -> Result<(), WebError> {
    if c.is_deleted() {
        return Err(WebError::Gone);
    }
    if c.is_public() {
        return Ok(());
    }
    let me = ctx.person().map(|p| p.actor.id);
    match me {
        Some(m) if store::role_of(&ctx.state.core, c, m).await?.is_some() => Ok(()),
        _ => Err(WebError::Forbidden),
    }
}

/// A community by its local handle, or one on another server by `name@host` (as known
/// here, or looked up).
async fn lookup(ctx: &WebCtx, handle: &str) -> Result<kogi_core::communities::Community, WebError> {
    // Looked up over the network for signed-in people only.
    ctx.state
        .fed
        .find_community(handle, ctx.person().is_some())
        .await
        .ok()
        .flatten()
        .ok_or(WebError::NotFound)
}

/// The path of a community's page here: its handle, or `name@host` for another server's.
fn page_of(c: &kogi_core::communities::Community) -> String {
    if c.row.local {
        format!("/communities/{}", c.actor.handle)
    } else {
        format!(
            "/communities/{}",
            crate::ctx::urlencode(&format!("{}@{}", c.actor.handle, c.actor.host))
        )
    }
}

fn media_url(ctx: &WebCtx, path: &Option<String>, remote: &Option<String>) -> Option<String> {
    path.as_ref()
        .map(|p| format!("{}/media/{p}", ctx.state.config.public_url))
        .or_else(|| remote.clone())
}

#[derive(serde::Deserialize)]
pub struct CommunityQuery {
    invite: Option<String>,
}

/// The community page: profile, join or leave, threads, and for members a new-thread form.
pub async fn community(
    ctx: WebCtx,
    headers: HeaderMap,
    Path(handle): Path<String>,
    query: Result<axum::extract::Query<CommunityQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, WebError> {
    if crate::ap::wants_json(&headers) && !handle.contains('@') {
        return Ok(crate::ap::community_document(&ctx.state, &handle).await);
    }
    let c = lookup(&ctx, &handle).await?;
    let invite = query
        .ok()
        .and_then(|q| q.0.invite)
        .filter(|s| s.len() <= 200);
    let members = if c.row.local {
        kogi_core::follows::counts(&ctx.state.core, c.actor.id)
            .await?
            .0
    } else {
        -1
    };
    let me = ctx.person().map(|p| p.actor.clone());
    let role = match &me {
        Some(m) => store::role_of(&ctx.state.core, &c, m.id).await?,
        None => None,
    };
    let pending = match (&me, role) {
        (Some(m), None) => kogi_core::follows::find(&ctx.state.core, m.id, c.actor.id)
            .await?
            .is_some(),
        _ => false,
    };
    let banned = match &me {
        Some(m) => store::is_banned(&ctx.state.core, &c, m.id).await?,
        None => false,
    };
    let page = page_of(&c);
    let mut linked = Vec::new();
    for url in c.portfolios() {
        if let Some(a) = kogi_core::actors::find_by_ap_id(&ctx.state.core, &url).await? {
            let href = if a.local {
                format!("/portfolios/{}", a.handle)
            } else {
                url.clone()
            };
            linked.push(context! { name => a.name(), url => href });
        }
    }
    let about = context! {
        name => c.actor.name(), handle => format!("{}@{}", c.actor.handle, c.actor.host),
        description => c.actor.summary, kind => c.row.kind, visibility => c.row.visibility,
        rules => c.row.rules, members => members, ap_id => c.actor.ap_id, url => page,
        local => c.row.local, tags => c.tags(), portfolios => linked,
        avatar => media_url(&ctx, &c.actor.avatar_path, &c.actor.avatar_url),
        banner => media_url(&ctx, &c.row.banner_path, &c.row.banner_url),
    };
    let readable_now = readable(&ctx, &c).await.is_ok();
    let threads: Vec<Value> = if readable_now {
        store::threads(&ctx.state.core, c.id())
            .await?
            .into_iter()
            .map(|(l, p, a)| context! {
                title => l.title, url => format!("{page}/threads/{}", p.id),
                author => format!("{}@{}", a.handle, a.host), replies => p.reply_count, likes => p.like_count,
                pinned => l.pinned, locked => l.locked,
            })
            .collect()
    } else {
        vec![]
    };
    let mut r = ctx.render(
        "communities/community.html",
        context! {
            community => about, threads => threads, readable => readable_now,
            is_member => role.is_some(), moderates => role.is_some_and(kogi_core::communities::Role::moderates),
            role => role.map(|r| r.as_str()), pending => pending, banned => banned,
            signed_in => me.is_some(), invite => invite,
        },
    );
    r.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    Ok(r)
}

/// A thread with its comments (members only for private communities): comment, like,
/// vote and report forms, and moderators' actions.
pub async fn thread(
    ctx: WebCtx,
    Path((handle, id)): Path<(String, i64)>,
) -> Result<Response, WebError> {
    let c = lookup(&ctx, &handle).await?;
    readable(&ctx, &c).await?;
    let (link, p) = thread_of(&ctx, &c, id).await?;
    // What is stored is shown; counts of other servers' posts are refreshed in the
    // background (throttled, kogi_federation::refresh).
    ctx.state.fed.refresh_counts_later(&p);
    let author = kogi_core::actors::find_by_id(&ctx.state.core, p.author_id)
        .await?
        .ok_or(WebError::NotFound)?;
    let me = ctx.person().map(|x| x.actor.clone());
    let role = match &me {
        Some(m) => store::role_of(&ctx.state.core, &c, m.id).await?,
        None => None,
    };
    let page = page_of(&c);
    let mut comments: Vec<Value> = Vec::new();
    for (cp, a) in store::comments(&ctx.state.core, p.id).await? {
        ctx.state.fed.refresh_counts_later(&cp);
        comments.push(context! {
            id => cp.id, content => cp.content_html, author => format!("{}@{}", a.handle, a.host),
            name => a.name(), likes => cp.like_count,
        });
    }
    let voted = match &me {
        Some(m) => kogi_core::communities::moderation::voted(&ctx.state.core, p.id, m.id).await?,
        None => vec![],
    };
    let poll = p.poll().map(|x| {
        let total: i64 = x.options.iter().map(|o| o.votes).sum();
        context! {
            multiple => x.multiple,
            options => x.options.iter().map(|o| context! { name => o.name, votes => o.votes }).collect::<Vec<_>>(),
            total => total,
        }
    });
    Ok(ctx.render("communities/thread.html", context! {
        community => context! { name => c.actor.name(), url => page.clone(), local => c.row.local },
        thread => context! {
            id => p.id, title => link.title, content => p.content_html,
            author => format!("{}@{}", author.handle, author.host), name => author.name(),
            likes => p.like_count, locked => link.locked, pinned => link.pinned,
            url => format!("{page}/threads/{}", p.id),
        },
        poll => poll, voted => voted,
        comments => comments,
        is_member => role.is_some(),
        moderates => c.row.local && role.is_some_and(kogi_core::communities::Role::moderates),
    }))
}

/// A thread of this community, not deleted.
async fn thread_of(
    ctx: &WebCtx,
    c: &kogi_core::communities::Community,
    id: i64,
) -> Result<
    (
        kogi_core::communities::CommunityPost,
        kogi_core::posts::Post,
    ),
    WebError,
> {
    let p = kogi_core::posts::find(&ctx.state.core, id)
        .await?
        .ok_or(WebError::NotFound)?;
    if p.deleted_at.is_some() {
        return Err(WebError::Gone);
    }
    let link = store::post_link(&ctx.state.core, p.id)
        .await?
        .filter(|l| l.community_id == c.id() && l.kind == "thread")
        .ok_or(WebError::NotFound)?;
    Ok((link, p))
}

/// What a refused community action tells the person (a flash message), or an error page.
fn refused(ctx: &WebCtx, to: &str, e: kogi_core::Error) -> Result<Response, WebError> {
    use kogi_core::Error as E;
    let key = match &e {
        E::Forbidden("thread_locked") => "thread_locked",
        E::Forbidden("banned") => "community_banned",
        E::Forbidden("members_only") => "members_only",
        E::Forbidden("invite_only") => "invite_only",
        E::Invalid { .. } => "community_invalid",
        _ => return Err(e.into()),
    };
    Ok(ctx.redirect_with_flash(to, "error", key))
}

#[derive(serde::Deserialize)]
pub struct JoinForm {
    csrf_token: Option<String>,
    invite: Option<String>,
    /// "leave" leaves (or withdraws a request).
    action: Option<String>,
}

/// Join (or leave) a community from its page.
pub async fn join(
    ctx: WebCtx,
    Path(handle): Path<String>,
    super::WebForm(form): super::WebForm<JoinForm>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/communities/{handle}"));
    ctx.check_csrf(form.csrf_token.as_deref())?;
    let c = lookup(&ctx, &handle).await?;
    let to = page_of(&c);
    if form.action.as_deref() == Some("leave") {
        if store::role_of(&ctx.state.core, &c, me.id).await?
            == Some(kogi_core::communities::Role::Owner)
        {
            return Ok(ctx.redirect_with_flash(&to, "error", "owner_stays"));
        }
        ctx.state.fed.unfollow(&me, &c.actor).await?;
        store::set_role(&ctx.state.core, &c, me.id, None).await?;
        return Ok(ctx.redirect_with_flash(&to, "success", "community_left"));
    }
    let invite = form.invite.filter(|s| !s.trim().is_empty());
    match ctx.state.fed.join(&me, &c, invite.as_deref()).await {
        Ok(kogi_federation::activities::FollowState::Following) => {
            Ok(ctx.redirect_with_flash(&to, "success", "community_joined"))
        }
        Ok(_) => Ok(ctx.redirect_with_flash(&to, "success", "community_requested")),
        Err(kogi_core::Error::Invalid {
            field: "invite", ..
        }) => Ok(ctx.redirect_with_flash(&to, "error", "invite_used")),
        Err(e) => refused(&ctx, &to, e),
    }
}

#[derive(serde::Deserialize)]
pub struct ThreadForm {
    csrf_token: Option<String>,
    #[serde(default)]
    title: String,
    #[serde(default)]
    content: String,
    /// Poll choices, one per line (optional).
    #[serde(default)]
    poll: String,
    multiple: Option<String>,
}

/// Start a thread (members; anyone not banned in a public community).
pub async fn new_thread(
    ctx: WebCtx,
    Path(handle): Path<String>,
    super::WebForm(form): super::WebForm<ThreadForm>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/communities/{handle}"));
    ctx.check_csrf(form.csrf_token.as_deref())?;
    let c = lookup(&ctx, &handle).await?;
    let to = page_of(&c);
    if form.title.trim().is_empty() {
        return Ok(ctx.redirect_with_flash(&to, "error", "community_invalid"));
    }
    let choices: Vec<String> = form
        .poll
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    let poll = if choices.is_empty() {
        None
    } else {
        match kogi_core::communities::moderation::new_poll(&choices, form.multiple.is_some()) {
            Ok(p) => Some(p),
            Err(e) => return refused(&ctx, &to, e),
        }
    };
    match ctx
        .state
        .fed
        .post_in_community(&me, &c, Some(form.title.trim()), &form.content, None, poll)
        .await
    {
        Ok(p) => {
            Ok(axum::response::Redirect::to(&format!("{to}/threads/{}", p.id)).into_response())
        }
        Err(e) => refused(&ctx, &to, e),
    }
}

#[derive(serde::Deserialize)]
pub struct CommentForm {
    csrf_token: Option<String>,
    #[serde(default)]
    content: String,
}

/// Comment on a thread.
pub async fn comment(
    ctx: WebCtx,
    Path((handle, id)): Path<(String, i64)>,
    super::WebForm(form): super::WebForm<CommentForm>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/communities/{handle}"));
    ctx.check_csrf(form.csrf_token.as_deref())?;
    let c = lookup(&ctx, &handle).await?;
    let (_, t) = thread_of(&ctx, &c, id).await?;
    let to = format!("{}/threads/{}", page_of(&c), t.id);
    match ctx
        .state
        .fed
        .post_in_community(&me, &c, None, &form.content, Some(&t), None)
        .await
    {
        Ok(p) => {
            Ok(axum::response::Redirect::to(&format!("{to}#comment-{}", p.id)).into_response())
        }
        Err(e) => refused(&ctx, &to, e),
    }
}

/// Vote in a thread's poll (one or several choices, as the poll allows).
pub async fn vote(
    ctx: WebCtx,
    Path((handle, id)): Path<(String, i64)>,
    super::WebForm(pairs): super::WebForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/communities/{handle}"));
    let csrf = pairs
        .iter()
        .find(|(k, _)| k == "csrf_token")
        .map(|(_, v)| v.as_str());
    ctx.check_csrf(csrf)?;
    let choices: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "choice")
        .map(|(_, v)| v.clone())
        .take(20)
        .collect();
    let c = lookup(&ctx, &handle).await?;
    readable(&ctx, &c).await?;
    let (_, t) = thread_of(&ctx, &c, id).await?;
    let to = format!("{}/threads/{}", page_of(&c), t.id);
    match ctx.state.fed.vote(&me, &t, &choices).await {
        Ok(()) => Ok(ctx.redirect_with_flash(&to, "success", "vote_counted")),
        Err(kogi_core::Error::Invalid { .. }) => {
            Ok(ctx.redirect_with_flash(&to, "error", "vote_invalid"))
        }
        Err(e) => refused(&ctx, &to, e),
    }
}

#[derive(serde::Deserialize)]
pub struct ReportForm {
    csrf_token: Option<String>,
    post: i64,
    #[serde(default)]
    reason: String,
}

/// Report a thread or comment to the community's moderators.
pub async fn report(
    ctx: WebCtx,
    Path((handle, id)): Path<(String, i64)>,
    super::WebForm(form): super::WebForm<ReportForm>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/communities/{handle}"));
    ctx.check_csrf(form.csrf_token.as_deref())?;
    let c = lookup(&ctx, &handle).await?;
    readable(&ctx, &c).await?;
    let (_, t) = thread_of(&ctx, &c, id).await?;
    let to = format!("{}/threads/{}", page_of(&c), t.id);
    let p = kogi_core::posts::find(&ctx.state.core, form.post)
        .await?
        .filter(|p| p.deleted_at.is_none())
        .ok_or(WebError::NotFound)?;
    if store::post_link(&ctx.state.core, p.id)
        .await?
        .is_none_or(|l| l.community_id != c.id())
    {
        return Err(WebError::NotFound);
    }
    match ctx.state.fed.report_post(&me, &c, &p, &form.reason).await {
        Ok(_) => Ok(ctx.redirect_with_flash(&to, "success", "report_sent")),
        Err(e) => refused(&ctx, &to, e),
    }
}

#[derive(serde::Deserialize)]
pub struct ModerateForm {
    csrf_token: Option<String>,
    /// lock, unlock, pin, unpin, announce, remove.
    action: String,
    /// The comment to remove (else the thread).
    post: Option<i64>,
}

/// A local community's moderator acts on a thread or comment.
pub async fn moderate(
    ctx: WebCtx,
    Path((handle, id)): Path<(String, i64)>,
    super::WebForm(form): super::WebForm<ModerateForm>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/communities/{handle}"));
    ctx.check_csrf(form.csrf_token.as_deref())?;
    let c = moderated(&ctx, &handle, &me).await?;
    let (_, t) = thread_of(&ctx, &c, id).await?;
    let page = page_of(&c);
    let to = format!("{page}/threads/{}", t.id);
    let fed = &ctx.state.fed;
    match form.action.as_str() {
        "lock" | "unlock" => fed.set_locked(&me, &c, &t, form.action == "lock").await?,
        "pin" | "unpin" => {
            fed.set_pinned(&me, &c, &t, form.action == "pin", false)
                .await?
        }
        "announce" => fed.set_pinned(&me, &c, &t, true, true).await?,
        "remove" => {
            let target = match form.post {
                Some(pid) => kogi_core::posts::find(&ctx.state.core, pid)
                    .await?
                    .filter(|p| p.deleted_at.is_none())
                    .ok_or(WebError::NotFound)?,
                None => t.clone(),
            };
            fed.remove_from_community(&me, &c, &target).await?;
            if form.post.is_none() {
                return Ok(ctx.redirect_with_flash(&page, "success", "post_removed"));
            }
            return Ok(ctx.redirect_with_flash(&to, "success", "post_removed"));
        }
        _ => return Err(WebError::BadRequest),
    }
    Ok(ctx.redirect_with_flash(&to, "success", "moderation_done"))
}

/// A local community the signed-in person moderates.
async fn moderated(
    ctx: &WebCtx,
    handle: &str,
    me: &kogi_core::accounts::Actor,
) -> Result<kogi_core::communities::Community, WebError> {
    let c = lookup(ctx, handle).await?;
    if !c.row.local
        || !store::role_of(&ctx.state.core, &c, me.id)
            .await?
            .is_some_and(kogi_core::communities::Role::moderates)
    {
        return Err(WebError::Forbidden);
    }
    Ok(c)
}

/// Members with their roles; moderators may remove or ban, owners name moderators.
pub async fn members(ctx: WebCtx, Path(handle): Path<String>) -> Result<Response, WebError> {
    let c = lookup(&ctx, &handle).await?;
    if !c.row.local {
        return Err(WebError::NotFound);
    }
    readable(&ctx, &c).await?;
    let my_role = match ctx.person() {
        Some(p) => store::role_of(&ctx.state.core, &c, p.actor.id).await?,
        None => None,
    };
    let list: Vec<Value> = store::members(&ctx.state.core, &c)
        .await?
        .into_iter()
        .map(|(a, r)| {
            context! {
                handle => format!("{}@{}", a.handle, a.host), id => a.ap_id, name => a.name(), role => r.as_str(),
            }
        })
        .collect();
    Ok(ctx.render("communities/members.html", context! {
        community => context! { name => c.actor.name(), url => page_of(&c), handle => c.actor.handle },
        members => list,
        moderates => my_role.is_some_and(kogi_core::communities::Role::moderates),
        owns => my_role == Some(kogi_core::communities::Role::Owner),
    }))
}

#[derive(serde::Deserialize)]
pub struct MemberForm {
    csrf_token: Option<String>,
    person: String,
    /// remove, ban, moderator, member.
    action: String,
}

/// A moderator removes or bans a member; an owner makes one a moderator or a member again.
pub async fn member_action(
    ctx: WebCtx,
    Path(handle): Path<String>,
    super::WebForm(form): super::WebForm<MemberForm>,
) -> Result<Response, WebError> {
    use kogi_core::communities::Role;
    let me = signed_in!(ctx, format!("/communities/{handle}"));
    ctx.check_csrf(form.csrf_token.as_deref())?;
    let c = moderated(&ctx, &handle, &me).await?;
    let to = format!("{}/members", page_of(&c));
    // Members are named by their actor id and taken as stored: no WebFinger needed.
    let who = ctx
        .state
        .fed
        .stored_actor(&form.person)
        .await?
        .ok_or(WebError::NotFound)?;
    let mine = store::role_of(&ctx.state.core, &c, me.id).await?;
    let theirs = store::role_of(&ctx.state.core, &c, who.id).await?;
    if theirs == Some(Role::Owner) || (theirs == Some(Role::Moderator) && mine != Some(Role::Owner))
    {
        return Err(WebError::Forbidden);
    }
    match form.action.as_str() {
        "remove" => {
            ctx.state.fed.remove_member(&c, &who, None).await?;
        }
        "ban" => {
            ctx.state.fed.remove_member(&c, &who, Some("")).await?;
        }
        "moderator" | "member" if mine == Some(Role::Owner) && theirs.is_some() => {
            ctx.state
                .fed
                .change_moderator(&me, &c, &who, form.action == "moderator")
                .await?;
        }
        _ => return Err(WebError::BadRequest),
    }
    Ok(ctx.redirect_with_flash(&to, "success", "moderation_done"))
}

/// The moderation queue: join requests, reports, and invite links.
pub async fn moderation(ctx: WebCtx, Path(handle): Path<String>) -> Result<Response, WebError> {
    let me = signed_in!(ctx, ctx.path);
    let c = moderated(&ctx, &handle, &me).await?;
    let page = page_of(&c);
    let requests: Vec<Value> = kogi_core::follows::followers(
        &ctx.state.core,
        c.actor.id,
        kogi_core::follows::PENDING,
        0,
        500,
    )
    .await?
    .iter()
    .map(|a| context! { handle => format!("{}@{}", a.handle, a.host), id => a.ap_id, name => a.name() })
    .collect();
    let mut reports: Vec<Value> = Vec::new();
    for r in kogi_core::communities::moderation::reports(&ctx.state.core, &c).await? {
        if r.resolved {
            continue;
        }
        let mut target = None;
        if let Some(pid) = r.post_id {
            if let (Some(p), Some(l)) = (
                kogi_core::posts::find(&ctx.state.core, pid).await?,
                store::post_link(&ctx.state.core, pid).await?,
            ) {
                let thread = l.thread_post_id.unwrap_or(p.id);
                target = Some(context! {
                    id => p.id, excerpt => p.content_html, removed => p.deleted_at.is_some(),
                    url => format!("{page}/threads/{thread}"), thread => thread,
                    is_thread => l.kind == "thread",
                });
            }
        }
        reports.push(
            context! { id => r.id, reporter => r.reporter, reason => r.reason, post => target },
        );
    }
    Ok(ctx.render(
        "communities/moderation.html",
        context! {
            community => context! { name => c.actor.name(), url => page, handle => c.actor.handle },
            requests => requests, reports => reports,
        },
    ))
}

#[derive(serde::Deserialize)]
pub struct QueueForm {
    csrf_token: Option<String>,
    /// approve, reject, resolve, invite_link.
    action: String,
    person: Option<String>,
    report: Option<i64>,
}

/// Works the moderation queue.
pub async fn moderation_action(
    ctx: WebCtx,
    Path(handle): Path<String>,
    super::WebForm(form): super::WebForm<QueueForm>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/communities/{handle}"));
    ctx.check_csrf(form.csrf_token.as_deref())?;
    let c = moderated(&ctx, &handle, &me).await?;
    let to = format!("{}/moderation", page_of(&c));
    match (form.action.as_str(), form.person, form.report) {
        ("approve" | "reject", Some(p), _) => {
            // Requests are named by the requester's actor id and answered as stored.
            let who = ctx
                .state
                .fed
                .stored_actor(&p)
                .await?
                .ok_or(WebError::NotFound)?;
            if !ctx
                .state
                .fed
                .answer_request(&c.actor, &who, form.action == "approve")
                .await?
            {
                return Err(WebError::NotFound);
            }
        }
        ("resolve", _, Some(id)) => {
            if !kogi_core::communities::moderation::resolve_report(&ctx.state.core, &c, id).await? {
                return Err(WebError::NotFound);
            }
        }
        ("invite_link", _, _) => {
            let secret =
                kogi_core::communities::moderation::create_invite_link(&ctx.state.core, &c, &me)
                    .await?;
            let link = format!(
                "{}/communities/{}?invite={secret}",
                ctx.state.config.public_url, c.actor.handle
            );
            return Ok(ctx.render(
                "communities/invite.html",
                context! {
                    community => context! { name => c.actor.name(), url => page_of(&c) },
                    link => link,
                },
            ));
        }
        _ => return Err(WebError::BadRequest),
    }
    Ok(ctx.redirect_with_flash(&to, "success", "moderation_done"))
}

/// My communities (here and elsewhere), a form to start one and a form to find one.
pub async fn mine(ctx: WebCtx) -> Result<Response, WebError> {
    let me = signed_in!(ctx, ctx.path);
    let mut list: Vec<Value> = Vec::new();
    for c in store::of_member(&ctx.state.core, me.id).await? {
        let role = store::role_of(&ctx.state.core, &c, me.id).await?;
        list.push(context! {
            name => c.actor.name(), handle => format!("{}@{}", c.actor.handle, c.actor.host),
            url => page_of(&c), kind => c.row.kind, visibility => c.row.visibility,
            role => role.map(|r| r.as_str()).unwrap_or("pending"),
        });
    }
    Ok(ctx.render("communities/mine.html", context! { communities => list }))
}

#[derive(serde::Deserialize)]
pub struct NewCommunityForm {
    csrf_token: Option<String>,
    #[serde(default)]
    handle: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    visibility: String,
}

/// Start a community from "My communities".
pub async fn create(
    ctx: WebCtx,
    super::WebForm(form): super::WebForm<NewCommunityForm>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, "/communities");
    ctx.check_csrf(form.csrf_token.as_deref())?;
    let input = store::CommunityInput {
        handle: Some(form.handle),
        name: Some(form.name),
        description: Some(form.description),
        kind: Some(form.kind).filter(|k| !k.is_empty()),
        visibility: Some(form.visibility).filter(|v| !v.is_empty()),
        ..Default::default()
    };
    match store::create(&ctx.state.core, &me, input).await {
        Ok(c) => Ok(ctx.redirect_with_flash(&page_of(&c), "success", "community_created")),
        Err(kogi_core::Error::Invalid {
            code: "handle_taken",
            ..
        }) => Ok(ctx.redirect_with_flash("/communities", "error", "community_handle_taken")),
        Err(e) => refused(&ctx, "/communities", e),
    }
}

#[derive(serde::Deserialize)]
pub struct FindQuery {
    q: Option<String>,
}

/// Finds a community here or elsewhere (`!name@host`, `name@host` or a URL) and opens its page.
pub async fn find(
    ctx: WebCtx,
    axum::extract::Query(q): axum::extract::Query<FindQuery>,
) -> Result<Response, WebError> {
    signed_in!(ctx, ctx.path);
    let q = q.q.unwrap_or_default();
    let q = q.trim().trim_start_matches(['!', '@']);
    if q.is_empty() || q.len() > 500 {
        return Ok(ctx.redirect_with_flash("/communities", "error", "community_not_found"));
    }
    match ctx.state.fed.find_community(q, true).await.ok().flatten() {
        Some(c) => {
            // Its latest threads are read in the background; the page shows them once read.
            ctx.state
                .fed
                .backfill_later(&c, kogi_federation::refresh::Viewer::SignedIn);
            Ok(axum::response::Redirect::to(&page_of(&c)).into_response())
        }
        None => Ok(ctx.redirect_with_flash("/communities", "error", "community_not_found")),
    }
}

fn chat_view(
    m: &kogi_core::communities::chat::ChatMessage,
    a: &kogi_core::accounts::Actor,
) -> Value {
    context! {
        id => m.id, author => format!("{}@{}", a.handle, a.host), name => a.name(),
        content => m.content_html, time => m.created_at.format("%H:%M").to_string(),
    }
}

async fn member_community(
    ctx: &WebCtx,
    handle: &str,
) -> Result<kogi_core::communities::Community, WebError> {
    let c = lookup(ctx, handle).await?;
    let me = ctx
        .person()
        .map(|p| p.actor.id)
        .ok_or(WebError::Forbidden)?;
    if store::role_of(&ctx.state.core, &c, me).await?.is_none() {
        return Err(WebError::Forbidden);
    }
    Ok(c)
}

/// The community's chat: history, a form, and new messages pushed live (Server-Sent Events,
/// a small script; without it, the form still works and a reload shows new messages).
pub async fn chat(ctx: WebCtx, Path(handle): Path<String>) -> Result<Response, WebError> {
    let c = member_community(&ctx, &handle).await?;
    let history: Vec<Value> = kogi_core::communities::chat::history(&ctx.state.core, &c, 100)
        .await?
        .iter()
        .map(|(m, a)| chat_view(m, a))
        .collect();
    Ok(ctx.render(
        "communities/chat.html",
        context! {
            community => context! { name => c.actor.name(), url => page_of(&c) },
            messages => history,
        },
    ))
}

#[derive(serde::Deserialize)]
pub struct ChatForm {
    csrf_token: Option<String>,
    #[serde(default)]
    content: String,
}

pub async fn chat_post(
    ctx: WebCtx,
    Path(handle): Path<String>,
    super::WebForm(form): super::WebForm<ChatForm>,
) -> Result<Response, WebError> {
    ctx.check_csrf(form.csrf_token.as_deref())?;
    let c = member_community(&ctx, &handle).await?;
    let me = ctx
        .person()
        .map(|p| p.actor.clone())
        .ok_or(WebError::Forbidden)?;
    let to = format!("{}/chat", page_of(&c));
    match ctx.state.fed.post_chat(&me, &c, &form.content).await {
        Ok(_) => Ok(axum::response::Redirect::to(&to).into_response()),
        Err(kogi_core::Error::Invalid { .. }) => {
            Ok(ctx.redirect_with_flash(&to, "error", "message_empty"))
        }
        Err(e) => Err(e.into()),
    }
}

/// A chat message as a Server-Sent Event: `message`, its number as the id, the rendered
/// list item as data.
fn chat_event(
    state: &crate::app::AppState,
    m: &kogi_core::communities::chat::ChatMessage,
    a: &kogi_core::accounts::Actor,
) -> axum::response::sse::Event {
    let html = state
        .theme
        .render(
            "communities/_chat_message.html",
            context! { m => chat_view(m, a) },
        )
        .unwrap_or_default();
    axum::response::sse::Event::default()
        .event("message")
        .id(m.id.to_string())
        .data(html.replace('\n', ""))
}

/// New chat messages as Server-Sent Events (`message` events with the rendered HTML).
pub async fn chat_stream(
    ctx: WebCtx,
    headers: HeaderMap,
    Path(handle): Path<String>,
) -> Result<Response, WebError> {
    use axum::response::sse::{Event, KeepAlive, Sse};
    use futures_util::StreamExt;
    let c = member_community(&ctx, &handle).await?;
    let rx = ctx.state.core.live.subscribe();
    let state = ctx.state.clone();
    let cid = c.id();
    // A browser reconnecting after a drop says what it saw last: what came since is sent
    // first (at most the last 100 messages).
    let last_seen: Option<i64> = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok());
    let mut missed = Vec::new();
    if let Some(last) = last_seen {
        for (m, a) in kogi_core::communities::chat::history(&ctx.state.core, &c, 100).await? {
            if m.id > last {
                missed.push(Ok::<Event, std::convert::Infallible>(chat_event(
                    &ctx.state, &m, &a,
                )));
            }
        }
    }
    let stream = futures_util::stream::unfold((rx, state), move |(mut rx, state)| async move {
        loop {
            match rx.recv().await {
                Ok(ev) if ev.community_id == cid => {
                    let Ok(Some((m, a))) =
                        kogi_core::communities::chat::find(&state.core, ev.message_id).await
                    else {
                        continue;
                    };
                    let event = chat_event(&state, &m, &a);
                    return Some((Ok::<Event, std::convert::Infallible>(event), (rx, state)));
                }
                Ok(_) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Ok(Sse::new(futures_util::stream::iter(missed).chain(stream))
        .keep_alive(KeepAlive::default())
        .into_response())
}

/// The community's profile editor (owners and moderators).
pub async fn edit_page(ctx: WebCtx, Path(handle): Path<String>) -> Result<Response, WebError> {
    let me = signed_in!(ctx, ctx.path);
    let c = moderated(&ctx, &handle, &me).await?;
    let mut linked = Vec::new();
    for url in c.portfolios() {
        match kogi_core::actors::find_by_ap_id(&ctx.state.core, &url).await? {
            Some(a) if a.local => linked.push(a.handle),
            Some(a) => linked.push(format!("{}@{}", a.handle, a.host)),
            None => linked.push(url),
        }
    }
    Ok(ctx.render(
        "communities/edit.html",
        context! {
            community => context! {
                name => c.actor.name(), url => page_of(&c), description => c.actor.summary,
                rules => c.row.rules, tags => c.tags().join(", "), kind => c.row.kind,
                visibility => c.row.visibility, portfolios => linked.join(", "),
                avatar => media_url(&ctx, &c.actor.avatar_path, &c.actor.avatar_url),
                banner => media_url(&ctx, &c.row.banner_path, &c.row.banner_url),
            },
        },
    ))
}

#[derive(serde::Deserialize)]
pub struct EditForm {
    csrf_token: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    rules: String,
    #[serde(default)]
    tags: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    visibility: String,
    #[serde(default)]
    portfolios: String,
}

fn comma_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

/// Saves the profile; members' servers get `Update` of the group.
pub async fn edit_save(
    ctx: WebCtx,
    Path(handle): Path<String>,
    super::WebForm(form): super::WebForm<EditForm>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/communities/{handle}"));
    ctx.check_csrf(form.csrf_token.as_deref())?;
    let c = moderated(&ctx, &handle, &me).await?;
    let back = format!("{}/edit", page_of(&c));
    let portfolios = match ctx
        .state
        .fed
        .portfolio_urls(&comma_list(&form.portfolios))
        .await
    {
        Ok(p) => p,
        Err(_) => {
            return Ok(ctx.redirect_with_flash(&back, "error", "community_portfolio_unknown"))
        }
    };
    let input = store::CommunityInput {
        name: Some(form.name),
        description: Some(form.description),
        rules: Some(form.rules),
        tags: Some(comma_list(&form.tags)),
        kind: Some(form.kind),
        visibility: Some(form.visibility),
        portfolios: Some(portfolios),
        ..Default::default()
    };
    match store::update(&ctx.state.core, &c, input).await {
        Ok(c) => {
            ctx.state.fed.update_community(&c).await?;
            Ok(ctx.redirect_with_flash(&back, "success", "community_saved"))
        }
        Err(e) => refused(&ctx, &back, e),
    }
}

/// Sets the avatar or banner (multipart `file` and `which`); members' servers get `Update`.
pub async fn picture(
    ctx: WebCtx,
    Path(handle): Path<String>,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/communities/{handle}"));
    let (file, fields) = super::portfolios::multipart_fields(multipart).await?;
    ctx.check_csrf(fields.get("csrf_token").map(String::as_str))?;
    let c = moderated(&ctx, &handle, &me).await?;
    let back = format!("{}/edit", page_of(&c));
    let which = match fields.get("which").map(String::as_str) {
        Some("banner") => store::Picture::Banner,
        _ => store::Picture::Avatar,
    };
    let Some(bytes) = file else {
        return Ok(ctx.redirect_with_flash(&back, "error", "pf_file_missing"));
    };
    let webp = store::prepare_picture(&ctx.state.core, which, bytes).await;
    let webp = match webp {
        Ok(w) => w,
        Err(_) => return Ok(ctx.redirect_with_flash(&back, "error", "community_picture_invalid")),
    };
    let c = store::set_picture(&ctx.state.core, &c, which, Some(webp)).await?;
    ctx.state.fed.update_community(&c).await?;
    Ok(ctx.redirect_with_flash(&back, "success", "community_saved"))
}
