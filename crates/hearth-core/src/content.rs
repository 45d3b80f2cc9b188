//! Boards, threads and posts: who may read what, the life of a post, and the limits on what a
//! member writes.

use serde::{Deserialize, Serialize};

use crate::policy::Role;

/// Longest post, in characters of Markdown source.
pub const POST_MAX: usize = 20_000;
/// Shortest and longest thread title, in characters.
pub const TITLE_LEN: std::ops::RangeInclusive<usize> = 3..=150;
/// Longest content warning, in characters.
pub const CONTENT_WARNING_MAX: usize = 200;
/// Longest report note, in characters.
pub const REPORT_NOTE_MAX: usize = 1000;
/// How long a moderator's rejection can be undone, in days.
pub const UNDO_REJECTION_DAYS: i64 = 7;

/// Who may read a board.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BoardVisibility {
    /// Every member.
    Members,
    /// Moderators and admins only (for the team's own conversations).
    Moderators,
}

impl BoardVisibility {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            BoardVisibility::Members => "members",
            BoardVisibility::Moderators => "moderators",
        }
    }

    /// Parses the stored or wire name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "members" => Some(BoardVisibility::Members),
            "moderators" => Some(BoardVisibility::Moderators),
            _ => None,
        }
    }

    /// Whether someone with `role` may read a board with this visibility.
    pub fn readable_by(self, role: Role) -> bool {
        match self {
            BoardVisibility::Members => true,
            BoardVisibility::Moderators => role >= Role::Moderator,
        }
    }
}

/// Where a post (or a thread, through its first post) stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PostStatus {
    /// Visible to members.
    Published,
    /// Waiting for a moderator; visible only to its author and moderators.
    Held,
    /// Turned down by a moderator; visible only to its author (with the reason) and moderators.
    Rejected,
    /// Taken down by a moderator after publication; members see a placeholder.
    Removed,
    /// Deleted by its author; members see a placeholder.
    Deleted,
}

impl PostStatus {
    /// Every status.
    pub const ALL: [PostStatus; 5] = [
        PostStatus::Published,
        PostStatus::Held,
        PostStatus::Rejected,
        PostStatus::Removed,
        PostStatus::Deleted,
    ];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            PostStatus::Published => "published",
            PostStatus::Held => "held",
            PostStatus::Rejected => "rejected",
            PostStatus::Removed => "removed",
            PostStatus::Deleted => "deleted",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        PostStatus::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// Whether a member who is not the author (nor a moderator) may see that the post exists.
    /// Removed and deleted posts leave a placeholder so that replies still make sense.
    pub fn visible_to_others(self) -> bool {
        matches!(
            self,
            PostStatus::Published | PostStatus::Removed | PostStatus::Deleted
        )
    }
}

/// Why a piece of writing was refused before moderation.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ContentError {
    /// The field at fault.
    pub field: &'static str,
    /// A sentence for the writer.
    pub message: String,
}

fn err(field: &'static str, message: &str) -> ContentError {
    ContentError {
        field,
        message: message.to_owned(),
    }
}

/// Checks a thread title and returns it trimmed.
pub fn validate_title(raw: &str) -> Result<String, ContentError> {
    let t = raw.trim();
    if !TITLE_LEN.contains(&t.chars().count()) {
        return Err(err("title", "a title must be 3 to 150 characters long"));
    }
    if t.chars().any(|c| c.is_control()) {
        return Err(err("title", "a title cannot contain control characters"));
    }
    Ok(t.to_owned())
}

/// Checks a post body (Markdown) and returns it with trailing space trimmed.
pub fn validate_body(raw: &str) -> Result<String, ContentError> {
    let b = raw.trim_end();
    if b.trim().is_empty() {
        return Err(err("body", "please write something before posting"));
    }
    if b.chars().count() > POST_MAX {
        return Err(err("body", "a post can be at most 20,000 characters long"));
    }
    Ok(b.to_owned())
}

/// Checks an optional content warning; empty means none.
pub fn validate_content_warning(raw: Option<&str>) -> Result<Option<String>, ContentError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(cw) if cw.chars().count() > CONTENT_WARNING_MAX => Err(err(
            "content_warning",
            "a content warning can be at most 200 characters long",
        )),
        Some(cw) => Ok(Some(cw.to_owned())),
    }
}

/// The reasons a member may give when reporting a post.
pub const REPORT_REASONS: [&str; 6] = [
    "identifying",
    "unkind",
    "unsafe",
    "graphic",
    "spam",
    "other",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visibility() {
        assert!(BoardVisibility::Members.readable_by(Role::Member));
        assert!(!BoardVisibility::Moderators.readable_by(Role::Member));
        assert!(BoardVisibility::Moderators.readable_by(Role::Moderator));
        assert!(BoardVisibility::Moderators.readable_by(Role::Admin));
    }

    #[test]
    fn statuses_round_trip_and_only_public_ones_show() {
        for s in PostStatus::ALL {
            assert_eq!(PostStatus::parse(s.as_str()), Some(s));
        }
        assert!(!PostStatus::Held.visible_to_others());
        assert!(!PostStatus::Rejected.visible_to_others());
        assert!(PostStatus::Published.visible_to_others());
    }

    #[test]
    fn limits() {
        assert!(validate_title("  hi ").is_err());
        assert_eq!(validate_title("  Hello there ").unwrap(), "Hello there");
        assert!(validate_title("a\u{0007}bc").is_err());
        assert!(validate_body("   \n ").is_err());
        assert!(validate_body(&"x".repeat(POST_MAX)).is_ok());
        assert!(validate_body(&"x".repeat(POST_MAX + 1)).is_err());
        assert_eq!(validate_content_warning(Some("  ")).unwrap(), None);
        assert!(validate_content_warning(Some(&"x".repeat(201))).is_err());
    }
}
