//! Bad input gets a clear error and writes nothing.

use reqwest::multipart;
use serde_json::{json, Value};

use crate::harness::{csrf, png, Instance, PASSWORD};

async fn problem(r: reqwest::Response) -> (u16, String, Value) {
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    assert_eq!(ct, "application/problem+json", "status {status}");
    let body: Value = r.json().await.unwrap();
    (
        status,
        body["type"]
            .as_str()
            .unwrap()
            .trim_start_matches("urn:kogi:problem:")
            .to_string(),
        body,
    )
}

#[tokio::test]
async fn sign_up_refuses_bad_fields_and_writes_nothing() {
    let a = Instance::start().await;
    a.user("taken").await;
    let c = reqwest::Client::new();
    let url = a.u("/api/kogi/v1/accounts");
    let count = || {
        a.sql_count("SELECT COUNT(*) AS n FROM accounts")
            + a.sql_count("SELECT COUNT(*) AS n FROM actors")
    };
    let before = count();
    let cases: Vec<(Value, u16, &str)> = vec![
        (
            json!({"username": "TAKEN", "email": "new@example.org", "password": PASSWORD}),
            409,
            "username_taken",
        ),
        (
            json!({"username": "fresh", "email": "Taken@EXAMPLE.org", "password": PASSWORD}),
            409,
            "email_taken",
        ),
        (
            json!({"username": "admin", "email": "x@example.org", "password": PASSWORD}),
            422,
            "username_reserved",
        ),
        (
            json!({"username": "bad name!", "email": "x@example.org", "password": PASSWORD}),
            422,
            "username_invalid",
        ),
        (
            json!({"username": "a".repeat(31), "email": "x@example.org", "password": PASSWORD}),
            422,
            "username_invalid",
        ),
        (
            json!({"username": "fresh", "email": "x@example.org", "password": "short"}),
            422,
            "password_weak",
        ),
        (
            json!({"username": "fresh", "email": "x@example.org", "password": "password123"}),
            422,
            "password_weak",
        ),
        (
            json!({"username": "fresh", "email": "not-an-email", "password": PASSWORD}),
            422,
            "email_invalid",
        ),
        (
            json!({"username": "fresh", "email": "x@example.org", "password": PASSWORD, "admin": true}),
            422,
            "invalid_body",
        ),
        (
            json!({"username": 7, "email": "x@example.org", "password": PASSWORD}),
            422,
            "invalid_body",
        ),
        (json!({"username": "fresh"}), 422, "invalid_body"),
        (
            json!({"username": "nul\u{0}", "email": "x@example.org", "password": PASSWORD}),
            422,
            "invalid_body",
        ),
    ];
    for (body, status, code) in cases {
        let (s, c2, doc) = problem(c.post(&url).json(&body).send().await.unwrap()).await;
        assert_eq!((s, c2.as_str()), (status, code), "{body} -> {doc}");
        assert_eq!(doc["status"], status);
    }
    // Malformed JSON, the wrong content type, a body over the 1 MiB API limit.
    let (s, code, _) = problem(
        c.post(&url)
            .header("content-type", "application/json")
            .body("{\"username\": ")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((s, code.as_str()), (400, "malformed_json"));
    let (s, code, _) = problem(c.post(&url).body("username=x").send().await.unwrap()).await;
    assert_eq!((s, code.as_str()), (415, "unsupported_media_type"));
    let huge =
        json!({"username": "fresh", "email": "x@example.org", "password": "x".repeat(2 << 20)});
    // (A fresh client: the server answers before reading the whole body and closes the
    // connection, which a pooled client would otherwise try to reuse.)
    let (s, code, _) = problem(
        reqwest::Client::new()
            .post(&url)
            .json(&huge)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((s, code.as_str()), (413, "payload_too_large"));
    // An encoded NUL in a path is refused before it reaches the database.
    let (s, _, _) = problem(
        c.post(a.u("/api/kogi/v1/admin/accounts/x%00y/approve"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 400);
    // Unknown API routes and methods are problems too.
    let (s, _, _) = problem(c.get(a.u("/api/kogi/v1/nope")).send().await.unwrap()).await;
    assert_eq!(s, 404);
    let (s, _, _) = problem(c.delete(&url).send().await.unwrap()).await;
    assert_eq!(s, 405);
    assert_eq!(count(), before, "nothing was written");
}

#[tokio::test]
async fn wrong_passwords_get_one_generic_message() {
    let a = Instance::start().await;
    a.user("kim").await;
    let c = reqwest::Client::new();
    let url = a.u("/api/kogi/v1/auth/token");
    let (s1, c1, d1) = problem(
        c.post(&url)
            .json(&json!({"username": "kim", "password": "not the password"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let (s2, c2, d2) = problem(
        c.post(&url)
            .json(&json!({"username": "nobody", "password": "not the password"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((s1, c1.as_str()), (401, "login_failed"));
    assert_eq!((s2, c2.as_str()), (401, "login_failed"));
    assert_eq!(d1, d2, "an unknown user and a wrong password look the same");
}

#[tokio::test]
async fn avatars_that_are_too_big_not_images_or_bombs_are_refused() {
    let a = Instance::start().await;
    let token = a.user("vera").await;
    let url = a.u("/api/kogi/v1/accounts/me/avatar");
    let put = |bytes: Vec<u8>, name: &'static str| {
        let f =
            multipart::Form::new().part("avatar", multipart::Part::bytes(bytes).file_name(name));
        // A fresh client each time: refused uploads may close the connection early.
        reqwest::Client::new()
            .put(&url)
            .bearer_auth(&token)
            .multipart(f)
            .send()
    };
    // An SVG (could carry script), a text file named .png, a truncated PNG.
    let (s, code, _) = problem(
        put(
            b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>".to_vec(),
            "x.svg",
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!((s, code.as_str()), (422, "avatar_invalid"));
    let (s, code, _) = problem(put(b"hello, not an image".to_vec(), "x.png").await.unwrap()).await;
    assert_eq!((s, code.as_str()), (422, "avatar_invalid"));
    let mut truncated = png(100, 100);
    truncated.truncate(60);
    let (s, _, _) = problem(put(truncated, "t.png").await.unwrap()).await;
    assert_eq!(s, 422);
    // A decompression bomb: a tiny file that claims 60000×60000 pixels.
    let (s, code, _) = problem(put(png_bomb(), "bomb.png").await.unwrap()).await;
    assert!(s == 413 || s == 422, "{s} {code}");
    // Over 5 MiB (but under the 10 MiB upload limit): refused as too large.
    let big: Vec<u8> = png(16, 16)
        .into_iter()
        .chain(std::iter::repeat_n(0u8, 6 << 20))
        .collect();
    let (s, code, _) = problem(put(big, "big.png").await.unwrap()).await;
    assert_eq!((s, code.as_str()), (413, "avatar_too_large"));
    // Over the upload body limit.
    let (s, _, _) = problem(put(vec![0u8; 11 << 20], "huge.png").await.unwrap()).await;
    assert_eq!(s, 413);
    assert_eq!(
        a.sql_count("SELECT COUNT(*) AS n FROM actors WHERE avatar_path IS NOT NULL"),
        0
    );
    let media = a.dir.path().join("data/media/avatars");
    assert_eq!(
        std::fs::read_dir(&media).map(|d| d.count()).unwrap_or(0),
        0,
        "no file was stored"
    );
}

/// A valid PNG header with huge dimensions and almost no data.
fn png_bomb() -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut c = kind.to_vec();
        c.extend_from_slice(data);
        out.extend_from_slice(&c);
        out.extend_from_slice(&crc32(&c).to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&60000u32.to_be_bytes());
    ihdr.extend_from_slice(&60000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    // A zlib stream of zeros: deflate compresses them a thousandfold.
    chunk(
        &mut out,
        b"IDAT",
        &[
            0x78, 0x9c, 0xed, 0xc1, 0x01, 0x0d, 0x00, 0x00, 0x00, 0xc2, 0xa0, 0xf7, 0x4f, 0x6d,
            0x0e, 0x37, 0xa0, 0x00, 0x00, 0x00,
        ],
    );
    chunk(&mut out, b"IEND", &[]);
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[tokio::test]
async fn forms_without_a_csrf_token_are_refused() {
    let a = Instance::start().await;
    let c = a.client();
    csrf(&c, &a.u("/signup")).await;
    let before = a.sql_count("SELECT COUNT(*) AS n FROM accounts");
    let r = c
        .post(a.u("/signup"))
        .form(&[
            ("username", "sneaky"),
            ("email", "s@example.org"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(
        r.text().await.unwrap().contains("<html"),
        "a themed error page"
    );
    let r = c
        .post(a.u("/signup"))
        .form(&[
            ("csrf_token", "forged-forged-forged-forged-forged-forged"),
            ("username", "sneaky"),
            ("email", "s@example.org"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // A fresh client with no CSRF cookie at all.
    let r = a
        .client()
        .post(a.u("/login"))
        .form(&[("username", "x"), ("password", "y")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(a.sql_count("SELECT COUNT(*) AS n FROM accounts"), before);

    // Multipart forms too: an upload without the token is refused before its handler runs;
    // with the token after the file it passes the check (and, signed out, is sent to log in).
    let t = csrf(&c, &a.u("/signup")).await;
    let upload = |token: Option<&str>| {
        let mut form = reqwest::multipart::Form::new()
            .text("display_name", "x")
            .part(
                "avatar",
                reqwest::multipart::Part::bytes(vec![1, 2, 3]).file_name("a.png"),
            );
        if let Some(t) = token {
            form = form.text("csrf_token", t.to_string());
        }
        c.post(a.u("/settings/profile")).multipart(form).send()
    };
    assert_eq!(upload(None).await.unwrap().status(), 403);
    assert_eq!(
        upload(Some("forged-forged-forged-forged-forged-forged"))
            .await
            .unwrap()
            .status(),
        403
    );
    let passed = upload(Some(&t)).await.unwrap();
    assert!(
        passed.status().is_redirection(),
        "the token after the file is read: {}",
        passed.status()
    );

    // The web form shows field errors and keeps what was typed.
    let t = csrf(&c, &a.u("/signup")).await;
    let r = c
        .post(a.u("/signup"))
        .form(&[
            ("csrf_token", t.as_str()),
            ("username", "ok_name"),
            ("email", "nope"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("ok_name") && html.contains("aria-invalid"));
    assert_eq!(a.sql_count("SELECT COUNT(*) AS n FROM accounts"), before);
}
