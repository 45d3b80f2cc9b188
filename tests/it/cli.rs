//! The `hearth` command line, run as the real binary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn hearth() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hearth"));
    c.env_remove("DATABASE_URL")
        .env_remove("REDIS_URL")
        .env("HEARTH_CONFIG", "");
    c
}

fn temp_db() -> (std::path::PathBuf, String) {
    let dir = std::env::temp_dir().join(format!("hearth_cli_{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/h.db?mode=rwc", dir.display());
    (dir, url)
}

#[test]
fn help_names_every_command() {
    let out = hearth().arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for word in ["serve", "migrate", "admin", "rules", "DATABASE_URL"] {
        assert!(text.contains(word), "{word} in {text}");
    }
}

#[test]
fn a_bad_setting_stops_with_one_line_naming_the_key() {
    let out = hearth()
        .arg("migrate")
        .env("HEARTH_LISTEN", "not-an-address")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("hearth: configuration: HEARTH_LISTEN:"),
        "{err}"
    );
}

#[test]
fn migrate_then_create_an_admin_from_stdin() {
    let (dir, url) = temp_db();
    let out = hearth()
        .arg("migrate")
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let create = |handle: &str, password: &str| {
        // Emails differ from handles in case, so each collision below is the handle's alone.
        let email = format!("{}-{}@example.org", handle, uuid::Uuid::new_v4().simple());
        let mut child = hearth()
            .args([
                "admin",
                "create",
                "--handle",
                handle,
                "--email",
                &email,
                "--password-stdin",
            ])
            .env("DATABASE_URL", &url)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{password}\n").as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let out = create("night_owl", "a-long-admin-password");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("admin night_owl created"));

    let out = create("NIGHT_OWL", "a-long-admin-password");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("handle is already in use"), "{err}");

    let out = create("short_pw", "short");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 10 characters"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn serve_prints_the_first_run_link_and_stops_gracefully_on_sigterm() {
    let (dir, url) = temp_db();
    let mut child = hearth()
        .arg("serve")
        .env("DATABASE_URL", &url)
        .env("HEARTH_LISTEN", "127.0.0.1:0")
        .env(
            "HEARTH_RULES",
            concat!(env!("CARGO_MANIFEST_DIR"), "/moderation-rules.toml"),
        )
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut link = None;
    let mut listening = false;
    while Instant::now() < deadline && !(link.is_some() && listening) {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            if let Some(i) = line.find("/setup?token=") {
                link = Some(line[i..].split_whitespace().next().unwrap().to_owned());
            }
            listening |= line.contains("listening");
        }
    }
    assert!(link.is_some(), "the setup link is printed");
    assert!(listening);
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let code = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "server did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(code.success(), "graceful exit: {code:?}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn rules_check_accepts_the_default_file_and_names_the_line_of_each_problem() {
    let out = hearth()
        .args([
            "rules",
            "check",
            concat!(env!("CARGO_MANIFEST_DIR"), "/moderation-rules.toml"),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(": ok ("));

    let dir = std::env::temp_dir().join(format!("hearth_rules_{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("broken.toml");
    std::fs::write(
        &file,
        "# a broken rules file\n\n[[rule]]\nname = \"typo\"\nwords = [\"idiot\"]\naction = \"holdd\"\n\n[[rule]]\nname = \"bad pattern\"\npatterns = [\"(unclosed\"]\naction = \"hold\"\n",
    )
    .unwrap();
    let out = hearth()
        .args(["rules", "check"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 6:") && err.contains("holdd"), "{err}");
    assert!(err.contains("line 10:"), "{err}");

    let out = hearth()
        .args(["rules", "check"])
        .arg(dir.join("missing.toml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn rules_test_prints_the_table_and_misses_and_reports_bad_input_by_line() {
    let dir = std::env::temp_dir().join(format!("hearth_cli_{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let rules = concat!(env!("CARGO_MANIFEST_DIR"), "/moderation-rules.toml");

    let good = dir.join("good.jsonl");
    std::fs::write(
        &good,
        concat!(
            "{\"text\": \"Ring me on 07700 900123\", \"expect\": \"hold\", \"category\": \"identifying\"}\n",
            "{\"text\": \"Thank you all\", \"expect\": \"publish\", \"category\": \"ordinary\"}\n",
        ),
    )
    .unwrap();
    let out = hearth()
        .args(["rules", "test", good.to_str().unwrap(), "--rules", rules])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("identifying") && text.contains("ordinary"),
        "{text}"
    );
    assert!(text.contains("100.0%"), "{text}");

    let missed = dir.join("missed.jsonl");
    std::fs::write(
        &missed,
        "{\"text\": \"Thank you all\", \"expect\": \"hold\", \"why\": \"a deliberate miss\"}\n",
    )
    .unwrap();
    let out = hearth()
        .args(["rules", "test", missed.to_str().unwrap(), "--rules", rules])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("line 1") && text.contains("a deliberate miss"),
        "{text}"
    );

    for (content, want) in [
        (
            "{\"text\": \"a\", \"expect\": \"publish\"}\n{\"text\": \"b\", \"expect\": \"held\"}\n",
            "line 2: unknown expect",
        ),
        (
            "{\"text\": \"a\", \"expect\": \"publish\"}\n\nnot json\n",
            "line 3: not a valid case",
        ),
    ] {
        let bad = dir.join("bad.jsonl");
        std::fs::write(&bad, content).unwrap();
        let out = hearth()
            .args(["rules", "test", bad.to_str().unwrap(), "--rules", rules])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(want), "{err}");
    }
    let out = hearth()
        .args([
            "rules",
            "test",
            dir.join("absent.jsonl").to_str().unwrap(),
            "--rules",
            rules,
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("cannot read"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}
