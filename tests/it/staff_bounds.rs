//! Issue 11 (F6 to F9), end to end over real HTTP on SQLite and PostgreSQL: what staff may do
//! to whose standing, who has a profile, what the moderators' audit log shows, and sessions
//! that slide while in use.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use chrono::Duration;
use common::{Client, TestApp, application, code, password_of};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Makes the member `id` a moderator.
async fn promote(admin: &Client, id: &str) {
    let (status, body) = admin
        .patch(
            &format!("/api/admin/members/{id}"),
            json!({"role": "moderator"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// A moderator: a member the admin has promoted; answers their client and id.
async fn new_moderator(app: &TestApp, admin: &Client, handle: &str) -> (Client, String) {
    let (c, id) = app.member(admin, handle).await;
    promote(admin, &id).await;
    (c, id)
}

/// Someone who has applied and is waiting; answers their member id (as anyone who learnt it,
/// from a log line or a careless screenshot, would have it).
async fn applicant(app: &TestApp, handle: &str) -> String {
    let (status, body) = app
        .client()
        .post("/api/applications", application(handle, "1990-05-17"))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    member_id(app, handle).await
}

async fn member_id(app: &TestApp, handle: &str) -> String {
    app.state()
        .app
        .store()
        .member_by_handle(handle)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no account {handle}"))
        .id
        .to_string()
}

/// An applicant the admin turned away, with a reason; answers their member id.
async fn rejected(app: &TestApp, admin: &Client, handle: &str, reason: &str) -> String {
    let id = applicant(app, handle).await;
    let app_id = admin.pending_application_id(handle).await;
    let (status, body) = admin
        .post(
            &format!("/api/admin/applications/{app_id}/reject"),
            json!({"reason": reason}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    id
}

/// A member the admin banned; answers their client (signed out by the ban) and id.
async fn banned(app: &TestApp, admin: &Client, handle: &str) -> (Client, String) {
    let (c, id) = app.member(admin, handle).await;
    let (status, body) = admin
        .post(
            &format!("/api/admin/members/{id}/ban"),
            json!({"reason": "Threats to another member."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (c, id)
}

async fn suspend(c: &Client, id: &str, body: Value) -> (StatusCode, Value) {
    c.post(&format!("/api/mod/members/{id}/suspend"), body)
        .await
}

/// A suspension ending `seconds` from the app's now.
fn for_seconds(app: &TestApp, seconds: i64) -> Value {
    json!({
        "until": (app.clock.now() + Duration::seconds(seconds)).to_rfc3339(),
        "reason": "cool off",
    })
}

/// The error code of a sign-in attempt by `handle` (or "ok").
async fn sign_in_outcome(app: &TestApp, handle: &str) -> String {
    let (status, body) = app
        .client()
        .post(
            "/api/session",
            json!({"login": handle, "password": password_of(handle)}),
        )
        .await;
    // 202: the password was right and the second factor is asked next (staff have one).
    if status == StatusCode::OK || status == StatusCode::ACCEPTED {
        "ok".to_owned()
    } else {
        code(&body).to_owned()
    }
}

// F6 ---------------------------------------------------------------------------------------

async fn a_moderator_cannot_lift_a_ban_or_admit_an_applicant_with_a_short_suspension(app: TestApp) {
    let admin = app.admin().await;
    let (moderator, _) = new_moderator(&app, &admin, "mod_morgan").await;
    let (_, banned_id) = banned(&app, &admin, "banned_bo").await;
    let pending_id = applicant(&app, "pending_pip").await;
    let rejected_id = rejected(&app, &admin, "turned_away_tam", "Not the right group.").await;

    for (id, handle, refused) in [
        (&banned_id, "banned_bo", "banned"),
        (&pending_id, "pending_pip", "application_pending"),
        (&rejected_id, "turned_away_tam", "application_rejected"),
    ] {
        let (status, body) = suspend(&moderator, id, for_seconds(&app, 3)).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::CONFLICT, "standing_forbids"),
            "{handle}: {body}"
        );
        // The message does not tell a moderator how the account stands.
        let message = body["error"]["message"].as_str().unwrap();
        for word in ["pending", "rejected", "banned"] {
            assert!(!message.contains(word), "{message}");
        }
        assert_eq!(sign_in_outcome(&app, handle).await, refused);
    }
    // Well after the three seconds, nothing has lapsed into "active".
    app.clock.advance(Duration::minutes(5));
    for (handle, refused) in [
        ("banned_bo", "banned"),
        ("pending_pip", "application_pending"),
        ("turned_away_tam", "application_rejected"),
    ] {
        assert_eq!(sign_in_outcome(&app, handle).await, refused, "{handle}");
    }
    // The applicant still waits for an admin's 18+ confirmation.
    admin.pending_application_id("pending_pip").await;
    // An admin cannot turn a ban into a suspension either: a ban is lifted by reinstating.
    let (status, body) = suspend(&admin, &banned_id, for_seconds(&app, 3)).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "standing_forbids"),
        "{body}"
    );
    // Nor ban an applicant (a reinstatement would then let them in unchecked).
    let (status, body) = admin
        .post(
            &format!("/api/admin/members/{pending_id}/ban"),
            json!({"reason": "x"}),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "standing_forbids"),
        "{body}"
    );
    // Nor make an applicant staff before anyone has let them in.
    let (status, body) = admin
        .patch(
            &format!("/api/admin/members/{pending_id}"),
            json!({"role": "admin"}),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "standing_forbids"),
        "{body}"
    );
    let (status, body) = admin
        .post(
            &format!("/api/admin/members/{pending_id}/reinstate"),
            json!({}),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "not_sanctioned"),
        "{body}"
    );
    assert_eq!(
        sign_in_outcome(&app, "pending_pip").await,
        "application_pending"
    );
    let (status, _) = admin
        .post(
            &format!("/api/admin/members/{banned_id}/reinstate"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(sign_in_outcome(&app, "banned_bo").await, "ok");
}

async fn a_moderator_suspends_active_members_only(app: TestApp) {
    let admin = app.admin().await;
    let (moderator, moderator_id) = new_moderator(&app, &admin, "mod_mel").await;
    let (_, peer_id) = new_moderator(&app, &admin, "mod_pat").await;
    let (_, member_id) = app.member(&admin, "member_max").await;
    let admin_id = member_id_of(&admin).await;

    // Peers, admins and oneself: a matter of rank (403), whatever the body says.
    for (id, who) in [
        (&peer_id, "another moderator"),
        (&admin_id, "an admin"),
        (&moderator_id, "themselves"),
    ] {
        let (status, body) = suspend(&moderator, id, json!({"hours": 1, "reason": "x"})).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::FORBIDDEN, "forbidden"),
            "{who}: {body}"
        );
    }
    assert_eq!(sign_in_outcome(&app, "mod_pat").await, "ok");
    // Nor does an admin suspend themselves, or step down to member by their own hand.
    let (status, _) = suspend(&admin, &admin_id, json!({"hours": 1, "reason": "x"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = admin
        .patch(
            &format!("/api/admin/members/{admin_id}"),
            json!({"role": "member"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Careless times: none, in the past, zero hours.
    for body in [
        for_seconds(&app, 0),
        for_seconds(&app, -60),
        json!({"hours": 0, "reason": "x"}),
        json!({"hours": -1, "reason": "x"}),
    ] {
        let (status, b) = suspend(&moderator, &member_id, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {b}");
    }
    assert_eq!(sign_in_outcome(&app, "member_max").await, "ok");

    // An admin suspends for two days; a moderator cannot shorten it to three seconds.
    let (status, body) = suspend(
        &admin,
        &member_id,
        json!({"hours": 48, "reason": "A serious matter."}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = suspend(&moderator, &member_id, for_seconds(&app, 3)).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "standing_forbids"),
        "{body}"
    );
    app.clock.advance(Duration::hours(1));
    // Past a staff session's 30 idle minutes: the staff sign in again.
    admin.sign_in_again().await;
    moderator.sign_in_again().await;
    assert_eq!(sign_in_outcome(&app, "member_max").await, "suspended");
    // An admin may change a running suspension.
    let (status, body) = suspend(&admin, &member_id, json!({"hours": 1, "reason": "Eased."})).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Once a suspension has ended the member is active again, to moderators as to everyone:
    // in what they and the admins are shown too, so that nobody is offered a reinstatement.
    app.clock.advance(Duration::hours(2));
    // Past a staff session's 30 idle minutes: the staff sign in again.
    admin.sign_in_again().await;
    moderator.sign_in_again().await;
    assert_eq!(sign_in_outcome(&app, "member_max").await, "ok");
    let max = app.client();
    let me = max.sign_in("member_max", &password_of("member_max")).await;
    assert_eq!(me["member"]["standing"], "active", "{me}");
    admin.sign_in("first_admin", "admin-password-1").await;
    let (_, list) = admin.get("/api/admin/members").await;
    let listed = list["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["handle"] == "member_max")
        .unwrap()
        .clone();
    assert_eq!(
        (&listed["standing"], &listed["suspended_until"]),
        (&json!("active"), &Value::Null),
        "{listed}"
    );
    let (status, body) = admin
        .post(
            &format!("/api/admin/members/{member_id}/reinstate"),
            json!({}),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "not_sanctioned"),
        "{body}"
    );
    // (The moderator's session has been idle too long meanwhile.)
    moderator.sign_in("mod_mel", &password_of("mod_mel")).await;
    let (status, body) = suspend(
        &moderator,
        &member_id,
        json!({"hours": 1, "reason": "Again."}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(sign_in_outcome(&app, "member_max").await, "suspended");
}

async fn member_id_of(c: &Client) -> String {
    let (_, me) = c.get("/api/session").await;
    me["member"]["id"].as_str().unwrap().to_owned()
}

async fn the_suspend_answer_shows_a_moderator_no_admin_only_fields(app: TestApp) {
    let admin = app.admin().await;
    let (moderator, _) = new_moderator(&app, &admin, "mod_mia").await;
    let (_, member_id) = app.member(&admin, "member_mo").await;
    let (status, body) = suspend(
        &moderator,
        &member_id,
        json!({"hours": 2, "reason": "Please take a break."}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let member = body["member"].as_object().unwrap();
    let mut keys: Vec<&str> = member.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "handle",
            "id",
            "role",
            "standing",
            "standing_reason",
            "suspended_until"
        ],
        "{body}"
    );
    assert_eq!(member["standing"], "suspended");
    let text = body.to_string();
    for admin_only in ["age_check", "adult_confirmed", "safeguarding", "declared"] {
        assert!(!text.contains(admin_only), "{text}");
    }
    // An admin suspending is answered as admins see members (their members page shows it).
    let (_, other_id) = app.member(&admin, "member_meg").await;
    let (status, body) = suspend(&admin, &other_id, json!({"hours": 2, "reason": "x"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["member"]["age_check"].is_string(), "{body}");
    assert!(body["member"]["adult_confirmed_at"].is_string(), "{body}");
}

async fn an_ended_suspension_counts_as_active_in_the_database_too(app: TestApp) {
    let admin = app.admin().await;
    let (_, member_id) = app.member(&admin, "back_again_bea").await;
    let (status, body) = admin
        .post(
            "/api/admin/boards",
            json!({"name": "General", "description": "Somewhere to talk"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let board = body["board"]["id"].as_str().unwrap().to_owned();
    let (status, body) = admin
        .post(
            &format!("/api/boards/{board}/threads"),
            json!({"title": "Welcome", "body": "Say hello."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let thread = body["thread"]["id"].as_str().unwrap().to_owned();

    let (status, body) = suspend(&admin, &member_id, json!({"hours": 1, "reason": "x"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.clock.advance(Duration::minutes(61));
    // Past a staff session's 30 idle minutes: the staff sign in again.
    admin.sign_in_again().await;
    let member = app.client();
    member
        .sign_in("back_again_bea", &password_of("back_again_bea"))
        .await;

    // A mention reaches a member whose suspension has ended (the query for whom to tell asks
    // the database for active members, which must agree with the sign-in's idea of active).
    let (status, body) = admin
        .post(
            &format!("/api/threads/{thread}/posts"),
            json!({"body": "Good to see you back, @back_again_bea."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["moderation"]["status"], "published", "{body}");
    let post = body["post"]["id"].as_str().unwrap().to_owned();
    let (status, body) = member.get("/api/notifications").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mentions: Vec<_> = body["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "mention" && n["post_id"] == post.as_str())
        .collect();
    assert_eq!(mentions.len(), 1, "{body}");
}

// F7 ---------------------------------------------------------------------------------------

async fn only_active_and_suspended_members_have_profiles(app: TestApp) {
    let admin = app.admin().await;
    let (reader, _) = app.member(&admin, "reader_rae").await;
    let (_, suspended_id) = app.member(&admin, "resting_ren").await;
    let (_, lapsed_id) = app.member(&admin, "lapsed_lou").await;
    let (_, banned_before_id) = app.member(&admin, "muted_then_banned").await;
    let _ = banned(&app, &admin, "banned_ben").await;
    applicant(&app, "pending_pia").await;
    rejected(&app, &admin, "rejected_rob", "Not the right group.").await;

    // Muted while a member, banned later: still unmutable by the one who muted them.
    let (status, body) = reader
        .put("/api/members/muted_then_banned/mute", json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = admin
        .post(
            &format!("/api/admin/members/{banned_before_id}/ban"),
            json!({"reason": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let (status, body) = suspend(&admin, &suspended_id, json!({"hours": 24, "reason": "x"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = suspend(&admin, &lapsed_id, json!({"hours": 1, "reason": "x"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.clock.advance(Duration::minutes(61));
    // Past a staff session's 30 idle minutes: the staff sign in again.
    admin.sign_in_again().await;

    let (status, unknown) = reader.get("/api/members/no_such_person").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{unknown}");
    let (status, unknown_mute) = reader
        .put("/api/members/no_such_person/mute", json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{unknown_mute}");

    for handle in [
        "banned_ben",
        "BANNED_BEN",
        "Banned_Ben",
        "pending_pia",
        "PENDING_PIA",
        "rejected_rob",
        "Rejected_Rob",
        "muted_then_banned",
    ] {
        let (status, body) = reader.get(&format!("/api/members/{handle}")).await;
        assert_eq!(
            (status, &body),
            (StatusCode::NOT_FOUND, &unknown),
            "{handle}"
        );
        let (status, body) = reader
            .put(&format!("/api/members/{handle}/mute"), json!({}))
            .await;
        assert_eq!(
            (status, &body),
            (StatusCode::NOT_FOUND, &unknown_mute),
            "mute {handle}"
        );
    }
    // Staff see no profile of them either (admins have the members' list for that).
    let (status, _) = admin.get("/api/members/pending_pia").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A suspension is nobody else's business: the profile is there and does not mention it.
    for handle in ["resting_ren", "RESTING_REN", "lapsed_lou"] {
        let (status, body) = reader.get(&format!("/api/members/{handle}")).await;
        assert_eq!(status, StatusCode::OK, "{handle}: {body}");
        let text = body.to_string();
        assert!(
            !text.contains("suspend") && !text.contains("standing"),
            "{text}"
        );
    }
    let (status, body) = reader.put("/api/members/resting_ren/mute", json!({})).await;
    assert_eq!(
        (status, &body["muted"]),
        (StatusCode::OK, &json!(true)),
        "{body}"
    );

    // The earlier mute can still be undone.
    let (status, body) = reader.delete("/api/members/muted_then_banned/mute").await;
    assert_eq!(
        (status, &body["muted"]),
        (StatusCode::OK, &json!(false)),
        "{body}"
    );
    let (_, mine) = reader.get("/api/me/mutes").await;
    assert!(!mine.to_string().contains("muted_then_banned"), "{mine}");
    // Unmuting someone never muted still tells nothing.
    let (_, unknown_unmute) = reader.delete("/api/members/no_such_person/mute").await;
    let (status, body) = reader.delete("/api/members/pending_pia/mute").await;
    assert_eq!(
        (status, &body),
        (StatusCode::NOT_FOUND, &unknown_unmute),
        "{body}"
    );
}

// F8 ---------------------------------------------------------------------------------------

fn actions(audit: &Value) -> Vec<String> {
    audit["entries"]
        .as_array()
        .unwrap_or_else(|| panic!("no entries: {audit}"))
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

async fn the_moderators_audit_log_shows_staff_actions_not_members_private_ones(app: TestApp) {
    let admin = app.admin().await;
    let (moderator, _) = new_moderator(&app, &admin, "mod_mac").await;
    let (member, member_id) = app.member(&admin, "private_pru").await;
    rejected(
        &app,
        &admin,
        "declined_dee",
        "Your statement mentions a conviction in Leeds",
    )
    .await;

    // A staff action, then the member's own private ones.
    let (status, body) = suspend(&moderator, &member_id, json!({"hours": 1, "reason": "x"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.clock.advance(Duration::minutes(61));
    // Past a staff session's 30 idle minutes: the staff sign in again.
    admin.sign_in_again().await;
    moderator.sign_in_again().await;
    member
        .sign_in("private_pru", &password_of("private_pru"))
        .await;
    let (status, body) = member
        .post(
            "/api/me/password",
            json!({"current_password": password_of("private_pru"), "new_password": "another-long-password"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = member.get("/api/me/export").await;
    assert_eq!(status, StatusCode::OK);

    let (status, audit) = moderator.get("/api/mod/audit?limit=200").await;
    assert_eq!(status, StatusCode::OK, "{audit}");
    let seen = actions(&audit);
    assert!(seen.contains(&"member_suspended".to_owned()), "{seen:?}");
    for private in [
        "password_changed",
        "data_exported",
        "application_approved",
        "application_rejected",
    ] {
        assert!(!seen.contains(&private.to_owned()), "{private} in {seen:?}");
    }
    assert!(!audit.to_string().contains("Leeds"), "{audit}");
    // A page is full however many private entries are newer.
    let (_, page) = moderator.get("/api/mod/audit?limit=1").await;
    assert_eq!(actions(&page), ["member_suspended"], "{page}");

    // Admins see everything.
    let (_, audit) = admin.get("/api/mod/audit?limit=200").await;
    let seen = actions(&audit);
    for all in [
        "member_suspended",
        "password_changed",
        "data_exported",
        "application_approved",
        "application_rejected",
    ] {
        assert!(seen.contains(&all.to_owned()), "{all} in {seen:?}");
    }
    assert!(audit.to_string().contains("Leeds"), "{audit}");
}

// F9 ---------------------------------------------------------------------------------------

/// Moves the app's clock on to `to` seconds after the start, `t` being where it is now.
fn advance_to(app: &TestApp, t: &mut i64, to: i64) {
    app.clock.advance(Duration::seconds(to - *t));
    *t = to;
}

async fn sessions_slide_while_in_use_and_end_when_idle(app: TestApp) {
    let idle = app.state().config.session_idle_minutes * 60;
    let max = app.state().config.session_max_hours * 3600;
    let step = idle * 2 / 3;
    let admin = app.admin().await;
    app.member(&admin, "busy_bex").await;
    let [busy, resting, early] = [app.client(), app.client(), app.client()];
    for c in [&busy, &resting, &early] {
        c.sign_in("busy_bex", &password_of("busy_bex")).await;
    }
    let mut t = 0;

    // Within its first minute a request does not move the expiry on: no write per request.
    advance_to(&app, &mut t, 30);
    assert_eq!(early.get("/api/me").await.0, StatusCode::OK);
    advance_to(&app, &mut t, step);
    assert_eq!(busy.get("/api/me").await.0, StatusCode::OK);

    // Just past the idle limit from signing in: the busy session lives on; the resting one has
    // ended, and so has the one whose only request came in its first minute.
    advance_to(&app, &mut t, idle + 15);
    assert_eq!(busy.get("/api/me").await.0, StatusCode::OK);
    assert_eq!(resting.get("/api/me").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(early.get("/api/me").await.0, StatusCode::UNAUTHORIZED);

    // Busy, a request every two thirds of the idle limit, right up to the absolute limit...
    while t + step < max {
        let next = t + step;
        advance_to(&app, &mut t, next);
        let (status, body) = busy.get("/api/me").await;
        assert_eq!(status, StatusCode::OK, "busy at {t} s: {body}");
    }
    // ...which no activity extends.
    advance_to(&app, &mut t, max + 60);
    assert_eq!(busy.get("/api/me").await.0, StatusCode::UNAUTHORIZED);
}

/// A member who only chats (no page loads) keeps their session: acting on the socket slides it,
/// as a request does. A tab merely left open does not: its session still ends when idle.
async fn a_session_used_on_its_socket_slides_and_an_open_tab_alone_does_not(app: TestApp) {
    let idle = app.state().config.session_idle_minutes * 60;
    let admin = app.admin().await;
    app.member(&admin, "chat_only").await;
    let (status, body) = admin
        .post("/api/admin/boards", json!({"name": "Evening chat"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let topic = json!([format!("board:{}", body["board"]["id"].as_str().unwrap())]);
    let [chatty, quiet] = [app.client(), app.client()];
    for c in [&chatty, &quiet] {
        c.sign_in("chat_only", &password_of("chat_only")).await;
    }
    let mut chatty_ws = chatty.socket().await;
    let mut quiet_ws = quiet.socket().await;
    quiet_ws.sync().await;
    let mut t = 0;

    advance_to(&app, &mut t, idle / 2);
    chatty_ws.subscribe(topic.clone(), json!({})).await;
    // Within the last minute before the idle expiry: the sweep (every second) slides the
    // session that was used on its socket.
    advance_to(&app, &mut t, idle - 30);
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    advance_to(&app, &mut t, idle + 15);

    let reason = quiet_ws
        .closes_within(std::time::Duration::from_secs(10))
        .await
        .expect("the idle tab's socket closes");
    assert!(reason.contains("session has ended"), "{reason}");
    assert_eq!(quiet.get("/api/me").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        chatty_ws
            .closes_within(std::time::Duration::from_secs(3))
            .await,
        None,
        "the socket in use stays open"
    );
    let (status, body) = chatty.get("/api/me").await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the session in use lives on: {body}"
    );
}

on_both_backends!(
    a_moderator_cannot_lift_a_ban_or_admit_an_applicant_with_a_short_suspension,
    sessions_slide_while_in_use_and_end_when_idle,
    a_session_used_on_its_socket_slides_and_an_open_tab_alone_does_not,
    a_moderator_suspends_active_members_only,
    the_suspend_answer_shows_a_moderator_no_admin_only_fields,
    an_ended_suspension_counts_as_active_in_the_database_too,
    only_active_and_suspended_members_have_profiles,
    the_moderators_audit_log_shows_staff_actions_not_members_private_ones,
);
