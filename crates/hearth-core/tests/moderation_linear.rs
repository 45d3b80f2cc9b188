//! Rule evaluation stays linear in the length of the text: for each pathological shape, the
//! time for a text of 2n characters is compared with the time for n (never an absolute time,
//! which depends on the machine). The minimum of five runs is taken to reduce noise, and a shape
//! over the ratio is measured again (up to three times) before it counts as a failure, since
//! the machine's cores are shared: a quadratic shape fails every time (its ratio is near 4).

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
                let t1 = time(&rules, &repeat(unit, n), kind);
                let t2 = time(&rules, &repeat(unit, 2 * n), kind);
                let ratio = t2.as_secs_f64() / t1.as_secs_f64().max(1e-9);
                println!("{name:>18} {kind:?}: n={n} {t1:?}, 2n {t2:?}, ratio {ratio:.2}");
                worst = format!("{name} ({kind:?}): ratio {ratio:.2} ({t1:?} -> {t2:?})");
                ratio < 3.0
            });
            if !linear {
                failures.push(worst);
            }
        }
    }
    assert!(failures.is_empty(), "not linear:\n{}", failures.join("\n"));
}
