//! Builds the web client (`web-client/`, TypeScript + Vite) and embeds its output in the
//! server binary, so that `cargo run --release` on a fresh machine with Node.js and npm serves
//! the whole site.
//!
//! - `npm ci` runs when `web-client/node_modules` is missing or older than `package-lock.json`.
//! - `npm run build` runs when `web-client/dist` is missing or older than any source file.
//! - Without npm: an existing `dist/` is embedded as it is (with a warning if it looks stale);
//!   with no `dist/` at all, a small page saying how to build the client is embedded instead,
//!   and the API still works. The Rust build never fails for want of npm, unless
//!   `HEARTH_REQUIRE_WEB=1` is set (CI sets it, so a broken client cannot ship unnoticed).
//! - `HEARTH_SKIP_WEB_BUILD=1` embeds whatever `dist/` holds without running npm at all.
//!
//! The output is a Rust file in `OUT_DIR` listing every file with `include_bytes!`, which
//! `src/routes/web.rs` includes. No build dependency is needed.

use std::fmt::Write as _;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

/// The files and folders whose change means the client must be rebuilt.
const SOURCES: &[&str] = &[
    "src",
    "public",
    "index.html",
    "package.json",
    "package-lock.json",
    "openapi.json",
    "vite.config.ts",
    "tsconfig.json",
];

const NO_NPM: &str = "the web client was not built: install Node.js and npm, then rebuild \
                      (cargo build) — the API still works";

fn main() {
    println!("cargo:rerun-if-env-changed=HEARTH_REQUIRE_WEB");
    println!("cargo:rerun-if-env-changed=HEARTH_SKIP_WEB_BUILD");
    let out_dir = match std::env::var_os("OUT_DIR") {
        Some(d) => PathBuf::from(d),
        None => {
            println!("cargo:warning=OUT_DIR is not set; cannot embed the web client");
            std::process::exit(1);
        }
    };
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let web = manifest_dir.join("../../web-client");
    let web = fs::canonicalize(&web).unwrap_or(web);
    let required = flag("HEARTH_REQUIRE_WEB");

    for s in SOURCES {
        println!("cargo:rerun-if-changed={}", web.join(s).display());
    }

    let outcome = if web.join("package.json").is_file() {
        prepare(&web)
    } else {
        Outcome::Fallback(format!(
            "{} has no package.json; embedding a placeholder page",
            web.display()
        ))
    };

    let dist = web.join("dist");
    let (code, problem) = match outcome {
        Outcome::Built | Outcome::Embedded => match generate_from_dist(&dist) {
            Ok(code) => (code, None),
            Err(e) => (
                fallback(&out_dir),
                Some(format!("cannot embed the web client: {e}; {NO_NPM}")),
            ),
        },
        Outcome::StaleOrFailed(why) => match generate_from_dist(&dist) {
            Ok(code) => (code, Some(why)),
            Err(e) => (fallback(&out_dir), Some(format!("{why}; {e}; {NO_NPM}"))),
        },
        Outcome::Fallback(why) => (fallback(&out_dir), Some(why)),
    };
    if let Some(why) = problem {
        for line in why.lines() {
            println!("cargo:warning={line}");
        }
        if required {
            println!("cargo:warning=HEARTH_REQUIRE_WEB is set, so this is an error");
            std::process::exit(1);
        }
    }
    if let Err(e) = fs::write(out_dir.join("web_assets.rs"), code) {
        println!("cargo:warning=cannot write the embedded web client: {e}");
        std::process::exit(1);
    }
}

/// What became of the attempt to have an up-to-date `dist/`.
enum Outcome {
    /// npm built it just now.
    Built,
    /// It was already up to date (or building was skipped on purpose).
    Embedded,
    /// A `dist/` exists but could not be refreshed: embed it, and say why.
    StaleOrFailed(String),
    /// Nothing to embed: use the placeholder page, and say why.
    Fallback(String),
}

fn flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

fn prepare(web: &Path) -> Outcome {
    let dist_index = web.join("dist/index.html");
    let have_dist = dist_index.is_file();
    if flag("HEARTH_SKIP_WEB_BUILD") {
        return if have_dist {
            Outcome::Embedded
        } else {
            Outcome::Fallback(format!("HEARTH_SKIP_WEB_BUILD is set and {NO_NPM}"))
        };
    }
    let newest_source = SOURCES
        .iter()
        .filter_map(|s| newest_mtime(&web.join(s)))
        .max();
    let stale = match (modified(&dist_index), newest_source) {
        (Some(built), Some(source)) => source > built,
        (None, _) => true,
        (Some(_), None) => false,
    };
    if !stale {
        return Outcome::Embedded;
    }
    if !npm_available() {
        return if have_dist {
            Outcome::StaleOrFailed(format!(
                "npm was not found, so the web client in {} may be out of date; install \
                 Node.js and npm, then rebuild (cargo build)",
                web.join("dist").display()
            ))
        } else {
            Outcome::Fallback(NO_NPM.to_owned())
        };
    }
    // Several cargo builds (other target dirs, other people) may share this checkout.
    let _lock = match BuildLock::acquire(web) {
        Ok(lock) => lock,
        Err(e) => return failed(have_dist, format!("cannot lock the web client build: {e}")),
    };
    // Another build may have finished the job while this one waited for the lock.
    if let (Some(built), Some(source)) = (modified(&dist_index), newest_source)
        && built >= source
    {
        return Outcome::Embedded;
    }
    let installed = modified(&web.join("node_modules/.package-lock.json"));
    let lock_changed = match (installed, modified(&web.join("package-lock.json"))) {
        (Some(installed), Some(lock)) => lock > installed,
        (None, _) => true,
        (Some(_), None) => false,
    };
    if lock_changed && let Err(e) = npm(web, &["ci", "--no-audit", "--no-fund"]) {
        return failed(
            have_dist,
            format!("npm ci failed in {}: {e}", web.display()),
        );
    }
    match npm(web, &["run", "build"]) {
        Ok(()) => Outcome::Built,
        Err(e) => failed(
            have_dist,
            format!("npm run build failed in {}: {e}", web.display()),
        ),
    }
}

fn failed(have_dist: bool, why: String) -> Outcome {
    if have_dist {
        Outcome::StaleOrFailed(format!("{why}; embedding the previous build"))
    } else {
        Outcome::Fallback(format!(
            "{why}\nthe web client was not built: fix the error above, then rebuild (cargo \
             build) — the API still works"
        ))
    }
}

fn npm_program() -> &'static str {
    if cfg!(windows) { "npm.cmd" } else { "npm" }
}

fn npm_available() -> bool {
    Command::new(npm_program())
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs npm in the client folder. Its output goes to cargo's build log (shown with `-vv`, or
/// when this fails); the last lines of a failure are repeated in the warning.
fn npm(web: &Path, args: &[&str]) -> Result<(), String> {
    let output = Command::new(npm_program())
        .args(args)
        .current_dir(web)
        .env("CI", "1")
        .env_remove("NODE_OPTIONS")
        .output()
        .map_err(|e| format!("cannot run npm: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!("npm {}:\n{stdout}\n{stderr}", args.join(" "));
    if output.status.success() {
        Ok(())
    } else {
        let lines: Vec<&str> = stdout
            .lines()
            .chain(stderr.lines())
            .filter(|l| !l.trim().is_empty() && !l.contains("Unknown user config"))
            .collect();
        // The cause is usually near the start (npm's own errors) or the end (a compiler's).
        let shown = if lines.len() > 16 {
            [&lines[..8], &["…"], &lines[lines.len() - 8..]].concat()
        } else {
            lines
        };
        Err(format!("{}\n{}", output.status, shown.join("\n")))
    }
}

fn modified(path: &Path) -> Option<SystemTime> {
    fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The newest modification time of a file, or of anything under a folder.
fn newest_mtime(path: &Path) -> Option<SystemTime> {
    let meta = fs::metadata(path).ok()?;
    let mut newest = meta.modified().ok();
    if meta.is_dir()
        && let Ok(entries) = fs::read_dir(path)
    {
        for entry in entries.flatten() {
            if let Some(t) = newest_mtime(&entry.path()) {
                newest = Some(newest.map_or(t, |n| n.max(t)));
            }
        }
    }
    newest
}

/// A lock file beside the client's sources, held while npm runs; a lock older than ten
/// minutes is taken to be left over from a killed build.
struct BuildLock(PathBuf);

impl BuildLock {
    fn acquire(web: &Path) -> std::io::Result<BuildLock> {
        let path = web.join(".hearth-build.lock");
        let deadline = SystemTime::now() + Duration::from_secs(15 * 60);
        loop {
            match fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(_) => return Ok(BuildLock(path)),
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                    let old = modified(&path)
                        .and_then(|t| t.elapsed().ok())
                        .is_some_and(|age| age > Duration::from_secs(600));
                    if old {
                        let _ = fs::remove_file(&path);
                        continue;
                    }
                    if SystemTime::now() > deadline {
                        return Err(std::io::Error::other(format!(
                            "{} is held by another build",
                            path.display()
                        )));
                    }
                    std::thread::sleep(Duration::from_millis(500));
                }
                Err(e) => return Err(e),
            }
        }
    }
}

impl Drop for BuildLock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

/// Rust source listing every file under `dist` (paths relative to it, `/`-separated).
fn generate_from_dist(dist: &Path) -> Result<String, String> {
    let mut files = Vec::new();
    collect(dist, dist, &mut files).map_err(|e| format!("{}: {e}", dist.display()))?;
    files.sort();
    if !files.iter().any(|(rel, _)| rel == "index.html") {
        return Err(format!("{} has no index.html", dist.display()));
    }
    let mut code = String::from("// Generated by build.rs: the web client's files.\n");
    code.push_str("/// Whether the real client was embedded (false: the placeholder page).\n");
    code.push_str("pub const BUILT: bool = true;\n");
    code.push_str("/// Every embedded file, by path relative to the site root.\n");
    code.push_str("pub static FILES: &[(&str, &[u8])] = &[\n");
    for (rel, abs) in &files {
        let _ = writeln!(code, "    ({rel:?}, include_bytes!({abs:?})),");
    }
    code.push_str("];\n");
    Ok(code)
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            collect(root, &path, out)?;
        } else {
            let rel = path
                .strip_prefix(root)
                .map_err(std::io::Error::other)?
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            let abs = fs::canonicalize(&path)?.to_string_lossy().into_owned();
            out.push((rel, abs));
        }
    }
    Ok(())
}

/// Writes the placeholder page and returns Rust source embedding only it.
fn fallback(out_dir: &Path) -> String {
    let page = format!(
        "<!doctype html>\n<html lang=\"en-GB\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"referrer\" content=\"no-referrer\"><title>Notes</title></head>\
         <body><main><h1>Not built yet</h1><p>{}.</p>\
         <p>The server and its API are running normally.</p></main></body></html>\n",
        capitalise(NO_NPM)
    );
    let path = out_dir.join("web_fallback_index.html");
    if let Err(e) = fs::write(&path, page) {
        println!("cargo:warning=cannot write the placeholder page: {e}");
    }
    format!(
        "// Generated by build.rs: the placeholder page (the web client was not built).\n\
         /// Whether the real client was embedded (false: the placeholder page).\n\
         pub const BUILT: bool = false;\n\
         /// Every embedded file, by path relative to the site root.\n\
         pub static FILES: &[(&str, &[u8])] = &[(\"index.html\", include_bytes!({:?}))];\n",
        path.to_string_lossy()
    )
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_uppercase().collect::<String>() + chars.as_str()
    })
}
