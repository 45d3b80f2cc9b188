//! The moderators' queue and members' reports.

use chrono::{DateTime, Utc};
use hearth_core::content::PostStatus;
use hearth_core::ids::{BoardId, MemberId, PostId, QueueItemId, ReportId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::entity::{post, queue_item, report, thread};
use crate::records::{QueueDecision, QueueItemRecord, QueueKind, ReportRecord};
use crate::repo::content::{handles, open_queue_item, post_record, set_post_status_on};
use crate::{Result, Store, StoreError};

fn report_record(r: report::Model) -> ReportRecord {
    ReportRecord {
        id: ReportId(r.id),
        post_id: PostId(r.post_id),
        reason: r.reason,
        note: r.note,
        state: r.state,
        created_at: r.created_at,
    }
}

impl Store {
    async fn queue_records(&self, items: Vec<queue_item::Model>) -> Result<Vec<QueueItemRecord>> {
        let posts: std::collections::HashMap<_, _> = post::Entity::find()
            .filter(post::Column::Id.is_in(items.iter().map(|i| i.post_id)))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
        let threads: std::collections::HashMap<_, _> = thread::Entity::find()
            .filter(thread::Column::Id.is_in(posts.values().map(|p| p.thread_id)))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|t| (t.id, t))
            .collect();
        let reports: std::collections::HashMap<_, _> = report::Entity::find()
            .filter(report::Column::Id.is_in(items.iter().filter_map(|i| i.report_id)))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|r| (r.id, r))
            .collect();
        let h = handles(&self.db, posts.values().filter_map(|p| p.author_id)).await?;
        let mut out = Vec::with_capacity(items.len());
        for i in items {
            let Some(p) = posts.get(&i.post_id).cloned() else {
                continue;
            };
            let Some(t) = threads.get(&p.thread_id) else {
                continue;
            };
            out.push(QueueItemRecord {
                id: QueueItemId(i.id),
                kind: i.kind,
                state: i.state,
                created_at: i.created_at,
                decided_at: i.decided_at,
                decided_by: i.decided_by.map(MemberId),
                decision_reason: i.decision_reason,
                thread_title: t.title.clone(),
                board_id: BoardId(t.board_id),
                report: i
                    .report_id
                    .and_then(|r| reports.get(&r).cloned())
                    .map(report_record),
                post: post_record(p, &h)?,
            });
        }
        Ok(out)
    }

    /// Open queue items, oldest first.
    #[tracing::instrument(skip_all)]
    pub async fn open_queue(&self, limit: u64) -> Result<Vec<QueueItemRecord>> {
        let items = queue_item::Entity::find()
            .filter(queue_item::Column::State.eq("open"))
            .order_by_asc(queue_item::Column::CreatedAt)
            .order_by_asc(queue_item::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?;
        self.queue_records(items).await
    }

    /// How many items are open, and when the oldest joined.
    #[tracing::instrument(skip_all)]
    pub async fn queue_depth(&self) -> Result<(u64, Option<DateTime<Utc>>)> {
        let open = queue_item::Entity::find().filter(queue_item::Column::State.eq("open"));
        let n = open.clone().count(&self.db).await?;
        let oldest = open
            .order_by_asc(queue_item::Column::CreatedAt)
            .one(&self.db)
            .await?
            .map(|i| i.created_at);
        Ok((n, oldest))
    }

    /// One queue item.
    #[tracing::instrument(skip_all)]
    pub async fn queue_item(&self, id: QueueItemId) -> Result<QueueItemRecord> {
        let item = queue_item::Entity::find_by_id(id.0)
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound)?;
        self.queue_records(vec![item])
            .await?
            .pop()
            .ok_or(StoreError::NotFound)
    }

    /// Decides an open item, applying its effect on the post in the same transaction. An item
    /// already decided is `Conflict { what: "decision" }`: two moderators cannot both decide it.
    #[tracing::instrument(skip_all)]
    pub async fn decide_queue_item(
        &self,
        id: QueueItemId,
        d: &QueueDecision,
    ) -> Result<QueueItemRecord> {
        let txn = self.begin_write().await?;
        let updated = queue_item::Entity::update_many()
            .col_expr(queue_item::Column::State, Expr::value(d.state))
            .col_expr(queue_item::Column::Decision, Expr::value(d.state))
            .col_expr(queue_item::Column::DecidedAt, Expr::value(d.at))
            .col_expr(queue_item::Column::DecidedBy, Expr::value(d.by.0))
            .col_expr(
                queue_item::Column::DecisionReason,
                Expr::value(d.reason.clone()),
            )
            .filter(queue_item::Column::Id.eq(id.0))
            .filter(queue_item::Column::State.eq("open"))
            .exec(&txn)
            .await?;
        let item = queue_item::Entity::find_by_id(id.0)
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound)?;
        if updated.rows_affected != 1 {
            return Err(StoreError::Conflict { what: "decision" });
        }
        if let Some((source, html)) = &d.new_body {
            post::Entity::update_many()
                .col_expr(post::Column::BodySource, Expr::value(source.clone()))
                .col_expr(post::Column::BodyHtml, Expr::value(html.clone()))
                .col_expr(post::Column::EditedAt, Expr::value(d.at))
                .col_expr(post::Column::EditedByModerator, Expr::value(true))
                .filter(post::Column::Id.eq(item.post_id))
                .exec(&txn)
                .await?;
        }
        if let Some(status) = d.post_status {
            set_post_status_on(&txn, PostId(item.post_id), status, d.reason.clone(), d.at).await?;
            if matches!(status, PostStatus::Removed | PostStatus::Rejected) {
                // Everything else open about this post is settled by the same decision.
                queue_item::Entity::update_many()
                    .col_expr(queue_item::Column::State, Expr::value("superseded"))
                    .col_expr(queue_item::Column::DecidedAt, Expr::value(d.at))
                    .filter(queue_item::Column::PostId.eq(item.post_id))
                    .filter(queue_item::Column::State.eq("open"))
                    .exec(&txn)
                    .await?;
            }
        }
        if let Some(r) = item.report_id {
            report::Entity::update_many()
                .col_expr(report::Column::State, Expr::value("closed"))
                .col_expr(report::Column::ClosedAt, Expr::value(d.at))
                .filter(report::Column::Id.eq(r))
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
        self.queue_item(id).await
    }

    /// Undoes a rejection made since `not_before`: the item reopens and the post is held again.
    #[tracing::instrument(skip_all)]
    pub async fn undo_rejection(
        &self,
        id: QueueItemId,
        not_before: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<QueueItemRecord> {
        let txn = self.begin_write().await?;
        let item = queue_item::Entity::find_by_id(id.0)
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound)?;
        let undoable = item.state == "rejected"
            && item.kind == QueueKind::Held.as_str()
            && item.decided_at.is_some_and(|at| at >= not_before);
        if !undoable {
            return Err(StoreError::Conflict { what: "undo" });
        }
        queue_item::Entity::update_many()
            .col_expr(queue_item::Column::State, Expr::value("open"))
            .col_expr(
                queue_item::Column::Decision,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                queue_item::Column::DecidedAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(
                queue_item::Column::DecidedBy,
                Expr::value(Option::<uuid::Uuid>::None),
            )
            .col_expr(
                queue_item::Column::DecisionReason,
                Expr::value(Option::<String>::None),
            )
            .filter(queue_item::Column::Id.eq(id.0))
            .exec(&txn)
            .await?;
        set_post_status_on(&txn, PostId(item.post_id), PostStatus::Held, None, now).await?;
        txn.commit().await?;
        self.queue_item(id).await
    }

    /// Records a report and puts it in the queue. A member has at most one open report per
    /// post: a second is `Conflict { what: "report" }`.
    #[tracing::instrument(skip_all)]
    pub async fn create_report(
        &self,
        post_id: PostId,
        reporter: MemberId,
        reason: String,
        note: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<ReportId> {
        let txn = self.begin_write().await?;
        let open = report::Entity::find()
            .filter(report::Column::PostId.eq(post_id.0))
            .filter(report::Column::ReporterId.eq(reporter.0))
            .filter(report::Column::State.eq("open"))
            .count(&txn)
            .await?;
        if open > 0 {
            return Err(StoreError::Conflict { what: "report" });
        }
        let id = ReportId::new();
        report::ActiveModel {
            id: Set(id.0),
            post_id: Set(post_id.0),
            reporter_id: Set(Some(reporter.0)),
            reason: Set(reason),
            note: Set(note),
            state: Set("open".to_owned()),
            created_at: Set(now),
            closed_at: Set(None),
        }
        .insert(&txn)
        .await?;
        open_queue_item(&txn, QueueKind::Report, post_id, Some(id.0), now).await?;
        txn.commit().await?;
        Ok(id)
    }

    /// Open items that joined the queue before `older_than` and have not yet raised an alert;
    /// marks them alerted and answers how many there were.
    #[tracing::instrument(skip_all)]
    pub async fn take_overdue_queue_items(
        &self,
        older_than: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        Ok(queue_item::Entity::update_many()
            .col_expr(queue_item::Column::AlertedAt, Expr::value(now))
            .filter(queue_item::Column::State.eq("open"))
            .filter(queue_item::Column::AlertedAt.is_null())
            .filter(queue_item::Column::CreatedAt.lt(older_than))
            .exec(&self.db)
            .await?
            .rows_affected)
    }
}
