//! Running compiled rules over one submission and combining what fired into a [`Verdict`].

use regex::Regex;

use super::detect::{Detector, DetectorCache, Detectors};
use super::normalise::Normalised;
use super::prefilter::PatternFilter;
use super::readable::Readable;
use super::types::{Action, Matcher, Outcome, RuleHit, Signpost, Submission, TextKind, Verdict};
use super::words::WordList;
use crate::policy::Role;

/// At most this many hits are kept per rule, so a pasted phone book cannot bloat the stored
/// verdict; the rule has fired either way.
pub(crate) const MAX_HITS_PER_RULE: usize = 100;

/// A rule, compiled and checked.
#[derive(Debug, Clone)]
pub(crate) struct CompiledRule {
    pub name: String,
    pub action: Action,
    pub words: Option<WordList>,
    pub patterns: Vec<Regex>,
    /// Each of `patterns`' index in the rule set's [`PatternFilter`], set when the set is built.
    pub pattern_ids: Vec<usize>,
    pub case_sensitive_patterns: Vec<Regex>,
    pub detect: Vec<Detector>,
    pub everything: bool,
    pub except: Option<WordList>,
    pub kinds: Vec<TextKind>,
    pub skip_kinds: Vec<TextKind>,
    /// Lower-cased board names.
    pub boards: Vec<String>,
    /// Lower-cased board names.
    pub skip_boards: Vec<String>,
    pub until_approved_posts: Option<u32>,
    pub skip_staff: bool,
    pub message: Option<String>,
    /// Indexes into the rule set's signposts.
    pub signposts: Vec<usize>,
    pub concern: bool,
    /// A hit puts the text in the moderators' urgent (crisis) lane.
    pub urgent: bool,
}

impl CompiledRule {
    /// Whether this rule looks at this submission at all (kind, board, author conditions).
    fn applies(&self, sub: &Submission<'_>) -> bool {
        let staff = sub.author.role >= Role::Moderator;
        if !self.kinds.is_empty() && !self.kinds.contains(&sub.kind) {
            return false;
        }
        if self.skip_kinds.contains(&sub.kind) {
            return false;
        }
        let board = sub.board.map(|b| b.trim().to_lowercase());
        if !self.boards.is_empty() && !board.as_ref().is_some_and(|b| self.boards.contains(b)) {
            return false;
        }
        if board.as_ref().is_some_and(|b| self.skip_boards.contains(b)) {
            return false;
        }
        if let Some(n) = self.until_approved_posts {
            // New-member rules never hold moderators or admins.
            if staff || sub.author.approved_posts >= n {
                return false;
            }
        }
        !(self.skip_staff && staff)
    }
}

/// Original-text spans of a word list's matches, over every reading of the text.
fn word_spans(list: &WordList, readings: &[Normalised]) -> Vec<(usize, usize)> {
    readings
        .iter()
        .flat_map(|n| list.find_iter(n).map(|(s, e)| n.original_span(s, e)))
        .collect()
}

/// Whether a hit touches an allowed phrase (then it does not count).
fn touches(span: (usize, usize), allowed: &[(usize, usize)]) -> bool {
    allowed.iter().any(|&(s, e)| span.0 < e && s < span.1)
}

/// Runs `rules` over `sub` and combines what fired.
pub(crate) fn evaluate(
    rules: &[CompiledRule],
    signposts: &[Signpost],
    allow: Option<&WordList>,
    detectors: &Detectors,
    filter: &PatternFilter,
    sub: &Submission<'_>,
) -> Verdict {
    // Every rule reads what readers will see (each reading of it); hits are mapped back to
    // the source as typed.
    let source = sub.text;
    struct Reading {
        readable: Readable,
        readings: Vec<Normalised>,
        /// For each reading, which patterns could match it.
        candidates: Vec<Vec<bool>>,
        cache: DetectorCache,
        allowed: Vec<(usize, usize)>,
    }
    let mut views: Vec<Reading> = Readable::all(source, sub.kind)
        .into_iter()
        .map(|readable| {
            let readings = Normalised::readings(&readable.text);
            let allowed = allow.map(|a| word_spans(a, &readings)).unwrap_or_default();
            let candidates = readings
                .iter()
                .map(|n| filter.candidates(&n.text))
                .collect();
            Reading {
                readable,
                readings,
                candidates,
                cache: DetectorCache::default(),
                allowed,
            }
        })
        .collect();

    let mut verdict = Verdict::publish();
    let mut fired: Vec<&CompiledRule> = Vec::new();
    for rule in rules.iter().filter(|r| r.applies(sub)) {
        let mut all_found: Vec<(Matcher, (usize, usize))> = Vec::new();
        for view in &mut views {
            let text = view.readable.text.as_str();
            let readings = &view.readings;
            let mut found: Vec<(Matcher, (usize, usize))> = Vec::new();
            if let Some(words) = &rule.words {
                found.extend(
                    word_spans(words, readings)
                        .into_iter()
                        .map(|s| (Matcher::Words, s)),
                );
            }
            for (p, &id) in rule.patterns.iter().zip(&rule.pattern_ids) {
                for (n, could) in readings.iter().zip(&view.candidates) {
                    if !could.get(id).copied().unwrap_or(true) {
                        continue;
                    }
                    found.extend(
                        p.find_iter(&n.text)
                            .filter(|m| !m.is_empty())
                            .map(|m| (Matcher::Pattern, n.original_span(m.start(), m.end()))),
                    );
                }
            }
            for p in &rule.case_sensitive_patterns {
                found.extend(
                    p.find_iter(text)
                        .filter(|m| !m.is_empty())
                        .map(|m| (Matcher::CaseSensitivePattern, (m.start(), m.end()))),
                );
            }
            for &d in &rule.detect {
                found.extend(
                    view.cache
                        .get(detectors, d, text)
                        .iter()
                        .map(|&s| (Matcher::from(d), s)),
                );
            }
            let except: Vec<(usize, usize)> = rule
                .except
                .as_ref()
                .map(|e| word_spans(e, readings))
                .unwrap_or_default();
            found.retain(|&(_, span)| !touches(span, &view.allowed) && !touches(span, &except));
            all_found.extend(
                found
                    .into_iter()
                    .map(|(m, span)| (m, view.readable.original_span(span.0, span.1))),
            );
        }
        let mut found = all_found;
        found.sort_by_key(|&(_, span)| span);
        found.dedup();
        if rule.everything {
            found.insert(0, (Matcher::Everything, (0, 0)));
        }
        if found.is_empty() {
            continue;
        }
        found.truncate(MAX_HITS_PER_RULE);
        for (matcher, (s, e)) in found {
            verdict.hits.push(RuleHit {
                rule: rule.name.clone(),
                action: rule.action,
                matcher,
                matched: source.get(s..e).unwrap_or_default().to_string(),
                start: s,
                end: e,
                part: None,
            });
        }
        fired.push(rule);
    }

    for rule in &fired {
        verdict.outcome = verdict.outcome.max(Outcome::from(rule.action));
        verdict.concern |= rule.concern;
        verdict.urgent |= rule.urgent;
        for &i in &rule.signposts {
            if let Some(sp) = signposts.get(i)
                && !verdict.signposts.iter().any(|s| s.name == sp.name)
            {
                verdict.signposts.push(sp.clone());
            }
        }
    }
    // Most severe first; the sort is stable, so rule-file order is kept within a severity.
    fired.sort_by_key(|r| std::cmp::Reverse(r.action));
    // A rejected text is not stored, so a hold's message ("a moderator will read it first")
    // would mislead; rejecting and flagging rules' messages (crisis support) still apply.
    let rejected = verdict.outcome == Outcome::Reject;
    for rule in fired {
        if rejected && rule.action == super::types::Action::Hold {
            continue;
        }
        if let Some(m) = &rule.message
            && !verdict.author_messages.contains(m)
        {
            verdict.author_messages.push(m.clone());
        }
    }
    verdict
}
