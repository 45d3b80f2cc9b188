//! Sign-in sessions, stored in the database so they survive a restart and are shared by every
//! instance. Each row also names its member, so all of a member's sessions can be ended at once
//! (password change, suspension, ban, erasure).

use chrono::{DateTime, Utc};
use hearth_core::ids::MemberId;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use crate::entity::{member, session};
use crate::records::{MemberRecord, SessionRow};
use crate::{Result, Store};

impl Store {
    /// Loads a live session together with the member its row names, in one query (every
    /// signed-in request needs both). The member is `None` for a signed-out session, or when the
    /// account no longer exists.
    #[tracing::instrument(skip_all)]
    pub async fn load_session_with_member(
        &self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(SessionRow, Option<MemberRecord>)>> {
        let Some((s, m)) = session::Entity::find_by_id(id.to_owned())
            .filter(session::Column::ExpiresAt.gt(now))
            .find_also_related(member::Entity)
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let member = m.map(MemberRecord::try_from).transpose()?;
        Ok(Some((
            SessionRow {
                id: s.id,
                member_id: s.member_id.map(MemberId),
                data: s.data,
                expires_at: s.expires_at,
            },
            member,
        )))
    }

    /// Loads a live session.
    #[tracing::instrument(skip_all)]
    pub async fn load_session(&self, id: &str, now: DateTime<Utc>) -> Result<Option<SessionRow>> {
        Ok(session::Entity::find_by_id(id.to_owned())
            .filter(session::Column::ExpiresAt.gt(now))
            .one(&self.db)
            .await?
            .map(|s| SessionRow {
                id: s.id,
                member_id: s.member_id.map(MemberId),
                data: s.data,
                expires_at: s.expires_at,
            }))
    }

    /// Inserts a session only if its id is free; answers whether it was inserted.
    #[tracing::instrument(skip_all)]
    pub async fn insert_session(&self, row: &SessionRow) -> Result<bool> {
        let res = session::ActiveModel {
            id: Set(row.id.clone()),
            member_id: Set(row.member_id.map(|m| m.0)),
            data: Set(row.data.clone()),
            expires_at: Set(row.expires_at),
        }
        .insert(&self.db)
        .await;
        match res {
            Ok(_) => Ok(true),
            Err(e)
                if matches!(
                    e.sql_err(),
                    Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
                ) =>
            {
                Ok(false)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Rewrites a live session's data and expiry (after a change to its data, or to slide its
    /// idle expiry forward). A session that has been ended meanwhile (signed out, ended by a
    /// password change or a sanction, expired and purged) stays ended: this never brings a
    /// deleted row back. New sessions are [`Store::insert_session`]'s.
    #[tracing::instrument(skip_all)]
    pub async fn save_session(&self, row: &SessionRow) -> Result<()> {
        session::Entity::update_many()
            .col_expr(
                session::Column::MemberId,
                Expr::value(row.member_id.map(|m| m.0)),
            )
            .col_expr(session::Column::Data, Expr::value(row.data.clone()))
            .col_expr(session::Column::ExpiresAt, Expr::value(row.expires_at))
            .filter(session::Column::Id.eq(row.id.clone()))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Moves a live session's idle expiry on to `until` (its member is active on a socket). A
    /// session that has ended or run out by `now` stays ended: nothing is brought back.
    #[tracing::instrument(skip_all)]
    pub async fn slide_session(
        &self,
        id: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<()> {
        session::Entity::update_many()
            .col_expr(session::Column::ExpiresAt, Expr::value(until))
            .filter(session::Column::Id.eq(id.to_owned()))
            .filter(session::Column::ExpiresAt.gt(now))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Deletes one session.
    #[tracing::instrument(skip_all)]
    pub async fn delete_session(&self, id: &str) -> Result<()> {
        session::Entity::delete_by_id(id.to_owned())
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Ends every session of a member, except `keep` (the one making the request, when a member
    /// changes their own password). Answers how many ended.
    #[tracing::instrument(skip_all)]
    pub async fn delete_member_sessions(
        &self,
        member: MemberId,
        keep: Option<&str>,
    ) -> Result<u64> {
        let mut q = session::Entity::delete_many().filter(session::Column::MemberId.eq(member.0));
        if let Some(keep) = keep {
            q = q.filter(session::Column::Id.ne(keep));
        }
        Ok(q.exec(&self.db).await?.rows_affected)
    }

    /// Deletes expired sessions. Answers how many went.
    #[tracing::instrument(skip_all)]
    pub async fn purge_expired_sessions(&self, now: DateTime<Utc>) -> Result<u64> {
        Ok(session::Entity::delete_many()
            .filter(session::Column::ExpiresAt.lte(now))
            .exec(&self.db)
            .await?
            .rows_affected)
    }
}
