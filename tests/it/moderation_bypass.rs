//! Issue 12's list of ways round the rules, each through the real HTTP (and websocket) path on
//! SQLite and PostgreSQL with the shipped `moderation-rules.toml`: content warnings, entities,
//! odd spaces, invisible characters and markup in posts, chat and profile text, handles at
//! application and invite, crisis in posts and in notes to the staff, and the unseen examples
//! the issue names (published, held, or held with a safeguarding concern).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::time::Duration;

use common::{Client, TestApp, application, code};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Identifying details hidden from a reader-blind check: entities, a no-break space, a
/// zero-width space, markup splitting a name.
const HIDDEN_DETAILS: [&str; 6] = [
    "Ring me on &#48;7700 9001&#50;8 any evening",
    "It was &#69;mily Harrington who told the school",
    "Write to me at jan.moss&#64;gmail&#46;com if you like",
    "It was Emily\u{a0}Harrington who told the school",
    "Ring me on 07700\u{200b}900128 any evening",
    "It was Em**ily** Harr*ington* who told the school",
];

/// A board made by the admin, and a published thread on it: answers (board, thread).
async fn board_and_thread(admin: &Client) -> (String, String) {
    let (status, body) = admin
        .post("/api/admin/boards", json!({"name": "Talking"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let board = body["board"]["id"].as_str().unwrap().to_owned();
    let (status, body) = admin
        .post(
            &format!("/api/boards/{board}/threads"),
            json!({"title": "How are we all", "body": "Say how your week went."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    (board, body["thread"]["id"].as_str().unwrap().to_owned())
}

/// The open queue item about `post_id`, if any.
async fn queued(moderator: &Client, post_id: &str) -> Option<Value> {
    let (status, body) = moderator.get("/api/mod/queue").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["post"]["id"] == post_id)
        .cloned()
}

/// Replies `body` (with an optional content warning) as `member`; answers the answer.
async fn reply(member: &Client, thread: &str, body: &str, cw: Option<&str>) -> Value {
    let mut b = json!({"body": body});
    if let Some(cw) = cw {
        b["content_warning"] = json!(cw);
    }
    let (status, answer) = member
        .post(&format!("/api/threads/{thread}/posts"), b)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body:?}: {answer}");
    answer
}

/// Whether a post's author was shown crisis support (Samaritans among it).
fn signposted(moderation: &Value) -> bool {
    moderation["signpost"].as_array().is_some_and(|s| {
        s.iter().any(|s| {
            s["title"]
                .as_str()
                .unwrap_or_default()
                .contains("Samaritans")
        })
    })
}

/// A content warning is moderated with its post, when a thread starts, on a reply and on an
/// edit: one naming someone, with their phone and address, holds the post, and the hit says
/// it was in the content warning. An ordinary content warning changes nothing.
async fn a_content_warning_is_moderated_with_its_post(app: TestApp) {
    let admin = app.admin().await;
    let (board, thread) = board_and_thread(&admin).await;
    let (member, _) = app.established_member(&admin, "cw_writer").await;
    let identifying = "Emily Harrington, 07700 900127, 42 Acacia Avenue CF10 1AA";
    let ordinary = "Mentions prison visits";

    let answer = reply(
        &member,
        &thread,
        "A hard week, but we got through it.",
        Some(identifying),
    )
    .await;
    assert_eq!(answer["moderation"]["status"], "held", "{answer}");
    let post = answer["post"]["id"].as_str().unwrap();
    let item = queued(&admin, post).await.expect("held in the queue");
    assert_eq!(item["kind"], "held");
    let rules = item["rules"].as_array().unwrap();
    assert!(
        rules
            .iter()
            .any(|h| h["part"] == "content_warning" && h["matched"] == "07700 900127"),
        "the hit is marked as in the content warning: {item}"
    );

    // A new thread with it is held too.
    let (status, answer) = member
        .post(
            &format!("/api/boards/{board}/threads"),
            json!({"title": "Our week", "body": "Nothing much to say really.", "content_warning": identifying}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_eq!(answer["moderation"]["status"], "held", "{answer}");

    // An ordinary post with an ordinary warning publishes; editing the warning to name someone
    // takes the post out of view.
    let answer = reply(&member, &thread, "We saw him on Saturday.", Some(ordinary)).await;
    assert_eq!(answer["moderation"]["status"], "published", "{answer}");
    let post = answer["post"]["id"].as_str().unwrap().to_owned();
    let (status, answer) = member
        .patch(
            &format!("/api/posts/{post}"),
            json!({"body": "We saw him on Saturday.", "content_warning": "about Emily\u{a0}Harrington"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["moderation"]["status"], "held", "{answer}");

    // A crisis in the warning shows support and flags the post.
    let answer = reply(
        &member,
        &thread,
        "Just a bad day.",
        Some("nobody would miss me if I was gone"),
    )
    .await;
    assert_eq!(answer["moderation"]["status"], "published", "{answer}");
    assert!(signposted(&answer["moderation"]), "{answer}");
    let item = queued(&admin, answer["post"]["id"].as_str().unwrap()).await;
    assert_eq!(item.expect("flagged")["kind"], "flagged");
}

async fn reply_list(member: &Client, thread: &str) -> (StatusCode, Value) {
    member.get(&format!("/api/threads/{thread}/posts")).await
}

/// Entities, odd spaces, invisible characters and markup hide nothing in a post: each is held,
/// and the thread shows none of it to another member.
async fn hidden_details_in_posts_are_held(app: TestApp) {
    let admin = app.admin().await;
    let (_, thread) = board_and_thread(&admin).await;
    let (member, _) = app.established_member(&admin, "post_writer").await;
    let (other, _) = app.member(&admin, "other_reader").await;
    for text in HIDDEN_DETAILS {
        let answer = reply(&member, &thread, text, None).await;
        assert_eq!(answer["moderation"]["status"], "held", "{text:?}: {answer}");
    }
    let (status, posts) = reply_list(&other, &thread).await;
    assert_eq!(status, StatusCode::OK);
    for needle in ["Harrington", "mily", "7700", "jan.moss", "gmail"] {
        assert!(
            !posts.to_string().contains(needle),
            "{needle} shown: {posts}"
        );
    }
}

/// The same in chat, over the websocket: each is held (acknowledged as held) and reaches no
/// one else in the room.
async fn hidden_details_in_chat_are_held(app: TestApp) {
    let admin = app.admin().await;
    let (status, body) = admin
        .post(
            "/api/admin/rooms",
            json!({"name": "Evening chat", "new_member_slow_mode_seconds": 0}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let room = body["room"]["id"].as_str().unwrap().to_owned();
    let (member, _) = app.established_member(&admin, "chat_writer").await;
    let (listener, _) = app.established_member(&admin, "chat_listener").await;
    let mut ws = member.socket().await;
    let mut other = listener.socket().await;
    other
        .subscribe(json!([format!("room:{room}")]), json!({}))
        .await;
    // The control: an ordinary message is published and delivered, so silence below means
    // the others were held, not that delivery is broken.
    let texts = std::iter::once("Evening all, how was everyone's day?").chain(HIDDEN_DETAILS);
    for (i, text) in texts.enumerate() {
        if i > 0 && i % 4 == 0 {
            // Chat allows a burst of 5, then about one message per 2 s.
            tokio::time::sleep(Duration::from_millis(2100 * 4)).await;
        }
        let id = uuid::Uuid::new_v4();
        ws.send(json!({"type": "say", "room": room, "body": text, "client_id": id}))
            .await;
        let ack = ws
            .expect("ack", |v| {
                v["type"] == "ack" && v["client_id"] == id.to_string().as_str()
            })
            .await;
        let want = if i == 0 { "published" } else { "held" };
        assert_eq!(ack["status"], want, "{text:?}: {ack}");
    }
    let seen: Vec<Value> = other.drain(Duration::from_millis(500)).await;
    let messages: Vec<&Value> = seen
        .iter()
        .filter(|v| v["event"]["kind"] == "message")
        .collect();
    assert_eq!(messages.len(), 1, "only the ordinary one: {seen:?}");
    assert!(
        messages[0].to_string().contains("Evening all"),
        "{messages:?}"
    );
}

/// The same in profile "about" text: refused (a profile has no moderator before it), nothing
/// stored; an ordinary line is kept.
async fn hidden_details_in_profile_text_are_refused(app: TestApp) {
    let admin = app.admin().await;
    let (member, _) = app.established_member(&admin, "about_writer").await;
    for text in HIDDEN_DETAILS {
        let (status, body) = member.put("/api/me/profile", json!({"about": text})).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, "rejected_by_rules"),
            "{text:?}: {body}"
        );
    }
    let (status, body) = member
        .put(
            "/api/me/profile",
            json!({"about": "Mum of two, here since my son's arrest."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, profile) = admin.get("/api/members/about_writer").await;
    assert_eq!(
        profile["profile"]["about"], "Mum of two, here since my son's arrest.",
        "{profile}"
    );
}

/// Handles that identify someone are refused at once, with a 422 that says what kind of
/// handle to pick and nothing about what matched; nothing is stored (the handle is free, the
/// invite unused). Ordinary handles are accepted.
async fn identifying_handles_are_refused_at_application_and_invite(app: TestApp) {
    let admin = app.admin().await;
    let c = app.client();
    let bad = ["Emily.Harrington", "HMP-Parc", "CF10-1AA"];
    for handle in bad {
        let (status, body) = c
            .post("/api/applications", application(handle, "1985-02-03"))
            .await;
        assert_eq!(
            (status, code(&body), body["error"]["field"].as_str()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                "handle_identifies",
                Some("handle")
            ),
            "{handle}: {body}"
        );
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains("handle"), "{message}");
        for part in ["Emily", "Harrington", "Parc", "CF10"] {
            assert!(!message.contains(part), "reveals what matched: {message}");
        }
    }
    let (_, pending) = admin.get("/api/admin/applications").await;
    for handle in bad {
        assert!(!pending.to_string().contains(handle), "stored: {pending}");
    }

    // Through an invite: refused the same way, and the invite still works afterwards.
    let (status, body) = admin
        .post("/api/admin/invites", json!({"confirm_adult": true}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let token = body["token"].as_str().unwrap().to_owned();
    for handle in bad {
        let mut invited = application(handle, "1985-02-03");
        invited["invite"] = json!(token);
        let (status, body) = c.post("/api/applications", invited).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::UNPROCESSABLE_ENTITY, "handle_identifies"),
            "{handle}: {body}"
        );
        let (status, _) = c
            .post(
                "/api/session",
                json!({"login": handle, "password": common::password_of(handle)}),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{handle} has no account");
    }
    let mut invited = application("Tired-Dad-77", "1985-02-03");
    invited["invite"] = json!(token);
    let (status, body) = c.post("/api/applications", invited).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    for handle in ["hopeful_mum", "northern_sky"] {
        let (status, body) = c
            .post("/api/applications", application(handle, "1985-02-03"))
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{handle}: {body}");
    }
}

/// The issue's unseen examples: crisis gets support and a flag; a spelled-out number, a
/// social-media handle and a named court are held; an author is published; a present risk
/// to children is held with a safeguarding concern raised.
async fn the_issues_unseen_examples_get_their_verdicts(app: TestApp) {
    let admin = app.admin().await;
    let (_, thread) = board_and_thread(&admin).await;
    let (member, _) = app.established_member(&admin, "examples_writer").await;
    let (lead, lead_id) = app.member(&admin, "the_lead").await;
    let (status, body) = admin
        .patch(
            &format!("/api/admin/members/{lead_id}"),
            json!({"safeguarding_lead": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    for text in [
        "nobody would miss me if I was gone",
        "been cutting again, sorry",
    ] {
        let answer = reply(&member, &thread, text, None).await;
        assert_eq!(answer["moderation"]["status"], "published", "{answer}");
        assert!(signposted(&answer["moderation"]), "{text}: {answer}");
        let item = queued(&admin, answer["post"]["id"].as_str().unwrap()).await;
        assert_eq!(item.expect("flagged")["kind"], "flagged", "{text}");
    }
    for text in [
        "my number is oh seven seven double oh nine hundred five five six",
        "Snapchat: sadmum_2019",
        "The hearing is at Swansea Magistrates on the 3rd",
    ] {
        let answer = reply(&member, &thread, text, None).await;
        assert_eq!(answer["moderation"]["status"], "held", "{text}: {answer}");
        assert!(!signposted(&answer["moderation"]), "{text}");
    }
    let answer = reply(
        &member,
        &thread,
        "Found a great book by John Bowlby about attachment",
        None,
    )
    .await;
    assert_eq!(answer["moderation"]["status"], "published", "{answer}");
    assert!(
        queued(&admin, answer["post"]["id"].as_str().unwrap())
            .await
            .is_none(),
        "not flagged"
    );

    let answer = reply(
        &member,
        &thread,
        "My ex has moved in with a woman who has two little girls",
        None,
    )
    .await;
    assert_eq!(answer["moderation"]["status"], "held", "{answer}");
    let post = answer["post"]["id"].as_str().unwrap();
    let (status, list) = lead.get("/api/safeguarding/concerns").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let concerns = list["concerns"].as_array().unwrap();
    assert!(
        concerns
            .iter()
            .any(|c| c["post_id"] == post && c["source"] == "rules"),
        "a concern raised by the rules: {list}"
    );
    assert_eq!(concerns.len(), 1, "and no other: {list}");
}

/// A note to the staff (with a report or a safeguarding concern) that reads as a crisis gets
/// its writer the same support a post would, and the crisis is recorded for the staff (the
/// audit log, until the crisis lane takes it); an ordinary note gets none.
async fn a_crisis_in_a_report_or_concern_note_gets_support(app: TestApp) {
    let admin = app.admin().await;
    let (_, thread) = board_and_thread(&admin).await;
    let (writer, _) = app.established_member(&admin, "note_subject").await;
    let (reporter, _) = app.member(&admin, "note_writer").await;
    let mut posts = Vec::new();
    for text in ["First thing to report.", "Second thing to report."] {
        let answer = reply(&writer, &thread, text, None).await;
        posts.push(answer["post"]["id"].as_str().unwrap().to_owned());
    }

    let (status, body) = reporter
        .post(
            &format!("/api/posts/{}/reports", posts[0]),
            json!({"reason": "unkind", "note": "this upset me, honestly nobody would miss me if I was gone"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(signposted(&body), "{body}");
    let (status, body) = reporter
        .post(
            &format!("/api/posts/{}/concerns", posts[1]),
            json!({"category": "other", "note": "been cutting again, sorry, reading this"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(signposted(&body), "{body}");
    let (_, audit) = admin.get("/api/mod/audit?limit=200").await;
    let crises: Vec<&Value> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "crisis_in_note")
        .collect();
    assert_eq!(crises.len(), 2, "{audit}");
    assert!(
        !audit.to_string().contains("cutting again"),
        "the note's words stay out of the log"
    );
    // And each reached the moderators' urgent lane.
    let (_, queue) = admin.get("/api/mod/queue").await;
    let mut sources: Vec<&str> = queue["urgent"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["source"].as_str().unwrap())
        .collect();
    sources.sort_unstable();
    assert_eq!(sources, ["concern_note", "report_note"], "{queue}");

    // An ordinary note: received, no support, nothing recorded.
    let (status, body) = admin
        .post(
            &format!("/api/posts/{}/reports", posts[1]),
            json!({"reason": "identifying", "note": "This names the school, I think."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["signpost"], json!([]), "{body}");
}

on_both_backends!(
    a_content_warning_is_moderated_with_its_post,
    hidden_details_in_posts_are_held,
    hidden_details_in_chat_are_held,
    hidden_details_in_profile_text_are_refused,
    identifying_handles_are_refused_at_application_and_invite,
    the_issues_unseen_examples_get_their_verdicts,
    a_crisis_in_a_report_or_concern_note_gets_support,
);
