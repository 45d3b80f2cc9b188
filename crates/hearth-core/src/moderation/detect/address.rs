//! UK postcodes and street addresses.

use regex::Regex;

/// Road words an address ends in. Matched in any case.
const STREET_WORDS: &str = "street|st|road|rd|avenue|ave|lane|ln|close|drive|dr|way|crescent|cres|terrace|place|court|ct|gardens|gdns|grove|hill|park|square|sq|mews|row|walk|view|rise|green|parade|boulevard|croft|fields|meadow|meadows|vale|wharf|gate|yard|chase|estate";

/// Road words strong enough to count even when the street name is typed in lower case.
const STRONG_STREET_WORDS: &str =
    "street|road|avenue|lane|crescent|terrace|gardens|mews|grove|close";

/// Lower-case words that, before a road word, mean "not a street name" (`a 15 minute walk`).
const NOT_STREET_NAMES: &[&str] = &[
    "minute",
    "minutes",
    "min",
    "mins",
    "hour",
    "hours",
    "day",
    "days",
    "week",
    "weeks",
    "month",
    "months",
    "year",
    "years",
    "mile",
    "miles",
    "km",
    "more",
    "other",
    "lane",
    "long",
    "busy",
    "quiet",
    "main",
    "different",
    "new",
    "old",
    "of",
    "the",
    "a",
    "an",
    "and",
    "or",
    "to",
    "in",
    "on",
    "at",
    "times",
    "people",
    "cars",
    "houses",
    "doors",
    "steps",
    "kids",
    "way",
    "ways",
    "car",
    "bus",
    "buses",
    "lorry",
    "lorries",
    "dual",
    "country",
    "back",
    "side",
    "dead",
    "end",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
];

/// The compiled postcode and address patterns.
#[derive(Debug, Clone)]
pub(crate) struct AddressDetectors {
    postcode: Regex,
    address_caps: Regex,
    address_lower: Regex,
    lives_on: Regex,
}

impl AddressDetectors {
    /// Compiles the patterns (fixed strings: tested below, so this does not fail in practice).
    pub fn new() -> Result<AddressDetectors, regex::Error> {
        Ok(AddressDetectors {
            // Outward code, optional space, inward code (whose letters never use C I K M O V).
            postcode: Regex::new(r"(?i)\b[a-z]{1,2}[0-9][a-z0-9]? ?[0-9][abd-hjlnp-uw-z]{2}\b")?,
            address_caps: Regex::new(&format!(
                r"\b(?:(?i:flat|apartment|apt|unit|room)\s+[0-9]+[A-Za-z]?,?\s+)?[0-9]{{1,4}}[A-Za-z]?,?\s+(?:[A-Z][A-Za-z'’-]+\s+){{1,3}}(?i:{STREET_WORDS})\b"
            ))?,
            address_lower: Regex::new(&format!(
                r"(?i)\b(?:(?:flat|apartment|apt|unit)\s+[0-9]+[a-z]?,?\s+)?[0-9]{{1,4}}[a-z]?,?\s+((?:[a-z][a-z'’-]+\s+){{1,2}})(?:{STRONG_STREET_WORDS})\b"
            ))?,
            // No house number, but where someone lives: "we're on mill lane", "he lives on
            // Station Road".
            lives_on: Regex::new(&format!(
                r"(?i)\b(?:live|lives|living|lived|we're|we are|were|i'm|im|he's|hes|she's|shes|they're|theyre|moved|staying|stays|house is|home is)\s+(?:on|in|to|at)\s+((?:[a-z][a-z'’-]+\s+){{1,2}})(?:{STRONG_STREET_WORDS})\b"
            ))?,
        })
    }

    /// UK postcodes, with or without the space, in any case.
    pub fn postcodes(&self, text: &str) -> Vec<(usize, usize)> {
        self.postcode
            .find_iter(text)
            .map(|m| (m.start(), m.end()))
            .collect()
    }

    /// Street addresses: a house number, a street name and a road word (`42 Acacia Avenue`,
    /// `Flat 3, 12 Mill Lane`).
    pub fn addresses(&self, text: &str) -> Vec<(usize, usize)> {
        let mut out: Vec<(usize, usize)> = self
            .address_caps
            .find_iter(text)
            .map(|m| (m.start(), m.end()))
            .collect();
        for c in self.address_lower.captures_iter(text) {
            let (Some(m), Some(name)) = (c.get(0), c.get(1)) else {
                continue;
            };
            if out.iter().any(|&(s, e)| m.start() < e && s < m.end()) {
                continue;
            }
            let plain = name
                .as_str()
                .split_whitespace()
                .all(|w| !NOT_STREET_NAMES.contains(&w.to_lowercase().as_str()));
            if plain {
                out.push((m.start(), m.end()));
            }
        }
        for c in self.lives_on.captures_iter(text) {
            let (Some(m), Some(name)) = (c.get(0), c.get(1)) else {
                continue;
            };
            let plain = name
                .as_str()
                .split_whitespace()
                .all(|w| !NOT_STREET_NAMES.contains(&w.to_lowercase().as_str()));
            if plain && !out.iter().any(|&(s, e)| name.start() < e && s < m.end()) {
                out.push((name.start(), m.end()));
            }
        }
        out.sort_unstable();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts<'a>(text: &'a str, spans: &[(usize, usize)]) -> Vec<&'a str> {
        spans.iter().map(|&(s, e)| &text[s..e]).collect()
    }

    #[test]
    fn postcodes() {
        let d = AddressDetectors::new().unwrap();
        let table: &[(&str, &[&str])] = &[
            ("We moved to CF10 3AT last year.", &["CF10 3AT"]),
            ("we live near sw1a1aa now", &["sw1a1aa"]),
            ("M1 1AE", &["M1 1AE"]),
            ("b33 8th", &["b33 8th"]),
            ("EC1A 1BB.", &["EC1A 1BB"]),
            ("I scored 07 out of 10", &[]),
            ("It's 2 a.m.", &[]),
            ("the A1 was closed", &[]),
            ("He got 7 years in 2019", &[]),
            ("my son is 14", &[]),
        ];
        for (text, want) in table {
            assert_eq!(texts(text, &d.postcodes(text)), *want, "{text:?}");
        }
    }

    #[test]
    fn addresses() {
        let d = AddressDetectors::new().unwrap();
        let table: &[(&str, &[&str])] = &[
            (
                "We're at 42 Acacia Avenue, if anyone is nearby.",
                &["42 Acacia Avenue"],
            ),
            (
                "Flat 3, 12 Mill Lane is where it happened.",
                &["Flat 3, 12 Mill Lane"],
            ),
            ("7b Old Church Road", &["7b Old Church Road"]),
            ("we're at 42 acacia avenue", &["42 acacia avenue"]),
            ("It is a 15 minute walk from here", &[]),
            ("a 10 minute drive away", &[]),
            ("3 long days in court", &[]),
            ("it took 2 busy lane road trips", &[]),
            ("I walked 5 miles down the road", &[]),
            ("He got 7 years", &[]),
            ("we're on mill lane, the house with", &["mill lane"]),
            ("he lives on Station Road now", &["Station Road"]),
            ("we live on a busy road", &[]),
            ("I'm in the lane behind", &[]),
        ];
        for (text, want) in table {
            assert_eq!(texts(text, &d.addresses(text)), *want, "{text:?}");
        }
    }
}
