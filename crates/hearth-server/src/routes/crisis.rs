//! The urgent (crisis) lane's actions and staff check-ins: thin handlers over the use cases in
//! `hearth_app::crisis`. The lane itself is listed in the queue answer (`urgent`).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use hearth_app::{CheckinMessageRecord, CheckinView, CrisisStep, CrisisView};
use hearth_core::ids::MemberId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::Result;
use crate::extract::{ApiJson, Member, Moderator};
use crate::routes::IdPath;
use crate::routes::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, NotSignedIn, TooLarge, UnsupportedMediaType,
};
use crate::state::AppState;

/// Crisis and check-in routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(reach_out))
        .routes(routes!(resolve))
        .routes(routes!(escalate))
        .routes(routes!(open_checkin))
        .routes(routes!(close_checkin))
        .routes(routes!(list_checkins))
        .routes(routes!(get_checkin))
        .routes(routes!(send_message))
}

/// A crisis in the urgent lane, as moderators see it.
#[derive(Serialize, ToSchema)]
pub struct CrisisItem {
    /// Its id.
    #[schema(format = Uuid)]
    pub id: String,
    /// open, reaching_out, resolved or escalated.
    pub state: String,
    /// post, message, report_note, concern_note or checkin.
    pub source: String,
    /// The member who may be at risk (null once erased).
    pub member: Option<String>,
    /// Their id, for opening a check-in.
    pub member_id: Option<String>,
    /// The rules that saw it.
    pub rules: String,
    /// The text that raised it, as sanitised HTML (null if it has gone).
    pub text_html: Option<String>,
    /// The post, if in a post.
    pub post_id: Option<String>,
    /// The thread of that post: id.
    pub thread_id: Option<String>,
    /// The thread of that post: title.
    pub thread_title: Option<String>,
    /// The room, if in chat.
    pub room_id: Option<String>,
    /// The check-in it was seen in or opened for it.
    pub checkin_id: Option<String>,
    /// When raised.
    pub created_at: DateTime<Utc>,
    /// Respond by.
    pub due_at: DateTime<Utc>,
    /// Open and past its deadline.
    pub overdue: bool,
    /// When a moderator acted.
    pub handled_at: Option<DateTime<Utc>>,
    /// Who acted (staff see this; members never do).
    pub handled_by: Option<String>,
    /// The note on the outcome.
    pub outcome_note: Option<String>,
}

impl From<CrisisView> for CrisisItem {
    fn from(v: CrisisView) -> Self {
        let c = v.crisis;
        CrisisItem {
            id: c.id.to_string(),
            state: c.state,
            source: c.source,
            member: c.member_handle,
            member_id: c.member_id.map(|m| m.to_string()),
            rules: c.rules,
            text_html: v.text_html,
            post_id: c.post_id.map(|p| p.to_string()),
            thread_id: v.thread.as_ref().map(|t| t.0.to_string()),
            thread_title: v.thread.map(|t| t.1),
            room_id: v.room_id.map(|r| r.to_string()),
            checkin_id: c.checkin_id.map(|c| c.to_string()),
            created_at: c.created_at,
            due_at: c.due_at,
            overdue: v.overdue,
            handled_at: c.handled_at,
            handled_by: c.handled_by_handle,
            outcome_note: c.outcome_note,
        }
    }
}

/// One crisis after an action.
#[derive(Serialize, ToSchema)]
pub struct CrisisAnswer {
    /// The crisis as it now stands.
    pub crisis: CrisisItem,
}

/// The first message of a check-in.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReachOutBody {
    /// What the member reads, signed "the moderators" (at most 4000 characters, Markdown).
    message: String,
}

/// A note on the outcome.
#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NoteBody {
    /// Staff only; for an escalation, what the safeguarding leads should know.
    #[schema(required = false)]
    note: Option<String>,
}

/// Reaches out to the member: opens a private check-in (or adds to their open one) with this
/// message, and marks the crisis as being handled. Needs a moderator.
#[utoipa::path(
    post,
    path = "/api/mod/crises/{id}/reach-out",
    tag = "moderation",
    security(("session_cookie" = [])),
    params(("id" = uuid::Uuid, Path, description = "The crisis's id.")),
    request_body = ReachOutBody,
    responses(
        (status = 200, description = "The check-in is open.", body = CrisisAnswer),
        BadRequest, NotSignedIn, Forbidden, NotFound, Conflict, TooLarge, UnsupportedMediaType,
    )
)]
async fn reach_out(
    State(state): State<AppState>,
    Moderator(who): Moderator,
    IdPath(id): IdPath<uuid::Uuid>,
    ApiJson(b): ApiJson<ReachOutBody>,
) -> Result<Json<CrisisAnswer>> {
    let view = state
        .app
        .act_on_crisis(&who, id, CrisisStep::ReachOut { message: b.message })
        .await?;
    Ok(Json(CrisisAnswer {
        crisis: view.into(),
    }))
}

/// Marks a crisis resolved, with an optional note for staff. Needs a moderator.
#[utoipa::path(
    post,
    path = "/api/mod/crises/{id}/resolve",
    tag = "moderation",
    security(("session_cookie" = [])),
    params(("id" = uuid::Uuid, Path, description = "The crisis's id.")),
    request_body = NoteBody,
    responses(
        (status = 200, description = "Resolved.", body = CrisisAnswer),
        BadRequest, NotSignedIn, Forbidden, NotFound, Conflict, TooLarge, UnsupportedMediaType,
    )
)]
async fn resolve(
    State(state): State<AppState>,
    Moderator(who): Moderator,
    IdPath(id): IdPath<uuid::Uuid>,
    ApiJson(b): ApiJson<NoteBody>,
) -> Result<Json<CrisisAnswer>> {
    let view = state
        .app
        .act_on_crisis(&who, id, CrisisStep::Resolve { note: b.note })
        .await?;
    Ok(Json(CrisisAnswer {
        crisis: view.into(),
    }))
}

/// Escalates a crisis to the safeguarding leads: raises a concern about the same text. Needs a
/// moderator.
#[utoipa::path(
    post,
    path = "/api/mod/crises/{id}/escalate",
    tag = "moderation",
    security(("session_cookie" = [])),
    params(("id" = uuid::Uuid, Path, description = "The crisis's id.")),
    request_body = NoteBody,
    responses(
        (status = 200, description = "Escalated.", body = CrisisAnswer),
        BadRequest, NotSignedIn, Forbidden, NotFound, Conflict, TooLarge, UnsupportedMediaType,
    )
)]
async fn escalate(
    State(state): State<AppState>,
    Moderator(who): Moderator,
    IdPath(id): IdPath<uuid::Uuid>,
    ApiJson(b): ApiJson<NoteBody>,
) -> Result<Json<CrisisAnswer>> {
    let view = state
        .app
        .act_on_crisis(&who, id, CrisisStep::Escalate { note: b.note })
        .await?;
    Ok(Json(CrisisAnswer {
        crisis: view.into(),
    }))
}

/// A check-in in a list.
#[derive(Serialize, ToSchema)]
pub struct CheckinItem {
    /// Its id.
    #[schema(format = Uuid)]
    pub id: String,
    /// The member it is with.
    pub member: Option<String>,
    /// open or closed.
    pub state: String,
    /// When opened.
    pub created_at: DateTime<Utc>,
    /// When the last message was sent.
    pub last_at: DateTime<Utc>,
}

impl From<&hearth_app::CheckinRecord> for CheckinItem {
    fn from(c: &hearth_app::CheckinRecord) -> Self {
        CheckinItem {
            id: c.id.to_string(),
            member: c.member_handle.clone(),
            state: c.state.clone(),
            created_at: c.created_at,
            last_at: c.last_at,
        }
    }
}

/// One message of a check-in.
#[derive(Serialize, ToSchema)]
pub struct CheckinMessageItem {
    /// Its id.
    #[schema(format = Uuid)]
    pub id: String,
    /// Sent by the moderators.
    pub from_staff: bool,
    /// Who wrote it: the member's handle, or for staff messages "the moderators" (staff
    /// readers see the moderator's handle).
    pub author: String,
    /// Sanitised HTML.
    pub body_html: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl From<&CheckinMessageRecord> for CheckinMessageItem {
    fn from(m: &CheckinMessageRecord) -> Self {
        let author = match (&m.author_handle, m.from_staff) {
            (Some(h), _) => h.clone(),
            (None, true) => "the moderators".to_owned(),
            (None, false) => "a former member".to_owned(),
        };
        CheckinMessageItem {
            id: m.id.to_string(),
            from_staff: m.from_staff,
            author,
            body_html: m.body_html.clone(),
            created_at: m.created_at,
        }
    }
}

/// A check-in with its messages.
#[derive(Serialize, ToSchema)]
pub struct CheckinAnswer {
    /// The check-in.
    pub checkin: CheckinItem,
    /// Its messages, oldest first.
    pub messages: Vec<CheckinMessageItem>,
}

impl From<CheckinView> for CheckinAnswer {
    fn from(v: CheckinView) -> Self {
        CheckinAnswer {
            checkin: (&v.checkin).into(),
            messages: v.messages.iter().map(Into::into).collect(),
        }
    }
}

/// Check-ins.
#[derive(Serialize, ToSchema)]
pub struct CheckinsAnswer {
    /// Open ones first, then by the last message.
    pub checkins: Vec<CheckinItem>,
}

/// Opening a check-in with a member.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct OpenCheckinBody {
    /// The member's id.
    #[schema(format = Uuid)]
    member_id: String,
    /// The first message (at most 4000 characters, Markdown).
    message: String,
}

/// Opens a private check-in with a member (or adds to their open one). Only staff can start a
/// check-in. Needs a moderator.
#[utoipa::path(
    post,
    path = "/api/mod/checkins",
    tag = "moderation",
    security(("session_cookie" = [])),
    request_body = OpenCheckinBody,
    responses(
        (status = 201, description = "Open.", body = CheckinAnswer),
        BadRequest, NotSignedIn, Forbidden, NotFound, TooLarge, UnsupportedMediaType,
    )
)]
async fn open_checkin(
    State(state): State<AppState>,
    Moderator(who): Moderator,
    ApiJson(b): ApiJson<OpenCheckinBody>,
) -> Result<(StatusCode, Json<CheckinAnswer>)> {
    let member: MemberId = b
        .member_id
        .parse()
        .map_err(|_| hearth_app::AppError::NotFound("member"))?;
    let view = state.app.open_checkin(&who, member, &b.message).await?;
    Ok((StatusCode::CREATED, Json(view.into())))
}

/// Closes a check-in: the member can still read it, no longer answer. Needs a moderator.
#[utoipa::path(
    post,
    path = "/api/mod/checkins/{id}/close",
    tag = "moderation",
    security(("session_cookie" = [])),
    params(("id" = uuid::Uuid, Path, description = "The check-in's id.")),
    responses(
        (status = 200, description = "Closed.", body = CheckinAnswer),
        NotSignedIn, Forbidden, NotFound, Conflict,
    )
)]
async fn close_checkin(
    State(state): State<AppState>,
    Moderator(who): Moderator,
    IdPath(id): IdPath<uuid::Uuid>,
) -> Result<Json<CheckinAnswer>> {
    Ok(Json(state.app.close_checkin(&who, id).await?.into()))
}

/// The reader's check-ins: a member's own; every one for staff.
#[utoipa::path(
    get,
    path = "/api/checkins",
    tag = "account",
    security(("session_cookie" = [])),
    responses(
        (status = 200, description = "The check-ins.", body = CheckinsAnswer),
        NotSignedIn, Forbidden,
    )
)]
async fn list_checkins(
    State(state): State<AppState>,
    Member(who): Member,
) -> Result<Json<CheckinsAnswer>> {
    let list = state.app.checkins(&who).await?;
    Ok(Json(CheckinsAnswer {
        checkins: list.iter().map(Into::into).collect(),
    }))
}

/// A check-in and its messages: the member's own, or any for staff (staff reads are audited).
#[utoipa::path(
    get,
    path = "/api/checkins/{id}",
    tag = "account",
    security(("session_cookie" = [])),
    params(("id" = uuid::Uuid, Path, description = "The check-in's id.")),
    responses(
        (status = 200, description = "The check-in.", body = CheckinAnswer),
        NotSignedIn, Forbidden, NotFound,
    )
)]
async fn get_checkin(
    State(state): State<AppState>,
    Member(who): Member,
    IdPath(id): IdPath<uuid::Uuid>,
) -> Result<Json<CheckinAnswer>> {
    Ok(Json(state.app.checkin(&who, id).await?.into()))
}

/// A message in a check-in.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CheckinMessageBody {
    /// The text (at most 4000 characters, Markdown).
    body: String,
}

/// The answer to a check-in message.
#[derive(Serialize, ToSchema)]
pub struct CheckinMessageAnswer {
    /// The message as stored.
    pub message: CheckinMessageItem,
    /// What moderation said (crisis support, if the rules saw a crisis).
    pub moderation: crate::routes::rule_views::ModerationView,
}

/// Answers in a check-in: the member in their own, staff in any.
#[utoipa::path(
    post,
    path = "/api/checkins/{id}/messages",
    tag = "account",
    security(("session_cookie" = [])),
    params(("id" = uuid::Uuid, Path, description = "The check-in's id.")),
    request_body = CheckinMessageBody,
    responses(
        (status = 201, description = "Sent.", body = CheckinMessageAnswer),
        BadRequest, NotSignedIn, Forbidden, NotFound, Conflict, TooLarge, UnsupportedMediaType,
    )
)]
async fn send_message(
    State(state): State<AppState>,
    Member(who): Member,
    IdPath(id): IdPath<uuid::Uuid>,
    ApiJson(b): ApiJson<CheckinMessageBody>,
) -> Result<(StatusCode, Json<CheckinMessageAnswer>)> {
    let (message, moderation) = state.app.send_checkin_message(&who, id, &b.body).await?;
    Ok((
        StatusCode::CREATED,
        Json(CheckinMessageAnswer {
            message: CheckinMessageItem::from(&message),
            moderation: moderation.into(),
        }),
    ))
}
