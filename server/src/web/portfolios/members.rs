//! A portfolio's team, from the editor.

use super::*;

#[derive(Deserialize)]
pub struct MemberForm {
    #[serde(default)]
    pub(crate) username: String,
    #[serde(default)]
    pub(crate) role: String,
}

/// Adds a local person to the team or changes their role (owners).
pub async fn member_save(
    ctx: WebCtx,
    Path(handle): Path<String>,
    WebForm(form): WebForm<MemberForm>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/portfolios/{handle}/edit"));
    let (p, _) = allowed(&ctx, &me, &handle, Need::Own).await?;
    let back = format!("{}#team-title", manage_of(&p));
    let Some(role) = kogi_core::portfolios::Role::parse(form.role.trim()) else {
        return Ok(ctx.redirect_with_flash(&back, "error", "pf_role_invalid"));
    };
    let username = form.username.trim().trim_start_matches('@');
    let Some(person) = kogi_core::accounts::find_person(&ctx.state.core.db, username).await? else {
        return Ok(ctx.redirect_with_flash(&back, "error", "pf_no_such_person"));
    };
    match store::set_member(&ctx.state.core, &p, &person.actor, role).await {
        Ok(()) => Ok(ctx.redirect_with_flash(&back, "success", "pf_member_saved")),
        Err(e) => refused(&ctx, &back, e),
    }
}

/// Takes someone off the team (owners; the last owner stays).
pub async fn member_remove(
    ctx: WebCtx,
    Path(handle): Path<String>,
    WebForm(form): WebForm<MemberForm>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/portfolios/{handle}/edit"));
    let (p, _) = allowed(&ctx, &me, &handle, Need::Own).await?;
    let back = format!("{}#team-title", manage_of(&p));
    let Some(person) =
        kogi_core::accounts::find_person(&ctx.state.core.db, form.username.trim()).await?
    else {
        return Ok(ctx.redirect_with_flash(&back, "error", "pf_no_such_person"));
    };
    match store::remove_member(&ctx.state.core, &p, person.actor.id).await {
        Ok(true) if person.actor.id == me.id => {
            Ok(ctx.redirect_with_flash("/portfolios/mine", "success", "pf_member_removed"))
        }
        Ok(true) => Ok(ctx.redirect_with_flash(&back, "success", "pf_member_removed")),
        Ok(false) => Ok(ctx.redirect_with_flash(&back, "info", "pf_not_a_member")),
        Err(e) => refused(&ctx, &back, e),
    }
}

// ---------------------------------------------------------------------------------------------
// Items
