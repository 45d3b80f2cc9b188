//! `GET /api/openapi.json`: the OpenAPI 3 description of the HTTP API, generated at compile time
//! by utoipa from the `#[utoipa::path]` annotation on each handler and the `ToSchema` derives on
//! the request bodies and views.
//!
//! Most handlers answer with `json!` objects that wrap a view (`{"member": {...}}`); the schemas
//! for those wrappers, and for the shared error body, live here. They are descriptions only:
//! nothing builds them at run time, so each one mirrors, field for field, the `json!` in the
//! handler it names. `tests/it/openapi.rs` fails if a route of the real router is missing from the
//! document, and checks answers from a running server against the schemas.
//!
//! The document reveals no data, so it is readable without signing in.

// The schema types below exist only for their `ToSchema` derives: they are never built.
#![allow(dead_code)]

use std::sync::LazyLock;

use axum::Json;
use axum::Router;
use axum::routing::get;
use chrono::{DateTime, Utc};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{IntoResponses, Modify, OpenApi, ToSchema};

use crate::routes::views::{
    ApplicationView, AuditView, BoardView, IdentityView, InviteView, MemberAdminView,
    MemberModView, NotificationView, PostView, SelfView, ThreadView,
};
use crate::state::AppState;

/// The name of the security scheme for the session cookie, as `security(...)` names it.
pub const SESSION: &str = "session_cookie";

/// The whole document: every annotated handler is listed under `paths`.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Hearth",
        description = "The HTTP API of Hearth, a small private moderated support forum. \
            Bodies are JSON. Every error is `{\"error\": {\"code\", \"message\", \"field\"?, \"fields\"?}}` \
            (see `ErrorBody`) with the status saying what kind of failure it is. \
            Operations marked with the `session_cookie` security scheme need the session cookie \
            set by `POST /api/session`; some also need the moderator or admin role, as their \
            descriptions say. A state-changing request (anything but GET and HEAD) that carries \
            an `Origin` or `Referer` must come from the forum's own origin, and one with a \
            session cookie must carry one of them; otherwise it answers 403 `cross_origin`."
    ),
    paths(
        crate::routes::openapi::get_openapi,
        crate::routes::health::get_health,
        crate::routes::health::get_ready,
        crate::routes::setup::create_first_admin,
        crate::routes::applications::create_application,
        crate::routes::applications::check_invite,
        crate::routes::account::create_session,
        crate::routes::account::get_session,
        crate::routes::account::delete_session,
        crate::routes::account::get_me,
        crate::routes::account::change_password,
        crate::routes::account::export_me,
        crate::routes::account::erase_me,
        crate::routes::factors::complete_sign_in,
        crate::routes::factors::list_factors,
        crate::routes::factors::begin_totp,
        crate::routes::factors::confirm_totp,
        crate::routes::factors::confirm_person,
        crate::routes::factors::reset_factors,
        crate::routes::access_log::list_access_log,
        crate::routes::content::list_boards,
        crate::routes::content::get_board,
        crate::routes::content::list_threads,
        crate::routes::content::create_thread,
        crate::routes::content::get_thread,
        crate::routes::content::list_posts,
        crate::routes::content::create_post,
        crate::routes::content::edit_post,
        crate::routes::content::delete_post,
        crate::routes::content::report_post,
        crate::routes::content::list_notifications,
        crate::routes::content::read_notifications,
        crate::routes::everyday::board_activity,
        crate::routes::everyday::mention_suggestions,
        crate::routes::everyday::get_welcome,
        crate::routes::everyday::dismiss_welcome,
        crate::routes::everyday::report_message,
        crate::routes::everyday::decide_reported_message,
        crate::routes::moderation::list_queue,
        crate::routes::moderation::waiting_counts,
        crate::routes::moderation::approve_message,
        crate::routes::moderation::reject_message,
        crate::routes::moderation::decide_queue_bulk,
        crate::routes::moderation::approve_queue_item,
        crate::routes::moderation::reject_queue_item,
        crate::routes::moderation::undo_queue_item,
        crate::routes::moderation::remove_post,
        crate::routes::moderation::lock_thread,
        crate::routes::moderation::unlock_thread,
        crate::routes::moderation::pin_thread,
        crate::routes::moderation::unpin_thread,
        crate::routes::moderation::move_thread,
        crate::routes::moderation::suspend_member,
        crate::routes::moderation::list_audit,
        crate::routes::admin::list_applications,
        crate::routes::admin::approve_application,
        crate::routes::admin::reject_application,
        crate::routes::admin::list_members,
        crate::routes::admin::patch_member,
        crate::routes::admin::ban_member,
        crate::routes::admin::reinstate_member,
        crate::routes::admin::create_invite,
        crate::routes::admin::list_invites,
        crate::routes::admin::revoke_invite,
        crate::routes::admin::erase_member,
        crate::routes::recovery::create_reset_link,
        crate::routes::recovery::get_recovery_options,
        crate::routes::recovery::request_reset,
        crate::routes::recovery::complete_reset,
        crate::routes::safeguarding::raise_concern,
        crate::routes::safeguarding::list_concerns,
        crate::routes::safeguarding::decide_concern,
        crate::routes::crisis::reach_out,
        crate::routes::crisis::resolve,
        crate::routes::crisis::escalate,
        crate::routes::crisis::open_checkin,
        crate::routes::crisis::close_checkin,
        crate::routes::crisis::list_checkins,
        crate::routes::crisis::get_checkin,
        crate::routes::crisis::send_message,
        crate::routes::admin::create_board,
        crate::routes::admin::list_all_boards,
        crate::routes::admin::patch_board,
        crate::routes::admin::order_boards,
        crate::routes::admin::get_rules,
        crate::routes::admin::reload_rules,
        crate::routes::realtime::open_socket,
        crate::routes::realtime::list_rooms,
        crate::routes::realtime::list_messages,
        crate::routes::realtime::create_room,
        crate::routes::realtime::get_metrics,
        crate::routes::comforts::search,
        crate::routes::comforts::add_reaction,
        crate::routes::comforts::remove_reaction,
        crate::routes::comforts::list_reactors,
        crate::routes::comforts::get_follow,
        crate::routes::comforts::set_follow,
        crate::routes::comforts::list_following,
        crate::routes::comforts::list_mutes,
        crate::routes::comforts::mute,
        crate::routes::comforts::unmute,
        crate::routes::comforts::get_profile,
        crate::routes::comforts::set_profile,
    ),
    components(schemas(ErrorBody, ErrorDetail, RuleProblem, Moderation, Signpost)),
    modifiers(&SessionCookie),
    tags(
        (name = "session", description = "Signing in and out."),
        (name = "account", description = "The signed-in member's own account."),
        (name = "membership", description = "Applying to join, and creating the first admin."),
        (name = "content", description = "Boards, threads, posts and reports, for members."),
        (name = "comforts", description = "Search, supportive reactions, following threads, muting members, and profiles."),
        (name = "notifications", description = "Decisions on the member's own content, and replies."),
        (name = "moderation", description = "The moderators' queue, content actions, suspensions and the audit log."),
        (name = "safeguarding", description = "Safeguarding concerns, seen only by safeguarding leads; every read is audited."),
        (name = "admin", description = "Membership decisions, roles and standing, invites, boards, rooms and rules."),
        (name = "realtime", description = "The realtime socket and chat rooms."),
        (name = "operator", description = "Liveness, readiness, metrics, and this document."),
    )
)]
pub struct ApiDoc;

/// Declares the session cookie as an API key carried in a cookie.
struct SessionCookie;

impl Modify for SessionCookie {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let mut scheme = ApiKeyValue::with_description(
            crate::origin::SESSION_COOKIE,
            "The session cookie set by `POST /api/session` (named `__Host-hearth_session` when \
             the forum is served over https). It is HttpOnly and SameSite=Strict.",
        );
        scheme.name = crate::origin::SESSION_COOKIE.to_owned();
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(SESSION, SecurityScheme::ApiKey(ApiKey::Cookie(scheme)));
        // The operator's bearer token for /metrics (`metrics_token` in the configuration).
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                "metrics_token",
                SecurityScheme::Http(utoipa::openapi::security::Http::new(
                    utoipa::openapi::security::HttpAuthScheme::Bearer,
                )),
            );
    }
}

/// The document, built once.
static DOCUMENT: LazyLock<utoipa::openapi::OpenApi> = LazyLock::new(ApiDoc::openapi);

/// The OpenAPI document as the server serves it.
pub fn document() -> utoipa::openapi::OpenApi {
    DOCUMENT.clone()
}

/// `GET /api/openapi.json`.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/openapi.json", get(get_openapi))
}

/// This document.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "operator",
    responses(
        (status = 200, description = "The OpenAPI 3.1 document describing every `/api` route.",
         content_type = "application/json", body = Object),
    )
)]
async fn get_openapi() -> Json<&'static utoipa::openapi::OpenApi> {
    Json(&*DOCUMENT)
}

// ---------------------------------------------------------------------------------------------
// Errors

/// Every error answer. `moderation` is present only on 422 `rejected_by_rules`.
#[derive(ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
    /// On 422 `rejected_by_rules`: the rules' verdict, with reasons and signposts for the author.
    #[schema(required = false)]
    pub moderation: Option<Moderation>,
}

/// The error itself.
#[derive(ToSchema)]
pub struct ErrorDetail {
    /// A stable snake_case code: `invalid`, `bad_request`, `invalid_credentials`,
    /// `not_signed_in`, `forbidden`, `cross_origin`, `not_found`, `rejected_by_rules`,
    /// `rules_invalid`, `handle_identifies`, `too_large`, `unsupported_media_type`,
    /// `rate_limited`, `unavailable`, `internal`, a refusal code on 403 or a conflict code on
    /// 409.
    #[schema(example = "invalid")]
    pub code: String,
    /// A sentence for a person.
    pub message: String,
    /// With `invalid` and `handle_identifies`: the request field at fault (the first, when
    /// several are).
    #[schema(required = false, nullable = false)]
    pub field: Option<String>,
    /// With `invalid`: every request field at fault, each with its sentence (a form can show
    /// them all at once).
    #[schema(required = false, nullable = false)]
    pub fields: Option<std::collections::BTreeMap<String, String>>,
    /// With `rules_invalid`: the problems in the rules file.
    #[schema(required = false, nullable = false)]
    pub problems: Option<Vec<RuleProblem>>,
}

/// A problem in the moderation rules file.
#[derive(ToSchema)]
pub struct RuleProblem {
    /// Line in the file.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// The body is not the JSON expected (`bad_request`) or a value is not valid (`invalid`,
/// naming the `field`).
#[derive(IntoResponses)]
#[response(status = 400)]
pub struct BadRequest(ErrorBody);

/// Not signed in, or the session has ended (`not_signed_in`); on sign-in, wrong
/// credentials (`invalid_credentials`).
#[derive(IntoResponses)]
#[response(status = 401)]
pub struct NotSignedIn(ErrorBody);

/// The member's role does not allow this (`forbidden`), the request came from another
/// site (`cross_origin`), or the action was refused (a specific code).
#[derive(IntoResponses)]
#[response(status = 403)]
pub struct Forbidden(ErrorBody);

/// No such record (`not_found`).
#[derive(IntoResponses)]
#[response(status = 404)]
pub struct NotFound(ErrorBody);

/// The request conflicts with the current state (a specific code, such as a handle
/// already taken or an item already decided).
#[derive(IntoResponses)]
#[response(status = 409)]
pub struct Conflict(ErrorBody);

/// The body is larger than allowed (`too_large`).
#[derive(IntoResponses)]
#[response(status = 413)]
pub struct TooLarge(ErrorBody);

/// The body was not sent as `application/json` (`unsupported_media_type`).
#[derive(IntoResponses)]
#[response(status = 415)]
pub struct UnsupportedMediaType(ErrorBody);

/// The moderation rules rejected the text (`rejected_by_rules`, with `moderation`).
#[derive(IntoResponses)]
#[response(status = 422)]
pub struct RuleRejected(ErrorBody);

/// The handle would identify someone (`handle_identifies`, with `field`): a real name, a
/// place, a prison, a postcode. Nothing was stored; the applicant picks another handle.
#[derive(IntoResponses)]
#[response(status = 422)]
pub struct HandleIdentifies(ErrorBody);

/// Too many attempts (`rate_limited`); `Retry-After` says how many seconds to wait.
#[derive(IntoResponses)]
#[response(
    status = 429,
    headers(("Retry-After" = u64, description = "Seconds to wait before trying again."))
)]
pub struct RateLimited(ErrorBody);

// ---------------------------------------------------------------------------------------------
// Moderation outcome (mirrors `hearth_app::Moderation` and `hearth_core`'s rule types)

/// The moderation outcome of a text, as its author sees it.
#[derive(ToSchema)]
pub struct Moderation {
    /// `published`, `held` or `rejected`.
    #[schema(example = "published")]
    pub status: String,
    /// Sentences for the author: why it was held or rejected.
    pub reasons: Vec<String>,
    /// Support resources the rules point the author to.
    pub signpost: Vec<Signpost>,
}

/// A support resource shown to an author (a crisis line and the like).
#[derive(ToSchema)]
pub struct Signpost {
    /// Its key in the rules file.
    pub name: String,
    /// A heading.
    pub title: String,
    /// What it is and when to use it.
    pub text: String,
    /// A phone number, if any.
    #[schema(required = false, nullable = false)]
    pub phone: Option<String>,
    /// A web address, if any.
    #[schema(required = false, nullable = false)]
    pub url: Option<String>,
}

/// A ready-made rejection reason a moderator can pick.
#[derive(ToSchema)]
pub struct ReadyReason {
    /// A stable short id (`personal-details`).
    pub id: String,
    /// The text shown to the author.
    pub text: String,
}

/// What one rule found in a text, for the moderators' highlight.
#[derive(ToSchema)]
pub struct RuleHit {
    /// The rule's name.
    pub rule: String,
    /// `flag`, `hold` or `reject`.
    pub action: String,
    /// Which matcher found it: `words`, `pattern`, `case_sensitive_pattern`, `everything`,
    /// `link`, `phone`, `email`, `postcode`, `address`, `full_name`, `place` or `social_media`.
    pub matcher: String,
    /// The matched text as typed (empty for `everything`).
    pub matched: String,
    /// Byte offset of the match.
    pub start: usize,
    /// Byte offset just past the match.
    pub end: usize,
    /// The text the span is in when it is not the body: `thread_title` or `content_warning`.
    #[schema(required = false, nullable = false)]
    pub part: Option<String>,
}

/// A rule as the admins' "active rules" view shows it.
#[derive(ToSchema)]
pub struct RuleSummary {
    /// The rule's name.
    pub name: String,
    /// Its description, if it has one.
    #[schema(required = false, nullable = false)]
    pub description: Option<String>,
    /// `flag`, `hold` or `reject`.
    pub action: String,
    /// Words and phrases it looks for.
    pub words: Vec<String>,
    /// Patterns on normalised text.
    pub patterns: Vec<String>,
    /// Patterns on the text as typed.
    pub case_sensitive_patterns: Vec<String>,
    /// Built-in detectors: `link`, `phone`, `email`, `postcode`, `address`, `full_name`,
    /// `place`, `social_media`.
    pub detect: Vec<String>,
    /// Whether it applies to any text at all.
    pub everything: bool,
    /// Phrases that never count as hits.
    pub except: Vec<String>,
    /// Only these kinds of text (empty: all): `thread_title`, `post`, `edit`, `chat`,
    /// `handle`, `profile`.
    pub kinds: Vec<String>,
    /// Never these kinds of text.
    pub skip_kinds: Vec<String>,
    /// Only on these boards (empty: everywhere).
    pub boards: Vec<String>,
    /// Never on these boards.
    pub skip_boards: Vec<String>,
    /// Applies only while the author has fewer approved posts than this.
    #[schema(required = false, nullable = false)]
    pub until_approved_posts: Option<u32>,
    /// Moderators and admins are exempt.
    pub skip_staff: bool,
    /// The message shown to the author.
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

// ---------------------------------------------------------------------------------------------
// Answers of the handlers that build them with `json!`

/// `{"status": ...}`.
#[derive(ToSchema)]
pub struct StatusAnswer {
    /// What happened (`ok`, `removed`).
    pub status: String,
}

/// What is waiting for moderators (and, for admins, applications).
#[derive(ToSchema)]
pub struct WaitingCountsAnswer {
    /// Open queue items (held, flagged, reported).
    pub queue: u64,
    /// Crises nobody has reached out to yet.
    pub urgent: u64,
    /// Applications waiting for a decision: only for those who decide them.
    #[schema(required = false, nullable = false)]
    pub applications: Option<u64>,
}

/// `{"valid": ...}`: whether an invite can still be used (nothing more about it).
#[derive(ToSchema)]
pub struct InviteCheckAnswer {
    /// True if the invite is unused and has not expired.
    pub valid: bool,
}

/// `{"status": ..., "message": ...}`: something received, and a sentence to show.
#[derive(ToSchema)]
pub struct StatusMessageAnswer {
    /// `pending` or `approved` for an application; `received` for a report.
    pub status: String,
    /// A sentence to show the person.
    pub message: String,
    /// For a pending application: within how many days an answer usually comes (the server's
    /// `application_answer_days`), so the page can say when to expect one.
    #[schema(required = false)]
    pub answer_days: Option<i64>,
}

/// A report or a safeguarding concern received: a sentence to show, and the crisis support
/// to show its writer when their note reads as a crisis (empty otherwise).
#[derive(ToSchema)]
pub struct ReceivedAnswer {
    /// `received`.
    pub status: String,
    /// A sentence to show the person.
    pub message: String,
    /// Support resources for the writer, as a post's moderation answer carries them.
    pub signpost: Vec<Signpost>,
}

/// Readiness.
#[derive(ToSchema)]
pub struct ReadyAnswer {
    /// `ready` or `unavailable`.
    pub status: String,
    /// `ok` or `unreachable`.
    pub database: String,
    /// The event bus: `in_process`, `connected` or `disconnected` (Redis unreachable).
    pub bus: String,
}

/// The member, as they see themselves.
#[derive(ToSchema)]
pub struct SelfAnswer {
    /// The member.
    pub member: SelfView,
}

/// The signed-in identity.
#[derive(ToSchema)]
pub struct SessionAnswer {
    /// Who is signed in.
    pub member: IdentityView,
}

/// A changed password.
#[derive(ToSchema)]
pub struct PasswordChangedAnswer {
    /// `changed`.
    pub status: String,
    /// How many of the member's other sessions were ended.
    pub other_sessions_ended: u64,
}

/// The boards the member may read.
#[derive(ToSchema)]
pub struct BoardsAnswer {
    /// In order.
    pub boards: Vec<BoardView>,
}

/// One board.
#[derive(ToSchema)]
pub struct BoardAnswer {
    /// The board.
    pub board: BoardView,
}

/// A page of threads, by last activity (pinned first).
#[derive(ToSchema)]
pub struct ThreadsAnswer {
    /// The threads.
    pub threads: Vec<ThreadView>,
    /// The `cursor` for the next page, or null at the end.
    pub next: Option<String>,
}

/// One thread.
#[derive(ToSchema)]
pub struct ThreadAnswer {
    /// The thread.
    pub thread: ThreadView,
}

/// A new thread with its first post.
#[derive(ToSchema)]
pub struct ThreadCreatedAnswer {
    /// The thread.
    pub thread: ThreadView,
    /// Its first post.
    pub post: PostView,
    /// The first post's moderation outcome.
    pub moderation: Moderation,
}

/// A page of posts, oldest first.
#[derive(ToSchema)]
pub struct PostsAnswer {
    /// The posts.
    pub posts: Vec<PostView>,
    /// The `after` for the next page (a post id), or null at the end.
    pub next: Option<String>,
    /// On the first page only: the first post that was unread before this visit (published,
    /// someone else's, newer than the reader's read marker), for "jump to first unread"; null
    /// when the reader never opened the thread before or had read it all.
    #[schema(required = false, format = Uuid)]
    pub first_unread: Option<String>,
}

/// A post written or edited, with its moderation outcome.
#[derive(ToSchema)]
pub struct ModeratedPostAnswer {
    /// The post.
    pub post: PostView,
    /// Its moderation outcome.
    pub moderation: Moderation,
}

/// One post.
#[derive(ToSchema)]
pub struct PostAnswer {
    /// The post.
    pub post: PostView,
}

/// The member's notifications, newest first (at most 100).
#[derive(ToSchema)]
pub struct NotificationsAnswer {
    /// The notifications.
    pub notifications: Vec<NotificationView>,
    /// How many of them are unread.
    pub unread: usize,
}

/// Notifications marked read.
#[derive(ToSchema)]
pub struct MarkedReadAnswer {
    /// How many were marked.
    pub marked_read: u64,
}

/// The moderators' queue.
#[derive(ToSchema)]
pub struct QueueAnswer {
    /// The urgent lane: someone may be at risk now. Open ones first, by deadline, then those
    /// handled in the last day.
    pub urgent: Vec<crate::routes::crisis::CrisisItem>,
    /// Open items, oldest first.
    pub items: Vec<QueueItem>,
    /// Chat messages the rules held, waiting for a moderator, oldest first (decided with
    /// `/api/mod/messages/{id}/approve` and `/reject`).
    pub held_messages: Vec<HeldMessage>,
    /// Chat messages members reported, oldest report first (decided with
    /// `/api/mod/messages/{id}/report-decision`).
    pub reported_messages: Vec<ReportedMessage>,
    /// Ready-made rejection reasons.
    pub ready_reasons: Vec<ReadyReason>,
}

/// A reported chat message, as the moderators' queue shows it.
#[derive(ToSchema)]
pub struct ReportedMessage {
    /// The message as it stands, with its text (`body`).
    pub message: ReportedMessageView,
    /// Its room.
    pub room: HeldMessageRoom,
    /// The reason given with each open report (never who gave it).
    pub reasons: Vec<String>,
    /// When the first open report was made.
    pub first_reported_at: DateTime<Utc>,
}

/// A reported chat message's own fields.
#[derive(ToSchema)]
pub struct ReportedMessageView {
    /// Message id.
    #[schema(format = Uuid)]
    pub id: String,
    /// Its room.
    #[schema(format = Uuid)]
    pub room_id: String,
    /// Author's handle (null once erased).
    pub author: Option<String>,
    /// Whether the author is a moderator.
    pub moderator: bool,
    /// published (or removed, if decided since).
    pub status: String,
    /// Sanitised HTML.
    pub body_html: String,
    /// The text as written.
    pub body: String,
    /// When written.
    pub created_at: DateTime<Utc>,
}

/// A held chat message in the moderators' queue (and, without `waited_seconds`, in the live
/// `held_message_added` and `message_held` events).
#[derive(ToSchema)]
pub struct HeldMessage {
    /// The message's id.
    #[schema(format = Uuid)]
    pub id: String,
    /// The room it was said in.
    pub room: HeldMessageRoom,
    /// The author's handle (null once erased).
    pub author: Option<String>,
    /// `held`.
    pub status: String,
    /// The text as the room would show it.
    pub body_html: String,
    /// The text as typed (the rules' byte spans refer to it).
    pub body: String,
    /// When it was sent.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// How long it has waited, in seconds.
    pub waited_seconds: i64,
    /// The names of the rules that held it.
    pub reasons: Vec<String>,
    /// The rules that fired, with the matched text and its byte span in `body`.
    pub rules: Vec<RuleHit>,
    /// Whether the rules asked for a safeguarding concern.
    pub concern: bool,
}

/// The room of a held chat message.
#[derive(ToSchema)]
pub struct HeldMessageRoom {
    /// Room id.
    #[schema(format = Uuid)]
    pub id: String,
    /// Its name.
    pub name: String,
}

/// A decided chat message.
#[derive(ToSchema)]
pub struct MessageDecidedAnswer {
    /// `published` or `rejected`.
    pub status: String,
}

/// One queue item.
#[derive(ToSchema)]
pub struct QueueItemAnswer {
    /// The item.
    pub item: QueueItem,
}

/// A queue item as moderators see it. The reporter is never named.
#[derive(ToSchema)]
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
    pub rules: Vec<RuleHit>,
    /// Whether the rules raised a safeguarding concern.
    pub concern: bool,
    /// The report, for `report` items (null otherwise).
    pub report: Option<QueueReport>,
}

/// The post of a queue item.
#[derive(ToSchema)]
pub struct QueuePost {
    /// Post id.
    #[schema(format = Uuid)]
    pub id: String,
    /// Author's handle (null once erased).
    pub author: Option<String>,
    /// published, held, rejected, removed, deleted.
    pub status: String,
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
#[derive(ToSchema)]
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
#[derive(ToSchema)]
pub struct QueueReport {
    /// One of the fixed reasons.
    pub reason: String,
    /// The reporter's note.
    pub note: Option<String>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// What happened to each item of a bulk decision.
#[derive(ToSchema)]
pub struct BulkAnswer {
    /// One result per id, in the order given.
    pub results: Vec<BulkResult>,
}

/// One item of a bulk decision.
#[derive(ToSchema)]
pub struct BulkResult {
    /// Item id.
    #[schema(format = Uuid)]
    pub id: String,
    /// Whether it was decided.
    pub ok: bool,
    /// When `ok`: its new state.
    #[schema(required = false, nullable = false)]
    pub state: Option<String>,
    /// When not `ok`: why.
    #[schema(required = false, nullable = false)]
    pub error: Option<String>,
}

/// A page of the audit log, newest first.
#[derive(ToSchema)]
pub struct AuditAnswer {
    /// The entries.
    pub entries: Vec<AuditView>,
    /// The `before` for the next page, or null when there are no entries.
    pub next_before: Option<DateTime<Utc>>,
}

/// Pending applications.
#[derive(ToSchema)]
pub struct ApplicationsAnswer {
    /// Oldest first.
    pub applications: Vec<ApplicationView>,
}

/// One application.
#[derive(ToSchema)]
pub struct ApplicationAnswer {
    /// The application.
    pub application: ApplicationView,
}

/// A page of members, by handle.
#[derive(ToSchema)]
pub struct MembersAnswer {
    /// The members.
    pub members: Vec<MemberAdminView>,
    /// The `after` for the next page, or null at the end.
    pub next: Option<String>,
}

/// One member, as admins see them.
#[derive(ToSchema)]
pub struct MemberAnswer {
    /// The member.
    pub member: MemberAdminView,
}

/// The member just suspended: as moderators see them, or, to an admin, as admins do.
#[derive(ToSchema)]
pub struct SuspendedAnswer {
    /// The member.
    pub member: SuspendedMember,
}

/// A member, in the view for the role of whoever suspended them.
#[derive(serde::Serialize, ToSchema)]
#[serde(untagged)]
pub enum SuspendedMember {
    /// To a moderator: nothing that is for admins only.
    Moderator(MemberModView),
    /// To an admin.
    Admin(MemberAdminView),
}

/// A new invite.
#[derive(ToSchema)]
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
#[derive(ToSchema)]
pub struct InviteListAnswer {
    /// The invites, without their tokens.
    pub invites: Vec<InviteView>,
}

/// An invite just revoked.
#[derive(ToSchema)]
pub struct InviteRevokedAnswer {
    /// The invite, now `revoked`.
    pub invite: InviteView,
}

/// The active moderation rules.
#[derive(ToSchema)]
pub struct RulesAnswer {
    /// The rules file.
    pub file: String,
    /// The rules, in file order.
    pub rules: Vec<RuleSummary>,
    /// Ready-made rejection reasons.
    pub ready_reasons: Vec<ReadyReason>,
}

/// Rules reloaded from the file.
#[derive(ToSchema)]
pub struct RulesReloadedAnswer {
    /// `reloaded`.
    pub status: String,
    /// How many rules are now in force.
    pub rules: usize,
}

/// The rules file has problems (`rules_invalid`, with `problems`); the previous rules stay
/// in force.
#[derive(IntoResponses)]
#[response(status = 422)]
pub struct RulesInvalid(ErrorBody);

// ---------------------------------------------------------------------------------------------
// Chat rooms (`routes/realtime.rs`)

/// The chat rooms.
#[derive(ToSchema)]
pub struct RoomsAnswer {
    /// In order.
    pub rooms: Vec<RoomView>,
}

/// A chat room and its state now.
#[derive(ToSchema)]
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
#[derive(ToSchema)]
pub struct MessagesAnswer {
    /// The messages.
    pub messages: Vec<ChatMessage>,
    /// The `before` for the next page (a message id), or null at the end.
    pub next: Option<String>,
}

/// A chat message.
#[derive(ToSchema)]
pub struct ChatMessage {
    /// Message id.
    #[schema(format = Uuid)]
    pub id: String,
    /// Its room.
    #[schema(format = Uuid)]
    pub room_id: String,
    /// Author's handle (null once erased).
    pub author: Option<String>,
    /// Whether the author is a moderator now (shown as a badge; nothing more about staff).
    pub moderator: bool,
    /// published, held, rejected, removed, deleted.
    pub status: String,
    /// Sanitised HTML.
    pub body_html: String,
    /// When written.
    pub created_at: DateTime<Utc>,
    /// Whether the reader wrote it.
    pub mine: bool,
    /// Staff only, on a held message: the names of the rules that held it.
    #[schema(required = false)]
    pub held_reasons: Option<Vec<String>>,
    /// Its author and staff only, on a rejected message: the reason the moderator gave.
    #[schema(required = false)]
    pub reason: Option<String>,
}

/// A new room.
#[derive(ToSchema)]
pub struct RoomCreatedAnswer {
    /// The room.
    pub room: RoomCreated,
}

/// A new room's id and name.
#[derive(ToSchema)]
pub struct RoomCreated {
    /// Room id.
    #[schema(format = Uuid)]
    pub id: String,
    /// Its name.
    pub name: String,
}
