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
use tower_sessions::{Expiry, Session};

use crate::error::ApiError;
use crate::state::AppState;

/// Session keys.
pub(crate) use hearth_app::sessions::{SESSION_MEMBER, SESSION_SIGNED_IN_AT, SessionCheck};

/// How often, at most, a signed-in session in use is saved to move its idle expiry on.
const SLIDE_EVERY: chrono::Duration = chrono::Duration::minutes(1);

/// The session layer's expiry: a session ends after `session_idle_minutes` unused. Asking the
/// session for it again marks the session changed, so that the layer saves it at the end of
/// the request (the store counts the new expiry from the app's clock) and renews the cookie.
pub(crate) fn session_expiry(config: &crate::Config) -> Expiry {
    Expiry::OnInactivity(time::Duration::minutes(config.session_idle_minutes))
}

/// A JSON body; any problem with it answers our JSON error (400, 413 or 415).
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::TooLarge
                } else {
                    ApiError::BadRequest(e.body_text())
                }
            })?;
        // A NUL (U+0000) anywhere in it is refused here, at the boundary, with one clear 400
        // (PostgreSQL cannot store it; no text here needs it). The body is then read into its
        // type from the bytes, so a duplicated key is still an error.
        if serde_json::from_slice::<serde_json::Value>(&bytes).is_ok_and(|v| has_nul(&v)) {
            return Err(ApiError::InvalidText);
        }
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
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

/// Whether the request says its body is JSON (`application/json`, or `application/*+json`).
fn is_json(headers: &axum::http::HeaderMap) -> bool {
    let Some(value) = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Whether any string (or key) in a JSON value holds a NUL character.
pub fn has_nul(v: &serde_json::Value) -> bool {
    use serde_json::Value;
    match v {
        Value::String(s) => s.contains('\0'),
        Value::Array(a) => a.iter().any(has_nul),
        Value::Object(o) => o.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
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

/// The request's `Idempotency-Key` header, if it has one: a UUID the client picks for one send
/// and sends again with any retry of it, so a post whose answer was lost (a dropped connection,
/// a database gone just as it committed) is found rather than stored twice. The header's value
/// may be bare or quoted (the IETF draft writes it as a structured-field string).
pub struct IdempotencyKey(pub Option<uuid::Uuid>);

/// The header's name.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

impl<S> FromRequestParts<S> for IdempotencyKey
where
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(IDEMPOTENCY_KEY) else {
            return Ok(IdempotencyKey(None));
        };
        value
            .to_str()
            .ok()
            .map(|v| v.trim().trim_matches('"'))
            .and_then(|v| uuid::Uuid::parse_str(v).ok())
            .map(|key| IdempotencyKey(Some(key)))
            .ok_or_else(|| {
                ApiError::App(AppError::invalid(
                    "Idempotency-Key",
                    "the Idempotency-Key header must be a UUID, such as \
                     \"5f0c8a52-1b7e-4f43-9a57-0b9b1f3c2d11\"",
                ))
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
    // The session and its member in one query (the same check the realtime socket makes),
    // rather than the session layer loading the session and then `identify` loading the
    // member. The session layer itself never loads the record then (it does so lazily), and
    // saves it only if a handler changes it or, at most once a minute, to slide its idle
    // expiry on (below). Time is the app's clock's.
    let check = match session.id() {
        Some(id) => state.app.check_session(&id.to_string()).await?,
        None => SessionCheck::Missing,
    };
    match check {
        SessionCheck::Missing => {
            // No session, or an unknown or expired one: let the session layer look too, so
            // that it forgets the session and drops the cookie as it would have.
            let _ = session.get::<MemberId>(SESSION_MEMBER).await;
            Err(AppError::Unauthenticated.into())
        }
        SessionCheck::Anonymous => Err(AppError::Unauthenticated.into()),
        SessionCheck::Ended => {
            // Past its absolute lifetime, or suspended, banned or erased since signing in:
            // end this session too.
            let _ = session.flush().await;
            Err(AppError::Unauthenticated.into())
        }
        SessionCheck::Live {
            who, expires_at, ..
        } => {
            // In use: slide the idle expiry on, at most once a minute (a save is a write).
            let idle = chrono::Duration::minutes(state.config.session_idle_minutes);
            if expires_at - state.app.now() < idle - SLIDE_EVERY {
                session.set_expiry(Some(session_expiry(&state.config)));
            }
            parts.extensions.insert(who.clone());
            Ok(who)
        }
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
    // Staff held back for want of a second factor reach nothing of staff until they enrol.
    if who.second_factor_missing {
        return Err(hearth_app::factors::second_factor_required().into());
    }
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
