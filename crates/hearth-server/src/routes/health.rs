//! Liveness and readiness for operators and load balancers.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use serde_json::{Value, json};

use crate::routes::openapi::{ReadyAnswer, StatusAnswer};
use crate::state::AppState;

/// `/healthz` and `/readyz`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(get_health))
        .route("/readyz", get(get_ready))
}

/// The process is up.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operator",
    responses((status = 200, description = "Alive (`status`: `ok`).", body = StatusAnswer))
)]
async fn get_health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// The process can serve: its database answers.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operator",
    responses(
        (status = 200, description = "Ready.", body = ReadyAnswer),
        (status = 503, description = "The database does not answer, or the Redis bus is disconnected.", body = ReadyAnswer),
    )
)]
async fn get_ready(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let readiness = state.app.readiness().await;
    let ready = readiness.ready();
    (
        if ready {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        },
        Json(json!({
            "status": if ready { "ready" } else { "unavailable" },
            "database": if readiness.database { "ok" } else { "unreachable" },
            "bus": readiness.bus.label(),
        })),
    )
}
