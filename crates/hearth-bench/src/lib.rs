//! `hearth-bench`: a load generator for Hearth's realtime socket, and the yardstick it is held
//! to.
//!
//! It signs members in over HTTP, opens many websockets (several per member), subscribes them to
//! chat rooms, has a few moderators `say` stamped messages at a set rate, and measures delivery
//! latency, deliveries per second, lost and out-of-order messages, and the server's memory per
//! idle socket and CPU time per delivery (from `/proc`). The same clients, with the same message
//! sizes and rates, drive a bare tokio-tungstenite broadcast server ([`baseline`]) in the same
//! invocation, and the report prints Hearth/baseline ratios. It also compares posting over HTTP
//! on PostgreSQL with `pgbench` running the equivalent INSERT.
//!
//! It is not part of the server and is never a timed test: CI runs only `--smoke` (20 sockets,
//! a few seconds, in-process, no ratios enforced) to prove it works.
#![forbid(unsafe_code)]

pub mod baseline;
pub mod codec;
pub mod load;
pub mod posting;
pub mod procs;
pub mod provision;
pub mod report;
pub mod scenario;
pub mod stats;
