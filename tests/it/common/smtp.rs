//! A real SMTP server for tests, in Rust, so the README's test command needs nothing but
//! PostgreSQL and Redis: it speaks enough SMTP (RFC 5321) for a client to deliver mail, and hands
//! each message received (headers and body, dot-unstuffed) to the test.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::time::Duration;

/// The server: its port, and the messages it has received, in order.
pub struct Smtp {
    /// The port it listens on, on 127.0.0.1.
    pub port: u16,
    messages: mpsc::Receiver<String>,
}

impl Smtp {
    /// Starts listening on a free port; each connection is served on a thread of its own.
    pub fn start() -> Smtp {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (tx, messages) = mpsc::channel();
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let tx = tx.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, &tx);
                });
            }
        });
        Smtp { port, messages }
    }

    /// The next message's text, or `None` after `wait`.
    pub fn next_message(&self, wait: Duration) -> Option<String> {
        self.messages.recv_timeout(wait).ok()
    }
}

/// One SMTP conversation: greeting, EHLO/HELO, MAIL, RCPT, DATA, and QUIT.
fn serve(stream: TcpStream, messages: &mpsc::Sender<String>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut out = stream.try_clone()?;
    let mut lines = BufReader::new(stream);
    out.write_all(b"220 localhost test SMTP\r\n")?;
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let verb = line.trim_end().to_ascii_uppercase();
        if verb.starts_with("EHLO") {
            out.write_all(b"250-localhost\r\n250 8BITMIME\r\n")?;
        } else if verb.starts_with("DATA") {
            out.write_all(b"354 end with <CRLF>.<CRLF>\r\n")?;
            let mut text = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line)? == 0 {
                    return Ok(());
                }
                let l = line.trim_end_matches(['\r', '\n']);
                if l == "." {
                    break;
                }
                text.push_str(l.strip_prefix('.').unwrap_or(l));
                text.push('\n');
            }
            let _ = messages.send(text);
            out.write_all(b"250 queued\r\n")?;
        } else if verb.starts_with("QUIT") {
            out.write_all(b"221 bye\r\n")?;
            return Ok(());
        } else {
            // HELO, MAIL FROM, RCPT TO, RSET, NOOP: all accepted.
            out.write_all(b"250 OK\r\n")?;
        }
    }
}
