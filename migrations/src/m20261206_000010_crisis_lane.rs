//! The crisis lane: texts the rules mark urgent (someone may be at risk now), each with a short
//! response deadline, and staff check-ins, the private conversations a moderator opens with a
//! member who may be in crisis. Members can answer a check-in, never start one.
//!
//! A crisis keeps references, never a copy of the text: the post or message it points at is
//! read (and erased) where it lives.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("checkins")
                    .col(pk_uuid("id"))
                    .col(uuid("member_id"))
                    .col(uuid_null("opened_by"))
                    .col(string("state"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("last_at"))
                    .col(timestamp_with_time_zone_null("closed_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("checkins", "member_id")
                            .to("members", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("checkins", "opened_by")
                            .to("members", "id")
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("checkins_member")
                    .table("checkins")
                    .col("member_id")
                    .col("state")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("checkin_messages")
                    .col(pk_uuid("id"))
                    .col(uuid("checkin_id"))
                    .col(uuid_null("author_id"))
                    .col(boolean("from_staff"))
                    .col(text("body_source"))
                    .col(text("body_html"))
                    .col(text("verdict"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("checkin_messages", "checkin_id")
                            .to("checkins", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("checkin_messages", "author_id")
                            .to("members", "id")
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("checkin_messages_by_checkin")
                    .table("checkin_messages")
                    .col("checkin_id")
                    .col("created_at")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("crises")
                    .col(pk_uuid("id"))
                    .col(uuid_null("member_id"))
                    .col(string("source"))
                    .col(uuid_null("post_id"))
                    .col(uuid_null("message_id"))
                    .col(uuid_null("checkin_id"))
                    .col(text("rules"))
                    .col(string("state"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("due_at"))
                    .col(timestamp_with_time_zone_null("alerted_at"))
                    .col(timestamp_with_time_zone_null("handled_at"))
                    .col(uuid_null("handled_by"))
                    .col(text_null("outcome_note"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("crises", "member_id")
                            .to("members", "id")
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("crises", "post_id")
                            .to("posts", "id")
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("crises", "message_id")
                            .to("messages", "id")
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("crises", "checkin_id")
                            .to("checkins", "id")
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("crises", "handled_by")
                            .to("members", "id")
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("crises_state_due")
                    .table("crises")
                    .col("state")
                    .col("due_at")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["crises", "checkin_messages", "checkins"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
