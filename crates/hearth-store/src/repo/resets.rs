//! One-time password-reset links. Only a hash of each token is stored.

use chrono::{DateTime, Utc};
use hearth_core::ids::MemberId;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use crate::entity::password_reset;
use crate::{Result, Store};

impl Store {
    /// Stores a reset token for a member. Any earlier unused one is spent, so only the newest
    /// link works.
    #[tracing::instrument(skip_all)]
    pub async fn create_password_reset(
        &self,
        member: MemberId,
        token_hash: String,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        let txn = self.begin_write().await?;
        password_reset::Entity::update_many()
            .col_expr(password_reset::Column::UsedAt, Expr::value(now))
            .filter(password_reset::Column::MemberId.eq(member.0))
            .filter(password_reset::Column::UsedAt.is_null())
            .exec(&txn)
            .await?;
        password_reset::ActiveModel {
            id: Set(uuid::Uuid::now_v7()),
            member_id: Set(member.0),
            token_hash: Set(token_hash),
            created_at: Set(now),
            expires_at: Set(expires_at),
            used_at: Set(None),
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Spends a reset token: answers its member if it was unused and unexpired (and marks it
    /// used, so it works once), `None` otherwise.
    #[tracing::instrument(skip_all)]
    pub async fn take_password_reset(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<MemberId>> {
        let txn = self.begin_write().await?;
        let Some(row) = password_reset::Entity::find()
            .filter(password_reset::Column::TokenHash.eq(token_hash))
            .filter(password_reset::Column::UsedAt.is_null())
            .filter(password_reset::Column::ExpiresAt.gt(now))
            .one(&txn)
            .await?
        else {
            return Ok(None);
        };
        let spent = password_reset::Entity::update_many()
            .col_expr(password_reset::Column::UsedAt, Expr::value(now))
            .filter(password_reset::Column::Id.eq(row.id))
            .filter(password_reset::Column::UsedAt.is_null())
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok((spent.rows_affected == 1).then_some(MemberId(row.member_id)))
    }

    /// Deletes reset tokens past their expiry.
    #[tracing::instrument(skip_all)]
    pub async fn purge_password_resets(&self, now: DateTime<Utc>) -> Result<u64> {
        Ok(password_reset::Entity::delete_many()
            .filter(password_reset::Column::ExpiresAt.lte(now))
            .exec(&self.db)
            .await?
            .rows_affected)
    }
}
