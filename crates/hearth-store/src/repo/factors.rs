//! Second factors and recovery codes (issue 16). The secrets are opaque text to this layer;
//! recovery codes arrive already hashed. Spending a TOTP step or a recovery code is one
//! conditional UPDATE, so two requests racing with the same code cannot both succeed.

use chrono::{DateTime, Utc};
use hearth_core::ids::MemberId;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    Set,
};

use crate::entity::{recovery_code, second_factor};
use crate::{Result, Store};

/// One enrolled (or half-enrolled) second factor.
#[derive(Clone, Debug)]
pub struct FactorRecord {
    /// The factor's id.
    pub id: uuid::Uuid,
    /// Whose it is.
    pub member_id: MemberId,
    /// `totp` or `webauthn`.
    pub kind: String,
    /// The member's name for it.
    pub label: String,
    /// The TOTP secret (base32) or the serialised WebAuthn credential: never sent to a client
    /// after enrolment.
    pub secret: String,
    /// When it was added.
    pub created_at: DateTime<Utc>,
    /// When enrolment was finished; `None` while it is only begun.
    pub confirmed_at: Option<DateTime<Utc>>,
    /// When it last let its member in.
    pub last_used_at: Option<DateTime<Utc>>,
}

impl From<second_factor::Model> for FactorRecord {
    fn from(m: second_factor::Model) -> Self {
        FactorRecord {
            id: m.id,
            member_id: MemberId(m.member_id),
            kind: m.kind,
            label: m.label,
            secret: m.secret,
            created_at: m.created_at,
            confirmed_at: m.confirmed_at,
            last_used_at: m.last_used_at,
        }
    }
}

impl Store {
    /// Begins a factor's enrolment: any earlier unfinished enrolment of the same kind by the
    /// same member is dropped first, so only the newest secret can be confirmed.
    #[tracing::instrument(skip_all)]
    pub async fn begin_factor(
        &self,
        member: MemberId,
        kind: &str,
        label: &str,
        secret: String,
        now: DateTime<Utc>,
    ) -> Result<uuid::Uuid> {
        let txn = self.begin_write().await?;
        second_factor::Entity::delete_many()
            .filter(second_factor::Column::MemberId.eq(member.0))
            .filter(second_factor::Column::Kind.eq(kind))
            .filter(second_factor::Column::ConfirmedAt.is_null())
            .exec(&txn)
            .await?;
        let id = uuid::Uuid::now_v7();
        second_factor::ActiveModel {
            id: Set(id),
            member_id: Set(member.0),
            kind: Set(kind.to_owned()),
            label: Set(label.to_owned()),
            secret: Set(secret),
            created_at: Set(now),
            confirmed_at: Set(None),
            last_used_at: Set(None),
            last_step: Set(None),
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        Ok(id)
    }

    /// The member's unfinished enrolment of `kind`, if any.
    #[tracing::instrument(skip_all)]
    pub async fn pending_factor(
        &self,
        member: MemberId,
        kind: &str,
    ) -> Result<Option<FactorRecord>> {
        Ok(second_factor::Entity::find()
            .filter(second_factor::Column::MemberId.eq(member.0))
            .filter(second_factor::Column::Kind.eq(kind))
            .filter(second_factor::Column::ConfirmedAt.is_null())
            .one(&self.db)
            .await?
            .map(Into::into))
    }

    /// Finishes the enrolment of factor `id`, spending TOTP step `step` (if given) so the code
    /// that confirmed it cannot also sign in. With `replace_kind`, the member's other confirmed
    /// factors of that kind go (one authenticator app at a time).
    #[tracing::instrument(skip_all)]
    pub async fn confirm_factor(
        &self,
        id: uuid::Uuid,
        member: MemberId,
        step: Option<i64>,
        replace_kind: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let txn = self.begin_write().await?;
        // Confirm this enrolment first: only the request that actually confirms it may replace
        // the member's earlier factor. (A second request racing with the same code finds
        // nothing to confirm and must delete nothing: it once removed every factor.)
        let done = second_factor::Entity::update_many()
            .col_expr(second_factor::Column::ConfirmedAt, Expr::value(now))
            .col_expr(second_factor::Column::LastUsedAt, Expr::value(now))
            .col_expr(second_factor::Column::LastStep, Expr::value(step))
            .filter(second_factor::Column::Id.eq(id))
            .filter(second_factor::Column::MemberId.eq(member.0))
            .filter(second_factor::Column::ConfirmedAt.is_null())
            .exec(&txn)
            .await?;
        if done.rows_affected != 1 {
            txn.rollback().await?;
            return Ok(false);
        }
        if let Some(kind) = replace_kind {
            second_factor::Entity::delete_many()
                .filter(second_factor::Column::MemberId.eq(member.0))
                .filter(second_factor::Column::Kind.eq(kind))
                .filter(second_factor::Column::ConfirmedAt.is_not_null())
                .filter(second_factor::Column::Id.ne(id))
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
        Ok(true)
    }

    /// The member's confirmed factors, oldest first.
    #[tracing::instrument(skip_all)]
    pub async fn factors(&self, member: MemberId) -> Result<Vec<FactorRecord>> {
        Ok(second_factor::Entity::find()
            .filter(second_factor::Column::MemberId.eq(member.0))
            .filter(second_factor::Column::ConfirmedAt.is_not_null())
            .order_by_asc(second_factor::Column::CreatedAt)
            .all(&self.db)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Whether the member has at least one confirmed factor.
    #[tracing::instrument(skip_all)]
    pub async fn has_factor(&self, member: MemberId) -> Result<bool> {
        Ok(second_factor::Entity::find()
            .filter(second_factor::Column::MemberId.eq(member.0))
            .filter(second_factor::Column::ConfirmedAt.is_not_null())
            .count(&self.db)
            .await?
            > 0)
    }

    /// Spends TOTP step `step` of factor `id`: true only if no later or equal step was taken
    /// before (a code, once accepted, is never accepted again).
    #[tracing::instrument(skip_all)]
    pub async fn spend_totp_step(
        &self,
        id: uuid::Uuid,
        step: i64,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let done = second_factor::Entity::update_many()
            .col_expr(second_factor::Column::LastStep, Expr::value(step))
            .col_expr(second_factor::Column::LastUsedAt, Expr::value(now))
            .filter(second_factor::Column::Id.eq(id))
            .filter(second_factor::Column::ConfirmedAt.is_not_null())
            .filter(
                Condition::any()
                    .add(second_factor::Column::LastStep.is_null())
                    .add(second_factor::Column::LastStep.lt(step)),
            )
            .exec(&self.db)
            .await?;
        Ok(done.rows_affected == 1)
    }

    /// Replaces the member's recovery codes with `hashes` (every earlier code stops working).
    #[tracing::instrument(skip_all)]
    pub async fn replace_recovery_codes(
        &self,
        member: MemberId,
        hashes: Vec<String>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let txn = self.begin_write().await?;
        recovery_code::Entity::delete_many()
            .filter(recovery_code::Column::MemberId.eq(member.0))
            .exec(&txn)
            .await?;
        for code_hash in hashes {
            recovery_code::ActiveModel {
                id: Set(uuid::Uuid::now_v7()),
                member_id: Set(member.0),
                code_hash: Set(code_hash),
                created_at: Set(now),
                used_at: Set(None),
            }
            .insert(&txn)
            .await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// Spends one of the member's unused recovery codes by its hash: true once, then never.
    #[tracing::instrument(skip_all)]
    pub async fn spend_recovery_code(
        &self,
        member: MemberId,
        code_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let done = recovery_code::Entity::update_many()
            .col_expr(recovery_code::Column::UsedAt, Expr::value(now))
            .filter(recovery_code::Column::MemberId.eq(member.0))
            .filter(recovery_code::Column::CodeHash.eq(code_hash))
            .filter(recovery_code::Column::UsedAt.is_null())
            .exec(&self.db)
            .await?;
        Ok(done.rows_affected >= 1)
    }

    /// How many unused recovery codes the member has.
    #[tracing::instrument(skip_all)]
    pub async fn recovery_codes_left(&self, member: MemberId) -> Result<u64> {
        Ok(recovery_code::Entity::find()
            .filter(recovery_code::Column::MemberId.eq(member.0))
            .filter(recovery_code::Column::UsedAt.is_null())
            .count(&self.db)
            .await?)
    }

    /// Removes every factor and recovery code of the member (an admin's or the command line's
    /// reset). Answers how many factors went.
    #[tracing::instrument(skip_all)]
    pub async fn reset_factors(&self, member: MemberId) -> Result<u64> {
        let txn = self.begin_write().await?;
        let gone = second_factor::Entity::delete_many()
            .filter(second_factor::Column::MemberId.eq(member.0))
            .exec(&txn)
            .await?
            .rows_affected;
        recovery_code::Entity::delete_many()
            .filter(recovery_code::Column::MemberId.eq(member.0))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(gone)
    }
}
