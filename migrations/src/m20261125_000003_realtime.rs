//! Realtime: the per-topic event log (so reconnecting clients and other instances can catch up
//! from the database), chat rooms and their messages.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("events")
                    .col(string("topic"))
                    .col(big_integer("seq"))
                    .col(text("payload"))
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(Index::create().col("topic").col("seq"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("events_created")
                    .table("events")
                    .col("created_at")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("rooms")
                    .col(pk_uuid("id"))
                    .col(string("name"))
                    .col(text("description"))
                    .col(integer("position"))
                    .col(boolean("needs_moderator"))
                    .col(integer("slow_mode_seconds"))
                    .col(integer("new_member_slow_mode_seconds"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("messages")
                    .col(pk_uuid("id"))
                    .col(uuid("room_id"))
                    .col(uuid_null("author_id"))
                    .col(text("body"))
                    .col(text("body_html"))
                    .col(string("status"))
                    .col(text("verdict"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("messages", "room_id")
                            .to("rooms", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("messages", "author_id")
                            .to("members", "id")
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("messages_room")
                    .table("messages")
                    .col("room_id")
                    .col("id")
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["messages", "rooms", "events"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
