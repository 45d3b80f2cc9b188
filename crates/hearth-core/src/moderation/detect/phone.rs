//! UK phone numbers, however they are spaced.
//!
//! We collect runs of digits joined by short gaps of spaces, hyphens or brackets (so
//! `07700 900123`, `(020) 7946-0123` and `0 7 7 0 0 9 0 0 1 2 5` all form one chain), then look in
//! each chain for a stretch that starts with `0`, `+44` or `0044` and makes a whole UK number:
//! `07` mobiles and `01`/`02`/`03` numbers, 10 or 11 digits. `08` and `09` numbers are left alone:
//! they are helplines and services, not people.
//!
//! Slashes, dots and colons never join digits, so dates (`12/03/2019`, `2019-03-12` has no
//! leading zero), times (`10:30`) and money (`£1,200.50`) are not read as phone numbers; and a
//! day-month-year shape (`01 03 2019`) inside a chain rules a stretch out.

/// A run of digits in the original text.
#[derive(Debug, Clone, Copy)]
struct Group {
    start: usize,
    end: usize,
    /// Set when a letter touches the run (`T20230456`, `cf10`): not part of a phone number.
    attached: bool,
}

fn gap_joins(gap: &str) -> bool {
    !gap.is_empty()
        && gap.len() <= 3
        && gap
            .chars()
            .all(|c| matches!(c, ' ' | '-' | '(' | ')' | '\u{a0}' | '\t'))
}

/// Byte ranges of UK phone numbers in `text`.
pub(crate) fn find(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut groups: Vec<Group> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            let before = text[..start].chars().next_back();
            let after = text[i..].chars().next();
            let attached =
                before.is_some_and(char::is_alphanumeric) || after.is_some_and(char::is_alphabetic);
            groups.push(Group {
                start,
                end: i,
                attached,
            });
        } else {
            i += 1;
        }
    }
    // Split into chains of groups joined by short gaps.
    let mut chains: Vec<Vec<Group>> = Vec::new();
    for g in groups {
        if g.attached {
            chains.push(Vec::new());
            continue;
        }
        match chains.last_mut() {
            Some(chain)
                if chain
                    .last()
                    .is_some_and(|p| gap_joins(&text[p.end..g.start])) =>
            {
                chain.push(g)
            }
            _ => chains.push(vec![g]),
        }
    }
    let mut found = Vec::new();
    for chain in chains.iter().filter(|c| !c.is_empty()) {
        let mut s = 0;
        while s < chain.len() {
            match number_from(text, chain, s) {
                Some((last, start)) => {
                    found.push((start, chain[last].end));
                    s = last + 1;
                }
                None => s += 1,
            }
        }
    }
    found
}

/// If a UK number starts at group `s` of `chain`, returns the index of its last group and the
/// byte where it starts (including a leading `+`).
fn number_from(text: &str, chain: &[Group], s: usize) -> Option<(usize, usize)> {
    let first = &text[chain[s].start..chain[s].end];
    let plus = text[..chain[s].start].ends_with('+');
    let international = (plus && first.starts_with("44")) || first.starts_with("0044");
    if !international && !first.starts_with('0') {
        return None;
    }
    let start = if plus {
        chain[s].start - 1
    } else {
        chain[s].start
    };
    let mut digits = String::new();
    let mut best = None;
    for (j, g) in chain.iter().enumerate().skip(s) {
        digits.push_str(&text[g.start..g.end]);
        let national = national_form(&digits, plus);
        if national.len() > 11 {
            break;
        }
        if is_uk_number(&national) && !looks_like_date(text, chain, s, j) {
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

/// A day-month-year shape (1-2, 1-2, 4 digits) among groups `s-1..=j`.
fn looks_like_date(text: &str, chain: &[Group], s: usize, j: usize) -> bool {
    let from = s.saturating_sub(1);
    let lens: Vec<usize> = chain[from..=j].iter().map(|g| g.end - g.start).collect();
    let years: Vec<bool> = chain[from..=j]
        .iter()
        .map(|g| {
            let t = &text[g.start..g.end];
            t.len() == 4 && (t.starts_with("19") || t.starts_with("20"))
        })
        .collect();
    lens.windows(3)
        .zip(years.windows(3))
        .any(|(l, y)| l[0] <= 2 && l[1] <= 2 && y[2])
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
        ] {
            assert!(hits(text).is_empty(), "{text:?} gave {:?}", hits(text));
        }
    }
}
