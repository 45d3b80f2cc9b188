//! Signing in and out, and the member's own account.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use hearth_app::AppError;
use serde::Deserialize;
use tower_sessions::Session;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, Result};
use crate::extract::{ApiJson, Member};
use crate::routes::answers::{PasswordChangedAnswer, SelfAnswer, SessionAnswer};
use crate::routes::openapi::{
    BadRequest, Conflict, Forbidden, NotSignedIn, RateLimited, TooLarge, UnsupportedMediaType,
};
use crate::routes::views::{IdentityView, SelfView};
use crate::state::AppState;

/// `/api/session` and `/api/me`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_session, get_session, delete_session))
        .routes(routes!(get_me, erase_me))
        .routes(routes!(export_me))
        .routes(routes!(change_password))
}

/// Signing in.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SignInBody {
    /// A handle or an email (also accepted under the names `handle` and `email`).
    #[serde(alias = "handle", alias = "email")]
    login: String,
    /// The password.
    password: String,
}

/// The client's address, for rate limiting only (never stored). Behind a trusted reverse proxy
/// the first `X-Forwarded-For` entry is used.
pub(crate) fn client_address(
    state: &AppState,
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
) -> String {
    if state.config.trust_forwarded_for
        && let Some(first) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
    {
        return first.trim().to_owned();
    }
    peer.map_or_else(|| "unknown".to_owned(), |p| p.ip().to_string())
}

/// The TCP peer's address, when the server was started with connect info (it always is, outside
/// unit tests that drive the router directly).
pub(crate) struct Peer(pub(crate) Option<SocketAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Peer(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0),
        ))
    }
}

/// Signs in.
///
/// With a handle or email and a password; sets the session cookie. Wrong passwords are rate
/// limited per (account, address) pair and per address; past the per-account threshold an
/// account is only slowed down, and never at an address it signed in from lately.
#[utoipa::path(
    post,
    path = "/api/session",
    tag = "session",
    request_body = SignInBody,
    responses(
        (status = 200, description = "Signed in; the session cookie is set.", body = SelfAnswer),
        (status = 202, description = "The password is right and the account has a second factor: finish at `POST /api/session/second-factor`.", body = crate::routes::factors::SecondFactorNeeded),
        BadRequest, NotSignedIn, Forbidden, TooLarge, UnsupportedMediaType, RateLimited,
    )
)]
async fn create_session(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Peer(peer): Peer,
    ApiJson(body): ApiJson<SignInBody>,
) -> Result<axum::response::Response> {
    use axum::response::IntoResponse;
    let address = client_address(&state, &headers, peer);
    let member = state
        .app
        .sign_in_limited(&body.login, &body.password, &address)
        .await?;
    // With a second factor, the password alone signs in nobody: the session holds a pending
    // sign-in, finished at `POST /api/session/second-factor` (routes/factors.rs).
    if state.app.has_second_factor(member.id).await? {
        return Ok(
            crate::routes::factors::begin_pending(&state, &session, member.id)
                .await?
                .into_response(),
        );
    }
    crate::routes::factors::begin_signed_in(&state, &session, member.id).await?;
    Ok(Json(SelfAnswer {
        member: SelfView::from(&member),
    })
    .into_response())
}

/// Who is signed in.
#[utoipa::path(
    get,
    path = "/api/session",
    tag = "session",
    security(("session_cookie" = [])),
    responses(
        (status = 200, description = "The signed-in identity.", body = SessionAnswer),
        NotSignedIn,
    )
)]
async fn get_session(Member(who): Member) -> Json<SessionAnswer> {
    Json(SessionAnswer {
        member: IdentityView::from(&who),
    })
}

/// Signs out: ends the session, if any (signed out already is fine too).
#[utoipa::path(
    delete,
    path = "/api/session",
    tag = "session",
    responses(
        (status = 204, description = "Signed out."),
        Forbidden,
    )
)]
async fn delete_session(State(state): State<AppState>, session: Session) -> Result<StatusCode> {
    let ending = session.id().map(|id| id.to_string());
    session
        .flush()
        .await
        .map_err(|e| AppError::Internal(format!("session flush: {e}")))?;
    // Signed out: this session's live sockets close too, on every instance; the member's
    // other sessions (another device) and their sockets stand.
    if let Some(id) = ending {
        state.app.end_socket_session(&id, "signed out").await;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in member's own account.
#[utoipa::path(
    get,
    path = "/api/me",
    tag = "account",
    security(("session_cookie" = [])),
    responses(
        (status = 200, description = "The member as they see themselves.", body = SelfAnswer),
        NotSignedIn,
    )
)]
async fn get_me(State(state): State<AppState>, Member(who): Member) -> Result<Json<SelfAnswer>> {
    let me = state.app.me(&who).await?;
    Ok(Json(SelfAnswer {
        member: SelfView::from(&me),
    }))
}

/// Changing one's password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PasswordBody {
    /// The password now.
    current_password: String,
    /// The new password (at least 10 characters).
    new_password: String,
}

/// Changes the member's password and ends their other sessions.
#[utoipa::path(
    post,
    path = "/api/me/password",
    tag = "account",
    security(("session_cookie" = [])),
    request_body = PasswordBody,
    responses(
        (status = 200, description = "Changed.", body = PasswordChangedAnswer),
        BadRequest, NotSignedIn, Forbidden, TooLarge, UnsupportedMediaType,
    )
)]
async fn change_password(
    State(state): State<AppState>,
    session: Session,
    Member(who): Member,
    ApiJson(body): ApiJson<PasswordBody>,
) -> Result<Json<PasswordChangedAnswer>, ApiError> {
    let keep = session.id().map(|id| id.to_string());
    let ended = state
        .app
        .change_password(
            &who,
            &body.current_password,
            &body.new_password,
            keep.as_deref(),
        )
        .await?;
    Ok(Json(PasswordChangedAnswer {
        status: "changed",
        other_sessions_ended: ended,
    }))
}

/// What the member wants erased, confirmed with their password.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EraseBody {
    /// The member's current password.
    password: String,
    /// `delete` (their words go; placeholders stay) or `anonymise` (their words stay, attributed
    /// to no one).
    posts: String,
}

/// A copy of everything Hearth holds about the signed-in member (UK GDPR right of access).
#[utoipa::path(
    get,
    path = "/api/me/export",
    tag = "account",
    security(("session_cookie" = [])),
    responses(
        (status = 200, description = "Everything held about the member: account, application, threads, posts, chat messages, reports made, notifications, read markers.", body = Object),
        NotSignedIn,
    )
)]
async fn export_me(
    State(state): State<AppState>,
    Member(who): Member,
) -> Result<impl axum::response::IntoResponse> {
    let data = state.app.export(&who).await?;
    Ok((
        [(
            axum::http::header::CONTENT_DISPOSITION,
            "attachment; filename=\"my-data.json\"",
        )],
        Json(data),
    ))
}

/// Erases the signed-in member's account (UK GDPR right to erasure): their personal data goes,
/// their posts are deleted or anonymised as they choose, sessions end and sockets close.
#[utoipa::path(
    delete,
    path = "/api/me",
    tag = "account",
    security(("session_cookie" = [])),
    request_body = EraseBody,
    responses(
        (status = 204, description = "Erased; signed out."),
        BadRequest, NotSignedIn, Forbidden, Conflict, TooLarge, UnsupportedMediaType,
    )
)]
async fn erase_me(
    State(state): State<AppState>,
    session: Session,
    Member(who): Member,
    ApiJson(body): ApiJson<EraseBody>,
) -> Result<StatusCode> {
    let posts = hearth_app::erase_posts_choice(&body.posts)?;
    state.app.erase_self(&who, &body.password, posts).await?;
    let _ = session.flush().await;
    Ok(StatusCode::NO_CONTENT)
}
