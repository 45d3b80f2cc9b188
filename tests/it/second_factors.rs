//! Second factors (issue 16): enrolling an authenticator app, signing in with it or with a
//! recovery code, wrong and replayed codes refused and rate limited, and staff without a factor
//! held to the enrolment page. Codes are computed here from the secret the server showed, by
//! the test server's own clock.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::factors::{code_at, now_at};
use common::{Client, TestApp, code, password_of};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Begins and confirms an authenticator app on `c` (a strict client), answering the secret and
/// the recovery codes, without the harness's registry.
async fn enrol_by_hand(app: &TestApp, c: &Client) -> (String, Vec<String>) {
    let (status, begun) = c.post("/api/me/factors/totp", json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{begun}");
    let secret = begun["secret"].as_str().unwrap().to_owned();
    assert!(
        begun["otpauth_url"]
            .as_str()
            .unwrap()
            .starts_with("otpauth://totp/Hearth:"),
        "{begun}"
    );
    let svg = begun["qr_svg"].as_str().unwrap();
    assert!(svg.contains("<svg") && !svg.contains("<script"), "{svg}");
    // A wrong code does not finish it.
    let (status, body) = c
        .post("/api/me/factors/totp/confirm", json!({"code": "000000"}))
        .await;
    let wrong = code_at(&secret, now_at(&app.base)) == "000000";
    if !wrong {
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(code(&body), "invalid_code");
    }
    let (status, done) = c
        .post(
            "/api/me/factors/totp/confirm",
            json!({"code": code_at(&secret, now_at(&app.base))}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    let codes: Vec<String> = done["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 10);
    (secret, codes)
}

async fn password_step(c: &Client, login: &str) -> (StatusCode, Value) {
    c.post(
        "/api/session",
        json!({"login": login, "password": password_of(login)}),
    )
    .await
}

async fn member_signs_in_with_totp_and_recovery_codes(app: TestApp) {
    let admin = app.admin().await;
    let (m, _) = app.member(&admin, "two_step_member").await;
    let m = m.strict();
    let (status, before) = m.get("/api/me/factors").await;
    assert_eq!(status, StatusCode::OK, "{before}");
    assert_eq!(before["factors"], json!([]));
    assert_eq!(before["required"], false);

    let (secret, recovery) = enrol_by_hand(&app, &m).await;
    // The secret is never shown again.
    let (_, after) = m.get("/api/me/factors").await;
    assert_eq!(after["factors"].as_array().unwrap().len(), 1, "{after}");
    assert_eq!(after["recovery_codes_left"], 10);
    assert!(!after.to_string().contains(&secret));

    // Sign in again: the password alone reaches nothing.
    let c = app.client().strict();
    let (status, body) = password_step(&c, "two_step_member").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["status"], "second_factor_required");
    let (status, _) = c.get("/api/session").await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a pending sign-in is not signed in"
    );
    let (status, _) = c.get("/api/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let socket = common::ws::Ws::try_open(&app.base, c.cookie().as_deref()).await;
    assert!(socket.is_err(), "a pending sign-in opens no socket");
    // A wrong code, then neither or both of the fields.
    let (status, body) = c
        .post("/api/session/second-factor", json!({"code": "12345x"}))
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::FORBIDDEN, "invalid_code"),
        "{body}"
    );
    let (status, body) = c.post("/api/session/second-factor", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    // The code the app shows now (the step after the one enrolment spent).
    app.clock.advance(chrono::Duration::seconds(30));
    let good = code_at(&secret, now_at(&app.base));
    let (status, body) = c
        .post("/api/session/second-factor", json!({"code": good}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["member"]["handle"], "two_step_member");
    let (status, _) = c.get("/api/session").await;
    assert_eq!(status, StatusCode::OK);

    // The same code again, from another browser: a replay, refused.
    let other = app.client().strict();
    let (status, _) = password_step(&other, "two_step_member").await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (status, body) = other
        .post("/api/session/second-factor", json!({"code": good}))
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::FORBIDDEN, "invalid_code"),
        "{body}"
    );
    // A recovery code works, typed loosely, once.
    let loose = recovery[3].to_uppercase().replace('-', " ");
    let (status, body) = other
        .post(
            "/api/session/second-factor",
            json!({"recovery_code": loose}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let third = app.client().strict();
    let (status, _) = password_step(&third, "two_step_member").await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (status, body) = third
        .post(
            "/api/session/second-factor",
            json!({"recovery_code": recovery[3]}),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::FORBIDDEN, "invalid_code"),
        "{body}"
    );
    let (_, left) = m.get("/api/me/factors").await;
    assert_eq!(left["recovery_codes_left"], 9, "{left}");

    // A pending sign-in lapses after five minutes.
    app.clock.advance(chrono::Duration::minutes(6));
    let (status, body) = third
        .post(
            "/api/session/second-factor",
            json!({"code": code_at(&secret, now_at(&app.base))}),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::FORBIDDEN, "no_pending_sign_in"),
        "{body}"
    );
}

async fn wrong_codes_count_against_the_sign_in_limits(app: TestApp) {
    let admin = app.admin().await;
    let (m, _) = app.member(&admin, "guessed_member").await;
    let (secret, _) = enrol_by_hand(&app, &m.strict()).await;
    let c = app.client().strict();
    let (status, _) = password_step(&c, "guessed_member").await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let right = code_at(&secret, now_at(&app.base) + 30);
    let mut limited = false;
    for i in 0..40 {
        let guess = format!("{:06}", (i * 7919) % 1_000_000);
        if guess == right {
            continue;
        }
        let (status, body) = c
            .post("/api/session/second-factor", json!({"code": guess}))
            .await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            limited = true;
            assert!(i >= 3, "limited after only {i} guesses");
            break;
        }
        assert_eq!(code(&body), "invalid_code", "{body}");
    }
    assert!(limited, "40 wrong codes were never rate limited");
    // Even the right code waits now: the limit is on the account, not on being wrong.
    let (status, _) = c
        .post("/api/session/second-factor", json!({"code": right}))
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

async fn staff_without_a_factor_reach_only_enrolment(app: TestApp) {
    let admin = app.admin().await;
    let (m, id) = app.member(&admin, "new_moderator").await;
    // A strict admin client: the harness does not enrol the new moderator.
    let (status, body) = admin
        .strict()
        .patch(
            &format!("/api/admin/members/{id}"),
            json!({"role": "moderator"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let m = m.strict();
    let (status, body) = m.get("/api/mod/queue").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(code(&body), "second_factor_required");
    let (_, session) = m.get("/api/session").await;
    assert_eq!(
        session["member"]["second_factor_required"], true,
        "{session}"
    );
    assert_eq!(session["member"]["role"], "member", "{session}");
    // Member pages work; staff socket topics are refused with the same code.
    let (status, _) = m.get("/api/boards").await;
    assert_eq!(status, StatusCode::OK);
    let mut ws = m.socket().await;
    let frames = ws.subscribe(json!(["modqueue"]), json!({})).await;
    assert!(
        frames
            .iter()
            .any(|f| f["type"] == "error" && f["code"] == "second_factor_required"),
        "{frames:?}"
    );
    // Signing in again changes nothing.
    let again = app.client().strict();
    again
        .sign_in("new_moderator", &password_of("new_moderator"))
        .await;
    let (status, body) = again.get("/api/mod/queue").await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::FORBIDDEN, "second_factor_required")
    );
    // Enrolment is reachable, and then everything is.
    common::factors::enrol(&m).await;
    let (status, body) = m.get("/api/mod/queue").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let frames = ws.subscribe(json!(["modqueue"]), json!({})).await;
    assert!(!frames.iter().any(|f| f["type"] == "error"), "{frames:?}");
    let (_, session) = m.get("/api/session").await;
    assert_eq!(session["member"]["role"], "moderator", "{session}");
}

async fn optional_lets_staff_in_without_a_factor(app: TestApp) {
    drop(app);
    let Some(app) = TestApp::spawn_with(common::Backend::Sqlite, |c| {
        c.staff_second_factor = hearth_app::factors::StaffSecondFactor::Optional;
    })
    .await
    else {
        return;
    };
    let link = app.state().app.first_run_link().await.unwrap().unwrap();
    let token = link.split("token=").nth(1).unwrap().to_owned();
    let c = app.client().strict();
    let (status, body) = c
        .post("/api/setup", json!({"token": token, "handle": "first_admin", "email": "admin@example.org", "password": "admin-password-1"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    c.sign_in("first_admin", "admin-password-1").await;
    let (status, body) = c.get("/api/mod/queue").await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// A staff member who lost their phone, with no admin left: the server's command line removes
/// their factors; their sessions end and they enrol again. A password reset never does this.
async fn the_command_line_resets_factors(app: TestApp) {
    let admin = app.admin().await;
    // A moderator (the harness enrols their app when they are promoted).
    let (_, id) = app.member(&admin, "phone_lost_mod").await;
    let (status, body) = admin
        .patch(
            &format!("/api/admin/members/{id}"),
            json!({"role": "moderator"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // A password reset link sets a password only: the factor stays.
    let (status, link) = admin
        .post(&format!("/api/admin/members/{id}/reset-link"), json!({}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{link}");
    let token = link["link"]
        .as_str()
        .unwrap()
        .split("token=")
        .nth(1)
        .unwrap()
        .to_owned();
    let (status, body) = app
        .client()
        .post(
            &format!("/api/password-reset/{token}"),
            json!({"new_password": password_of("phone_lost_mod")}),
        )
        .await;
    assert!(status.is_success(), "{body}");
    let (status, _) = password_step(&app.client().strict(), "phone_lost_mod").await;
    assert_eq!(
        status,
        StatusCode::ACCEPTED,
        "the factor survives a password reset"
    );
    let moderator = app.client();
    moderator
        .sign_in("phone_lost_mod", &password_of("phone_lost_mod"))
        .await;

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hearth"))
        .args(["admin", "reset-factors", "--handle", "phone_lost_mod"])
        .env("DATABASE_URL", &app.db.url)
        .env_remove("REDIS_URL")
        .env("HEARTH_CONFIG", "")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 second factor"));
    // Their session ended; signing in needs the password only, and staff pages wait for a
    // new factor.
    let (status, _) = moderator.get_plain("/api/session").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let again = app.client().strict();
    let (status, body) = password_step(&again, "phone_lost_mod").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = again.get("/api/mod/queue").await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::FORBIDDEN, "second_factor_required")
    );
    let (_, audit) = admin.get("/api/mod/audit").await;
    assert!(audit.to_string().contains("factors_reset"), "{audit}");
}

/// Step-up: sensitive actions need a confirmation in the last ten minutes (by the app's
/// clock): a second factor, or the password for members without one. Signing in counts.
async fn sensitive_actions_need_a_fresh_confirmation(app: TestApp) {
    let admin = app.admin().await;
    let (m, _) = app.member(&admin, "careful_member").await;
    let m = m.strict();
    let (status, body) = m.get("/api/me/export").await;
    assert_eq!(
        status,
        StatusCode::OK,
        "signing in is a confirmation: {body}"
    );
    app.clock.advance(chrono::Duration::minutes(11));
    let (status, body) = m.get("/api/me/export").await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::FORBIDDEN, "reauth_required"),
        "{body}"
    );
    // Everyday things go on without asking.
    let (status, _) = m.get("/api/boards").await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = m
        .post("/api/me/confirm", json!({"password": "not my password"}))
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::FORBIDDEN, "invalid_password"),
        "{body}"
    );
    let (status, body) = m
        .post(
            "/api/me/confirm",
            json!({"password": password_of("careful_member")}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = m.get("/api/me/export").await;
    assert_eq!(status, StatusCode::OK);
    // Ten minutes later it asks again.
    app.clock
        .advance(chrono::Duration::minutes(10) + chrono::Duration::seconds(5));
    let (status, body) = m.get("/api/me/export").await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::FORBIDDEN, "reauth_required"),
        "{body}"
    );

    // Staff (with a factor): the password is not enough; a code is.
    let a = admin.strict();
    let (_, target) = app.member(&admin, "to_be_suspended").await;
    app.clock.advance(chrono::Duration::minutes(11));
    let suspend = format!("/api/mod/members/{target}/suspend");
    let why = json!({"hours": 24, "reason": "A pause to cool down."});
    let (status, body) = a.post(&suspend, why.clone()).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::FORBIDDEN, "reauth_required"),
        "{body}"
    );
    let (status, body) = a.post("/api/admin/rules/reload", json!({})).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::FORBIDDEN, "reauth_required"),
        "{body}"
    );
    let (status, body) = a
        .post("/api/me/confirm", json!({"password": "admin-password-1"}))
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::FORBIDDEN, "factor_needed"),
        "{body}"
    );
    let code_now = common::factors::next_code(&app.base, "first_admin").unwrap();
    let (status, body) = a.post("/api/me/confirm", json!({"code": code_now})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = a.post(&suspend, why).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The same code cannot confirm twice.
    let (status, body) = a.post("/api/me/confirm", json!({"code": code_now})).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::FORBIDDEN, "invalid_code"),
        "{body}"
    );
}

/// An admin resets a staff member's factors: with their own step-up, never their own, audited,
/// and the person is notified and signed out.
async fn an_admin_resets_anothers_factors_with_step_up(app: TestApp) {
    let admin = app.admin().await;
    let (_, id) = app.member(&admin, "careless_mod").await;
    admin
        .patch(
            &format!("/api/admin/members/{id}"),
            json!({"role": "moderator"}),
        )
        .await;
    let moderator = app.client();
    moderator
        .sign_in("careless_mod", &password_of("careless_mod"))
        .await;
    let a = admin.strict();
    app.clock.advance(chrono::Duration::minutes(11));
    let reset = format!("/api/admin/members/{id}/reset-factors");
    let (status, body) = a.post(&reset, json!({})).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::FORBIDDEN, "reauth_required"),
        "{body}"
    );
    let (status, body) = a.confirm().await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = a.post(&reset, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["removed"], 1);
    // Not one's own; not for a moderator.
    let me = a.get("/api/session").await.1["member"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _) = a
        .post(&format!("/api/admin/members/{me}/reset-factors"), json!({}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The moderator was signed out; signing in asks for no code now, and staff pages wait.
    let (status, _) = moderator.get_plain("/api/session").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let again = app.client().strict();
    let (status, _) = password_step(&again, "careless_mod").await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = again.get("/api/mod/queue").await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::FORBIDDEN, "second_factor_required")
    );
    let (_, notes) = again.get("/api/notifications").await;
    assert!(notes.to_string().contains("factors_reset"), "{notes}");
    let (_, audit) = admin.get("/api/mod/audit").await;
    assert!(audit.to_string().contains("factors_reset"), "{audit}");
}

on_both_backends!(
    an_admin_resets_anothers_factors_with_step_up,
    sensitive_actions_need_a_fresh_confirmation,
    the_command_line_resets_factors,
    member_signs_in_with_totp_and_recovery_codes,
    wrong_codes_count_against_the_sign_in_limits,
    staff_without_a_factor_reach_only_enrolment,
);

/// Staff sessions can be shorter than members' (`staff_session_idle_minutes`,
/// `staff_session_max_hours`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_sessions_can_be_shorter() {
    let Some(app) = TestApp::spawn_with(common::Backend::Sqlite, |c| {
        c.staff_session_idle_minutes = Some(30);
        c.staff_session_max_hours = Some(2);
    })
    .await
    else {
        return;
    };
    let admin = app.admin().await;
    let (member, _) = app.member(&admin, "unhurried_member").await;
    app.clock.advance(chrono::Duration::minutes(29));
    assert_eq!(admin.get("/api/session").await.0, StatusCode::OK);
    app.clock.advance(chrono::Duration::minutes(29));
    assert_eq!(
        admin.get("/api/session").await.0,
        StatusCode::OK,
        "used: slid on"
    );
    app.clock.advance(chrono::Duration::minutes(31));
    assert_eq!(
        admin.get_plain("/api/session").await.0,
        StatusCode::UNAUTHORIZED,
        "31 minutes unused ends a staff session"
    );
    assert_eq!(
        member.get("/api/session").await.0,
        StatusCode::OK,
        "a member's lasts session_idle_minutes (120)"
    );
    // However active, a staff session ends after staff_session_max_hours.
    admin.sign_in("first_admin", "admin-password-1").await;
    for _ in 0..4 {
        app.clock.advance(chrono::Duration::minutes(25));
        assert_eq!(admin.get("/api/session").await.0, StatusCode::OK);
    }
    app.clock.advance(chrono::Duration::minutes(25));
    assert_eq!(
        admin.get_plain("/api/session").await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn optional_setting() {
    if let Some(app) = TestApp::spawn(common::Backend::Sqlite).await {
        optional_lets_staff_in_without_a_factor(app).await;
    }
}
