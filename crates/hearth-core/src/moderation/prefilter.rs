//! One pass over a reading to learn which of the rules' case-insensitive patterns could match
//! it, so that only those run. The default rules have about 150 small patterns; run one by one,
//! each is a pass over every reading of every text, nearly all finding nothing, and together
//! they were about a third of an evaluation's cost.
//!
//! Every match of a pattern starts with one of a finite set of literals that `regex-syntax`
//! extracts from it (its prefixes, as written): one Aho-Corasick automaton over all those
//! literals, ignoring ASCII case, finds which appear in a reading. A pattern none of whose
//! literals appear cannot match and is skipped; a pattern with no finite set of ASCII literals
//! (one that could start with any letter, or with a digit, which Unicode has many of) always
//! runs. The literals are taken case-sensitively and matched ignoring ASCII case, because every
//! case variant of a long alternation is too many literals to extract. That is exact for ASCII
//! letters except for the two non-ASCII characters that fold to one (the long s and the Kelvin
//! sign): a text containing either runs every pattern. Skipping never changes a verdict, which
//! the tests check against running every pattern.

use aho_corasick::{AhoCorasick, MatchKind};
use regex_syntax::hir::literal::{ExtractKind, Extractor};

/// Which patterns could match a text, found in one pass.
#[derive(Debug, Clone)]
pub(crate) struct PatternFilter {
    /// The automaton over every usable literal; `None` when no pattern has literals.
    automaton: Option<AhoCorasick>,
    /// For each literal of the automaton, the pattern it came from.
    owner: Vec<usize>,
    /// Patterns that must always run (no finite set of literals).
    always: Vec<bool>,
}

impl PatternFilter {
    /// A filter for `sources`, each compiled case-insensitively (as the rules compile
    /// `patterns`). Pattern `i` of the answer's candidates is `sources[i]`.
    pub(crate) fn new(sources: &[String]) -> PatternFilter {
        let mut literals: Vec<Vec<u8>> = Vec::new();
        let mut owner = Vec::new();
        let mut always = vec![true; sources.len()];
        for (i, source) in sources.iter().enumerate() {
            let Some(prefixes) = prefixes(source) else {
                continue;
            };
            always[i] = false;
            for literal in prefixes {
                literals.push(literal);
                owner.push(i);
            }
        }
        let automaton = if literals.is_empty() {
            None
        } else {
            // Standard match semantics, so that overlapping search reports every literal.
            match AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .ascii_case_insensitive(true)
                .build(&literals)
            {
                Ok(ac) => Some(ac),
                Err(_) => {
                    // Too large to build: run every pattern, as before the filter.
                    always.iter_mut().for_each(|a| *a = true);
                    owner.clear();
                    None
                }
            }
        };
        PatternFilter {
            automaton,
            owner,
            always,
        }
    }

    /// A filter that lets every pattern run (for checking the filter against running all).
    #[cfg(test)]
    pub(crate) fn everything(count: usize) -> PatternFilter {
        PatternFilter {
            automaton: None,
            owner: Vec::new(),
            always: vec![true; count],
        }
    }

    /// For each pattern, whether it could match `text`.
    pub(crate) fn candidates(&self, text: &str) -> Vec<bool> {
        // The characters outside ASCII that case-insensitive matching folds onto ASCII letters
        // (U+017F to `s`, U+212A to `k`): the automaton ignores only ASCII case.
        if text.contains(['\u{17f}', '\u{212a}']) {
            return vec![true; self.always.len()];
        }
        let mut out = self.always.clone();
        if let Some(ac) = &self.automaton {
            for m in ac.find_overlapping_iter(text) {
                if let Some(&p) = self.owner.get(m.pattern().as_usize()) {
                    out[p] = true;
                }
            }
        }
        out
    }
}

/// The literals (as written, all ASCII) that every match of `source` starts with, up to ASCII
/// case, or `None` when there is no finite set of them, one is empty (a match could start
/// anywhere) or one is not ASCII.
fn prefixes(source: &str) -> Option<Vec<Vec<u8>>> {
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(source)
        .ok()?;
    let seq = Extractor::new()
        .kind(ExtractKind::Prefix)
        .limit_total(1000)
        .extract(&hir);
    let literals = seq.literals()?;
    if literals.is_empty()
        || literals
            .iter()
            .any(|l| l.as_bytes().is_empty() || !l.as_bytes().is_ascii())
    {
        return None;
    }
    Some(literals.iter().map(|l| l.as_bytes().to_vec()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_patterns_that_could_match_and_always_runs_the_open_ones() {
        let filter = PatternFilter::new(&[
            r"\bkill(ing)? myself\b".to_owned(),
            r"\bsnap(chat)?\b".to_owned(),
            r"\w+ prison".to_owned(),
        ]);
        assert_eq!(
            filter.candidates("i want to kill myself"),
            vec![true, false, true]
        );
        assert_eq!(filter.candidates("my snapchat"), vec![false, true, true]);
        // Case does not matter, nor the two characters that fold onto ASCII letters.
        assert_eq!(filter.candidates("KILL MYSELF"), vec![true, false, true]);
        assert_eq!(
            filter.candidates("\u{212a}ill myself"),
            vec![true, true, true]
        );
    }
}
