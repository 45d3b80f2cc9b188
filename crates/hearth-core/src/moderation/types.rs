//! What goes into the rules engine and what comes out. All of it is plain data that can be
//! stored as JSON next to the content it was decided for.

use serde::{Deserialize, Serialize};

use super::detect::Detector;
use crate::policy::Role;

/// Which kind of member text is being checked; rules can apply to some kinds only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextKind {
    /// The title of a new thread.
    ThreadTitle,
    /// A new post (the first post of a thread, or a reply).
    Post,
    /// A changed version of an existing post.
    Edit,
    /// A post's content warning (new or edited): shown above the post to every reader before
    /// they choose to open it, so it can identify someone or carry a crisis as well as a body.
    ContentWarning,
    /// A chat message.
    Chat,
    /// A member's handle (chosen when applying or changed later).
    Handle,
    /// A member's profile "about" text.
    Profile,
}

impl TextKind {
    /// Every kind, in the order the rule file documents them.
    pub const ALL: [TextKind; 7] = [
        TextKind::ThreadTitle,
        TextKind::Post,
        TextKind::Edit,
        TextKind::ContentWarning,
        TextKind::Chat,
        TextKind::Handle,
        TextKind::Profile,
    ];

    /// The name used in the rule file and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            TextKind::ThreadTitle => "thread_title",
            TextKind::Post => "post",
            TextKind::Edit => "edit",
            TextKind::ContentWarning => "content_warning",
            TextKind::Chat => "chat",
            TextKind::Handle => "handle",
            TextKind::Profile => "profile",
        }
    }

    /// Parses the name used in the rule file.
    pub fn parse(s: &str) -> Option<TextKind> {
        TextKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// What the engine needs to know about the author: the caller reads it from storage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorFacts {
    /// How many of the author's posts a moderator approved or that published without a hold;
    /// the new-member rules (`until_approved_posts`) compare against it.
    pub approved_posts: u32,
    /// The author's role: moderators and admins are never held by new-member rules.
    pub role: Role,
}

/// One piece of member text to check, with what the rules may depend on.
#[derive(Clone, Copy, Debug)]
pub struct Submission<'a> {
    /// Which kind of text this is.
    pub kind: TextKind,
    /// The text exactly as the member typed it (Markdown source for posts).
    pub text: &'a str,
    /// The board's name or slug for posts and thread titles; `None` elsewhere (chat, profile).
    pub board: Option<&'a str>,
    /// Facts about the author.
    pub author: AuthorFacts,
}

/// What a rule does when it fires.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Publish, and put it in front of the moderators.
    Flag,
    /// Hold for a moderator to approve or reject.
    Hold,
    /// Refuse it, with a message to the author.
    Reject,
}

impl Action {
    /// The name used in the rule file.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Flag => "flag",
            Action::Hold => "hold",
            Action::Reject => "reject",
        }
    }

    /// Parses the name used in the rule file.
    pub fn parse(s: &str) -> Option<Action> {
        [Action::Flag, Action::Hold, Action::Reject]
            .into_iter()
            .find(|a| a.as_str() == s)
    }
}

/// The combined decision. Ordered by severity: the most severe fired rule wins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Nothing fired: publish.
    Publish,
    /// Publish and show the moderators.
    PublishAndFlag,
    /// Hold for review; only moderators see it until approved.
    Hold,
    /// Refuse; the author sees the message(s).
    Reject,
}

impl Outcome {
    /// The moderation status on the wire (`published`, `held`, `rejected`): a flag publishes.
    pub fn status(self) -> &'static str {
        match self {
            Outcome::Publish | Outcome::PublishAndFlag => "published",
            Outcome::Hold => "held",
            Outcome::Reject => "rejected",
        }
    }

    /// Whether the text is visible to members straight away.
    pub fn is_published(self) -> bool {
        matches!(self, Outcome::Publish | Outcome::PublishAndFlag)
    }
}

impl From<Action> for Outcome {
    fn from(a: Action) -> Outcome {
        match a {
            Action::Flag => Outcome::PublishAndFlag,
            Action::Hold => Outcome::Hold,
            Action::Reject => Outcome::Reject,
        }
    }
}

/// Which kind of matcher in a rule produced a hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Matcher {
    /// The rule's `words` list.
    Words,
    /// One of the rule's `patterns` (on normalised text).
    Pattern,
    /// One of the rule's `case_sensitive_patterns` (on the text as typed).
    CaseSensitivePattern,
    /// `everything = true`: the rule applies to any text (new-member holds).
    Everything,
    /// A built-in detector.
    Link,
    /// A built-in detector.
    Phone,
    /// A built-in detector.
    Email,
    /// A built-in detector.
    Postcode,
    /// A built-in detector.
    Address,
    /// A built-in detector.
    FullName,
    /// A built-in detector.
    Place,
    /// A built-in detector.
    SocialMedia,
    /// A built-in detector.
    VehicleRegistration,
}

impl From<Detector> for Matcher {
    fn from(d: Detector) -> Matcher {
        match d {
            Detector::Link => Matcher::Link,
            Detector::Phone => Matcher::Phone,
            Detector::Email => Matcher::Email,
            Detector::Postcode => Matcher::Postcode,
            Detector::Address => Matcher::Address,
            Detector::FullName => Matcher::FullName,
            Detector::Place => Matcher::Place,
            Detector::SocialMedia => Matcher::SocialMedia,
            Detector::VehicleRegistration => Matcher::VehicleRegistration,
        }
    }
}

/// One thing one rule found, for the moderator's view: what, and where to highlight it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleHit {
    /// The rule's `name`.
    pub rule: String,
    /// What the rule does.
    pub action: Action,
    /// Which of the rule's matchers found it.
    pub matcher: Matcher,
    /// The matched text, as the author typed it (empty for `everything`).
    pub matched: String,
    /// Byte offset of the match in the original text.
    pub start: usize,
    /// Byte offset just past the match in the original text.
    pub end: usize,
    /// When an item is made of several texts (a thread's title, a post's content warning and
    /// its body), the text the span is in, so a moderator's highlight lands in the right one;
    /// absent for the item's main text (the body). The engine leaves it out; the caller that
    /// combines verdicts sets it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<TextKind>,
}

/// A support resource shown to an author (crisis lines and the like), from the rule file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signpost {
    /// The signpost's key in the rule file (`samaritans`), which rules refer to.
    pub name: String,
    /// A heading (`Samaritans`).
    pub title: String,
    /// One or two sentences saying what it is and when to use it.
    pub text: String,
    /// A phone number to show, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// A web address to show, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// A ready-made rejection reason a moderator can pick instead of typing one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadyReason {
    /// A stable short id (`personal-details`), stored with the decision.
    pub id: String,
    /// The text shown to the author.
    pub text: String,
}

/// The engine's decision on one submission.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// The most severe action among the rules that fired.
    pub outcome: Outcome,
    /// Every hit of every rule that fired, in rule-file order then text order.
    pub hits: Vec<RuleHit>,
    /// Messages for the author from the rules that fired, most severe first, without repeats.
    pub author_messages: Vec<String>,
    /// Support resources to show the author, without repeats.
    pub signposts: Vec<Signpost>,
    /// Whether a safeguarding concern should be raised for the safeguarding leads.
    pub concern: bool,
    /// Whether the text goes to the moderators' urgent lane (someone may be at risk now): a
    /// person must look within minutes, not when the queue reaches it. Verdicts stored before
    /// the lane existed read as not urgent.
    #[serde(default)]
    pub urgent: bool,
}

impl Verdict {
    /// The verdict when no rule fires.
    pub fn publish() -> Verdict {
        Verdict {
            outcome: Outcome::Publish,
            hits: Vec::new(),
            author_messages: Vec::new(),
            signposts: Vec::new(),
            concern: false,
            urgent: false,
        }
    }

    /// The names of the rules that fired, in order, without repeats (the "reasons" on the wire).
    pub fn rule_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for h in &self.hits {
            if !names.contains(&h.rule.as_str()) {
                names.push(&h.rule);
            }
        }
        names
    }
}

/// A rule as the admin's "active rules" view shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSummary {
    /// The rule's name.
    pub name: String,
    /// The rule's description, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// What it does when it fires.
    pub action: Action,
    /// The words and phrases it looks for.
    pub words: Vec<String>,
    /// Its patterns on normalised text.
    pub patterns: Vec<String>,
    /// Its patterns on the text as typed.
    pub case_sensitive_patterns: Vec<String>,
    /// The built-in detectors it uses.
    pub detect: Vec<Detector>,
    /// Whether it applies to any text at all.
    pub everything: bool,
    /// Phrases that never count as hits for it.
    pub except: Vec<String>,
    /// Only these kinds of text (empty: all).
    pub kinds: Vec<TextKind>,
    /// Never these kinds of text.
    pub skip_kinds: Vec<TextKind>,
    /// Only on these boards (empty: everywhere).
    pub boards: Vec<String>,
    /// Never on these boards.
    pub skip_boards: Vec<String>,
    /// Applies only while the author has fewer approved posts than this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until_approved_posts: Option<u32>,
    /// Moderators and admins are exempt.
    pub skip_staff: bool,
    /// The message shown to the author.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Signposts shown to the author.
    pub signpost: Vec<String>,
    /// Whether it raises a safeguarding concern.
    pub concern: bool,
    /// Whether a hit puts the text in the moderators' urgent lane.
    #[serde(default)]
    pub urgent: bool,
    /// The line of the rule in the file.
    pub line: usize,
}
