//! Member comforts end to end over HTTP on SQLite and PostgreSQL: search, supportive reactions,
//! following and muting threads, muting members, mentions and profiles.
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

/// Starts a thread; answers (thread id, first post id, moderation status).
async fn thread(c: &Client, board: &str, title: &str, body: &str) -> (String, String, String) {
    let (status, b) = c
        .post(
            &format!("/api/boards/{board}/threads"),
            json!({"title": title, "body": body}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    (
        b["thread"]["id"].as_str().unwrap().to_owned(),
        b["post"]["id"].as_str().unwrap().to_owned(),
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

/// A moderator approves the held post `post`.
async fn approve(moderator: &Client, post: &str) {
    let (_, q) = moderator.get("/api/mod/queue").await;
    let item = q["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["post"]["id"] == post)
        .unwrap_or_else(|| panic!("no queue item for {post}: {q}"))
        .clone();
    let (status, body) = moderator
        .post(
            &format!("/api/mod/queue/{}/approve", item["id"].as_str().unwrap()),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// Gets a new member past the new-member hold (three approved posts in `thread`).
async fn establish(member: &Client, admin: &Client, thread: &str) {
    for i in 0..3 {
        let (post, status) = reply(member, thread, &format!("Thank you all (note {i}).")).await;
        assert_eq!(status, "held");
        approve(admin, &post).await;
    }
}

async fn search(c: &Client, query: &str) -> (StatusCode, Value) {
    c.get(&format!("/api/search?{query}")).await
}

fn post_ids(results: &Value) -> Vec<String> {
    results["results"]
        .as_array()
        .unwrap_or_else(|| panic!("no results in {results}"))
        .iter()
        .map(|r| r["post_id"].as_str().unwrap().to_owned())
        .collect()
}

async fn notifications(c: &Client) -> Vec<Value> {
    let (status, body) = c.get("/api/notifications").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["notifications"].as_array().unwrap().clone()
}

fn of_kind<'a>(ns: &'a [Value], kind: &str, post: &str) -> Vec<&'a Value> {
    ns.iter()
        .filter(|n| n["kind"] == kind && n["post_id"] == post)
        .collect()
}

async fn search_finds_only_what_the_member_may_read(app: TestApp) {
    let admin = app.admin().await;
    let (member, _) = app.member(&admin, "quiet_reader").await;
    let general = board(&admin, "General", None).await;
    let staff = board(&admin, "Staff room", Some("moderators")).await;
    let (t1, first, _) = thread(
        &admin,
        &general,
        "Visiting arrangements",
        "How do others manage the long drive on visiting days?",
    )
    .await;
    let (body_hit, _) = reply(
        &admin,
        &t1,
        "The prison visiting centre has a quiet room; arrangements there helped me.",
    )
    .await;
    let (_, staff_post, _) = thread(
        &admin,
        &staff,
        "Rota",
        "Who covers the arrangements queue this weekend?",
    )
    .await;

    // A word in a post finds it; its snippet marks the word and escapes everything else.
    let (status, r) = search(&member, "q=quiet%20room").await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(post_ids(&r), [body_hit.as_str()], "{r}");
    let snippet = r["results"][0]["snippet_html"].as_str().unwrap();
    assert!(snippet.contains("<mark>quiet</mark>"), "{snippet}");
    assert_eq!(r["results"][0]["matched"], "post");
    assert_eq!(r["results"][0]["author"], "first_admin");
    assert_eq!(r["results"][0]["board_name"], "General");

    // A title match ranks first; stemming finds "arrangement" for "arrangements".
    let (_, r) = search(&member, "q=arrangement").await;
    let ids = post_ids(&r);
    assert_eq!(ids.first(), Some(&first), "title match first: {r}");
    assert!(ids.contains(&body_hit), "{r}");
    assert_eq!(r["results"][0]["matched"], "title");
    assert!(
        r["results"][0]["title_html"]
            .as_str()
            .unwrap()
            .contains("<mark>"),
        "{r}"
    );
    assert!(
        !ids.contains(&staff_post),
        "a moderators' board is not searched for members"
    );
    // A moderator finds the staff board too.
    let (_, r) = search(&admin, "q=arrangements").await;
    assert!(post_ids(&r).contains(&staff_post), "{r}");

    // Filters: board and dates.
    let (_, r) = search(&admin, &format!("q=arrangements&board={staff}")).await;
    assert_eq!(post_ids(&r), [staff_post.as_str()]);
    let (_, r) = search(&member, "q=arrangements&until=2000-01-01").await;
    assert!(post_ids(&r).is_empty(), "{r}");
    let (_, r) = search(&member, "q=arrangements&from=2000-01-01").await;
    assert_eq!(post_ids(&r).len(), 2, "{r}");
    // Paging: one at a time, then the second, then nothing more.
    let (_, p1) = search(&member, "q=arrangements&limit=1").await;
    let next = p1["next"].as_str().expect("a next page").to_owned();
    let (_, p2) = search(&member, &format!("q=arrangements&limit=1&cursor={next}")).await;
    assert_eq!(p2["next"], Value::Null, "{p2}");
    assert_ne!(post_ids(&p1), post_ids(&p2));

    // Held, removed, deleted and erased posts are never found.
    let (newcomer, _) = app.member(&admin, "new_here").await;
    let (held, status) = reply(&newcomer, &t1, "My zebra crossing story").await;
    assert_eq!(status, "held");
    for who in [&member, &admin] {
        let (_, r) = search(who, "q=zebra").await;
        assert!(post_ids(&r).is_empty(), "a held post is not found: {r}");
    }
    approve(&admin, &held).await;
    let (_, r) = search(&member, "q=zebra").await;
    assert_eq!(post_ids(&r), [held.as_str()], "found once approved");
    let (status, b) = admin
        .post(
            &format!("/api/mod/posts/{held}/remove"),
            json!({"reason": "Off topic"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    let (_, r) = search(&member, "q=zebra").await;
    assert!(post_ids(&r).is_empty(), "a removed post is not found: {r}");

    let (eraser, _) = app.member(&admin, "leaving_soon").await;
    establish(&eraser, &admin, &t1).await;
    let (gone, status) = reply(&eraser, &t1, "Kangaroo court, that is how it felt").await;
    assert_eq!(status, "published");
    let (_, r) = search(&member, "q=kangaroo").await;
    assert_eq!(post_ids(&r), [gone.as_str()]);
    let (status, b) = eraser
        .request(reqwest::Method::DELETE, "/api/me")
        .json(&json!({"password": common::password_of("leaving_soon"), "posts": "delete"}))
        .send()
        .await
        .map(|r| (r.status(), ()))
        .unwrap();
    assert_eq!(status, StatusCode::NO_CONTENT, "{b:?}");
    let (_, r) = search(&member, "q=kangaroo").await;
    assert!(post_ids(&r).is_empty(), "an erased post is not found: {r}");

    // Bad input is a clear 400, never a 500; query syntax is just words.
    for bad in [
        "q=",
        "q=%21%21%21",
        "q=a&from=yesterday",
        "q=a&cursor=zzz",
        "q=a&board=nope",
    ] {
        let (status, b) = search(&member, bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {b}");
    }
    for odd in [
        "q=%22quiet",
        "q=quiet%20OR%20NOT",
        "q=NEAR(quiet)",
        "q=quiet*",
        "q=a:b",
    ] {
        let (status, b) = search(&member, odd).await;
        assert_eq!(status, StatusCode::OK, "{odd}: {b}");
    }
}

async fn reactions_count_once_per_member_and_only_the_author_sees_who(app: TestApp) {
    let admin = app.admin().await;
    let (a, _) = app.member(&admin, "kind_one").await;
    let (b, _) = app.member(&admin, "kind_two").await;
    let general = board(&admin, "General", None).await;
    let (t, post, _) = thread(&admin, &general, "A hard week", "Court is on Monday.").await;
    let path = format!("/api/posts/{post}/reactions/sending_strength");
    let (status, r) = a.put(&path, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["reactions"]["counts"]["sending_strength"], 1);
    assert_eq!(r["reactions"]["mine"], json!(["sending_strength"]));
    // Again: still one.
    let (_, r) = a.put(&path, json!({})).await;
    assert_eq!(r["reactions"]["counts"]["sending_strength"], 1);
    let (_, r) = b.put(&path, json!({})).await;
    assert_eq!(r["reactions"]["counts"]["sending_strength"], 2);
    let (_, r) = b
        .put(&format!("/api/posts/{post}/reactions/me_too"), json!({}))
        .await;
    assert_eq!(r["reactions"]["counts"]["me_too"], 1);
    assert_eq!(r["reactions"]["counts"]["thank_you"], 0);
    // The thread's posts carry the counts and the reader's own.
    let (_, posts) = a.get(&format!("/api/threads/{t}/posts")).await;
    let p = &posts["posts"][0];
    assert_eq!(p["reactions"]["counts"]["sending_strength"], 2, "{p}");
    assert_eq!(p["reactions"]["mine"], json!(["sending_strength"]));
    // Taking one back.
    let (_, r) = a.delete(&path).await;
    assert_eq!(r["reactions"]["counts"]["sending_strength"], 1);
    assert_eq!(r["reactions"]["mine"], json!([]));
    // Only supportive kinds; not on one's own post.
    let (status, body) = a
        .put(&format!("/api/posts/{post}/reactions/angry"), json!({}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = admin.put(&path, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(code(&body), "own_post");
    // Who reacted: the author only, not other members, not even moderators.
    let (status, who) = admin.get(&format!("/api/posts/{post}/reactions")).await;
    assert_eq!(status, StatusCode::OK, "{who}");
    assert_eq!(
        who["reactors"],
        json!([{"handle": "kind_two", "kind": "sending_strength"}, {"handle": "kind_two", "kind": "me_too"}])
    );
    let (status, _) = a.get(&format!("/api/posts/{post}/reactions")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A held post cannot be reacted to (nobody else can see it).
    let (held, status) = reply(&a, &t, "Thinking of you").await;
    assert_eq!(status, "held");
    let (status, _) = b
        .put(&format!("/api/posts/{held}/reactions/thank_you"), json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn followed_threads_notify_on_reply_and_muted_ones_do_not(app: TestApp) {
    let admin = app.admin().await;
    let (starter, _) = app.member(&admin, "starter_sam").await;
    let (follower, _) = app.member(&admin, "follower_fi").await;
    let (muter, _) = app.member(&admin, "muter_mo").await;
    let general = board(&admin, "General", None).await;
    let (seed, _, _) = thread(&admin, &general, "Welcome", "Say hello.").await;
    establish(&starter, &admin, &seed).await;
    let (t, _, status) = thread(&starter, &general, "Telling the children", "How did you?").await;
    assert_eq!(status, "published");
    // The starter follows automatically; others choose.
    let (_, s) = starter.get(&format!("/api/threads/{t}/follow")).await;
    assert_eq!(s["state"], "following");
    let (_, s) = follower.get(&format!("/api/threads/{t}/follow")).await;
    assert_eq!(s["state"], "not_following");
    let (status, s) = follower
        .put(
            &format!("/api/threads/{t}/follow"),
            json!({"state": "following"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{s}");
    let (_, s) = muter
        .put(
            &format!("/api/threads/{t}/follow"),
            json!({"state": "muted"}),
        )
        .await;
    assert_eq!(s["state"], "muted");
    let (status, b) = muter
        .put(
            &format!("/api/threads/{t}/follow"),
            json!({"state": "loud"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{b}");

    // The admin replies: the starter and the follower hear of it; the muter does not.
    let (r1, _) = reply(
        &admin,
        &t,
        "We told ours together, with a counsellor's help.",
    )
    .await;
    assert_eq!(
        of_kind(&notifications(&starter).await, "reply", &r1).len(),
        1
    );
    assert_eq!(
        of_kind(&notifications(&follower).await, "reply", &r1).len(),
        1
    );
    assert!(of_kind(&notifications(&muter).await, "reply", &r1).is_empty());
    assert!(
        of_kind(&notifications(&admin).await, "reply", &r1).is_empty(),
        "nobody hears of their own reply"
    );
    // The followed list shows the thread with its unread count.
    let (_, f) = follower.get("/api/me/following").await;
    let entry = f["threads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["thread"]["id"] == t.as_str())
        .unwrap_or_else(|| panic!("followed thread listed: {f}"))
        .clone();
    assert_eq!(entry["unread_posts"], 2, "{entry}");
    // One's own posts are never unread: the starter has only the admin's reply to read.
    let (_, f) = starter.get("/api/me/following").await;
    assert_eq!(f["threads"][0]["unread_posts"], 1, "{f}");
    follower.get(&format!("/api/threads/{t}/posts")).await;
    let (_, f) = follower.get("/api/me/following").await;
    assert_eq!(f["threads"][0]["unread_posts"], 0, "{f}");
    let (_, f) = muter.get("/api/me/following").await;
    assert_eq!(f["threads"], json!([]), "a muted thread is not followed");

    // Turning following off is remembered: replying again does not turn it back on.
    let (_, _) = starter
        .put(
            &format!("/api/threads/{t}/follow"),
            json!({"state": "not_following"}),
        )
        .await;
    reply(&starter, &t, "Thank you, that helps.").await;
    let (_, s) = starter.get(&format!("/api/threads/{t}/follow")).await;
    assert_eq!(s["state"], "not_following");
    let (r2, _) = reply(&admin, &t, "Take your time.").await;
    assert!(of_kind(&notifications(&starter).await, "reply", &r2).is_empty());
    // A held reply notifies followers only once approved.
    let (newcomer, _) = app.member(&admin, "newcomer_ned").await;
    let (held, status) = reply(&newcomer, &t, "I am new here too").await;
    assert_eq!(status, "held");
    assert!(of_kind(&notifications(&follower).await, "reply", &held).is_empty());
    approve(&admin, &held).await;
    assert_eq!(
        of_kind(&notifications(&follower).await, "reply", &held).len(),
        1
    );
}

async fn mentions_notify_once_and_muting_tells_nobody(app: TestApp) {
    let admin = app.admin().await;
    let (writer, writer_id) = app.member(&admin, "writer_wyn").await;
    let (named, _) = app.member(&admin, "noted_nia").await;
    let (muter, _) = app.member(&admin, "quiet_max").await;
    let general = board(&admin, "General", None).await;
    let (t, _, _) = thread(&admin, &general, "Welcome", "Say hello.").await;
    establish(&writer, &admin, &t).await;

    // Muting: the muted member is not told and sees nothing; the muter sees the post collapsed.
    let (status, m) = muter.put("/api/members/Writer_Wyn/mute", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{m}");
    assert_eq!(m["muted"], true);
    let (_, mine) = muter.get("/api/me/mutes").await;
    assert_eq!(mine["mutes"][0]["handle"], "writer_wyn", "{mine}");

    let (p, status) = reply(
        &writer,
        &t,
        "Thanks @noted_nia and @Quiet_Max, and `@noted_nia` in code is not one.",
    )
    .await;
    assert_eq!(status, "published");
    let (_, posts) = named.get(&format!("/api/threads/{t}/posts")).await;
    let post = posts["posts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == p.as_str())
        .unwrap()
        .clone();
    assert!(
        post["body_html"]
            .as_str()
            .unwrap()
            .contains("<a href=\"/members/noted_nia\""),
        "the mention links the profile: {post}"
    );
    assert_eq!(post["author_muted"], false);
    assert_eq!(
        of_kind(&notifications(&named).await, "mention", &p).len(),
        1
    );
    assert!(
        of_kind(&notifications(&muter).await, "mention", &p).is_empty(),
        "no mention from a muted member"
    );
    let (_, posts) = muter.get(&format!("/api/threads/{t}/posts")).await;
    let seen = posts["posts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == p.as_str())
        .unwrap()
        .clone();
    assert_eq!(
        seen["author_muted"], true,
        "collapsed for the muter: {seen}"
    );
    // An edit that keeps the mention does not notify again.
    let (status, b) = writer
        .patch(
            &format!("/api/posts/{p}"),
            json!({"body": "Thanks again @noted_nia."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    assert_eq!(
        of_kind(&notifications(&named).await, "mention", &p).len(),
        1
    );

    // The muted member learns nothing: no notification, nothing in their export or profile.
    let ns = notifications(&writer).await;
    assert!(
        ns.iter().all(|n| !n.to_string().contains("quiet_max")),
        "{ns:?}"
    );
    let (_, export) = writer.get("/api/me/export").await;
    assert!(!export.to_string().contains("quiet_max"), "{export}");
    let (_, profile) = writer.get("/api/members/quiet_max").await;
    assert_eq!(profile["profile"]["muted_by_me"], false);
    // Moderators see no trace of it either, in the member list or the audit log.
    let (_, members) = admin.get("/api/admin/members").await;
    let (_, audit) = admin.get("/api/mod/audit").await;
    for v in [&members, &audit] {
        assert!(!v.to_string().contains("mute"), "{v}");
    }
    let _ = writer_id;
    // The muter's own export holds their mutes.
    let (_, export) = muter.get("/api/me/export").await;
    assert!(export.to_string().contains("writer_wyn"), "{export}");
    // Nobody mutes themselves or a moderator.
    let (status, b) = muter.put("/api/members/quiet_max/mute", json!({})).await;
    assert_eq!((status, code(&b)), (StatusCode::CONFLICT, "mute_self"));
    let (status, b) = muter.put("/api/members/first_admin/mute", json!({})).await;
    assert_eq!((status, code(&b)), (StatusCode::CONFLICT, "mute_staff"));
    let (status, _) = muter
        .put("/api/members/nobody_at_all/mute", json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Unmuting.
    let (_, m) = muter.delete("/api/members/writer_wyn/mute").await;
    assert_eq!(m["muted"], false);
    let (_, mine) = muter.get("/api/me/mutes").await;
    assert_eq!(mine["mutes"], json!([]));
}

async fn profiles_are_minimal_and_the_about_text_passes_the_rules(app: TestApp) {
    let admin = app.admin().await;
    let (m, _) = app.member(&admin, "profile_pat").await;
    let (other, _) = app.member(&admin, "other_ola").await;
    let (status, b) = m
        .put(
            "/api/me/profile",
            json!({"about": "  Partner of someone in treatment. Here most evenings.  "}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{b}");
    assert_eq!(
        b["about"],
        "Partner of someone in treatment. Here most evenings."
    );
    let (status, p) = other.get("/api/members/PROFILE_PAT").await;
    assert_eq!(status, StatusCode::OK, "{p}");
    let p = &p["profile"];
    assert_eq!(p["handle"], "profile_pat");
    assert_eq!(
        p["about"],
        "Partner of someone in treatment. Here most evenings."
    );
    assert_eq!(p["post_count"], 0);
    assert_eq!(p["role"], "member");
    assert_eq!(p["mine"], false);
    assert!(p["joined"].as_str().unwrap().len() == 7, "a month: {p}");
    let keys: Vec<&String> = p.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "about",
            "handle",
            "joined",
            "mine",
            "muted_by_me",
            "post_count",
            "role"
        ],
        "nothing else about a member"
    );
    // The rules: a phone number is refused with the reason; nothing is saved.
    let (status, b) = m
        .put(
            "/api/me/profile",
            json!({"about": "Call me on 07700 900123"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let (_, p) = other.get("/api/members/profile_pat").await;
    assert_eq!(
        p["profile"]["about"],
        "Partner of someone in treatment. Here most evenings."
    );
    let (status, b) = m
        .put("/api/me/profile", json!({"about": "x".repeat(281)}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{b}");
    let (status, b) = m.put("/api/me/profile", json!({"about": ""})).await;
    assert_eq!(status, StatusCode::OK, "{b}");
    assert_eq!(b["about"], Value::Null);
    let (status, _) = other.get("/api/members/no_such_member").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.client().get("/api/members/profile_pat").await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "profiles are for members only"
    );
}

on_both_backends!(
    search_finds_only_what_the_member_may_read,
    reactions_count_once_per_member_and_only_the_author_sees_who,
    followed_threads_notify_on_reply_and_muted_ones_do_not,
    mentions_notify_once_and_muting_tells_nobody,
    profiles_are_minimal_and_the_about_text_passes_the_rules,
);
