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
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
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
