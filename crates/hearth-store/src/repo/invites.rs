//! Admins' single-use invitations. Only a hash of the token is stored, so a database leak does
//! not hand out working invites.

use chrono::{DateTime, Utc};
use hearth_core::ids::{InviteId, MemberId};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};

use crate::entity::invite;
use crate::records::InviteRecord;
use crate::{Result, Store};

impl Store {
    /// Stores a new invite.
    #[tracing::instrument(skip_all)]
    pub async fn create_invite(
        &self,
        token_hash: String,
        created_by: MemberId,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<InviteRecord> {
        let row = invite::ActiveModel {
            id: Set(InviteId::new().0),
            token_hash: Set(token_hash),
            created_by: Set(created_by.0),
            created_at: Set(now),
            expires_at: Set(expires_at),
            used_at: Set(None),
        }
        .insert(&self.db)
        .await?;
        Ok(InviteRecord {
            id: InviteId(row.id),
            created_by: MemberId(row.created_by),
            created_at: row.created_at,
            expires_at: row.expires_at,
            used_at: row.used_at,
        })
    }

    /// Whether an invite with this token hash could still be used at `now` (unused, not
    /// expired), for the application page to say so before the form is filled.
    #[tracing::instrument(skip_all)]
    pub async fn invite_usable(&self, token_hash: &str, now: DateTime<Utc>) -> Result<bool> {
        Ok(invite::Entity::find()
            .filter(invite::Column::TokenHash.eq(token_hash))
            .filter(invite::Column::UsedAt.is_null())
            .filter(invite::Column::ExpiresAt.gt(now))
            .count(&self.db)
            .await?
            > 0)
    }
}
