//! The socket and REST agree, whatever happens: random sequences of create, edit (clean or
//! held), approve, reject, remove, delete, move to a staff board and back, suspend and
//! password change, and after every step what each of three members sees of the thread over
//! the socket (live, and in a catch-up from 0) is what REST shows them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::collections::BTreeMap;

use common::ws::Ws;
use common::{Client, TestApp, password_of};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A small deterministic generator (SplitMix64), so a failing sequence can be replayed from
/// its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> Option<&'a T> {
        (!v.is_empty()).then(|| &v[self.below(v.len())])
    }
}

/// What a reader sees of the thread's posts: id -> (status, body_html).
type View = BTreeMap<String, (String, String)>;

/// Applies one socket frame to the view of the reader with handle `me`, leaving out their own
/// posts (as [`rest_view`] does).
fn apply(view: &mut View, frame: &Value, thread: &str, me: &str) {
    if frame["type"] != "event" || frame["topic"] != format!("thread:{thread}") {
        return;
    }
    let e = &frame["event"];
    match e["kind"].as_str() {
        Some("post_withdrawn") => {
            view.remove(e["post_id"].as_str().unwrap());
        }
        Some("post_published" | "post_edited") if e["post"]["author"] != me => {
            let p = &e["post"];
            view.insert(
                p["id"].as_str().unwrap().to_owned(),
                (
                    p["status"].as_str().unwrap().to_owned(),
                    p["body_html"].as_str().unwrap().to_owned(),
                ),
            );
        }
        _ => {}
    }
}

/// What REST shows `c` of the thread (`None`: the thread is not theirs to read), leaving out
/// their own posts (REST shows an author their own held words; the socket carries only what
/// every holder of the topic may see).
async fn rest_view(c: &Client, thread: &str, me: &str) -> Option<View> {
    let (s, body) = c
        .get(&format!("/api/threads/{thread}/posts?limit=200"))
        .await;
    if s == StatusCode::NOT_FOUND {
        return None;
    }
    assert_eq!(s, StatusCode::OK, "{body}");
    Some(
        body["posts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["author"] != me)
            .map(|p| {
                (
                    p["id"].as_str().unwrap().to_owned(),
                    (
                        p["status"].as_str().unwrap().to_owned(),
                        p["body_html"].as_str().unwrap().to_owned(),
                    ),
                )
            })
            .collect(),
    )
}

/// One observing member: their client, socket and what the socket has shown them.
struct Observer {
    handle: String,
    password: String,
    client: Client,
    ws: Ws,
    view: View,
    /// Whether the socket still holds the thread (it is told when it may no longer).
    holding: bool,
}

impl Observer {
    async fn new(client: Client, handle: &str, thread: &str) -> Observer {
        let mut o = Observer {
            handle: handle.to_owned(),
            password: password_of(handle),
            ws: client.socket().await,
            client,
            view: View::new(),
            holding: false,
        };
        o.resubscribe(thread).await;
        o
    }

    /// A fresh catch-up from 0 into an empty view.
    async fn resubscribe(&mut self, thread: &str) {
        self.view.clear();
        let frames = self
            .ws
            .subscribe(
                json!([format!("thread:{thread}")]),
                json!({format!("thread:{thread}"): 0}),
            )
            .await;
        self.holding = !frames.iter().any(|f| f["type"] == "error");
        for f in &frames {
            apply(&mut self.view, f, thread, &self.handle);
        }
    }

    /// Reads everything the socket has queued.
    async fn catch_up_live(&mut self, thread: &str) {
        for f in self.ws.sync().await {
            if f["type"] == "error" && f["message"].as_str().is_some_and(|m| m.contains(thread)) {
                self.holding = false;
            }
            apply(&mut self.view, &f, thread, &self.handle);
        }
    }
}

async fn run(app: TestApp, seed: u64, steps: usize) {
    let mut rng = Rng(seed);
    let admin = app.admin().await;
    let (writer, _) = app.established_member(&admin, "writer_one").await;
    let (newcomer, _) = app.member(&admin, "newcomer_two").await;
    let (s, b) = admin
        .post("/api/admin/boards", json!({"name": "Together"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let board = b["board"]["id"].as_str().unwrap().to_owned();
    let (s, b) = admin
        .post(
            "/api/admin/boards",
            json!({"name": "Staff", "visibility": "moderators"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let staff = b["board"]["id"].as_str().unwrap().to_owned();
    let (s, t) = admin
        .post(
            &format!("/api/boards/{board}/threads"),
            json!({"title": "Our thread", "body": "Welcome, all."}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let thread = t["thread"]["id"].as_str().unwrap().to_owned();

    let (o1, _) = app.member(&admin, "watcher_a").await;
    let (o2, _) = app.member(&admin, "watcher_b").await;
    let mut observers = [
        Observer::new(o1, "watcher_a", &thread).await,
        Observer::new(o2, "watcher_b", &thread).await,
        Observer::new(writer.clone(), "writer_one", &thread).await,
    ];
    let mut on_staff_board = false;
    let mut log = Vec::new();

    for step in 0..steps {
        let op = rng.below(10);
        let word = format!("w{seed}x{step}");
        match op {
            0 | 1 => {
                let (s, b) = writer
                    .post(
                        &format!("/api/threads/{thread}/posts"),
                        json!({"body": format!("A reply, {word}.")}),
                    )
                    .await;
                log.push(format!("{step}: writer replies -> {s}"));
                assert!(s == StatusCode::CREATED || on_staff_board, "{b}");
            }
            2 => {
                let (s, _) = newcomer
                    .post(
                        &format!("/api/threads/{thread}/posts"),
                        json!({"body": format!("First words, {word}.")}),
                    )
                    .await;
                log.push(format!("{step}: newcomer replies (held) -> {s}"));
            }
            3 | 4 => {
                let mine = own_posts(&writer, &thread).await;
                if let Some(id) = rng.pick(&mine) {
                    let body = if op == 3 {
                        format!("Edited kindly, {word}.")
                    } else {
                        format!("Emily Harrington is on 07700 900127, {word}.")
                    };
                    let (s, _) = writer
                        .patch(&format!("/api/posts/{id}"), json!({"body": body}))
                        .await;
                    log.push(format!(
                        "{step}: writer edits {id} ({}) -> {s}",
                        if op == 3 { "clean" } else { "held" }
                    ));
                }
            }
            5 => {
                let (_, q) = admin.get("/api/mod/queue").await;
                let items: Vec<String> = q["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|i| i["post"]["thread_id"] == thread.as_str())
                    .map(|i| i["id"].as_str().unwrap().to_owned())
                    .collect();
                if let Some(item) = rng.pick(&items) {
                    let approve = rng.below(2) == 0;
                    let (s, _) = if approve {
                        admin
                            .post(&format!("/api/mod/queue/{item}/approve"), json!({}))
                            .await
                    } else {
                        admin
                            .post(
                                &format!("/api/mod/queue/{item}/reject"),
                                json!({"reason": "not this time"}),
                            )
                            .await
                    };
                    log.push(format!(
                        "{step}: {} {item} -> {s}",
                        if approve { "approve" } else { "reject" }
                    ));
                }
            }
            6 => {
                let (_, list) = admin
                    .get(&format!("/api/threads/{thread}/posts?limit=200"))
                    .await;
                let live: Vec<String> = list["posts"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter(|p| p["status"] == "published" && p["is_first"] == false)
                            .map(|p| p["id"].as_str().unwrap().to_owned())
                            .collect()
                    })
                    .unwrap_or_default();
                if let Some(id) = rng.pick(&live) {
                    let (s, _) = admin
                        .post(
                            &format!("/api/mod/posts/{id}/remove"),
                            json!({"reason": "please keep it kind"}),
                        )
                        .await;
                    log.push(format!("{step}: remove {id} -> {s}"));
                }
            }
            7 => {
                let mine = own_posts(&writer, &thread).await;
                if let Some(id) = rng.pick(&mine) {
                    let (s, _) = writer.delete(&format!("/api/posts/{id}")).await;
                    log.push(format!("{step}: writer deletes {id} -> {s}"));
                }
            }
            8 => {
                let to = if on_staff_board { &board } else { &staff };
                let (s, b) = admin
                    .post(
                        &format!("/api/mod/threads/{thread}/move"),
                        json!({"board_id": to}),
                    )
                    .await;
                assert!(s.is_success(), "{b}");
                on_staff_board = !on_staff_board;
                log.push(format!(
                    "{step}: moved to {}",
                    if on_staff_board { "staff" } else { "members" }
                ));
            }
            _ => {
                // A password change for one observer: their socket ends with their session;
                // they sign in again, reconnect and catch up from 0.
                let i = rng.below(2);
                let o = &mut observers[i];
                let new = format!("{}-{step}-again", o.password);
                let (s, b) = o
                    .client
                    .post(
                        "/api/me/password",
                        json!({"current_password": o.password, "new_password": new}),
                    )
                    .await;
                assert_eq!(s, StatusCode::OK, "{b}");
                o.password = new;
                let other = app.client();
                other.sign_in(&o.handle, &o.password).await;
                o.client = other;
                o.ws = o.client.socket().await;
                o.resubscribe(&thread).await;
                log.push(format!(
                    "{step}: {} changed password and reconnected",
                    o.handle
                ));
            }
        }
        for o in observers.iter_mut() {
            o.catch_up_live(&thread).await;
            let rest = rest_view(&o.client, &thread, &o.handle).await;
            match rest {
                None => assert!(
                    !o.holding,
                    "seed {seed} step {step}: {} still holds a thread REST hides\n{}",
                    o.handle,
                    log.join("\n")
                ),
                Some(rest) => {
                    if !o.holding {
                        // The thread came back (moved back): a page would reload it.
                        o.resubscribe(&thread).await;
                    }
                    assert_eq!(
                        o.view,
                        rest,
                        "seed {seed} step {step}: {}'s live socket differs from REST\n{}",
                        o.handle,
                        log.join("\n")
                    );
                    // And a catch-up from 0 on a fresh socket shows the same.
                    let mut fresh = o.client.socket().await;
                    let frames = fresh
                        .subscribe(
                            json!([format!("thread:{thread}")]),
                            json!({format!("thread:{thread}"): 0}),
                        )
                        .await;
                    let mut caught = View::new();
                    for f in &frames {
                        apply(&mut caught, f, &thread, &o.handle);
                    }
                    assert_eq!(
                        caught,
                        rest,
                        "seed {seed} step {step}: {}'s catch-up from 0 differs from REST\n{}",
                        o.handle,
                        log.join("\n")
                    );
                }
            }
        }
    }
}

/// The reader's own posts in the thread (ids), as REST lists them.
async fn own_posts(c: &Client, thread: &str) -> Vec<String> {
    let (_, list) = c
        .get(&format!("/api/threads/{thread}/posts?limit=200"))
        .await;
    list["posts"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|p| {
                    p["mine"] == true
                        && p["is_first"] == false
                        && p["status"] != "deleted"
                        && p["status"] != "removed"
                })
                .map(|p| p["id"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn random_sequences_agree_with_rest(app: TestApp) {
    let seed = std::env::var("HEARTH_PROPERTY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_261_206);
    run(app, seed, 40).await;
}

on_all_backends!(random_sequences_agree_with_rest);
