//! Renders every payload of the shared XSS corpus and checks the output with a real HTML parser.
//!
//! The oracle (after `shared/data/xss/README.md`): parse the output as a browser would and find
//! only allow-listed elements, no `on*` or `style` attribute, no link whose scheme is not http,
//! https or mailto; and sanitising the output again changes nothing. The corpus lives outside
//! the repository; a missing file fails the test loudly.

mod common;

use common::shared_data;
use hearth_core::moderation::{AuthorFacts, RuleSet, Submission, TextKind};
use hearth_core::policy::Role;
use hearth_core::render::{LINK_REL, render_markdown, render_plain, sanitise_html};
use scraper::{Html, Node};

/// Where the data file is (see [`shared_data`]).
#[allow(non_snake_case)]
fn CORPUS() -> String {
    shared_data("xss/xss-corpus.jsonl")
}

/// Elements rendered member text may contain (`html` and `body` are the fragment parser's own
/// context: a `<body>` or `<html>` tag in the input never becomes an element inside a fragment).
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

/// Named in the corpus README and the task: must never appear, whatever the allow-list says.
const FORBIDDEN: &[&str] = &[
    "script", "style", "iframe", "object", "embed", "svg", "math", "form", "base", "img", "input",
    "meta", "link", "frame", "frameset", "applet", "template", "noscript", "textarea", "button",
    "select", "video", "audio", "source", "picture",
];

fn load_corpus() -> Vec<String> {
    let raw = std::fs::read_to_string(CORPUS()).unwrap_or_else(|e| {
        panic!("cannot read the XSS corpus at {}: {e}. The shared test data sits beside the checkout (shared/data/) or in testdata/shared-data/.", CORPUS())
    });
    let payloads: Vec<String> = raw
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("{} line {}: {e}", CORPUS(), i + 1))
        })
        .collect();
    assert!(
        payloads.len() >= 2311,
        "expected 2,311 payloads in {}, found {}",
        CORPUS(),
        payloads.len()
    );
    payloads
}

/// A URL as a browser reads it: surrounding spaces and control characters trimmed, tabs and
/// newlines inside removed, lower case.
fn browser_url(value: &str) -> String {
    value
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect::<String>()
        .to_lowercase()
}

/// Everything wrong with one rendered output.
fn problems(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let doc = Html::parse_fragment(html);
    for node in doc.tree.nodes() {
        let Node::Element(el) = node.value() else {
            continue;
        };
        let name = el.name();
        if FORBIDDEN.contains(&name) {
            out.push(format!("forbidden element <{name}>"));
        }
        if !ALLOWED.contains(&name) {
            out.push(format!("element <{name}> is not on the allow-list"));
        }
        for (attr, value) in el.attrs() {
            let attr = attr.to_lowercase();
            if attr.starts_with("on") {
                out.push(format!("event handler {attr}"));
            }
            if attr == "style" {
                out.push("style attribute".to_string());
            }
            let allowed_attr = matches!(
                (name, attr.as_str()),
                ("a", "href" | "title" | "rel") | ("ol", "start")
            );
            if !allowed_attr {
                out.push(format!("attribute {attr} on <{name}>"));
            }
            if matches!(
                attr.as_str(),
                "href"
                    | "src"
                    | "action"
                    | "formaction"
                    | "xlink:href"
                    | "data"
                    | "poster"
                    | "background"
            ) {
                let url = browser_url(value);
                if !(url.starts_with("http://")
                    || url.starts_with("https://")
                    || url.starts_with("mailto:")
                    || (attr == "href" && is_profile_link(&url)))
                {
                    out.push(format!(
                        "{attr}={value:?} does not use http, https or mailto"
                    ));
                }
            }
            if attr == "rel" && value != LINK_REL {
                out.push(format!("rel={value:?}"));
            }
        }
        if name == "a" && el.attr("rel") != Some(LINK_REL) {
            out.push("a link without rel=\"nofollow noopener noreferrer\"".to_string());
        }
    }
    out
}

#[test]
fn every_corpus_payload_renders_harmless() {
    let payloads = load_corpus();
    let mut failures = Vec::new();
    for payload in &payloads {
        let html = render_markdown(payload);
        let mut found = problems(&html);
        let again = sanitise_html(&html);
        if again != html {
            found.push(format!("sanitising again changed it to {again:?}"));
        }
        // The same payload inside Markdown link and image syntax.
        for wrapped in [
            format!("[x]({payload})"),
            format!("![x]({payload})"),
            format!("<{payload}>"),
        ] {
            let html = render_markdown(&wrapped);
            found.extend(
                problems(&html)
                    .into_iter()
                    .map(|p| format!("as {wrapped:?}: {p}")),
            );
        }
        if !found.is_empty() {
            failures.push(format!(
                "{payload:?}\n  rendered {html:?}\n  {}",
                found.join("\n  ")
            ));
        }
    }
    eprintln!(
        "rendered {} XSS payloads (and 3 Markdown wrappings of each)",
        payloads.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} payloads failed:\n{}",
        failures.len(),
        payloads.len(),
        failures
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn every_corpus_payload_is_inert_as_chat_text() {
    for payload in load_corpus() {
        let html = render_plain(&payload);
        let doc = Html::parse_fragment(&html);
        for node in doc.tree.nodes() {
            if let Node::Element(el) = node.value() {
                assert!(
                    matches!(el.name(), "html" | "body" | "br"),
                    "{payload:?} gave <{}> in {html:?}",
                    el.name()
                );
                assert_eq!(
                    el.attrs().count(),
                    0,
                    "{payload:?} gave attributes in {html:?}"
                );
            }
        }
    }
}

#[test]
fn every_corpus_payload_gets_a_moderation_verdict() {
    let rules = RuleSet::parse(include_str!("../../../moderation-rules.toml")).unwrap();
    for payload in load_corpus() {
        let v = rules.evaluate(&Submission {
            kind: TextKind::Post,
            text: &payload,
            board: None,
            author: AuthorFacts {
                approved_posts: 3,
                role: Role::Member,
            },
        });
        for h in &v.hits {
            assert!(
                payload.get(h.start..h.end).is_some(),
                "bad span in {payload:?}"
            );
        }
    }
}

/// A mention's link to a member's profile on the same site: `/members/` and a handle's
/// characters only, nothing that could leave the path (no `..`, `//`, `:`, `\\`).
fn is_profile_link(url: &str) -> bool {
    url.strip_prefix("/members/").is_some_and(|h| {
        (3..=32).contains(&h.len())
            && !h.contains("..")
            && h.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    })
}
