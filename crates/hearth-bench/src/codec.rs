//! The message codec: what a benchmark chat message's body carries so that a receiver can tell
//! who sent it, in what order, and when.
//!
//! The stamp is written in letters, not digits: a body full of digits would trip Hearth's
//! phone-number detector and be held. The 16 "digits" are consonants, so no stamp or filler can
//! spell a word on a moderation list. Layout: `zw<sender>x<seq>x<micros>v` then filler up to the
//! requested size, e.g. `zwbxcxfghv brr hmm psst...`. The same body travels inside Hearth's JSON
//! event (as `body_html`) and as the baseline's raw frame; [`decode`] finds it in either.

/// Hexadecimal digits 0 to f, as consonants.
const DIGITS: &[u8; 16] = b"bcdfghjklmnpqrst";
/// Where a stamp starts. Neither letter is a digit, so it cannot appear inside a field.
pub const MARKER: &str = "zw";
const SEP: u8 = b'x';
const END: u8 = b'v';
/// Bland consonant-only filler that pads a body to its size.
const FILLER: &[u8] = b" brr hmm psst shh tsk";

/// Who sent a message, its place in that sender's sequence, and when it was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    /// The sender's index in this run.
    pub sender: u32,
    /// 0, 1, 2... per sender, counting only messages the server accepted.
    pub seq: u64,
    /// Microseconds since the run's epoch (one `Instant` shared by every client task).
    pub sent_micros: u64,
}

fn push_number(out: &mut String, mut n: u64) {
    let mut buf = [0u8; 16];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = DIGITS[(n & 15) as usize];
        n >>= 4;
        if n == 0 {
            break;
        }
    }
    out.extend(buf[i..].iter().map(|&b| char::from(b)));
}

/// A body of exactly `size` bytes (or just the stamp, if that is longer) carrying `stamp`.
pub fn encode(stamp: Stamp, size: usize) -> String {
    let mut s = String::with_capacity(size.max(48));
    s.push_str(MARKER);
    push_number(&mut s, u64::from(stamp.sender));
    s.push(char::from(SEP));
    push_number(&mut s, stamp.seq);
    s.push(char::from(SEP));
    push_number(&mut s, stamp.sent_micros);
    s.push(char::from(END));
    let mut i = 0;
    while s.len() < size {
        s.push(char::from(FILLER[i % FILLER.len()]));
        i += 1;
    }
    // Hearth trims bodies; keep the size honest by never ending on a space.
    if s.ends_with(' ') {
        s.pop();
        s.push('h');
    }
    s
}

fn digit(b: u8) -> Option<u64> {
    DIGITS.iter().position(|&d| d == b).map(|p| p as u64)
}

fn parse_fields(bytes: &[u8]) -> Option<Stamp> {
    let mut fields = [0u64; 3];
    let mut idx = 0;
    let mut any = false;
    for &c in bytes {
        if c == SEP && any && idx < 2 {
            idx += 1;
            any = false;
        } else if c == END && any && idx == 2 {
            return Some(Stamp {
                sender: u32::try_from(fields[0]).ok()?,
                seq: fields[1],
                sent_micros: fields[2],
            });
        } else {
            let d = digit(c)?;
            fields[idx] = fields[idx].checked_mul(16)?.checked_add(d)?;
            any = true;
        }
    }
    None
}

/// The first stamp in `text` (a whole frame: JSON or raw), or `None` if it carries none.
pub fn decode(text: &str) -> Option<Stamp> {
    let mut from = 0;
    while let Some(pos) = text.get(from..)?.find(MARKER) {
        let start = from + pos + MARKER.len();
        if let Some(stamp) = text
            .get(start..)
            .and_then(|rest| parse_fields(rest.as_bytes()))
        {
            return Some(stamp);
        }
        from = start;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_inside_json_and_html() {
        let stamp = Stamp {
            sender: 17,
            seq: 123_456,
            sent_micros: 98_765_432_101,
        };
        let body = encode(stamp, 200);
        assert_eq!(body.len(), 200);
        assert!(!body.bytes().any(|b| b.is_ascii_digit()), "{body}");
        assert_eq!(decode(&body), Some(stamp));
        let frame = format!(
            r#"{{"type":"event","topic":"room:0a9e-zw","seq":4,"event":{{"kind":"message","message":{{"body_html":"<p>{body}</p>"}}}}}}"#
        );
        assert_eq!(decode(&frame), Some(stamp), "a false start is skipped");
    }

    #[test]
    fn zero_fields_and_short_sizes() {
        let stamp = Stamp {
            sender: 0,
            seq: 0,
            sent_micros: 0,
        };
        let body = encode(stamp, 4);
        assert_eq!(body, "zwbxbxbv");
        assert_eq!(decode(&body), Some(stamp));
        assert_eq!(
            decode(&encode(
                Stamp {
                    sender: u32::MAX,
                    seq: u64::MAX,
                    sent_micros: u64::MAX
                },
                0
            ))
            .map(|s| s.seq),
            Some(u64::MAX)
        );
    }

    #[test]
    fn frames_without_a_stamp_decode_to_none() {
        for text in [
            "",
            r#"{"type":"pong"}"#,
            r#"{"type":"ack","status":"published"}"#,
            "zw",
            "zwbxb",
            "zwbxbxv",
            "zwaxbxbv",
        ] {
            assert_eq!(decode(text), None, "{text}");
        }
    }
}
