//! A post may carry the key its sender picked for it (the `Idempotency-Key` of the request that
//! made it), so that a send retried after an answer was lost (a dropped connection, or a
//! database that went away just as it committed) finds the post it already made instead of
//! storing it twice. The key is unique per author; posts sent without one leave it null.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("posts")
                    .add_column(uuid_null("client_key"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("posts_author_client_key")
                    .table("posts")
                    .col("author_id")
                    .col("client_key")
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("posts_author_client_key")
                    .table("posts")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("posts")
                    .drop_column("client_key")
                    .to_owned(),
            )
            .await
    }
}
