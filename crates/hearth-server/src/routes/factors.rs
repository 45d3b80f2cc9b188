//! Second factors (issue 16): the sign-in's second step, and a member's own authenticator app
//! and recovery codes. Handlers extract, call one use case and answer typed structs; the rules
//! live in `hearth-app/src/factors.rs`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use hearth_app::AppError;
use hearth_app::factors::FactorProof;
use hearth_app::sessions::{SESSION_CONFIRMED_AT, SESSION_PENDING, SESSION_PENDING_AT};
use hearth_core::ids::MemberId;
use serde::{Deserialize, Serialize};
use tower_sessions::Session;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, Result};
use crate::extract::{Admin, ApiJson, Member, SESSION_MEMBER, SESSION_SIGNED_IN_AT};
use crate::routes::IdPath;
use crate::routes::account::{Peer, client_address};
use crate::routes::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, NotSignedIn, RateLimited, TooLarge,
    UnsupportedMediaType,
};
use crate::routes::views::SelfView;
use crate::state::AppState;

/// `/api/session/second-factor` and `/api/me/factors...`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(complete_sign_in))
        .routes(routes!(list_factors))
        .routes(routes!(begin_totp))
        .routes(routes!(confirm_totp))
        .routes(routes!(confirm_person))
        .routes(routes!(reset_factors))
}

fn session_error(e: impl std::fmt::Display) -> ApiError {
    AppError::Internal(format!("session: {e}")).into()
}

/// The answer to a right password when a second factor is still to come (202).
#[derive(Serialize, ToSchema)]
pub struct SecondFactorNeeded {
    /// `second_factor_required`.
    pub status: &'static str,
    /// What the second step accepts: `totp` (a code from the authenticator app) and
    /// `recovery_code`.
    pub methods: Vec<&'static str>,
}

/// Signs `member` in on `session`: a fresh session id (a session id planted before sign-in is
/// worthless), the old session's sockets closed, and the person counted as confirmed now.
pub(crate) async fn begin_signed_in(
    state: &AppState,
    session: &Session,
    member: MemberId,
) -> Result<()> {
    let now = state.app.now().timestamp();
    // Signing in over a session that was someone's (a shared device) ends that session: its
    // open sockets close on every instance, as at sign-out.
    if let Some(old) = session.id().map(|id| id.to_string()) {
        state.app.end_socket_session(&old, "signed out").await;
    }
    session.cycle_id().await.map_err(session_error)?;
    let _ = session
        .remove::<serde_json::Value>(SESSION_PENDING)
        .await
        .map_err(session_error)?;
    let _ = session
        .remove::<serde_json::Value>(SESSION_PENDING_AT)
        .await
        .map_err(session_error)?;
    session
        .insert(SESSION_MEMBER, member)
        .await
        .map_err(session_error)?;
    session
        .insert(SESSION_SIGNED_IN_AT, now)
        .await
        .map_err(session_error)?;
    session
        .insert(SESSION_CONFIRMED_AT, now)
        .await
        .map_err(session_error)?;
    tracing::info!(%member, "signed in");
    Ok(())
}

/// A right password from a member with a second factor: the session holds a pending sign-in
/// only (it reaches nothing), and the answer asks for the second step.
pub(crate) async fn begin_pending(
    state: &AppState,
    session: &Session,
    member: MemberId,
) -> Result<(StatusCode, Json<SecondFactorNeeded>)> {
    if let Some(old) = session.id().map(|id| id.to_string()) {
        state.app.end_socket_session(&old, "signed out").await;
    }
    session.cycle_id().await.map_err(session_error)?;
    let _ = session
        .remove::<serde_json::Value>(SESSION_MEMBER)
        .await
        .map_err(session_error)?;
    session
        .insert(SESSION_PENDING, member)
        .await
        .map_err(session_error)?;
    session
        .insert(SESSION_PENDING_AT, state.app.now().timestamp())
        .await
        .map_err(session_error)?;
    tracing::info!(%member, "password right; second factor asked");
    Ok((
        StatusCode::ACCEPTED,
        Json(SecondFactorNeeded {
            status: "second_factor_required",
            methods: vec!["totp", "recovery_code"],
        }),
    ))
}

/// The sign-in's second step.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SecondFactorBody {
    /// The six-digit code the authenticator app shows now.
    #[serde(default)]
    code: Option<String>,
    /// Or one of the recovery codes (each works once).
    #[serde(default)]
    recovery_code: Option<String>,
}

/// Signed in.
#[derive(Serialize, ToSchema)]
pub struct SignedInAnswer {
    /// The member.
    pub member: SelfView,
}

fn proof_of(code: Option<String>, recovery_code: Option<String>) -> Result<FactorProof> {
    match (code, recovery_code) {
        (Some(c), None) if c.len() <= 64 => Ok(FactorProof::Totp(c)),
        (None, Some(r)) if r.len() <= 64 => Ok(FactorProof::RecoveryCode(r)),
        _ => Err(AppError::invalid(
            "code",
            "send either `code` (from the authenticator app) or `recovery_code`",
        )
        .into()),
    }
}

/// Finishes signing in with a second factor.
///
/// After `POST /api/session` answered 202 `second_factor_required`: a code from the
/// authenticator app, or a recovery code. Wrong codes count against the sign-in limits; a code
/// once accepted is refused after (`invalid_code`). The pending sign-in lasts five minutes;
/// without one the answer is 403 `no_pending_sign_in`.
#[utoipa::path(
    post,
    path = "/api/session/second-factor",
    tag = "session",
    request_body = SecondFactorBody,
    responses(
        (status = 200, description = "Signed in; the session cookie is set.", body = SignedInAnswer),
        BadRequest, NotSignedIn, Forbidden, TooLarge, UnsupportedMediaType, RateLimited,
    )
)]
async fn complete_sign_in(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Peer(peer): Peer,
    ApiJson(body): ApiJson<SecondFactorBody>,
) -> Result<Json<SignedInAnswer>> {
    let pending: Option<MemberId> = session.get(SESSION_PENDING).await.map_err(session_error)?;
    let since: Option<i64> = session
        .get(SESSION_PENDING_AT)
        .await
        .map_err(session_error)?;
    let now = state.app.now().timestamp();
    let Some(member) = pending
        .filter(|_| since.is_some_and(|t| now - t <= hearth_app::factors::PENDING_SIGN_IN_SECS))
    else {
        return Err(AppError::Refused {
            code: "no_pending_sign_in",
            message: "please sign in again with your password first".to_owned(),
        }
        .into());
    };
    let proof = proof_of(body.code, body.recovery_code)?;
    let address = client_address(&state, &headers, peer);
    let record = state
        .app
        .second_factor_limited(member, &proof, &address)
        .await?;
    begin_signed_in(&state, &session, member).await?;
    Ok(Json(SignedInAnswer {
        member: SelfView::from(&record),
    }))
}

/// One of the member's factors (never its secret).
#[derive(Serialize, ToSchema)]
pub struct FactorView {
    /// Its id.
    #[schema(format = Uuid)]
    pub id: String,
    /// `totp`.
    pub kind: String,
    /// The member's name for it.
    pub label: String,
    /// When it was added.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// When it last let its member in.
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The member's second factors.
#[derive(Serialize, ToSchema)]
pub struct FactorsAnswer {
    /// Enrolled factors.
    pub factors: Vec<FactorView>,
    /// Unused recovery codes left.
    pub recovery_codes_left: u64,
    /// Whether this account must have a factor (staff, when the server requires it).
    pub required: bool,
}

/// The signed-in member's second factors.
#[utoipa::path(
    get,
    path = "/api/me/factors",
    tag = "account",
    security(("session_cookie" = [])),
    responses(
        (status = 200, description = "Factors (never their secrets) and recovery codes left.", body = FactorsAnswer),
        NotSignedIn,
    )
)]
async fn list_factors(
    State(state): State<AppState>,
    Member(who): Member,
) -> Result<Json<FactorsAnswer>> {
    let status = state.app.factor_status(&who).await?;
    Ok(Json(FactorsAnswer {
        factors: status
            .factors
            .into_iter()
            .map(|f| FactorView {
                id: f.id.to_string(),
                kind: f.kind,
                label: f.label,
                created_at: f.created_at,
                last_used_at: f.last_used_at,
            })
            .collect(),
        recovery_codes_left: status.recovery_codes_left,
        required: status.required,
    }))
}

/// A new authenticator-app secret, shown this once.
#[derive(Serialize, ToSchema)]
pub struct TotpEnrolmentAnswer {
    /// The secret as base32 text, to type into the app by hand.
    pub secret: String,
    /// The `otpauth://` URI the QR code holds.
    pub otpauth_url: String,
    /// The QR code, an SVG document to show inline.
    pub qr_svg: String,
}

/// Begins adding an authenticator app.
///
/// Answers a new secret (text, `otpauth://` URI and QR code) shown this once; it counts for
/// nothing until confirmed with a code from the app (`POST /api/me/factors/totp/confirm`).
#[utoipa::path(
    post,
    path = "/api/me/factors/totp",
    tag = "account",
    security(("session_cookie" = [])),
    responses(
        (status = 201, description = "A secret to enter into the app.", body = TotpEnrolmentAnswer),
        NotSignedIn, Forbidden,
    )
)]
async fn begin_totp(
    State(state): State<AppState>,
    Member(who): Member,
) -> Result<impl IntoResponse> {
    let e = state.app.begin_totp(&who).await?;
    Ok((
        StatusCode::CREATED,
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        Json(TotpEnrolmentAnswer {
            secret: e.secret,
            otpauth_url: e.otpauth_url,
            qr_svg: e.qr_svg,
        }),
    ))
}

/// A code from the app being added.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ConfirmTotpBody {
    /// The six-digit code the app shows now.
    code: String,
}

/// Ten new recovery codes, shown this once.
#[derive(Serialize, ToSchema)]
pub struct RecoveryCodesAnswer {
    /// Each works once, in place of a code from the app; any earlier ones no longer work.
    pub recovery_codes: Vec<String>,
}

/// Finishes adding an authenticator app.
///
/// With a code the app shows; answers ten recovery codes, shown this once. Replaces an earlier
/// app. As with beginning, a recent confirmation of the person comes first (else 403
/// `reauth_required`).
#[utoipa::path(
    post,
    path = "/api/me/factors/totp/confirm",
    tag = "account",
    security(("session_cookie" = [])),
    request_body = ConfirmTotpBody,
    responses(
        (status = 200, description = "Added; the recovery codes.", body = RecoveryCodesAnswer),
        BadRequest, NotSignedIn, Forbidden, Conflict, TooLarge, UnsupportedMediaType,
    )
)]
async fn confirm_totp(
    State(state): State<AppState>,
    Member(who): Member,
    ApiJson(body): ApiJson<ConfirmTotpBody>,
) -> Result<impl IntoResponse> {
    if body.code.len() > 64 {
        return Err(AppError::invalid("code", "a code has six digits").into());
    }
    let codes = state.app.confirm_totp(&who, &body.code).await?;
    Ok((
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        Json(RecoveryCodesAnswer {
            recovery_codes: codes,
        }),
    ))
}

/// Confirming who one is before a sensitive action (step-up).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ConfirmBody {
    /// A code from the authenticator app (for accounts with one).
    #[serde(default)]
    code: Option<String>,
    /// Or a recovery code.
    #[serde(default)]
    recovery_code: Option<String>,
    /// Or the password (only for accounts without a second factor).
    #[serde(default)]
    password: Option<String>,
}

/// A fresh confirmation.
#[derive(Serialize, ToSchema)]
pub struct ConfirmedAnswer {
    /// Until when sensitive actions go ahead without asking again.
    pub confirmed_until: chrono::DateTime<chrono::Utc>,
}

/// Confirms who one is, for sensitive actions (step-up).
///
/// Data export, erasure, role, lead and standing changes, rules reload and reading the
/// safeguarding concerns answer 403 `reauth_required` unless the person confirmed who they are
/// in the last ten minutes: with a code from their authenticator app (or a recovery code), or
/// with their password if they have no second factor. Wrong answers count against the sign-in
/// limits.
#[utoipa::path(
    post,
    path = "/api/me/confirm",
    tag = "account",
    security(("session_cookie" = [])),
    request_body = ConfirmBody,
    responses(
        (status = 200, description = "Confirmed for ten minutes.", body = ConfirmedAnswer),
        BadRequest, NotSignedIn, Forbidden, TooLarge, UnsupportedMediaType, RateLimited,
    )
)]
async fn confirm_person(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Peer(peer): Peer,
    Member(who): Member,
    ApiJson(body): ApiJson<ConfirmBody>,
) -> Result<Json<ConfirmedAnswer>> {
    use hearth_app::stepup::Confirmation;
    let proof = match (body.password, body.code, body.recovery_code) {
        (Some(p), None, None) => Confirmation::Password(p),
        (None, code, recovery) => Confirmation::Factor(proof_of(code, recovery)?),
        _ => {
            return Err(AppError::invalid(
                "password",
                "send one of `code`, `recovery_code` or `password`",
            )
            .into());
        }
    };
    let address = client_address(&state, &headers, peer);
    state.app.confirm_person(&who, &proof, &address).await?;
    let now = state.app.now();
    session
        .insert(SESSION_CONFIRMED_AT, now.timestamp())
        .await
        .map_err(session_error)?;
    Ok(Json(ConfirmedAnswer {
        confirmed_until: now + chrono::Duration::seconds(hearth_app::stepup::STEP_UP_SECS),
    }))
}

/// Factors removed.
#[derive(Serialize, ToSchema)]
pub struct FactorsResetAnswer {
    /// How many second factors went (every recovery code went too).
    pub removed: u64,
}

/// Resets another member's second factors. Needs an admin.
///
/// For a staff member who lost their phone and recovery codes: every factor and recovery code
/// of theirs goes, their sessions end, they are notified, and it is audited. Needs the admin's
/// own confirmation in the last ten minutes (403 `reauth_required`); never one's own account.
#[utoipa::path(
    post,
    path = "/api/admin/members/{id}/reset-factors",
    tag = "admin",
    security(("session_cookie" = [])),
    params(("id" = String, Path, description = "The member's id.")),
    responses(
        (status = 200, description = "Reset.", body = FactorsResetAnswer),
        NotSignedIn, Forbidden, NotFound,
    )
)]
async fn reset_factors(
    State(state): State<AppState>,
    Admin(who): Admin,
    IdPath(id): IdPath<MemberId>,
) -> Result<Json<FactorsResetAnswer>> {
    let removed = state.app.reset_member_factors(&who, id).await?;
    Ok(Json(FactorsResetAnswer { removed }))
}
