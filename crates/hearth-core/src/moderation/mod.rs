//! The moderation rules engine: decides, for each piece of member text, whether it publishes,
//! publishes and is flagged, is held for review, or is rejected.
//!
//! The rules live in a TOML file (`moderation-rules.toml`) that a moderator can read and edit;
//! that file documents the format in its comments. [`RuleSet::parse`] compiles it once (word
//! lists, regexes and the built-in detectors), reporting every problem with its line number, and
//! [`RuleSet::evaluate`] runs it over a [`Submission`] without further allocation of patterns.
//!
//! How a verdict is combined: every rule that applies to the submission (kind of text, board,
//! author conditions) and matches something fires; the most severe action wins (reject > hold >
//! flag > publish); every hit is kept with its byte span in the original text so a moderator can
//! see it highlighted; messages, signposts and the concern flag are gathered from all fired rules.
//!
//! Moderators and admins are never held by new-member rules (`until_approved_posts`), and any
//! rule can exempt them with `skip_staff = true`. All other rules, personal-data rules included,
//! apply to staff too: a phone number in a moderator's post identifies someone just as well.

mod config;
pub mod corpus;
mod detect;
mod engine;
mod normalise;
mod prefilter;
mod readable;
mod types;
mod words;

pub use config::RuleProblem;
pub use detect::Detector;
pub use readable::readable_text;
pub use types::{
    Action, AuthorFacts, Matcher, Outcome, ReadyReason, RuleHit, RuleSummary, Signpost, Submission,
    TextKind, Verdict,
};

use detect::Detectors;
use engine::CompiledRule;
use prefilter::PatternFilter;
use words::WordList;

/// A compiled, checked rule file, ready to evaluate submissions. Cheap to share behind an `Arc`
/// and swap on reload.
#[derive(Debug, Clone)]
pub struct RuleSet {
    rules: Vec<CompiledRule>,
    summaries: Vec<RuleSummary>,
    signposts: Vec<Signpost>,
    ready_reasons: Vec<ReadyReason>,
    allow: Option<WordList>,
    detectors: Detectors,
    /// Which rules' patterns could match a reading, in one pass (see [`prefilter`]).
    filter: PatternFilter,
}

impl RuleSet {
    /// Parses and compiles a rule file. On failure returns every problem found, each with its
    /// line number where one is known, sorted by line.
    pub fn parse(toml_text: &str) -> Result<RuleSet, Vec<RuleProblem>> {
        let detectors = Detectors::new().map_err(|e| {
            vec![RuleProblem {
                line: None,
                message: format!("internal error: a built-in detector did not compile: {e}"),
            }]
        })?;
        let mut parsed = config::parse(toml_text)?;
        let mut sources = Vec::new();
        for rule in &mut parsed.rules {
            rule.pattern_ids = rule
                .patterns
                .iter()
                .map(|p| {
                    sources.push(p.as_str().to_owned());
                    sources.len() - 1
                })
                .collect();
        }
        Ok(RuleSet {
            filter: PatternFilter::new(&sources),
            rules: parsed.rules,
            summaries: parsed.summaries,
            signposts: parsed.signposts,
            ready_reasons: parsed.ready_reasons,
            allow: parsed.allow,
            detectors,
        })
    }

    /// Runs every rule over `input` and combines what fired. Never fails and never panics: any
    /// text at all gets a verdict. The rules read the text as readers will see it
    /// ([`readable_text`]: rendered Markdown for posts, entities decoded, invisible characters
    /// removed, handles split into words), so markup cannot hide anything from them; hits are
    /// reported at their place in `input.text` as typed.
    pub fn evaluate(&self, input: &Submission<'_>) -> Verdict {
        engine::evaluate(
            &self.rules,
            &self.signposts,
            self.allow.as_ref(),
            &self.detectors,
            &self.filter,
            input,
        )
    }

    /// The same rules with every pattern run on every reading, as before the filter: the
    /// tests compare verdicts with and without it.
    #[cfg(test)]
    pub(crate) fn without_filter(&self) -> RuleSet {
        let count = self.rules.iter().map(|r| r.patterns.len()).sum();
        RuleSet {
            filter: PatternFilter::everything(count),
            ..self.clone()
        }
    }

    /// Whether a verdict for an author with `role` can depend on how many of their posts were
    /// approved (a new-member rule, `until_approved_posts`, that could apply to them). When it
    /// cannot, callers need not count them: [`AuthorFacts::approved_posts`] is then ignored.
    pub fn needs_approved_posts(&self, role: crate::policy::Role) -> bool {
        role < crate::policy::Role::Moderator
            && self.rules.iter().any(|r| r.until_approved_posts.is_some())
    }

    /// The ready-made rejection reasons moderators pick from.
    pub fn ready_reasons(&self) -> &[ReadyReason] {
        &self.ready_reasons
    }

    /// The rules as the admin's "active rules" view shows them, in file order.
    pub fn rules(&self) -> &[RuleSummary] {
        &self.summaries
    }

    /// Every signpost the file defines, by name.
    pub fn signposts(&self) -> &[Signpost] {
        &self.signposts
    }
}

#[cfg(test)]
mod tests;
