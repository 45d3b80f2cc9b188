//! Repository methods on [`crate::Store`], one module per concern.

pub mod access_log;
pub mod applications;
pub mod audit;
pub mod comforts;
pub mod concerns;
pub mod content;
pub mod crisis;
pub mod everyday;
pub mod factors;
pub mod invites;
pub mod members;
pub mod notifications;
pub mod queue;
pub mod realtime;
pub mod resets;
pub mod rights;
pub mod sessions;
pub mod settings;
