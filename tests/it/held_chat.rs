//! Held chat messages are moderated where they happen (issue 12, item 6): a new member's
//! message that the rules hold reaches the staff in the room (inline) and the moderators' queue,
//! and nothing of it reaches a member's socket, live or on catch-up, until a moderator approves
//! it; then it reaches everyone like any other message. A rejection tells the author why. Run on
//! both databases and both buses, through the websocket and the HTTP API.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::time::Duration;

use common::ws::Ws;
use common::{Client, TestApp, code};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A room with no slow mode, made by `admin`; its id.
async fn room(admin: &Client, name: &str) -> String {
    let (status, body) = admin
        .post(
            "/api/admin/rooms",
            json!({"name": name, "new_member_slow_mode_seconds": 0}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["room"]["id"].as_str().unwrap().to_owned()
}

/// Subscribes and fails on any refusal.
async fn listen(ws: &mut Ws, topics: Value) {
    let frames = ws.subscribe(topics.clone(), json!({})).await;
    assert!(
        frames.iter().all(|f| f["type"] != "error"),
        "{topics}: {frames:?}"
    );
}

/// `say` on `ws`; answers the ack.
async fn say(ws: &mut Ws, room: &str, body: &str) -> Value {
    let id = uuid::Uuid::new_v4();
    ws.send(json!({"type": "say", "room": room, "body": body, "client_id": id}))
        .await;
    ws.expect("the ack", |v| {
        v["type"] == "ack" && v["client_id"] == id.to_string().as_str()
    })
    .await
}

/// Fails if any frame names the message or carries its words.
fn nothing_of(frames: &[Value], message_id: &str, words: &str, whose: &str) {
    for f in frames {
        let text = f.to_string();
        assert!(
            !text.contains(message_id) && !text.contains(words),
            "{whose} received something of the held message: {f}"
        );
    }
}

/// The held messages in the moderators' queue answer.
async fn held_in_queue(moderator: &Client) -> Vec<Value> {
    let (status, q) = moderator.get("/api/mod/queue").await;
    assert_eq!(status, StatusCode::OK, "{q}");
    q["held_messages"]
        .as_array()
        .expect("held_messages")
        .clone()
}

/// A room's history as `who` reads it over HTTP.
async fn history(who: &Client, room: &str) -> Vec<Value> {
    let (status, h) = who.get(&format!("/api/rooms/{room}/messages")).await;
    assert_eq!(status, StatusCode::OK, "{h}");
    h["messages"].as_array().unwrap().clone()
}

/// Everything a fresh socket of `who` gets when it catches up on `topic` from the start.
async fn catch_up(who: &Client, topic: &str) -> Vec<Value> {
    let mut ws = who.socket().await;
    let mut since = serde_json::Map::new();
    since.insert(topic.to_owned(), json!(0));
    ws.subscribe(json!([topic]), Value::Object(since)).await
}

/// Every stored event of `topic`, as the event log holds it.
async fn stored(app: &TestApp, topic: &str) -> Vec<String> {
    app.state()
        .app
        .store()
        .events_since(topic, 0, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.payload)
        .collect()
}

const WORDS: &str = "Hello all, it is my very first evening in here";

async fn a_held_chat_message_reaches_staff_in_the_room_and_the_queue_and_nothing_of_it_reaches_members(
    app: TestApp,
) {
    let admin = app.admin().await;
    let room = room(&admin, "Evening room").await;
    let (second_mod, second_id) = app.member(&admin, "second_mod").await;
    let (status, b) = admin
        .patch(
            &format!("/api/admin/members/{second_id}"),
            json!({"role": "moderator"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    let (newbie, newbie_id) = app.member(&admin, "newbie_nell").await;
    let (quinn, _) = app.member(&admin, "quiet_quinn").await;

    let mut moderator = admin.socket().await;
    listen(
        &mut moderator,
        json!([
            format!("room:{room}"),
            format!("roomheld:{room}"),
            "modqueue"
        ]),
    )
    .await;
    let mut other_moderator = second_mod.socket().await;
    listen(&mut other_moderator, json!(["modqueue"])).await;
    let mut member = quinn.socket().await;
    listen(&mut member, json!([format!("room:{room}")])).await;
    // A member may not hold the room's held messages.
    let refused = member
        .subscribe(json!([format!("roomheld:{room}")]), json!({}))
        .await;
    assert!(
        refused
            .iter()
            .any(|f| f["type"] == "error" && f["code"] == "forbidden"),
        "{refused:?}"
    );
    let mut author = newbie.socket().await;
    listen(
        &mut author,
        json!([format!("room:{room}"), format!("member:{newbie_id}")]),
    )
    .await;

    let ack = say(&mut author, &room, WORDS).await;
    assert_eq!(ack["status"], "held", "{ack}");

    // The moderator in the room sees it inline, with where, who and why.
    let inline = moderator
        .expect("the held message in the room", |v| {
            v["topic"] == format!("roomheld:{room}").as_str()
                && v["event"]["kind"] == "message_held"
        })
        .await;
    let held = &inline["event"]["message"];
    let id = held["id"].as_str().unwrap().to_owned();
    assert_eq!(held["author"], "newbie_nell", "{held}");
    assert_eq!(held["room"]["name"], "Evening room", "{held}");
    assert_eq!(held["status"], "held", "{held}");
    assert!(
        held["body_html"].as_str().unwrap().contains(WORDS),
        "{held}"
    );
    assert!(
        !held["reasons"].as_array().unwrap().is_empty(),
        "why it was held: {held}"
    );
    // Every moderator's queue hears of it.
    for ws in [&mut moderator, &mut other_moderator] {
        let added = ws
            .expect("the queue's announcement", |v| {
                v["topic"] == "modqueue" && v["event"]["kind"] == "held_message_added"
            })
            .await;
        assert_eq!(added["event"]["message"]["id"], id.as_str(), "{added}");
        assert_eq!(
            added["event"]["message"]["room"]["id"],
            room.as_str(),
            "{added}"
        );
    }
    // The queue's answer lists it apart from the posts.
    let queued = held_in_queue(&admin).await;
    let entry = queued
        .iter()
        .find(|m| m["id"] == id.as_str())
        .unwrap_or_else(|| panic!("in the queue: {queued:?}"));
    assert_eq!(entry["room"]["name"], "Evening room");
    assert_eq!(entry["author"], "newbie_nell");
    assert!(entry["body_html"].as_str().unwrap().contains(WORDS));
    assert!(entry["created_at"].is_string() && entry["waited_seconds"].is_i64());
    assert!(!entry["reasons"].as_array().unwrap().is_empty(), "{entry}");

    // Nothing of it reaches a member in the room: not live, not on catch-up, not in history.
    nothing_of(
        &member.drain(Duration::from_millis(750)).await,
        &id,
        WORDS,
        "a member's live socket",
    );
    nothing_of(
        &catch_up(&quinn, &format!("room:{room}")).await,
        &id,
        WORDS,
        "a member's catch-up",
    );
    let caught = catch_up(&quinn, &format!("roomheld:{room}")).await;
    assert!(caught.iter().all(|f| f["type"] == "error"), "{caught:?}");
    nothing_of(
        &history(&quinn, &room).await,
        &id,
        WORDS,
        "a member's history",
    );
    // Its author sees it as theirs and waiting; staff see why it waits.
    let own = history(&newbie, &room).await;
    let own = own.iter().find(|m| m["id"] == id.as_str()).unwrap();
    assert_eq!(
        (own["status"].as_str(), own["mine"].as_bool()),
        (Some("held"), Some(true))
    );
    assert!(own.get("held_reasons").is_none(), "{own}");
    let staff = history(&admin, &room).await;
    let staff = staff.iter().find(|m| m["id"] == id.as_str()).unwrap();
    assert!(
        !staff["held_reasons"].as_array().unwrap().is_empty(),
        "{staff}"
    );
    // The event log keeps references only.
    for topic in [
        format!("room:{room}"),
        format!("roomheld:{room}"),
        "modqueue".to_owned(),
        format!("member:{newbie_id}"),
    ] {
        for payload in stored(&app, &topic).await {
            assert!(!payload.contains(WORDS), "{topic}: {payload}");
        }
    }

    // Approved in the room: everyone there gets it like any other message.
    let (status, body) = admin
        .post(&format!("/api/mod/messages/{id}/approve"), json!({}))
        .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("published")),
        "{body}"
    );
    let live = member
        .expect("the approved message", |v| v["event"]["kind"] == "message")
        .await;
    assert_eq!(live["event"]["message"]["id"], id.as_str(), "{live}");
    assert!(
        live["event"]["message"]["body_html"]
            .as_str()
            .unwrap()
            .contains(WORDS)
    );
    let decided = moderator
        .expect("the decision in the room", |v| {
            v["topic"] == format!("roomheld:{room}").as_str()
                && v["event"]["kind"] == "held_message_decided"
        })
        .await;
    assert_eq!(decided["event"]["status"], "published", "{decided}");
    // It leaves the other moderator's queue live.
    let gone = other_moderator
        .expect("the decision on the queue", |v| {
            v["topic"] == "modqueue" && v["event"]["kind"] == "held_message_decided"
        })
        .await;
    assert_eq!(gone["event"]["message_id"], id.as_str(), "{gone}");
    assert!(
        held_in_queue(&second_mod)
            .await
            .iter()
            .all(|m| m["id"] != id.as_str())
    );
    // Its author hears of it on their own topic (no words), and in the room.
    let news = author
        .expect("the author's news", |v| {
            v["event"]["kind"] == "chat_message_decided"
        })
        .await;
    assert_eq!(news["event"]["status"], "published", "{news}");
    // From now on it is in catch-up and history for members.
    let caught = catch_up(&quinn, &format!("room:{room}")).await;
    assert!(
        caught
            .iter()
            .any(|f| f["event"]["kind"] == "message" && f["event"]["message"]["id"] == id.as_str()),
        "{caught:?}"
    );
    assert!(
        history(&quinn, &room)
            .await
            .iter()
            .any(|m| m["id"] == id.as_str() && m["status"] == "published")
    );
}

async fn a_rejected_held_chat_message_tells_its_author_why_and_never_reaches_members(app: TestApp) {
    let admin = app.admin().await;
    let room = room(&admin, "Afternoon room").await;
    let (newbie, newbie_id) = app.member(&admin, "newbie_nora").await;
    let (quinn, _) = app.member(&admin, "quiet_quentin").await;
    let mut moderator = admin.socket().await;
    listen(
        &mut moderator,
        json!([format!("room:{room}"), format!("roomheld:{room}")]),
    )
    .await;
    let mut member = quinn.socket().await;
    listen(&mut member, json!([format!("room:{room}")])).await;
    let mut author = newbie.socket().await;
    listen(&mut author, json!([format!("member:{newbie_id}")])).await;

    let ack = say(&mut author, &room, WORDS).await;
    assert_eq!(ack["status"], "held", "{ack}");
    let inline = moderator
        .expect("the held message", |v| v["event"]["kind"] == "message_held")
        .await;
    let id = inline["event"]["message"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Bad input is answered, in the usual shape, and changes nothing.
    let reject = format!("/api/mod/messages/{id}/reject");
    for (body, why) in [
        (json!({"reason": "   "}), "a blank reason"),
        (json!({}), "no reason"),
        (json!({"reason": "x".repeat(1001)}), "a reason too long"),
    ] {
        let (status, b) = admin.post(&reject, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{why}: {b}");
        assert!(b["error"]["message"].is_string(), "{why}: {b}");
    }
    let (status, b) = admin
        .post(
            "/api/mod/messages/not-a-message/reject",
            json!({"reason": "no"}),
        )
        .await;
    // (an id that cannot parse names nothing)
    assert_eq!(
        (status, code(&b)),
        (StatusCode::NOT_FOUND, "not_found"),
        "{b}"
    );
    let (status, b) = admin
        .post(
            &format!("/api/mod/messages/{}/approve", uuid::Uuid::now_v7()),
            json!({}),
        )
        .await;
    assert_eq!(
        (status, code(&b)),
        (StatusCode::NOT_FOUND, "not_found"),
        "{b}"
    );
    // Only staff decide.
    let (status, b) = quinn
        .post(&format!("/api/mod/messages/{id}/approve"), json!({}))
        .await;
    assert_eq!(
        (status, code(&b)),
        (StatusCode::FORBIDDEN, "forbidden"),
        "{b}"
    );
    let (status, b) = newbie.post(&reject, json!({"reason": "mine"})).await;
    assert_eq!(
        (status, code(&b)),
        (StatusCode::FORBIDDEN, "forbidden"),
        "{b}"
    );
    assert!(
        held_in_queue(&admin)
            .await
            .iter()
            .any(|m| m["id"] == id.as_str())
    );

    let reason = "Please leave out where you live: it could identify your family";
    let (status, b) = admin.post(&reject, json!({"reason": reason})).await;
    assert_eq!(
        (status, b["status"].as_str()),
        (StatusCode::OK, Some("rejected")),
        "{b}"
    );
    let (status, b) = admin
        .post(&format!("/api/mod/messages/{id}/approve"), json!({}))
        .await;
    assert_eq!(
        (status, code(&b)),
        (StatusCode::CONFLICT, "already_decided"),
        "{b}"
    );

    // The author is told live (ids and status; the words are read over HTTP) and reads why.
    let news = author
        .expect("the author's news", |v| {
            v["event"]["kind"] == "chat_message_decided"
        })
        .await;
    assert_eq!(
        (
            news["event"]["message_id"].as_str(),
            news["event"]["status"].as_str()
        ),
        (Some(id.as_str()), Some("rejected")),
        "{news}"
    );
    assert!(!news.to_string().contains(reason), "{news}");
    let own = history(&newbie, &room).await;
    let own = own.iter().find(|m| m["id"] == id.as_str()).unwrap();
    assert_eq!(
        (own["status"].as_str(), own["reason"].as_str()),
        (Some("rejected"), Some(reason))
    );
    let (_, notes) = newbie.get("/api/notifications").await;
    assert!(notes.to_string().contains(reason), "{notes}");
    // The staff in the room see it decided; it is out of the queue.
    let decided = moderator
        .expect("the decision", |v| {
            v["event"]["kind"] == "held_message_decided"
        })
        .await;
    assert_eq!(decided["event"]["status"], "rejected", "{decided}");
    assert!(
        held_in_queue(&admin)
            .await
            .iter()
            .all(|m| m["id"] != id.as_str())
    );
    // And a member never had anything of it, nor of the reason.
    let frames = member.drain(Duration::from_millis(750)).await;
    nothing_of(&frames, &id, WORDS, "a member's live socket");
    nothing_of(&frames, &id, reason, "a member's live socket");
    nothing_of(
        &catch_up(&quinn, &format!("room:{room}")).await,
        &id,
        WORDS,
        "a member's catch-up",
    );
    let seen = history(&quinn, &room).await;
    nothing_of(&seen, &id, reason, "a member's history");
    for payload in stored(&app, &format!("member:{newbie_id}")).await {
        assert!(!payload.contains(reason), "{payload}");
    }
}

async fn a_moderator_who_loses_the_role_stops_seeing_held_messages(app: TestApp) {
    let admin = app.admin().await;
    let room = room(&admin, "Morning room").await;
    let (former, former_id) = app.member(&admin, "former_mod").await;
    let promote = |role: &'static str| {
        let admin = &admin;
        let former_id = former_id.clone();
        async move {
            let (status, b) = admin
                .patch(
                    &format!("/api/admin/members/{former_id}"),
                    json!({"role": role}),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{b}");
        }
    };
    promote("moderator").await;
    let (newbie, _) = app.member(&admin, "newbie_ned").await;
    let mut ws = former.socket().await;
    listen(&mut ws, json!([format!("roomheld:{room}")])).await;
    promote("member").await;
    let dropped = ws
        .expect("the topic dropped", |v| v["type"] == "error")
        .await;
    assert_eq!(dropped["code"], "forbidden", "{dropped}");
    let mut author = newbie.socket().await;
    let ack = say(&mut author, &room, WORDS).await;
    assert_eq!(ack["status"], "held", "{ack}");
    let frames = ws.drain(Duration::from_millis(750)).await;
    for f in &frames {
        assert!(!f.to_string().contains(WORDS), "{f}");
    }
}

/// With two instances on Redis: a message held on one instance reaches the moderator whose
/// socket is on the other (rendered there, from the database: the bus carries ids only), and
/// nothing of it reaches a member there until it is approved.
async fn a_message_held_on_one_instance_reaches_the_moderator_on_another_and_no_member(
    app: TestApp,
) {
    if app.state().config.redis_url.is_none() {
        return; // One instance: the tests above cover it.
    }
    let other = app.another_instance().await;
    let other_base = format!("http://{}", other.addr);
    let admin = app.admin().await;
    let room = room(&admin, "Late room").await;
    let (newbie, _) = app.member(&admin, "newbie_nia").await;
    app.member(&admin, "quiet_quill").await;
    let admin_there = Client::new(&other_base, true);
    admin_there.sign_in("first_admin", "admin-password-1").await;
    let member_there = Client::new(&other_base, true);
    member_there
        .sign_in("quiet_quill", &common::password_of("quiet_quill"))
        .await;
    let mut moderator = admin_there.socket().await;
    listen(
        &mut moderator,
        json!([format!("roomheld:{room}"), "modqueue"]),
    )
    .await;
    let mut member = member_there.socket().await;
    listen(&mut member, json!([format!("room:{room}")])).await;

    let mut author = newbie.socket().await;
    let ack = say(&mut author, &room, WORDS).await;
    assert_eq!(ack["status"], "held", "{ack}");
    let inline = moderator
        .expect("the held message on the other instance", |v| {
            v["event"]["kind"] == "message_held"
        })
        .await;
    assert!(
        inline["event"]["message"]["body_html"]
            .as_str()
            .unwrap()
            .contains(WORDS),
        "{inline}"
    );
    let id = inline["event"]["message"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    moderator
        .expect("the queue on the other instance", |v| {
            v["event"]["kind"] == "held_message_added"
        })
        .await;
    nothing_of(
        &member.drain(Duration::from_millis(750)).await,
        &id,
        WORDS,
        "a member's socket on the other instance",
    );
    let (status, b) = admin
        .post(&format!("/api/mod/messages/{id}/approve"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    let live = member
        .expect("the approved message on the other instance", |v| {
            v["event"]["kind"] == "message"
        })
        .await;
    assert_eq!(live["event"]["message"]["id"], id.as_str(), "{live}");
    other.stop().await.unwrap();
}

on_all_backends!(
    a_held_chat_message_reaches_staff_in_the_room_and_the_queue_and_nothing_of_it_reaches_members,
    a_rejected_held_chat_message_tells_its_author_why_and_never_reaches_members,
    a_message_held_on_one_instance_reaches_the_moderator_on_another_and_no_member,
);

on_both_backends!(a_moderator_who_loses_the_role_stops_seeing_held_messages);
