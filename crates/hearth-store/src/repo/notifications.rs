//! Notifications to members: decisions on their content, replies to their threads.

use chrono::{DateTime, Utc};
use hearth_core::ids::{MemberId, NotificationId, PostId, ThreadId};
use hearth_core::policy::{Role, Standing};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::entity::{member, notification};
use crate::records::{NewNotification, NotificationRecord};
use crate::{Result, Store};

impl Store {
    /// Adds a notification.
    #[tracing::instrument(skip_all)]
    pub async fn notify(&self, n: NewNotification) -> Result<()> {
        notification::ActiveModel {
            id: Set(NotificationId::new().0),
            member_id: Set(n.member_id.0),
            kind: Set(n.kind.to_owned()),
            thread_id: Set(n.thread_id.map(|t| t.0)),
            post_id: Set(n.post_id.map(|p| p.0)),
            message: Set(n.message),
            created_at: Set(n.at),
            read_at: Set(None),
        }
        .insert(&self.db)
        .await?;
        Ok(())
    }

    /// A member's notifications, newest first.
    #[tracing::instrument(skip_all)]
    pub async fn notifications(
        &self,
        member: MemberId,
        limit: u64,
    ) -> Result<Vec<NotificationRecord>> {
        Ok(notification::Entity::find()
            .filter(notification::Column::MemberId.eq(member.0))
            .order_by_desc(notification::Column::CreatedAt)
            .order_by_desc(notification::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|n| NotificationRecord {
                id: NotificationId(n.id),
                kind: n.kind,
                thread_id: n.thread_id.map(ThreadId),
                post_id: n.post_id.map(PostId),
                message: n.message,
                created_at: n.created_at,
                read_at: n.read_at,
            })
            .collect())
    }

    /// Marks all of a member's notifications read.
    #[tracing::instrument(skip_all)]
    pub async fn mark_notifications_read(
        &self,
        member: MemberId,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        Ok(notification::Entity::update_many()
            .col_expr(notification::Column::ReadAt, Expr::value(now))
            .filter(notification::Column::MemberId.eq(member.0))
            .filter(notification::Column::ReadAt.is_null())
            .exec(&self.db)
            .await?
            .rows_affected)
    }

    /// Moderators and admins active at `now`, to alert about an overdue queue.
    #[tracing::instrument(skip_all)]
    pub async fn active_moderators(&self, now: DateTime<Utc>) -> Result<Vec<MemberId>> {
        Ok(member::Entity::find()
            .filter(member::Column::Role.is_in([Role::Moderator.as_str(), Role::Admin.as_str()]))
            .filter(crate::repo::members::standing_at(Standing::Active, now))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|m| MemberId(m.id))
            .collect())
    }
}
