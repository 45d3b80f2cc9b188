//! Account recovery end to end: admin-issued reset links, and reset by email through a real
//! SMTP server this test starts (`common::smtp`, in Rust), with the discreet wording checked.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::time::Duration;

use common::smtp::Smtp;
use common::{Client, TestApp, code, email_of, password_of};
use reqwest::StatusCode;
use serde_json::json;

async fn admin_issued_links_work_once_expire_and_end_every_session(app: TestApp) {
    let admin = app.admin().await;
    let (laptop, id) = app.member(&admin, "forgot_again").await;
    let phone = app.client();
    phone
        .sign_in("forgot_again", &password_of("forgot_again"))
        .await;

    let (status, _) = laptop
        .post(&format!("/api/admin/members/{id}/reset-link"), json!({}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "members cannot issue links");
    let (status, body) = admin
        .post(&format!("/api/admin/members/{id}/reset-link"), json!({}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let link = body["link"].as_str().unwrap().to_owned();
    assert!(
        link.starts_with(&format!("{}/reset?token=", app.base)),
        "{link}"
    );
    let token = link.split("token=").nth(1).unwrap().to_owned();

    let anon = app.client();
    let (status, body) = anon
        .post(
            &format!("/api/password-reset/{token}"),
            json!({"new_password": "short"}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("new_password")),
        "a weak password does not spend the link"
    );
    let (status, body) = anon
        .post(
            &format!("/api/password-reset/{token}"),
            json!({"new_password": "a-fresh-start-123"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for c in [&laptop, &phone] {
        let (status, _) = c.get("/api/me").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "every session ended");
    }
    let (status, _) = anon
        .post(
            "/api/session",
            json!({"login": "forgot_again", "password": password_of("forgot_again")}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    anon.sign_in("forgot_again", "a-fresh-start-123").await;
    let (status, body) = anon
        .post(
            &format!("/api/password-reset/{token}"),
            json!({"new_password": "yet-another-one-123"}),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::FORBIDDEN, "reset_invalid"),
        "single use"
    );

    // A link expires.
    let (_, body) = admin
        .post(&format!("/api/admin/members/{id}/reset-link"), json!({}))
        .await;
    let late = body["link"]
        .as_str()
        .unwrap()
        .split("token=")
        .nth(1)
        .unwrap()
        .to_owned();
    app.clock.advance(chrono::Duration::hours(25));
    let (status, body) = anon
        .post(
            &format!("/api/password-reset/{late}"),
            json!({"new_password": "too-late-now-123"}),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::FORBIDDEN, "reset_invalid")
    );
    // Without email, the server says so: to the screen that asks, and to a member who asks anyway.
    let (status, body) = anon.get("/api/password-reset").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"by_email": false, "link_hours": 24}));
    let (status, body) = anon
        .post(
            "/api/password-reset",
            json!({"email": email_of("forgot_again")}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("does not send email")),
        "{body}"
    );
    // Issuing is audited.
    admin.sign_in("first_admin", "admin-password-1").await;
    let (_, audit) = admin.get("/api/mod/audit").await;
    let actions = audit.to_string();
    assert!(actions.contains("reset_link_issued") && actions.contains("password_reset"));
}

async fn the_reset_page_is_a_plain_form(app: TestApp) {
    let admin = app.admin().await;
    let (_, id) = app.member(&admin, "uses_the_form").await;
    let (_, body) = admin
        .post(&format!("/api/admin/members/{id}/reset-link"), json!({}))
        .await;
    let link = body["link"].as_str().unwrap().to_owned();
    let token = link.split("token=").nth(1).unwrap().to_owned();
    let page = reqwest::get(&link).await.unwrap().text().await.unwrap();
    assert!(page.contains("<form") && page.contains(&token));
    // Served without the web client, it still has the site's look and the quick exit.
    assert!(
        page.contains(r#"href="/plain.css""#)
            && page.contains(r#"src="/plain.js""#)
            && page.contains(r#"class="quick-exit" href="https://www.bbc.co.uk/weather""#),
        "{page}"
    );
    for (path, kind, needle) in [
        ("/plain.css", "text/css", ".quick-exit"),
        ("/plain.js", "text/javascript", "location.replace"),
    ] {
        let resp = reqwest::get(format!("{}{path}", app.base)).await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        let content_type = resp.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(content_type.starts_with(kind), "{path}: {content_type}");
        assert!(resp.text().await.unwrap().contains(needle), "{path}");
    }
    let resp = reqwest::Client::new()
        .post(format!("{}/reset", app.base))
        .header("Origin", &app.base)
        .form(&[
            ("token", token.as_str()),
            ("new_password", "from-the-form-123"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    app.client()
        .sign_in("uses_the_form", "from-the-form-123")
        .await;
}

async fn members_reset_by_a_discreet_email_and_strangers_learn_nothing(backend: common::Backend) {
    let smtp = Smtp::start();
    let port = smtp.port;
    let Some(app) = TestApp::spawn_with(backend, move |c| {
        c.smtp_url = Some(format!("smtp://127.0.0.1:{port}"))
    })
    .await
    else {
        return;
    };
    let admin = app.admin().await;
    app.member(&admin, "by_email").await;
    // Applying sent the address a neutral notice (tests/email_oracle.rs reads it): not the
    // mail this test is about.
    assert!(
        smtp.next_message(Duration::from_secs(10))
            .is_some_and(|m| m.contains("A request using your address")),
        "the application notice"
    );
    let anon = app.client();
    let (s1, b1) = anon
        .post(
            "/api/password-reset",
            json!({"email": email_of("by_email")}),
        )
        .await;
    let (s2, b2) = anon
        .post(
            "/api/password-reset",
            json!({"email": "nobody.here@example.org"}),
        )
        .await;
    assert_eq!(
        (s1, &b1),
        (s2, &b2),
        "the same answer for a known and an unknown address"
    );
    assert_eq!(s1, StatusCode::ACCEPTED);
    assert!(
        b1["message"]
            .as_str()
            .is_some_and(|m| m.contains("It works once, for 24 hours.")),
        "{b1}"
    );
    let (_, options) = anon.get("/api/password-reset").await;
    assert_eq!(options, json!({"by_email": true, "link_hours": 24}));
    let (status, body) = anon
        .post("/api/password-reset", json!({"email": "not an email"}))
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("email"))
    );

    let mail = smtp
        .next_message(Duration::from_secs(15))
        .expect("a reset email arrived");
    assert!(
        smtp.next_message(Duration::from_millis(1500)).is_none(),
        "no email for the unknown address"
    );
    let lower = mail.to_lowercase();
    assert!(mail.contains("Subject: Your requested link"), "{mail}");
    assert!(mail.contains("From: Notes <no-reply@localhost>"), "{mail}");
    assert!(
        mail.contains(&format!("To: {}", email_of("by_email"))),
        "{mail}"
    );
    for word in [
        "hearth", "forum", "support", "famil", "offen", "group", "charity", "password",
    ] {
        assert!(
            !lower.contains(word),
            "the email says nothing about what it is for ({word}): {mail}"
        );
    }
    // The body may be quoted-printable: undo soft line breaks and the escaped '='.
    let decoded = mail.replace("=\n", "").replace("=3D", "=");
    let link = decoded
        .split_whitespace()
        .find(|w| w.contains("/reset?token="))
        .expect("a link")
        .to_owned();
    let token = link.split("token=").nth(1).unwrap().trim().to_owned();
    let (status, body) = anon
        .post(
            &format!("/api/password-reset/{token}"),
            json!({"new_password": "emailed-and-new-1"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    Client::new(&app.base, true)
        .sign_in("by_email", "emailed-and-new-1")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_by_email_sqlite() {
    members_reset_by_a_discreet_email_and_strangers_learn_nothing(common::Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_by_email_postgres() {
    members_reset_by_a_discreet_email_and_strangers_learn_nothing(common::Backend::Postgres).await;
}

on_both_backends!(
    admin_issued_links_work_once_expire_and_end_every_session,
    the_reset_page_is_a_plain_form
);
