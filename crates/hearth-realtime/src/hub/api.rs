//! What the hub shows the rest of the crate and the application: close reasons, the hooks it
//! calls, socket ids, subscription answers, statistics, arrivals and departures.

use super::*;

/// Why the server closes a socket: a WebSocket close code and a short reason shown to the client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloseReason {
    /// WebSocket close code (RFC 6455 section 7.4).
    pub code: u16,
    /// Short human reason; at most 123 bytes go on the wire.
    pub reason: String,
}

impl CloseReason {
    /// The reason given to a client whose queue overflowed.
    pub const TOO_SLOW: &'static str = "too slow: reconnect and catch up";

    /// A close with any code and reason.
    pub fn new(code: u16, reason: impl Into<String>) -> Self {
        Self {
            code,
            reason: reason.into(),
        }
    }

    /// The member already holds as many sockets as they may (1008, "policy"): each tab or
    /// window holds one, so the reason says what to do.
    pub fn too_many_sockets(limit: usize) -> Self {
        Self::new(
            1008,
            format!(
                "too many open connections for one member (limit {limit}); close another tab or window"
            ),
        )
    }

    /// The client could not keep up (1013, "try again later").
    pub fn too_slow() -> Self {
        Self::new(1013, Self::TOO_SLOW)
    }

    /// No frame from the client for too long (1001, "going away").
    pub fn idle() -> Self {
        Self::new(1001, "idle: no message received in time")
    }

    /// The member's access changed (suspended, signed out, role lowered): 1008, "policy".
    pub fn revoked(reason: impl Into<String>) -> Self {
        Self::new(1008, reason)
    }

    /// A message over the size limit (1009, "message too big").
    pub fn too_big(limit: usize) -> Self {
        Self::new(
            1009,
            format!("message too big: a frame may be at most {limit} bytes"),
        )
    }

    /// A text frame that is not valid UTF-8 (1007, "invalid frame payload data").
    pub fn invalid_payload() -> Self {
        Self::new(1007, "invalid payload: text frames must be UTF-8")
    }

    /// The server is shutting down (1001, "going away").
    pub fn shutting_down() -> Self {
        Self::new(1001, "server restarting: reconnect")
    }
}

/// A failure of a hook, e.g. the database is unreachable. The message goes to logs only.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct HookError(pub String);

/// The answer to a re-check of a member's topics.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MemberAccess {
    /// The member may still hold these topics (of those asked about); the rest are dropped.
    Retain(Vec<Topic>),
    /// The member may no longer be connected at all (suspended, banned, erased).
    Disconnect(CloseReason),
}

/// What the hub needs from the application: the database's view of events and permissions.
#[async_trait]
pub trait HubHooks: Send + Sync + 'static {
    /// Events on `topic` with a sequence number greater than `after_seq`, oldest first (at most
    /// a page: the hub asks again if a gap remains). Used to fill gaps and to catch a
    /// subscribing socket up.
    async fn events_since(&self, topic: Topic, after_seq: i64) -> Result<Vec<Envelope>, HookError>;

    /// The topic's latest sequence number (0 if it has no events yet). A socket subscribing
    /// without `since` starts from here, so the first live event it gets can be checked for a
    /// gap like any other.
    async fn latest_seq(&self, topic: Topic) -> Result<i64, HookError>;

    /// Which of `held` `member` may still hold, after their role or standing changed. An error
    /// closes the member's sockets: when in doubt, fail closed.
    async fn recheck_member(
        &self,
        member: MemberId,
        held: Vec<Topic>,
    ) -> Result<MemberAccess, HookError>;

    /// Turns an event as it is stored and carried by the bus (ids and kinds, never member text)
    /// into what the topic's holders may see of it *now*: the read model's view of the thing it
    /// names, or a tombstone when that thing has become invisible. Called once per live event
    /// per instance, before fan-out; [`HubHooks::events_since`] answers rendered events itself.
    /// The default passes the event through (hubs whose events carry their own view).
    async fn render(&self, event: Envelope) -> Result<Envelope, HookError> {
        Ok(event)
    }

    /// Which of `members` may still hold `topic`, after something narrowed who may (a thread
    /// moved to a staff board, hidden, a board's audience changed). An error drops them all:
    /// when in doubt, fail closed.
    async fn recheck_topic(
        &self,
        topic: Topic,
        members: Vec<MemberId>,
    ) -> Result<Vec<MemberId>, HookError> {
        let _ = topic;
        Ok(members)
    }
}

/// Which sign-in session a socket belongs to: an opaque tag (a digest of the session id, never
/// the id itself, since these cross the bus) and when the session runs out unless it is
/// renewed, as seconds since the Unix epoch. Ending the session closes exactly its sockets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionBinding {
    /// The session's tag.
    pub tag: Arc<str>,
    /// The session's id, kept in this process only (to look the session up again); never
    /// sent anywhere.
    pub id: Arc<str>,
    /// When to look at the session again (its idle or absolute expiry, whichever is sooner).
    pub check_at: i64,
}

/// A session that [`Hub::sessions_due`] says needs looking at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DueSession {
    /// The session's tag.
    pub tag: Arc<str>,
    /// The session's id (this process only).
    pub id: Arc<str>,
    /// Whether the member acted on one of its sockets since it was last renewed.
    pub active: bool,
}

/// A socket's id within this hub.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SocketId(pub(super) u64);

impl std::fmt::Display for SocketId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "socket-{}", self.0)
    }
}

/// How a subscription went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subscribed {
    /// Subscribed; live events from now on.
    Live,
    /// The socket already held the topic; nothing changed.
    AlreadySubscribed,
    /// Missed events were sent, then live ones follow with no gap.
    CaughtUp {
        /// How many missed events were sent.
        sent: usize,
    },
    /// Subscribed and live, but the missed events could not be fetched: the client should
    /// reload the topic over HTTP.
    CatchUpFailed(HookError),
}

/// Why a subscription was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SubscribeError {
    /// The socket has been closed (or was never registered).
    #[error("socket closed")]
    SocketClosed,
    /// The socket holds [`HubConfig::max_topics_per_socket`] topics already.
    #[error("a socket may hold at most {limit} topics")]
    TooManyTopics {
        /// Topics allowed per socket.
        limit: usize,
    },
}

/// Counts for `/metrics`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HubStats {
    /// Sockets registered now.
    pub sockets: usize,
    /// Topics with at least one local subscriber now.
    pub topics: usize,
    /// (socket, topic) pairs now.
    pub subscriptions: usize,
    /// Event frames queued on sockets, ever.
    pub frames_queued: u64,
    /// Sockets closed because their queue overflowed, ever.
    pub slow_disconnects: u64,
    /// Gap fills started, ever.
    pub gap_fills: u64,
    /// Duplicate events dropped, ever.
    pub duplicates_dropped: u64,
    /// Gaps given up on (the backfill hook failed or had nothing), ever.
    pub gaps_abandoned: u64,
}

/// A member's last socket in a room on this instance went (closed tab, unsubscribed, kicked):
/// the application decides whether that closes a room that needs a moderator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Departure {
    /// The room.
    pub room: RoomId,
    /// The member who is no longer present in it here.
    pub member: MemberId,
}

/// A member's first socket in a room on this instance joined it: the application decides
/// whether that opens a room that needs a moderator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arrival {
    /// The room.
    pub room: RoomId,
    /// The member who is now present in it here.
    pub member: MemberId,
}
