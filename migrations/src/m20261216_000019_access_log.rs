//! The access log (issue 16): every staff read of a held item, a safeguarding concern, a
//! member's admin view, an application or an export, as who, what kind, which id and when;
//! never the content. Append-only: the application inserts and, past its retention, deletes.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("access_log")
                    .col(pk_uuid("id"))
                    // Null once the reader's account is erased.
                    .col(uuid_null("actor_id"))
                    .col(string("kind"))
                    .col(string_null("target_id"))
                    .col(timestamp_with_time_zone("at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("access_log", "actor_id")
                            .to("members", "id")
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("access_log_at")
                    .table("access_log")
                    .col("at")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("access_log").to_owned())
            .await
    }
}
