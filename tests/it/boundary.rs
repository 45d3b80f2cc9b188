//! What the HTTP and socket boundary refuses before any use case runs (issue 13, findings 8
//! and 9): a NUL character anywhere (body, path, query, chat frame) is a clear 400 on both
//! databases, never a 500; a wrong method is 405 with `Allow` and the JSON error.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{Client, TestApp, application, code};
use reqwest::StatusCode;
use serde_json::json;

async fn a_nul_anywhere_is_a_clear_400_never_a_500(app: TestApp) {
    let admin = app.admin().await;
    let (_, b) = admin
        .post("/api/admin/boards", json!({"name": "Siblings"}))
        .await;
    let board = b["board"]["id"].as_str().unwrap().to_owned();
    let (_, t) = admin
        .post(
            &format!("/api/boards/{board}/threads"),
            json!({"title": "Hello", "body": "A first post."}),
        )
        .await;
    let thread = t["thread"]["id"].as_str().unwrap().to_owned();
    let post = t["post"]["id"].as_str().unwrap().to_owned();
    let outsider = Client::new(&app.base, true);
    let mut app_body = application("nul_applicant", "1980-01-01");
    app_body["statement"] = json!("My brother\u{0}was arrested.");
    let mut app_email = application("nul_applicant2", "1980-01-01");
    app_email["email"] = json!("nul\u{0}@example.org");

    let cases: Vec<(
        &str,
        &Client,
        reqwest::Method,
        String,
        Option<serde_json::Value>,
    )> = vec![
        (
            "a reply body",
            &admin,
            reqwest::Method::POST,
            format!("/api/threads/{thread}/posts"),
            Some(json!({"body": "bo\u{0}dy"})),
        ),
        (
            "a content warning",
            &admin,
            reqwest::Method::POST,
            format!("/api/threads/{thread}/posts"),
            Some(json!({"body": "fine", "content_warning": "c\u{0}w"})),
        ),
        (
            "a thread title",
            &admin,
            reqwest::Method::POST,
            format!("/api/boards/{board}/threads"),
            Some(json!({"title": "t\u{0}", "body": "fine"})),
        ),
        (
            "an edit",
            &admin,
            reqwest::Method::PATCH,
            format!("/api/posts/{post}"),
            Some(json!({"body": "edited\u{0}"})),
        ),
        (
            "a sign-in login, signed out",
            &outsider,
            reqwest::Method::POST,
            "/api/session".to_owned(),
            Some(json!({"login": "bo\u{0}b", "password": "whatever-password"})),
        ),
        (
            "an application's statement",
            &outsider,
            reqwest::Method::POST,
            "/api/applications".to_owned(),
            Some(app_body),
        ),
        (
            "an application's email",
            &outsider,
            reqwest::Method::POST,
            "/api/applications".to_owned(),
            Some(app_email),
        ),
        (
            "a key in the body",
            &admin,
            reqwest::Method::POST,
            format!("/api/threads/{thread}/posts"),
            Some(json!({"body": "fine", "x\u{0}": 1})),
        ),
        (
            "a path segment",
            &admin,
            reqwest::Method::GET,
            "/api/members/bo%00b".to_owned(),
            None,
        ),
        (
            "a path segment, signed out",
            &outsider,
            reqwest::Method::GET,
            "/api/members/bo%00b".to_owned(),
            None,
        ),
        (
            "a query",
            &admin,
            reqwest::Method::GET,
            "/api/search?q=a%00b".to_owned(),
            None,
        ),
    ];
    for (what, client, method, path, body) in cases {
        let mut rb = client.request(method, &path);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let (status, answer) = Client::send(rb).await;
        assert_eq!(
            (status, code(&answer)),
            (StatusCode::BAD_REQUEST, "invalid_text"),
            "{what}: {answer}"
        );
        assert!(
            answer["error"]["message"].as_str().unwrap().contains("NUL"),
            "{what}"
        );
    }

    // A chat message with a NUL gets an error frame; the socket stays open and usable.
    let (_, r) = admin
        .post("/api/admin/rooms", json!({"name": "Evening"}))
        .await;
    let room = r["room"]["id"].as_str().unwrap().to_owned();
    let mut ws = admin.socket().await;
    ws.subscribe(json!([format!("room:{room}")]), json!({}))
        .await;
    ws.send(json!({"type": "say", "room": room, "body": "hi\u{0}there", "client_id": uuid::Uuid::new_v4()}))
        .await;
    let err = ws.expect("an error frame", |v| v["type"] == "error").await;
    assert_eq!(err["code"], "bad_message", "{err}");
    ws.send(
        json!({"type": "say", "room": room, "body": "hi there", "client_id": uuid::Uuid::new_v4()}),
    )
    .await;
    let ack = ws.expect("an ack", |v| v["type"] == "ack").await;
    assert_eq!(ack["status"], "published", "{ack}");
}

async fn a_wrong_method_is_405_with_allow(app: TestApp) {
    let c = Client::new(&app.base, true);
    let (status, body) = Client::send(c.request(reqwest::Method::PUT, "/api/session")).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
        "{body}"
    );
    let res = c
        .request(reqwest::Method::PUT, "/api/session")
        .send()
        .await
        .unwrap();
    let allow = res
        .headers()
        .get("allow")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert!(
        allow.contains("GET") && allow.contains("POST") && allow.contains("DELETE"),
        "Allow: {allow:?}"
    );
}

/// Without a configured token, `/metrics` is off; the pages that carry a token are not cached.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_off_unless_configured_and_token_pages_are_not_stored() {
    let Some(app) = TestApp::spawn_with(common::Backend::Sqlite, |c| c.metrics_token = None).await
    else {
        return;
    };
    let c = Client::new(&app.base, true);
    let res = c
        .http
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    for page in ["/reset?token=abc", "/setup?token=abc"] {
        let res = c
            .http
            .get(format!("{}{page}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.headers()
                .get("cache-control")
                .map(|v| v.to_str().unwrap()),
            Some("no-store"),
            "{page}"
        );
    }
    // The setup token is checked before anything else (and before any password hash): a
    // wrong token with a bad handle is refused for the token, not the handle.
    let (status, body) = c
        .post(
            "/api/setup",
            json!({"token": "not-the-token", "handle": "x", "email": "x@example.org", "password": "long-enough-password"}),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::FORBIDDEN, "setup_unavailable"),
        "{body}"
    );
    // A short token is a configuration error with the key named, never a weak lock.
    let mut bad = common::test_config("sqlite::memory:");
    bad.metrics_token = Some("short".to_owned());
    let err = bad.validate().unwrap_err().to_string();
    assert!(err.contains("metrics_token"), "{err}");
}

on_both_backends!(
    a_nul_anywhere_is_a_clear_400_never_a_500,
    a_wrong_method_is_405_with_allow,
);
