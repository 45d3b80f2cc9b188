//! The baseline: a bare tokio-tungstenite broadcast server, the least a chat fan-out can do.
//!
//! It accepts websockets, reads text frames and broadcasts each `say` to every socket that
//! joined the same room, through one `tokio::sync::broadcast` channel per room. It speaks just
//! enough of Hearth's protocol for the same client code to drive it: `subscribe` joins the room
//! named in `room:<id>`, `ping` is answered `pong`, and `say` is broadcast as sent and then
//! acknowledged to its sender. No sessions, no database, no moderation, no ordering checks, and
//! tungstenite's default buffers: that is the point of a baseline.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{broadcast, mpsc};
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

/// Frames a room's channel holds for its slowest reader. A reader that falls further behind
/// has lost messages; it is closed (the benchmark counts what it missed as lost).
pub const ROOM_CHANNEL_CAPACITY: usize = 4096;

/// Rooms by id. Locked briefly by a socket joining or saying; never held across an `.await`.
type Rooms = Arc<Mutex<HashMap<String, broadcast::Sender<Utf8Bytes>>>>;

/// Serves websockets on `listener` until the task is dropped or accepting fails.
pub async fn serve(listener: TcpListener) -> anyhow::Result<()> {
    let rooms: Rooms = Arc::default();
    loop {
        let (stream, _) = listener.accept().await?;
        let rooms = rooms.clone();
        tokio::spawn(async move {
            let _ = connection(stream, rooms).await;
        });
    }
}

/// The text after `key` up to the next `"`, e.g. the room id after `"room":"`.
fn field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let start = text.find(key)? + key.len();
    let rest = text.get(start..)?;
    rest.get(..rest.find('"')?)
}

async fn connection(stream: TcpStream, rooms: Rooms) -> anyhow::Result<()> {
    stream.set_nodelay(true)?;
    let ws = tokio_tungstenite::accept_async(stream).await?;
    let (mut sink, mut source) = ws.split();
    // Replies to this socket (pong, ack). Bounded; the reader waits if the writer is behind.
    let (direct_tx, mut direct_rx) = mpsc::channel::<Message>(64);
    // The room this socket joined (one is all the benchmark uses).
    let (join_tx, mut join_rx) = mpsc::channel::<broadcast::Receiver<Utf8Bytes>>(4);

    let writer = tokio::spawn(async move {
        let mut room: Option<broadcast::Receiver<Utf8Bytes>> = None;
        loop {
            let message = tokio::select! {
                direct = direct_rx.recv() => match direct {
                    Some(m) => m,
                    None => break,
                },
                joined = join_rx.recv() => {
                    if let Some(rx) = joined {
                        room = Some(rx);
                    }
                    continue;
                }
                text = async {
                    match room.as_mut() {
                        Some(rx) => rx.recv().await,
                        None => std::future::pending().await,
                    }
                } => match text {
                    Ok(text) => Message::Text(text),
                    Err(_) => break, // lagged too far behind, or the room is gone
                },
            };
            if sink.send(message).await.is_err() {
                break;
            }
        }
        let _ = sink.close().await;
    });

    while let Some(message) = source.next().await {
        let text = match message {
            Ok(Message::Text(text)) => text,
            Ok(Message::Close(_)) | Err(_) => break,
            Ok(_) => continue,
        };
        let t = text.as_str();
        if t.contains(r#""type":"say""#) {
            let sender = field(t, r#""room":""#).and_then(|room| {
                rooms
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .get(room)
                    .cloned()
            });
            let status = match sender {
                Some(tx) => {
                    let _ = tx.send(text.clone());
                    "published"
                }
                None => "rejected",
            };
            let ack = format!(
                r#"{{"type":"ack","client_id":"{}","status":"{status}"}}"#,
                field(t, r#""client_id":""#).unwrap_or("")
            );
            if direct_tx.send(Message::Text(ack.into())).await.is_err() {
                break;
            }
        } else if t.contains(r#""type":"subscribe""#) {
            if let Some(room) = field(t, r#""room:"#) {
                let rx = rooms
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .entry(room.to_owned())
                    .or_insert_with(|| broadcast::channel(ROOM_CHANNEL_CAPACITY).0)
                    .subscribe();
                if join_tx.send(rx).await.is_err() {
                    break;
                }
            }
        } else if t.contains(r#""type":"ping""#)
            && direct_tx
                .send(Message::Text(r#"{"type":"pong"}"#.into()))
                .await
                .is_err()
        {
            break;
        }
    }
    drop(direct_tx);
    let _ = writer.await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn fields_are_found() {
        let t = r#"{"type":"say","room":"abc","body":"x","client_id":"42"}"#;
        assert_eq!(field(t, r#""room":""#), Some("abc"));
        assert_eq!(field(t, r#""client_id":""#), Some("42"));
        assert_eq!(field(t, r#""nope":""#), None);
        let s = r#"{"type":"subscribe","topics":["room:r0"]}"#;
        assert_eq!(field(s, r#""room:"#), Some("r0"));
    }
}
