//! The Redis bus against a real `redis-server` started by the test, on a free port.
//!
//! Without `redis-server` these tests print a SKIPPED line and pass, unless
//! `HEARTH_REQUIRE_SERVICES=1`, in which case they fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use hearth_core::ids::MemberId;
use hearth_realtime::{
    Bus, BusState, CloseReason, MemberAccess, RedisBusConfig, ServerMessage, Topic,
};
use tokio::sync::watch;

/// Finds `redis-server`, or says why the test cannot run.
fn redis_binary(test: &str) -> Option<PathBuf> {
    let candidates = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"];
    let found = candidates
        .iter()
        .map(PathBuf::from)
        .chain(std::env::var_os("PATH").into_iter().flat_map(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join("redis-server"))
                .collect::<Vec<_>>()
        }))
        .find(|path| path.is_file());
    if found.is_none() {
        if std::env::var("HEARTH_REQUIRE_SERVICES").as_deref() == Ok("1") {
            panic!("redis-server is not installed and HEARTH_REQUIRE_SERVICES=1");
        }
        eprintln!(
            "SKIPPED {test}: redis-server is not installed (set HEARTH_REQUIRE_SERVICES=1 to fail instead)"
        );
    }
    found
}

/// A `redis-server` child process; killed on drop.
struct RedisServer {
    binary: PathBuf,
    port: u16,
    child: Option<Child>,
}

impl RedisServer {
    fn start(binary: PathBuf) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut server = Self {
            binary,
            port,
            child: None,
        };
        server.restart();
        server
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Starts (again) on the same port and waits until it answers PING.
    fn restart(&mut self) {
        assert!(self.child.is_none(), "already running");
        let child = Command::new(&self.binary)
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server");
        self.child = Some(child);
        let deadline = Instant::now() + WAIT;
        loop {
            if self.answers_ping() {
                return;
            }
            assert!(Instant::now() < deadline, "redis-server did not come up");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn answers_ping(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
        if stream.write_all(b"PING\r\n").is_err() {
            return false;
        }
        let mut reply = [0u8; 7];
        stream.read_exact(&mut reply).is_ok() && &reply == b"+PONG\r\n"
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

fn config(server: &RedisServer, channel: &str) -> RedisBusConfig {
    RedisBusConfig {
        channel: channel.to_owned(),
        backoff_min: Duration::from_millis(20),
        backoff_max: Duration::from_millis(300),
        ..RedisBusConfig::new(server.url())
    }
}

async fn wait_for_state(
    state: &mut watch::Receiver<BusState>,
    what: &str,
    want: impl Fn(&BusState) -> bool,
) -> BusState {
    let reached = tokio::time::timeout(WAIT, async {
        state.wait_for(|s| want(s)).await.map(|s| s.clone())
    })
    .await;
    match reached {
        Ok(state) => state.unwrap(),
        Err(_) => panic!("bus never became {what}: {:?}", *state.borrow()),
    }
}

async fn connected(bus: &Bus) {
    wait_for_state(&mut bus.state(), "connected", |s| {
        matches!(s, BusState::Connected { .. })
    })
    .await;
}

#[tokio::test]
async fn two_instances_exchange_events_and_control_messages() {
    let Some(binary) = redis_binary("two_instances_exchange_events_and_control_messages") else {
        return;
    };
    let server = RedisServer::start(binary);
    let channel = format!("hearth:test:{}", uuid::Uuid::new_v4());
    let log = MemoryLog::new();
    let a = Bus::redis(hub(&log), config(&server, &channel)).unwrap();
    let b = Bus::redis(hub(&log), config(&server, &channel)).unwrap();
    connected(&a).await;
    connected(&b).await;
    assert!(a.current_state().is_ready());

    let topic = thread_topic();
    let (on_a, mut a_out) = a.hub().register(MemberId::new());
    let (on_b, mut b_out) = b.hub().register(MemberId::new());
    on_a.subscribe(topic, None).await.unwrap();
    on_b.subscribe(topic, None).await.unwrap();

    // Each instance publishes; both instances' sockets get everything, once, in order.
    a.publish(log.append(topic)).await.unwrap();
    b.publish(log.append(topic)).await.unwrap();
    a.publish(log.append(topic)).await.unwrap();
    assert_eq!(next_seqs(&mut a_out, 3).await, vec![1, 2, 3]);
    assert_eq!(next_seqs(&mut b_out, 3).await, vec![1, 2, 3]);

    // Role changed on A: B re-checks its member's sockets too.
    let moderator = MemberId::new();
    let (mod_on_b, mut mod_out) = b.hub().register(moderator);
    mod_on_b.subscribe(Topic::ModQueue, None).await.unwrap();
    log.set_access(moderator, MemberAccess::Retain(vec![]));
    a.member_role_changed(moderator).await.unwrap();
    match next_message(&mut mod_out).await {
        ServerMessage::Error { code, .. } => assert_eq!(code, "forbidden"),
        other => panic!("expected forbidden, got {other:?}"),
    }
    assert!(!mod_on_b.is_subscribed(Topic::ModQueue));

    // Suspended on A: the sockets on B close too.
    let suspended = MemberId::new();
    let (_s1, mut s1_out) = b.hub().register(suspended);
    let (_s2, mut s2_out) = a.hub().register(suspended);
    a.disconnect_member(suspended, CloseReason::revoked("suspended"))
        .await
        .unwrap();
    let reason = tokio::time::timeout(WAIT, s1_out.close.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(reason, CloseReason::revoked("suspended"));
    assert_eq!(s2_out.close.try_recv().unwrap().reason, "suspended");

    // Nothing was duplicated along the way.
    assert_quiet(&mut a_out);
    assert_quiet(&mut b_out);
}

#[tokio::test]
async fn survives_a_redis_restart_and_fills_the_gap_exactly_once() {
    let Some(binary) = redis_binary("survives_a_redis_restart_and_fills_the_gap_exactly_once")
    else {
        return;
    };
    let mut server = RedisServer::start(binary);
    let channel = format!("hearth:test:{}", uuid::Uuid::new_v4());
    let log = MemoryLog::new();
    let publisher = Bus::redis(hub(&log), config(&server, &channel)).unwrap();
    let receiver = Bus::redis(hub(&log), config(&server, &channel)).unwrap();
    connected(&publisher).await;
    connected(&receiver).await;

    let topic = thread_topic();
    let (socket, mut out) = receiver.hub().register(MemberId::new());
    socket.subscribe(topic, None).await.unwrap();
    for _ in 0..3 {
        publisher.publish(log.append(topic)).await.unwrap();
    }
    let mut seen = next_seqs(&mut out, 3).await;

    // Redis dies mid-stream.
    server.kill();
    let down = wait_for_state(&mut receiver.state(), "disconnected", |s| !s.is_ready()).await;
    assert!(
        matches!(
            down,
            BusState::Disconnected {
                last_error: Some(_),
                ..
            }
        ),
        "{down:?}"
    );

    // Publishing meanwhile fails, quickly; the events are safe in the "database".
    for _ in 0..3 {
        let started = Instant::now();
        let result = publisher.publish(log.append(topic)).await;
        assert!(result.is_err(), "publish with Redis down should fail");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "publish took {:?}",
            started.elapsed()
        );
    }
    assert_quiet(&mut out);

    // Redis comes back on the same port; the subscriber reconnects by itself and the hub
    // gap-fills from the database.
    server.restart();
    connected(&receiver).await;
    seen.extend(next_seqs(&mut out, 3).await);

    // Live traffic resumes (the publisher's connection may need a moment to come back).
    let seventh = log.append(topic);
    let deadline = Instant::now() + WAIT;
    while publisher.publish(seventh.clone()).await.is_err() {
        assert!(Instant::now() < deadline, "publisher never recovered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    seen.extend(next_seqs(&mut out, 1).await);
    assert_eq!(seen, (1..=7).collect::<Vec<_>>());
    assert_quiet(&mut out);
    assert!(receiver.current_state().is_ready());
}

#[tokio::test]
async fn starts_without_redis_and_connects_when_it_appears() {
    let Some(binary) = redis_binary("starts_without_redis_and_connects_when_it_appears") else {
        return;
    };
    let mut server = RedisServer::start(binary);
    server.kill();
    let log = MemoryLog::new();
    let channel = format!("hearth:test:{}", uuid::Uuid::new_v4());
    let bus = Bus::redis(hub(&log), config(&server, &channel)).unwrap();
    let mut state = bus.state();
    let down = wait_for_state(
        &mut state,
        "retrying",
        |s| matches!(s, BusState::Disconnected { attempts, .. } if *attempts >= 2),
    )
    .await;
    assert!(!down.is_ready());
    assert_eq!(down.label(), "disconnected");

    // Publishing before Redis exists fails fast but local sockets still get the event.
    let topic = thread_topic();
    let (socket, mut out) = bus.hub().register(MemberId::new());
    socket.subscribe(topic, None).await.unwrap();
    let started = Instant::now();
    assert!(bus.publish(log.append(topic)).await.is_err());
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(next_seqs(&mut out, 1).await, vec![1]);

    server.restart();
    connected(&bus).await;
    assert_eq!(bus.current_state().label(), "connected");
}

#[test]
fn bad_url_is_a_config_error() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let log = MemoryLog::new();
    let result = runtime
        .block_on(async { Bus::redis(hub(&log), RedisBusConfig::new("not a url")).map(|_| ()) });
    assert!(matches!(result, Err(hearth_realtime::BusError::Config(_))));
    // Outside a runtime it refuses rather than panics.
    assert!(Bus::redis(hub(&log), RedisBusConfig::new("redis://127.0.0.1:1/")).is_err());
}
