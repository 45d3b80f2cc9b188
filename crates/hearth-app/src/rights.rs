//! Members' data rights under UK GDPR: a copy of everything held about them, and erasure.

use hearth_core::ids::MemberId;
use hearth_core::policy::{self, Action};
use hearth_store::{ErasePosts, StoreError};
use serde_json::{Value, json};

use crate::{App, AppError, Identity, Result};

/// Parses the member's choice for their posts.
pub fn erase_posts_choice(s: &str) -> Result<ErasePosts> {
    match s {
        "delete" => Ok(ErasePosts::Delete),
        "anonymise" | "anonymize" => Ok(ErasePosts::Anonymise),
        _ => Err(AppError::invalid(
            "posts",
            "posts must be \"delete\" or \"anonymise\"",
        )),
    }
}

/// How long an erased member's handle stays reserved.
pub const HANDLE_RESERVED_DAYS: i64 = 365;

impl App {
    /// Everything Hearth holds about the member, as JSON. Never the password hash; never which
    /// moderator decided anything (decisions are the moderators', as a team).
    pub async fn export(&self, who: &Identity) -> Result<Value> {
        who.require(Action::ExerciseDataRights)?;
        self.require_recent_confirmation(who)?;
        if crate::factors::is_staff(who.role, who.safeguarding_lead) {
            self.record_reads(who, "export", vec![Some(who.id.to_string())])
                .await?;
        }
        let me = self.store.member(who.id).await?;
        let application = self.store.application_for_member(who.id).await?;
        let content = self.store.member_content(who.id).await?;
        let notifications = self.store.notifications(who.id, 10_000).await?;
        let (reactions, follows) = self.store.member_comforts(who.id).await?;
        let chat_reports = self.store.message_reports_by(who.id).await?;
        let mutes = self.store.muted_by(who.id).await?;
        let crises = self.store.crises_about(who.id).await?;
        let mut checkins = Vec::new();
        for c in self.store.list_checkins(Some(who.id), 10_000).await? {
            let messages = self.store.checkin_messages(c.id).await?;
            checkins.push(json!({
                "id": c.id.to_string(),
                "state": c.state,
                "created_at": c.created_at,
                "messages": messages.iter().map(|m| json!({
                    // Moderators are "the moderators" here as on the screen.
                    "from": if m.from_staff { "the moderators" } else { "you" },
                    "body": m.body_source,
                    "created_at": m.created_at,
                })).collect::<Vec<_>>(),
            }));
        }
        self.audit(
            Some(who.id),
            "data_exported",
            "member",
            Some(who.id.to_string()),
            None,
        )
        .await?;
        Ok(json!({
            "exported_at": self.now(),
            "about": "Everything the forum holds about you. Your date of birth was checked when you applied and never stored.",
            "account": {
                "id": me.id.to_string(),
                "handle": me.handle,
                "email": me.email,
                "role": me.role.as_str(),
                "standing": me.standing.as_str(),
                "standing_reason": me.standing_reason,
                "suspended_until": me.suspended_until,
                "age_check": me.age_check,
                "age_checked_at": me.age_checked_at,
                "adult_confirmed_at": me.adult_confirmed_at,
                "rules_accepted_at": me.rules_accepted_at,
                "created_at": me.created_at,
                "approved_at": me.approved_at,
            },
            "application": application.map(|a| json!({
                "status": a.status,
                "statement": a.statement,
                "invited": a.invited,
                "created_at": a.created_at,
                "decided_at": a.decided_at,
                "decision_reason": a.decision_reason,
            })),
            "profile_about": me.about,
            "members_you_muted": mutes.iter().map(|(_, handle, at)| json!({"handle": handle, "since": at})).collect::<Vec<_>>(),
            "reactions_left": reactions.iter().map(|(post, kind, at)| json!({"post_id": post.to_string(), "kind": kind, "created_at": at})).collect::<Vec<_>>(),
            "threads_followed_or_muted": follows.iter().map(|(thread, state, at)| json!({"thread_id": thread.to_string(), "state": state, "updated_at": at})).collect::<Vec<_>>(),
            "threads_started": content.threads.iter().map(|(id, title, at)| json!({"id": id, "title": title, "created_at": at})).collect::<Vec<_>>(),
            "posts": content.posts.iter().map(|(p, title)| json!({
                "id": p.id.to_string(),
                "thread_id": p.thread_id.to_string(),
                "thread_title": title,
                "body": p.body_source,
                "content_warning": p.content_warning,
                "status": p.status.as_str(),
                "decision_reason": p.decision_reason,
                "created_at": p.created_at,
                "edited_at": p.edited_at,
            })).collect::<Vec<_>>(),
            "chat_messages": content.messages.iter().map(|(id, room, body, status, at, reason)| json!({
                "id": id, "room_id": room, "body": body, "status": status, "created_at": at,
                "decision_reason": reason,
            })).collect::<Vec<_>>(),
            "reports_made": content.reports.iter().map(|(post, reason, note, state, at)| json!({
                "post_id": post, "reason": reason, "note": note, "state": state, "created_at": at,
            })).collect::<Vec<_>>(),
            "chat_reports_made": chat_reports.iter().map(|(message, reason, state, at)| json!({
                "message_id": message, "reason": reason, "state": state, "created_at": at,
            })).collect::<Vec<_>>(),
            "notifications": notifications.iter().map(|n| json!({
                "kind": n.kind,
                "thread_id": n.thread_id.map(|t| t.to_string()),
                "post_id": n.post_id.map(|p| p.to_string()),
                "message": n.message,
                "created_at": n.created_at,
                "read_at": n.read_at,
            })).collect::<Vec<_>>(),
            "checkins": checkins,
            "urgent_lane_records": crises.iter().map(|c| json!({
                "about": "The rules saw that you might be at risk, and told the moderators at once.",
                "where": c.source,
                "post_id": c.post_id.map(|p| p.to_string()),
                "message_id": c.message_id.map(|m| m.to_string()),
                "rules": c.rules,
                "state": c.state,
                "created_at": c.created_at,
                "handled_at": c.handled_at,
                "moderators_note": c.outcome_note,
            })).collect::<Vec<_>>(),
            "threads_read": content.read_markers.iter().map(|(t, at)| json!({"thread_id": t, "read_at": at})).collect::<Vec<_>>(),
        }))
    }

    /// Erases one's own account, given the password. Sessions end and sockets close.
    pub async fn erase_self(
        &self,
        who: &Identity,
        password: &str,
        posts: ErasePosts,
    ) -> Result<()> {
        who.require(Action::ExerciseDataRights)?;
        self.require_recent_confirmation(who)?;
        let me = self.store.member(who.id).await?;
        if !self
            .passwords
            .verify(password, Some(&me.password_hash))
            .await?
        {
            return Err(AppError::invalid(
                "password",
                "the password is not right; nothing was erased",
            ));
        }
        if me.role == hearth_core::policy::Role::Admin
            && self.store.count_active_admins(self.now()).await? <= 1
        {
            return Err(AppError::Conflict {
                code: "last_admin",
                message: "you are the only admin: make someone else an admin before leaving"
                    .to_owned(),
            });
        }
        self.erase(who.id, posts, Some(who.id), "member_erased_self")
            .await
    }

    /// Erases a member's account (admins), as the member could themselves.
    pub async fn erase_member(
        &self,
        who: &Identity,
        id: MemberId,
        posts: ErasePosts,
    ) -> Result<()> {
        who.require(Action::ManageMembers)?;
        self.require_recent_confirmation(who)?;
        let target = match self.store.member(id).await {
            Err(StoreError::NotFound) => return Err(AppError::NotFound("member")),
            other => other?,
        };
        self.may_act_on(who, policy::StaffAction::Erase, &target, self.now())?;
        self.erase(id, posts, Some(who.id), "member_erased_by_admin")
            .await
    }

    async fn erase(
        &self,
        id: MemberId,
        posts: ErasePosts,
        actor: Option<MemberId>,
        action: &str,
    ) -> Result<()> {
        // Their handle stays reserved for a year, as a keyed hash (nobody can pass as them).
        if let Ok(m) = self.store.member(id).await {
            self.store
                .reserve_handle(
                    &self.secrets.handle_hash(&m.handle),
                    self.now() + chrono::Duration::days(HANDLE_RESERVED_DAYS),
                )
                .await?;
        }
        self.store.erase_member(id, posts, self.now()).await?;
        self.disconnect_member(id, "this account has been erased")
            .await;
        let how = match posts {
            ErasePosts::Delete => "posts deleted",
            ErasePosts::Anonymise => "posts anonymised",
        };
        // The audit log keeps the action, never the content.
        self.audit(
            actor.filter(|a| *a != id),
            action,
            "member",
            Some(id.to_string()),
            Some(how.to_owned()),
        )
        .await?;
        // Nothing of them left in the SQLite write-ahead log either (the file keeps zeros where
        // their rows were: secure_delete). Not a failure for the member if it must wait.
        if let Err(e) = self.store.scrub_after_erasure().await {
            tracing::warn!(error = %e, "could not checkpoint the database after an erasure");
        }
        tracing::info!(member = %id, how, "member erased");
        Ok(())
    }

    /// Deletes what has outlived its retention period. Answers how many rows went.
    pub async fn enforce_retention(&self) -> Result<u64> {
        let now = self.now();
        let s = &self.store;
        let n = s.purge_expired_sessions(now).await?
            + s.purge_age_refusals(now).await?
            + s.purge_reserved_handles(now).await?
            + s.purge_password_resets(now).await?
            + s.purge_concerns(now - chrono::Duration::days(self.config.concern_retention_days))
                .await?
            + s.purge_crises(now - chrono::Duration::days(self.config.crisis_retention_days))
                .await?
            + s.purge_checkins(now - chrono::Duration::days(self.config.crisis_retention_days))
                .await?
            + s.purge_events(now - chrono::Duration::days(self.config.event_retention_days))
                .await?
            + s.purge_access_log(
                now - chrono::Duration::days(self.config.access_log_retention_days),
            )
            .await?
            + s.purge_notifications(
                now - chrono::Duration::days(self.config.notification_retention_days),
            )
            .await?;
        Ok(n)
    }
}
