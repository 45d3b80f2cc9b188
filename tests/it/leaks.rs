//! Nothing private leaks: what is held, removed, deleted, staff-only or private never reaches a
//! member who may not see it, on any channel (REST lists and items, search, notifications,
//! another member's export, profiles, the live socket, catch-up from 0, mentions), on both
//! databases and both buses. Each of issue 11's findings has its own test here; each failed on
//! the code before the read model.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::time::Duration;

use common::{Client, TestApp, code, password_of};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A board, and a thread on it started by the admin.
async fn board_and_thread(admin: &Client, name: &str) -> (String, String) {
    let (s, b) = admin.post("/api/admin/boards", json!({"name": name})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let board = b["board"]["id"].as_str().unwrap().to_owned();
    let (s, t) = admin
        .post(
            &format!("/api/boards/{board}/threads"),
            json!({"title": "Evenings are hard", "body": "How do you all cope with the evenings?"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    (board, t["thread"]["id"].as_str().unwrap().to_owned())
}

/// A published reply; answers its id.
async fn reply(c: &Client, thread: &str, body: &str) -> String {
    let (s, p) = c
        .post(
            &format!("/api/threads/{thread}/posts"),
            json!({"body": body}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    assert_eq!(p["moderation"]["status"], "published", "{p}");
    p["post"]["id"].as_str().unwrap().to_owned()
}

/// Text that the default rules hold: a private person's name, phone number and address.
fn identifying(canary: &str) -> String {
    format!(
        "I saw Emily Harrington again, call her on 07700 900127, she lives at 42 Acacia Avenue CF10 1AA {canary}"
    )
}

/// Fails if any of `canaries` appears anywhere in `frames`.
fn assert_none_in(frames: &[Value], canaries: &[&str], channel: &str) {
    let all = serde_json::to_string(frames).unwrap();
    for c in canaries {
        assert!(
            !all.contains(c),
            "{channel} leaked {c:?}: {}",
            &all[all.find(c).unwrap().saturating_sub(300)..]
        );
    }
}

/// Finding 1: a member edits a published post into text the rules hold. The answer says held;
/// subscribers get a tombstone, never the held text.
async fn held_edit_text_is_never_broadcast(app: TestApp) {
    let admin = app.admin().await;
    let (author, _) = app.established_member(&admin, "edits_later").await;
    let (reader, _) = app.member(&admin, "reads_live").await;
    let (_, thread) = board_and_thread(&admin, "Families").await;
    let post = reply(&author, &thread, "Thank you all for listening tonight.").await;
    let mut ws = reader.socket().await;
    ws.subscribe(json!([format!("thread:{thread}")]), json!({}))
        .await;
    let (s, body) = author
        .patch(
            &format!("/api/posts/{post}"),
            json!({"body": identifying("held-edit-canary")}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["moderation"]["status"], "held", "{body}");
    let withdrawn = ws
        .expect("the post's tombstone", |v| {
            v["event"]["kind"] == "post_withdrawn" && v["event"]["post_id"] == post.as_str()
        })
        .await;
    let mut frames = vec![withdrawn];
    frames.extend(ws.drain(Duration::from_millis(500)).await);
    assert_none_in(
        &frames,
        &[
            "held-edit-canary",
            "Harrington",
            "07700",
            "Acacia",
            "edits_later",
        ],
        "the live socket",
    );
    // REST agrees: the reader sees no such post.
    let (_, list) = reader.get(&format!("/api/threads/{thread}/posts")).await;
    assert!(
        !list["posts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["id"] == post.as_str()),
        "{list}"
    );
}

/// Finding 2: a member subscribing with `since` 0 gets the current state only: nothing of
/// posts deleted or removed since, no earlier version of an edited post, no held edit, and no
/// title of a thread its author deleted.
async fn catch_up_from_zero_shows_current_state_only(app: TestApp) {
    let admin = app.admin().await;
    let (author, _) = app.established_member(&admin, "writes_things").await;
    let (reader, _) = app.member(&admin, "arrives_late").await;
    let (board, thread) = board_and_thread(&admin, "Partners").await;
    let deleted = reply(
        &author,
        &thread,
        "A thought I regret, canary-deleted-words.",
    )
    .await;
    let removed = reply(&author, &thread, "Something unkind, canary-removed-words.").await;
    let edited = reply(&author, &thread, "First version, canary-first-version.").await;
    let held = reply(&author, &thread, "Soon to be held, canary-before-hold.").await;
    let (s, t) = author
        .post(
            &format!("/api/boards/{board}/threads"),
            json!({"title": "canary-deleted-title", "body": "I may take this back."}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let own_thread = t["thread"]["id"].as_str().unwrap().to_owned();
    let own_first = t["post"]["id"].as_str().unwrap().to_owned();

    assert_eq!(
        author.delete(&format!("/api/posts/{deleted}")).await.0,
        StatusCode::OK
    );
    let (s, b) = admin
        .post(
            &format!("/api/mod/posts/{removed}/remove"),
            json!({"reason": "unkind to another member"}),
        )
        .await;
    assert!(s.is_success(), "{b}");
    let (s, b) = author
        .patch(
            &format!("/api/posts/{edited}"),
            json!({"body": "Second version, all is well."}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = author
        .patch(
            &format!("/api/posts/{held}"),
            json!({"body": identifying("canary-held-edit")}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["moderation"]["status"], "held", "{b}");
    assert_eq!(
        author.delete(&format!("/api/posts/{own_first}")).await.0,
        StatusCode::OK
    );

    let mut ws = reader.socket().await;
    let frames = ws
        .subscribe(
            json!([format!("thread:{thread}"), format!("board:{board}")]),
            json!({format!("thread:{thread}"): 0, format!("board:{board}"): 0}),
        )
        .await;
    assert!(
        frames.iter().any(|v| v["event"]["post"]["body_html"]
            .as_str()
            .is_some_and(|h| h.contains("Second version"))),
        "the edit's current text is there: {frames:?}"
    );
    assert_none_in(
        &frames,
        &[
            "canary-deleted-words",
            "canary-removed-words",
            "canary-first-version",
            "canary-before-hold",
            "canary-held-edit",
            "Harrington",
            "canary-deleted-title",
        ],
        "catch-up from 0",
    );
    // The deleted thread shows on the board as withdrawn, never with its title.
    assert!(
        frames
            .iter()
            .all(|v| v["event"]["thread"]["id"] != own_thread.as_str()),
        "{frames:?}"
    );
}

/// Finding 3: a thread moved to a staff-only board stops streaming to the members who had it
/// open: they are told the topic is forbidden, and the moderators' replies never reach them.
async fn a_thread_moved_to_a_staff_board_stops_streaming_to_members(app: TestApp) {
    let admin = app.admin().await;
    let (reader, _) = app.member(&admin, "was_reading").await;
    let (_, thread) = board_and_thread(&admin, "Open board").await;
    let (s, b) = admin
        .post(
            "/api/admin/boards",
            json!({"name": "Staff room", "visibility": "moderators"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let staff = b["board"]["id"].as_str().unwrap().to_owned();
    let mut ws = reader.socket().await;
    ws.subscribe(json!([format!("thread:{thread}")]), json!({}))
        .await;
    let (s, b) = admin
        .post(
            &format!("/api/mod/threads/{thread}/move"),
            json!({"board_id": staff}),
        )
        .await;
    assert!(s.is_success(), "{b}");
    reply(
        &admin,
        &thread,
        "Staff only: canary-staff-reply about this thread.",
    )
    .await;
    let frames = ws.drain(Duration::from_millis(800)).await;
    assert_none_in(
        &frames,
        &["canary-staff-reply"],
        "the moved thread's socket",
    );
    assert!(
        frames
            .iter()
            .any(|v| v["type"] == "error"
                && v["message"].as_str().is_some_and(|t| t.contains(&thread))),
        "the reader is told the thread is no longer theirs: {frames:?}"
    );
    let (s, _) = reader.get(&format!("/api/threads/{thread}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

/// Finding 4: a moderator's removal reaches every open page at once, as a placeholder.
async fn a_removed_post_leaves_every_open_page(app: TestApp) {
    let admin = app.admin().await;
    let (author, _) = app.established_member(&admin, "says_too_much").await;
    let (reader, _) = app.member(&admin, "has_it_open").await;
    let (_, thread) = board_and_thread(&admin, "Parents").await;
    let post = reply(
        &author,
        &thread,
        "Words a moderator will take down, canary-removed.",
    )
    .await;
    let mut ws = reader.socket().await;
    ws.subscribe(json!([format!("thread:{thread}")]), json!({}))
        .await;
    let (s, b) = admin
        .post(
            &format!("/api/mod/posts/{post}/remove"),
            json!({"reason": "this could identify someone"}),
        )
        .await;
    assert!(s.is_success(), "{b}");
    let v = ws
        .expect("the removal", |v| {
            v["event"]["post"]["id"] == post.as_str() || v["event"]["post_id"] == post.as_str()
        })
        .await;
    assert_eq!(v["event"]["post"]["status"], "removed", "{v}");
    assert_none_in(
        &[v],
        &["canary-removed", "could identify"],
        "the removal event",
    );
}

/// Finding 5: a socket belongs to its session. A password change elsewhere closes the other
/// sessions' sockets; sign-out closes its own session's sockets and no other; an expired
/// session's socket closes by itself and may not `say`.
async fn a_socket_ends_with_its_session(app: TestApp) {
    let admin = app.admin().await;
    let (phone, member_id) = app.member(&admin, "two_devices").await;
    let laptop = app.client();
    laptop
        .sign_in("two_devices", &password_of("two_devices"))
        .await;
    let mut on_phone = phone.socket().await;
    let mut on_laptop = laptop.socket().await;
    let me = format!("member:{member_id}");
    on_phone.subscribe(json!([me]), json!({})).await;
    on_laptop.subscribe(json!([me]), json!({})).await;

    // The password is changed on the laptop: the phone's session and socket end, the
    // laptop's stay.
    let (s, b) = laptop
        .post(
            "/api/me/password",
            json!({"current_password": password_of("two_devices"), "new_password": "a-brand-new-password-1"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert!(
        on_phone
            .closes_within(Duration::from_secs(2))
            .await
            .is_some(),
        "the phone's socket closed with its session"
    );
    assert!(
        on_laptop
            .closes_within(Duration::from_millis(500))
            .await
            .is_none()
    );
    assert_eq!(phone.get("/api/me").await.0, StatusCode::UNAUTHORIZED);

    // A second laptop tab on another session; signing out of one session closes only its socket.
    let tablet = app.client();
    tablet
        .sign_in("two_devices", "a-brand-new-password-1")
        .await;
    let mut on_tablet = tablet.socket().await;
    on_tablet.subscribe(json!([me]), json!({})).await;
    assert_eq!(
        tablet.delete("/api/session").await.0,
        StatusCode::NO_CONTENT
    );
    assert!(
        on_tablet
            .closes_within(Duration::from_secs(2))
            .await
            .is_some()
    );
    assert!(
        on_laptop
            .closes_within(Duration::from_millis(500))
            .await
            .is_none()
    );

    // Time passes with no request: the session runs out and its socket closes by itself.
    let (s, r) = admin
        .post(
            "/api/admin/rooms",
            json!({"name": "Late chat", "needs_moderator": false}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let room = r["room"]["id"].as_str().unwrap().to_owned();
    on_laptop
        .subscribe(json!([format!("room:{room}")]), json!({}))
        .await;
    app.clock.advance(chrono::Duration::hours(24 * 8));
    assert!(
        on_laptop
            .closes_within(Duration::from_secs(3))
            .await
            .is_some(),
        "an expired session's socket closes within seconds"
    );
}

/// Finding 5, the other half: a `say` on a socket whose session has ended is refused, even in
/// the moment before the socket is closed.
async fn a_say_after_the_session_ended_is_refused(app: TestApp) {
    let admin = app.admin().await;
    let (member, _) = app.member(&admin, "chats_late").await;
    let (s, r) = admin
        .post("/api/admin/rooms", json!({"name": "Night chat", "needs_moderator": false, "new_member_slow_mode_seconds": 0}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let room = r["room"]["id"].as_str().unwrap().to_owned();
    let mut ws = member.socket().await;
    ws.subscribe(json!([format!("room:{room}")]), json!({}))
        .await;
    // Ended in the database, as by another instance: the socket has not been told yet.
    let cookie = member.cookie().unwrap();
    let sid = cookie
        .split(';')
        .map(str::trim)
        .find_map(|c| c.split_once('=').map(|(_, v)| v.to_owned()))
        .unwrap();
    let store = app.state().app.store();
    store.delete_session(&sid).await.unwrap();
    ws.send(json!({"type": "say", "room": room, "body": "Still here? canary-after-end", "client_id": uuid::Uuid::new_v4()}))
        .await;
    let ack = ws.expect("the ack", |v| v["type"] == "ack").await;
    assert_eq!(ack["status"], "rejected", "{ack}");
    let (_, history) = admin.get(&format!("/api/rooms/{room}/messages")).await;
    assert!(
        !history.to_string().contains("canary-after-end"),
        "{history}"
    );
}

/// Finding 11: bus messages carry ids and kinds only, on a channel named for the deployment;
/// a listener on every Hearth channel of the Redis server hears no member text.
async fn nothing_private_crosses_the_bus(app: TestApp) {
    if app.state().config.redis_url.is_none() {
        return; // The in-process bus has nothing to overhear.
    }
    let client = redis::Client::open(common::redis_url()).unwrap();
    let mut pubsub = client.get_async_pubsub().await.unwrap();
    pubsub.psubscribe("hearth:*").await.unwrap();
    let admin = app.admin().await;
    let (author, _) = app.established_member(&admin, "new_here").await;
    let (_, thread) = board_and_thread(&admin, "Siblings").await;
    let (s, r) = admin
        .post("/api/admin/rooms", json!({"name": "Open chat", "needs_moderator": false, "new_member_slow_mode_seconds": 0}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let room = r["room"]["id"].as_str().unwrap().to_owned();
    reply(&author, &thread, "Published words canary-published-text.").await;
    let (s, b) = author
        .post(
            &format!("/api/threads/{thread}/posts"),
            json!({"body": identifying("canary-held-post")}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let mut ws = author.socket().await;
    ws.send(json!({"type": "say", "room": room, "body": identifying("canary-held-chat"), "client_id": uuid::Uuid::new_v4()}))
        .await;
    ws.expect("the ack", |v| v["type"] == "ack").await;
    let mut stream = pubsub.on_message();
    let mut heard = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(1);
    while let Ok(Some(m)) =
        tokio::time::timeout_at(deadline, futures_util::StreamExt::next(&mut stream)).await
    {
        let channel = m.get_channel_name().to_owned();
        let payload: String = m.get_payload().unwrap();
        heard.push(json!({"channel": channel, "payload": payload}));
    }
    assert!(!heard.is_empty(), "the bus carried the events");
    assert_none_in(
        &heard,
        &[
            "canary-published-text",
            "canary-held-post",
            "canary-held-chat",
            "Harrington",
            "07700",
            "new_here",
            "Evenings are hard",
        ],
        "the Redis bus",
    );
    assert!(
        heard.iter().all(|h| h["channel"] != "hearth:events"
            && h["channel"].as_str().unwrap().ends_with(":events")),
        "every message is on this deployment's own channel: {heard:?}"
    );
}

/// Finding 11, the other half: two deployments sharing one Redis never hear each other.
async fn two_deployments_on_one_redis_do_not_hear_each_other(app: TestApp) {
    if app.state().config.redis_url.is_none() {
        return;
    }
    let other = TestApp::spawn_on(app.backend, common::BusKind::Redis)
        .await
        .unwrap();
    let admin = app.admin().await;
    let other_admin = other.admin().await;
    let (author, _) = app.established_member(&admin, "in_the_first").await;
    let mut theirs = other_admin.socket().await;
    theirs.subscribe(json!(["modqueue"]), json!({})).await;
    let (_, thread) = board_and_thread(&admin, "Grandparents").await;
    let (s, b) = author
        .post(
            &format!("/api/threads/{thread}/posts"),
            json!({"body": identifying("canary-other-deployment")}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["moderation"]["status"], "held", "{b}");
    let frames = theirs.drain(Duration::from_millis(800)).await;
    assert!(
        frames.iter().all(|v| v["type"] != "event"),
        "the other deployment's moderators heard nothing: {frames:?}"
    );
}

/// The leak matrix: every kind of private thing, every channel an observing member has.
async fn no_channel_shows_a_member_anything_private(app: TestApp) {
    let admin = app.admin().await;
    let (author, _) = app.established_member(&admin, "private_author").await;
    let (observer, observer_id) = app.member(&admin, "observer_one").await;
    let (board, thread) = board_and_thread(&admin, "Everyone").await;
    let (s, b) = admin
        .post(
            "/api/admin/boards",
            json!({"name": "Staff notes", "visibility": "moderators"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let staff_board = b["board"]["id"].as_str().unwrap().to_owned();

    // The observer is watching live from the start.
    let mut live = observer.socket().await;
    live.subscribe(
        json!([
            format!("thread:{thread}"),
            format!("board:{board}"),
            format!("member:{observer_id}")
        ]),
        json!({}),
    )
    .await;

    // A held post that mentions the observer.
    let (s, held) = author
        .post(
            &format!("/api/threads/{thread}/posts"),
            json!({"body": format!("@observer_one {}", identifying("canaryheldpost"))}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{held}");
    assert_eq!(held["moderation"]["status"], "held", "{held}");
    // A held edit.
    let edited = reply(&author, &thread, "Soon edited, nothing to see.").await;
    author
        .patch(
            &format!("/api/posts/{edited}"),
            json!({"body": identifying("canaryheldedit")}),
        )
        .await;
    // A rejected post: the moderators reject a held one.
    let (_, rej) = author
        .post(
            &format!("/api/threads/{thread}/posts"),
            json!({"body": identifying("canaryrejected")}),
        )
        .await;
    let rej_id = rej["post"]["id"].as_str().unwrap().to_owned();
    let (_, queue) = admin.get("/api/mod/queue").await;
    let item = queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["post"]["id"] == rej_id.as_str())
        .unwrap_or_else(|| panic!("the held post is queued: {queue}"))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, b) = admin
        .post(
            &format!("/api/mod/queue/{item}/reject"),
            json!({"reason": "canaryrejectreason"}),
        )
        .await;
    assert!(s.is_success(), "{b}");
    // A removed post and a deleted post.
    let removed = reply(&author, &thread, "To be removed canaryremoved.").await;
    admin
        .post(
            &format!("/api/mod/posts/{removed}/remove"),
            json!({"reason": "canaryremovereason"}),
        )
        .await;
    let deleted = reply(&author, &thread, "To be deleted canarydeleted.").await;
    author.delete(&format!("/api/posts/{deleted}")).await;
    // A deleted thread's title.
    let (_, t) = author
        .post(
            &format!("/api/boards/{board}/threads"),
            json!({"title": "canarydeletedtitle", "body": "Taking this back."}),
        )
        .await;
    author
        .delete(&format!("/api/posts/{}", t["post"]["id"].as_str().unwrap()))
        .await;
    // A staff-board post.
    let (_, st) = admin
        .post(
            &format!("/api/boards/{staff_board}/threads"),
            json!({"title": "canarystafftitle", "body": "canarystaffbody"}),
        )
        .await;
    let staff_thread = st["thread"]["id"].as_str().unwrap().to_owned();
    // A pending applicant.
    let (s, _) = Client::new(&app.base, true)
        .post(
            "/api/applications",
            common::application("canarypending", "1990-01-01"),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    // A concern about a published post, and a mute.
    let concerned = reply(&author, &thread, "Ordinary words here.").await;
    admin
        .post(
            &format!("/api/posts/{concerned}/concerns"),
            json!({"category": "child_at_risk", "note": "canaryconcernnote"}),
        )
        .await;
    admin
        .put("/api/members/private_author/mute", json!({}))
        .await;

    let canaries = [
        "canaryheldpost",
        "canaryheldedit",
        "canaryrejected",
        "canaryrejectreason",
        "canaryremoved",
        "canaryremovereason",
        "canarydeleted",
        "canarydeletedtitle",
        "canarystafftitle",
        "canarystaffbody",
        "canarypending",
        "canaryconcernnote",
        "Harrington",
        "07700",
    ];
    let mut answers = Vec::new();
    for path in [
        format!("/api/threads/{thread}/posts"),
        format!("/api/threads/{thread}"),
        format!("/api/boards/{board}/threads"),
        "/api/boards".to_owned(),
        format!("/api/threads/{staff_thread}/posts"),
        format!("/api/posts/{}", held["post"]["id"].as_str().unwrap()),
        format!("/api/posts/{rej_id}"),
        format!("/api/posts/{removed}"),
        "/api/notifications".to_owned(),
        "/api/me/export".to_owned(),
        "/api/members/canarypending".to_owned(),
        "/api/members/private_author".to_owned(),
    ] {
        let (_, body) = observer.get(&path).await;
        answers.push(body);
    }
    for word in canaries {
        let (_, body) = observer.get(&format!("/api/search?q={word}")).await;
        answers.push(body);
    }
    assert_none_in(&answers, &canaries, "REST");
    let (s, b) = observer.get("/api/members/canarypending").await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
    assert_eq!(code(&b), "not_found");

    let live_frames = live.drain(Duration::from_millis(800)).await;
    // Watching live, the observer rightly saw the removed and deleted posts and the deleted
    // thread while they were public (and then their placeholders); never anything else.
    let never_public: Vec<&str> = canaries
        .iter()
        .copied()
        .filter(|c| !matches!(*c, "canaryremoved" | "canarydeleted" | "canarydeletedtitle"))
        .collect();
    assert_none_in(&live_frames, &never_public, "the live socket");
    let mut later = observer.socket().await;
    let caught_up = later
        .subscribe(
            json!([format!("thread:{thread}"), format!("board:{board}"), format!("member:{observer_id}"), format!("thread:{staff_thread}"), format!("board:{staff_board}")]),
            json!({format!("thread:{thread}"): 0, format!("board:{board}"): 0, format!("member:{observer_id}"): 0, format!("thread:{staff_thread}"): 0, format!("board:{staff_board}"): 0}),
        )
        .await;
    assert_none_in(&caught_up, &canaries, "catch-up from 0");
}

/// A thread whose opening post a moderator removes leaves members' open pages: they are told
/// the thread is no longer theirs, and a reply edited afterwards never reaches them.
async fn a_thread_whose_opening_post_goes_stops_streaming(app: TestApp) {
    let admin = app.admin().await;
    let (starter, _) = app.established_member(&admin, "starts_threads").await;
    let (replier, _) = app.established_member(&admin, "replies_often").await;
    let (reader, _) = app.member(&admin, "keeps_it_open").await;
    let (s, b) = admin
        .post("/api/admin/boards", json!({"name": "Coping"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let board = b["board"]["id"].as_str().unwrap().to_owned();
    let (s, t) = starter
        .post(
            &format!("/api/boards/{board}/threads"),
            json!({"title": "A hard week", "body": "This week has been a lot."}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    assert_eq!(t["moderation"]["status"], "published", "{t}");
    let thread = t["thread"]["id"].as_str().unwrap().to_owned();
    let first = t["post"]["id"].as_str().unwrap().to_owned();
    let later = reply(&replier, &thread, "Thinking of you this week.").await;
    let mut ws = reader.socket().await;
    ws.subscribe(json!([format!("thread:{thread}")]), json!({}))
        .await;
    let (s, b) = admin
        .post(
            &format!("/api/mod/posts/{first}/remove"),
            json!({"reason": "this names someone"}),
        )
        .await;
    assert!(s.is_success(), "{b}");
    let (s, b) = replier
        .patch(
            &format!("/api/posts/{later}"),
            json!({"body": "Edited after the thread went: canary-after-removal."}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let frames = ws.drain(Duration::from_millis(800)).await;
    assert_none_in(
        &frames,
        &["canary-after-removal"],
        "a removed thread's socket",
    );
    assert!(
        frames
            .iter()
            .any(|v| v["type"] == "error"
                && v["message"].as_str().is_some_and(|t| t.contains(&thread))),
        "the reader is told the thread is no longer theirs: {frames:?}"
    );
    assert_eq!(
        reader.get(&format!("/api/threads/{thread}")).await.0,
        StatusCode::NOT_FOUND
    );
}

/// A second person signing in on the same browser ends the first person's session, and the
/// first person's open socket closes with it.
async fn signing_in_over_a_session_closes_its_sockets(app: TestApp) {
    let admin = app.admin().await;
    app.member(&admin, "first_on_phone").await;
    app.member(&admin, "second_on_phone").await;
    let phone = app.client();
    phone
        .sign_in("first_on_phone", &password_of("first_on_phone"))
        .await;
    let mut ws = phone.socket().await;
    ws.subscribe(json!([]), json!({})).await;
    phone
        .sign_in("second_on_phone", &password_of("second_on_phone"))
        .await;
    assert!(
        ws.closes_within(Duration::from_secs(2)).await.is_some(),
        "the first person's socket closed when the second signed in"
    );
}

/// Notifications in the event log carry no words, even ones stored by an older version with a
/// moderator's reason in them: a catch-up from 0 never replays it.
async fn an_old_notification_event_replays_no_words(app: TestApp) {
    let admin = app.admin().await;
    let (member, member_id) = app.member(&admin, "had_a_post_removed").await;
    let topic = format!("member:{member_id}");
    app.state()
        .app
        .store()
        .append_event(
            &topic,
            json!({"kind": "notification", "notification": {"kind": "post_removed", "message": "canary-old-reason", "from": "the moderators"}}).to_string(),
            app.clock.now(),
        )
        .await
        .unwrap();
    let mut ws = member.socket().await;
    let frames = ws
        .subscribe(json!([topic]), json!({topic.clone(): 0}))
        .await;
    assert!(
        frames.iter().any(|v| v["event"]["kind"] == "notification"),
        "{frames:?}"
    );
    assert_none_in(
        &frames,
        &["canary-old-reason"],
        "catch-up of an old notification",
    );
}

/// Finding 12: presence and "the room is open" are cluster-wide. A moderator arriving in a room
/// on one instance opens it for members on another, who see that a moderator is here and never
/// which one; when the moderator leaves, it closes there too.
async fn a_room_opens_on_every_instance_when_its_moderator_arrives(app: TestApp) {
    if app.state().config.redis_url.is_none() {
        return; // One instance: nothing to share.
    }
    let other = app.another_instance().await;
    let other_base = format!("http://{}", other.addr);
    let admin = app.admin().await;
    app.member(&admin, "on_the_other").await;
    let (s, r) = admin
        .post(
            "/api/admin/rooms",
            json!({"name": "Tuesday evening", "needs_moderator": true, "new_member_slow_mode_seconds": 0}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let room = r["room"]["id"].as_str().unwrap().to_owned();
    let there = Client::new(&other_base, true);
    there
        .sign_in("on_the_other", &password_of("on_the_other"))
        .await;
    let state_there = |there: Client, room: String| async move {
        let (_, rooms) = there.get("/api/rooms").await;
        rooms["rooms"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == room.as_str())
            .unwrap()
            .clone()
    };
    assert_eq!(
        state_there(there.clone(), room.clone()).await["open"],
        false
    );

    let mut moderator = admin.socket().await;
    moderator
        .subscribe(json!([format!("room:{room}")]), json!({}))
        .await;
    let mut opened = Value::Null;
    for _ in 0..40 {
        opened = state_there(there.clone(), room.clone()).await;
        if opened["open"] == true {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(opened["open"], true, "open on the other instance: {opened}");
    assert_eq!(opened["moderator_present"], true, "{opened}");
    assert!(!opened.to_string().contains("first_admin"), "{opened}");
    let mut ws = there.socket().await;
    ws.subscribe(json!([format!("room:{room}")]), json!({}))
        .await;
    ws.send(json!({"type": "say", "room": room, "body": "Hello, is anyone here tonight?", "client_id": uuid::Uuid::new_v4()}))
        .await;
    let ack = ws.expect("the ack", |v| v["type"] == "ack").await;
    assert_ne!(ack["status"], "rejected", "{ack}");

    drop(moderator);
    let mut closed = Value::Null;
    for _ in 0..40 {
        closed = state_there(there.clone(), room.clone()).await;
        if closed["open"] == false {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        closed["open"], false,
        "closed again on the other instance: {closed}"
    );
    other.stop().await.unwrap();
}

on_all_backends!(
    a_room_opens_on_every_instance_when_its_moderator_arrives,
    a_thread_whose_opening_post_goes_stops_streaming,
    signing_in_over_a_session_closes_its_sockets,
    an_old_notification_event_replays_no_words,
    held_edit_text_is_never_broadcast,
    catch_up_from_zero_shows_current_state_only,
    a_thread_moved_to_a_staff_board_stops_streaming_to_members,
    a_removed_post_leaves_every_open_page,
    a_socket_ends_with_its_session,
    a_say_after_the_session_ended_is_refused,
    nothing_private_crosses_the_bus,
    two_deployments_on_one_redis_do_not_hear_each_other,
    no_channel_shows_a_member_anything_private,
);
