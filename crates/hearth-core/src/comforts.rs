//! Member comforts: the supportive reactions, following a thread, mentions, search terms and
//! the profile's "about" text. Pure rules, so the choices made for this group are in one place
//! and unit-tested.

/// The reactions members can leave on a post. A small, fixed, supportive set chosen for this
/// group: there is deliberately nothing negative, and no free-form emoji, so a reaction can only
/// ever say "I am with you".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReactionKind {
    /// "Thank you": for a post that helped.
    ThankYou,
    /// "Sending strength": for a post written in a hard moment.
    SendingStrength,
    /// "Me too": for a post that describes what the reader lives with too.
    MeToo,
    /// "Thinking of you": for when there is nothing to say but one is there.
    ThinkingOfYou,
}

impl ReactionKind {
    /// Every kind, in the order the client shows them.
    pub const ALL: [ReactionKind; 4] = [
        ReactionKind::ThankYou,
        ReactionKind::SendingStrength,
        ReactionKind::MeToo,
        ReactionKind::ThinkingOfYou,
    ];

    /// The name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            ReactionKind::ThankYou => "thank_you",
            ReactionKind::SendingStrength => "sending_strength",
            ReactionKind::MeToo => "me_too",
            ReactionKind::ThinkingOfYou => "thinking_of_you",
        }
    }

    /// What the client shows on the button.
    pub fn label(self) -> &'static str {
        match self {
            ReactionKind::ThankYou => "Thank you",
            ReactionKind::SendingStrength => "Sending strength",
            ReactionKind::MeToo => "Me too",
            ReactionKind::ThinkingOfYou => "Thinking of you",
        }
    }

    /// The kind named `s`, if it is one.
    pub fn parse(s: &str) -> Option<ReactionKind> {
        ReactionKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// How a member relates to a thread's new replies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FollowState {
    /// Notified of each new reply; listed among followed threads.
    Following,
    /// Neither notified nor listed (the default for threads one has not written in, and what a
    /// member gets by turning following off: replying again does not turn it back on).
    NotFollowing,
    /// Never notified, not even of a reply to one's own thread, and not followed automatically.
    Muted,
}

impl FollowState {
    /// The name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            FollowState::Following => "following",
            FollowState::NotFollowing => "not_following",
            FollowState::Muted => "muted",
        }
    }

    /// The state named `s`, if it is one.
    pub fn parse(s: &str) -> Option<FollowState> {
        [
            FollowState::Following,
            FollowState::NotFollowing,
            FollowState::Muted,
        ]
        .into_iter()
        .find(|f| f.as_str() == s)
    }
}

/// Whether `c` can be part of a handle (see [`crate::account::validate_handle`]).
fn handle_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')
}

/// Splits `text` around `@handle` mentions: `(text, None)` for plain runs and
/// `(text, Some(handle))` for a mention, whose text is `@handle`. A mention starts at an `@`
/// that does not follow a letter, digit or handle character (so `jo@example.org` is not one),
/// and takes the longest run of handle characters after it, less trailing dots and dashes (so
/// "thanks @sam." mentions `sam`). Handles shorter than 3 or longer than 32 are not mentions.
pub fn split_mentions(text: &str) -> Vec<(&str, Option<&str>)> {
    let mut parts = Vec::new();
    let mut plain_from = 0;
    let mut prev: Option<char> = None;
    let mut i = 0;
    while i < text.len() {
        let c = text[i..].chars().next().unwrap_or('\0');
        if c == '@' && !prev.is_some_and(|p| handle_char(p) || p == '@') {
            let rest = &text[i + 1..];
            let run = rest.find(|c: char| !handle_char(c)).unwrap_or(rest.len());
            let handle = rest[..run].trim_end_matches(['.', '-']);
            let len = handle.chars().count();
            if (3..=32).contains(&len) && handle.starts_with(|c: char| c.is_ascii_alphanumeric()) {
                if plain_from < i {
                    parts.push((&text[plain_from..i], None));
                }
                let end = i + 1 + handle.len();
                parts.push((&text[i..end], Some(handle)));
                plain_from = end;
                prev = handle.chars().last();
                i = end;
                continue;
            }
        }
        prev = Some(c);
        i += c.len_utf8();
    }
    if plain_from < text.len() {
        parts.push((&text[plain_from..], None));
    }
    parts
}

/// Most words a search may have; more are ignored.
pub const MAX_SEARCH_WORDS: usize = 8;

/// The words of a search box's text, as both databases' full-text search will match them:
/// letters and digits, lower-cased, punctuation dropped. Empty when there is nothing to search
/// for. Operators of either database's query syntax cannot pass through.
pub fn search_words(query: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for w in query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let w = w.to_lowercase();
        if !words.contains(&w) {
            words.push(w);
        }
        if words.len() == MAX_SEARCH_WORDS {
            break;
        }
    }
    words
}

/// Marks a search snippet's matches: the database puts [`MARK_START`] and [`MARK_END`] around
/// each matched word; everything else is member text, so it is escaped here and only the marks
/// become `<mark>` elements. Unbalanced marks (a member could type the control characters
/// themselves) still give balanced HTML.
pub fn marked_snippet_html(marked: &str) -> String {
    let mut out = String::with_capacity(marked.len() + 16);
    let mut open = false;
    for c in marked.chars() {
        match c {
            MARK_START if !open => {
                out.push_str("<mark>");
                open = true;
            }
            MARK_END if open => {
                out.push_str("</mark>");
                open = false;
            }
            MARK_START | MARK_END => {}
            c if crate::render::push_escaped(&mut out, c) => {}
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    if open {
        out.push_str("</mark>");
    }
    out
}

/// Put before a matched word in a search snippet by the database.
pub const MARK_START: char = '\u{1}';
/// Put after a matched word in a search snippet by the database.
pub const MARK_END: char = '\u{2}';

/// Longest "about" text, in characters: a line or two, not a life story, because the more a
/// member writes about themselves the easier they are to recognise.
pub const MAX_ABOUT_CHARS: usize = 280;

/// Why an "about" text was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AboutError {
    /// Over [`MAX_ABOUT_CHARS`].
    #[error("the about text can be at most 280 characters")]
    TooLong,
}

/// Checks an "about" text: trimmed, at most [`MAX_ABOUT_CHARS`]; empty means none.
pub fn validate_about(raw: &str) -> Result<Option<String>, AboutError> {
    let kept: String = raw
        .chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .collect();
    let about = kept.trim();
    if about.is_empty() {
        return Ok(None);
    }
    if about.chars().count() > MAX_ABOUT_CHARS {
        return Err(AboutError::TooLong);
    }
    Ok(Some(about.to_owned()))
}

/// Who a notification of `kind` is signed by, on every channel (the notifications list and
/// the live event): "the forum" for replies and mentions, which come from other members'
/// posts; "the moderators" for everything else. Never a person's handle: a decision is the
/// team's, not one volunteer's.
pub fn notification_from(kind: &str) -> &'static str {
    if matches!(kind, "reply" | "mention") {
        "the forum"
    } else {
        "the moderators"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reaction_kinds_round_trip_and_nothing_else_parses() {
        for k in ReactionKind::ALL {
            assert_eq!(ReactionKind::parse(k.as_str()), Some(k));
            assert!(!k.label().is_empty());
        }
        for bad in ["", "like", "angry", "THANK_YOU", "thank you"] {
            assert_eq!(ReactionKind::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn follow_states_round_trip() {
        for s in ["following", "not_following", "muted"] {
            assert_eq!(FollowState::parse(s).map(FollowState::as_str), Some(s));
        }
        assert_eq!(FollowState::parse("watching"), None);
    }

    #[test]
    fn mentions_are_found_where_a_person_would_see_them() {
        let m = |t: &str| -> Vec<String> {
            split_mentions(t)
                .into_iter()
                .filter_map(|(_, h)| h.map(str::to_owned))
                .collect()
        };
        assert_eq!(m("thanks @sam_w, and @Jo.B."), ["sam_w", "Jo.B"]);
        assert_eq!(m("@start of line"), ["start"]);
        assert_eq!(m("(@paren)"), ["paren"]);
        assert!(
            m("mail jo@example.org").is_empty(),
            "an email is not a mention"
        );
        assert!(m("@@double").is_empty());
        assert!(m("@ab is too short").is_empty());
        assert!(m(&format!("@{}", "a".repeat(33))).is_empty(), "too long");
        assert!(m("@.dot").is_empty());
        assert_eq!(m("über @zoë"), Vec::<String>::new(), "handles are ASCII");
    }

    #[test]
    fn splitting_keeps_every_character() {
        for t in ["a @bob b", "@bob", "x@bob @ @cat.", "é @dan é", ""] {
            let joined: String = split_mentions(t).into_iter().map(|(s, _)| s).collect();
            assert_eq!(joined, t);
        }
        assert_eq!(
            split_mentions("hi @bob!"),
            [("hi ", None), ("@bob", Some("bob")), ("!", None)]
        );
    }

    #[test]
    fn search_words_drop_syntax_and_repeat() {
        assert_eq!(search_words("  Court  DATE, court!"), ["court", "date"]);
        assert_eq!(
            search_words("\"a\" OR b* -c NEAR(d)"),
            ["a", "or", "b", "c", "near", "d"]
        );
        assert!(search_words("!!! ...").is_empty());
        assert_eq!(search_words(&"w ".repeat(20)), ["w"]);
        assert_eq!(search_words("a b c d e f g h i j").len(), MAX_SEARCH_WORDS);
    }

    #[test]
    fn snippets_are_escaped_and_marks_balanced() {
        assert_eq!(
            marked_snippet_html("the \u{1}court\u{2} <b>date</b> & more"),
            "the <mark>court</mark> &lt;b&gt;date&lt;/b&gt; &amp; more"
        );
        assert_eq!(marked_snippet_html("\u{1}open"), "<mark>open</mark>");
        assert_eq!(
            marked_snippet_html("\u{2}close\u{1}\u{1}x"),
            "close<mark>x</mark>"
        );
        assert_eq!(marked_snippet_html("a\nb\u{7}"), "a b");
    }

    #[test]
    fn about_texts_are_short_and_trimmed() {
        assert_eq!(validate_about("  "), Ok(None));
        assert_eq!(validate_about(" hi \u{7}"), Ok(Some("hi".to_owned())));
        assert_eq!(validate_about(&"x".repeat(281)), Err(AboutError::TooLong));
        assert!(validate_about(&"é".repeat(280)).is_ok());
    }
}
