//! The HTTP error: every failure becomes `{"error": {"code", "message"}}` with the right status,
//! mapped here in one place. A 5xx shows a generic message; its cause is logged once.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hearth_app::AppError;
use serde_json::json;

/// Shorthand for handler results.
pub type Result<T, E = ApiError> = std::result::Result<T, E>;

/// Everything a handler can answer instead of success.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A use case said no.
    #[error(transparent)]
    App(#[from] AppError),
    /// The body was not the JSON we expect (syntax, types, missing fields).
    #[error("{0}")]
    BadRequest(String),
    /// The body is larger than allowed.
    #[error("the request is too large")]
    TooLarge,
    /// The request needs JSON.
    #[error("send JSON with Content-Type: application/json")]
    UnsupportedMediaType,
    /// A state change from a page on another site.
    #[error("this request did not come from the forum's own pages")]
    CrossOrigin,
    /// No such route.
    #[error("no such page")]
    NoRoute,
    /// The route exists, not for this method; the response carries `Allow`.
    #[error("this method is not allowed here")]
    MethodNotAllowed,
    /// An operator endpoint's bearer token is missing or wrong (not a member's session).
    #[error("the bearer token is missing or wrong")]
    BadToken,
    /// Text with a character no field may hold (NUL, U+0000), in the body, path or query.
    #[error("the text contains a character that is not allowed (NUL, U+0000); please remove it")]
    InvalidText,
    /// A rules file with problems was not loaded; the old rules stay in force.
    #[error("the rules file has problems; the previous rules are still in force")]
    RulesInvalid(Vec<hearth_core::moderation::RuleProblem>),
}

impl From<hearth_app::RulesReloadError> for ApiError {
    fn from(e: hearth_app::RulesReloadError) -> Self {
        match e {
            hearth_app::RulesReloadError::Problems(p) => ApiError::RulesInvalid(p),
            hearth_app::RulesReloadError::App(a) => ApiError::App(a),
        }
    }
}

impl ApiError {
    pub(crate) fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::App(e) => match e {
                AppError::Validation { .. } => (StatusCode::BAD_REQUEST, "invalid"),
                AppError::Unsuitable { code, .. } => (StatusCode::UNPROCESSABLE_ENTITY, code),
                AppError::BadCredentials => (StatusCode::UNAUTHORIZED, "invalid_credentials"),
                AppError::Unauthenticated => (StatusCode::UNAUTHORIZED, "not_signed_in"),
                AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
                AppError::Refused { code, .. } => (StatusCode::FORBIDDEN, code),
                AppError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
                AppError::RuleRejected(_) => {
                    (StatusCode::UNPROCESSABLE_ENTITY, "rejected_by_rules")
                }
                AppError::Conflict { code, .. } => (StatusCode::CONFLICT, code),
                AppError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
                AppError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
                AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
            },
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            ApiError::UnsupportedMediaType => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            ApiError::CrossOrigin => (StatusCode::FORBIDDEN, "cross_origin"),
            ApiError::NoRoute => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            ApiError::InvalidText => (StatusCode::BAD_REQUEST, "invalid_text"),
            ApiError::BadToken => (StatusCode::UNAUTHORIZED, "bad_token"),
            ApiError::RulesInvalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "rules_invalid"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let message = match &self {
            ApiError::App(e) => e.public_message(),
            other => other.to_string(),
        };
        let mut body = json!({"error": {"code": code, "message": message}});
        if let ApiError::App(
            AppError::Validation { field, .. } | AppError::Unsuitable { field, .. },
        ) = &self
        {
            body["error"]["field"] = json!(field);
        }
        // Every field at fault, with its sentence: `field` and `message` stay the first of them.
        if let ApiError::App(AppError::Validation {
            field,
            message,
            more,
        }) = &self
        {
            let mut fields = serde_json::Map::new();
            fields.insert((*field).to_owned(), json!(message));
            for (f, m) in more {
                fields.entry((*f).to_owned()).or_insert_with(|| json!(m));
            }
            body["error"]["fields"] = serde_json::Value::Object(fields);
        }
        match &self {
            ApiError::App(AppError::RuleRejected(v)) => {
                body["moderation"] = json!(hearth_app::Moderation::from_verdict(v));
            }
            ApiError::RulesInvalid(problems) => {
                body["error"]["problems"] = json!(
                    problems
                        .iter()
                        .map(|p| json!({"line": p.line, "message": p.message}))
                        .collect::<Vec<_>>()
                );
            }
            _ => {}
        }
        let mut response = (status, Json(body)).into_response();
        if let ApiError::App(AppError::RateLimited { retry_after }) = self
            && let Ok(v) = HeaderValue::from_str(&retry_after.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response
    }
}
