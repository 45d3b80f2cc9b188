//! A post or a chat message may carry the key its sender picked for it (a post's
//! `Idempotency-Key` header, a `say`'s `client_id`), so that a send retried after its answer was
//! lost (a dropped connection, or a database that went away just as it committed) finds what it
//! already made instead of storing it twice. Keys are unique per author; sends without one leave
//! the column null.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The tables that take a sender's key, and the name of each one's unique index.
const KEYED: &[(&str, &str)] = &[
    ("posts", "posts_author_client_key"),
    ("messages", "messages_author_client_key"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, index) in KEYED {
            manager
                .alter_table(
                    Table::alter()
                        .table(*table)
                        .add_column(uuid_null("client_key"))
                        .to_owned(),
                )
                .await?;
            manager
                .create_index(
                    Index::create()
                        .name(*index)
                        .table(*table)
                        .col("author_id")
                        .col("client_key")
                        .unique()
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, index) in KEYED {
            manager
                .drop_index(Index::drop().name(*index).table(*table).to_owned())
                .await?;
            manager
                .alter_table(
                    Table::alter()
                        .table(*table)
                        .drop_column("client_key")
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
