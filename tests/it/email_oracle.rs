//! Nobody learns from the forum whether an email belongs to a member (issue 13, item 1), over
//! real HTTP on SQLite and PostgreSQL. The sequence an outsider would try: apply with a fresh
//! handle and the target's email, then sign in with that handle, and with that email; with an
//! invite, apply with the target's email and see whether the invite is used up. Each step must
//! answer the same for a member's email, a waiting applicant's email and a new one. The admin
//! deciding, and only they, sees that an email is in use.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::time::Duration;

use common::smtp::Smtp;
use common::{Client, TestApp, application, code, email_of, password_of};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Everything an outsider sees of one answer: status, headers that are not per-request, body.
async fn seen(c: &Client, method: Method, path: &str, body: Value) -> (StatusCode, String, String) {
    let resp = c.request(method, path).json(&body).send().await.unwrap();
    let status = resp.status();
    let mut headers: Vec<String> = resp
        .headers()
        .iter()
        .filter(|(k, _)| {
            ![
                "date",
                "x-request-id",
                "content-length",
                "set-cookie",
                "ratelimit",
                "ratelimit-policy",
            ]
            .contains(&k.as_str())
        })
        .map(|(k, v)| format!("{k}: {}", v.to_str().unwrap_or("")))
        .collect();
    headers.sort();
    let text = resp.text().await.unwrap();
    // What differs between any two accounts (id, time joined) is not information.
    let text = match serde_json::from_str::<Value>(&text) {
        Ok(mut v) if v.get("member").is_some() => {
            for key in ["id", "joined_at"] {
                v["member"][key] = json!("<varies>");
            }
            v.to_string()
        }
        _ => text,
    };
    (status, headers.join("\n"), text)
}

/// Applies as `handle` with `email` and the password `password_of(handle)`, then tries to sign in
/// by the handle and by the email with that password, and to take the handle again. Answers what
/// each step showed, with the handle replaced so that runs with different handles compare.
async fn probe(app: &TestApp, handle: &str, email: &str, invite: Option<&str>) -> Vec<String> {
    let c = app.client();
    let mut body = application(handle, "1988-08-08");
    body["email"] = json!(email);
    if let Some(token) = invite {
        body["invite"] = json!(token);
        body["statement"] = json!("");
    }
    let mut steps = vec![seen(&c, Method::POST, "/api/applications", body).await];
    let password = password_of(handle);
    for login in [handle, email] {
        steps.push(
            seen(
                &c,
                Method::POST,
                "/api/session",
                json!({"login": login, "password": password}),
            )
            .await,
        );
        // Sign out again if that worked, so the next step starts from the same place.
        let _ = c.delete("/api/session").await;
    }
    let mut again = application(handle, "1988-08-08");
    again["email"] = json!("somebody.else@example.org");
    steps.push(seen(&c, Method::POST, "/api/applications", again).await);
    if let Some(token) = invite {
        // Is the invite used up?
        let mut reuse = application(&format!("{handle}_2"), "1988-08-08");
        reuse["invite"] = json!(token);
        reuse["statement"] = json!("");
        steps.push(seen(&c, Method::POST, "/api/applications", reuse).await);
    }
    steps
        .into_iter()
        .map(|(s, h, b)| format!("{s}\n{h}\n{b}").replace(handle, "<handle>"))
        .collect()
}

/// The admin approves `handle`'s waiting application, confirming they are an adult.
async fn approve(admin: &Client, handle: &str) -> (StatusCode, Value) {
    let id = admin.pending_application_id(handle).await;
    admin
        .post(
            &format!("/api/admin/applications/{id}/approve"),
            json!({"confirm_adult": true}),
        )
        .await
}

async fn an_application_answers_the_same_whoever_owns_the_email(app: TestApp) {
    let admin = app.admin().await;
    let (_member, _) = app.member(&admin, "known_person").await;
    // A waiting applicant's email, too.
    let c = app.client();
    let (status, body) = c
        .post(
            "/api/applications",
            application("waiting_person", "1980-01-01"),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");

    let fresh = probe(&app, "probe_fresh", "new.person@example.org", None).await;
    let member = probe(&app, "probe_member", &email_of("known_person"), None).await;
    let waiting = probe(&app, "probe_waiting", &email_of("waiting_person"), None).await;
    assert!(fresh[0].starts_with("202"), "{fresh:#?}");
    assert!(
        fresh[1].contains("application_pending"),
        "signing in by the handle says it waits: {fresh:#?}"
    );
    assert!(fresh[2].starts_with("401"), "{fresh:#?}");
    assert!(fresh[3].contains("handle_taken"), "{fresh:#?}");
    assert_eq!(fresh, member, "a member's email answers differently");
    assert_eq!(
        fresh, waiting,
        "a waiting applicant's email answers differently"
    );

    // The member's own sign-in by email is unaffected.
    let own = app.client();
    own.sign_in(&email_of("known_person"), &password_of("known_person"))
        .await;

    // The admin sees which applications cannot be approved as they are, and why.
    let (status, body) = admin.get("/api/admin/applications").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let in_use = |handle: &str| {
        body["applications"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["handle"] == handle)
            .unwrap_or_else(|| panic!("no application for {handle}: {body}"))["email_in_use"]
            .as_bool()
            .unwrap()
    };
    assert!(!in_use("probe_fresh"));
    assert!(in_use("probe_member"));
    assert!(in_use("probe_waiting") && in_use("waiting_person"));
    // Approving the duplicate of a member's email is refused with a clear reason, and changes
    // nothing; rejecting it works.
    let (status, body) = approve(&admin, "probe_member").await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "email_in_use"),
        "{body}"
    );
    let (status, body) = admin
        .post(
            &format!(
                "/api/admin/applications/{}/reject",
                admin.pending_application_id("probe_member").await
            ),
            json!({"reason": "please apply with an address of your own"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Of two applications with one email (someone pre-registered another's address), the admin
    // approves the right one: the email moves onto that account, which signs in by it; the other
    // can no longer be approved.
    let (status, body) = approve(&admin, "waiting_person").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.client()
        .sign_in(&email_of("waiting_person"), &password_of("waiting_person"))
        .await;
    let (status, body) = approve(&admin, "probe_waiting").await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "email_in_use"),
        "{body}"
    );
    // A fresh application approved signs in by its email as before.
    let (status, _) = approve(&admin, "probe_fresh").await;
    assert_eq!(status, StatusCode::OK);
    let fresh_member = app.client();
    fresh_member
        .sign_in("new.person@example.org", &password_of("probe_fresh"))
        .await;
    let (_, me) = fresh_member.get("/api/me").await;
    assert_eq!(me["member"]["email"], "new.person@example.org", "{me}");
}

async fn an_invite_is_used_up_the_same_whoever_owns_the_email(app: TestApp) {
    let admin = app.admin().await;
    app.member(&admin, "known_person").await;
    let mut invites = Vec::new();
    for _ in 0..2 {
        let (status, body) = admin
            .post("/api/admin/invites", json!({"confirm_adult": true}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        invites.push(body["token"].as_str().unwrap().to_owned());
    }
    let fresh = probe(
        &app,
        "invited_fresh",
        "invitee@example.org",
        Some(&invites[0]),
    )
    .await;
    let member = probe(
        &app,
        "invited_member",
        &email_of("known_person"),
        Some(&invites[1]),
    )
    .await;
    assert!(fresh[0].starts_with("201"), "{fresh:#?}");
    assert!(fresh[1].starts_with("200"), "{fresh:#?}");
    assert!(fresh[4].contains("invite_invalid"), "used up: {fresh:#?}");
    // Apart from the account's own email (the invitee's account has none: the one bit an invite
    // can test, documented in the README) and signing in by that email (which reaches the
    // member's account, not the invitee's), every step answers the same.
    for step in [0, 3, 4] {
        assert_eq!(fresh[step], member[step], "step {step} differs");
    }
    assert_eq!(
        fresh[1].replace("\"invitee@example.org\"", "null"),
        member[1],
        "signing in by the handle differs by more than the email"
    );
    assert!(
        fresh[2].starts_with("200") && member[2].starts_with("401"),
        "{fresh:#?} {member:#?}"
    );
    // The member keeps their email; the invitee's account has none, which the admins are told.
    let c = app.client();
    c.sign_in("invited_member", &password_of("invited_member"))
        .await;
    let (_, me) = c.get("/api/me").await;
    assert_eq!(me["member"]["email"], Value::Null, "{me}");
    app.client()
        .sign_in(&email_of("known_person"), &password_of("known_person"))
        .await;
    let (_, audit) = admin.get("/api/mod/audit").await;
    assert!(
        audit.to_string().contains("already in use"),
        "the admins are told: {audit}"
    );
}

on_both_backends!(
    an_application_answers_the_same_whoever_owns_the_email,
    an_invite_is_used_up_the_same_whoever_owns_the_email,
);

/// Where the server sends email, the address used is told, in the same neutral words whether
/// or not it belongs to a member, and without the group's name, a handle or anything written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_address_owner_is_told_discreetly() {
    let smtp = Smtp::start();
    let port = smtp.port;
    let Some(app) = TestApp::spawn_with(common::Backend::Sqlite, move |c| {
        c.smtp_url = Some(format!("smtp://127.0.0.1:{port}"))
    })
    .await
    else {
        return;
    };
    let admin = app.admin().await;
    app.member(&admin, "known_person").await;
    // Mail sent while making the member, if any, is not what this test reads.
    while smtp.next_message(Duration::from_millis(300)).is_some() {}
    let mut mails = Vec::new();
    for (handle, email) in [
        ("notice_member", email_of("known_person")),
        ("notice_fresh", "fresh.address@example.org".to_owned()),
    ] {
        let mut body = application(handle, "1988-08-08");
        body["email"] = json!(email);
        let (status, _) = app.client().post("/api/applications", body).await;
        assert_eq!(status, StatusCode::ACCEPTED);
        let mail = smtp
            .next_message(Duration::from_secs(10))
            .expect("a notice was sent");
        assert!(mail.contains(&email), "sent to the address used: {mail}");
        assert!(!mail.to_lowercase().contains("hearth"), "{mail}");
        assert!(!mail.contains(handle), "{mail}");
        assert!(!mail.to_lowercase().contains("support"), "{mail}");
        let body = mail
            .split("\r\n\r\n")
            .skip(1)
            .collect::<Vec<_>>()
            .join("\r\n\r\n");
        mails.push(body.replace(&email, "<to>"));
    }
    assert_eq!(mails[0], mails[1], "the notice says the same to everyone");
}
