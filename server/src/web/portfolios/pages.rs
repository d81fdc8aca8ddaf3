//! Portfolio pages: the portfolio (local or from another Kogi instance), its items and
//! projects, the Atom feed, the explore page and the owner's dashboard with its chart. The
//! same URLs answer ActivityPub JSON when asked for it.

use axum::extract::{Path, Query};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use kogi_core::portfolios::queries::{self, Need};
use kogi_core::portfolios::{audience, engagement, Audience, Item, Portfolio, State, Viewer};
use minijinja::context;
use minijinja::Value;
use serde::Deserialize;

use crate::ctx::WebCtx;
use crate::web::WebError;

fn vary(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    r
}

fn esc(s: &str) -> String {
    kogi_federation::vocab::escape_html(s)
}

fn item_ctx(base: &str, handle_path: &str, item: &Item, likes: i32) -> Value {
    let media: Vec<Value> = item
        .media()
        .iter()
        .filter_map(|m| {
            Some(context! { url => m.url_at(base)?, kind => m.kind, media_type => m.media_type, description => m.description })
        })
        .collect();
    let fields: Vec<Value> = item.fields().iter().map(|(k, v)| context! { name => k, value => v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()) }).collect();
    context! {
        id => item.id, uri => item.ap_id, title => item.title, description => item.description,
        role => item.role, client => item.client, skills => item.skills(),
        started_on => item.started_on, ended_on => item.ended_on, video_url => item.video_url,
        external_url => item.external_url, featured => item.featured, state => item.state,
        archived => item.state() == State::Archived, visibility => item.visibility,
        section => item.section, fields => fields, media => media, likes => likes,
        url => if item.ap_id.starts_with(base) { format!("{handle_path}/items/{}", item.id) } else { item.ap_id.clone() },
    }
}

async fn likes_of(ctx: &WebCtx, item: &Item) -> i32 {
    match item.post_id {
        Some(id) => kogi_core::posts::find(&ctx.state.core, id)
            .await
            .ok()
            .flatten()
            .map(|p| p.like_count)
            .unwrap_or(0),
        None => 0,
    }
}

/// The portfolio page (local by handle).
pub async fn portfolio(
    ctx: WebCtx,
    headers: HeaderMap,
    Path(handle): Path<String>,
) -> Result<Response, WebError> {
    if crate::ap::wants_json(&headers) {
        return Ok(crate::ap::portfolio_document(&ctx.state, &handle).await);
    }
    let p = queries::find_by_handle(&ctx.state.core, &handle)
        .await?
        .ok_or(WebError::NotFound)?;
    if p.is_deleted() {
        return Err(WebError::Gone);
    }
    let me = ctx.person().map(|x| x.actor.clone());
    let v = queries::authorize(&ctx.state.core, &p, me.as_ref().map(|m| m.id), Need::See).await?;
    if v.role.is_none() && !engagement::is_bot(&ctx.user_agent) {
        engagement::record_view(&ctx.state.core, p.id()).await?;
    }
    render_portfolio(&ctx, &p, &v).await.map(vary)
}

/// A portfolio from another Kogi instance, refreshed from its origin now and then.
pub async fn remote(ctx: WebCtx, Path(actor_id): Path<i64>) -> Result<Response, WebError> {
    let p = queries::find_by_actor(&ctx.state.core, actor_id)
        .await?
        .filter(|p| !p.row.local)
        .ok_or(WebError::NotFound)?;
    if p.is_deleted() {
        return Err(WebError::Gone);
    }
    // Shown as stored. Refreshed in the background when old, or when nothing of it is stored
    // yet (a search just fetched the actor, but not its items) — for signed-in viewers only,
    // since it reads the items and projects collections.
    ctx.state
        .fed
        .refresh_portfolio_later(
            &p,
            kogi_federation::refresh::Viewer::of(ctx.person().is_some()),
        )
        .await;
    render_portfolio(&ctx, &p, &Viewer::anonymous()).await
}

async fn render_portfolio(ctx: &WebCtx, p: &Portfolio, v: &Viewer) -> Result<Response, WebError> {
    let core = &ctx.state.core;
    let base = ctx.state.config.public_url.clone();
    let handle_path = format!("/portfolios/{}", p.actor.handle);
    let mut items = Vec::new();
    for item in queries::items(core, p.id()).await? {
        if !p.row.local || v.may_see(item.visibility(), item.state()) {
            let likes = likes_of(ctx, &item).await;
            items.push(item_ctx(&base, &handle_path, &item, likes));
        }
    }
    let projects: Vec<Value> = queries::projects(core, p.id())
        .await?
        .into_iter()
        .filter(|x| !p.row.local || v.may_see(x.visibility(), State::Published))
        .map(|x| context! { title => x.title, status => x.status, url => if p.row.local { format!("{handle_path}/projects/{}", x.id) } else { x.ap_id.clone() } })
        .collect();
    let team: Vec<Value> = queries::members(core, p.id())
        .await?
        .into_iter()
        .filter(|(m, _)| m.role != "viewer")
        .map(|(m, a)| context! { name => a.name(), handle => format!("{}@{}", a.handle, a.host), role => m.role, url => format!("/users/{}", a.handle) })
        .collect();
    let sections: Vec<Value> = p.sections().iter().map(|s| {
        let values: Vec<Value> = s.values.iter().map(|(k, v)| context! { name => k, value => v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()) }).collect();
        context! { name => s.name, values => values }
    }).collect();
    let fields: Vec<Value> = p.fields().iter().map(|(k, v)| context! { name => k, value => v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()) }).collect();
    let (followers, _) = kogi_core::follows::counts(core, p.actor.id).await?;
    let me = ctx.person().map(|x| x.actor.clone());
    let following = match &me {
        Some(m) => kogi_core::follows::find(core, m.id, p.actor.id)
            .await?
            .is_some(),
        None => false,
    };
    let watching = match &me {
        Some(m) if p.row.local => engagement::is_watching(core, p.id(), m.id).await?,
        _ => false,
    };
    let cover = p
        .row
        .cover_path
        .as_ref()
        .map(|c| format!("{base}/media/{c}"))
        .or(p.row.cover_url.clone());
    let links: Vec<Value> = p
        .links()
        .into_iter()
        .map(|l| context! { name => l.name, url => l.url })
        .collect();
    Ok(ctx.render("portfolios/portfolio.html", context! {
        portfolio => context! {
            title => p.title(), handle => format!("{}@{}", p.actor.handle, p.actor.host), local => p.row.local,
            summary => p.actor.summary, portfolio_type => p.row.portfolio_type, tags => p.tags(), links => links,
            state => p.row.state, archived => p.state() == State::Archived, visibility => p.row.visibility,
            cover_url => cover, ap_id => p.actor.ap_id, page_url => if p.row.local { format!("{base}{handle_path}") } else { p.actor.ap_id.clone() },
            feed_url => if p.row.local { Some(format!("{handle_path}/feed.atom")) } else { None },
            handle_path => handle_path, followers => followers, fields => fields, sections => sections,
        },
        items => items, projects => projects, team => team,
        can_edit => v.can_edit(), following => following, watching => watching,
        signed_in => me.is_some(), actor_id => p.actor.id,
    }))
}

/// An item page.
pub async fn item(
    ctx: WebCtx,
    headers: HeaderMap,
    Path((handle, id)): Path<(String, i64)>,
) -> Result<Response, WebError> {
    if crate::ap::wants_json(&headers) {
        return Ok(crate::ap::item_document(&ctx.state, &handle, id).await);
    }
    let p = queries::find_by_handle(&ctx.state.core, &handle)
        .await?
        .ok_or(WebError::NotFound)?;
    if p.is_deleted() {
        return Err(WebError::Gone);
    }
    let item = queries::item(&ctx.state.core, id)
        .await?
        .filter(|i| i.portfolio_id == p.id())
        .ok_or(WebError::NotFound)?;
    if item.deleted_at.is_some() {
        return Err(WebError::Gone);
    }
    let me = ctx.person().map(|x| x.actor.id);
    let v = queries::authorize(&ctx.state.core, &p, me, Need::See).await?;
    if !v.may_see(item.visibility(), item.state()) {
        return Err(WebError::NotFound);
    }
    let base = ctx.state.config.public_url.clone();
    let likes = likes_of(&ctx, &item).await;
    let liked = match (me, item.post_id) {
        (Some(m), Some(post)) => {
            kogi_core::posts::reacted(&ctx.state.core, kogi_core::posts::LIKE, m, post).await?
        }
        _ => false,
    };
    let folders: Vec<String> = match me {
        Some(m) => engagement::folders(&ctx.state.core, m)
            .await?
            .into_iter()
            .map(|f| f.name)
            .collect(),
        None => vec![],
    };
    Ok(vary(ctx.render("portfolios/item.html", context! {
        liked => liked, folders => folders, can_edit => v.can_edit(),
        portfolio => context! { title => p.title(), handle_path => format!("/portfolios/{}", p.actor.handle) },
        item => item_ctx(&base, &format!("/portfolios/{}", p.actor.handle), &item, likes),
    })))
}

/// A project page with its updates.
pub async fn project(
    ctx: WebCtx,
    headers: HeaderMap,
    Path((handle, id)): Path<(String, i64)>,
) -> Result<Response, WebError> {
    if crate::ap::wants_json(&headers) {
        return Ok(crate::ap::project_document(&ctx.state, &handle, id).await);
    }
    let core = &ctx.state.core;
    let p = queries::find_by_handle(core, &handle)
        .await?
        .ok_or(WebError::NotFound)?;
    if p.is_deleted() {
        return Err(WebError::Gone);
    }
    let x = queries::project(core, id)
        .await?
        .filter(|x| x.portfolio_id == p.id())
        .ok_or(WebError::NotFound)?;
    if x.deleted_at.is_some() {
        return Err(WebError::Gone);
    }
    let me = ctx.person().map(|m| m.actor.id);
    let v = queries::authorize(core, &p, me, Need::See).await?;
    if !v.may_see(x.visibility(), State::Published) {
        return Err(WebError::NotFound);
    }
    let mut updates = Vec::new();
    for post in queries::project_updates(core, &x.ap_id).await? {
        if v.role.is_some() || kogi_core::posts::can_view(core, me, &post).await? {
            updates.push(context! { content => post.content_html, date => post.published_at.format("%Y-%m-%d").to_string() });
        }
    }
    let members: Vec<Value> = queries::project_members(core, x.id)
        .await?
        .into_iter()
        .map(|(role, a)| context! { name => a.name(), role => role })
        .collect();
    let data: Vec<Value> = x.data().iter().map(|(k, v)| context! { name => k, value => v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()) }).collect();
    let links: Vec<Value> = x
        .links()
        .into_iter()
        .map(|l| context! { name => l.name, url => l.url })
        .collect();
    Ok(vary(ctx.render("portfolios/project.html", context! {
        portfolio => context! { title => p.title(), handle_path => format!("/portfolios/{}", p.actor.handle) },
        can_edit => v.can_edit(),
        project => context! { id => x.id, title => x.title, description => x.description, status => x.status, goals => x.goals(), data => data, links => links, members => members },
        updates => updates,
    })))
}

/// An Atom feed of a portfolio's public items and project updates.
pub async fn feed(ctx: WebCtx, Path(handle): Path<String>) -> Result<Response, WebError> {
    let core = &ctx.state.core;
    let p = queries::find_by_handle(core, &handle)
        .await?
        .ok_or(WebError::NotFound)?;
    if p.is_deleted() {
        return Err(WebError::Gone);
    }
    if !p.is_federated() {
        return Err(WebError::NotFound);
    }
    let mut entries: Vec<(chrono::NaiveDateTime, String)> = Vec::new();
    for item in queries::items(core, p.id()).await? {
        if matches!(
            audience(&p, item.visibility(), item.state()),
            Audience::Followers { .. }
        ) {
            let t = item.published_at.unwrap_or(item.created_at);
            entries.push((item.updated_at, format!(
                "<entry><id>{id}</id><title>{title}</title><link rel=\"alternate\" href=\"{id}\"/><published>{p}</published><updated>{u}</updated><summary>{s}</summary></entry>",
                id = esc(&item.ap_id), title = esc(&item.title), p = t.and_utc().to_rfc3339(), u = item.updated_at.and_utc().to_rfc3339(), s = esc(&item.description),
            )));
        }
    }
    for x in queries::projects(core, p.id()).await? {
        if !matches!(
            audience(&p, x.visibility(), State::Published),
            Audience::Followers { .. }
        ) {
            continue;
        }
        for post in queries::project_updates(core, &x.ap_id).await? {
            if matches!(
                post.visibility(),
                kogi_core::posts::Visibility::Public | kogi_core::posts::Visibility::Unlisted
            ) {
                entries.push((post.published_at, format!(
                    "<entry><id>{id}</id><title>{title}</title><link rel=\"alternate\" href=\"{id}\"/><updated>{u}</updated><content type=\"html\">{c}</content></entry>",
                    id = esc(&post.ap_id), title = esc(&x.title), u = post.published_at.and_utc().to_rfc3339(), c = esc(&post.content_html),
                )));
            }
        }
    }
    entries.sort_by_key(|e| std::cmp::Reverse(e.0));
    let updated = entries.first().map(|e| e.0).unwrap_or(p.row.updated_at);
    let base = &ctx.state.config.public_url;
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\"><id>{id}</id><title>{title}</title><link rel=\"alternate\" href=\"{id}\"/><link rel=\"self\" href=\"{base}/portfolios/{h}/feed.atom\"/><updated>{u}</updated><author><name>{title}</name></author>{entries}</feed>",
        id = esc(&p.actor.ap_id), title = esc(p.title()), h = p.actor.handle, u = updated.and_utc().to_rfc3339(),
        entries = entries.into_iter().map(|e| e.1).collect::<String>(),
    );
    Ok((
        [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
        xml,
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct ExploreQuery {
    #[serde(rename = "type")]
    kind: Option<String>,
    tag: Option<String>,
}

/// Public portfolios, with filters by type and tag.
pub async fn explore(ctx: WebCtx, Query(q): Query<ExploreQuery>) -> Result<Response, WebError> {
    let core = &ctx.state.core;
    let kind = q.kind.filter(|k| !k.is_empty());
    let tag = q.tag.filter(|t| !t.is_empty());
    let list = queries::explore(core, kind.as_deref(), tag.as_deref(), 60, 0).await?;
    let cards: Vec<Value> = list.iter().map(|p| context! {
        title => p.title(), summary => p.actor.summary, portfolio_type => p.row.portfolio_type, tags => p.tags(),
        handle => format!("{}@{}", p.actor.handle, p.actor.host),
        url => if p.row.local { format!("/portfolios/{}", p.actor.handle) } else { format!("/remote-portfolios/{}", p.actor.id) },
    }).collect();
    let types: Vec<Value> = kogi_core::portfolios::types::list_types(core)
        .await?
        .into_iter()
        .map(|t| context! { name => t.name, label => t.label })
        .collect();
    Ok(ctx.render(
        "portfolios/explore.html",
        context! { portfolios => cards, types => types, kind => kind, tag => tag },
    ))
}

/// Bars and a line as inline SVG (no script): views per day and followers over time.
fn chart(views: &[engagement::DayCount], followers: &[engagement::DayCount]) -> String {
    let (w, h) = (600.0_f64, 160.0_f64);
    let n = views.len().max(1) as f64;
    let vmax = views.iter().map(|d| d.count).max().unwrap_or(0).max(1) as f64;
    let fmax = followers.iter().map(|d| d.count).max().unwrap_or(0).max(1) as f64;
    let bw = w / n;
    let mut svg = format!("<svg class=\"chart\" viewBox=\"0 0 {w} {h}\" preserveAspectRatio=\"none\" aria-hidden=\"true\" focusable=\"false\">");
    for (i, d) in views.iter().enumerate() {
        let bh = (d.count as f64 / vmax) * (h - 10.0);
        svg.push_str(&format!("<rect class=\"chart-bar\" fill=\"currentColor\" fill-opacity=\"0.35\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\"></rect>", i as f64 * bw + 1.0, h - bh, (bw - 2.0).max(1.0), bh));
    }
    let points: Vec<String> = followers
        .iter()
        .enumerate()
        .map(|(i, d)| {
            format!(
                "{:.1},{:.1}",
                i as f64 * bw + bw / 2.0,
                h - (d.count as f64 / fmax) * (h - 10.0)
            )
        })
        .collect();
    svg.push_str(&format!(
        "<polyline class=\"chart-line\" fill=\"none\" stroke=\"currentColor\" stroke-width=\"2\" vector-effect=\"non-scaling-stroke\" points=\"{}\"></polyline></svg>",
        points.join(" ")
    ));
    svg
}

/// My portfolios: role, team, and for those I edit, the metrics chart.
pub async fn mine(ctx: WebCtx) -> Result<Response, WebError> {
    let Some(me) = ctx.person().map(|p| p.actor.clone()) else {
        return Ok(axum::response::Redirect::to("/login?next=/portfolios/mine").into_response());
    };
    let core = &ctx.state.core;
    let mut list = Vec::new();
    for (p, role) in queries::mine(core, me.id).await? {
        let team: Vec<Value> = queries::members(core, p.id())
            .await?
            .into_iter()
            .map(|(m, a)| context! { name => a.name(), role => m.role })
            .collect();
        let metrics = if role.can_edit() {
            let m = engagement::metrics(core, &p, 30).await?;
            let total_views: i64 = m.views.iter().map(|d| d.count).sum();
            let followers_now = m.followers.last().map(|d| d.count).unwrap_or(0);
            Some(context! {
                chart => chart(&m.views, &m.followers), total_views => total_views, followers => followers_now,
                days => m.views.iter().zip(m.followers.iter()).filter(|(v, _)| v.count > 0).map(|(v, f)| context! { day => v.day, views => v.count, followers => f.count }).collect::<Vec<_>>(),
                likes => m.likes.iter().map(|l| context! { title => l.title, likes => l.likes }).collect::<Vec<_>>(),
            })
        } else {
            None
        };
        list.push(context! {
            title => p.title(), handle => p.actor.handle, url => format!("/portfolios/{}", p.actor.handle),
            role => role.as_str(), state => p.row.state, visibility => p.row.visibility, team => team, metrics => metrics,
        });
    }
    Ok(ctx.render("portfolios/mine.html", context! { portfolios => list }))
}

#[derive(Deserialize)]
pub struct WatchForm {
    on: Option<String>,
}

/// Watch or stop watching a portfolio (a notification on every update).
pub async fn watch(
    ctx: WebCtx,
    Path(handle): Path<String>,
    crate::web::WebForm(form): crate::web::WebForm<WatchForm>,
) -> Result<Response, WebError> {
    let Some(me) = ctx.person().map(|p| p.actor.clone()) else {
        return Ok(axum::response::Redirect::to("/login").into_response());
    };
    let p = queries::find_by_handle(&ctx.state.core, &handle)
        .await?
        .ok_or(WebError::NotFound)?;
    queries::authorize(&ctx.state.core, &p, Some(me.id), Need::See).await?;
    engagement::watch(
        &ctx.state.core,
        p.id(),
        me.id,
        form.on.as_deref() != Some("0"),
    )
    .await?;
    Ok(axum::response::Redirect::to(&format!("/portfolios/{}", p.actor.handle)).into_response())
}

#[derive(Deserialize)]
pub struct MessageForm {
    #[serde(default)]
    content: String,
    next: Option<String>,
}

/// "Message the owners": a direct post to every owner.
pub async fn message(
    ctx: WebCtx,
    Path(actor_id): Path<i64>,
    crate::web::WebForm(form): crate::web::WebForm<MessageForm>,
) -> Result<Response, WebError> {
    let Some(me) = ctx.person().map(|p| p.actor.clone()) else {
        return Ok(axum::response::Redirect::to("/login").into_response());
    };
    let p = queries::find_by_actor(&ctx.state.core, actor_id)
        .await?
        .ok_or(WebError::NotFound)?;
    queries::authorize(&ctx.state.core, &p, Some(me.id), Need::See).await?;
    let back = form
        .next
        .filter(|n| n.starts_with('/') && !n.starts_with("//"))
        .unwrap_or_else(|| "/".into());
    match ctx.state.fed.message_owners(&me, &p, &form.content).await {
        Ok(_) => Ok(ctx.redirect_with_flash(&back, "success", "message_sent")),
        Err(kogi_core::Error::Invalid { .. }) => {
            Ok(ctx.redirect_with_flash(&back, "error", "message_empty"))
        }
        Err(e) => Err(e.into()),
    }
}
