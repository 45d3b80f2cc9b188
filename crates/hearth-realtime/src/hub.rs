//! The hub: which local sockets hold which topics, and getting each event to them in order,
//! once, without letting a slow socket slow anyone else.
//!
//! # Ordering, gaps and duplicates
//! Events arrive from the bus in whatever order the network gives (and Redis pub/sub may drop
//! some). Per topic the hub remembers the last sequence number it fanned out on this instance:
//! an event at or below it is a duplicate and is dropped; an event more than one above it means
//! events were missed, so the hub parks the topic (later arrivals wait in a buffer), fetches what
//! is missing from the [`HubHooks::events_since`] backfill hook (the database), fans out the
//! missing events and then the buffer, in order. Each subscriber also remembers the last number
//! it was sent, so a socket that caught up from the database ahead of the live stream never gets
//! an event twice.
//!
//! # Catch-up on subscribe
//! A socket subscribing with `since` is added to the topic *first*, in a catching-up mode where
//! live events for it are buffered instead of sent. Then its history is fetched and sent, then
//! the buffer is drained, skipping anything already sent, and only when the buffer is empty
//! *under the lock* does the subscriber switch to live. Nothing published meanwhile can fall in
//! the hole between "read the database" and "start listening", and nothing is sent twice. A hole
//! among the buffered events (lost on the bus) is fetched before the event after it. A socket
//! subscribing without `since` goes through the same steps from the topic's latest sequence
//! number ([`HubHooks::latest_seq`]), so its first live events are ordered and checked too.
//!
//! # Locking
//! All of the hub's state sits behind one `std::sync::Mutex` ([`Hub`]'s `state`). Every
//! operation holds it briefly and never across an `.await`: fetching from the database, waiting on
//! a socket's queue and sleeping all happen with the lock released. Fan-out holds it for one loop
//! of non-blocking `try_send`s. One lock rather than one per topic because several operations
//! span topics and must be atomic (removing a socket, closing a member's sockets, re-checking a
//! member), and at this forum's scale (hundreds of sockets) contention is negligible.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use hearth_core::ids::{MemberId, RoomId};
use tokio::sync::mpsc;
use tracing::{debug, warn};

use crate::envelope::{Envelope, Frame};
use crate::protocol::{ProtocolError, Topic};

/// Frames a socket's outgoing queue holds. At a few hundred bytes per frame this is well under a
/// megabyte per socket, and it absorbs a burst (a busy thread, a catch-up) while the client
/// reads. Overflow policy: the hub never waits for room. A full queue means the client cannot
/// keep up; it is closed with [`CloseReason::too_slow`] and reconnects with `since` to catch up
/// from the database.
pub const SOCKET_QUEUE_CAPACITY: usize = 256;

/// Live events held for one socket while its catch-up from the database is in flight. Past this
/// the socket is treated as too slow, as above.
pub const CATCH_UP_BUFFER_LIMIT: usize = 1024;

/// Live events held for one topic while a gap is being filled from the database. Past this the
/// fill is abandoned: the buffer is fanned out as is and subscribers are told to reload.
pub const FILL_BUFFER_LIMIT: usize = 4096;

/// Topics one socket may hold at once. A page shows one thread, its board, a room, the
/// member's own notifications and (for moderators) the queue; a few tabs' worth fits easily.
pub const DEFAULT_MAX_TOPICS_PER_SOCKET: usize = 64;

/// Extra rounds a re-check makes for subscriptions that joined while it asked; past them, a
/// subscription nobody asked about is dropped (fail closed).
const RECHECK_ROUNDS: usize = 3;

/// Tuning for a hub; the defaults are the constants above.
#[derive(Clone, Copy, Debug)]
pub struct HubConfig {
    /// See [`SOCKET_QUEUE_CAPACITY`].
    pub queue_capacity: usize,
    /// See [`DEFAULT_MAX_TOPICS_PER_SOCKET`].
    pub max_topics_per_socket: usize,
    /// See [`CATCH_UP_BUFFER_LIMIT`].
    pub catch_up_buffer_limit: usize,
    /// See [`FILL_BUFFER_LIMIT`].
    pub fill_buffer_limit: usize,
    /// Extra attempts at a failed gap fill before giving up on it.
    pub fill_retries: u32,
    /// Pause before the first retry of a gap fill; doubled each time.
    pub fill_retry_delay: Duration,
    /// Sockets one member may hold open on this instance; one more is closed at once with
    /// [`CloseReason::too_many_sockets`]. The server sets it from its `[limits]` table; the
    /// library's default does not cap. (Chat and subscribe rates are the application's, through
    /// [`crate::SocketHandler::allow`].)
    pub max_sockets_per_member: usize,
}

impl Default for HubConfig {
    fn default() -> Self {
        Self {
            queue_capacity: SOCKET_QUEUE_CAPACITY,
            max_topics_per_socket: DEFAULT_MAX_TOPICS_PER_SOCKET,
            catch_up_buffer_limit: CATCH_UP_BUFFER_LIMIT,
            fill_buffer_limit: FILL_BUFFER_LIMIT,
            fill_retries: 3,
            fill_retry_delay: Duration::from_millis(200),
            max_sockets_per_member: usize::MAX,
        }
    }
}

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
pub struct SocketId(u64);

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

/// What a session holds for its socket: its id and the way into the hub. Dropping it unregisters
/// the socket, so a session that ends for any reason leaves nothing behind.
#[derive(Debug)]
pub struct SocketHandle {
    id: SocketId,
    member: MemberId,
    hub: Hub,
    queue: mpsc::Sender<Frame>,
    close: mpsc::Sender<CloseReason>,
}

/// The receiving ends of a socket's queues, for the task that writes to the transport.
#[derive(Debug)]
pub struct SocketOutput {
    /// Frames to send, in order.
    pub frames: mpsc::Receiver<Frame>,
    /// A request to close, sent by the hub (too slow, member disconnected) or by the session
    /// (idle). Takes priority over `frames`.
    pub close: mpsc::Receiver<CloseReason>,
}

impl SocketHandle {
    /// This socket's id.
    pub fn id(&self) -> SocketId {
        self.id
    }

    /// The member this socket belongs to.
    pub fn member(&self) -> MemberId {
        self.member
    }

    /// The hub this socket is registered with.
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// Records that the member acted on this socket (not a ping: an open tab alone must not
    /// keep a session on a shared device alive), so its session slides at its next check.
    pub fn note_activity(&self) {
        if let Some(entry) = self.hub.state().sockets.get_mut(&self.id) {
            entry.active = true;
        }
    }

    /// Queues a reply (pong, ack, error) behind whatever events are already queued, waiting for
    /// room: only this socket's own reader waits. `false` if the writer has gone.
    pub async fn send(&self, frame: Frame) -> bool {
        self.queue.send(frame).await.is_ok()
    }

    /// Asks the writer to close the socket with `reason`. The first request wins.
    pub fn close(&self, reason: CloseReason) {
        let _ = self.close.try_send(reason);
    }

    /// A way to request the close that outlives this handle (the session uses it after the
    /// reader, which owns the handle, has ended).
    pub(crate) fn close_sender(&self) -> mpsc::Sender<CloseReason> {
        self.close.clone()
    }

    /// Subscribes this socket to `topic`; see [`Hub::subscribe`].
    pub async fn subscribe(
        &self,
        topic: Topic,
        since: Option<i64>,
    ) -> Result<Subscribed, SubscribeError> {
        self.hub.subscribe(self.id, topic, since).await
    }

    /// Unsubscribes this socket from `topic`; `false` if it did not hold it.
    pub fn unsubscribe(&self, topic: Topic) -> bool {
        self.hub.unsubscribe(self.id, topic)
    }

    /// Whether this socket holds `topic`.
    pub fn is_subscribed(&self, topic: Topic) -> bool {
        self.hub.is_subscribed(self.id, topic)
    }
}

impl Drop for SocketHandle {
    fn drop(&mut self) {
        self.hub.unregister(self.id);
    }
}

/// Maps topics to the sockets on this instance and delivers events to them. Cheap to clone: all
/// clones share one state.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<HubInner>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub").field("stats", &self.stats()).finish()
    }
}

struct HubInner {
    config: HubConfig,
    hooks: Arc<dyn HubHooks>,
    /// Everything mutable. Locked by every hub operation, briefly; see the module doc.
    state: Mutex<State>,
    /// Per-member `say` buckets; its own lock, never taken while `state` is held.
    counters: Counters,
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

/// Monotonic counters, atomics so reading stats never contends with delivery.
#[derive(Default)]
struct Counters {
    frames_queued: AtomicU64,
    slow_disconnects: AtomicU64,
    gap_fills: AtomicU64,
    duplicates_dropped: AtomicU64,
    gaps_abandoned: AtomicU64,
}

impl Counters {
    fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

#[derive(Default)]
struct State {
    next_socket: u64,
    next_fill: u64,
    sockets: HashMap<SocketId, SocketEntry>,
    topics: HashMap<Topic, TopicState>,
    members: HashMap<MemberId, HashSet<SocketId>>,
    /// Sockets per (room, member): a member is present in a room while this is above zero.
    presence: HashMap<RoomId, HashMap<MemberId, usize>>,
    /// Sockets each member holds on other instances, as last shared through the bus (see
    /// [`Hub::set_sockets_elsewhere`]): the socket cap counts them too.
    elsewhere: HashMap<MemberId, usize>,
    /// Told of each departure from a room, once someone watches them ([`Hub::watch_departures`]);
    /// unbounded, as it is sent to under the lock (one small message per member leaving a room,
    /// read at once by one task).
    departures: Option<mpsc::UnboundedSender<Departure>>,
    /// Told of each arrival in a room, once someone watches them ([`Hub::watch_arrivals`]),
    /// for the same reason and in the same way as departures.
    arrivals: Option<mpsc::UnboundedSender<Arrival>>,
}

struct SocketEntry {
    member: MemberId,
    /// The session the socket was opened with; `None` only for sockets made without one (tests
    /// of the hub itself).
    session: Option<SessionBinding>,
    queue: mpsc::Sender<Frame>,
    close: mpsc::Sender<CloseReason>,
    topics: HashSet<Topic>,
    /// Whether the member did something on this socket (subscribed, said something) since
    /// its session was last renewed: such a session slides on, as HTTP use slides it.
    active: bool,
}

#[derive(Default)]
struct TopicState {
    subscribers: HashMap<SocketId, Subscriber>,
    /// The last sequence number fanned out on this instance; `None` until the first one.
    last_seq: Option<i64>,
    /// Set while a gap is being filled from the database.
    fill: Option<PendingFill>,
}

struct PendingFill {
    id: u64,
    /// Live events that arrived during the fill, to fan out after it.
    buffer: Vec<Envelope>,
    /// Fill again once this one finishes (a reconnect happened meanwhile).
    again: bool,
}

struct Subscriber {
    /// The last sequence number sent to (or, with `since`, seen by) this socket.
    last_sent: Option<i64>,
    /// `Some` while the socket is catching up from the database: live events wait here.
    catch_up: Option<Vec<Envelope>>,
}

/// A gap fill to run once the lock is released.
struct FillJob {
    topic: Topic,
    after: i64,
    id: u64,
}

/// Why a socket must go, found during fan-out (the lock is held, so it is acted on right after).
enum Doom {
    TooSlow,
    Gone,
}

impl TopicState {
    /// The sequence number the next event should follow: the topic's own, or before any event
    /// went through here, the oldest point live subscribers caught up to.
    fn baseline(&self) -> Option<i64> {
        self.last_seq.or_else(|| {
            self.subscribers
                .values()
                .filter(|sub| sub.catch_up.is_none())
                .filter_map(|sub| sub.last_sent)
                .min()
        })
    }
}

impl Hub {
    /// A hub using `hooks` to reach the database.
    pub fn new(hooks: Arc<dyn HubHooks>, config: HubConfig) -> Self {
        Self {
            inner: Arc::new(HubInner {
                config,
                hooks,
                state: Mutex::new(State::default()),
                counters: Counters::default(),
            }),
        }
    }

    /// The departures from rooms on this instance from now on, for the one task that watches
    /// them (a room that needs a moderator closes when its last moderator leaves). A second
    /// call takes them over from the first. Nothing is kept while nobody watches.
    pub fn watch_departures(&self) -> mpsc::UnboundedReceiver<Departure> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.state().departures = Some(tx);
        rx
    }

    /// The arrivals in rooms on this instance from now on (a member's first socket in a room),
    /// for the one task that watches them (a room that needs a moderator opens when one
    /// arrives). A second call takes them over from the first. Nothing is kept while nobody
    /// watches.
    pub fn watch_arrivals(&self) -> mpsc::UnboundedReceiver<Arrival> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.state().arrivals = Some(tx);
        rx
    }

    /// The configuration in force.
    pub fn config(&self) -> &HubConfig {
        &self.inner.config
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the maps half-updated in a way that
        // breaks later operations (each update is a few inserts/removes), so carry on.
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a socket for `member`, without the per-member cap (for tests and tools). The
    /// session keeps the handle (dropping it unregisters) and gives the output to its writer.
    pub fn register(&self, member: MemberId) -> (SocketHandle, SocketOutput) {
        match self.insert_socket(member, None, usize::MAX) {
            Ok(socket) => socket,
            Err(_) => unreachable!("a socket with no cap is never refused"),
        }
    }

    /// Registers a socket for `member` opened with the sign-in session `session` (ending that
    /// session, [`Hub::disconnect_session`], closes it), unless the member already holds
    /// [`HubConfig::max_sockets_per_member`] sockets here: then the reason to close it with.
    /// Counted and inserted under one lock, so concurrent opens cannot overshoot the cap.
    pub fn admit_session(
        &self,
        member: MemberId,
        session: Option<SessionBinding>,
    ) -> Result<(SocketHandle, SocketOutput), CloseReason> {
        self.insert_socket(member, session, self.inner.config.max_sockets_per_member)
    }

    fn insert_socket(
        &self,
        member: MemberId,
        session: Option<SessionBinding>,
        cap: usize,
    ) -> Result<(SocketHandle, SocketOutput), CloseReason> {
        let (queue_tx, queue_rx) = mpsc::channel(self.inner.config.queue_capacity.max(1));
        // Capacity 1: only the first close request matters.
        let (close_tx, close_rx) = mpsc::channel(1);
        let id = {
            let mut state = self.state();
            let here = state.members.get(&member).map_or(0, HashSet::len);
            let elsewhere = if cap == usize::MAX {
                0
            } else {
                state.elsewhere.get(&member).copied().unwrap_or(0)
            };
            if here.saturating_add(elsewhere) >= cap {
                debug!(%member, cap, "socket refused: too many for this member");
                return Err(CloseReason::too_many_sockets(cap));
            }
            state.next_socket += 1;
            let id = SocketId(state.next_socket);
            state.sockets.insert(
                id,
                SocketEntry {
                    member,
                    session,
                    queue: queue_tx.clone(),
                    close: close_tx.clone(),
                    topics: HashSet::new(),
                    active: false,
                },
            );
            state.members.entry(member).or_default().insert(id);
            id
        };
        debug!(%id, %member, "socket registered");
        Ok((
            SocketHandle {
                id,
                member,
                hub: self.clone(),
                queue: queue_tx,
                close: close_tx,
            },
            SocketOutput {
                frames: queue_rx,
                close: close_rx,
            },
        ))
    }

    /// Removes a socket and all its subscriptions. Idempotent.
    pub fn unregister(&self, id: SocketId) {
        if self.state().remove_socket(id).is_some() {
            debug!(%id, "socket unregistered");
        }
    }

    /// Subscribes a socket to a topic. The caller has already checked the member may hold it.
    ///
    /// With `since`, events after it are fetched from the backfill hook and sent first, then live
    /// events follow with no gap and no duplicate (see the module doc). Without it, the topic's
    /// latest sequence number is read instead and live events follow it, so even the very first
    /// live event is checked for a gap. Waits for room in the socket's own queue while sending
    /// history, so a long catch-up is not mistaken for a slow client.
    pub async fn subscribe(
        &self,
        socket: SocketId,
        topic: Topic,
        since: Option<i64>,
    ) -> Result<Subscribed, SubscribeError> {
        // Join first, in catching-up mode: from here on live events for this socket are kept.
        let queue = {
            let mut state = self.state();
            let max = self.inner.config.max_topics_per_socket;
            let Some(entry) = state.sockets.get_mut(&socket) else {
                return Err(SubscribeError::SocketClosed);
            };
            if entry.topics.contains(&topic) {
                return Ok(Subscribed::AlreadySubscribed);
            }
            if entry.topics.len() >= max {
                return Err(SubscribeError::TooManyTopics { limit: max });
            }
            entry.topics.insert(topic);
            let member = entry.member;
            let queue = entry.queue.clone();
            if let Some(room) = topic.room() {
                let count = state
                    .presence
                    .entry(room)
                    .or_default()
                    .entry(member)
                    .or_default();
                *count += 1;
                if *count == 1
                    && let Some(tx) = &state.arrivals
                {
                    // Nobody watching (the receiver was dropped) is fine: nothing to tell.
                    let _ = tx.send(Arrival { room, member });
                }
            }
            state.topics.entry(topic).or_default().subscribers.insert(
                socket,
                Subscriber {
                    last_sent: since,
                    catch_up: Some(Vec::new()),
                },
            );
            queue
        };

        // Lock released: find where this socket starts, and send any history.
        let mut catch_up = CatchUp {
            hub: self,
            socket,
            queue: &queue,
            topic,
            last: since.unwrap_or(0),
            sent: 0,
        };
        let failure = match since {
            None => match self.inner.hooks.latest_seq(topic).await {
                Ok(latest) => {
                    catch_up.last = latest;
                    None
                }
                Err(err) => {
                    // Start from the first live event instead, unchecked: still live, just
                    // without a baseline for gap detection until one arrives.
                    warn!(%topic, error = %err, "could not read the latest sequence number");
                    return self.go_live_unchecked(socket, topic);
                }
            },
            Some(since) => match self.inner.hooks.events_since(topic, since).await {
                Ok(events) if events.is_empty() => {
                    // Nothing missed, or the client claims more than exists (a stale tab after
                    // a restore): never start beyond the real latest, or new events would be
                    // taken for duplicates.
                    if let Ok(latest) = self.inner.hooks.latest_seq(topic).await {
                        catch_up.last = catch_up.last.min(latest);
                    }
                    None
                }
                Ok(events) => {
                    catch_up.send_all(events).await?;
                    // The hook may answer a page at a time: ask again until nothing is new.
                    catch_up.send_remaining_pages().await?
                }
                Err(err) => {
                    warn!(%topic, error = %err, "catch-up fetch failed");
                    Some(err)
                }
            },
        };

        // Drain what arrived meanwhile. Switch to live only once the buffer is seen empty with
        // the lock held, so no live event can slip between the last drain and the switch.
        loop {
            let pending = {
                let mut state = self.state();
                let Some(sub) = state
                    .topics
                    .get_mut(&topic)
                    .and_then(|t| t.subscribers.get_mut(&socket))
                else {
                    // Unsubscribed or closed meanwhile.
                    return Err(SubscribeError::SocketClosed);
                };
                let pending = sub
                    .catch_up
                    .as_mut()
                    .map(std::mem::take)
                    .unwrap_or_default();
                if pending.is_empty() {
                    sub.catch_up = None;
                    sub.last_sent = Some(catch_up.last);
                    break;
                }
                pending
            };
            catch_up.send_buffered(pending).await?;
        }
        Ok(match (failure, since) {
            (Some(err), _) => Subscribed::CatchUpFailed(err),
            (None, None) => Subscribed::Live,
            (None, Some(_)) => Subscribed::CaughtUp {
                sent: catch_up.sent,
            },
        })
    }

    /// Switches a catching-up subscriber to live with no baseline, handing it what was buffered
    /// (used when the latest sequence number could not be read).
    fn go_live_unchecked(
        &self,
        socket: SocketId,
        topic: Topic,
    ) -> Result<Subscribed, SubscribeError> {
        let mut state = self.state();
        let Some(sub) = state
            .topics
            .get_mut(&topic)
            .and_then(|t| t.subscribers.get_mut(&socket))
        else {
            return Err(SubscribeError::SocketClosed);
        };
        let mut pending = sub.catch_up.take().unwrap_or_default();
        pending.sort_by_key(Envelope::seq);
        let mut last_sent = None;
        for event in pending {
            match state.try_queue(socket, event.frame().clone()) {
                None if state.sockets.contains_key(&socket) => {
                    Counters::bump(&self.inner.counters.frames_queued);
                    last_sent = Some(event.seq());
                }
                None => return Err(SubscribeError::SocketClosed),
                Some(_) => {
                    Counters::bump(&self.inner.counters.slow_disconnects);
                    state.kick(socket, CloseReason::too_slow());
                    return Err(SubscribeError::SocketClosed);
                }
            }
        }
        if let Some(sub) = state
            .topics
            .get_mut(&topic)
            .and_then(|t| t.subscribers.get_mut(&socket))
        {
            sub.last_sent = last_sent;
        }
        Ok(Subscribed::Live)
    }

    /// Unsubscribes a socket from a topic; `false` if it did not hold it.
    pub fn unsubscribe(&self, socket: SocketId, topic: Topic) -> bool {
        self.state().remove_subscription(socket, topic)
    }

    /// Whether a socket holds a topic.
    pub fn is_subscribed(&self, socket: SocketId, topic: Topic) -> bool {
        self.state()
            .sockets
            .get(&socket)
            .is_some_and(|s| s.topics.contains(&topic))
    }

    /// The topics a socket holds, sorted.
    pub fn topics_of(&self, socket: SocketId) -> Vec<Topic> {
        let state = self.state();
        let mut topics: Vec<Topic> = state
            .sockets
            .get(&socket)
            .map(|s| s.topics.iter().copied().collect())
            .unwrap_or_default();
        topics.sort();
        topics
    }

    /// Delivers one event to the local subscribers of its topic: drops duplicates, fills gaps
    /// from the backfill hook first, never waits on a socket. Call it for every event from the
    /// bus (the buses do). Never blocks; a gap fill runs on a spawned task.
    pub fn deliver(&self, envelope: Envelope) {
        let jobs = {
            let mut state = self.state();
            let mut jobs = Vec::new();
            self.ingest(&mut state, envelope, &mut jobs);
            jobs
        };
        self.spawn_fills(jobs);
    }

    /// Renders a stored event through [`HubHooks::render`] (the reader-aware view of what it
    /// names, as it stands now) and delivers it as [`Hub::deliver`] does. If it cannot be
    /// rendered (the database is away) nothing is sent: the next event on the topic shows a gap,
    /// which is filled from the database.
    pub async fn deliver_rendered(&self, envelope: Envelope) {
        let topic = envelope.topic();
        if !self.state().topics.contains_key(&topic) {
            return; // Nobody here listens: no need to look anything up.
        }
        match self.inner.hooks.render(envelope).await {
            Ok(rendered) => self.deliver(rendered),
            Err(err) => {
                warn!(%topic, error = %err, "could not render an event; it will be filled from the database")
            }
        }
    }

    /// Closes every socket opened with the session tagged `tag` (sign-out, the session expired).
    /// Returns how many.
    pub fn disconnect_session(&self, tag: &str, reason: CloseReason) -> usize {
        let mut state = self.state();
        let ids: Vec<SocketId> = state
            .sockets
            .iter()
            .filter(|(_, s)| s.session.as_ref().is_some_and(|b| &*b.tag == tag))
            .map(|(id, _)| *id)
            .collect();
        for id in &ids {
            state.kick(*id, reason.clone());
        }
        ids.len()
    }

    /// Closes `member`'s sockets except those opened with the session tagged `keep` (a password
    /// change ends the member's other sessions). Returns how many.
    pub fn disconnect_member_except(
        &self,
        member: MemberId,
        keep: Option<&str>,
        reason: CloseReason,
    ) -> usize {
        let mut state = self.state();
        let ids: Vec<SocketId> = state
            .members
            .get(&member)
            .map(|ids| ids.iter().copied().collect())
            .unwrap_or_default();
        let mut closed = 0;
        for id in ids {
            let kept = keep.is_some_and(|keep| {
                state
                    .sockets
                    .get(&id)
                    .and_then(|s| s.session.as_ref())
                    .is_some_and(|b| &*b.tag == keep)
            });
            if !kept {
                state.kick(id, reason.clone());
                closed += 1;
            }
        }
        if closed > 0 {
            debug!(%member, sockets = closed, "member disconnected");
        }
        closed
    }

    /// Sessions with a socket here that need looking at, each once: those whose check time is
    /// at or before `now` (seconds since the epoch), and those used on a socket since their
    /// last renewal whose check time is within `ahead` seconds (to be slid on before they run
    /// out). Whoever looks them up then calls [`Hub::renew_session`] or
    /// [`Hub::disconnect_session`].
    pub fn sessions_due(&self, now: i64, ahead: i64) -> Vec<DueSession> {
        let state = self.state();
        let mut due: HashMap<Arc<str>, DueSession> = HashMap::new();
        for socket in state.sockets.values() {
            let Some(b) = socket.session.as_ref() else {
                continue;
            };
            if b.check_at <= now || (socket.active && b.check_at <= now.saturating_add(ahead)) {
                let entry = due.entry(b.tag.clone()).or_insert_with(|| DueSession {
                    tag: b.tag.clone(),
                    id: b.id.clone(),
                    active: false,
                });
                entry.active |= socket.active;
            }
        }
        let mut due: Vec<DueSession> = due.into_values().collect();
        due.sort_by(|a, b| a.tag.cmp(&b.tag));
        due
    }

    /// Moves the next check of a session's sockets to `check_at` (the session was renewed)
    /// and starts counting their activity afresh.
    pub fn renew_session(&self, tag: &str, check_at: i64) {
        let mut state = self.state();
        for socket in state.sockets.values_mut() {
            if let Some(b) = socket.session.as_mut()
                && &*b.tag == tag
            {
                b.check_at = check_at;
                socket.active = false;
            }
        }
    }

    /// Asks the application which of `topic`'s local subscribers may still hold it, and drops
    /// the rest with a `forbidden` error frame (see [`HubHooks::recheck_topic`]).
    pub async fn recheck_topic(&self, topic: Topic) {
        // Rounds, as in [`Hub::recheck_member`]: a member who joins while the hook runs (on a
        // check made before the change) is asked about in the next round, and a member found
        // denied loses every subscription to the topic they hold by then.
        let mut asked: HashSet<MemberId> = HashSet::new();
        let mut denied: HashSet<MemberId> = HashSet::new();
        for round in 0..=RECHECK_ROUNDS {
            let fresh: Vec<MemberId> = {
                let mut state = self.state();
                let ids: Vec<SocketId> = state
                    .topics
                    .get(&topic)
                    .map(|t| t.subscribers.keys().copied().collect())
                    .unwrap_or_default();
                let mut fresh = BTreeSet::new();
                for id in ids {
                    let Some(member) = state.sockets.get(&id).map(|s| s.member) else {
                        continue;
                    };
                    if denied.contains(&member)
                        || (round == RECHECK_ROUNDS && !asked.contains(&member))
                    {
                        self.forbid(&mut state, id, topic);
                    } else if !asked.contains(&member) {
                        fresh.insert(member);
                    }
                }
                fresh.into_iter().collect()
            };
            if fresh.is_empty() || round == RECHECK_ROUNDS {
                return;
            }
            asked.extend(fresh.iter().copied());
            let allowed: HashSet<MemberId> = match self
                .inner
                .hooks
                .recheck_topic(topic, fresh.clone())
                .await
            {
                Ok(allowed) => allowed.into_iter().collect(),
                Err(err) => {
                    warn!(%topic, error = %err, "topic re-check failed; dropping its subscribers");
                    HashSet::new()
                }
            };
            denied.extend(fresh.into_iter().filter(|m| !allowed.contains(m)));
        }
    }

    /// Re-fetches every topic this instance has subscribers for from where it last was. The bus
    /// calls it after reconnecting, since events published during the outage never arrived.
    pub fn resync_all(&self) {
        let jobs = {
            let mut state = self.state();
            let mut jobs = Vec::new();
            let topics: Vec<Topic> = state.topics.keys().copied().collect();
            for topic in topics {
                let Some(t) = state.topics.get_mut(&topic) else {
                    continue;
                };
                if let Some(fill) = &mut t.fill {
                    fill.again = true;
                    continue;
                }
                if let Some(after) = t.baseline() {
                    jobs.push(self.start_fill(&mut state, topic, after, Vec::new()));
                }
            }
            jobs
        };
        debug!(topics = jobs.len(), "resyncing topics after reconnect");
        self.spawn_fills(jobs);
    }

    /// Closes every socket of `member` on this instance (suspension, sign-out). Returns how many.
    pub fn disconnect_member(&self, member: MemberId, reason: CloseReason) -> usize {
        self.disconnect_member_except(member, None, reason)
    }

    /// Asks the application which topics `member` may still hold (their role or standing
    /// changed) and drops the rest, telling each socket with a `forbidden` error frame; or closes
    /// their sockets if the hook says so or fails.
    pub async fn recheck_member(&self, member: MemberId) {
        // Rounds, because a socket may join a topic while the hook runs, on the strength of a
        // check made before the change: such a topic is asked about in the next round, and a
        // topic found denied is dropped from every socket of the member that holds it now.
        let mut asked: HashSet<Topic> = HashSet::new();
        let mut denied: HashSet<Topic> = HashSet::new();
        for round in 0..=RECHECK_ROUNDS {
            let fresh: Vec<Topic> = {
                let mut state = self.state();
                self.forbid_member_topics(&mut state, member, |t| {
                    denied.contains(t) || (round == RECHECK_ROUNDS && !asked.contains(t))
                });
                let Some(ids) = state.members.get(&member) else {
                    return;
                };
                let set: BTreeSet<Topic> = ids
                    .iter()
                    .filter_map(|id| state.sockets.get(id))
                    .flat_map(|s| s.topics.iter().copied())
                    .filter(|t| !asked.contains(t))
                    .collect();
                set.into_iter().collect()
            };
            if fresh.is_empty() || round == RECHECK_ROUNDS {
                return;
            }
            asked.extend(fresh.iter().copied());
            match self.inner.hooks.recheck_member(member, fresh.clone()).await {
                Ok(MemberAccess::Retain(allowed)) => {
                    let allowed: HashSet<Topic> = allowed.into_iter().collect();
                    denied.extend(fresh.into_iter().filter(|t| !allowed.contains(t)));
                }
                Ok(MemberAccess::Disconnect(reason)) => {
                    self.disconnect_member(member, reason);
                    return;
                }
                Err(err) => {
                    warn!(%member, error = %err, "member re-check failed; closing their sockets");
                    self.disconnect_member(
                        member,
                        CloseReason::revoked("permissions changed: reconnect"),
                    );
                    return;
                }
            }
        }
    }

    /// Drops, from every socket of `member`, the topics `drop` picks (with a `forbidden` frame).
    fn forbid_member_topics(
        &self,
        state: &mut State,
        member: MemberId,
        drop: impl Fn(&Topic) -> bool,
    ) {
        let ids: Vec<SocketId> = state
            .members
            .get(&member)
            .map(|ids| ids.iter().copied().collect())
            .unwrap_or_default();
        for id in ids {
            let dropped: Vec<Topic> = state
                .sockets
                .get(&id)
                .map(|s| s.topics.iter().filter(|t| drop(t)).copied().collect())
                .unwrap_or_default();
            for topic in dropped {
                self.forbid(state, id, topic);
            }
        }
    }

    /// Re-checks every member connected here, one after another. The Redis bus calls it after a
    /// reconnect, because "disconnect member" and "role changed" messages sent during the outage
    /// were lost.
    pub async fn recheck_all_members(&self) {
        let members: Vec<MemberId> = self.state().members.keys().copied().collect();
        for member in members {
            self.recheck_member(member).await;
        }
    }

    /// Closes every socket (shutdown). Returns how many.
    pub fn close_all(&self, reason: CloseReason) -> usize {
        let mut state = self.state();
        let ids: Vec<SocketId> = state.sockets.keys().copied().collect();
        for id in &ids {
            state.kick(*id, reason.clone());
        }
        ids.len()
    }

    /// Members present in a room on this instance (holding at least one socket subscribed to
    /// it), sorted. Other instances' members are not included.
    pub fn room_presence(&self, room: RoomId) -> Vec<MemberId> {
        let state = self.state();
        let mut members: Vec<MemberId> = state
            .presence
            .get(&room)
            .map(|m| m.keys().copied().collect())
            .unwrap_or_default();
        members.sort();
        members
    }

    /// Every (room, member) present on this instance, for sharing with the other instances.
    pub fn all_presence(&self) -> Vec<(RoomId, MemberId)> {
        let state = self.state();
        state
            .presence
            .iter()
            .flat_map(|(room, members)| members.keys().map(move |m| (*room, *m)))
            .collect()
    }

    /// How many sockets each member holds here (members with none are left out): what this
    /// instance shares so that the socket cap holds across instances.
    pub fn socket_counts(&self) -> HashMap<MemberId, usize> {
        self.state()
            .members
            .iter()
            .filter(|(_, sockets)| !sockets.is_empty())
            .map(|(member, sockets)| (*member, sockets.len()))
            .collect()
    }

    /// Replaces what this hub knows of members' sockets on other instances; the socket cap
    /// ([`Hub::admit_session`]) counts them with this instance's own.
    pub fn set_sockets_elsewhere(&self, counts: HashMap<MemberId, usize>) {
        self.state().elsewhere = counts;
    }

    /// How many of `member`'s sockets here are in `room`.
    pub fn presence_count(&self, room: RoomId, member: MemberId) -> usize {
        self.state()
            .presence
            .get(&room)
            .and_then(|m| m.get(&member))
            .copied()
            .unwrap_or(0)
    }

    /// Counts for `/metrics`.
    pub fn stats(&self) -> HubStats {
        let (sockets, topics, subscriptions) = {
            let state = self.state();
            (
                state.sockets.len(),
                state.topics.len(),
                state.topics.values().map(|t| t.subscribers.len()).sum(),
            )
        };
        let c = &self.inner.counters;
        HubStats {
            sockets,
            topics,
            subscriptions,
            frames_queued: c.frames_queued.load(Ordering::Relaxed),
            slow_disconnects: c.slow_disconnects.load(Ordering::Relaxed),
            gap_fills: c.gap_fills.load(Ordering::Relaxed),
            duplicates_dropped: c.duplicates_dropped.load(Ordering::Relaxed),
            gaps_abandoned: c.gaps_abandoned.load(Ordering::Relaxed),
        }
    }

    // ---- internals; all of these run with the state lock held ----

    /// Drops a socket's subscription that is no longer allowed and tells it with a `forbidden`
    /// error frame (closing it if even that frame does not fit its queue).
    fn forbid(&self, state: &mut State, id: SocketId, topic: Topic) {
        state.remove_subscription(id, topic);
        let frame: Frame = ProtocolError::Forbidden { topic }
            .to_message()
            .to_text()
            .into();
        if let Some(Doom::TooSlow) = state.try_queue(id, frame) {
            state.kick(id, CloseReason::too_slow());
            Counters::bump(&self.inner.counters.slow_disconnects);
        }
    }

    /// Takes one event in: duplicate, next in line, or a gap.
    fn ingest(&self, state: &mut State, envelope: Envelope, jobs: &mut Vec<FillJob>) {
        let topic = envelope.topic();
        let Some(t) = state.topics.get_mut(&topic) else {
            // Nobody here listens to this topic; nothing to track.
            return;
        };
        if let Some(fill) = &mut t.fill {
            if fill.buffer.len() < self.inner.config.fill_buffer_limit {
                fill.buffer.push(envelope);
                return;
            }
            // The fill is taking too long for the traffic: give up on it (the hook's late
            // answer will be ignored), tell subscribers, and carry on from the buffer.
            warn!(%topic, "gap fill buffer overflowed; abandoning the fill");
            let mut buffered = t.fill.take().map(|f| f.buffer).unwrap_or_default();
            buffered.push(envelope);
            self.abandon_gap(state, topic, buffered, jobs);
            return;
        }
        let seq = envelope.seq();
        match t.baseline() {
            Some(last) if seq <= last => {
                // Also drops the echo of an event already delivered locally.
                Counters::bump(&self.inner.counters.duplicates_dropped);
            }
            Some(last) if seq > last + 1 => {
                debug!(%topic, last, seq, "gap detected");
                let job = self.start_fill(state, topic, last, vec![envelope]);
                jobs.push(job);
            }
            _ => {
                t.last_seq = Some(seq);
                self.fan_out(state, &envelope);
            }
        }
    }

    /// Parks a topic and returns the fill to run.
    fn start_fill(
        &self,
        state: &mut State,
        topic: Topic,
        after: i64,
        buffer: Vec<Envelope>,
    ) -> FillJob {
        state.next_fill += 1;
        let id = state.next_fill;
        if let Some(t) = state.topics.get_mut(&topic) {
            t.fill = Some(PendingFill {
                id,
                buffer,
                again: false,
            });
        }
        Counters::bump(&self.inner.counters.gap_fills);
        FillJob { topic, after, id }
    }

    /// Sends one event to every subscriber of its topic that has not had it, closing the
    /// sockets whose queue is full.
    fn fan_out(&self, state: &mut State, envelope: &Envelope) {
        let State {
            sockets, topics, ..
        } = state;
        let Some(t) = topics.get_mut(&envelope.topic()) else {
            return;
        };
        let seq = envelope.seq();
        let limit = self.inner.config.catch_up_buffer_limit;
        let mut doomed = Vec::new();
        for (id, sub) in &mut t.subscribers {
            if sub.last_sent.is_some_and(|last| seq <= last) {
                continue;
            }
            if let Some(buffer) = &mut sub.catch_up {
                if buffer.len() < limit {
                    buffer.push(envelope.clone());
                } else {
                    doomed.push((*id, Doom::TooSlow));
                }
                continue;
            }
            let Some(socket) = sockets.get(id) else {
                doomed.push((*id, Doom::Gone));
                continue;
            };
            match socket.queue.try_send(envelope.frame().clone()) {
                Ok(()) => {
                    sub.last_sent = Some(seq);
                    Counters::bump(&self.inner.counters.frames_queued);
                }
                Err(mpsc::error::TrySendError::Full(_)) => doomed.push((*id, Doom::TooSlow)),
                Err(mpsc::error::TrySendError::Closed(_)) => doomed.push((*id, Doom::Gone)),
            }
        }
        for (id, doom) in doomed {
            match doom {
                Doom::TooSlow => {
                    debug!(%id, "socket too slow; closing it");
                    Counters::bump(&self.inner.counters.slow_disconnects);
                    state.kick(id, CloseReason::too_slow());
                }
                Doom::Gone => {
                    state.remove_socket(id);
                }
            }
        }
    }

    /// Gives up on a gap: fans out what is buffered from its first event on and tells the
    /// topic's subscribers to reload it.
    fn abandon_gap(
        &self,
        state: &mut State,
        topic: Topic,
        mut buffered: Vec<Envelope>,
        jobs: &mut Vec<FillJob>,
    ) {
        Counters::bump(&self.inner.counters.gaps_abandoned);
        buffered.sort_by_key(Envelope::seq);
        let frame: Frame = ProtocolError::CatchUpFailed { topic }
            .to_message()
            .to_text()
            .into();
        let ids: Vec<SocketId> = state
            .topics
            .get(&topic)
            .map(|t| t.subscribers.keys().copied().collect())
            .unwrap_or_default();
        for id in ids {
            if let Some(Doom::TooSlow) = state.try_queue(id, frame.clone()) {
                Counters::bump(&self.inner.counters.slow_disconnects);
                state.kick(id, CloseReason::too_slow());
            }
        }
        if let (Some(t), Some(first)) = (state.topics.get_mut(&topic), buffered.first()) {
            // Accept the hole: continue from just before the first event we do have.
            let resume = first.seq() - 1;
            if t.last_seq.is_none_or(|last| last < resume) {
                t.last_seq = Some(resume);
            }
        }
        for envelope in buffered {
            self.ingest(state, envelope, jobs);
        }
    }

    fn spawn_fills(&self, jobs: Vec<FillJob>) {
        for job in jobs {
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => {
                    let hub = self.clone();
                    runtime.spawn(async move { hub.run_fill(job).await });
                }
                Err(_) => {
                    // Only reachable when called outside tokio (the buses always run inside
                    // it). Treat the fill as failed: the gap is skipped and subscribers are
                    // told to reload; any fill that triggers is failed the same way.
                    warn!(topic = %job.topic, "no async runtime to fill a gap; skipping it");
                    let mut pending = vec![job];
                    while let Some(job) = pending.pop() {
                        let mut state = self.state();
                        let failed = Err(HookError("no async runtime".to_owned()));
                        self.finish_fill(&mut state, job, failed, &mut pending);
                    }
                }
            }
        }
    }

    async fn run_fill(&self, job: FillJob) {
        let mut delay = self.inner.config.fill_retry_delay;
        let mut attempt = 0;
        let result = loop {
            match self.inner.hooks.events_since(job.topic, job.after).await {
                Ok(events) => break Ok(events),
                Err(err) if attempt < self.inner.config.fill_retries => {
                    debug!(topic = %job.topic, error = %err, attempt, "gap fill failed; retrying");
                    attempt += 1;
                    tokio::time::sleep(delay).await;
                    delay = delay.saturating_mul(2);
                }
                Err(err) => break Err(err),
            }
        };
        let jobs = {
            let mut state = self.state();
            let mut jobs = Vec::new();
            self.finish_fill(&mut state, job, result, &mut jobs);
            jobs
        };
        self.spawn_fills(jobs);
    }

    /// Applies a fill's result: the fetched events in order, then the buffer.
    fn finish_fill(
        &self,
        state: &mut State,
        job: FillJob,
        result: Result<Vec<Envelope>, HookError>,
        jobs: &mut Vec<FillJob>,
    ) {
        let topic = job.topic;
        let Some(t) = state.topics.get_mut(&topic) else {
            return; // Everyone left meanwhile.
        };
        if t.fill.as_ref().is_none_or(|f| f.id != job.id) {
            return; // Superseded (abandoned, or the topic was emptied and re-created).
        }
        let Some(fill) = t.fill.take() else {
            return;
        };
        let mut buffered = fill.buffer;
        let buffered_was_empty = buffered.is_empty();
        buffered.sort_by_key(Envelope::seq);
        let before = t.baseline();
        let result_failed = result.is_err();
        let fetched_any = result.as_ref().is_ok_and(|events| !events.is_empty());
        match result {
            Ok(mut events) => {
                events.retain(|e| e.topic() == topic);
                events.sort_by_key(Envelope::seq);
                for event in events {
                    let Some(t) = state.topics.get_mut(&topic) else {
                        return;
                    };
                    if t.baseline().is_none_or(|last| event.seq() > last) {
                        t.last_seq = Some(event.seq());
                        self.fan_out(state, &event);
                    }
                }
            }
            Err(err) => {
                warn!(%topic, error = %err, "gap fill failed");
            }
        }
        let failed = result_failed;
        let progressed = state
            .topics
            .get(&topic)
            .is_some_and(|t| t.baseline() != before);
        let still_gap = match (state.topics.get(&topic), buffered.first()) {
            (Some(t), Some(first)) => t.baseline().is_some_and(|last| first.seq() > last + 1),
            _ => false,
        };
        if failed || (still_gap && !progressed) {
            // The database could not be read, or had nothing to close the gap: do not loop.
            // Subscribers are told to reload the topic.
            warn!(%topic, "could not fill a gap; continuing without it");
            self.abandon_gap(state, topic, buffered, jobs);
        } else {
            for envelope in buffered {
                self.ingest(state, envelope, jobs);
            }
        }
        // Fetch again if asked to (a reconnect during the fill), or if a fill with nothing
        // waiting behind it (a resync) brought events: the hook may answer a page at a time,
        // and only an answer with nothing new says the topic is complete.
        let more = fill.again || (fetched_any && progressed && buffered_was_empty);
        if more
            && let Some(t) = state.topics.get(&topic)
            && t.fill.is_none()
            && let Some(after) = t.baseline()
        {
            jobs.push(self.start_fill(state, topic, after, Vec::new()));
        }
    }
}

/// One socket's catch-up in progress: sends history in order, remembering how far it got.
/// Runs with the hub's lock released; waits for room in the socket's own queue.
struct CatchUp<'a> {
    hub: &'a Hub,
    socket: SocketId,
    queue: &'a mpsc::Sender<Frame>,
    topic: Topic,
    /// The last sequence number the socket has (been sent or told it has).
    last: i64,
    sent: usize,
}

impl CatchUp<'_> {
    async fn send(&mut self, event: &Envelope) -> Result<(), SubscribeError> {
        if event.topic() != self.topic || event.seq() <= self.last {
            return Ok(());
        }
        // A re-check may have taken the topic away while history was being sent (a thread
        // moved to a staff board): stop at once, as for a socket unsubscribed meanwhile.
        if !self.hub.is_subscribed(self.socket, self.topic) {
            return Err(SubscribeError::SocketClosed);
        }
        self.queue
            .send(event.frame().clone())
            .await
            .map_err(|_| SubscribeError::SocketClosed)?;
        Counters::bump(&self.hub.inner.counters.frames_queued);
        self.last = event.seq();
        self.sent += 1;
        Ok(())
    }

    async fn send_all(&mut self, mut events: Vec<Envelope>) -> Result<(), SubscribeError> {
        events.sort_by_key(Envelope::seq);
        for event in &events {
            self.send(event).await?;
        }
        Ok(())
    }

    /// Fetches and sends further pages after the first, until a fetch brings nothing new.
    /// Returns the error if a later page could not be fetched.
    async fn send_remaining_pages(&mut self) -> Result<Option<HookError>, SubscribeError> {
        loop {
            let before = self.last;
            match self.hub.inner.hooks.events_since(self.topic, before).await {
                Ok(events) => self.send_all(events).await?,
                Err(err) => {
                    warn!(topic = %self.topic, error = %err, "catch-up fetch failed");
                    return Ok(Some(err));
                }
            }
            if self.last == before {
                return Ok(None);
            }
        }
    }

    /// Sends live events that were buffered during the catch-up. A hole before one of them
    /// (an event lost on the bus while this socket was not yet live, which the topic-level
    /// check may not have seen) is filled from the backfill hook first; if it cannot be, the
    /// event is sent anyway rather than held back forever.
    async fn send_buffered(&mut self, mut pending: Vec<Envelope>) -> Result<(), SubscribeError> {
        pending.sort_by_key(Envelope::seq);
        for event in &pending {
            if event.seq() > self.last + 1 {
                match self
                    .hub
                    .inner
                    .hooks
                    .events_since(self.topic, self.last)
                    .await
                {
                    Ok(mut missing) => {
                        missing.retain(|e| e.seq() < event.seq());
                        self.send_all(missing).await?;
                    }
                    Err(err) => {
                        warn!(topic = %self.topic, error = %err, "could not fill a catch-up hole");
                    }
                }
            }
            self.send(event).await?;
        }
        Ok(())
    }
}

impl State {
    /// Removes a socket from every map. Returns its entry if it was there.
    fn remove_socket(&mut self, id: SocketId) -> Option<SocketEntry> {
        let entry = self.sockets.remove(&id)?;
        for topic in &entry.topics {
            self.drop_subscriber(id, entry.member, *topic);
        }
        if let Some(ids) = self.members.get_mut(&entry.member) {
            ids.remove(&id);
            if ids.is_empty() {
                self.members.remove(&entry.member);
            }
        }
        Some(entry)
    }

    fn remove_subscription(&mut self, id: SocketId, topic: Topic) -> bool {
        let Some(entry) = self.sockets.get_mut(&id) else {
            return false;
        };
        if !entry.topics.remove(&topic) {
            return false;
        }
        let member = entry.member;
        self.drop_subscriber(id, member, topic);
        true
    }

    /// The topic- and presence-side half of removing a subscription.
    fn drop_subscriber(&mut self, id: SocketId, member: MemberId, topic: Topic) {
        if let Some(t) = self.topics.get_mut(&topic) {
            t.subscribers.remove(&id);
            if t.subscribers.is_empty() {
                // Forget the topic entirely: with no one listening there is nothing to order,
                // and an in-flight fill for it will find it gone (or superseded) and stop.
                self.topics.remove(&topic);
            }
        }
        if let Some(room) = topic.room()
            && let Some(members) = self.presence.get_mut(&room)
        {
            if let Some(count) = members.get_mut(&member) {
                *count = count.saturating_sub(1);
                if *count == 0 {
                    members.remove(&member);
                    if let Some(tx) = &self.departures {
                        // Nobody watching (the receiver was dropped) is fine: nothing to tell.
                        let _ = tx.send(Departure { room, member });
                    }
                }
            }
            if members.is_empty() {
                self.presence.remove(&room);
            }
        }
    }

    /// Removes a socket and asks its writer to close it.
    fn kick(&mut self, id: SocketId, reason: CloseReason) {
        if let Some(entry) = self.remove_socket(id) {
            // A full close queue means a close is already on its way.
            let _ = entry.close.try_send(reason);
        }
    }

    /// Queues a non-event frame without waiting. `Some(doom)` if the socket must go.
    fn try_queue(&mut self, id: SocketId, frame: Frame) -> Option<Doom> {
        let socket = self.sockets.get(&id)?;
        match socket.queue.try_send(frame) {
            Ok(()) => None,
            Err(mpsc::error::TrySendError::Full(_)) => Some(Doom::TooSlow),
            Err(mpsc::error::TrySendError::Closed(_)) => {
                self.remove_socket(id);
                None
            }
        }
    }
}
