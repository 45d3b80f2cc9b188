//! The realtime socket (`GET /api/ws`), chat rooms, and metrics for operators.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use hearth_app::{AppError, AppSocketHandler};
use hearth_core::ids::{MessageId, RoomId};
use hearth_realtime::{CloseReason, Incoming, Outgoing, SessionConfig, run_bound_session};
use serde::Deserialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, Result};
use crate::extract::{Admin, ApiJson, ApiQuery, Member};
use crate::routes::IdPath;
use crate::routes::answers::{
    MessagesAnswer, RoomCreated, RoomCreatedAnswer, RoomView, RoomsAnswer,
};
use crate::routes::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, NotSignedIn, TooLarge, UnsupportedMediaType,
};
use crate::state::AppState;

/// `/api/ws`, `/api/rooms`, `/api/admin/rooms`, `/metrics`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(open_socket))
        .routes(routes!(list_rooms))
        .routes(routes!(list_messages))
        .routes(routes!(create_room))
        .routes(routes!(get_metrics))
}

/// Upgrades to the realtime socket.
///
/// Signed-in members only, and only from the forum's own pages: a foreign `Origin` is refused
/// (cross-site websocket hijacking), as is none at all. The socket carries JSON text frames:
/// `subscribe`, `unsubscribe`, `say` and `ping` from the client; `event`, `ack`, `error` and
/// `pong` from the server (see the realtime protocol in the design notes).
#[utoipa::path(
    get,
    path = "/api/ws",
    tag = "realtime",
    security(("session_cookie" = [])),
    responses(
        (status = 101, description = "Switched to the websocket protocol."),
        NotSignedIn, Forbidden,
    )
)]
async fn open_socket(
    State(state): State<AppState>,
    headers: HeaderMap,
    session: tower_sessions::Session,
    Member(who): Member,
    ws: std::result::Result<
        WebSocketUpgrade,
        axum::extract::ws::rejection::WebSocketUpgradeRejection,
    >,
) -> Result<Response> {
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    if !origin.is_some_and(|o| crate::origin::is_our_origin(&state.config, o)) {
        tracing::warn!("websocket upgrade from a foreign or missing origin refused");
        return Err(ApiError::CrossOrigin);
    }
    let ws = ws.map_err(|e| {
        ApiError::BadRequest(format!(
            "this address takes a websocket upgrade: {}",
            e.body_text()
        ))
    })?;
    // The socket belongs to this sign-in session: it closes when the session ends.
    let session_id = session.id().map(|id| id.to_string());
    let binding = match &session_id {
        Some(id) => state.app.socket_binding(id).await?,
        None => None,
    };
    let Some(binding) = binding else {
        return Err(AppError::Unauthenticated.into());
    };
    let config = SessionConfig::default();
    let limit = config.limits.max_frame_bytes;
    let member = who.id;
    Ok(ws
        .max_message_size(limit)
        .max_frame_size(limit)
        // A socket's own buffers stay small: the hub's bounded queue holds the backlog, and
        // tungstenite's default 128 KiB read buffer (zero-filled on first read) would dominate
        // an idle socket's memory.
        .read_buffer_size(4 * 1024)
        .write_buffer_size(8 * 1024)
        .max_write_buffer_size(256 * 1024)
        .on_upgrade(move |socket| async move {
            let (sink, stream) = socket.split();
            let stream = stream.map(move |message| match message {
                Ok(Message::Text(text)) => Ok(Incoming::Text(text.as_str().to_owned())),
                Ok(Message::Binary(bytes)) => Ok(Incoming::Binary(bytes.to_vec())),
                Ok(Message::Ping(bytes)) => Ok(Incoming::Ping(bytes.to_vec())),
                Ok(Message::Pong(bytes)) => Ok(Incoming::Pong(bytes.to_vec())),
                Ok(Message::Close(_)) => Ok(Incoming::Close),
                Err(err) => refused(&err, limit).map(Incoming::Refused).ok_or(err),
            });
            // Each socket gets the event's shared bytes (a reference count, and a UTF-8 check
            // axum insists on), not a copy of the frame per socket.
            let sink = Box::pin(sink.with(|outgoing: Outgoing| {
                futures_util::future::ready(match outgoing {
                    Outgoing::Text(frame) => Utf8Bytes::try_from(frame.to_bytes())
                        .map(Message::Text)
                        .map_err(axum::Error::new),
                    Outgoing::Close(reason) => Ok(Message::Close(Some(CloseFrame {
                        code: reason.code,
                        reason: reason.reason.into(),
                    }))),
                })
            }));
            let handler = Arc::new(AppSocketHandler::new(state.app.clone(), session_id));
            let end = run_bound_session(
                state.app.bus().hub(),
                member,
                Some(binding),
                handler,
                stream,
                sink,
                config,
            )
            .await;
            tracing::debug!(?end, "websocket closed");
        }))
}

/// The close frame owed for a read error that is the client's doing. axum passes tungstenite's
/// errors through (boxed in `axum::Error`): a frame or message over `max_frame_size` /
/// `max_message_size` is `Capacity(MessageTooLong)`, a text message that is not UTF-8 is
/// `Utf8`. Either way tungstenite has not closed the connection, so a close frame can still be
/// written (RFC 6455 section 7.4.1: 1009, 1007). Anything else (a reset, a protocol error) ends
/// the socket as before.
fn refused(err: &axum::Error, limit: usize) -> Option<CloseReason> {
    use tokio_tungstenite::tungstenite::Error as WsError;
    use tokio_tungstenite::tungstenite::error::CapacityError;
    match std::error::Error::source(err)?.downcast_ref::<WsError>()? {
        WsError::Capacity(CapacityError::MessageTooLong { .. }) => {
            Some(CloseReason::too_big(limit))
        }
        WsError::Utf8(_) => Some(CloseReason::invalid_payload()),
        _ => None,
    }
}

/// The chat rooms, with whether each is open and who is present.
#[utoipa::path(
    get,
    path = "/api/rooms",
    tag = "realtime",
    security(("session_cookie" = [])),
    responses(
        (status = 200, description = "The rooms.", body = RoomsAnswer),
        NotSignedIn, Forbidden,
    )
)]
async fn list_rooms(
    State(state): State<AppState>,
    Member(who): Member,
) -> Result<Json<RoomsAnswer>> {
    let rooms = state.app.rooms(&who).await?;
    let views: Vec<_> = rooms
        .iter()
        .map(|(r, s)| RoomView {
            id: r.id.to_string(),
            name: r.name.clone(),
            description: r.description.clone(),
            needs_moderator: r.needs_moderator,
            slow_mode_seconds: r.slow_mode_seconds,
            open: s.open,
            moderator_present: s.moderator_present,
            present: s.present.clone(),
        })
        .collect();
    Ok(Json(RoomsAnswer { rooms: views }))
}

/// Paging back through a room's history.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct HistoryQuery {
    /// The `next` of the previous page (a message id).
    before: Option<String>,
    /// How many (default 50, at most 200).
    limit: Option<u64>,
}

/// A room's history, newest first, a page at a time.
#[utoipa::path(
    get,
    path = "/api/rooms/{id}/messages",
    tag = "realtime",
    security(("session_cookie" = [])),
    params(("id" = uuid::Uuid, Path, description = "The room's id.")),
    responses(
        (status = 200, description = "A page of messages.", body = MessagesAnswer),
        BadRequest, NotSignedIn, Forbidden, NotFound,
    )
)]
async fn list_messages(
    State(state): State<AppState>,
    Member(who): Member,
    IdPath(room): IdPath<RoomId>,
    ApiQuery(q): ApiQuery<HistoryQuery>,
) -> Result<Json<MessagesAnswer>> {
    let before = match q.before.as_deref() {
        Some(b) => Some(
            b.parse::<MessageId>()
                .map_err(|_| AppError::invalid("before", "before must be a message id"))?,
        ),
        None => None,
    };
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    let messages = state.app.room_messages(&who, room, before, limit).await?;
    let next = (messages.len() as u64 == limit)
        .then(|| messages.last().map(|m| m.id.to_string()))
        .flatten();
    let views: Vec<_> = messages
        .iter()
        .map(|m| {
            let mut v = hearth_app::message_view(m);
            v["mine"] = Value::Bool(m.author_id == Some(who.id));
            if let Some(o) = v.as_object_mut() {
                o.extend(hearth_app::history_extras(m, &who));
            }
            v
        })
        .collect();
    Ok(Json(MessagesAnswer {
        messages: views,
        next,
    }))
}

/// A new chat room.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RoomBody {
    /// Its name.
    name: String,
    /// What it is for.
    #[serde(default)]
    description: String,
    /// Open only while a moderator is present.
    #[serde(default)]
    needs_moderator: bool,
    /// Seconds between one member's messages (0: no slow mode).
    #[serde(default)]
    slow_mode_seconds: i32,
    /// Seconds between a new member's messages (default 10).
    #[serde(default = "default_new_member_slow_mode")]
    new_member_slow_mode_seconds: i32,
}

fn default_new_member_slow_mode() -> i32 {
    10
}

/// Creates a chat room. Needs an admin.
#[utoipa::path(
    post,
    path = "/api/admin/rooms",
    tag = "admin",
    security(("session_cookie" = [])),
    request_body = RoomBody,
    responses(
        (status = 201, description = "Created.", body = RoomCreatedAnswer),
        BadRequest, NotSignedIn, Forbidden, Conflict, TooLarge, UnsupportedMediaType,
    )
)]
async fn create_room(
    State(state): State<AppState>,
    Admin(who): Admin,
    ApiJson(b): ApiJson<RoomBody>,
) -> Result<(StatusCode, Json<RoomCreatedAnswer>)> {
    let room = state
        .app
        .create_room(
            &who,
            &b.name,
            &b.description,
            b.needs_moderator,
            b.slow_mode_seconds,
            b.new_member_slow_mode_seconds,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(RoomCreatedAnswer {
            room: RoomCreated {
                id: room.id.to_string(),
                name: room.name,
            },
        }),
    ))
}

/// Prometheus metrics.
///
/// Sockets, queue length and oldest item age, the bus's state. Numbers only: nothing here
/// names a member or holds their words.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operator",
    security(("metrics_token" = [])),
    responses(
        (status = 200, description = "Prometheus text exposition format.",
         content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8", body = String),
        (status = 401, description = "The bearer token is missing or wrong.", body = crate::routes::openapi::ErrorBody),
        (status = 404, description = "Metrics are off (no `metrics_token` configured).", body = crate::routes::openapi::ErrorBody),
    )
)]
async fn get_metrics(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    // Off unless the operator configured a token; then only with it.
    let Some(expected) = state.config.metrics_token.as_deref() else {
        return ApiError::NoRoute.into_response();
    };
    let given = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    // Compared as digests, so the time taken says nothing about how much of it was right.
    use sha2::Digest;
    if sha2::Sha256::digest(given.as_bytes()) != sha2::Sha256::digest(expected.as_bytes()) {
        let mut r = ApiError::BadToken.into_response();
        r.headers_mut().insert(
            axum::http::header::WWW_AUTHENTICATE,
            axum::http::HeaderValue::from_static("Bearer"),
        );
        return r;
    }
    let snapshot = state.app.metrics_snapshot().await;
    match prometheus_text(&snapshot) {
        Ok(body) => ([(header::CONTENT_TYPE, OPENMETRICS_TEXT)], body).into_response(),
        Err(_) => ApiError::App(hearth_app::AppError::Internal(
            "the metrics could not be written".to_owned(),
        ))
        .into_response(),
    }
}

/// The media type of the OpenMetrics text format, which Prometheus reads.
const OPENMETRICS_TEXT: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// A snapshot in the OpenMetrics text format, through the `prometheus-client` crate (the
/// Prometheus project's own), so names, types, escaping and the closing `# EOF` are right.
fn prometheus_text(s: &hearth_app::MetricsSnapshot) -> Result<String, std::fmt::Error> {
    use prometheus_client::metrics::counter::ConstCounter;
    use prometheus_client::metrics::family::Family;
    use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
    use prometheus_client::registry::Registry;

    let gauge = |v: u64| ConstGauge::new(i64::try_from(v).unwrap_or(i64::MAX));
    let mut r = Registry::default();
    r.register(
        "hearth_sockets_open",
        "Websockets open on this instance",
        gauge(s.sockets_open),
    );
    r.register(
        "hearth_subscriptions",
        "Topic subscriptions on this instance",
        gauge(s.subscriptions),
    );
    // Counters get their `_total` suffix from the encoder.
    r.register(
        "hearth_slow_disconnects",
        "Sockets closed for not keeping up",
        ConstCounter::new(s.slow_disconnects),
    );
    r.register(
        "hearth_gap_fills",
        "Gaps in a topic filled from the database",
        ConstCounter::new(s.gap_fills),
    );
    r.register(
        "hearth_queue_items",
        "Items waiting in the moderation queue",
        gauge(s.queue_items),
    );
    r.register(
        "hearth_queue_oldest_seconds",
        "Age of the oldest waiting queue item",
        gauge(s.queue_oldest_seconds),
    );
    let bus = Family::<Vec<(String, String)>, Gauge>::default();
    bus.get_or_create(&vec![(
        "state".to_owned(),
        s.readiness.bus.label().to_owned(),
    )])
    .set(i64::from(s.readiness.bus.is_ready()));
    r.register(
        "hearth_bus_ready",
        "Whether the event bus is connected (1) or not (0)",
        bus,
    );
    r.register(
        "hearth_database_up",
        "Whether the database answers",
        gauge(u64::from(s.readiness.database)),
    );
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &r)?;
    Ok(text)
}
