//! The routes, one module per area; each has `pub fn router()`, which registers its `/api`
//! handlers with `utoipa-axum` so each route and its documented operation are added together
//! (see [`openapi::api_router`]).

pub mod access_log;
pub mod account;
pub mod admin;
pub mod answers;
pub mod applications;
pub mod comforts;
pub mod content;
pub mod crisis;
pub mod everyday;
pub mod factors;
pub mod health;
pub mod moderation;
pub mod openapi;
pub mod realtime;
pub mod recovery;
pub mod rule_views;
pub mod safeguarding;
pub mod setup;
pub mod views;
pub mod web;

use std::str::FromStr;

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;

use crate::error::ApiError;
use hearth_app::AppError;

/// A typed id from the path. An id that cannot parse names nothing, so it answers 404.
pub struct IdPath<T>(pub T);

impl<S, T> FromRequestParts<S> for IdPath<T>
where
    T: FromStr + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::App(AppError::NotFound("page")))?;
        raw.parse()
            .map(IdPath)
            .map_err(|_| ApiError::App(AppError::NotFound("record")))
    }
}
