//! Members' data rights: everything held about a member, and erasing it.

use chrono::{DateTime, Utc};
use hearth_core::content::PostStatus;
use hearth_core::ids::MemberId;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::entity::{
    checkin, checkin_message, crisis, event, member, message, notification, post, read_marker,
    report, session, thread,
};
use crate::repo::content::{handles, post_record, refresh_thread};
use crate::{Result, Store};

/// What happens to an erased member's posts, threads and chat messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErasePosts {
    /// Their words are deleted (placeholders stay so that replies still make sense).
    Delete,
    /// Their words stay, attributed to no one.
    Anonymise,
}

/// A chat message in an export: (id, room id, body, status, sent at, the moderator's reason if
/// they rejected it).
pub type ExportedMessage = (
    uuid::Uuid,
    uuid::Uuid,
    String,
    String,
    DateTime<Utc>,
    Option<String>,
);
/// A report in an export: (post id, reason, note, state, made at).
pub type ExportedReport = (uuid::Uuid, String, Option<String>, String, DateTime<Utc>);

/// A member's content, for their data export.
#[derive(Clone, Debug, Default)]
pub struct MemberContent {
    /// Their posts, oldest first, with each thread's title.
    pub posts: Vec<(crate::records::PostRecord, String)>,
    /// Threads they started: (id, title, created_at).
    pub threads: Vec<(uuid::Uuid, String, DateTime<Utc>)>,
    /// Their chat messages: (id, room id, body, status, created_at, decision reason).
    pub messages: Vec<ExportedMessage>,
    /// Reports they made: (post id, reason, note, state, created_at).
    pub reports: Vec<ExportedReport>,
    /// Threads they have read, and when.
    pub read_markers: Vec<(uuid::Uuid, DateTime<Utc>)>,
}

impl Store {
    /// Everything a member wrote or did that is stored outside their account row.
    #[tracing::instrument(skip_all)]
    pub async fn member_content(&self, id: MemberId) -> Result<MemberContent> {
        let posts = post::Entity::find()
            .filter(post::Column::AuthorId.eq(id.0))
            .order_by_asc(post::Column::Id)
            .all(&self.db)
            .await?;
        let titles: std::collections::HashMap<_, _> = thread::Entity::find()
            .filter(thread::Column::Id.is_in(posts.iter().map(|p| p.thread_id)))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|t| (t.id, t.title))
            .collect();
        let h = handles(&self.db, [id.0]).await?;
        let mut out = MemberContent::default();
        for p in posts {
            let title = titles.get(&p.thread_id).cloned().unwrap_or_default();
            out.posts.push((post_record(p, &h)?, title));
        }
        out.threads = thread::Entity::find()
            .filter(thread::Column::AuthorId.eq(id.0))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|t| (t.id, t.title, t.created_at))
            .collect();
        out.messages = message::Entity::find()
            .filter(message::Column::AuthorId.eq(id.0))
            .order_by_asc(message::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|m| {
                (
                    m.id,
                    m.room_id,
                    m.body,
                    m.status,
                    m.created_at,
                    m.decision_reason,
                )
            })
            .collect();
        out.reports = report::Entity::find()
            .filter(report::Column::ReporterId.eq(id.0))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|r| (r.post_id, r.reason, r.note, r.state, r.created_at))
            .collect();
        out.read_markers = read_marker::Entity::find()
            .filter(read_marker::Column::MemberId.eq(id.0))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|m| (m.thread_id, m.read_at))
            .collect();
        Ok(out)
    }

    /// Erases a member: their account, application, sessions, notifications and read markers
    /// go; their reports stay (the moderators may still need them) but no longer name them;
    /// their posts, threads and messages are deleted or anonymised as chosen; live events that
    /// carry their handle are purged. One transaction: all or nothing.
    #[tracing::instrument(skip_all)]
    pub async fn erase_member(
        &self,
        id: MemberId,
        posts: ErasePosts,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let txn = self.begin_write().await?;
        let handle = member::Entity::find_by_id(id.0)
            .one(&txn)
            .await?
            .map(|m| m.handle);
        if posts == ErasePosts::Delete {
            let touched: std::collections::BTreeSet<_> = post::Entity::find()
                .filter(post::Column::AuthorId.eq(id.0))
                .all(&txn)
                .await?
                .into_iter()
                .map(|p| p.thread_id)
                .collect();
            post::Entity::update_many()
                .col_expr(post::Column::BodySource, Expr::value(""))
                .col_expr(post::Column::BodyHtml, Expr::value(""))
                .col_expr(
                    post::Column::ContentWarning,
                    Expr::value(Option::<String>::None),
                )
                .col_expr(post::Column::Verdict, Expr::value("{}"))
                .col_expr(
                    post::Column::Status,
                    Expr::value(PostStatus::Deleted.as_str()),
                )
                .col_expr(post::Column::DecidedAt, Expr::value(now))
                .filter(post::Column::AuthorId.eq(id.0))
                .exec(&txn)
                .await?;
            thread::Entity::update_many()
                .col_expr(thread::Column::Title, Expr::value("[deleted]"))
                .filter(thread::Column::AuthorId.eq(id.0))
                .exec(&txn)
                .await?;
            message::Entity::delete_many()
                .filter(message::Column::AuthorId.eq(id.0))
                .exec(&txn)
                .await?;
            for t in touched {
                refresh_thread(&txn, hearth_core::ids::ThreadId(t), None, None).await?;
            }
        }
        // Anonymising (and, after deleting, tidying up): nothing points at the account any more.
        post::Entity::update_many()
            .col_expr(
                post::Column::AuthorId,
                Expr::value(Option::<uuid::Uuid>::None),
            )
            .filter(post::Column::AuthorId.eq(id.0))
            .exec(&txn)
            .await?;
        thread::Entity::update_many()
            .col_expr(
                thread::Column::AuthorId,
                Expr::value(Option::<uuid::Uuid>::None),
            )
            .filter(thread::Column::AuthorId.eq(id.0))
            .exec(&txn)
            .await?;
        message::Entity::update_many()
            .col_expr(
                message::Column::AuthorId,
                Expr::value(Option::<uuid::Uuid>::None),
            )
            .filter(message::Column::AuthorId.eq(id.0))
            .exec(&txn)
            .await?;
        report::Entity::update_many()
            .col_expr(
                report::Column::ReporterId,
                Expr::value(Option::<uuid::Uuid>::None),
            )
            .filter(report::Column::ReporterId.eq(id.0))
            .exec(&txn)
            .await?;
        crate::entity::message_report::Entity::update_many()
            .col_expr(
                crate::entity::message_report::Column::ReporterId,
                Expr::value(Option::<uuid::Uuid>::None),
            )
            .filter(crate::entity::message_report::Column::ReporterId.eq(id.0))
            .exec(&txn)
            .await?;
        // Their check-ins go, with every message in them; messages they wrote as a moderator
        // in others' check-ins, and crises about them or handled by them, lose the link.
        let own_checkins: Vec<uuid::Uuid> = checkin::Entity::find()
            .filter(checkin::Column::MemberId.eq(id.0))
            .all(&txn)
            .await?
            .into_iter()
            .map(|c| c.id)
            .collect();
        if !own_checkins.is_empty() {
            crisis::Entity::update_many()
                .col_expr(
                    crisis::Column::CheckinId,
                    Expr::value(Option::<uuid::Uuid>::None),
                )
                .filter(crisis::Column::CheckinId.is_in(own_checkins.clone()))
                .exec(&txn)
                .await?;
            checkin_message::Entity::delete_many()
                .filter(checkin_message::Column::CheckinId.is_in(own_checkins.clone()))
                .exec(&txn)
                .await?;
            checkin::Entity::delete_many()
                .filter(checkin::Column::Id.is_in(own_checkins))
                .exec(&txn)
                .await?;
        }
        checkin_message::Entity::update_many()
            .col_expr(
                checkin_message::Column::AuthorId,
                Expr::value(Option::<uuid::Uuid>::None),
            )
            .filter(checkin_message::Column::AuthorId.eq(id.0))
            .exec(&txn)
            .await?;
        checkin::Entity::update_many()
            .col_expr(
                checkin::Column::OpenedBy,
                Expr::value(Option::<uuid::Uuid>::None),
            )
            .filter(checkin::Column::OpenedBy.eq(id.0))
            .exec(&txn)
            .await?;
        crisis::Entity::update_many()
            .col_expr(
                crisis::Column::MemberId,
                Expr::value(Option::<uuid::Uuid>::None),
            )
            .filter(crisis::Column::MemberId.eq(id.0))
            .exec(&txn)
            .await?;
        crisis::Entity::update_many()
            .col_expr(
                crisis::Column::HandledBy,
                Expr::value(Option::<uuid::Uuid>::None),
            )
            .filter(crisis::Column::HandledBy.eq(id.0))
            .exec(&txn)
            .await?;
        session::Entity::delete_many()
            .filter(session::Column::MemberId.eq(id.0))
            .exec(&txn)
            .await?;
        notification::Entity::delete_many()
            .filter(notification::Column::MemberId.eq(id.0))
            .exec(&txn)
            .await?;
        read_marker::Entity::delete_many()
            .filter(read_marker::Column::MemberId.eq(id.0))
            .exec(&txn)
            .await?;
        event::Entity::delete_many()
            .filter(event::Column::Topic.eq(format!("member:{}", id.0)))
            .exec(&txn)
            .await?;
        // The member's own topic's counter names their account id: it goes with the account.
        let backend = txn.get_database_backend();
        let placeholder = if backend == sea_orm::DbBackend::Postgres {
            "$1"
        } else {
            "?1"
        };
        txn.execute_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            format!("DELETE FROM topic_seqs WHERE topic = {placeholder}"),
            [format!("member:{}", id.0).into()],
        ))
        .await?;
        if let Some(handle) = handle {
            // Events are references now (ids, no words, no handles); this removes the ones
            // stored before that which still carry the handle. The pattern is escaped, so
            // `a_b` never matches `aXb`.
            let quoted = serde_json::to_string(&handle).unwrap_or_default();
            let pattern = format!("%{}%", like_escape(&format!("\"author\":{quoted}")));
            event::Entity::delete_many()
                .filter(
                    event::Column::Payload
                        .like(sea_orm::sea_query::LikeExpr::new(pattern).escape('!')),
                )
                .exec(&txn)
                .await?;
        }
        member::Entity::delete_by_id(id.0).exec(&txn).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Deletes notifications older than `before`.
    #[tracing::instrument(skip_all)]
    pub async fn purge_notifications(&self, before: DateTime<Utc>) -> Result<u64> {
        Ok(notification::Entity::delete_many()
            .filter(notification::Column::CreatedAt.lt(before))
            .exec(&self.db)
            .await?
            .rows_affected)
    }
}

/// Escapes `%`, `_` and the escape character itself for a `LIKE ... ESCAPE '!'` pattern.
fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '!') {
            out.push('!');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_patterns_are_escaped() {
        assert_eq!(super::like_escape("a_b%c!d"), "a!_b!%c!!d");
    }
}
