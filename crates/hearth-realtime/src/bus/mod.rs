//! How events and control messages reach every instance's hub.
//!
//! Two kinds, one [`Bus`] type:
//! - **in-process** (the embedded default, one instance): publishing delivers straight to the
//!   local hub;
//! - **Redis pub/sub** (`REDIS_URL`): publishing delivers to the local hub at once and `PUBLISH`es
//!   on one channel; each instance keeps one dedicated subscriber connection that feeds its hub.
//!
//! Redis pub/sub is at-most-once, and that is fine here: every event is already in the database
//! with its sequence number before it is published. A lost message shows up as a gap at the next
//! event and is filled from the database; after the subscriber reconnects, the hub re-fetches
//! every topic it has subscribers for and re-checks every connected member (control messages sent
//! during the outage were lost too). Publishing while Redis is down fails fast with an error the
//! caller can log and ignore; the event is safe in the database.

mod presence;
mod subscriber;
mod wire;

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures_util::StreamExt;
use hearth_core::ids::{MemberId, RoomId};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::{debug, info, warn};
use uuid::Uuid;

use crate::envelope::Envelope;
use crate::hub::{CloseReason, Hub};
use crate::protocol::Topic;

/// Where the bus stands, for `/readyz` and `/metrics`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BusState {
    /// In-process bus: always ready.
    InProcess,
    /// The Redis subscriber connection is up.
    Connected {
        /// When it came up.
        since: SystemTime,
    },
    /// The Redis subscriber connection is down and being retried.
    Disconnected {
        /// When it went down (or when the first attempt started).
        since: SystemTime,
        /// Failed attempts since then.
        attempts: u32,
        /// The last failure, for operators. Never carries message content.
        last_error: Option<String>,
    },
}

impl BusState {
    /// Whether events published now reach every instance.
    pub fn is_ready(&self) -> bool {
        !matches!(self, BusState::Disconnected { .. })
    }

    /// A short label for metrics: `in_process`, `connected` or `disconnected`.
    pub fn label(&self) -> &'static str {
        match self {
            BusState::InProcess => "in_process",
            BusState::Connected { .. } => "connected",
            BusState::Disconnected { .. } => "disconnected",
        }
    }
}

/// Why publishing (or building a bus) failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BusError {
    /// Redis refused or dropped the command.
    #[error("bus unavailable: {0}")]
    Unavailable(String),
    /// Redis did not answer within [`RedisBusConfig::publish_timeout`].
    #[error("bus did not answer within {0:?}")]
    Timeout(Duration),
    /// The Redis URL or setup is wrong.
    #[error("bus configuration: {0}")]
    Config(String),
    /// The message could not be encoded.
    #[error("could not encode a bus message: {0}")]
    Encode(String),
}

/// Settings for the Redis bus. `Debug` hides the URL's password.
#[derive(Clone)]
pub struct RedisBusConfig {
    /// `REDIS_URL`, e.g. `redis://:password@host:6379/0`.
    pub url: String,
    /// The pub/sub channel every instance uses, for events and control messages alike. Give
    /// each deployment sharing a Redis its own.
    pub channel: String,
    /// Longest wait to open a connection (and to subscribe on it).
    pub connect_timeout: Duration,
    /// Longest wait for a `PUBLISH`; past it the publish fails, never hangs.
    pub publish_timeout: Duration,
    /// First pause before reconnecting the subscriber; doubled each failed attempt.
    pub backoff_min: Duration,
    /// Longest pause between reconnect attempts.
    pub backoff_max: Duration,
    /// How often the subscriber pings Redis, to notice a silently dead connection.
    pub health_check_interval: Duration,
}

impl RedisBusConfig {
    /// The default pub/sub channel, for a bus made without a deployment id (tests of the bus).
    pub const DEFAULT_CHANNEL: &'static str = "hearth:events";

    /// The channel of one deployment: two deployments sharing a Redis server never hear each
    /// other, because each listens only on the channel named with its own id.
    pub fn channel_for(deployment: &str) -> String {
        format!("hearth:{deployment}:events")
    }

    /// Defaults for everything but the URL.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            channel: Self::DEFAULT_CHANNEL.to_owned(),
            connect_timeout: Duration::from_secs(2),
            publish_timeout: Duration::from_secs(1),
            backoff_min: Duration::from_millis(100),
            backoff_max: Duration::from_secs(10),
            health_check_interval: Duration::from_secs(15),
        }
    }
}

impl fmt::Debug for RedisBusConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisBusConfig")
            .field("url", &redact_url(&self.url))
            .field("channel", &self.channel)
            .field("connect_timeout", &self.connect_timeout)
            .field("publish_timeout", &self.publish_timeout)
            .field("backoff_min", &self.backoff_min)
            .field("backoff_max", &self.backoff_max)
            .field("health_check_interval", &self.health_check_interval)
            .finish()
    }
}

/// `redis://user:secret@host` -> `redis://***@host`.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme + 3 => {
            format!("{}***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

/// Carries events and control messages to every instance's hub. Cheap to clone; the Redis
/// subscriber task stops when the last clone is dropped.
#[derive(Clone)]
pub struct Bus {
    inner: Arc<BusInner>,
}

impl fmt::Debug for Bus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bus")
            .field("state", &*self.inner.state.borrow())
            .finish_non_exhaustive()
    }
}

struct BusInner {
    hub: Hub,
    kind: Kind,
    state: watch::Receiver<BusState>,
    /// Keeps the in-process bus's state channel open; unused for Redis (its task owns it).
    _state_tx: Option<watch::Sender<BusState>>,
    subscriber: Option<JoinHandle<()>>,
}

impl Drop for BusInner {
    fn drop(&mut self) {
        if let Some(task) = &self.subscriber {
            task.abort();
        }
    }
}

enum Kind {
    InProcess,
    Redis(RedisPublisher),
}

struct RedisPublisher {
    /// Multiplexed and self-reconnecting; created lazily so start-up never waits on Redis.
    connection: redis::aio::ConnectionManager,
    channel: String,
    publish_timeout: Duration,
    /// This instance, so the subscriber can skip its own messages (already applied locally).
    origin: Uuid,
    /// What this instance last shared of its presence, so members who left are removed at once
    /// rather than when their entry expires. Locked briefly by `share_presence` only.
    shared_presence: std::sync::Mutex<HashSet<(RoomId, MemberId)>>,
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub use presence::PRESENCE_TTL_SECS;
use subscriber::Subscriber;
use wire::{BodyOut, WireOut};

impl Bus {
    /// The single-instance bus: publishing goes straight to `hub`.
    pub fn in_process(hub: Hub) -> Self {
        let (state_tx, state) = watch::channel(BusState::InProcess);
        Self {
            inner: Arc::new(BusInner {
                hub,
                kind: Kind::InProcess,
                state,
                _state_tx: Some(state_tx),
                subscriber: None,
            }),
        }
    }

    /// The Redis bus. Does not wait for Redis: the subscriber connects (and reconnects) on its
    /// own task, and [`Bus::state`] says how it is going. Fails only on a malformed URL or when
    /// called outside a tokio runtime.
    pub fn redis(hub: Hub, config: RedisBusConfig) -> Result<Self, BusError> {
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| BusError::Config("the Redis bus needs a tokio runtime".to_owned()))?;
        let client = redis::Client::open(config.url.as_str())
            .map_err(|err| BusError::Config(format!("invalid Redis URL: {err}")))?;
        let manager_config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(config.connect_timeout))
            .set_response_timeout(Some(config.publish_timeout))
            .set_number_of_retries(1)
            .set_max_delay(config.backoff_max);
        let connection =
            redis::aio::ConnectionManager::new_lazy_with_config(client.clone(), manager_config)
                .map_err(|err| BusError::Config(err.to_string()))?;
        let origin = Uuid::new_v4();
        let (state_tx, state) = watch::channel(BusState::Disconnected {
            since: SystemTime::now(),
            attempts: 0,
            last_error: None,
        });
        let subscriber = Subscriber {
            hub: hub.clone(),
            client,
            config: config.clone(),
            origin,
            state: state_tx,
        };
        let task = runtime.spawn(subscriber.run());
        Ok(Self {
            inner: Arc::new(BusInner {
                hub,
                kind: Kind::Redis(RedisPublisher {
                    connection,
                    channel: config.channel,
                    publish_timeout: config.publish_timeout,
                    origin,
                    shared_presence: std::sync::Mutex::new(HashSet::new()),
                }),
                state,
                _state_tx: None,
                subscriber: Some(task),
            }),
        })
    }

    /// The local hub this bus feeds.
    pub fn hub(&self) -> &Hub {
        &self.inner.hub
    }

    /// Follows the bus's state (for `/readyz`, `/metrics`, and tests waiting for a reconnect).
    pub fn state(&self) -> watch::Receiver<BusState> {
        self.inner.state.clone()
    }

    /// The bus's state now.
    pub fn current_state(&self) -> BusState {
        self.inner.state.borrow().clone()
    }

    /// Publishes an event already stored in the database. Local sockets get it at once; with
    /// Redis, an error means other instances will get it late (by gap fill), not never.
    ///
    /// The envelope is the event as stored (ids and kinds): that is what crosses Redis. Each
    /// instance renders it through the read model before its own sockets see it.
    pub async fn publish(&self, envelope: Envelope) -> Result<(), BusError> {
        // Local sockets first: they should not wait on Redis, and cannot be affected by it.
        self.inner.hub.deliver_rendered(envelope.clone()).await;
        self.send_remote(BodyOut::Event {
            topic: envelope.topic(),
            seq: envelope.seq(),
            event: envelope.event(),
        })
        .await
    }

    /// Publishes several events already stored in the database (say, a post's thread and board
    /// events): local sockets get them at once, in order, and with Redis they go out in one
    /// pipelined round trip. An error means as for [`Bus::publish`].
    pub async fn publish_all(&self, envelopes: &[Envelope]) -> Result<(), BusError> {
        for envelope in envelopes {
            self.inner.hub.deliver_rendered(envelope.clone()).await;
        }
        let Kind::Redis(publisher) = &self.inner.kind else {
            return Ok(());
        };
        let mut pipe = redis::pipe();
        for envelope in envelopes {
            let payload = serde_json::to_string(&WireOut {
                origin: publisher.origin,
                body: BodyOut::Event {
                    topic: envelope.topic(),
                    seq: envelope.seq(),
                    event: envelope.event(),
                },
            })
            .map_err(|err| BusError::Encode(err.to_string()))?;
            pipe.cmd("PUBLISH")
                .arg(&publisher.channel)
                .arg(payload)
                .ignore();
        }
        let mut connection = publisher.connection.clone();
        match tokio::time::timeout(
            publisher.publish_timeout,
            pipe.query_async::<()>(&mut connection),
        )
        .await
        {
            Ok(Ok(())) => Ok(()),
            Ok(Err(err)) => Err(BusError::Unavailable(err.to_string())),
            Err(_) => Err(BusError::Timeout(publisher.publish_timeout)),
        }
    }

    /// Closes `member`'s sockets on every instance (suspension, ban, sign-out everywhere).
    /// Local sockets close even if the broadcast fails; other instances then close theirs when
    /// they re-check members after reconnecting.
    pub async fn disconnect_member(
        &self,
        member: MemberId,
        reason: CloseReason,
    ) -> Result<(), BusError> {
        self.disconnect_member_except(member, None, reason).await
    }

    /// Closes `member`'s sockets on every instance except those of the session tagged `keep`
    /// (a password change ends the member's other sessions, not the one that changed it).
    pub async fn disconnect_member_except(
        &self,
        member: MemberId,
        keep: Option<&str>,
        reason: CloseReason,
    ) -> Result<(), BusError> {
        self.inner
            .hub
            .disconnect_member_except(member, keep, reason.clone());
        self.send_remote(BodyOut::DisconnectMember {
            member,
            code: reason.code,
            reason: &reason.reason,
            keep,
        })
        .await
    }

    /// Closes the sockets of one sign-in session on every instance (sign-out, expiry).
    pub async fn disconnect_session(&self, tag: &str, reason: CloseReason) -> Result<(), BusError> {
        self.inner.hub.disconnect_session(tag, reason.clone());
        self.send_remote(BodyOut::DisconnectSession {
            tag,
            code: reason.code,
            reason: &reason.reason,
        })
        .await
    }

    /// Tells every instance to re-check who may hold `topic` (a thread moved or hidden, a
    /// board's audience narrowed). The local re-check is finished before this returns, so an
    /// event published after it never reaches a socket that lost the right to it here.
    pub async fn recheck_topic(&self, topic: Topic) -> Result<(), BusError> {
        self.inner.hub.recheck_topic(topic).await;
        self.send_remote(BodyOut::RecheckTopic { topic }).await
    }

    /// Tells every instance that `member`'s role or standing changed, so each re-checks the
    /// topics their sockets hold.
    pub async fn member_role_changed(&self, member: MemberId) -> Result<(), BusError> {
        self.inner.hub.recheck_member(member).await;
        self.send_remote(BodyOut::RoleChanged { member }).await
    }

    async fn send_remote(&self, body: BodyOut<'_>) -> Result<(), BusError> {
        let Kind::Redis(publisher) = &self.inner.kind else {
            return Ok(());
        };
        let payload = serde_json::to_string(&WireOut {
            origin: publisher.origin,
            body,
        })
        .map_err(|err| BusError::Encode(err.to_string()))?;
        let mut connection = publisher.connection.clone();
        let command = redis::cmd("PUBLISH")
            .arg(&publisher.channel)
            .arg(payload)
            .to_owned();
        match tokio::time::timeout(
            publisher.publish_timeout,
            command.query_async::<i64>(&mut connection),
        )
        .await
        {
            Ok(Ok(_receivers)) => Ok(()),
            Ok(Err(err)) => Err(BusError::Unavailable(err.to_string())),
            Err(_) => Err(BusError::Timeout(publisher.publish_timeout)),
        }
    }
}
