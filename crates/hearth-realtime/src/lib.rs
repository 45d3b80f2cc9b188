//! Hearth's realtime layer: the JSON protocol spoken over `GET /api/ws`, the hub that maps topics
//! to the sockets connected to *this* instance, the bus that carries events (and "disconnect
//! member" / "role changed" control messages) to every instance, and the per-socket session loop.
//!
//! It is not a web framework integration and not a store: there is no axum here (the session is
//! generic over any `Stream`/`Sink` of text frames, so the server adapts axum's WebSocket to it)
//! and no database (events are written first by `hearth-app`, with a per-topic sequence number;
//! what this crate needs from the database, missed events and a member's current permissions, it
//! asks through the [`HubHooks`] and [`SocketHandler`] traits the application implements).
//! Delivery is at-most-once on the wire and made whole by sequence numbers: duplicates are
//! dropped, gaps are filled from the database, slow clients are closed and catch up on
//! reconnect.
#![forbid(unsafe_code)]

pub mod bus;
pub mod envelope;
pub mod hub;
pub mod protocol;
pub mod session;

pub use bus::{Bus, BusError, BusState, RedisBusConfig};
pub use envelope::{Envelope, EnvelopeError, Frame};
pub use hub::{
    Arrival, CloseReason, Departure, DueSession, HookError, Hub, HubConfig, HubHooks, HubStats,
    MemberAccess, SessionBinding, SocketHandle, SocketId, SocketOutput, SubscribeError, Subscribed,
};
pub use protocol::{
    AckStatus, ClientMessage, ProtocolError, ProtocolLimits, ServerMessage, Topic, TopicParseError,
    parse_client_message,
};
pub use session::{
    Ack, Incoming, Outgoing, SessionConfig, SessionEnd, SocketHandler, SocketOp, run_bound_session,
    run_session,
};
