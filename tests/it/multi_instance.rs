//! Two real server instances on one PostgreSQL database and one Redis server (started, killed
//! and restarted by this test): they behave as one forum.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::time::Duration;

use common::own_redis::OwnRedis;
use common::ws::Ws;
use common::{Backend, Client, TestClock, TestDb, code, password_of, test_config};
use reqwest::StatusCode;
use serde_json::json;

async fn instance(db: &TestDb, redis: &OwnRedis, clock: &TestClock) -> hearth_server::Running {
    let mut config = test_config(&db.url);
    config.redis_url = Some(redis.url());
    let running = hearth_server::start(config, clock.as_clock())
        .await
        .unwrap();
    common::factors::register_clock(&base(&running), clock);
    running
}

fn base(r: &hearth_server::Running) -> String {
    format!("http://{}", r.addr)
}

async fn socket(base: &str, login: &str, password: &str) -> Ws {
    Ws::signed_in(base, login, password).await
}

/// Signs up a member through instance `a` and approves them there.
async fn member(a: &str, admin: &Client, handle: &str) -> (Client, String) {
    let c = Client::new(a, true);
    let (status, _) = c
        .post(
            "/api/applications",
            common::application(handle, "1980-01-01"),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let id = admin.pending_application_id(handle).await;
    admin
        .post(
            &format!("/api/admin/applications/{id}/approve"),
            json!({"confirm_adult": true}),
        )
        .await;
    let me = c.sign_in(handle, &password_of(handle)).await;
    (c, me["member"]["id"].as_str().unwrap().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_share_posts_queue_chat_and_sanctions_through_redis() {
    let Some(db) = TestDb::create(Backend::Postgres).await else {
        return;
    };
    let Some(redis) = OwnRedis::start() else {
        return;
    };
    let clock = TestClock::default();
    let a = instance(&db, &redis, &clock).await;
    let b = instance(&db, &redis, &clock).await;
    let (ba, bb) = (base(&a), base(&b));
    // One deployment: staff's authenticator apps are the same on both instances.
    common::factors::register_instance(&bb, &ba);

    // The first admin, through instance A.
    let link = a.state.app.first_run_link().await.unwrap().unwrap();
    let token = link.split("token=").nth(1).unwrap();
    let admin = Client::new(&ba, true);
    admin.post("/api/setup", json!({"token": token, "handle": "first_admin", "email": "admin@example.org", "password": "admin-password-1"})).await;
    admin.sign_in("first_admin", "admin-password-1").await;
    let (_, bd) = admin
        .post("/api/admin/boards", json!({"name": "Shared"}))
        .await;
    let board = bd["board"]["id"].as_str().unwrap().to_owned();
    let (_, t) = admin
        .post(
            &format!("/api/boards/{board}/threads"),
            json!({"title": "Across instances", "body": "Hello from A."}),
        )
        .await;
    let thread = t["thread"]["id"].as_str().unwrap().to_owned();
    let (newbie, _) = member(&ba, &admin, "new_on_a").await;
    let (_, watcher_id) = member(&ba, &admin, "watcher_b").await;

    // A member on B watches the thread; a moderator on each instance watches the queue.
    let mut watcher = socket(&bb, "watcher_b", &password_of("watcher_b")).await;
    watcher
        .subscribe(json!([format!("thread:{thread}")]), json!({}))
        .await;
    let mut mod_a = socket(&ba, "first_admin", "admin-password-1").await;
    let mut mod_b = socket(&bb, "first_admin", "admin-password-1").await;
    mod_a.subscribe(json!(["modqueue"]), json!({})).await;
    mod_b.subscribe(json!(["modqueue"]), json!({})).await;

    // A post on A reaches the subscriber on B.
    admin
        .post(
            &format!("/api/threads/{thread}/posts"),
            json!({"body": "posted on A"}),
        )
        .await;
    let ev = watcher
        .expect("post from A", |v| v["event"]["kind"] == "post_published")
        .await;
    assert!(
        ev["event"]["post"]["body_html"]
            .as_str()
            .unwrap()
            .contains("posted on A")
    );
    // A held post reaches moderators on both instances, and no member.
    let (_, held) = newbie
        .post(
            &format!("/api/threads/{thread}/posts"),
            json!({"body": "held on A"}),
        )
        .await;
    assert_eq!(held["moderation"]["status"], "held");
    mod_a
        .expect("queue event on A", |v| {
            v["event"]["kind"] == "queue_item_added"
        })
        .await;
    mod_b
        .expect("queue event on B", |v| {
            v["event"]["kind"] == "queue_item_added"
        })
        .await;
    assert!(
        watcher.next(Duration::from_millis(500)).await.is_none(),
        "the member hears nothing of it"
    );

    // Chat across instances.
    let (_, r) = admin
        .post(
            "/api/admin/rooms",
            json!({"name": "Both", "new_member_slow_mode_seconds": 0}),
        )
        .await;
    let room = r["room"]["id"].as_str().unwrap().to_owned();
    watcher
        .subscribe(json!([format!("room:{room}")]), json!({}))
        .await;
    mod_a
        .subscribe(json!([format!("room:{room}")]), json!({}))
        .await;
    mod_a.send(json!({"type": "say", "room": room, "body": "hello across", "client_id": uuid::Uuid::new_v4()})).await;
    mod_a
        .expect("ack", |v| v["type"] == "ack" && v["status"] == "published")
        .await;
    let m = watcher
        .expect("chat from A", |v| v["event"]["kind"] == "message")
        .await;
    assert!(
        m["event"]["message"]["body_html"]
            .as_str()
            .unwrap()
            .contains("hello across")
    );

    // Suspending on A closes the member's socket on B at once.
    let mut doomed = socket(&bb, "new_on_a", &password_of("new_on_a")).await;
    doomed
        .subscribe(json!([format!("thread:{thread}")]), json!({}))
        .await;
    let (_, who) = newbie.get("/api/session").await;
    let newbie_id = who["member"]["id"].as_str().unwrap().to_owned();
    let (status, _) = admin
        .post(
            &format!("/api/mod/members/{newbie_id}/suspend"),
            json!({"hours": 2, "reason": "a pause"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        doomed
            .closes_within(Duration::from_secs(10))
            .await
            .is_some(),
        "the socket on B closed"
    );
    drop(watcher_id);

    a.stop().await.unwrap();
    b.stop().await.unwrap();
}

/// Every post event on a socket until 7 have come (or 30 s), then anything more that arrives
/// in a quiet moment, so duplicates would show.
async fn collect(ws: &mut Ws) -> Vec<(i64, String)> {
    let mut seen: Vec<(i64, String)> = vec![];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while seen.len() < 7 && tokio::time::Instant::now() < deadline {
        if let Some(v) = ws.next(Duration::from_millis(500)).await
            && v["event"]["kind"] == "post_published"
        {
            seen.push((
                v["seq"].as_i64().unwrap(),
                v["event"]["post"]["body_html"].as_str().unwrap().to_owned(),
            ));
        }
    }
    while let Some(v) = ws.next(Duration::from_millis(700)).await {
        if v["event"]["kind"] == "post_published" {
            seen.push((
                v["seq"].as_i64().unwrap(),
                v["event"]["post"]["body_html"].as_str().unwrap().to_owned(),
            ));
        }
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_redis_outage_loses_nothing_and_duplicates_nothing() {
    let Some(db) = TestDb::create(Backend::Postgres).await else {
        return;
    };
    let Some(mut redis) = OwnRedis::start() else {
        return;
    };
    let clock = TestClock::default();
    let a = instance(&db, &redis, &clock).await;
    let b = instance(&db, &redis, &clock).await;
    let (ba, bb) = (base(&a), base(&b));
    // One deployment: staff's authenticator apps are the same on both instances.
    common::factors::register_instance(&bb, &ba);
    let link = a.state.app.first_run_link().await.unwrap().unwrap();
    let token = link.split("token=").nth(1).unwrap();
    let admin = Client::new(&ba, true);
    admin.post("/api/setup", json!({"token": token, "handle": "first_admin", "email": "admin@example.org", "password": "admin-password-1"})).await;
    admin.sign_in("first_admin", "admin-password-1").await;
    let (_, bd) = admin
        .post("/api/admin/boards", json!({"name": "Outage"}))
        .await;
    let board = bd["board"]["id"].as_str().unwrap().to_owned();
    let (_, t) = admin
        .post(
            &format!("/api/boards/{board}/threads"),
            json!({"title": "Steady", "body": "start"}),
        )
        .await;
    let thread = t["thread"]["id"].as_str().unwrap().to_owned();
    member(&ba, &admin, "on_b_one").await;
    member(&ba, &admin, "on_a_two").await;

    let mut on_b = socket(&bb, "on_b_one", &password_of("on_b_one")).await;
    let mut on_a = socket(&ba, "on_a_two", &password_of("on_a_two")).await;
    on_b.subscribe(json!([format!("thread:{thread}")]), json!({}))
        .await;
    on_a.subscribe(json!([format!("thread:{thread}")]), json!({}))
        .await;

    let mut accepted = 0;
    let post = |i: usize| {
        let admin = admin.clone();
        let thread = thread.clone();
        async move {
            let (status, body) = admin
                .post(
                    &format!("/api/threads/{thread}/posts"),
                    json!({"body": format!("message {i}")}),
                )
                .await;
            assert_eq!(
                status,
                StatusCode::CREATED,
                "posting works while Redis is away: {body}"
            );
        }
    };
    for i in 0..3 {
        post(i).await;
        accepted += 1;
    }
    redis.kill();
    // Redis is away: posting still works (the database is the record); A's own sockets hear at once.
    for i in 3..6 {
        post(i).await;
        accepted += 1;
    }
    // Redis comes back on the same port; B reconnects and fills its gap from the database.
    assert!(redis.spawn(), "redis restarted");
    tokio::time::sleep(Duration::from_millis(200)).await;
    post(6).await;
    accepted += 1;

    let seen_b = collect(&mut on_b).await;
    let seen_a = collect(&mut on_a).await;
    for (name, seen) in [("B", &seen_b), ("A", &seen_a)] {
        let seqs: Vec<_> = seen.iter().map(|(s, _)| *s).collect();
        assert_eq!(
            seen.len(),
            accepted,
            "{name} got every post exactly once: {seen:?}"
        );
        assert!(
            seqs.windows(2).all(|w| w[1] == w[0] + 1),
            "{name} in order without gaps: {seqs:?}"
        );
        for (i, (_, body)) in seen.iter().enumerate() {
            assert!(body.contains(&format!("message {i}")), "{name}: {seen:?}");
        }
    }
    let stored = a
        .state
        .app
        .store()
        .events_since(&format!("thread:{thread}"), 0, 100)
        .await
        .unwrap();
    // The opening post has its event on the thread's topic too.
    assert_eq!(stored.len(), accepted + 1, "posts accepted = events stored");
    let _ = code;
    a.stop().await.unwrap();
    b.stop().await.unwrap();
}
