//! One socket's life: read client frames, answer them, write queued frames, close when told.
//!
//! Generic over the transport: the server adapts axum's WebSocket into a stream of [`Incoming`]
//! and a sink of [`Outgoing`], tests use in-memory channels. The shape follows axum's chat
//! example: the socket is registered with the hub (so it can receive) before anything is read,
//! then a reader task and a writer task run side by side and whichever ends first aborts the
//! other. The writer is the only one touching the sink; everything for the client (events,
//! replies, the close frame) reaches it through the socket's bounded queue or its close channel.
//!
//! Wiring it to axum (in `hearth-server`, which has axum; not compiled here):
//!
//! ```ignore
//! async fn realtime(ws: WebSocketUpgrade, member: Member, State(app): State<AppState>) -> Response {
//!     let limit = app.session_config.limits.max_frame_bytes;
//!     ws.max_message_size(limit).max_frame_size(limit).on_upgrade(move |socket| async move {
//!         let (sink, stream) = socket.split();
//!         let stream = stream.map(|message| message.map(|message| match message {
//!             Message::Text(text) => Incoming::Text(text.as_str().to_owned()),
//!             Message::Binary(bytes) => Incoming::Binary(bytes.to_vec()),
//!             Message::Ping(bytes) => Incoming::Ping(bytes.to_vec()),
//!             Message::Pong(bytes) => Incoming::Pong(bytes.to_vec()),
//!             Message::Close(_) => Incoming::Close,
//!         }));
//!         let sink = sink.with(|outgoing: Outgoing| async move {
//!             Ok::<_, axum::Error>(match outgoing {
//!                 Outgoing::Text(frame) => Message::Text(frame.as_str().into()),
//!                 Outgoing::Close(reason) => Message::Close(Some(CloseFrame {
//!                     code: reason.code,
//!                     reason: reason.reason.into(),
//!                 })),
//!             })
//!         });
//!         let handler = Arc::new(app.socket_handler());
//!         let sink = Box::pin(sink); // `With` holds an async block: pin it to make it `Unpin`
//!         let end = run_session(app.bus.hub(), member.id, handler, stream, sink, app.session_config).await;
//!         tracing::debug!(?end, "websocket closed");
//!     })
//! }
//! ```

use std::collections::HashSet;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use hearth_core::ids::{MemberId, RoomId};
use hearth_core::moderation::Signpost;
use tracing::{debug, warn};
use uuid::Uuid;

use crate::envelope::Frame;
use crate::hub::{
    CloseReason, Hub, SessionBinding, SocketHandle, SocketOutput, SubscribeError, Subscribed,
};
use crate::protocol::{
    AckStatus, ClientMessage, ProtocolError, ProtocolLimits, ServerMessage, Topic,
    parse_client_message,
};

/// The per-socket flood guard's clock: tokio's, so tests that pause and advance time move it.
#[derive(Clone, Copy, Debug, Default)]
struct TokioClock;

impl governor::clock::Clock for TokioClock {
    type Instant = std::time::Instant;
    fn now(&self) -> std::time::Instant {
        tokio::time::Instant::now().into_std()
    }
}

/// A socket's own frame allowance (`governor`, not keyed: one per socket).
type FrameLimiter = governor::RateLimiter<
    governor::state::NotKeyed,
    governor::state::InMemoryState,
    TokioClock,
    governor::middleware::NoOpMiddleware<std::time::Instant>,
>;

/// A frame from the client, as the transport delivers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Incoming {
    /// A text frame: one protocol message.
    Text(String),
    /// A binary frame: not part of the protocol, answered with `bad_message`.
    Binary(Vec<u8>),
    /// A WebSocket ping. Counts as activity; the WebSocket library answers it itself (axum and
    /// tungstenite do), so the session does not.
    Ping(Vec<u8>),
    /// A WebSocket pong. Counts as activity.
    Pong(Vec<u8>),
    /// The client closed the socket.
    Close,
    /// The transport refused what the client sent (a frame over the size limit, a text frame
    /// that is not UTF-8) and can read no further: the socket is closed with this reason
    /// (1009 or 1007), rather than dropped without a close frame.
    Refused(CloseReason),
}

/// A frame for the client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outgoing {
    /// A text frame (shared: the same event frame goes to many sockets).
    Text(Frame),
    /// Close the socket with this code and reason (the reason already cut to 123 bytes).
    Close(CloseReason),
}

/// The outcome of a `say`, without the `client_id` (the session adds it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ack {
    /// What moderation decided.
    pub status: AckStatus,
    /// Shown to the author when held or rejected, or alongside crisis support.
    pub reason: Option<String>,
    /// Support resources to show the author at once (the rules saw a crisis).
    pub signpost: Vec<Signpost>,
}

impl Ack {
    /// The same answer with support resources for the author, and the rules' words for them
    /// (a published message normally carries no reason; one with crisis support does).
    pub fn with_support(mut self, signpost: Vec<Signpost>, reason: Option<String>) -> Self {
        if !signpost.is_empty() {
            self.signpost = signpost;
            if self.reason.is_none() {
                self.reason = reason;
            }
        }
        self
    }

    /// Published as sent.
    pub fn published() -> Self {
        Self {
            status: AckStatus::Published,
            reason: None,
            signpost: Vec::new(),
        }
    }

    /// Held for review, with the reason shown to the author.
    pub fn held(reason: impl Into<String>) -> Self {
        Self {
            status: AckStatus::Held,
            reason: Some(reason.into()),
            signpost: Vec::new(),
        }
    }

    /// Refused, with the reason shown to the author.
    pub fn rejected(reason: impl Into<String>) -> Self {
        Self {
            status: AckStatus::Rejected,
            reason: Some(reason.into()),
            signpost: Vec::new(),
        }
    }
}

/// What the application decides for a socket. `hearth-app` implements it (permission checks,
/// moderation, storage, publishing); the session only speaks the protocol.
#[async_trait]
pub trait SocketHandler: Send + Sync + 'static {
    /// May `member` hold `topic`? Called on every subscribe. Refuse with
    /// [`ProtocolError::Forbidden`] or [`ProtocolError::NotFound`] (or `Unavailable` when the
    /// database is down); the error goes to the client as an `error` frame.
    async fn authorize_subscribe(
        &self,
        member: MemberId,
        topic: Topic,
    ) -> Result<(), ProtocolError>;

    /// Posts a chat message: check, moderate, store, publish; answer what happened. Failures are
    /// answered as a rejected [`Ack`] so the client can match them to its `client_id`.
    async fn say(&self, member: MemberId, room: RoomId, body: String, client_id: Uuid) -> Ack;

    /// May `member` do `op` now? The application's rate limits, shared by all of the member's
    /// sockets (on every instance, with Redis): asked before each topic subscribed and each
    /// `say`, and counted when it answers yes. A refusal ([`ProtocolError::LimitReached`])
    /// goes to the client as an `error` frame. By default everything is allowed.
    async fn allow(&self, member: MemberId, op: SocketOp) -> Result<(), ProtocolError> {
        let _ = (member, op);
        Ok(())
    }
}

/// A socket operation the application rate limits ([`SocketHandler::allow`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SocketOp {
    /// Subscribing one topic (each may cost a catch-up from the database).
    Subscribe,
    /// Sending one chat message.
    Say,
}

/// 40 frames at once.
const FRAME_BURST: NonZeroU32 = match NonZeroU32::new(40) {
    Some(n) => n,
    None => NonZeroU32::MIN,
};

/// Then 10 a second.
const FRAME_RATE: NonZeroU32 = match NonZeroU32::new(10) {
    Some(n) => n,
    None => NonZeroU32::MIN,
};

/// Per-socket settings. Per-member rates (chat, subscriptions) are the application's, through
/// [`SocketHandler::allow`], because they are shared by the member's sockets.
#[derive(Clone, Copy, Debug)]
pub struct SessionConfig {
    /// Frame size and topic-count limits.
    pub limits: ProtocolLimits,
    /// Close the socket when the client sends nothing (not even a ping) for this long. Clients
    /// send `{"type":"ping"}` every 25 seconds or so.
    pub idle_timeout: Duration,
    /// Text frames per socket, of any type: a flood guard against one runaway connection,
    /// before any parsing; excess frames get `rate_limited`.
    pub frame_rate: governor::Quota,
    /// Longest wait for the transport to take one batch of frames. A client that stops reading
    /// stalls the writer; past this the socket is dropped.
    pub write_timeout: Duration,
    /// How long the writer gets to send a close frame after the reader decided to close.
    pub close_grace: Duration,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            limits: ProtocolLimits::default(),
            idle_timeout: Duration::from_secs(90),
            frame_rate: governor::Quota::per_second(FRAME_RATE).allow_burst(FRAME_BURST),
            write_timeout: Duration::from_secs(10),
            close_grace: Duration::from_secs(2),
        }
    }
}

/// Why a session ended, for logs and metrics.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionEnd {
    /// The client closed the socket or the stream ended.
    ClientClosed,
    /// No client frame for [`SessionConfig::idle_timeout`].
    Idle,
    /// The server closed it (too slow, member disconnected, shutdown).
    ServerClosed(CloseReason),
    /// Reading or writing failed, or a write timed out.
    TransportError,
    /// A task panicked (a bug); logged.
    Internal,
}

/// Runs one socket until it ends: registers `member`'s socket with `hub`, then reads frames from
/// `stream` and writes frames to `sink` until the client leaves, goes idle, or the server closes
/// it. Returns why it ended.
pub async fn run_session<St, Si, E, H>(
    hub: &Hub,
    member: MemberId,
    handler: Arc<H>,
    stream: St,
    sink: Si,
    config: SessionConfig,
) -> SessionEnd
where
    St: Stream<Item = Result<Incoming, E>> + Send + Unpin + 'static,
    Si: Sink<Outgoing> + Send + Unpin + 'static,
    E: Send + 'static,
    H: SocketHandler + ?Sized,
{
    run_bound_session(hub, member, None, handler, stream, sink, config).await
}

/// As [`run_session`], for a socket opened with a sign-in session: the hub closes it when that
/// session ends (see [`Hub::disconnect_session`]).
pub async fn run_bound_session<St, Si, E, H>(
    hub: &Hub,
    member: MemberId,
    session: Option<SessionBinding>,
    handler: Arc<H>,
    stream: St,
    sink: Si,
    config: SessionConfig,
) -> SessionEnd
where
    St: Stream<Item = Result<Incoming, E>> + Send + Unpin + 'static,
    Si: Sink<Outgoing> + Send + Unpin + 'static,
    E: Send + 'static,
    H: SocketHandler + ?Sized,
{
    // Registered before the first frame is read: nothing published from here on is missed.
    // A member past their socket cap gets the close frame at once, with the reason.
    let (socket, output) = match hub.admit_session(member, session) {
        Ok(admitted) => admitted,
        Err(reason) => {
            let mut sink = sink;
            return close(&mut sink, Some(reason), config.close_grace).await;
        }
    };
    let id = socket.id();
    let closer = socket.close_sender();
    let mut writer = tokio::spawn(write_loop(sink, output, config));
    let mut reader = tokio::spawn(read_loop(stream, socket, handler, config));

    let end = tokio::select! {
        read = &mut reader => match read {
            Ok(SessionEnd::Idle) => {
                // Ask the writer to close, and give it a moment to send the close frame. (Asked
                // here rather than by the reader, so the writer cannot finish first and report
                // the idle close as a server-side close.)
                let _ = closer.try_send(CloseReason::idle());
                let _ = tokio::time::timeout(config.close_grace, &mut writer).await;
                writer.abort();
                SessionEnd::Idle
            }
            Ok(SessionEnd::ServerClosed(reason)) => {
                // The reader refused the client's frame: the writer sends the close frame.
                let _ = closer.try_send(reason.clone());
                let _ = tokio::time::timeout(config.close_grace, &mut writer).await;
                writer.abort();
                SessionEnd::ServerClosed(wire_close(reason))
            }
            Ok(end) => {
                writer.abort();
                end
            }
            Err(err) => {
                writer.abort();
                if err.is_panic() {
                    warn!(%id, "socket reader panicked");
                }
                SessionEnd::Internal
            }
        },
        written = &mut writer => {
            reader.abort();
            match written {
                Ok(end) => end,
                Err(_) => {
                    warn!(%id, "socket writer panicked");
                    SessionEnd::Internal
                }
            }
        }
    };
    debug!(%id, %member, end = ?end, "socket session ended");
    end
}

/// Close reasons longer than this do not fit a WebSocket close frame (125 bytes less the code).
const MAX_CLOSE_REASON_BYTES: usize = 123;

fn wire_close(mut reason: CloseReason) -> CloseReason {
    if reason.reason.len() > MAX_CLOSE_REASON_BYTES {
        let mut cut = MAX_CLOSE_REASON_BYTES;
        while !reason.reason.is_char_boundary(cut) {
            cut -= 1;
        }
        reason.reason.truncate(cut);
    }
    reason
}

/// The writer: frames from the queue to the sink, in batches, until told to close.
async fn write_loop<Si>(mut sink: Si, mut output: SocketOutput, config: SessionConfig) -> SessionEnd
where
    Si: Sink<Outgoing> + Unpin,
{
    loop {
        let first = tokio::select! {
            // A close request overrides whatever is still queued: a socket closed for being too
            // slow gets its close frame now, not after the backlog it could not read.
            biased;
            reason = output.close.recv() => return close(&mut sink, reason, config.close_grace).await,
            frame = output.frames.recv() => match frame {
                Some(frame) => frame,
                // The reader has ended (its handle held the last sender). Whether a close frame
                // is due is `run_session`'s call: wait for its request, or to be aborted.
                None => {
                    let reason = output.close.recv().await;
                    return close(&mut sink, reason, config.close_grace).await;
                }
            },
        };
        // Feed whatever else is already queued, then flush once. A close request also
        // interrupts a write the transport is not taking (a client that stopped reading).
        let written = {
            // Errors are reduced to `()` at once: the transport's error type need not be `Send`.
            let batch = async {
                sink.feed(Outgoing::Text(first)).await.map_err(|_| ())?;
                while let Ok(frame) = output.frames.try_recv() {
                    sink.feed(Outgoing::Text(frame)).await.map_err(|_| ())?;
                }
                sink.flush().await.map_err(|_| ())
            };
            tokio::select! {
                biased;
                reason = output.close.recv() => Err(reason),
                written = tokio::time::timeout(config.write_timeout, batch) => Ok(written),
            }
        };
        match written {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(_)) | Err(_)) => return SessionEnd::TransportError,
            Err(reason) => return close(&mut sink, reason, config.close_grace).await,
        }
    }
}

/// Sends the close frame (if the transport takes it within `grace`) and says why the session
/// ended. `None` means every close sender is gone: the session is over anyway.
async fn close<Si>(sink: &mut Si, reason: Option<CloseReason>, grace: Duration) -> SessionEnd
where
    Si: Sink<Outgoing> + Unpin,
{
    let Some(reason) = reason else {
        return SessionEnd::ClientClosed;
    };
    let reason = wire_close(reason);
    let _ = tokio::time::timeout(grace, sink.send(Outgoing::Close(reason.clone()))).await;
    SessionEnd::ServerClosed(reason)
}

/// The reader: client frames in, replies queued, until the client leaves or goes idle.
async fn read_loop<St, E, H>(
    mut stream: St,
    socket: SocketHandle,
    handler: Arc<H>,
    config: SessionConfig,
) -> SessionEnd
where
    St: Stream<Item = Result<Incoming, E>> + Unpin,
    H: SocketHandler + ?Sized,
{
    let frames = FrameLimiter::direct_with_clock(config.frame_rate, TokioClock);
    loop {
        let incoming = match tokio::time::timeout(config.idle_timeout, stream.next()).await {
            Err(_) => return SessionEnd::Idle,
            Ok(None) => return SessionEnd::ClientClosed,
            Ok(Some(Err(_))) => return SessionEnd::TransportError,
            Ok(Some(Ok(incoming))) => incoming,
        };
        let text = match incoming {
            Incoming::Text(text) => text,
            Incoming::Close => return SessionEnd::ClientClosed,
            Incoming::Refused(reason) => return SessionEnd::ServerClosed(reason),
            Incoming::Ping(_) | Incoming::Pong(_) => continue,
            Incoming::Binary(bytes) => {
                let err = if bytes.len() > config.limits.max_frame_bytes {
                    ProtocolError::FrameTooLarge {
                        size: bytes.len(),
                        limit: config.limits.max_frame_bytes,
                    }
                } else {
                    ProtocolError::BadMessage("binary frames are not supported".to_owned())
                };
                if !reply_error(&socket, &err).await {
                    return SessionEnd::ClientClosed;
                }
                continue;
            }
        };
        if frames.check().is_err() {
            if !reply_error(&socket, &ProtocolError::RateLimited).await {
                return SessionEnd::ClientClosed;
            }
            continue;
        }
        let message = match parse_client_message(&text, &config.limits) {
            Ok(message) => message,
            Err(err) => {
                debug!(id = %socket.id(), code = err.code(), "refused a client frame");
                if !reply_error(&socket, &err).await {
                    return SessionEnd::ClientClosed;
                }
                continue;
            }
        };
        if let Err(end) = handle(&socket, handler.as_ref(), message).await {
            return end;
        }
    }
}

/// Queues an `error` frame. `false` if the socket is gone.
async fn reply_error(socket: &SocketHandle, err: &ProtocolError) -> bool {
    reply(socket, &err.to_message()).await
}

async fn reply(socket: &SocketHandle, message: &ServerMessage) -> bool {
    socket.send(message.to_text().into()).await
}

/// Acts on one parsed message. `Err` ends the session.
async fn handle<H>(
    socket: &SocketHandle,
    handler: &H,
    message: ClientMessage,
) -> Result<(), SessionEnd>
where
    H: SocketHandler + ?Sized,
{
    let gone = || SessionEnd::ClientClosed;
    let member = socket.member();
    match message {
        ClientMessage::Ping => {
            if !reply(socket, &ServerMessage::Pong).await {
                return Err(gone());
            }
        }
        ClientMessage::Subscribe { topics, since } => {
            socket.note_activity();
            let mut seen = HashSet::new();
            for topic in topics {
                if !seen.insert(topic) || socket.is_subscribed(topic) {
                    continue;
                }
                if let Err(err) = handler.allow(member, SocketOp::Subscribe).await {
                    // The rest of this frame's topics would be refused too: one error is enough.
                    if !reply_error(socket, &err).await {
                        return Err(gone());
                    }
                    break;
                }
                if let Err(err) = handler.authorize_subscribe(member, topic).await {
                    debug!(id = %socket.id(), %topic, code = err.code(), "subscribe refused");
                    if !reply_error(socket, &err).await {
                        return Err(gone());
                    }
                    continue;
                }
                let refusal = match socket.subscribe(topic, since.get(&topic).copied()).await {
                    Ok(Subscribed::CatchUpFailed(_)) => {
                        Some(ProtocolError::CatchUpFailed { topic })
                    }
                    Ok(_) => None,
                    Err(SubscribeError::TooManyTopics { limit }) => {
                        Some(ProtocolError::TooManySubscriptions { limit })
                    }
                    Err(SubscribeError::SocketClosed) => return Err(gone()),
                };
                if let Some(err) = refusal
                    && !reply_error(socket, &err).await
                {
                    return Err(gone());
                }
            }
        }
        ClientMessage::Unsubscribe { topics } => {
            for topic in topics {
                socket.unsubscribe(topic);
            }
        }
        ClientMessage::Say {
            room,
            body,
            client_id,
        } => {
            socket.note_activity();
            if let Err(err) = handler.allow(member, SocketOp::Say).await {
                if !reply_error(socket, &err).await {
                    return Err(gone());
                }
                return Ok(());
            }
            let ack = handler.say(member, room, body, client_id).await;
            let message = ServerMessage::Ack {
                client_id,
                status: ack.status,
                reason: ack.reason,
                signpost: ack.signpost,
            };
            if !reply(socket, &message).await {
                return Err(gone());
            }
        }
    }
    Ok(())
}
