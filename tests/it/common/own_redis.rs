//! A redis-server of a test's own, on a free port, that the test can kill and start again (to
//! see instances lose and regain their bus). The shared Redis of the other tests is never
//! touched.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running (or killed) redis-server on `port`.
pub struct OwnRedis {
    /// Its port on 127.0.0.1.
    pub port: u16,
    child: Option<Child>,
}

impl OwnRedis {
    /// Starts one, or `None` (with a SKIPPED line) when `redis-server` cannot be started and
    /// services are not required; panics when they are.
    pub fn start() -> Option<OwnRedis> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut r = OwnRedis { port, child: None };
        if !r.spawn() {
            if super::services_required() {
                panic!(
                    "redis-server is required (HEARTH_REQUIRE_SERVICES=1) but could not be started"
                );
            }
            eprintln!("SKIPPED: redis-server is not installed");
            return None;
        }
        Some(r)
    }

    /// (Re)starts the server on the same port; true once it accepts connections.
    pub fn spawn(&mut self) -> bool {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let Ok(child) = child else { return false };
        self.child = Some(child);
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// Kills the server at once, as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Its URL.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.kill();
    }
}
