//! The safeguarding lane: concerns raised about posts or chat messages, seen only by members
//! an admin has made safeguarding leads, with a response deadline and a decision record.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("members")
                    .add_column(boolean("safeguarding_lead").default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("concerns")
                    .col(pk_uuid("id"))
                    .col(uuid_null("post_id"))
                    .col(uuid_null("message_id"))
                    .col(uuid_null("raised_by"))
                    .col(string("source"))
                    .col(string("category"))
                    .col(text_null("note"))
                    .col(string("state"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("due_at"))
                    .col(timestamp_with_time_zone_null("alerted_at"))
                    .col(timestamp_with_time_zone_null("decided_at"))
                    .col(uuid_null("decided_by"))
                    .col(string_null("decision"))
                    .col(text_null("referral_to"))
                    .col(text_null("decision_reason"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("concerns", "post_id")
                            .to("posts", "id")
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("concerns", "message_id")
                            .to("messages", "id")
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("concerns", "raised_by")
                            .to("members", "id")
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("concerns", "decided_by")
                            .to("members", "id")
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("concerns_state_due")
                    .table("concerns")
                    .col("state")
                    .col("due_at")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("concerns").to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("members")
                    .drop_column("safeguarding_lead")
                    .to_owned(),
            )
            .await
    }
}
