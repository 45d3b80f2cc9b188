//! The crisis lane and staff check-ins. A crisis holds references (post, chat message, check-in)
//! and the names of the rules that fired, never a copy of the text; a check-in is a private
//! conversation between one member and the moderators.

use chrono::{DateTime, Utc};
use hearth_core::ids::{MemberId, MessageId, PostId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::entity::{checkin, checkin_message, crisis};
use crate::repo::content::handles;
use crate::{Result, Store, StoreError};

/// Where a crisis was seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrisisSource {
    /// A post (or thread title).
    Post,
    /// A chat message.
    Message,
    /// A report's note.
    ReportNote,
    /// A safeguarding concern's note.
    ConcernNote,
    /// A member's answer in a check-in.
    Checkin,
}

impl CrisisSource {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            CrisisSource::Post => "post",
            CrisisSource::Message => "message",
            CrisisSource::ReportNote => "report_note",
            CrisisSource::ConcernNote => "concern_note",
            CrisisSource::Checkin => "checkin",
        }
    }
}

/// A crisis to record.
#[derive(Clone, Debug)]
pub struct NewCrisis {
    /// The member who may be at risk (the author).
    pub member_id: MemberId,
    /// Where it was seen.
    pub source: CrisisSource,
    /// The post, if in a post.
    pub post_id: Option<PostId>,
    /// The chat message, if in chat.
    pub message_id: Option<MessageId>,
    /// The check-in, if in one.
    pub checkin_id: Option<uuid::Uuid>,
    /// The rules that fired, comma separated.
    pub rules: String,
    /// When.
    pub now: DateTime<Utc>,
    /// When someone must have responded by.
    pub due_at: DateTime<Utc>,
}

/// A crisis as moderators see it in the urgent lane.
#[derive(Clone, Debug)]
pub struct CrisisRecord {
    /// Its id.
    pub id: uuid::Uuid,
    /// The member (`None` once erased).
    pub member_id: Option<MemberId>,
    /// Their handle.
    pub member_handle: Option<String>,
    /// post, message, report_note, concern_note or checkin.
    pub source: String,
    /// The post.
    pub post_id: Option<PostId>,
    /// The chat message.
    pub message_id: Option<MessageId>,
    /// The check-in it was seen in, or the one opened for it.
    pub checkin_id: Option<uuid::Uuid>,
    /// The rules that fired.
    pub rules: String,
    /// open, reaching_out, resolved or escalated.
    pub state: String,
    /// When raised.
    pub created_at: DateTime<Utc>,
    /// Respond by.
    pub due_at: DateTime<Utc>,
    /// When a moderator acted.
    pub handled_at: Option<DateTime<Utc>>,
    /// Who acted (staff only ever see this).
    pub handled_by_handle: Option<String>,
    /// The moderator's note on the outcome.
    pub outcome_note: Option<String>,
}

/// A check-in.
#[derive(Clone, Debug)]
pub struct CheckinRecord {
    /// Its id.
    pub id: uuid::Uuid,
    /// The member it is with.
    pub member_id: MemberId,
    /// Their handle.
    pub member_handle: Option<String>,
    /// open or closed.
    pub state: String,
    /// When opened.
    pub created_at: DateTime<Utc>,
    /// When the last message was sent.
    pub last_at: DateTime<Utc>,
}

/// One message in a check-in. Members see staff messages signed "the moderators".
#[derive(Clone, Debug)]
pub struct CheckinMessageRecord {
    /// Its id.
    pub id: uuid::Uuid,
    /// The check-in.
    pub checkin_id: uuid::Uuid,
    /// The author.
    pub author_id: Option<MemberId>,
    /// The author's handle (shown to staff only).
    pub author_handle: Option<String>,
    /// Sent by a moderator.
    pub from_staff: bool,
    /// As typed.
    pub body_source: String,
    /// Sanitised HTML.
    pub body_html: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A message to add to a check-in.
#[derive(Clone, Debug)]
pub struct NewCheckinMessage {
    /// The check-in.
    pub checkin_id: uuid::Uuid,
    /// The author.
    pub author_id: MemberId,
    /// Sent by a moderator.
    pub from_staff: bool,
    /// As typed.
    pub body_source: String,
    /// Sanitised HTML.
    pub body_html: String,
    /// The rules' verdict, JSON.
    pub verdict: String,
    /// When.
    pub now: DateTime<Utc>,
}

/// What a moderator did about a crisis.
#[derive(Clone, Debug)]
pub struct CrisisAction {
    /// reaching_out, resolved or escalated.
    pub state: &'static str,
    /// The moderator.
    pub by: MemberId,
    /// Their note.
    pub note: Option<String>,
    /// The check-in opened, for reaching_out.
    pub checkin_id: Option<uuid::Uuid>,
    /// When.
    pub at: DateTime<Utc>,
}

fn checkin_record(
    c: checkin::Model,
    names: &std::collections::HashMap<uuid::Uuid, String>,
) -> CheckinRecord {
    CheckinRecord {
        id: c.id,
        member_id: MemberId(c.member_id),
        member_handle: names.get(&c.member_id).cloned(),
        state: c.state,
        created_at: c.created_at,
        last_at: c.last_at,
    }
}

impl Store {
    /// Records a crisis. Answers its id.
    #[tracing::instrument(skip_all)]
    pub async fn insert_crisis(&self, c: NewCrisis) -> Result<uuid::Uuid> {
        let id = uuid::Uuid::now_v7();
        crisis::ActiveModel {
            id: Set(id),
            member_id: Set(Some(c.member_id.0)),
            source: Set(c.source.as_str().to_owned()),
            post_id: Set(c.post_id.map(|p| p.0)),
            message_id: Set(c.message_id.map(|m| m.0)),
            checkin_id: Set(c.checkin_id),
            rules: Set(c.rules),
            state: Set("open".to_owned()),
            created_at: Set(c.now),
            due_at: Set(c.due_at),
            alerted_at: Set(None),
            handled_at: Set(None),
            handled_by: Set(None),
            outcome_note: Set(None),
        }
        .insert(&self.db)
        .await?;
        Ok(id)
    }

    /// How many crises are open (nobody has reached out yet): the moderators' waiting count.
    #[tracing::instrument(skip_all)]
    pub async fn count_open_crises(&self) -> Result<u64> {
        Ok(crisis::Entity::find()
            .filter(crisis::Column::State.eq("open"))
            .count(&self.db)
            .await?)
    }

    /// The urgent lane: open crises by deadline, then those handled since `since`, newest
    /// first.
    #[tracing::instrument(skip_all)]
    pub async fn list_crises(&self, since: DateTime<Utc>, limit: u64) -> Result<Vec<CrisisRecord>> {
        let rows = crisis::Entity::find()
            .filter(
                Condition::any()
                    .add(crisis::Column::State.eq("open"))
                    .add(crisis::Column::CreatedAt.gte(since))
                    .add(crisis::Column::HandledAt.gte(since)),
            )
            .order_by_desc(crisis::Column::State.eq("open"))
            .order_by_asc(crisis::Column::DueAt)
            .limit(limit)
            .all(&self.db)
            .await?;
        let people: Vec<uuid::Uuid> = rows
            .iter()
            .flat_map(|c| [c.member_id, c.handled_by])
            .flatten()
            .collect();
        let names = handles(&self.db, people).await?;
        Ok(rows.into_iter().map(|c| crisis_record(c, &names)).collect())
    }

    /// Every crisis about one member, oldest first (for their data export).
    #[tracing::instrument(skip_all)]
    pub async fn crises_about(&self, member: MemberId) -> Result<Vec<CrisisRecord>> {
        let rows = crisis::Entity::find()
            .filter(crisis::Column::MemberId.eq(member.0))
            .order_by_asc(crisis::Column::CreatedAt)
            .all(&self.db)
            .await?;
        let names = handles(&self.db, [member.0]).await?;
        Ok(rows.into_iter().map(|c| crisis_record(c, &names)).collect())
    }

    /// One crisis.
    #[tracing::instrument(skip_all)]
    pub async fn crisis(&self, id: uuid::Uuid) -> Result<CrisisRecord> {
        let c = crisis::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound)?;
        let names = handles(&self.db, [c.member_id, c.handled_by].into_iter().flatten()).await?;
        Ok(crisis_record(c, &names))
    }

    /// Records what a moderator did about a crisis that is still open or being reached out
    /// to; a resolved or escalated one is `Conflict`.
    #[tracing::instrument(skip_all)]
    pub async fn act_on_crisis(&self, id: uuid::Uuid, a: CrisisAction) -> Result<()> {
        let found = crisis::Entity::find_by_id(id).one(&self.db).await?;
        let Some(found) = found else {
            return Err(StoreError::NotFound);
        };
        let mut update = crisis::Entity::update_many()
            .col_expr(crisis::Column::State, Expr::value(a.state))
            .col_expr(crisis::Column::HandledAt, Expr::value(a.at))
            .col_expr(crisis::Column::HandledBy, Expr::value(a.by.0))
            .filter(crisis::Column::Id.eq(id))
            .filter(crisis::Column::State.is_in(["open", "reaching_out"]));
        if a.note.is_some() {
            update = update.col_expr(crisis::Column::OutcomeNote, Expr::value(a.note));
        }
        if a.checkin_id.is_some() && found.checkin_id.is_none() {
            update = update.col_expr(crisis::Column::CheckinId, Expr::value(a.checkin_id));
        }
        if update.exec(&self.db).await?.rows_affected != 1 {
            return Err(StoreError::Conflict { what: "crisis" });
        }
        Ok(())
    }

    /// Open crises past their deadline that have not yet raised an alert: marks them and
    /// answers how many. Only one instance wins each (the update is conditional).
    #[tracing::instrument(skip_all)]
    pub async fn take_overdue_crises(&self, now: DateTime<Utc>) -> Result<u64> {
        Ok(crisis::Entity::update_many()
            .col_expr(crisis::Column::AlertedAt, Expr::value(now))
            .filter(crisis::Column::State.eq("open"))
            .filter(crisis::Column::AlertedAt.is_null())
            .filter(crisis::Column::DueAt.lt(now))
            .exec(&self.db)
            .await?
            .rows_affected)
    }

    /// Deletes crises handled before `before` (retention).
    #[tracing::instrument(skip_all)]
    pub async fn purge_crises(&self, before: DateTime<Utc>) -> Result<u64> {
        Ok(crisis::Entity::delete_many()
            .filter(crisis::Column::State.is_in(["resolved", "escalated"]))
            .filter(crisis::Column::HandledAt.lt(before))
            .exec(&self.db)
            .await?
            .rows_affected)
    }

    /// The member's open check-in, or a new one, with its first message, in one transaction.
    #[tracing::instrument(skip_all)]
    pub async fn open_checkin(
        &self,
        member: MemberId,
        by: MemberId,
        first: NewCheckinMessage,
    ) -> Result<uuid::Uuid> {
        let txn = self.begin_write().await?;
        let open = checkin::Entity::find()
            .filter(checkin::Column::MemberId.eq(member.0))
            .filter(checkin::Column::State.eq("open"))
            .one(&txn)
            .await?;
        let id = match open {
            Some(c) => c.id,
            None => {
                let id = uuid::Uuid::now_v7();
                checkin::ActiveModel {
                    id: Set(id),
                    member_id: Set(member.0),
                    opened_by: Set(Some(by.0)),
                    state: Set("open".to_owned()),
                    created_at: Set(first.now),
                    last_at: Set(first.now),
                    closed_at: Set(None),
                }
                .insert(&txn)
                .await?;
                id
            }
        };
        insert_checkin_message(
            &txn,
            NewCheckinMessage {
                checkin_id: id,
                ..first
            },
        )
        .await?;
        txn.commit().await?;
        Ok(id)
    }

    /// Adds a message to an open check-in; a closed one is `Conflict`.
    #[tracing::instrument(skip_all)]
    pub async fn add_checkin_message(&self, m: NewCheckinMessage) -> Result<uuid::Uuid> {
        let txn = self.begin_write().await?;
        let c = checkin::Entity::find_by_id(m.checkin_id)
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound)?;
        if c.state != "open" {
            return Err(StoreError::Conflict { what: "checkin" });
        }
        let id = insert_checkin_message(&txn, m).await?;
        txn.commit().await?;
        Ok(id)
    }

    /// A check-in.
    #[tracing::instrument(skip_all)]
    pub async fn checkin(&self, id: uuid::Uuid) -> Result<CheckinRecord> {
        let c = checkin::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound)?;
        let names = handles(&self.db, [c.member_id]).await?;
        Ok(checkin_record(c, &names))
    }

    /// Check-ins, open first then by last message: one member's, or everyone's (`None`).
    #[tracing::instrument(skip_all)]
    pub async fn list_checkins(
        &self,
        member: Option<MemberId>,
        limit: u64,
    ) -> Result<Vec<CheckinRecord>> {
        let mut q = checkin::Entity::find();
        if let Some(m) = member {
            q = q.filter(checkin::Column::MemberId.eq(m.0));
        }
        let rows = q
            .order_by_desc(checkin::Column::State.eq("open"))
            .order_by_desc(checkin::Column::LastAt)
            .limit(limit)
            .all(&self.db)
            .await?;
        let names = handles(&self.db, rows.iter().map(|c| c.member_id)).await?;
        Ok(rows
            .into_iter()
            .map(|c| checkin_record(c, &names))
            .collect())
    }

    /// A check-in's messages, oldest first.
    #[tracing::instrument(skip_all)]
    pub async fn checkin_messages(&self, id: uuid::Uuid) -> Result<Vec<CheckinMessageRecord>> {
        let rows = checkin_message::Entity::find()
            .filter(checkin_message::Column::CheckinId.eq(id))
            .order_by_asc(checkin_message::Column::CreatedAt)
            .order_by_asc(checkin_message::Column::Id)
            .limit(1000)
            .all(&self.db)
            .await?;
        let names = handles(&self.db, rows.iter().filter_map(|m| m.author_id)).await?;
        Ok(rows
            .into_iter()
            .map(|m| CheckinMessageRecord {
                id: m.id,
                checkin_id: m.checkin_id,
                author_id: m.author_id.map(MemberId),
                author_handle: m.author_id.and_then(|a| names.get(&a).cloned()),
                from_staff: m.from_staff,
                body_source: m.body_source,
                body_html: m.body_html,
                created_at: m.created_at,
            })
            .collect())
    }

    /// Closes an open check-in; a closed one is `Conflict`.
    #[tracing::instrument(skip_all)]
    pub async fn close_checkin(&self, id: uuid::Uuid, at: DateTime<Utc>) -> Result<()> {
        let exists = checkin::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .is_some();
        if !exists {
            return Err(StoreError::NotFound);
        }
        let updated = checkin::Entity::update_many()
            .col_expr(checkin::Column::State, Expr::value("closed"))
            .col_expr(checkin::Column::ClosedAt, Expr::value(at))
            .filter(checkin::Column::Id.eq(id))
            .filter(checkin::Column::State.eq("open"))
            .exec(&self.db)
            .await?;
        if updated.rows_affected != 1 {
            return Err(StoreError::Conflict { what: "checkin" });
        }
        Ok(())
    }

    /// Deletes check-ins closed before `before`, with their messages (retention).
    #[tracing::instrument(skip_all)]
    pub async fn purge_checkins(&self, before: DateTime<Utc>) -> Result<u64> {
        let old: Vec<uuid::Uuid> = checkin::Entity::find()
            .filter(checkin::Column::State.eq("closed"))
            .filter(checkin::Column::ClosedAt.lt(before))
            .select_only()
            .column(checkin::Column::Id)
            .into_tuple()
            .all(&self.db)
            .await?;
        if old.is_empty() {
            return Ok(0);
        }
        checkin_message::Entity::delete_many()
            .filter(checkin_message::Column::CheckinId.is_in(old.clone()))
            .exec(&self.db)
            .await?;
        Ok(checkin::Entity::delete_many()
            .filter(checkin::Column::Id.is_in(old))
            .exec(&self.db)
            .await?
            .rows_affected)
    }
}

async fn insert_checkin_message(
    db: &impl sea_orm::ConnectionTrait,
    m: NewCheckinMessage,
) -> Result<uuid::Uuid> {
    let id = uuid::Uuid::now_v7();
    checkin_message::ActiveModel {
        id: Set(id),
        checkin_id: Set(m.checkin_id),
        author_id: Set(Some(m.author_id.0)),
        from_staff: Set(m.from_staff),
        body_source: Set(m.body_source),
        body_html: Set(m.body_html),
        verdict: Set(m.verdict),
        created_at: Set(m.now),
    }
    .insert(db)
    .await?;
    checkin::Entity::update_many()
        .col_expr(checkin::Column::LastAt, Expr::value(m.now))
        .filter(checkin::Column::Id.eq(m.checkin_id))
        .exec(db)
        .await?;
    Ok(id)
}

fn crisis_record(
    c: crisis::Model,
    names: &std::collections::HashMap<uuid::Uuid, String>,
) -> CrisisRecord {
    CrisisRecord {
        id: c.id,
        member_handle: c.member_id.and_then(|m| names.get(&m).cloned()),
        member_id: c.member_id.map(MemberId),
        source: c.source,
        post_id: c.post_id.map(PostId),
        message_id: c.message_id.map(MessageId),
        checkin_id: c.checkin_id,
        rules: c.rules,
        state: c.state,
        created_at: c.created_at,
        due_at: c.due_at,
        handled_at: c.handled_at,
        handled_by_handle: c.handled_by.and_then(|m| names.get(&m).cloned()),
        outcome_note: c.outcome_note,
    }
}
