//! `POST /api/applications`: applying to join; `GET /api/invites/check`: whether an invite
//! can still be used.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use hearth_app::limits::Limit;
use hearth_app::{AppError, ApplicationInput, ApplyOutcome};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::Result;
use crate::extract::ApiJson;
use crate::routes::answers::{InviteCheckAnswer, StatusMessageAnswer};
use crate::routes::openapi::{
    BadRequest, Conflict, Forbidden, HandleIdentifies, RateLimited, TooLarge, UnsupportedMediaType,
};
use crate::state::AppState;

/// Applying.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_application))
        .routes(routes!(check_invite))
}

/// The invite to check.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct InviteQuery {
    /// The invite token, as in the invite link's `invite=`.
    token: String,
}

/// Whether an invite can still be used.
///
/// The application page asks as it opens with `?invite=`, so a used or expired invite is said
/// at once rather than after the whole form is filled. Answers only `{"valid": true|false}`.
/// Rate limited per client address (`invite_checks`).
#[utoipa::path(
    get,
    path = "/api/invites/check",
    tag = "membership",
    params(InviteQuery),
    responses(
        (status = 200, description = "Whether the invite can still be used.", body = InviteCheckAnswer),
        BadRequest, RateLimited,
    )
)]
async fn check_invite(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    crate::routes::account::Peer(peer): crate::routes::account::Peer,
    crate::extract::ApiQuery(q): crate::extract::ApiQuery<InviteQuery>,
) -> Result<Json<InviteCheckAnswer>> {
    let address = crate::routes::account::client_address(&state, &headers, peer);
    let valid = state.app.invite_usable(&address, &q.token).await?;
    Ok(Json(InviteCheckAnswer { valid }))
}

/// An application as sent. Every field is required except `invite`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ApplicationBody {
    /// The handle to be known by (not a real name).
    handle: String,
    /// An email, seen only by its owner.
    email: String,
    /// A password (at least 10 characters).
    password: String,
    /// YYYY-MM-DD, checked for 18+ and not stored.
    #[schema(example = "1990-05-17")]
    date_of_birth: String,
    /// Why they want to join (read by the admins, deleted when decided).
    #[serde(default)]
    statement: String,
    /// Must be true: the applicant accepts the group's rules.
    accept_rules: bool,
    /// An invite token: an application with a valid one is approved at once.
    #[serde(default)]
    invite: Option<String>,
}

/// Applies to join.
///
/// Without an invite the application waits for an admin (202); with a valid invite it is
/// approved at once (201). Applications are rate limited per client address, and so, more
/// tightly, are `409 handle_taken` answers (handles, unlike emails, can be tested this way).
#[utoipa::path(
    post,
    path = "/api/applications",
    tag = "membership",
    request_body = ApplicationBody,
    responses(
        (status = 202, description = "Received; waits for an admin (`status`: `pending`).", body = StatusMessageAnswer),
        (status = 201, description = "Approved through an invite (`status`: `approved`).", body = StatusMessageAnswer),
        BadRequest, Forbidden, Conflict, HandleIdentifies, TooLarge, UnsupportedMediaType,
        RateLimited,
    )
)]
async fn create_application(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    crate::routes::account::Peer(peer): crate::routes::account::Peer,
    ApiJson(body): ApiJson<ApplicationBody>,
) -> Result<(StatusCode, Json<StatusMessageAnswer>)> {
    let address = crate::routes::account::client_address(&state, &headers, peer);
    // Every attempt counts (each costs a password hash), taken before any work. An answer that
    // says a handle is taken is how an outsider learns that it exists, so those answers have a
    // tighter limit of their own, taken (atomically) before the answer goes out: past it the
    // applicant is told to wait instead.
    let application = state.app.take_limit(Limit::Applications, &address).await?;
    let outcome = state
        .app
        .apply(ApplicationInput {
            handle: body.handle,
            email: body.email,
            password: body.password,
            date_of_birth: body.date_of_birth,
            statement: body.statement,
            accept_rules: body.accept_rules,
            invite: body.invite.filter(|i| !i.is_empty()),
        })
        .await;
    match &outcome {
        Err(AppError::Conflict {
            code: "handle_taken",
            ..
        }) => {
            let _counted = state.app.take_limit(Limit::HandleChecks, &address).await?;
        }
        // Refused before any hashing: costs nothing, so does not count.
        Err(AppError::Validation { .. }) => state.app.give_back(application).await,
        _ => {}
    }
    let outcome = outcome?;
    Ok(match outcome {
        ApplyOutcome::Pending => (
            StatusCode::ACCEPTED,
            Json(StatusMessageAnswer {
                status: "pending",
                message: format!(
                    "Thank you. Your application will be read by one of the group's admins, \
                     usually within {}. Try signing in then: you will be able to once it is \
                     approved.",
                    answer_days(state.config.application_answer_days)
                ),
                answer_days: Some(state.config.application_answer_days),
            }),
        ),
        ApplyOutcome::Approved => (
            StatusCode::CREATED,
            Json(StatusMessageAnswer::new(
                "approved",
                "Welcome. Your invitation was accepted: you can sign in now.",
            )),
        ),
    })
}

/// "3 days", "1 day": the configured figure in words, for the page after applying.
fn answer_days(days: i64) -> String {
    if days == 1 {
        "1 day".to_owned()
    } else {
        format!("{days} days")
    }
}
