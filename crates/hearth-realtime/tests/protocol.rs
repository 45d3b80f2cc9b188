//! The wire protocol: what parses, what is refused with which code, and that nothing panics.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use hearth_core::ids::{BoardId, MemberId, RoomId, ThreadId};
use hearth_realtime::{
    AckStatus, ClientMessage, Envelope, ProtocolError, ProtocolLimits, ServerMessage, Topic,
    parse_client_message,
};
use uuid::Uuid;

const T: &str = "67e55044-10b1-426f-9247-bb680e5fe0c8";
const U: &str = "0192f0c1-8a4b-7d3e-9c2a-1b2c3d4e5f60";

fn uuid(s: &str) -> Uuid {
    Uuid::parse_str(s).unwrap()
}

#[test]
fn topics_parse_and_display_round_trip() {
    let cases = [
        (format!("thread:{T}"), Topic::Thread(ThreadId(uuid(T)))),
        (format!("board:{T}"), Topic::Board(BoardId(uuid(T)))),
        (format!("room:{T}"), Topic::Room(RoomId(uuid(T)))),
        (format!("member:{T}"), Topic::Member(MemberId(uuid(T)))),
        (format!("roomheld:{T}"), Topic::RoomHeld(RoomId(uuid(T)))),
        ("modqueue".to_owned(), Topic::ModQueue),
        ("applications".to_owned(), Topic::Applications),
        ("rooms".to_owned(), Topic::Rooms),
    ];
    for (text, topic) in cases {
        assert_eq!(text.parse::<Topic>(), Ok(topic), "{text}");
        assert_eq!(topic.to_string(), text);
        let json = serde_json::to_string(&topic).unwrap();
        assert_eq!(json, format!("\"{text}\""));
        assert_eq!(serde_json::from_str::<Topic>(&json).unwrap(), topic);
    }
}

#[test]
fn bad_topics_are_refused() {
    let bad = [
        "",
        "thread",
        "thread:",
        "thread:not-a-uuid",
        &format!("post:{T}"),
        &format!("Thread:{T}"),
        &format!("thread:{T}:extra"),
        &format!("thread: {T}"),
        "modqueue:",
        "ModQueue",
        &format!("room:{}", &T[..35]),
        "thread:\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}",
        "thread:ééééééééééééééééééé",
    ];
    for text in bad {
        assert!(text.parse::<Topic>().is_err(), "{text:?} should not parse");
    }
}

#[test]
fn good_messages_parse() {
    let limits = ProtocolLimits::default();
    let thread = Topic::Thread(ThreadId(uuid(T)));
    let room = Topic::Room(RoomId(uuid(U)));
    let cases: Vec<(String, ClientMessage)> = vec![
        (r#"{"type":"ping"}"#.to_owned(), ClientMessage::Ping),
        (
            // Unknown extra fields are tolerated, so newer clients still work.
            r#"{"type":"ping","nonce":3}"#.to_owned(),
            ClientMessage::Ping,
        ),
        (
            format!(r#"{{"type":"subscribe","topics":["thread:{T}","modqueue"]}}"#),
            ClientMessage::Subscribe {
                topics: vec![thread, Topic::ModQueue],
                since: BTreeMap::new(),
            },
        ),
        (
            format!(
                r#"{{"type":"subscribe","topics":["thread:{T}","room:{U}"],"since":{{"thread:{T}":41,"room:{U}":0}}}}"#
            ),
            ClientMessage::Subscribe {
                topics: vec![thread, room],
                since: BTreeMap::from([(thread, 41), (room, 0)]),
            },
        ),
        (
            format!(r#"{{"type":"unsubscribe","topics":["room:{U}"]}}"#),
            ClientMessage::Unsubscribe { topics: vec![room] },
        ),
        (
            format!(r#"{{"type":"say","room":"{U}","body":"hello ✨","client_id":"{T}"}}"#),
            ClientMessage::Say {
                room: RoomId(uuid(U)),
                body: "hello ✨".to_owned(),
                client_id: uuid(T),
            },
        ),
        (
            // Whitespace and key order do not matter.
            format!(
                "  {{ \"client_id\" : \"{T}\", \"body\": \"\", \"room\": \"{U}\", \"type\": \"say\" }}\n"
            ),
            ClientMessage::Say {
                room: RoomId(uuid(U)),
                body: String::new(),
                client_id: uuid(T),
            },
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(parse_client_message(&text, &limits), Ok(expected), "{text}");
    }
}

#[test]
fn bad_messages_get_the_right_code() {
    let limits = ProtocolLimits {
        max_frame_bytes: 1024,
        max_topics_per_message: 3,
    };
    let many: Vec<String> = (0..4)
        .map(|_| format!("\"thread:{}\"", Uuid::new_v4()))
        .collect();
    let many = many.join(",");
    let since_many: Vec<String> = (0..4)
        .map(|_| format!("\"thread:{}\":1", Uuid::new_v4()))
        .collect();
    let since_many = since_many.join(",");
    let cases: Vec<(String, &str)> = vec![
        ("".to_owned(), "bad_message"),
        ("not json".to_owned(), "bad_message"),
        ("{".to_owned(), "bad_message"),
        (r#"{"type":"ping""#.to_owned(), "bad_message"),
        ("[]".to_owned(), "bad_message"),
        ("null".to_owned(), "bad_message"),
        ("42".to_owned(), "bad_message"),
        (r#""ping""#.to_owned(), "bad_message"),
        ("{}".to_owned(), "bad_message"),
        (r#"{"topics":[]}"#.to_owned(), "bad_message"),
        (r#"{"type":7}"#.to_owned(), "bad_message"),
        (r#"{"type":null}"#.to_owned(), "bad_message"),
        (r#"{"type":"shout"}"#.to_owned(), "unknown_type"),
        (r#"{"type":"PING"}"#.to_owned(), "unknown_type"),
        (
            r#"{"type":"event","topic":"modqueue","seq":1,"event":{}}"#.to_owned(),
            "unknown_type",
        ),
        (r#"{"type":"subscribe"}"#.to_owned(), "bad_message"),
        (
            r#"{"type":"subscribe","topics":"modqueue"}"#.to_owned(),
            "bad_message",
        ),
        (
            r#"{"type":"subscribe","topics":["nope"]}"#.to_owned(),
            "bad_message",
        ),
        (
            format!(r#"{{"type":"subscribe","topics":[],"since":{{"thread:{T}":-1}}}}"#),
            "bad_message",
        ),
        (
            format!(r#"{{"type":"subscribe","topics":[],"since":{{"thread:{T}":"1"}}}}"#),
            "bad_message",
        ),
        (
            format!(r#"{{"type":"subscribe","topics":[{many}]}}"#),
            "too_many_topics",
        ),
        (
            format!(r#"{{"type":"subscribe","topics":[],"since":{{{since_many}}}}}"#),
            "too_many_topics",
        ),
        (
            format!(r#"{{"type":"unsubscribe","topics":[{many}]}}"#),
            "too_many_topics",
        ),
        (
            format!(r#"{{"type":"say","room":"{U}","client_id":"{T}"}}"#),
            "bad_message",
        ),
        (
            format!(r#"{{"type":"say","room":"{U}","body":"hi","client_id":"c1"}}"#),
            "bad_message",
        ),
        (
            format!(r#"{{"type":"say","room":"room:{U}","body":"hi","client_id":"{T}"}}"#),
            "bad_message",
        ),
        (
            format!(
                r#"{{"type":"say","room":"{U}","body":"{}","client_id":"{T}"}}"#,
                "x".repeat(1024)
            ),
            "frame_too_large",
        ),
        (
            format!("{}{}", "[".repeat(200), "]".repeat(200)),
            "bad_message",
        ),
        (
            format!(
                r#"{{"type":"ping","deep":{}{}}}"#,
                "[".repeat(300),
                "]".repeat(300)
            ),
            "bad_message",
        ),
    ];
    for (text, code) in cases {
        let err = parse_client_message(&text, &limits).expect_err(&text);
        assert_eq!(err.code(), code, "{text}: {err}");
        // Every error maps to a well-formed error frame.
        let frame = err.to_message().to_text();
        let value: serde_json::Value = serde_json::from_str(&frame).unwrap();
        assert_eq!(value["type"], "error");
        assert_eq!(value["code"], code);
        assert!(value["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
}

#[test]
fn frame_size_is_checked_before_parsing() {
    let limits = ProtocolLimits {
        max_frame_bytes: 16,
        max_topics_per_message: 3,
    };
    // Not even JSON: the size alone decides.
    let err = parse_client_message(&"{".repeat(17), &limits).unwrap_err();
    assert_eq!(
        err,
        ProtocolError::FrameTooLarge {
            size: 17,
            limit: 16
        }
    );
    assert!(parse_client_message(r#"{"type":"ping"}"#, &limits).is_ok());
}

#[test]
fn bad_message_details_are_bounded() {
    let limits = ProtocolLimits::default();
    let long_type = format!(r#"{{"type":"say","room":{}}}"#, "9".repeat(5000));
    let err = parse_client_message(&long_type, &limits).unwrap_err();
    assert!(err.to_string().len() < 400, "{err}");
}

/// A tiny deterministic generator, so the "never panics" sweep is reproducible.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % u64::try_from(n).unwrap()).unwrap()
    }
}

#[test]
fn never_panics_on_mutated_or_random_input() {
    let limits = ProtocolLimits {
        max_frame_bytes: 4096,
        max_topics_per_message: 8,
    };
    let seeds = [
        r#"{"type":"ping"}"#.to_owned(),
        format!(
            r#"{{"type":"subscribe","topics":["thread:{T}","modqueue"],"since":{{"thread:{T}":41}}}}"#
        ),
        format!(r#"{{"type":"unsubscribe","topics":["room:{U}"]}}"#),
        format!(r#"{{"type":"say","room":"{U}","body":"hé \"quoted\" \\n","client_id":"{T}"}}"#),
    ];
    let alphabet: Vec<char> =
        "{}[]\":,\\ abcdefghijklmnopqrstuvwxyz0123456789-_.eE+é✨\u{0}\u{7f}\u{FFFF}"
            .chars()
            .collect();
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let mut outcomes = [0usize; 2];
    for round in 0..20_000 {
        let text: String = if round % 4 == 0 {
            (0..rng.below(64))
                .map(|_| alphabet[rng.below(alphabet.len())])
                .collect()
        } else {
            let mut chars: Vec<char> = seeds[rng.below(seeds.len())].chars().collect();
            for _ in 0..=rng.below(4) {
                let at = rng.below(chars.len() + 1);
                match rng.below(3) {
                    0 if at < chars.len() => {
                        chars.remove(at);
                    }
                    1 if at < chars.len() => chars[at] = alphabet[rng.below(alphabet.len())],
                    _ => chars.insert(at, alphabet[rng.below(alphabet.len())]),
                }
            }
            chars.into_iter().collect()
        };
        let result = parse_client_message(&text, &limits);
        outcomes[usize::from(result.is_ok())] += 1;
        if let Err(err) = result {
            // Every refusal still renders as a frame.
            assert!(!err.to_message().to_text().is_empty());
        }
    }
    // The sweep exercised both paths.
    assert!(outcomes[0] > 1000 && outcomes[1] > 100, "{outcomes:?}");
}

#[test]
fn server_messages_serialise_as_documented() {
    let thread = Topic::Thread(ThreadId(uuid(T)));
    let cases: Vec<(ServerMessage, serde_json::Value)> = vec![
        (
            ServerMessage::Event {
                topic: thread,
                seq: 42,
                event: serde_json::json!({"kind": "post_published"}),
            },
            serde_json::json!({"type":"event","topic":format!("thread:{T}"),"seq":42,"event":{"kind":"post_published"}}),
        ),
        (
            ServerMessage::Ack {
                client_id: uuid(U),
                status: AckStatus::Held,
                reason: Some("a moderator will look".to_owned()),
                signpost: Vec::new(),
            },
            serde_json::json!({"type":"ack","client_id":U,"status":"held","reason":"a moderator will look"}),
        ),
        (
            ServerMessage::Ack {
                client_id: uuid(U),
                status: AckStatus::Published,
                reason: None,
                signpost: Vec::new(),
            },
            serde_json::json!({"type":"ack","client_id":U,"status":"published"}),
        ),
        (
            ProtocolError::RateLimited.to_message(),
            serde_json::json!({"type":"error","code":"rate_limited","message":"too many messages; slow down"}),
        ),
        (ServerMessage::Pong, serde_json::json!({"type":"pong"})),
    ];
    for (message, expected) in cases {
        let text = message.to_text();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value, expected);
        let back: ServerMessage = serde_json::from_str(&text).unwrap();
        assert_eq!(back, message);
    }
}

#[test]
fn envelope_frame_is_the_event_message() {
    let thread = Topic::Thread(ThreadId(uuid(T)));
    let event = serde_json::json!({"kind": "post_published", "post": {"body_html": "<p>hi</p>"}});
    let envelope = Envelope::new(thread, 3, event.clone()).unwrap();
    let parsed: ServerMessage = serde_json::from_str(envelope.frame()).unwrap();
    assert_eq!(
        parsed,
        ServerMessage::Event {
            topic: thread,
            seq: 3,
            event
        }
    );
    // Debug never shows the event: it may carry member text.
    assert!(!format!("{envelope:?}").contains("hi"));
    assert!(Envelope::new(thread, 0, serde_json::json!({})).is_err());
}
