//! Rule evaluation stays linear in the length of the text: for each pathological shape, the
//! times for texts of n, 2n, 4n and 8n characters are compared with each other (never an
//! absolute time, which depends on the machine). Quadratic time quadruples at every doubling;
//! linear time doubles, except where the text stops fitting in the processor's caches and the
//! cost per byte steps up once (measured on "." as a handle: 16 ns a byte at 64 KB, 28 to 42 ns
//! from 256 KB to 2 MB, which made a single 2n-over-n ratio fail in CI at 512 KB although
//! nothing was quadratic). So a shape passes when at least one doubling costs less than three
//! times as much. The minimum of five runs is taken to reduce noise, and a shape that fails is
//! measured again (up to three times), since the machine's cores are shared.

use std::time::{Duration, Instant};

use hearth_core::moderation::{AuthorFacts, RuleSet, Submission, TextKind};
use hearth_core::policy::Role;

const RULES: &str = include_str!("../../../moderation-rules.toml");

fn time(rules: &RuleSet, text: &str, kind: TextKind) -> Duration {
    (0..5)
        .map(|_| {
            let start = Instant::now();
            let v = rules.evaluate(&Submission {
                kind,
                text,
                board: Some("general"),
                author: AuthorFacts {
                    approved_posts: 3,
                    role: Role::Member,
                },
            });
            std::hint::black_box(v);
            start.elapsed()
        })
        .min()
        .unwrap_or_default()
}

/// `unit` repeated to about `len` bytes.
fn repeat(unit: &str, len: usize) -> String {
    unit.repeat(len / unit.len().max(1) + 1)
}

#[test]
fn evaluation_time_grows_linearly_with_the_text() {
    let rules = RuleSet::parse(RULES).expect("the shipped rules parse");
    let shapes: &[(&str, &str)] = &[
        ("ones", "1 "),
        ("letters", "a "),
        ("digits", "0123456789"),
        ("zeros spaced", "0 "),
        ("capitalised words", "Ab "),
        ("forenames", "Emily Harrington "),
        ("ats", "@"),
        ("at words", "@ab "),
        ("dots", "."),
        ("dotted letters", "a."),
        ("quotes", "> "),
        ("stars", "*"),
        ("entities", "&#48;"),
        ("number words", "oh seven "),
        ("spelled at", "a at b dot "),
        ("links", "x.com "),
        ("brackets", "[a](b) "),
        ("mixed", "07x7 Ab @a.b 1. "),
    ];
    let mut failures = Vec::new();
    for &(name, unit) in shapes {
        for kind in [TextKind::Post, TextKind::Handle] {
            // Grow n until one run takes long enough for the timer to measure it well; the
            // test itself only ever compares two times.
            let mut n = 4_000;
            while time(&rules, &repeat(unit, n), kind) < Duration::from_millis(5) && n < 256_000 {
                n *= 2;
            }
            let mut worst = String::new();
            let linear = (0..3).any(|_| {
                let times: Vec<Duration> = [1, 2, 4, 8]
                    .iter()
                    .map(|k| time(&rules, &repeat(unit, k * n), kind))
                    .collect();
                let ratios: Vec<f64> = times
                    .windows(2)
                    .map(|w| w[1].as_secs_f64() / w[0].as_secs_f64().max(1e-9))
                    .collect();
                println!("{name:>18} {kind:?}: n={n} {times:?}, doubling ratios {ratios:.2?}");
                worst = format!("{name} ({kind:?}): doubling ratios {ratios:.2?} ({times:?})");
                ratios.iter().any(|r| *r < 3.0)
            });
            if !linear {
                failures.push(worst);
            }
        }
    }
    assert!(failures.is_empty(), "not linear:\n{}", failures.join("\n"));
}
