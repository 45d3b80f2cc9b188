//! Named courts, schools, prisons and police stations (`Cardiff Crown Court`,
//! `St Mary's Primary`, `HMP Parc`): they can identify a case, a child or a family.
//!
//! A place needs a capitalised name before the kind of place; generic words (`the`, `my`,
//! `local`, `Open`, days of the week) are not names, so "the Crown Court" and "my Primary School"
//! pass. Places a pattern cannot know (a town's only school, a local landmark) belong in a
//! rule's `words` list.

use regex::Regex;

/// Capitalised words that do not name a place on their own.
const NOT_PLACE_NAMES: &[&str] = &[
    "the",
    "a",
    "an",
    "at",
    "in",
    "on",
    "to",
    "from",
    "by",
    "near",
    "our",
    "my",
    "his",
    "her",
    "their",
    "your",
    "its",
    "local",
    "old",
    "new",
    "open",
    "closed",
    "category",
    "cat",
    "sixth",
    "form",
    "women's",
    "womens",
    "women’s",
    "men's",
    "mens",
    "men’s",
    "female",
    "male",
    "private",
    "state",
    "public",
    "this",
    "that",
    "which",
    "same",
    "different",
    "big",
    "little",
    "nearest",
    "nearby",
    "sunday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "primary",
    "secondary",
    "junior",
    "infant",
    "infants",
    "high",
    "catholic",
    "church",
    "crown",
    "magistrates",
    "magistrates'",
    "magistrates’",
    "county",
    "family",
    "youth",
    "and",
    "or",
    "but",
    "i",
    "when",
    "after",
    "before",
    "then",
    "so",
    "if",
    "he",
    "she",
    "they",
    "we",
    "you",
    "it",
    "is",
    "was",
    "every",
    "any",
    "some",
    "no",
    "one",
    "first",
    "last",
    "next",
    "main",
    "dear",
    "hi",
    "at",
    "went",
    "go",
    "goes",
    "until",
    "while",
    "since",
    "because",
    "both",
    "day",
    "boarding",
    "special",
    "grammar",
    "comprehensive",
    "community",
];

/// The compiled place patterns.
#[derive(Debug, Clone)]
pub(crate) struct PlaceDetector {
    named: Regex,
    hmp: Regex,
}

impl PlaceDetector {
    /// Compiles the patterns (fixed strings: tested below, so this does not fail in practice).
    pub fn new() -> Result<PlaceDetector, regex::Error> {
        let name = r"(?:\p{Lu}[\p{L}'’.-]*\s+){1,4}";
        let kinds = concat!(
            r"(?:(?:Crown|Magistrates['’]?|County|Family|Youth|Combined|Coroner['’]?s|Sheriff|Civil\s+Justice|Law)\s+Courts?",
            r"|Court\s+Centre|Justice\s+Centre",
            r"|(?:Primary|Secondary|Junior|Infants?|Nursery|High|Grammar|Comprehensive|Community|Church|Catholic|Middle|Upper|Prep|Preparatory)(?:\s+(?:School|Academy|College))?",
            r"|School|Academy|College",
            r"|Prison|Young\s+Offenders['’]?\s+Institution|YOI",
            r"|Police\s+Station)",
        );
        Ok(PlaceDetector {
            named: Regex::new(&format!(r"\b({name}){kinds}\b"))?,
            hmp: Regex::new(
                r"\b(?:HMP(?:\s*/?\s*YOI)?|HM\s+Prison|HMYOI)\s+\p{Lu}[\p{L}'’-]+(?:\s+\p{Lu}[\p{L}'’-]+)?",
            )?,
        })
    }

    /// Byte ranges of named places in `text`.
    pub fn find(&self, text: &str) -> Vec<(usize, usize)> {
        let mut out: Vec<(usize, usize)> = Vec::new();
        for c in self.named.captures_iter(text) {
            let (Some(all), Some(name)) = (c.get(0), c.get(1)) else {
                continue;
            };
            // Skip generic leading words; what is left must still name something.
            let mut start = None;
            for w in name.as_str().split_whitespace() {
                let offset = w.as_ptr() as usize - name.as_str().as_ptr() as usize;
                let k = w.to_lowercase();
                let k = k.trim_end_matches('.');
                if start.is_none() && !NOT_PLACE_NAMES.contains(&k) && k != "st" && k != "saint" {
                    start = Some(name.start() + offset);
                } else if start.is_none() && (k == "st" || k == "saint") {
                    // "St Mary's": keep the St with the saint's name that follows.
                    start = Some(name.start() + offset);
                }
            }
            if let Some(s) = start {
                let leading = &text[s..name.end()];
                let only_saint = leading
                    .split_whitespace()
                    .all(|w| matches!(w.to_lowercase().trim_end_matches('.'), "st" | "saint"));
                if !only_saint {
                    out.push((s, all.end()));
                }
            }
        }
        for m in self.hmp.find_iter(text) {
            if !out.iter().any(|&(s, e)| m.start() < e && s < m.end()) {
                out.push((m.start(), m.end()));
            }
        }
        out.sort_unstable();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places() {
        let d = PlaceDetector::new().unwrap();
        let table: &[(&str, &[&str])] = &[
            (
                "My husband's case is at Cardiff Crown Court next month.",
                &["Cardiff Crown Court"],
            ),
            (
                "She goes to St Mary's Primary and the police came there.",
                &["St Mary's Primary"],
            ),
            ("Hillside Primary School", &["Hillside Primary School"]),
            (
                "The Newport Magistrates' Court",
                &["Newport Magistrates' Court"],
            ),
            ("Bridgend Police Station", &["Bridgend Police Station"]),
            ("he is in HMP Parc now", &["HMP Parc"]),
            ("Moved to Prescoed Prison", &["Prescoed Prison"]),
            ("Ysgol Gyfun Academy", &["Ysgol Gyfun Academy"]),
            ("the case went to the Crown Court", &[]),
            ("The Crown Court was awful", &[]),
            ("At Crown Court he pleaded guilty", &[]),
            ("my Primary School days", &[]),
            ("he is in prison and I visit", &[]),
            ("He's in an Open Prison now", &[]),
            ("Sunday School was his thing", &[]),
            ("The probation officer was kinder than I expected.", &[]),
            ("I'm in Wales, is anyone else?", &[]),
        ];
        for (text, want) in table {
            let got: Vec<&str> = d.find(text).into_iter().map(|(s, e)| &text[s..e]).collect();
            assert_eq!(got, *want, "{text:?}");
        }
    }
}
