//! Admins' single-use invitations. Only a hash of the token is stored, so a database leak does
//! not hand out working invites.

use chrono::{DateTime, Utc};
use hearth_core::ids::{InviteId, MemberId};
use sea_orm::{ActiveModelTrait, Set};

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
}
