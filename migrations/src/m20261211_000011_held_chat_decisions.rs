//! A held chat message that a moderator rejects keeps the reason they gave, so its author is
//! told why in the room where they said it (and again after a reload), not only in a
//! notification. Null for every message no moderator has rejected.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("messages")
                    .add_column(text_null("decision_reason"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("messages")
                    .drop_column("decision_reason")
                    .to_owned(),
            )
            .await
    }
}
