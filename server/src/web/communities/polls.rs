//! Voting in a thread's poll.

use super::*;

/// Vote in a thread's poll (one or several choices, as the poll allows).
pub async fn vote(
    ctx: WebCtx,
    Path((handle, id)): Path<(String, i64)>,
    crate::web::WebForm(pairs): crate::web::WebForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let me = signed_in!(ctx, format!("/communities/{handle}"));
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
    match kogi_core::communities::manage::vote(&ctx.state.core, &me, &t, &choices).await {
        Ok(()) => Ok(ctx.redirect_with_flash(&to, "success", "vote_counted")),
        Err(kogi_core::Error::Invalid { .. }) => {
            Ok(ctx.redirect_with_flash(&to, "error", "vote_invalid"))
        }
        Err(e) => refused(&ctx, &to, e),
    }
}
