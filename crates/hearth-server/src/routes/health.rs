//! Liveness and readiness for operators and load balancers.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::routes::answers::{ReadyAnswer, StatusAnswer};
use crate::state::AppState;

/// `/healthz` and `/readyz`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_health))
        .routes(routes!(get_ready))
}

/// The process is up.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operator",
    responses((status = 200, description = "Alive (`status`: `ok`).", body = StatusAnswer))
)]
async fn get_health() -> Json<StatusAnswer> {
    Json(StatusAnswer { status: "ok" })
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
async fn get_ready(State(state): State<AppState>) -> (StatusCode, Json<ReadyAnswer>) {
    let readiness = state.app.readiness().await;
    let ready = readiness.ready();
    (
        if ready {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        },
        Json(ReadyAnswer {
            status: if ready { "ready" } else { "unavailable" },
            database: if readiness.database {
                "ok"
            } else {
                "unreachable"
            },
            bus: readiness.bus.label(),
        }),
    )
}
