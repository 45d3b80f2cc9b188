//! Issue 14 item 8, the staff comforts, and the journey bugs left over, end to end over HTTP and
//! the socket on both databases: invites listed (never their tokens) and revocable; the
//! safeguarding concerns for leads only, with the record of who decided; boards renamed,
//! described (through the rules), reordered and archived (read-only, off the list, readable by
//! link); a room opening is live; held chat counts as waiting; undoing a rejection tells the
//! queue; the audit log names an application's applicant. Every new route answers 403 to a
//! member and a moderator.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::time::Duration;

use common::ws::Ws;
use common::{Client, TestApp, application, code, password_of};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A member, and a moderator who is not a safeguarding lead.
async fn member_and_moderator(app: &TestApp, admin: &Client) -> (Client, Client) {
    let (member, _) = app.member(admin, "plain_pat").await;
    let (moderator, mod_id) = app.member(admin, "mod_morgan").await;
    let (status, body) = admin
        .patch(
            &format!("/api/admin/members/{mod_id}"),
            json!({"role": "moderator"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Signed in again, so the session carries the new role.
    moderator
        .sign_in("mod_morgan", &password_of("mod_morgan"))
        .await;
    (member, moderator)
}

async fn listen(ws: &mut Ws, topics: Value) {
    let frames = ws.subscribe(topics.clone(), json!({})).await;
    assert!(
        frames.iter().all(|f| f["type"] != "error"),
        "{topics}: {frames:?}"
    );
}

async fn audit_actions(admin: &Client) -> Vec<Value> {
    let (status, audit) = admin.get("/api/mod/audit?limit=200").await;
    assert_eq!(status, StatusCode::OK, "{audit}");
    audit["entries"].as_array().unwrap().clone()
}

/// Item 8: invites listed (outstanding, used, expired, revoked; never a token or link) and an
/// outstanding one revoked, after which its link says it no longer works and applying with it
/// is refused. Audited. Members and moderators get 403 on both routes.
async fn invites_are_listed_without_tokens_and_revocable(app: TestApp) {
    let admin = app.admin().await;
    let (member, moderator) = member_and_moderator(&app, &admin).await;
    let mut tokens = Vec::new();
    for _ in 0..3 {
        let (status, body) = admin
            .post("/api/admin/invites", json!({"confirm_adult": true}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        tokens.push(body["token"].as_str().unwrap().to_owned());
    }
    // One used, one left to expire (made earlier), one to revoke.
    let mut used = application("invited_ivy", "1980-01-01");
    used["invite"] = json!(tokens[0]);
    let (status, body) = app.client().post("/api/applications", used).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    for (who, c) in [("member", &member), ("moderator", &moderator)] {
        let (status, body) = c.get("/api/admin/invites").await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::FORBIDDEN, "forbidden"),
            "{who}"
        );
    }
    let (status, list) = admin.get("/api/admin/invites").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let text = list.to_string();
    for t in &tokens {
        assert!(
            !text.contains(t.as_str()),
            "a token is never shown again: {list}"
        );
    }
    assert!(!text.contains("invite="), "no link either: {list}");
    let invites = list["invites"].as_array().unwrap();
    assert_eq!(invites.len(), 3, "{list}");
    // Newest first: the third, the second, the used first.
    assert_eq!(invites[2]["status"], "used", "{list}");
    assert!(invites[2]["used_at"].is_string(), "{list}");
    assert_eq!(invites[0]["status"], "outstanding", "{list}");
    assert_eq!(invites[0]["created_by"], "first_admin", "{list}");
    let newest = invites[0]["id"].as_str().unwrap().to_owned();
    let used_id = invites[2]["id"].as_str().unwrap().to_owned();

    // Revoking: not for members or moderators; an unknown id is 404; a used one is 409.
    let path = format!("/api/admin/invites/{newest}/revoke");
    for (who, c) in [("member", &member), ("moderator", &moderator)] {
        let (status, body) = c.post(&path, json!({})).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::FORBIDDEN, "forbidden"),
            "{who}"
        );
    }
    let (status, body) = admin
        .post(
            &format!("/api/admin/invites/{}/revoke", uuid::Uuid::now_v7()),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = admin
        .post("/api/admin/invites/not-an-id/revoke", json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = admin
        .post(&format!("/api/admin/invites/{used_id}/revoke"), json!({}))
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "invite_closed")
    );

    let check = format!("/api/invites/check?token={}", tokens[2]);
    let (_, body) = app.client().get(&check).await;
    assert_eq!(body["valid"], true, "{body}");
    let (status, body) = admin.post(&path, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["invite"]["status"], "revoked", "{body}");
    assert_eq!(body["invite"]["created_by"], "first_admin", "{body}");
    assert!(body["invite"]["revoked_at"].is_string(), "{body}");
    // The link now says it can no longer be used, and applying with it is refused.
    let (_, body) = app.client().get(&check).await;
    assert_eq!(body["valid"], false, "{body}");
    let mut late = application("revoked_rae", "1980-01-01");
    late["invite"] = json!(tokens[2]);
    let (status, body) = app.client().post("/api/applications", late).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::FORBIDDEN, "invite_invalid"),
        "{body}"
    );
    // Twice is a conflict, not a second revocation.
    let (status, body) = admin.post(&path, json!({})).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "invite_closed")
    );
    // The other outstanding one expires with time, and is listed so.
    app.clock.advance(chrono::Duration::hours(73));
    // Sessions end with time too.
    admin.sign_in("first_admin", "admin-password-1").await;
    let (_, list) = admin.get("/api/admin/invites").await;
    let states: Vec<&str> = list["invites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["status"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["revoked", "expired", "used"], "{list}");
    let (status, body) = admin
        .post(
            &format!(
                "/api/admin/invites/{}/revoke",
                list["invites"][1]["id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "invite_closed")
    );
    assert!(
        audit_actions(&admin)
            .await
            .iter()
            .any(|e| e["action"] == "invite_revoked"
                && e["target_id"] == newest.as_str()
                && e["actor"] == "first_admin")
    );
}

/// Item 8: the concerns screen's data is for safeguarding leads only (not moderators or admins
/// who are not leads: 403), with the post's thread and author to open it, and the record of
/// which lead decided.
async fn concerns_are_for_leads_only_with_the_record_of_who_decided(app: TestApp) {
    let admin = app.admin().await;
    let (member, moderator) = member_and_moderator(&app, &admin).await;
    let (lead, lead_id) = app.member(&admin, "lead_lou").await;
    let (status, body) = admin
        .patch(
            &format!("/api/admin/members/{lead_id}"),
            json!({"safeguarding_lead": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, b) = admin
        .post("/api/admin/boards", json!({"name": "Parents"}))
        .await;
    let board = b["board"]["id"].as_str().unwrap().to_owned();
    let (_, t) = admin
        .post(
            &format!("/api/boards/{board}/threads"),
            json!({"title": "This week", "body": "How is everyone this week?"}),
        )
        .await;
    let thread = t["thread"]["id"].as_str().unwrap().to_owned();
    let post = t["post"]["id"].as_str().unwrap().to_owned();
    let (status, body) = member
        .post(
            &format!("/api/posts/{post}/concerns"),
            json!({"category": "other", "note": "<script>alert(1)</script> worried"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    for (who, c) in [
        ("member", &member),
        ("moderator", &moderator),
        ("admin", &admin),
    ] {
        let (status, body) = c.get("/api/safeguarding/concerns").await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::FORBIDDEN, "forbidden"),
            "{who}"
        );
    }
    let (status, list) = lead.get("/api/safeguarding/concerns").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let c = list["concerns"][0].clone();
    assert_eq!(c["thread_id"], thread.as_str(), "{c}");
    assert_eq!(c["post_author"], "first_admin", "{c}");
    assert_eq!(c["overdue"], false, "{c}");
    assert!(c["decided_by"].is_null(), "{c}");
    // The note is kept as written: the client shows it as text, never HTML.
    assert_eq!(c["note"], "<script>alert(1)</script> worried", "{c}");
    let id = c["id"].as_str().unwrap();

    // Past its deadline it is overdue.
    app.clock.advance(chrono::Duration::days(3));
    // Sessions end with time too.
    lead.sign_in("lead_lou", &password_of("lead_lou")).await;
    moderator
        .sign_in("mod_morgan", &password_of("mod_morgan"))
        .await;
    let (_, list) = lead.get("/api/safeguarding/concerns").await;
    assert_eq!(list["concerns"][0]["overdue"], true, "{list}");

    let path = format!("/api/safeguarding/concerns/{id}/decision");
    let (status, _) = moderator
        .post(
            &path,
            json!({"decision": "no_action", "reason": "Not a concern."}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = lead
        .post(
            &path,
            json!({"decision": "support_offered", "reason": "Offered a call."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, list) = lead.get("/api/safeguarding/concerns").await;
    let c = &list["concerns"][0];
    assert_eq!(c["state"], "decided", "{c}");
    assert_eq!(c["overdue"], false, "{c}");
    assert_eq!(c["decided_by"], "lead_lou", "{c}");
    assert_eq!(c["decision"], "support_offered", "{c}");
    assert_eq!(c["decision_reason"], "Offered a call.", "{c}");
}

/// Item 8: boards renamed and described (through the rules), reordered (explicit positions)
/// and archived: an archived board takes no new threads, replies or edits (409
/// `board_archived`), is off the list of boards, and its page and threads are still readable by
/// link; brought back, it works again. Members and moderators get 403 on every admin route.
async fn boards_are_renamed_reordered_and_archived(app: TestApp) {
    let admin = app.admin().await;
    let (member, moderator) = member_and_moderator(&app, &admin).await;
    let mut ids = Vec::new();
    for name in ["First", "Second", "Third"] {
        let (status, b) = admin.post("/api/admin/boards", json!({"name": name})).await;
        assert_eq!(status, StatusCode::CREATED, "{b}");
        ids.push(b["board"]["id"].as_str().unwrap().to_owned());
    }
    // New boards go after the others, in the order they were made.
    let names = |v: &Value| -> Vec<String> {
        v["boards"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, list) = member.get("/api/boards").await;
    assert_eq!(names(&list), ["First", "Second", "Third"], "{list}");

    // Members and moderators may not arrange boards.
    for (who, c) in [("member", &member), ("moderator", &moderator)] {
        for (status, body) in [
            c.get("/api/admin/boards").await,
            c.patch(
                &format!("/api/admin/boards/{}", ids[0]),
                json!({"name": "Mine"}),
            )
            .await,
            c.put("/api/admin/boards/order", json!({"order": ids}))
                .await,
        ] {
            assert_eq!(
                (status, code(&body)),
                (StatusCode::FORBIDDEN, "forbidden"),
                "{who}: {body}"
            );
        }
    }

    // Renamed and described, through the rules like any text.
    let first = format!("/api/admin/boards/{}", ids[0]);
    let (status, body) = admin
        .patch(
            &first,
            json!({"name": "  Getting started  ", "description": "Say hello here."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["board"]["name"], "Getting started");
    assert_eq!(body["board"]["description"], "Say hello here.");
    for bad in [
        json!({"name": ""}),
        json!({"name": "x".repeat(81)}),
        json!({"name": "Bell\u{7}ringing"}),
        json!({"description": "d".repeat(501)}),
    ] {
        let (status, body) = admin.patch(&first, bad.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }
    let (status, body) = admin
        .patch(&first, json!({"description": "Ring us on 07700 900123"}))
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "rejected_by_rules"),
        "a contact detail the rules would hold is refused: {body}"
    );
    let (status, body) = admin
        .patch(&first, json!({"name": "You are pathetic"}))
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "rejected_by_rules"),
        "{body}"
    );
    let (status, body) = admin.patch(&first, json!({"nickname": "x"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = admin
        .patch(
            &format!("/api/admin/boards/{}", uuid::Uuid::now_v7()),
            json!({"name": "Nowhere"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    // Reordered: every board once, or 409 (a stale screen).
    let order = json!({"order": [ids[2], ids[0], ids[1]]});
    let (status, body) = admin.put("/api/admin/boards/order", order).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(names(&body), ["Third", "Getting started", "Second"]);
    let (_, list) = member.get("/api/boards").await;
    assert_eq!(names(&list), ["Third", "Getting started", "Second"]);
    for stale in [
        json!({"order": [ids[2], ids[0]]}),
        json!({"order": [ids[2], ids[0], ids[0]]}),
        json!({"order": [ids[2], ids[0], ids[1], uuid::Uuid::now_v7()]}),
    ] {
        let (status, body) = admin.put("/api/admin/boards/order", stale).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::CONFLICT, "stale_order"),
            "{body}"
        );
    }
    let (status, body) = admin
        .put("/api/admin/boards/order", json!({"order": ["nope"]}))
        .await;
    assert!(status.is_client_error(), "{status} {body}");

    // A thread on the second board, with the member's reply, before it is archived.
    let second = &ids[1];
    let (_, t) = admin
        .post(
            &format!("/api/boards/{second}/threads"),
            json!({"title": "Old times", "body": "Still readable later."}),
        )
        .await;
    let thread = t["thread"]["id"].as_str().unwrap().to_owned();
    let (status, body) = admin
        .patch(
            &format!("/api/admin/boards/{second}"),
            json!({"archived": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["board"]["archived_at"].is_string(), "{body}");
    let admin_post = t["post"]["id"].as_str().unwrap().to_owned();

    // Off the list, still readable by link, read-only for everyone.
    let (_, list) = member.get("/api/boards").await;
    assert_eq!(names(&list), ["Third", "Getting started"]);
    let (_, all) = admin.get("/api/admin/boards").await;
    assert_eq!(all["boards"].as_array().unwrap().len(), 3, "{all}");
    let (status, body) = member.get(&format!("/api/boards/{second}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["board"]["archived_at"].is_string(), "{body}");
    let (status, body) = member.get(&format!("/api/boards/{second}/threads")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["threads"].as_array().unwrap().len(), 1, "{body}");
    let (status, body) = member.get(&format!("/api/threads/{thread}/posts")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.to_string().contains("Still readable later."));
    for (who, c) in [("member", &member), ("admin", &admin)] {
        let (status, body) = c
            .post(
                &format!("/api/boards/{second}/threads"),
                json!({"title": "New here", "body": "Hello everyone."}),
            )
            .await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::CONFLICT, "board_archived"),
            "{who}: {body}"
        );
        let (status, body) = c
            .post(
                &format!("/api/threads/{thread}/posts"),
                json!({"body": "A late reply."}),
            )
            .await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::CONFLICT, "board_archived"),
            "{who}: {body}"
        );
    }
    let (status, body) = admin
        .patch(
            &format!("/api/posts/{admin_post}"),
            json!({"body": "Changed later."}),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "board_archived"),
        "{body}"
    );

    // Brought back: listed and open again.
    let (status, body) = admin
        .patch(
            &format!("/api/admin/boards/{second}"),
            json!({"archived": false}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["board"]["archived_at"].is_null(), "{body}");
    let (_, list) = member.get("/api/boards").await;
    assert_eq!(names(&list), ["Third", "Getting started", "Second"]);
    let (status, body) = admin
        .post(
            &format!("/api/threads/{thread}/posts"),
            json!({"body": "We are back."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let actions: Vec<String> = audit_actions(&admin)
        .await
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    for a in [
        "board_updated",
        "boards_reordered",
        "board_archived",
        "board_unarchived",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a}: {actions:?}");
    }
    // Moderators read board changes in the log too.
    let (_, audit) = moderator.get("/api/mod/audit?limit=200").await;
    assert!(audit.to_string().contains("board_archived"), "{audit}");
}

/// Item 4c: a room that needs a moderator opening is live: members on the chat list (the
/// `rooms` topic) and in the room hear `room_opened` when the first moderator arrives, not when
/// a member arrives, nor when a second moderator does; and `room_closed` reaches the list too.
async fn a_room_opening_is_live_on_the_list_and_in_the_room(app: TestApp) {
    let admin = app.admin().await;
    let (member, moderator) = member_and_moderator(&app, &admin).await;
    let (status, body) = admin
        .post(
            "/api/admin/rooms",
            json!({"name": "Evening support", "needs_moderator": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let room = body["room"]["id"].as_str().unwrap().to_owned();
    let (other, _) = app.member(&admin, "other_olly").await;

    let mut list = member.socket().await;
    listen(&mut list, json!(["rooms"])).await;
    let mut inside = other.socket().await;
    listen(&mut inside, json!([format!("room:{room}")])).await;
    // A member arriving opens nothing.
    let quiet = list.drain(Duration::from_millis(800)).await;
    assert!(
        quiet.iter().all(|f| f["event"]["kind"] != "room_opened"),
        "{quiet:?}"
    );

    let mut m = moderator.socket().await;
    listen(&mut m, json!([format!("room:{room}")])).await;
    let on_list = list
        .expect("room_opened on the list", |v| {
            v["topic"] == "rooms" && v["event"]["kind"] == "room_opened"
        })
        .await;
    assert_eq!(on_list["event"]["room_id"], room.as_str(), "{on_list}");
    inside
        .expect("room_opened in the room", |v| {
            v["topic"] == format!("room:{room}").as_str() && v["event"]["kind"] == "room_opened"
        })
        .await;
    let (_, rooms) = member.get("/api/rooms").await;
    assert_eq!(rooms["rooms"][0]["open"], true, "{rooms}");

    // A second moderator arriving changes nothing: nothing is said.
    let mut second = admin.socket().await;
    listen(&mut second, json!([format!("room:{room}")])).await;
    let quiet = list.drain(Duration::from_millis(1000)).await;
    assert!(
        quiet.iter().all(|f| f["event"]["kind"] != "room_opened"),
        "{quiet:?}"
    );
    // Both leave: the list hears it closed.
    drop(second);
    drop(m);
    list.expect("room_closed on the list", |v| {
        v["topic"] == "rooms" && v["event"]["kind"] == "room_closed"
    })
    .await;
}

/// Items 4d and 4e: held chat messages count as waiting (GET /api/mod/counts, told over
/// `modqueue`), and undoing a rejection tells every moderator's queue (`queue_item_added`).
async fn held_chat_counts_as_waiting_and_undoing_a_rejection_tells_the_queue(app: TestApp) {
    let admin = app.admin().await;
    let (_, moderator) = member_and_moderator(&app, &admin).await;
    let (status, body) = admin
        .post(
            "/api/admin/rooms",
            json!({"name": "Open room", "new_member_slow_mode_seconds": 0}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let room = body["room"]["id"].as_str().unwrap().to_owned();
    let (newbie, _) = app.member(&admin, "newbie_nia").await;
    let (_, before) = moderator.get("/api/mod/counts").await;
    let waiting = before["queue"].as_u64().unwrap();

    let mut staff = moderator.socket().await;
    listen(&mut staff, json!(["modqueue"])).await;
    let mut author = newbie.socket().await;
    listen(&mut author, json!([format!("room:{room}")])).await;
    let id = uuid::Uuid::new_v4();
    author
        .send(json!({"type": "say", "room": room, "body": "Hello all, my first evening here", "client_id": id}))
        .await;
    let ack = author.expect("the ack", |v| v["type"] == "ack").await;
    assert_eq!(ack["status"], "held", "{ack}");
    staff
        .expect("held_message_added", |v| {
            v["event"]["kind"] == "held_message_added"
        })
        .await;
    let (_, after) = moderator.get("/api/mod/counts").await;
    assert_eq!(after["queue"].as_u64().unwrap(), waiting + 1, "{after}");
    let (_, queue) = moderator.get("/api/mod/queue").await;
    let held = queue["held_messages"][0]["id"].as_str().unwrap().to_owned();
    let (status, body) = moderator
        .post(&format!("/api/mod/messages/{held}/approve"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, decided) = moderator.get("/api/mod/counts").await;
    assert_eq!(decided["queue"].as_u64().unwrap(), waiting, "{decided}");

    // A new member's first post is held; rejected; the rejection undone: the queue hears it.
    let (_, b) = admin
        .post("/api/admin/boards", json!({"name": "Undo board"}))
        .await;
    let board = b["board"]["id"].as_str().unwrap().to_owned();
    let (status, body) = newbie
        .post(
            &format!("/api/boards/{board}/threads"),
            json!({"title": "My first thread", "body": "Hello, I am new here."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let post = body["post"]["id"].as_str().unwrap().to_owned();
    let (_, queue) = moderator.get("/api/mod/queue").await;
    let item = queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["post"]["id"] == post.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, body) = moderator
        .post(
            &format!("/api/mod/queue/{item}/reject"),
            json!({"reason": "Please say a little more."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    staff
        .expect("queue_item_decided", |v| {
            v["event"]["kind"] == "queue_item_decided"
        })
        .await;
    let (status, body) = admin
        .post(&format!("/api/mod/queue/{item}/undo"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let added = staff
        .expect("queue_item_added after the undo", |v| {
            v["topic"] == "modqueue" && v["event"]["kind"] == "queue_item_added"
        })
        .await;
    assert_eq!(added["event"]["post_id"], post.as_str(), "{added}");
    assert!(
        !added.to_string().contains("Hello, I am new here."),
        "a reference, never the text: {added}"
    );
}

/// Item 4f: the audit log names the applicant of an application decided (to admins, who alone
/// read those entries).
async fn the_audit_log_names_the_applicant(app: TestApp) {
    let admin = app.admin().await;
    let (_, moderator) = member_and_moderator(&app, &admin).await;
    let c = app.client();
    let (status, body) = c
        .post("/api/applications", application("turned_tam", "1985-02-02"))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let id = admin.pending_application_id("turned_tam").await;
    let (status, body) = admin
        .post(
            &format!("/api/admin/applications/{id}/reject"),
            json!({"reason": "This group is for family members."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let entries = audit_actions(&admin).await;
    let approved = entries
        .iter()
        .find(|e| e["action"] == "application_approved")
        .unwrap();
    assert_eq!(approved["target_handle"], "mod_morgan", "{approved}");
    let rejected = entries
        .iter()
        .find(|e| e["action"] == "application_rejected")
        .unwrap();
    assert_eq!(rejected["target_handle"], "turned_tam", "{rejected}");
    let (_, audit) = moderator.get("/api/mod/audit?limit=200").await;
    assert!(
        !audit.to_string().contains("turned_tam"),
        "moderators do not read application decisions: {audit}"
    );
}

crate::on_both_backends!(
    invites_are_listed_without_tokens_and_revocable,
    concerns_are_for_leads_only_with_the_record_of_who_decided,
    boards_are_renamed_reordered_and_archived,
    a_room_opening_is_live_on_the_list_and_in_the_room,
    held_chat_counts_as_waiting_and_undoing_a_rejection_tells_the_queue,
    the_audit_log_names_the_applicant,
);
