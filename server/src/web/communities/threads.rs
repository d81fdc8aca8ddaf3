//! A thread with its comments; writing threads and comments.

use super::*;

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

#[derive(serde::Deserialize)]
pub struct ThreadForm {
    #[serde(default)]
    pub(crate) title: String,
    #[serde(default)]
    pub(crate) content: String,
    /// Poll choices, one per line (optional).
    #[serde(default)]
    pub(crate) poll: String,
    pub(crate) multiple: Option<String>,
}

/// Start a thread (members; anyone not banned in a public community).
pub async fn new_thread(
    ctx: WebCtx,
    Path(handle): Path<String>,
    crate::web::WebForm(form): crate::web::WebForm<ThreadForm>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/communities/{handle}"));
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
    #[serde(default)]
    pub(crate) content: String,
}

/// Comment on a thread.
pub async fn comment(
    ctx: WebCtx,
    Path((handle, id)): Path<(String, i64)>,
    crate::web::WebForm(form): crate::web::WebForm<CommentForm>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/communities/{handle}"));
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
