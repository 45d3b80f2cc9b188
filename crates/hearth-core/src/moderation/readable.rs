//! The text readers will see, which is the only text the rules look at.
//!
//! Rules that read the Markdown source can be walked round: `&#48;7700 9001&#50;8` is a phone
//! number on the page but not in the source, `Em**ily** Harr*ington*` is a name on the page but
//! two half-words in the source, and a no-break space or a zero-width space inside a name or a
//! number hides it from a pattern while a reader never notices. So every member text is first
//! turned into what a reader sees, by [`readable_text`] (and [`Readable::new`], the same thing
//! with a map back to the source for highlighting):
//!
//! 1. Posts and edits are parsed as Markdown with the renderer's own options
//!    (`render::markdown_options`): the text of every event, entities decoded and markup gone;
//!    raw HTML stays as text, as the renderer shows it; every link's target is added after its
//!    text (readers see it on hover and follow it). Blocks and hard breaks become line feeds, a
//!    soft break a space (as a browser shows it). Other kinds of text are shown as typed.
//! 2. NFKC, one character with its combining marks at a time (full-width `＠` is `@`, `ⓐ` is
//!    `a`, `Siân` typed with a combining accent is `Siân`).
//! 3. Format characters (zero-width spaces and joiners, direction marks, soft hyphens,
//!    variation selectors, enclosing keycap and circle marks) are removed; every other Unicode
//!    space becomes a plain space; line feeds stay.
//! 4. A handle is split into its words at `.`, `-`, `_` and case changes (`Emily.Harrington`,
//!    `EmilyHarrington`, `HMP-Parc` read as `Emily Harrington` and `HMP Parc`), and an
//!    all-lower-case word that is a known forename or surname is capitalised: a handle has no
//!    sentences, so `emily_harrington` names someone as much as `Emily_Harrington` does, while
//!    `alice_new` (a first name and an everyday word) reads `Alice new` and names nobody.
//!
//! Every byte of the result remembers the byte range of the source it came from, so a hit is
//! still highlighted where the author typed it.
//!
//! Texts shown as typed (chat, titles, content warnings, profile text) that hold Markdown-ish
//! markup or entities are read both ways ([`Readable::all`]): as typed, and rendered, since a
//! person reads `Em**ily** Harr*ington*` as a name wherever it is written.

use pulldown_cmark::{Event, Parser, Tag, TagEnd};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use super::types::TextKind;

/// The readable text of a member's text, plus for each of its bytes the source range it came
/// from.
#[derive(Debug, Clone)]
pub(crate) struct Readable {
    /// What a reader sees (see the module documentation).
    pub text: String,
    /// One entry per byte of `text`: the byte range of the source that produced it.
    map: Vec<(usize, usize)>,
}

/// The text readers will see of `source` (Markdown for posts and edits, as typed for other
/// kinds), which is what the moderation rules check. See the module documentation for the
/// steps; [`super::RuleSet::evaluate`] applies it itself, so no caller can skip it.
pub fn readable_text(source: &str, kind: TextKind) -> String {
    Readable::new(source, kind).text
}

/// A piece of text from the source, and where it came from. `exact` when the piece is the
/// source slice itself, so each character can map to its own bytes; otherwise (an entity, an
/// escape, a link target found elsewhere) every character maps to the whole range.
struct Piece<'a> {
    text: std::borrow::Cow<'a, str>,
    from: (usize, usize),
    exact: bool,
}

/// Format characters and invisible marks: removed, so they cannot hide a word from the rules.
/// (General category Cf, plus variation selectors, the combining grapheme joiner, Hangul
/// fillers and the enclosing marks that draw a keycap or a circle round a character.)
pub(crate) fn is_invisible(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x034F | 0x061C | 0x115F | 0x1160 | 0x17B4 | 0x17B5 | 0x180B..=0x180F
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F | 0x20DD..=0x20E4
        | 0x3164 | 0xFE00..=0xFE0F | 0xFEFF | 0xFFA0 | 0xFFF9..=0xFFFB
        | 0x0600..=0x0605 | 0x06DD | 0x070F | 0x0890 | 0x0891 | 0x08E2
        | 0x110BD | 0x110CD | 0x13430..=0x1343F | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A
        | 0xE0001 | 0xE0020..=0xE007F | 0xE0100..=0xE01EF)
}

impl Readable {
    /// The readable text of `source` as a text of `kind`.
    pub fn new(source: &str, kind: TextKind) -> Readable {
        let pieces = match kind {
            TextKind::Post | TextKind::Edit => markdown_pieces(source),
            _ => vec![Piece {
                text: std::borrow::Cow::Borrowed(source),
                from: (0, source.len()),
                exact: true,
            }],
        };
        let mut out = Readable {
            text: String::with_capacity(source.len()),
            map: Vec::with_capacity(source.len()),
        };
        for p in &pieces {
            out.push_piece(p);
        }
        if kind == TextKind::Handle {
            out = out.split_handle();
        }
        out
    }

    /// Every reading the rules must check of `source` as a text of `kind`. Posts and edits are
    /// rendered Markdown: one reading. Other kinds are shown as typed, which is the first
    /// reading; but a reader still reads `Em**ily** Harr*ington*` as a name and can decode
    /// `&#48;7700 9001&#50;8`, and a client may render markup, so when the source has anything
    /// Markdown would change, its rendered reading is checked too (a hit in either counts).
    pub fn all(source: &str, kind: TextKind) -> Vec<Readable> {
        let first = Readable::new(source, kind);
        let plain = !matches!(kind, TextKind::Post | TextKind::Edit | TextKind::Handle);
        if plain && source.contains(['*', '_', '~', '&', '`', '\\', '[', '<']) {
            let rendered = Readable::new(source, TextKind::Post);
            if rendered.text != first.text {
                return vec![first, rendered];
            }
        }
        vec![first]
    }

    fn push_char(&mut self, c: char, from: (usize, usize)) {
        let c = if c == '\n' {
            '\n'
        } else if c.is_whitespace() {
            ' '
        } else {
            c
        };
        let mut buf = [0u8; 4];
        let s = c.encode_utf8(&mut buf);
        self.text.push_str(s);
        self.map.extend(std::iter::repeat_n(from, s.len()));
    }

    /// Steps 2 and 3 for one piece: NFKC a character and its combining marks at a time, drop
    /// invisibles, fold spaces.
    fn push_piece(&mut self, p: &Piece<'_>) {
        let text: &str = &p.text;
        let at = |i: usize, len: usize| {
            if p.exact {
                (p.from.0 + i, p.from.0 + i + len)
            } else {
                p.from
            }
        };
        let mut chars = text.char_indices().peekable();
        let mut cluster = String::new();
        while let Some((i, c)) = chars.next() {
            // An ASCII character with no combining mark after it is its own NFKC and neither
            // invisible nor enclosing: the same result, without the normaliser.
            if c.is_ascii() && chars.peek().is_none_or(|&(_, n)| n.is_ascii()) {
                self.push_char(c, at(i, 1));
                continue;
            }
            cluster.clear();
            cluster.push(c);
            let mut end = i + c.len_utf8();
            while let Some(&(j, m)) = chars.peek() {
                if !is_combining_mark(m) || cluster.len() > 64 {
                    break;
                }
                cluster.push(m);
                end = j + m.len_utf8();
                chars.next();
            }
            let from = at(i, end - i);
            // A circled a (`ⓐ`) stands for `@` in an address written to dodge a filter; NFKC
            // would make it a plain `a`.
            if matches!(c, 'ⓐ' | 'Ⓐ') {
                self.push_char('@', from);
                continue;
            }
            for n in cluster.nfkc() {
                if !is_invisible(n) && !is_enclosing(n) {
                    self.push_char(n, from);
                }
            }
        }
    }

    /// Step 4: a handle's words, split and capitalised.
    fn split_handle(self) -> Readable {
        let chars: Vec<(char, (usize, usize))> = self
            .text
            .char_indices()
            .map(|(i, c)| (c, self.map.get(i).copied().unwrap_or((0, 0))))
            .collect();
        let mut words: Vec<Vec<(char, (usize, usize))>> = vec![Vec::new()];
        for (k, &(c, from)) in chars.iter().enumerate() {
            if matches!(c, '.' | '-' | '_' | ' ' | '\n') {
                if words.last().is_some_and(|w| !w.is_empty()) {
                    words.push(Vec::new());
                }
                continue;
            }
            let prev = k.checked_sub(1).map(|p| chars[p].0);
            let next = chars.get(k + 1).map(|n| n.0);
            let case_change = c.is_uppercase()
                && prev.is_some_and(|p| {
                    p.is_lowercase() || (p.is_uppercase() && next.is_some_and(char::is_lowercase))
                });
            if case_change {
                words.push(Vec::new());
            }
            if let Some(w) = words.last_mut() {
                w.push((c, from));
            }
        }
        let mut out = Readable {
            text: String::with_capacity(self.text.len() + 8),
            map: Vec::with_capacity(self.map.len() + 8),
        };
        for w in words.into_iter().filter(|w| !w.is_empty()) {
            if !out.text.is_empty() {
                let at = w[0].1.0;
                out.push_char(' ', (at, at));
            }
            let lower = w.iter().all(|(c, _)| !c.is_uppercase());
            let name = lower && {
                let word: String = w.iter().map(|&(c, _)| c).collect();
                super::detect::is_name_word(&word)
            };
            for (k, (c, from)) in w.into_iter().enumerate() {
                if k == 0 && name {
                    for u in c.to_uppercase() {
                        out.push_char(u, from);
                    }
                } else {
                    out.push_char(c, from);
                }
            }
        }
        out
    }

    /// The source byte range for the readable byte range `start..end` (as a regex reports it).
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

/// Enclosing marks (a keycap, a circle drawn round the character before).
fn is_enclosing(c: char) -> bool {
    matches!(c as u32, 0x0488 | 0x0489 | 0x1ABE | 0x20DD..=0x20E0 | 0x20E2..=0x20E4)
}

/// Step 1 for Markdown: the text of every event, with block breaks and link targets.
fn markdown_pieces(source: &str) -> Vec<Piece<'_>> {
    let mut out: Vec<Piece<'_>> = Vec::new();
    // Open links: their target and how many pieces there were when they opened.
    let mut links: Vec<(pulldown_cmark::CowStr<'_>, (usize, usize), usize)> = Vec::new();
    let brk = |out: &mut Vec<Piece<'_>>, text: &'static str, at: usize| {
        out.push(Piece {
            text: std::borrow::Cow::Borrowed(text),
            from: (at, at),
            exact: false,
        });
    };
    let parser = Parser::new_ext(source, crate::render::markdown_options()).into_offset_iter();
    for (event, range) in parser {
        let from = (range.start, range.end);
        match event {
            Event::Text(t)
            | Event::Code(t)
            | Event::Html(t)
            | Event::InlineHtml(t)
            | Event::InlineMath(t)
            | Event::DisplayMath(t)
            | Event::FootnoteReference(t) => {
                let exact = source.get(range.clone()) == Some(&*t);
                out.push(Piece {
                    text: std::borrow::Cow::Owned(t.into_string()),
                    from,
                    exact,
                });
            }
            Event::SoftBreak => brk(&mut out, " ", range.start),
            Event::HardBreak | Event::Rule => brk(&mut out, "\n", range.start),
            Event::TaskListMarker(_) => {}
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => {
                links.push((dest_url, from, out.len()));
            }
            Event::Start(_) => {}
            Event::End(TagEnd::Link | TagEnd::Image) => {
                let Some((dest, whole, first)) = links.pop() else {
                    continue;
                };
                let dest = dest.into_string();
                let shown: String = out[first.min(out.len())..]
                    .iter()
                    .map(|p| p.text.as_ref())
                    .collect();
                let bare = dest.strip_prefix("mailto:").unwrap_or(&dest);
                if bare.trim().is_empty() || shown.trim() == bare.trim() {
                    continue;
                }
                // The target where it is written, when it is written as is.
                let slice = source.get(whole.0..whole.1).unwrap_or_default();
                let (from, exact) = match slice.rfind(dest.as_str()) {
                    Some(k) => ((whole.0 + k, whole.0 + k + dest.len()), true),
                    None => (whole, false),
                };
                brk(&mut out, " ", whole.1);
                out.push(Piece {
                    text: std::borrow::Cow::Owned(dest),
                    from,
                    exact,
                });
                brk(&mut out, " ", whole.1);
            }
            // Inline markup ends inside a word (`Em**ily**`): nothing to add.
            Event::End(
                TagEnd::Emphasis
                | TagEnd::Strong
                | TagEnd::Strikethrough
                | TagEnd::Superscript
                | TagEnd::Subscript,
            ) => {}
            Event::End(_) => brk(&mut out, "\n", range.end),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(s: &str) -> String {
        readable_text(s, TextKind::Post)
    }

    #[test]
    fn posts_read_as_rendered() {
        assert_eq!(post("&#48;7700 9001&#50;8").trim(), "07700 900128");
        assert_eq!(post("&#69;mily Harrington").trim(), "Emily Harrington");
        assert_eq!(
            post("jan.moss&#64;gmail&#46;com").trim(),
            "jan.moss@gmail.com"
        );
        assert_eq!(post("Em**ily** Harr*ington*").trim(), "Emily Harrington");
        assert_eq!(post("Emily\u{a0}Harrington").trim(), "Emily Harrington");
        assert_eq!(post("077\u{200b}00 900123").trim(), "07700 900123");
        assert_eq!(post("Emily\nHarrington").trim(), "Emily Harrington");
        assert_eq!(
            post("[my page](https://facebook.com/jan.moss)").trim(),
            "my page https://facebook.com/jan.moss"
        );
        assert_eq!(post("> > > quoted").trim(), "quoted");
        assert_eq!(post("<b>Emily</b>").trim(), "<b>Emily</b>");
        assert_eq!(
            post("quiet.river＠example.org").trim(),
            "quiet.river@example.org"
        );
        assert_eq!(post("bluebell ⓐ example").trim(), "bluebell @ example");
        assert_eq!(post("0\u{fe0f}\u{20e3}7\u{fe0f}\u{20e3}").trim(), "07");
        assert_eq!(post("Sia\u{302}n").trim(), "Siân");
    }

    #[test]
    fn other_kinds_read_as_typed() {
        assert_eq!(readable_text("**Emily**", TextKind::Chat), "**Emily**");
        assert_eq!(
            readable_text("Emily\u{2007}Harrington", TextKind::ThreadTitle),
            "Emily Harrington"
        );
    }

    #[test]
    fn handles_are_split_into_words() {
        let h = |s| readable_text(s, TextKind::Handle);
        assert_eq!(h("Emily.Harrington"), "Emily Harrington");
        assert_eq!(h("emily_harrington"), "Emily Harrington");
        assert_eq!(h("EmilyHarrington"), "Emily Harrington");
        assert_eq!(h("HMP-Parc"), "HMP Parc");
        assert_eq!(h("HMPParc"), "HMP Parc");
        assert_eq!(h("CF10-1AA"), "CF10 1AA");
        assert_eq!(h("hopeful_mum"), "hopeful mum");
        assert_eq!(h("alice_new"), "Alice new");
        assert_eq!(h("sarah-jones-77"), "Sarah Jones 77");
    }

    #[test]
    fn spans_map_back_to_the_source() {
        let src = "Ring &#48;7700 **900** 123 now";
        let r = Readable::new(src, TextKind::Post);
        let s = r.text.find("07700").unwrap();
        let e = r.text.find("123").unwrap() + 3;
        let (a, b) = r.original_span(s, e);
        assert_eq!(&src[a..b], "&#48;7700 **900** 123");
    }
}
