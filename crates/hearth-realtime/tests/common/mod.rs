//! Shared test fixtures: an in-memory event log standing in for the database behind the hooks,
//! and helpers to read what a socket was sent.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use hearth_core::ids::{MemberId, ThreadId};
use hearth_realtime::{
    Envelope, HookError, Hub, HubConfig, HubHooks, MemberAccess, ServerMessage, SocketOutput, Topic,
};
use tokio::sync::oneshot;

/// Generous bound for "this should arrive": never hit when things work.
pub const WAIT: Duration = Duration::from_secs(10);

/// A fetch that waits: the log is read first, then `entered` fires and the fetch waits for
/// `release` before answering with what it read. This pins the interleaving "database read,
/// then live events arrive, then the history is delivered".
struct Gate {
    entered: oneshot::Sender<()>,
    release: oneshot::Receiver<()>,
}

/// The "database": events per topic with their sequence numbers, plus what members may hold.
#[derive(Default)]
pub struct MemoryLog {
    events: Mutex<BTreeMap<Topic, Vec<Envelope>>>,
    /// At most this many events per fetch, like a paged query.
    page: Mutex<Option<usize>>,
    gate: Mutex<Option<Gate>>,
    /// Answers to `recheck_member`; members not listed keep everything.
    access: Mutex<HashMap<MemberId, MemberAccess>>,
    /// How many upcoming fetches fail.
    failures: AtomicUsize,
    /// Fetches answered so far.
    pub fetches: AtomicUsize,
}

impl MemoryLog {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Stores an event with the next sequence number of its topic, as `hearth-app` would.
    pub fn append(&self, topic: Topic) -> Envelope {
        let mut events = self.events.lock().unwrap();
        let list = events.entry(topic).or_default();
        let seq = i64::try_from(list.len()).unwrap() + 1;
        let envelope = Envelope::new(
            topic,
            seq,
            serde_json::json!({"kind": "post_published", "n": seq}),
        )
        .unwrap();
        list.push(envelope.clone());
        envelope
    }

    /// The stored event `seq` of `topic`.
    pub fn get(&self, topic: Topic, seq: i64) -> Envelope {
        let events = self.events.lock().unwrap();
        events[&topic][usize::try_from(seq - 1).unwrap()].clone()
    }

    /// The latest sequence number stored for `topic` (0 if none).
    pub fn latest_seq_now(&self, topic: Topic) -> i64 {
        let events = self.events.lock().unwrap();
        events
            .get(&topic)
            .and_then(|list| list.last())
            .map_or(0, Envelope::seq)
    }

    pub fn set_page(&self, page: usize) {
        *self.page.lock().unwrap() = Some(page);
    }

    pub fn fail_next_fetches(&self, n: usize) {
        self.failures.store(n, Ordering::SeqCst);
    }

    pub fn set_access(&self, member: MemberId, access: MemberAccess) {
        self.access.lock().unwrap().insert(member, access);
    }

    /// Makes the next fetch wait; returns (fires once it has read the log, lets it answer).
    pub fn gate_next_fetch(&self) -> (oneshot::Receiver<()>, oneshot::Sender<()>) {
        let (entered_tx, entered_rx) = oneshot::channel();
        let (release_tx, release_rx) = oneshot::channel();
        *self.gate.lock().unwrap() = Some(Gate {
            entered: entered_tx,
            release: release_rx,
        });
        (entered_rx, release_tx)
    }
}

#[async_trait]
impl HubHooks for MemoryLog {
    async fn events_since(&self, topic: Topic, after_seq: i64) -> Result<Vec<Envelope>, HookError> {
        if self
            .failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err(HookError("database unavailable".into()));
        }
        let snapshot: Vec<Envelope> = {
            let events = self.events.lock().unwrap();
            let page = self.page.lock().unwrap().unwrap_or(usize::MAX);
            events
                .get(&topic)
                .map(|list| {
                    list.iter()
                        .filter(|e| e.seq() > after_seq)
                        .take(page)
                        .cloned()
                        .collect()
                })
                .unwrap_or_default()
        };
        let gate = self.gate.lock().unwrap().take();
        if let Some(gate) = gate {
            let _ = gate.entered.send(());
            let _ = gate.release.await;
        }
        self.fetches.fetch_add(1, Ordering::SeqCst);
        Ok(snapshot)
    }

    async fn latest_seq(&self, topic: Topic) -> Result<i64, HookError> {
        Ok(self.latest_seq_now(topic))
    }

    async fn recheck_member(
        &self,
        member: MemberId,
        held: Vec<Topic>,
    ) -> Result<MemberAccess, HookError> {
        Ok(self
            .access
            .lock()
            .unwrap()
            .get(&member)
            .cloned()
            .unwrap_or(MemberAccess::Retain(held)))
    }
}

pub fn hub(log: &Arc<MemoryLog>) -> Hub {
    Hub::new(log.clone(), HubConfig::default())
}

pub fn hub_with(log: &Arc<MemoryLog>, config: HubConfig) -> Hub {
    Hub::new(log.clone(), config)
}

pub fn thread_topic() -> Topic {
    Topic::Thread(ThreadId::new())
}

/// The next frame queued on a socket, parsed. Panics after [`WAIT`].
pub async fn next_message(output: &mut SocketOutput) -> ServerMessage {
    let frame = tokio::time::timeout(WAIT, output.frames.recv())
        .await
        .expect("timed out waiting for a frame")
        .expect("socket queue closed");
    serde_json::from_str(&frame).expect("server frame is valid JSON")
}

/// Reads `n` event frames and returns their (topic, seq).
pub async fn next_events(output: &mut SocketOutput, n: usize) -> Vec<(Topic, i64)> {
    let mut seen = Vec::new();
    for _ in 0..n {
        match next_message(output).await {
            ServerMessage::Event { topic, seq, .. } => seen.push((topic, seq)),
            other => panic!("expected an event, got {other:?}"),
        }
    }
    seen
}

/// Reads `n` event frames on one topic and returns their sequence numbers.
pub async fn next_seqs(output: &mut SocketOutput, n: usize) -> Vec<i64> {
    next_events(output, n)
        .await
        .into_iter()
        .map(|(_, seq)| seq)
        .collect()
}

/// Asserts nothing more is queued right now.
pub fn assert_quiet(output: &mut SocketOutput) {
    match output.frames.try_recv() {
        Err(_) => {}
        Ok(frame) => panic!("unexpected frame: {frame}"),
    }
}
