//! Hearth's domain, kept pure: no I/O, no async runtime, no clock of its own.
//!
//! Everything here can be unit tested (and fuzzed) alone. Callers pass in the current time and
//! whatever they read from storage; this crate decides. It is not where data is stored or where
//! requests are answered: that is `hearth-store` and `hearth-server`, joined by `hearth-app`.
#![forbid(unsafe_code)]

pub mod account;
pub mod age;
pub mod comforts;
pub mod content;
pub mod ids;
pub mod moderation;
pub mod policy;
pub mod render;
