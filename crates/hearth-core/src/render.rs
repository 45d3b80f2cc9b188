//! Member text to HTML that is safe to put in a page: Markdown for posts, plain text for chat.
//!
//! Two layers, so that a mistake in one is caught by the other:
//! 1. Markdown is parsed with pulldown-cmark and the events are rewritten before any HTML is
//!    produced: raw HTML in the source becomes text (so `<b>` shows as `<b>`), images become
//!    plain links (a remote image would load from the reader's browser and leak members' IP
//!    addresses to whoever hosts it), headings are demoted two levels so a post cannot shout
//!    over the page, and nesting deeper than [`MAX_DEPTH`] is flattened.
//! 2. The HTML then goes through ammonia with a strict allow-list: only the tags below, only
//!    `href`/`title` on links and `start` on ordered lists, only `http`, `https` and `mailto`
//!    URLs (relative URLs are dropped), `rel="nofollow noopener noreferrer"` on every link, no
//!    `style`, no classes, no event handlers, no comments.
//!
//! Neither function panics on any input.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use ammonia::{Builder, UrlRelative};
use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// Tags deeper than this are dropped (their text is kept), so hostile nesting cannot exhaust
/// the stack of the HTML parser or make the page unreadable.
pub const MAX_DEPTH: usize = 32;

/// Tags that may appear in rendered member text.
const ALLOWED_TAGS: &[&str] = &[
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

/// URL schemes a link may use.
const ALLOWED_SCHEMES: &[&str] = &["http", "https", "mailto"];

/// The `rel` every link gets: no search-engine credit, no `window.opener`, no Referer header
/// (which would tell the other site that a member came from this forum).
pub const LINK_REL: &str = "nofollow noopener noreferrer";

static SANITISER: LazyLock<Builder<'static>> = LazyLock::new(|| {
    let mut b = Builder::empty();
    b.tags(ALLOWED_TAGS.iter().copied().collect())
        .clean_content_tags(["script", "style"].into_iter().collect())
        .generic_attributes(HashSet::new())
        .generic_attribute_prefixes(HashSet::new())
        .tag_attributes(HashMap::from([
            ("a", ["href", "title"].into_iter().collect::<HashSet<_>>()),
            ("ol", ["start"].into_iter().collect()),
        ]))
        .allowed_classes(HashMap::new())
        .url_schemes(ALLOWED_SCHEMES.iter().copied().collect())
        // Relative links are refused, except the profile links mentions become.
        .url_relative(UrlRelative::Custom(Box::new(profile_links_only)))
        .link_rel(Some(LINK_REL))
        .strip_comments(true)
        .id_prefix(None);
    b
});

/// The Markdown extensions posts may use. One place, so that the moderation rules read a post
/// (`moderation::readable_text`) with exactly the parse its readers get.
pub(crate) fn markdown_options() -> Options {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    options
}

/// Renders a post's Markdown to sanitised HTML.
pub fn render_markdown(src: &str) -> String {
    let options = markdown_options();
    let events = Rewriter::default().rewrite(Parser::new_ext(src, options));
    let mut html = String::with_capacity(src.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    sanitise_html(&html)
}

/// Runs HTML through the same allow-list as [`render_markdown`]. Public so that tests (and a
/// moderator's edited body, if it ever arrives as HTML) use exactly the same policy; running it
/// on its own output changes nothing.
pub fn sanitise_html(html: &str) -> String {
    let clean = SANITISER.clean(html).to_string();
    // A character reference such as `&#13;` comes out as a raw carriage return, which the next
    // parse would turn into a line feed: write line feeds now, so sanitising again changes nothing.
    if clean.contains('\r') {
        clean.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        clean
    }
}

/// Writes `c` into `out` escaped for HTML text or a quoted attribute value; answers whether it
/// was one of the five characters that need it. The one escaper every plain-text rendering
/// uses (chat, search snippets, the pages served without the web client).
pub fn push_escaped(out: &mut String, c: char) -> bool {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '"' => out.push_str("&quot;"),
        '\'' => out.push_str("&#39;"),
        _ => return false,
    }
    true
}

/// `text` escaped for HTML text or a quoted attribute value (see [`push_escaped`]).
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        if !push_escaped(&mut out, c) {
            out.push(c);
        }
    }
    out
}

/// Renders a chat message: plain text, HTML-escaped, line breaks kept as `<br>`.
pub fn render_plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push_str("<br>\n");
        }
        for c in line.chars() {
            if push_escaped(&mut out, c) {
                continue;
            }
            out.push(if c == '\0' { '\u{FFFD}' } else { c });
        }
    }
    out
}

/// What happened to an open tag, so its end can be treated the same way.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Opened {
    /// Passed through as it was (or rewritten one to one, like a demoted heading).
    Kept,
    /// An image turned into a link.
    ImageAsLink,
    /// Dropped: only its content is kept.
    Dropped,
}

/// The only relative URL a post may hold: a member's profile, `/members/<handle>`, as a mention
/// renders. Anything else relative (`/api/...`, `../`) is dropped by the sanitiser.
fn profile_links_only(url: &str) -> Option<std::borrow::Cow<'_, str>> {
    let handle = url.strip_prefix(PROFILE_PATH)?;
    let ok = (3..=32).contains(&handle.len())
        && handle.starts_with(|c: char| c.is_ascii_alphanumeric())
        && !handle.contains("..")
        && handle
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    ok.then_some(std::borrow::Cow::Borrowed(url))
}

/// Where a member's profile lives in the web client.
pub const PROFILE_PATH: &str = "/members/";

/// The handles `src` mentions (`@handle` outside code and links), each once, as written.
/// The same parse as [`render_markdown`], so a member is notified of exactly the mentions they
/// can see as links.
pub fn mentioned_handles(src: &str) -> Vec<String> {
    let options = markdown_options();
    let mut found: Vec<String> = Vec::new();
    for event in Rewriter::default().rewrite(Parser::new_ext(src, options)) {
        if let Event::Start(Tag::Link { dest_url, .. }) = event
            && let Some(handle) = dest_url.strip_prefix(PROFILE_PATH)
            && !found.iter().any(|f| f.eq_ignore_ascii_case(handle))
        {
            found.push(handle.to_owned());
        }
    }
    found
}

/// Rewrites Markdown events before HTML is produced (see the module documentation).
#[derive(Default)]
struct Rewriter {
    open: Vec<Opened>,
    /// How many links (or images turned into links) are open: a link inside a link is dropped.
    links: usize,
    /// How many code blocks are open: `@handle` in code is not a mention.
    code: usize,
}

fn demote(level: HeadingLevel) -> HeadingLevel {
    match level {
        HeadingLevel::H1 => HeadingLevel::H3,
        HeadingLevel::H2 => HeadingLevel::H4,
        HeadingLevel::H3 => HeadingLevel::H5,
        _ => HeadingLevel::H6,
    }
}

impl Rewriter {
    fn rewrite<'a>(mut self, parser: Parser<'a>) -> Vec<Event<'a>> {
        let mut out = Vec::new();
        for event in parser {
            match event {
                Event::Start(tag) => self.start(tag, &mut out),
                Event::End(end) => self.end(end, &mut out),
                // Raw HTML is shown as text, never interpreted.
                Event::Html(s) | Event::InlineHtml(s) => out.push(Event::Text(s)),
                Event::Text(s) if self.links == 0 && self.code == 0 && s.contains('@') => {
                    self.mentions(s, &mut out)
                }
                Event::InlineMath(s) | Event::DisplayMath(s) => out.push(Event::Code(s)),
                Event::FootnoteReference(s) => {
                    out.push(Event::Text(CowStr::from(format!("[^{s}]"))))
                }
                Event::TaskListMarker(done) => out.push(Event::Text(CowStr::from(if done {
                    "[x] "
                } else {
                    "[ ] "
                }))),
                other => out.push(other),
            }
        }
        out
    }

    /// Turns each `@handle` in a run of text into a link to that member's profile.
    fn mentions<'a>(&mut self, text: CowStr<'a>, out: &mut Vec<Event<'a>>) {
        for (part, handle) in crate::comforts::split_mentions(&text) {
            match handle {
                Some(h) => {
                    out.push(Event::Start(Tag::Link {
                        link_type: pulldown_cmark::LinkType::Inline,
                        dest_url: CowStr::from(format!("{PROFILE_PATH}{h}")),
                        title: CowStr::Borrowed(""),
                        id: CowStr::Borrowed(""),
                    }));
                    out.push(Event::Text(CowStr::from(part.to_owned())));
                    out.push(Event::End(TagEnd::Link));
                }
                None => out.push(Event::Text(CowStr::from(part.to_owned()))),
            }
        }
    }

    fn start<'a>(&mut self, tag: Tag<'a>, out: &mut Vec<Event<'a>>) {
        if self.open.len() >= MAX_DEPTH {
            self.open.push(Opened::Dropped);
            return;
        }
        match tag {
            Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            } => {
                if self.links > 0 {
                    self.open.push(Opened::Dropped);
                    return;
                }
                self.links += 1;
                self.open.push(Opened::ImageAsLink);
                out.push(Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                }));
                out.push(Event::Text(CowStr::Borrowed("Image: ")));
            }
            Tag::Link { .. } => {
                if self.links > 0 {
                    self.open.push(Opened::Dropped);
                    return;
                }
                self.links += 1;
                self.open.push(Opened::Kept);
                out.push(Event::Start(tag));
            }
            Tag::Heading { level, .. } => {
                self.open.push(Opened::Kept);
                out.push(Event::Start(Tag::Heading {
                    level: demote(level),
                    id: None,
                    classes: Vec::new(),
                    attrs: Vec::new(),
                }));
            }
            Tag::HtmlBlock | Tag::MetadataBlock(_) => {
                // Their content arrives as `Html`/`Text` events, which we show as text.
                self.open.push(Opened::Dropped);
            }
            Tag::CodeBlock(_) => {
                // Drop the language tag: it would become a class attribute.
                self.code += 1;
                self.open.push(Opened::Kept);
                out.push(Event::Start(Tag::CodeBlock(
                    pulldown_cmark::CodeBlockKind::Indented,
                )));
            }
            other => {
                self.open.push(Opened::Kept);
                out.push(Event::Start(other));
            }
        }
    }

    fn end<'a>(&mut self, end: TagEnd, out: &mut Vec<Event<'a>>) {
        match self.open.pop() {
            Some(Opened::Kept) => {
                let end = match end {
                    TagEnd::Heading(level) => TagEnd::Heading(demote(level)),
                    TagEnd::Link => {
                        self.links = self.links.saturating_sub(1);
                        TagEnd::Link
                    }
                    TagEnd::CodeBlock => {
                        self.code = self.code.saturating_sub(1);
                        TagEnd::CodeBlock
                    }
                    other => other,
                };
                out.push(Event::End(end));
            }
            Some(Opened::ImageAsLink) => {
                self.links = self.links.saturating_sub(1);
                out.push(Event::End(TagEnd::Link));
            }
            Some(Opened::Dropped) | None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_link_to_profiles_outside_code_and_links() {
        assert_eq!(
            render_markdown("thanks @sam_w and @Jo.B."),
            "<p>thanks <a href=\"/members/sam_w\" rel=\"nofollow noopener noreferrer\">@sam_w</a> and \
             <a href=\"/members/Jo.B\" rel=\"nofollow noopener noreferrer\">@Jo.B</a>.</p>\n"
        );
        assert_eq!(render_markdown("`@sam_w`"), "<p><code>@sam_w</code></p>\n");
        assert_eq!(
            render_markdown("```\n@sam_w\n```"),
            "<pre><code>@sam_w\n</code></pre>\n"
        );
        assert_eq!(
            render_markdown("[hi @sam_w](https://e.org)"),
            "<p><a href=\"https://e.org\" rel=\"nofollow noopener noreferrer\">hi @sam_w</a></p>\n"
        );
        assert_eq!(
            mentioned_handles("@sam_w, @SAM_W, `@code` [@link](https://e.org) and @jo.b"),
            ["sam_w", "jo.b"]
        );
        // Other relative links stay refused.
        for src in [
            "[x](/api/me)",
            "[x](/members/../api)",
            "[x](/members/a)",
            "[x](members/bob)",
        ] {
            assert!(!render_markdown(src).contains("href"), "{src}");
        }
        assert!(render_markdown("[x](/members/bob)").contains("href=\"/members/bob\""));
    }

    #[test]
    fn ordinary_markdown_renders() {
        let table: &[(&str, &str)] = &[
            ("hello *world*", "<p>hello <em>world</em></p>\n"),
            (
                "**strong** and ~~gone~~",
                "<p><strong>strong</strong> and <del>gone</del></p>\n",
            ),
            ("# Title", "<h3>Title</h3>\n"),
            ("## Sub", "<h4>Sub</h4>\n"),
            ("###### Six", "<h6>Six</h6>\n"),
            ("> quoted", "<blockquote>\n<p>quoted</p>\n</blockquote>\n"),
            ("- a\n- b", "<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n"),
            (
                "3. c\n4. d",
                "<ol start=\"3\">\n<li>c</li>\n<li>d</li>\n</ol>\n",
            ),
            ("`code`", "<p><code>code</code></p>\n"),
            (
                "```rust\nlet x = 1;\n```",
                "<pre><code>let x = 1;\n</code></pre>\n",
            ),
            ("a  \nb", "<p>a<br>\nb</p>\n"),
            ("---", "<hr>\n"),
            (
                "[help](https://example.org/a?b=1&c=2)",
                "<p><a href=\"https://example.org/a?b=1&amp;c=2\" rel=\"nofollow noopener noreferrer\">help</a></p>\n",
            ),
            (
                "<https://example.org>",
                "<p><a href=\"https://example.org\" rel=\"nofollow noopener noreferrer\">https://example.org</a></p>\n",
            ),
            (
                "<jan@example.org>",
                "<p><a href=\"mailto:jan@example.org\" rel=\"nofollow noopener noreferrer\">jan@example.org</a></p>\n",
            ),
            (
                "| a | b |\n|:-:|---|\n| 1 | 2 |",
                "<table><thead><tr><th>a</th><th>b</th></tr></thead><tbody>\n<tr><td>1</td><td>2</td></tr>\n</tbody></table>\n",
            ),
        ];
        for (src, want) in table {
            assert_eq!(render_markdown(src), *want, "{src:?}");
        }
    }

    #[test]
    fn images_become_links_never_img() {
        let table: &[(&str, &str)] = &[
            (
                "![a cat](https://example.org/cat.png)",
                "<p><a href=\"https://example.org/cat.png\" rel=\"nofollow noopener noreferrer\">Image: a cat</a></p>\n",
            ),
            (
                "![x](javascript:alert(1))",
                "<p><a rel=\"nofollow noopener noreferrer\">Image: x</a></p>\n",
            ),
            (
                "[![inner](https://e.org/i.png)](https://e.org/)",
                "<p><a href=\"https://e.org/\" rel=\"nofollow noopener noreferrer\">inner</a></p>\n",
            ),
            (
                "![ref][r]\n\n[r]: https://e.org/i.png",
                "<p><a href=\"https://e.org/i.png\" rel=\"nofollow noopener noreferrer\">Image: ref</a></p>\n",
            ),
        ];
        for (src, want) in table {
            assert_eq!(render_markdown(src), *want, "{src:?}");
        }
    }

    /// The markup of `html` (everything between `<` and `>`), lower-cased. The serialiser
    /// escapes every `<` in text, so text that merely mentions `onerror=` is not counted.
    fn markup(html: &str) -> String {
        let mut out = String::new();
        let mut inside = false;
        for c in html.chars() {
            match c {
                '<' => {
                    inside = true;
                    out.push(c);
                }
                '>' => {
                    inside = false;
                    out.push(c);
                }
                c if inside => out.extend(c.to_lowercase()),
                _ => {}
            }
        }
        out
    }

    #[test]
    fn hostile_input_is_neutralised() {
        // (input, what must not appear in the output's markup)
        let table: &[(&str, &[&str])] = &[
            ("<script>alert(1)</script>", &["<script"]),
            ("<SCRIPT SRC=//evil/x.js></SCRIPT>", &["<script"]),
            ("<img src=x onerror=alert(1)>", &["<img", "onerror="]),
            ("<a href=\"javascript:alert(1)\">x</a>", &["<a "]),
            ("[x](javascript:alert(1))", &["javascript:", "href"]),
            ("[x](JaVaScRiPt:alert(1))", &["javascript:", "href"]),
            ("[x](jav&#x09;ascript:alert(1))", &["href"]),
            ("[x](&#106;avascript:alert(1))", &["href"]),
            (
                "[x](&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;:alert(1))",
                &["href"],
            ),
            ("[x]( javascript:alert(1))", &["href"]),
            ("[x](java\nscript:alert(1))", &["href=\"java"]),
            ("[x](vbscript:msgbox(1))", &["href"]),
            (
                "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
                &["href"],
            ),
            (
                "[x](DATA:text/html,<script>alert(1)</script>)",
                &["href", "<script"],
            ),
            ("<javascript:alert(1)>", &["href"]),
            ("[x][r]\n\n[r]: javascript:alert(1)", &["href"]),
            ("[x](//evil.example/)", &["href"]),
            ("[x](/relative)", &["href"]),
            (
                "[x](https://e.org \"t\" onmouseover=alert(1))",
                &["onmouseover="],
            ),
            (
                "<div style=\"background:url(javascript:alert(1))\">x</div>",
                &["<div", "style="],
            ),
            ("<iframe src=https://evil></iframe>", &["<iframe"]),
            ("<svg/onload=alert(1)>", &["<svg"]),
            (
                "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
                &["<math", "<style", "<img"],
            ),
            ("<<script>script>alert(1)<</script>/script>", &["<script"]),
            ("<scr<script>ipt>alert(1)</script>", &["<script"]),
            ("<!-- <script>alert(1)</script> -->", &["<script", "<!--"]),
            ("<form action=x><input name=y></form>", &["<form", "<input"]),
            ("<base href=//evil/>", &["<base"]),
            ("<meta http-equiv=refresh content=0;url=//evil>", &["<meta"]),
            ("<a href=x onclick=alert(1)>click", &["<a "]),
            (
                "```\n</code></pre><script>alert(1)</script>\n```",
                &["<script"],
            ),
            ("`<script>`", &["<script"]),
            ("<details open ontoggle=alert(1)>", &["<details"]),
            ("- [ ] task", &["<input"]),
        ];
        for (src, forbidden) in table {
            let html = render_markdown(src);
            let tags = markup(&html);
            for f in *forbidden {
                assert!(
                    !tags.contains(f),
                    "{src:?} rendered as {html:?}, which contains {f:?}"
                );
            }
            for f in [
                "<script",
                "<style",
                "<img",
                "<iframe",
                "<svg",
                "on",
                "style=",
                "javascript:",
                "data:",
            ] {
                let hit = if f == "on" {
                    tags.contains(" on")
                } else {
                    tags.contains(f)
                };
                assert!(
                    !hit,
                    "{src:?} rendered as {html:?}, which has {f:?} in its markup"
                );
            }
            assert_eq!(sanitise_html(&html), html, "not idempotent for {src:?}");
        }
    }

    #[test]
    fn raw_html_shows_as_text() {
        assert_eq!(
            render_markdown("<b>hi</b>"),
            "<p>&lt;b&gt;hi&lt;/b&gt;</p>\n"
        );
        assert_eq!(
            render_markdown("<div>\nblock\n</div>"),
            "&lt;div&gt;\nblock\n&lt;/div&gt;"
        );
    }

    #[test]
    fn deep_nesting_and_odd_input_never_panic() {
        let inputs = [
            ">".repeat(100_000),
            "*".repeat(100_000),
            "[".repeat(50_000) + &"]".repeat(50_000),
            "- ".repeat(20_000),
            "![".repeat(20_000),
            "\u{0}".repeat(100),
            "<".repeat(10_000),
            "| a |\n|---|\n".repeat(1000),
            "1. ".repeat(10_000),
            String::new(),
        ];
        for src in &inputs {
            let html = render_markdown(src);
            assert!(!html.contains("<script"));
        }
        let nested = render_markdown(&">".repeat(1000));
        assert!(nested.matches("<blockquote>").count() <= MAX_DEPTH);
    }

    #[test]
    fn plain_text_for_chat() {
        assert_eq!(
            render_plain("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        assert_eq!(
            render_plain("one\ntwo\r\nthree\rfour"),
            "one<br>\ntwo<br>\nthree<br>\nfour"
        );
        assert_eq!(render_plain(""), "");
        assert_eq!(render_plain("**not markdown**"), "**not markdown**");
    }
}
