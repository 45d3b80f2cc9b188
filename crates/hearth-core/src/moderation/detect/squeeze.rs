//! Readings of a text with some characters taken out, for detectors that people defeat by
//! spacing or dotting things out (`W S 1 3 D G`, `j a n e t @ e x a m p l e . o r g`,
//! `D.a.n.n.y`). Each keeps, for every byte, the byte range of the text it came from.

/// A text with some characters removed, and a map back.
struct Squeezed {
    text: String,
    map: Vec<(usize, usize)>,
}

impl Squeezed {
    fn original_span(&self, start: usize, end: usize) -> (usize, usize) {
        if self.map.is_empty() || start >= end {
            return (0, 0);
        }
        let last = self.map.len() - 1;
        let s = self.map[start.min(last)].0;
        let e = self.map[end.saturating_sub(1).min(last)].1;
        (s, e.max(s))
    }
}

/// Runs `find` on `text` and, when `squeeze` changes it, on the squeezed reading too; returns
/// the spans of both in `text`, sorted and without repeats.
pub(crate) fn also_squeezed(
    text: &str,
    squeeze: fn(&str) -> Option<Vec<bool>>,
    find: impl Fn(&str) -> Vec<(usize, usize)>,
) -> Vec<(usize, usize)> {
    let mut out = find(text);
    if let Some(remove) = squeeze(text) {
        let mut sq = Squeezed {
            text: String::with_capacity(text.len()),
            map: Vec::with_capacity(text.len()),
        };
        for ((i, c), gone) in text.char_indices().zip(remove) {
            if !gone {
                sq.text.push(c);
                sq.map
                    .extend(std::iter::repeat_n((i, i + c.len_utf8()), c.len_utf8()));
            }
        }
        let mut extra: Vec<(usize, usize)> = find(&sq.text)
            .into_iter()
            .map(|(s, e)| sq.original_span(s, e))
            .collect();
        extra.sort_unstable();
        out.sort_unstable();
        out = super::links::merge_spans(out, extra);
    }
    out
}

/// Length of the run of letters and digits each character is in (0 for others).
fn run_lengths(chars: &[char]) -> Vec<usize> {
    let mut out = vec![0; chars.len()];
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_alphanumeric() {
            let start = i;
            while i < chars.len() && chars[i].is_alphanumeric() {
                i += 1;
            }
            for v in &mut out[start..i] {
                *v = i - start;
            }
        } else {
            i += 1;
        }
    }
    out
}

/// Spaces between single characters (`W S 1 3`), and spaces next to `@` or `.` between two
/// words (`marie_p @ example . org`), are taken out. `None` when nothing would change.
pub(crate) fn despaced(text: &str) -> Option<Vec<bool>> {
    let chars: Vec<char> = text.chars().collect();
    let runs = run_lengths(&chars);
    let mut remove = vec![false; chars.len()];
    let mut any = false;
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == ' ' {
            let start = i;
            while i < chars.len() && chars[i] == ' ' {
                i += 1;
            }
            let (Some(&l), Some(&r)) = (
                start.checked_sub(1).and_then(|k| chars.get(k)),
                chars.get(i),
            ) else {
                continue;
            };
            let single = runs[start - 1] == 1 && runs.get(i) == Some(&1);
            let symbol = matches!(l, '@' | '.') || matches!(r, '@' | '.');
            if (single || symbol) && i - start <= 3 {
                for v in &mut remove[start..i] {
                    *v = true;
                }
                any = true;
            }
        } else {
            i += 1;
        }
    }
    any.then_some(remove)
}

/// Dots, hyphens, stars or underscores between single letters of a word written out letter by
/// letter (`D.a.n.n.y`, `R-e-e-v-e-s`) are taken out. `None` when nothing would change.
pub(crate) fn undotted(text: &str) -> Option<Vec<bool>> {
    let chars: Vec<char> = text.chars().collect();
    let runs = run_lengths(&chars);
    let mut remove = vec![false; chars.len()];
    let mut any = false;
    let mut i = 0;
    while i < chars.len() {
        // A run: letter, sep, letter, sep, letter... with the same separator.
        if chars[i].is_alphabetic() && runs[i] == 1 {
            let sep = chars.get(i + 1).copied();
            if let Some(sep @ ('.' | '-' | '*' | '_')) = sep {
                let mut j = i;
                let mut letters = 1;
                while chars.get(j + 1) == Some(&sep)
                    && chars.get(j + 2).is_some_and(|c| c.is_alphabetic())
                    && runs[j + 2] == 1
                {
                    j += 2;
                    letters += 1;
                }
                if letters >= 3 {
                    let mut k = i + 1;
                    while k < j {
                        remove[k] = true;
                        k += 2;
                    }
                    any = true;
                }
                i = j + 1;
                continue;
            }
        }
        i += 1;
    }
    any.then_some(remove)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(text: &str, f: fn(&str) -> Option<Vec<bool>>) -> String {
        match f(text) {
            None => text.to_string(),
            Some(r) => text
                .chars()
                .zip(r)
                .filter(|(_, g)| !g)
                .map(|(c, _)| c)
                .collect(),
        }
    }

    #[test]
    fn squeezes() {
        assert_eq!(apply("W S 1  3 D G is it", despaced), "WS13DG is it");
        assert_eq!(
            apply("j a n e t 7 @ e x . o r g drop", despaced),
            "janet7@ex.org drop"
        );
        assert_eq!(
            apply("marie_p @ example . org, x", despaced),
            "marie_p@example.org, x"
        );
        assert_eq!(apply("I am a cat", despaced), "I am a cat");
        assert_eq!(
            apply("D.a.n.n.y R.e.e.v.e.s, dotted", undotted),
            "Danny Reeves, dotted"
        );
        assert_eq!(apply("e.g. a.m. U.K.", undotted), "e.g. a.m. U.K.");
        assert_eq!(apply("b-a-d", undotted), "bad");
    }
}
