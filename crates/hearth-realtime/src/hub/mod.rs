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

mod api;
mod catch_up;
mod fan_out;
mod presence;
mod recheck;
mod socket;

pub use api::*;
pub use socket::{SocketHandle, SocketOutput};

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
}
