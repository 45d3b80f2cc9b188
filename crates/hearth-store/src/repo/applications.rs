//! Membership applications and the age gate's refusal records.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use hearth_core::ids::{ApplicationId, InviteId, MemberId};
use hearth_core::policy::Standing;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, sea_query::Expr,
};

use crate::entity::{age_refusal, application, invite, member, reserved_handle};
use crate::records::{ApplicationRecord, MemberRecord, NewMember};
use crate::repo::members::{new_member_model, update_member_on};
use crate::{Result, Store, StoreError};

/// An admin's decision on an application.
#[derive(Clone, Debug)]
pub enum ApplicationDecision {
    /// Let the applicant in; the admin confirmed they are an adult.
    Approve,
    /// Turn the application down, with a reason the applicant will see.
    Reject {
        /// The reason shown to the applicant.
        reason: String,
    },
}

/// The email a waiting account holds instead of its applicant's: unique (it carries the account's
/// id), never deliverable (`.invalid` is reserved for this, RFC 2606) and never typed as a login.
pub(crate) fn pending_email_placeholder(id: MemberId) -> String {
    format!("{}{PLACEHOLDER_DOMAIN}", id.0)
}

/// How every placeholder email ends; a record read with one has no email.
pub(crate) const PLACEHOLDER_DOMAIN: &str = "@pending.invalid";

fn record(app: application::Model, handle: String) -> ApplicationRecord {
    ApplicationRecord {
        id: ApplicationId(app.id),
        member_id: MemberId(app.member_id),
        handle,
        statement: app.statement,
        invited: app.invite_id.is_some(),
        status: app.status,
        created_at: app.created_at,
        decided_at: app.decided_at,
        decision_reason: app.decision_reason,
        email_in_use: false,
    }
}

impl Store {
    /// Records an application: the applicant's account and the application, in one transaction.
    /// With `invite_token_hash`, the invite is claimed in the same transaction (a used or expired
    /// invite is `Conflict { what: "invite" }`) and the account is active at once, because the
    /// inviting admin has already vouched for the person. If that email is already used by
    /// another account, the invited account is made all the same (the answer and the used-up
    /// invite are the same either way): the other account keeps the email as its own unique
    /// one, and the invited account holds it as a shared address (`members.shared_email`),
    /// which it signs in with and gets reset links at, so its invitee sees no difference.
    ///
    /// A waiting account holds a placeholder email and its application holds the real one
    /// (moved onto the account on approval), so applying with an email that is already in use
    /// behaves, for the applicant, exactly like applying with a new one.
    #[tracing::instrument(skip_all)]
    pub async fn submit_application(
        &self,
        new: &NewMember,
        statement: Option<String>,
        invite_token_hash: Option<&str>,
    ) -> Result<(ApplicationId, MemberRecord)> {
        let txn = self.begin_write().await?;
        let mut invite_id = None;
        if let Some(hash) = invite_token_hash {
            let found = invite::Entity::find()
                .filter(invite::Column::TokenHash.eq(hash))
                .filter(invite::Column::UsedAt.is_null())
                .filter(invite::Column::RevokedAt.is_null())
                .filter(invite::Column::ExpiresAt.gt(new.now))
                .one(&txn)
                .await?
                .ok_or(StoreError::Conflict { what: "invite" })?;
            let claimed = invite::Entity::update_many()
                .col_expr(invite::Column::UsedAt, Expr::value(new.now))
                .filter(invite::Column::Id.eq(found.id))
                .filter(invite::Column::UsedAt.is_null())
                // An admin's revocation at the same moment wins or loses atomically.
                .filter(invite::Column::RevokedAt.is_null())
                .exec(&txn)
                .await?;
            if claimed.rows_affected != 1 {
                return Err(StoreError::Conflict { what: "invite" });
            }
            invite_id = Some(InviteId(found.id));
        }
        let email_taken = new.standing == Standing::Active
            && member::Entity::find()
                .filter(member::Column::Email.eq(new.email.as_str()))
                .count(&txn)
                .await?
                > 0;
        let decided = new.standing == Standing::Active;
        let mut model = new_member_model(new);
        if !decided || email_taken {
            model.email = Set(pending_email_placeholder(new.id));
        }
        if email_taken {
            // The invitee's address, beside the other account's: theirs to sign in with and to
            // get reset links at, as a new address would be, but never the other account's key.
            model.shared_email = Set(Some(new.email.clone()));
        }
        let member = model.insert(&txn).await?;
        let app = application::ActiveModel {
            id: Set(ApplicationId::new().0),
            member_id: Set(member.id),
            statement: Set(if decided { None } else { statement }),
            invite_id: Set(invite_id.map(|i| i.0)),
            status: Set(if decided { "approved" } else { "pending" }.to_owned()),
            created_at: Set(new.now),
            decided_at: Set(decided.then_some(new.now)),
            decision_reason: Set(None),
            email: Set((!decided).then(|| new.email.clone())),
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        Ok((ApplicationId(app.id), member.try_into()?))
    }

    /// How many applications have the given status (the admins' waiting count).
    #[tracing::instrument(skip_all)]
    pub async fn count_applications(&self, status: &str) -> Result<u64> {
        Ok(application::Entity::find()
            .filter(application::Column::Status.eq(status))
            .count(&self.db)
            .await?)
    }

    /// Applications with the given status, oldest first.
    #[tracing::instrument(skip_all)]
    pub async fn list_applications(
        &self,
        status: &str,
        limit: u64,
    ) -> Result<Vec<ApplicationRecord>> {
        let apps = application::Entity::find()
            .filter(application::Column::Status.eq(status))
            .order_by_asc(application::Column::CreatedAt)
            .limit(limit)
            .all(&self.db)
            .await?;
        let ids: Vec<_> = apps.iter().map(|a| a.member_id).collect();
        let handles: HashMap<_, _> = member::Entity::find()
            .filter(member::Column::Id.is_in(ids))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|m| (m.id, m.handle))
            .collect();
        let emails: Vec<String> = apps.iter().filter_map(|a| a.email.clone()).collect();
        let held_by_accounts: HashSet<String> = member::Entity::find()
            .filter(member::Column::Email.is_in(emails.clone()))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|m| m.email)
            .collect();
        let mut waiting: HashMap<String, usize> = HashMap::new();
        for app in application::Entity::find()
            .filter(application::Column::Email.is_in(emails))
            .filter(application::Column::Status.eq("pending"))
            .all(&self.db)
            .await?
        {
            if let Some(email) = app.email {
                *waiting.entry(email).or_default() += 1;
            }
        }
        Ok(apps
            .into_iter()
            .map(|a| {
                let handle = handles.get(&a.member_id).cloned().unwrap_or_default();
                let in_use = a.email.as_ref().is_some_and(|e| {
                    held_by_accounts.contains(e) || waiting.get(e).copied().unwrap_or(0) > 1
                });
                ApplicationRecord {
                    email_in_use: in_use,
                    ..record(a, handle)
                }
            })
            .collect())
    }

    /// The application that created an account, if any.
    #[tracing::instrument(skip_all)]
    pub async fn application_for_member(&self, id: MemberId) -> Result<Option<ApplicationRecord>> {
        let app = application::Entity::find()
            .filter(application::Column::MemberId.eq(id.0))
            .one(&self.db)
            .await?;
        match app {
            None => Ok(None),
            Some(a) => {
                let handle = self.member(id).await?.handle;
                Ok(Some(record(a, handle)))
            }
        }
    }

    /// Decides a pending application: the statement and the application's copy of the email
    /// are deleted; the account becomes active (taking the applicant's email and recording that
    /// an admin confirmed the applicant is an adult) or rejected. Deciding an application that
    /// is already decided is `Conflict { what: "decision" }`; approving one whose email another
    /// account now holds is `Conflict { what: "email" }` and changes nothing.
    #[tracing::instrument(skip_all)]
    pub async fn decide_application(
        &self,
        id: ApplicationId,
        decision: &ApplicationDecision,
        now: DateTime<Utc>,
    ) -> Result<ApplicationRecord> {
        let txn = self.begin_write().await?;
        let (status, reason) = match decision {
            ApplicationDecision::Approve => ("approved", None),
            ApplicationDecision::Reject { reason } => ("rejected", Some(reason.clone())),
        };
        // Write first: on SQLite a transaction that reads before it writes cannot take the
        // write lock once another connection has written meanwhile (it fails at once instead of
        // waiting), so the decision is claimed before anything is read.
        let updated = application::Entity::update_many()
            .col_expr(application::Column::Status, Expr::value(status))
            .col_expr(application::Column::DecidedAt, Expr::value(now))
            .col_expr(
                application::Column::Statement,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                application::Column::DecisionReason,
                Expr::value(reason.clone()),
            )
            .filter(application::Column::Id.eq(id.0))
            .filter(application::Column::Status.eq("pending"))
            .exec(&txn)
            .await?;
        let app = application::Entity::find_by_id(id.0)
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound)?;
        if updated.rows_affected != 1 {
            return Err(StoreError::Conflict { what: "decision" });
        }
        let email = app.email.clone();
        if let (ApplicationDecision::Approve, Some(email)) = (decision, &email) {
            let held = member::Entity::find()
                .filter(member::Column::Email.eq(email.as_str()))
                .count(&txn)
                .await?;
            if held > 0 {
                // Dropping the transaction undoes the claim above.
                return Err(StoreError::Conflict { what: "email" });
            }
        }
        application::Entity::update_many()
            .col_expr(
                application::Column::Email,
                Expr::value(Option::<String>::None),
            )
            .filter(application::Column::Id.eq(id.0))
            .exec(&txn)
            .await?;
        let member = update_member_on(&txn, MemberId(app.member_id), |m| match decision {
            ApplicationDecision::Approve => {
                m.standing = Set(Standing::Active.as_str().to_owned());
                m.approved_at = Set(Some(now));
                m.adult_confirmed_at = Set(Some(now));
                m.age_check = Set("declared_dob+admin_confirmed".to_owned());
                if let Some(email) = &email {
                    m.email = Set(email.clone());
                }
            }
            ApplicationDecision::Reject { .. } => {
                m.standing = Set(Standing::Rejected.as_str().to_owned());
            }
        })
        .await?;
        txn.commit().await?;
        // The row as the updates above left it, without reading it again.
        let decided = application::Model {
            status: status.to_owned(),
            decided_at: Some(now),
            statement: None,
            email: None,
            decision_reason: reason,
            ..app
        };
        Ok(record(decided, member.handle))
    }

    /// Remembers (as a salted hash) that an email was refused by the age gate, until `expires_at`.
    #[tracing::instrument(skip_all)]
    pub async fn record_age_refusal(
        &self,
        email_hash: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        let txn = self.begin_write().await?;
        age_refusal::Entity::delete_by_id(email_hash.to_owned())
            .exec(&txn)
            .await?;
        age_refusal::ActiveModel {
            email_hash: Set(email_hash.to_owned()),
            refused_at: Set(now),
            expires_at: Set(expires_at),
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Whether an email (as its salted hash) was refused by the age gate and the record is live.
    #[tracing::instrument(skip_all)]
    pub async fn age_refusal_active(&self, email_hash: &str, now: DateTime<Utc>) -> Result<bool> {
        Ok(age_refusal::Entity::find_by_id(email_hash.to_owned())
            .filter(age_refusal::Column::ExpiresAt.gt(now))
            .one(&self.db)
            .await?
            .is_some())
    }

    /// Deletes refusal records past their time. Answers how many went.
    #[tracing::instrument(skip_all)]
    pub async fn purge_age_refusals(&self, now: DateTime<Utc>) -> Result<u64> {
        Ok(age_refusal::Entity::delete_many()
            .filter(age_refusal::Column::ExpiresAt.lte(now))
            .exec(&self.db)
            .await?
            .rows_affected)
    }

    /// Keeps an erased member's handle (as a keyed hash) from being taken until `expires_at`.
    #[tracing::instrument(skip_all)]
    pub async fn reserve_handle(&self, handle_hash: &str, expires_at: DateTime<Utc>) -> Result<()> {
        let txn = self.begin_write().await?;
        reserved_handle::Entity::delete_by_id(handle_hash.to_owned())
            .exec(&txn)
            .await?;
        reserved_handle::ActiveModel {
            handle_hash: Set(handle_hash.to_owned()),
            expires_at: Set(expires_at),
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Whether a handle (as its keyed hash) is reserved now.
    #[tracing::instrument(skip_all)]
    pub async fn handle_reserved(&self, handle_hash: &str, now: DateTime<Utc>) -> Result<bool> {
        Ok(reserved_handle::Entity::find_by_id(handle_hash.to_owned())
            .filter(reserved_handle::Column::ExpiresAt.gt(now))
            .one(&self.db)
            .await?
            .is_some())
    }

    /// Deletes handle reservations past their time. Answers how many went.
    #[tracing::instrument(skip_all)]
    pub async fn purge_reserved_handles(&self, now: DateTime<Utc>) -> Result<u64> {
        Ok(reserved_handle::Entity::delete_many()
            .filter(reserved_handle::Column::ExpiresAt.lte(now))
            .exec(&self.db)
            .await?
            .rows_affected)
    }
}
