//! Boards, threads, posts, the moderation queue, reports, notifications and read markers.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(
    from: &'static str,
    col: &'static str,
    to: &'static str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from, col)
        .to(to, "id")
        .on_delete(on_delete)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("boards")
                    .col(pk_uuid("id"))
                    .col(string("name"))
                    .col(text("description"))
                    .col(integer("position"))
                    .col(string("visibility"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("threads")
                    .col(pk_uuid("id"))
                    .col(uuid("board_id"))
                    .col(uuid_null("author_id"))
                    .col(string("title"))
                    .col(string("status"))
                    .col(boolean("pinned"))
                    .col(boolean("locked"))
                    .col(integer("post_count"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("last_activity_at"))
                    .foreign_key(&mut fk(
                        "threads",
                        "board_id",
                        "boards",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "threads",
                        "author_id",
                        "members",
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("threads_board_activity")
                    .table("threads")
                    .col("board_id")
                    .col("pinned")
                    .col("last_activity_at")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("posts")
                    .col(pk_uuid("id"))
                    .col(uuid("thread_id"))
                    .col(uuid_null("author_id"))
                    .col(boolean("is_first"))
                    .col(text("body_source"))
                    .col(text("body_html"))
                    .col(string_null("content_warning"))
                    .col(string("status"))
                    .col(text("verdict"))
                    .col(text_null("decision_reason"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("edited_at"))
                    .col(timestamp_with_time_zone_null("decided_at"))
                    .foreign_key(&mut fk(
                        "posts",
                        "thread_id",
                        "threads",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "posts",
                        "author_id",
                        "members",
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("posts_thread")
                    .table("posts")
                    .col("thread_id")
                    .col("id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("posts_author")
                    .table("posts")
                    .col("author_id")
                    .col("status")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("reports")
                    .col(pk_uuid("id"))
                    .col(uuid("post_id"))
                    .col(uuid_null("reporter_id"))
                    .col(string("reason"))
                    .col(text_null("note"))
                    .col(string("state"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("closed_at"))
                    .foreign_key(&mut fk(
                        "reports",
                        "post_id",
                        "posts",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "reports",
                        "reporter_id",
                        "members",
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("reports_post")
                    .table("reports")
                    .col("post_id")
                    .col("reporter_id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("queue_items")
                    .col(pk_uuid("id"))
                    .col(string("kind"))
                    .col(uuid("post_id"))
                    .col(uuid_null("report_id"))
                    .col(string("state"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("alerted_at"))
                    .col(timestamp_with_time_zone_null("decided_at"))
                    .col(uuid_null("decided_by"))
                    .col(string_null("decision"))
                    .col(text_null("decision_reason"))
                    .foreign_key(&mut fk(
                        "queue_items",
                        "post_id",
                        "posts",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "queue_items",
                        "report_id",
                        "reports",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "queue_items",
                        "decided_by",
                        "members",
                        ForeignKeyAction::SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("queue_state_created")
                    .table("queue_items")
                    .col("state")
                    .col("created_at")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("notifications")
                    .col(pk_uuid("id"))
                    .col(uuid("member_id"))
                    .col(string("kind"))
                    .col(uuid_null("thread_id"))
                    .col(uuid_null("post_id"))
                    .col(text_null("message"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("read_at"))
                    .foreign_key(&mut fk(
                        "notifications",
                        "member_id",
                        "members",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "notifications",
                        "thread_id",
                        "threads",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "notifications",
                        "post_id",
                        "posts",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("notifications_member")
                    .table("notifications")
                    .col("member_id")
                    .col("created_at")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("read_markers")
                    .col(uuid("member_id"))
                    .col(uuid("thread_id"))
                    .col(timestamp_with_time_zone("read_at"))
                    .primary_key(Index::create().col("member_id").col("thread_id"))
                    .foreign_key(&mut fk(
                        "read_markers",
                        "member_id",
                        "members",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut fk(
                        "read_markers",
                        "thread_id",
                        "threads",
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "read_markers",
            "notifications",
            "queue_items",
            "reports",
            "posts",
            "threads",
            "boards",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
