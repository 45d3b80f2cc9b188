//! The wire protocol of `GET /api/ws` (DESIGN.md, "Realtime protocol"): JSON text frames, each an
//! object whose `type` says what it is.
//!
//! Parsing is the only place where untrusted bytes meet this crate, so it is defensive: the frame
//! size is checked before any JSON is read, `serde_json`'s own recursion limit stops deep nesting,
//! list lengths are checked after, and every failure becomes a [`ProtocolError`] that maps to an
//! `error` frame. Nothing here panics on input.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use hearth_core::ids::{BoardId, MemberId, RoomId, ThreadId};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

/// What a socket can subscribe to. Each topic has its own sequence of events, numbered from 1 by
/// the database, which is what makes gap detection and catch-up possible.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Topic {
    /// New, edited and removed posts of one thread.
    Thread(ThreadId),
    /// Thread-level activity on one board (new threads, last activity, pins, moves).
    Board(BoardId),
    /// A chat room's messages and presence.
    Room(RoomId),
    /// The moderators' queue of held content. Only moderators may hold it: held content never
    /// reaches anyone else.
    ModQueue,
    /// One member's own notifications (decisions on their content, replies).
    Member(MemberId),
    /// The chat messages of one room that the rules held, for the staff in that room: only
    /// moderators and admins may hold it, so held text is shown where it was said without ever
    /// reaching a member's socket (the room's own topic carries published messages only).
    RoomHeld(RoomId),
    /// Applications to join arriving and being decided (events carry no applicant's details,
    /// only that the waiting list changed). Only admins may hold it: they decide applications.
    Applications,
    /// Chat rooms opening and closing (a moderator arriving in, or the last one leaving, a room
    /// open only while one is here), for the chat list: ids only. Anyone who may read the forum
    /// may hold it, and holding it is not being present in any room.
    Rooms,
}

/// Why a topic string was refused. The message never echoes the input, so it is safe to log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid topic: expected thread:<uuid>, board:<uuid>, room:<uuid>, roomheld:<uuid>, member:<uuid>, modqueue, applications or rooms"
)]
pub struct TopicParseError;

impl Topic {
    /// The room this topic is about, if it is a chat room: presence is counted for those.
    pub fn room(&self) -> Option<RoomId> {
        match self {
            Topic::Room(room) => Some(*room),
            _ => None,
        }
    }
}

impl FromStr for Topic {
    type Err = TopicParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "modqueue" {
            return Ok(Topic::ModQueue);
        }
        if s == "applications" {
            return Ok(Topic::Applications);
        }
        if s == "rooms" {
            return Ok(Topic::Rooms);
        }
        let (kind, id) = s.split_once(':').ok_or(TopicParseError)?;
        // `Uuid::parse_str` accepts several spellings (braced, urn:...); only the hyphenated
        // form round-trips through Display, so insist on it to keep one name per topic.
        if id.len() != 36 {
            return Err(TopicParseError);
        }
        let id = Uuid::parse_str(id).map_err(|_| TopicParseError)?;
        match kind {
            "thread" => Ok(Topic::Thread(ThreadId(id))),
            "board" => Ok(Topic::Board(BoardId(id))),
            "room" => Ok(Topic::Room(RoomId(id))),
            "member" => Ok(Topic::Member(MemberId(id))),
            "roomheld" => Ok(Topic::RoomHeld(RoomId(id))),
            _ => Err(TopicParseError),
        }
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Topic::Thread(id) => write!(f, "thread:{id}"),
            Topic::Board(id) => write!(f, "board:{id}"),
            Topic::Room(id) => write!(f, "room:{id}"),
            Topic::ModQueue => f.write_str("modqueue"),
            Topic::Member(id) => write!(f, "member:{id}"),
            Topic::RoomHeld(id) => write!(f, "roomheld:{id}"),
            Topic::Applications => f.write_str("applications"),
            Topic::Rooms => f.write_str("rooms"),
        }
    }
}

impl Serialize for Topic {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Topic {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = Cow::<'de, str>::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A frame the client sends. The `type` field picks the variant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    /// Start receiving events on these topics. `since` maps a topic to the last sequence number
    /// the client has seen, so a reconnecting client is sent what it missed before live events.
    Subscribe {
        /// The topics to add.
        topics: Vec<Topic>,
        /// Last seen sequence number per topic; topics absent here start live.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        since: BTreeMap<Topic, i64>,
    },
    /// Stop receiving events on these topics.
    Unsubscribe {
        /// The topics to drop.
        topics: Vec<Topic>,
    },
    /// Post a chat message. The answer is an `ack` carrying the same `client_id`.
    Say {
        /// The room to post in.
        room: RoomId,
        /// The message text. Member text: never logged.
        body: String,
        /// The client's own id for this message, echoed in the `ack` so it can match them.
        client_id: Uuid,
    },
    /// Application-level heartbeat (browsers cannot send WebSocket pings); answered by `pong`.
    Ping,
}

/// The `type` values a client may send, for telling "unknown type" apart from "bad message".
const CLIENT_TYPES: [&str; 4] = ["subscribe", "unsubscribe", "say", "ping"];

/// What became of a `say`: the moderation verdict as the author sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AckStatus {
    /// Visible to the room now.
    Published,
    /// Waiting for a moderator; only the author and moderators see it.
    Held,
    /// Not stored as visible; `reason` says why.
    Rejected,
}

/// A frame the server sends. Built and serialised here so the wire format lives in one place.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// An event on a subscribed topic. `seq` increases by one per topic.
    Event {
        /// The topic the event belongs to.
        topic: Topic,
        /// The event's sequence number within its topic.
        seq: i64,
        /// The event itself (`{"kind": ..., ...}`), as `hearth-app` produced it.
        event: serde_json::Value,
    },
    /// The answer to a `say`.
    Ack {
        /// The client's id for the message.
        client_id: Uuid,
        /// What moderation decided.
        status: AckStatus,
        /// Shown to the author when held or rejected, or alongside crisis support.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        /// Support resources to show the author at once: the rules saw a crisis.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        signpost: Vec<hearth_core::moderation::Signpost>,
    },
    /// Something the client sent could not be honoured. The socket stays open.
    Error {
        /// Stable snake_case code for programs.
        code: String,
        /// A sentence for people.
        message: String,
    },
    /// The answer to a `ping`.
    Pong,
}

/// The same shape as [`ServerMessage::Event`], borrowing, so an envelope's frame is written
/// without cloning the event value.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ServerMessageRef<'a> {
    Event {
        topic: &'a Topic,
        seq: i64,
        event: &'a serde_json::Value,
    },
}

/// Serialises an event frame exactly as [`ServerMessage::Event`] would.
pub(crate) fn event_frame(
    topic: &Topic,
    seq: i64,
    event: &serde_json::Value,
) -> Result<String, serde_json::Error> {
    serde_json::to_string(&ServerMessageRef::Event { topic, seq, event })
}

impl ServerMessage {
    /// The frame text. Serialising these types cannot fail (string keys, no non-finite floats
    /// can be built from JSON), but rather than panic, a failure yields an `internal` error frame.
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| {
            r#"{"type":"error","code":"internal","message":"could not encode a frame"}"#.to_owned()
        })
    }
}

/// Limits applied to every client frame before and after parsing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProtocolLimits {
    /// Largest text frame accepted, in bytes. A chat message is a few KiB at most; anything
    /// much larger is a mistake or an attack. The server should also set the same limit on the
    /// WebSocket upgrade so oversized frames are refused before they are buffered whole.
    pub max_frame_bytes: usize,
    /// Most topics one `subscribe`/`unsubscribe` may name (and entries in `since`).
    pub max_topics_per_message: usize,
}

impl Default for ProtocolLimits {
    fn default() -> Self {
        Self {
            max_frame_bytes: 16 * 1024,
            max_topics_per_message: 64,
        }
    }
}

/// Why a client frame (or request) was refused. Each maps to an `error` frame with a stable code.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// The frame exceeds [`ProtocolLimits::max_frame_bytes`].
    #[error("frame of {size} bytes is larger than the limit of {limit} bytes")]
    FrameTooLarge {
        /// Bytes received.
        size: usize,
        /// Bytes allowed.
        limit: usize,
    },
    /// Not JSON, not an object, a missing or mistyped field, a bad topic...
    #[error("bad message: {0}")]
    BadMessage(String),
    /// Valid JSON with a `type` this server does not know.
    #[error("unknown message type")]
    UnknownType,
    /// One message named more topics than [`ProtocolLimits::max_topics_per_message`].
    #[error("{count} topics in one message; the limit is {limit}")]
    TooManyTopics {
        /// Topics named.
        count: usize,
        /// Topics allowed.
        limit: usize,
    },
    /// The socket already holds as many topics as it may.
    #[error("a socket may hold at most {limit} topics")]
    TooManySubscriptions {
        /// Topics allowed per socket.
        limit: usize,
    },
    /// The member may not subscribe to this topic.
    #[error("not allowed to subscribe to {topic}")]
    Forbidden {
        /// The topic refused.
        topic: Topic,
    },
    /// A staff topic asked by staff who must have a second factor and have none yet.
    #[error("{topic} is for staff with a second factor: please set one up first")]
    SecondFactorRequired {
        /// The topic refused.
        topic: Topic,
    },
    /// The topic names something that does not exist (or that the member may not know exists).
    #[error("no such topic: {topic}")]
    NotFound {
        /// The topic refused.
        topic: Topic,
    },
    /// The socket sends frames faster than allowed (a flood guard); the frame was ignored.
    #[error("too many messages; slow down")]
    RateLimited,
    /// The member has used up one of their limits (chat messages, subscriptions, shared by all
    /// their sockets); the request was ignored. Same code as [`ProtocolError::RateLimited`], with
    /// the wait in the message.
    #[error("too many for now; please wait {retry_after} seconds and try again")]
    LimitReached {
        /// Seconds until it would be allowed.
        retry_after: u64,
    },
    /// Missed events could not be fetched; the client should reload the topic over HTTP.
    #[error("could not fetch missed events on {topic}; reload it")]
    CatchUpFailed {
        /// The topic whose history is incomplete.
        topic: Topic,
    },
    /// A backing service is down; try again later.
    #[error("service temporarily unavailable")]
    Unavailable,
    /// A bug or unexpected failure; details are logged, not sent.
    #[error("internal error")]
    Internal,
}

impl ProtocolError {
    /// The stable code sent in the `error` frame.
    pub fn code(&self) -> &'static str {
        match self {
            ProtocolError::FrameTooLarge { .. } => "frame_too_large",
            ProtocolError::BadMessage(_) => "bad_message",
            ProtocolError::UnknownType => "unknown_type",
            ProtocolError::TooManyTopics { .. } => "too_many_topics",
            ProtocolError::TooManySubscriptions { .. } => "too_many_subscriptions",
            ProtocolError::Forbidden { .. } => "forbidden",
            ProtocolError::SecondFactorRequired { .. } => "second_factor_required",
            ProtocolError::NotFound { .. } => "not_found",
            ProtocolError::RateLimited | ProtocolError::LimitReached { .. } => "rate_limited",
            ProtocolError::CatchUpFailed { .. } => "catch_up_failed",
            ProtocolError::Unavailable => "unavailable",
            ProtocolError::Internal => "internal",
        }
    }

    /// The `error` frame for this error.
    pub fn to_message(&self) -> ServerMessage {
        ServerMessage::Error {
            code: self.code().to_owned(),
            message: self.to_string(),
        }
    }
}

/// Longest serde explanation passed back to the client; serde can quote parts of the input.
const MAX_DETAIL_CHARS: usize = 200;

fn bad_message(err: &serde_json::Error) -> ProtocolError {
    let detail = err.to_string();
    let detail = match detail.char_indices().nth(MAX_DETAIL_CHARS) {
        Some((cut, _)) => format!("{}...", &detail[..cut]),
        None => detail,
    };
    ProtocolError::BadMessage(detail)
}

/// Just the `type` of a frame, for explaining why the full parse failed.
#[derive(Deserialize)]
struct TypeOnly<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<Cow<'a, str>>,
}

/// Parses and validates one client text frame.
///
/// The size limit is checked before any parsing; the common (valid) case parses once. Only on
/// failure is the frame looked at again, to tell an unknown `type` from a malformed message.
pub fn parse_client_message(
    text: &str,
    limits: &ProtocolLimits,
) -> Result<ClientMessage, ProtocolError> {
    if text.len() > limits.max_frame_bytes {
        return Err(ProtocolError::FrameTooLarge {
            size: text.len(),
            limit: limits.max_frame_bytes,
        });
    }
    let message = match serde_json::from_str::<ClientMessage>(text) {
        Ok(message) => message,
        Err(err) => {
            return Err(match serde_json::from_str::<TypeOnly<'_>>(text) {
                Err(_) if err.is_syntax() || err.is_eof() => bad_message(&err),
                Err(_) => ProtocolError::BadMessage(
                    "expected a JSON object with a string \"type\"".to_owned(),
                ),
                Ok(TypeOnly { kind: None }) => {
                    ProtocolError::BadMessage("missing \"type\"".to_owned())
                }
                Ok(TypeOnly { kind: Some(kind) }) if !CLIENT_TYPES.contains(&kind.as_ref()) => {
                    ProtocolError::UnknownType
                }
                Ok(_) => bad_message(&err),
            });
        }
    };
    match &message {
        ClientMessage::Subscribe { topics, since } => {
            let count = topics.len().max(since.len());
            if count > limits.max_topics_per_message {
                return Err(ProtocolError::TooManyTopics {
                    count,
                    limit: limits.max_topics_per_message,
                });
            }
            if since.values().any(|seq| *seq < 0) {
                return Err(ProtocolError::BadMessage(
                    "\"since\" sequence numbers are never negative".to_owned(),
                ));
            }
        }
        ClientMessage::Unsubscribe { topics } => {
            if topics.len() > limits.max_topics_per_message {
                return Err(ProtocolError::TooManyTopics {
                    count: topics.len(),
                    limit: limits.max_topics_per_message,
                });
            }
        }
        ClientMessage::Say { body, .. } if body.contains('\0') => {
            // PostgreSQL cannot store it, and no message needs it: refused here, for every
            // database alike.
            return Err(ProtocolError::BadMessage(
                "the message contains a character that is not allowed (NUL, U+0000)".to_owned(),
            ));
        }
        ClientMessage::Say { .. } | ClientMessage::Ping => {}
    }
    Ok(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_frame_matches_server_message() {
        let topic = Topic::ModQueue;
        let event = serde_json::json!({"kind": "item_held", "n": 1});
        let borrowed = event_frame(&topic, 7, &event).unwrap();
        let owned = ServerMessage::Event {
            topic,
            seq: 7,
            event,
        }
        .to_text();
        assert_eq!(borrowed, owned);
    }

    #[test]
    fn non_canonical_uuid_spellings_are_refused() {
        let simple = "thread:67e5504410b1426f9247bb680e5fe0c8";
        assert_eq!(simple.parse::<Topic>(), Err(TopicParseError));
        let braced = "thread:{67e55044-10b1-426f-9247-bb680e5fe0c8}";
        assert_eq!(braced.parse::<Topic>(), Err(TopicParseError));
    }
}
