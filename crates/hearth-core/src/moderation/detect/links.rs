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

/// Social-media hosts whose top-level domain is also an English word (`t.me`): the bare-domain
/// pattern leaves such domains out, so these are looked for by name.
const SHORT_SOCIAL: &str =
    r"t\.me|wa\.me|fb\.me|instagr\.am|youtu\.be|bsky\.app|discord\.gg|linktr\.ee|snapchat\.com";

/// Platforms people move a conversation to. Gate for `@handles` and the word before a handle.
const PLATFORMS: &str = "instagram|insta|ig|twitter|tiktok|tik tok|snapchat|snap|facebook|fb|\
messenger|bluesky|bsky|telegram|whatsapp|signal|discord|reddit|linkedin|youtube|kik|onlyfans|\
twitch|threads|mastodon|tumblr|pinterest|wechat|viber|skype";

/// The compiled link, email and social-media patterns.
#[derive(Debug, Clone)]
pub(crate) struct LinkDetectors {
    url: Regex,
    bare: Regex,
    short_social: Regex,
    email: Regex,
    email_spelled: Regex,
    email_domain: Regex,
    at_token: Regex,
    handle: Regex,
    platform: Regex,
    platform_handle: Regex,
    handle_cue: Regex,
    username: Regex,
    reddit: Regex,
}

/// Keeps the spans of `extra` that overlap nothing in `base` (both sorted by start), and
/// returns the union sorted: linear, where checking each against all would be quadratic.
pub(crate) fn merge_spans(
    base: Vec<(usize, usize)>,
    extra: Vec<(usize, usize)>,
) -> Vec<(usize, usize)> {
    let mut out = Vec::with_capacity(base.len() + extra.len());
    let mut j = 0;
    for (s, e) in extra {
        while j < base.len() && base[j].1 <= s {
            j += 1;
        }
        let overlaps = base.get(j).is_some_and(|&(bs, _)| bs < e);
        if !overlaps {
            out.push((s, e));
        }
    }
    out.extend(base);
    out.sort_unstable();
    out
}

/// Whether a token looks like a username rather than a word: digits, `_` or an inner `.`.
fn handle_like(t: &str) -> bool {
    let inner = t.trim_matches('.');
    inner.len() >= 3
        && inner.chars().any(|c| c.is_ascii_alphabetic())
        && (inner.contains(|c: char| c.is_ascii_digit() || c == '_') || inner.contains('.'))
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
        // Ways of writing `@` and `.` that people use to get an address past a filter.
        let at = r"(?:@|[(\[{<]\s*at\s*[)\]}>]|\bat(?:[ -]?sign|[ -]symbol)?\b)";
        let dot =
            r"(?:\.|[(\[{<]\s*dot\s*[)\]}>]|\bdot\b|\bfull ?stop\b|\bpoint\b|\bperiod\b|[∙•·])";
        let spelled_dot =
            r"(?:[(\[{<]\s*dot\s*[)\]}>]|\bdot\b|\bfull ?stop\b|\bpoint\b|\bperiod\b|[∙•·])";
        let tld = r"(?:com|co|org|net|uk|io|me|info|biz|ac|gov|nhs|edu|ie|eu|de|fr|us)\b";
        Ok(LinkDetectors {
            url: Regex::new(r#"(?i)\b(?:(?:https?|ftp)://|www\.)[^\s<>"]+"#)?,
            bare: Regex::new(&format!(
                r#"(?i)\b(?:[a-z0-9](?:[a-z0-9-]{{0,61}}[a-z0-9])?\.)+(?:{TLDS})\b(?:/[^\s<>"]*)?"#
            ))?,
            short_social: Regex::new(&format!(r#"(?i)\b(?:{SHORT_SOCIAL})/[^\s<>"]+"#))?,
            email: Regex::new(
                r"(?i)\b[a-z0-9][a-z0-9._%+-]*@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}\b",
            )?,
            email_spelled: Regex::new(&format!(
                r"(?i)\b[a-z0-9][a-z0-9._-]*(?:\s*{dot}\s*[a-z0-9_-]+)*\s*{at}\s*[a-z0-9-]+(?:\s*{dot}\s*[a-z0-9-]+)*?\s*{dot}\s*{tld}(?:\s*{dot}\s*(?:uk|com))?"
            ))?,
            // Only the domain, the rest said elsewhere: "just add @example.org", "at example dot org".
            email_domain: Regex::new(&format!(
                r"(?i)(?:(?:^|[\s(])@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.{tld}|\bat\s+[a-z0-9-]+\s*{spelled_dot}\s*{tld})"
            ))?,
            at_token: Regex::new(r"[^\s@]+@[^\s@]+")?,
            handle: Regex::new(
                r"(?:^|[^\w@.])(@[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?)",
            )?,
            platform: Regex::new(&format!(r"(?i)\b(?:{PLATFORMS})\b|\bX\b"))?,
            // "Snapchat: kelz.m2", "add me on snap, it's sunnydayz_84", "my discord is x_y",
            // "My YouTube channel is Mum On The Mend".
            platform_handle: Regex::new(&format!(
                r"(?i:\b(?:{PLATFORMS})\b)(?:\s+(?i:channel|page|account|profile|group|server|name|username|handle|id))?(?:\s*[:,-]\s*|\s+)(?i:(?:it's|its|it is|is|i'm|im|i am|as|at|under|me)\s*:?\s+)?(\p{{Lu}}\p{{Ll}}+(?:\s+\p{{Lu}}\p{{L}}*){{1,4}}|@?[A-Za-z0-9_][A-Za-z0-9_.]*[A-Za-z0-9_])"
            ))?,
            handle_cue: Regex::new(
                r"(?i)(?:\bis|\bas|\bit's|\bits|\bi'm|\bim|\bme|\bfollow|\badd|\bfind|\bhandle|\baccount|\bname|\bon)\s*:?\s*$",
            )?,
            username: Regex::new(
                r"(?i)\b(?:user ?name|screen ?name|gamer ?tag|handle|account name)(?:\s*:\s*|\s+is\s+)@?([a-z0-9_][a-z0-9_.]{2,30})",
            )?,
            reddit: Regex::new(r"(?i)(?:^|[^\w/])(u/[a-z0-9_-]{3,})")?,
        })
    }

    /// URLs and bare domains. A domain right after `@` is an email's, not a link.
    pub fn links(&self, text: &str) -> Vec<(usize, usize)> {
        let mut out: Vec<(usize, usize)> = Vec::new();
        for m in self.url.find_iter(text) {
            out.push((m.start(), trim_trailing(text, m.start(), m.end())));
        }
        let mut extra = Vec::new();
        for m in self.short_social.find_iter(text) {
            extra.push((m.start(), trim_trailing(text, m.start(), m.end())));
        }
        out = merge_spans(out, extra);
        let mut extra = Vec::new();
        for m in self.bare.find_iter(text) {
            if text[..m.start()].ends_with('@') {
                continue;
            }
            // `a.m.` style abbreviations need a label of two characters or more somewhere.
            let host = m.as_str().split('/').next().unwrap_or("");
            if host.split('.').all(|l| l.len() < 2) {
                continue;
            }
            extra.push((m.start(), trim_trailing(text, m.start(), m.end())));
        }
        merge_spans(out, extra)
    }

    /// Email addresses, written plainly, spelled out (`janet dot moss at gmail dot com`,
    /// `jan(at)example(dot)org`), as only their domain (`just add @example.org`), or backwards.
    pub fn emails(&self, text: &str) -> Vec<(usize, usize)> {
        let plain: Vec<(usize, usize)> = self
            .email
            .find_iter(text)
            .map(|m| (m.start(), m.end()))
            .collect();
        let spelled: Vec<(usize, usize)> = self
            .email_spelled
            .find_iter(text)
            .map(|m| (m.start(), m.end()))
            .collect();
        let mut out = merge_spans(plain, spelled);
        let domain: Vec<(usize, usize)> = self
            .email_domain
            .find_iter(text)
            .map(|m| (m.start(), m.end()))
            .collect();
        out = merge_spans(out, domain);
        // Backwards: `gro.elpmaxe@nivekf`.
        let mut reversed = Vec::new();
        for m in self.at_token.find_iter(text) {
            if m.as_str().len() > 100 {
                continue;
            }
            let r: String = m.as_str().chars().rev().collect();
            if self.email.is_match(&r) {
                reversed.push((m.start(), m.end()));
            }
        }
        merge_spans(out, reversed)
    }

    /// Social-media accounts: `@handles` when a platform is named in the text or the handle is
    /// introduced (`it's @x`, `as @x`), a platform's name followed by a username (`Snapchat:
    /// kelz.m2`), a bare `username: x`, Reddit's `u/x`, and links to social-media profiles.
    pub fn social(&self, text: &str, links: &[(usize, usize)]) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let platform_named = self.platform.is_match(text);
        for c in self.handle.captures_iter(text) {
            if let Some(m) = c.get(1) {
                let before = &text[..m.start()];
                let from = before.len().saturating_sub(24);
                let cue = before
                    .get(from..)
                    .is_some_and(|t| self.handle_cue.is_match(t));
                if platform_named || cue {
                    out.push((m.start(), m.end()));
                }
            }
        }
        for c in self.platform_handle.captures_iter(text) {
            let (Some(all), Some(h)) = (c.get(0), c.get(1)) else {
                continue;
            };
            let token = h.as_str();
            let introduced = all.as_str()[..h.start() - all.start()]
                .trim_end()
                .ends_with([':', ',']);
            let named = token.contains(' ');
            if handle_like(token)
                || token.starts_with('@')
                || named
                || (introduced
                    && token.len() >= 4
                    && token
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
                    && token.chars().any(|c| c.is_ascii_lowercase()))
            {
                out.push((h.start(), h.end()));
            }
        }
        for c in self.username.captures_iter(text) {
            if let Some(m) = c.get(1) {
                out.push((m.start(), m.end()));
            }
        }
        for c in self.reddit.captures_iter(text) {
            if let Some(m) = c.get(1) {
                out.push((m.start(), m.end()));
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
        out.dedup();
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
