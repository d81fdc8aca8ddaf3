//! Reports, moderating threads and comments, and the moderation queue.

use super::*;

#[derive(serde::Deserialize)]
pub struct ReportForm {
    pub(crate) post: i64,
    #[serde(default)]
    pub(crate) reason: String,
}

/// Report a thread or comment to the community's moderators.
pub async fn report(
    ctx: WebCtx,
    Path((handle, id)): Path<(String, i64)>,
    crate::web::WebForm(form): crate::web::WebForm<ReportForm>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/communities/{handle}"));
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
    match kogi_core::communities::manage::report_post(&ctx.state.core, &me, &c, p.id, &form.reason)
        .await
    {
        Ok(_) => Ok(ctx.redirect_with_flash(&to, "success", "report_sent")),
        Err(e) => refused(&ctx, &to, e),
    }
}

#[derive(serde::Deserialize)]
pub struct ModerateForm {
    /// lock, unlock, pin, unpin, announce, remove.
    pub(crate) action: String,
    /// The comment to remove (else the thread).
    pub(crate) post: Option<i64>,
}

/// A local community's moderator acts on a thread or comment.
pub async fn moderate(
    ctx: WebCtx,
    Path((handle, id)): Path<(String, i64)>,
    crate::web::WebForm(form): crate::web::WebForm<ModerateForm>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/communities/{handle}"));
    let c = moderated(&ctx, &handle, &me).await?;
    let (_, t) = thread_of(&ctx, &c, id).await?;
    let page = page_of(&c);
    let to = format!("{page}/threads/{}", t.id);
    let core = &ctx.state.core;
    match form.action.as_str() {
        "lock" | "unlock" => {
            kogi_core::communities::manage::set_locked(core, &me, &c, t.id, form.action == "lock")
                .await?
        }
        "pin" | "unpin" => {
            kogi_core::communities::manage::set_pinned(
                core,
                &me,
                &c,
                t.id,
                form.action == "pin",
                false,
            )
            .await?
        }
        "announce" => {
            kogi_core::communities::manage::set_pinned(core, &me, &c, t.id, true, true).await?
        }
        "remove" => {
            let target = match form.post {
                Some(pid) => kogi_core::posts::find(&ctx.state.core, pid)
                    .await?
                    .filter(|p| p.deleted_at.is_none())
                    .ok_or(WebError::NotFound)?,
                None => t.clone(),
            };
            kogi_core::communities::manage::remove_post(core, &me, &c, target.id).await?;
            if form.post.is_none() {
                return Ok(ctx.redirect_with_flash(&page, "success", "post_removed"));
            }
            return Ok(ctx.redirect_with_flash(&to, "success", "post_removed"));
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
    /// approve, reject, resolve, invite_link.
    pub(crate) action: String,
    pub(crate) person: Option<String>,
    pub(crate) report: Option<i64>,
}

/// Works the moderation queue.
pub async fn moderation_action(
    ctx: WebCtx,
    Path(handle): Path<String>,
    crate::web::WebForm(form): crate::web::WebForm<QueueForm>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/communities/{handle}"));
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
            if !kogi_core::follows::actions::answer_request(
                &ctx.state.core,
                &c.actor,
                &who,
                form.action == "approve",
            )
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
