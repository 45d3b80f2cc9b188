//! The realtime socket end to end: real servers, real websockets (tokio-tungstenite), real
//! databases; in-process fan-out on one instance, and Redis pub/sub between two instances on
//! one PostgreSQL database with a Redis server this test starts (and kills) itself.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::time::Duration;

use common::ws::Ws;
use common::{Client, TestApp, password_of};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Signs in with a fresh cookie-less request and answers the session cookie.
async fn session_cookie(base: &str, login: &str, password: &str) -> String {
    let resp = reqwest::Client::new()
        .post(format!("{base}/api/session"))
        .header("Origin", base)
        .json(&json!({"login": login, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    resp.headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

/// A socket signed in as `login`, from the site's own origin.
async fn socket(base: &str, login: &str, password: &str) -> Ws {
    let cookie = session_cookie(base, login, password).await;
    Ws::open(base, Some(&cookie)).await
}

async fn board_with_thread(admin: &Client) -> (String, String) {
    let (_, b) = admin
        .post("/api/admin/boards", json!({"name": "Live"}))
        .await;
    let board = b["board"]["id"].as_str().unwrap().to_owned();
    let (_, t) = admin
        .post(
            &format!("/api/boards/{board}/threads"),
            json!({"title": "Talking now", "body": "Hello."}),
        )
        .await;
    (board, t["thread"]["id"].as_str().unwrap().to_owned())
}

async fn posts_reach_subscribers_and_held_posts_reach_only_moderators(app: TestApp) {
    let admin = app.admin().await;
    let (board, thread) = board_with_thread(&admin).await;
    let (newbie, _) = app.member(&admin, "new_voice").await;
    app.member(&admin, "quiet_watcher").await;
    let mut watcher = socket(&app.base, "quiet_watcher", &password_of("quiet_watcher")).await;
    watcher
        .subscribe(
            json!([format!("thread:{thread}"), format!("board:{board}")]),
            json!({}),
        )
        .await;
    let mut moderator = socket(&app.base, "first_admin", "admin-password-1").await;
    moderator.subscribe(json!(["modqueue"]), json!({})).await;

    // A member may not listen to the moderators' queue, nor to someone else's notifications.
    watcher
        .send(json!({"type": "subscribe", "topics": ["modqueue"]}))
        .await;
    let err = watcher.expect("error", |v| v["type"] == "error").await;
    assert_eq!(err["code"], "forbidden");
    watcher
        .send(json!({"type": "subscribe", "topics": [format!("member:{}", uuid::Uuid::new_v4())]}))
        .await;
    assert_eq!(
        watcher.expect("error", |v| v["type"] == "error").await["code"],
        "forbidden"
    );

    // The new member's reply is held: the moderator hears of it, the watcher does not.
    let (_, held) = newbie
        .post(
            &format!("/api/threads/{thread}/posts"),
            json!({"body": "I have never said this out loud before."}),
        )
        .await;
    assert_eq!(held["moderation"]["status"], "held");
    let held_id = held["post"]["id"].as_str().unwrap().to_owned();
    let added = moderator
        .expect("queue_item_added", |v| {
            v["event"]["kind"] == "queue_item_added"
        })
        .await;
    assert_eq!(added["topic"], "modqueue");
    assert_eq!(added["event"]["post_id"], held_id.as_str());

    // The admin's own reply publishes at once and reaches the watcher.
    admin
        .post(
            &format!("/api/threads/{thread}/posts"),
            json!({"body": "Welcome, take your time."}),
        )
        .await;
    let ev = watcher
        .expect("post_published", |v| v["event"]["kind"] == "post_published")
        .await;
    assert!(
        ev["event"]["post"]["body_html"]
            .as_str()
            .unwrap()
            .contains("Welcome")
    );
    assert!(ev["seq"].as_i64().unwrap() >= 1);
    assert!(
        ev["event"]["post"].get("body_source").is_none()
            && ev["event"]["post"].get("verdict").is_none()
    );

    // Approval publishes the held post to the watcher, and the queue hears it was decided.
    let (_, q) = admin.get("/api/mod/queue").await;
    let item = q["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["post"]["id"] == held_id.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    admin
        .post(&format!("/api/mod/queue/{item}/approve"), json!({}))
        .await;
    let ev = watcher
        .expect("the approved post", |v| {
            v["event"]["kind"] == "post_published" && v["event"]["post"]["id"] == held_id.as_str()
        })
        .await;
    assert_eq!(ev["topic"], format!("thread:{thread}"));
    moderator
        .expect("queue_item_decided", |v| {
            v["event"]["kind"] == "queue_item_decided"
        })
        .await;
    // Before approval the watcher never saw it: everything it got about that post came after.
    let _ = watcher.next(Duration::from_millis(300)).await;
}

async fn a_reconnecting_client_catches_up_in_order_without_gaps_or_duplicates(app: TestApp) {
    let admin = app.admin().await;
    let (_, thread) = board_with_thread(&admin).await;
    app.member(&admin, "comes_back").await;
    let mut ws = socket(&app.base, "comes_back", &password_of("comes_back")).await;
    let topic = format!("thread:{thread}");
    ws.subscribe(json!([topic]), json!({})).await;
    admin
        .post(
            &format!("/api/threads/{thread}/posts"),
            json!({"body": "one"}),
        )
        .await;
    let first = ws.expect("first event", |v| v["type"] == "event").await;
    let seen = first["seq"].as_i64().unwrap();
    ws.close().await;
    // While away, three more posts.
    for body in ["two", "three", "four"] {
        admin
            .post(
                &format!("/api/threads/{thread}/posts"),
                json!({"body": body}),
            )
            .await;
    }
    let mut ws = socket(&app.base, "comes_back", &password_of("comes_back")).await;
    ws.send(json!({"type": "subscribe", "topics": [topic], "since": {topic.clone(): seen}}))
        .await;
    let mut seqs = vec![];
    let mut bodies = vec![];
    while seqs.len() < 3 {
        let v = ws.expect("missed events", |v| v["type"] == "event").await;
        seqs.push(v["seq"].as_i64().unwrap());
        bodies.push(v["event"]["post"]["body_html"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        seqs,
        vec![seen + 1, seen + 2, seen + 3],
        "in order, no gap, no duplicate"
    );
    assert!(
        bodies[0].contains("two") && bodies[2].contains("four"),
        "{bodies:?}"
    );
    // Then live, continuing the sequence.
    admin
        .post(
            &format!("/api/threads/{thread}/posts"),
            json!({"body": "five"}),
        )
        .await;
    let live = ws.expect("live event", |v| v["type"] == "event").await;
    assert_eq!(live["seq"].as_i64().unwrap(), seen + 4);
    assert!(
        ws.next(Duration::from_millis(300)).await.is_none(),
        "nothing twice"
    );
}

async fn the_socket_refuses_foreign_origins_and_strangers(app: TestApp) {
    let admin = app.admin().await;
    drop(admin);
    let cookie = session_cookie(&app.base, "first_admin", "admin-password-1").await;
    let err = Ws::try_open_from(&app.base, Some(&cookie), Some("https://evil.example"))
        .await
        .map(|_| ())
        .expect_err("foreign origin refused");
    assert!(err.to_string().contains("403"), "{err}");
    let err = Ws::try_open_from(&app.base, Some(&cookie), None)
        .await
        .map(|_| ())
        .expect_err("no origin refused");
    assert!(err.to_string().contains("403"), "{err}");
    let err = Ws::try_open_from(&app.base, None, Some(&app.base))
        .await
        .map(|_| ())
        .expect_err("signed-out refused");
    assert!(err.to_string().contains("401"), "{err}");
    // Nonsense on a good socket gets an error frame and the socket stays usable.
    let mut ws = Ws::try_open_from(&app.base, Some(&cookie), Some(&app.base))
        .await
        .unwrap();
    for bad in [
        "not json",
        r#"{"type":"launch"}"#,
        r#"{"type":"subscribe","topics":["nowhere:1"]}"#,
    ] {
        assert!(ws.send_raw(bad).await);
        let e = ws.expect("error frame", |v| v["type"] == "error").await;
        assert!(e["code"].is_string(), "{e}");
    }
    ws.send_raw(&"x".repeat(64 * 1024)).await;
    ws.send(json!({"type": "ping"})).await;
    let _ = ws.next(Duration::from_secs(2)).await;
    let (status, _) = Client::new(&app.base, true).get("/healthz").await;
    assert_eq!(status, StatusCode::OK, "the server is fine");
}

async fn a_suspended_members_socket_closes_at_once(app: TestApp) {
    let admin = app.admin().await;
    let (_, member_id) = app.member(&admin, "about_to_go").await;
    let mut ws = socket(&app.base, "about_to_go", &password_of("about_to_go")).await;
    ws.subscribe(json!([format!("member:{member_id}")]), json!({}))
        .await;
    admin
        .post(
            &format!("/api/mod/members/{member_id}/suspend"),
            json!({"hours": 1, "reason": "a break"}),
        )
        .await;
    let reason = ws
        .closes_within(Duration::from_secs(5))
        .await
        .expect("the socket closed within 5 s");
    assert!(
        reason.contains("suspended") || reason.contains("not active"),
        "{reason}"
    );
}

async fn chat_messages_are_moderated_acknowledged_and_delivered(app: TestApp) {
    let admin = app.admin().await;
    let (status, body) = admin
        .post(
            "/api/admin/rooms",
            json!({"name": "Evening chat", "new_member_slow_mode_seconds": 0}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let room = body["room"]["id"].as_str().unwrap().to_owned();
    let (status, body) = admin
        .post(
            "/api/admin/rooms",
            json!({"name": "", "slow_mode_seconds": 5}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("name"))
    );
    app.member(&admin, "chatter_one").await;
    let mut a = socket(&app.base, "first_admin", "admin-password-1").await;
    let mut b = socket(&app.base, "chatter_one", &password_of("chatter_one")).await;
    a.subscribe(json!([format!("room:{room}")]), json!({}))
        .await;
    b.subscribe(json!([format!("room:{room}")]), json!({}))
        .await;
    let (_, rooms) = Client::new(&app.base, true).get("/api/rooms").await;
    assert!(rooms["error"].is_object(), "rooms need a session");

    let id = uuid::Uuid::new_v4();
    a.send(json!({"type": "say", "room": room, "body": "Evening all, how is everyone?", "client_id": id})).await;
    let ack = a.expect("ack", |v| v["type"] == "ack").await;
    assert_eq!(
        (ack["client_id"].as_str(), ack["status"].as_str()),
        (Some(id.to_string().as_str()), Some("published"))
    );
    let msg = b
        .expect("the message", |v| v["event"]["kind"] == "message")
        .await;
    assert!(
        msg["event"]["message"]["body_html"]
            .as_str()
            .unwrap()
            .contains("Evening all")
    );
    assert_eq!(msg["event"]["message"]["author"], "first_admin");
    // Resent with its client_id from a new socket (the first dropped before the ack came):
    // acknowledged again, stored and delivered once (the history below has one message).
    let mut a2 = socket(&app.base, "first_admin", "admin-password-1").await;
    a2.send(json!({"type": "say", "room": room, "body": "Evening all, how is everyone?", "client_id": id})).await;
    let ack = a2.expect("ack", |v| v["type"] == "ack").await;
    assert_eq!(
        (ack["client_id"].as_str(), ack["status"].as_str()),
        (Some(id.to_string().as_str()), Some("published"))
    );
    // The same client_id for other words is refused.
    a2.send(json!({"type": "say", "room": room, "body": "Something else", "client_id": id}))
        .await;
    let ack = a2.expect("ack", |v| v["type"] == "ack").await;
    assert_eq!(ack["status"], "rejected", "{ack}");
    assert!(
        ack["reason"].as_str().unwrap().contains("client_id"),
        "{ack}"
    );

    // A new member's first chat messages are held: acknowledged as such, and not delivered.
    let id2 = uuid::Uuid::new_v4();
    for _ in 0..2 {
        // The second time, a resend: held as before, and still one message.
        b.send(
            json!({"type": "say", "room": room, "body": "hi, first time here", "client_id": id2}),
        )
        .await;
        let ack = b.expect("ack", |v| v["type"] == "ack").await;
        assert_eq!(ack["status"], "held", "{ack}");
        assert!(ack["reason"].as_str().unwrap().len() > 10);
    }
    // Abuse is rejected with the reason.
    let id3 = uuid::Uuid::new_v4();
    b.send(json!({"type": "say", "room": room, "body": "You're a disgusting enabler and you know it.", "client_id": id3})).await;
    let ack = b
        .expect("ack", |v| {
            v["type"] == "ack" && v["client_id"] == id3.to_string().as_str()
        })
        .await;
    assert_eq!(ack["status"], "rejected");
    assert!(
        a.next(Duration::from_millis(500))
            .await
            .is_none_or(|v| v["event"]["kind"] != "message"),
        "nothing held or rejected reaches others"
    );
    // History over HTTP: the published message, and the member's own held one marked.
    let member = Client::new(&app.base, true);
    member
        .sign_in("chatter_one", &password_of("chatter_one"))
        .await;
    let (status, hist) = member.get(&format!("/api/rooms/{room}/messages")).await;
    assert_eq!(status, StatusCode::OK, "{hist}");
    let statuses: Vec<_> = hist["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["status"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(statuses, ["held", "published"], "newest first: {hist}");
    // The held message waits in the moderators' queue; approved, it reaches the room live.
    let (_, q) = admin.get("/api/mod/queue").await;
    let held = q["held_messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["body"] == "hi, first time here")
        .expect("held chat in the queue")
        .clone();
    assert_eq!(held["author"], "chatter_one");
    let held_id = held["id"].as_str().unwrap();
    let (status, body) = admin
        .post(&format!("/api/mod/messages/{held_id}/approve"), json!({}))
        .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("published")),
        "{body}"
    );
    let live = a
        .expect("the approved message", |v| v["event"]["kind"] == "message")
        .await;
    assert!(
        live["event"]["message"]["body_html"]
            .as_str()
            .unwrap()
            .contains("first time here")
    );
    let (status, _) = admin
        .post(
            &format!("/api/mod/messages/{held_id}/reject"),
            json!({"reason": "too late"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "decided once");
    let (status, _) = member
        .post(&format!("/api/mod/messages/{held_id}/approve"), json!({}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, rooms) = member.get("/api/rooms").await;
    let r = rooms["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == room.as_str())
        .unwrap()
        .clone();
    assert_eq!(r["open"], true);
    let present: Vec<_> = r["present"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap().to_owned())
        .collect();
    // Members see that a moderator is here, never which one.
    assert!(present.contains(&"chatter_one".to_owned()), "{present:?}");
    assert!(!present.contains(&"first_admin".to_owned()), "{present:?}");
    assert_eq!(r["moderator_present"], true, "{r}");
    let (_, rooms) = admin.get("/api/rooms").await;
    let staff_view = rooms["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == room.as_str())
        .unwrap()
        .clone();
    assert!(
        staff_view["present"].to_string().contains("first_admin"),
        "{staff_view}"
    );
}

async fn a_room_that_needs_a_moderator_is_closed_without_one(app: TestApp) {
    let admin = app.admin().await;
    let (_, body) = admin.post("/api/admin/rooms", json!({"name": "Supported hour", "needs_moderator": true, "new_member_slow_mode_seconds": 0})).await;
    let room = body["room"]["id"].as_str().unwrap().to_owned();
    app.member(&admin, "early_bird").await;
    let mut m = socket(&app.base, "early_bird", &password_of("early_bird")).await;
    m.subscribe(json!([format!("room:{room}")]), json!({}))
        .await;
    let id = uuid::Uuid::new_v4();
    m.send(json!({"type": "say", "room": room, "body": "anyone here?", "client_id": id}))
        .await;
    let ack = m.expect("ack", |v| v["type"] == "ack").await;
    assert_eq!(ack["status"], "rejected");
    assert!(
        ack["reason"].as_str().unwrap().contains("moderator"),
        "{ack}"
    );
    // A moderator arrives: the room opens; they leave: it closes again.
    let mut moderator = socket(&app.base, "first_admin", "admin-password-1").await;
    moderator
        .subscribe(json!([format!("room:{room}")]), json!({}))
        .await;
    let (_, rooms) = admin.get("/api/rooms").await;
    assert_eq!(rooms["rooms"][0]["open"], true);
    moderator.close().await;
    drop(moderator);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let (_, rooms) = admin.get("/api/rooms").await;
        if rooms["rooms"][0]["open"] == false {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the room closed when the moderator left"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Issue 14, item 6b: the members in a room that needs a moderator hear at once, over the
/// socket, that it closed when its last moderator left; while one moderator of two stays,
/// nothing is said; and presence no longer counts the moderator who left.
async fn members_hear_at_once_that_the_room_closed_when_its_moderator_left(app: TestApp) {
    let admin = app.admin().await;
    let (_, body) = admin
        .post(
            "/api/admin/rooms",
            json!({"name": "Evening support", "needs_moderator": true, "new_member_slow_mode_seconds": 0}),
        )
        .await;
    let room = body["room"]["id"].as_str().unwrap().to_owned();
    let (_, mod_id) = app.member(&admin, "night_mod").await;
    admin
        .patch(
            &format!("/api/admin/members/{mod_id}"),
            json!({"role": "moderator"}),
        )
        .await;
    app.member(&admin, "waiting_sister").await;
    let mut moderator = socket(&app.base, "first_admin", "admin-password-1").await;
    moderator
        .subscribe(json!([format!("room:{room}")]), json!({}))
        .await;
    let mut second = socket(&app.base, "night_mod", &password_of("night_mod")).await;
    second
        .subscribe(json!([format!("room:{room}")]), json!({}))
        .await;
    let mut m = socket(&app.base, "waiting_sister", &password_of("waiting_sister")).await;
    m.subscribe(json!([format!("room:{room}")]), json!({}))
        .await;

    // One of two moderators leaves: the room stays open, and nothing is announced.
    second.close().await;
    drop(second);
    if let Some(v) = m.next(Duration::from_millis(1500)).await {
        assert_ne!(v["event"]["kind"], "room_closed", "{v}");
    }
    // The last one leaves: the member hears it at once.
    moderator.close().await;
    drop(moderator);
    let v = m
        .expect("room_closed", |v| {
            v["type"] == "event" && v["event"]["kind"] == "room_closed"
        })
        .await;
    assert_eq!(v["topic"], format!("room:{room}"));
    let (_, rooms) = admin.get("/api/rooms").await;
    let r = rooms["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == room.as_str())
        .unwrap()
        .clone();
    assert_eq!(r["open"], false, "{r}");
    assert_eq!(r["moderator_present"], false, "{r}");
}

/// Issue 14, item 7g: the waiting counts for the navigation. Moderators get open queue items and
/// open crises, admins waiting applications too, members nothing; admins hear over the socket
/// (the admins-only `applications` topic) when an application arrives, and moderators over
/// `modqueue` when the queue changes, so the count is asked for again only then.
async fn waiting_counts_are_live_for_moderators_and_admins(app: TestApp) {
    let admin = app.admin().await;
    let (_, mod_id) = app.member(&admin, "count_mod").await;
    admin
        .patch(
            &format!("/api/admin/members/{mod_id}"),
            json!({"role": "moderator"}),
        )
        .await;
    let moderator = app.client();
    moderator
        .sign_in("count_mod", &password_of("count_mod"))
        .await;
    let (member, _) = app.member(&admin, "count_member").await;

    let (status, body) = member.get("/api/mod/counts").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = moderator.get("/api/mod/counts").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({"queue": 0, "urgent": 0}),
        "no applications for a moderator"
    );
    let (_, body) = admin.get("/api/mod/counts").await;
    assert_eq!(body, json!({"queue": 0, "urgent": 0, "applications": 0}));

    // Only whoever decides applications may hold their topic.
    let mut m = socket(&app.base, "count_mod", &password_of("count_mod")).await;
    m.send(json!({"type": "subscribe", "topics": ["applications"]}))
        .await;
    let err = m.expect("error", |v| v["type"] == "error").await;
    assert_eq!(err["code"], "forbidden");
    m.subscribe(json!(["modqueue"]), json!({})).await;
    let mut a = socket(&app.base, "first_admin", "admin-password-1").await;
    a.subscribe(json!(["applications"]), json!({})).await;

    let (status, body) = app
        .client()
        .post(
            "/api/applications",
            common::application("new_applicant", "1975-05-05"),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let v = a
        .expect("applications_changed", |v| {
            v["type"] == "event" && v["event"]["kind"] == "applications_changed"
        })
        .await;
    assert_eq!(v["topic"], "applications");
    assert_eq!(
        v["event"],
        json!({"kind": "applications_changed"}),
        "no details"
    );
    let (_, body) = admin.get("/api/mod/counts").await;
    assert_eq!(body["applications"], 1, "{body}");

    // A reported post reaches the queue: the moderators hear, and the count goes up.
    let (_, b) = admin
        .post(
            "/api/admin/boards",
            json!({"name": "Counting", "description": "x"}),
        )
        .await;
    let board = b["board"]["id"].as_str().unwrap().to_owned();
    let (_, t) = admin
        .post(
            &format!("/api/boards/{board}/threads"),
            json!({"title": "Hello", "body": "A first post from the admin."}),
        )
        .await;
    let post = t["post"]["id"].as_str().unwrap().to_owned();
    let (status, body) = member
        .post(
            &format!("/api/posts/{post}/reports"),
            json!({"reason": "unkind"}),
        )
        .await;
    assert!(status.is_success(), "{body}");
    m.expect("queue event", |v| {
        v["type"] == "event" && v["topic"] == "modqueue"
    })
    .await;
    let (_, body) = moderator.get("/api/mod/counts").await;
    assert_eq!(body["queue"], 1, "{body}");
}

async fn metrics_count_sockets_and_the_queue(app: TestApp) {
    let admin = app.admin().await;
    let mut ws = socket(&app.base, "first_admin", "admin-password-1").await;
    // The socket counts once its session is running: a pong proves it is.
    ws.send(json!({"type": "ping"})).await;
    ws.expect("pong", |v| v["type"] == "pong").await;
    // Only with the operator's token: not for anyone, not even a signed-in admin.
    for auth in [None, Some("Bearer wrong-token-0123456789")] {
        let mut rb = admin.http.get(format!("{}/metrics", app.base));
        if let Some(a) = auth {
            rb = rb.header("authorization", a);
        }
        let res = rb.send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{auth:?}");
        assert_eq!(res.headers()["www-authenticate"], "Bearer");
    }
    let res = admin
        .http
        .get(format!("{}/metrics", app.base))
        .header("authorization", format!("Bearer {}", common::METRICS_TOKEN))
        .send()
        .await
        .unwrap();
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text"),
        "{:?}",
        res.headers()
    );
    let text = res.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    for want in [
        "hearth_sockets_open 1",
        "hearth_queue_items 0",
        "hearth_queue_oldest_seconds 0",
        "hearth_slow_disconnects_total 0",
        "# TYPE hearth_slow_disconnects counter",
        "hearth_database_up 1",
        // One server, no Redis: the in-process bus, always ready.
        "hearth_bus_ready{state=\"in_process\"} 1",
        "# EOF",
    ] {
        assert!(lines.contains(&want), "no line {want:?} in:\n{text}");
    }
}

/// Many replies to one thread at once (one transaction each for the post, the thread's count
/// and both events): every one is stored, and the thread's and the board's events are numbered
/// 1, 2, 3... with no gap and no number taken twice, each board event carrying its own count.
/// On SQLite this is also several writers at once, which must wait for each other rather than
/// fail with "database is locked".
async fn concurrent_replies_number_events_without_gaps(app: TestApp) {
    let admin = app.admin().await;
    let (board, thread) = board_with_thread(&admin).await;
    let (writers, each) = (6, 8);
    let tasks: Vec<_> = (0..writers)
        .map(|w| {
            let admin = admin.clone();
            let thread = thread.clone();
            tokio::spawn(async move {
                for i in 0..each {
                    let (status, body) = admin
                        .post(
                            &format!("/api/threads/{thread}/posts"),
                            json!({"body": format!("writer {w} reply {i}")}),
                        )
                        .await;
                    assert_eq!(status, StatusCode::CREATED, "{body}");
                    assert_eq!(body["moderation"]["status"], "published", "{body}");
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let replies = writers * each;
    let store = app.state().app.store();
    let on_thread = store
        .events_since(&format!("thread:{thread}"), 0, 10_000)
        .await
        .unwrap();
    let seqs: Vec<i64> = on_thread.iter().map(|e| e.seq).collect();
    // The opening post, then one per reply.
    assert_eq!(seqs, (1..=replies as i64 + 1).collect::<Vec<_>>());
    let on_board = store
        .events_since(&format!("board:{board}"), 0, 10_000)
        .await
        .unwrap();
    let seqs: Vec<i64> = on_board.iter().map(|e| e.seq).collect();
    // The thread's creation, then one update per reply.
    assert_eq!(seqs, (1..=replies as i64 + 1).collect::<Vec<_>>());
    // Stored events are references: each names the thread, none carries its title or text
    // (readers get the thread as it stands when the event reaches them).
    for e in &on_board {
        let v: Value = serde_json::from_str(&e.payload).unwrap();
        assert_eq!(v["thread_id"], thread.as_str(), "{v}");
        assert!(
            v.get("thread").is_none() && !e.payload.contains("Talking now"),
            "{v}"
        );
    }
    assert_eq!(
        store.latest_seq(&format!("board:{board}")).await.unwrap(),
        replies as i64 + 1
    );
    let (_, t) = admin.get(&format!("/api/threads/{thread}")).await;
    assert_eq!(t["thread"]["post_count"], replies + 1, "{t}");
}

on_both_backends!(
    concurrent_replies_number_events_without_gaps,
    posts_reach_subscribers_and_held_posts_reach_only_moderators,
    a_reconnecting_client_catches_up_in_order_without_gaps_or_duplicates,
    the_socket_refuses_foreign_origins_and_strangers,
    a_suspended_members_socket_closes_at_once,
    chat_messages_are_moderated_acknowledged_and_delivered,
    a_room_that_needs_a_moderator_is_closed_without_one,
    metrics_count_sockets_and_the_queue,
    members_hear_at_once_that_the_room_closed_when_its_moderator_left,
    waiting_counts_are_live_for_moderators_and_admins,
);
