//! Text normalisation for word lists and patterns, keeping a map back to the original text.
//!
//! People dodge word lists with capitals, accents, look-alike digits (`d1sgusting`), separators
//! inside words (`d.i.s.g.u.s.t`) and stretched letters (`diiisgusting`). We undo these once per
//! submission, producing a lower-case text of words joined by single spaces, and remember for
//! every byte of that text which bytes of the original it came from, so that a hit can be
//! highlighted where the author actually typed it.
//!
//! The steps, in order:
//! 1. NFKD, then drop combining marks (`café` -> `cafe`, full-width letters -> ASCII), lower case;
//!    curly apostrophes become `'`.
//! 2. Split into words: letters and digits, plus `@ $` next to a letter or digit and `! |` between
//!    two. An apostrophe between two letters is dropped (`can't` -> `cant`); anything else is a
//!    separator.
//! 3. A word with more letters than digits has its look-alikes mapped (`0->o 1->i 3->e 4->a 5->s
//!    7->t 8->b @->a $->s !->i |->l`), so `t0night` -> `tonight` while `cf10`, `t20230456` and
//!    `07700` stay as typed.
//! 4. Three or more one-character words joined by the same short separator are glued
//!    (`b.a.d`, `b a d`, `b-a-d` -> `bad`), provided most of them are letters.
//! 5. A letter repeated three or more times is cut to two (`soooo` -> `soo`). Word lists go
//!    further: each of their letters matches one or more (see `words.rs`).

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Normalised text plus, for each of its bytes, the byte range in the original it came from.
#[derive(Debug, Clone)]
pub(crate) struct Normalised {
    /// Lower-case words joined by single spaces.
    pub text: String,
    /// One entry per byte of `text`: the original byte range that produced it.
    map: Vec<(usize, usize)>,
}

/// One character after step 1, with the original byte range it came from.
#[derive(Clone, Copy)]
struct Ch {
    c: char,
    from: (usize, usize),
}

/// A word after steps 2 and 3, and the separator text that followed it.
#[derive(Clone, Default)]
struct Word {
    chars: Vec<Ch>,
    sep_after: String,
}

fn leet(c: char, one_as: char) -> Option<char> {
    Some(match c {
        '0' => 'o',
        '1' => one_as,
        '3' => 'e',
        '4' => 'a',
        '5' => 's',
        '7' => 't',
        '8' => 'b',
        '@' => 'a',
        '$' => 's',
        '!' => 'i',
        '|' => 'l',
        '(' => 'c',
        _ => return None,
    })
}

fn is_core(c: char) -> bool {
    c.is_alphanumeric()
}

impl Normalised {
    /// Normalises `original` (see the module documentation for the steps), reading a `1` inside
    /// a word as `i`.
    pub fn new(original: &str) -> Normalised {
        Normalised::with_one_as(original, 'i')
    }

    /// The readings of `original` worth matching: `1` as `i` (`d1sgusting`) and, when that
    /// gives a different text, `1` as `l` (`enab1er`).
    ///
    /// Steps 1 and 2 do not depend on how a `1` is read, so they run once and only steps 3 to
    /// 5 run for each reading (the same texts as normalising twice, at about half the cost).
    pub fn readings(original: &str) -> Vec<Normalised> {
        let words = split_words(&decompose(original));
        if !original.contains('1') {
            return vec![Normalised::finish(words, 'i')];
        }
        let first = Normalised::finish(words.clone(), 'i');
        let second = Normalised::finish(words, 'l');
        if second.text == first.text {
            vec![first]
        } else {
            vec![first, second]
        }
    }

    fn with_one_as(original: &str, one_as: char) -> Normalised {
        Normalised::finish(split_words(&decompose(original)), one_as)
    }

    /// Steps 3 to 5 on the words of steps 1 and 2, reading a `1` inside a word as `one_as`.
    fn finish(mut words: Vec<Word>, one_as: char) -> Normalised {
        for w in &mut words {
            map_lookalikes(&mut w.chars, one_as);
        }
        let words = glue_single_letters(words, one_as);
        let original_len = words
            .last()
            .and_then(|w| w.chars.last())
            .map_or(0, |c| c.from.1);
        let mut text = String::with_capacity(original_len);
        let mut map = Vec::with_capacity(original_len);
        for (i, word) in words.iter().enumerate() {
            if i > 0 {
                // The joining space maps to the gap between the two words.
                let prev_end = words[i - 1].chars.last().map_or(0, |c| c.from.1);
                let next_start = word.chars.first().map_or(prev_end, |c| c.from.0);
                text.push(' ');
                map.push((prev_end, next_start.max(prev_end)));
            }
            let mut run_char = None;
            let mut run_len = 0usize;
            for ch in &word.chars {
                if Some(ch.c) == run_char && ch.c.is_alphabetic() {
                    run_len += 1;
                    if run_len > 2 {
                        // Step 5: stretched letters. Extend the last kept char's origin instead.
                        if let Some(last) = map.last_mut() {
                            last.1 = ch.from.1;
                        }
                        continue;
                    }
                } else {
                    run_char = Some(ch.c);
                    run_len = 1;
                }
                let mut buf = [0u8; 4];
                let s = ch.c.encode_utf8(&mut buf);
                text.push_str(s);
                for _ in 0..s.len() {
                    map.push(ch.from);
                }
            }
        }
        Normalised { text, map }
    }

    /// The original byte range for the normalised byte range `start..end` (as a regex reports it).
    pub fn original_span(&self, start: usize, end: usize) -> (usize, usize) {
        if self.map.is_empty() || start >= end {
            return (0, 0);
        }
        let last = self.map.len() - 1;
        let s = self.map[start.min(last)].0;
        let e = self.map[end.saturating_sub(1).min(last)].1;
        (s, e.max(s))
    }
}

/// Step 1: NFKD, strip marks, lower case, straighten apostrophes.
fn decompose(original: &str) -> Vec<Ch> {
    let mut out = Vec::with_capacity(original.len());
    for (i, c) in original.char_indices() {
        let from = (i, i + c.len_utf8());
        // ASCII decomposes to itself and has no marks: the same result without NFKD.
        if c.is_ascii() {
            let c = if c == '`' {
                '\''
            } else {
                c.to_ascii_lowercase()
            };
            out.push(Ch { c, from });
            continue;
        }
        let c = match c {
            '\u{2019}' | '\u{2018}' | '\u{02BC}' | '`' | '\u{00B4}' => '\'',
            _ => c,
        };
        for d in std::iter::once(c).nfkd() {
            if is_combining_mark(d) {
                continue;
            }
            if d == 'ß' {
                out.push(Ch { c: 's', from });
                out.push(Ch { c: 's', from });
                continue;
            }
            for l in d.to_lowercase() {
                out.push(Ch { c: l, from });
            }
        }
    }
    out
}

/// Step 2: split into words, drop inner apostrophes (look-alikes are mapped per reading, by
/// [`map_lookalikes`]).
fn split_words(chars: &[Ch]) -> Vec<Word> {
    let at = |i: usize| chars.get(i).map(|c| c.c);
    let core_at = |i: Option<usize>| i.and_then(at).is_some_and(is_core);
    let mut words: Vec<Word> = Vec::new();
    let mut current: Vec<Ch> = Vec::new();
    let mut sep = String::new();
    for (i, ch) in chars.iter().enumerate() {
        let prev = i.checked_sub(1);
        let next = Some(i + 1);
        let in_word = if is_core(ch.c) {
            true
        } else {
            match ch.c {
                '@' | '$' => core_at(prev) || core_at(next),
                '!' | '|' => core_at(prev) && core_at(next),
                // `5ui(ide`: a bracket inside a word stands for `c`, but not `friend(s)`.
                '(' => {
                    core_at(prev)
                        && core_at(next)
                        && at(i + 2) != Some(')')
                        && at(i + 3) != Some(')')
                }
                '\'' => {
                    // Dropped when between two letters; otherwise a separator.
                    if prev.and_then(at).is_some_and(char::is_alphabetic)
                        && at(i + 1).is_some_and(char::is_alphabetic)
                        && !current.is_empty()
                    {
                        continue;
                    }
                    false
                }
                _ => false,
            }
        };
        if in_word {
            if current.is_empty()
                && let Some(last) = words.last_mut()
            {
                last.sep_after = std::mem::take(&mut sep);
            }
            sep.clear();
            current.push(*ch);
        } else {
            if !current.is_empty() {
                words.push(Word {
                    chars: std::mem::take(&mut current),
                    sep_after: String::new(),
                });
            }
            sep.push(ch.c);
        }
    }
    if !current.is_empty() {
        words.push(Word {
            chars: current,
            sep_after: String::new(),
        });
    }
    words
}

/// Step 3 for one word: map look-alikes when letters outnumber digits.
fn map_lookalikes(chars: &mut [Ch], one_as: char) {
    let letters = chars.iter().filter(|c| c.c.is_alphabetic()).count();
    let digits = chars.iter().filter(|c| c.c.is_ascii_digit()).count();
    if letters == 0 || letters <= digits {
        return;
    }
    for ch in chars.iter_mut() {
        if let Some(l) = leet(ch.c, one_as) {
            ch.c = l;
        }
    }
}

/// A separator short enough to sit inside a spelled-out word (`b.a.d`, `b a d`, `b-a-d`).
fn is_short_sep(s: &str) -> bool {
    let n = s.chars().count();
    (1..=2).contains(&n)
        && s.chars().all(|c| {
            matches!(
                c,
                ' ' | '.' | '-' | '_' | '*' | '~' | '+' | '/' | '\\' | ','
            )
        })
}

/// Step 4: glue runs of one-character words joined by the same short separator.
fn glue_single_letters(mut words: Vec<Word>, one_as: char) -> Vec<Word> {
    let single = |w: &Word| {
        w.chars.len() == 1 && (is_core(w.chars[0].c) || leet(w.chars[0].c, one_as).is_some())
    };
    let mut out: Vec<Word> = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        if single(&words[i]) && is_short_sep(&words[i].sep_after) {
            let sep = words[i].sep_after.clone();
            // Extend while the next word is single and joined by the same separator.
            let mut last = i;
            while last + 1 < words.len() && words[last].sep_after == sep && single(&words[last + 1])
            {
                last += 1;
            }
            let j = last + 1;
            let run = &words[i..j];
            let letters = run.iter().filter(|w| w.chars[0].c.is_alphabetic()).count();
            if run.len() >= 3 && letters >= 2 && letters * 2 > run.len() {
                let mut chars: Vec<Ch> = run.iter().map(|w| w.chars[0]).collect();
                for ch in &mut chars {
                    if let Some(l) = leet(ch.c, one_as) {
                        ch.c = l;
                    }
                }
                let sep_after = run.last().map(|w| w.sep_after.clone()).unwrap_or_default();
                out.push(Word { chars, sep_after });
                i = j;
                continue;
            }
            // Not glued. Retrying from every word of the run would be quadratic (`1 1 1 ...`):
            // retry once from its first letter (`1 2 b a d`), else from its last word, which may
            // start a run with another separator (`a d.i.s.g.u.s.t`).
            let first_letter = run.iter().position(|w| w.chars[0].c.is_alphabetic());
            let next = match first_letter {
                Some(k) if k > 0 => i + k,
                _ => (j - 1).max(i + 1),
            };
            // Moved, not copied: words before `next` are never looked at again.
            for w in &mut words[i..next] {
                out.push(std::mem::take(w));
            }
            i = next;
            continue;
        }
        // Not glued: move this word across.
        out.push(std::mem::take(&mut words[i]));
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_the_usual_tricks() {
        let cases = [
            ("Hello, World!", "hello world"),
            ("Café CRÈME", "cafe creme"),
            ("ｆｕｌｌ ｗｉｄｔｈ", "full width"),
            (
                "y0u are a d1sgusting enab1er",
                "you are a disgusting enabier",
            ),
            (
                "th1nking of ending it all t0night",
                "thinking of ending it all tonight",
            ),
            (
                "you are a d.i.s.g.u.s.t.i.n.g enabler",
                "you are a disgusting enabler",
            ),
            ("b a d", "bad"),
            ("b-a-d", "bad"),
            ("b.a.d.", "bad"),
            ("it is b*a*d", "it is bad"),
            ("can't won’t", "cant wont"),
            ("soooo baaaad", "soo baad"),
            ("$h1t @ss", "shit ass"),
            ("help!", "help"),
            ("case T20230456", "case t20230456"),
            ("CF10 3AT", "cf10 eat"),
            ("0 7 7 0 0 9", "0 7 7 0 0 9"),
            ("2 a.m.", "2 a m"),
            ("Straße", "strasse"),
            ("5ui(ide", "suicide"),
            (
                "you are a d.i.s.g.u.s.t.i.n.g enabler",
                "you are a disgusting enabler",
            ),
            ("friend(s) and word(s)", "friend s and word s"),
        ];
        for (input, want) in cases {
            assert_eq!(Normalised::new(input).text, want, "input {input:?}");
        }
    }

    #[test]
    fn a_one_is_read_both_as_i_and_as_l() {
        let texts: Vec<String> = Normalised::readings("y0u are a d1sgusting enab1er")
            .into_iter()
            .map(|n| n.text)
            .collect();
        assert_eq!(
            texts,
            [
                "you are a disgusting enabier",
                "you are a dlsgusting enabler"
            ]
        );
        assert_eq!(Normalised::readings("no ones here 2019").len(), 1);
    }

    #[test]
    fn spans_map_back_to_the_original() {
        let original = "Well, y0u are a d.i.s.g.u.s.t.i.n.g enabler!";
        let n = Normalised::new(original);
        let start = n.text.find("disgusting").unwrap();
        let (s, e) = n.original_span(start, start + "disgusting".len());
        assert_eq!(&original[s..e], "d.i.s.g.u.s.t.i.n.g");
        let start = n.text.find("you").unwrap();
        let (s, e) = n.original_span(start, start + 3);
        assert_eq!(&original[s..e], "y0u");
    }

    #[test]
    fn spans_cover_stretched_letters_and_accents() {
        let original = "so diiiisgusting, café";
        let n = Normalised::new(original);
        let start = n.text.find("diisgusting").unwrap();
        let (s, e) = n.original_span(start, start + "diisgusting".len());
        assert_eq!(&original[s..e], "diiiisgusting");
        let start = n.text.find("cafe").unwrap();
        let (s, e) = n.original_span(start, start + 4);
        assert_eq!(&original[s..e], "café");
    }

    #[test]
    fn never_panics_on_odd_input() {
        for input in [
            "", " ", "'", "''a'", "@", "a'", "\u{0301}", "ǅ", "İ", "\u{FDFA}", "1 2 3", "a b",
        ] {
            let n = Normalised::new(input);
            let _ = n.original_span(0, n.text.len());
            let _ = n.original_span(0, 1000);
        }
    }
}
