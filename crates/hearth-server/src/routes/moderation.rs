//! Moderators: for now, suspending members and reading the audit log.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use hearth_app::{AppError, QueueVerdict, ReasonInput, ThreadAction};
use hearth_core::ids::{BoardId, MemberId, PostId, QueueItemId, ThreadId};
use hearth_core::policy::Role;
use serde::Deserialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::Result;
use crate::extract::{ApiJson, ApiQuery, Moderator};
use crate::routes::IdPath;
use crate::routes::admin::SuspendBody;
use crate::routes::answers::{
    AuditAnswer, BulkAnswer, BulkResult, MessageDecidedAnswer, QueueAnswer, QueueItem,
    QueueItemAnswer, StatusAnswer, SuspendedAnswer, SuspendedMember, ThreadAnswer,
    WaitingCountsAnswer,
};
use crate::routes::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, NotSignedIn, TooLarge, UnsupportedMediaType,
};
use crate::routes::views::{AuditView, MemberAdminView, MemberModView, ThreadView};
use crate::state::AppState;

/// `/api/mod/...`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(suspend_member))
        .routes(routes!(list_audit))
        .routes(routes!(list_queue))
        .routes(routes!(waiting_counts))
        .routes(routes!(decide_queue_bulk))
        .routes(routes!(approve_message))
        .routes(routes!(reject_message))
        .routes(routes!(approve_queue_item))
        .routes(routes!(reject_queue_item))
        .routes(routes!(undo_queue_item))
        .routes(routes!(remove_post))
        .routes(routes!(lock_thread))
        .routes(routes!(unlock_thread))
        .routes(routes!(pin_thread))
        .routes(routes!(unpin_thread))
        .routes(routes!(move_thread))
}

/// A queue item as moderators see it, with how long it has waited by the server's clock.
fn queue_view(state: &AppState, item: &hearth_app::QueueItemRecord) -> QueueItem {
    let (waited, overdue) = state.app.queue_wait(item);
    QueueItem::new(item, waited, overdue)
}

/// What is waiting, for the count in the navigation.
///
/// Open queue items and crises nobody has reached out to yet; for admins, waiting applications
/// too. Kept live by the `modqueue` topic (and `applications` for admins): the client asks again
/// when an event arrives there, never on a timer. Needs a moderator.
#[utoipa::path(
    get,
    path = "/api/mod/counts",
    tag = "moderation",
    security(("session_cookie" = [])),
    responses(
        (status = 200, description = "The waiting counts.", body = WaitingCountsAnswer),
        NotSignedIn, Forbidden,
    )
)]
async fn waiting_counts(
    State(state): State<AppState>,
    Moderator(who): Moderator,
) -> Result<Json<WaitingCountsAnswer>> {
    Ok(Json(state.app.waiting_counts(&who).await?.into()))
}

/// The moderators' queue.
///
/// The open items (held, flagged and reported posts), the held chat messages (a separate list:
/// they are decided with `/api/mod/messages/{id}/approve` and `/reject`), and the ready-made
/// rejection reasons. Needs a moderator.
#[utoipa::path(
    get,
    path = "/api/mod/queue",
    tag = "moderation",
    security(("session_cookie" = [])),
    responses(
        (status = 200, description = "The queue.", body = QueueAnswer),
        NotSignedIn, Forbidden,
    )
)]
async fn list_queue(
    State(state): State<AppState>,
    Moderator(who): Moderator,
) -> Result<Json<QueueAnswer>> {
    let items = state.app.queue(&who, 200).await?;
    let held_messages = state.app.held_chat_queue(&who).await?;
    let reported_messages = state.app.reported_messages(&who).await?;
    let urgent: Vec<crate::routes::crisis::CrisisItem> = state
        .app
        .crises(&who)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    let reasons = state.app.ready_reasons(&who)?;
    Ok(Json(QueueAnswer {
        urgent,
        items: items.iter().map(|i| queue_view(&state, i)).collect(),
        held_messages,
        reported_messages,
        ready_reasons: reasons.into_iter().map(Into::into).collect(),
    }))
}

/// Approving a queue item, optionally with an edited text.
#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
struct ApproveBody {
    /// A redacted body to publish instead of the author's.
    #[schema(required = false)]
    body: Option<String>,
    /// Why the moderator edited it (with `body` only): the author is told of the edit, with
    /// this reason.
    #[schema(required = false)]
    reason: Option<String>,
}

/// Why: a reason in words, or the id of a ready-made reason.
#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
struct ReasonBody {
    /// The reason, in words, shown to the author (signed by "the moderators").
    #[schema(required = false)]
    reason: Option<String>,
    /// The id of a ready-made reason.
    #[schema(required = false)]
    ready_reason: Option<String>,
}

impl ReasonBody {
    fn into_input(self) -> ReasonInput {
        ReasonInput {
            reason: self.reason,
            ready_reason: self.ready_reason,
        }
    }
}

/// Approves a queue item.
///
/// Publishes the post as written, or with the edited `body`. The request body is optional
/// (empty means "as written"). Needs a moderator.
#[utoipa::path(
    post,
    path = "/api/mod/queue/{id}/approve",
    tag = "moderation",
    security(("session_cookie" = [])),
    params(("id" = uuid::Uuid, Path, description = "The queue item's id.")),
    request_body(content = Option<ApproveBody>, content_type = "application/json",
        description = "Optional: an edited body to publish instead of the author's, and why (the author is told)."),
    responses(
        (status = 200, description = "Approved.", body = QueueItemAnswer),
        BadRequest, NotSignedIn, Forbidden, NotFound, Conflict, TooLarge,
    )
)]
async fn approve_queue_item(
    State(state): State<AppState>,
    Moderator(who): Moderator,
    IdPath(id): IdPath<QueueItemId>,
    body: axum::body::Bytes,
) -> Result<Json<QueueItemAnswer>> {
    // The body is optional: empty means "approve as written".
    let approve = if body.iter().all(u8::is_ascii_whitespace) {
        ApproveBody::default()
    } else {
        let value = serde_json::from_slice::<Value>(&body).map_err(|e| {
            crate::error::ApiError::BadRequest(format!("the request body does not fit: {e}"))
        })?;
        if crate::extract::has_nul(&value) {
            return Err(crate::error::ApiError::InvalidText);
        }
        serde_json::from_value::<ApproveBody>(value).map_err(|e| {
            crate::error::ApiError::BadRequest(format!("the request body does not fit: {e}"))
        })?
    };
    let verdict = QueueVerdict::Approve {
        edited_body: approve.body,
        edit_reason: approve.reason,
    };
    let item = state.app.decide_queue_item(&who, id, verdict).await?;
    Ok(Json(QueueItemAnswer {
        item: queue_view(&state, &item),
    }))
}

/// Rejects a queue item with a reason shown to its author. Needs a moderator.
#[utoipa::path(
    post,
    path = "/api/mod/queue/{id}/reject",
    tag = "moderation",
    security(("session_cookie" = [])),
    params(("id" = uuid::Uuid, Path, description = "The queue item's id.")),
    request_body = ReasonBody,
    responses(
        (status = 200, description = "Rejected.", body = QueueItemAnswer),
        BadRequest, NotSignedIn, Forbidden, NotFound, Conflict, TooLarge, UnsupportedMediaType,
    )
)]
async fn reject_queue_item(
    State(state): State<AppState>,
    Moderator(who): Moderator,
    IdPath(id): IdPath<QueueItemId>,
    ApiJson(body): ApiJson<ReasonBody>,
) -> Result<Json<QueueItemAnswer>> {
    let item = state
        .app
        .decide_queue_item(&who, id, QueueVerdict::Reject(body.into_input()))
        .await?;
    Ok(Json(QueueItemAnswer {
        item: queue_view(&state, &item),
    }))
}

/// Undoes a rejection, putting the item back in the queue. Needs a moderator.
#[utoipa::path(
    post,
    path = "/api/mod/queue/{id}/undo",
    tag = "moderation",
    security(("session_cookie" = [])),
    params(("id" = uuid::Uuid, Path, description = "The queue item's id.")),
    responses(
        (status = 200, description = "Back in the queue.", body = QueueItemAnswer),
        NotSignedIn, Forbidden, NotFound, Conflict,
    )
)]
async fn undo_queue_item(
    State(state): State<AppState>,
    Moderator(who): Moderator,
    IdPath(id): IdPath<QueueItemId>,
) -> Result<Json<QueueItemAnswer>> {
    let item = state.app.undo_rejection(&who, id).await?;
    Ok(Json(QueueItemAnswer {
        item: queue_view(&state, &item),
    }))
}

/// One decision on several queue items.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct BulkBody {
    /// Between 1 and 100 queue item ids.
    #[schema(value_type = Vec<uuid::Uuid>)]
    ids: Vec<QueueItemId>,
    /// `approve` or `reject`.
    action: String,
    /// With `reject`: the reason, in words.
    #[schema(required = false)]
    reason: Option<String>,
    /// With `reject`: the id of a ready-made reason.
    #[schema(required = false)]
    ready_reason: Option<String>,
}

/// Decides several queue items at once.
///
/// Each answers on its own (one already decided by someone else does not stop the rest).
/// Needs a moderator.
#[utoipa::path(
    post,
    path = "/api/mod/queue/bulk",
    tag = "moderation",
    security(("session_cookie" = [])),
    request_body = BulkBody,
    responses(
        (status = 200, description = "One result per item.", body = BulkAnswer),
        BadRequest, NotSignedIn, Forbidden, TooLarge, UnsupportedMediaType,
    )
)]
async fn decide_queue_bulk(
    State(state): State<AppState>,
    Moderator(who): Moderator,
    ApiJson(body): ApiJson<BulkBody>,
) -> Result<Json<BulkAnswer>> {
    let verdict = match body.action.as_str() {
        "approve" => QueueVerdict::Approve {
            edited_body: None,
            edit_reason: None,
        },
        "reject" => QueueVerdict::Reject(ReasonInput {
            reason: body.reason,
            ready_reason: body.ready_reason,
        }),
        _ => return Err(AppError::invalid("action", "action must be approve or reject").into()),
    };
    let results: Vec<BulkResult> = state
        .app
        .decide_queue_items(&who, &body.ids, verdict)
        .await?
        .into_iter()
        .map(|(id, r)| match r {
            Ok(item) => BulkResult {
                id: id.to_string(),
                ok: true,
                state: Some(item.state),
                error: None,
            },
            Err(e) => BulkResult {
                id: id.to_string(),
                ok: false,
                state: None,
                error: Some(e.public_message()),
            },
        })
        .collect();
    Ok(Json(BulkAnswer { results }))
}

/// Removes a post, with a reason shown to its author. Needs a moderator.
#[utoipa::path(
    post,
    path = "/api/mod/posts/{id}/remove",
    tag = "moderation",
    security(("session_cookie" = [])),
    params(("id" = uuid::Uuid, Path, description = "The post's id.")),
    request_body = ReasonBody,
    responses(
        (status = 200, description = "Removed (`status`: `removed`).", body = StatusAnswer),
        BadRequest, NotSignedIn, Forbidden, NotFound, TooLarge, UnsupportedMediaType,
    )
)]
async fn remove_post(
    State(state): State<AppState>,
    Moderator(who): Moderator,
    IdPath(id): IdPath<PostId>,
    ApiJson(body): ApiJson<ReasonBody>,
) -> Result<Json<StatusAnswer>> {
    state.app.remove_post(&who, id, body.into_input()).await?;
    Ok(Json(StatusAnswer { status: "removed" }))
}

async fn thread_action(
    state: &AppState,
    who: &hearth_app::Identity,
    id: ThreadId,
    action: ThreadAction,
) -> Result<Json<ThreadAnswer>> {
    let thread = state.app.thread_action(who, id, action).await?;
    Ok(Json(ThreadAnswer {
        thread: ThreadView::from(&thread),
    }))
}

/// Locks a thread: no more replies. Needs a moderator.
#[utoipa::path(
    post,
    path = "/api/mod/threads/{id}/lock",
    tag = "moderation",
    security(("session_cookie" = [])),
    params(("id" = uuid::Uuid, Path, description = "The thread's id.")),
    responses(
        (status = 200, description = "The thread as it now is.", body = ThreadAnswer),
        NotSignedIn, Forbidden, NotFound,
    )
)]
async fn lock_thread(
    State(s): State<AppState>,
    Moderator(w): Moderator,
    IdPath(id): IdPath<ThreadId>,
) -> Result<Json<ThreadAnswer>> {
    thread_action(&s, &w, id, ThreadAction::Lock).await
}
/// Unlocks a thread. Needs a moderator.
#[utoipa::path(
    post,
    path = "/api/mod/threads/{id}/unlock",
    tag = "moderation",
    security(("session_cookie" = [])),
    params(("id" = uuid::Uuid, Path, description = "The thread's id.")),
    responses(
        (status = 200, description = "The thread as it now is.", body = ThreadAnswer),
        NotSignedIn, Forbidden, NotFound,
    )
)]
async fn unlock_thread(
    State(s): State<AppState>,
    Moderator(w): Moderator,
    IdPath(id): IdPath<ThreadId>,
) -> Result<Json<ThreadAnswer>> {
    thread_action(&s, &w, id, ThreadAction::Unlock).await
}
/// Pins a thread to the top of its board. Needs a moderator.
#[utoipa::path(
    post,
    path = "/api/mod/threads/{id}/pin",
    tag = "moderation",
    security(("session_cookie" = [])),
    params(("id" = uuid::Uuid, Path, description = "The thread's id.")),
    responses(
        (status = 200, description = "The thread as it now is.", body = ThreadAnswer),
        NotSignedIn, Forbidden, NotFound,
    )
)]
async fn pin_thread(
    State(s): State<AppState>,
    Moderator(w): Moderator,
    IdPath(id): IdPath<ThreadId>,
) -> Result<Json<ThreadAnswer>> {
    thread_action(&s, &w, id, ThreadAction::Pin).await
}
/// Unpins a thread. Needs a moderator.
#[utoipa::path(
    post,
    path = "/api/mod/threads/{id}/unpin",
    tag = "moderation",
    security(("session_cookie" = [])),
    params(("id" = uuid::Uuid, Path, description = "The thread's id.")),
    responses(
        (status = 200, description = "The thread as it now is.", body = ThreadAnswer),
        NotSignedIn, Forbidden, NotFound,
    )
)]
async fn unpin_thread(
    State(s): State<AppState>,
    Moderator(w): Moderator,
    IdPath(id): IdPath<ThreadId>,
) -> Result<Json<ThreadAnswer>> {
    thread_action(&s, &w, id, ThreadAction::Unpin).await
}

/// Where to move a thread.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct MoveBody {
    /// The board to move it to.
    #[schema(value_type = uuid::Uuid)]
    board_id: BoardId,
}

/// Moves a thread to another board. Needs a moderator.
#[utoipa::path(
    post,
    path = "/api/mod/threads/{id}/move",
    tag = "moderation",
    security(("session_cookie" = [])),
    params(("id" = uuid::Uuid, Path, description = "The thread's id.")),
    request_body = MoveBody,
    responses(
        (status = 200, description = "The thread as it now is.", body = ThreadAnswer),
        BadRequest, NotSignedIn, Forbidden, NotFound, TooLarge, UnsupportedMediaType,
    )
)]
async fn move_thread(
    State(s): State<AppState>,
    Moderator(w): Moderator,
    IdPath(id): IdPath<ThreadId>,
    ApiJson(body): ApiJson<MoveBody>,
) -> Result<Json<ThreadAnswer>> {
    thread_action(&s, &w, id, ThreadAction::Move(body.board_id)).await
}

/// Suspends a member.
///
/// Until a time or for a number of hours, with a reason; their sessions end at once. Needs a
/// moderator. Moderators may suspend active members only (never another moderator, an admin,
/// themselves, or an account that is suspended, banned or not yet let in: 409
/// `standing_forbids`); admins may also change a running suspension. The answer shows the
/// member as the caller's role sees them: to a moderator, nothing that is for admins only.
#[utoipa::path(
    post,
    path = "/api/mod/members/{id}/suspend",
    tag = "moderation",
    security(("session_cookie" = [])),
    params(("id" = uuid::Uuid, Path, description = "The member's id.")),
    request_body = crate::routes::admin::SuspendBody,
    responses(
        (status = 200, description = "Suspended.", body = SuspendedAnswer),
        BadRequest, NotSignedIn, Forbidden, NotFound, Conflict, TooLarge, UnsupportedMediaType,
    )
)]
async fn suspend_member(
    State(state): State<AppState>,
    Moderator(who): Moderator,
    IdPath(id): IdPath<MemberId>,
    ApiJson(body): ApiJson<SuspendBody>,
) -> Result<Json<SuspendedAnswer>> {
    let sanction = body.into_sanction(state.app.now())?;
    let member = state.app.sanction(&who, id, sanction).await?;
    // A moderator is answered with the moderators' view; an admin (whose members page shows
    // the answer in place) with the admins'.
    let member = if who.role >= Role::Admin {
        SuspendedMember::Admin(MemberAdminView::from(&member))
    } else {
        SuspendedMember::Moderator(MemberModView::from(&member))
    };
    Ok(Json(SuspendedAnswer { member }))
}

/// Paging back through the audit log.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct AuditQuery {
    /// Only entries before this time (the `next_before` of the previous page).
    before: Option<DateTime<Utc>>,
    /// How many entries (default 50).
    limit: Option<u64>,
}

/// The audit log, newest first. Needs a moderator.
///
/// Moderators see what staff did to content and to members' standing; members' own account
/// actions (password changes, exports, erasure), applications and their reasons, invites,
/// account recovery and safeguarding entries are shown to admins only.
#[utoipa::path(
    get,
    path = "/api/mod/audit",
    tag = "moderation",
    security(("session_cookie" = [])),
    responses(
        (status = 200, description = "A page of the audit log.", body = AuditAnswer),
        BadRequest, NotSignedIn, Forbidden,
    )
)]
async fn list_audit(
    State(state): State<AppState>,
    Moderator(who): Moderator,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<AuditAnswer>> {
    let entries = state
        .app
        .audit_log(&who, q.before, q.limit.unwrap_or(50))
        .await?;
    let next = entries.last().map(|e| e.at);
    let views: Vec<_> = entries.iter().map(AuditView::from).collect();
    Ok(Json(AuditAnswer {
        entries: views,
        next_before: next,
    }))
}

/// Publishes a held chat message to its room. Needs a moderator.
#[utoipa::path(
    post,
    path = "/api/mod/messages/{id}/approve",
    tag = "moderation",
    security(("session_cookie" = [])),
    params(("id" = uuid::Uuid, Path, description = "The message's id.")),
    responses(
        (status = 200, description = "Published.", body = MessageDecidedAnswer),
        NotSignedIn, Forbidden, NotFound, Conflict,
    )
)]
async fn approve_message(
    State(state): State<AppState>,
    Moderator(who): Moderator,
    IdPath(id): IdPath<hearth_core::ids::MessageId>,
) -> Result<Json<MessageDecidedAnswer>> {
    let m = state.app.decide_message(&who, id, true, None).await?;
    Ok(Json(MessageDecidedAnswer {
        status: m.status.as_str(),
    }))
}

/// Why a held chat message is rejected (its author sees this).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MessageRejectBody {
    /// The reason, shown to the author.
    reason: String,
}

/// Rejects a held chat message with a reason its author sees. Needs a moderator.
#[utoipa::path(
    post,
    path = "/api/mod/messages/{id}/reject",
    tag = "moderation",
    security(("session_cookie" = [])),
    params(("id" = uuid::Uuid, Path, description = "The message's id.")),
    request_body = MessageRejectBody,
    responses(
        (status = 200, description = "Rejected.", body = MessageDecidedAnswer),
        BadRequest, NotSignedIn, Forbidden, NotFound, Conflict, TooLarge, UnsupportedMediaType,
    )
)]
async fn reject_message(
    State(state): State<AppState>,
    Moderator(who): Moderator,
    IdPath(id): IdPath<hearth_core::ids::MessageId>,
    ApiJson(body): ApiJson<MessageRejectBody>,
) -> Result<Json<MessageDecidedAnswer>> {
    let m = state
        .app
        .decide_message(&who, id, false, Some(body.reason))
        .await?;
    Ok(Json(MessageDecidedAnswer {
        status: m.status.as_str(),
    }))
}
