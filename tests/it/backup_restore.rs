//! The operators' guide (`docs/operating.md`) tells a volunteer how to back the forum up and how
//! to restore it. These tests run what it says: the `hearth-backup` script is read out of the
//! guide and run as written (with `DATABASE_URL` and `BACKUP_DIR` pointing at the test's own
//! database and folder), against a live server, on SQLite and on PostgreSQL; then the restore
//! steps from the guide put the copy in place of a fresh database, a server starts on it, and
//! the admin and a member sign in. What was written after the backup is not there.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Backend, TestApp, TestDb, application, password_of};
use reqwest::StatusCode;

const GUIDE: &str = include_str!("../../docs/operating.md");

/// The marker line in the guide just above the backup script's code block.
const SCRIPT_MARKER: &str = "<!-- tests/it/backup_restore.rs runs the next block as written -->";

/// The `hearth-backup` script, exactly as the guide prints it.
fn backup_script() -> String {
    let (_, after) = GUIDE
        .split_once(SCRIPT_MARKER)
        .expect("docs/operating.md has lost the marker above the hearth-backup script");
    let after = after.trim_start();
    let body = after
        .strip_prefix("```sh\n")
        .expect("the marker must be followed by a ```sh block");
    let (script, _) = body.split_once("\n```").expect("unterminated code block");
    assert!(script.starts_with("#!/bin/sh"), "{script}");
    format!("{script}\n")
}

/// Whether `tool` can be run; when it cannot, the test fails if services are required (CI),
/// and otherwise says SKIPPED.
fn have(tool: &str) -> bool {
    let ok = Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            !common::services_required(),
            "{tool} is required (HEARTH_REQUIRE_SERVICES=1) but is not installed"
        );
        eprintln!("SKIPPED: {tool} is not installed");
    }
    ok
}

/// Runs the guide's backup script with the given database and backup folder; answers the file it
/// wrote.
fn run_backup(database_url: &str, backup_dir: &Path) -> PathBuf {
    let script = backup_dir.join("hearth-backup");
    std::fs::write(&script, backup_script()).unwrap();
    let out = Command::new("sh")
        .arg(&script)
        .env("DATABASE_URL", database_url)
        .env("BACKUP_DIR", backup_dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "hearth-backup failed: {stdout}\n{stderr}"
    );
    let written: Vec<PathBuf> = std::fs::read_dir(backup_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with("hearth-") && (name.ends_with(".db") || name.ends_with(".dump"))
        })
        .collect();
    assert_eq!(written.len(), 1, "one backup file: {written:?}\n{stdout}");
    assert!(
        stdout.contains(&*written[0].to_string_lossy()),
        "the script names the file it wrote: {stdout}"
    );
    written[0].clone()
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The SQLite file behind a `sqlite://...` URL.
fn sqlite_file(url: &str) -> PathBuf {
    let path = url.trim_start_matches("sqlite://");
    PathBuf::from(path.split('?').next().unwrap())
}

/// Makes data through the API: the first admin and an approved member. Answers the admin's
/// client.
async fn make_data(app: &TestApp) -> common::Client {
    let admin = app.admin().await;
    app.member(&admin, "Kept_Member").await;
    admin
}

/// Writes something after the backup, which a restore must not bring back.
async fn write_after_backup(app: &TestApp) {
    let (status, body) = app
        .client()
        .post("/api/applications", application("Too_Late", "1980-01-01"))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
}

/// Starts a server on the restored database and checks what is (and is not) there.
async fn check_restored(database_url: &str, clock: &common::TestClock, original: &str) {
    let running = hearth_server::start(common::test_config(database_url), clock.as_clock())
        .await
        .unwrap();
    let base = format!("http://{}", running.addr);
    // The same members (and the admin's authenticator app) as the server backed up.
    common::factors::register_instance(&base, original);
    let restored = common::Client::new(&base, true);
    restored.sign_in("first_admin", "admin-password-1").await;
    let (status, body) = restored.get("/api/admin/applications").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        !body.to_string().contains("Too_Late"),
        "written after the backup, so not restored: {body}"
    );
    common::Client::new(&format!("http://{}", running.addr), true)
        .sign_in("Kept_Member", &password_of("Kept_Member"))
        .await;
    assert!(
        running.state.app.first_run_link().await.unwrap().is_none(),
        "the restored forum has its admin, so no setup link"
    );
    running.stop().await.unwrap();
}

fn temp_dir(what: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hearth-{what}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_backup_while_running_then_restore() {
    if !have("sqlite3") {
        return;
    }
    let Some(mut app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    make_data(&app).await;
    let backups = temp_dir("backups");

    // The backup is taken while the server runs (the database is in WAL mode).
    let copy = run_backup(&app.db.url, &backups);
    write_after_backup(&app).await;
    if let Some(r) = app.running.take() {
        r.stop().await.unwrap();
    }

    // Restore, as the guide says: move the old files aside (the database and its -wal and -shm
    // files), copy the backup in. (The guide's `systemctl` and `chown` lines have no
    // counterpart here: the test owns its files and starts its own server.)
    let target = TestDb::create(Backend::Sqlite).await.unwrap();
    let db = sqlite_file(&target.url);
    let data_dir = db.parent().unwrap();
    // A stale database with its WAL sits there, as after a failure.
    std::fs::write(data_dir.join("hearth.db"), b"damaged").unwrap();
    std::fs::write(data_dir.join("hearth.db-wal"), b"stale").unwrap();
    run(Command::new("sh").current_dir(data_dir).args([
        "-c",
        "mkdir -p before-restore && mv hearth.db* before-restore/",
    ]));
    run(Command::new("cp")
        .arg(&copy)
        .arg(data_dir.join("hearth.db")));
    assert!(!data_dir.join("hearth.db-wal").exists());

    check_restored(&target.url, &app.clock, &app.base).await;
    let _ = std::fs::remove_dir_all(&backups);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_backup_while_running_then_restore_into_a_fresh_database() {
    if !have("pg_dump") || !have("pg_restore") {
        return;
    }
    let Some(mut app) = TestApp::spawn(Backend::Postgres).await else {
        return;
    };
    make_data(&app).await;
    let backups = temp_dir("backups");

    let dump = run_backup(&app.db.url, &backups);
    write_after_backup(&app).await;
    if let Some(r) = app.running.take() {
        r.stop().await.unwrap();
    }

    // Restore into a new, empty database, as the guide says.
    let target = TestDb::create(Backend::Postgres).await.unwrap();
    run(Command::new("pg_restore")
        .args(["--exit-on-error", "--no-owner", "--dbname"])
        .arg(&target.url)
        .arg(&dump));

    check_restored(&target.url, &app.clock, &app.base).await;
    let _ = std::fs::remove_dir_all(&backups);
}

#[test]
fn the_backup_script_refuses_an_unknown_database_url() {
    let dir = temp_dir("backups");
    let script = dir.join("hearth-backup");
    std::fs::write(&script, backup_script()).unwrap();
    let out = Command::new("sh")
        .arg(&script)
        .env("DATABASE_URL", "mysql://nope")
        .env("BACKUP_DIR", &dir)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Whether `needle` occurs anywhere in `file`'s bytes (a missing file holds nothing).
fn file_holds(file: &Path, needle: &str) -> bool {
    let Ok(bytes) = std::fs::read(file) else {
        return false;
    };
    bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// Issue 13, finding 6: after an erasure on SQLite, neither the database file, its WAL nor a
/// backup taken right after (as the guide says) holds the member's email, handle or a canary
/// phrase from their posts, chat and profile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_erasure_leaves_nothing_on_disk() {
    let Some(app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let admin = app.admin().await;
    let (_, b) = admin
        .post("/api/admin/boards", serde_json::json!({"name": "Partners"}))
        .await;
    let board = b["board"]["id"].as_str().unwrap().to_owned();
    let (_, r) = admin
        .post(
            "/api/admin/rooms",
            serde_json::json!({"name": "Evening", "new_member_slow_mode_seconds": 0}),
        )
        .await;
    let room = r["room"]["id"].as_str().unwrap().to_owned();
    let handle = "canary_keeper";
    // A new member: their posts and chat are held, which stores them all the same.
    let (member, _) = app.member(&admin, handle).await;
    let email = common::email_of(handle);
    let (status, t) = member
        .post(
            &format!("/api/boards/{board}/threads"),
            serde_json::json!({"title": "Thread canary-title-4417", "body": "My words canary-post-4417 here."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    let (_, t) = admin
        .post(
            &format!("/api/boards/{board}/threads"),
            serde_json::json!({"title": "Welcome", "body": "Say hello."}),
        )
        .await;
    let thread = t["thread"]["id"].as_str().unwrap().to_owned();
    let (status, p) = member
        .post(
            &format!("/api/threads/{thread}/posts"),
            serde_json::json!({"body": "And a reply canary-reply-4417."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    let (status, p) = member
        .put(
            "/api/me/profile",
            serde_json::json!({"about": "About me canary-profile-4417"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    let mut staff = admin.socket().await;
    staff
        .subscribe(
            serde_json::json!([format!("room:{room}")]),
            serde_json::json!({}),
        )
        .await;
    let mut ws = member.socket().await;
    ws.subscribe(
        serde_json::json!([format!("room:{room}")]),
        serde_json::json!({}),
    )
    .await;
    ws.send(serde_json::json!({"type": "say", "room": room, "body": "Chat canary-chat-4417", "client_id": uuid::Uuid::new_v4()}))
        .await;
    ws.expect("the ack", |v| v["type"] == "ack").await;

    let (status, b) = common::Client::send(
        member
            .request(reqwest::Method::DELETE, "/api/me")
            .json(&serde_json::json!({"password": password_of(handle), "posts": "delete"})),
    )
    .await;
    assert!(status.is_success(), "{b}");

    let db = sqlite_file(&app.db.url);
    let wal = db.with_file_name("hearth.db-wal");
    let mut files = vec![db.clone(), wal];
    if have("sqlite3") {
        files.push(run_backup(&app.db.url, &temp_dir("erased-backup")));
    }
    let needles = [
        email.as_str(),
        handle,
        "canary-title-4417",
        "canary-post-4417",
        "canary-reply-4417",
        "canary-profile-4417",
        "canary-chat-4417",
    ];
    let found: Vec<String> = files
        .iter()
        .flat_map(|f| {
            needles
                .iter()
                .filter(|n| file_holds(f, n))
                .map(move |n| format!("{n} in {}", f.display()))
        })
        .collect();
    assert!(found.is_empty(), "erased data survives on disk: {found:?}");
}
