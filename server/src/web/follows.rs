//! Finding people on this and other servers, following them, and answering follow requests.

use axum::extract::rejection::QueryRejection;
use axum::extract::Query;
use axum::response::Response;
use kogi_core::accounts::Actor;
use kogi_core::blocks::actions as blocks;
use kogi_core::follows::{self, ACCEPTED, PENDING};
use kogi_federation::client::FetchError;
use kogi_federation::follows::FollowState;
use minijinja::{context, Value};
use serde::Deserialize;

use super::accounts::safe_next;
use super::posts::{actor_view, login_first};
use super::{WebError, WebForm};
use crate::ctx::{urlencode, WebCtx};

/// `none`, `requested` or `following`: where the viewer stands with `target`.
pub(super) async fn follow_state(
    ctx: &WebCtx,
    viewer: &Actor,
    target: &Actor,
) -> Result<&'static str, WebError> {
    Ok(
        match follows::find(&ctx.state.core, viewer.id, target.id).await? {
            Some(f) if f.state == ACCEPTED => "following",
            Some(_) => "requested",
            None => "none",
        },
    )
}

/// The flash message for an address that could not be looked up.
fn lookup_failure(e: &FetchError) -> &'static str {
    match e {
        FetchError::Status(404) | FetchError::Status(410) => "account_not_found",
        FetchError::Refused(_) => "address_invalid",
        _ => "server_unreachable",
    }
}

#[derive(Deserialize)]
pub struct FollowForm {
    /// The actor's ActivityPub id (or `user@host`).
    #[serde(default)]
    target: String,
    next: Option<String>,
}

/// Where to go after following or unfollowing: the form's page, else the person's profile
/// here, else the search that found them.
fn after(form: &FollowForm, target: Option<&Actor>) -> String {
    if form.next.is_some() {
        return safe_next(form.next.as_deref());
    }
    match target {
        Some(a) if a.local => format!("/users/{}", urlencode(&a.handle)),
        Some(a) => format!("/search?q={}", urlencode(&a.ap_id)),
        None => "/".into(),
    }
}

/// Follows someone here or elsewhere; remote follows stay requested until accepted.
pub async fn follow(ctx: WebCtx, WebForm(form): WebForm<FollowForm>) -> Result<Response, WebError> {
    let Some(me) = ctx.person().map(|p| p.actor.clone()) else {
        return Ok(login_first(&safe_next(form.next.as_deref())));
    };
    let target = match ctx.state.fed.resolve(&form.target).await {
        Ok(a) => a,
        Err(e) => {
            return Ok(ctx.redirect_with_flash(&after(&form, None), "error", lookup_failure(&e)))
        }
    };
    let to = after(&form, Some(&target));
    if target.id == me.id {
        return Ok(ctx.redirect_with_flash(&to, "error", "follow_self"));
    }
    if target.deleted_at.is_some() {
        return Ok(ctx.redirect_with_flash(&to, "error", "account_not_found"));
    }
    let (kind, key) =
        match kogi_core::follows::actions::follow(&ctx.state.core, &me, &target).await? {
            FollowState::Following => ("success", "followed"),
            FollowState::Requested => ("info", "follow_requested"),
        };
    Ok(ctx.redirect_with_flash(&to, kind, key))
}

/// Stops following someone, or withdraws a request.
pub async fn unfollow(
    ctx: WebCtx,
    WebForm(form): WebForm<FollowForm>,
) -> Result<Response, WebError> {
    let Some(me) = ctx.person().map(|p| p.actor.clone()) else {
        return Ok(login_first(&safe_next(form.next.as_deref())));
    };
    // Someone followed is known here already: no need to ask their server.
    let known = kogi_core::actors::find_by_ap_id(&ctx.state.core, form.target.trim()).await?;
    let target = match known {
        Some(a) => a,
        None => match ctx.state.fed.resolve(&form.target).await {
            Ok(a) => a,
            Err(e) => {
                return Ok(ctx.redirect_with_flash(
                    &after(&form, None),
                    "error",
                    lookup_failure(&e),
                ))
            }
        },
    };
    let to = after(&form, Some(&target));
    if kogi_core::follows::actions::unfollow(&ctx.state.core, &me, &target).await? {
        Ok(ctx.redirect_with_flash(&to, "success", "unfollowed"))
    } else {
        Ok(ctx.redirect_with_flash(&to, "info", "not_following"))
    }
}

#[derive(Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
}

/// Looks up `@user@host`, `user@host`, a profile URL, or a name on this server.
pub async fn search(
    ctx: WebCtx,
    q: Result<Query<SearchQuery>, QueryRejection>,
) -> Result<Response, WebError> {
    let Query(q) = q.map_err(|_| WebError::BadRequest)?;
    let query = q.q.unwrap_or_default().trim().to_string();
    let Some(me) = ctx.person().map(|p| p.actor.clone()) else {
        let back = if query.is_empty() {
            "/search".to_string()
        } else {
            format!("/search?q={}", urlencode(&query))
        };
        return Ok(login_first(&back));
    };
    let mut result: Option<Value> = None;
    let mut error: Option<String> = None;
    if query.chars().count() > 500 {
        error = Some(ctx.t("search.invalid"));
    } else if !query.is_empty() {
        let bare = query.trim_start_matches(['@', '!']);
        // A bare name means someone on this server.
        let input = if bare.contains('@') || query.contains("://") {
            bare.to_string()
        } else {
            format!("{bare}@{}", ctx.state.core.config.host())
        };
        match ctx.state.fed.resolve(&input).await {
            Ok(a) if a.deleted_at.is_none() && a.kind != "application" => {
                let state = follow_state(&ctx, &me, &a).await?;
                let rel = relation_state(&ctx, &me, &a).await?;
                let (followers, following) = if a.local {
                    let (f, g) = follows::counts(&ctx.state.core, a.id).await?;
                    (Some(f), Some(g))
                } else {
                    (None, None)
                };
                // A portfolio is read on its own page (here or, from another Kogi
                // instance, the copy of it kept here).
                let portfolio_page = if a.kind == "community" {
                    Some(if a.local {
                        format!("/communities/{}", urlencode(&a.handle))
                    } else {
                        format!(
                            "/communities/{}",
                            urlencode(&format!("{}@{}", a.handle, a.host))
                        )
                    })
                } else if a.kind != "portfolio" {
                    None
                } else if a.local {
                    Some(format!("/portfolios/{}", urlencode(&a.handle)))
                } else {
                    kogi_core::portfolios::queries::find_by_actor(&ctx.state.core, a.id)
                        .await?
                        .map(|p| format!("/remote-portfolios/{}", p.actor.id))
                };
                let actor = match portfolio_page {
                    Some(url) => context! { profile_url => url, ..actor_view(&ctx, &a) },
                    None => actor_view(&ctx, &a),
                };
                result = Some(context! {
                    actor => actor,
                    follow_state => state,
                    blocked => rel.get_attr("blocked").map(|v| v.is_true()).unwrap_or(false),
                    muted => rel.get_attr("muted").map(|v| v.is_true()).unwrap_or(false),
                    is_self => a.id == me.id,
                    followers => followers,
                    following => following,
                });
            }
            Ok(_) => error = Some(ctx.t("search.not_found")),
            Err(e) => {
                error = Some(ctx.t(match lookup_failure(&e) {
                    "account_not_found" => "search.not_found",
                    "address_invalid" => "search.invalid",
                    _ => "search.unreachable",
                }))
            }
        }
    }
    let here = if query.is_empty() {
        "/search".to_string()
    } else {
        format!("/search?q={}", urlencode(&query))
    };
    Ok(ctx.render(
        "pages/search.html",
        context! { query => query, result => result, error => error, here => here },
    ))
}

/// Follow requests waiting for the signed-in person's answer.
pub async fn requests(ctx: WebCtx) -> Result<Response, WebError> {
    let Some(me) = ctx.person() else {
        return Ok(login_first("/follow-requests"));
    };
    let rows = follows::followers(&ctx.state.core, me.actor.id, PENDING, 0, 200).await?;
    let people: Vec<Value> = rows.iter().map(|a| actor_view(&ctx, a)).collect();
    Ok(ctx.render(
        "pages/follow_requests.html",
        context! { requests => people, locked => me.actor.manually_approves_followers },
    ))
}

#[derive(Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    approve: String,
}

/// Approves or rejects a follow request.
pub async fn answer(ctx: WebCtx, WebForm(form): WebForm<AnswerForm>) -> Result<Response, WebError> {
    let Some(me) = ctx.person().map(|p| p.actor.clone()) else {
        return Ok(login_first("/follow-requests"));
    };
    let approve = match form.approve.as_str() {
        "true" | "1" => true,
        "false" | "0" => false,
        _ => return Err(WebError::BadRequest),
    };
    let core = &ctx.state.core;
    let follower = kogi_core::actors::find_by_ap_id(core, form.actor.trim()).await?;
    let pending = match &follower {
        Some(f) => follows::find(core, f.id, me.id)
            .await?
            .is_some_and(|f| f.state == PENDING),
        None => false,
    };
    let Some(follower) = follower.filter(|_| pending) else {
        return Ok(ctx.redirect_with_flash("/follow-requests", "error", "request_gone"));
    };
    kogi_core::follows::actions::answer_request(&ctx.state.core, &me, &follower, approve).await?;
    let key = if approve {
        "request_approved"
    } else {
        "request_rejected"
    };
    Ok(ctx.redirect_with_flash("/follow-requests", "success", key))
}

#[derive(Deserialize)]
pub struct RelationForm {
    #[serde(default)]
    target: String,
    /// `block`, `unblock`, `mute` or `unmute`.
    #[serde(default)]
    action: String,
    next: Option<String>,
}

/// Block, unblock, mute or unmute someone (blocks are federated; mutes stay here).
pub async fn relation(
    ctx: WebCtx,
    WebForm(form): WebForm<RelationForm>,
) -> Result<Response, WebError> {
    let next = safe_next(form.next.as_deref());
    let Some(me) = ctx.person().map(|p| p.actor.clone()) else {
        return Ok(login_first(&next));
    };
    let target = match kogi_core::actors::find_by_ap_id(&ctx.state.core, form.target.trim()).await?
    {
        Some(a) => a,
        None => match ctx.state.fed.resolve(&form.target).await {
            Ok(a) => a,
            Err(e) => return Ok(ctx.redirect_with_flash(&next, "error", lookup_failure(&e))),
        },
    };
    if target.id == me.id {
        return Err(WebError::BadRequest);
    }
    let core = &ctx.state.core;
    let key = match form.action.as_str() {
        "block" => {
            blocks::block(core, &me, &target).await?;
            "blocked"
        }
        "unblock" => {
            blocks::unblock(core, &me, &target).await?;
            "unblocked"
        }
        "mute" => {
            blocks::mute(core, &me, &target).await?;
            "muted"
        }
        "unmute" => {
            blocks::unmute(core, &me, &target).await?;
            "unmuted"
        }
        _ => return Err(WebError::BadRequest),
    };
    Ok(ctx.redirect_with_flash(&next, "success", key))
}

/// Whether `me` blocked or muted `them`, for the block and mute buttons.
pub(super) async fn relation_state(
    ctx: &WebCtx,
    me: &Actor,
    them: &Actor,
) -> Result<minijinja::Value, WebError> {
    let core = &ctx.state.core;
    Ok(minijinja::context! {
        blocked => kogi_core::blocks::has(core, me.id, them.id, kogi_core::blocks::BLOCK).await?,
        muted => kogi_core::blocks::has(core, me.id, them.id, kogi_core::blocks::MUTE).await?,
    })
}

/// This area's routes (pages).
pub fn routes() -> axum::Router<crate::app::AppState> {
    use axum::routing::{get, post};
    use axum::Router;

    Router::new()
        .route("/search", get(self::search))
        .route("/follow", post(self::follow))
        .route("/unfollow", post(self::unfollow))
        .route("/relations", post(self::relation))
        .route("/follow-requests", get(self::requests))
        .route("/follow-requests/answer", post(self::answer))
}
