//! The community page (or its `Group` JSON), finding, creating and editing communities.

use super::*;

#[derive(serde::Deserialize)]
pub struct CommunityQuery {
    pub(crate) invite: Option<String>,
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
    #[serde(default)]
    pub(crate) handle: String,
    #[serde(default)]
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) description: String,
    #[serde(default)]
    pub(crate) kind: String,
    #[serde(default)]
    pub(crate) visibility: String,
}

/// Start a community from "My communities".
pub async fn create(
    ctx: WebCtx,
    crate::web::WebForm(form): crate::web::WebForm<NewCommunityForm>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, "/communities");
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
    pub(crate) q: Option<String>,
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
    #[serde(default)]
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) description: String,
    #[serde(default)]
    pub(crate) rules: String,
    #[serde(default)]
    pub(crate) tags: String,
    #[serde(default)]
    pub(crate) kind: String,
    #[serde(default)]
    pub(crate) visibility: String,
    #[serde(default)]
    pub(crate) portfolios: String,
}

pub(crate) fn comma_list(s: &str) -> Vec<String> {
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
    crate::web::WebForm(form): crate::web::WebForm<EditForm>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/communities/{handle}"));
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
        Ok(_) => Ok(ctx.redirect_with_flash(&back, "success", "community_saved")),
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
    let (file, fields) = crate::web::portfolios::multipart_fields(multipart).await?;
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
    store::set_picture(&ctx.state.core, &c, which, Some(webp)).await?;
    Ok(ctx.redirect_with_flash(&back, "success", "community_saved"))
}
