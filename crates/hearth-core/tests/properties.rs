//! Property tests (proptest) on the core's untrusted-input surfaces: the moderation rules engine,
//! the renderer and the normalisers. Inputs mix arbitrary Unicode with fragments attackers and
//! evaders use (markup, entities, look-alike digits, separators, zero-width and combining
//! characters, right-to-left marks), and the shared corpora when they are present.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::LazyLock;

use hearth_core::account::{handle_key, normalise_email, validate_handle};
use hearth_core::content::{validate_body, validate_title};
use hearth_core::moderation::{AuthorFacts, Matcher, RuleSet, Submission, TextKind};
use hearth_core::policy::Role;
use hearth_core::render::{render_markdown, render_plain, sanitise_html};
use proptest::prelude::*;
use scraper::{Html, Node};

const RULES: &str = include_str!("../../../moderation-rules.toml");

static RULESET: LazyLock<RuleSet> =
    LazyLock::new(|| RuleSet::parse(RULES).expect("the shipped rules parse"));

/// Texts from the shared corpora (moderation cases and XSS payloads), when they are there; the
/// properties run on generated text either way.
static CORPUS: LazyLock<Vec<String>> = LazyLock::new(|| {
    let beside = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data");
    let dir = if std::path::Path::new(beside).exists() {
        beside
    } else {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/shared-data")
    };
    let mut out = Vec::new();
    for (file, field) in [
        ("moderation/cases.jsonl", "text"),
        ("xss/xss-corpus.jsonl", "payload"),
    ] {
        let Ok(text) = std::fs::read_to_string(format!("{dir}/{file}")) else {
            continue;
        };
        for line in text.lines() {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(line) {
                // The field name differs between corpora: take the named one, or any string.
                let s = v[field].as_str().map(str::to_owned).or_else(|| {
                    v.as_object()?
                        .values()
                        .find_map(|x| x.as_str().map(str::to_owned))
                });
                out.extend(s);
            }
        }
    }
    if out.is_empty() {
        out.push("Ring me on 07700 900123, you d1sgusting <script>alert(1)</script>".to_owned());
    }
    out
});

/// Pieces attackers and evaders use.
const FRAGMENTS: &[&str] = &[
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](java\tscript:alert(1))",
    "![img](http://evil.example/t.png)",
    "<svg onload=alert(1)>",
    "<iframe src=//evil.example>",
    "<style>*{}</style>",
    "<!-- c -->",
    "<b onmouseover=x>b</b>",
    "\" onclick=\"x",
    "' onfocus='x",
    "&lt;script&gt;",
    "&#x3C;script&#x3E;",
    "<<script>script>",
    "`code`",
    "```\nblock\n```",
    "**bold**",
    "_em_",
    "~~del~~",
    "> quote",
    "- item",
    "1. item",
    "# heading",
    "|a|b|\n|-|-|\n|c|d|",
    "<http://example.org>",
    "<mailto:x@example.org>",
    "https://example.org/path?q=1",
    "07700 900123",
    "+44 7700 900123",
    "jo@example.org",
    "SW1A 1AA",
    "d1sgust1ng",
    "d.i.s.g.u.s.t",
    "diiiiisgusting",
    "ki11 myself",
    "café",
    "\u{200b}",
    "\u{202e}",
    "\u{0301}",
    "\u{fe0f}",
    "\u{ff41}\u{ff42}",
    "İ",
    "ß",
    "ﬁ",
    "🙂",
    "\r\n",
    "\n\n",
    "\t",
    "\0",
    " ",
];

/// Text as members (and attackers) write it: fragments, arbitrary Unicode, corpus entries.
fn text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => prop::sample::select(FRAGMENTS).prop_map(str::to_owned),
        3 => "\\PC{0,12}",
        2 => any::<String>().prop_map(|s| s.chars().take(12).collect()),
        1 => prop::sample::select(CORPUS.clone()),
        1 => "[a-z0-9 .@$!|'-]{0,16}",
    ];
    prop::collection::vec(piece, 0..12).prop_map(|v| v.concat())
}

fn kind() -> impl Strategy<Value = TextKind> {
    prop::sample::select(TextKind::ALL.to_vec())
}

fn author() -> impl Strategy<Value = AuthorFacts> {
    (0u32..20, prop::sample::select(Role::ALL.to_vec())).prop_map(|(approved_posts, role)| {
        AuthorFacts {
            approved_posts,
            role,
        }
    })
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Elements the renderer may produce (and the fragment parser's own `html`).
const ALLOWED: &[&str] = &[
    "html",
    "body",
    "p",
    "br",
    "hr",
    "em",
    "strong",
    "del",
    "s",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "h3",
    "h4",
    "h5",
    "h6",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
];

/// Checks rendered HTML as a browser would see it: only allow-listed elements, no event
/// handler or style attribute, no script-capable URL; and the raw text has no `<script`.
fn assert_safe(html: &str, input: &str) -> Result<(), TestCaseError> {
    prop_assert!(
        !html.to_ascii_lowercase().contains("<script"),
        "<script in {html:?} from {input:?}"
    );
    let doc = Html::parse_fragment(html);
    for node in doc.tree.nodes() {
        if let Node::Element(e) = node.value() {
            let name = e.name();
            prop_assert!(
                ALLOWED.contains(&name),
                "element <{name}> in {html:?} from {input:?}"
            );
            for (attr, value) in e.attrs() {
                let attr = attr.to_ascii_lowercase();
                prop_assert!(
                    !attr.starts_with("on") && attr != "style" && attr != "src",
                    "attribute {attr} in {html:?} from {input:?}"
                );
                let squashed: String = value
                    .chars()
                    .filter(|c| !c.is_whitespace() && !c.is_control())
                    .collect::<String>()
                    .to_ascii_lowercase();
                for scheme in ["javascript:", "vbscript:", "data:"] {
                    prop_assert!(
                        !squashed.contains(scheme),
                        "{attr}={value:?} in {html:?} from {input:?}"
                    );
                }
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    /// The engine never panics, decides the same way twice, and every hit's span is a valid
    /// slice of the text that holds exactly what was matched.
    #[test]
    fn the_rules_engine_never_panics_and_its_spans_are_exact(
        text in text(),
        kind in kind(),
        author in author(),
        board in prop::option::of(prop::sample::select(vec!["coping", "court-and-police", "staff", "x"])),
    ) {
        let submission = Submission { kind, text: &text, board, author };
        let verdict = RULESET.evaluate(&submission);
        for hit in &verdict.hits {
            prop_assert!(hit.start <= hit.end && hit.end <= text.len(), "{hit:?} in {text:?}");
            prop_assert!(text.is_char_boundary(hit.start) && text.is_char_boundary(hit.end), "{hit:?} in {text:?}");
            if hit.matcher != Matcher::Everything {
                prop_assert_eq!(&hit.matched, &text[hit.start..hit.end], "{:?} in {:?}", hit, text);
            }
        }
        prop_assert_eq!(&verdict, &RULESET.evaluate(&submission));
        // The outcome is the most severe of the hits' actions (or publish).
        let worst = verdict.hits.iter().map(|h| h.action).max();
        prop_assert_eq!(verdict.outcome, worst.map_or(hearth_core::moderation::Outcome::Publish, Into::into));
    }

    /// Markdown rendering never panics, its output is already clean (sanitising it again
    /// changes nothing), and nothing in it can run script.
    #[test]
    fn rendered_markdown_is_safe_and_stable(src in text()) {
        let html = render_markdown(&src);
        prop_assert_eq!(&sanitise_html(&html), &html, "re-sanitising changed the output of {:?}", src);
        assert_safe(&html, &src)?;
    }

    /// The same for HTML sent straight to the sanitiser (a moderator's edited body).
    #[test]
    fn sanitised_html_is_safe_and_idempotent(html in text()) {
        let once = sanitise_html(&html);
        prop_assert_eq!(&sanitise_html(&once), &once, "not idempotent on {:?}", html);
        assert_safe(&once, &html)?;
    }

    /// Chat rendering escapes everything: the text comes back exactly when the HTML is read.
    #[test]
    fn plain_rendering_escapes_everything(text in text()) {
        let html = render_plain(&text);
        // The sanitiser writes some escapes differently (`&#39;` comes back as `'`): what a
        // browser reads is the same, and is the text as typed.
        let read = |h: &str| Html::parse_fragment(h).root_element().text().collect::<String>();
        prop_assert_eq!(read(&sanitise_html(&html)), read(&html));
        let typed = text.replace("\r\n", "\n").replace('\r', "\n");
        prop_assert_eq!(read(&html).replace('\n', ""), typed.replace('\n', "").replace('\0', "\u{fffd}"));
        assert_safe(&html, &text)?;
        prop_assert!(!html.replace("<br>", "").contains('<'), "{html:?}");
    }

    /// Normalisations that should be idempotent are: handle keys, email addresses, titles and
    /// bodies as stored, and a valid handle stays valid.
    #[test]
    fn normalisations_are_idempotent(s in text()) {
        let key = handle_key(&s);
        prop_assert_eq!(handle_key(&key), key.clone());
        if let Ok(email) = normalise_email(&s) {
            prop_assert_eq!(normalise_email(&email), Ok(email.clone()));
        }
        if let Ok(title) = validate_title(&s) {
            prop_assert_eq!(validate_title(&title), Ok(title.clone()));
        }
        if let Ok(body) = validate_body(&s) {
            prop_assert_eq!(validate_body(&body), Ok(body.clone()));
        }
        if let Ok(handle) = validate_handle(&s) {
            prop_assert_eq!(validate_handle(&handle), Ok(handle.clone()));
            prop_assert_eq!(handle_key(&handle), handle.to_ascii_lowercase());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..config() })]

    /// Any rule file at all: parsing answers rules or problems, never a panic; and a file made of
    /// the shipped one with a line changed still parses or reports line-numbered problems.
    /// (Fewer cases: compiling the shipped file's patterns takes a while in a debug build.)
    #[test]
    fn the_rule_parser_never_panics(
        junk in "\\PC{0,200}",
        line in 0usize..400,
        replacement in prop_oneof![Just(String::new()), "\\PC{0,40}", Just("[[rule]]".to_owned()), Just("words = [\"(\"]".to_owned()), Just("patterns = [\"(\"]".to_owned())],
    ) {
        let _ = RuleSet::parse(&junk);
        let mut lines: Vec<&str> = RULES.lines().collect();
        if !lines.is_empty() {
            let i = line % lines.len();
            lines[i] = &replacement;
        }
        if let Ok(rules) = RuleSet::parse(&lines.join("\n")) {
            let _ = rules.evaluate(&Submission {
                kind: TextKind::Post,
                text: &junk,
                board: None,
                author: AuthorFacts { approved_posts: 0, role: Role::Member },
            });
        }
    }
}

/// Deterministic inputs that have broken renderers before: deep nesting, long runs.
#[test]
fn pathological_inputs_render_safely() {
    let inputs = [
        "> ".repeat(10_000),
        "[".repeat(10_000),
        "*".repeat(10_000),
        "- ".repeat(5_000),
        "<".repeat(10_000),
        format!("{}x{}", "<b>".repeat(5_000), "</b>".repeat(5_000)),
        "`".repeat(10_000),
        "\u{202e}".repeat(1000),
        "a\u{0301}".repeat(5_000),
    ];
    for input in &inputs {
        let html = render_markdown(input);
        assert_eq!(sanitise_html(&html), html);
        let verdict = RULESET.evaluate(&Submission {
            kind: TextKind::Post,
            text: input,
            board: None,
            author: AuthorFacts {
                approved_posts: 0,
                role: Role::Member,
            },
        });
        for hit in verdict.hits {
            assert!(input.is_char_boundary(hit.start) && input.is_char_boundary(hit.end));
            if hit.matcher != Matcher::Everything {
                assert_eq!(hit.matched, input[hit.start..hit.end]);
            }
        }
    }
}

/// Found by the fuzzer (fuzz/README.md): a character reference to CR comes out of the sanitiser
/// as a raw CR, which the next parse turns into LF, so sanitising twice differs from once.
#[test]
fn sanitising_a_cr_reference_is_idempotent() {
    for input in ["a&#13;b", "a&#xd;b", "a&#x0D;b", "a&#13b"] {
        let once = sanitise_html(input);
        assert_eq!(sanitise_html(&once), once, "{input:?}");
    }
}
