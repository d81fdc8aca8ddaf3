//! Joining and leaving, and the members page with its actions.

use super::*;

#[derive(serde::Deserialize)]
pub struct JoinForm {
    pub(crate) invite: Option<String>,
    /// "leave" leaves (or withdraws a request).
    pub(crate) action: Option<String>,
}

/// Join (or leave) a community from its page.
pub async fn join(
    ctx: WebCtx,
    Path(handle): Path<String>,
    crate::web::WebForm(form): crate::web::WebForm<JoinForm>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/communities/{handle}"));
    let c = lookup(&ctx, &handle).await?;
    let to = page_of(&c);
    if form.action.as_deref() == Some("leave") {
        if store::role_of(&ctx.state.core, &c, me.id).await?
            == Some(kogi_core::communities::Role::Owner)
        {
            return Ok(ctx.redirect_with_flash(&to, "error", "owner_stays"));
        }
        kogi_core::follows::actions::unfollow(&ctx.state.core, &me, &c.actor).await?;
        store::set_role(&ctx.state.core, &c, me.id, None).await?;
        return Ok(ctx.redirect_with_flash(&to, "success", "community_left"));
    }
    let invite = form.invite.filter(|s| !s.trim().is_empty());
    match kogi_core::communities::manage::join(&ctx.state.core, &me, &c, invite.as_deref()).await {
        Ok(kogi_federation::follows::FollowState::Following) => {
            Ok(ctx.redirect_with_flash(&to, "success", "community_joined"))
        }
        Ok(_) => Ok(ctx.redirect_with_flash(&to, "success", "community_requested")),
        Err(kogi_core::Error::Invalid {
            field: "invite", ..
        }) => Ok(ctx.redirect_with_flash(&to, "error", "invite_used")),
        Err(e) => refused(&ctx, &to, e),
    }
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
    pub(crate) person: String,
    /// remove, ban, moderator, member.
    pub(crate) action: String,
}

/// A moderator removes or bans a member; an owner makes one a moderator or a member again.
pub async fn member_action(
    ctx: WebCtx,
    Path(handle): Path<String>,
    crate::web::WebForm(form): crate::web::WebForm<MemberForm>,
) -> Result<Response, WebError> {
    use kogi_core::communities::Role;
    let me = signed_in!(ctx, format!("/communities/{handle}"));
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
            kogi_core::communities::manage::remove_member(&ctx.state.core, &c, &who, None).await?;
        }
        "ban" => {
            kogi_core::communities::manage::remove_member(&ctx.state.core, &c, &who, Some(""))
                .await?;
        }
        "moderator" | "member" if mine == Some(Role::Owner) && theirs.is_some() => {
            let moderator = form.action == "moderator";
            kogi_core::communities::manage::change_moderator(
                &ctx.state.core,
                &me,
                &c,
                &who,
                moderator,
            )
            .await?;
        }
        _ => return Err(WebError::BadRequest),
    }
    Ok(ctx.redirect_with_flash(&to, "success", "moderation_done"))
}
