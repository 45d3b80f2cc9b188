//! Runs every case in the shared moderation test data through the shipped rule file.
//!
//! The data lives outside the repository (`shared/data/moderation/cases.jsonl`, beside the
//! checkout); a missing file fails the test loudly rather than passing with nothing checked.

mod common;

use common::shared_data;
use hearth_core::moderation::{AuthorFacts, Outcome, RuleSet, Submission, TextKind};
use hearth_core::policy::Role;

const RULES: &str = include_str!("../../../moderation-rules.toml");
/// Where the data file is (see [`shared_data`]).
#[allow(non_snake_case)]
fn CASES() -> String {
    shared_data("moderation/cases.jsonl")
}

/// Cases the rule file deliberately decides differently, with the reason (also written in the
/// rule file). Kept empty on purpose: add here only with a comment in moderation-rules.toml.
const EXCEPTIONS: &[&str] = &[];

/// The cases assume an author past the new-member hold (3 approved posts) but not yet trusted
/// with links (10), which is what the two link cases ("a link from a new member") need.
const AUTHOR: AuthorFacts = AuthorFacts {
    approved_posts: 3,
    role: Role::Member,
};

#[derive(serde::Deserialize)]
struct Case {
    text: String,
    expect: String,
    signpost: bool,
    concern: bool,
    why: String,
}

fn expected_outcome(expect: &str) -> Outcome {
    match expect {
        "publish" => Outcome::Publish,
        "publish+flag" => Outcome::PublishAndFlag,
        "hold" => Outcome::Hold,
        "reject" => Outcome::Reject,
        other => panic!("unknown expect value {other:?} in {}", CASES()),
    }
}

fn load_cases() -> Vec<Case> {
    let raw = std::fs::read_to_string(CASES()).unwrap_or_else(|e| {
        panic!("cannot read the moderation cases at {}: {e}. The shared test data sits beside the checkout (shared/data/) or in testdata/shared-data/.", CASES())
    });
    let cases: Vec<Case> = raw
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("{} line {}: {e}", CASES(), i + 1))
        })
        .collect();
    assert!(
        cases.len() >= 50,
        "expected at least 50 cases in {}, found {}",
        CASES(),
        cases.len()
    );
    cases
}

#[test]
fn every_shared_case_gets_the_expected_verdict() {
    let rules = RuleSet::parse(RULES).unwrap_or_else(|problems| {
        let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
        panic!("moderation-rules.toml has problems:\n{}", list.join("\n"))
    });
    let cases = load_cases();
    let mut failures = Vec::new();
    let mut exceptions_seen = 0;
    for case in &cases {
        let verdict = rules.evaluate(&Submission {
            kind: TextKind::Post,
            text: &case.text,
            board: Some("general"),
            author: AUTHOR,
        });
        let want = expected_outcome(&case.expect);
        let got_signpost = !verdict.signposts.is_empty();
        let ok = verdict.outcome == want
            && got_signpost == case.signpost
            && verdict.concern == case.concern;
        if EXCEPTIONS.contains(&case.text.as_str()) {
            exceptions_seen += 1;
            assert!(
                !ok,
                "case {:?} is listed as an exception but now passes: remove it",
                case.text
            );
            continue;
        }
        if !ok {
            failures.push(format!(
                "{:?}\n    expected {} signpost={} concern={} ({})\n    got {:?} signpost={} concern={} hits={:?}",
                case.text,
                case.expect,
                case.signpost,
                case.concern,
                case.why,
                verdict.outcome,
                got_signpost,
                verdict.concern,
                verdict.hits.iter().map(|h| format!("{}: {:?}", h.rule, h.matched)).collect::<Vec<_>>()
            ));
        }
    }
    assert_eq!(
        exceptions_seen,
        EXCEPTIONS.len(),
        "an exception names a case that is not in the data"
    );
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn crisis_cases_show_samaritans() {
    let rules = RuleSet::parse(RULES).unwrap();
    for case in load_cases().iter().filter(|c| c.signpost) {
        let verdict = rules.evaluate(&Submission {
            kind: TextKind::Chat,
            text: &case.text,
            board: None,
            author: AUTHOR,
        });
        assert!(
            verdict
                .signposts
                .iter()
                .any(|s| s.phone.as_deref() == Some("116 123")),
            "{:?} should signpost Samaritans",
            case.text
        );
    }
}

#[test]
fn trusted_members_links_publish_and_new_members_are_held() {
    let rules = RuleSet::parse(RULES).unwrap();
    let text = "This article helped me: https://example.org/coping-after-disclosure";
    let sub = |approved_posts, role| Submission {
        kind: TextKind::Post,
        text,
        board: Some("general"),
        author: AuthorFacts {
            approved_posts,
            role,
        },
    };
    assert_eq!(
        rules.evaluate(&sub(50, Role::Member)).outcome,
        Outcome::Publish
    );
    assert_eq!(rules.evaluate(&sub(9, Role::Member)).outcome, Outcome::Hold);
    assert_eq!(
        rules.evaluate(&sub(0, Role::Moderator)).outcome,
        Outcome::Publish
    );
    // A brand-new member's ordinary post is held too, with a welcome message.
    let v = rules.evaluate(&Submission {
        kind: TextKind::Post,
        text: "Hugs to everyone here tonight.",
        board: Some("general"),
        author: AuthorFacts {
            approved_posts: 0,
            role: Role::Member,
        },
    });
    assert_eq!(v.outcome, Outcome::Hold);
    assert!(v.author_messages[0].contains("Welcome"));
    // But not their handle.
    let v = rules.evaluate(&Submission {
        kind: TextKind::Handle,
        text: "hopeful_mum",
        board: None,
        author: AuthorFacts {
            approved_posts: 0,
            role: Role::Member,
        },
    });
    assert_eq!(v.outcome, Outcome::Publish);
}
