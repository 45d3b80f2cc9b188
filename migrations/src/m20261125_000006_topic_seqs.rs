//! One counter row per realtime topic: an event takes its topic's next sequence number with a
//! single `INSERT ... ON CONFLICT DO UPDATE ... RETURNING` inside the transaction that stores
//! it, instead of reading the topic's latest event and retrying the INSERT when another writer
//! took the same number. The row lock serialises writers to one topic until they commit, so
//! numbers are handed out without gaps and become visible in order.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("topic_seqs")
                    .col(string("topic").primary_key())
                    .col(big_integer("seq"))
                    .to_owned(),
            )
            .await?;
        // Topics that already have events carry on from their latest number.
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT INTO topic_seqs (topic, seq) SELECT topic, MAX(seq) FROM events GROUP BY topic",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("topic_seqs").to_owned())
            .await
    }
}
