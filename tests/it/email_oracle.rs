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
        .map(|(s, h, b)| {
            format!("{s}\n{h}\n{b}")
                .replace(handle, "<handle>")
                .replace(email, "<email>")
        })
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
    assert!(fresh[2].starts_with("200"), "{fresh:#?}");
    assert!(fresh[4].contains("invite_invalid"), "used up: {fresh:#?}");
    // Every step answers the same, the account's own email and signing in by it included.
    assert_eq!(
        fresh, member,
        "an invite with an email in use answers differently"
    );
    let c = app.client();
    c.sign_in(&email_of("known_person"), &password_of("invited_member"))
        .await;
    let (_, me) = c.get("/api/me").await;
    assert_eq!(me["member"]["handle"], "invited_member", "{me}");
    assert_eq!(me["member"]["email"], email_of("known_person"), "{me}");
    // The member keeps their email and their account.
    let c = app.client();
    c.sign_in(&email_of("known_person"), &password_of("known_person"))
        .await;
    let (_, me) = c.get("/api/me").await;
    assert_eq!(me["member"]["handle"], "known_person", "{me}");
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

/// Every message the test SMTP server receives until it has been quiet for a while.
fn mails(smtp: &Smtp) -> Vec<String> {
    let mut got = Vec::new();
    while let Some(mail) = smtp.next_message(Duration::from_millis(1500)) {
        got.push(mail);
    }
    got
}

/// The reset link in a reset email (quoted-printable undone), as its token.
fn reset_token(mail: &str) -> String {
    let decoded = mail.replace("=\n", "").replace("=3D", "=");
    decoded
        .split_whitespace()
        .find_map(|w| w.split("/reset?token=").nth(1))
        .unwrap_or_else(|| panic!("no link in {mail}"))
        .trim()
        .to_owned()
}

/// `GET /api/me` with what differs between any two accounts (id, time joined) and the account's
/// own handle and email replaced, so that two accounts' pages compare by shape and content.
async fn own_page(c: &Client, handle: &str, email: &str) -> Value {
    let (status, mut me) = c.get("/api/me").await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["member"]["handle"], handle, "{me}");
    assert_eq!(me["member"]["email"], email, "their own email: {me}");
    for key in ["id", "joined_at", "handle", "email"] {
        me["member"][key] = json!("<varies>");
    }
    me
}

/// Issue 13, the invite variant: an invitee whose address already belongs to another account
/// sees the same as one with a new address (their email on their own page and in their export,
/// sign-in with it and their own password, a reset email at it), and neither invitee nor member
/// can reach the other's account with their own password.
async fn an_invitee_with_an_address_in_use_is_served_like_any_other(backend: common::Backend) {
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
    app.member(&admin, "known_person").await;
    let in_use = email_of("known_person");
    let invitees = [
        ("invited_fresh", "invitee@example.org".to_owned()),
        ("invited_member", in_use.clone()),
    ];
    for (handle, email) in &invitees {
        let (status, body) = admin
            .post("/api/admin/invites", json!({"confirm_adult": true}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let mut apply = application(handle, "1988-08-08");
        apply["email"] = json!(email);
        apply["invite"] = body["token"].clone();
        apply["statement"] = json!("");
        let (status, body) = app.client().post("/api/applications", apply).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    // The application notices are not what this test reads.
    mails(&smtp);

    // The same own page, with their own email; the same export; sign-in by the email.
    let mut pages = Vec::new();
    for (handle, email) in &invitees {
        let c = app.client();
        c.sign_in(email, &password_of(handle)).await;
        pages.push(own_page(&c, handle, email).await);
        let (status, export) = c.get("/api/me/export").await;
        assert_eq!(status, StatusCode::OK, "{export}");
        assert_eq!(export["account"]["email"], json!(email), "{export}");
        // The address in use is `known_person@example.org`; nothing else of that account.
        assert!(
            !export
                .to_string()
                .replace(&in_use, "<email>")
                .contains("known_person"),
            "nothing of the other account: {export}"
        );
    }
    assert_eq!(pages[0], pages[1], "the invitees' own pages differ");

    // Neither can reach the other's account: each password opens only its own.
    let member = app.client();
    member.sign_in(&in_use, &password_of("known_person")).await;
    own_page(&member, "known_person", &in_use).await;
    for (login, password) in [
        ("known_person", password_of("invited_member")),
        ("invited_member", password_of("known_person")),
    ] {
        let (status, body) = app
            .client()
            .post(
                "/api/session",
                json!({"login": login, "password": password}),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{login}: {body}");
    }

    // A reset request answers the same, and sends the invitee's link to the address given: for
    // the address in use, one for each account (its owner already controls the member's).
    let mut answers = Vec::new();
    for (_, email) in &invitees {
        answers.push(
            app.client()
                .post("/api/password-reset", json!({"email": email}))
                .await,
        );
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0].0, StatusCode::ACCEPTED, "{:?}", answers[0]);
    let sent = mails(&smtp);
    let to = |email: &str| -> Vec<String> {
        sent.iter()
            .filter(|m| m.contains(&format!("To: {email}")))
            .map(|m| reset_token(m))
            .collect()
    };
    let fresh_links = to("invitee@example.org");
    let in_use_links = to(&in_use);
    assert_eq!(fresh_links.len(), 1, "{sent:#?}");
    assert_eq!(in_use_links.len(), 2, "one link per account: {sent:#?}");
    // Each link resets exactly one account, found again by the address and the new password.
    let mut reached = Vec::new();
    for (i, token) in fresh_links.iter().chain(&in_use_links).enumerate() {
        let new_password = format!("a-new-password-{i}-long");
        let (status, body) = app
            .client()
            .post(
                &format!("/api/password-reset/{token}"),
                json!({"new_password": new_password}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let email = if i == 0 {
            "invitee@example.org"
        } else {
            in_use.as_str()
        };
        let c = app.client();
        c.sign_in(email, &new_password).await;
        let (_, me) = c.get("/api/me").await;
        reached.push((
            me["member"]["handle"].as_str().unwrap().to_owned(),
            new_password,
        ));
    }
    assert_eq!(reached[0].0, "invited_fresh");
    let mut handles: Vec<&str> = reached[1..].iter().map(|(h, _)| h.as_str()).collect();
    handles.sort();
    assert_eq!(handles, ["invited_member", "known_person"]);

    // The invitee erases their account: the shared address goes with it, and the member's
    // account is untouched.
    let password = |handle: &str| {
        reached
            .iter()
            .find(|(h, _)| h == handle)
            .map(|(_, p)| p.clone())
            .unwrap()
    };
    let invitee = app.client();
    invitee.sign_in(&in_use, &password("invited_member")).await;
    let (status, body) = Client::send(
        invitee
            .request(Method::DELETE, "/api/me")
            .json(&json!({"password": password("invited_member"), "posts": "delete"})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = app
        .client()
        .post(
            "/api/session",
            json!({"login": in_use, "password": password("invited_member")}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let member = app.client();
    member.sign_in(&in_use, &password("known_person")).await;
    own_page(&member, "known_person", &in_use).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invitee_with_an_address_in_use_sqlite() {
    an_invitee_with_an_address_in_use_is_served_like_any_other(common::Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invitee_with_an_address_in_use_postgres() {
    an_invitee_with_an_address_in_use_is_served_like_any_other(common::Backend::Postgres).await;
}
