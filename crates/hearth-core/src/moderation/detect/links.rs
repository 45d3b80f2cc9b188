//! Links (`https://...`, `www...`, bare `example.org/x`), emails (plain and spelled out) and
//! social-media contact (`@handle` next to a platform name, profile links).

use regex::Regex;

/// Top-level domains a bare `name.tld` must end in to count as a link. Two-letter English words
/// (`at`, `it`, `in`, `be`, `me`, `no`, `to`, `us`) are left out on purpose: `tired.It was` is a
/// missing space, not a link.
const TLDS: &str = "com|org|net|uk|co|io|info|ly|gl|gov|edu|nhs|ac|tv|app|dev|xyz|biz|eu|ie|ca|au|de|fr|nl|es|ch|se|dk|fi|pl|pt|nz|za|link|site|online|shop|blog|news|club|live|page|social|wales|scot|cymru|london|ai|gg|am";

/// Hosts whose links are a way to find a member off the forum.
const SOCIAL_HOSTS: &[&str] = &[
    "facebook.com",
    "fb.com",
    "fb.me",
    "m.facebook.com",
    "instagram.com",
    "instagr.am",
    "twitter.com",
    "x.com",
    "tiktok.com",
    "snapchat.com",
    "linkedin.com",
    "wa.me",
    "t.me",
    "youtube.com",
    "youtu.be",
    "threads.net",
    "bsky.app",
    "reddit.com",
    "discord.gg",
    "discord.com",
    "onlyfans.com",
];

/// The compiled link, email and social-media patterns.
#[derive(Debug, Clone)]
pub(crate) struct LinkDetectors {
    url: Regex,
    bare: Regex,
    email: Regex,
    email_spelled: Regex,
    handle: Regex,
    platform: Regex,
}

fn trim_trailing(text: &str, start: usize, mut end: usize) -> usize {
    while end > start {
        match text[..end].chars().next_back() {
            Some(c @ ('.' | ',' | ';' | ':' | '!' | '?' | ')' | ']' | '}' | '\'' | '"')) => {
                end -= c.len_utf8()
            }
            _ => break,
        }
    }
    end
}

impl LinkDetectors {
    /// Compiles the patterns (fixed strings: tested below, so this does not fail in practice).
    pub fn new() -> Result<LinkDetectors, regex::Error> {
        Ok(LinkDetectors {
            url: Regex::new(r#"(?i)\b(?:(?:https?|ftp)://|www\.)[^\s<>"]+"#)?,
            bare: Regex::new(&format!(
                r#"(?i)\b(?:[a-z0-9](?:[a-z0-9-]{{0,61}}[a-z0-9])?\.)+(?:{TLDS})\b(?:/[^\s<>"]*)?"#
            ))?,
            email: Regex::new(
                r"(?i)\b[a-z0-9][a-z0-9._%+-]*@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}\b",
            )?,
            email_spelled: Regex::new(concat!(
                r"(?i)\b[a-z0-9][a-z0-9._-]*",
                r"(?:\s*(?:\.|[(\[{]dot[)\]}]|\bdot\b)\s*[a-z0-9_-]+)*",
                r"\s*(?:[(\[{]at[)\]}]|\bat\b|@)\s*",
                r"[a-z0-9-]+",
                r"(?:\s*(?:\.|[(\[{]dot[)\]}]|\bdot\b)\s*[a-z0-9-]+)*?",
                r"\s*(?:[(\[{]dot[)\]}]|\bdot\b)\s*",
                r"(?:com|co|org|net|uk|io|me|info|biz|ac|gov|nhs|edu|ie)\b",
                r"(?:\s*(?:\.|[(\[{]dot[)\]}]|\bdot\b)\s*(?:uk|com))?",
            ))?,
            handle: Regex::new(
                r"(?:^|[^\w@.])(@[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?)",
            )?,
            platform: Regex::new(
                r"(?i)\b(?:instagram|insta|twitter|tiktok|tik tok|snapchat|facebook|fb|bluesky|telegram|whatsapp|discord|reddit|linkedin|youtube|kik|onlyfans|twitch)\b",
            )?,
        })
    }

    /// URLs and bare domains. A domain right after `@` is an email's, not a link.
    pub fn links(&self, text: &str) -> Vec<(usize, usize)> {
        let mut out: Vec<(usize, usize)> = Vec::new();
        for m in self.url.find_iter(text) {
            out.push((m.start(), trim_trailing(text, m.start(), m.end())));
        }
        for m in self.bare.find_iter(text) {
            if text[..m.start()].ends_with('@')
                || out.iter().any(|&(s, e)| m.start() < e && s < m.end())
            {
                continue;
            }
            // `a.m.` style abbreviations need a label of two characters or more somewhere.
            let host = m.as_str().split('/').next().unwrap_or("");
            if host.split('.').all(|l| l.len() < 2) {
                continue;
            }
            out.push((m.start(), trim_trailing(text, m.start(), m.end())));
        }
        out.sort_unstable();
        out
    }

    /// Email addresses, written plainly or spelled out (`janet dot moss at gmail dot com`).
    pub fn emails(&self, text: &str) -> Vec<(usize, usize)> {
        let mut out: Vec<(usize, usize)> = self
            .email
            .find_iter(text)
            .map(|m| (m.start(), m.end()))
            .collect();
        for m in self.email_spelled.find_iter(text) {
            if !out.iter().any(|&(s, e)| m.start() < e && s < m.end()) {
                out.push((m.start(), m.end()));
            }
        }
        out.sort_unstable();
        out
    }

    /// `@handles` when a platform is named in the same text, and links to social-media profiles.
    pub fn social(&self, text: &str, links: &[(usize, usize)]) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        if self.platform.is_match(text) {
            for c in self.handle.captures_iter(text) {
                if let Some(m) = c.get(1) {
                    out.push((m.start(), m.end()));
                }
            }
        }
        for &(s, e) in links {
            let link = text[s..e].to_ascii_lowercase();
            let rest = link
                .trim_start_matches("https://")
                .trim_start_matches("http://")
                .trim_start_matches("www.");
            let host = rest.split(['/', '?', '#']).next().unwrap_or("");
            if SOCIAL_HOSTS
                .iter()
                .any(|h| host == *h || host.ends_with(&format!(".{h}")))
            {
                out.push((s, e));
            }
        }
        out.sort_unstable();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d() -> LinkDetectors {
        LinkDetectors::new().unwrap()
    }

    fn texts<'a>(text: &'a str, spans: &[(usize, usize)]) -> Vec<&'a str> {
        spans.iter().map(|&(s, e)| &text[s..e]).collect()
    }

    #[test]
    fn links() {
        let d = d();
        let table: &[(&str, &[&str])] = &[
            (
                "This article helped me: https://example.org/coping-after-disclosure",
                &["https://example.org/coping-after-disclosure"],
            ),
            (
                "Try www.example.org/help it was useful",
                &["www.example.org/help"],
            ),
            ("see example.com/x.", &["example.com/x"]),
            ("(see https://example.org/a)", &["https://example.org/a"]),
            ("bbc.co.uk has it", &["bbc.co.uk"]),
            (
                "Add me on facebook.com/janet.moss.70",
                &["facebook.com/janet.moss.70"],
            ),
            ("HTTP://EXAMPLE.ORG", &["HTTP://EXAMPLE.ORG"]),
            ("It's 2 a.m. and I can't sleep", &[]),
            ("e.g. this, i.e. that", &[]),
            ("I was tired.It was late", &[]),
            ("mail janet@gmail.com", &[]),
            ("version 1.2.3 of the leaflet", &[]),
        ];
        for (text, want) in table {
            assert_eq!(texts(text, &d.links(text)), *want, "{text:?}");
        }
    }

    #[test]
    fn emails() {
        let d = d();
        let table: &[(&str, &[&str])] = &[
            (
                "Email me: janet.moss1970@gmail.com",
                &["janet.moss1970@gmail.com"],
            ),
            (
                "email me at janet dot moss at gmail dot com",
                &["janet dot moss at gmail dot com"],
            ),
            ("janet(at)gmail(dot)com", &["janet(at)gmail(dot)com"]),
            (
                "janet [at] gmail [dot] co [dot] uk",
                &["janet [at] gmail [dot] co [dot] uk"],
            ),
            (
                "JANET AT HOTMAIL DOT CO DOT UK",
                &["JANET AT HOTMAIL DOT CO DOT UK"],
            ),
            ("I was at work all day", &[]),
            ("we met at the park", &[]),
            ("look at @sarah's post", &[]),
        ];
        for (text, want) in table {
            assert_eq!(texts(text, &d.emails(text)), *want, "{text:?}");
        }
    }

    #[test]
    fn social() {
        let d = d();
        let table: &[(&str, &[&str])] = &[
            ("Find me on Instagram @jane_moss_70", &["@jane_moss_70"]),
            (
                "Add me on facebook.com/janet.moss.70",
                &["facebook.com/janet.moss.70"],
            ),
            (
                "https://www.instagram.com/jane",
                &["https://www.instagram.com/jane"],
            ),
            ("@sarah thank you for this", &[]),
            ("mail janet@gmail.com on facebook", &[]),
            ("https://example.org/facebook.com", &[]),
        ];
        for (text, want) in table {
            let links = d.links(text);
            assert_eq!(texts(text, &d.social(text, &links)), *want, "{text:?}");
        }
    }
}
