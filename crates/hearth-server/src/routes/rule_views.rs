//! What the API shows of the moderation rules' own types (`hearth-core` and `hearth-app`): a
//! text's moderation outcome, signposts, ready-made reasons, rule hits and rule summaries.
//!
//! The core has no schema derives (it is the pure domain and knows nothing of HTTP), so each
//! view here copies its type field for field and derives the schema; the leaf values (rule
//! actions, matchers, kinds of text) are the core's own enums, serialised by the core's serde
//! attributes and described here as strings.

use hearth_core::moderation::{
    Action, Detector, Matcher, ReadyReason, RuleHit, RuleSummary, Signpost, TextKind,
};
use serde::Serialize;
use utoipa::ToSchema;

/// The moderation outcome of a text, as its author sees it.
#[derive(Serialize, ToSchema)]
#[schema(as = Moderation)]
pub struct ModerationView {
    /// `published`, `held` or `rejected`.
    #[schema(example = "published")]
    pub status: &'static str,
    /// Sentences for the author: why it was held or rejected.
    pub reasons: Vec<String>,
    /// Support resources the rules point the author to.
    pub signpost: Vec<SignpostView>,
}

impl From<hearth_app::Moderation> for ModerationView {
    fn from(m: hearth_app::Moderation) -> Self {
        ModerationView {
            status: m.status,
            reasons: m.reasons,
            signpost: m.signpost.into_iter().map(SignpostView::from).collect(),
        }
    }
}

/// A support resource shown to an author (a crisis line and the like).
#[derive(Serialize, ToSchema)]
#[schema(as = Signpost)]
pub struct SignpostView {
    /// Its key in the rules file.
    pub name: String,
    /// A heading.
    pub title: String,
    /// What it is and when to use it.
    pub text: String,
    /// A phone number, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false, nullable = false)]
    pub phone: Option<String>,
    /// A web address, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false, nullable = false)]
    pub url: Option<String>,
}

impl From<Signpost> for SignpostView {
    fn from(s: Signpost) -> Self {
        SignpostView {
            name: s.name,
            title: s.title,
            text: s.text,
            phone: s.phone,
            url: s.url,
        }
    }
}

/// A ready-made rejection reason a moderator can pick.
#[derive(Serialize, ToSchema)]
#[schema(as = ReadyReason)]
pub struct ReadyReasonView {
    /// A stable short id (`personal-details`).
    pub id: String,
    /// The text shown to the author.
    pub text: String,
}

impl From<ReadyReason> for ReadyReasonView {
    fn from(r: ReadyReason) -> Self {
        ReadyReasonView {
            id: r.id,
            text: r.text,
        }
    }
}

/// What one rule found in a text, for the moderators' highlight.
#[derive(Serialize, ToSchema)]
#[schema(as = RuleHit)]
pub struct RuleHitView {
    /// The rule's name.
    pub rule: String,
    /// `flag`, `hold` or `reject`.
    #[schema(value_type = String)]
    pub action: Action,
    /// Which matcher found it: `words`, `pattern`, `case_sensitive_pattern`, `everything`,
    /// `link`, `phone`, `email`, `postcode`, `address`, `full_name`, `place` or `social_media`.
    #[schema(value_type = String)]
    pub matcher: Matcher,
    /// The matched text as typed (empty for `everything`).
    pub matched: String,
    /// Byte offset of the match.
    pub start: usize,
    /// Byte offset just past the match.
    pub end: usize,
    /// The text the span is in when it is not the body: `thread_title` or `content_warning`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false, nullable = false, value_type = Option<String>)]
    pub part: Option<TextKind>,
}

impl From<RuleHit> for RuleHitView {
    fn from(h: RuleHit) -> Self {
        RuleHitView {
            rule: h.rule,
            action: h.action,
            matcher: h.matcher,
            matched: h.matched,
            start: h.start,
            end: h.end,
            part: h.part,
        }
    }
}

/// A rule as the admins' "active rules" view shows it.
#[derive(Serialize, ToSchema)]
#[schema(as = RuleSummary)]
pub struct RuleSummaryView {
    /// The rule's name.
    pub name: String,
    /// Its description, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false, nullable = false)]
    pub description: Option<String>,
    /// `flag`, `hold` or `reject`.
    #[schema(value_type = String)]
    pub action: Action,
    /// Words and phrases it looks for.
    pub words: Vec<String>,
    /// Patterns on normalised text.
    pub patterns: Vec<String>,
    /// Patterns on the text as typed.
    pub case_sensitive_patterns: Vec<String>,
    /// Built-in detectors: `link`, `phone`, `email`, `postcode`, `address`, `full_name`,
    /// `place`, `social_media`.
    #[schema(value_type = Vec<String>)]
    pub detect: Vec<Detector>,
    /// Whether it applies to any text at all.
    pub everything: bool,
    /// Phrases that never count as hits.
    pub except: Vec<String>,
    /// Only these kinds of text (empty: all): `thread_title`, `post`, `edit`, `chat`,
    /// `handle`, `profile`.
    #[schema(value_type = Vec<String>)]
    pub kinds: Vec<TextKind>,
    /// Never these kinds of text.
    #[schema(value_type = Vec<String>)]
    pub skip_kinds: Vec<TextKind>,
    /// Only on these boards (empty: everywhere).
    pub boards: Vec<String>,
    /// Never on these boards.
    pub skip_boards: Vec<String>,
    /// Applies only while the author has fewer approved posts than this.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false, nullable = false)]
    pub until_approved_posts: Option<u32>,
    /// Moderators and admins are exempt.
    pub skip_staff: bool,
    /// The message shown to the author.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false, nullable = false)]
    pub message: Option<String>,
    /// Signposts shown to the author.
    pub signpost: Vec<String>,
    /// Whether it raises a safeguarding concern.
    pub concern: bool,
    /// Whether a hit puts the text in the moderators' urgent lane.
    pub urgent: bool,
    /// Its line in the rules file.
    pub line: usize,
}

impl From<RuleSummary> for RuleSummaryView {
    fn from(r: RuleSummary) -> Self {
        RuleSummaryView {
            name: r.name,
            description: r.description,
            action: r.action,
            words: r.words,
            patterns: r.patterns,
            case_sensitive_patterns: r.case_sensitive_patterns,
            detect: r.detect,
            everything: r.everything,
            except: r.except,
            kinds: r.kinds,
            skip_kinds: r.skip_kinds,
            boards: r.boards,
            skip_boards: r.skip_boards,
            until_approved_posts: r.until_approved_posts,
            skip_staff: r.skip_staff,
            message: r.message,
            signpost: r.signpost,
            concern: r.concern,
            urgent: r.urgent,
            line: r.line,
        }
    }
}
