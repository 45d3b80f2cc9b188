//! Members' everyday comforts (issue 14 item 8).
//!
//! - Two indexes for the home page's unread counts and latest activity per board, which are
//!   derived from `read_markers` and the threads' and posts' own columns on each read, never
//!   kept in a counter row that every post would have to update (that would serialise posting
//!   on a board): `threads (board_id, status, last_activity_at)` answers a board's listed
//!   threads and its latest activity from the index, and `posts (thread_id, status,
//!   created_at)` answers "is there a published post newer than my marker" with one probe.
//! - `members.welcomed_at`: when the member dismissed the welcome shown on their first sign-in.
//!   Kept on the server, not in the browser, because devices are shared. Members who joined
//!   before this migration have found their way already, so they count as welcomed.
//! - `message_reports`: members' reports of chat messages, as `reports` are of posts (one per
//!   member per message; the reporter is never shown; a fixed reason, no free text).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("threads_board_listed")
                    .table("threads")
                    .col("board_id")
                    .col("status")
                    .col("last_activity_at")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("posts_thread_status_created")
                    .table("posts")
                    .col("thread_id")
                    .col("status")
                    .col("created_at")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("members")
                    .add_column(timestamp_with_time_zone_null("welcomed_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE members SET welcomed_at = approved_at WHERE approved_at IS NOT NULL",
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("message_reports")
                    .col(pk_uuid("id"))
                    .col(uuid("message_id"))
                    .col(uuid_null("reporter_id"))
                    .col(string("reason"))
                    .col(string("state"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("closed_at"))
                    .col(string_null("decision"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("message_reports", "message_id")
                            .to("messages", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("message_reports", "reporter_id")
                            .to("members", "id")
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("message_reports_message_reporter")
                    .table("message_reports")
                    .col("message_id")
                    .col("reporter_id")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("message_reports_state_created")
                    .table("message_reports")
                    .col("state")
                    .col("created_at")
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("message_reports").to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("members")
                    .drop_column("welcomed_at")
                    .to_owned(),
            )
            .await?;
        for (name, table) in [
            ("posts_thread_status_created", "posts"),
            ("threads_board_listed", "threads"),
        ] {
            manager
                .drop_index(Index::drop().name(name).table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
