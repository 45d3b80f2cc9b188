//! Hearth's end-to-end tests, in one binary: each module drives the real server (HTTP, websocket,
//! the command line) on real databases, most of them on SQLite and PostgreSQL. One binary links
//! once instead of once per file, and its tests share one pool of test threads.
//!
//! Run one module with `cargo test --test it leaks::`, one test with its full path.

#[macro_use]
mod common;

mod access_log;
mod account_recovery;
mod attacks;
mod authorization_matrix;
mod backup_restore;
mod boundary;
mod cli;
mod comforts;
mod comforts_members;
mod config_reference;
mod crisis;
mod data_inventory;
mod data_rights;
mod email_oracle;
mod factors_attacks;
mod faults;
mod held_chat;
mod leak_property;
mod leaks;
mod limits;
mod membership;
mod moderation;
mod moderation_bypass;
mod moderation_corpus_http;
mod multi_instance;
mod openapi;
mod realtime;
mod safeguarding;
mod second_factors;
mod security_headers;
mod staff_bounds;
mod staff_comforts;
mod upgrades;
