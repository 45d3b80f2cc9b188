//! Accounts.

use chrono::{DateTime, Utc};
use hearth_core::ids::MemberId;
use hearth_core::policy::{Role, Standing};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::entity::member;
use crate::records::{MemberRecord, NewMember};
use crate::{Result, Store, StoreError};

impl TryFrom<member::Model> for MemberRecord {
    type Error = StoreError;
    fn try_from(m: member::Model) -> Result<Self> {
        Ok(MemberRecord {
            id: MemberId(m.id),
            role: Role::parse(&m.role)
                .ok_or_else(|| StoreError::Other(format!("unknown role {:?}", m.role)))?,
            standing: Standing::parse(&m.standing)
                .ok_or_else(|| StoreError::Other(format!("unknown standing {:?}", m.standing)))?,
            handle: m.handle,
            email_shared: m.shared_email.is_some(),
            email: if m
                .email
                .ends_with(crate::repo::applications::PLACEHOLDER_DOMAIN)
            {
                m.shared_email
            } else {
                Some(m.email)
            },
            password_hash: m.password_hash,
            standing_reason: m.standing_reason,
            suspended_until: m.suspended_until,
            age_check: m.age_check,
            age_checked_at: m.age_checked_at,
            adult_confirmed_at: m.adult_confirmed_at,
            rules_accepted_at: m.rules_accepted_at,
            created_at: m.created_at,
            approved_at: m.approved_at,
            safeguarding_lead: m.safeguarding_lead,
            about: m.about,
        })
    }
}

/// The SQL twin of [`Standing::effective`]: accounts whose standing at `now` is `standing`. A
/// suspension whose end is at or before `now` has ended, so such an account is `Active`, not
/// `Suspended`. Every query that asks for "active members" uses this with `Standing::Active`,
/// so the database and the code never disagree about whether a suspension is over.
pub(crate) fn standing_at(standing: Standing, now: DateTime<Utc>) -> Condition {
    let stored = |s: Standing| member::Column::Standing.eq(s.as_str());
    match standing {
        Standing::Active => Condition::any().add(stored(Standing::Active)).add(
            Condition::all()
                .add(stored(Standing::Suspended))
                .add(member::Column::SuspendedUntil.lte(now)),
        ),
        Standing::Suspended => Condition::all().add(stored(Standing::Suspended)).add(
            Condition::any()
                .add(member::Column::SuspendedUntil.is_null())
                .add(member::Column::SuspendedUntil.gt(now)),
        ),
        other => Condition::all().add(stored(other)),
    }
}

/// A change of standing, made only if the account still stands as it did when the change was
/// decided (see [`Store::change_standing`]).
#[derive(Clone, Debug)]
pub struct StandingChange {
    /// The role the decision saw.
    pub from_role: Role,
    /// The effective standing the decision saw.
    pub from_standing: Standing,
    /// The new standing.
    pub to: Standing,
    /// Why (for a suspension or ban).
    pub reason: Option<String>,
    /// When a suspension ends.
    pub until: Option<DateTime<Utc>>,
    /// The time the decision was made, by which `from_standing` is judged.
    pub now: DateTime<Utc>,
}

pub(crate) fn new_member_model(m: &NewMember) -> member::ActiveModel {
    let active = m.standing == Standing::Active;
    member::ActiveModel {
        id: Set(m.id.0),
        handle: Set(m.handle.clone()),
        handle_key: Set(hearth_core::account::handle_key(&m.handle)),
        email: Set(m.email.clone()),
        shared_email: Set(None),
        password_hash: Set(m.password_hash.clone()),
        role: Set(m.role.as_str().to_owned()),
        standing: Set(m.standing.as_str().to_owned()),
        standing_reason: Set(None),
        suspended_until: Set(None),
        age_check: Set(m.age_check.clone()),
        age_checked_at: Set(m.now),
        adult_confirmed_at: Set(m.adult_confirmed_at),
        rules_accepted_at: Set(m.now),
        created_at: Set(m.now),
        approved_at: Set(active.then_some(m.now)),
        safeguarding_lead: Set(false),
        about: Set(None),
        welcomed_at: Set(None),
    }
}

impl Store {
    /// Creates an account directly (the first admin, or `hearth admin create`).
    #[tracing::instrument(skip_all)]
    pub async fn create_member(&self, new: &NewMember) -> Result<MemberRecord> {
        let model = new_member_model(new).insert(&self.db).await?;
        model.try_into()
    }

    /// Loads an account by id.
    #[tracing::instrument(skip_all)]
    pub async fn member(&self, id: MemberId) -> Result<MemberRecord> {
        member::Entity::find_by_id(id.0)
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound)?
            .try_into()
    }

    /// Finds an account by handle (ignoring case) or by email.
    #[tracing::instrument(skip_all)]
    pub async fn member_by_login(&self, login: &str) -> Result<Option<MemberRecord>> {
        let key = login.trim().to_lowercase();
        member::Entity::find()
            .filter(
                Condition::any()
                    .add(member::Column::HandleKey.eq(key.clone()))
                    .add(member::Column::Email.eq(key)),
            )
            .one(&self.db)
            .await?
            .map(TryInto::try_into)
            .transpose()
    }

    /// The accounts that hold `email` as a shared address (invited accounts whose invitee typed
    /// an address another account already had; see [`Store::submit_application`]), oldest
    /// first. Only sign-in (with a password to check against each) and reset requests (which
    /// send to the address itself) ask, so the answer never reaches anyone as it is.
    #[tracing::instrument(skip_all)]
    pub async fn members_sharing_email(&self, email: &str) -> Result<Vec<MemberRecord>> {
        member::Entity::find()
            .filter(member::Column::SharedEmail.eq(email.trim().to_lowercase()))
            .order_by_asc(member::Column::CreatedAt)
            .order_by_asc(member::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(TryInto::try_into)
            .collect()
    }

    /// Finds an account by handle, ignoring case.
    #[tracing::instrument(skip_all)]
    pub async fn member_by_handle(&self, handle: &str) -> Result<Option<MemberRecord>> {
        member::Entity::find()
            .filter(member::Column::HandleKey.eq(hearth_core::account::handle_key(handle)))
            .one(&self.db)
            .await?
            .map(TryInto::try_into)
            .transpose()
    }

    /// How many admins are active at `now` (none means first-run setup is needed).
    #[tracing::instrument(skip_all)]
    pub async fn count_active_admins(&self, now: DateTime<Utc>) -> Result<u64> {
        Ok(member::Entity::find()
            .filter(member::Column::Role.eq(Role::Admin.as_str()))
            .filter(standing_at(Standing::Active, now))
            .count(&self.db)
            .await?)
    }

    /// Members (not applicants), ordered by handle, `limit` after the handle key `after`.
    #[tracing::instrument(skip_all)]
    pub async fn list_members(&self, after: Option<&str>, limit: u64) -> Result<Vec<MemberRecord>> {
        let mut q = member::Entity::find()
            .filter(
                member::Column::Standing
                    .is_not_in([Standing::Pending.as_str(), Standing::Rejected.as_str()]),
            )
            .order_by_asc(member::Column::HandleKey)
            .limit(limit);
        if let Some(after) = after {
            q = q.filter(member::Column::HandleKey.gt(after.to_lowercase()));
        }
        q.all(&self.db)
            .await?
            .into_iter()
            .map(TryInto::try_into)
            .collect()
    }

    /// Changes a member's role.
    #[tracing::instrument(skip_all)]
    pub async fn set_role(&self, id: MemberId, role: Role) -> Result<MemberRecord> {
        self.update_member(id, |m| m.role = Set(role.as_str().to_owned()))
            .await
    }

    /// Changes a member's standing, with the reason and (for a suspension) its end, but only if
    /// their role and effective standing are still those the decision saw: a moderator's
    /// suspension decided a moment before an admin's ban must not replace the ban. Answers
    /// `Conflict { what: "standing" }` if the account changed meanwhile.
    #[tracing::instrument(skip_all)]
    pub async fn change_standing(
        &self,
        id: MemberId,
        change: StandingChange,
    ) -> Result<MemberRecord> {
        let res = member::Entity::update_many()
            .col_expr(
                member::Column::Standing,
                Expr::value(change.to.as_str().to_owned()),
            )
            .col_expr(member::Column::StandingReason, Expr::value(change.reason))
            .col_expr(member::Column::SuspendedUntil, Expr::value(change.until))
            .filter(member::Column::Id.eq(id.0))
            .filter(member::Column::Role.eq(change.from_role.as_str()))
            .filter(standing_at(change.from_standing, change.now))
            .exec(&self.db)
            .await?;
        if res.rows_affected == 0 {
            // Gone, or changed since the decision.
            self.member(id).await?;
            return Err(StoreError::Conflict { what: "standing" });
        }
        self.member(id).await
    }

    /// Sets or clears the member's profile text.
    #[tracing::instrument(skip_all)]
    pub async fn set_about(&self, id: MemberId, about: Option<String>) -> Result<MemberRecord> {
        self.update_member(id, |m| m.about = Set(about)).await
    }

    /// Makes a member a safeguarding lead, or not.
    #[tracing::instrument(skip_all)]
    pub async fn set_safeguarding_lead(&self, id: MemberId, lead: bool) -> Result<MemberRecord> {
        self.update_member(id, |m| m.safeguarding_lead = Set(lead))
            .await
    }

    /// Safeguarding leads active at `now`, to alert about concerns.
    #[tracing::instrument(skip_all)]
    pub async fn safeguarding_leads(&self, now: DateTime<Utc>) -> Result<Vec<MemberId>> {
        Ok(member::Entity::find()
            .filter(member::Column::SafeguardingLead.eq(true))
            .filter(standing_at(Standing::Active, now))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|m| MemberId(m.id))
            .collect())
    }

    /// Replaces a member's password hash.
    #[tracing::instrument(skip_all)]
    pub async fn set_password_hash(&self, id: MemberId, hash: String) -> Result<()> {
        self.update_member(id, |m| m.password_hash = Set(hash))
            .await
            .map(|_| ())
    }

    async fn update_member(
        &self,
        id: MemberId,
        change: impl FnOnce(&mut member::ActiveModel),
    ) -> Result<MemberRecord> {
        update_member_on(&self.db, id, change).await
    }
}

pub(crate) async fn update_member_on(
    db: &impl ConnectionTrait,
    id: MemberId,
    change: impl FnOnce(&mut member::ActiveModel),
) -> Result<MemberRecord> {
    let mut model = member::ActiveModel {
        id: sea_orm::Unchanged(id.0),
        ..Default::default()
    };
    change(&mut model);
    match model.update(db).await {
        Ok(m) => m.try_into(),
        Err(sea_orm::DbErr::RecordNotUpdated) => Err(StoreError::NotFound),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use chrono::Duration;

    /// A migrated store in a fresh SQLite file, and its folder (to remove after).
    async fn store() -> (Store, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!(
            "hearth_store_test_{}",
            uuid::Uuid::new_v4().simple()
        ));
        let store = Store::connect(&format!("sqlite://{}/t.db?mode=rwc", dir.display()))
            .await
            .unwrap();
        store.migrate().await.unwrap();
        (store, dir)
    }

    async fn account(
        store: &Store,
        n: usize,
        standing: Standing,
        until: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> MemberId {
        let m = store
            .create_member(&NewMember {
                id: MemberId::new(),
                handle: format!("account_{n}"),
                email: format!("account_{n}@example.org"),
                password_hash: "x".to_owned(),
                role: Role::Member,
                standing,
                age_check: "test".to_owned(),
                adult_confirmed_at: None,
                now,
            })
            .await
            .unwrap();
        update_member_on(&store.db, m.id, |a| a.suspended_until = Set(until))
            .await
            .unwrap();
        m.id
    }

    #[tokio::test]
    async fn standing_at_agrees_with_standing_effective_cell_by_cell() {
        let (store, dir) = store().await;
        let now = Utc::now();
        let untils = [
            None,
            Some(now - Duration::hours(1)),
            Some(now),
            Some(now + Duration::hours(1)),
        ];
        let mut accounts = Vec::new();
        for standing in Standing::ALL {
            for until in untils {
                let id = account(&store, accounts.len(), standing, until, now).await;
                accounts.push((id, standing.effective(until, now)));
            }
        }
        for asked in Standing::ALL {
            let mut found: Vec<MemberId> = member::Entity::find()
                .filter(standing_at(asked, now))
                .all(&store.db)
                .await
                .unwrap()
                .into_iter()
                .map(|m| MemberId(m.id))
                .collect();
            let mut expected: Vec<MemberId> = accounts
                .iter()
                .filter(|(_, effective)| *effective == asked)
                .map(|(id, _)| *id)
                .collect();
            found.sort_by_key(|m| m.0);
            expected.sort_by_key(|m| m.0);
            assert_eq!(found, expected, "{asked:?}");
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn a_standing_change_applies_only_to_the_standing_it_was_decided_on() {
        let (store, dir) = store().await;
        let now = Utc::now();
        let id = account(&store, 0, Standing::Active, None, now).await;
        let change = |from_role, from_standing, to| StandingChange {
            from_role,
            from_standing,
            to,
            reason: Some("x".to_owned()),
            until: (to == Standing::Suspended).then(|| now + Duration::hours(1)),
            now,
        };
        // An admin bans; a suspension decided on the account as it was must not replace it.
        let banned = store
            .change_standing(id, change(Role::Member, Standing::Active, Standing::Banned))
            .await
            .unwrap();
        assert_eq!(banned.standing, Standing::Banned);
        let late = store
            .change_standing(
                id,
                change(Role::Member, Standing::Active, Standing::Suspended),
            )
            .await;
        assert!(matches!(late, Err(StoreError::Conflict { .. })), "{late:?}");
        // Nor one decided on a role the account no longer has.
        let wrong_role = store
            .change_standing(
                id,
                change(Role::Moderator, Standing::Banned, Standing::Active),
            )
            .await;
        assert!(matches!(wrong_role, Err(StoreError::Conflict { .. })));
        assert_eq!(store.member(id).await.unwrap().standing, Standing::Banned);
        // A suspension that has ended is judged as active.
        store
            .change_standing(
                id,
                change(Role::Member, Standing::Banned, Standing::Suspended),
            )
            .await
            .unwrap();
        let later = StandingChange {
            now: now + Duration::hours(2),
            ..change(Role::Member, Standing::Active, Standing::Banned)
        };
        assert_eq!(
            store.change_standing(id, later).await.unwrap().standing,
            Standing::Banned
        );
        let gone = store
            .change_standing(
                MemberId::new(),
                change(Role::Member, Standing::Active, Standing::Banned),
            )
            .await;
        assert!(matches!(gone, Err(StoreError::NotFound)));
        let _ = std::fs::remove_dir_all(dir);
    }
}
