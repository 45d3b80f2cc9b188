//! Staff comforts (issue 14 item 8): an invite can be revoked before it is used
//! (`invites.revoked_at`), and a board can be archived (`boards.archived_at`): read-only for
//! members and off the home list, its threads still readable by link. Boards already have an
//! explicit `position`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        manager
            .alter_table(
                Table::alter()
                    .table("invites")
                    .add_column(timestamp_with_time_zone_null("revoked_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("boards")
                    .add_column(timestamp_with_time_zone_null("archived_at"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("boards")
                    .drop_column("archived_at")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("invites")
                    .drop_column("revoked_at")
                    .to_owned(),
            )
            .await
    }
}
