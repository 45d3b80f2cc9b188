//! Account recovery: admins issue one-time reset links; members with email ask for one; a
//! plain form (`/reset`, no script needed) or `POST /api/password-reset/{token}` sets the new
//! password.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use hearth_app::limits::Limit;
use hearth_core::ids::MemberId;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, Result};
use crate::extract::{Admin, ApiJson, ApiQuery};
use crate::routes::IdPath;
use crate::routes::answers::StatusMessageAnswer;
use crate::routes::openapi::{
    BadRequest, Forbidden, NotFound, NotSignedIn, RateLimited, TooLarge, UnsupportedMediaType,
};
use crate::routes::setup::{escape, page};
use crate::state::AppState;

/// Reset routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_reset_link))
        .routes(routes!(get_recovery_options, request_reset))
        .routes(routes!(complete_reset))
        .route("/reset", get(get_reset_page).post(submit_reset_form))
}

/// A reset link, shown once to the admin who asked for it.
#[derive(serde::Serialize, ToSchema)]
pub struct ResetLinkAnswer {
    /// The one-time link to pass to the member by a safe route.
    pub link: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

/// Issues a one-time password-reset link for a member (audited). Needs an admin.
#[utoipa::path(
    post,
    path = "/api/admin/members/{id}/reset-link",
    tag = "admin",
    security(("session_cookie" = [])),
    params(("id" = uuid::Uuid, Path, description = "The member's id.")),
    responses(
        (status = 201, description = "The link, shown once.", body = ResetLinkAnswer),
        NotSignedIn, Forbidden, NotFound,
    )
)]
async fn create_reset_link(
    State(state): State<AppState>,
    Admin(who): Admin,
    IdPath(id): IdPath<MemberId>,
) -> Result<(StatusCode, Json<ResetLinkAnswer>)> {
    let (link, expires_at) = state.app.issue_reset_link(&who, id).await?;
    Ok((
        StatusCode::CREATED,
        Json(ResetLinkAnswer { link, expires_at }),
    ))
}

/// How a member who forgot their password can get back in here.
#[derive(serde::Serialize, ToSchema)]
pub struct RecoveryOptionsAnswer {
    /// Whether this server sends reset links by email. False: only an admin can make one.
    pub by_email: bool,
    /// How many hours a reset link works.
    pub link_hours: i64,
}

/// What recovery this server offers, so the "forgot your password?" screen promises an email
/// only when one can come. Says nothing about any member.
#[utoipa::path(
    get,
    path = "/api/password-reset",
    tag = "session",
    responses(
        (status = 200, description = "Whether links come by email, and how long they work.", body = RecoveryOptionsAnswer),
    )
)]
async fn get_recovery_options(State(state): State<AppState>) -> Json<RecoveryOptionsAnswer> {
    let options = state.app.recovery_options();
    Json(RecoveryOptionsAnswer {
        by_email: options.by_email,
        link_hours: options.link_hours,
    })
}

/// Asks for a reset link by email.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResetRequestBody {
    /// The account's email.
    email: String,
}

/// Asks for a password-reset link by email. The answer is the same whether or not the address
/// belongs to an account; it says so plainly if this server sends no email at all.
#[utoipa::path(
    post,
    path = "/api/password-reset",
    tag = "session",
    request_body = ResetRequestBody,
    responses(
        (status = 202, description = "If the address belongs to an account, a link is on its way.", body = StatusMessageAnswer),
        BadRequest, Forbidden, TooLarge, UnsupportedMediaType, RateLimited,
    )
)]
async fn request_reset(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    crate::routes::account::Peer(peer): crate::routes::account::Peer,
    ApiJson(body): ApiJson<ResetRequestBody>,
) -> Result<(StatusCode, Json<StatusMessageAnswer>)> {
    // Each request sends an email and voids the last link: limited per address asked for
    // (whether or not it is a member's, so the limit tells nothing) and per client address.
    let address = crate::routes::account::client_address(&state, &headers, peer);
    let account = body.email.trim().to_lowercase();
    let per_address = state.app.take_limit(Limit::ResetAddress, &address).await?;
    if let Err(e) = state.app.take_limit(Limit::ResetAccount, &account).await {
        state.app.give_back(per_address).await;
        return Err(e.into());
    }
    state.app.request_reset(&body.email).await?;
    // The same answer for every address; it differs only by what this server can do at all.
    let options = state.app.recovery_options();
    let message = if options.by_email {
        format!(
            "If that address belongs to an account, a link is on its way. It works once, for {} hours. If no email arrives, ask an admin for a reset link.",
            options.link_hours
        )
    } else {
        "This forum does not send email, so no link will come. Ask an admin of the group for a reset link.".to_owned()
    };
    Ok((
        StatusCode::ACCEPTED,
        Json(StatusMessageAnswer::new("received", message)),
    ))
}

/// A new password, with the token from the link.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResetBody {
    /// The new password (at least 10 characters).
    new_password: String,
}

/// Sets a new password with a reset link's token. Works once; every session of the member ends.
#[utoipa::path(
    post,
    path = "/api/password-reset/{token}",
    tag = "session",
    params(("token" = String, Path, description = "The token in the reset link.")),
    request_body = ResetBody,
    responses(
        (status = 200, description = "Changed; sign in with the new password.", body = StatusMessageAnswer),
        BadRequest, Forbidden, TooLarge, UnsupportedMediaType,
    )
)]
async fn complete_reset(
    State(state): State<AppState>,
    Path(token): Path<String>,
    ApiJson(body): ApiJson<ResetBody>,
) -> Result<Json<StatusMessageAnswer>> {
    state.app.complete_reset(&token, &body.new_password).await?;
    Ok(Json(StatusMessageAnswer::new(
        "changed",
        "Your password was changed. Please sign in with it.",
    )))
}

#[derive(Deserialize)]
struct TokenQuery {
    #[serde(default)]
    token: String,
}

async fn get_reset_page(ApiQuery(q): ApiQuery<TokenQuery>) -> Html<String> {
    page(&format!(
        "<h1>Choose a new password</h1>\
         <p>This link works once. Choose a password of at least 10 characters.</p>\
         <form method=\"post\" action=\"/reset\">\
         <input type=\"hidden\" name=\"token\" value=\"{}\">\
         <p><label>New password <input name=\"new_password\" type=\"password\" required minlength=\"10\" autocomplete=\"new-password\"></label></p>\
         <p><button type=\"submit\">Set password</button></p></form>",
        escape(&q.token)
    ))
}

#[derive(Deserialize)]
struct ResetForm {
    token: String,
    new_password: String,
}

async fn submit_reset_form(
    State(state): State<AppState>,
    axum::Form(form): axum::Form<ResetForm>,
) -> Response {
    if form.token.contains('\0') || form.new_password.contains('\0') {
        return (
            axum::http::StatusCode::BAD_REQUEST,
            page(&format!("<h1>Not yet</h1><p>{}</p>", ApiError::InvalidText)),
        )
            .into_response();
    }
    match state
        .app
        .complete_reset(&form.token, &form.new_password)
        .await
    {
        Ok(()) => page("<h1>Done</h1><p>Your password was changed. <a href=\"/\">Sign in</a>.</p>")
            .into_response(),
        Err(e) => {
            let message = e.public_message();
            let (status, _) = ApiError::from(e).status_and_code();
            let token = escape(&form.token);
            (
                status,
                page(&format!(
                    "<h1>Not yet</h1><p>{}</p><p><a href=\"/reset?token={token}\">Try again</a></p>",
                    escape(&message)
                )),
            )
                .into_response()
        }
    }
}
