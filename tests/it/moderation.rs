//! Boards, threads, posts and the moderation pipeline, end to end over real HTTP on SQLite and
//! PostgreSQL, with the group's default rules (`moderation-rules.toml`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{Client, TestApp, code};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A board made by the admin.
async fn board(admin: &Client, name: &str) -> String {
    let (status, body) = admin
        .post(
            "/api/admin/boards",
            json!({"name": name, "description": "Somewhere to talk"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["board"]["id"].as_str().unwrap().to_owned()
}

/// The open queue as `moderator` sees it.
async fn queue(moderator: &Client) -> Vec<Value> {
    let (status, body) = moderator.get("/api/mod/queue").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"].as_array().unwrap().clone()
}

/// The queue item about `post_id`.
async fn item_for(moderator: &Client, post_id: &str) -> Value {
    queue(moderator)
        .await
        .into_iter()
        .find(|i| i["post"]["id"] == post_id)
        .unwrap_or_else(|| panic!("no queue item for post {post_id}"))
}

/// Gets a new member past the new-member hold: three posts, each approved by a moderator.
async fn establish(member: &Client, admin: &Client, thread_id: &str) {
    for i in 0..3 {
        let (status, body) = member
            .post(
                &format!("/api/threads/{thread_id}/posts"),
                json!({"body": format!("Thank you all, this helps (note {i}).")}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(
            body["moderation"]["status"], "held",
            "a new member's post {i} is held: {body}"
        );
        let item = item_for(admin, body["post"]["id"].as_str().unwrap()).await;
        let (status, body) = admin
            .post(
                &format!("/api/mod/queue/{}/approve", item["id"].as_str().unwrap()),
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
}

/// A board with a published thread started by the admin; answers (board, thread).
async fn open_thread(admin: &Client) -> (String, String) {
    let board_id = board(admin, "Partners").await;
    let (status, body) = admin
        .post(
            &format!("/api/boards/{board_id}/threads"),
            json!({"title": "Introduce yourself", "body": "Say hello if you like."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["moderation"]["status"], "published", "{body}");
    (board_id, body["thread"]["id"].as_str().unwrap().to_owned())
}

async fn a_new_members_thread_is_held_until_a_moderator_approves_it(app: TestApp) {
    let admin = app.admin().await;
    let (board_id, _) = open_thread(&admin).await;
    let (alice, _) = app.member(&admin, "alice_new").await;
    let (bob, _) = app.member(&admin, "bob_reader").await;

    let (status, body) = alice
        .post(&format!("/api/boards/{board_id}/threads"), json!({"title": "First time here", "body": "My husband was arrested in March. I don't know who to talk to.", "content_warning": "arrest"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["moderation"]["status"], "held");
    assert!(
        !body["moderation"]["reasons"].as_array().unwrap().is_empty(),
        "a kind explanation: {body}"
    );
    assert_eq!(body["post"]["status"], "held");
    let thread_id = body["thread"]["id"].as_str().unwrap().to_owned();
    let post_id = body["post"]["id"].as_str().unwrap().to_owned();

    // Bob sees no trace of it: not in the list, not by id, not in counts.
    let (_, list) = bob.get(&format!("/api/boards/{board_id}/threads")).await;
    assert_eq!(list["threads"].as_array().unwrap().len(), 1, "{list}");
    let (status, _) = bob.get(&format!("/api/threads/{thread_id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = bob.get(&format!("/api/threads/{thread_id}/posts")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Alice sees her own, clearly marked.
    let (_, mine) = alice.get(&format!("/api/boards/{board_id}/threads")).await;
    let held: Vec<_> = mine["threads"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["status"] == "held")
        .collect();
    assert_eq!(held.len(), 1, "{mine}");

    // The moderator sees it in the queue with the rule that fired.
    let item = item_for(&admin, &post_id).await;
    assert_eq!(item["kind"], "held");
    let rules: Vec<_> = item["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["rule"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        rules.iter().any(|r| r.starts_with("New member")),
        "{rules:?}"
    );
    assert!(item["waited_seconds"].as_i64().unwrap() >= 0);
    assert_eq!(item["post"]["content_warning"], "arrest");

    let (status, body) = admin
        .post(
            &format!("/api/mod/queue/{}/approve", item["id"].as_str().unwrap()),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Now Bob sees it, with its content warning, and it is unread for him.
    let (_, list) = bob.get(&format!("/api/boards/{board_id}/threads")).await;
    let t = list["threads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == thread_id.as_str())
        .unwrap()
        .clone();
    assert_eq!(t["post_count"], 1);
    assert_eq!(t["unread"], true);
    let (status, posts) = bob.get(&format!("/api/threads/{thread_id}/posts")).await;
    assert_eq!(status, StatusCode::OK);
    let p = &posts["posts"][0];
    assert_eq!(p["content_warning"], "arrest");
    assert!(
        p["body_html"]
            .as_str()
            .unwrap()
            .contains("arrested in March")
    );
    assert_eq!(
        p["body_source"],
        Value::Null,
        "others do not get the source"
    );
    let (_, list) = bob.get(&format!("/api/boards/{board_id}/threads")).await;
    let t = list["threads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == thread_id.as_str())
        .unwrap()
        .clone();
    assert_eq!(t["unread"], false, "read after viewing");
    // Alice is told, by "the moderators".
    let (_, n) = alice.get("/api/notifications").await;
    let approved = n["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "post_approved")
        .unwrap()
        .clone();
    assert_eq!(approved["from"], "the moderators");
    assert!(
        !n.to_string().contains("first_admin"),
        "never which moderator: {n}"
    );
}

async fn an_established_member_publishes_at_once_and_the_thread_author_hears_of_replies(
    app: TestApp,
) {
    let admin = app.admin().await;
    let (board_id, thread_id) = open_thread(&admin).await;
    let (carol, _) = app.member(&admin, "carol_regular").await;
    establish(&carol, &admin, &thread_id).await;
    let (status, body) = carol
        .post(
            &format!("/api/threads/{thread_id}/posts"),
            json!({"body": "We married on 12 03 2019 and I never saw this coming."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["moderation"]["status"], "published", "{body}");
    let (_, n) = admin.get("/api/notifications").await;
    assert!(
        n["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "reply"),
        "{n}"
    );
    let (_, t) = admin.get(&format!("/api/threads/{thread_id}")).await;
    assert_eq!(
        t["thread"]["post_count"], 5,
        "first post, three approved, one published: {t}"
    );
    // A new thread of hers publishes too.
    let (status, body) = carol
        .post(
            &format!("/api/boards/{board_id}/threads"),
            json!({"title": "Sleep", "body": "Does anyone else wake at 4am every night?"}),
        )
        .await;
    assert_eq!(
        (status, body["moderation"]["status"].as_str()),
        (StatusCode::CREATED, Some("published")),
        "{body}"
    );
}

async fn a_held_post_can_be_rejected_with_a_reason_and_the_rejection_undone(app: TestApp) {
    let admin = app.admin().await;
    let (_, thread_id) = open_thread(&admin).await;
    let (dan, _) = app.member(&admin, "dan_sharer").await;
    let (eve, _) = app.member(&admin, "eve_reader").await;
    establish(&dan, &admin, &thread_id).await;
    let (status, body) = dan
        .post(
            &format!("/api/threads/{thread_id}/posts"),
            json!({"body": "Ring me on 07700 900123 if you want to talk."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        body["moderation"]["status"], "held",
        "a phone number is held: {body}"
    );
    let post_id = body["post"]["id"].as_str().unwrap().to_owned();
    let item = item_for(&admin, &post_id).await;
    let hit = item["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["matched"].as_str().unwrap().contains("07700"))
        .unwrap()
        .clone();
    let (start, end) = (
        hit["start"].as_u64().unwrap() as usize,
        hit["end"].as_u64().unwrap() as usize,
    );
    assert_eq!(
        &item["post"]["body_source"].as_str().unwrap()[start..end],
        hit["matched"].as_str().unwrap(),
        "span points at the matched text"
    );

    let id = item["id"].as_str().unwrap();
    let (status, body) = admin
        .post(&format!("/api/mod/queue/{id}/reject"), json!({}))
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("reason"))
    );
    let (status, body) = admin
        .post(
            &format!("/api/mod/queue/{id}/reject"),
            json!({"ready_reason": "no-such-reason"}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("ready_reason"))
    );
    let (status, body) = admin
        .post(
            &format!("/api/mod/queue/{id}/reject"),
            json!({"ready_reason": "contact-details"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Dan sees the reason, on the post and in a notification; Eve sees nothing.
    let (_, posts) = dan.get(&format!("/api/threads/{thread_id}/posts")).await;
    let mine = posts["posts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == post_id.as_str())
        .unwrap()
        .clone();
    assert_eq!(mine["status"], "rejected");
    assert!(
        mine["decision_reason"]
            .as_str()
            .unwrap()
            .contains("phone numbers"),
        "{mine}"
    );
    let (_, n) = dan.get("/api/notifications").await;
    let rejected = n["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "post_rejected")
        .unwrap()
        .clone();
    assert!(
        rejected["message"]
            .as_str()
            .unwrap()
            .contains("phone numbers")
    );
    let (_, posts) = eve.get(&format!("/api/threads/{thread_id}/posts")).await;
    assert!(!posts.to_string().contains(&post_id), "{posts}");

    // The rejection can be undone: the post is held and back in the queue.
    let (status, body) = admin
        .post(&format!("/api/mod/queue/{id}/undo"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["item"]["state"], "open");
    assert_eq!(body["item"]["post"]["status"], "held");
    // ...but not after seven days.
    let (status, _) = admin
        .post(
            &format!("/api/mod/queue/{id}/reject"),
            json!({"reason": "Please leave out the phone number."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    app.clock.advance(chrono::Duration::days(8));
    // Eight days on, the admin's session has (rightly) expired: sign in again.
    let (status, _) = admin.get("/api/session").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    admin.sign_in("first_admin", "admin-password-1").await;
    let (status, body) = admin
        .post(&format!("/api/mod/queue/{id}/undo"), json!({}))
        .await;
    assert_eq!((status, code(&body)), (StatusCode::CONFLICT, "cannot_undo"));
}

async fn approve_with_an_edit_publishes_the_redacted_text_and_a_second_decision_is_a_conflict(
    app: TestApp,
) {
    let admin = app.admin().await;
    let (_, thread_id) = open_thread(&admin).await;
    let (moderator, moderator_id) = app.member(&admin, "second_mod").await;
    admin
        .patch(
            &format!("/api/admin/members/{moderator_id}"),
            json!({"role": "moderator"}),
        )
        .await;
    let (fay, _) = app.member(&admin, "fay_member").await;
    establish(&fay, &admin, &thread_id).await;
    let (_, body) = fay
        .post(
            &format!("/api/threads/{thread_id}/posts"),
            json!({"body": "My husband's case is at Cardiff Crown Court next month."}),
        )
        .await;
    assert_eq!(body["moderation"]["status"], "held", "{body}");
    let post_id = body["post"]["id"].as_str().unwrap().to_owned();
    let item = item_for(&admin, &post_id).await;
    let id = item["id"].as_str().unwrap();
    let (status, body) = moderator
        .post(
            &format!("/api/mod/queue/{id}/approve"),
            json!({"body": "My husband's case is at [court removed] next month."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = admin
        .post(&format!("/api/mod/queue/{id}/approve"), json!({}))
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "already_decided")
    );
    let (status, body) = admin
        .post(
            &format!("/api/mod/queue/{id}/reject"),
            json!({"reason": "x"}),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "already_decided")
    );
    let (_, posts) = admin.get(&format!("/api/threads/{thread_id}/posts")).await;
    let p = posts["posts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == post_id.as_str())
        .unwrap()
        .clone();
    assert_eq!(p["status"], "published");
    assert!(
        p["body_html"].as_str().unwrap().contains("[court removed]"),
        "{p}"
    );
    assert!(!p["body_html"].as_str().unwrap().contains("Cardiff"));
}

/// A moderator's edit is never silent (issue 14, item 6a): the author is told a moderator
/// edited their post, with the reason given; every reader sees "edited by a moderator" until the
/// author edits it again; and the reason is refused when too long, as any reason is.
async fn a_moderators_edit_tells_the_author_why_and_marks_the_post(app: TestApp) {
    let admin = app.admin().await;
    let (_, thread_id) = open_thread(&admin).await;
    let (gwen, _) = app.member(&admin, "gwen_member").await;
    establish(&gwen, &admin, &thread_id).await;
    let (_, before) = gwen.get("/api/notifications").await;
    let before = before["notifications"].as_array().unwrap().len();
    let (_, body) = gwen
        .post(
            &format!("/api/threads/{thread_id}/posts"),
            json!({"body": "My son's hearing is at Leeds Crown Court on Monday."}),
        )
        .await;
    assert_eq!(body["moderation"]["status"], "held", "{body}");
    let post_id = body["post"]["id"].as_str().unwrap().to_owned();
    let id = item_for(&admin, &post_id).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, body) = admin
        .post(
            &format!("/api/mod/queue/{id}/approve"),
            json!({"body": "My son's hearing is at [court removed] on Monday.", "reason": "x".repeat(1001)}),
        )
        .await;
    assert_eq!((status, code(&body)), (StatusCode::BAD_REQUEST, "invalid"));
    let (status, body) = admin
        .post(
            &format!("/api/mod/queue/{id}/approve"),
            json!({
                "body": "My son's hearing is at [court removed] on Monday.",
                "reason": "We took out the court's name so nobody can be identified.",
            }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The author is told: a moderator edited it, and why; not merely "approved".
    let (_, n) = gwen.get("/api/notifications").await;
    let list = n["notifications"].as_array().unwrap();
    assert_eq!(list.len(), before + 1, "one notice: {n}");
    let notice = &list[0];
    assert_eq!(notice["kind"], "post_edited_by_moderator", "{notice}");
    assert_eq!(notice["post_id"], post_id.as_str());
    assert_eq!(
        notice["message"],
        "We took out the court's name so nobody can be identified."
    );
    assert_eq!(notice["from"], "the moderators");

    // Every reader sees it was edited by a moderator.
    let edited = |posts: &Value| {
        posts["posts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == post_id.as_str())
            .unwrap()["edited_by_moderator"]
            .clone()
    };
    let (reader, _) = app.member(&admin, "another_reader").await;
    let (_, posts) = reader.get(&format!("/api/threads/{thread_id}/posts")).await;
    assert_eq!(edited(&posts), json!(true), "{posts}");

    // Until the author edits it again.
    let (status, body) = gwen
        .patch(
            &format!("/api/posts/{post_id}"),
            json!({"body": "My son's hearing is on Monday."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, posts) = admin.get(&format!("/api/threads/{thread_id}/posts")).await;
    assert_eq!(edited(&posts), json!(false), "{posts}");

    // A plain approval of a held post still says "approved" (no edit, no reason).
    let (_, body) = gwen
        .post(
            &format!("/api/threads/{thread_id}/posts"),
            json!({"body": "See you all at the meeting at Leeds Crown Court."}),
        )
        .await;
    if body["moderation"]["status"] == "held" {
        let pid = body["post"]["id"].as_str().unwrap();
        let id = item_for(&admin, pid).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        admin
            .post(&format!("/api/mod/queue/{id}/approve"), json!({}))
            .await;
        let (_, n) = gwen.get("/api/notifications").await;
        assert_eq!(n["notifications"][0]["kind"], "post_approved", "{n}");
    }
}

async fn reports_reach_the_queue_without_naming_the_reporter(app: TestApp) {
    let admin = app.admin().await;
    let (_, thread_id) = open_thread(&admin).await;
    let (gus, _) = app.member(&admin, "gus_writer").await;
    let (hal, _) = app.member(&admin, "hal_reporter").await;
    establish(&gus, &admin, &thread_id).await;
    let (_, body) = gus
        .post(
            &format!("/api/threads/{thread_id}/posts"),
            json!({"body": "Honestly he deserved what he got and so did she."}),
        )
        .await;
    let post_id = body["post"]["id"].as_str().unwrap().to_owned();
    assert_eq!(body["moderation"]["status"], "published", "{body}");

    let (status, body) = hal
        .post(
            &format!("/api/posts/{post_id}/reports"),
            json!({"reason": "rude"}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("reason"))
    );
    let (status, body) = hal
        .post(
            &format!("/api/posts/{post_id}/reports"),
            json!({"reason": "unkind", "note": "This felt aimed at me."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = hal
        .post(
            &format!("/api/posts/{post_id}/reports"),
            json!({"reason": "unkind"}),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "already_reported")
    );

    let item = item_for(&admin, &post_id).await;
    assert_eq!(item["kind"], "report");
    assert_eq!(item["report"]["note"], "This felt aimed at me.");
    assert!(
        !item.to_string().contains("hal_reporter"),
        "the reporter is not named: {item}"
    );

    let (status, _) = admin
        .post(
            &format!("/api/mod/queue/{}/reject", item["id"].as_str().unwrap()),
            json!({"ready_reason": "unkind"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, n) = gus.get("/api/notifications").await;
    let removed = n["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "post_removed")
        .unwrap()
        .clone();
    assert!(!removed.to_string().contains("hal_reporter"));
    let (_, posts) = hal.get(&format!("/api/threads/{thread_id}/posts")).await;
    let p = posts["posts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == post_id.as_str())
        .unwrap()
        .clone();
    assert_eq!(p["status"], "removed");
    assert_eq!(p["body_html"], "", "others see a placeholder only");
}

async fn locked_threads_refuse_replies_and_moderators_act_on_threads(app: TestApp) {
    let admin = app.admin().await;
    let (board_id, thread_id) = open_thread(&admin).await;
    let other_board = board(&admin, "Parents").await;
    let (ivy, _) = app.member(&admin, "ivy_member").await;
    for action in ["lock"] {
        let (status, body) = admin
            .post(&format!("/api/mod/threads/{thread_id}/{action}"), json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, body) = ivy
        .post(
            &format!("/api/threads/{thread_id}/posts"),
            json!({"body": "Can I still say something?"}),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "thread_locked")
    );
    let (status, _) = admin
        .post(
            &format!("/api/threads/{thread_id}/posts"),
            json!({"body": "Locking this one: please start a new thread."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "moderators can still reply");
    admin
        .post(&format!("/api/mod/threads/{thread_id}/unlock"), json!({}))
        .await;
    let (status, _) = ivy
        .post(
            &format!("/api/threads/{thread_id}/posts"),
            json!({"body": "Thank you for reopening it."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    // Members cannot act on threads.
    let (status, _) = ivy
        .post(&format!("/api/mod/threads/{thread_id}/lock"), json!({}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Pinning puts a thread first; moving changes its board.
    let (_, b) = admin
        .post(
            &format!("/api/boards/{board_id}/threads"),
            json!({"title": "A newer thread", "body": "Newer."}),
        )
        .await;
    let newer = b["thread"]["id"].as_str().unwrap().to_owned();
    let (_, list) = ivy.get(&format!("/api/boards/{board_id}/threads")).await;
    assert_eq!(list["threads"][0]["id"], newer.as_str());
    admin
        .post(&format!("/api/mod/threads/{thread_id}/pin"), json!({}))
        .await;
    let (_, list) = ivy.get(&format!("/api/boards/{board_id}/threads")).await;
    assert_eq!(list["threads"][0]["id"], thread_id.as_str());
    assert_eq!(list["threads"][0]["pinned"], true);
    // Cursor paging walks every thread once, in order.
    let (_, page1) = ivy
        .get(&format!("/api/boards/{board_id}/threads?limit=1"))
        .await;
    let next = page1["next"].as_str().unwrap();
    let (_, page2) = ivy
        .get(&format!(
            "/api/boards/{board_id}/threads?limit=1&cursor={next}"
        ))
        .await;
    assert_eq!(page2["threads"][0]["id"], newer.as_str(), "{page2}");
    let (status, _) = ivy
        .get(&format!("/api/boards/{board_id}/threads?cursor=nonsense"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, _) = admin
        .post(
            &format!("/api/mod/threads/{newer}/move"),
            json!({"board_id": other_board}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, list) = ivy.get(&format!("/api/boards/{other_board}/threads")).await;
    assert_eq!(list["threads"][0]["id"], newer.as_str());
    let (status, _) = admin
        .post(
            &format!("/api/mod/threads/{newer}/move"),
            json!({"board_id": uuid::Uuid::new_v4()}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (_, audit) = admin.get("/api/mod/audit?limit=100").await;
    let actions = audit.to_string();
    for a in [
        "thread_locked",
        "thread_unlocked",
        "thread_pinned",
        "thread_moved",
        "board_created",
    ] {
        assert!(actions.contains(a), "{a} audited");
    }
}

async fn the_rules_reject_abuse_and_signpost_crisis_support(app: TestApp) {
    let admin = app.admin().await;
    let (board_id, thread_id) = open_thread(&admin).await;
    let (jo, _) = app.member(&admin, "jo_member").await;
    establish(&jo, &admin, &thread_id).await;
    let before = queue(&admin).await.len();
    let (status, body) = jo
        .post(
            &format!("/api/threads/{thread_id}/posts"),
            json!({"body": "You're a disgusting enabler and you know it."}),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "rejected_by_rules"),
        "{body}"
    );
    assert_eq!(body["moderation"]["status"], "rejected");
    assert!(!body["error"]["message"].as_str().unwrap().is_empty());
    let (_, posts) = admin.get(&format!("/api/threads/{thread_id}/posts")).await;
    assert!(!posts.to_string().contains("disgusting"), "nothing stored");
    let (status, _) = jo
        .post(
            &format!("/api/boards/{board_id}/threads"),
            json!({"title": "I know where you live, watch yourself.", "body": "ok"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "titles are checked too"
    );

    let (status, body) = jo
        .post(
            &format!("/api/threads/{thread_id}/posts"),
            json!({"body": "Honestly some nights I want to end my life."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["moderation"]["status"], "published");
    let signposts = body["moderation"]["signpost"].as_array().unwrap();
    assert!(
        signposts
            .iter()
            .any(|s| s["title"].as_str().unwrap().contains("Samaritans")),
        "{body}"
    );
    let items = queue(&admin).await;
    assert_eq!(items.len(), before + 1);
    assert!(
        items
            .iter()
            .any(|i| i["kind"] == "flagged" && i["post"]["id"] == body["post"]["id"]),
        "flagged for moderators"
    );
}

async fn members_edit_and_delete_their_own_posts_only(app: TestApp) {
    let admin = app.admin().await;
    let (_, thread_id) = open_thread(&admin).await;
    let (kim, _) = app.member(&admin, "kim_member").await;
    let (lee, _) = app.member(&admin, "lee_member").await;
    let (_, body) = kim
        .post(
            &format!("/api/threads/{thread_id}/posts"),
            json!({"body": "A first try."}),
        )
        .await;
    let post_id = body["post"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        body["post"]["body_source"], "A first try.",
        "the author gets the source to edit"
    );
    let (status, body) = kim
        .patch(
            &format!("/api/posts/{post_id}"),
            json!({"body": "A better first try, **edited**."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["moderation"]["status"], "held", "still under review");
    assert!(
        body["post"]["body_html"]
            .as_str()
            .unwrap()
            .contains("<strong>edited</strong>")
    );
    assert_eq!(
        queue(&admin)
            .await
            .iter()
            .filter(|i| i["post"]["id"] == post_id.as_str())
            .count(),
        1,
        "one open item per post"
    );
    let (status, _) = lee
        .patch(&format!("/api/posts/{post_id}"), json!({"body": "hijack"}))
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "lee cannot even see kim's held post"
    );
    let (status, body) = kim
        .patch(
            &format!("/api/posts/{post_id}"),
            json!({"body": "People like you should be locked up with him."}),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "rejected_by_rules")
    );
    let (status, body) = kim.delete(&format!("/api/posts/{post_id}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["post"]["status"], "deleted");
    assert!(
        queue(&admin)
            .await
            .iter()
            .all(|i| i["post"]["id"] != post_id.as_str()),
        "nothing left to review"
    );
    let (status, _) = kim.delete(&format!("/api/posts/{post_id}")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = lee
        .delete(&format!("/api/posts/{}", uuid::Uuid::new_v4()))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn moderator_boards_are_invisible_to_members_and_bad_input_is_refused(app: TestApp) {
    let admin = app.admin().await;
    let (status, body) = admin
        .post(
            "/api/admin/boards",
            json!({"name": "Team room", "visibility": "moderators"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let team = body["board"]["id"].as_str().unwrap().to_owned();
    let (status, body) = admin
        .post(
            "/api/admin/boards",
            json!({"name": "x", "visibility": "everyone"}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("visibility"))
    );
    let (_, open) = open_thread(&admin).await;
    let (mia, _) = app.member(&admin, "mia_member").await;
    let (_, boards) = mia.get("/api/boards").await;
    assert!(!boards.to_string().contains("Team room"));
    let (status, _) = mia.get(&format!("/api/boards/{team}/threads")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = mia
        .post(
            &format!("/api/boards/{team}/threads"),
            json!({"title": "Hello team", "body": "hi"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = mia.post("/api/admin/boards", json!({"name": "Mine"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let board_id = body_board(&mia).await;
    for (payload, field) in [
        (json!({"title": "hi", "body": "A body"}), "title"),
        (json!({"title": "A fine title", "body": "   "}), "body"),
        (
            json!({"title": "A fine title", "body": "x".repeat(20_001)}),
            "body",
        ),
        (
            json!({"title": "A fine title", "body": "ok", "content_warning": "c".repeat(201)}),
            "content_warning",
        ),
    ] {
        let (status, body) = mia
            .post(&format!("/api/boards/{board_id}/threads"), payload)
            .await;
        assert_eq!(
            (status, body["error"]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some(field)),
            "{body}"
        );
    }
    let (status, _) = mia
        .post(
            &format!("/api/boards/{board_id}/threads"),
            json!({"title": 5}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = mia
        .get(&format!("/api/threads/{open}/posts?after=zzz"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = mia.get("/api/threads/not-a-uuid").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = Client::new(&app.base, true).get("/api/boards").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn body_board(member: &Client) -> String {
    let (_, boards) = member.get("/api/boards").await;
    boards["boards"][0]["id"].as_str().unwrap().to_owned()
}

async fn bulk_decisions_and_the_audit_log(app: TestApp) {
    let admin = app.admin().await;
    let (_, thread_id) = open_thread(&admin).await;
    let (ned, _) = app.member(&admin, "ned_member").await;
    let mut ids = vec![];
    for i in 0..3 {
        let (_, body) = ned
            .post(
                &format!("/api/threads/{thread_id}/posts"),
                json!({"body": format!("Post number {i}")}),
            )
            .await;
        ids.push(
            item_for(&admin, body["post"]["id"].as_str().unwrap()).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let (status, body) = admin
        .post(
            "/api/mod/queue/bulk",
            json!({"ids": ids[..2], "action": "approve"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["ok"] == true)
    );
    let (status, body) = admin
        .post(
            "/api/mod/queue/bulk",
            json!({"ids": ids, "action": "reject", "reason": "Please keep to the topic."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let oks: Vec<_> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ok"].as_bool().unwrap())
        .collect();
    assert_eq!(
        oks,
        [false, false, true],
        "already-decided items are reported, the rest decided"
    );
    let (status, _) = admin
        .post(
            "/api/mod/queue/bulk",
            json!({"ids": [], "action": "approve"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, audit) = admin.get("/api/mod/audit?limit=200").await;
    let entries = audit["entries"].as_array().unwrap();
    assert_eq!(
        entries
            .iter()
            .filter(|e| e["action"] == "queue_held_approved")
            .count(),
        2
    );
    assert_eq!(
        entries
            .iter()
            .filter(|e| e["action"] == "queue_held_rejected")
            .count(),
        1
    );
    assert!(entries.iter().all(|e| e["actor"].is_string()));
}

/// Sends `body` to `path` with `key` as its `Idempotency-Key`: (status, `Idempotent-Replayed`,
/// body).
async fn send_keyed(
    client: &Client,
    path: &str,
    key: &str,
    body: Value,
) -> (StatusCode, String, Value) {
    let resp = client
        .request(reqwest::Method::POST, path)
        .header("Idempotency-Key", key)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let replayed = resp
        .headers()
        .get("idempotent-replayed")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, replayed, resp.json().await.unwrap())
}

async fn a_retried_send_with_its_idempotency_key_stores_the_post_once(app: TestApp) {
    let admin = app.admin().await;
    let (board_id, thread_id) = open_thread(&admin).await;
    let replies = format!("/api/threads/{thread_id}/posts");

    // A reply, then its retry: one post, answered twice the same way.
    let key = uuid::Uuid::new_v4().to_string();
    let words = json!({"body": "Sent once, retried after the answer was lost."});
    let (status, replayed, first) = send_keyed(&admin, &replies, &key, words.clone()).await;
    assert_eq!(
        (status, replayed.as_str()),
        (StatusCode::CREATED, "false"),
        "{first}"
    );
    let (status, replayed, again) =
        send_keyed(&admin, &replies, &format!("\"{key}\""), words).await;
    assert_eq!(
        (status, replayed.as_str()),
        (StatusCode::CREATED, "true"),
        "{again}"
    );
    assert_eq!(again["post"]["id"], first["post"]["id"]);
    assert_eq!(again["moderation"], first["moderation"]);
    let (_, posts) = admin.get(&replies).await;
    let copies = posts["posts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["body_html"].as_str().unwrap_or("").contains("Sent once"))
        .count();
    assert_eq!(copies, 1, "{posts}");
    let (_, thread) = admin.get(&format!("/api/threads/{thread_id}")).await;
    assert_eq!(thread["thread"]["post_count"], 2, "{thread}");

    // The same key with other words is a client's mistake, not a retry.
    let (status, _, body) = send_keyed(
        &admin,
        &replies,
        &key,
        json!({"body": "Something else entirely."}),
    )
    .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "idempotency_key_reused"),
        "{body}"
    );
    // A key that is not a UUID is refused before anything is stored.
    let (status, _, body) = send_keyed(
        &admin,
        &replies,
        "not-a-uuid",
        json!({"body": "Keyed badly."}),
    )
    .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::BAD_REQUEST, "invalid"),
        "{body}"
    );
    assert_eq!(body["error"]["field"], "Idempotency-Key", "{body}");

    // A new thread, retried: one thread.
    let threads = format!("/api/boards/{board_id}/threads");
    let key = uuid::Uuid::new_v4().to_string();
    let new_thread = json!({"title": "Retried thread", "body": "Its first post."});
    let (status, replayed, first) = send_keyed(&admin, &threads, &key, new_thread.clone()).await;
    assert_eq!(
        (status, replayed.as_str()),
        (StatusCode::CREATED, "false"),
        "{first}"
    );
    let (status, replayed, again) = send_keyed(&admin, &threads, &key, new_thread).await;
    assert_eq!(
        (status, replayed.as_str()),
        (StatusCode::CREATED, "true"),
        "{again}"
    );
    assert_eq!(again["thread"]["id"], first["thread"]["id"]);
    let (_, list) = admin.get(&threads).await;
    let titled = list["threads"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["title"] == "Retried thread")
        .count();
    assert_eq!(titled, 1, "{list}");
    // A reply's key cannot stand for a thread.
    let (status, _, body) =
        send_keyed(&admin, &replies, &key, json!({"body": "Its first post."})).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "idempotency_key_reused"),
        "{body}"
    );

    // A new member's held reply, retried after the thread was locked: found, not refused, and
    // one queue item. Keys are the sender's own: another member's send with the same key is new.
    let (member, _) = app.member(&admin, "careful_sender").await;
    let key = uuid::Uuid::new_v4().to_string();
    let words = json!({"body": "Thank you for this thread."});
    let (status, replayed, first) = send_keyed(&member, &replies, &key, words.clone()).await;
    assert_eq!(
        (status, replayed.as_str()),
        (StatusCode::CREATED, "false"),
        "{first}"
    );
    assert_eq!(first["moderation"]["status"], "held", "{first}");
    let (status, body) = admin
        .post(&format!("/api/mod/threads/{thread_id}/lock"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, replayed, again) = send_keyed(&member, &replies, &key, words.clone()).await;
    assert_eq!(
        (status, replayed.as_str()),
        (StatusCode::CREATED, "true"),
        "{again}"
    );
    assert_eq!(again["post"]["id"], first["post"]["id"]);
    assert_eq!(again["moderation"]["status"], "held", "{again}");
    let post_id = first["post"]["id"].as_str().unwrap();
    let items = queue(&admin)
        .await
        .into_iter()
        .filter(|i| i["post"]["id"] == post_id)
        .count();
    assert_eq!(items, 1, "one queue item for a post sent twice");
    let (status, replayed, other) = send_keyed(&admin, &replies, &key, words).await;
    assert_eq!(
        (status, replayed.as_str()),
        (StatusCode::CREATED, "false"),
        "{other}"
    );
    assert_ne!(other["post"]["id"], first["post"]["id"]);
}

on_both_backends!(
    a_new_members_thread_is_held_until_a_moderator_approves_it,
    an_established_member_publishes_at_once_and_the_thread_author_hears_of_replies,
    a_held_post_can_be_rejected_with_a_reason_and_the_rejection_undone,
    approve_with_an_edit_publishes_the_redacted_text_and_a_second_decision_is_a_conflict,
    a_moderators_edit_tells_the_author_why_and_marks_the_post,
    reports_reach_the_queue_without_naming_the_reporter,
    locked_threads_refuse_replies_and_moderators_act_on_threads,
    the_rules_reject_abuse_and_signpost_crisis_support,
    members_edit_and_delete_their_own_posts_only,
    moderator_boards_are_invisible_to_members_and_bad_input_is_refused,
    bulk_decisions_and_the_audit_log,
    a_retried_send_with_its_idempotency_key_stores_the_post_once,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_reload_keeps_the_old_rules_when_the_new_file_is_broken() {
    let dir = std::env::temp_dir().join(format!("hearth_rules_{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("rules.toml");
    let original = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/moderation-rules.toml"
    ))
    .unwrap();
    std::fs::write(&file, &original).unwrap();
    let path = file.clone();
    let app = TestApp::spawn_with(common::Backend::Sqlite, move |c| c.rules = path)
        .await
        .unwrap();
    let admin = app.admin().await;
    let (status, body) = admin.get("/api/admin/rules").await;
    assert_eq!(status, StatusCode::OK);
    let n = body["rules"].as_array().unwrap().len();
    assert!(n > 5 && !body["ready_reasons"].as_array().unwrap().is_empty());

    std::fs::write(
        &file,
        format!("{original}\n[[rule]]\nname = \"broken\"\nwords = [\"x\"]\naction = \"holdd\"\n"),
    )
    .unwrap();
    let (status, body) = admin.post("/api/admin/rules/reload", json!({})).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "rules_invalid"),
        "{body}"
    );
    let problem = &body["error"]["problems"][0];
    assert!(
        problem["line"].as_u64().unwrap() > original.lines().count() as u64,
        "{problem}"
    );
    assert!(problem["message"].as_str().unwrap().contains("holdd"));
    let (_, still) = admin.get("/api/admin/rules").await;
    assert_eq!(
        still["rules"].as_array().unwrap().len(),
        n,
        "old rules in force"
    );

    // A file with one rule fewer (no abuse rule) reloads, and takes effect at once.
    let without_abuse = original.replace("action = \"reject\"", "action = \"flag\"");
    std::fs::write(&file, without_abuse).unwrap();
    let (status, body) = admin.post("/api/admin/rules/reload", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let board = board(&admin, "Reload").await;
    let (status, body) = admin
        .post(
            &format!("/api/boards/{board}/threads"),
            json!({"title": "Testing", "body": "You're a disgusting enabler and you know it."}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "the reloaded rules flag instead of rejecting: {body}"
    );
    let (_, audit) = admin.get("/api/mod/audit").await;
    assert!(audit.to_string().contains("rules_reloaded"));
    let (mem, _) = app.member(&admin, "plain_one").await;
    let (status, _) = mem.post("/api/admin/rules/reload", json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    drop(app);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_refuses_to_start_with_a_broken_rules_file() {
    let dir = std::env::temp_dir().join(format!("hearth_rules_{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("rules.toml");
    std::fs::write(
        &file,
        "[[rule]]\nname = \"x\"\nwords = [\"a\"]\naction = \"nope\"\n",
    )
    .unwrap();
    let db = common::TestDb::create(common::Backend::Sqlite)
        .await
        .unwrap();
    let mut config = common::test_config(&db.url);
    config.rules = file;
    let err = hearth_server::start(config, hearth_app::system_clock())
        .await
        .map(|_| ())
        .expect_err("refused");
    let text = format!("{err:#}");
    assert!(text.contains("line 4") && text.contains("nope"), "{text}");
    let _ = std::fs::remove_dir_all(dir);
}
