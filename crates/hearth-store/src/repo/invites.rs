//! Admins' single-use invitations. Only a hash of the token is stored, so a database leak does
//! not hand out working invites.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use hearth_core::ids::{InviteId, MemberId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::entity::{invite, member};
use crate::records::InviteRecord;
use crate::{Result, Store, StoreError};

fn record(row: invite::Model, handles: &HashMap<uuid::Uuid, String>) -> InviteRecord {
    InviteRecord {
        id: InviteId(row.id),
        created_by: MemberId(row.created_by),
        created_by_handle: handles.get(&row.created_by).cloned(),
        created_at: row.created_at,
        expires_at: row.expires_at,
        used_at: row.used_at,
        revoked_at: row.revoked_at,
    }
}

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
            revoked_at: Set(None),
        }
        .insert(&self.db)
        .await?;
        Ok(record(row, &HashMap::new()))
    }

    /// The invites issued, newest first (`limit` of them), with who issued each: never their
    /// tokens, which are not stored.
    #[tracing::instrument(skip_all)]
    pub async fn list_invites(&self, limit: u64) -> Result<Vec<InviteRecord>> {
        let rows = invite::Entity::find()
            .order_by_desc(invite::Column::CreatedAt)
            .order_by_desc(invite::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?;
        let admins: Vec<uuid::Uuid> = rows.iter().map(|r| r.created_by).collect();
        let handles: HashMap<_, _> = member::Entity::find()
            .filter(member::Column::Id.is_in(admins))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|m| (m.id, m.handle))
            .collect();
        Ok(rows.into_iter().map(|r| record(r, &handles)).collect())
    }

    /// Revokes an invite that is neither used, revoked nor expired at `now`. One that no longer
    /// exists is `NotFound`; one that can no longer be revoked is `Conflict { what: "invite" }`.
    /// The update checks all of that in its own `WHERE`, so a revocation and an application
    /// using the invite at the same moment cannot both succeed.
    #[tracing::instrument(skip_all)]
    pub async fn revoke_invite(&self, id: InviteId, now: DateTime<Utc>) -> Result<InviteRecord> {
        let done = invite::Entity::update_many()
            .col_expr(invite::Column::RevokedAt, Expr::value(now))
            .filter(invite::Column::Id.eq(id.0))
            .filter(invite::Column::UsedAt.is_null())
            .filter(invite::Column::RevokedAt.is_null())
            .filter(invite::Column::ExpiresAt.gt(now))
            .exec(&self.db)
            .await?;
        let row = invite::Entity::find_by_id(id.0)
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound)?;
        if done.rows_affected != 1 {
            return Err(StoreError::Conflict { what: "invite" });
        }
        let handles: HashMap<_, _> = member::Entity::find_by_id(row.created_by)
            .one(&self.db)
            .await?
            .map(|m| (m.id, m.handle))
            .into_iter()
            .collect();
        Ok(record(row, &handles))
    }

    /// Whether an invite with this token hash could still be used at `now` (unused, not
    /// revoked, not expired), for the application page to say so before the form is filled.
    #[tracing::instrument(skip_all)]
    pub async fn invite_usable(&self, token_hash: &str, now: DateTime<Utc>) -> Result<bool> {
        Ok(invite::Entity::find()
            .filter(invite::Column::TokenHash.eq(token_hash))
            .filter(invite::Column::UsedAt.is_null())
            .filter(invite::Column::RevokedAt.is_null())
            .filter(invite::Column::ExpiresAt.gt(now))
            .count(&self.db)
            .await?
            > 0)
    }
}
