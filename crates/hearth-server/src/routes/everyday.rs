//! Members' everyday comforts (issue 14 item 8): unread counts and latest activity per board
//! for the home page, @mention completion, the welcome on a member's first sign-in, and
//! reporting chat messages.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use hearth_app::limits::Limit;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use axum::http::StatusCode;
use hearth_core::ids::MessageId;

use crate::error::Result;
use crate::extract::{ApiJson, ApiQuery, Member, Moderator};
use crate::routes::IdPath;
use crate::routes::answers::StatusMessageAnswer;
use crate::routes::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, NotSignedIn, RateLimited, TooLarge,
    UnsupportedMediaType,
};
use crate::state::AppState;

/// Board activity, mention completion and the welcome.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(board_activity))
        .routes(routes!(mention_suggestions))
        .routes(routes!(get_welcome, dismiss_welcome))
        .routes(routes!(report_message))
        .routes(routes!(decide_reported_message))
}

/// One board's activity as the reader sees it.
#[derive(Serialize, ToSchema)]
struct BoardActivityView {
    /// The board.
    #[schema(format = Uuid)]
    board_id: String,
    /// How many of its threads have a post the reader has not read (published posts by
    /// others, newer than the reader's read marker), among its 100 most recently active
    /// threads (so 100 means "100 or more").
    unread_threads: i64,
    /// When something was last published on the board; null if nothing has been.
    last_activity_at: Option<DateTime<Utc>>,
}

/// `{"boards": [...]}`: activity for each board the reader may read, in the boards' order.
#[derive(Serialize, ToSchema)]
struct BoardActivityAnswer {
    /// One entry per board.
    boards: Vec<BoardActivityView>,
}

/// Unread threads and latest activity on each board the member may read, for the home page.
/// Derived from the member's read markers each time (no counter is kept), and only from what
/// they may see: published posts on boards open to them.
#[utoipa::path(
    get,
    path = "/api/boards/activity",
    tag = "content",
    security(("session_cookie" = [])),
    responses(
        (status = 200, description = "Each board's unread threads and latest activity.", body = BoardActivityAnswer),
        NotSignedIn, Forbidden,
    )
)]
async fn board_activity(
    State(state): State<AppState>,
    Member(who): Member,
) -> Result<Json<BoardActivityAnswer>> {
    let boards = state.app.board_activity(&who).await?;
    Ok(Json(BoardActivityAnswer {
        boards: boards
            .into_iter()
            .map(|b| BoardActivityView {
                board_id: b.board.to_string(),
                unread_threads: b.unread_threads,
                last_activity_at: b.last_activity_at,
            })
            .collect(),
    }))
}

/// The start of a handle to complete.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct MentionParams {
    /// The letters typed after `@` (1 to 32 of the characters a handle may hold).
    prefix: String,
}

/// `{"handles": [...]}`: handles to offer.
#[derive(Serialize, ToSchema)]
struct MentionAnswer {
    /// Active members' handles starting with the prefix (any case), alphabetical, at most 8.
    handles: Vec<String>,
}

/// Handles of active members starting with what was typed after `@`, for completing a
/// mention. Never pending applicants, suspended, banned or erased members. Limited per member.
#[utoipa::path(
    get,
    path = "/api/mentions",
    tag = "comforts",
    security(("session_cookie" = [])),
    params(MentionParams),
    responses(
        (status = 200, description = "Matching handles.", body = MentionAnswer),
        BadRequest, NotSignedIn, Forbidden, RateLimited,
    )
)]
async fn mention_suggestions(
    State(state): State<AppState>,
    Member(who): Member,
    ApiQuery(p): ApiQuery<MentionParams>,
) -> Result<Json<MentionAnswer>> {
    let handles = state
        .app
        .member_limited(
            &who,
            Limit::MentionLookups,
            state.app.mention_suggestions(&who, &p.prefix),
            |_| true,
        )
        .await?;
    Ok(Json(MentionAnswer { handles }))
}

/// `{"due": ...}`: whether to show the welcome.
#[derive(Serialize, ToSchema)]
struct WelcomeAnswer {
    /// True until the member puts the welcome away (on any device).
    due: bool,
}

/// Whether the member has yet to see the welcome shown on their first sign-in. Remembered on
/// the server, not in the browser: devices are shared.
#[utoipa::path(
    get,
    path = "/api/me/welcome",
    tag = "account",
    security(("session_cookie" = [])),
    responses(
        (status = 200, description = "Whether the welcome is due.", body = WelcomeAnswer),
        NotSignedIn, Forbidden,
    )
)]
async fn get_welcome(
    State(state): State<AppState>,
    Member(who): Member,
) -> Result<Json<WelcomeAnswer>> {
    Ok(Json(WelcomeAnswer {
        due: state.app.welcome_due(&who).await?,
    }))
}

/// Puts the welcome away for good.
#[utoipa::path(
    delete,
    path = "/api/me/welcome",
    tag = "account",
    security(("session_cookie" = [])),
    responses(
        (status = 200, description = "Put away (`due`: false).", body = WelcomeAnswer),
        NotSignedIn, Forbidden,
    )
)]
async fn dismiss_welcome(
    State(state): State<AppState>,
    Member(who): Member,
) -> Result<Json<WelcomeAnswer>> {
    state.app.dismiss_welcome(&who).await?;
    Ok(Json(WelcomeAnswer { due: false }))
}

/// Why a chat message is reported: one of the fixed reasons (no free text, so nothing in a
/// chat report needs reading by the rules).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct MessageReportBody {
    /// One of the report reasons (as for posts).
    reason: String,
}

/// Reports a chat message the member can see (published, someone else's) to the moderators.
/// Its author is never told who. Limited per member with the post reports.
#[utoipa::path(
    post,
    path = "/api/messages/{id}/reports",
    tag = "realtime",
    security(("session_cookie" = [])),
    params(("id" = uuid::Uuid, Path, description = "The message's id.")),
    request_body = MessageReportBody,
    responses(
        (status = 201, description = "Received (`status`: `received`).", body = StatusMessageAnswer),
        BadRequest, NotSignedIn, Forbidden, NotFound, Conflict, TooLarge, UnsupportedMediaType, RateLimited,
    )
)]
async fn report_message(
    State(state): State<AppState>,
    Member(who): Member,
    IdPath(id): IdPath<MessageId>,
    ApiJson(b): ApiJson<MessageReportBody>,
) -> Result<(StatusCode, Json<StatusMessageAnswer>)> {
    state
        .app
        .member_limited(
            &who,
            Limit::Reports,
            state.app.report_message(&who, id, &b.reason),
            |_| true,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(StatusMessageAnswer::new(
            "received",
            "Thank you. The moderators will look at this message. Its author will not be told who reported it.",
        )),
    ))
}

/// A moderator's decision on a reported chat message.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct MessageReportDecision {
    /// `remove` (out of the room for everyone) or `keep`.
    decision: String,
    /// With `remove`: the reason, shown to the author.
    #[schema(required = false)]
    reason: Option<String>,
}

/// Decides a reported chat message: remove it (its author is told, with the reason) or keep
/// it. Closes its open reports. Needs a moderator.
#[utoipa::path(
    post,
    path = "/api/mod/messages/{id}/report-decision",
    tag = "moderation",
    security(("session_cookie" = [])),
    params(("id" = uuid::Uuid, Path, description = "The message's id.")),
    request_body = MessageReportDecision,
    responses(
        (status = 200, description = "Decided (`status`: `removed` or `kept`).", body = StatusMessageAnswer),
        BadRequest, NotSignedIn, Forbidden, NotFound, Conflict, TooLarge, UnsupportedMediaType,
    )
)]
async fn decide_reported_message(
    State(state): State<AppState>,
    Moderator(who): Moderator,
    IdPath(id): IdPath<MessageId>,
    ApiJson(b): ApiJson<MessageReportDecision>,
) -> Result<Json<StatusMessageAnswer>> {
    let remove = match b.decision.as_str() {
        "remove" => true,
        "keep" => false,
        _ => {
            return Err(hearth_app::AppError::invalid(
                "decision",
                "decision is `remove` or `keep`",
            )
            .into());
        }
    };
    state
        .app
        .decide_reported_message(&who, id, remove, b.reason)
        .await?;
    Ok(Json(StatusMessageAnswer::new(
        if remove { "removed" } else { "kept" },
        if remove {
            "The message was removed."
        } else {
            "The message stays."
        },
    )))
}
