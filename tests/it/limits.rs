//! Issue 13: every costly or amplifying action is rate limited, through the real HTTP path and
//! socket, on both databases (and, where it matters, on Redis with two instances): past each
//! limit the answer is 429 with `Retry-After` and the JSON error (an `error` frame on the
//! socket), and the action works again once its time has come back (the app's clock is moved,
//! never slept). Concurrent requests cannot overrun a limit, and a stranger cannot lock a member
//! out.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::time::Duration;

use common::{Backend, Client, TestApp, application, code, password_of};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

type Config = hearth_server::Config;

fn rate(text: &str) -> hearth_app::limits::Rate {
    text.parse().unwrap()
}

/// A request's status, `Retry-After` (if any) and JSON body.
async fn answer(rb: reqwest::RequestBuilder) -> (StatusCode, Option<u64>, Value) {
    let resp = rb.send().await.unwrap();
    let status = resp.status();
    let retry = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().parse().unwrap());
    let text = resp.text().await.unwrap();
    (
        status,
        retry,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Asserts a 429 with a `Retry-After` within `1..=max` seconds and the JSON error.
fn assert_limited(got: &(StatusCode, Option<u64>, Value), max: u64, what: &str) {
    let (status, retry, body) = got;
    assert_eq!(*status, StatusCode::TOO_MANY_REQUESTS, "{what}: {body}");
    let retry = retry.unwrap_or_else(|| panic!("{what}: no Retry-After"));
    assert!((1..=max).contains(&retry), "{what}: Retry-After {retry}");
    assert_eq!(code(body), "rate_limited", "{what}: {body}");
    assert!(body["error"]["message"].is_string(), "{what}: {body}");
}

/// A sign-in from `address` (the tests trust `X-Forwarded-For`).
async fn sign_in_from(
    c: &Client,
    login: &str,
    password: &str,
    address: &str,
) -> (StatusCode, Option<u64>, Value) {
    answer(
        c.request(Method::POST, "/api/session")
            .header("X-Forwarded-For", address)
            .json(&json!({"login": login, "password": password})),
    )
    .await
}

async fn board_and_thread(admin: &Client) -> (String, String) {
    let (status, b) = admin
        .post("/api/admin/boards", json!({"name": "Limits"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    let board = b["board"]["id"].as_str().unwrap().to_owned();
    let (status, t) = admin
        .post(
            &format!("/api/boards/{board}/threads"),
            json!({"title": "Limits", "body": "A thread to write in."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    (board, t["thread"]["id"].as_str().unwrap().to_owned())
}

// ---------------------------------------------------------------------------------------------
// Sign-in: per pair, per address, a slow-down per account that never locks the member out

fn signin_limits(c: &mut Config) {
    c.trust_forwarded_for = true;
    c.limits.signin_failures_per_pair = rate("3/15m");
    c.limits.signin_failures_per_account = rate("6/15m");
    c.limits.signin_failures_per_address = rate("100/15m");
}

async fn a_stranger_cannot_keep_a_member_out(app: TestApp) {
    let admin = app.admin().await;
    let (_, _) = app.member(&admin, "guarded_member").await;
    let password = password_of("guarded_member");
    let home = "198.51.100.10";
    let member = app.client();
    let (status, _, body) = sign_in_from(&member, "guarded_member", &password, home).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the member signs in at home: {body}"
    );

    // A stranger guesses from one address: three wrong, then that pair is refused, even with
    // the right password.
    let stranger = app.client();
    for i in 0..3 {
        let (status, _, body) =
            sign_in_from(&stranger, "guarded_member", "wrong-guess-1", "203.0.113.1").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "guess {i}: {body}");
    }
    let got = sign_in_from(&stranger, "guarded_member", "wrong-guess-1", "203.0.113.1").await;
    assert_limited(&got, 900, "the stranger's fourth guess");
    let got = sign_in_from(&stranger, "guarded_member", &password, "203.0.113.1").await;
    assert_limited(
        &got,
        900,
        "even the right password from the stranger's address",
    );
    // More guesses from other addresses pass the account's threshold: it slows down...
    for i in 0..3 {
        let (status, _, body) =
            sign_in_from(&stranger, "guarded_member", "wrong-guess-2", "203.0.113.2").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "guess {i}: {body}");
    }
    let got = sign_in_from(&stranger, "guarded_member", "wrong-guess-3", "203.0.113.3").await;
    assert_limited(&got, 900, "a guess past the account's threshold");
    // ... at the member's new addresses too ...
    let travelling = app.client();
    let got = sign_in_from(&travelling, "guarded_member", &password, "192.0.2.77").await;
    assert_limited(
        &got,
        900,
        "the member at a new address while the account is slowed",
    );
    // ... but never at the member's own address: they still sign in, and that starts the
    // account afresh, so they sign in from the new address as well.
    let (status, _, body) = sign_in_from(&member, "guarded_member", &password, home).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a member 'locked' by a stranger's failures from elsewhere still signs in: {body}"
    );
    let (status, _, body) =
        sign_in_from(&travelling, "guarded_member", &password, "192.0.2.77").await;
    assert_eq!(status, StatusCode::OK, "after a sign-in at home: {body}");

    // Slowed down again by more guesses, the member at another new address gets in through
    // the reset path.
    for (i, address) in ["203.0.113.4", "203.0.113.5"].into_iter().enumerate() {
        for j in 0..3 {
            let (status, _, body) =
                sign_in_from(&stranger, "guarded_member", "wrong-guess-5", address).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "guess {i}.{j}: {body}");
        }
    }
    let travelling = app.client();
    let got = sign_in_from(&travelling, "guarded_member", &password, "192.0.2.78").await;
    assert_limited(&got, 900, "slowed down again");
    let (status, members) = admin.get("/api/admin/members").await;
    assert_eq!(status, StatusCode::OK, "{members}");
    let id = members["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["handle"] == "guarded_member")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
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
    let (status, body) = travelling
        .post(
            &format!("/api/password-reset/{token}"),
            json!({"new_password": "a-brand-new-password-7"}),
        )
        .await;
    assert!(status.is_success(), "{status}: {body}");
    let (status, _, body) = sign_in_from(
        &travelling,
        "guarded_member",
        "a-brand-new-password-7",
        "192.0.2.78",
    )
    .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "after the reset, from anywhere: {body}"
    );

    // And the stranger's pair works again (to be told 401) once its time has come back.
    app.clock.advance(chrono::Duration::minutes(16));
    let (status, _, body) =
        sign_in_from(&stranger, "guarded_member", "wrong-guess-4", "203.0.113.1").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
}

fn progressive_limits(c: &mut Config) {
    c.trust_forwarded_for = true;
    c.limits.signin_failures_per_pair = rate("100/15m");
    c.limits.signin_failures_per_account = rate("3/15m");
    c.limits.signin_failures_per_address = rate("1000/15m");
}

/// Past the per-account threshold each further wrong password (from addresses the account has
/// not signed in from) doubles the wait, up to an hour; the member still signs in from their
/// own address, which starts the account afresh.
async fn each_wrong_password_past_the_threshold_waits_longer(app: TestApp) {
    let admin = app.admin().await;
    app.member(&admin, "slowed_member").await;
    let password = password_of("slowed_member");
    let home = "198.51.100.20";
    let member = app.client();
    let (status, _, body) = sign_in_from(&member, "slowed_member", &password, home).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let stranger = app.client();
    let mut n = 0;
    let mut guess = |expect: StatusCode| {
        n += 1;
        let k = n;
        let address = format!("203.0.113.{k}");
        let stranger = stranger.clone();
        async move {
            let got = sign_in_from(&stranger, "slowed_member", "a-wrong-guess-1", &address).await;
            assert_eq!(got.0, expect, "guess {k}: {:?}", got.2);
            got
        }
    };
    for _ in 0..3 {
        guess(StatusCode::UNAUTHORIZED).await;
    }
    // 3/15m: one guess back every 300 s, then 600, 1200, 2400, and at most 3600.
    let mut waits = Vec::new();
    for _ in 0..6 {
        let got = guess(StatusCode::TOO_MANY_REQUESTS).await;
        assert_limited(&got, 3600, "past the threshold");
        let wait = got.1.unwrap();
        waits.push(wait);
        app.clock.advance(chrono::Duration::seconds(wait as i64));
        guess(StatusCode::UNAUTHORIZED).await;
    }
    assert_eq!(waits, [300, 600, 1200, 2400, 3600, 3600], "the waits grow");

    // The member, at home, is never slowed down, and their sign-in starts the account afresh.
    let (status, _, body) = sign_in_from(&member, "slowed_member", &password, home).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for _ in 0..3 {
        guess(StatusCode::UNAUTHORIZED).await;
    }
    let got = guess(StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(got.1, Some(300), "from the start again");
}

/// An invitee who shares a member's address (their email was in use when they were invited)
/// signs in with it and their own password; their own sign-ins must not wipe the count of their
/// wrong guesses at the member's password, nor make their address the member's: guessing the
/// member's password by the shared address stops at the member's threshold like anyone's.
async fn an_invitee_sharing_an_address_cannot_guess_its_owner_past_the_limit(app: TestApp) {
    let admin = app.admin().await;
    app.member(&admin, "address_owner").await;
    let owner_password = password_of("address_owner");
    let shared = common::email_of("address_owner");
    let (status, invite) = admin
        .post("/api/admin/invites", json!({"confirm_adult": true}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{invite}");
    let mut apply = application("address_sharer", "1988-08-08");
    apply["email"] = json!(shared);
    apply["invite"] = invite["token"].clone();
    apply["statement"] = json!("");
    let (status, body) = app.client().post("/api/applications", apply).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let home = "198.51.100.30";
    let (status, _, body) =
        sign_in_from(&app.client(), "address_owner", &owner_password, home).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The invitee, from their address: two guesses, then their own sign-in, over and over.
    let sharer = app.client();
    let theirs = "192.0.2.30";
    let mut guesses = 0;
    let limited = 'guessing: {
        for round in 0..10 {
            for _ in 0..2 {
                let got = sign_in_from(&sharer, &shared, "is-this-the-owners", theirs).await;
                if got.0 == StatusCode::TOO_MANY_REQUESTS {
                    break 'guessing Some(got);
                }
                assert_eq!(
                    got.0,
                    StatusCode::UNAUTHORIZED,
                    "round {round}: {:?}",
                    got.2
                );
                guesses += 1;
            }
            let got = sign_in_from(&sharer, &shared, &password_of("address_sharer"), theirs).await;
            if got.0 == StatusCode::TOO_MANY_REQUESTS {
                // By the shared address the invitee meets the owner's slow-down (documented).
                break 'guessing Some(got);
            }
            assert_eq!(got.0, StatusCode::OK, "round {round}: {:?}", got.2);
            assert_eq!(got.2["member"]["handle"], "address_sharer", "{:?}", got.2);
        }
        None
    };
    let got = limited.expect("the guesses were never limited");
    assert_limited(
        &got,
        900,
        "guessing the owner's password by the shared address",
    );
    assert_eq!(guesses, 6, "stopped at the account's threshold");
    let got = sign_in_from(&sharer, &shared, "is-this-the-owners", theirs).await;
    assert_limited(&got, 900, "and stays stopped");
    // The invitee's own account, by its handle, is not slowed down.
    let (status, _, body) = sign_in_from(
        &sharer,
        "address_sharer",
        &password_of("address_sharer"),
        theirs,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The member is not kept out at home.
    let (status, _, body) = sign_in_from(&app.client(), &shared, &owner_password, home).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["member"]["handle"], "address_owner", "{body}");
}

/// Thirty sign-ins for one account from one address at once, 29 wrong and 1 right: at most the
/// pair's limit (5 by default) are checked at all. Then with the limit used up, thirty more at
/// once (the right one among them) all get 429.
async fn thirty_concurrent_sign_ins_never_pass_the_limit(app: TestApp) {
    let admin = app.admin().await;
    app.member(&admin, "raced_member").await;
    let limit = app
        .state()
        .config
        .limits
        .signin_failures_per_pair
        .count
        .get() as usize;
    let right = password_of("raced_member");
    let attempt = |password: String| {
        let c = app.client();
        async move {
            c.request(Method::POST, "/api/session")
                .json(&json!({"login": "raced_member", "password": password}))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    let tally = |statuses: &[StatusCode]| {
        let n = |s: StatusCode| statuses.iter().filter(|&&x| x == s).count();
        (
            n(StatusCode::OK),
            n(StatusCode::UNAUTHORIZED),
            n(StatusCode::TOO_MANY_REQUESTS),
        )
    };
    let mut passwords: Vec<String> = (0..29).map(|i| format!("wrong-password-{i}")).collect();
    passwords.insert(15, right);
    let first = futures_util::future::join_all(passwords.iter().cloned().map(attempt)).await;
    let (ok, wrong, limited) = tally(&first);
    eprintln!(
        "30 concurrent sign-ins (29 wrong, 1 right): {ok} x 200, {wrong} x 401, {limited} x 429"
    );
    assert_eq!(ok + wrong + limited, 30, "{first:?}");
    // The right password, when it is checked, wipes the pair's slate: then at most `limit` wrong
    // ones were checked before it and `limit` after. Without it, `limit` in all.
    assert!(
        wrong <= limit * (1 + ok) && ok <= 1,
        "more than {limit} wrong passwords were checked on either side of the right one: {first:?}"
    );
    assert!(limited >= 30 - limit * (1 + ok) - ok, "{first:?}");

    // Use up what is left of the pair's allowance, then race again with the right password in.
    // (If the right password won the first race, it wiped the pair's slate: count from zero,
    // until the first 429, never more than the limit allows.)
    let mut refused = false;
    for _ in 0..=limit {
        let status = attempt("yet-another-wrong-one".to_owned()).await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            refused = true;
            break;
        }
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    assert!(refused, "the pair's limit was reached");
    let second = futures_util::future::join_all(passwords.iter().cloned().map(attempt)).await;
    let (ok, wrong, limited) = tally(&second);
    eprintln!("30 more once the limit is reached: {ok} x 200, {wrong} x 401, {limited} x 429");
    assert_eq!(
        (ok, wrong, limited),
        (0, 0, 30),
        "past the limit the right password must not get through either: {second:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Posts under concurrency

fn posts_per_hour(c: &mut Config) {
    // One use comes back every two minutes: none during the test.
    c.limits.posts = rate("30/1h");
}

async fn forty_concurrent_replies_never_pass_the_post_limit(app: TestApp) {
    let admin = app.admin().await;
    let (_, thread) = board_and_thread(&admin).await;
    let (member, _) = app.member(&admin, "eager_replier").await;
    let replies = (0..40).map(|i| {
        let member = member.clone();
        let path = format!("/api/threads/{thread}/posts");
        async move {
            member
                .post(&path, json!({"body": format!("Reply number {i}.")}))
                .await
        }
    });
    let answers = futures_util::future::join_all(replies).await;
    let created = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    let limited = answers
        .iter()
        .filter(|(s, b)| *s == StatusCode::TOO_MANY_REQUESTS && code(b) == "rate_limited")
        .count();
    eprintln!("40 concurrent replies: {created} x 201, {limited} x 429");
    assert_eq!((created, limited), (30, 10), "{answers:?}");
    // Two minutes on, one more.
    app.clock.advance(chrono::Duration::minutes(2));
    let (status, body) = member
        .post(
            &format!("/api/threads/{thread}/posts"),
            json!({"body": "Later."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

// ---------------------------------------------------------------------------------------------
// Members' other actions: edits, reactions, reports, concerns

fn member_action_limits(c: &mut Config) {
    c.limits.edits = rate("2/1m");
    c.limits.reactions = rate("2/1m");
    c.limits.reports = rate("2/1m");
    c.limits.concerns = rate("2/1m");
}

async fn edits_reactions_reports_and_concerns_are_limited(app: TestApp) {
    let admin = app.admin().await;
    let (_, thread) = board_and_thread(&admin).await;
    // Established: past the new-member rule, so their own post is published and editable.
    let (member, _) = app.established_member(&admin, "busy_member").await;
    // Posts to act on: three of the admin's, one of the member's own.
    let mut admin_posts = Vec::new();
    for i in 0..3 {
        let (status, p) = admin
            .post(
                &format!("/api/threads/{thread}/posts"),
                json!({"body": format!("Admin post {i}.")}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{p}");
        admin_posts.push(p["post"]["id"].as_str().unwrap().to_owned());
    }
    let (status, p) = member
        .post(
            &format!("/api/threads/{thread}/posts"),
            json!({"body": "My own words."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    let own = p["post"]["id"].as_str().unwrap().to_owned();

    // Each limit: two go through, the third is refused, and a minute later it works again.
    let edit = |n: u32| {
        member
            .request(Method::PATCH, &format!("/api/posts/{own}"))
            .json(&json!({"body": format!("My own words, take {n}.")}))
    };
    let react = |n: u32| {
        let method = if n.is_multiple_of(2) {
            Method::PUT
        } else {
            Method::DELETE
        };
        member.request(
            method,
            &format!("/api/posts/{}/reactions/thank_you", admin_posts[0]),
        )
    };
    let report = |n: u32| {
        member
            .request(
                Method::POST,
                &format!("/api/posts/{}/reports", admin_posts[n as usize % 3]),
            )
            .json(&json!({"reason": "unkind"}))
    };
    let concern = |n: u32| {
        member
            .request(
                Method::POST,
                &format!("/api/posts/{}/concerns", admin_posts[n as usize % 3]),
            )
            .json(&json!({"category": "other", "note": "Worried about this."}))
    };
    let actions: [(&str, &dyn Fn(u32) -> reqwest::RequestBuilder); 4] = [
        ("edit", &edit),
        ("reaction", &react),
        ("report", &report),
        ("concern", &concern),
    ];
    for (what, action) in actions {
        for n in 0..2 {
            let (status, _, body) = answer(action(n)).await;
            assert!(status.is_success(), "{what} {n}: {status} {body}");
        }
        let got = answer(action(2)).await;
        assert_limited(&got, 60, what);
    }
    app.clock.advance(chrono::Duration::seconds(31));
    for (what, action) in actions {
        let (status, _, body) = answer(action(2)).await;
        assert!(
            status.is_success(),
            "{what} again after its time: {status} {body}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Outsiders: applications, handle checks, reset requests (per client address)

fn outsider_limits(c: &mut Config) {
    c.trust_forwarded_for = true;
    c.limits.applications = rate("4/1h");
    c.limits.handle_checks = rate("2/1h");
    c.limits.reset_requests_per_account = rate("2/1h");
    c.limits.reset_requests_per_address = rate("3/1h");
}

async fn apply_from(c: &Client, handle: &str, address: &str) -> (StatusCode, Option<u64>, Value) {
    answer(
        c.request(Method::POST, "/api/applications")
            .header("X-Forwarded-For", address)
            .json(&application(handle, "1980-01-01")),
    )
    .await
}

async fn applications_and_handle_checks_are_limited_per_address(app: TestApp) {
    let _admin = app.admin().await;
    let c = app.client();
    // A taken handle is still told (409 handle_taken), at the handle-check rate.
    for i in 0..2 {
        let (status, _, body) = apply_from(&c, "first_admin", "203.0.113.20").await;
        assert_eq!(status, StatusCode::CONFLICT, "check {i}: {body}");
        assert_eq!(code(&body), "handle_taken");
    }
    let got = apply_from(&c, "first_admin", "203.0.113.20").await;
    assert_limited(&got, 3600, "a third handle check");
    // Another address is not affected.
    let (status, _, body) = apply_from(&c, "first_admin", "203.0.113.21").await;
    assert_eq!(code(&body), "handle_taken", "{status} {body}");

    // Applications: every attempt counts (the three handle checks at .20 did too).
    let (status, _, body) = apply_from(&c, "new_applicant_a", "203.0.113.20").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let got = apply_from(&c, "new_applicant_b", "203.0.113.20").await;
    assert_limited(&got, 3600, "a fifth application from one address");
    // Fifteen minutes on, one application's worth has come back (4 an hour); the handle
    // checks (2 an hour) need half an hour.
    app.clock.advance(chrono::Duration::minutes(16));
    let (status, _, body) = apply_from(&c, "new_applicant_b", "203.0.113.20").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    app.clock.advance(chrono::Duration::minutes(15));
    let (status, _, body) = apply_from(&c, "first_admin", "203.0.113.20").await;
    assert_eq!(code(&body), "handle_taken", "{status} {body}");
}

async fn reset_from(c: &Client, email: &str, address: &str) -> (StatusCode, Option<u64>, Value) {
    answer(
        c.request(Method::POST, "/api/password-reset")
            .header("X-Forwarded-For", address)
            .json(&json!({"email": email})),
    )
    .await
}

async fn reset_requests_are_limited_per_account_and_address(app: TestApp) {
    let c = app.client();
    for i in 0..2 {
        let (status, _, body) = reset_from(&c, "someone@example.org", "203.0.113.30").await;
        assert_eq!(status, StatusCode::ACCEPTED, "request {i}: {body}");
    }
    let got = reset_from(&c, "Someone@Example.org", "203.0.113.30").await;
    assert_limited(&got, 3600, "a third request for one email");
    let got = reset_from(&c, "someone@example.org", "203.0.113.31").await;
    assert_limited(&got, 3600, "the same email from another address");
    // Per address: one more email fits (the refused ones did not count), then no more.
    let (status, _, body) = reset_from(&c, "other@example.org", "203.0.113.30").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let got = reset_from(&c, "third@example.org", "203.0.113.30").await;
    assert_limited(&got, 3600, "a fourth request from one address");
    app.clock.advance(chrono::Duration::minutes(31));
    let (status, _, body) = reset_from(&c, "someone@example.org", "203.0.113.30").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
}

// ---------------------------------------------------------------------------------------------
// The socket: sockets per member, subscriptions and chat

async fn two_hundred_sockets_for_one_member_are_refused_past_the_cap(app: TestApp) {
    let admin = app.admin().await;
    let (member, _) = app.member(&admin, "many_tabs").await;
    let cap = app.state().config.limits.sockets_per_member as usize;
    let cookie = member.cookie().unwrap();
    let mut sockets = Vec::new();
    for _ in 0..200 {
        sockets.push(common::ws::Ws::open(&app.base, Some(&cookie)).await);
    }
    let mut open = 0;
    let mut refused = 0;
    for ws in &mut sockets {
        ws.send(json!({"type": "ping"})).await;
        match ws.next(Duration::from_secs(5)).await {
            Some(v) if v["type"] == "pong" => open += 1,
            _ => {
                let reason = ws.closed.clone().unwrap_or_default();
                assert!(
                    reason.contains("too many open connections"),
                    "closed without the reason: {reason:?}"
                );
                refused += 1;
            }
        }
    }
    eprintln!("200 sockets for one member: {open} open, {refused} closed with the reason");
    assert_eq!((open, refused), (cap, 200 - cap));
    // Another member is not affected.
    let mut other = admin.socket().await;
    assert!(other.sync().await.iter().all(|v| v["type"] != "error"));
}

fn socket_limits(c: &mut Config) {
    c.limits.subscribes = rate("3/1m");
    c.limits.chat = rate("3/1m");
}

async fn subscriptions_and_chat_are_limited_per_member_across_sockets(app: TestApp) {
    let admin = app.admin().await;
    let (board, thread) = board_and_thread(&admin).await;
    let (status, body) = admin
        .post(
            "/api/admin/rooms",
            json!({"name": "Limited room", "slow_mode_seconds": 0, "new_member_slow_mode_seconds": 0}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let room = body["room"]["id"].as_str().unwrap().to_owned();
    let (member, _) = app.member(&admin, "chatty_member").await;
    let mut first = member.socket().await;
    let mut second = member.socket().await;
    // Three topics across two sockets, then the fourth is refused with an error frame.
    let got = first
        .subscribe(
            json!([format!("board:{board}"), format!("room:{room}")]),
            json!({}),
        )
        .await;
    assert!(got.iter().all(|v| v["type"] != "error"), "{got:?}");
    let got = second
        .subscribe(
            json!([format!("thread:{thread}"), format!("room:{room}")]),
            json!({}),
        )
        .await;
    let errors: Vec<&Value> = got.iter().filter(|v| v["type"] == "error").collect();
    assert_eq!(errors.len(), 1, "{got:?}");
    assert_eq!(errors[0]["code"], "rate_limited", "{got:?}");
    assert!(
        errors[0]["message"].as_str().unwrap().contains("seconds"),
        "{got:?}"
    );

    // Chat: three messages, then an error frame instead of an ack.
    let say = |n: u32| json!({"type": "say", "room": room, "body": format!("hello {n}"), "client_id": uuid::Uuid::new_v4()});
    for n in 0..3u32 {
        let ws = if n.is_multiple_of(2) {
            &mut first
        } else {
            &mut second
        };
        ws.send(say(n)).await;
        let v = ws
            .expect("an ack", |v| v["type"] == "ack" || v["type"] == "error")
            .await;
        assert_eq!(v["type"], "ack", "message {n}: {v}");
    }
    second.send(say(3)).await;
    let v = second
        .expect("an answer", |v| v["type"] == "ack" || v["type"] == "error")
        .await;
    assert_eq!(
        (v["type"].as_str(), v["code"].as_str()),
        (Some("error"), Some("rate_limited")),
        "{v}"
    );
    // Twenty seconds on (3 a minute), one more of each.
    app.clock.advance(chrono::Duration::seconds(21));
    first.send(say(4)).await;
    let v = first
        .expect("an ack", |v| v["type"] == "ack" || v["type"] == "error")
        .await;
    assert_eq!(v["type"], "ack", "{v}");
    let got = second
        .subscribe(json!([format!("room:{room}")]), json!({}))
        .await;
    assert!(got.iter().all(|v| v["type"] != "error"), "{got:?}");
}

// ---------------------------------------------------------------------------------------------
// Two instances on Redis share every count

fn shared_limits(c: &mut Config) {
    c.limits.posts = rate("4/1h");
    c.limits.signin_failures_per_pair = rate("3/15m");
}

async fn two_instances_share_the_limits(app: TestApp) {
    let admin = app.admin().await;
    let (_, thread) = board_and_thread(&admin).await;
    let (member_a, _) = app.member(&admin, "two_places").await;
    let other = app.another_instance().await;
    let member_b = Client::new(&format!("http://{}", other.addr), true);
    member_b
        .sign_in("two_places", &password_of("two_places"))
        .await;
    let post = |c: &Client, n: u32| {
        let c = c.clone();
        let path = format!("/api/threads/{thread}/posts");
        async move {
            c.post(&path, json!({"body": format!("From here and there {n}.")}))
                .await
        }
    };
    for n in 0..4u32 {
        let c = if n.is_multiple_of(2) {
            &member_a
        } else {
            &member_b
        };
        let (status, body) = post(c, n).await;
        assert_eq!(status, StatusCode::CREATED, "post {n}: {body}");
    }
    for c in [&member_a, &member_b] {
        let (status, body) = post(c, 9).await;
        assert_eq!(
            status,
            StatusCode::TOO_MANY_REQUESTS,
            "the fifth post, on either instance: {body}"
        );
    }
    // Wrong passwords: two on one instance and one on the other use up the pair's three.
    let stranger_a = app.client();
    let stranger_b = Client::new(&format!("http://{}", other.addr), true);
    for (i, c) in [&stranger_a, &stranger_b, &stranger_a]
        .into_iter()
        .enumerate()
    {
        let (status, body) = c
            .post(
                "/api/session",
                json!({"login": "two_places", "password": "not-the-password"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "guess {i}: {body}");
    }
    for c in [&stranger_a, &stranger_b] {
        let (status, body) = c
            .post(
                "/api/session",
                json!({"login": "two_places", "password": "not-the-password"}),
            )
            .await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    }
    other.stop().await.unwrap();
}

// ---------------------------------------------------------------------------------------------

/// Runs each `test => adjust` pair on SQLite and PostgreSQL (in-process bus), the server
/// configured by `adjust`.
macro_rules! with_limits {
    ($($name:ident => $adjust:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(app) = super::TestApp::spawn_with(super::Backend::Sqlite, super::$adjust).await {
                        super::$name(app).await;
                    }
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(app) = super::TestApp::spawn_with(super::Backend::Postgres, super::$adjust).await {
                        super::$name(app).await;
                    }
                }
            )*
        }
    };
}

fn defaults(_: &mut Config) {}

with_limits!(
    a_stranger_cannot_keep_a_member_out => signin_limits,
    each_wrong_password_past_the_threshold_waits_longer => progressive_limits,
    an_invitee_sharing_an_address_cannot_guess_its_owner_past_the_limit => signin_limits,
    thirty_concurrent_sign_ins_never_pass_the_limit => defaults,
    forty_concurrent_replies_never_pass_the_post_limit => posts_per_hour,
    edits_reactions_reports_and_concerns_are_limited => member_action_limits,
    applications_and_handle_checks_are_limited_per_address => outsider_limits,
    reset_requests_are_limited_per_account_and_address => outsider_limits,
    two_hundred_sockets_for_one_member_are_refused_past_the_cap => defaults,
    subscriptions_and_chat_are_limited_per_member_across_sockets => socket_limits,
);

/// The same on Redis: the counts live there (a GCRA in a Lua script), shared by two instances.
mod redis {
    use super::*;

    async fn spawn(backend: Backend, adjust: fn(&mut Config)) -> Option<TestApp> {
        if !common::redis_available().await {
            return None;
        }
        TestApp::spawn_with(backend, |c| {
            c.redis_url = Some(common::redis_url());
            adjust(c);
        })
        .await
    }

    macro_rules! on_redis {
        ($($test:ident: $name:ident => $backend:ident, $adjust:ident);* $(;)?) => {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    if let Some(app) = spawn(Backend::$backend, $adjust).await {
                        $name(app).await;
                    }
                }
            )*
        };
    }

    /// The socket cap counts a member's sockets on every instance (each shares its counts
    /// through Redis every second): with the cap used up on one instance, the next socket on
    /// the other is closed with the reason; once some close, it is let in again.
    async fn the_socket_cap_holds_across_two_instances(app: TestApp) {
        let other = app.another_instance().await;
        let other_base = format!("http://{}", other.addr);
        let admin = app.admin().await;
        let (member, _) = app.member(&admin, "two_devices").await;
        let cap = app.state().config.limits.sockets_per_member as usize;
        let cookie = member.cookie().unwrap();
        let mut on_a = Vec::new();
        for _ in 0..cap {
            let mut ws = common::ws::Ws::open(&app.base, Some(&cookie)).await;
            ws.sync().await;
            on_a.push(ws);
        }
        let pong_on_b = || async {
            let mut ws = common::ws::Ws::open(&other_base, Some(&cookie)).await;
            ws.send(json!({"type": "ping"})).await;
            match ws.next(Duration::from_secs(5)).await {
                Some(v) if v["type"] == "pong" => Ok(ws),
                _ => Err(ws.closed.clone().unwrap_or_default()),
            }
        };
        // Shared within a second or two.
        let mut refused = None;
        for _ in 0..20 {
            match pong_on_b().await {
                Ok(ws) => drop(ws),
                Err(reason) => {
                    refused = Some(reason);
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        let reason = refused.expect("a socket past the cap on the other instance is refused");
        assert!(reason.contains("too many open connections"), "{reason}");
        // Half close on the first instance: the other lets the member in again.
        on_a.truncate(cap / 2);
        let mut admitted = false;
        for _ in 0..20 {
            if pong_on_b().await.is_ok() {
                admitted = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        assert!(admitted, "let in again once sockets closed elsewhere");
        drop(on_a);
        other.stop().await.unwrap();
    }

    on_redis!(
        socket_cap_sqlite: the_socket_cap_holds_across_two_instances => Sqlite, defaults;
        shared_sqlite: two_instances_share_the_limits => Sqlite, shared_limits;
        shared_postgres: two_instances_share_the_limits => Postgres, shared_limits;
        sign_ins_sqlite: thirty_concurrent_sign_ins_never_pass_the_limit => Sqlite, defaults;
        sign_ins_postgres: thirty_concurrent_sign_ins_never_pass_the_limit => Postgres, defaults;
        replies_postgres: forty_concurrent_replies_never_pass_the_post_limit => Postgres, posts_per_hour;
        lockout_postgres: a_stranger_cannot_keep_a_member_out => Postgres, signin_limits;
        progressive_sqlite: each_wrong_password_past_the_threshold_waits_longer => Sqlite, progressive_limits;
        members_sqlite: edits_reactions_reports_and_concerns_are_limited => Sqlite, member_action_limits;
        socket_sqlite: subscriptions_and_chat_are_limited_per_member_across_sockets => Sqlite, socket_limits;
    );
}

/// Redis goes away mid-run (a proxy in front of it is cut, then restored): what strangers can do
/// without an account (sign in, apply) is refused with `503` and the JSON error, never a 500 and
/// never let through unlimited; a signed-in member's reply still goes through, because an outage
/// must not silence a member in crisis; once Redis is back, signing in works again.
mod redis_outage {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use tokio::io::copy_bidirectional;
    use tokio::net::{TcpListener, TcpStream};
    use tokio::sync::watch;

    use super::*;

    /// A TCP proxy to the test Redis that can be cut (every connection dropped, new ones
    /// refused at once) and restored.
    struct CuttableProxy {
        port: u16,
        up: Arc<AtomicBool>,
        cut: watch::Sender<u64>,
    }

    impl CuttableProxy {
        async fn start(target: String) -> CuttableProxy {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = listener.local_addr().unwrap().port();
            let up = Arc::new(AtomicBool::new(true));
            let (cut, cuts) = watch::channel(0u64);
            let accepting = up.clone();
            tokio::spawn(async move {
                while let Ok((mut inbound, _)) = listener.accept().await {
                    if !accepting.load(Ordering::SeqCst) {
                        drop(inbound);
                        continue;
                    }
                    let target = target.clone();
                    let mut cuts = cuts.clone();
                    cuts.borrow_and_update();
                    tokio::spawn(async move {
                        let Ok(mut outbound) = TcpStream::connect(&target).await else {
                            return;
                        };
                        tokio::select! {
                            _ = copy_bidirectional(&mut inbound, &mut outbound) => {}
                            _ = cuts.changed() => {}
                        }
                    });
                }
            });
            CuttableProxy { port, up, cut }
        }

        fn cut(&self) {
            self.up.store(false, Ordering::SeqCst);
            self.cut.send_modify(|n| *n += 1);
        }

        fn restore(&self) {
            self.up.store(true, Ordering::SeqCst);
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn strangers_are_refused_and_members_still_post_while_redis_is_down() {
        if !common::redis_available().await {
            return;
        }
        let target = common::redis_url()
            .trim_start_matches("redis://")
            .trim_end_matches('/')
            .to_owned();
        let proxy = CuttableProxy::start(target).await;
        let port = proxy.port;
        let Some(app) = TestApp::spawn_with(Backend::Sqlite, move |c| {
            c.redis_url = Some(format!("redis://127.0.0.1:{port}"));
        })
        .await
        else {
            return;
        };
        let admin = app.admin().await;
        let (member, _) = app.established_member(&admin, "steady_member").await;
        let (_, boards) = member.get("/api/boards").await;
        let board = boards["boards"][0]["id"].as_str().unwrap().to_owned();
        let (status, body) = member
            .post(
                &format!("/api/boards/{board}/threads"),
                json!({"title": "Before the outage", "body": "Still here."}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let thread = body["thread"]["id"].as_str().unwrap().to_owned();

        proxy.cut();
        let stranger = app.client();
        let (status, _, body) = answer(
            stranger
                .request(Method::POST, "/api/session")
                .json(&json!({"login": "steady_member", "password": "a-guess-at-it-1"})),
        )
        .await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "sign-in: {body}");
        assert!(body["error"]["code"].is_string(), "the JSON error: {body}");
        let (status, _, body) = answer(
            stranger
                .request(Method::POST, "/api/applications")
                .json(&application("outage_applicant", "1980-01-01")),
        )
        .await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "apply: {body}");

        let (status, body) = member
            .post(
                &format!("/api/threads/{thread}/posts"),
                json!({"body": "I am having a really hard night and wanted to say so."}),
            )
            .await;
        assert!(
            status == StatusCode::CREATED,
            "a member's reply goes through the outage: {status} {body}"
        );

        proxy.restore();
        let mut last = None;
        for _ in 0..100 {
            let (status, _, body) = answer(stranger.request(Method::POST, "/api/session").json(
                &json!({"login": "steady_member", "password": password_of("steady_member")}),
            ))
            .await;
            if status == StatusCode::OK {
                last = None;
                break;
            }
            last = Some((status, body));
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(last, None, "signing in works again once Redis is back");
    }
}
