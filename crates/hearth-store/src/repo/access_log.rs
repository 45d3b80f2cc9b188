//! The access log: who read what kind of restricted record, which one, when. Never content.
//! There is no update here: rows are appended, read, and deleted past their retention only.

use chrono::{DateTime, Utc};
use hearth_core::ids::MemberId;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

use crate::entity::access_log;
use crate::{Result, Store};

/// One read, as recorded.
#[derive(Clone, Debug)]
pub struct AccessRecord {
    /// The row's id.
    pub id: uuid::Uuid,
    /// Who read it (`None` once their account is erased).
    pub actor: Option<MemberId>,
    /// What kind of record: `held_item`, `concern`, `member`, `application`, `export`.
    pub kind: String,
    /// Which one.
    pub target_id: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

/// What an admin asks of the log; every part optional.
#[derive(Clone, Debug, Default)]
pub struct AccessFilter {
    /// Reads by this person only.
    pub actor: Option<MemberId>,
    /// Of this kind only.
    pub kind: Option<String>,
    /// Of this record only.
    pub target_id: Option<String>,
    /// At or after.
    pub since: Option<DateTime<Utc>>,
    /// Before.
    pub until: Option<DateTime<Utc>>,
    /// At most this many, newest first.
    pub limit: u64,
}

impl Store {
    /// Appends reads by `actor` of records of `kind` (one row per id; a read of no id, such as
    /// one's own export, passes `[None]`).
    #[tracing::instrument(skip_all)]
    pub async fn record_access(
        &self,
        actor: MemberId,
        kind: &str,
        ids: Vec<Option<String>>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let rows = ids.into_iter().map(|target_id| access_log::ActiveModel {
            id: Set(uuid::Uuid::now_v7()),
            actor_id: Set(Some(actor.0)),
            kind: Set(kind.to_owned()),
            target_id: Set(target_id),
            at: Set(at),
        });
        access_log::Entity::insert_many(rows).exec(&self.db).await?;
        Ok(())
    }

    /// The log, newest first, as `filter` asks.
    #[tracing::instrument(skip_all)]
    pub async fn access_log(&self, filter: &AccessFilter) -> Result<Vec<AccessRecord>> {
        let mut q = access_log::Entity::find();
        if let Some(a) = filter.actor {
            q = q.filter(access_log::Column::ActorId.eq(a.0));
        }
        if let Some(k) = &filter.kind {
            q = q.filter(access_log::Column::Kind.eq(k.as_str()));
        }
        if let Some(t) = &filter.target_id {
            q = q.filter(access_log::Column::TargetId.eq(t.as_str()));
        }
        if let Some(s) = filter.since {
            q = q.filter(access_log::Column::At.gte(s));
        }
        if let Some(u) = filter.until {
            q = q.filter(access_log::Column::At.lt(u));
        }
        Ok(q.order_by_desc(access_log::Column::At)
            .order_by_desc(access_log::Column::Id)
            .limit(filter.limit.clamp(1, 1000))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|m| AccessRecord {
                id: m.id,
                actor: m.actor_id.map(MemberId),
                kind: m.kind,
                target_id: m.target_id,
                at: m.at,
            })
            .collect())
    }

    /// Deletes reads recorded before `before` (retention). Answers how many went.
    #[tracing::instrument(skip_all)]
    pub async fn purge_access_log(&self, before: DateTime<Utc>) -> Result<u64> {
        Ok(access_log::Entity::delete_many()
            .filter(access_log::Column::At.lt(before))
            .exec(&self.db)
            .await?
            .rows_affected)
    }
}
