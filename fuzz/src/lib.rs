//! The checks the fuzz targets run, shared by the libFuzzer targets (`fuzz_targets/`) and the
//! stable runner (`src/bin/fuzz_lite.rs`). Each takes arbitrary bytes and panics only when an
//! invariant is broken: that panic is the crash a fuzzer reports.
#![forbid(unsafe_code)]

use std::sync::LazyLock;

use hearth_core::moderation::{
    AuthorFacts, Detector, Matcher, RuleSet, Submission, TextKind, readable_text,
};
use hearth_core::policy::Role;
use hearth_core::render::{render_markdown, render_plain, sanitise_html};
use hearth_realtime::{ClientMessage, ProtocolError, ProtocolLimits, ServerMessage};

/// The shipped rule file.
pub const RULES: &str = include_str!("../../moderation-rules.toml");

static RULESET: LazyLock<RuleSet> = LazyLock::new(|| match RuleSet::parse(RULES) {
    Ok(r) => r,
    Err(problems) => panic!("the shipped rules do not parse: {problems:?}"),
});

/// Rules engine: the first three bytes pick the kind of text, the author's approved posts and
/// role; the rest is the text (invalid UTF-8 replaced, as the server never sees invalid text).
pub fn rules(data: &[u8]) {
    let (head, rest) = data.split_at(data.len().min(3));
    let kind = TextKind::ALL[usize::from(head.first().copied().unwrap_or(0)) % TextKind::ALL.len()];
    let approved_posts = u32::from(head.get(1).copied().unwrap_or(0) % 16);
    let role = Role::ALL[usize::from(head.get(2).copied().unwrap_or(0)) % Role::ALL.len()];
    let text = String::from_utf8_lossy(rest);
    let board = (kind == TextKind::Post).then_some("coping");
    let submission = Submission {
        kind,
        text: &text,
        board,
        author: AuthorFacts {
            approved_posts,
            role,
        },
    };
    let verdict = RULESET.evaluate(&submission);
    for hit in &verdict.hits {
        assert!(
            hit.start <= hit.end && hit.end <= text.len(),
            "span out of the text: {hit:?} in {text:?}"
        );
        assert!(
            text.is_char_boundary(hit.start) && text.is_char_boundary(hit.end),
            "span not on char boundaries: {hit:?} in {text:?}"
        );
        if hit.matcher != Matcher::Everything {
            assert_eq!(
                hit.matched,
                &text[hit.start..hit.end],
                "matched text differs from its span: {hit:?}"
            );
        }
    }
    assert_eq!(
        verdict,
        RULESET.evaluate(&submission),
        "not deterministic on {text:?}"
    );
}

/// One rule per built-in detector, plus a word list and a pattern, so every detector and the
/// normaliser run on every input (the shipped file uses most, but not always on every kind).
static DETECTOR_RULES: LazyLock<RuleSet> = LazyLock::new(|| {
    let mut toml = String::new();
    for d in Detector::ALL {
        toml.push_str(&format!(
            "[[rule]]\nname = \"{0}\"\naction = \"hold\"\ndetect = [\"{0}\"]\n\n",
            d.as_str()
        ));
    }
    toml.push_str("[[rule]]\nname = \"words\"\naction = \"flag\"\nwords = [\"self harm*\", \"kill myself\", \"b a d\"]\npatterns = ['\\\\b(oh|zero) seven\\\\b']\n");
    match RuleSet::parse(&toml) {
        Ok(r) => r,
        Err(problems) => panic!("the detector rules do not parse: {problems:?}"),
    }
});

/// The normaliser (`readable_text`) and every detector: the first byte picks the kind of text.
/// The readable text has no invisible format characters and no space but ' ' and line feeds;
/// every hit is an exact slice of the input; the same input gives the same verdict.
pub fn detectors(data: &[u8]) {
    let (head, rest) = data.split_at(data.len().min(1));
    let kind = TextKind::ALL[usize::from(head.first().copied().unwrap_or(0)) % TextKind::ALL.len()];
    let text = String::from_utf8_lossy(rest);
    let readable = readable_text(&text, kind);
    for c in readable.chars() {
        assert!(
            c == ' ' || c == '\n' || !c.is_whitespace(),
            "a space other than ' ' in the readable text of {text:?}: {c:?}"
        );
        assert!(
            !matches!(c as u32, 0x200B..=0x200F | 0x2060..=0x2064 | 0xFEFF | 0x00AD | 0x202A..=0x202E),
            "an invisible character in the readable text of {text:?}: {c:?}"
        );
    }
    assert_eq!(readable, readable_text(&text, kind), "not deterministic");
    let submission = Submission {
        kind,
        text: &text,
        board: None,
        author: AuthorFacts {
            approved_posts: 50,
            role: Role::Member,
        },
    };
    let verdict = DETECTOR_RULES.evaluate(&submission);
    for hit in &verdict.hits {
        assert!(
            text.is_char_boundary(hit.start)
                && text.is_char_boundary(hit.end)
                && hit.start <= hit.end,
            "bad span: {hit:?} in {text:?}"
        );
        assert_eq!(
            hit.matched,
            &text[hit.start..hit.end],
            "matched differs: {hit:?}"
        );
    }
    assert_eq!(
        verdict,
        DETECTOR_RULES.evaluate(&submission),
        "not deterministic on {text:?}"
    );
}

/// Renderer: Markdown and raw HTML through the sanitiser, plain text for chat.
pub fn render(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let html = render_markdown(&text);
    assert_eq!(
        sanitise_html(&html),
        html,
        "sanitising the output again changed it, for {text:?}"
    );
    assert_safe(&html, &text);
    let cleaned = sanitise_html(&text);
    let again = sanitise_html(&cleaned);
    // Known bug (README.md, "Found"): a character reference to CR (`a&#13;b`) comes out as a raw
    // CR, which the next parse turns into LF. Harmless, but it breaks the documented promise;
    // set this to false once `sanitise_html` normalises CR.
    const KNOWN_CR_BUG: bool = false;
    let cr = |s: &str| {
        if KNOWN_CR_BUG {
            s.replace("\r\n", "\n").replace('\r', "\n")
        } else {
            s.to_owned()
        }
    };
    assert_eq!(
        cr(&again),
        cr(&cleaned),
        "the sanitiser is not idempotent on {text:?}"
    );
    assert_safe(&cleaned, &text);
    let plain = render_plain(&text);
    assert!(
        !plain.replace("<br>", "").contains('<'),
        "plain rendering let markup through: {plain:?}"
    );
}

/// Checks serialised HTML (as ammonia writes it: attributes in double quotes, `"` escaped) for
/// anything that can run script.
fn assert_safe(html: &str, input: &str) {
    let lower = html.to_ascii_lowercase();
    assert!(
        !lower.contains("<script"),
        "<script in {html:?} from {input:?}"
    );
    let mut rest = lower.as_str();
    while let Some(open) = rest.find('<') {
        rest = &rest[open + 1..];
        if rest.starts_with('/') {
            continue;
        }
        // The tag runs to the first '>' outside quotes.
        let mut in_quotes = false;
        let mut end = rest.len();
        for (i, c) in rest.char_indices() {
            match c {
                '"' => in_quotes = !in_quotes,
                '>' if !in_quotes => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        let tag = &rest[..end];
        let mut parts = tag.split('"');
        let mut names = parts.next().unwrap_or("").to_owned();
        let mut values = Vec::new();
        while let (Some(value), Some(more)) = (parts.next(), parts.next()) {
            values.push(value.to_owned());
            names.push(' ');
            names.push_str(more);
        }
        for name in names.split(|c: char| c.is_whitespace() || c == '=').skip(1) {
            assert!(
                !name.starts_with("on") && name != "style" && name != "src",
                "attribute {name:?} in {html:?} from {input:?}"
            );
        }
        for value in values {
            let squashed: String = value
                .replace("&#", "")
                .chars()
                .filter(|c| !c.is_whitespace() && !c.is_control())
                .collect();
            for scheme in ["javascript:", "vbscript:", "data:"] {
                assert!(
                    !squashed.starts_with(scheme),
                    "{scheme} URL in {html:?} from {input:?}"
                );
            }
        }
        rest = &rest[end.min(rest.len())..];
    }
}

/// Socket parser: the first byte picks tight or default limits; the rest is the frame.
pub fn socket(data: &[u8]) {
    let (head, rest) = data.split_at(data.len().min(1));
    let limits = if head.first().is_some_and(|b| b & 1 == 1) {
        ProtocolLimits {
            max_frame_bytes: 512,
            max_topics_per_message: 3,
        }
    } else {
        ProtocolLimits::default()
    };
    let text = String::from_utf8_lossy(rest);
    match hearth_realtime::parse_client_message(&text, &limits) {
        Ok(message) => {
            assert!(
                text.len() <= limits.max_frame_bytes,
                "accepted an oversized frame"
            );
            match &message {
                ClientMessage::Subscribe { topics, since } => {
                    assert!(topics.len().max(since.len()) <= limits.max_topics_per_message);
                    assert!(since.values().all(|s| *s >= 0));
                }
                ClientMessage::Unsubscribe { topics } => {
                    assert!(topics.len() <= limits.max_topics_per_message);
                }
                ClientMessage::Say { .. } | ClientMessage::Ping => {}
            }
            let again = serde_json::to_string(&message).expect("a message serialises");
            let unlimited = ProtocolLimits {
                max_frame_bytes: usize::MAX,
                ..limits
            };
            assert_eq!(
                hearth_realtime::parse_client_message(&again, &unlimited),
                Ok(message),
                "a parsed message does not round-trip: {text:?}"
            );
        }
        Err(ProtocolError::FrameTooLarge { size, limit }) => {
            assert!(size == text.len() && size > limit);
        }
        Err(e) => {
            let frame = e.to_message().to_text();
            let v: serde_json::Value =
                serde_json::from_str(&frame).expect("an error frame is JSON");
            assert_eq!(v["code"].as_str(), Some(e.code()));
            assert!(frame.len() < 600, "an error frame echoes too much: {frame}");
        }
    }
    // The same bytes read as a server frame (what a client library parses): if they parse, the
    // frame the server would write for it reads back the same.
    if let Ok(server) = serde_json::from_str::<ServerMessage>(&text) {
        let once = server.to_text();
        let back: ServerMessage = serde_json::from_str(&once).expect("a server frame reads back");
        let twice = back.to_text();
        let (a, b): (serde_json::Value, serde_json::Value) = (
            serde_json::from_str(&once).expect("JSON"),
            serde_json::from_str(&twice).expect("JSON"),
        );
        assert!(
            same_json(&a, &b),
            "a server frame does not round-trip:\n{once}\n{twice}"
        );
    }
}

/// JSON equality, with floats equal to within a rounding step: serde_json (without its
/// `float_roundtrip` feature) may read a float back one step off, which is not Hearth's bug.
fn same_json(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
            let (x, y) = (
                x.as_f64().unwrap_or(f64::NAN),
                y.as_f64().unwrap_or(f64::NAN),
            );
            x == y || ((x - y).abs() <= f64::EPSILON * 4.0 * x.abs().max(y.abs()))
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}

/// A target's check.
pub type Check = fn(&[u8]);

/// The targets by name, for the stable runner.
pub const TARGETS: [(&str, Check); 4] = [
    ("rules", rules),
    ("render", render),
    ("socket", socket),
    ("detectors", detectors),
];
