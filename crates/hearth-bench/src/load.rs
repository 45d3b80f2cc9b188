//! The clients: open N sockets, subscribe them to rooms, have a few senders `say` stamped
//! messages at a set rate, and measure what every receiver gets. The same code drives Hearth and
//! the baseline; only the URL and the cookies differ.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt, TryStreamExt};
use serde::Serialize;
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::watch;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::codec::{self, Stamp};
use crate::procs;
use crate::stats::Latency;

/// A client socket.
pub type Ws = WebSocketStream<TcpStream>;

/// Sockets per source address before the next 127.0.0.x is used (the ephemeral port range
/// holds about 28,000 per address).
pub const SOCKETS_PER_SOURCE_ADDRESS: usize = 25_000;

/// One server instance to connect to.
#[derive(Clone, Debug)]
pub struct Endpoint {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The websocket path (`/api/ws`).
    pub path: String,
}

/// What is being measured, and how to reach it.
#[derive(Clone, Debug)]
pub struct Target {
    /// Instances; sockets and senders are dealt to them in turn.
    pub endpoints: Vec<Endpoint>,
    /// Processes whose memory and CPU are the server's (all instances).
    pub pids: Vec<u32>,
    /// Room ids (the baseline's are any strings).
    pub rooms: Vec<String>,
    /// Cookies receivers use, round-robin (empty: none).
    pub member_cookies: Vec<String>,
    /// One cookie per sender (empty: none, and `params.senders` senders).
    pub sender_cookies: Vec<String>,
}

/// The shape of the load.
#[derive(Clone, Debug, Serialize)]
pub struct LoadParams {
    /// Receiving sockets.
    pub sockets: usize,
    /// Rooms the receivers are spread over.
    pub rooms: usize,
    /// Sending sockets (one per sender member).
    pub senders: usize,
    /// Messages per second, all senders together.
    pub rate: f64,
    /// Body size in bytes.
    pub size: usize,
    /// How long the senders send.
    #[serde(serialize_with = "secs")]
    pub duration: Duration,
    /// Sockets connecting at once while the receivers are opened.
    pub connect_concurrency: usize,
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

/// What one run measured.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RunMetrics {
    /// Messages the server accepted (acknowledged as published).
    pub published: u64,
    /// `say`s the server refused (rate limit, held, rejected).
    pub refused: u64,
    /// Frames carrying a stamp that receivers got.
    pub deliveries: u64,
    /// Deliveries expected: each published message times the receivers in its room.
    pub expected: u64,
    /// `expected - deliveries` (never negative).
    pub lost: u64,
    /// Frames that did not follow their sender's previous one (duplicate, reordered, gap).
    pub out_of_order: u64,
    /// Receivers the server closed (or that failed) during the run.
    pub receivers_closed: u64,
    /// Deliveries per second, from the first send to the last delivery.
    pub deliveries_per_sec: f64,
    /// Delivery latency (sender's stamp to receipt).
    pub latency: Latency,
    /// Server resident memory before the receivers were opened (all instances).
    pub rss_before: u64,
    /// And with them open, subscribed and idle.
    pub rss_after: u64,
    /// `(rss_after - rss_before) / sockets`.
    pub mem_per_socket: f64,
    /// Server CPU seconds (user + system) from the first send to the end of the drain.
    pub cpu_seconds: f64,
    /// `cpu_seconds / deliveries`, in microseconds.
    pub cpu_per_delivery_us: f64,
    /// Seconds to open and subscribe all receivers.
    pub connect_secs: f64,
    /// A few of the reasons the server gave for refusals.
    pub refusal_samples: Vec<String>,
}

fn epoch() -> Instant {
    static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn micros_since_epoch() -> u64 {
    epoch().elapsed().as_micros() as u64
}

/// Opens one client socket to `endpoint` from `source` (if given), with `cookie` and the
/// server's own `Origin`.
pub async fn open(
    endpoint: &Endpoint,
    cookie: Option<&str>,
    source: Option<IpAddr>,
) -> anyhow::Result<Ws> {
    let socket = TcpSocket::new_v4()?;
    if let Some(ip) = source {
        socket.bind(SocketAddr::new(ip, 0))?;
    }
    let stream = socket.connect(endpoint.addr).await?;
    stream.set_nodelay(true)?;
    let base = format!("http://{}", endpoint.addr);
    let mut req = format!("ws://{}{}", endpoint.addr, endpoint.path).into_client_request()?;
    req.headers_mut()
        .insert("Origin", HeaderValue::from_str(&base)?);
    if let Some(c) = cookie {
        req.headers_mut()
            .insert("Cookie", HeaderValue::from_str(c)?);
    }
    // Client-side buffers are kept small: the client's memory is not what is measured, but
    // 5,000 sockets at tungstenite's default 128 KiB would still be a lot.
    let config = WebSocketConfig::default()
        .read_buffer_size(16 * 1024)
        .write_buffer_size(0);
    let (ws, _) = tokio_tungstenite::client_async_with_config(req, stream, Some(config))
        .await
        .with_context(|| format!("websocket upgrade at {}", endpoint.addr))?;
    Ok(ws)
}

async fn send_json(ws: &mut Ws, v: serde_json::Value) -> anyhow::Result<()> {
    ws.send(Message::Text(v.to_string().into())).await?;
    Ok(())
}

/// Subscribes `ws` to `room` and waits until the server confirms (a ping answered after it).
pub async fn subscribe(ws: &mut Ws, room: &str) -> anyhow::Result<()> {
    send_json(
        ws,
        serde_json::json!({"type": "subscribe", "topics": [format!("room:{room}")]}),
    )
    .await?;
    send_json(ws, serde_json::json!({"type": "ping"})).await?;
    let wait = async {
        while let Some(m) = ws.next().await {
            if let Message::Text(t) = m? {
                if t.contains(r#""type":"pong""#) {
                    return Ok(());
                }
                if t.contains(r#""type":"error""#) {
                    bail!("subscribe refused: {t}");
                }
            }
        }
        bail!("socket closed while subscribing")
    };
    tokio::time::timeout(Duration::from_secs(60), wait)
        .await
        .context("no pong within 60 s of subscribing")?
}

/// What one receiver saw.
struct ReceiverOutcome {
    room: usize,
    deliveries: u64,
    out_of_order: u64,
    closed: bool,
    latencies: Vec<u32>,
}

/// Progress shared by the receivers, for the drain.
#[derive(Default)]
struct Progress {
    deliveries: AtomicU64,
    last_delivery_micros: AtomicU64,
}

async fn receive(
    mut ws: Ws,
    room: usize,
    senders: usize,
    mut stop: watch::Receiver<bool>,
    progress: Arc<Progress>,
) -> ReceiverOutcome {
    let mut out = ReceiverOutcome {
        room,
        deliveries: 0,
        out_of_order: 0,
        closed: false,
        latencies: Vec::new(),
    };
    // Next expected sequence number per sender.
    let mut next = vec![0u64; senders];
    // A WebSocket ping now and then keeps the server's idle timer (90 s) from closing us.
    let mut keepalive = tokio::time::interval(Duration::from_secs(20));
    keepalive.tick().await;
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            _ = keepalive.tick() => {
                if ws.send(Message::Ping(Default::default())).await.is_err() {
                    out.closed = true;
                    break;
                }
            }
            m = ws.next() => match m {
                Some(Ok(Message::Text(t))) => {
                    let Some(stamp) = codec::decode(t.as_str()) else { continue };
                    let now = micros_since_epoch();
                    out.latencies.push(u32::try_from(now.saturating_sub(stamp.sent_micros)).unwrap_or(u32::MAX));
                    out.deliveries += 1;
                    if let Some(n) = next.get_mut(stamp.sender as usize) {
                        if stamp.seq != *n {
                            out.out_of_order += 1;
                        }
                        *n = (*n).max(stamp.seq + 1);
                    } else {
                        out.out_of_order += 1;
                    }
                    progress.deliveries.fetch_add(1, Ordering::Relaxed);
                    progress.last_delivery_micros.fetch_max(now, Ordering::Relaxed);
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => {
                    out.closed = true;
                    break;
                }
                Some(Ok(_)) => {}
            },
        }
    }
    let _ = ws.close(None).await;
    out
}

struct SenderOutcome {
    room: usize,
    published: u64,
    refused: u64,
    reasons: Vec<String>,
}

/// Sends stamped messages every `period` until `until`, each after the previous one's ack.
async fn send_loop(
    mut ws: Ws,
    index: u32,
    room: (usize, String),
    size: usize,
    period: Duration,
    offset: Duration,
    until: Instant,
) -> anyhow::Result<SenderOutcome> {
    let mut out = SenderOutcome {
        room: room.0,
        published: 0,
        refused: 0,
        reasons: Vec::new(),
    };
    tokio::time::sleep(offset).await;
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if Instant::now() >= until {
            break;
        }
        let body = codec::encode(
            Stamp {
                sender: index,
                seq: out.published,
                sent_micros: micros_since_epoch(),
            },
            size,
        );
        let client_id = uuid::Uuid::new_v4();
        send_json(
            &mut ws,
            serde_json::json!({"type": "say", "room": room.1, "body": body, "client_id": client_id}),
        )
        .await?;
        // The ack (or an error frame) for this message; anything else is skipped.
        let answer = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(m) = ws.next().await {
                if let Message::Text(t) = m? {
                    let v: serde_json::Value = match serde_json::from_str(t.as_str()) {
                        Ok(v) => v,
                        Err(_) => continue,
                    };
                    if v["type"] == "ack" || v["type"] == "error" {
                        return Ok(v);
                    }
                }
            }
            bail!("sender socket closed")
        })
        .await
        .context("no ack within 30 s")??;
        if answer["type"] == "ack" && answer["status"] == "published" {
            out.published += 1;
        } else {
            out.refused += 1;
            if out.reasons.len() < 3 {
                out.reasons.push(answer.to_string());
            }
        }
    }
    let _ = ws.close(None).await;
    Ok(out)
}

fn source_address(i: usize, sockets: usize) -> Option<IpAddr> {
    let addresses = sockets.div_ceil(SOCKETS_PER_SOURCE_ADDRESS);
    (addresses > 1).then(|| IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1 + (i % addresses) as u8)))
}

fn sum_rss(pids: &[u32]) -> anyhow::Result<u64> {
    pids.iter().map(|&p| procs::rss_bytes(p)).sum()
}

fn sum_cpu(pids: &[u32]) -> anyhow::Result<u64> {
    pids.iter().map(|&p| procs::cpu_ticks(p)).sum()
}

/// Runs the load once against `target` and measures it.
pub async fn run(target: &Target, params: &LoadParams) -> anyhow::Result<RunMetrics> {
    let _ = epoch();
    if target.endpoints.is_empty() || target.rooms.is_empty() {
        bail!("nothing to connect to");
    }
    if params.rate <= 0.0 || params.senders == 0 {
        bail!("--rate and --senders must be positive");
    }
    let mut m = RunMetrics::default();
    let hz = procs::clock_ticks_per_second() as f64;
    tokio::time::sleep(Duration::from_millis(500)).await;
    m.rss_before = sum_rss(&target.pids)?;

    // Receivers: open and subscribe, a few at a time.
    let started = Instant::now();
    let receivers: Vec<(Ws, usize)> = futures_util::stream::iter(0..params.sockets)
        .map(|i| {
            let endpoint = &target.endpoints[i % target.endpoints.len()];
            let cookie = (!target.member_cookies.is_empty())
                .then(|| target.member_cookies[i % target.member_cookies.len()].as_str());
            let room = i % target.rooms.len();
            async move {
                let mut ws = open(endpoint, cookie, source_address(i, params.sockets)).await?;
                subscribe(&mut ws, &target.rooms[room]).await?;
                anyhow::Ok((ws, room))
            }
        })
        .buffer_unordered(params.connect_concurrency.max(1))
        .try_collect()
        .await
        .context("opening the receiving sockets")?;
    m.connect_secs = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(2)).await;
    m.rss_after = sum_rss(&target.pids)?;
    m.mem_per_socket =
        (m.rss_after.saturating_sub(m.rss_before)) as f64 / params.sockets.max(1) as f64;

    let (stop_tx, stop_rx) = watch::channel(false);
    let progress = Arc::new(Progress::default());
    let receiver_tasks: Vec<_> = receivers
        .into_iter()
        .map(|(ws, room)| {
            tokio::spawn(receive(
                ws,
                room,
                params.senders,
                stop_rx.clone(),
                progress.clone(),
            ))
        })
        .collect();

    // Senders.
    let mut sender_sockets = Vec::with_capacity(params.senders);
    for j in 0..params.senders {
        let endpoint = &target.endpoints[j % target.endpoints.len()];
        let cookie = target.sender_cookies.get(j).map(String::as_str);
        if cookie.is_none() && !target.sender_cookies.is_empty() {
            bail!("fewer sender cookies than senders");
        }
        sender_sockets.push(open(endpoint, cookie, None).await?);
    }
    let period = Duration::from_secs_f64(params.senders as f64 / params.rate);
    let cpu_before = sum_cpu(&target.pids)?;
    let first_send = micros_since_epoch();
    let until = Instant::now() + params.duration;
    let sender_tasks: Vec<_> = sender_sockets
        .into_iter()
        .enumerate()
        .map(|(j, ws)| {
            let room = j % target.rooms.len();
            tokio::spawn(send_loop(
                ws,
                j as u32,
                (room, target.rooms[room].clone()),
                params.size,
                period,
                period.mul_f64(j as f64 / params.senders as f64),
                until,
            ))
        })
        .collect();
    let mut per_room_published = vec![0u64; target.rooms.len()];
    for t in sender_tasks {
        let s = t.await.context("a sender panicked")??;
        m.published += s.published;
        m.refused += s.refused;
        per_room_published[s.room] += s.published;
        for r in s.reasons {
            if m.refusal_samples.len() < 5 {
                m.refusal_samples.push(r);
            }
        }
    }
    let mut receivers_per_room = vec![0u64; target.rooms.len()];
    for i in 0..params.sockets {
        receivers_per_room[i % target.rooms.len()] += 1;
    }
    m.expected = per_room_published
        .iter()
        .zip(&receivers_per_room)
        .map(|(p, r)| p * r)
        .sum();

    // Drain: until everything expected arrived, or nothing has for 5 s (at most 60 s).
    let drain_deadline = Instant::now() + Duration::from_secs(60);
    let mut last = (progress.deliveries.load(Ordering::Relaxed), Instant::now());
    while progress.deliveries.load(Ordering::Relaxed) < m.expected
        && Instant::now() < drain_deadline
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now = progress.deliveries.load(Ordering::Relaxed);
        if now != last.0 {
            last = (now, Instant::now());
        } else if last.1.elapsed() > Duration::from_secs(5) {
            break;
        }
    }
    let cpu_after = sum_cpu(&target.pids)?;
    let _ = stop_tx.send(true);
    let mut samples = Vec::with_capacity(m.expected as usize);
    for t in receiver_tasks {
        let r = t.await.context("a receiver panicked")?;
        let _ = r.room;
        m.deliveries += r.deliveries;
        m.out_of_order += r.out_of_order;
        m.receivers_closed += u64::from(r.closed);
        samples.extend(r.latencies);
    }
    m.lost = m.expected.saturating_sub(m.deliveries);
    m.latency = Latency::from_samples(&mut samples);
    let window = progress
        .last_delivery_micros
        .load(Ordering::Relaxed)
        .saturating_sub(first_send) as f64
        / 1e6;
    m.deliveries_per_sec = if window > 0.0 {
        m.deliveries as f64 / window
    } else {
        0.0
    };
    m.cpu_seconds = cpu_after.saturating_sub(cpu_before) as f64 / hz;
    m.cpu_per_delivery_us = if m.deliveries > 0 {
        m.cpu_seconds * 1e6 / m.deliveries as f64
    } else {
        0.0
    };
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_addresses_spread_past_the_port_range() {
        assert_eq!(source_address(7, 5_000), None);
        assert_eq!(
            source_address(0, 60_000),
            Some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1)))
        );
        assert_eq!(
            source_address(1, 60_000),
            Some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)))
        );
        assert_eq!(
            source_address(3, 60_000),
            Some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1)))
        );
    }
}
