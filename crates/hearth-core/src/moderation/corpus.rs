//! Scoring a rule set against a file of test cases (JSON Lines), for the repository's own
//! corpus test and for operators (`hearth rules test FILE.jsonl`).
//!
//! Both use this one module so that what an operator sees for their cases is exactly what the
//! test suite checks for ours: the same parsing (with line-numbered errors rather than panics),
//! the same idea of a "right" case (verdict, signposting and concern all as expected) and the
//! same per-category table and list of misses.
//!
//! A case is one JSON object a line: `text`, `expect` (`publish`, `publish+flag`, `hold`,
//! `reject`), and optionally `signpost` and `concern` (default false), `category` (default
//! `uncategorised`), `why`, and `kind` (a kind of text as the rule file names them; default
//! `post`). Blank lines and lines starting with `#` or `//` are skipped.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;

use super::{AuthorFacts, Outcome, RuleSet, Submission, TextKind, Verdict};

/// One test case, as read from a line of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    /// The 1-based line of the file the case is on, for messages.
    pub line: usize,
    /// The member's text (Markdown source for posts).
    pub text: String,
    /// Which kind of text it is.
    pub kind: TextKind,
    /// The expected outcome.
    pub expect: Outcome,
    /// Whether crisis support should be shown to the author.
    pub signpost: bool,
    /// Whether a safeguarding concern should be raised.
    pub concern: bool,
    /// The case's category, for the table.
    pub category: String,
    /// Why the case expects what it does, for the person reading a miss.
    pub why: String,
}

/// Why a case file could not be used: one sentence, with the line when there is one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseError {
    /// 1-based line number, when the problem is on a line.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for CaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "line {l}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for CaseError {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCase {
    text: String,
    expect: String,
    #[serde(default)]
    signpost: bool,
    #[serde(default)]
    concern: bool,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    why: Option<String>,
    #[serde(default)]
    kind: Option<String>,
}

/// The outcome named by a case's `expect`.
pub fn parse_expect(s: &str) -> Option<Outcome> {
    match s {
        "publish" => Some(Outcome::Publish),
        "publish+flag" | "flag" => Some(Outcome::PublishAndFlag),
        "hold" => Some(Outcome::Hold),
        "reject" => Some(Outcome::Reject),
        _ => None,
    }
}

/// How a case file names an outcome (the inverse of [`parse_expect`]).
pub fn expect_name(o: Outcome) -> &'static str {
    match o {
        Outcome::Publish => "publish",
        Outcome::PublishAndFlag => "publish+flag",
        Outcome::Hold => "hold",
        Outcome::Reject => "reject",
    }
}

/// Parses a JSON Lines case file. Stops at the first bad line, naming it: a half-read file
/// would give misleading figures.
pub fn parse_cases(jsonl: &str) -> Result<Vec<Case>, CaseError> {
    let mut out = Vec::new();
    for (i, raw_line) in jsonl.lines().enumerate() {
        let line = i + 1;
        let trimmed = raw_line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with("//") {
            continue;
        }
        let raw: RawCase = serde_json::from_str(trimmed).map_err(|e| CaseError {
            line: Some(line),
            message: format!("not a valid case: {e}"),
        })?;
        let expect = parse_expect(&raw.expect).ok_or_else(|| CaseError {
            line: Some(line),
            message: format!(
                "unknown expect {:?} (expected publish, publish+flag, hold or reject)",
                raw.expect
            ),
        })?;
        let kind = match raw.kind.as_deref() {
            None => TextKind::Post,
            Some(k) => TextKind::parse(k).ok_or_else(|| CaseError {
                line: Some(line),
                message: format!(
                    "unknown kind {k:?} (expected {})",
                    TextKind::ALL.map(TextKind::as_str).join(", ")
                ),
            })?,
        };
        out.push(Case {
            line,
            text: raw.text,
            kind,
            expect,
            signpost: raw.signpost,
            concern: raw.concern,
            category: raw
                .category
                .filter(|c| !c.trim().is_empty())
                .unwrap_or_else(|| "uncategorised".to_string()),
            why: raw.why.unwrap_or_default(),
        });
    }
    if out.is_empty() {
        return Err(CaseError {
            line: None,
            message: "the file has no cases".to_string(),
        });
    }
    Ok(out)
}

/// What the rules did with one case.
#[derive(Clone, Debug)]
pub struct CaseResult {
    /// The case.
    pub case: Case,
    /// The rules' verdict.
    pub verdict: Verdict,
}

impl CaseResult {
    /// Whether support was shown to the author.
    pub fn signposted(&self) -> bool {
        !self.verdict.signposts.is_empty()
    }

    /// Verdict, signposting and concern all as expected.
    pub fn right(&self) -> bool {
        self.verdict.outcome == self.case.expect
            && self.signposted() == self.case.signpost
            && self.verdict.concern == self.case.concern
    }
}

/// Figures for one category.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CategoryFigures {
    /// Cases in the category.
    pub cases: usize,
    /// Cases right in every respect.
    pub right: usize,
    /// Counts of (expected, got) outcome pairs: the confusion matrix.
    pub matrix: BTreeMap<(Outcome, Outcome), usize>,
    /// Cases where support was expected and shown.
    pub signposted_as_expected: usize,
    /// Cases where a concern was expected and raised.
    pub concern_as_expected: usize,
    /// Cases expected to be published untouched that were held, flagged or rejected.
    pub over_moderated: usize,
}

/// The results of a whole run.
#[derive(Clone, Debug)]
pub struct Report {
    /// Every case with its verdict, in file order.
    pub results: Vec<CaseResult>,
    /// Figures per category, by category name.
    pub categories: BTreeMap<String, CategoryFigures>,
}

/// Runs every case through `rules` as written by an author with `author` facts.
pub fn run(rules: &RuleSet, cases: &[Case], author: AuthorFacts) -> Report {
    Report::from_results(
        cases
            .iter()
            .map(|case| CaseResult {
                case: case.clone(),
                verdict: rules.evaluate(&Submission {
                    kind: case.kind,
                    text: &case.text,
                    board: Some("general"),
                    author,
                }),
            })
            .collect(),
    )
}

/// One of issue 12's targets on a case set, as measured.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    /// What is measured (`crisis signposted and flagged`).
    pub what: &'static str,
    /// The share measured, 0 to 1.
    pub got: f64,
    /// The share to reach.
    pub target: f64,
    /// Whether `got` must be at least `target` (else at most).
    pub at_least: bool,
}

impl Target {
    /// Whether the target is met.
    pub fn met(&self) -> bool {
        if self.at_least {
            self.got >= self.target
        } else {
            self.got <= self.target
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {:.1}% (target {} {:.0}%)",
            self.what,
            100.0 * self.got,
            if self.at_least { "at least" } else { "at most" },
            100.0 * self.target
        )
    }
}

impl Report {
    /// A report over results obtained some other way (the repository's test that posts every
    /// case through the HTTP path builds its verdicts from the answers), so that both print the
    /// same table and check the same targets.
    pub fn from_results(results: Vec<CaseResult>) -> Report {
        let mut categories: BTreeMap<String, CategoryFigures> = BTreeMap::new();
        for r in &results {
            let case = &r.case;
            let f = categories.entry(case.category.clone()).or_default();
            f.cases += 1;
            f.right += usize::from(r.right());
            *f.matrix
                .entry((case.expect, r.verdict.outcome))
                .or_default() += 1;
            f.signposted_as_expected += usize::from(case.signpost && r.signposted());
            f.concern_as_expected += usize::from(case.concern && r.verdict.concern);
            f.over_moderated += usize::from(
                case.expect == Outcome::Publish && r.verdict.outcome != Outcome::Publish,
            );
        }
        Report {
            results,
            categories,
        }
    }

    /// Issue 12's targets for a categorised case set (`cases-v2.jsonl`): every crisis case
    /// signposted and at least flagged; at least 98% of identifying cases held (or rejected);
    /// at least 97% of safeguarding cases held with a concern; at most 2% of ordinary and
    /// tricky-ordinary cases held, flagged or rejected; at least 97% right overall.
    pub fn issue_targets(&self) -> Vec<Target> {
        let share = |category: &str, ok: &dyn Fn(&CaseResult) -> bool| {
            let of: Vec<&CaseResult> = self
                .results
                .iter()
                .filter(|r| r.case.category == category)
                .collect();
            ratio(of.iter().filter(|r| ok(r)).count(), of.len())
        };
        let ordinary: Vec<CategoryFigures> = ["ordinary", "tricky-ordinary"]
            .iter()
            .map(|c| self.category(c))
            .collect();
        vec![
            Target {
                what: "crisis signposted and flagged",
                got: share("crisis", &|r| {
                    r.signposted() && r.verdict.outcome >= Outcome::PublishAndFlag
                }),
                target: 1.0,
                at_least: true,
            },
            Target {
                what: "identifying held",
                got: share("identifying", &|r| r.verdict.outcome >= Outcome::Hold),
                target: 0.98,
                at_least: true,
            },
            Target {
                what: "safeguarding held with a concern",
                got: share("safeguarding", &|r| {
                    r.verdict.outcome >= Outcome::Hold && r.verdict.concern
                }),
                target: 0.97,
                at_least: true,
            },
            Target {
                what: "ordinary held, flagged or rejected",
                got: ratio(
                    ordinary.iter().map(|c| c.over_moderated).sum(),
                    ordinary.iter().map(|c| c.cases).sum(),
                ),
                target: 0.02,
                at_least: false,
            },
            Target {
                what: "right overall",
                got: self.accuracy(),
                target: 0.97,
                at_least: true,
            },
        ]
    }

    /// Cases right in every respect.
    pub fn right(&self) -> usize {
        self.results.iter().filter(|r| r.right()).count()
    }

    /// The cases that were not right, in file order.
    pub fn misses(&self) -> impl Iterator<Item = &CaseResult> {
        self.results.iter().filter(|r| !r.right())
    }

    /// The share of all cases that were right, 0 to 1 (1 when there are none).
    pub fn accuracy(&self) -> f64 {
        ratio(self.right(), self.results.len())
    }

    /// Figures for one category (all zero when it has no cases).
    pub fn category(&self, name: &str) -> CategoryFigures {
        self.categories.get(name).cloned().unwrap_or_default()
    }
}

/// `part / whole`, or 1 when there is no whole (nothing to get wrong).
pub fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        1.0
    } else {
        part as f64 / whole as f64
    }
}

fn short(o: Outcome) -> &'static str {
    match o {
        Outcome::Publish => "publish",
        Outcome::PublishAndFlag => "flag",
        Outcome::Hold => "hold",
        Outcome::Reject => "reject",
    }
}

impl fmt::Display for Report {
    /// The per-category table (with each category's expected -> got counts), the total, then
    /// every miss with its line, what was expected and why, and what the rules did.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const ALL: [Outcome; 4] = [
            Outcome::Publish,
            Outcome::PublishAndFlag,
            Outcome::Hold,
            Outcome::Reject,
        ];
        writeln!(
            f,
            "{:<18} {:>5} {:>5} {:>7}   expected -> got: publish flag hold reject",
            "category", "cases", "right", "right%"
        )?;
        for (name, c) in &self.categories {
            writeln!(
                f,
                "{:<18} {:>5} {:>5} {:>6.1}%",
                name,
                c.cases,
                c.right,
                100.0 * ratio(c.right, c.cases)
            )?;
            for want in ALL {
                let row: Vec<usize> = ALL
                    .iter()
                    .map(|&got| c.matrix.get(&(want, got)).copied().unwrap_or(0))
                    .collect();
                if row.iter().sum::<usize>() == 0 {
                    continue;
                }
                writeln!(
                    f,
                    "{:<40}{:>8} {:>7} {:>4} {:>4} {:>6}",
                    "",
                    short(want),
                    row[0],
                    row[1],
                    row[2],
                    row[3]
                )?;
            }
        }
        writeln!(
            f,
            "{:<18} {:>5} {:>5} {:>6.1}%",
            "all",
            self.results.len(),
            self.right(),
            100.0 * self.accuracy()
        )?;
        let misses: Vec<&CaseResult> = self.misses().collect();
        if !misses.is_empty() {
            writeln!(f, "\n{} miss(es):", misses.len())?;
        }
        for r in misses {
            let c = &r.case;
            let rules: Vec<&str> = r.verdict.rule_names();
            writeln!(
                f,
                "line {} [{}] {:?}\n    expected {}{}{} ({})\n    got      {}{}{}{}",
                c.line,
                c.category,
                c.text,
                expect_name(c.expect),
                if c.signpost { " +signpost" } else { "" },
                if c.concern { " +concern" } else { "" },
                if c.why.is_empty() {
                    "no reason given"
                } else {
                    &c.why
                },
                expect_name(r.verdict.outcome),
                if r.signposted() { " +signpost" } else { "" },
                if r.verdict.concern { " +concern" } else { "" },
                if rules.is_empty() {
                    String::new()
                } else {
                    format!(" by {}", rules.join("; "))
                },
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_lines_are_named() {
        let e = parse_cases("{\"text\":\"a\",\"expect\":\"publish\"}\n\n{nope}\n").unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(e.to_string().starts_with("line 3: not a valid case"), "{e}");
        let e = parse_cases("{\"text\":\"a\",\"expect\":\"held\"}").unwrap_err();
        assert_eq!(e.line, Some(1));
        assert!(e.message.contains("unknown expect \"held\""), "{e}");
        let e = parse_cases("{\"text\":\"a\",\"expect\":\"hold\",\"kind\":\"tweet\"}").unwrap_err();
        assert!(e.message.contains("unknown kind"), "{e}");
        let e = parse_cases("{\"text\":\"a\",\"expect\":\"hold\",\"colour\":1}").unwrap_err();
        assert!(e.message.contains("colour"), "{e}");
        assert!(parse_cases("\n# nothing\n").is_err());
    }

    #[test]
    fn cases_get_defaults() {
        let cases =
            parse_cases("{\"text\":\"hi\",\"expect\":\"publish+flag\",\"signpost\":true}").unwrap();
        assert_eq!(cases[0].category, "uncategorised");
        assert_eq!(cases[0].kind, TextKind::Post);
        assert_eq!(cases[0].expect, Outcome::PublishAndFlag);
        assert!(cases[0].signpost && !cases[0].concern);
    }
}
