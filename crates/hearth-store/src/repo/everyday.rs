//! Members' everyday comforts (issue 14 item 8): the home page's unread counts and latest
//! activity per board, the first unread post of a thread, handle completion for @mentions,
//! and whether a member has been welcomed.
//!
//! Unread counts are derived on each read from `read_markers` and the threads' and posts' own
//! columns (indexes `threads_board_listed` and `posts_thread_status_created`), never kept in a
//! counter row: a counter per board would make every post on that board wait for the one
//! before it.

use chrono::{DateTime, Utc};
use hearth_core::content::PostStatus;
use hearth_core::ids::{BoardId, MemberId, PostId, ThreadId};
use hearth_core::policy::Standing;
use sea_orm::sea_query::ExprTrait;
use sea_orm::sea_query::{Expr, LikeExpr};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::entity::{member, read_marker};
use crate::repo::comforts::Sql;
use crate::{Result, Store};

/// How many of a board's most recently active threads are looked at for its unread count:
/// the home page says "100 or more" past it, and costs the same however large a board grows
/// (measured on SQLite with 20,000 threads and 200,000 posts: 420 ms for a home page counting
/// every thread, 165 ms with this window).
pub const UNREAD_WINDOW: i64 = 100;

/// A board's activity as one reader sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoardActivity {
    /// The board.
    pub board: BoardId,
    /// How many of its listed threads have a published post by someone else that is newer
    /// than the reader's read marker (every such thread when they have none), among its
    /// [`UNREAD_WINDOW`] most recently active threads.
    pub unread_threads: i64,
    /// When a listed thread of the board last moved on (a thread's last activity moves only
    /// when something is published in it), or `None` for a board with no listed thread.
    pub last_activity_at: Option<DateTime<Utc>>,
}

impl Store {
    /// Unread thread counts and latest activity for `boards` (the ones the reader may see;
    /// the caller decides which), for `reader`. Only published posts in listed (published)
    /// threads count, so nothing held, rejected, removed or deleted is ever counted. Boards
    /// with no listed thread answer zero and no time.
    #[tracing::instrument(skip_all)]
    pub async fn board_activity(
        &self,
        reader: MemberId,
        boards: &[BoardId],
    ) -> Result<Vec<BoardActivity>> {
        let mut out = Vec::with_capacity(boards.len());
        if boards.is_empty() {
            return Ok(out);
        }
        let backend = self.db.get_database_backend();
        // One statement per board: its latest activity is the end of its index range; the
        // count looks at its most recently active threads only (at most
        // `UNREAD_WINDOW`), skips those whose last activity is not past the reader's marker
        // (primary key), and probes the posts index once for the rest. So a home page costs
        // the same whatever the size of the boards.
        for b in boards {
            let mut q = Sql::new(backend);
            let me = q.bind(reader.0);
            let published = q.bind(PostStatus::Published.as_str());
            let board = q.bind(b.0);
            let window = q.bind(UNREAD_WINDOW);
            q.push(&format!(
                "SELECT \
                   (SELECT MAX(t.last_activity_at) FROM threads t \
                     WHERE t.board_id = {board} AND t.status = {published}) AS latest, \
                   (SELECT COUNT(*) FROM ( \
                     SELECT t.id AS id, t.last_activity_at AS active_at, r.read_at AS read_at \
                     FROM threads t \
                     LEFT JOIN read_markers r ON r.thread_id = t.id AND r.member_id = {me} \
                     WHERE t.board_id = {board} AND t.status = {published} \
                     ORDER BY t.last_activity_at DESC LIMIT {window}) x \
                   WHERE (x.read_at IS NULL OR x.active_at > x.read_at) AND EXISTS ( \
                     SELECT 1 FROM posts p WHERE p.thread_id = x.id AND p.status = {published} \
                     AND (x.read_at IS NULL OR p.created_at > x.read_at) \
                     AND (p.author_id IS NULL OR p.author_id <> {me}))) AS unread"
            ));
            let row = self.db.query_one_raw(q.statement()).await?;
            let (latest, unread) = match row {
                Some(row) => (
                    row.try_get::<Option<DateTime<Utc>>>("", "latest")?,
                    row.try_get::<Option<i64>>("", "unread")?.unwrap_or(0),
                ),
                None => (None, 0),
            };
            out.push(BoardActivity {
                board: *b,
                unread_threads: unread,
                last_activity_at: latest,
            });
        }
        Ok(out)
    }

    /// Up to when `reader` has read `thread`, if they ever opened it.
    #[tracing::instrument(skip_all)]
    pub async fn read_marker(
        &self,
        reader: MemberId,
        thread: ThreadId,
    ) -> Result<Option<DateTime<Utc>>> {
        Ok(read_marker::Entity::find_by_id((reader.0, thread.0))
            .one(&self.db)
            .await?
            .map(|m| m.read_at))
    }

    /// The oldest post of `thread` newer than `since` that `reader` would count as unread: a
    /// published one by someone else (nothing held, removed or deleted, which has nothing to
    /// read).
    #[tracing::instrument(skip_all)]
    pub async fn first_unread_post(
        &self,
        thread: ThreadId,
        reader: MemberId,
        since: DateTime<Utc>,
    ) -> Result<Option<PostId>> {
        use crate::entity::post;
        let p = post::Entity::find()
            .filter(post::Column::ThreadId.eq(thread.0))
            .filter(post::Column::Status.eq(PostStatus::Published.as_str()))
            .filter(post::Column::CreatedAt.gt(since))
            .filter(
                sea_orm::Condition::any()
                    .add(post::Column::AuthorId.is_null())
                    .add(post::Column::AuthorId.ne(reader.0)),
            )
            .order_by_asc(post::Column::CreatedAt)
            .order_by_asc(post::Column::Id)
            .one(&self.db)
            .await?;
        Ok(p.map(|p| PostId(p.id)))
    }

    /// Handles of active members (not pending, suspended, banned or erased) whose handle starts
    /// with `prefix` (any case; only the characters a handle may hold, which the caller checks),
    /// in alphabetical order, at most `limit`: for completing an @mention.
    #[tracing::instrument(skip_all)]
    pub async fn handles_starting_with(
        &self,
        prefix: &str,
        limit: u64,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>> {
        let key = hearth_core::account::handle_key(prefix);
        let mut pattern = String::with_capacity(key.len() + 2);
        for c in key.chars() {
            if matches!(c, '%' | '_' | '\\') {
                pattern.push('\\');
            }
            pattern.push(c);
        }
        pattern.push('%');
        Ok(member::Entity::find()
            .select_only()
            .column(member::Column::Handle)
            .filter(Expr::col(member::Column::HandleKey).like(LikeExpr::new(pattern).escape('\\')))
            .filter(crate::repo::members::standing_at(Standing::Active, now))
            .order_by_asc(member::Column::HandleKey)
            .limit(limit)
            .into_tuple::<String>()
            .all(&self.db)
            .await?)
    }

    /// Whether the welcome shown on a member's first sign-in is still to be shown to them.
    #[tracing::instrument(skip_all)]
    pub async fn welcome_due(&self, who: MemberId) -> Result<bool> {
        let at: Option<Option<DateTime<Utc>>> = member::Entity::find_by_id(who.0)
            .select_only()
            .column(member::Column::WelcomedAt)
            .into_tuple()
            .one(&self.db)
            .await?;
        Ok(matches!(at, Some(None)))
    }

    /// Records that the member has seen (and put away) their welcome; answers whether this
    /// changed anything.
    #[tracing::instrument(skip_all)]
    pub async fn mark_welcomed(&self, who: MemberId, now: DateTime<Utc>) -> Result<bool> {
        let r = member::Entity::update_many()
            .col_expr(member::Column::WelcomedAt, Expr::value(now))
            .filter(member::Column::Id.eq(who.0))
            .filter(member::Column::WelcomedAt.is_null())
            .exec(&self.db)
            .await?;
        Ok(r.rows_affected > 0)
    }
}

/// A chat report in an export: (message id, reason, state, made at).
pub type ExportedMessageReport = (uuid::Uuid, String, String, DateTime<Utc>);

/// A chat message with open reports, for the moderators' queue.
#[derive(Clone, Debug)]
pub struct ReportedMessage {
    /// The message as it stands.
    pub message: crate::records::MessageRecord,
    /// The reasons given, one per open report (never who gave them).
    pub reasons: Vec<String>,
    /// When the first open report was made.
    pub first_reported_at: DateTime<Utc>,
}

impl Store {
    /// Records `reporter`'s report of a chat message; `Conflict` if they reported it already.
    #[tracing::instrument(skip_all)]
    pub async fn report_message(
        &self,
        message: hearth_core::ids::MessageId,
        reporter: MemberId,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        use crate::entity::message_report;
        use sea_orm::{ActiveModelTrait, PaginatorTrait, Set};
        let txn = self.begin_write().await?;
        let already = message_report::Entity::find()
            .filter(message_report::Column::MessageId.eq(message.0))
            .filter(message_report::Column::ReporterId.eq(reporter.0))
            .count(&txn)
            .await?;
        if already > 0 {
            return Err(crate::StoreError::Conflict { what: "report" });
        }
        message_report::ActiveModel {
            id: Set(uuid::Uuid::now_v7()),
            message_id: Set(message.0),
            reporter_id: Set(Some(reporter.0)),
            reason: Set(reason.to_owned()),
            state: Set("open".to_owned()),
            created_at: Set(now),
            closed_at: Set(None),
            decision: Set(None),
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Chat messages with open reports, oldest report first, at most `limit` messages.
    #[tracing::instrument(skip_all)]
    pub async fn reported_messages(&self, limit: u64) -> Result<Vec<ReportedMessage>> {
        use crate::entity::message_report;
        let open = message_report::Entity::find()
            .filter(message_report::Column::State.eq("open"))
            .order_by_asc(message_report::Column::CreatedAt)
            .limit(500)
            .all(&self.db)
            .await?;
        let mut out: Vec<ReportedMessage> = Vec::new();
        for r in open {
            if let Some(m) = out.iter_mut().find(|m| m.message.id.0 == r.message_id) {
                m.reasons.push(r.reason);
                continue;
            }
            if out.len() as u64 >= limit {
                continue;
            }
            let message = self
                .message(hearth_core::ids::MessageId(r.message_id))
                .await?;
            out.push(ReportedMessage {
                message,
                reasons: vec![r.reason],
                first_reported_at: r.created_at,
            });
        }
        Ok(out)
    }

    /// Closes a message's open reports with `decision` (`removed` or `kept`), removing the
    /// message first when it is `removed` and still published. Answers how many reports closed;
    /// none means another moderator decided first.
    #[tracing::instrument(skip_all)]
    pub async fn decide_message_reports(
        &self,
        message: hearth_core::ids::MessageId,
        remove: bool,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        use crate::entity::{message as message_entity, message_report};
        let txn = self.begin_write().await?;
        let closed = message_report::Entity::update_many()
            .col_expr(message_report::Column::State, Expr::value("closed"))
            .col_expr(message_report::Column::ClosedAt, Expr::value(now))
            .col_expr(
                message_report::Column::Decision,
                Expr::value(if remove { "removed" } else { "kept" }),
            )
            .filter(message_report::Column::MessageId.eq(message.0))
            .filter(message_report::Column::State.eq("open"))
            .exec(&txn)
            .await?
            .rows_affected;
        if closed > 0 && remove {
            message_entity::Entity::update_many()
                .col_expr(
                    message_entity::Column::Status,
                    Expr::value(PostStatus::Removed.as_str()),
                )
                .filter(message_entity::Column::Id.eq(message.0))
                .filter(message_entity::Column::Status.eq(PostStatus::Published.as_str()))
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
        Ok(closed)
    }

    /// The chat messages a member reported: (message id, reason, state, when), for their export.
    #[tracing::instrument(skip_all)]
    pub async fn message_reports_by(
        &self,
        reporter: MemberId,
    ) -> Result<Vec<ExportedMessageReport>> {
        use crate::entity::message_report;
        Ok(message_report::Entity::find()
            .filter(message_report::Column::ReporterId.eq(reporter.0))
            .order_by_asc(message_report::Column::CreatedAt)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|r| (r.message_id, r.reason, r.state, r.created_at))
            .collect())
    }
}
