//! The realtime socket as a test drives it: open with a session cookie, subscribe and wait for
//! the server to confirm, read frames with a deadline.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Stream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// An open socket, and how it closed once it has.
pub struct Ws {
    stream: Stream,
    /// The close frame's reason, once the server closed the socket.
    pub closed: Option<String>,
}

impl Ws {
    /// Opens `/api/ws` on `base` with `cookie`, from the site's own origin; panics if refused.
    pub async fn open(base: &str, cookie: Option<&str>) -> Ws {
        Self::try_open(base, cookie)
            .await
            .expect("the socket opened")
    }

    /// As [`Ws::open`], answering the refusal instead.
    pub async fn try_open(
        base: &str,
        cookie: Option<&str>,
    ) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
        Self::try_open_from(base, cookie, Some(base)).await
    }

    /// As [`Ws::try_open`], claiming `origin` (or none) instead of the site's own.
    pub async fn try_open_from(
        base: &str,
        cookie: Option<&str>,
        origin: Option<&str>,
    ) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
        let mut req = format!("{}/api/ws", base.replace("http://", "ws://"))
            .into_client_request()
            .unwrap();
        if let Some(c) = cookie {
            req.headers_mut().insert("Cookie", c.parse().unwrap());
        }
        if let Some(o) = origin {
            req.headers_mut().insert("Origin", o.parse().unwrap());
        }
        let (stream, _) = tokio_tungstenite::connect_async(req).await?;
        Ok(Ws {
            stream,
            closed: None,
        })
    }

    /// Sends one JSON frame (false if the socket is gone).
    pub async fn send(&mut self, v: Value) -> bool {
        self.stream
            .send(Message::Text(v.to_string().into()))
            .await
            .is_ok()
    }

    /// Sends one text frame as it is, JSON or not (false if the socket is gone).
    pub async fn send_raw(&mut self, text: &str) -> bool {
        self.stream
            .send(Message::Text(text.to_owned().into()))
            .await
            .is_ok()
    }

    /// The next JSON frame, or `None` after `wait` of silence or once closed.
    pub async fn next(&mut self, wait: Duration) -> Option<Value> {
        if self.closed.is_some() {
            return None;
        }
        loop {
            match tokio::time::timeout(wait, self.stream.next()).await {
                Ok(Some(Ok(Message::Text(t)))) => {
                    return Some(serde_json::from_str(t.as_str()).unwrap());
                }
                Ok(Some(Ok(Message::Close(frame)))) => {
                    self.closed = Some(frame.map(|f| f.reason.to_string()).unwrap_or_default());
                    return None;
                }
                Ok(None) | Ok(Some(Err(_))) => {
                    self.closed.get_or_insert_with(String::new);
                    return None;
                }
                Err(_) => return None,
                Ok(Some(Ok(_))) => continue,
            }
        }
    }

    /// Every frame until `wait` passes with nothing new (or the socket closes).
    pub async fn drain(&mut self, wait: Duration) -> Vec<Value> {
        let mut out = Vec::new();
        while let Some(v) = self.next(wait).await {
            out.push(v);
        }
        out
    }

    /// Waits for the frame `want` accepts, failing after 10 s; frames before it are dropped.
    pub async fn expect(&mut self, what: &str, want: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while tokio::time::Instant::now() < deadline {
            if let Some(v) = self.next(Duration::from_millis(250)).await
                && want(&v)
            {
                return v;
            }
            if self.closed.is_some() {
                panic!("the socket closed ({:?}) before {what}", self.closed);
            }
        }
        panic!("no {what} within 10 s");
    }

    /// A round trip: everything the server queued before the pong, which it answers only
    /// after every earlier frame was handled (a subscribe's catch-up included).
    pub async fn sync(&mut self) -> Vec<Value> {
        self.send(json!({"type": "ping"})).await;
        let mut before = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while tokio::time::Instant::now() < deadline {
            match self.next(Duration::from_millis(250)).await {
                Some(v) if v["type"] == "pong" => return before,
                Some(v) => before.push(v),
                None if self.closed.is_some() => return before,
                None => {}
            }
        }
        panic!("no pong within 10 s");
    }

    /// Subscribes (with `since`, which may be `{}`) and answers the frames the subscription
    /// brought (its catch-up, or a refusal), once it is in force.
    pub async fn subscribe(&mut self, topics: Value, since: Value) -> Vec<Value> {
        self.send(json!({"type": "subscribe", "topics": topics, "since": since}))
            .await;
        self.sync().await
    }

    /// Closes the socket from this side, as a tab being closed does.
    pub async fn close(&mut self) {
        let _ = self.stream.close(None).await;
    }

    /// Waits up to `wait` for the server to close the socket; answers the close reason.
    pub async fn closes_within(&mut self, wait: Duration) -> Option<String> {
        let deadline = tokio::time::Instant::now() + wait;
        while self.closed.is_none() && tokio::time::Instant::now() < deadline {
            self.next(Duration::from_millis(100)).await;
        }
        self.closed.clone()
    }
}
