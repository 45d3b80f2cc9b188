//! The per-socket loop over an in-memory transport (channels standing in for a WebSocket).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use common::*;
use futures_util::{Sink, Stream};
use hearth_core::ids::{MemberId, RoomId};
use hearth_realtime::{
    Ack, AckStatus, CloseReason, Hub, HubConfig, Incoming, Outgoing, ProtocolError, ServerMessage,
    SessionConfig, SessionEnd, SocketHandler, SocketOp, Topic, run_session,
};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use uuid::Uuid;

/// Lets anyone hold anything but the moderator queue; holds chat messages mentioning "hold".
struct TestApp;

#[async_trait]
impl SocketHandler for TestApp {
    async fn authorize_subscribe(
        &self,
        _member: MemberId,
        topic: Topic,
    ) -> Result<(), ProtocolError> {
        match topic {
            Topic::ModQueue => Err(ProtocolError::Forbidden { topic }),
            _ => Ok(()),
        }
    }

    async fn say(&self, _member: MemberId, _room: RoomId, body: String, _id: Uuid) -> Ack {
        if body.contains("hold") {
            Ack::held("a moderator will look at it")
        } else {
            Ack::published()
        }
    }
}

/// Allows each member two `say`s and one subscribe, as the application's shared limits would,
/// and remembers how many `say`s reached it.
#[derive(Default)]
struct Limited {
    used: std::sync::Mutex<std::collections::HashMap<(MemberId, bool), u32>>,
    said: std::sync::atomic::AtomicU32,
}

#[async_trait]
impl SocketHandler for Limited {
    async fn authorize_subscribe(&self, _: MemberId, _: Topic) -> Result<(), ProtocolError> {
        Ok(())
    }

    async fn say(&self, _: MemberId, _: RoomId, _: String, _: Uuid) -> Ack {
        self.said.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ack::published()
    }

    async fn allow(&self, member: MemberId, op: SocketOp) -> Result<(), ProtocolError> {
        let say = op == SocketOp::Say;
        let mut used = self.used.lock().unwrap();
        let n = used.entry((member, say)).or_default();
        *n += 1;
        if *n > if say { 2 } else { 1 } {
            return Err(ProtocolError::LimitReached { retry_after: 7 });
        }
        Ok(())
    }
}

type ServerStream = Pin<Box<dyn Stream<Item = Result<Incoming, Infallible>> + Send>>;
type ServerSink = Pin<Box<dyn Sink<Outgoing, Error = ()> + Send>>;

/// The client's end of an in-memory socket.
struct Client {
    to_server: Option<mpsc::UnboundedSender<Result<Incoming, Infallible>>>,
    from_server: mpsc::UnboundedReceiver<Outgoing>,
    session: JoinHandle<SessionEnd>,
}

fn transport() -> (
    ServerStream,
    ServerSink,
    mpsc::UnboundedSender<Result<Incoming, Infallible>>,
    mpsc::UnboundedReceiver<Outgoing>,
) {
    let (in_tx, in_rx) = mpsc::unbounded_channel();
    let stream = futures_util::stream::unfold(in_rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let (out_tx, out_rx) = mpsc::unbounded_channel::<Outgoing>();
    let sink = futures_util::sink::unfold(out_tx, |tx, item: Outgoing| async move {
        tx.send(item).map_err(|_| ())?;
        Ok::<_, ()>(tx)
    });
    (Box::pin(stream), Box::pin(sink), in_tx, out_rx)
}

fn connect(hub: &Hub, member: MemberId, config: SessionConfig) -> Client {
    connect_with(hub, member, config, Arc::new(TestApp))
}

fn connect_with<H: SocketHandler>(
    hub: &Hub,
    member: MemberId,
    config: SessionConfig,
    handler: Arc<H>,
) -> Client {
    let (stream, sink, to_server, from_server) = transport();
    let hub = hub.clone();
    let session =
        tokio::spawn(async move { run_session(&hub, member, handler, stream, sink, config).await });
    Client {
        to_server: Some(to_server),
        from_server,
        session,
    }
}

impl Client {
    fn send(&self, text: &str) {
        self.to_server
            .as_ref()
            .unwrap()
            .send(Ok(Incoming::Text(text.to_owned())))
            .unwrap();
    }

    async fn next(&mut self) -> Outgoing {
        self.next_within(WAIT).await
    }

    async fn next_within(&mut self, bound: Duration) -> Outgoing {
        tokio::time::timeout(bound, self.from_server.recv())
            .await
            .expect("timed out waiting for the server")
            .expect("server hung up")
    }

    async fn next_message(&mut self) -> ServerMessage {
        match self.next().await {
            Outgoing::Text(frame) => serde_json::from_str(&frame).unwrap(),
            other => panic!("expected a text frame, got {other:?}"),
        }
    }

    async fn expect_error(&mut self, code: &str) {
        match self.next_message().await {
            ServerMessage::Error { code: got, .. } => assert_eq!(got, code),
            other => panic!("expected error {code}, got {other:?}"),
        }
    }

    /// A ping round trip: everything sent before it has been handled.
    async fn sync(&mut self) {
        self.send(r#"{"type":"ping"}"#);
        assert_eq!(self.next_message().await, ServerMessage::Pong);
    }

    async fn end(self) -> SessionEnd {
        tokio::time::timeout(WAIT, self.session)
            .await
            .expect("session did not end")
            .unwrap()
    }
}

#[tokio::test]
async fn ping_gets_pong_and_transport_pings_count_as_activity() {
    let log = MemoryLog::new();
    let hub = hub(&log);
    let mut client = connect(&hub, MemberId::new(), SessionConfig::default());
    client.send(r#"{"type":"ping"}"#);
    assert_eq!(client.next_message().await, ServerMessage::Pong);
    client
        .to_server
        .as_ref()
        .unwrap()
        .send(Ok(Incoming::Ping(vec![1])))
        .unwrap();
    client.sync().await;
    drop(client.to_server.take());
    assert_eq!(client.end().await, SessionEnd::ClientClosed);
    assert_eq!(hub.stats().sockets, 0, "the socket was unregistered");
}

#[tokio::test]
async fn subscribe_is_authorised_per_topic_and_events_flow() {
    let log = MemoryLog::new();
    let hub = hub(&log);
    let thread = thread_topic();
    let mut client = connect(&hub, MemberId::new(), SessionConfig::default());
    client.send(&format!(
        r#"{{"type":"subscribe","topics":["modqueue","{thread}"]}}"#
    ));
    match client.next_message().await {
        ServerMessage::Error { code, message } => {
            assert_eq!(code, "forbidden");
            assert!(message.contains("modqueue"));
        }
        other => panic!("expected forbidden, got {other:?}"),
    }
    client.sync().await;
    hub.deliver(log.append(thread));
    match client.next_message().await {
        ServerMessage::Event { topic, seq, event } => {
            assert_eq!((topic, seq), (thread, 1));
            assert_eq!(event["kind"], "post_published");
        }
        other => panic!("expected an event, got {other:?}"),
    }

    client.send(&format!(
        r#"{{"type":"unsubscribe","topics":["{thread}"]}}"#
    ));
    client.sync().await;
    hub.deliver(log.append(thread));
    client.sync().await; // the pong comes, and no event before it
}

#[tokio::test]
async fn subscribe_with_since_catches_up_first() {
    let log = MemoryLog::new();
    let hub = hub(&log);
    let thread = thread_topic();
    for _ in 0..4 {
        log.append(thread);
    }
    let mut client = connect(&hub, MemberId::new(), SessionConfig::default());
    client.send(&format!(
        r#"{{"type":"subscribe","topics":["{thread}"],"since":{{"{thread}":2}}}}"#
    ));
    let mut seqs = Vec::new();
    for _ in 0..2 {
        match client.next_message().await {
            ServerMessage::Event { seq, .. } => seqs.push(seq),
            other => panic!("expected an event, got {other:?}"),
        }
    }
    assert_eq!(seqs, vec![3, 4]);
    hub.deliver(log.get(thread, 4)); // a late duplicate from the bus
    hub.deliver(log.append(thread));
    match client.next_message().await {
        ServerMessage::Event { seq, .. } => assert_eq!(seq, 5),
        other => panic!("expected an event, got {other:?}"),
    }
}

#[tokio::test]
async fn say_is_acknowledged_with_the_client_id() {
    let log = MemoryLog::new();
    let hub = hub(&log);
    let mut client = connect(&hub, MemberId::new(), SessionConfig::default());
    let room = RoomId::new();
    let (c1, c2) = (Uuid::new_v4(), Uuid::new_v4());
    client.send(&format!(
        r#"{{"type":"say","room":"{room}","body":"hello","client_id":"{c1}"}}"#
    ));
    assert_eq!(
        client.next_message().await,
        ServerMessage::Ack {
            client_id: c1,
            status: AckStatus::Published,
            reason: None,
            signpost: Vec::new(),
        }
    );
    client.send(&format!(
        r#"{{"type":"say","room":"{room}","body":"please hold","client_id":"{c2}"}}"#
    ));
    match client.next_message().await {
        ServerMessage::Ack {
            client_id, status, ..
        } => assert_eq!((client_id, status), (c2, AckStatus::Held)),
        other => panic!("expected an ack, got {other:?}"),
    }
}

#[tokio::test]
async fn bad_frames_get_errors_and_the_socket_stays_open() {
    let log = MemoryLog::new();
    let hub = hub(&log);
    let config = SessionConfig {
        limits: hearth_realtime::ProtocolLimits {
            max_frame_bytes: 256,
            max_topics_per_message: 2,
        },
        ..SessionConfig::default()
    };
    let mut client = connect(&hub, MemberId::new(), config);
    client.send("{not json");
    client.expect_error("bad_message").await;
    client.send(r#"{"type":"dance"}"#);
    client.expect_error("unknown_type").await;
    client.send(&"x".repeat(300));
    client.expect_error("frame_too_large").await;
    client.send(r#"{"type":"subscribe","topics":["modqueue","modqueue","modqueue"]}"#);
    client.expect_error("too_many_topics").await;
    client
        .to_server
        .as_ref()
        .unwrap()
        .send(Ok(Incoming::Binary(vec![0, 1, 2])))
        .unwrap();
    client.expect_error("bad_message").await;
    client.sync().await;
}

/// A frame the transport refuses (too big, not UTF-8) closes the socket with a close frame
/// carrying the transport's code, and the session ends as closed by the server.
#[tokio::test]
async fn a_frame_the_transport_refuses_closes_with_its_code() {
    let log = MemoryLog::new();
    let hub = hub(&log);
    for reason in [
        CloseReason::too_big(16 * 1024),
        CloseReason::invalid_payload(),
    ] {
        let mut client = connect(&hub, MemberId::new(), SessionConfig::default());
        client.sync().await;
        client
            .to_server
            .as_ref()
            .unwrap()
            .send(Ok(Incoming::Refused(reason.clone())))
            .unwrap();
        assert_eq!(client.next().await, Outgoing::Close(reason.clone()));
        assert_eq!(client.end().await, SessionEnd::ServerClosed(reason));
    }
    assert_eq!(CloseReason::too_big(1).code, 1009);
    assert_eq!(CloseReason::invalid_payload().code, 1007);
}

#[tokio::test]
async fn the_applications_limits_are_answered_with_error_frames() {
    let log = MemoryLog::new();
    let hub = hub(&log);
    let handler = Arc::new(Limited::default());
    let member = MemberId::new();
    let mut first = connect_with(&hub, member, SessionConfig::default(), handler.clone());
    let mut second = connect_with(&hub, member, SessionConfig::default(), handler.clone());
    let room = RoomId::new();
    let say =
        |id: Uuid| format!(r#"{{"type":"say","room":"{room}","body":"hi","client_id":"{id}"}}"#);
    first.send(&say(Uuid::new_v4()));
    assert!(matches!(
        first.next_message().await,
        ServerMessage::Ack { .. }
    ));
    second.send(&say(Uuid::new_v4()));
    assert!(matches!(
        second.next_message().await,
        ServerMessage::Ack { .. }
    ));
    // Refused before the message reaches the application, with the wait in the message.
    first.send(&say(Uuid::new_v4()));
    match first.next_message().await {
        ServerMessage::Error { code, message } => {
            assert_eq!(code, "rate_limited");
            assert!(message.contains("7 seconds"), "{message}");
        }
        other => panic!("expected an error, got {other:?}"),
    }
    assert_eq!(handler.said.load(std::sync::atomic::Ordering::SeqCst), 2);
    // Subscriptions: the first is allowed; a frame naming two more gets one error and neither.
    first.send(r#"{"type":"subscribe","topics":["modqueue"]}"#);
    first.sync().await;
    second.send(&format!(
        r#"{{"type":"subscribe","topics":["room:{room}","room:{}"]}}"#,
        RoomId::new()
    ));
    second.expect_error("rate_limited").await;
    second.sync().await;
    assert_eq!(hub.stats().subscriptions, 1);
}

#[tokio::test]
async fn a_member_past_the_socket_cap_is_closed_with_the_reason() {
    let log = MemoryLog::new();
    let hub = hub_with(
        &log,
        HubConfig {
            max_sockets_per_member: 2,
            ..HubConfig::default()
        },
    );
    let member = MemberId::new();
    let mut first = connect(&hub, member, SessionConfig::default());
    let mut second = connect(&hub, member, SessionConfig::default());
    first.sync().await;
    second.sync().await;
    let mut third = connect(&hub, member, SessionConfig::default());
    assert_eq!(
        third.next().await,
        Outgoing::Close(CloseReason::too_many_sockets(2))
    );
    assert_eq!(
        third.end().await,
        SessionEnd::ServerClosed(CloseReason::too_many_sockets(2))
    );
    assert!(CloseReason::too_many_sockets(16).reason.len() <= 123);
    // Another member is not affected; and once one socket closes, the member may open another.
    let mut other = connect(&hub, MemberId::new(), SessionConfig::default());
    other.sync().await;
    drop(first);
    while hub.stats().sockets > 2 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut fourth = connect(&hub, member, SessionConfig::default());
    fourth.sync().await;
}

#[tokio::test(start_paused = true)]
async fn frame_flood_is_rate_limited_per_socket() {
    let log = MemoryLog::new();
    let hub = hub(&log);
    let config = SessionConfig {
        frame_rate: governor::Quota::with_period(Duration::from_secs(1))
            .unwrap()
            .allow_burst(std::num::NonZeroU32::new(3).unwrap()),
        ..SessionConfig::default()
    };
    let mut client = connect(&hub, MemberId::new(), config);
    for _ in 0..4 {
        client.send(r#"{"type":"ping"}"#);
    }
    for _ in 0..3 {
        assert_eq!(client.next_message().await, ServerMessage::Pong);
    }
    client.expect_error("rate_limited").await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    client.sync().await;
}

#[tokio::test(start_paused = true)]
async fn idle_socket_is_closed() {
    let log = MemoryLog::new();
    let hub = hub(&log);
    let config = SessionConfig {
        idle_timeout: Duration::from_secs(30),
        ..SessionConfig::default()
    };
    let mut client = connect(&hub, MemberId::new(), config);
    client.sync().await;
    // Time only moves when everything is idle; the paused clock jumps to the next deadline,
    // which must be the session's 30 s, not this read's bound.
    match client.next_within(Duration::from_secs(120)).await {
        Outgoing::Close(reason) => assert_eq!(reason, CloseReason::idle()),
        other => panic!("expected a close, got {other:?}"),
    }
    assert_eq!(client.end().await, SessionEnd::Idle);
    assert_eq!(hub.stats().sockets, 0);
}

#[tokio::test]
async fn server_side_disconnect_sends_a_close_frame() {
    let log = MemoryLog::new();
    let hub = hub(&log);
    let member = MemberId::new();
    let mut client = connect(&hub, member, SessionConfig::default());
    client.sync().await;
    let long = "x".repeat(300);
    hub.disconnect_member(member, CloseReason::revoked(long));
    match client.next().await {
        Outgoing::Close(reason) => {
            assert_eq!(reason.code, 1008);
            assert_eq!(reason.reason.len(), 123, "cut to fit a close frame");
        }
        other => panic!("expected a close, got {other:?}"),
    }
    assert!(matches!(client.end().await, SessionEnd::ServerClosed(_)));
    assert_eq!(hub.stats().sockets, 0);
}

#[tokio::test(start_paused = true)]
async fn slow_client_gets_closed_with_the_too_slow_reason() {
    let log = MemoryLog::new();
    let hub = hub_with(
        &log,
        HubConfig {
            queue_capacity: 2,
            ..HubConfig::default()
        },
    );
    let thread = thread_topic();
    // A transport that takes nothing: the client stopped reading and its TCP buffer is full.
    let (in_tx, in_rx) = mpsc::unbounded_channel::<Result<Incoming, Infallible>>();
    let stream: ServerStream = Box::pin(futures_util::stream::unfold(in_rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }));
    let sink: ServerSink = Box::pin(futures_util::sink::unfold((), |(), _item: Outgoing| {
        std::future::pending::<Result<(), ()>>()
    }));
    let member = MemberId::new();
    let session = {
        let hub = hub.clone();
        tokio::spawn(async move {
            let config = SessionConfig {
                write_timeout: Duration::from_secs(3600),
                ..SessionConfig::default()
            };
            run_session(&hub, member, Arc::new(TestApp), stream, sink, config).await
        })
    };
    in_tx
        .send(Ok(Incoming::Text(format!(
            r#"{{"type":"subscribe","topics":["{thread}"]}}"#
        ))))
        .unwrap();
    tokio::time::timeout(WAIT, async {
        while hub.stats().subscriptions == 0 {
            tokio::task::yield_now().await;
        }
    })
    .await
    .unwrap();
    for _ in 0..10 {
        hub.deliver(log.append(thread));
    }
    assert_eq!(hub.stats().slow_disconnects, 1);
    assert_eq!(hub.stats().sockets, 0);
    // The stuck write is interrupted; the session ends well before the write timeout.
    let end = tokio::time::timeout(Duration::from_secs(60), session)
        .await
        .expect("session ended")
        .unwrap();
    assert_eq!(end, SessionEnd::ServerClosed(CloseReason::too_slow()));
}
