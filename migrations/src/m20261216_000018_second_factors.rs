//! Second factors (issue 16): TOTP authenticators and WebAuthn credentials a member enrols
//! (`second_factors`), and the ten single-use recovery codes that stand in for a lost one
//! (`recovery_codes`, stored as SHA-256 digests only). A row of `second_factors` with no
//! `confirmed_at` is an enrolment begun and not finished: it never counts as a factor.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("second_factors")
                    .col(pk_uuid("id"))
                    .col(uuid("member_id"))
                    // `totp` or `webauthn`.
                    .col(string("kind"))
                    // A label the member gives it ("phone", "blue key").
                    .col(string("label"))
                    // TOTP: the shared secret (base32); WebAuthn: the credential as the
                    // library serialises it. Never returned after enrolment.
                    .col(text("secret"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("confirmed_at"))
                    .col(timestamp_with_time_zone_null("last_used_at"))
                    // TOTP: the last 30-second step accepted, so a code is never taken twice.
                    .col(big_integer_null("last_step"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("second_factors", "member_id")
                            .to("members", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("second_factors_member")
                    .table("second_factors")
                    .col("member_id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("recovery_codes")
                    .col(pk_uuid("id"))
                    .col(uuid("member_id"))
                    .col(string("code_hash"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("used_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("recovery_codes", "member_id")
                            .to("members", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("recovery_codes_member")
                    .table("recovery_codes")
                    .col("member_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("recovery_codes").to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table("second_factors").to_owned())
            .await
    }
}
