//! Handles of erased accounts stay reserved for a year, as a keyed hash (like refused-age
//! emails): someone else taking an erased member's handle at once could pass themselves off as
//! them to members who knew the handle.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("reserved_handles")
                    .col(string("handle_hash").primary_key())
                    .col(timestamp_with_time_zone("expires_at"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("reserved_handles").to_owned())
            .await
    }
}
