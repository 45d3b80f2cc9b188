//! The plain records the repository API takes and returns.

use chrono::{DateTime, Utc};
use hearth_core::ids::{ApplicationId, AuditId, InviteId, MemberId};
use hearth_core::policy::{Role, Standing};

/// A member's account as stored. Holds the password hash: never serialise this to a client.
#[derive(Clone, Debug)]
pub struct MemberRecord {
    /// The account's id.
    pub id: MemberId,
    /// The pseudonymous handle, as the member typed it.
    pub handle: String,
    /// The normalised email, for sign-in and account recovery. `None` while an application
    /// waits (its email is on the application until approved). For an invited account whose
    /// email was already in use, the address its invitee typed, which the other account holds
    /// as its own too (see `email_shared` and [`Store::submit_application`](crate::Store)).
    pub email: Option<String>,
    /// Whether `email` is shared: another account holds it as its own unique email, and this
    /// (invited) account holds it beside that one, for signing in and reset links only. Such
    /// an account is never found by the address alone, only by the address and its password.
    pub email_shared: bool,
    /// The argon2 PHC string.
    pub password_hash: String,
    /// Member, moderator or admin.
    pub role: Role,
    /// As stored; use [`Standing::effective`] with `suspended_until` for the standing now.
    pub standing: Standing,
    /// Why the account was suspended or banned.
    pub standing_reason: Option<String>,
    /// When a suspension ends.
    pub suspended_until: Option<DateTime<Utc>>,
    /// How the 18+ check was made (for example `declared_dob+admin_confirmed`).
    pub age_check: String,
    /// When the declared date of birth passed the check (the date itself is never stored).
    pub age_checked_at: DateTime<Utc>,
    /// When an admin confirmed the applicant is an adult.
    pub adult_confirmed_at: Option<DateTime<Utc>>,
    /// When the member accepted the group's rules.
    pub rules_accepted_at: DateTime<Utc>,
    /// When the account (or application) was created.
    pub created_at: DateTime<Utc>,
    /// When the member was let in.
    pub approved_at: Option<DateTime<Utc>>,
    /// Whether an admin made this member a safeguarding lead (sees the concerns queue).
    pub safeguarding_lead: bool,
    /// The member's short "about" text on their profile, if they wrote one.
    pub about: Option<String>,
}

impl MemberRecord {
    /// The account as it stands at `now`: a suspension that has ended ([`Standing::effective`])
    /// shows as active, without its old end and reason, so that what people are shown (a
    /// member's own account, the admins' members list) agrees with what they may do.
    pub fn as_of(mut self, now: DateTime<Utc>) -> MemberRecord {
        let standing = self.standing.effective(self.suspended_until, now);
        if standing != self.standing {
            self.standing = standing;
            self.suspended_until = None;
            self.standing_reason = None;
        }
        self
    }
}

/// What is needed to create an account.
#[derive(Clone, Debug)]
pub struct NewMember {
    /// Chosen id (so callers can log it before the insert).
    pub id: MemberId,
    /// The validated handle.
    pub handle: String,
    /// The normalised email.
    pub email: String,
    /// The argon2 PHC string.
    pub password_hash: String,
    /// Starting role.
    pub role: Role,
    /// Starting standing (`Pending` for an applicant).
    pub standing: Standing,
    /// How the 18+ check was made.
    pub age_check: String,
    /// When an admin confirmed adulthood, if already done (invites, first admin).
    pub adult_confirmed_at: Option<DateTime<Utc>>,
    /// Creation time; also when the age check passed and the rules were accepted.
    pub now: DateTime<Utc>,
}

/// A membership application with the applicant's handle, for the admin's list.
#[derive(Clone, Debug)]
pub struct ApplicationRecord {
    /// The application's id.
    pub id: ApplicationId,
    /// The applicant's (pending) account.
    pub member_id: MemberId,
    /// The applicant's handle.
    pub handle: String,
    /// The applicant's statement; `None` once decided (it is deleted then).
    pub statement: Option<String>,
    /// Whether the applicant came through an invite.
    pub invited: bool,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    /// When the application was made.
    pub created_at: DateTime<Utc>,
    /// When it was decided.
    pub decided_at: Option<DateTime<Utc>>,
    /// Why it was rejected (shown to the applicant).
    pub decision_reason: Option<String>,
    /// Whether, while it waits, its email is already used by an account or by another waiting
    /// application (the admin deciding sees this; nobody else ever learns it).
    pub email_in_use: bool,
}

/// An invitation as stored (only the token's hash is kept).
#[derive(Clone, Debug)]
pub struct InviteRecord {
    /// The invite's id.
    pub id: InviteId,
    /// The admin who issued it.
    pub created_by: MemberId,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// When it was used, if it was.
    pub used_at: Option<DateTime<Utc>>,
    /// When an admin revoked it, if they did (it then no longer works).
    pub revoked_at: Option<DateTime<Utc>>,
    /// The handle of the admin who issued it, while their account exists.
    pub created_by_handle: Option<String>,
}

/// An audit-log line to append.
#[derive(Clone, Debug)]
pub struct NewAudit {
    /// Who acted; `None` for the operator at the command line or the system itself.
    pub actor: Option<MemberId>,
    /// What was done, snake_case (`application_approved`, `member_suspended`, ...).
    pub action: String,
    /// The kind of thing acted on (`member`, `application`, `invite`, ...).
    pub target_kind: String,
    /// The id of the thing acted on.
    pub target_id: Option<String>,
    /// The reason given, if any. Never member content.
    pub reason: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

/// An audit-log line as stored, with the actor's handle for display to moderators.
#[derive(Clone, Debug)]
pub struct AuditEntry {
    /// The entry's id (time-ordered).
    pub id: AuditId,
    /// When.
    pub at: DateTime<Utc>,
    /// Who acted.
    pub actor: Option<MemberId>,
    /// The actor's handle, if the actor still exists.
    pub actor_handle: Option<String>,
    /// What was done.
    pub action: String,
    /// The kind of thing acted on.
    pub target_kind: String,
    /// The id of the thing acted on.
    pub target_id: Option<String>,
    /// The handle of the member acted on (a `member` target that still exists, or the applicant
    /// of an `application` target while the application is kept), so the log can say who in
    /// words.
    pub target_handle: Option<String>,
    /// The reason given.
    pub reason: Option<String>,
}

/// A stored session: opaque data plus the member it belongs to (so all of a member's sessions
/// can be ended at once) and its expiry.
#[derive(Clone, Debug)]
pub struct SessionRow {
    /// The session id (as the session library encodes it).
    pub id: String,
    /// The signed-in member, if any.
    pub member_id: Option<MemberId>,
    /// The session data, JSON.
    pub data: String,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
}

pub use content::*;

/// Records for boards, threads, posts, the queue, reports and notifications.
mod content {
    use chrono::{DateTime, Utc};
    use hearth_core::content::{BoardVisibility, PostStatus};
    use hearth_core::ids::{
        BoardId, MemberId, NotificationId, PostId, QueueItemId, ReportId, ThreadId,
    };

    /// A board.
    #[derive(Clone, Debug)]
    pub struct BoardRecord {
        /// Its id.
        pub id: BoardId,
        /// Its name.
        pub name: String,
        /// What it is for.
        pub description: String,
        /// Where it sits in the list (ascending).
        pub position: i32,
        /// Who may read it.
        pub visibility: BoardVisibility,
        /// When it was made.
        pub created_at: DateTime<Utc>,
        /// When an admin archived it: read-only for members (no new threads or replies), off
        /// the home list, its threads still readable by link. `None` while it is in use.
        pub archived_at: Option<DateTime<Utc>>,
    }

    /// A thread, as seen by one reader.
    #[derive(Clone, Debug)]
    pub struct ThreadRecord {
        /// Its id.
        pub id: ThreadId,
        /// Its board.
        pub board_id: BoardId,
        /// Who started it (`None` once erased).
        pub author_id: Option<MemberId>,
        /// The author's handle.
        pub author_handle: Option<String>,
        /// Its title.
        pub title: String,
        /// The status of its first post.
        pub status: PostStatus,
        /// Shown first.
        pub pinned: bool,
        /// No more replies (except from moderators).
        pub locked: bool,
        /// Published posts in it.
        pub post_count: i32,
        /// When it was started.
        pub created_at: DateTime<Utc>,
        /// When a post was last published in it.
        pub last_activity_at: DateTime<Utc>,
        /// When the reader last read it, if they have.
        pub read_at: Option<DateTime<Utc>>,
    }

    /// A post.
    #[derive(Clone, Debug)]
    pub struct PostRecord {
        /// Its id (time-ordered).
        pub id: PostId,
        /// Its thread.
        pub thread_id: ThreadId,
        /// Its author (`None` once erased or anonymised).
        pub author_id: Option<MemberId>,
        /// The author's handle.
        pub author_handle: Option<String>,
        /// Whether it opens its thread.
        pub is_first: bool,
        /// The Markdown as written.
        pub body_source: String,
        /// The sanitised HTML rendered from it.
        pub body_html: String,
        /// The optional content warning (shown collapsed).
        pub content_warning: Option<String>,
        /// Where it stands.
        pub status: PostStatus,
        /// The rules engine's verdict, JSON (for moderators only).
        pub verdict: String,
        /// The reason given to the author for a rejection or removal.
        pub decision_reason: Option<String>,
        /// When it was written.
        pub created_at: DateTime<Utc>,
        /// When it was last edited.
        pub edited_at: Option<DateTime<Utc>>,
        /// Whether its text is a moderator's edit (approved with their changes), which every
        /// reader is told, until the author edits it again.
        pub edited_by_moderator: bool,
    }

    /// What is needed to write a post.
    #[derive(Clone, Debug)]
    pub struct NewPost {
        /// Its id.
        pub id: PostId,
        /// Its thread.
        pub thread_id: ThreadId,
        /// Its author.
        pub author_id: MemberId,
        /// The Markdown.
        pub body_source: String,
        /// The sanitised HTML.
        pub body_html: String,
        /// The optional content warning.
        pub content_warning: Option<String>,
        /// Published or held.
        pub status: PostStatus,
        /// The verdict, JSON.
        pub verdict: String,
        /// The key the sender picked for this post, if any: a retry with the same key finds
        /// this post instead of storing another.
        pub client_key: Option<uuid::Uuid>,
        /// When.
        pub now: DateTime<Utc>,
    }

    /// What kind of queue item to open alongside a write, if any.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum QueueKind {
        /// A held post waiting for approval.
        Held,
        /// A published post the rules flagged for a look.
        Flagged,
        /// A member's report.
        Report,
    }

    impl QueueKind {
        /// The stored name.
        pub fn as_str(self) -> &'static str {
            match self {
                QueueKind::Held => "held",
                QueueKind::Flagged => "flagged",
                QueueKind::Report => "report",
            }
        }
    }

    /// A report.
    #[derive(Clone, Debug)]
    pub struct ReportRecord {
        /// Its id.
        pub id: ReportId,
        /// The reported post.
        pub post_id: PostId,
        /// Why (one of the fixed reasons).
        pub reason: String,
        /// The reporter's note.
        pub note: Option<String>,
        /// open or closed.
        pub state: String,
        /// When.
        pub created_at: DateTime<Utc>,
    }

    /// An item in the moderators' queue, with what a moderator needs to decide it.
    #[derive(Clone, Debug)]
    pub struct QueueItemRecord {
        /// Its id.
        pub id: QueueItemId,
        /// held, flagged or report.
        pub kind: String,
        /// open, approved or rejected.
        pub state: String,
        /// When it joined the queue.
        pub created_at: DateTime<Utc>,
        /// When it was decided.
        pub decided_at: Option<DateTime<Utc>>,
        /// The moderator who decided (never shown to members).
        pub decided_by: Option<MemberId>,
        /// The decision's reason.
        pub decision_reason: Option<String>,
        /// The post concerned.
        pub post: PostRecord,
        /// Its thread's title and board.
        pub thread_title: String,
        /// Its board.
        pub board_id: BoardId,
        /// The report, for report items.
        pub report: Option<ReportRecord>,
    }

    /// A moderator's decision on a queue item, and what it does to the post.
    #[derive(Clone, Debug)]
    pub struct QueueDecision {
        /// approved or rejected.
        pub state: &'static str,
        /// The moderator.
        pub by: MemberId,
        /// The reason shown to the author (rejections, removals).
        pub reason: Option<String>,
        /// The post's new status, if it changes.
        pub post_status: Option<PostStatus>,
        /// A redacted body (source, html) for approve-with-edit.
        pub new_body: Option<(String, String)>,
        /// When.
        pub at: DateTime<Utc>,
    }

    /// A notification.
    #[derive(Clone, Debug)]
    pub struct NotificationRecord {
        /// Its id.
        pub id: NotificationId,
        /// What happened: post_approved, post_rejected, post_removed, reply, queue_overdue.
        pub kind: String,
        /// The thread concerned.
        pub thread_id: Option<ThreadId>,
        /// The post concerned.
        pub post_id: Option<PostId>,
        /// Extra words (a rejection reason).
        pub message: Option<String>,
        /// When.
        pub created_at: DateTime<Utc>,
        /// When the member saw it.
        pub read_at: Option<DateTime<Utc>>,
    }

    /// A notification to add.
    #[derive(Clone, Debug)]
    pub struct NewNotification {
        /// To whom.
        pub member_id: MemberId,
        /// What happened.
        pub kind: &'static str,
        /// The thread concerned.
        pub thread_id: Option<ThreadId>,
        /// The post concerned.
        pub post_id: Option<PostId>,
        /// Extra words.
        pub message: Option<String>,
        /// When.
        pub at: DateTime<Utc>,
    }
}

pub use realtime::*;

/// Records for the event log, rooms and chat messages.
mod realtime {
    use chrono::{DateTime, Utc};
    use hearth_core::content::PostStatus;
    use hearth_core::ids::{MemberId, MessageId, RoomId};

    /// One stored event on a topic.
    #[derive(Clone, Debug)]
    pub struct EventRecord {
        /// The topic, as the wire names it (`thread:<uuid>`).
        pub topic: String,
        /// Its place in the topic, from 1, with no gaps.
        pub seq: i64,
        /// The event, JSON.
        pub payload: String,
    }

    /// A chat room.
    #[derive(Clone, Debug)]
    pub struct RoomRecord {
        /// Its id.
        pub id: RoomId,
        /// Its name.
        pub name: String,
        /// What it is for.
        pub description: String,
        /// Order in the list.
        pub position: i32,
        /// Open only while a moderator is present.
        pub needs_moderator: bool,
        /// Seconds between one member's messages (0: no slow mode).
        pub slow_mode_seconds: i32,
        /// Seconds between a new member's messages.
        pub new_member_slow_mode_seconds: i32,
        /// When it was made.
        pub created_at: DateTime<Utc>,
    }

    /// A chat message.
    #[derive(Clone, Debug)]
    pub struct MessageRecord {
        /// Its id (time-ordered).
        pub id: MessageId,
        /// Its room.
        pub room_id: RoomId,
        /// Its author (`None` once erased).
        pub author_id: Option<MemberId>,
        /// The author's handle.
        pub author_handle: Option<String>,
        /// Whether the author is a moderator (or admin) now: members see only that, as a
        /// badge, so they know whose word is the group's.
        pub author_is_moderator: bool,
        /// The text as typed.
        pub body: String,
        /// The text, escaped for display.
        pub body_html: String,
        /// published, held, rejected or removed.
        pub status: PostStatus,
        /// The rules engine's verdict, JSON.
        pub verdict: String,
        /// When it was sent.
        pub created_at: DateTime<Utc>,
        /// Why a moderator rejected it, shown to its author only (`None` unless rejected by a
        /// moderator).
        pub decision_reason: Option<String>,
    }
}
