//! UK phone numbers, however they are written.
//!
//! People who want to share a number and expect a filter write it in every way but the plain
//! one: spaced out, split by dots, commas, hyphens, emoji or letters (`07x700x900`), with
//! letter O for zero (`O77OO`), in words (`oh seven seven double oh nine hundred`), or mixing
//! words and digits (`07seven00 nine00`). So the text is first read as a stream of digits:
//!
//! - each word made of digits, number words (`zero oh nought one ... nine`, `double`, `treble`,
//!   `triple`, `hundred`, `thousand`), or digits with letter O or single stray letters
//!   (`O77OO`, `07x700x900x505`, `nine00`, `four8one`) gives its digits;
//! - gaps of spaces and symbols (`.` `,` `-` brackets, emoji) join them, but `/` and `:` (dates,
//!   times), a line break or the end of a sentence do not;
//! - a few ordinary words between two parts can join them once, when the first part looks like
//!   the start of a number (four to six digits from `0`): "07700 and then 900 123".
//!
//! Then each run of digits is searched for a whole UK number: `07` mobiles and `01`/`02`/`03`
//! numbers of 10 or 11 digits, also as `+44`/`0044`; or ten digits from `7` written mostly in
//! words (a mobile whose `0` or `+44` is described rather than written). `08` and `09` numbers
//! are left alone: they are helplines and services, not people. A day-month-year shape
//! (`01 03 2019`) rules a stretch out.
//!
//! The scan is linear: every word is read once and each start is tried over at most eleven
//! digits.

/// Number words and what they stand for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Word {
    Digit(u8),
    Repeat(usize),
    Zeros(usize),
}

fn number_word(w: &str) -> Option<Word> {
    Some(match w {
        "zero" | "oh" | "o" | "nought" | "nil" => Word::Digit(0),
        "one" => Word::Digit(1),
        "two" => Word::Digit(2),
        "three" => Word::Digit(3),
        "four" => Word::Digit(4),
        "five" => Word::Digit(5),
        "six" => Word::Digit(6),
        "seven" => Word::Digit(7),
        "eight" => Word::Digit(8),
        "nine" => Word::Digit(9),
        "double" => Word::Repeat(2),
        "treble" | "triple" => Word::Repeat(3),
        "hundred" => Word::Zeros(2),
        "thousand" => Word::Zeros(3),
        _ => return None,
    })
}

/// Number words that may appear inside a mixed word (`07seven00`), longest first.
const INNER_WORDS: &[&str] = &[
    "double", "treble", "triple", "hundred", "thousand", "nought", "three", "seven", "eight",
    "zero", "four", "five", "nine", "one", "two", "six", "oh",
];

/// One piece of the digit stream: its digits, where it is, and how many came from words.
#[derive(Debug, Clone)]
struct Unit {
    digits: String,
    span: (usize, usize),
    from_words: usize,
    /// A `+` right before it (`+44`).
    plus: bool,
}

/// A word of the text, read as digits when it can be.
enum Token {
    Digits(String, usize),
    Word(Word),
    Other,
}

/// Reads a word as digits (or a number word), or `Other`.
fn read_word(w: &str) -> Token {
    if w.bytes().all(|b| b.is_ascii_digit()) {
        return Token::Digits(w.to_string(), 0);
    }
    let lower = w.to_lowercase();
    if let Some(n) = number_word(&lower) {
        return Token::Word(n);
    }
    if w.len() > 40 {
        return Token::Other;
    }
    // Mixed: digits, O for zero, number words, and (with enough digits) stray single letters.
    let real_digits = w.bytes().filter(u8::is_ascii_digit).count();
    if real_digits == 0 {
        return Token::Other;
    }
    let mut out = String::new();
    let mut from_words = 0;
    let mut rest = lower.as_str();
    let mut stray = 0;
    while let Some(c) = rest.chars().next() {
        if c.is_ascii_digit() {
            out.push(c);
            rest = &rest[1..];
            continue;
        }
        if let Some(word) = INNER_WORDS.iter().find(|iw| rest.starts_with(**iw)) {
            if let Some(Word::Digit(d)) = number_word(word) {
                out.push(char::from(b'0' + d));
                from_words += 1;
            } else if let Some(Word::Zeros(n)) = number_word(word) {
                out.extend(std::iter::repeat_n('0', n));
                from_words += n;
            }
            rest = &rest[word.len()..];
            continue;
        }
        if c == 'o' {
            out.push('0');
            from_words += 1;
        } else {
            stray += 1;
        }
        rest = &rest[c.len_utf8()..];
    }
    // Stray letters (`07x700x900`) only among plenty of digits.
    if stray > 0 && (real_digits < 6 || stray * 2 > real_digits) {
        return Token::Other;
    }
    if out.is_empty() {
        Token::Other
    } else {
        Token::Digits(out, from_words)
    }
}

/// How a gap between two words joins them.
#[derive(PartialEq, Eq)]
enum Gap {
    Join,
    Break,
}

fn gap_kind(gap: &str) -> Gap {
    if gap.chars().count() > 8 {
        return Gap::Break;
    }
    let mut prev = ' ';
    for c in gap.chars() {
        if matches!(c, '/' | ':' | '\n' | '\\' | '=' | '%') {
            return Gap::Break;
        }
        // The end of a sentence: ". " but not "07700.900".
        if c.is_whitespace() && matches!(prev, '.' | '!' | '?' | ';') {
            return Gap::Break;
        }
        prev = c;
    }
    Gap::Join
}

/// Words (maximal runs of letters and digits) with their byte spans.
fn words(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        if c.is_alphanumeric() {
            if start.is_none() {
                start = Some(i);
            }
        } else if let Some(s) = start.take() {
            out.push((s, i));
        }
    }
    if let Some(s) = start {
        out.push((s, text.len()));
    }
    out
}

/// Byte ranges of UK phone numbers in `text`.
pub(crate) fn find(text: &str) -> Vec<(usize, usize)> {
    // Build chains of units; a chain ends at a breaking gap or an ordinary word.
    let mut chains: Vec<Chain> = Vec::new();
    let mut current = Chain::default();
    let mut pending: Option<usize> = None; // a `double`/`treble` waiting for its digit
    let mut last_end = 0usize;
    let mut words_since = 0usize; // ordinary words since the chain's last unit
    for (s, e) in words(text) {
        let gap = &text[last_end..s];
        let joined = gap_kind(gap) == Gap::Join;
        let token = read_word(&text[s..e]);
        let is_number = !matches!(token, Token::Other);
        if is_number {
            if !current.units.is_empty() && (!joined || words_since != 0) {
                // A bridge over a few words, or a break.
                let bridge = words_since > 0 && words_since <= 6 && current.sentence_open;
                let next = Chain::default();
                let mut done = std::mem::replace(&mut current, next);
                done.bridge_to_next = bridge && joined;
                chains.push(done);
                pending = None;
            }
            words_since = 0;
            current.sentence_open = true;
            let plus = gap.ends_with('+');
            match token {
                Token::Digits(d, w) => {
                    let repeat = pending.take().unwrap_or(1);
                    let digits = if repeat > 1 && d.len() == 1 {
                        d.repeat(repeat)
                    } else {
                        d
                    };
                    current.units.push(Unit {
                        digits,
                        span: (s, e),
                        from_words: w,
                        plus,
                    });
                }
                Token::Word(Word::Digit(d)) => {
                    let repeat = pending.take().unwrap_or(1);
                    current.units.push(Unit {
                        digits: char::from(b'0' + d).to_string().repeat(repeat),
                        span: (s, e),
                        from_words: repeat,
                        plus,
                    });
                }
                Token::Word(Word::Repeat(n)) => pending = Some(n),
                Token::Word(Word::Zeros(n)) => match current.units.last_mut() {
                    Some(u) if u.digits.len() < 12 => {
                        u.digits.extend(std::iter::repeat_n('0', n));
                        u.span.1 = e;
                        u.from_words += n;
                    }
                    _ => {}
                },
                Token::Other => {}
            }
        } else {
            words_since += 1;
            if !joined || words_since > 6 {
                current.sentence_open = false;
            }
            if !current.units.is_empty() && (!joined || words_since > 6) {
                chains.push(std::mem::take(&mut current));
                pending = None;
            }
        }
        last_end = e;
    }
    if !current.units.is_empty() {
        chains.push(current);
    }

    let mut found = Vec::new();
    for (k, chain) in chains.iter().enumerate() {
        let mut s = 0;
        while s < chain.units.len() {
            match number_from(text, &chain.units, s) {
                Some((last, start)) => {
                    found.push((start, chain.units[last].span.1));
                    s = last + 1;
                }
                None => s += 1,
            }
        }
        // A number split over a few words: "07700 and the rest is 900 123".
        if chain.bridge_to_next
            && let Some(next) = chains.get(k + 1)
        {
            let head: String = chain.units.iter().map(|u| u.digits.as_str()).collect();
            if (4..=6).contains(&head.len())
                && head.starts_with('0')
                && found
                    .last()
                    .is_none_or(|&(_, e)| e != chain.units[chain.units.len() - 1].span.1)
            {
                let mut digits = head;
                for (j, u) in next.units.iter().enumerate() {
                    digits.push_str(&u.digits);
                    if digits.len() > 11 {
                        break;
                    }
                    if is_uk_number(&digits) {
                        found.push((chain.units[0].span.0, next.units[j].span.1));
                        break;
                    }
                }
            }
        }
    }
    found.sort_unstable();
    found.dedup();
    found
}

/// Units joined by gaps that join; `bridge_to_next` when only a few ordinary words stand
/// between this chain and the next.
#[derive(Default, Debug)]
struct Chain {
    units: Vec<Unit>,
    bridge_to_next: bool,
    sentence_open: bool,
}

/// If a UK number starts at unit `s`, returns the index of its last unit and the byte where it
/// starts (including a leading `+`).
fn number_from(text: &str, units: &[Unit], s: usize) -> Option<(usize, usize)> {
    let first = &units[s].digits;
    let plus = units[s].plus;
    let international = (plus && first.starts_with("44")) || first.starts_with("0044");
    let spelled_mobile = first.starts_with('7');
    if !international && !first.starts_with('0') && !spelled_mobile {
        return None;
    }
    let start = if plus && units[s].span.0 > 0 && text[..units[s].span.0].ends_with('+') {
        units[s].span.0 - 1
    } else {
        units[s].span.0
    };
    let mut digits = String::new();
    let mut from_words = 0;
    let mut best = None;
    for (j, u) in units.iter().enumerate().skip(s) {
        digits.push_str(&u.digits);
        from_words += u.from_words;
        if digits.len() > 14 {
            break;
        }
        let national = national_form(&digits, plus);
        if national.len() > 11 {
            break;
        }
        let whole = if spelled_mobile && !international {
            // Ten digits from 7, mostly in words: the `0` (or `+44`) is described elsewhere.
            digits.len() == 10 && from_words * 2 >= digits.len()
        } else {
            is_uk_number(&national)
        };
        if whole && !looks_like_date(units, s, j) {
            best = Some((j, start));
        }
    }
    best
}

/// `+44 7700 900123` and `0044 (0)20 ...` -> the national form starting with one `0`.
fn national_form(digits: &str, plus: bool) -> String {
    let rest = match (plus, digits.strip_prefix("44"), digits.strip_prefix("0044")) {
        (true, Some(rest), _) => rest,
        (_, _, Some(rest)) => rest,
        _ => return digits.to_string(),
    };
    let rest = rest.strip_prefix('0').unwrap_or(rest);
    format!("0{rest}")
}

fn is_uk_number(national: &str) -> bool {
    let b = national.as_bytes();
    if b.len() < 10 || b[0] != b'0' || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    match b[1] {
        b'1' => b.len() == 10 || b.len() == 11,
        b'2' | b'3' | b'7' => b.len() == 11,
        _ => false,
    }
}

/// A day-month-year shape (1-2, 1-2, 4 digits) among units `s-1..=j`, written in digits.
fn looks_like_date(units: &[Unit], s: usize, j: usize) -> bool {
    let from = s.saturating_sub(1);
    let part = &units[from..=j];
    part.windows(3).any(|w| {
        w.iter().all(|u| u.from_words == 0)
            && w[0].digits.len() <= 2
            && w[1].digits.len() <= 2
            && w[2].digits.len() == 4
            && (w[2].digits.starts_with("19") || w[2].digits.starts_with("20"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hits(text: &str) -> Vec<&str> {
        find(text).into_iter().map(|(s, e)| &text[s..e]).collect()
    }

    #[test]
    fn finds_uk_numbers() {
        let table: &[(&str, &[&str])] = &[
            ("Ring me on 07700 900123 if you want", &["07700 900123"]),
            ("Ring me on +44 7700 900124 anytime.", &["+44 7700 900124"]),
            ("+447700900124", &["+447700900124"]),
            ("0044 7700 900124", &["0044 7700 900124"]),
            ("+44 (0)20 7946 0123", &["+44 (0)20 7946 0123"]),
            ("Our landline is 020 7946 0123.", &["020 7946 0123"]),
            ("(020) 7946-0123", &["020) 7946-0123"]),
            ("0117 496 0123", &["0117 496 0123"]),
            ("01632 960123", &["01632 960123"]),
            (
                "call 0 7 7 0 0 9 0 0 1 2 5 after 6",
                &["0 7 7 0 0 9 0 0 1 2 5"],
            ),
            ("07700-900-123", &["07700-900-123"]),
            ("07700900123", &["07700900123"]),
            ("0300 123 4567", &["0300 123 4567"]),
            (
                "two: 07700 900123 and 020 7946 0123",
                &["07700 900123", "020 7946 0123"],
            ),
        ];
        for (text, want) in table {
            assert_eq!(hits(text), *want, "{text:?}");
        }
    }

    #[test]
    fn finds_numbers_in_words_and_disguises() {
        for text in [
            "it's oh seven seven double oh nine hundred five five six",
            "my number is oh seven seven double oh nine hundred five five six",
            "zero seven seven zero zero, nine zero zero, one two three",
            "Nought seven seven treble nine, eight double two, one four",
            "0 double 7 double 0 9 double 0 5 7 3",
            "call 07seven00 nine00 four8one",
            "07x700x900x123 is me",
            "O77OO 9OO 123",
            "07700.900.123",
            "0,7,7,0,0,9,0,0,1,2,3",
            "07700 🌸 900 🌸 123",
            "Oh-seven-seven-oh-oh, nine hundred, one-two-three.",
            "the first bit is 07700 and the rest is 900 123",
            "seven seven oh oh nine oh oh one two three, put a zero first",
            "oh one one three, four nine six, oh treble seven",
        ] {
            assert!(!hits(text).is_empty(), "{text:?}");
        }
    }

    #[test]
    fn ignores_dates_times_money_and_short_numbers() {
        for text in [
            "We married on 12/03/2019 and",
            "We married on 12 03 2019 and I never saw this coming.",
            "on 01 03 2019 at 10 30",
            "2019-03-12",
            "It's 2 a.m. and I can't sleep",
            "at 10:30 or 07:45",
            "it cost £1,200.50 in the end",
            "I scored 07 out of 10",
            "He got 7 years in 2019",
            "Samaritans 116 123",
            "Stop It Now 0808 1000 900",
            "Case number T20230456",
            "12345678901",
            "07700 90012",
            "",
            "one or two of us, three or four times, oh well",
            "ISBN 978-0-00-718374-2",
            "Order 40881-2275-19 still hasn't come",
            "article number 802.758.87",
            "I was 0 for 2 and then 7 for 9 over the season, 2 4 6 8",
            "He got 4 years 6 months, out in 2027.",
            "Court starts at 10:15, be there by 9:30.",
            "oh no. oh well. oh dear. one day. two days.",
            "someone often done tone",
        ] {
            assert!(hits(text).is_empty(), "{text:?} gave {:?}", hits(text));
        }
    }
}
