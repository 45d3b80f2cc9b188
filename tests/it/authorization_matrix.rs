//! The authorization matrix, generated from `GET /api/openapi.json` so a new route cannot
//! escape it: every documented operation x {anonymous, suspended member, member, moderator,
//! admin} is requested over real HTTP, with real ids of existing objects in the path and a
//! minimal valid body built from the operation's request schema, and the answer is compared
//! with the policy:
//!
//! - an operation the document marks with `security: session_cookie` answers 401 to anyone
//!   without a live session: the anonymous visitor, and a member suspended (through the API)
//!   after signing in, who keeps the cookie;
//! - `/api/admin/*` answers 403 to members and moderators, `/api/mod/*` to members;
//! - a role the policy allows is never answered 401, nor 403 for want of a role; the few other
//!   403s (refusals the document describes) are listed in [`DOCUMENTED_REFUSALS`];
//! - an operation without `security` never answers 401 `not_signed_in` or a role 403.
//!
//! The role each path needs comes from a small prefix table ([`required_role`]); that table is
//! cross-checked against the document's own words ("Needs an admin.", "Needs a moderator."), so
//! the two cannot silently drift apart.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::collections::BTreeMap;

use common::{Client, TestApp, code, password_of};
use reqwest::{Method, StatusCode};
use serde_json::{Map, Value, json};

/// Who is asking.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Who {
    Anonymous,
    Suspended,
    Member,
    Moderator,
    Admin,
}

const EVERYONE: [Who; 5] = [
    Who::Anonymous,
    Who::Suspended,
    Who::Member,
    Who::Moderator,
    Who::Admin,
];

/// What an operation needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Needs {
    /// No session at all (applying, signing in, health...).
    Nothing,
    /// A signed-in, active account of any role.
    Member,
    Moderator,
    Admin,
}

/// The policy's role table, keyed by path prefix (DESIGN.md's HTTP API table). Only consulted for
/// operations that need a session.
fn required_role(path: &str) -> Needs {
    const TABLE: [(&str, Needs); 2] = [
        ("/api/admin/", Needs::Admin),
        ("/api/mod/", Needs::Moderator),
    ];
    TABLE
        .iter()
        .find(|(prefix, _)| path.starts_with(prefix))
        .map_or(Needs::Member, |(_, needs)| *needs)
}

/// 403s that are the documented answer for a role the policy allows, with why. Keyed by
/// (role, METHOD, path template, error code).
const DOCUMENTED_REFUSALS: &[(Who, &str, &str, &str, &str)] = &[
    // The matrix's code is not one from an authenticator app.
    (
        Who::Member,
        "POST",
        "/api/me/factors/totp/confirm",
        "invalid_code",
        "a wrong code",
    ),
    (
        Who::Moderator,
        "POST",
        "/api/me/factors/totp/confirm",
        "invalid_code",
        "a wrong code",
    ),
    (
        Who::Admin,
        "POST",
        "/api/me/factors/totp/confirm",
        "invalid_code",
        "a wrong code",
    ),
    // Who reacted to a post is shown to its author only: not to other members, and not to
    // moderators or admins either (the matrix's post is the member's own).
    (
        Who::Moderator,
        "GET",
        "/api/posts/{id}/reactions",
        "forbidden",
        "author only",
    ),
    (
        Who::Admin,
        "GET",
        "/api/posts/{id}/reactions",
        "forbidden",
        "author only",
    ),
    // The safeguarding record is for safeguarding leads only, a flag an admin grants apart from
    // roles; none of the matrix's people is a lead, so all are refused (tests/safeguarding.rs
    // covers the lead).
    (
        Who::Member,
        "GET",
        "/api/safeguarding/concerns",
        "forbidden",
        "leads only",
    ),
    (
        Who::Moderator,
        "GET",
        "/api/safeguarding/concerns",
        "forbidden",
        "leads only",
    ),
    (
        Who::Admin,
        "GET",
        "/api/safeguarding/concerns",
        "forbidden",
        "leads only",
    ),
    (
        Who::Member,
        "POST",
        "/api/safeguarding/concerns/{id}/decision",
        "forbidden",
        "leads only",
    ),
    (
        Who::Moderator,
        "POST",
        "/api/safeguarding/concerns/{id}/decision",
        "forbidden",
        "leads only",
    ),
    (
        Who::Admin,
        "POST",
        "/api/safeguarding/concerns/{id}/decision",
        "forbidden",
        "leads only",
    ),
];

fn is_documented_refusal(who: Who, method: &str, path: &str, code: &str) -> bool {
    DOCUMENTED_REFUSALS
        .iter()
        .any(|(w, m, p, c, _)| *w == who && *m == method && *p == path && *c == code)
}

/// One documented operation.
#[derive(Clone, Debug)]
struct Operation {
    method: String,
    path: String,
    secured: bool,
    words: String,
    body_schema: Option<Value>,
}

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

fn operations(doc: &Value) -> Vec<Operation> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if !METHODS.contains(&method.as_str()) {
                continue;
            }
            let secured = op["security"].as_array().is_some_and(|s| {
                s.iter().any(|req| {
                    req.as_object()
                        .is_some_and(|o| o.contains_key("session_cookie"))
                })
            }) || doc["security"].as_array().is_some_and(|s| !s.is_empty())
                && op.get("security").is_none();
            let words = format!(
                "{} {}",
                op["summary"].as_str().unwrap_or_default(),
                op["description"].as_str().unwrap_or_default()
            );
            let body_schema = op["requestBody"]["content"]["application/json"]["schema"]
                .as_object()
                .map(|s| Value::Object(s.clone()));
            out.push(Operation {
                method: method.to_uppercase(),
                path: path.clone(),
                secured,
                words,
                body_schema,
            });
        }
    }
    out
}

/// The role the document's words claim an operation needs, if they claim one.
fn claimed_role(words: &str) -> Result<Option<Needs>, String> {
    let w = words.to_lowercase();
    let mut claims = Vec::new();
    let mut rest = w.as_str();
    while let Some(i) = rest.find("needs a") {
        let after = &rest[i + "needs a".len()..];
        let after = after.strip_prefix('n').unwrap_or(after).trim_start();
        let word: String = after
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ' ')
            .collect();
        let word = word.trim();
        if word.starts_with("admin") {
            claims.push(Needs::Admin);
        } else if word.starts_with("moderator") {
            claims.push(Needs::Moderator);
        } else if word.starts_with("member") && !word.starts_with("member's") {
            claims.push(Needs::Member);
        } else if !(word.starts_with("reason")
            || word.starts_with("session")
            || word.is_empty()
            || after.starts_with('`'))
        {
            return Err(format!(
                "the document says \"needs a {word}...\": a role this test's table does not know; \
                 add it to required_role() in tests/authorization_matrix.rs"
            ));
        }
        rest = after;
    }
    claims.dedup();
    match claims.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(*one)),
        many => Err(format!("the document claims several roles: {many:?}")),
    }
}

/// Cross-checks the prefix table with the document's words and security marks.
fn table_problems(ops: &[Operation]) -> Vec<String> {
    let mut problems = Vec::new();
    for op in ops {
        let name = format!("{} {}", op.method, op.path);
        let table = if op.secured {
            required_role(&op.path)
        } else {
            Needs::Nothing
        };
        if !op.secured && (op.path.starts_with("/api/admin/") || op.path.starts_with("/api/mod/")) {
            problems.push(format!(
                "{name}: under an admin/moderator prefix but not marked security session_cookie"
            ));
        }
        match claimed_role(&op.words) {
            Err(e) => problems.push(format!("{name}: {e}")),
            Ok(claim) => match (table, claim) {
                (Needs::Admin, Some(Needs::Admin))
                | (Needs::Moderator, Some(Needs::Moderator))
                | (Needs::Member, None | Some(Needs::Member))
                | (Needs::Nothing, None) => {}
                (Needs::Admin, None) => problems.push(format!(
                    "{name}: the table says it needs an admin (path prefix) but its summary and \
                     description do not say \"Needs an admin.\""
                )),
                (Needs::Moderator, None) => problems.push(format!(
                    "{name}: the table says it needs a moderator (path prefix) but its summary \
                     and description do not say \"Needs a moderator.\""
                )),
                (t, Some(c)) => problems.push(format!(
                    "{name}: the table says {t:?} but the document says it needs {c:?}"
                )),
            },
        }
    }
    problems
}

// ---------------------------------------------------------------------------------------------
// Bodies from the schema

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => resolve(
            doc,
            doc.pointer(r.trim_start_matches('#'))
                .expect("$ref resolves"),
        ),
        None => schema,
    }
}

/// The first value in backticks in a description ("`member`, `moderator` or `admin`").
fn first_backticked(description: &str) -> Option<String> {
    let (_, rest) = description.split_once('`')?;
    let (word, _) = rest.split_once('`')?;
    Some(word.to_owned())
}

/// A minimal valid value for `schema`: required properties only, examples first, enum values or
/// the first backticked value the description names, ids of real objects where the field names
/// one.
fn example_value(doc: &Value, schema: &Value, field: &str, ids: &Ids) -> Value {
    let schema = resolve(doc, schema);
    if let Some(ex) = schema.get("example") {
        return ex.clone();
    }
    if let Some(first) = schema["enum"].as_array().and_then(|e| e.first()) {
        return first.clone();
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(alts) = schema[key].as_array() {
            let pick = alts
                .iter()
                .find(|a| resolve(doc, a)["type"] != "null")
                .unwrap_or(&alts[0]);
            return example_value(doc, pick, field, ids);
        }
    }
    let ty = match &schema["type"] {
        Value::String(t) => t.clone(),
        Value::Array(ts) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null")
            .to_owned(),
        _ if schema.get("properties").is_some() => "object".to_owned(),
        _ => "null".to_owned(),
    };
    let description = schema["description"].as_str().unwrap_or_default();
    match ty.as_str() {
        "object" => {
            let required: Vec<&str> = schema["required"]
                .as_array()
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let mut out = Map::new();
            if let Some(props) = schema["properties"].as_object() {
                for (name, prop) in props {
                    // Optional flags that make a decision possible are worth sending.
                    let useful = name.starts_with("confirm_");
                    if required.contains(&name.as_str()) || useful {
                        out.insert(name.clone(), example_value(doc, prop, name, ids));
                    }
                }
            }
            Value::Object(out)
        }
        "array" => json!([example_value(doc, &schema["items"], field, ids)]),
        "boolean" => json!(true),
        "integer" | "number" => {
            let min = schema["minimum"].as_i64().unwrap_or(1).max(1);
            json!(min)
        }
        "string" => {
            if schema["format"] == "uuid" {
                return json!(ids.for_field(field));
            }
            if schema["format"] == "date-time" {
                return json!("2100-01-01T00:00:00Z");
            }
            if let Some(v) = first_backticked(description) {
                return json!(v);
            }
            json!(match field {
                "reason" => "unkind",
                "email" => "someone@example.org",
                "password" | "current_password" | "new_password" => "not-the-password-1",
                "login" => "nobody_at_all",
                "handle" => "matrix_applicant",
                _ => "Thinking of you all this week.",
            })
        }
        _ => Value::Null,
    }
}

// ---------------------------------------------------------------------------------------------
// Fixtures: real objects to name in paths

#[derive(Default)]
struct Ids {
    board: String,
    thread: String,
    room: String,
    queue_item: String,
    application: String,
    /// A member the moderators and admins act on (never one of the actors).
    target: String,
    /// Each actor's own post (edit and delete own).
    own_post: BTreeMap<Who, String>,
    /// A post by someone else (reports).
    others_post: BTreeMap<Who, String>,
}

impl Ids {
    fn for_field(&self, field: &str) -> String {
        match field {
            "board_id" => self.board.clone(),
            "ids" => self.queue_item.clone(),
            _ => uuid::Uuid::new_v4().to_string(),
        }
    }

    /// The id to put in `path` (a template) for `who`.
    fn fill(&self, path: &str, who: Who) -> String {
        let Some((before, after)) = path.split_once("{id}") else {
            return path.to_owned();
        };
        let collection = before
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or("");
        let some = || uuid::Uuid::new_v4().to_string();
        let id = match collection {
            "boards" => self.board.clone(),
            "threads" => self.thread.clone(),
            "rooms" => self.room.clone(),
            "queue" => self.queue_item.clone(),
            "applications" => self.application.clone(),
            "members" => self.target.clone(),
            "posts" if after.is_empty() => self.own_post.get(&who).cloned().unwrap_or_else(some),
            "posts" => self.others_post.get(&who).cloned().unwrap_or_else(some),
            _ => some(),
        };
        format!("{before}{id}{after}")
    }
}

struct Actor {
    login: String,
    password: String,
    cookie: Option<String>,
}

async fn the_matrix_holds_for_every_documented_operation(app: TestApp) {
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .unwrap();
    let doc: Value = http
        .get(format!("{}/api/openapi.json", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ops = operations(&doc);
    assert!(ops.len() > 30, "only {} operations documented", ops.len());
    // Disagreements between the table and the document are reported with the matrix's own
    // failures, so one run shows everything.
    let mut failures: Vec<String> = table_problems(&ops)
        .into_iter()
        .map(|p| format!("the role table and /api/openapi.json disagree: {p}"))
        .collect();

    // The cast.
    let admin = app.admin().await;
    let (_, b) = admin
        .post("/api/admin/boards", json!({"name": "Matrix"}))
        .await;
    let board = b["board"]["id"].as_str().unwrap().to_owned();
    let (_, t) = admin
        .post(
            &format!("/api/boards/{board}/threads"),
            json!({"title": "Everyone welcome", "body": "Say hello."}),
        )
        .await;
    let thread = t["thread"]["id"].as_str().unwrap().to_owned();
    let admin_post = t["post"]["id"].as_str().unwrap().to_owned();
    let (_, r) = admin
        .post("/api/admin/rooms", json!({"name": "Matrix room"}))
        .await;
    let room = r["room"]["id"].as_str().unwrap().to_owned();
    let (member, _) = app.member(&admin, "matrix_member").await;
    let (moderator, moderator_id) = app.member(&admin, "matrix_moderator").await;
    let (status, body) = admin
        .patch(
            &format!("/api/admin/members/{moderator_id}"),
            json!({"role": "moderator"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, target) = app.member(&admin, "matrix_target").await;
    let (_, suspended_id) = app.member(&admin, "matrix_suspended").await;
    // A pending application to decide.
    let (status, _) = app
        .client()
        .post(
            "/api/applications",
            common::application("matrix_pending", "1985-03-03"),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let application = admin.pending_application_id("matrix_pending").await;

    let post_as = |c: Client, body: &'static str| {
        let thread = thread.clone();
        async move {
            let (status, b) = c
                .post(
                    &format!("/api/threads/{thread}/posts"),
                    json!({ "body": body }),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{b}");
            b["post"]["id"].as_str().unwrap().to_owned()
        }
    };
    // The member's first post is held: it is also the queue item.
    let member_post = post_as(member.clone(), "Hello everyone, I am new here.").await;
    let moderator_post = post_as(moderator.clone(), "Welcome, all.").await;
    let admin_reply = post_as(admin.clone(), "Good to see you.").await;
    let (_, q) = admin.get("/api/mod/queue").await;
    let queue_item = q["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["post"]["id"] == member_post.as_str())
        .unwrap_or_else(|| panic!("the member's held post is queued: {q}"))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ids = Ids {
        board,
        thread,
        room,
        queue_item,
        application,
        target,
        own_post: [
            (Who::Member, member_post.clone()),
            (Who::Suspended, member_post.clone()),
            (Who::Moderator, moderator_post.clone()),
            (Who::Admin, admin_reply),
        ]
        .into(),
        others_post: [
            (Who::Member, admin_post.clone()),
            (Who::Suspended, admin_post.clone()),
            (Who::Moderator, admin_post.clone()),
            (Who::Admin, moderator_post),
        ]
        .into(),
    };

    // The suspended member: one session per operation, all signed in before the suspension, so
    // each cell presents a cookie that was live until the suspension (never one already refused).
    let secured_ops = ops.iter().filter(|o| o.secured).count();
    let mut suspended_cookies = Vec::new();
    for _ in 0..secured_ops {
        suspended_cookies.push(
            common::session_cookie(
                &app.base,
                "matrix_suspended",
                &password_of("matrix_suspended"),
            )
            .await,
        );
    }
    let (status, body) = admin
        .post(
            &format!("/api/mod/members/{suspended_id}/suspend"),
            json!({"hours": 48, "reason": "A pause for the matrix."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let mut actors: BTreeMap<Who, Actor> = BTreeMap::new();
    for (who, login, password) in [
        (Who::Member, "matrix_member", password_of("matrix_member")),
        (
            Who::Moderator,
            "matrix_moderator",
            password_of("matrix_moderator"),
        ),
        (Who::Admin, "first_admin", "admin-password-1".to_owned()),
    ] {
        actors.insert(
            who,
            Actor {
                cookie: Some(common::session_cookie(&app.base, login, &password).await),
                login: login.to_owned(),
                password,
            },
        );
    }

    let mut cells = 0usize;
    let mut by_status: BTreeMap<u16, usize> = BTreeMap::new();
    for op in &ops {
        let needs = if op.secured {
            required_role(&op.path)
        } else {
            Needs::Nothing
        };
        let method = Method::from_bytes(op.method.as_bytes()).unwrap();
        for who in EVERYONE {
            let url = format!("{}{}", app.base, ids.fill(&op.path, who));
            let mut rb = http
                .request(method.clone(), &url)
                .header("Origin", &app.base);
            let cookie_sent = match who {
                Who::Anonymous => None,
                Who::Suspended if op.secured => suspended_cookies.pop(),
                Who::Suspended => None,
                _ => actors[&who].cookie.clone(),
            };
            if let Some(c) = &cookie_sent {
                rb = rb.header("Cookie", c);
            }
            if let Some(schema) = &op.body_schema {
                rb = rb.json(&example_value(&doc, schema, "", &ids));
            }
            let resp = rb.send().await.unwrap();
            let status = resp.status();
            let text = resp.text().await.unwrap_or_default();
            let body: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
            cells += 1;
            *by_status.entry(status.as_u16()).or_default() += 1;
            let c = code(&body).to_owned();
            let role_403 = status == StatusCode::FORBIDDEN
                && body["error"]["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("needs the"));
            let cell = format!("{who:?} {} {}", op.method, op.path);
            let allowed = match (needs, who) {
                (Needs::Nothing, _) => true,
                (_, Who::Anonymous | Who::Suspended) => false,
                (Needs::Member, _) => true,
                (Needs::Moderator, w) => w >= Who::Moderator,
                (Needs::Admin, w) => w == Who::Admin,
            };
            if status.is_server_error() {
                failures.push(format!("{cell}: {status} {body}"));
                continue;
            }
            match (needs, who, allowed) {
                (Needs::Nothing, _, _) => {
                    if c == "not_signed_in" || role_403 {
                        failures.push(format!(
                            "{cell}: the document says it needs no session, yet {status} {body}"
                        ));
                    }
                }
                (_, Who::Anonymous | Who::Suspended, _) => {
                    if status != StatusCode::UNAUTHORIZED || c != "not_signed_in" {
                        failures.push(format!(
                            "{cell}: expected 401 not_signed_in, got {status} {body}"
                        ));
                    }
                }
                (_, _, false) => {
                    if status != StatusCode::FORBIDDEN || c != "forbidden" {
                        failures.push(format!(
                            "{cell}: expected 403 forbidden, got {status} {body}"
                        ));
                    }
                }
                (_, _, true) => {
                    // A sensitive action may ask for a fresh confirmation (step-up): allowed,
                    // only not without one.
                    if status == StatusCode::UNAUTHORIZED
                        || role_403
                        || (status == StatusCode::FORBIDDEN
                            && c != "reauth_required"
                            && !is_documented_refusal(who, &op.method, &op.path, &c))
                    {
                        failures.push(format!(
                            "{cell}: the policy allows it, yet {status} {body} (if this is a \
                             documented refusal, list it in DOCUMENTED_REFUSALS)"
                        ));
                    }
                }
            }
            // Some operations end the session they ran in (signing out, erasure, a password
            // change ending other sessions): sign the actor in again for the next cell.
            if let Some(actor) = actors.get_mut(&who) {
                let alive = http
                    .get(format!("{}/api/session", app.base))
                    .header("Cookie", actor.cookie.clone().unwrap_or_default())
                    .send()
                    .await
                    .unwrap()
                    .status();
                if alive != StatusCode::OK {
                    actor.cookie = Some(
                        common::session_cookie(&app.base, &actor.login, &actor.password).await,
                    );
                }
            }
        }
    }
    eprintln!(
        "authorization matrix ({:?}): {} operations x {} roles = {cells} cells checked; answers by \
         status: {by_status:?}",
        app.backend,
        ops.len(),
        EVERYONE.len()
    );
    assert_eq!(cells, ops.len() * EVERYONE.len());
    assert!(
        failures.is_empty(),
        "{} of {cells} cells break the policy:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The cross-check catches a route whose words and path disagree, and an unknown role.
#[test]
fn the_table_check_catches_divergence() {
    let op = |method: &str, path: &str, secured: bool, words: &str| Operation {
        method: method.to_owned(),
        path: path.to_owned(),
        secured,
        words: words.to_owned(),
        body_schema: None,
    };
    let good = [
        op("GET", "/api/admin/x", true, "Lists x. Needs an admin."),
        op("POST", "/api/mod/y", true, "Does y. Needs a moderator."),
        op("GET", "/api/z", true, "Reads z."),
        op("POST", "/api/applications", false, "Applies."),
    ];
    assert!(
        table_problems(&good).is_empty(),
        "{:?}",
        table_problems(&good)
    );
    let bad = [
        op("GET", "/api/admin/x", true, "Lists x."),
        op("POST", "/api/mod/y", true, "Does y. Needs an admin."),
        op("GET", "/api/z", true, "Reads z. Needs a moderator."),
        op("GET", "/api/mod/open", false, "Needs a moderator."),
        op("GET", "/api/s", true, "Needs a safeguarding lead."),
    ];
    let problems = table_problems(&bad);
    assert_eq!(problems.len(), 6, "{problems:#?}");
    assert!(problems[5].contains("safeguarding"), "{problems:#?}");
}

on_both_backends!(the_matrix_holds_for_every_documented_operation);

/// Issue 16: with `HEARTH_STAFF_SECOND_FACTOR=required` (the default), a moderator who has not
/// enrolled a second factor gets 403 `second_factor_required` from every staff operation in
/// the document (every `/api/mod/*` and `/api/admin/*` path, and the safeguarding leads'
/// pages), whatever the ids and bodies.
async fn every_staff_route_refuses_a_factorless_moderator(app: TestApp) {
    let http = reqwest::Client::new();
    let doc: Value = http
        .get(format!("{}/api/openapi.json", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ops = operations(&doc);
    let admin = app.admin().await;
    let (_, moderator_id) = app.member(&admin, "factorless_mod").await;
    let (status, body) = admin
        .strict()
        .patch(
            &format!("/api/admin/members/{moderator_id}"),
            json!({"role": "moderator"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let cookie =
        common::session_cookie(&app.base, "factorless_mod", &password_of("factorless_mod")).await;
    let some = || uuid::Uuid::new_v4().to_string();
    let ids = Ids {
        board: some(),
        thread: some(),
        room: some(),
        queue_item: some(),
        application: some(),
        target: some(),
        ..Ids::default()
    };
    let lead_only = |op: &Operation| {
        DOCUMENTED_REFUSALS.iter().any(|(w, m, p, _, why)| {
            *w == Who::Moderator && *m == op.method && *p == op.path && *why == "leads only"
        })
    };
    let mut failures = Vec::new();
    let mut checked = 0;
    for op in ops
        .iter()
        .filter(|o| o.secured && (required_role(&o.path) != Needs::Member || lead_only(o)))
    {
        let method = Method::from_bytes(op.method.as_bytes()).unwrap();
        let mut rb = http
            .request(
                method,
                format!("{}{}", app.base, ids.fill(&op.path, Who::Moderator)),
            )
            .header("Origin", &app.base)
            .header("Cookie", &cookie);
        if let Some(schema) = &op.body_schema {
            rb = rb.json(&example_value(&doc, schema, "", &ids));
        }
        let resp = rb.send().await.unwrap();
        let status = resp.status();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        checked += 1;
        if status != StatusCode::FORBIDDEN || code(&body) != "second_factor_required" {
            failures.push(format!("{} {}: {status} {body}", op.method, op.path));
        }
    }
    assert!(checked >= 30, "only {checked} staff operations documented");
    assert!(
        failures.is_empty(),
        "{} of {checked} staff operations did not answer 403 second_factor_required:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!(
        "factorless moderator ({:?}): {checked} staff operations, all 403 second_factor_required",
        app.backend
    );
}

mod factorless {
    use super::every_staff_route_refuses_a_factorless_moderator;
    on_both_backends!(every_staff_route_refuses_a_factorless_moderator);
}
