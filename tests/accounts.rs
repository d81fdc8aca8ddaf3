//! People sign up, confirm, log in, keep a profile and recover their account — through the
//! pages and through the JSON API, on both backends.

use reqwest::multipart;
use serde_json::{json, Value};

use crate::harness::{csrf, png, Instance, Opts, PASSWORD};

async fn form(client: &reqwest::Client, url: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    client.post(url).form(fields).send().await.unwrap()
}

#[tokio::test]
async fn sign_up_confirm_log_in_edit_profile_and_log_out_in_the_browser_flow() {
    let a = Instance::start_with(Opts::default().smtp()).await;
    if a.smtp.is_none() {
        return;
    }
    let c = a.client();
    let token = csrf(&c, &a.u("/signup")).await;
    let r = form(
        &c,
        &a.u("/signup"),
        &[
            ("csrf_token", &token),
            ("username", "Ada_L"),
            ("email", "Ada@Example.org"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(r.status(), 201);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("Ada@Example.org"),
        "the page says where the link went"
    );

    // The confirmation mail went through the real SMTP server.
    let mail = a.wait_mail("Ada@Example.org", "").await;
    let link = mail.link("/confirm?token=");
    assert!(link.starts_with(&a.url), "{link}");

    // Not confirmed yet: logging in is refused with a clear message.
    let token = csrf(&c, &a.u("/login")).await;
    let r = form(
        &c,
        &a.u("/login"),
        &[
            ("csrf_token", &token),
            ("username", "ada_l"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(r.status(), 401);

    let r = c.get(&link).send().await.unwrap();
    assert_eq!(r.status(), 200);
    // A link works once.
    assert_eq!(c.get(&link).send().await.unwrap().status(), 400);

    let token = csrf(&c, &a.u("/login")).await;
    let r = form(
        &c,
        &a.u("/login"),
        &[
            ("csrf_token", &token),
            ("username", "ADA_L"),
            ("password", PASSWORD),
            ("next", "/settings/profile"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/settings/profile");
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|v| v.starts_with("kogi_session="))
        .unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "no Secure flag on an http public URL"
    );

    // Edit the profile with an avatar (multipart form).
    let token = csrf(&c, &a.u("/settings/profile")).await;
    let f = multipart::Form::new()
        .text("csrf_token", token)
        .text("display_name", "Ada Lovelace")
        .text("bio", "Analyst.\nPoet of science.")
        .text("interests", "engines, poetry, engines")
        .text("skills", "maths")
        .text("link_name_1", "Notes")
        .text("link_url_1", "https://example.org/notes")
        .part(
            "avatar",
            multipart::Part::bytes(png(800, 600))
                .file_name("me.png")
                .mime_str("image/png")
                .unwrap(),
        );
    let r = c
        .post(a.u("/settings/profile"))
        .multipart(f)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/settings/profile");

    let profile = c.get(a.u("/users/ada_l")).send().await.unwrap();
    assert_eq!(profile.status(), 200);
    assert_eq!(profile.headers()["vary"], "Accept");
    let html = profile.text().await.unwrap();
    assert!(
        html.contains("Ada Lovelace")
            && html.contains("Poet of science.")
            && html.contains("example.org&#x2f;notes"),
        "{html}"
    );
    assert!(html.contains("engines") && html.contains("maths"));
    let html = html.replace("&#x2f;", "/");
    let avatar = html
        .split("/media/avatars/")
        .nth(1)
        .map(|s| s[..s.find('"').unwrap()].to_string())
        .expect("avatar on the profile");
    let img = c
        .get(a.u(&format!("/media/avatars/{avatar}")))
        .send()
        .await
        .unwrap();
    assert_eq!(img.headers()["content-type"], "image/webp");
    assert_eq!(img.headers()["x-content-type-options"], "nosniff");
    let decoded = image::load_from_memory(&img.bytes().await.unwrap()).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (400, 400));

    // Log out: the session ends.
    let token = csrf(&c, &a.u("/")).await;
    let r = form(&c, &a.u("/logout"), &[("csrf_token", &token)]).await;
    assert_eq!(r.status(), 303);
    let r = c.get(a.u("/settings/profile")).send().await.unwrap();
    assert_eq!(
        r.status(),
        303,
        "logged out, settings redirect to the login page"
    );
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/login"));
    assert_eq!(a.sql_count("SELECT COUNT(*) AS n FROM sessions"), 0);
}

#[tokio::test]
async fn the_same_through_the_json_api_with_a_token() {
    let a = Instance::start_with(Opts::default().smtp()).await;
    if a.smtp.is_none() {
        return;
    }
    let c = reqwest::Client::new();
    let api = |p: &str| a.u(&format!("/api/kogi/v1{p}"));
    let r = c
        .post(api("/accounts"))
        .json(&json!({"username": "grace", "email": "grace@example.org", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(
        r.json::<Value>().await.unwrap()["status"],
        "pending_confirmation"
    );

    let r = c
        .post(api("/auth/token"))
        .json(&json!({"username": "grace", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    assert_eq!(
        r.json::<Value>().await.unwrap()["type"],
        "urn:kogi:problem:not_confirmed"
    );

    let mail = a.wait_mail("grace@example.org", "").await;
    let r = c
        .post(api("/accounts/confirm"))
        .json(&json!({"token": mail.token("/confirm")}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "active");

    let token = a.token("grace", PASSWORD).await;
    let me: Value = c
        .get(api("/accounts/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["username"], "grace");
    assert_eq!(me["id"], a.u("/users/grace"));

    let r = c
        .patch(api("/accounts/me"))
        .bearer_auth(&token)
        .json(&json!({"display_name": "Grace Hopper", "skills": ["COBOL", "compilers"], "links": [{"name": "Site", "url": "https://example.org"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let me: Value = r.json().await.unwrap();
    assert_eq!(me["display_name"], "Grace Hopper");
    assert_eq!(me["skills"], json!(["COBOL", "compilers"]));

    let f = multipart::Form::new().part(
        "avatar",
        multipart::Part::bytes(png(300, 500)).file_name("a.png"),
    );
    let r = c
        .put(api("/accounts/me/avatar"))
        .bearer_auth(&token)
        .multipart(f)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let me: Value = r.json().await.unwrap();
    let avatar_url = me["avatar_url"].as_str().unwrap().to_string();
    assert!(avatar_url.ends_with(".webp"));
    assert_eq!(c.get(&avatar_url).send().await.unwrap().status(), 200);

    // Tokens are listed, and revoking one (logging out) makes it useless.
    let list: Value = c
        .get(api("/auth/tokens"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["current"], true);
    let second = a.token("grace", PASSWORD).await;
    let id = c
        .get(api("/auth/tokens"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()[0]["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        c.delete(api(&format!("/auth/tokens/{id}")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        c.get(api("/accounts/me"))
            .bearer_auth(&second)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        c.delete(api("/auth/token"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        c.get(api("/accounts/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}

#[tokio::test]
async fn approval_mode_keeps_new_accounts_out_until_an_admin_approves() {
    let a =
        Instance::start_with(Opts::default().env("KOGI_INSTANCE_REGISTRATION_MODE", "approval"))
            .await;
    let c = reqwest::Client::new();
    let api = |p: &str| a.u(&format!("/api/kogi/v1{p}"));
    let r = c
        .post(api("/accounts"))
        .json(&json!({"username": "newbie", "email": "newbie@example.org", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    assert_eq!(
        r.json::<Value>().await.unwrap()["status"],
        "pending_approval"
    );
    let mail = a.wait_mail("newbie@example.org", "").await;
    let r: Value = c
        .post(api("/accounts/confirm"))
        .json(&json!({"token": mail.token("/confirm")}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["status"], "pending_approval");

    let r = c
        .post(api("/auth/token"))
        .json(&json!({"username": "newbie", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.json::<Value>().await.unwrap()["type"],
        "urn:kogi:problem:pending_approval"
    );
    // The web login says the same.
    let web = a.client();
    let t = csrf(&web, &a.u("/login")).await;
    let r = form(
        &web,
        &a.u("/login"),
        &[
            ("csrf_token", &t),
            ("username", "newbie"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(r.status(), 401);

    // An admin sees it pending; a normal user may not look.
    let admin = a.admin("boss").await;
    let user = a.user("someone").await;
    let pending: Value = c
        .get(api("/admin/accounts/pending"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(pending[0]["username"], "newbie");
    assert_eq!(
        c.get(api("/admin/accounts/pending"))
            .bearer_auth(&user)
            .send()
            .await
            .unwrap()
            .status(),
        403
    );

    let out = a.cli_ok(&["admin", "approve-user", "newbie"]);
    assert!(out.contains("approved newbie"));
    a.token("newbie", PASSWORD).await;

    // Closed mode refuses sign-ups (a saved setting wins over the configuration).
    let r = c
        .put(api("/admin/settings/registration_mode"))
        .bearer_auth(&admin)
        .json(&json!({"value": "closed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = c
        .post(api("/accounts"))
        .json(&json!({"username": "late", "email": "late@example.org", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(
        r.json::<Value>().await.unwrap()["type"],
        "urn:kogi:problem:registrations_closed"
    );
    let shown = a.cli_ok(&["config", "show"]);
    assert!(
        shown.contains("instance.registration_mode = \"closed\"  # saved setting applies"),
        "{shown}"
    );
    assert_eq!(
        a.sql_count("SELECT COUNT(*) AS n FROM accounts WHERE username = 'late'"),
        0
    );
}

#[tokio::test]
async fn password_reset_works_once_and_expired_or_used_tokens_are_refused() {
    let a = Instance::start().await;
    a.user("mara").await;
    let c = a.client();
    let t = csrf(&c, &a.u("/reset")).await;
    let r = form(
        &c,
        &a.u("/reset"),
        &[("csrf_token", &t), ("email", "MARA@example.org")],
    )
    .await;
    assert_eq!(r.status(), 200);
    // Unknown addresses get the same answer and no mail.
    let t = csrf(&c, &a.u("/reset")).await;
    let r2 = form(
        &c,
        &a.u("/reset"),
        &[("csrf_token", &t), ("email", "nobody@example.org")],
    )
    .await;
    assert_eq!(r2.status(), 200);
    let mail = a.wait_mail("mara@example.org", "").await;
    assert_eq!(a.mails().len(), 1);
    let token = mail.token("/reset/confirm");

    let page = c
        .get(a.u(&format!("/reset/confirm?token={token}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let t = crate::harness::csrf_of(&page);
    let new_password = "another long passphrase";
    let r = form(
        &c,
        &a.u("/reset/confirm"),
        &[
            ("csrf_token", &t),
            ("token", &token),
            ("password", new_password),
        ],
    )
    .await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("/login"));
    a.token("mara", new_password).await;
    let old = reqwest::Client::new()
        .post(a.u("/api/kogi/v1/auth/token"))
        .json(&json!({"username": "mara", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), 401);

    // Used token.
    let r = reqwest::Client::new()
        .post(a.u("/api/kogi/v1/accounts/password-reset/confirm"))
        .json(&json!({"token": token, "password": "yet another passphrase"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>().await.unwrap()["type"],
        "urn:kogi:problem:token_invalid"
    );

    // Expired token.
    let r = reqwest::Client::new()
        .post(a.u("/api/kogi/v1/accounts/password-reset"))
        .json(&json!({"email": "mara@example.org"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while a.mails().len() < 2 {
        assert!(std::time::Instant::now() < deadline);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let token2 = a.mails().last().unwrap().token("/reset/confirm");
    a.sql_exec(
        "UPDATE account_tokens SET expires_at = '2000-01-01 00:00:00' WHERE used_at IS NULL",
    );
    let r = reqwest::Client::new()
        .post(a.u("/api/kogi/v1/accounts/password-reset/confirm"))
        .json(&json!({"token": token2, "password": "yet another passphrase"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let page = c
        .get(a.u(&format!("/reset/confirm?token={token2}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !page.contains("name=\"password\""),
        "an expired link shows no form"
    );
    a.token("mara", new_password).await;
}

#[tokio::test]
async fn revoking_a_session_logs_that_browser_out_and_email_changes_are_reconfirmed() {
    let a = Instance::start().await;
    a.cli_ok(&[
        "admin",
        "create-user",
        "lin",
        "--email",
        "lin@example.org",
        "--password",
        PASSWORD,
    ]);
    let login = |c: reqwest::Client| {
        let a = &a;
        async move {
            let t = csrf(&c, &a.u("/login")).await;
            let r = form(
                &c,
                &a.u("/login"),
                &[
                    ("csrf_token", &t),
                    ("username", "lin"),
                    ("password", PASSWORD),
                ],
            )
            .await;
            assert_eq!(r.status(), 303);
            c
        }
    };
    let laptop = login(a.client()).await;
    let phone = login(a.client()).await;
    assert_eq!(
        phone
            .get(a.u("/settings/sessions"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    let page = laptop
        .get(a.u("/settings/sessions"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let t = crate::harness::csrf_of(&page);
    // The other session's revoke form.
    let ids: Vec<i64> = page
        .match_indices("/settings/sessions/")
        .filter_map(|(i, _)| page[i + 19..].split('/').next()?.parse().ok())
        .collect();
    assert_eq!(ids.len(), 1, "one other session to revoke: {ids:?}");
    let r = form(
        &laptop,
        &a.u(&format!("/settings/sessions/{}/revoke", ids[0])),
        &[("csrf_token", &t)],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        phone
            .get(a.u("/settings/sessions"))
            .send()
            .await
            .unwrap()
            .status(),
        303,
        "the phone is logged out"
    );
    assert_eq!(
        laptop
            .get(a.u("/settings/sessions"))
            .send()
            .await
            .unwrap()
            .status(),
        200,
        "the laptop is not"
    );
    // Sessions live in the database: a crash and restart keeps the laptop signed in.
    let mut a = a;
    a.restart().await;
    assert_eq!(
        laptop
            .get(a.u("/settings/sessions"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    // Change email: the old one stays until the new one is confirmed.
    let t = csrf(&laptop, &a.u("/settings/email")).await;
    let r = form(
        &laptop,
        &a.u("/settings/email"),
        &[
            ("csrf_token", &t),
            ("new_email", "lin@new.example.org"),
            ("current_password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        a.sql_count("SELECT COUNT(*) AS n FROM accounts WHERE email = 'lin@example.org'"),
        1
    );
    let mail = a.wait_mail("lin@new.example.org", "").await;
    assert_eq!(
        laptop
            .get(mail.link("/confirm"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        a.sql_count("SELECT COUNT(*) AS n FROM accounts WHERE email = 'lin@new.example.org'"),
        1
    );

    // Change password (the current one is required) and delete the account.
    let t = csrf(&laptop, &a.u("/settings/password")).await;
    let r = form(
        &laptop,
        &a.u("/settings/password"),
        &[
            ("csrf_token", &t),
            ("current_password", "wrong password here"),
            ("new_password", "fresh passphrase 99"),
        ],
    )
    .await;
    assert_eq!(r.status(), 422);
    let r = form(
        &laptop,
        &a.u("/settings/password"),
        &[
            ("csrf_token", &t),
            ("current_password", PASSWORD),
            ("new_password", "fresh passphrase 99"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let t = csrf(&laptop, &a.u("/settings/account")).await;
    let r = form(
        &laptop,
        &a.u("/settings/account/delete"),
        &[
            ("csrf_token", &t),
            ("current_password", "fresh passphrase 99"),
            ("confirm", "lin"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        laptop.get(a.u("/users/lin")).send().await.unwrap().status(),
        410
    );
    // The handle stays reserved.
    let r = reqwest::Client::new()
        .post(a.u("/api/kogi/v1/accounts"))
        .json(&json!({"username": "lin", "email": "other@example.org", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
}

#[tokio::test]
async fn spanish_browsers_get_spanish_sign_up_and_log_in_pages() {
    if !crate::harness::sqlite_only() {
        return;
    }
    let a = Instance::start().await;
    let c = reqwest::Client::new();
    let page = c
        .get(a.u("/signup"))
        .header("accept-language", "es-ES,es;q=0.9")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("lang=\"es\""));
    let en = c
        .get(a.u("/signup"))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_ne!(page, en);
    let login = c
        .get(a.u("/login"))
        .header("accept-language", "es")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(login.contains("lang=\"es\""));

    // A person's own setting wins over the browser.
    a.user("pablo").await;
    let web = a.client();
    let t = csrf(&web, &a.u("/login")).await;
    form(
        &web,
        &a.u("/login"),
        &[
            ("csrf_token", &t),
            ("username", "pablo"),
            ("password", PASSWORD),
        ],
    )
    .await;
    let t = csrf(&web, &a.u("/settings/language")).await;
    let r = form(
        &web,
        &a.u("/settings/language"),
        &[("csrf_token", &t), ("language", "es")],
    )
    .await;
    assert_eq!(r.status(), 303);
    let page = web
        .get(a.u("/settings/profile"))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("lang=\"es\""));
}
