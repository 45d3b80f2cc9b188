//! The append-only audit log. There is deliberately no method that edits or deletes an entry.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use hearth_core::ids::{AuditId, MemberId};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::entity::{application, audit, member};
use crate::records::{AuditEntry, NewAudit};
use crate::{Result, Store};

impl Store {
    /// Appends one entry.
    #[tracing::instrument(skip_all)]
    pub async fn append_audit(&self, entry: NewAudit) -> Result<AuditId> {
        let id = AuditId::new();
        audit::ActiveModel {
            id: Set(id.0),
            at: Set(entry.at),
            actor_id: Set(entry.actor.map(|a| a.0)),
            action: Set(entry.action),
            target_kind: Set(entry.target_kind),
            target_id: Set(entry.target_id),
            reason: Set(entry.reason),
        }
        .insert(&self.db)
        .await?;
        Ok(id)
    }

    /// The newest entries first, `limit` of them, older than `before` if given, and only of the
    /// `actions` named if given (filtered here, so a page is full however few entries a reader
    /// may see).
    #[tracing::instrument(skip_all)]
    pub async fn list_audit(
        &self,
        before: Option<DateTime<Utc>>,
        actions: Option<&[&str]>,
        limit: u64,
    ) -> Result<Vec<AuditEntry>> {
        let mut q = audit::Entity::find()
            .order_by_desc(audit::Column::At)
            .order_by_desc(audit::Column::Id)
            .limit(limit);
        if let Some(before) = before {
            q = q.filter(audit::Column::At.lt(before));
        }
        if let Some(actions) = actions {
            q = q.filter(audit::Column::Action.is_in(actions.iter().copied()));
        }
        let rows = q.all(&self.db).await?;
        // Members acted on are named too, so the log reads as sentences.
        let member_target = |r: &audit::Model| {
            (r.target_kind == "member")
                .then(|| {
                    r.target_id
                        .as_deref()
                        .and_then(|t| uuid::Uuid::parse_str(t).ok())
                })
                .flatten()
        };
        // An application decided is named by its applicant (the member the application made),
        // for as long as the application is kept.
        let application_ids: Vec<uuid::Uuid> = rows
            .iter()
            .filter(|r| r.target_kind == "application")
            .filter_map(|r| r.target_id.as_deref())
            .filter_map(|t| uuid::Uuid::parse_str(t).ok())
            .collect();
        let applicants: HashMap<uuid::Uuid, uuid::Uuid> = if application_ids.is_empty() {
            HashMap::new()
        } else {
            application::Entity::find()
                .filter(application::Column::Id.is_in(application_ids))
                .all(&self.db)
                .await?
                .into_iter()
                .map(|a| (a.id, a.member_id))
                .collect()
        };
        let target_member = |r: &audit::Model| {
            member_target(r).or_else(|| {
                (r.target_kind == "application")
                    .then(|| {
                        r.target_id
                            .as_deref()
                            .and_then(|t| uuid::Uuid::parse_str(t).ok())
                            .and_then(|a| applicants.get(&a).copied())
                    })
                    .flatten()
            })
        };
        let actor_ids: Vec<_> = rows
            .iter()
            .filter_map(|r| r.actor_id)
            .chain(rows.iter().filter_map(target_member))
            .collect();
        let handles: HashMap<_, _> = member::Entity::find()
            .filter(member::Column::Id.is_in(actor_ids))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|m| (m.id, m.handle))
            .collect();
        Ok(rows
            .into_iter()
            .map(|r| AuditEntry {
                id: AuditId(r.id),
                at: r.at,
                actor: r.actor_id.map(MemberId),
                actor_handle: r.actor_id.and_then(|a| handles.get(&a).cloned()),
                target_handle: target_member(&r).and_then(|t| handles.get(&t).cloned()),
                action: r.action,
                target_kind: r.target_kind,
                target_id: r.target_id,
                reason: r.reason,
            })
            .collect())
    }
}
