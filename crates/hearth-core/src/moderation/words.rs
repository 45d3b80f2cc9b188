//! Word and phrase lists, compiled into one regular expression over the normalised text.
//!
//! Each entry is normalised the same way as member text, then every letter becomes "one or more
//! of that letter" (so `diiisgusting` still matches `disgusting`), words of a phrase may be
//! joined by a space or nothing (`self harm` matches `self-harm`, `self harm` and `selfharm`),
//! and a trailing `*` on a word allows any ending (`harm*` matches `harming`). The whole entry
//! must sit between word boundaries, so `ass` never fires on `class` nor `rapist` on `therapist`.

use regex::Regex;

use super::normalise::Normalised;

/// A compiled word list.
#[derive(Debug, Clone)]
pub(crate) struct WordList {
    regex: Regex,
}

/// Why a word-list entry could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WordError {
    /// The entry has no letters or digits once normalised.
    Empty,
    /// The compiled list is too big (only with absurdly long lists).
    TooBig(String),
}

/// Turns one entry into a regex fragment, or `None` when nothing is left of it.
pub(crate) fn entry_pattern(entry: &str) -> Option<String> {
    let mut words = Vec::new();
    for raw in entry.split_whitespace() {
        let wildcard = raw.ends_with('*');
        let body = raw.trim_end_matches('*');
        let normalised = Normalised::new(body).text;
        // A raw word can normalise to several words (`self-harm` -> `self harm`).
        let parts: Vec<&str> = normalised.split(' ').filter(|p| !p.is_empty()).collect();
        let count = parts.len();
        for (i, part) in parts.into_iter().enumerate() {
            let mut frag = String::new();
            for c in part.chars() {
                let mut buf = [0u8; 4];
                frag.push_str(&regex::escape(c.encode_utf8(&mut buf)));
                if c.is_alphabetic() {
                    frag.push('+');
                }
            }
            if wildcard && i + 1 == count {
                frag.push_str(r"\w*");
            }
            words.push(frag);
        }
    }
    if words.is_empty() {
        None
    } else {
        Some(words.join(" ?"))
    }
}

impl WordList {
    /// Compiles `entries`; returns, for each bad entry, its index and the problem.
    pub fn compile(entries: &[&str]) -> Result<WordList, Vec<(usize, WordError)>> {
        let mut frags = Vec::with_capacity(entries.len());
        let mut errors = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            match entry_pattern(entry) {
                Some(f) => frags.push(format!("(?:{f})")),
                None => errors.push((i, WordError::Empty)),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        // Longer alternatives first, so "end my life" wins over "end" at the same position.
        frags.sort_by_key(|f| std::cmp::Reverse(f.len()));
        let pattern = format!(r"\b(?:{})\b", frags.join("|"));
        match regex::RegexBuilder::new(&pattern)
            .size_limit(64 * 1024 * 1024)
            .build()
        {
            Ok(regex) => Ok(WordList { regex }),
            Err(e) => Err(vec![(0, WordError::TooBig(e.to_string()))]),
        }
    }

    /// Every match in the normalised text, as normalised byte ranges.
    pub fn find_iter<'a>(&'a self, n: &'a Normalised) -> impl Iterator<Item = (usize, usize)> + 'a {
        self.regex.find_iter(&n.text).map(|m| (m.start(), m.end()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hits(entries: &[&str], text: &str) -> Vec<String> {
        let list = WordList::compile(entries).unwrap();
        let mut out: Vec<String> = Vec::new();
        for n in Normalised::readings(text) {
            for (s, e) in list.find_iter(&n) {
                let (s, e) = n.original_span(s, e);
                if !out.contains(&text[s..e].to_string()) {
                    out.push(text[s..e].to_string());
                }
            }
        }
        out
    }

    #[test]
    fn whole_words_only() {
        let table: &[(&[&str], &str, &[&str])] = &[
            (&["ass"], "I'm in a class of my own", &[]),
            (&["ass"], "what an ass", &["ass"]),
            (&["rapist"], "my therapist was kind", &[]),
            (&["rapist"], "he is not a rapist", &["rapist"]),
            (&["cunt"], "Scunthorpe was where we lived", &[]),
            (&["sin", "ass"], "I assassinated my to-do list", &[]),
            (&["hell"], "hello there, shell", &[]),
        ];
        for (entries, text, want) in table {
            assert_eq!(hits(entries, text), *want, "{entries:?} on {text:?}");
        }
    }

    #[test]
    fn normalisation_tricks_still_match() {
        let table: &[(&[&str], &str, &[&str])] = &[
            (&["disgusting"], "DISGUSTING", &["DISGUSTING"]),
            (&["disgusting"], "d1sgusting", &["d1sgusting"]),
            (
                &["disgusting"],
                "d.i.s.g.u.s.t.i.n.g!",
                &["d.i.s.g.u.s.t.i.n.g"],
            ),
            (
                &["disgusting"],
                "d i s g u s t i n g",
                &["d i s g u s t i n g"],
            ),
            (
                &["disgusting"],
                "d-i-s-g-u-s-t-i-n-g",
                &["d-i-s-g-u-s-t-i-n-g"],
            ),
            (&["disgusting"], "diiiiisgussssting", &["diiiiisgussssting"]),
            (&["disgusting"], "dísgústíng", &["dísgústíng"]),
            (&["bad"], "b@d", &["b@d"]),
            (&["best"], "b3st", &["b3st"]),
            (&["self harm*"], "self-harming again", &["self-harming"]),
            (&["self harm*"], "selfharm", &["selfharm"]),
            (&["self harm*"], "self   harmed", &["self   harmed"]),
            (&["can't go on"], "i cant go on", &["cant go on"]),
            (&["can't go on"], "I can’t go on", &["can’t go on"]),
            (&["end my life"], "want to END MY LIFE.", &["END MY LIFE"]),
            (&["enabler"], "enab1er", &["enab1er"]),
            (&["kill"], "k1ll", &["k1ll"]),
        ];
        for (entries, text, want) in table {
            assert_eq!(hits(entries, text), *want, "{entries:?} on {text:?}");
        }
    }

    #[test]
    fn empty_entries_are_reported() {
        let err = WordList::compile(&["fine", "  ", "***", "ok"]).unwrap_err();
        assert_eq!(err, vec![(1, WordError::Empty), (2, WordError::Empty)]);
    }
}
