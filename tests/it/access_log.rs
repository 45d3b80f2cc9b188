//! The access log (issue 16): staff reads of held items, members' admin views, applications
//! and exports are recorded (who, what kind, which id, when; never the content), admins read
//! and filter it, and it goes after its retention.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{TestApp, code};
use reqwest::StatusCode;
use serde_json::json;

async fn staff_reads_are_recorded_without_content(app: TestApp) {
    let admin = app.admin().await;
    let admin_id = admin.get("/api/session").await.1["member"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // An application waiting, read by the admin.
    let (status, _) = app
        .client()
        .post(
            "/api/applications",
            common::application("logged_applicant", "1988-02-02"),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let application = admin.pending_application_id("logged_applicant").await;
    // A held post (a new member's first), read in the queue by a moderator.
    let (m, member_id) = app.member(&admin, "logged_member").await;
    let (_, b) = admin
        .post("/api/admin/boards", json!({"name": "Logged"}))
        .await;
    let board = b["board"]["id"].as_str().unwrap().to_owned();
    let (status, t) = m
        .post(
            &format!("/api/boards/{board}/threads"),
            json!({"title": "My first words here", "body": "A very particular sentence."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    let (moderator, moderator_id) = app.member(&admin, "logged_mod").await;
    admin
        .patch(
            &format!("/api/admin/members/{moderator_id}"),
            json!({"role": "moderator"}),
        )
        .await;
    let (status, queue) = moderator.get("/api/mod/queue").await;
    assert_eq!(status, StatusCode::OK, "{queue}");
    let item = queue["items"][0]["id"].as_str().unwrap().to_owned();
    let (status, _) = admin.get("/api/admin/members").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = admin.get("/api/me/export").await;
    assert_eq!(status, StatusCode::OK);

    let (status, log) = admin.get("/api/admin/access-log").await;
    assert_eq!(status, StatusCode::OK, "{log}");
    let entries = log["entries"].as_array().unwrap();
    let has = |actor: &str, kind: &str, id: &str| {
        entries
            .iter()
            .any(|e| e["actor_id"] == actor && e["kind"] == kind && e["target_id"] == id)
    };
    assert!(has(&admin_id, "application", &application), "{log}");
    assert!(has(&moderator_id, "held_item", &item), "{log}");
    assert!(has(&admin_id, "member", &member_id), "{log}");
    assert!(has(&admin_id, "export", &admin_id), "{log}");
    // Never the content: no words, no handles, no statement.
    let text = log.to_string();
    for words in [
        "particular sentence",
        "logged_member",
        "arrested",
        "My first words",
    ] {
        assert!(!text.contains(words), "{words} in {text}");
    }
    // Filters.
    let (_, mine) = admin
        .get(&format!("/api/admin/access-log?actor={moderator_id}"))
        .await;
    let mine = mine["entries"].as_array().unwrap();
    assert!(!mine.is_empty() && mine.iter().all(|e| e["actor_id"] == moderator_id.as_str()));
    let (_, kinds) = admin.get("/api/admin/access-log?kind=application").await;
    assert!(
        kinds["entries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["kind"] == "application")
    );
    let (status, body) = admin.get("/api/admin/access-log?kind=posts").await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::BAD_REQUEST, "invalid"),
        "{body}"
    );
    let (status, body) = admin.get("/api/admin/access-log?actor=nope").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    // Admins only.
    let (status, body) = moderator.get("/api/admin/access-log").await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::FORBIDDEN, "forbidden"),
        "{body}"
    );

    // Kept for access_log_retention_days (365 by default), then gone.
    app.clock.advance(chrono::Duration::days(366));
    app.state().app.enforce_retention().await.unwrap();
    admin.sign_in("first_admin", "admin-password-1").await;
    let (status, log) = admin.get("/api/admin/access-log").await;
    assert_eq!(status, StatusCode::OK, "{log}");
    assert_eq!(log["entries"], json!([]), "{log}");
}

on_both_backends!(staff_reads_are_recorded_without_content);
