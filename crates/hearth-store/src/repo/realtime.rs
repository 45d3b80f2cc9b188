//! The per-topic event log, chat rooms and chat messages.

use chrono::{DateTime, Utc};
use hearth_core::content::PostStatus;
use hearth_core::ids::{MemberId, MessageId, RoomId};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, Statement,
};

use crate::entity::member;
use crate::entity::{event, message, room};
use crate::records::{EventRecord, MessageRecord, RoomRecord};
use crate::{Result, Store, StoreError};

fn room_record(r: room::Model) -> RoomRecord {
    RoomRecord {
        id: RoomId(r.id),
        name: r.name,
        description: r.description,
        position: r.position,
        needs_moderator: r.needs_moderator,
        slow_mode_seconds: r.slow_mode_seconds,
        new_member_slow_mode_seconds: r.new_member_slow_mode_seconds,
        created_at: r.created_at,
    }
}

/// Chat authors' handles, and whether each is a moderator or admin now (for the badge).
async fn chat_authors(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = uuid::Uuid>,
) -> Result<std::collections::HashMap<uuid::Uuid, (String, bool)>> {
    let ids: Vec<_> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    Ok(member::Entity::find()
        .filter(member::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|m| {
            let staff = hearth_core::policy::Role::parse(&m.role)
                .is_some_and(|r| r >= hearth_core::policy::Role::Moderator);
            (m.id, (m.handle, staff))
        })
        .collect())
}

fn message_record(
    m: message::Model,
    h: &std::collections::HashMap<uuid::Uuid, (String, bool)>,
) -> Result<MessageRecord> {
    let author = m.author_id.and_then(|a| h.get(&a));
    Ok(MessageRecord {
        id: MessageId(m.id),
        room_id: RoomId(m.room_id),
        author_handle: author.map(|(handle, _)| handle.clone()),
        author_is_moderator: author.is_some_and(|(_, staff)| *staff),
        author_id: m.author_id.map(MemberId),
        status: PostStatus::parse(&m.status)
            .ok_or_else(|| StoreError::Other(format!("unknown status {:?}", m.status)))?,
        body: m.body,
        body_html: m.body_html,
        verdict: m.verdict,
        created_at: m.created_at,
        decision_reason: m.decision_reason,
    })
}

/// An event to store on a topic's log, in the same transaction as the change it reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEvent {
    /// The topic (`thread:<id>`, `board:<id>`, ...).
    pub topic: String,
    /// The event, JSON.
    pub payload: String,
}

/// Takes `topic`'s next sequence number from its `topic_seqs` counter row (created, carrying on
/// from the log, if missing) and stores the event under it, on `db` (a transaction, or on
/// PostgreSQL also a plain connection: there it is one statement, atomic by itself).
///
/// The counter row stays locked until the transaction ends, so a second writer to the same topic
/// waits for the first to commit (or roll back) and then takes the next number: numbers are
/// never skipped or taken twice, and a topic's events become visible in sequence order.
pub(crate) async fn append_event_on(
    db: &impl ConnectionTrait,
    topic: &str,
    payload: String,
    now: DateTime<Utc>,
) -> Result<i64> {
    let backend = db.get_database_backend();
    // The SELECT only matters when the row is missing (a topic's first event): it carries on from
    // any events stored before the counter existed. `WHERE` also settles SQLite's parse of
    // `INSERT ... SELECT ... ON CONFLICT`.
    const NEXT: &str = "INSERT INTO topic_seqs (topic, seq) \
         SELECT $1, COALESCE(MAX(seq), 0) + 1 FROM events WHERE topic = $1 \
         ON CONFLICT (topic) DO UPDATE SET seq = topic_seqs.seq + 1 RETURNING seq";
    let seq = if backend == DbBackend::Postgres {
        let sql = format!(
            "WITH next AS ({NEXT}) INSERT INTO events (topic, seq, payload, created_at) \
             SELECT $1, seq, $2, $3 FROM next RETURNING seq"
        );
        let row = db
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                sql,
                [topic.into(), payload.into(), now.into()],
            ))
            .await?
            .ok_or_else(|| StoreError::Other("no sequence number returned".to_owned()))?;
        row.try_get::<i64>("", "seq")?
    } else {
        let row = db
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                NEXT.replace("$1", "?1"),
                [topic.into()],
            ))
            .await?
            .ok_or_else(|| StoreError::Other("no sequence number returned".to_owned()))?;
        let seq = row.try_get::<i64>("", "seq")?;
        event::ActiveModel {
            topic: Set(topic.to_owned()),
            seq: Set(seq),
            payload: Set(payload),
            created_at: Set(now),
        }
        .insert(db)
        .await?;
        seq
    };
    Ok(seq)
}

/// Stores `events` (in order) as [`append_event_on`] does, answering their sequence numbers in
/// the same order. On PostgreSQL, events on distinct topics go in one statement (one round trip
/// however many there are); otherwise one after another.
pub(crate) async fn append_events_on(
    db: &impl ConnectionTrait,
    events: Vec<NewEvent>,
    now: DateTime<Utc>,
) -> Result<Vec<i64>> {
    let backend = db.get_database_backend();
    let distinct = events
        .iter()
        .enumerate()
        .all(|(i, e)| events[..i].iter().all(|f| f.topic != e.topic));
    if backend != DbBackend::Postgres || events.len() < 2 || !distinct {
        let mut seqs = Vec::with_capacity(events.len());
        for e in events {
            seqs.push(append_event_on(db, &e.topic, e.payload, now).await?);
        }
        return Ok(seqs);
    }
    // $1 is the time; event i has its topic at $(2i+2) and its payload at $(2i+3).
    let mut ctes = Vec::with_capacity(events.len() * 2);
    let mut picks = Vec::with_capacity(events.len());
    let mut values: Vec<sea_orm::Value> = Vec::with_capacity(1 + events.len() * 2);
    values.push(now.into());
    for (i, e) in events.into_iter().enumerate() {
        let (t, p) = (2 * i + 2, 2 * i + 3);
        ctes.push(format!(
            "n{i} AS (INSERT INTO topic_seqs (topic, seq) \
             SELECT ${t}, COALESCE(MAX(seq), 0) + 1 FROM events WHERE topic = ${t} \
             ON CONFLICT (topic) DO UPDATE SET seq = topic_seqs.seq + 1 RETURNING seq)"
        ));
        ctes.push(format!(
            "e{i} AS (INSERT INTO events (topic, seq, payload, created_at) \
             SELECT ${t}, seq, ${p}, $1 FROM n{i} RETURNING seq)"
        ));
        picks.push(format!("(SELECT seq FROM e{i}) AS s{i}"));
        values.push(e.topic.into());
        values.push(e.payload.into());
    }
    let sql = format!("WITH {} SELECT {}", ctes.join(", "), picks.join(", "));
    let row = db
        .query_one_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?
        .ok_or_else(|| StoreError::Other("no sequence numbers returned".to_owned()))?;
    (0..picks.len())
        .map(|i| Ok(row.try_get::<i64>("", &format!("s{i}"))?))
        .collect()
}

impl Store {
    /// Appends an event to a topic's log with the next sequence number (see
    /// [`append_event_on`]). For an event that reports a change, prefer storing it in the
    /// change's own transaction.
    #[tracing::instrument(skip_all)]
    pub async fn append_event(
        &self,
        topic: &str,
        payload: String,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        if self.db.get_database_backend() == DbBackend::Postgres {
            return append_event_on(&self.db, topic, payload, now).await;
        }
        let txn = self.begin_write().await?;
        let seq = append_event_on(&txn, topic, payload, now).await?;
        txn.commit().await?;
        Ok(seq)
    }

    /// The latest sequence number handed out on a topic (0 when it has none). It comes from the
    /// counter row, which is written in the same transaction as the event, so the event it names
    /// is already readable; and it survives the purge of old events.
    #[tracing::instrument(skip_all)]
    pub async fn latest_seq(&self, topic: &str) -> Result<i64> {
        let backend = self.db.get_database_backend();
        let sql = match backend {
            DbBackend::Postgres => {
                "SELECT COALESCE(MAX(seq), 0) AS seq FROM (SELECT seq FROM topic_seqs WHERE topic = $1 \
                 UNION ALL SELECT MAX(seq) FROM events WHERE topic = $1) AS s"
            }
            _ => {
                "SELECT COALESCE(MAX(seq), 0) AS seq FROM (SELECT seq FROM topic_seqs WHERE topic = ?1 \
                 UNION ALL SELECT MAX(seq) FROM events WHERE topic = ?1) AS s"
            }
        };
        let row = self
            .db
            .query_one_raw(Statement::from_sql_and_values(backend, sql, [topic.into()]))
            .await?;
        Ok(match row {
            Some(r) => r.try_get::<i64>("", "seq")?,
            None => 0,
        })
    }

    /// Events on a topic after `after`, oldest first, at most `limit`.
    #[tracing::instrument(skip_all)]
    pub async fn events_since(
        &self,
        topic: &str,
        after: i64,
        limit: u64,
    ) -> Result<Vec<EventRecord>> {
        Ok(event::Entity::find()
            .filter(event::Column::Topic.eq(topic))
            .filter(event::Column::Seq.gt(after))
            .order_by_asc(event::Column::Seq)
            .limit(limit)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|e| EventRecord {
                topic: e.topic,
                seq: e.seq,
                payload: e.payload,
            })
            .collect())
    }

    /// Deletes events older than `before` (they have served their purpose of catching clients up).
    #[tracing::instrument(skip_all)]
    pub async fn purge_events(&self, before: DateTime<Utc>) -> Result<u64> {
        Ok(event::Entity::delete_many()
            .filter(event::Column::CreatedAt.lt(before))
            .exec(&self.db)
            .await?
            .rows_affected)
    }

    /// Creates a room.
    #[tracing::instrument(skip_all)]
    pub async fn create_room(&self, r: RoomRecord) -> Result<RoomRecord> {
        Ok(room_record(
            room::ActiveModel {
                id: Set(r.id.0),
                name: Set(r.name),
                description: Set(r.description),
                position: Set(r.position),
                needs_moderator: Set(r.needs_moderator),
                slow_mode_seconds: Set(r.slow_mode_seconds),
                new_member_slow_mode_seconds: Set(r.new_member_slow_mode_seconds),
                created_at: Set(r.created_at),
            }
            .insert(&self.db)
            .await?,
        ))
    }

    /// Every room, in order.
    #[tracing::instrument(skip_all)]
    pub async fn list_rooms(&self) -> Result<Vec<RoomRecord>> {
        Ok(room::Entity::find()
            .order_by_asc(room::Column::Position)
            .order_by_asc(room::Column::Name)
            .all(&self.db)
            .await?
            .into_iter()
            .map(room_record)
            .collect())
    }

    /// One room.
    #[tracing::instrument(skip_all)]
    pub async fn room(&self, id: RoomId) -> Result<RoomRecord> {
        Ok(room_record(
            room::Entity::find_by_id(id.0)
                .one(&self.db)
                .await?
                .ok_or(StoreError::NotFound)?,
        ))
    }

    /// Stores a chat message, with the `client_id` its sender gave it, if any.
    #[tracing::instrument(skip_all)]
    pub async fn insert_message(
        &self,
        m: &MessageRecord,
        client_key: Option<uuid::Uuid>,
    ) -> Result<MessageRecord> {
        let row = message::ActiveModel {
            id: Set(m.id.0),
            room_id: Set(m.room_id.0),
            author_id: Set(m.author_id.map(|a| a.0)),
            body: Set(m.body.clone()),
            body_html: Set(m.body_html.clone()),
            status: Set(m.status.as_str().to_owned()),
            verdict: Set(m.verdict.clone()),
            created_at: Set(m.created_at),
            client_key: Set(client_key),
            decision_reason: Set(None),
        }
        .insert(&self.db)
        .await?;
        message_record(
            row,
            &chat_authors(&self.db, m.author_id.map(|a| a.0)).await?,
        )
    }

    /// The message `author` already sent with `client_id` `client_key`, if any: what a resent
    /// `say` finds instead of storing the message twice.
    #[tracing::instrument(skip_all)]
    pub async fn message_by_client_key(
        &self,
        author: MemberId,
        client_key: uuid::Uuid,
    ) -> Result<Option<MessageRecord>> {
        let Some(row) = message::Entity::find()
            .filter(message::Column::AuthorId.eq(author.0))
            .filter(message::Column::ClientKey.eq(client_key))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let h = chat_authors(&self.db, row.author_id).await?;
        message_record(row, &h).map(Some)
    }

    /// A room's messages that `reader` may see (published, and their own held ones), newest
    /// first, before the message `before`.
    #[tracing::instrument(skip_all)]
    pub async fn messages(
        &self,
        room: RoomId,
        reader: MemberId,
        all: bool,
        before: Option<MessageId>,
        limit: u64,
    ) -> Result<Vec<MessageRecord>> {
        let mut q = message::Entity::find()
            .filter(message::Column::RoomId.eq(room.0))
            .order_by_desc(message::Column::Id)
            .limit(limit);
        if !all {
            q = q.filter(
                Condition::any()
                    .add(message::Column::Status.eq(PostStatus::Published.as_str()))
                    .add(message::Column::AuthorId.eq(reader.0)),
            );
        }
        if let Some(b) = before {
            q = q.filter(message::Column::Id.lt(b.0));
        }
        let rows = q.all(&self.db).await?;
        let h = chat_authors(&self.db, rows.iter().filter_map(|m| m.author_id)).await?;
        rows.into_iter().map(|m| message_record(m, &h)).collect()
    }

    /// One chat message.
    #[tracing::instrument(skip_all)]
    pub async fn message(&self, id: MessageId) -> Result<MessageRecord> {
        let m = message::Entity::find_by_id(id.0)
            .one(&self.db)
            .await?
            .ok_or(crate::StoreError::NotFound)?;
        let h = chat_authors(&self.db, m.author_id).await?;
        message_record(m, &h)
    }

    /// Chat messages waiting for a moderator (held or flagged by the rules), oldest first.
    #[tracing::instrument(skip_all)]
    pub async fn held_messages(&self, limit: u64) -> Result<Vec<MessageRecord>> {
        let rows = message::Entity::find()
            .filter(message::Column::Status.eq(PostStatus::Held.as_str()))
            .order_by_asc(message::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?;
        let h = chat_authors(&self.db, rows.iter().filter_map(|m| m.author_id)).await?;
        rows.into_iter().map(|m| message_record(m, &h)).collect()
    }

    /// How many chat messages are held for a moderator: they wait in the queue as much as held
    /// posts do, so the staff's waiting count includes them.
    #[tracing::instrument(skip_all)]
    pub async fn count_held_messages(&self) -> Result<u64> {
        Ok(message::Entity::find()
            .filter(message::Column::Status.eq(PostStatus::Held.as_str()))
            .count(&self.db)
            .await?)
    }

    /// Decides a held chat message: published or rejected, with the reason its author is shown
    /// for a rejection. A message no longer held (another moderator decided it) is
    /// `Conflict { what: "decision" }`.
    #[tracing::instrument(skip_all)]
    pub async fn decide_message(
        &self,
        id: MessageId,
        to: PostStatus,
        reason: Option<&str>,
    ) -> Result<MessageRecord> {
        use sea_orm::sea_query::Expr;
        let row = message::Entity::find_by_id(id.0)
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound)?;
        let updated = message::Entity::update_many()
            .col_expr(message::Column::Status, Expr::value(to.as_str()))
            .col_expr(
                message::Column::DecisionReason,
                Expr::value(reason.map(str::to_owned)),
            )
            .filter(message::Column::Id.eq(id.0))
            .filter(message::Column::Status.eq(PostStatus::Held.as_str()))
            .exec(&self.db)
            .await?;
        if updated.rows_affected != 1 {
            return Err(StoreError::Conflict { what: "decision" });
        }
        let h = chat_authors(&self.db, row.author_id).await?;
        let mut m = message_record(row, &h)?;
        m.status = to;
        m.decision_reason = reason.map(str::to_owned);
        Ok(m)
    }

    /// When `author` last sent a message in `room` (for slow mode).
    #[tracing::instrument(skip_all)]
    pub async fn last_message_at(
        &self,
        room: RoomId,
        author: MemberId,
    ) -> Result<Option<DateTime<Utc>>> {
        Ok(message::Entity::find()
            .filter(message::Column::RoomId.eq(room.0))
            .filter(message::Column::AuthorId.eq(author.0))
            .order_by_desc(message::Column::Id)
            .one(&self.db)
            .await?
            .map(|m| m.created_at))
    }
}
