//! One event on its way to sockets, serialised once.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;

use crate::protocol::{Topic, event_frame};

/// A server frame's text, shared: the same allocation is queued on every socket that receives
/// it, and handed to the transport as it is ([`Frame::to_bytes`] is a reference count, not a
/// copy), so fanning one event out to N sockets allocates nothing per socket.
///
/// Always valid UTF-8: it can only be made from a `str` or a `String`. One pointer wide (the
/// `Bytes` sits behind an `Arc`), so each slot of a socket's queue stays as small as it was with
/// `Arc<str>`'s two words, or smaller: an idle socket's queue block is part of its memory.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Frame(Arc<Bytes>);

impl Frame {
    /// The text.
    pub fn as_str(&self) -> &str {
        // Built only from `str`s, so this never falls back (and this crate has no `unsafe`).
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The text's bytes, shared with every other clone of this frame (for a transport's own
    /// UTF-8 type, e.g. axum's `Utf8Bytes::try_from(Bytes)`).
    pub fn to_bytes(&self) -> Bytes {
        Bytes::clone(&self.0)
    }

    /// Whether two frames share one allocation (what fan-out promises).
    pub fn ptr_eq(a: &Frame, b: &Frame) -> bool {
        Arc::ptr_eq(&a.0, &b.0)
    }
}

impl From<String> for Frame {
    fn from(text: String) -> Self {
        Frame(Arc::new(Bytes::from(text)))
    }
}

impl From<&str> for Frame {
    fn from(text: &str) -> Self {
        Frame(Arc::new(Bytes::copy_from_slice(text.as_bytes())))
    }
}

impl std::ops::Deref for Frame {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Frame {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Debug for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an envelope could not be built.
#[derive(Debug, thiserror::Error)]
pub enum EnvelopeError {
    /// Sequence numbers start at 1 (0 in `since` means "seen nothing").
    #[error("sequence numbers start at 1, got {0}")]
    BadSeq(i64),
    /// The event could not be serialised (in practice only a map with non-string keys).
    #[error("could not serialise the event: {0}")]
    Encode(#[from] serde_json::Error),
}

/// An event on a topic with its per-topic sequence number, plus its server frame already
/// serialised, so fanning one event out to thousands of sockets costs one encoding and a
/// reference count per socket.
///
/// The audience of an envelope is its topic: it goes to every socket subscribed to that topic on
/// every instance. Who may subscribe is decided once, at subscribe time (and again when a
/// member's role or standing changes), so nothing per-recipient is checked on delivery. Content
/// that only some may see (held posts) must be published on a topic only they can hold
/// (`modqueue`, or the author's `member:<id>`), never on the public thread topic.
///
/// Cloning is cheap (two `Arc`s). `Debug` leaves out the event: it may carry member text, which
/// never goes to logs.
#[derive(Clone)]
pub struct Envelope {
    topic: Topic,
    seq: i64,
    event: Arc<serde_json::Value>,
    frame: Frame,
}

impl Envelope {
    /// Builds the envelope and serialises its frame. `seq` is the number the database gave the
    /// event within its topic.
    pub fn new(topic: Topic, seq: i64, event: serde_json::Value) -> Result<Self, EnvelopeError> {
        if seq < 1 {
            return Err(EnvelopeError::BadSeq(seq));
        }
        let frame: Frame = event_frame(&topic, seq, &event)?.into();
        Ok(Self {
            topic,
            seq,
            event: Arc::new(event),
            frame,
        })
    }

    /// The topic the event belongs to.
    pub fn topic(&self) -> Topic {
        self.topic
    }

    /// The event's sequence number within its topic.
    pub fn seq(&self) -> i64 {
        self.seq
    }

    /// The event value (`{"kind": ...}`), e.g. to forward it over the bus.
    pub fn event(&self) -> &serde_json::Value {
        &self.event
    }

    /// The `{"type":"event",...}` frame, ready to queue on a socket.
    pub fn frame(&self) -> &Frame {
        &self.frame
    }
}

impl fmt::Debug for Envelope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Envelope")
            .field("topic", &self.topic)
            .field("seq", &self.seq)
            .field("frame_bytes", &self.frame.len())
            .finish_non_exhaustive()
    }
}

impl PartialEq for Envelope {
    fn eq(&self, other: &Self) -> bool {
        self.topic == other.topic && self.seq == other.seq && self.frame == other.frame
    }
}
