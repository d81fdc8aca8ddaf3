//! Account mail, worded from the theme's message catalogue in the person's language.

use kogi_core::accounts::Account;

use crate::app::AppState;

fn lang_of(state: &AppState, account: &Account, fallback: &str) -> String {
    account
        .language
        .clone()
        .filter(|l| state.theme.has_language(l))
        .unwrap_or_else(|| fallback.to_string())
}

async fn send(state: &AppState, to: &str, subject: String, body: String) {
    // A mail failure must not undo what the person just did; it is logged for the operator
    // and the person can ask for the link again.
    if let Err(e) = state.core.mailer.send(to, &subject, &body).await {
        tracing::error!(error = %e, "could not send mail");
    }
}

pub async fn confirmation(state: &AppState, account: &Account, token: &str, lang: &str) {
    let lang = lang_of(state, account, lang);
    let instance = state.instance_name().await;
    let link = format!("{}/confirm?token={token}", state.config.public_url);
    let args = [
        ("name", account.username.clone()),
        ("instance", instance.clone()),
        ("link", link),
    ];
    let subject = state.theme.text(&lang, "mail.confirm.subject", &args);
    let body = state.theme.text(&lang, "mail.confirm.body", &args);
    send(state, &account.email, subject, body).await;
}

pub async fn password_reset(state: &AppState, account: &Account, token: &str, lang: &str) {
    let lang = lang_of(state, account, lang);
    let instance = state.instance_name().await;
    let link = format!("{}/reset/confirm?token={token}", state.config.public_url);
    let args = [
        ("name", account.username.clone()),
        ("instance", instance),
        ("link", link),
        ("minutes", state.config.reset_token_minutes.to_string()),
    ];
    let subject = state.theme.text(&lang, "mail.reset.subject", &args);
    let body = state.theme.text(&lang, "mail.reset.body", &args);
    send(state, &account.email, subject, body).await;
}

pub async fn email_change(
    state: &AppState,
    account: &Account,
    new_email: &str,
    token: &str,
    lang: &str,
) {
    let lang = lang_of(state, account, lang);
    let instance = state.instance_name().await;
    let link = format!("{}/confirm?token={token}", state.config.public_url);
    let args = [
        ("name", account.username.clone()),
        ("instance", instance),
        ("link", link),
    ];
    let subject = state.theme.text(&lang, "mail.change_email.subject", &args);
    let body = state.theme.text(&lang, "mail.change_email.body", &args);
    send(state, new_email, subject, body).await;
}
