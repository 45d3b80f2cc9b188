//! The safeguarding lane: raising a concern about a post, and the leads' restricted queue.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use hearth_app::limits::Limit;
use hearth_core::ids::PostId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::Result;
use crate::extract::{ApiJson, Member};
use crate::routes::IdPath;
use crate::routes::answers::{ReceivedAnswer, StatusMessageAnswer};
use crate::routes::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, NotSignedIn, RateLimited, TooLarge,
    UnsupportedMediaType,
};
use crate::state::AppState;

/// Safeguarding routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(raise_concern))
        .routes(routes!(list_concerns))
        .routes(routes!(decide_concern))
}

/// A safeguarding concern about a post.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConcernBody {
    /// `child_at_risk`, `intent_to_harm`, `suicide_risk` or `other`.
    category: String,
    /// What the safeguarding lead should know.
    #[schema(required = false)]
    note: Option<String>,
}

/// Raises a safeguarding concern about a post: a child may be at risk, someone may intend to
/// harm, someone may be at risk of suicide. Goes to the safeguarding leads, not the moderators'
/// queue.
#[utoipa::path(
    post,
    path = "/api/posts/{id}/concerns",
    tag = "safeguarding",
    security(("session_cookie" = [])),
    params(("id" = uuid::Uuid, Path, description = "The post's id.")),
    request_body = ConcernBody,
    responses(
        (status = 201, description = "Received by the safeguarding leads, with crisis support for the writer when their note reads as a crisis.", body = ReceivedAnswer),
        BadRequest, NotSignedIn, Forbidden, NotFound, TooLarge, UnsupportedMediaType, RateLimited,
    )
)]
async fn raise_concern(
    State(state): State<AppState>,
    Member(who): Member,
    IdPath(id): IdPath<PostId>,
    ApiJson(body): ApiJson<ConcernBody>,
) -> Result<(StatusCode, Json<ReceivedAnswer>)> {
    let signpost = state
        .app
        .member_limited(
            &who,
            Limit::Concerns,
            state
                .app
                .raise_concern(&who, id, &body.category, body.note.as_deref()),
            |_| true,
        )
        .await?;
    let mut message = "Thank you. The group's safeguarding leads will look at this. If someone \
                       is in danger now, call 999."
        .to_owned();
    if !signpost.is_empty() {
        message.push(' ');
        message.push_str(hearth_app::NOTE_CRISIS_MESSAGE);
    }
    Ok((
        StatusCode::CREATED,
        Json(ReceivedAnswer {
            status: "received",
            message,
            signpost: signpost.into_iter().map(Into::into).collect(),
        }),
    ))
}

/// A concern as safeguarding leads see it.
#[derive(Serialize, ToSchema)]
pub struct ConcernView {
    /// Its id.
    #[schema(format = Uuid)]
    pub id: String,
    /// The post it is about.
    pub post_id: Option<String>,
    /// The post's text, as its author wrote it (plain text: the client escapes it).
    pub post_body: Option<String>,
    /// The post's thread, to open it.
    pub thread_id: Option<String>,
    /// The handle of the post's author (null once erased).
    pub post_author: Option<String>,
    /// The handle of the lead who decided it.
    pub decided_by: Option<String>,
    /// The chat message it is about.
    pub message_id: Option<String>,
    /// member, moderator or rules.
    pub source: String,
    /// The category.
    pub category: String,
    /// The note from whoever raised it.
    pub note: Option<String>,
    /// open or decided.
    pub state: String,
    /// When raised.
    pub created_at: DateTime<Utc>,
    /// Respond by.
    pub due_at: DateTime<Utc>,
    /// Open and past its deadline.
    pub overdue: bool,
    /// When decided.
    pub decided_at: Option<DateTime<Utc>>,
    /// no_action, support_offered or referral_made.
    pub decision: Option<String>,
    /// To whom a referral was made.
    pub referral_to: Option<String>,
    /// Why.
    pub decision_reason: Option<String>,
}

/// The concerns list.
#[derive(Serialize, ToSchema)]
pub struct ConcernsAnswer {
    /// Open ones first, by deadline.
    pub concerns: Vec<ConcernView>,
}

/// The safeguarding concerns, for safeguarding leads only. Every read is audited.
#[utoipa::path(
    get,
    path = "/api/safeguarding/concerns",
    tag = "safeguarding",
    security(("session_cookie" = [])),
    responses(
        (status = 200, description = "The concerns (needs a safeguarding lead).", body = ConcernsAnswer),
        NotSignedIn, Forbidden,
    )
)]
async fn list_concerns(
    State(state): State<AppState>,
    Member(who): Member,
) -> Result<Json<ConcernsAnswer>> {
    let now = state.app.now();
    let list = state.app.concerns(&who).await?;
    let views: Vec<_> = list
        .into_iter()
        .map(|c| ConcernView {
            id: c.id.to_string(),
            post_id: c.post_id.map(|p| p.to_string()),
            post_body: c.post_body,
            thread_id: c.thread_id.map(|t| t.to_string()),
            post_author: c.post_author,
            decided_by: c.decided_by,
            message_id: c.message_id.map(|m| m.to_string()),
            source: c.source,
            category: c.category,
            note: c.note,
            overdue: c.state == "open" && c.due_at < now,
            state: c.state,
            created_at: c.created_at,
            due_at: c.due_at,
            decided_at: c.decided_at,
            decision: c.decision,
            referral_to: c.referral_to,
            decision_reason: c.decision_reason,
        })
        .collect();
    Ok(Json(ConcernsAnswer { concerns: views }))
}

/// A lead's decision on a concern.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DecisionBody {
    /// `no_action`, `support_offered` or `referral_made`.
    decision: String,
    /// To whom a referral was made (needed for `referral_made`).
    #[schema(required = false)]
    referral_to: Option<String>,
    /// Why.
    reason: String,
}

/// Records what a safeguarding lead decided about a concern.
#[utoipa::path(
    post,
    path = "/api/safeguarding/concerns/{id}/decision",
    tag = "safeguarding",
    security(("session_cookie" = [])),
    params(("id" = uuid::Uuid, Path, description = "The concern's id.")),
    request_body = DecisionBody,
    responses(
        (status = 200, description = "Recorded.", body = StatusMessageAnswer),
        BadRequest, NotSignedIn, Forbidden, NotFound, Conflict, TooLarge, UnsupportedMediaType,
    )
)]
async fn decide_concern(
    State(state): State<AppState>,
    Member(who): Member,
    IdPath(id): IdPath<uuid::Uuid>,
    ApiJson(body): ApiJson<DecisionBody>,
) -> Result<Json<StatusMessageAnswer>> {
    state
        .app
        .decide_concern(
            &who,
            id,
            &body.decision,
            body.referral_to.as_deref(),
            &body.reason,
        )
        .await?;
    Ok(Json(StatusMessageAnswer::new(
        "decided",
        "The decision is recorded.",
    )))
}
