//! sea-orm entities, one per table. Kept private to the crate: callers use the repository
//! methods on [`crate::Store`] and the record types they return, never `DbErr` or models.

pub mod access_log;
pub mod age_refusal;
pub mod application;
pub mod audit;
pub mod board;
pub mod checkin;
pub mod checkin_message;
pub mod concern;
pub mod crisis;
pub mod event;
pub mod invite;
pub mod member;
pub mod member_mute;
pub mod mention;
pub mod message;
pub mod message_report;
pub mod notification;
pub mod password_reset;
pub mod post;
pub mod queue_item;
pub mod reaction;
pub mod read_marker;
pub mod recovery_code;
pub mod report;
pub mod reserved_handle;
pub mod room;
pub mod second_factor;
pub mod session;
pub mod setting;
pub mod thread;
pub mod thread_follow;
