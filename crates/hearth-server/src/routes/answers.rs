//! The answers of the HTTP handlers: each handler returns one of these (or a view from
//! [`crate::routes::views`]) as JSON. They derive both `Serialize` and `ToSchema`, so what the
//! server sends and what `GET /api/openapi.json` says it sends are one definition: a field added
//! here is on the wire and in the document at once, and the web client's generated types follow.
//!
//! Answers used by one area only live next to their handlers (`comforts.rs`, `crisis.rs`, ...);
//! the ones here are shared by several areas or wrap a view.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::routes::crisis::CrisisItem;
use crate::routes::rule_views::{
    ModerationView, ReadyReasonView, RuleHitView, RuleSummaryView, SignpostView,
};
use crate::routes::views::{
    ApplicationView, AuditView, BoardView, IdentityView, InviteView, MemberAdminView,
    MemberModView, NotificationView, PostView, SelfView, ThreadView,
};

/// `{"status": ...}`: something done, nothing more to say.
#[derive(Serialize, ToSchema)]
pub struct StatusAnswer {
    /// What happened (`ok`, `removed`).
    pub status: &'static str,
}

/// What is waiting for moderators (and, for admins, applications).
#[derive(Serialize, ToSchema)]
pub struct WaitingCountsAnswer {
    /// Open queue items (held, flagged, reported).
    pub queue: u64,
    /// Crises nobody has reached out to yet.
    pub urgent: u64,
    /// Applications waiting for a decision: only for those who decide them.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false, nullable = false)]
    pub applications: Option<u64>,
}

impl From<hearth_app::WaitingCounts> for WaitingCountsAnswer {
    fn from(c: hearth_app::WaitingCounts) -> Self {
        WaitingCountsAnswer {
            queue: c.queue,
            urgent: c.urgent,
            applications: c.applications,
        }
    }
}

/// `{"valid": ...}`: whether an invite can still be used (nothing more about it).
#[derive(Serialize, ToSchema)]
pub struct InviteCheckAnswer {
    /// True if the invite is unused and has not expired.
    pub valid: bool,
}

/// `{"status": ..., "message": ...}`: something received or done, and a sentence to show.
#[derive(Serialize, ToSchema)]
pub struct StatusMessageAnswer {
    /// `pending` or `approved` for an application; `received` for a report or a reset request;
    /// `changed`, `decided`, `removed` or `kept` after a decision.
    pub status: &'static str,
    /// A sentence to show the person.
    pub message: String,
    /// For a pending application: within how many days an answer usually comes (the server's
    /// `application_answer_days`), so the page can say when to expect one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub answer_days: Option<i64>,
}

impl StatusMessageAnswer {
    /// A status and a sentence, without `answer_days`.
    pub fn new(status: &'static str, message: impl Into<String>) -> Self {
        StatusMessageAnswer {
            status,
            message: message.into(),
            answer_days: None,
        }
    }
}

/// A report or a safeguarding concern received: a sentence to show, and the crisis support
/// to show its writer when their note reads as a crisis (empty otherwise).
#[derive(Serialize, ToSchema)]
pub struct ReceivedAnswer {
    /// `received`.
    pub status: &'static str,
    /// A sentence to show the person.
    pub message: String,
    /// Support resources for the writer, as a post's moderation answer carries them.
    pub signpost: Vec<SignpostView>,
}

/// Readiness.
#[derive(Serialize, ToSchema)]
pub struct ReadyAnswer {
    /// `ready` or `unavailable`.
    pub status: &'static str,
    /// `ok` or `unreachable`.
    pub database: &'static str,
    /// The event bus: `in_process`, `connected` or `disconnected` (Redis unreachable).
    pub bus: &'static str,
}

/// The member, as they see themselves.
#[derive(Serialize, ToSchema)]
pub struct SelfAnswer {
    /// The member.
    pub member: SelfView,
}

/// The signed-in identity.
#[derive(Serialize, ToSchema)]
pub struct SessionAnswer {
    /// Who is signed in.
    pub member: IdentityView,
}

/// A changed password.
#[derive(Serialize, ToSchema)]
pub struct PasswordChangedAnswer {
    /// `changed`.
    pub status: &'static str,
    /// How many of the member's other sessions were ended.
    pub other_sessions_ended: u64,
}

/// Boards, in order.
#[derive(Serialize, ToSchema)]
pub struct BoardsAnswer {
    /// In order.
    pub boards: Vec<BoardView>,
}

/// One board.
#[derive(Serialize, ToSchema)]
pub struct BoardAnswer {
    /// The board.
    pub board: BoardView,
}

/// A page of threads, by last activity (pinned first).
#[derive(Serialize, ToSchema)]
pub struct ThreadsAnswer {
    /// The threads.
    pub threads: Vec<ThreadView>,
    /// The `cursor` for the next page, or null at the end.
    pub next: Option<String>,
}

/// One thread.
#[derive(Serialize, ToSchema)]
pub struct ThreadAnswer {
    /// The thread.
    pub thread: ThreadView,
}

/// A new thread with its first post.
#[derive(Serialize, ToSchema)]
pub struct ThreadCreatedAnswer {
    /// The thread.
    pub thread: ThreadView,
    /// Its first post.
    pub post: PostView,
    /// The first post's moderation outcome.
    pub moderation: ModerationView,
}

/// A page of posts, oldest first.
#[derive(Serialize, ToSchema)]
pub struct PostsAnswer {
    /// The posts.
    pub posts: Vec<PostView>,
    /// The `after` for the next page (a post id), or null at the end.
    pub next: Option<String>,
    /// On the first page only: the first post that was unread before this visit (published,
    /// someone else's, newer than the reader's read marker), for "jump to first unread"; null
    /// when the reader never opened the thread before or had read it all.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false, value_type = Option<String>, format = Uuid)]
    pub first_unread: Option<Option<String>>,
}

/// A post written or edited, with its moderation outcome.
#[derive(Serialize, ToSchema)]
pub struct ModeratedPostAnswer {
    /// The post.
    pub post: PostView,
    /// Its moderation outcome.
    pub moderation: ModerationView,
}

/// One post.
#[derive(Serialize, ToSchema)]
pub struct PostAnswer {
    /// The post.
    pub post: PostView,
}

/// The member's notifications, newest first (at most 100).
#[derive(Serialize, ToSchema)]
pub struct NotificationsAnswer {
    /// The notifications.
    pub notifications: Vec<NotificationView>,
    /// How many of them are unread.
    pub unread: usize,
}

/// Notifications marked read.
#[derive(Serialize, ToSchema)]
pub struct MarkedReadAnswer {
    /// How many were marked.
    pub marked_read: u64,
}

/// The moderators' queue.
#[derive(Serialize, ToSchema)]
pub struct QueueAnswer {
    /// The urgent lane: someone may be at risk now. Open ones first, by deadline, then those
    /// handled in the last day.
    pub urgent: Vec<CrisisItem>,
    /// Open items, oldest first.
    pub items: Vec<QueueItem>,
    /// Chat messages the rules held, waiting for a moderator, oldest first (decided with
    /// `/api/mod/messages/{id}/approve` and `/reject`).
    // `hearth-app` builds these as JSON (the live events carry the same shape); the schema
    // in `openapi.rs` describes them.
    #[schema(value_type = Vec<crate::routes::openapi::HeldMessage>)]
    pub held_messages: Vec<serde_json::Value>,
    /// Chat messages members reported, oldest report first (decided with
    /// `/api/mod/messages/{id}/report-decision`).
    // Built as JSON by `hearth-app`, like `held_messages`.
    #[schema(value_type = Vec<crate::routes::openapi::ReportedMessage>)]
    pub reported_messages: Vec<serde_json::Value>,
    /// Ready-made rejection reasons.
    pub ready_reasons: Vec<ReadyReasonView>,
}

/// One queue item.
#[derive(Serialize, ToSchema)]
pub struct QueueItemAnswer {
    /// The item.
    pub item: QueueItem,
}

/// A queue item as moderators see it: the post, where it is, what fired and where (so the
/// client can highlight it), and how long it has waited. The reporter is never named.
#[derive(Serialize, ToSchema)]
pub struct QueueItem {
    /// Item id.
    #[schema(format = Uuid)]
    pub id: String,
    /// `held`, `flagged` or `report`.
    pub kind: String,
    /// `open`, `approved` or `rejected`.
    pub state: String,
    /// When it joined the queue.
    pub created_at: DateTime<Utc>,
    /// How long it has waited.
    pub waited_seconds: i64,
    /// Whether it has waited longer than the alert threshold.
    pub overdue: bool,
    /// The post concerned.
    pub post: QueuePost,
    /// Its thread.
    pub thread: QueueThread,
    /// What the rules found, for highlighting.
    pub rules: Vec<RuleHitView>,
    /// Whether the rules raised a safeguarding concern.
    pub concern: bool,
    /// The report, for `report` items (null otherwise).
    pub report: Option<QueueReport>,
}

impl QueueItem {
    /// The item as moderators see it: the post, where it is, what fired and where (so the
    /// client can highlight it), and how long it has waited (`waited` seconds, `overdue` past
    /// the alert threshold, both from the use case).
    pub fn new(item: &hearth_app::QueueItemRecord, waited: i64, overdue: bool) -> Self {
        let verdict = hearth_app::App::stored_verdict(&item.post);
        QueueItem {
            id: item.id.to_string(),
            kind: item.kind.clone(),
            state: item.state.clone(),
            created_at: item.created_at,
            waited_seconds: waited,
            overdue,
            post: QueuePost {
                id: item.post.id.to_string(),
                author: item.post.author_handle.clone(),
                status: item.post.status.as_str(),
                is_first: item.post.is_first,
                body_source: item.post.body_source.clone(),
                body_html: item.post.body_html.clone(),
                content_warning: item.post.content_warning.clone(),
                created_at: item.post.created_at,
            },
            thread: QueueThread {
                id: item.post.thread_id.to_string(),
                title: item.thread_title.clone(),
                board_id: item.board_id.to_string(),
            },
            rules: verdict
                .as_ref()
                .map(|v| v.hits.iter().cloned().map(Into::into).collect())
                .unwrap_or_default(),
            concern: verdict.as_ref().is_some_and(|v| v.concern),
            report: item.report.as_ref().map(|r| QueueReport {
                reason: r.reason.clone(),
                note: r.note.clone(),
                created_at: r.created_at,
            }),
        }
    }
}

/// The post of a queue item.
#[derive(Serialize, ToSchema)]
pub struct QueuePost {
    /// Post id.
    #[schema(format = Uuid)]
    pub id: String,
    /// Author's handle (null once erased).
    pub author: Option<String>,
    /// published, held, rejected, removed, deleted.
    pub status: &'static str,
    /// Whether it opens its thread.
    pub is_first: bool,
    /// The Markdown as written.
    pub body_source: String,
    /// The sanitised HTML.
    pub body_html: String,
    /// The content warning.
    pub content_warning: Option<String>,
    /// When written.
    pub created_at: DateTime<Utc>,
}

/// The thread of a queue item.
#[derive(Serialize, ToSchema)]
pub struct QueueThread {
    /// Thread id.
    #[schema(format = Uuid)]
    pub id: String,
    /// Title.
    pub title: String,
    /// Its board.
    #[schema(format = Uuid)]
    pub board_id: String,
}

/// A report, without its reporter.
#[derive(Serialize, ToSchema)]
pub struct QueueReport {
    /// One of the fixed reasons.
    pub reason: String,
    /// The reporter's note.
    pub note: Option<String>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// What happened to each item of a bulk decision.
#[derive(Serialize, ToSchema)]
pub struct BulkAnswer {
    /// One result per id, in the order given.
    pub results: Vec<BulkResult>,
}

/// One item of a bulk decision.
#[derive(Serialize, ToSchema)]
pub struct BulkResult {
    /// Item id.
    #[schema(format = Uuid)]
    pub id: String,
    /// Whether it was decided.
    pub ok: bool,
    /// When `ok`: its new state.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false, nullable = false)]
    pub state: Option<String>,
    /// When not `ok`: why.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false, nullable = false)]
    pub error: Option<String>,
}

/// A page of the audit log, newest first.
#[derive(Serialize, ToSchema)]
pub struct AuditAnswer {
    /// The entries.
    pub entries: Vec<AuditView>,
    /// The `before` for the next page, or null when there are no entries.
    pub next_before: Option<DateTime<Utc>>,
}

/// Pending applications.
#[derive(Serialize, ToSchema)]
pub struct ApplicationsAnswer {
    /// Oldest first.
    pub applications: Vec<ApplicationView>,
}

/// One application.
#[derive(Serialize, ToSchema)]
pub struct ApplicationAnswer {
    /// The application.
    pub application: ApplicationView,
}

/// A page of members, by handle.
#[derive(Serialize, ToSchema)]
pub struct MembersAnswer {
    /// The members.
    pub members: Vec<MemberAdminView>,
    /// The `after` for the next page, or null at the end.
    pub next: Option<String>,
}

/// One member, as admins see them.
#[derive(Serialize, ToSchema)]
pub struct MemberAnswer {
    /// The member.
    pub member: MemberAdminView,
}

/// The member just suspended: as moderators see them, or, to an admin, as admins do.
#[derive(Serialize, ToSchema)]
pub struct SuspendedAnswer {
    /// The member.
    pub member: SuspendedMember,
}

/// A member, in the view for the role of whoever suspended them.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum SuspendedMember {
    /// To a moderator: nothing that is for admins only.
    Moderator(MemberModView),
    /// To an admin.
    Admin(MemberAdminView),
}

/// A new invite.
#[derive(Serialize, ToSchema)]
pub struct InviteAnswer {
    /// The invite's id (as Admin > Invites lists it).
    #[schema(format = Uuid)]
    pub id: String,
    /// The link to give the invitee.
    pub link: String,
    /// The token in the link.
    pub token: Option<String>,
    /// When the link stops working.
    pub expires_at: DateTime<Utc>,
}

/// The invites issued, newest first.
#[derive(Serialize, ToSchema)]
pub struct InviteListAnswer {
    /// The invites, without their tokens.
    pub invites: Vec<InviteView>,
}

/// An invite just revoked.
#[derive(Serialize, ToSchema)]
pub struct InviteRevokedAnswer {
    /// The invite, now `revoked`.
    pub invite: InviteView,
}

/// The active moderation rules.
#[derive(Serialize, ToSchema)]
pub struct RulesAnswer {
    /// The rules file.
    pub file: String,
    /// The rules, in file order.
    pub rules: Vec<RuleSummaryView>,
    /// Ready-made rejection reasons.
    pub ready_reasons: Vec<ReadyReasonView>,
}

/// Rules reloaded from the file.
#[derive(Serialize, ToSchema)]
pub struct RulesReloadedAnswer {
    /// `reloaded`.
    pub status: &'static str,
    /// How many rules are now in force.
    pub rules: usize,
}

/// The chat rooms.
#[derive(Serialize, ToSchema)]
pub struct RoomsAnswer {
    /// In order.
    pub rooms: Vec<RoomView>,
}

/// A chat room and its state now.
#[derive(Serialize, ToSchema)]
pub struct RoomView {
    /// Room id.
    #[schema(format = Uuid)]
    pub id: String,
    /// Its name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Open only while a moderator is present.
    pub needs_moderator: bool,
    /// Seconds between one member's messages (0: no slow mode).
    pub slow_mode_seconds: i32,
    /// Open for members to talk.
    pub open: bool,
    /// Whether a moderator is here (members are never told which one).
    pub moderator_present: bool,
    /// Handles of the members present (on this instance); moderators' handles only to staff.
    pub present: Vec<String>,
}

/// A page of a room's history, newest first.
#[derive(Serialize, ToSchema)]
pub struct MessagesAnswer {
    /// The messages.
    // `hearth-app` builds each as JSON (the socket sends the same shape) and the handler adds
    // `mine`; the schema in `openapi.rs` describes them.
    #[schema(value_type = Vec<crate::routes::openapi::ChatMessage>)]
    pub messages: Vec<serde_json::Value>,
    /// The `before` for the next page (a message id), or null at the end.
    pub next: Option<String>,
}

/// A new room.
#[derive(Serialize, ToSchema)]
pub struct RoomCreatedAnswer {
    /// The room.
    pub room: RoomCreated,
}

/// A new room's id and name.
#[derive(Serialize, ToSchema)]
pub struct RoomCreated {
    /// Room id.
    #[schema(format = Uuid)]
    pub id: String,
    /// Its name.
    pub name: String,
}

/// A decided chat message.
#[derive(Serialize, ToSchema)]
pub struct MessageDecidedAnswer {
    /// `published` or `rejected`.
    pub status: &'static str,
}
