//! The foundation, end to end over real HTTP on SQLite and PostgreSQL: applying with the 18+
//! gate, admin decisions, signing in and out, sessions, roles and standing, invites, first run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use chrono::Duration;
use common::{Client, TestApp, application, code, email_of, password_of};
use reqwest::StatusCode;
use serde_json::json;

/// A date of birth `years` years (and a day) ago in UK terms.
fn born_years_ago(years: i32, clock: &common::TestClock) -> String {
    use chrono::Datelike;
    let today = clock.now().date_naive();
    let dob = today.with_year(today.year() - years).unwrap_or(today) + Duration::days(1);
    dob.format("%Y-%m-%d").to_string()
}

async fn under_18_is_refused_kindly_and_a_retry_is_refused_too(app: TestApp) {
    let c = app.client();
    // Turns 18 tomorrow: still 17 today.
    let dob = born_years_ago(18, &app.clock);
    let (status, body) = c
        .post("/api/applications", application("young_one", &dob))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(code(&body), "under_age");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("Childline"),
        "signposts support for young people: {message}"
    );

    // The same person tries again claiming to be older: refused the same way.
    let (status, body) = c
        .post("/api/applications", application("young_one", "1990-01-01"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(code(&body), "under_age");
    // With a different handle and the email in another case: still the same person.
    let mut again = application("other_name", "1985-01-01");
    again["email"] = json!(email_of("young_one").to_uppercase());
    let (status, body) = c.post("/api/applications", again).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::FORBIDDEN, "under_age"),
        "{body}"
    );

    // Nothing about them was stored as an account.
    let store = app.state().app.store();
    assert!(
        store
            .member_by_login(&email_of("young_one"))
            .await
            .unwrap()
            .is_none()
    );

    // After the refusal period the record is gone and an adult can apply with that email.
    app.clock.advance(Duration::days(31));
    assert_eq!(store.purge_age_refusals(app.clock.now()).await.unwrap(), 1);
    let (status, body) = c
        .post("/api/applications", application("young_one", "1990-01-01"))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
}

async fn an_adult_applies_an_admin_approves_and_the_member_signs_in_and_out(app: TestApp) {
    let admin = app.admin().await;
    let applicant = app.client();
    let (status, body) = applicant
        .post(
            "/api/applications",
            application("Hopeful_Sam", "1980-02-29"),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["status"], "pending");

    // Waiting: cannot sign in yet, and says so only with the right password.
    let (status, body) = applicant
        .post(
            "/api/session",
            json!({"login": "hopeful_sam", "password": password_of("Hopeful_Sam")}),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::FORBIDDEN, "application_pending"),
        "{body}"
    );
    let (status, body) = applicant
        .post(
            "/api/session",
            json!({"login": "hopeful_sam", "password": "wrong-password-123"}),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNAUTHORIZED, "invalid_credentials"),
        "{body}"
    );

    // The admin sees the statement; approving needs the adult confirmation.
    let (status, body) = admin.get("/api/admin/applications").await;
    assert_eq!(status, StatusCode::OK);
    let listed = body["applications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["handle"] == "Hopeful_Sam")
        .unwrap();
    assert!(listed["statement"].as_str().unwrap().contains("arrested"));
    assert!(listed.get("email").is_none() && listed.get("date_of_birth").is_none());
    let id = listed["id"].as_str().unwrap();
    let (status, body) = admin
        .post(&format!("/api/admin/applications/{id}/approve"), json!({}))
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("confirm_adult")),
        "{body}"
    );
    let (status, body) = admin
        .post(
            &format!("/api/admin/applications/{id}/approve"),
            json!({"confirm_adult": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["application"]["statement"],
        serde_json::Value::Null,
        "statement deleted once decided"
    );
    // Deciding twice is a conflict.
    let (status, body) = admin
        .post(
            &format!("/api/admin/applications/{id}/reject"),
            json!({"reason": "changed my mind"}),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "already_decided"),
        "{body}"
    );

    // The member signs in by email too; the cookie has the right flags.
    let resp = applicant
        .request(reqwest::Method::POST, "/api/session")
        .json(&json!({"email": email_of("Hopeful_Sam"), "password": password_of("Hopeful_Sam")}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let cookie = resp
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("hearth_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http in tests: {cookie}");
    let first_id = cookie.split(';').next().unwrap().to_owned();

    let (status, body) = applicant.get("/api/session").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["member"]["handle"], "Hopeful_Sam");
    assert_eq!(body["member"]["role"], "member");
    let (status, body) = applicant.get("/api/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["member"]["email"], email_of("Hopeful_Sam"));
    assert!(body["member"].get("password_hash").is_none());

    // Signing in again rotates the session id, and the old id stops working.
    let resp = applicant
        .request(reqwest::Method::POST, "/api/session")
        .json(&json!({"login": "Hopeful_Sam", "password": password_of("Hopeful_Sam")}))
        .send()
        .await
        .unwrap();
    let second = resp
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert_ne!(first_id, second, "session id rotated at sign-in");
    let stale = reqwest::Client::new()
        .get(format!("{}/api/session", app.base))
        .header("Cookie", &first_id)
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::UNAUTHORIZED);

    // Signing out ends the session, on the server too.
    let (status, _) = applicant.delete("/api/session").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = applicant.get("/api/session").await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNAUTHORIZED, "not_signed_in")
    );
    let replay = reqwest::Client::new()
        .get(format!("{}/api/session", app.base))
        .header("Cookie", &second)
        .send()
        .await
        .unwrap();
    assert_eq!(
        replay.status(),
        StatusCode::UNAUTHORIZED,
        "a signed-out session cannot be replayed"
    );

    // Every step is in the audit log.
    let (status, body) = admin.get("/api/mod/audit").await;
    assert_eq!(status, StatusCode::OK);
    let actions: Vec<_> = body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"application_approved"), "{actions:?}");
    assert!(actions.contains(&"first_admin_created"), "{actions:?}");
}

async fn a_rejected_applicant_sees_the_reason(app: TestApp) {
    let admin = app.admin().await;
    let c = app.client();
    c.post(
        "/api/applications",
        application("not_this_time", "1975-07-01"),
    )
    .await;
    let id = admin.pending_application_id("not_this_time").await;
    let (status, body) = admin
        .post(
            &format!("/api/admin/applications/{id}/reject"),
            json!({"reason": "  "}),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::BAD_REQUEST, "invalid"),
        "a reason is required"
    );
    let (status, body) = admin
        .post(
            &format!("/api/admin/applications/{id}/reject"),
            json!({"reason": "This group is for family members only."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = c
        .post(
            "/api/session",
            json!({"login": "not_this_time", "password": password_of("not_this_time")}),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::FORBIDDEN, "application_rejected"),
        "{body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("family members only")
    );
    let record = app
        .state()
        .app
        .store()
        .list_applications("rejected", 10)
        .await
        .unwrap();
    assert_eq!(record.len(), 1);
    assert_eq!(record[0].statement, None, "statement deleted once decided");
}

async fn handles_and_emails_are_checked(app: TestApp) {
    let c = app.client();
    let (status, _) = c
        .post("/api/applications", application("Quiet_Fern", "1990-01-01"))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    // Same handle in another case.
    let mut dup = application("quiet_fern", "1990-01-01");
    dup["email"] = json!("someone.else@example.org");
    let (status, body) = c.post("/api/applications", dup).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "handle_taken"),
        "{body}"
    );
    // The same email again is answered exactly like a new application (no enumeration).
    let mut same_email = application("another_fern", "1990-01-01");
    same_email["email"] = json!(email_of("Quiet_Fern"));
    let (status, body) = c.post("/api/applications", same_email).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["status"], "pending");
    // Handles that identify.
    for (handle, why) in [
        ("07700900123", "phone"),
        ("jo@example.org", "email"),
        ("janet.gmail.com", "email"),
        ("ab", "short"),
    ] {
        let (status, body) = c
            .post("/api/applications", application(handle, "1990-01-01"))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{why}: {body}");
        assert_eq!(body["error"]["field"], "handle", "{why}: {body}");
    }
    let mut weak = application("weak_pw", "1990-01-01");
    weak["password"] = json!("short");
    let (status, body) = c.post("/api/applications", weak).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("password"))
    );
    let mut no_rules = application("no_rules", "1990-01-01");
    no_rules["accept_rules"] = json!(false);
    let (status, body) = c.post("/api/applications", no_rules).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("accept_rules"))
    );
}

async fn failed_sign_ins_are_rate_limited_without_revealing_accounts(app: TestApp) {
    let admin = app.admin().await;
    let (_member, _) = app.member(&admin, "steady_oak").await;
    let c = app.client();
    // Unknown account and wrong password answer the same.
    let (s1, b1) = c
        .post(
            "/api/session",
            json!({"login": "nobody_here", "password": "whatever-password"}),
        )
        .await;
    let (s2, b2) = c
        .post(
            "/api/session",
            json!({"login": "steady_oak", "password": "whatever-password"}),
        )
        .await;
    assert_eq!((s1, &b1), (s2, &b2));
    assert_eq!(code(&b1), "invalid_credentials");
    for _ in 0..4 {
        let (s, _) = c
            .post(
                "/api/session",
                json!({"login": "steady_oak", "password": "still-wrong-pass"}),
            )
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let resp = c
        .request(reqwest::Method::POST, "/api/session")
        .json(&json!({"login": "steady_oak", "password": password_of("steady_oak")}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    let retry: u64 = resp
        .headers()
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(code(&body), "rate_limited");
    // Another account from another client is not affected by this account's limit (the
    // password is accepted; 202 because the admin's second factor is asked next)...
    let (s, _) = admin
        .post(
            "/api/session",
            json!({"login": "first_admin", "password": "admin-password-1"}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
}

async fn members_get_403_from_every_admin_and_moderator_route(app: TestApp) {
    let admin = app.admin().await;
    let (member, member_id) = app.member(&admin, "plain_member").await;
    let anon = app.client();
    let some = uuid::Uuid::new_v4();
    let routes: Vec<(reqwest::Method, String)> = vec![
        (reqwest::Method::GET, "/api/admin/applications".into()),
        (
            reqwest::Method::POST,
            format!("/api/admin/applications/{some}/approve"),
        ),
        (
            reqwest::Method::POST,
            format!("/api/admin/applications/{some}/reject"),
        ),
        (reqwest::Method::GET, "/api/admin/members".into()),
        (
            reqwest::Method::PATCH,
            format!("/api/admin/members/{member_id}"),
        ),
        (
            reqwest::Method::POST,
            format!("/api/admin/members/{member_id}/ban"),
        ),
        (
            reqwest::Method::POST,
            format!("/api/admin/members/{member_id}/reinstate"),
        ),
        (reqwest::Method::POST, "/api/admin/invites".into()),
        (
            reqwest::Method::POST,
            format!("/api/mod/members/{member_id}/suspend"),
        ),
        (reqwest::Method::GET, "/api/mod/audit".into()),
    ];
    for (method, path) in &routes {
        let body = json!({"reason": "x", "hours": 1, "confirm_adult": true, "role": "admin"});
        let (status, resp) = Client::send(member.request(method.clone(), path).json(&body)).await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "member {method} {path}: {resp}"
        );
        assert_eq!(code(&resp), "forbidden");
        let (status, _) = Client::send(anon.request(method.clone(), path).json(&body)).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "anonymous {method} {path}"
        );
    }
    // The member is still a member.
    let (_, body) = member.get("/api/session").await;
    assert_eq!(body["member"]["role"], "member");
}

async fn a_suspended_member_is_out_at_once_until_the_suspension_ends(app: TestApp) {
    let admin = app.admin().await;
    let (member, member_id) = app.member(&admin, "troubled_ash").await;
    let (status, _) = member.get("/api/me").await;
    assert_eq!(status, StatusCode::OK);

    let (status, body) = admin
        .post(
            &format!("/api/mod/members/{member_id}/suspend"),
            json!({"hours": 24, "reason": "Please take a break after the argument."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["member"]["standing"], "suspended");
    // The open session stops working at once.
    let (status, _) = member.get("/api/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = member
        .post(
            "/api/session",
            json!({"login": "troubled_ash", "password": password_of("troubled_ash")}),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::FORBIDDEN, "suspended"),
        "{body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("take a break")
    );

    // A day later it has ended by itself.
    app.clock.advance(Duration::hours(25));
    member
        .sign_in("troubled_ash", &password_of("troubled_ash"))
        .await;
    // The admin's session has (rightly) ended too after a day unused: sign in again.
    let (status, _) = admin.get("/api/session").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    admin.sign_in("first_admin", "admin-password-1").await;

    // A ban; then reinstatement.
    let (status, body) = admin
        .post(
            &format!("/api/admin/members/{member_id}/ban"),
            json!({"reason": "Threats to another member."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = member.get("/api/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = member
        .post(
            "/api/session",
            json!({"login": "troubled_ash", "password": password_of("troubled_ash")}),
        )
        .await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "banned"));
    let (status, _) = admin
        .post(
            &format!("/api/admin/members/{member_id}/reinstate"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    member
        .sign_in("troubled_ash", &password_of("troubled_ash"))
        .await;

    // Bad suspensions are refused clearly.
    let (status, body) = admin
        .post(
            &format!("/api/mod/members/{member_id}/suspend"),
            json!({"hours": 0, "reason": "x"}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("hours")),
        "{body}"
    );
    let (status, body) = admin
        .post(
            &format!("/api/mod/members/{member_id}/suspend"),
            json!({"hours": 2}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    let (_, body) = admin.get("/api/mod/audit").await;
    let actions: Vec<_> = body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    for a in ["member_suspended", "member_banned", "member_reinstated"] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
}

async fn roles_change_and_moderators_cannot_sanction_their_peers(app: TestApp) {
    let admin = app.admin().await;
    let (moderator, moderator_id) = app.member(&admin, "kind_moderator").await;
    let (_m, member_id) = app.member(&admin, "ordinary_member").await;
    let (status, body) = admin
        .patch(
            &format!("/api/admin/members/{moderator_id}"),
            json!({"role": "moderator"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["member"]["role"], "moderator");
    let (status, body) = admin
        .patch(
            &format!("/api/admin/members/{moderator_id}"),
            json!({"role": "overlord"}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("role"))
    );
    // The new role applies to the open session at once.
    let (status, _) = moderator.get("/api/mod/audit").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = moderator.get("/api/admin/members").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A moderator may suspend a member but not an admin.
    let (status, _) = moderator
        .post(
            &format!("/api/mod/members/{member_id}/suspend"),
            json!({"hours": 1, "reason": "cool off"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, me) = admin.get("/api/session").await;
    let admin_id = me["member"]["id"].as_str().unwrap();
    let (status, _) = moderator
        .post(
            &format!("/api/mod/members/{admin_id}/suspend"),
            json!({"hours": 1, "reason": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Admins cannot lock themselves out.
    let (status, _) = admin
        .post(
            &format!("/api/admin/members/{admin_id}/ban"),
            json!({"reason": "oops"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The members list shows roles, never emails.
    let (status, body) = admin.get("/api/admin/members").await;
    assert_eq!(status, StatusCode::OK);
    let text = body.to_string();
    assert!(
        text.contains("kind_moderator") && !text.contains("@example.org"),
        "{text}"
    );
}

async fn changing_the_password_ends_other_sessions(app: TestApp) {
    let admin = app.admin().await;
    let (laptop, _) = app.member(&admin, "two_devices").await;
    let phone = app.client();
    phone
        .sign_in("two_devices", &password_of("two_devices"))
        .await;
    let (status, body) = laptop
        .post(
            "/api/me/password",
            json!({"current_password": "not-the-password", "new_password": "a-brand-new-password"}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("current_password"))
    );
    let (status, body) = laptop
        .post("/api/me/password", json!({"current_password": password_of("two_devices"), "new_password": "a-brand-new-password"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["other_sessions_ended"], 1);
    let (status, _) = laptop.get("/api/me").await;
    assert_eq!(status, StatusCode::OK, "the session that changed it stays");
    let (status, _) = phone.get("/api/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the other one ended");
    let (status, _) = phone
        .post(
            "/api/session",
            json!({"login": "two_devices", "password": password_of("two_devices")}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    phone.sign_in("two_devices", "a-brand-new-password").await;
}

async fn invites_are_single_use_expire_and_still_check_age(app: TestApp) {
    let admin = app.admin().await;
    let (status, body) = admin.post("/api/admin/invites", json!({})).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("confirm_adult"))
    );
    let (status, body) = admin
        .post("/api/admin/invites", json!({"confirm_adult": true}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(body["link"].as_str().unwrap().contains("invite="));
    let token = body["token"].as_str().unwrap().to_owned();

    let c = app.client();
    // The age gate still applies to an invitee (and does not use up the invite).
    let mut young = application("invited_teen", "2015-01-01");
    young["invite"] = json!(token);
    let (status, body) = c.post("/api/applications", young).await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, "under_age"));

    let mut adult = application("invited_adult", "1970-03-03");
    adult["invite"] = json!(token);
    adult["statement"] = json!("");
    let (status, body) = c.post("/api/applications", adult).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["status"], "approved");
    c.sign_in("invited_adult", &password_of("invited_adult"))
        .await;

    let mut again = application("second_use", "1970-03-03");
    again["invite"] = json!(token);
    let (status, body) = c.post("/api/applications", again).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::FORBIDDEN, "invite_invalid"),
        "{body}"
    );

    let (_, body) = admin
        .post("/api/admin/invites", json!({"confirm_adult": true}))
        .await;
    let late = body["token"].as_str().unwrap().to_owned();
    app.clock.advance(Duration::hours(73));
    let mut expired = application("too_late", "1970-03-03");
    expired["invite"] = json!(late);
    let (status, body) = c.post("/api/applications", expired).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::FORBIDDEN, "invite_invalid"),
        "{body}"
    );
}

async fn the_first_run_link_works_once(app: TestApp) {
    let link = app.state().app.first_run_link().await.unwrap().unwrap();
    assert!(link.starts_with(&app.base), "{link}");
    let token = link.split("token=").nth(1).unwrap();
    let c = app.client();
    // The browser page is a plain form.
    let page = c
        .http
        .get(&link)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("<form") && page.contains(token));
    // A typo does not burn the token.
    let (status, _) = c.post("/api/setup", json!({"token": token, "handle": "x", "email": "a@example.org", "password": "long-enough-pw"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) = c
        .post("/api/setup", json!({"token": token, "handle": "founder", "email": "founder@example.org", "password": "long-enough-pw"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["member"]["role"], "admin");
    let (status, body) = c
        .post("/api/setup", json!({"token": token, "handle": "intruder", "email": "i@example.org", "password": "long-enough-pw"}))
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::FORBIDDEN, "setup_unavailable")
    );
    assert!(
        app.state().app.first_run_link().await.unwrap().is_none(),
        "no new link once an admin exists"
    );
    c.sign_in("founder", "long-enough-pw").await;
}

async fn bad_input_gets_clear_json_errors(app: TestApp) {
    let c = app.client();
    let cases: Vec<(serde_json::Value, &str)> = vec![
        (json!({}), "missing everything"),
        (
            json!({"handle": "a_b_c", "email": "x@example.org", "password": "long-enough-pw", "accept_rules": true}),
            "missing date",
        ),
        (
            json!({"handle": 12, "email": "x@example.org", "password": "long-enough-pw", "date_of_birth": "1990-01-01", "accept_rules": true}),
            "wrong type",
        ),
        (
            json!({"handle": "a_b_c", "email": "x@example.org", "password": "long-enough-pw", "date_of_birth": "1990-01-01", "accept_rules": "yes"}),
            "wrong type bool",
        ),
        (
            json!({"handle": "a_b_c", "email": "x@example.org", "password": "long-enough-pw", "date_of_birth": "17/05/1990", "accept_rules": true, "statement": "hi"}),
            "malformed date",
        ),
        (
            json!({"handle": "a_b_c", "email": "x@example.org", "password": "long-enough-pw", "date_of_birth": "1990-02-30", "accept_rules": true, "statement": "hi"}),
            "impossible date",
        ),
        (
            json!({"handle": "a_b_c", "email": "x@example.org", "password": "long-enough-pw", "date_of_birth": "2990-02-01", "accept_rules": true, "statement": "hi"}),
            "future date",
        ),
        (
            json!({"handle": "a_b_c", "email": "not-an-email", "password": "long-enough-pw", "date_of_birth": "1990-02-01", "accept_rules": true, "statement": "hi"}),
            "bad email",
        ),
        (json!([1, 2, 3]), "array"),
    ];
    for (body, why) in cases {
        let (status, resp) = c.post("/api/applications", body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{why}: {resp}");
        assert!(
            resp["error"]["code"].is_string() && resp["error"]["message"].is_string(),
            "{why}: {resp}"
        );
    }
    // Not JSON at all.
    let (status, resp) = Client::send(
        c.request(reqwest::Method::POST, "/api/applications")
            .header("content-type", "application/json")
            .body("{not json"),
    )
    .await;
    assert_eq!(
        (status, code(&resp)),
        (StatusCode::BAD_REQUEST, "bad_request")
    );
    let (status, resp) = Client::send(
        c.request(reqwest::Method::POST, "/api/applications")
            .body("handle=x"),
    )
    .await;
    assert_eq!(
        (status, code(&resp)),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
    );
    // Huge bodies: announced as 2 MiB, answered 413 from the header alone, before the server
    // reads (or the client finishes sending) the body.
    let (status, resp) = oversized_post(&app.base, "/api/applications", 2 * 1024 * 1024).await;
    assert_eq!((status, code(&resp)), (413, "too_large"), "{resp}");
    // A long statement within the body limit is a validation error.
    let mut long = application("long_one", "1990-01-01");
    long["statement"] = json!("y".repeat(3000));
    let (status, resp) = c.post("/api/applications", long).await;
    assert_eq!(
        (status, resp["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("statement"))
    );
    // Unknown routes, bad ids, wrong methods.
    let (status, resp) = c.get("/api/nothing-here").await;
    assert_eq!((status, code(&resp)), (StatusCode::NOT_FOUND, "not_found"));
    let admin = app.admin().await;
    let (status, resp) = admin
        .post(
            "/api/admin/applications/not-a-uuid/approve",
            json!({"confirm_adult": true}),
        )
        .await;
    assert_eq!((status, code(&resp)), (StatusCode::NOT_FOUND, "not_found"));
    let (status, resp) = admin
        .post(
            &format!("/api/admin/applications/{}/approve", uuid::Uuid::new_v4()),
            json!({"confirm_adult": true}),
        )
        .await;
    assert_eq!(
        (status, code(&resp)),
        (StatusCode::NOT_FOUND, "not_found"),
        "{resp}"
    );
    let (status, resp) = c.delete("/api/applications").await;
    assert!(status.is_client_error(), "{status}");
    assert!(resp["error"]["code"].is_string(), "{resp}");
    // Nothing was lost: the server still answers.
    let (status, _) = c.get("/healthz").await;
    assert_eq!(status, StatusCode::OK);
}

/// Sends a POST whose headers announce `length` bytes but only a little of the body, and reads
/// the answer: a raw socket, because an HTTP client would fail writing a body the server refused.
async fn oversized_post(base: &str, path: &str, length: usize) -> (u16, serde_json::Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n{{\"handle\": \""
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_end(&mut raw),
    )
    .await;
    assert!(
        read.is_ok(),
        "the server answered without waiting for the whole body"
    );
    let text = String::from_utf8_lossy(&raw);
    let status: u16 = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("");
    // The body may be chunked; take the JSON object inside it.
    let json_text = body
        .find('{')
        .zip(body.rfind('}'))
        .map_or("null", |(a, b)| &body[a..=b]);
    (
        status,
        serde_json::from_str(json_text).unwrap_or(serde_json::Value::Null),
    )
}

async fn state_changes_from_other_sites_are_refused(app: TestApp) {
    let admin = app.admin().await;
    // `Origin: null` (what a browser sends for a form on a no-referrer page) is ours only when
    // the browser says the request is same-origin; from anywhere else it is refused.
    for (site, want) in [
        ("cross-site", StatusCode::FORBIDDEN),
        ("same-site", StatusCode::FORBIDDEN),
        ("none", StatusCode::FORBIDDEN),
        ("same-origin", StatusCode::CREATED),
    ] {
        let (status, body) = Client::send(
            admin
                .http
                .post(format!("{}/api/admin/invites", app.base))
                .header("Origin", "null")
                .header("Sec-Fetch-Site", site)
                .json(&json!({"confirm_adult": true})),
        )
        .await;
        assert_eq!(status, want, "Origin: null, Sec-Fetch-Site: {site}: {body}");
    }
    // A page on another site posting with the admin's cookie.
    let (status, body) = Client::send(
        admin
            .http
            .post(format!("{}/api/admin/invites", app.base))
            .header("Origin", "https://evil.example")
            .json(&json!({"confirm_adult": true})),
    )
    .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::FORBIDDEN, "cross_origin")
    );
    // A cookie and no Origin or Referer at all.
    let (status, _) = Client::send(
        admin
            .http
            .post(format!("{}/api/admin/invites", app.base))
            .json(&json!({"confirm_adult": true})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A Referer from the site itself is accepted when Origin is absent.
    let (status, _) = Client::send(
        admin
            .http
            .post(format!("{}/api/admin/invites", app.base))
            .header("Referer", format!("{}/admin", app.base))
            .json(&json!({"confirm_adult": true})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    // Sign-in from another site is refused too (login CSRF).
    let (status, _) = Client::send(
        reqwest::Client::new()
            .post(format!("{}/api/session", app.base))
            .header("Origin", "https://evil.example")
            .json(&json!({"login": "first_admin", "password": "admin-password-1"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Reading is allowed from anywhere the cookie goes (SameSite keeps it home).
    let (status, _) = admin.get("/api/session").await;
    assert_eq!(status, StatusCode::OK);
}

async fn sessions_survive_a_restart(mut app: TestApp) {
    let admin = app.admin().await;
    let (status, _) = admin.get("/api/session").await;
    assert_eq!(status, StatusCode::OK);
    app.restart().await;
    let (status, body) = admin.get("/api/session").await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn health_and_readiness(app: TestApp) {
    let c = app.client();
    let (status, body) = c.get("/healthz").await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("ok"))
    );
    let (status, body) = c.get("/readyz").await;
    assert_eq!(
        (status, body["database"].as_str()),
        (StatusCode::OK, Some("ok"))
    );
}

/// Issue 14, item 6d: an application with several mistakes is answered with every one of them
/// at once (`fields`, while `field` and `message` stay the first, for older clients), the date
/// of birth in words a person understands; and an invite link's page can ask, before the form
/// is filled, whether its invite can still be used (yes or no only, rate limited).
async fn an_application_hears_every_problem_at_once_and_an_invite_is_checked_first(app: TestApp) {
    let c = app.client();
    let (status, body) = c
        .post(
            "/api/applications",
            json!({"handle": "x", "email": "not-an-email", "password": "short", "date_of_birth": "1980-31-01", "accept_rules": false, "statement": ""}),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::BAD_REQUEST, "invalid"),
        "{body}"
    );
    let fields = body["error"]["fields"].as_object().expect("fields");
    for f in [
        "handle",
        "email",
        "password",
        "date_of_birth",
        "accept_rules",
        "statement",
    ] {
        assert!(fields.contains_key(f), "{f} missing from {body}");
    }
    assert_eq!(body["error"]["field"], "handle", "{body}");
    assert_eq!(body["error"]["message"], fields["handle"], "{body}");
    let dob = fields["date_of_birth"].as_str().unwrap();
    assert!(dob.contains("day, month and year"), "{dob}");
    assert!(
        !dob.contains("YYYY") && !dob.contains("date_of_birth"),
        "{dob}"
    );

    let admin = app.admin().await;
    let (_, body) = admin
        .post("/api/admin/invites", json!({"confirm_adult": true}))
        .await;
    let token = body["token"].as_str().unwrap().to_owned();
    let check = |t: &str| format!("/api/invites/check?token={t}");
    let (status, body) = c.get(&check(&token)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"valid": true}));
    let (_, body) = c.get(&check("not-a-real-invite")).await;
    assert_eq!(body, json!({"valid": false}));
    let mut adult = application("invited_early", "1970-03-03");
    adult["invite"] = json!(token);
    let (status, body) = c.post("/api/applications", adult).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, body) = c.get(&check(&token)).await;
    assert_eq!(body, json!({"valid": false}), "a used invite");
    let (status, body) = c.get("/api/invites/check").await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::BAD_REQUEST, "bad_request"),
        "{body}"
    );
    // Rate limited per address, like the other checks an outsider can make.
    let mut limited = false;
    for _ in 0..40 {
        let (status, _) = c.get(&check("guess")).await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            limited = true;
            break;
        }
    }
    assert!(limited, "invite checks are rate limited");
}

on_both_backends!(
    under_18_is_refused_kindly_and_a_retry_is_refused_too,
    an_adult_applies_an_admin_approves_and_the_member_signs_in_and_out,
    a_rejected_applicant_sees_the_reason,
    handles_and_emails_are_checked,
    failed_sign_ins_are_rate_limited_without_revealing_accounts,
    members_get_403_from_every_admin_and_moderator_route,
    a_suspended_member_is_out_at_once_until_the_suspension_ends,
    roles_change_and_moderators_cannot_sanction_their_peers,
    changing_the_password_ends_other_sessions,
    invites_are_single_use_expire_and_still_check_age,
    an_application_hears_every_problem_at_once_and_an_invite_is_checked_first,
    the_first_run_link_works_once,
    bad_input_gets_clear_json_errors,
    state_changes_from_other_sites_are_refused,
    sessions_survive_a_restart,
    health_and_readiness,
);
