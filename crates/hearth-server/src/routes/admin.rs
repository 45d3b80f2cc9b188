//! Admins: applications, members, invites.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use hearth_app::{AppError, MemberPatch, Sanction};
use hearth_core::ids::{ApplicationId, BoardId, InviteId, MemberId};
use hearth_core::policy::Role;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::Result;
use crate::extract::{Admin, ApiJson, ApiQuery};
use crate::routes::IdPath;
use crate::routes::answers::{
    ApplicationAnswer, ApplicationsAnswer, BoardAnswer, BoardsAnswer, InviteAnswer,
    InviteListAnswer, InviteRevokedAnswer, MemberAnswer, MembersAnswer, RulesAnswer,
    RulesReloadedAnswer,
};
use crate::routes::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, NotSignedIn, RuleRejected, RulesInvalid, TooLarge,
    UnsupportedMediaType,
};
use crate::routes::views::{ApplicationView, BoardView, InviteView, MemberAdminView};
use crate::state::AppState;

/// `/api/admin/...`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_applications))
        .routes(routes!(approve_application))
        .routes(routes!(reject_application))
        .routes(routes!(list_members))
        .routes(routes!(patch_member))
        .routes(routes!(ban_member))
        .routes(routes!(reinstate_member))
        .routes(routes!(create_invite, list_invites))
        .routes(routes!(revoke_invite))
        .routes(routes!(erase_member))
        .routes(routes!(create_board, list_all_boards))
        .routes(routes!(patch_board))
        .routes(routes!(order_boards))
        .routes(routes!(get_rules))
        .routes(routes!(reload_rules))
}

/// A new board.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct BoardBody {
    /// Its name.
    name: String,
    /// What it is for.
    #[serde(default)]
    description: String,
    /// Its place in the order (ascending); after every other board when not given.
    #[serde(default)]
    #[schema(required = false)]
    position: Option<i32>,
    /// `members` (the default) or `moderators`.
    #[serde(default)]
    visibility: Option<String>,
}

/// Creates a board. Needs an admin.
#[utoipa::path(
    post,
    path = "/api/admin/boards",
    tag = "admin",
    security(("session_cookie" = [])),
    request_body = BoardBody,
    responses(
        (status = 201, description = "Created.", body = BoardAnswer),
        BadRequest, NotSignedIn, Forbidden, Conflict, TooLarge, UnsupportedMediaType,
    )
)]
async fn create_board(
    State(state): State<AppState>,
    Admin(who): Admin,
    ApiJson(body): ApiJson<BoardBody>,
) -> Result<(StatusCode, Json<BoardAnswer>)> {
    let visibility = match body.visibility.as_deref() {
        None => hearth_core::content::BoardVisibility::Members,
        Some(v) => hearth_core::content::BoardVisibility::parse(v).ok_or_else(|| {
            AppError::invalid("visibility", "visibility must be members or moderators")
        })?,
    };
    let board = state
        .app
        .create_board(
            &who,
            &body.name,
            &body.description,
            body.position,
            visibility,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(BoardAnswer {
            board: BoardView::from(&board),
        }),
    ))
}

/// Every board, archived ones included, in order, for admins arranging them. Needs an admin.
#[utoipa::path(
    get,
    path = "/api/admin/boards",
    tag = "admin",
    security(("session_cookie" = [])),
    responses(
        (status = 200, description = "Every board, in order.", body = BoardsAnswer),
        NotSignedIn, Forbidden,
    )
)]
async fn list_all_boards(
    State(state): State<AppState>,
    Admin(who): Admin,
) -> Result<Json<BoardsAnswer>> {
    let boards: Vec<BoardView> = state
        .app
        .all_boards(&who)
        .await?
        .iter()
        .map(BoardView::from)
        .collect();
    Ok(Json(BoardsAnswer { boards }))
}

/// A change to a board: whichever of these are given.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BoardPatchBody {
    /// A new name (1 to 80 characters; checked by the group's rules).
    #[serde(default)]
    #[schema(required = false)]
    name: Option<String>,
    /// A new description (at most 500 characters; checked by the group's rules).
    #[serde(default)]
    #[schema(required = false)]
    description: Option<String>,
    /// `true` archives the board (read-only, off the list, its threads readable by link);
    /// `false` brings it back.
    #[serde(default)]
    #[schema(required = false)]
    archived: Option<bool>,
}

/// Renames, re-describes, archives or brings back a board. The name and description go
/// through the group's rules like any text (422 with the rules' reasons). Audited. Needs an
/// admin.
#[utoipa::path(
    patch,
    path = "/api/admin/boards/{id}",
    tag = "admin",
    security(("session_cookie" = [])),
    params(("id" = uuid::Uuid, Path, description = "The board's id.")),
    request_body = BoardPatchBody,
    responses(
        (status = 200, description = "Changed.", body = BoardAnswer),
        BadRequest, NotSignedIn, Forbidden, NotFound, RuleRejected, TooLarge, UnsupportedMediaType,
    )
)]
async fn patch_board(
    State(state): State<AppState>,
    Admin(who): Admin,
    IdPath(id): IdPath<BoardId>,
    ApiJson(body): ApiJson<BoardPatchBody>,
) -> Result<Json<BoardAnswer>> {
    let board = state
        .app
        .update_board(
            &who,
            id,
            hearth_app::BoardPatch {
                name: body.name,
                description: body.description,
                archived: body.archived,
            },
        )
        .await?;
    Ok(Json(BoardAnswer {
        board: BoardView::from(&board),
    }))
}

/// The boards' order.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BoardOrderBody {
    /// Every board's id (archived ones too), each once, in the order wanted.
    #[schema(value_type = Vec<uuid::Uuid>)]
    order: Vec<BoardId>,
}

/// Puts the boards in the order given. A list that does not name every board exactly once is
/// a 409 `stale_order` (the boards changed since the page was opened). Audited. Needs an admin.
#[utoipa::path(
    put,
    path = "/api/admin/boards/order",
    tag = "admin",
    security(("session_cookie" = [])),
    request_body = BoardOrderBody,
    responses(
        (status = 200, description = "Every board, in the new order.", body = BoardsAnswer),
        BadRequest, NotSignedIn, Forbidden, Conflict, TooLarge, UnsupportedMediaType,
    )
)]
async fn order_boards(
    State(state): State<AppState>,
    Admin(who): Admin,
    ApiJson(body): ApiJson<BoardOrderBody>,
) -> Result<Json<BoardsAnswer>> {
    if body.order.len() > 1000 {
        return Err(AppError::invalid("order", "too many boards").into());
    }
    let boards: Vec<BoardView> = state
        .app
        .reorder_boards(&who, &body.order)
        .await?
        .iter()
        .map(BoardView::from)
        .collect();
    Ok(Json(BoardsAnswer { boards }))
}

/// The moderation rules in force, and the ready-made rejection reasons. Needs an admin.
#[utoipa::path(
    get,
    path = "/api/admin/rules",
    tag = "admin",
    security(("session_cookie" = [])),
    responses(
        (status = 200, description = "The active rules.", body = RulesAnswer),
        NotSignedIn, Forbidden,
    )
)]
async fn get_rules(State(state): State<AppState>, Admin(who): Admin) -> Result<Json<RulesAnswer>> {
    let (rules, ready_reasons) = state.app.active_rules(&who)?;
    Ok(Json(RulesAnswer {
        file: state.config.rules.display().to_string(),
        rules: rules.into_iter().map(Into::into).collect(),
        ready_reasons: ready_reasons.into_iter().map(Into::into).collect(),
    }))
}

/// Reloads the moderation rules from their file.
///
/// A file with problems is refused and the old rules stay in force. Needs an admin.
#[utoipa::path(
    post,
    path = "/api/admin/rules/reload",
    tag = "admin",
    security(("session_cookie" = [])),
    responses(
        (status = 200, description = "Reloaded.", body = RulesReloadedAnswer),
        NotSignedIn, Forbidden, RulesInvalid,
    )
)]
async fn reload_rules(
    State(state): State<AppState>,
    Admin(who): Admin,
) -> Result<Json<RulesReloadedAnswer>, crate::error::ApiError> {
    let n = state.app.reload_rules(Some(&who)).await?;
    Ok(Json(RulesReloadedAnswer {
        status: "reloaded",
        rules: n,
    }))
}

/// Applications waiting for a decision. Needs an admin.
#[utoipa::path(
    get,
    path = "/api/admin/applications",
    tag = "admin",
    security(("session_cookie" = [])),
    responses(
        (status = 200, description = "Pending applications.", body = ApplicationsAnswer),
        NotSignedIn, Forbidden,
    )
)]
async fn list_applications(
    State(state): State<AppState>,
    Admin(who): Admin,
) -> Result<Json<ApplicationsAnswer>> {
    let apps = state.app.pending_applications(&who).await?;
    let views: Vec<_> = apps.iter().map(ApplicationView::from).collect();
    Ok(Json(ApplicationsAnswer {
        applications: views,
    }))
}

/// Approving an application.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ApproveBody {
    /// Must be true: the admin confirms the applicant is an adult.
    #[serde(default)]
    confirm_adult: bool,
}

/// Approves an application.
///
/// Needs an admin and `confirm_adult: true`; the applicant can then sign in.
#[utoipa::path(
    post,
    path = "/api/admin/applications/{id}/approve",
    tag = "admin",
    security(("session_cookie" = [])),
    params(("id" = uuid::Uuid, Path, description = "The application's id.")),
    request_body = ApproveBody,
    responses(
        (status = 200, description = "Approved; the answers are deleted.", body = ApplicationAnswer),
        BadRequest, NotSignedIn, Forbidden, NotFound, Conflict, TooLarge, UnsupportedMediaType,
    )
)]
async fn approve_application(
    State(state): State<AppState>,
    Admin(who): Admin,
    IdPath(id): IdPath<ApplicationId>,
    ApiJson(body): ApiJson<ApproveBody>,
) -> Result<Json<ApplicationAnswer>> {
    let app = state
        .app
        .approve_application(&who, id, body.confirm_adult)
        .await?;
    Ok(Json(ApplicationAnswer {
        application: ApplicationView::from(&app),
    }))
}

/// A reason for a decision.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ReasonBody {
    /// Why.
    reason: String,
}

/// Rejects an application, with a reason. Needs an admin.
#[utoipa::path(
    post,
    path = "/api/admin/applications/{id}/reject",
    tag = "admin",
    security(("session_cookie" = [])),
    params(("id" = uuid::Uuid, Path, description = "The application's id.")),
    request_body = ReasonBody,
    responses(
        (status = 200, description = "Rejected; the answers are deleted.", body = ApplicationAnswer),
        BadRequest, NotSignedIn, Forbidden, NotFound, Conflict, TooLarge, UnsupportedMediaType,
    )
)]
async fn reject_application(
    State(state): State<AppState>,
    Admin(who): Admin,
    IdPath(id): IdPath<ApplicationId>,
    ApiJson(body): ApiJson<ReasonBody>,
) -> Result<Json<ApplicationAnswer>> {
    let app = state.app.reject_application(&who, id, &body.reason).await?;
    Ok(Json(ApplicationAnswer {
        application: ApplicationView::from(&app),
    }))
}

/// Paging through members by handle.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct MembersQuery {
    /// The `next` of the previous page.
    after: Option<String>,
    /// How many (default 100, at most 200).
    limit: Option<u64>,
}

/// Members by handle, a page at a time. Needs an admin.
#[utoipa::path(
    get,
    path = "/api/admin/members",
    tag = "admin",
    security(("session_cookie" = [])),
    responses(
        (status = 200, description = "A page of members.", body = MembersAnswer),
        BadRequest, NotSignedIn, Forbidden,
    )
)]
async fn list_members(
    State(state): State<AppState>,
    Admin(who): Admin,
    ApiQuery(q): ApiQuery<MembersQuery>,
) -> Result<Json<MembersAnswer>> {
    let limit = q.limit.unwrap_or(100);
    let members = state
        .app
        .list_members(&who, q.after.as_deref(), limit)
        .await?;
    let next = (members.len() as u64 >= limit.clamp(1, 200))
        .then(|| members.last().map(|m| m.handle.to_lowercase()))
        .flatten();
    let views: Vec<_> = members.iter().map(MemberAdminView::from).collect();
    Ok(Json(MembersAnswer {
        members: views,
        next,
    }))
}

/// Changes to a member.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PatchBody {
    /// `member`, `moderator` or `admin`.
    #[schema(required = false)]
    role: Option<String>,
    /// Whether the member is a safeguarding lead (sees the safeguarding concerns).
    #[schema(required = false)]
    safeguarding_lead: Option<bool>,
}

/// Changes a member's role. Needs an admin.
#[utoipa::path(
    patch,
    path = "/api/admin/members/{id}",
    tag = "admin",
    security(("session_cookie" = [])),
    params(("id" = uuid::Uuid, Path, description = "The member's id.")),
    request_body = PatchBody,
    responses(
        (status = 200, description = "The member as they now are.", body = MemberAnswer),
        BadRequest, NotSignedIn, Forbidden, NotFound, Conflict, TooLarge, UnsupportedMediaType,
    )
)]
async fn patch_member(
    State(state): State<AppState>,
    Admin(who): Admin,
    IdPath(id): IdPath<MemberId>,
    ApiJson(body): ApiJson<PatchBody>,
) -> Result<Json<MemberAnswer>> {
    let role = body
        .role
        .map(|r| {
            Role::parse(&r)
                .ok_or_else(|| AppError::invalid("role", "role must be member, moderator or admin"))
        })
        .transpose()?;
    let mut member = state
        .app
        .patch_member(&who, id, MemberPatch { role })
        .await?;
    if let Some(lead) = body.safeguarding_lead
        && lead != member.safeguarding_lead
    {
        state.app.set_safeguarding_lead(&who, id, lead).await?;
        member.safeguarding_lead = lead;
    }
    Ok(Json(MemberAnswer {
        member: MemberAdminView::from(&member),
    }))
}

/// A suspension: until a time, or for a number of hours; always with a reason.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SuspendBody {
    /// When it ends (give this or `hours`).
    #[schema(required = false)]
    until: Option<DateTime<Utc>>,
    /// How long, from now, in hours (1 to 8760; give this or `until`).
    #[schema(required = false)]
    hours: Option<i64>,
    /// Why, shown to the member.
    reason: String,
}

impl SuspendBody {
    /// The sanction this body asks for, with `hours` counted from `now`.
    pub(crate) fn into_sanction(self, now: DateTime<Utc>) -> Result<Sanction> {
        let until = match (self.until, self.hours) {
            (Some(until), None) => until,
            (None, Some(hours)) if (1..=24 * 365).contains(&hours) => now + Duration::hours(hours),
            (None, Some(_)) => {
                return Err(AppError::invalid("hours", "hours must be between 1 and 8760").into());
            }
            _ => {
                return Err(
                    AppError::invalid("until", "give either until (a time) or hours").into(),
                );
            }
        };
        Ok(Sanction::Suspend {
            until,
            reason: self.reason,
        })
    }
}

/// Bans a member, with a reason; their sessions end at once. Needs an admin.
#[utoipa::path(
    post,
    path = "/api/admin/members/{id}/ban",
    tag = "admin",
    security(("session_cookie" = [])),
    params(("id" = uuid::Uuid, Path, description = "The member's id.")),
    request_body = ReasonBody,
    responses(
        (status = 200, description = "Banned.", body = MemberAnswer),
        BadRequest, NotSignedIn, Forbidden, NotFound, Conflict, TooLarge, UnsupportedMediaType,
    )
)]
async fn ban_member(
    State(state): State<AppState>,
    Admin(who): Admin,
    IdPath(id): IdPath<MemberId>,
    ApiJson(body): ApiJson<ReasonBody>,
) -> Result<Json<MemberAnswer>> {
    let member = state
        .app
        .sanction(
            &who,
            id,
            Sanction::Ban {
                reason: body.reason,
            },
        )
        .await?;
    Ok(Json(MemberAnswer {
        member: MemberAdminView::from(&member),
    }))
}

/// Lifts a suspension or ban. Needs an admin.
#[utoipa::path(
    post,
    path = "/api/admin/members/{id}/reinstate",
    tag = "admin",
    security(("session_cookie" = [])),
    params(("id" = uuid::Uuid, Path, description = "The member's id.")),
    responses(
        (status = 200, description = "Reinstated.", body = MemberAnswer),
        NotSignedIn, Forbidden, NotFound, Conflict,
    )
)]
async fn reinstate_member(
    State(state): State<AppState>,
    Admin(who): Admin,
    IdPath(id): IdPath<MemberId>,
) -> Result<Json<MemberAnswer>> {
    let member = state.app.sanction(&who, id, Sanction::Reinstate).await?;
    Ok(Json(MemberAnswer {
        member: MemberAdminView::from(&member),
    }))
}

/// A new invite.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct InviteBody {
    /// Must be true: the admin confirms the invitee is an adult.
    #[serde(default)]
    confirm_adult: bool,
}

/// Creates an invite link: an application with its token is approved at once. Needs an admin.
#[utoipa::path(
    post,
    path = "/api/admin/invites",
    tag = "admin",
    security(("session_cookie" = [])),
    request_body = InviteBody,
    responses(
        (status = 201, description = "Created.", body = InviteAnswer),
        BadRequest, NotSignedIn, Forbidden, TooLarge, UnsupportedMediaType,
    )
)]
async fn create_invite(
    State(state): State<AppState>,
    Admin(who): Admin,
    ApiJson(body): ApiJson<InviteBody>,
) -> Result<(StatusCode, Json<InviteAnswer>)> {
    let (link, expires_at, id) = state.app.create_invite(&who, body.confirm_adult).await?;
    let token = link.rsplit_once("invite=").map(|(_, t)| t.to_owned());
    Ok((
        StatusCode::CREATED,
        Json(InviteAnswer {
            id: id.to_string(),
            link,
            token,
            expires_at,
        }),
    ))
}

/// The invites issued, newest first, each with its state now (`outstanding`, `used`, `expired`
/// or `revoked`): never a token or link, which are shown once when made. Needs an admin.
#[utoipa::path(
    get,
    path = "/api/admin/invites",
    tag = "admin",
    security(("session_cookie" = [])),
    responses(
        (status = 200, description = "The invites.", body = InviteListAnswer),
        NotSignedIn, Forbidden,
    )
)]
async fn list_invites(
    State(state): State<AppState>,
    Admin(who): Admin,
) -> Result<Json<InviteListAnswer>> {
    let now = state.app.now();
    let invites: Vec<InviteView> = state
        .app
        .invites(&who)
        .await?
        .iter()
        .map(|i| InviteView::new(i, now))
        .collect();
    Ok(Json(InviteListAnswer { invites }))
}

/// Revokes an outstanding invite: its link then says it is no longer valid, and applying with
/// it is refused. One already used, expired or revoked is a 409 `invite_closed`. Audited.
/// Needs an admin.
#[utoipa::path(
    post,
    path = "/api/admin/invites/{id}/revoke",
    tag = "admin",
    security(("session_cookie" = [])),
    params(("id" = uuid::Uuid, Path, description = "The invite's id.")),
    responses(
        (status = 200, description = "Revoked.", body = InviteRevokedAnswer),
        NotSignedIn, Forbidden, NotFound, Conflict,
    )
)]
async fn revoke_invite(
    State(state): State<AppState>,
    Admin(who): Admin,
    IdPath(id): IdPath<InviteId>,
) -> Result<Json<InviteRevokedAnswer>> {
    let invite = state.app.revoke_invite(&who, id).await?;
    Ok(Json(InviteRevokedAnswer {
        invite: InviteView::new(&invite, state.app.now()),
    }))
}

/// How an admin erases a member's account: what to do with their posts.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AdminEraseBody {
    /// `delete` or `anonymise`.
    posts: String,
}

/// Erases a member's account as they could themselves (audited; the log keeps the action, not
/// the content). Needs an admin.
#[utoipa::path(
    post,
    path = "/api/admin/members/{id}/erase",
    tag = "admin",
    security(("session_cookie" = [])),
    params(("id" = uuid::Uuid, Path, description = "The member's id.")),
    request_body = AdminEraseBody,
    responses(
        (status = 204, description = "Erased."),
        BadRequest, NotSignedIn, Forbidden, NotFound, Conflict, TooLarge, UnsupportedMediaType,
    )
)]
async fn erase_member(
    State(state): State<AppState>,
    Admin(who): Admin,
    IdPath(id): IdPath<MemberId>,
    ApiJson(body): ApiJson<AdminEraseBody>,
) -> Result<StatusCode> {
    let posts = hearth_app::erase_posts_choice(&body.posts)?;
    state.app.erase_member(&who, id, posts).await?;
    Ok(StatusCode::NO_CONTENT)
}
