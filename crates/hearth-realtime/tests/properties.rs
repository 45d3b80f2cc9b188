//! Property tests (proptest) on the socket's wire protocol: the parser never panics on any frame,
//! refuses or accepts consistently with its limits, and client and server messages round-trip
//! through their JSON form.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use hearth_core::ids::{BoardId, MemberId, RoomId, ThreadId};
use hearth_realtime::{
    AckStatus, ClientMessage, ProtocolError, ProtocolLimits, ServerMessage, Topic,
    parse_client_message,
};
use proptest::prelude::*;
use serde_json::{Value, json};
use uuid::Uuid;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn uuid() -> impl Strategy<Value = Uuid> {
    any::<u128>().prop_map(Uuid::from_u128)
}

fn topic() -> impl Strategy<Value = Topic> {
    prop_oneof![
        uuid().prop_map(|u| Topic::Thread(ThreadId(u))),
        uuid().prop_map(|u| Topic::Board(BoardId(u))),
        uuid().prop_map(|u| Topic::Room(RoomId(u))),
        uuid().prop_map(|u| Topic::Member(MemberId(u))),
        uuid().prop_map(|u| Topic::RoomHeld(RoomId(u))),
        Just(Topic::ModQueue),
        Just(Topic::Applications),
        Just(Topic::Rooms),
    ]
}

fn client_message() -> impl Strategy<Value = ClientMessage> {
    prop_oneof![
        (
            prop::collection::vec(topic(), 0..70),
            prop::collection::btree_map(topic(), any::<i64>(), 0..70)
        )
            .prop_map(|(topics, since)| ClientMessage::Subscribe { topics, since }),
        prop::collection::vec(topic(), 0..70)
            .prop_map(|topics| ClientMessage::Unsubscribe { topics }),
        (uuid(), any::<String>(), uuid()).prop_map(|(room, body, client_id)| ClientMessage::Say {
            room: RoomId(room),
            body,
            client_id
        }),
        Just(ClientMessage::Ping),
    ]
}

/// JSON values without floats (which need not round-trip bit for bit).
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(any::<String>(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn server_message() -> impl Strategy<Value = ServerMessage> {
    prop_oneof![
        (topic(), any::<i64>(), json_value())
            .prop_map(|(topic, seq, event)| ServerMessage::Event { topic, seq, event }),
        (
            uuid(),
            prop::sample::select(vec![
                AckStatus::Published,
                AckStatus::Held,
                AckStatus::Rejected
            ]),
            prop::option::of(any::<String>())
        )
            .prop_map(|(client_id, status, reason)| ServerMessage::Ack {
                client_id,
                status,
                reason,
                signpost: Vec::new(),
            }),
        (any::<String>(), any::<String>())
            .prop_map(|(code, message)| ServerMessage::Error { code, message }),
        Just(ServerMessage::Pong),
    ]
}

/// Frames as a hostile client writes them: valid messages with one thing changed, JSON
/// fragments, deep nesting, arbitrary text.
fn frame() -> impl Strategy<Value = String> {
    let fragment = prop::sample::select(vec![
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "\"",
        "\\",
        "\\u0000",
        "\\ud800",
        "null",
        "true",
        "1e999",
        "-0",
        "\"type\"",
        "\"subscribe\"",
        "\"say\"",
        "\"ping\"",
        "\"topics\"",
        "\"since\"",
        "\"room\"",
        "\"body\"",
        "\"client_id\"",
        "\"thread:\"",
        "\"modqueue\"",
        "\u{0}",
        "\u{feff}",
        "\u{10ffff}",
    ]);
    prop_oneof![
        3 => client_message().prop_map(|m| serde_json::to_string(&m).unwrap()),
        3 => (client_message(), any::<usize>(), any::<char>()).prop_map(|(m, at, c)| {
            let mut s = serde_json::to_string(&m).unwrap();
            let mut i = at % (s.len() + 1);
            while !s.is_char_boundary(i) {
                i -= 1;
            }
            s.insert(i, c);
            s
        }),
        3 => (client_message(), any::<usize>(), any::<usize>()).prop_map(|(m, a, b)| {
            let s = serde_json::to_string(&m).unwrap();
            let (a, b) = (a % (s.len() + 1), b % (s.len() + 1));
            let (a, b) = (a.min(b), a.max(b));
            let mut out = String::new();
            for (i, c) in s.char_indices() {
                if i < a || i >= b {
                    out.push(c);
                }
            }
            out
        }),
        2 => prop::collection::vec(fragment, 0..40).prop_map(|v| v.concat()),
        1 => (1usize..3000).prop_map(|n| "[".repeat(n)),
        1 => (1usize..3000).prop_map(|n| format!("{}{}", "{\"a\":".repeat(n), "}".repeat(n))),
        2 => any::<String>(),
    ]
}

/// The JSON form a message must have on the wire: an object with a string `type`.
fn has_type(text: &str) -> bool {
    serde_json::from_str::<Value>(text).is_ok_and(|v| v["type"].is_string())
}

proptest! {
    #![proptest_config(config())]

    /// Any frame at all: an answer, never a panic; a frame over the size limit is refused as
    /// such before anything else; what parses is within the limits.
    #[test]
    fn the_parser_never_panics_and_honours_its_limits(text in frame(), small in any::<bool>()) {
        let limits = if small {
            ProtocolLimits { max_frame_bytes: 256, max_topics_per_message: 4 }
        } else {
            ProtocolLimits::default()
        };
        match parse_client_message(&text, &limits) {
            Ok(message) => {
                prop_assert!(text.len() <= limits.max_frame_bytes);
                match &message {
                    ClientMessage::Subscribe { topics, since } => {
                        prop_assert!(topics.len() <= limits.max_topics_per_message);
                        prop_assert!(since.len() <= limits.max_topics_per_message);
                        prop_assert!(since.values().all(|s| *s >= 0));
                    }
                    ClientMessage::Unsubscribe { topics } => {
                        prop_assert!(topics.len() <= limits.max_topics_per_message);
                    }
                    ClientMessage::Say { .. } | ClientMessage::Ping => {}
                }
                // What parsed, serialised again, parses to the same message.
                let again = serde_json::to_string(&message).unwrap();
                prop_assert_eq!(parse_client_message(&again, &ProtocolLimits { max_frame_bytes: usize::MAX, ..limits }), Ok(message));
            }
            Err(ProtocolError::FrameTooLarge { size, limit }) => {
                prop_assert_eq!(size, text.len());
                prop_assert!(size > limit);
            }
            Err(e) => {
                prop_assert!(text.len() <= limits.max_frame_bytes, "{e:?} for an oversized frame");
                let frame = e.to_message().to_text();
                let v: Value = serde_json::from_str(&frame).unwrap();
                prop_assert_eq!(&v["type"], "error");
                prop_assert_eq!(v["code"].as_str(), Some(e.code()));
                // The error never echoes more than a bounded part of the input.
                prop_assert!(frame.len() < 600, "{frame}");
                if let ProtocolError::UnknownType = e {
                    prop_assert!(has_type(&text));
                }
            }
        }
    }

    /// Every client message round-trips through its JSON form, and parses when within limits.
    #[test]
    fn client_messages_round_trip(message in client_message()) {
        let text = serde_json::to_string(&message).unwrap();
        prop_assert_eq!(serde_json::from_str::<ClientMessage>(&text).unwrap(), message.clone());
        let limits = ProtocolLimits::default();
        let within = match &message {
            ClientMessage::Subscribe { topics, since } => {
                topics.len().max(since.len()) <= limits.max_topics_per_message
                    && since.values().all(|s| *s >= 0)
            }
            ClientMessage::Unsubscribe { topics } => topics.len() <= limits.max_topics_per_message,
            _ => true,
        } && text.len() <= limits.max_frame_bytes;
        match parse_client_message(&text, &limits) {
            Ok(parsed) => {
                prop_assert!(within, "accepted beyond the limits: {text}");
                prop_assert_eq!(parsed, message);
            }
            Err(e) => prop_assert!(!within, "refused within the limits ({e:?}): {text}"),
        }
    }

    /// Every server message round-trips through the frame text the server sends.
    #[test]
    fn server_messages_round_trip(message in server_message()) {
        let text = message.to_text();
        prop_assert!(has_type(&text), "{text}");
        prop_assert_eq!(serde_json::from_str::<ServerMessage>(&text).unwrap(), message);
    }

    /// Topics: display and parse are inverses, and no other spelling parses.
    #[test]
    fn topics_round_trip(topic in topic(), junk in "\\PC{0,50}") {
        prop_assert_eq!(topic.to_string().parse::<Topic>(), Ok(topic));
        if let Ok(t) = junk.parse::<Topic>() {
            prop_assert_eq!(t.to_string(), junk);
        }
    }
}

/// The parser's limits, exactly at and just past the edge.
#[test]
fn limits_hold_at_the_edge() {
    let limits = ProtocolLimits::default();
    let topics: Vec<Topic> = (0..limits.max_topics_per_message)
        .map(|i| Topic::Room(RoomId(Uuid::from_u128(i as u128))))
        .collect();
    let at = ClientMessage::Subscribe {
        topics: topics.clone(),
        since: BTreeMap::new(),
    };
    assert!(parse_client_message(&serde_json::to_string(&at).unwrap(), &limits).is_ok());
    let mut over = topics;
    over.push(Topic::ModQueue);
    let past = ClientMessage::Unsubscribe { topics: over };
    assert!(matches!(
        parse_client_message(&serde_json::to_string(&past).unwrap(), &limits),
        Err(ProtocolError::TooManyTopics { .. })
    ));
    let padding = limits.max_frame_bytes - r#"{"type":"ping","x":""}"#.len();
    let exactly = format!(r#"{{"type":"ping","x":"{}"}}"#, "a".repeat(padding));
    assert_eq!(exactly.len(), limits.max_frame_bytes);
    assert_eq!(
        parse_client_message(&exactly, &limits),
        Ok(ClientMessage::Ping)
    );
    let one_more = format!(r#"{{"type":"ping","x":"{}"}}"#, "a".repeat(padding + 1));
    assert!(matches!(
        parse_client_message(&one_more, &limits),
        Err(ProtocolError::FrameTooLarge { .. })
    ));
}
