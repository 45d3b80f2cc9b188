//! Members' everyday comforts (issue 14 item 8) end to end over HTTP on SQLite and PostgreSQL:
//! unread counts and latest activity per board, jump to first unread, @mention completion, the
//! welcome on a first sign-in and the timescale after applying. Each checks that nothing a
//! member may not see (held posts, removed ones, staff-only boards, applicants, banned or
//! erased members) shows through.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{Client, TestApp, code};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn board(admin: &Client, name: &str, visibility: Option<&str>) -> String {
    let mut body = json!({"name": name, "description": "Somewhere to talk"});
    if let Some(v) = visibility {
        body["visibility"] = json!(v);
    }
    let (status, body) = admin.post("/api/admin/boards", body).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["board"]["id"].as_str().unwrap().to_owned()
}

/// Starts a thread; answers (thread id, moderation status).
async fn thread(c: &Client, board: &str, title: &str) -> (String, String) {
    let (status, b) = c
        .post(
            &format!("/api/boards/{board}/threads"),
            json!({"title": title, "body": "How is everyone getting on this week?"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    (
        b["thread"]["id"].as_str().unwrap().to_owned(),
        b["moderation"]["status"].as_str().unwrap().to_owned(),
    )
}

/// Replies; answers (post id, moderation status).
async fn reply(c: &Client, thread: &str, body: &str) -> (String, String) {
    let (status, b) = c
        .post(
            &format!("/api/threads/{thread}/posts"),
            json!({"body": body}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    (
        b["post"]["id"].as_str().unwrap().to_owned(),
        b["moderation"]["status"].as_str().unwrap().to_owned(),
    )
}

/// The reader's activity answer, as board id -> (unread threads, last activity).
async fn activity(c: &Client) -> Vec<(String, i64, Value)> {
    let (status, body) = c.get("/api/boards/activity").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["boards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["board_id"].as_str().unwrap().to_owned(),
                b["unread_threads"].as_i64().unwrap(),
                b["last_activity_at"].clone(),
            )
        })
        .collect()
}

async fn of_board(c: &Client, board: &str) -> (i64, Value) {
    activity(c)
        .await
        .into_iter()
        .find(|(b, _, _)| b == board)
        .map(|(_, n, at)| (n, at))
        .unwrap_or_else(|| panic!("board {board} missing"))
}

/// Reads a thread's first page (which marks it read); answers its `first_unread`.
async fn read(c: &Client, thread: &str) -> Value {
    let (status, body) = c.get(&format!("/api/threads/{thread}/posts")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["first_unread"].clone()
}

/// A moment, so that what happens next is strictly later than a read marker.
async fn tick() {
    tokio::time::sleep(std::time::Duration::from_millis(15)).await;
}

async fn board_activity_counts_only_what_the_reader_may_see(app: TestApp) {
    let admin = app.admin().await;
    let (reader, _) = app.established_member(&admin, "steady_reader").await;
    let (newcomer, _) = app.member(&admin, "new_arrival").await;
    let general = board(&admin, "General", None).await;
    let staff = board(&admin, "Staff room", Some("moderators")).await;
    let quiet = board(&admin, "Quiet corner", None).await;

    // Nothing yet: zero and no time.
    assert_eq!(of_board(&reader, &general).await, (0, Value::Null));
    // A staff-only board is not in a member's answer at all, whatever happens on it.
    thread(&admin, &staff, "Rota for the weekend").await;
    assert!(
        !activity(&reader).await.iter().any(|(b, _, _)| *b == staff),
        "a member never learns of a staff board"
    );
    let staff_seen = activity(&admin).await;
    assert!(
        staff_seen.iter().any(|(b, n, _)| *b == staff && *n == 0),
        "the admin's own thread is not unread for them: {staff_seen:?}"
    );

    // A thread never opened is unread; reading it clears it.
    let (t1, _) = thread(&admin, &general, "Visiting days").await;
    let (n, at) = of_board(&reader, &general).await;
    assert_eq!(n, 1);
    assert!(at.is_string(), "{at}");
    assert_eq!(
        read(&reader, &t1).await,
        Value::Null,
        "never opened: no jump"
    );
    assert_eq!(of_board(&reader, &general).await, (0, at.clone()));
    tick().await;

    // A held reply (a new member's first posts wait for a moderator) and a held thread are
    // neither counted nor move the board's latest activity.
    let (held, status) = reply(&newcomer, &t1, "My first words here, thank you all.").await;
    assert_eq!(status, "held");
    let (_, status) = thread(&newcomer, &general, "A newcomer asks").await;
    assert_eq!(status, "held");
    assert_eq!(of_board(&reader, &general).await, (0, at.clone()));
    // The newcomer's own held thread is not counted for them either.
    assert_eq!(of_board(&newcomer, &general).await.0, 1, "t1 only");

    // A published reply by someone else counts and moves the time; the reader's own does not.
    let (mine, _) = reply(&reader, &t1, "Same here, the drive is long.").await;
    assert_eq!(
        of_board(&reader, &general).await.0,
        0,
        "own reply is not unread"
    );
    tick().await;
    let (r1, _) = reply(&admin, &t1, "We share lifts from the station.").await;
    let (_, r2) = reply(&admin, &t1, "And the visitors' centre has tea.").await;
    assert_eq!(r2, "published");
    let (n, later) = of_board(&reader, &general).await;
    assert_eq!(n, 1, "one thread, however many posts");
    assert!(
        later.as_str().unwrap() > at.as_str().unwrap(),
        "{later} after {at}"
    );
    // Jump to first unread: the first post newer than the marker that is someone else's.
    assert_eq!(read(&reader, &t1).await, json!(r1));
    assert_eq!(read(&reader, &t1).await, Value::Null, "read now");
    assert_eq!(of_board(&reader, &general).await.0, 0);
    let _ = (held, mine);
    tick().await;

    // A reply removed by a moderator before the reader came back is not counted, and the
    // jump never points at it.
    let (removed, _) = reply(&admin, &t1, "A post the moderators take down.").await;
    let (status, b) = admin
        .post(
            &format!("/api/mod/posts/{removed}/remove"),
            json!({"reason": "Off topic"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    assert_eq!(
        of_board(&reader, &general).await.0,
        0,
        "removed: nothing to read"
    );
    assert_eq!(read(&reader, &t1).await, Value::Null);

    // Other boards are counted apart; a thread whose opening post is removed is not listed,
    // so not counted.
    let (t2, _) = thread(&admin, &quiet, "Somewhere quiet").await;
    assert_eq!(of_board(&reader, &quiet).await.0, 1);
    let (_, q) = admin.get(&format!("/api/threads/{t2}/posts")).await;
    let first = q["posts"][0]["id"].as_str().unwrap().to_owned();
    let (status, b) = admin
        .post(
            &format!("/api/mod/posts/{first}/remove"),
            json!({"reason": "Posted in error"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    assert_eq!(of_board(&reader, &quiet).await.0, 0);

    // Signed out: nothing.
    let (status, body) = app.client().get("/api/boards/activity").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
}

async fn mention_completion_offers_active_members_only(app: TestApp) {
    let admin = app.admin().await;
    let (asker, _) = app.member(&admin, "asker").await;
    app.member(&admin, "kate_one").await;
    app.member(&admin, "Karl").await;
    let (_, banned) = app.member(&admin, "kay_banned").await;
    let (_, erased) = app.member(&admin, "kai_erased").await;
    let (_, suspended) = app.member(&admin, "kat_suspended").await;
    // A pending applicant: applied, never approved.
    let (status, body) = app
        .client()
        .post(
            "/api/applications",
            common::application("kathy_waiting", "1988-02-03"),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let (status, b) = admin
        .post(
            &format!("/api/admin/members/{banned}/ban"),
            json!({"reason": "Threats to another member."}),
        )
        .await;
    assert!(status.is_success(), "{b}");
    let (status, b) = admin
        .post(
            &format!("/api/admin/members/{erased}/erase"),
            json!({"posts": "delete"}),
        )
        .await;
    assert!(status.is_success(), "{b}");
    let (status, b) = admin
        .post(
            &format!("/api/mod/members/{suspended}/suspend"),
            json!({"reason": "A pause to cool down.", "hours": 48}),
        )
        .await;
    assert!(status.is_success(), "{b}");

    let (status, body) = asker.get("/api/mentions?prefix=Ka").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["handles"], json!(["Karl", "kate_one"]), "{body}");
    // An `@` typed with it is fine; so is any case.
    let (_, body) = asker.get("/api/mentions?prefix=%40KATE").await;
    assert_eq!(body["handles"], json!(["kate_one"]));
    // `_` and `.` are themselves, not wildcards.
    let (_, body) = asker.get("/api/mentions?prefix=k_").await;
    assert_eq!(body["handles"], json!([]), "{body}");
    let (_, body) = asker.get("/api/mentions?prefix=kate_").await;
    assert_eq!(body["handles"], json!(["kate_one"]));

    // Bad prefixes are refused clearly, never a 500.
    for bad in [
        "",
        "%25",
        "ka%27%20OR%201%3D1",
        "%3Cscript%3E",
        "k%C3%A4",
        &"a".repeat(33),
    ] {
        let (status, body) = asker.get(&format!("/api/mentions?prefix={bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert_eq!(code(&body), "invalid", "{body}");
    }
    let (status, _) = asker.get("/api/mentions").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = app.client().get("/api/mentions?prefix=ka").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Limited per member (60 a minute by default): enough to write, not to walk the list.
    let mut limited = false;
    for _ in 0..70 {
        let (status, body) = asker.get("/api/mentions?prefix=q").await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(code(&body), "rate_limited");
            limited = true;
            break;
        }
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    assert!(limited, "mention look-ups are rate limited");
}

async fn the_welcome_is_shown_once_on_any_device(app: TestApp) {
    let admin = app.admin().await;
    let (first_device, _) = app.member(&admin, "brand_new").await;
    let (status, body) = first_device.get("/api/me/welcome").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["due"], true);
    let (status, body) = first_device.delete("/api/me/welcome").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["due"], false);
    // Another device (a shared computer) does not show it again.
    let second = app.client();
    second
        .sign_in("brand_new", &common::password_of("brand_new"))
        .await;
    let (_, body) = second.get("/api/me/welcome").await;
    assert_eq!(body["due"], false);
    // Putting it away twice is harmless.
    let (status, _) = second.delete("/api/me/welcome").await;
    assert_eq!(status, StatusCode::OK);
    // Another member's welcome is theirs.
    let (other, _) = app.member(&admin, "another_new").await;
    let (_, body) = other.get("/api/me/welcome").await;
    assert_eq!(body["due"], true);
    // Signed out: refused.
    let (status, _) = app.client().get("/api/me/welcome").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app.client().delete("/api/me/welcome").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn applying_says_when_to_expect_an_answer(app: TestApp) {
    let (status, body) = app
        .client()
        .post(
            "/api/applications",
            common::application("hopeful_one", "1979-11-30"),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["answer_days"], 3, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("usually within 3 days"),
        "{body}"
    );
}

/// Says `body` in `room` over the member's socket and waits for the answer.
async fn say(c: &Client, room: &str, body: &str) -> Value {
    let mut ws = c.socket().await;
    ws.send(json!({"type": "say", "room": room, "body": body, "client_id": uuid::Uuid::new_v4()}))
        .await;
    ws.expect("the ack", |v| v["type"] == "ack").await
}

async fn members_see_that_a_chat_message_is_from_a_moderator_and_nothing_more(app: TestApp) {
    let admin = app.admin().await;
    let (member, _) = app.established_member(&admin, "chatty_member").await;
    let (_, mod_id) = app.member(&admin, "kind_moderator").await;
    let (status, b) = admin
        .patch(
            &format!("/api/admin/members/{mod_id}"),
            json!({"role": "moderator"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    let moderator = app.client();
    moderator
        .sign_in("kind_moderator", &common::password_of("kind_moderator"))
        .await;
    let (status, body) = admin
        .post(
            "/api/admin/rooms",
            json!({"name": "Evening room", "slow_mode_seconds": 0, "new_member_slow_mode_seconds": 0}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let room = body["room"]["id"].as_str().unwrap().to_owned();
    for (c, text) in [
        (&moderator, "Welcome in, everyone."),
        (&member, "Hello all."),
        (&admin, "Good evening."),
    ] {
        let ack = say(c, &room, text).await;
        assert_eq!(ack["status"], "published", "{ack}");
    }
    let (status, body) = member.get(&format!("/api/rooms/{room}/messages")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let flags: Vec<(String, Value)> = body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["author"].as_str().unwrap().to_owned(),
                m["moderator"].clone(),
            )
        })
        .collect();
    assert_eq!(
        flags,
        // Newest first.
        [
            // An admin is shown as a moderator too: members learn no more about staff.
            ("first_admin".to_owned(), json!(true)),
            ("chatty_member".to_owned(), json!(false)),
            ("kind_moderator".to_owned(), json!(true)),
        ]
    );
    for m in body["messages"].as_array().unwrap() {
        let keys: Vec<&str> = m.as_object().unwrap().keys().map(String::as_str).collect();
        assert!(
            !keys
                .iter()
                .any(|k| k.contains("role") || k.contains("admin")),
            "{m}"
        );
    }
}

async fn unread_counts_look_at_a_window_of_recent_threads(app: TestApp) {
    let admin = app.admin().await;
    let (reader, _) = app.member(&admin, "window_reader").await;
    let busy = board(&admin, "Busy board", None).await;
    for i in 0..102 {
        thread(&admin, &busy, &format!("Thread number {i}")).await;
    }
    // At most 100 counted, whatever the size of the board: the page says "100 or more".
    let (n, at) = of_board(&reader, &busy).await;
    assert_eq!(n, hearth_store::UNREAD_WINDOW);
    assert!(at.is_string());
}

on_both_backends!(
    unread_counts_look_at_a_window_of_recent_threads,
    a_member_reports_a_chat_message_and_a_moderator_removes_it,
    members_see_that_a_chat_message_is_from_a_moderator_and_nothing_more,
    board_activity_counts_only_what_the_reader_may_see,
    mention_completion_offers_active_members_only,
    the_welcome_is_shown_once_on_any_device,
    applying_says_when_to_expect_an_answer,
);

/// The figure comes from the server's configuration.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_answer_timescale_is_configurable() {
    let Some(app) = TestApp::spawn_with(common::Backend::Sqlite, |c| {
        c.application_answer_days = 1;
    })
    .await
    else {
        return;
    };
    let (status, body) = app
        .client()
        .post(
            "/api/applications",
            common::application("hopeful_two", "1979-11-30"),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["answer_days"], 1);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("usually within 1 day."),
        "{body}"
    );
}

async fn a_member_reports_a_chat_message_and_a_moderator_removes_it(app: TestApp) {
    let admin = app.admin().await;
    let (speaker, _) = app.established_member(&admin, "loud_speaker").await;
    let (reader, _) = app.established_member(&admin, "careful_reader").await;
    let (newcomer, _) = app.member(&admin, "brand_new_voice").await;
    let (status, body) = admin
        .post(
            "/api/admin/rooms",
            json!({"name": "Evening room", "slow_mode_seconds": 0, "new_member_slow_mode_seconds": 0}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let room = body["room"]["id"].as_str().unwrap().to_owned();
    let ack = say(&speaker, &room, "You lot are all hopeless.").await;
    assert_eq!(ack["status"], "published", "{ack}");
    let (_, history) = reader.get(&format!("/api/rooms/{room}/messages")).await;
    let message = history["messages"][0]["id"].as_str().unwrap().to_owned();

    // A bad reason, one's own message, a message nobody has: refused clearly.
    let (status, body) = reader
        .post(
            &format!("/api/messages/{message}/reports"),
            json!({"reason": "because"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = speaker
        .post(
            &format!("/api/messages/{message}/reports"),
            json!({"reason": "unkind"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, _) = reader
        .post(
            &format!("/api/messages/{}/reports", uuid::Uuid::now_v7()),
            json!({"reason": "unkind"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = reader
        .post(
            "/api/messages/not-an-id/reports",
            json!({"reason": "unkind"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A held message (a newcomer's first words wait for a moderator) cannot be reported by
    // someone who cannot see it: it answers as if it did not exist.
    let ack = say(&newcomer, &room, "Hello, I am new here.").await;
    assert_eq!(ack["status"], "held", "{ack}");
    let (_, staff_view) = admin.get(&format!("/api/rooms/{room}/messages")).await;
    let held = staff_view["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["status"] == "held")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _) = reader
        .post(
            &format!("/api/messages/{held}/reports"),
            json!({"reason": "unkind"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The report; a second one by the same member is a 409.
    let (status, body) = reader
        .post(
            &format!("/api/messages/{message}/reports"),
            json!({"reason": "unkind"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = reader
        .post(
            &format!("/api/messages/{message}/reports"),
            json!({"reason": "unkind"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(code(&body), "already_reported");

    // The moderators' queue shows the message's text and the reason, never the reporter.
    let (status, q) = admin.get("/api/mod/queue").await;
    assert_eq!(status, StatusCode::OK, "{q}");
    let reported = q["reported_messages"].as_array().unwrap();
    assert_eq!(reported.len(), 1, "{q}");
    assert_eq!(reported[0]["message"]["body"], "You lot are all hopeless.");
    assert_eq!(reported[0]["room"]["name"], "Evening room");
    assert_eq!(reported[0]["reasons"], json!(["unkind"]));
    assert!(!q.to_string().contains("careful_reader"), "{q}");
    // Members cannot see the queue nor decide.
    let (status, _) = reader.get("/api/mod/queue").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = reader
        .post(
            &format!("/api/mod/messages/{message}/report-decision"),
            json!({"decision": "keep"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Removing needs a reason; then the message leaves the room for everyone, and its author
    // is told.
    let (status, _) = admin
        .post(
            &format!("/api/mod/messages/{message}/report-decision"),
            json!({"decision": "remove"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) = admin
        .post(
            &format!("/api/mod/messages/{message}/report-decision"),
            json!({"decision": "remove", "reason": "Please be kind to each other."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, history) = reader.get(&format!("/api/rooms/{room}/messages")).await;
    assert!(
        !history.to_string().contains("hopeless"),
        "removed for readers: {history}"
    );
    let (_, q) = admin.get("/api/mod/queue").await;
    assert_eq!(q["reported_messages"], json!([]));
    let (status, body) = admin
        .post(
            &format!("/api/mod/messages/{message}/report-decision"),
            json!({"decision": "keep"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (_, n) = speaker.get("/api/notifications").await;
    assert!(
        n["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["kind"] == "message_removed"),
        "{n}"
    );
    // The reporter's export lists their report.
    let (status, export) = reader.get("/api/me/export").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        export["chat_reports_made"][0]["message_id"],
        json!(message),
        "{export}"
    );
}
