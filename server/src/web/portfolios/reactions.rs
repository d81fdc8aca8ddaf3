//! Liking and bookmarking items, here or on another server, and the bookmarks page.

use super::*;

#[derive(Deserialize)]
pub struct LikeForm {
    pub(crate) undo: Option<String>,
    pub(crate) next: Option<String>,
}

pub(crate) async fn like_item(
    ctx: WebCtx,
    p: Portfolio,
    id: i64,
    form: LikeForm,
) -> Result<Response, WebError> {
    let page = page_of(&p);
    let me = signed_in!(ctx, page);
    let core = &ctx.state.core;
    let v = queries::authorize(core, &p, Some(me.id), Need::See).await?;
    let item = item_of(&ctx, &p, id).await?;
    if p.row.local && !v.may_see(item.visibility(), item.state()) {
        return Err(WebError::NotFound);
    }
    let back = match form.next.as_deref() {
        Some(n) => safe_next(Some(n)),
        None if p.row.local => format!("{page}/items/{id}"),
        None => page.clone(),
    };
    let post = match item.post_id {
        Some(pid) => kogi_core::posts::find(core, pid).await?,
        None => None,
    }
    .filter(|x| x.deleted_at.is_none());
    let Some(post) = post else {
        return Ok(ctx.redirect_with_flash(&back, "error", "pf_not_published"));
    };
    let key = if form.undo.as_deref() == Some("1") {
        ctx.state
            .fed
            .unreact(&me, &post, kogi_core::posts::LIKE)
            .await?;
        "pf_unliked"
    } else if ctx
        .state
        .fed
        .react(&me, &post, kogi_core::posts::LIKE)
        .await?
    {
        "pf_liked"
    } else {
        "pf_already_liked"
    };
    Ok(ctx.redirect_with_flash(&back, "success", key))
}

/// Likes an item of a portfolio here (its federated copy).
pub async fn like(
    ctx: WebCtx,
    Path((handle, id)): Path<(String, i64)>,
    WebForm(form): WebForm<LikeForm>,
) -> Result<Response, WebError> {
    let p = local(&ctx, &handle).await?;
    like_item(ctx, p, id, form).await
}

pub(crate) async fn remote(ctx: &WebCtx, actor_id: i64) -> Result<Portfolio, WebError> {
    let p = queries::find_by_actor(&ctx.state.core, actor_id)
        .await?
        .filter(|p| !p.row.local)
        .ok_or(WebError::NotFound)?;
    if p.is_deleted() {
        return Err(WebError::Gone);
    }
    Ok(p)
}

/// Likes an item of a portfolio on another Kogi instance.
pub async fn remote_like(
    ctx: WebCtx,
    Path((actor_id, id)): Path<(i64, i64)>,
    WebForm(form): WebForm<LikeForm>,
) -> Result<Response, WebError> {
    let p = remote(&ctx, actor_id).await?;
    like_item(ctx, p, id, form).await
}

#[derive(Deserialize)]
pub struct BookmarkForm {
    #[serde(default)]
    pub(crate) folder: String,
    /// `portfolio` (the default), `item` or `project`.
    pub(crate) kind: Option<String>,
    /// The item's or project's id.
    pub(crate) target: Option<i64>,
    pub(crate) next: Option<String>,
}

pub(crate) async fn bookmark_in(
    ctx: WebCtx,
    p: Portfolio,
    form: BookmarkForm,
) -> Result<Response, WebError> {
    let page = page_of(&p);
    let me = signed_in!(ctx, page);
    let core = &ctx.state.core;
    let v = queries::authorize(core, &p, Some(me.id), Need::See).await?;
    let back = form
        .next
        .as_deref()
        .map(|n| safe_next(Some(n)))
        .unwrap_or_else(|| page.clone());
    let kind = form.kind.as_deref().unwrap_or("portfolio");
    let target = match (kind, form.target) {
        ("portfolio", _) => p.id(),
        ("item", Some(id)) => {
            let item = item_of(&ctx, &p, id).await?;
            if p.row.local && !v.may_see(item.visibility(), item.state()) {
                return Err(WebError::NotFound);
            }
            item.id
        }
        ("project", Some(id)) => {
            let x = project_of(&ctx, &p, id).await?;
            if p.row.local && !v.may_see(x.visibility(), State::Published) {
                return Err(WebError::NotFound);
            }
            x.id
        }
        _ => return Err(WebError::BadRequest),
    };
    match engagement::bookmark(core, me.id, &form.folder, kind, target).await {
        Ok(true) => Ok(ctx.redirect_with_flash(&back, "success", "pf_bookmarked")),
        Ok(false) => Ok(ctx.redirect_with_flash(&back, "info", "pf_already_bookmarked")),
        Err(Error::Invalid {
            field: "folder", ..
        }) => Ok(ctx.redirect_with_flash(&back, "error", "pf_folder_invalid")),
        Err(e) => refused(&ctx, &back, e),
    }
}

/// Bookmarks a portfolio here, or one of its items or projects, into a named folder.
pub async fn bookmark(
    ctx: WebCtx,
    Path(handle): Path<String>,
    WebForm(form): WebForm<BookmarkForm>,
) -> Result<Response, WebError> {
    let p = local(&ctx, &handle).await?;
    bookmark_in(ctx, p, form).await
}

/// Bookmarks a portfolio from another Kogi instance (or one of its items).
pub async fn remote_bookmark(
    ctx: WebCtx,
    Path(actor_id): Path<i64>,
    WebForm(form): WebForm<BookmarkForm>,
) -> Result<Response, WebError> {
    let p = remote(&ctx, actor_id).await?;
    bookmark_in(ctx, p, form).await
}

#[derive(Deserialize)]
pub struct BookmarksQuery {
    pub(crate) folder: Option<String>,
}

/// What a bookmark points at, as the viewer may see it now: (title, link, portfolio title).
pub(crate) async fn bookmark_target(
    ctx: &WebCtx,
    me: &Actor,
    kind: &str,
    id: i64,
) -> Result<Option<(String, String, String)>, WebError> {
    let core = &ctx.state.core;
    let (portfolio_id, item, project) = match kind {
        "portfolio" => (id, None, None),
        "item" => match queries::item(core, id).await? {
            Some(i) if i.deleted_at.is_none() => (i.portfolio_id, Some(i), None),
            _ => return Ok(None),
        },
        "project" => match queries::project(core, id).await? {
            Some(x) if x.deleted_at.is_none() => (x.portfolio_id, None, Some(x)),
            _ => return Ok(None),
        },
        _ => return Ok(None),
    };
    let Some(p) = queries::find(core, portfolio_id).await? else {
        return Ok(None);
    };
    let v = match queries::authorize(core, &p, Some(me.id), Need::See).await {
        Ok(v) => v,
        Err(Error::NotFound | Error::Forbidden(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let page = page_of(&p);
    let title = p.title().to_string();
    Ok(match (item, project) {
        (Some(i), _) if !p.row.local || v.may_see(i.visibility(), i.state()) => {
            let url = if p.row.local {
                format!("{page}/items/{}", i.id)
            } else {
                i.ap_id.clone()
            };
            Some((i.title, url, title))
        }
        (_, Some(x)) if !p.row.local || v.may_see(x.visibility(), State::Published) => {
            let url = if p.row.local {
                format!("{page}/projects/{}", x.id)
            } else {
                x.ap_id.clone()
            };
            Some((x.title, url, title))
        }
        (None, None) => Some((title.clone(), page, title)),
        _ => None,
    })
}

/// My bookmark folders and what is in them.
pub async fn bookmarks(ctx: WebCtx, Query(q): Query<BookmarksQuery>) -> Result<Response, WebError> {
    let me = signed_in!(ctx, "/bookmarks");
    let core = &ctx.state.core;
    let folder = q.folder.filter(|f| !f.trim().is_empty());
    let folders: Vec<Value> = engagement::folders(core, me.id)
        .await?
        .into_iter()
        .map(|f| {
            let current = folder
                .as_ref()
                .is_some_and(|x| x.trim().to_lowercase() == f.name.to_lowercase());
            context! {
                name => f.name, count => f.count, current => current,
                url => format!("/bookmarks?folder={}", crate::ctx::urlencode(&f.name)),
            }
        })
        .collect();
    let mut groups: Vec<(String, Vec<Value>)> = Vec::new();
    for b in engagement::bookmarks(core, me.id, folder.as_deref()).await? {
        let target = bookmark_target(&ctx, &me, &b.target_kind, b.target_id).await?;
        let entry = match target {
            Some((title, url, portfolio)) => context! {
                id => b.id, kind => b.target_kind, title => title, url => url,
                portfolio => portfolio, available => true,
            },
            None => context! { id => b.id, kind => b.target_kind, available => false },
        };
        match groups.iter_mut().find(|(name, _)| name == &b.folder) {
            Some((_, list)) => list.push(entry),
            None => groups.push((b.folder.clone(), vec![entry])),
        }
    }
    groups.sort_by_key(|(name, _)| name.to_lowercase());
    let groups: Vec<Value> = groups
        .into_iter()
        .enumerate()
        .map(|(i, (name, list))| context! { index => i, name => name, bookmarks => list })
        .collect();
    let here = match &folder {
        Some(f) => format!("/bookmarks?folder={}", crate::ctx::urlencode(f)),
        None => "/bookmarks".to_string(),
    };
    Ok(ctx.render(
        "portfolios/bookmarks.html",
        context! { folders => folders, groups => groups, folder => folder, here => here },
    ))
}

#[derive(Deserialize)]
pub struct RemoveBookmarkForm {
    pub(crate) next: Option<String>,
}

/// Removes a bookmark (folders stay).
pub async fn bookmark_remove(
    ctx: WebCtx,
    Path(id): Path<i64>,
    WebForm(form): WebForm<RemoveBookmarkForm>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, "/bookmarks");
    let back = form
        .next
        .as_deref()
        .map(|n| safe_next(Some(n)))
        .unwrap_or_else(|| "/bookmarks".to_string());
    if engagement::unbookmark(&ctx.state.core, me.id, id).await? {
        Ok(ctx.redirect_with_flash(&back, "success", "pf_bookmark_removed"))
    } else {
        Ok(ctx.redirect_with_flash(&back, "info", "pf_bookmark_gone"))
    }
}

// ---------------------------------------------------------------------------------------------
// Projects
