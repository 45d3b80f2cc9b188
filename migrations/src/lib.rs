//! Hearth's schema, as an ordered list of migrations. Run by `hearth migrate` and at start-up
//! of `hearth serve`; the same migrations serve SQLite and PostgreSQL.
//!
//! Every column added here must also be listed in `DATA-INVENTORY.md` (a test compares them),
//! because what Hearth stores about families is sensitive and must stay deliberate.
#![forbid(unsafe_code)]

pub use sea_orm_migration::prelude::*;

mod m20261125_000001_foundation;
mod m20261125_000002_content;
mod m20261125_000003_realtime;
mod m20261125_000004_password_resets;
mod m20261125_000005_safeguarding;
mod m20261125_000006_topic_seqs;
mod m20261125_000007_comforts;
mod m20261204_000008_client_keys;
mod m20261204_000009_search_indexes;
mod m20261206_000010_crisis_lane;
mod m20261211_000011_held_chat_decisions;
mod m20261212_000012_reserved_handles;
mod m20261213_000013_application_emails;
mod m20261213_000014_scrub_event_text;
mod m20261214_000015_moderator_edits;
mod m20261215_000016_member_comforts;
mod m20261215_000017_staff_comforts;
mod m20261216_000018_second_factors;
mod m20261216_000019_access_log;
mod m20261216_000021_shared_emails;

/// The list of migrations, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_foundation::Migration),
            Box::new(m20261125_000002_content::Migration),
            Box::new(m20261125_000003_realtime::Migration),
            Box::new(m20261125_000004_password_resets::Migration),
            Box::new(m20261125_000005_safeguarding::Migration),
            Box::new(m20261125_000006_topic_seqs::Migration),
            Box::new(m20261125_000007_comforts::Migration),
            Box::new(m20261204_000008_client_keys::Migration),
            Box::new(m20261204_000009_search_indexes::Migration),
            Box::new(m20261206_000010_crisis_lane::Migration),
            Box::new(m20261211_000011_held_chat_decisions::Migration),
            Box::new(m20261212_000012_reserved_handles::Migration),
            Box::new(m20261213_000013_application_emails::Migration),
            Box::new(m20261213_000014_scrub_event_text::Migration),
            Box::new(m20261214_000015_moderator_edits::Migration),
            Box::new(m20261215_000016_member_comforts::Migration),
            Box::new(m20261215_000017_staff_comforts::Migration),
            Box::new(m20261216_000018_second_factors::Migration),
            Box::new(m20261216_000019_access_log::Migration),
            Box::new(m20261216_000021_shared_emails::Migration),
        ]
    }
}
