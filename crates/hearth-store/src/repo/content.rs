//! Boards, threads and posts.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use hearth_core::content::{BoardVisibility, PostStatus};
use hearth_core::ids::{BoardId, MemberId, PostId, ThreadId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, ExprTrait,
    FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set,
    Statement,
};

use crate::entity::{board, member, post, queue_item, read_marker, thread};
use crate::records::{BoardRecord, NewPost, PostRecord, QueueKind, ThreadRecord};
use crate::repo::realtime::{NewEvent, append_events_on};
use crate::{Result, Store, StoreError};

fn status(s: &str) -> Result<PostStatus> {
    PostStatus::parse(s).ok_or_else(|| StoreError::Other(format!("unknown post status {s:?}")))
}

fn board_record(b: board::Model) -> Result<BoardRecord> {
    Ok(BoardRecord {
        id: BoardId(b.id),
        visibility: BoardVisibility::parse(&b.visibility)
            .ok_or_else(|| StoreError::Other(format!("unknown visibility {:?}", b.visibility)))?,
        name: b.name,
        description: b.description,
        position: b.position,
        created_at: b.created_at,
        archived_at: b.archived_at,
    })
}

pub(crate) async fn handles(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = uuid::Uuid>,
) -> Result<HashMap<uuid::Uuid, String>> {
    let ids: Vec<_> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(member::Entity::find()
        .filter(member::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m.handle))
        .collect())
}

pub(crate) fn post_record(
    p: post::Model,
    handles: &HashMap<uuid::Uuid, String>,
) -> Result<PostRecord> {
    Ok(PostRecord {
        id: PostId(p.id),
        thread_id: ThreadId(p.thread_id),
        author_handle: p.author_id.and_then(|a| handles.get(&a).cloned()),
        author_id: p.author_id.map(MemberId),
        is_first: p.is_first,
        status: status(&p.status)?,
        body_source: p.body_source,
        body_html: p.body_html,
        content_warning: p.content_warning,
        verdict: p.verdict,
        decision_reason: p.decision_reason,
        created_at: p.created_at,
        edited_at: p.edited_at,
        edited_by_moderator: p.edited_by_moderator,
    })
}

fn thread_record(
    t: thread::Model,
    handles: &HashMap<uuid::Uuid, String>,
    read_at: Option<DateTime<Utc>>,
) -> Result<ThreadRecord> {
    Ok(ThreadRecord {
        id: ThreadId(t.id),
        board_id: BoardId(t.board_id),
        author_handle: t.author_id.and_then(|a| handles.get(&a).cloned()),
        author_id: t.author_id.map(MemberId),
        status: status(&t.status)?,
        title: t.title,
        pinned: t.pinned,
        locked: t.locked,
        post_count: t.post_count,
        created_at: t.created_at,
        last_activity_at: t.last_activity_at,
        read_at,
    })
}

fn new_post_model(p: &NewPost, is_first: bool) -> post::ActiveModel {
    post::ActiveModel {
        id: Set(p.id.0),
        thread_id: Set(p.thread_id.0),
        author_id: Set(Some(p.author_id.0)),
        is_first: Set(is_first),
        body_source: Set(p.body_source.clone()),
        body_html: Set(p.body_html.clone()),
        content_warning: Set(p.content_warning.clone()),
        status: Set(p.status.as_str().to_owned()),
        verdict: Set(p.verdict.clone()),
        decision_reason: Set(None),
        created_at: Set(p.now),
        edited_at: Set(None),
        decided_at: Set(None),
        client_key: Set(p.client_key),
        edited_by_moderator: Set(false),
    }
}

/// The record of a post just written from `p`, without reading it back.
fn new_post_record(p: &NewPost, is_first: bool, author_handle: &str) -> PostRecord {
    PostRecord {
        id: p.id,
        thread_id: p.thread_id,
        author_id: Some(p.author_id),
        author_handle: Some(author_handle.to_owned()),
        is_first,
        status: p.status,
        body_source: p.body_source.clone(),
        body_html: p.body_html.clone(),
        content_warning: p.content_warning.clone(),
        verdict: p.verdict.clone(),
        decision_reason: None,
        created_at: p.now,
        edited_at: None,
        edited_by_moderator: false,
    }
}

pub(crate) async fn open_queue_item(
    db: &impl ConnectionTrait,
    kind: QueueKind,
    post: PostId,
    report: Option<uuid::Uuid>,
    now: DateTime<Utc>,
) -> Result<hearth_core::ids::QueueItemId> {
    let id = hearth_core::ids::QueueItemId::new();
    queue_item::ActiveModel {
        id: Set(id.0),
        kind: Set(kind.as_str().to_owned()),
        post_id: Set(post.0),
        report_id: Set(report),
        state: Set("open".to_owned()),
        created_at: Set(now),
        alerted_at: Set(None),
        decided_at: Set(None),
        decided_by: Set(None),
        decision: Set(None),
        decision_reason: Set(None),
    }
    .insert(db)
    .await?;
    Ok(id)
}

/// Sets a post's status and keeps its thread consistent: a first post's status is the thread's
/// status, the thread counts only published posts, and publishing moves its last activity.
pub(crate) async fn set_post_status_on(
    db: &impl ConnectionTrait,
    post_id: PostId,
    new: PostStatus,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> Result<()> {
    let p = post::Entity::find_by_id(post_id.0)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound)?;
    post::Entity::update_many()
        .col_expr(post::Column::Status, Expr::value(new.as_str()))
        .col_expr(post::Column::DecisionReason, Expr::value(reason))
        .col_expr(post::Column::DecidedAt, Expr::value(now))
        .filter(post::Column::Id.eq(post_id.0))
        .exec(db)
        .await?;
    refresh_thread(
        db,
        ThreadId(p.thread_id),
        p.is_first.then_some(new),
        (new == PostStatus::Published).then_some(now),
    )
    .await
}

pub(crate) async fn refresh_thread(
    db: &impl ConnectionTrait,
    thread_id: ThreadId,
    status: Option<PostStatus>,
    activity: Option<DateTime<Utc>>,
) -> Result<()> {
    let count = post::Entity::find()
        .filter(post::Column::ThreadId.eq(thread_id.0))
        .filter(post::Column::Status.eq(PostStatus::Published.as_str()))
        .count(db)
        .await?;
    let mut q = thread::Entity::update_many()
        .col_expr(
            thread::Column::PostCount,
            Expr::value(i32::try_from(count).unwrap_or(i32::MAX)),
        )
        .filter(thread::Column::Id.eq(thread_id.0));
    if let Some(s) = status {
        q = q.col_expr(thread::Column::Status, Expr::value(s.as_str()));
    }
    if let Some(at) = activity {
        q = q.col_expr(thread::Column::LastActivityAt, Expr::value(at));
    }
    q.exec(db).await?;
    Ok(())
}

/// A cursor into a board's thread list: the last thread seen.
#[derive(Clone, Copy, Debug)]
pub struct ThreadCursor {
    /// Whether it was pinned.
    pub pinned: bool,
    /// Its last activity.
    pub last_activity_at: DateTime<Utc>,
    /// Its id.
    pub id: ThreadId,
}

impl Store {
    /// Creates a board.
    #[tracing::instrument(skip_all)]
    pub async fn create_board(
        &self,
        name: String,
        description: String,
        position: i32,
        visibility: BoardVisibility,
        now: DateTime<Utc>,
    ) -> Result<BoardRecord> {
        board_record(
            board::ActiveModel {
                id: Set(BoardId::new().0),
                name: Set(name),
                description: Set(description),
                position: Set(position),
                visibility: Set(visibility.as_str().to_owned()),
                created_at: Set(now),
                archived_at: Set(None),
            }
            .insert(&self.db)
            .await?,
        )
    }

    /// The position after every board's: where a new board goes, so boards keep the order
    /// they were made in until an admin moves them.
    #[tracing::instrument(skip_all)]
    pub async fn next_board_position(&self) -> Result<i32> {
        let last = board::Entity::find()
            .order_by_desc(board::Column::Position)
            .one(&self.db)
            .await?;
        Ok(last.map_or(0, |b| b.position.saturating_add(1)))
    }

    /// Changes a board's name, description and archived state (whichever are given).
    #[tracing::instrument(skip_all)]
    pub async fn update_board(
        &self,
        id: BoardId,
        name: Option<String>,
        description: Option<String>,
        archived_at: Option<Option<DateTime<Utc>>>,
    ) -> Result<BoardRecord> {
        let row = board::Entity::find_by_id(id.0)
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut m: board::ActiveModel = row.into();
        if let Some(name) = name {
            m.name = Set(name);
        }
        if let Some(description) = description {
            m.description = Set(description);
        }
        if let Some(archived_at) = archived_at {
            m.archived_at = Set(archived_at);
        }
        board_record(m.update(&self.db).await?)
    }

    /// Puts the boards in the order given (every board's id, each once): positions 0, 1, 2...
    /// in one transaction. A list that is not exactly the boards is `Conflict { what: "order" }`
    /// (a board was made or deleted meanwhile: the admin's screen is stale).
    #[tracing::instrument(skip_all)]
    pub async fn reorder_boards(&self, order: &[BoardId]) -> Result<Vec<BoardRecord>> {
        let txn = self.begin_write().await?;
        let mut existing: Vec<uuid::Uuid> = board::Entity::find()
            .all(&txn)
            .await?
            .into_iter()
            .map(|b| b.id)
            .collect();
        let mut wanted: Vec<uuid::Uuid> = order.iter().map(|b| b.0).collect();
        existing.sort();
        wanted.sort();
        if existing != wanted {
            return Err(StoreError::Conflict { what: "order" });
        }
        for (i, id) in order.iter().enumerate() {
            let position = i32::try_from(i).map_err(|_| StoreError::Conflict { what: "order" })?;
            board::Entity::update_many()
                .col_expr(
                    board::Column::Position,
                    sea_orm::sea_query::Expr::value(position),
                )
                .filter(board::Column::Id.eq(id.0))
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
        self.list_boards().await
    }

    /// Every board, in order.
    #[tracing::instrument(skip_all)]
    pub async fn list_boards(&self) -> Result<Vec<BoardRecord>> {
        board::Entity::find()
            .order_by_asc(board::Column::Position)
            .order_by_asc(board::Column::Name)
            .all(&self.db)
            .await?
            .into_iter()
            .map(board_record)
            .collect()
    }

    /// One board.
    #[tracing::instrument(skip_all)]
    pub async fn board(&self, id: BoardId) -> Result<BoardRecord> {
        board_record(
            board::Entity::find_by_id(id.0)
                .one(&self.db)
                .await?
                .ok_or(StoreError::NotFound)?,
        )
    }

    /// Starts a thread with its first post, opens a queue item if asked, and stores the events
    /// `announce` builds from the new thread and post, all in one transaction. Answers the
    /// thread, the post, and each event's sequence number (in `announce`'s order).
    #[tracing::instrument(skip_all)]
    pub async fn create_thread<F>(
        &self,
        board: BoardId,
        title: String,
        first: &NewPost,
        author_handle: &str,
        queue: Option<QueueKind>,
        announce: F,
    ) -> Result<(ThreadRecord, PostRecord, Vec<i64>)>
    where
        F: FnOnce(&ThreadRecord, &PostRecord) -> Vec<NewEvent> + Send,
    {
        let txn = self.begin_write().await?;
        let published = first.status == PostStatus::Published;
        let t = thread::ActiveModel {
            id: Set(first.thread_id.0),
            board_id: Set(board.0),
            author_id: Set(Some(first.author_id.0)),
            title: Set(title),
            status: Set(first.status.as_str().to_owned()),
            pinned: Set(false),
            locked: Set(false),
            post_count: Set(i32::from(published)),
            created_at: Set(first.now),
            last_activity_at: Set(first.now),
        }
        .insert(&txn)
        .await?;
        new_post_model(first, true).insert(&txn).await?;
        if let Some(kind) = queue {
            open_queue_item(&txn, kind, first.id, None, first.now).await?;
        }
        // Everything the answer needs is built before the commit: once it commits, nothing may
        // fail and misreport a stored thread as refused.
        let h = HashMap::from([(first.author_id.0, author_handle.to_owned())]);
        let thread = thread_record(t, &h, None)?;
        let post = new_post_record(first, true, author_handle);
        let seqs = append_events_on(&txn, announce(&thread, &post), first.now).await?;
        txn.commit().await?;
        Ok((thread, post, seqs))
    }

    /// Adds a reply to `thread` (as the caller read it) and opens a queue item if asked. A
    /// published reply also moves the thread on (one more post, last activity now). The events
    /// `announce` builds from the post and the thread as updated are stored in the same
    /// transaction. Answers the post, the thread as updated, and each event's sequence number.
    #[tracing::instrument(skip_all)]
    pub async fn create_reply<F>(
        &self,
        new: &NewPost,
        author_handle: &str,
        thread: &ThreadRecord,
        queue: Option<QueueKind>,
        announce: F,
    ) -> Result<(PostRecord, ThreadRecord, Vec<i64>)>
    where
        F: FnOnce(&PostRecord, &ThreadRecord) -> Vec<NewEvent> + Send,
    {
        let txn = self.begin_write().await?;
        let mut thread = thread.clone();
        let published = new.status == PostStatus::Published;
        let bumped = if published && txn.get_database_backend() == DbBackend::Postgres {
            // One statement, one round trip: the INSERT runs as a data-modifying CTE.
            let insert =
                post::Entity::insert(new_post_model(new, false)).build(DbBackend::Postgres);
            let mut values = insert.values.map(|v| v.0).unwrap_or_default();
            let (at, id) = (values.len() + 1, values.len() + 2);
            values.push(new.now.into());
            values.push(new.thread_id.0.into());
            let sql = format!(
                "WITH p AS ({}) UPDATE threads SET post_count = post_count + 1, \
                 last_activity_at = ${at} WHERE id = ${id} RETURNING *",
                insert.sql
            );
            let row = txn
                .query_one_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    sql,
                    values,
                ))
                .await?
                .ok_or(StoreError::NotFound)?;
            Some(thread::Model::from_query_result(&row, "")?)
        } else {
            new_post_model(new, false).insert(&txn).await?;
            if published {
                Some(
                    thread::Entity::update_many()
                        .col_expr(
                            thread::Column::PostCount,
                            Expr::col(thread::Column::PostCount).add(1),
                        )
                        .col_expr(thread::Column::LastActivityAt, Expr::value(new.now))
                        .filter(thread::Column::Id.eq(new.thread_id.0))
                        .exec_with_returning(&txn)
                        .await?
                        .into_iter()
                        .next()
                        .ok_or(StoreError::NotFound)?,
                )
            } else {
                None
            }
        };
        if let Some(row) = bumped {
            let h: HashMap<_, _> = thread
                .author_id
                .zip(thread.author_handle.clone())
                .map(|(id, handle)| (id.0, handle))
                .into_iter()
                .collect();
            thread = thread_record(row, &h, thread.read_at)?;
        }
        if let Some(kind) = queue {
            open_queue_item(&txn, kind, new.id, None, new.now).await?;
        }
        let post = new_post_record(new, false, author_handle);
        let seqs = append_events_on(&txn, announce(&post, &thread), new.now).await?;
        txn.commit().await?;
        Ok((post, thread, seqs))
    }

    /// A thread (without a read marker) with its board and its author's handle, in one query.
    #[tracing::instrument(skip_all)]
    pub async fn thread_in_board(&self, id: ThreadId) -> Result<(ThreadRecord, BoardRecord)> {
        let (t, b, author) = thread::Entity::find_by_id(id.0)
            .find_also_related(board::Entity)
            .find_also_related(member::Entity)
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound)?;
        let b = b.ok_or_else(|| StoreError::Other(format!("thread {} has no board", t.id)))?;
        let h: HashMap<_, _> = author.map(|m| (m.id, m.handle)).into_iter().collect();
        Ok((thread_record(t, &h, None)?, board_record(b)?))
    }

    /// One thread, with the reader's read marker.
    #[tracing::instrument(skip_all)]
    pub async fn thread(&self, id: ThreadId, reader: Option<MemberId>) -> Result<ThreadRecord> {
        let t = thread::Entity::find_by_id(id.0)
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound)?;
        let read_at = match reader {
            Some(r) => read_marker::Entity::find_by_id((r.0, id.0))
                .one(&self.db)
                .await?
                .map(|m| m.read_at),
            None => None,
        };
        let h = handles(&self.db, t.author_id).await?;
        thread_record(t, &h, read_at)
    }

    /// A board's threads that `reader` may see (published ones, and their own held or rejected
    /// ones), pinned first then by last activity, after `cursor`.
    #[tracing::instrument(skip_all)]
    pub async fn threads_in_board(
        &self,
        board: BoardId,
        reader: MemberId,
        cursor: Option<ThreadCursor>,
        limit: u64,
    ) -> Result<Vec<ThreadRecord>> {
        let mut q =
            thread::Entity::find()
                .filter(thread::Column::BoardId.eq(board.0))
                .filter(
                    Condition::any()
                        .add(thread::Column::Status.eq(PostStatus::Published.as_str()))
                        .add(
                            Condition::all()
                                .add(thread::Column::AuthorId.eq(reader.0))
                                .add(thread::Column::Status.is_in([
                                    PostStatus::Held.as_str(),
                                    PostStatus::Rejected.as_str(),
                                ])),
                        ),
                )
                .order_by_desc(thread::Column::Pinned)
                .order_by_desc(thread::Column::LastActivityAt)
                .order_by_desc(thread::Column::Id)
                .limit(limit);
        if let Some(c) = cursor {
            // Rows strictly after the cursor in (pinned desc, activity desc, id desc) order.
            let after_in_group = Condition::all()
                .add(thread::Column::Pinned.eq(c.pinned))
                .add(
                    Condition::any()
                        .add(thread::Column::LastActivityAt.lt(c.last_activity_at))
                        .add(
                            Condition::all()
                                .add(thread::Column::LastActivityAt.eq(c.last_activity_at))
                                .add(thread::Column::Id.lt(c.id.0)),
                        ),
                );
            let mut cond = Condition::any().add(after_in_group);
            if c.pinned {
                cond = cond.add(thread::Column::Pinned.eq(false));
            }
            q = q.filter(cond);
        }
        let rows = q.all(&self.db).await?;
        let markers: HashMap<_, _> = read_marker::Entity::find()
            .filter(read_marker::Column::MemberId.eq(reader.0))
            .filter(read_marker::Column::ThreadId.is_in(rows.iter().map(|t| t.id)))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|m| (m.thread_id, m.read_at))
            .collect();
        let h = handles(&self.db, rows.iter().filter_map(|t| t.author_id)).await?;
        rows.into_iter()
            .map(|t| {
                let read = markers.get(&t.id).copied();
                thread_record(t, &h, read)
            })
            .collect()
    }

    /// A thread's posts that `reader` may see, oldest first, after the post `after`.
    /// Moderators (`all = true`) see every post.
    #[tracing::instrument(skip_all)]
    pub async fn posts_in_thread(
        &self,
        thread: ThreadId,
        reader: MemberId,
        all: bool,
        after: Option<PostId>,
        limit: u64,
    ) -> Result<Vec<PostRecord>> {
        let mut q = post::Entity::find()
            .filter(post::Column::ThreadId.eq(thread.0))
            .order_by_asc(post::Column::Id)
            .limit(limit);
        if !all {
            q = q.filter(
                Condition::any()
                    .add(
                        post::Column::Status.is_in(
                            hearth_core::content::PostStatus::ALL
                                .into_iter()
                                .filter(|s| s.visible_to_others())
                                .map(PostStatus::as_str),
                        ),
                    )
                    .add(post::Column::AuthorId.eq(reader.0)),
            );
        }
        if let Some(after) = after {
            q = q.filter(post::Column::Id.gt(after.0));
        }
        let rows = q.all(&self.db).await?;
        let h = handles(&self.db, rows.iter().filter_map(|p| p.author_id)).await?;
        rows.into_iter().map(|p| post_record(p, &h)).collect()
    }

    /// One post.
    #[tracing::instrument(skip_all)]
    pub async fn post(&self, id: PostId) -> Result<PostRecord> {
        let p = post::Entity::find_by_id(id.0)
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound)?;
        let h = handles(&self.db, p.author_id).await?;
        post_record(p, &h)
    }

    /// The post `author` already made with the key `client_key`, if any: what a retried send
    /// finds instead of storing the same post twice.
    #[tracing::instrument(skip_all)]
    pub async fn post_by_client_key(
        &self,
        author: MemberId,
        client_key: uuid::Uuid,
    ) -> Result<Option<PostRecord>> {
        let Some(p) = post::Entity::find()
            .filter(post::Column::AuthorId.eq(author.0))
            .filter(post::Column::ClientKey.eq(client_key))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let h = handles(&self.db, p.author_id).await?;
        post_record(p, &h).map(Some)
    }

    /// How many of a member's posts are published (for the new-member rules).
    #[tracing::instrument(skip_all)]
    pub async fn count_published_posts(&self, author: MemberId) -> Result<u64> {
        Ok(post::Entity::find()
            .filter(post::Column::AuthorId.eq(author.0))
            .filter(post::Column::Status.eq(PostStatus::Published.as_str()))
            .count(&self.db)
            .await?)
    }

    /// Records that `reader` has read `thread` up to `at`.
    #[tracing::instrument(skip_all)]
    pub async fn mark_read(
        &self,
        reader: MemberId,
        thread: ThreadId,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let txn = self.begin_write().await?;
        read_marker::Entity::delete_by_id((reader.0, thread.0))
            .exec(&txn)
            .await?;
        read_marker::ActiveModel {
            member_id: Set(reader.0),
            thread_id: Set(thread.0),
            read_at: Set(at),
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Replaces a post's text after an edit, with its new status and verdict, opening a queue
    /// item when the edit is held or flagged.
    #[tracing::instrument(skip_all)]
    #[allow(clippy::too_many_arguments)]
    pub async fn edit_post(
        &self,
        id: PostId,
        body_source: String,
        body_html: String,
        content_warning: Option<String>,
        new_status: PostStatus,
        verdict: String,
        queue: Option<QueueKind>,
        now: DateTime<Utc>,
    ) -> Result<PostRecord> {
        let txn = self.begin_write().await?;
        post::Entity::update_many()
            .col_expr(post::Column::BodySource, Expr::value(body_source))
            .col_expr(post::Column::BodyHtml, Expr::value(body_html))
            .col_expr(post::Column::ContentWarning, Expr::value(content_warning))
            .col_expr(post::Column::Verdict, Expr::value(verdict))
            .col_expr(post::Column::EditedAt, Expr::value(now))
            .col_expr(post::Column::EditedByModerator, Expr::value(false))
            .filter(post::Column::Id.eq(id.0))
            .exec(&txn)
            .await?;
        let before = post::Entity::find_by_id(id.0)
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound)?;
        if before.status != new_status.as_str() {
            set_post_status_on(&txn, id, new_status, None, now).await?;
        }
        if let Some(kind) = queue {
            // An edit supersedes any open item about the older text.
            queue_item::Entity::update_many()
                .col_expr(queue_item::Column::State, Expr::value("superseded"))
                .col_expr(queue_item::Column::DecidedAt, Expr::value(now))
                .filter(queue_item::Column::PostId.eq(id.0))
                .filter(queue_item::Column::State.eq("open"))
                .filter(queue_item::Column::Kind.ne(QueueKind::Report.as_str()))
                .exec(&txn)
                .await?;
            open_queue_item(&txn, kind, id, None, now).await?;
        }
        txn.commit().await?;
        self.post(id).await
    }

    /// Sets a post's status (removal by a moderator, deletion by its author), keeping the
    /// thread consistent. Deleting also clears the text: nothing is kept that the author took back.
    #[tracing::instrument(skip_all)]
    pub async fn set_post_status(
        &self,
        id: PostId,
        new: PostStatus,
        reason: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<PostRecord> {
        let txn = self.begin_write().await?;
        set_post_status_on(&txn, id, new, reason, now).await?;
        if new == PostStatus::Deleted {
            post::Entity::update_many()
                .col_expr(post::Column::BodySource, Expr::value(""))
                .col_expr(post::Column::BodyHtml, Expr::value(""))
                .col_expr(
                    post::Column::ContentWarning,
                    Expr::value(Option::<String>::None),
                )
                .filter(post::Column::Id.eq(id.0))
                .exec(&txn)
                .await?;
        }
        if matches!(new, PostStatus::Deleted | PostStatus::Removed) {
            queue_item::Entity::update_many()
                .col_expr(queue_item::Column::State, Expr::value("superseded"))
                .col_expr(queue_item::Column::DecidedAt, Expr::value(now))
                .filter(queue_item::Column::PostId.eq(id.0))
                .filter(queue_item::Column::State.eq("open"))
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
        self.post(id).await
    }

    /// Sets a thread's pinned or locked flag, or moves it to another board.
    #[tracing::instrument(skip_all)]
    pub async fn update_thread(
        &self,
        id: ThreadId,
        pinned: Option<bool>,
        locked: Option<bool>,
        board: Option<BoardId>,
    ) -> Result<ThreadRecord> {
        let mut q = thread::Entity::update_many().filter(thread::Column::Id.eq(id.0));
        if let Some(p) = pinned {
            q = q.col_expr(thread::Column::Pinned, Expr::value(p));
        }
        if let Some(l) = locked {
            q = q.col_expr(thread::Column::Locked, Expr::value(l));
        }
        if let Some(b) = board {
            q = q.col_expr(thread::Column::BoardId, Expr::value(b.0));
        }
        if q.exec(&self.db).await?.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        self.thread(id, None).await
    }
}
