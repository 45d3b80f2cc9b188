//! A fuzzer for the stable toolchain: no coverage guidance, but corpus seeds, a dictionary of
//! tokens that matter to each target, and the usual byte-level mutations (flip, insert, delete,
//! duplicate, splice, repeat), run against the same checks as the libFuzzer targets.
//!
//! ```text
//! cargo run --release --no-default-features --bin fuzz-lite -- [TARGET|all] [SECONDS] [SEED]
//! ```
//!
//! Seeds come from `seeds/<target>/` (committed), `corpus/<target>/` (what libFuzzer grew) and from `../../shared/data` (the moderation cases and the
//! XSS corpus) when present. A crash writes the input to `artifacts/<target>/crash-<hash>` and
//! exits with status 1; re-running a saved input: `fuzz-lite TARGET --replay FILE`.
#![forbid(unsafe_code)]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use hearth_fuzz::TARGETS;

const DICTIONARY: &[&str] = &[
    // Markup and URLs.
    "<script>",
    "</script>",
    "<img src=x onerror=alert(1)>",
    "javascript:",
    "JaVaScRiPt:",
    "&#106;",
    "&#x6A;",
    "data:text/html,",
    "vbscript:",
    "<a href=\"",
    "\">",
    "<svg onload=",
    "<style>",
    "<!--",
    "-->",
    "<![CDATA[",
    "](",
    "[x](",
    "![",
    "<http://",
    "`",
    "```",
    "**",
    "~~",
    "> ",
    "- ",
    "1. ",
    "# ",
    "|",
    "|-|",
    "\\",
    "&lt;",
    "&amp;",
    "\"",
    "'",
    // Evasion.
    "d1sgust1ng",
    "d.i.s.g",
    "iiiii",
    "07700 900123",
    "+44",
    "@example.org",
    "SW1A 1AA",
    "\u{200b}",
    "\u{202e}",
    "\u{0301}",
    "\u{fe0f}",
    "İ",
    "ß",
    "ﬁ",
    "\u{ff41}",
    "🙂",
    "\r\n",
    "\0",
    // Socket protocol.
    "{\"type\":\"subscribe\",\"topics\":[",
    "{\"type\":\"say\",\"room\":\"",
    "{\"type\":\"ping\"}",
    "{\"type\":\"unsubscribe\",\"topics\":[",
    "\"since\":{",
    "\"thread:",
    "\"board:",
    "\"room:",
    "\"member:",
    "\"modqueue\"",
    "67e55044-10b1-426f-9247-bb680e5fe0c8",
    "\"client_id\":\"",
    "\"body\":\"",
    "{\"type\":\"event\",\"topic\":\"modqueue\",\"seq\":1,\"event\":",
    "{\"type\":\"ack\",\"status\":\"held\",\"client_id\":\"",
    "\\u0000",
    "\\ud800",
    "1e999",
    "-1",
    "[[[[[[[[",
    "{\"a\":",
    "]",
    "}",
    ",",
    ":",
];

/// xorshift64*: small, fast, reproducible from a seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

fn mutate(input: &mut Vec<u8>, rng: &mut Rng, seeds: &[Vec<u8>]) {
    for _ in 0..=rng.below(4) {
        let len = input.len();
        match rng.below(9) {
            0 if len > 0 => {
                let i = rng.below(len);
                input[i] ^= 1 << rng.below(8);
            }
            1 => {
                let i = rng.below(len + 1);
                input.insert(i, rng.next() as u8);
            }
            2 if len > 0 => {
                let a = rng.below(len);
                let b = (a + 1 + rng.below(16)).min(len);
                input.drain(a..b);
            }
            3 | 4 => {
                let token = DICTIONARY[rng.below(DICTIONARY.len())].as_bytes();
                let i = rng.below(len + 1);
                input.splice(i..i, token.iter().copied());
            }
            5 if len > 0 => {
                let a = rng.below(len);
                let b = (a + 1 + rng.below(32)).min(len);
                let chunk = input[a..b].to_vec();
                let i = rng.below(len + 1);
                input.splice(i..i, chunk);
            }
            6 if !seeds.is_empty() => {
                let other = &seeds[rng.below(seeds.len())];
                let cut = rng.below(len + 1);
                let from = rng.below(other.len() + 1);
                input.truncate(cut);
                input.extend_from_slice(&other[from..]);
            }
            7 => {
                // A token repeated many times: deep nesting, long runs.
                let token = DICTIONARY[rng.below(DICTIONARY.len())].as_bytes();
                let times = 1 + rng.below(2000);
                let i = rng.below(len + 1);
                let run: Vec<u8> = token
                    .iter()
                    .copied()
                    .cycle()
                    .take(token.len() * times)
                    .collect();
                input.splice(i..i, run);
            }
            _ => {
                let i = rng.below(len + 1);
                input.insert(i, b"<>\"'&[](){}:;/\\ \n"[rng.below(17)]);
            }
        }
    }
    input.truncate(64 * 1024);
}

fn seeds_for(target: &str, root: &Path) -> Vec<Vec<u8>> {
    let mut seeds = Vec::new();
    for dir in ["seeds", "corpus"] {
        if let Ok(dir) = std::fs::read_dir(root.join(dir).join(target)) {
            for entry in dir.flatten() {
                if let Ok(bytes) = std::fs::read(entry.path()) {
                    seeds.push(bytes);
                }
            }
        }
    }
    let mut shared = root.join("../../shared/data");
    if !shared.exists() {
        // A clone without the team's shared folder: the repository keeps a copy.
        shared = root.join("../testdata/shared-data");
    }
    for file in [
        "moderation/cases.jsonl",
        "moderation/cases-v2.jsonl",
        "xss/xss-corpus.jsonl",
    ] {
        if let Ok(text) = std::fs::read_to_string(shared.join(file)) {
            for line in text.lines() {
                if let Ok(serde_json::Value::Object(o)) = serde_json::from_str(line) {
                    for v in o.values() {
                        if let Some(s) = v.as_str()
                            && s.len() > 3
                        {
                            let mut bytes = match target {
                                // The rules target reads three header bytes first.
                                "rules" => vec![1, 0, 0],
                                "detectors" => vec![1],
                                "socket" => vec![0],
                                _ => vec![],
                            };
                            if target == "socket" {
                                bytes.extend_from_slice(
                                    serde_json::json!({"type": "say", "room": "67e55044-10b1-426f-9247-bb680e5fe0c8", "body": s, "client_id": "67e55044-10b1-426f-9247-bb680e5fe0c8"}).to_string().as_bytes(),
                                );
                            } else {
                                bytes.extend_from_slice(s.as_bytes());
                            }
                            seeds.push(bytes);
                        }
                    }
                }
            }
        }
    }
    if seeds.is_empty() {
        seeds.push(Vec::new());
    }
    seeds
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Runs one input; answers the panic message if the check failed.
fn run(check: fn(&[u8]), input: &[u8]) -> Option<String> {
    catch_unwind(AssertUnwindSafe(|| check(input)))
        .err()
        .map(|e| {
            e.downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "a panic".to_owned())
        })
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let which = args.first().map_or("all", String::as_str).to_owned();
    if args.get(1).map(String::as_str) == Some("--replay") {
        let file = args.get(2).expect("--replay FILE");
        let bytes = std::fs::read(file).expect("read the input");
        let (_, check) = TARGETS
            .iter()
            .find(|(n, _)| *n == which)
            .expect("a target name");
        check(&bytes);
        println!("{which}: {file} passes");
        return;
    }
    let seconds: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(10);
    let seed: u64 = args
        .get(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_4ea2_7400_0001);
    let targets: Vec<_> = TARGETS
        .iter()
        .filter(|(name, _)| which == "all" || *name == which)
        .collect();
    assert!(
        !targets.is_empty(),
        "unknown target {which}; one of rules, render, socket, detectors, all"
    );
    std::panic::set_hook(Box::new(|_| {}));
    let per_target = Duration::from_secs(seconds) / targets.len() as u32;
    let mut crashed = false;
    for (name, check) in targets {
        let seeds = seeds_for(name, &root);
        let mut rng = Rng(seed ^ fnv(name.as_bytes()) | 1);
        let started = Instant::now();
        let mut executions = 0u64;
        let mut crashes = 0u64;
        // Every seed once as is, then mutations until the time is up.
        let mut queue = seeds.clone().into_iter();
        while started.elapsed() < per_target {
            let input = queue.next().unwrap_or_else(|| {
                let mut input = seeds[rng.below(seeds.len())].clone();
                mutate(&mut input, &mut rng, &seeds);
                input
            });
            executions += 1;
            if let Some(message) = run(*check, &input) {
                crashes += 1;
                let dir = root.join("artifacts").join(name);
                let _ = std::fs::create_dir_all(&dir);
                let path = dir.join(format!("crash-{:016x}", fnv(&input)));
                let _ = std::fs::write(&path, &input);
                eprintln!(
                    "{name}: CRASH ({message}); input saved to {}",
                    path.display()
                );
                crashed = true;
                if crashes >= 5 {
                    break;
                }
            }
        }
        let secs = started.elapsed().as_secs_f64();
        println!(
            "{name}: {executions} executions in {secs:.1} s ({:.0}/s), {} seeds, {crashes} crashes",
            executions as f64 / secs,
            seeds.len()
        );
    }
    if crashed {
        std::process::exit(1);
    }
}
