//! An application keeps its applicant's email itself, and the applicant's waiting account holds
//! a placeholder (`<id>@pending.invalid`) until an admin approves it. So applying with an email
//! that a member already uses creates a waiting application exactly like any other (the handle
//! is taken, the same answer, the same later sign-in behaviour), instead of being refused or
//! swallowed in a way an outsider could tell apart. Two waiting applications may share an email;
//! the admin deciding sees that it is in use, and approval moves the email onto the account.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("applications")
                    .add_column(string_null("email"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_applications_email")
                    .table("applications")
                    .col("email")
                    .to_owned(),
            )
            .await?;
        // Waiting applications made before this migration: their email moves onto the
        // application and the account gets its placeholder, as new ones do.
        let db = manager.get_connection();
        db.execute_unprepared(
            "UPDATE applications SET email = (SELECT m.email FROM members m \
             WHERE m.id = applications.member_id) WHERE status = 'pending'",
        )
        .await?;
        let placeholder = match manager.get_database_backend() {
            DatabaseBackend::Postgres => "id::text || '@pending.invalid'",
            _ => "lower(hex(id)) || '@pending.invalid'",
        };
        db.execute_unprepared(&format!(
            "UPDATE members SET email = {placeholder} WHERE standing = 'pending'"
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            "UPDATE members SET email = (SELECT a.email FROM applications a \
             WHERE a.member_id = members.id) WHERE standing = 'pending' AND EXISTS \
             (SELECT 1 FROM applications a WHERE a.member_id = members.id AND a.email IS NOT NULL)",
        )
        .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_applications_email")
                    .table("applications")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("applications")
                    .drop_column("email")
                    .to_owned(),
            )
            .await
    }
}
