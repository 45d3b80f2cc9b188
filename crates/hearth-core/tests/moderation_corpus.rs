//! Runs the larger shared case set (`cases-v2.jsonl`, with a category each) through the shipped
//! rule file, prints the per-category table and every miss with its `why`, and checks the
//! targets of issue 12. The scoring is `hearth_core::moderation::corpus`, which operators run
//! on their own cases with `hearth rules test FILE.jsonl`.

mod common;

use common::shared_data;
use hearth_core::moderation::corpus::{self, ratio};
use hearth_core::moderation::{AuthorFacts, Outcome, RuleSet};
use hearth_core::policy::Role;

const RULES: &str = include_str!("../../../moderation-rules.toml");

/// Past the new-member hold (3 approved posts) but not yet trusted with links (10), as for the
/// first case set.
const AUTHOR: AuthorFacts = AuthorFacts {
    approved_posts: 3,
    role: Role::Member,
};

#[test]
fn the_second_case_set_meets_its_targets() {
    let path = shared_data("moderation/cases-v2.jsonl");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read the moderation cases at {path}: {e}"));
    let cases = corpus::parse_cases(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert!(cases.len() >= 420, "{} cases in {path}", cases.len());
    let rules = RuleSet::parse(RULES).unwrap_or_else(|p| {
        let list: Vec<String> = p.iter().map(ToString::to_string).collect();
        panic!("moderation-rules.toml has problems:\n{}", list.join("\n"))
    });
    let report = corpus::run(&rules, &cases, AUTHOR);
    println!("{report}");

    let crisis = report.category("crisis");
    let crisis_ok = report
        .results
        .iter()
        .filter(|r| r.case.category == "crisis")
        .filter(|r| r.signposted() && r.verdict.outcome >= Outcome::PublishAndFlag)
        .count();
    let identifying = report.category("identifying");
    let held = |c: &corpus::CategoryFigures| {
        c.matrix
            .iter()
            .filter(|((_, got), _)| *got >= Outcome::Hold)
            .map(|(_, n)| n)
            .sum::<usize>()
    };
    let safeguarding_ok = report
        .results
        .iter()
        .filter(|r| r.case.category == "safeguarding")
        .filter(|r| r.verdict.outcome >= Outcome::Hold && r.verdict.concern)
        .count();
    let safeguarding = report.category("safeguarding");
    let ordinary: Vec<_> = ["ordinary", "tricky-ordinary"]
        .iter()
        .map(|c| report.category(c))
        .collect();
    let ordinary_cases: usize = ordinary.iter().map(|c| c.cases).sum();
    let ordinary_touched: usize = ordinary.iter().map(|c| c.over_moderated).sum();

    let figures = [
        (
            "crisis signposted and flagged",
            ratio(crisis_ok, crisis.cases),
            1.0,
            true,
        ),
        (
            "identifying held",
            ratio(held(&identifying), identifying.cases),
            0.98,
            true,
        ),
        (
            "safeguarding held with a concern",
            ratio(safeguarding_ok, safeguarding.cases),
            0.97,
            true,
        ),
        (
            "ordinary held, flagged or rejected",
            ratio(ordinary_touched, ordinary_cases),
            0.02,
            false,
        ),
        ("right overall", report.accuracy(), 0.97, true),
    ];
    let mut failed = Vec::new();
    for (what, got, target, at_least) in figures {
        let ok = if at_least {
            got >= target
        } else {
            got <= target
        };
        let line = format!(
            "{what}: {:.1}% (target {} {:.0}%)",
            100.0 * got,
            if at_least { "at least" } else { "at most" },
            100.0 * target
        );
        println!("{line}");
        if !ok {
            failed.push(line);
        }
    }
    assert!(
        failed.is_empty(),
        "targets missed:\n{}\n\n{report}",
        failed.join("\n")
    );
}

/// Variants written for issue 12 (not from the shared cases), to see whether the rules
/// generalise beyond the cases they were written against: the issue's own examples, bypasses
/// through markup and invisible characters, and ordinary texts a naive rule set would hold.
#[test]
fn variants_written_for_the_issue_get_their_verdicts() {
    let text = include_str!("data/variants.jsonl");
    let cases = corpus::parse_cases(text).unwrap_or_else(|e| panic!("variants.jsonl: {e}"));
    let rules = RuleSet::parse(RULES).unwrap_or_else(|p| panic!("{p:?}"));
    let report = corpus::run(&rules, &cases, AUTHOR);
    println!("{report}");
    assert_eq!(report.right(), cases.len(), "\n{report}");
}
