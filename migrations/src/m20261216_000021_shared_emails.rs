//! An invited account whose email another account already holds keeps the address its invitee
//! typed in `members.shared_email`: not unique, never the account's login key, and only ever
//! set for such accounts. So the invitee sees their own address on their account page, signs in
//! with it, and can be sent a reset link at it, exactly as an invitee with a new address can,
//! while the other account keeps its email (its unique `members.email`) and everything else.
//! Issue 13: the invite variant must show no difference between an existing and a new address.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("members")
                    .add_column(string_null("shared_email"))
                    .to_owned(),
            )
            .await?;
        // Sign-in by email and reset requests look accounts up by it.
        manager
            .create_index(
                Index::create()
                    .name("idx_members_shared_email")
                    .table("members")
                    .col("shared_email")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_members_shared_email")
                    .table("members")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("members")
                    .drop_column("shared_email")
                    .to_owned(),
            )
            .await
    }
}
