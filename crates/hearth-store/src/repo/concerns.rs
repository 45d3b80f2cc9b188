//! Safeguarding concerns: a restricted record, kept apart from ordinary reports.

use chrono::{DateTime, Utc};
use hearth_core::ids::{MemberId, MessageId, PostId, ThreadId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::entity::{concern, member, post};
use crate::{Result, Store, StoreError};

/// A concern to record.
#[derive(Clone, Debug)]
pub struct NewConcern {
    /// The post it is about.
    pub post_id: Option<PostId>,
    /// The chat message it is about.
    pub message_id: Option<MessageId>,
    /// Who raised it (`None`: the rules engine).
    pub raised_by: Option<MemberId>,
    /// member, moderator or rules.
    pub source: &'static str,
    /// child_at_risk, intent_to_harm or suicide_risk.
    pub category: String,
    /// What the person raising it wants the lead to know.
    pub note: Option<String>,
    /// When.
    pub now: DateTime<Utc>,
    /// When a lead must have responded by.
    pub due_at: DateTime<Utc>,
}

/// A concern as leads see it, with the content it is about.
#[derive(Clone, Debug)]
pub struct ConcernRecord {
    /// Its id.
    pub id: uuid::Uuid,
    /// The post, if about a post.
    pub post_id: Option<PostId>,
    /// The post's text, for the lead to read.
    pub post_body: Option<String>,
    /// The post's thread, for the lead to open it.
    pub thread_id: Option<ThreadId>,
    /// The handle of the post's author, while their account exists.
    pub post_author: Option<String>,
    /// The handle of the lead who decided it, while their account exists: the record of who
    /// acted.
    pub decided_by: Option<String>,
    /// The chat message, if about one.
    pub message_id: Option<MessageId>,
    /// Who raised it (`None`: the rules engine, or an erased member).
    pub raised_by: Option<MemberId>,
    /// member, moderator or rules.
    pub source: String,
    /// The category.
    pub category: String,
    /// The note.
    pub note: Option<String>,
    /// open or decided.
    pub state: String,
    /// When raised.
    pub created_at: DateTime<Utc>,
    /// Respond by.
    pub due_at: DateTime<Utc>,
    /// When decided.
    pub decided_at: Option<DateTime<Utc>>,
    /// no_action, support_offered or referral_made.
    pub decision: Option<String>,
    /// To whom a referral was made.
    pub referral_to: Option<String>,
    /// Why.
    pub decision_reason: Option<String>,
}

/// A lead's decision.
#[derive(Clone, Debug)]
pub struct ConcernDecision {
    /// The lead.
    pub by: MemberId,
    /// no_action, support_offered or referral_made.
    pub decision: String,
    /// To whom (for referral_made).
    pub referral_to: Option<String>,
    /// Why.
    pub reason: String,
    /// When.
    pub at: DateTime<Utc>,
}

impl Store {
    /// Records a concern. Answers its id.
    #[tracing::instrument(skip_all)]
    pub async fn insert_concern(&self, c: NewConcern) -> Result<uuid::Uuid> {
        let id = uuid::Uuid::now_v7();
        concern::ActiveModel {
            id: Set(id),
            post_id: Set(c.post_id.map(|p| p.0)),
            message_id: Set(c.message_id.map(|m| m.0)),
            raised_by: Set(c.raised_by.map(|m| m.0)),
            source: Set(c.source.to_owned()),
            category: Set(c.category),
            note: Set(c.note),
            state: Set("open".to_owned()),
            created_at: Set(c.now),
            due_at: Set(c.due_at),
            alerted_at: Set(None),
            decided_at: Set(None),
            decided_by: Set(None),
            decision: Set(None),
            referral_to: Set(None),
            decision_reason: Set(None),
        }
        .insert(&self.db)
        .await?;
        Ok(id)
    }

    /// Concerns, open ones first (by deadline), then decided ones (newest first).
    #[tracing::instrument(skip_all)]
    pub async fn list_concerns(&self, limit: u64) -> Result<Vec<ConcernRecord>> {
        let rows = concern::Entity::find()
            .order_by_desc(concern::Column::State.eq("open"))
            .order_by_asc(concern::Column::DueAt)
            .limit(limit)
            .all(&self.db)
            .await?;
        let posts: std::collections::HashMap<_, _> = post::Entity::find()
            .filter(post::Column::Id.is_in(rows.iter().filter_map(|c| c.post_id)))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
        let people = rows
            .iter()
            .filter_map(|c| c.decided_by)
            .chain(posts.values().filter_map(|p| p.author_id));
        let handles: std::collections::HashMap<_, _> = member::Entity::find()
            .filter(member::Column::Id.is_in(people))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|m| (m.id, m.handle))
            .collect();
        Ok(rows
            .into_iter()
            .map(|c| {
                let post = c.post_id.and_then(|p| posts.get(&p));
                ConcernRecord {
                    id: c.id,
                    post_body: post.map(|p| p.body_source.clone()),
                    thread_id: post.map(|p| ThreadId(p.thread_id)),
                    post_author: post
                        .and_then(|p| p.author_id)
                        .and_then(|a| handles.get(&a).cloned()),
                    decided_by: c.decided_by.and_then(|d| handles.get(&d).cloned()),
                    post_id: c.post_id.map(PostId),
                    message_id: c.message_id.map(MessageId),
                    raised_by: c.raised_by.map(MemberId),
                    source: c.source,
                    category: c.category,
                    note: c.note,
                    state: c.state,
                    created_at: c.created_at,
                    due_at: c.due_at,
                    decided_at: c.decided_at,
                    decision: c.decision,
                    referral_to: c.referral_to,
                    decision_reason: c.decision_reason,
                }
            })
            .collect())
    }

    /// Records a lead's decision on an open concern; a decided one is `Conflict`.
    #[tracing::instrument(skip_all)]
    pub async fn decide_concern(&self, id: uuid::Uuid, d: ConcernDecision) -> Result<()> {
        let exists = concern::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .is_some();
        if !exists {
            return Err(StoreError::NotFound);
        }
        let updated = concern::Entity::update_many()
            .col_expr(concern::Column::State, Expr::value("decided"))
            .col_expr(concern::Column::DecidedAt, Expr::value(d.at))
            .col_expr(concern::Column::DecidedBy, Expr::value(d.by.0))
            .col_expr(concern::Column::Decision, Expr::value(d.decision))
            .col_expr(concern::Column::ReferralTo, Expr::value(d.referral_to))
            .col_expr(concern::Column::DecisionReason, Expr::value(d.reason))
            .filter(concern::Column::Id.eq(id))
            .filter(concern::Column::State.eq("open"))
            .exec(&self.db)
            .await?;
        if updated.rows_affected != 1 {
            return Err(StoreError::Conflict { what: "decision" });
        }
        Ok(())
    }

    /// Open concerns past their deadline that have not yet raised an alert: marks them and
    /// answers how many.
    #[tracing::instrument(skip_all)]
    pub async fn take_overdue_concerns(&self, now: DateTime<Utc>) -> Result<u64> {
        Ok(concern::Entity::update_many()
            .col_expr(concern::Column::AlertedAt, Expr::value(now))
            .filter(concern::Column::State.eq("open"))
            .filter(concern::Column::AlertedAt.is_null())
            .filter(concern::Column::DueAt.lt(now))
            .exec(&self.db)
            .await?
            .rows_affected)
    }

    /// Deletes decided concerns decided before `before` (retention).
    #[tracing::instrument(skip_all)]
    pub async fn purge_concerns(&self, before: DateTime<Utc>) -> Result<u64> {
        Ok(concern::Entity::delete_many()
            .filter(concern::Column::State.eq("decided"))
            .filter(concern::Column::DecidedAt.lt(before))
            .exec(&self.db)
            .await?
            .rows_affected)
    }
}
