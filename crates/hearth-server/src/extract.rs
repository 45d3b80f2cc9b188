//! Extractors: JSON bodies that fail in our error format, and identity. A handler that takes
//! [`Moderator`] cannot forget the check; one that takes [`Member`] cannot run signed out.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRef, FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use hearth_app::{AppError, Identity};
use hearth_core::ids::MemberId;
use hearth_core::policy::Role;
use serde::de::DeserializeOwned;
use tower_sessions::Session;

use crate::error::ApiError;
use crate::state::AppState;

/// Session keys.
pub(crate) const SESSION_MEMBER: &str = "member_id";
pub(crate) const SESSION_SIGNED_IN_AT: &str = "signed_in_at";

/// A JSON body; any problem with it answers our JSON error (400, 413 or 415).
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::UnsupportedMediaType),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(ApiError::TooLarge),
            Err(JsonRejection::JsonDataError(e)) => Err(ApiError::BadRequest(format!(
                "the request body does not fit: {}",
                std::error::Error::source(&e).map_or_else(|| e.to_string(), ToString::to_string)
            ))),
            Err(JsonRejection::JsonSyntaxError(_)) => Err(ApiError::BadRequest(
                "the request body is not valid JSON".to_owned(),
            )),
            Err(e) => Err(ApiError::BadRequest(e.body_text())),
        }
    }
}

/// A query string; a malformed one answers our JSON 400 naming the problem.
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(v)| ApiQuery(v))
            .map_err(|e| {
                ApiError::BadRequest(format!("the query string does not fit: {}", e.body_text()))
            })
    }
}

/// The signed-in person, whatever their role.
pub struct Member(pub Identity);
/// A signed-in moderator or admin.
pub struct Moderator(pub Identity);
/// A signed-in admin.
pub struct Admin(pub Identity);

async fn identity<S>(parts: &mut Parts, state: &S) -> Result<Identity, ApiError>
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    if let Some(id) = parts.extensions.get::<Identity>() {
        return Ok(id.clone());
    }
    let state = AppState::from_ref(state);
    let session = Session::from_request_parts(parts, &state)
        .await
        .map_err(|_| ApiError::App(AppError::Internal("session layer missing".to_owned())))?;
    let member: Option<MemberId> = session.get(SESSION_MEMBER).await.map_err(|e| {
        // The session lives in the database: if that is away, say so (503), not 500.
        let text = e.to_string();
        if text.contains("database unavailable") {
            AppError::Unavailable(text)
        } else {
            AppError::Internal(format!("session load: {text}"))
        }
    })?;
    let Some(member) = member else {
        return Err(AppError::Unauthenticated.into());
    };
    // The absolute lifetime: however active, a session ends this long after sign-in.
    let signed_in_at: Option<i64> = session.get(SESSION_SIGNED_IN_AT).await.ok().flatten();
    let now = state.app.now().timestamp();
    if signed_in_at.is_none_or(|t| now - t > state.config.session_max_hours * 3600) {
        let _ = session.flush().await;
        return Err(AppError::Unauthenticated.into());
    }
    match state.app.identify(member).await {
        Ok(who) => {
            parts.extensions.insert(who.clone());
            Ok(who)
        }
        Err(AppError::Unauthenticated) => {
            // Suspended, banned or erased since signing in: end this session too.
            let _ = session.flush().await;
            Err(AppError::Unauthenticated.into())
        }
        Err(e) => Err(e.into()),
    }
}

impl<S> FromRequestParts<S> for Member
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        identity(parts, state).await.map(Member)
    }
}

fn at_least(who: Identity, role: Role) -> Result<Identity, ApiError> {
    if who.role >= role {
        Ok(who)
    } else {
        Err(AppError::Forbidden(format!("this needs the {} role", role.as_str())).into())
    }
}

impl<S> FromRequestParts<S> for Moderator
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        at_least(identity(parts, state).await?, Role::Moderator).map(Moderator)
    }
}

impl<S> FromRequestParts<S> for Admin
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        at_least(identity(parts, state).await?, Role::Admin).map(Admin)
    }
}
