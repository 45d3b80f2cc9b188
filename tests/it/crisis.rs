//! The crisis lane end to end (issue 12, item 5): a post, chat message or check-in answer the
//! rules mark urgent is published with crisis support for its author at once, alerts every
//! moderator online, waits in the urgent lane with a deadline, and is handled by reaching out
//! (a private check-in only staff can open), resolving or escalating to safeguarding.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::time::Duration;

use common::{Client, TestApp, code};
use reqwest::StatusCode;
use serde_json::{Value, json};

const CRISIS: &str = "I can't do this anymore, I just want to end my life tonight.";

async fn board_and_thread(admin: &Client) -> (String, String) {
    let (_, b) = admin
        .post("/api/admin/boards", json!({"name": "Partners"}))
        .await;
    let board = b["board"]["id"].as_str().unwrap().to_owned();
    let (_, t) = admin
        .post(
            &format!("/api/boards/{board}/threads"),
            json!({"title": "How are we all doing?", "body": "A space to check in this week."}),
        )
        .await;
    (board, t["thread"]["id"].as_str().unwrap().to_owned())
}

async fn moderator(app: &TestApp, admin: &Client, handle: &str) -> Client {
    let (c, id) = app.member(admin, handle).await;
    let (status, body) = admin
        .patch(
            &format!("/api/admin/members/{id}"),
            json!({"role": "moderator"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    c
}

async fn urgent(c: &Client) -> Vec<Value> {
    let (status, q) = c.get("/api/mod/queue").await;
    assert_eq!(status, StatusCode::OK, "{q}");
    q["urgent"].as_array().unwrap().clone()
}

async fn a_crisis_post_reaches_a_person_and_a_checkin_follows(app: TestApp) {
    let admin = app.admin().await;
    let (_, thread) = board_and_thread(&admin).await;
    let moderator = moderator(&app, &admin, "evening_mod").await;
    let (member, _) = app.established_member(&admin, "low_tonight").await;
    let (other, _) = app.member(&admin, "nosy_neighbour").await;
    let mut mod_socket = moderator.socket().await;
    mod_socket.subscribe(json!(["modqueue"]), json!({})).await;

    // The author: published, crisis support at once, never "thank you for your patience".
    let (status, body) = member
        .post(
            &format!("/api/threads/{thread}/posts"),
            json!({"body": CRISIS}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["moderation"]["status"], "published", "{body}");
    assert!(
        !body["moderation"]["signpost"]
            .as_array()
            .unwrap()
            .is_empty(),
        "crisis support: {body}"
    );
    assert!(
        !body.to_string().to_lowercase().contains("patience"),
        "{body}"
    );
    let post = body["post"]["id"].as_str().unwrap().to_owned();

    // Every moderator online hears of it at once.
    let alert = mod_socket
        .expect("a live crisis alert", |v| {
            v["event"]["kind"] == "crisis_raised"
        })
        .await;
    let crisis = alert["event"]["crisis_id"].as_str().unwrap().to_owned();
    assert!(
        !alert.to_string().contains("end my life"),
        "ids only on the bus: {alert}"
    );

    // It heads the queue, in its own lane, with the text and a 15-minute deadline.
    let lane = urgent(&moderator).await;
    assert_eq!(lane.len(), 1, "{lane:?}");
    let item = &lane[0];
    assert_eq!(item["id"], crisis.as_str());
    assert_eq!(
        (
            item["state"].as_str(),
            item["source"].as_str(),
            item["member"].as_str()
        ),
        (Some("open"), Some("post"), Some("low_tonight"))
    );
    assert_eq!(item["post_id"], post.as_str());
    assert_eq!(item["thread_id"], thread.as_str());
    assert!(item["text_html"].as_str().unwrap().contains("end my life"));
    let created: chrono::DateTime<chrono::Utc> =
        item["created_at"].as_str().unwrap().parse().unwrap();
    let due: chrono::DateTime<chrono::Utc> = item["due_at"].as_str().unwrap().parse().unwrap();
    assert_eq!((due - created).num_minutes(), 15);
    assert_eq!(item["overdue"], false);

    // Members can neither act on it nor start a check-in.
    for (path, body) in [
        (format!("/api/mod/crises/{crisis}/resolve"), json!({})),
        (
            format!("/api/mod/crises/{crisis}/reach-out"),
            json!({"message": "hi"}),
        ),
        (
            "/api/mod/checkins".to_owned(),
            json!({"member_id": uuid::Uuid::new_v4(), "message": "hi"}),
        ),
    ] {
        let (status, b) = other.post(&path, body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {b}");
    }
    let (status, _) = other.get("/api/mod/queue").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Bad input: a clear 400 naming the field; an unknown crisis is 404.
    let (status, b) = moderator
        .post(
            &format!("/api/mod/crises/{crisis}/reach-out"),
            json!({"message": "   "}),
        )
        .await;
    assert_eq!(
        (status, b["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("body")),
        "{b}"
    );
    let (status, _) = moderator
        .post(
            &format!("/api/mod/crises/{}/resolve", uuid::Uuid::new_v4()),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = moderator
        .post("/api/mod/crises/not-an-id/resolve", json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The moderator reaches out: a check-in opens.
    let (status, b) = moderator
        .post(
            &format!("/api/mod/crises/{crisis}/reach-out"),
            json!({"message": "Hi, we saw your post and wanted to check in. How are you doing right now?"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    assert_eq!(b["crisis"]["state"], "reaching_out");
    let checkin = b["crisis"]["checkin_id"].as_str().unwrap().to_owned();

    // The member is told (kind only), reads it signed "the moderators", and answers.
    let (_, notes) = member.get("/api/notifications").await;
    assert!(notes.to_string().contains("\"checkin\""), "{notes}");
    let (_, list) = member.get("/api/checkins").await;
    assert_eq!(list["checkins"].as_array().unwrap().len(), 1, "{list}");
    let (status, view) = member.get(&format!("/api/checkins/{checkin}")).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["messages"][0]["author"], "the moderators");
    assert!(
        !view.to_string().contains("evening_mod"),
        "the moderator is not named: {view}"
    );
    let (status, b) = member
        .post(
            &format!("/api/checkins/{checkin}/messages"),
            json!({"body": "Thank you. I'm safe for now, just really low."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");

    // Someone else's check-in does not exist for another member.
    let (status, _) = other.get(&format!("/api/checkins/{checkin}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = other
        .post(
            &format!("/api/checkins/{checkin}/messages"),
            json!({"body": "hello"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = other.get("/api/checkins").await;
    assert!(list["checkins"].as_array().unwrap().is_empty(), "{list}");

    // Staff read the answer (with the member's handle), and the read is audited.
    let (_, staff_view) = moderator.get(&format!("/api/checkins/{checkin}")).await;
    assert_eq!(
        staff_view["messages"][1]["author"], "low_tonight",
        "{staff_view}"
    );
    let (_, audit) = admin.get("/api/mod/audit").await;
    assert!(audit.to_string().contains("checkin_read"), "{audit}");

    // An answer the rules mark urgent opens a new crisis in the lane.
    let (status, b) = member
        .post(
            &format!("/api/checkins/{checkin}/messages"),
            json!({"body": "Actually I have the pills here and I want to die."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    assert!(
        !b["moderation"]["signpost"].as_array().unwrap().is_empty(),
        "{b}"
    );
    let lane = urgent(&moderator).await;
    let from_checkin = lane
        .iter()
        .find(|c| c["source"] == "checkin")
        .unwrap_or_else(|| panic!("{lane:?}"));
    assert_eq!(from_checkin["checkin_id"], checkin.as_str());

    // Escalating raises a concern the safeguarding leads see.
    let (_, me) = admin.get("/api/session").await;
    let admin_id = me["member"]["id"].as_str().unwrap().to_owned();
    admin
        .patch(
            &format!("/api/admin/members/{admin_id}"),
            json!({"safeguarding_lead": true}),
        )
        .await;
    let second = from_checkin["id"].as_str().unwrap();
    let (status, b) = moderator
        .post(
            &format!("/api/mod/crises/{second}/escalate"),
            json!({"note": "Mentions pills at hand."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    assert_eq!(b["crisis"]["state"], "escalated");
    let (_, concerns) = admin.get("/api/safeguarding/concerns").await;
    assert!(
        concerns.to_string().contains("Mentions pills at hand."),
        "{concerns}"
    );

    // Resolving; a second decision is a 409 for whoever comes second.
    let (status, b) = moderator
        .post(
            &format!("/api/mod/crises/{crisis}/resolve"),
            json!({"note": "Safe, talked it through."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    assert_eq!(b["crisis"]["state"], "resolved");
    let (status, b) = admin
        .post(&format!("/api/mod/crises/{crisis}/escalate"), json!({}))
        .await;
    assert_eq!(
        (status, code(&b)),
        (StatusCode::CONFLICT, "already_handled")
    );

    // A closed check-in can be read, not answered.
    let (status, _) = moderator
        .post(&format!("/api/mod/checkins/{checkin}/close"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, b) = member
        .post(
            &format!("/api/checkins/{checkin}/messages"),
            json!({"body": "one more thing"}),
        )
        .await;
    assert_eq!((status, code(&b)), (StatusCode::CONFLICT, "checkin_closed"));
    let (status, _) = member.get(&format!("/api/checkins/{checkin}")).await;
    assert_eq!(status, StatusCode::OK);
}

async fn an_urgent_item_past_its_deadline_alerts_every_moderator_once(app: TestApp) {
    let admin = app.admin().await;
    let (_, thread) = board_and_thread(&admin).await;
    let moderator = moderator(&app, &admin, "late_shift").await;
    let (member, _) = app.established_member(&admin, "quiet_one").await;
    let (status, b) = member
        .post(
            &format!("/api/threads/{thread}/posts"),
            json!({"body": CRISIS}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    assert_eq!(urgent(&moderator).await[0]["overdue"], false);

    app.clock.advance(chrono::Duration::minutes(16));
    let mut alerted = false;
    for _ in 0..60 {
        let (_, notes) = moderator.get("/api/notifications").await;
        if notes.to_string().contains("crisis_overdue") {
            alerted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(alerted, "the overdue alert reached the moderator");
    assert_eq!(urgent(&moderator).await[0]["overdue"], true);
    // Once: the alert is taken, so a second check finds nothing new.
    assert_eq!(app.state().app.alert_overdue_crises().await.unwrap(), 0);
}

async fn a_crisis_in_chat_gets_support_in_the_ack_and_enters_the_lane(app: TestApp) {
    let admin = app.admin().await;
    let (status, body) = admin
        .post(
            "/api/admin/rooms",
            json!({"name": "Evening chat", "new_member_slow_mode_seconds": 0}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let room = body["room"]["id"].as_str().unwrap().to_owned();
    let (member, _) = app.established_member(&admin, "chat_low").await;
    let mut staff = admin.socket().await;
    staff
        .subscribe(json!([format!("room:{room}"), "modqueue"]), json!({}))
        .await;
    let mut ws = member.socket().await;
    ws.subscribe(json!([format!("room:{room}")]), json!({}))
        .await;
    let id = uuid::Uuid::new_v4();
    ws.send(json!({"type": "say", "room": room, "body": CRISIS, "client_id": id}))
        .await;
    let ack = ws.expect("the ack", |v| v["type"] == "ack").await;
    assert!(
        !ack["signpost"]
            .as_array()
            .map(Vec::is_empty)
            .unwrap_or(true),
        "crisis support comes back with the ack: {ack}"
    );
    assert!(ack["reason"].as_str().is_some(), "{ack}");
    staff
        .expect("the live alert", |v| v["event"]["kind"] == "crisis_raised")
        .await;
    let lane = urgent(&admin).await;
    assert_eq!(lane[0]["source"], "message", "{lane:?}");
    assert_eq!(lane[0]["room_id"], room.as_str());
    assert!(
        lane[0]["text_html"]
            .as_str()
            .unwrap()
            .contains("end my life")
    );
}

async fn erasure_takes_checkins_with_it(app: TestApp) {
    let admin = app.admin().await;
    let (_, thread) = board_and_thread(&admin).await;
    let (member, member_id) = app.established_member(&admin, "leaving_soon").await;
    member
        .post(
            &format!("/api/threads/{thread}/posts"),
            json!({"body": CRISIS}),
        )
        .await;
    let lane = urgent(&admin).await;
    let crisis = lane[0]["id"].as_str().unwrap().to_owned();
    let (status, b) = admin
        .post(
            &format!("/api/mod/crises/{crisis}/reach-out"),
            json!({"message": "Checking in: canary-checkin-words"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    let checkin = b["crisis"]["checkin_id"].as_str().unwrap().to_owned();
    member
        .post(
            &format!("/api/checkins/{checkin}/messages"),
            json!({"body": "canary-member-answer"}),
        )
        .await;
    // The member's export holds the check-in and the lane's record, the moderator unnamed.
    let (status, export) = member.get("/api/me/export").await;
    assert_eq!(status, StatusCode::OK, "{export}");
    assert_eq!(
        export["checkins"][0]["messages"][0]["from"], "the moderators",
        "{export}"
    );
    assert_eq!(
        export["checkins"][0]["messages"][1]["body"],
        "canary-member-answer"
    );
    assert_eq!(
        export["urgent_lane_records"][0]["state"], "reaching_out",
        "{export}"
    );
    assert!(!export.to_string().contains("first_admin"), "{export}");
    let (status, b) = admin
        .post(
            &format!("/api/admin/members/{member_id}/erase"),
            json!({"posts": "delete"}),
        )
        .await;
    assert!(status.is_success(), "{b}");
    let (status, _) = admin.get(&format!("/api/checkins/{checkin}")).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "the check-in went with the account"
    );
    let lane = urgent(&admin).await;
    assert!(lane[0]["member"].is_null(), "{lane:?}");
    assert!(!serde_json::to_string(&lane).unwrap().contains("canary"));
}

on_all_backends!(
    a_crisis_post_reaches_a_person_and_a_checkin_follows,
    a_crisis_in_chat_gets_support_in_the_ack_and_enters_the_lane,
);
on_both_backends!(
    an_urgent_item_past_its_deadline_alerts_every_moderator_once,
    erasure_takes_checkins_with_it,
);
