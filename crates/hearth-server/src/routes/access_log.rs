//! `GET /api/admin/access-log`: who read which restricted record, and when (issue 16). The
//! recording happens in the use cases that read (`hearth-app/src/access.rs`).

use axum::Json;
use axum::extract::State;
use hearth_core::ids::MemberId;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::Result;
use crate::extract::{Admin, ApiQuery};
use crate::routes::openapi::{BadRequest, Forbidden, NotSignedIn};
use crate::state::AppState;

/// `/api/admin/access-log`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_access_log))
}

/// Filters; every one optional.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct AccessQuery {
    /// Reads by this member (their id).
    actor: Option<uuid::Uuid>,
    /// `held_item`, `concern`, `member`, `application` or `export`.
    kind: Option<String>,
    /// Reads of this record (its id).
    target: Option<String>,
    /// At or after this time.
    since: Option<chrono::DateTime<chrono::Utc>>,
    /// Before this time.
    until: Option<chrono::DateTime<chrono::Utc>>,
    /// At most this many (1 to 1000, default 200), newest first.
    limit: Option<u64>,
}

/// One read.
#[derive(Serialize, ToSchema)]
pub struct AccessEntryView {
    /// Who read it (null once their account was erased).
    #[schema(format = Uuid)]
    pub actor_id: Option<String>,
    /// What kind of record.
    pub kind: String,
    /// Which one.
    pub target_id: Option<String>,
    /// When.
    pub at: chrono::DateTime<chrono::Utc>,
}

/// The access log, newest first.
#[derive(Serialize, ToSchema)]
pub struct AccessLogAnswer {
    /// The reads.
    pub entries: Vec<AccessEntryView>,
}

/// Lists staff reads of restricted records. Needs an admin.
///
/// Every read of a held item (the queue), a safeguarding concern, a member's admin view, an
/// application or an export by staff: who, what kind, which id, when; never the content.
#[utoipa::path(
    get,
    path = "/api/admin/access-log",
    tag = "admin",
    security(("session_cookie" = [])),
    params(AccessQuery),
    responses(
        (status = 200, description = "The reads, newest first.", body = AccessLogAnswer),
        BadRequest, NotSignedIn, Forbidden,
    )
)]
async fn list_access_log(
    State(state): State<AppState>,
    Admin(who): Admin,
    ApiQuery(q): ApiQuery<AccessQuery>,
) -> Result<Json<AccessLogAnswer>> {
    let filter = hearth_app::AccessFilter {
        actor: q.actor.map(MemberId),
        kind: q.kind,
        target_id: q.target,
        since: q.since,
        until: q.until,
        limit: q.limit.unwrap_or(200),
    };
    let entries = state
        .app
        .access_log(&who, filter)
        .await?
        .into_iter()
        .map(|r| AccessEntryView {
            actor_id: r.actor.map(|a| a.to_string()),
            kind: r.kind,
            target_id: r.target_id,
            at: r.at,
        })
        .collect();
    Ok(Json(AccessLogAnswer { entries }))
}
