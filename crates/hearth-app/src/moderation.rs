//! The moderators' side: the queue and its decisions, content actions, the active rules, and
//! members' notifications of decisions.

use std::sync::Arc;

use chrono::Duration;
use hearth_core::content::{PostStatus, UNDO_REJECTION_DAYS};
use hearth_core::ids::{BoardId, PostId, QueueItemId, ThreadId};
use hearth_core::moderation::{ReadyReason, RuleProblem, RuleSet, RuleSummary, Verdict};
use hearth_core::policy::Action;
use hearth_core::render::render_markdown;
use hearth_realtime::Topic;
use hearth_store::StoreError;
use hearth_store::records::{
    NewNotification, NotificationRecord, QueueDecision, QueueItemRecord, ThreadRecord,
};

use crate::{App, AppError, Identity, Result};

/// How a moderator explains a rejection or removal: a ready reason from the rules file, or
/// their own words. Either way the author sees it, signed "the moderators".
#[derive(Clone, Debug, Default)]
pub struct ReasonInput {
    /// A ready reason's id.
    pub ready_reason: Option<String>,
    /// A typed reason.
    pub reason: Option<String>,
}

/// What a moderator decides on a queue item.
#[derive(Clone, Debug)]
pub enum QueueVerdict {
    /// Held: publish it (optionally with a redacted body). Flagged or reported: keep it.
    Approve {
        /// A redacted body to publish instead.
        edited_body: Option<String>,
        /// Why the moderator edited it, for the author (optional; only with an edited body).
        /// A moderator's edit is never silent: the author is told of it, with this reason.
        edit_reason: Option<String>,
    },
    /// Held: reject it. Flagged or reported: remove it. The author sees the reason.
    Reject(ReasonInput),
}

impl App {
    /// The rules in force.
    pub fn rules(&self) -> Arc<RuleSet> {
        match self.rules.read() {
            Ok(r) => Arc::clone(&r),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Re-reads the rules file. A file with problems leaves the old rules in force and answers
    /// every problem with its line. `who` is `None` for a reload by signal (SIGHUP).
    pub async fn reload_rules(&self, who: Option<&Identity>) -> Result<usize, RulesReloadError> {
        if let Some(w) = who {
            w.require(Action::ManageRules)?;
            self.require_recent_confirmation(w)?;
        }
        let path = &self.config.rules_path;
        let text = tokio::fs::read_to_string(path).await.map_err(|e| {
            RulesReloadError::Problems(vec![RuleProblem {
                line: None,
                message: format!("cannot read {}: {e}", path.display()),
            }])
        })?;
        let rules = RuleSet::parse(&text).map_err(RulesReloadError::Problems)?;
        let n = rules.rules().len();
        match self.rules.write() {
            Ok(mut slot) => *slot = Arc::new(rules),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(rules),
        }
        self.audit(
            who.map(|w| w.id),
            "rules_reloaded",
            "rules",
            None,
            Some(format!("{n} rules")),
        )
        .await?;
        tracing::info!(rules = n, "moderation rules reloaded");
        Ok(n)
    }

    /// The active rules and ready reasons, for admins.
    pub fn active_rules(&self, who: &Identity) -> Result<(Vec<RuleSummary>, Vec<ReadyReason>)> {
        who.require(Action::ManageRules)?;
        let rules = self.rules();
        Ok((rules.rules().to_vec(), rules.ready_reasons().to_vec()))
    }

    /// Ready reasons, for moderators choosing one.
    pub fn ready_reasons(&self, who: &Identity) -> Result<Vec<ReadyReason>> {
        who.require(Action::ModerateQueue)?;
        Ok(self.rules().ready_reasons().to_vec())
    }

    /// What is waiting for `who`, for the count in the navigation: open queue items and open
    /// crises for moderators, and waiting applications too for whoever decides them (`None`
    /// for the others: they are not told how many there are).
    pub async fn waiting_counts(&self, who: &Identity) -> Result<WaitingCounts> {
        who.require(Action::ModerateQueue)?;
        let (posts, _) = self.store.queue_depth().await?;
        // Held chat messages wait in the same queue (and their arrival and decision are told on
        // the same `modqueue` topic), so they count as waiting too.
        let queue = posts + self.store.count_held_messages().await?;
        let urgent = self.store.count_open_crises().await?;
        let applications = if who.require(Action::DecideApplications).is_ok() {
            Some(self.store.count_applications("pending").await?)
        } else {
            None
        };
        Ok(WaitingCounts {
            queue,
            urgent,
            applications,
        })
    }

    /// Open queue items, oldest first.
    pub async fn queue(&self, who: &Identity, limit: u64) -> Result<Vec<QueueItemRecord>> {
        who.require(Action::ModerateQueue)?;
        let items = self.store.open_queue(limit.clamp(1, 500)).await?;
        self.record_reads(
            who,
            "held_item",
            items.iter().map(|i| Some(i.id.to_string())).collect(),
        )
        .await?;
        Ok(items)
    }

    fn reason_text(&self, r: &ReasonInput) -> Result<String> {
        if let Some(id) = r.ready_reason.as_deref().filter(|s| !s.is_empty()) {
            return self
                .rules()
                .ready_reasons()
                .iter()
                .find(|rr| rr.id == id)
                .map(|rr| rr.text.clone())
                .ok_or_else(|| {
                    AppError::invalid("ready_reason", format!("there is no ready reason {id:?}"))
                });
        }
        let typed = r.reason.as_deref().map(str::trim).unwrap_or_default();
        if typed.is_empty() {
            return Err(AppError::invalid(
                "reason",
                "please give the author a reason (or pick a ready one)",
            ));
        }
        if typed.chars().count() > crate::admin::REASON_MAX {
            return Err(AppError::invalid(
                "reason",
                "a reason can be at most 1000 characters",
            ));
        }
        Ok(typed.to_owned())
    }

    /// How long a queue item has waited, in whole seconds, and whether that is past the
    /// point (`queue_alert_minutes`) where moderators are alerted.
    pub fn queue_wait(&self, item: &QueueItemRecord) -> (i64, bool) {
        let waited = (self.now() - item.created_at).num_seconds().max(0);
        (waited, waited > self.config.queue_alert_minutes * 60)
    }

    /// Decides up to [`BULK_MAX`] queue items the same way. Each item answers on its own, so
    /// one already decided by someone else does not stop the rest; a verdict that is itself
    /// invalid (a rejection without a reason) stops all of them before any is decided.
    pub async fn decide_queue_items(
        &self,
        who: &Identity,
        ids: &[QueueItemId],
        verdict: QueueVerdict,
    ) -> Result<Vec<(QueueItemId, Result<QueueItemRecord>)>> {
        who.require(Action::ModerateQueue)?;
        if ids.is_empty() || ids.len() > BULK_MAX {
            return Err(AppError::invalid(
                "ids",
                format!("give between 1 and {BULK_MAX} queue item ids"),
            ));
        }
        let mut results = Vec::with_capacity(ids.len());
        for &id in ids {
            match self.decide_queue_item(who, id, verdict.clone()).await {
                Err(e @ AppError::Validation { .. }) => return Err(e),
                r => results.push((id, r)),
            }
        }
        Ok(results)
    }

    /// Decides a queue item. A second decision on the same item is a 409.
    pub async fn decide_queue_item(
        &self,
        who: &Identity,
        id: QueueItemId,
        verdict: QueueVerdict,
    ) -> Result<QueueItemRecord> {
        who.require(Action::ModerateQueue)?;
        let item = self.store.queue_item(id).await.map_err(|e| match e {
            StoreError::NotFound => AppError::NotFound("queue item"),
            other => other.into(),
        })?;
        let held = item.kind == "held";
        let now = self.now();
        let (decision, notice) = match &verdict {
            QueueVerdict::Approve {
                edited_body,
                edit_reason,
            } => {
                let new_body = match edited_body {
                    Some(b) => {
                        let b = hearth_core::content::validate_body(b)
                            .map_err(|e| AppError::invalid(e.field, e.message))?;
                        Some((render_markdown(&b), b))
                    }
                    None => None,
                };
                let edit_reason = edit_reason
                    .as_deref()
                    .map(str::trim)
                    .filter(|r| !r.is_empty())
                    .map(str::to_owned);
                if edit_reason
                    .as_ref()
                    .is_some_and(|r| r.chars().count() > crate::admin::REASON_MAX)
                {
                    return Err(AppError::invalid(
                        "reason",
                        "a reason can be at most 1000 characters",
                    ));
                }
                // An edit is always told to the author (with the reason, if any); a plain
                // approval only when it publishes a held post.
                let notice = if new_body.is_some() {
                    Some(("post_edited_by_moderator", edit_reason))
                } else {
                    held.then_some(("post_approved", None))
                };
                (
                    QueueDecision {
                        state: "approved",
                        by: who.id,
                        reason: None,
                        post_status: held.then_some(PostStatus::Published),
                        new_body: new_body.map(|(html, src)| (src, html)),
                        at: now,
                    },
                    notice,
                )
            }
            QueueVerdict::Reject(r) => {
                let reason = self.reason_text(r)?;
                let (status, kind) = if held {
                    (PostStatus::Rejected, "post_rejected")
                } else {
                    (PostStatus::Removed, "post_removed")
                };
                (
                    QueueDecision {
                        state: "rejected",
                        by: who.id,
                        reason: Some(reason.clone()),
                        post_status: Some(status),
                        new_body: None,
                        at: now,
                    },
                    Some((kind, Some(reason))),
                )
            }
        };
        let decided = match self.store.decide_queue_item(id, &decision).await {
            Err(StoreError::Conflict { .. }) => {
                return Err(AppError::Conflict {
                    code: "already_decided",
                    message: "another moderator has already decided this item".to_owned(),
                });
            }
            other => other?,
        };
        if let (Some((kind, message)), Some(author)) = (&notice, decided.post.author_id) {
            self.notify(NewNotification {
                member_id: author,
                kind,
                thread_id: Some(decided.post.thread_id),
                post_id: Some(decided.post.id),
                message: message.clone(),
                at: now,
            })
            .await;
        }
        match decision.post_status {
            Some(PostStatus::Published) => {
                self.announce_post(&decided.post, "post_published").await;
                self.after_published(&decided.post, true).await;
            }
            Some(PostStatus::Removed) => self.announce_post(&decided.post, "post_removed").await,
            _ if decision.new_body.is_some() && decided.post.status == PostStatus::Published => {
                self.announce_post(&decided.post, "post_edited").await;
            }
            _ => {}
        }
        self.publish_quietly(
            hearth_realtime::Topic::ModQueue,
            serde_json::json!({"kind": "queue_item_decided", "id": id.to_string(), "state": decided.state}),
        )
        .await;
        let action = format!("queue_{}_{}", item.kind, decision.state);
        // An approval with changes says so in the log too, with the reason the author was given.
        let detail = match (&decision.new_body, notice) {
            (Some(_), Some((_, Some(why)))) => Some(format!("edited: {why}")),
            (Some(_), _) => Some("edited".to_owned()),
            _ => decision.reason.clone(),
        };
        self.audit(
            Some(who.id),
            &action,
            "post",
            Some(item.post.id.to_string()),
            detail,
        )
        .await?;
        Ok(decided)
    }

    /// Undoes a rejection within seven days: the post is held again and back in the queue.
    pub async fn undo_rejection(&self, who: &Identity, id: QueueItemId) -> Result<QueueItemRecord> {
        who.require(Action::ModerateQueue)?;
        let now = self.now();
        let item = match self
            .store
            .undo_rejection(id, now - Duration::days(UNDO_REJECTION_DAYS), now)
            .await
        {
            Err(StoreError::NotFound) => return Err(AppError::NotFound("queue item")),
            Err(StoreError::Conflict { .. }) => {
                return Err(AppError::Conflict {
                    code: "cannot_undo",
                    message:
                        "only a rejection of a held post, made in the last 7 days, can be undone"
                            .to_owned(),
                });
            }
            other => other?,
        };
        // Back in the queue: every moderator's queue and waiting count hear of it at once.
        self.publish_quietly(
            hearth_realtime::Topic::ModQueue,
            serde_json::json!({"kind": "queue_item_added", "id": item.id.to_string(), "post_id": item.post.id.to_string(), "thread_id": item.post.thread_id.to_string()}),
        )
        .await;
        self.audit(
            Some(who.id),
            "queue_rejection_undone",
            "post",
            Some(item.post.id.to_string()),
            None,
        )
        .await?;
        Ok(item)
    }

    /// Removes a published post, with a reason its author sees.
    pub async fn remove_post(&self, who: &Identity, id: PostId, reason: ReasonInput) -> Result<()> {
        who.require(Action::ModerateContent)?;
        let post = self.store.post(id).await.map_err(|e| match e {
            StoreError::NotFound => AppError::NotFound("post"),
            other => other.into(),
        })?;
        if matches!(post.status, PostStatus::Removed | PostStatus::Deleted) {
            return Err(AppError::Conflict {
                code: "post_closed",
                message: "this post is already gone".to_owned(),
            });
        }
        let reason = self.reason_text(&reason)?;
        let now = self.now();
        let removed = self
            .store
            .set_post_status(id, PostStatus::Removed, Some(reason.clone()), now)
            .await?;
        // Every open page of the thread replaces the post with its placeholder at once.
        self.announce_post(&removed, "post_removed").await;
        if let Some(author) = post.author_id {
            self.notify(NewNotification {
                member_id: author,
                kind: "post_removed",
                thread_id: Some(post.thread_id),
                post_id: Some(id),
                message: Some(reason.clone()),
                at: now,
            })
            .await;
        }
        self.audit(
            Some(who.id),
            "post_removed",
            "post",
            Some(id.to_string()),
            Some(reason),
        )
        .await
    }

    /// Locks, unlocks, pins, unpins or moves a thread.
    pub async fn thread_action(
        &self,
        who: &Identity,
        id: ThreadId,
        action: ThreadAction,
    ) -> Result<ThreadRecord> {
        who.require(Action::ModerateContent)?;
        let (pinned, locked, board, name) = match action {
            ThreadAction::Lock => (None, Some(true), None, "thread_locked"),
            ThreadAction::Unlock => (None, Some(false), None, "thread_unlocked"),
            ThreadAction::Pin => (Some(true), None, None, "thread_pinned"),
            ThreadAction::Unpin => (Some(false), None, None, "thread_unpinned"),
            ThreadAction::Move(b) => {
                self.board(who, b).await?;
                (None, None, Some(b), "thread_moved")
            }
        };
        let before = self
            .store
            .thread(id, None)
            .await
            .map_err(crate::content::not_found("thread"))?;
        let thread = self
            .store
            .update_thread(id, pinned, locked, board)
            .await
            .map_err(crate::content::not_found("thread"))?;
        if board.is_some_and(|b| b != before.board_id) {
            // The new board may have a narrower audience: re-check the thread's subscribers on
            // every instance before anything more is said on it, and take it off its old
            // board's open pages.
            self.recheck_holders(Topic::Thread(id)).await;
            self.publish_quietly(
                Topic::Board(before.board_id),
                crate::content::thread_ref("thread_withdrawn", &thread),
            )
            .await;
        }
        self.publish_quietly(
            Topic::Board(thread.board_id),
            crate::content::thread_ref("thread_updated", &thread),
        )
        .await;
        self.audit(
            Some(who.id),
            name,
            "thread",
            Some(id.to_string()),
            board.map(|b| format!("to board {b}")),
        )
        .await?;
        Ok(thread)
    }

    /// The member's notifications, newest first.
    pub async fn notifications(
        &self,
        who: &Identity,
        limit: u64,
    ) -> Result<Vec<NotificationRecord>> {
        who.require(Action::ManageOwnAccount)?;
        Ok(self
            .store
            .notifications(who.id, limit.clamp(1, 200))
            .await?)
    }

    /// Marks the member's notifications read.
    pub async fn mark_notifications_read(&self, who: &Identity) -> Result<u64> {
        who.require(Action::ManageOwnAccount)?;
        Ok(self
            .store
            .mark_notifications_read(who.id, self.now())
            .await?)
    }

    /// Alerts every moderator once about items waiting longer than the configured time.
    pub async fn alert_overdue_queue(&self) -> Result<u64> {
        let now = self.now();
        let overdue = self
            .store
            .take_overdue_queue_items(
                now - Duration::minutes(self.config.queue_alert_minutes),
                now,
            )
            .await?;
        if overdue > 0 {
            for m in self.store.active_moderators(now).await? {
                self.store
                    .notify(NewNotification {
                        member_id: m,
                        kind: "queue_overdue",
                        thread_id: None,
                        post_id: None,
                        message: Some(format!(
                            "{overdue} item(s) have waited in the queue for more than {} minutes",
                            self.config.queue_alert_minutes
                        )),
                        at: now,
                    })
                    .await?;
            }
        }
        Ok(overdue)
    }

    /// The verdict stored with a post, for the moderators' view.
    pub fn stored_verdict(post: &hearth_store::records::PostRecord) -> Option<Verdict> {
        crate::content::stored_verdict(&post.verdict, post.id)
            .inspect_err(|e| tracing::error!(error = %e, "a stored verdict does not read"))
            .ok()
    }
}

/// The most queue items one bulk decision may take.
pub const BULK_MAX: usize = 100;

/// What is waiting for a moderator or admin (see [`App::waiting_counts`]).
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct WaitingCounts {
    /// Open queue items (held, flagged, reported).
    pub queue: u64,
    /// Crises nobody has reached out to yet.
    pub urgent: u64,
    /// Applications waiting for a decision; only for those who decide them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applications: Option<u64>,
}

/// A moderator's action on a thread.
#[derive(Clone, Copy, Debug)]
pub enum ThreadAction {
    /// No more replies (except from moderators).
    Lock,
    /// Replies again.
    Unlock,
    /// Show first on its board.
    Pin,
    /// Back in activity order.
    Unpin,
    /// To another board.
    Move(BoardId),
}

/// Why a rules reload did not take effect.
#[derive(Debug, thiserror::Error)]
pub enum RulesReloadError {
    /// The file has problems; the old rules stay in force.
    #[error("the rules file has problems; the previous rules are still in force")]
    Problems(Vec<RuleProblem>),
    /// Anything else.
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<hearth_core::policy::Denied> for RulesReloadError {
    fn from(d: hearth_core::policy::Denied) -> Self {
        RulesReloadError::App(d.into())
    }
}
