//! The safeguarding lane: concerns that a child may be at risk, that someone intends harm, or
//! that someone may be at risk of suicide. Apart from ordinary reports, seen only by members an
//! admin has made safeguarding leads, with a response deadline and a structured decision.
//! Every read of the record is audited.

use chrono::Duration;
use hearth_core::ids::{MemberId, MessageId, PostId};
use hearth_core::moderation::{Signpost, Verdict};
use hearth_core::policy::{Action, Role};
use hearth_store::records::NewNotification;
use hearth_store::{ConcernDecision, ConcernRecord, NewConcern, StoreError};

use crate::{App, AppError, Identity, Result};

/// What a concern can be about.
pub const CONCERN_CATEGORIES: [&str; 4] =
    ["child_at_risk", "intent_to_harm", "suicide_risk", "other"];
/// What every lead is told when a concern arrives.
const CONCERN_WAITING: &str = "A safeguarding concern is waiting for a lead.";
/// What a lead can decide.
pub const CONCERN_DECISIONS: [&str; 3] = ["no_action", "support_offered", "referral_made"];

impl App {
    fn require_lead(&self, who: &Identity) -> Result<()> {
        who.require(Action::ReadForum)?;
        if who.second_factor_missing {
            return Err(crate::factors::second_factor_required());
        }
        if who.safeguarding_lead {
            Ok(())
        } else {
            Err(AppError::Forbidden(
                "only safeguarding leads can see safeguarding concerns".to_owned(),
            ))
        }
    }

    /// Stores a concern, records it in the audit log (as `actor`'s act, or nobody's), and tells
    /// every safeguarding lead with `lead_message`.
    pub(crate) async fn record_concern(
        &self,
        c: NewConcern,
        actor: Option<MemberId>,
        lead_message: &str,
    ) -> Result<()> {
        let id = self.store.insert_concern(c).await?;
        self.audit(
            actor,
            "concern_raised",
            "concern",
            Some(id.to_string()),
            None,
        )
        .await?;
        for lead in self.store.safeguarding_leads(self.now()).await? {
            self.notify(NewNotification {
                member_id: lead,
                kind: "concern_raised",
                thread_id: None,
                post_id: None,
                message: Some(lead_message.to_owned()),
                at: self.now(),
            })
            .await;
        }
        Ok(())
    }

    /// A member or moderator raises a concern about a post they can see. The note is read by
    /// the crisis rules only; the support they point to is answered for the writer.
    pub async fn raise_concern(
        &self,
        who: &Identity,
        post: PostId,
        category: &str,
        note: Option<&str>,
    ) -> Result<Vec<Signpost>> {
        who.require(Action::ReportPost)?;
        self.visible_post(who, post).await?;
        if !CONCERN_CATEGORIES.contains(&category) {
            return Err(AppError::invalid(
                "category",
                format!("category must be one of: {}", CONCERN_CATEGORIES.join(", ")),
            ));
        }
        let note = note
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
        if note.as_ref().is_some_and(|n| n.chars().count() > 2000) {
            return Err(AppError::invalid(
                "note",
                "a note can be at most 2000 characters",
            ));
        }
        let support = match &note {
            Some(n) => {
                self.crisis_in_note(who, n, crate::content::NoteSource::Concern(post))
                    .await?
            }
            None => Vec::new(),
        };
        let now = self.now();
        self.record_concern(
            NewConcern {
                post_id: Some(post),
                message_id: None,
                raised_by: Some(who.id),
                source: if who.role >= Role::Moderator {
                    "moderator"
                } else {
                    "member"
                },
                category: category.to_owned(),
                note,
                now,
                due_at: now + Duration::hours(self.config.concern_response_hours),
            },
            None,
            CONCERN_WAITING,
        )
        .await?;
        Ok(support)
    }

    /// The rules engine asked for a concern (its verdict's `concern`): raise one, quietly.
    pub(crate) async fn concern_from_rules(
        &self,
        verdict: &Verdict,
        post: Option<PostId>,
        message: Option<MessageId>,
    ) {
        if !verdict.concern {
            return;
        }
        let names = verdict.rule_names().join(", ");
        let lower = names.to_lowercase();
        let category = if lower.contains("child") {
            "child_at_risk"
        } else if lower.contains("suicide") || lower.contains("self-harm") {
            "suicide_risk"
        } else if lower.contains("threat") {
            "intent_to_harm"
        } else {
            "other"
        };
        let now = self.now();
        let raised = self
            .record_concern(
                NewConcern {
                    post_id: post,
                    message_id: message,
                    raised_by: None,
                    source: "rules",
                    category: category.to_owned(),
                    note: Some(format!("Raised by the rules: {names}")),
                    now,
                    due_at: now + Duration::hours(self.config.concern_response_hours),
                },
                None,
                CONCERN_WAITING,
            )
            .await;
        if let Err(e) = raised {
            tracing::error!(error = %e, "could not record a concern the rules raised");
        }
    }

    /// The concerns, for safeguarding leads only; every read is audited.
    pub async fn concerns(&self, who: &Identity) -> Result<Vec<ConcernRecord>> {
        self.require_lead(who)?;
        self.require_recent_confirmation(who)?;
        let list = self.store.list_concerns(500).await?;
        self.record_reads(
            who,
            "concern",
            list.iter().map(|c| Some(c.id.to_string())).collect(),
        )
        .await?;
        self.audit(
            Some(who.id),
            "concerns_viewed",
            "concern",
            None,
            Some(format!("{} concerns", list.len())),
        )
        .await?;
        Ok(list)
    }

    /// A lead records what was decided about a concern.
    pub async fn decide_concern(
        &self,
        who: &Identity,
        id: uuid::Uuid,
        decision: &str,
        referral_to: Option<&str>,
        reason: &str,
    ) -> Result<()> {
        self.require_lead(who)?;
        if !CONCERN_DECISIONS.contains(&decision) {
            return Err(AppError::invalid(
                "decision",
                format!("decision must be one of: {}", CONCERN_DECISIONS.join(", ")),
            ));
        }
        let referral_to = referral_to
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_owned);
        if decision == "referral_made" && referral_to.is_none() {
            return Err(AppError::invalid(
                "referral_to",
                "say to whom the referral was made",
            ));
        }
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 2000 {
            return Err(AppError::invalid(
                "reason",
                "please say why, in at most 2000 characters",
            ));
        }
        let d = ConcernDecision {
            by: who.id,
            decision: decision.to_owned(),
            referral_to,
            reason: reason.to_owned(),
            at: self.now(),
        };
        match self.store.decide_concern(id, d).await {
            Err(StoreError::NotFound) => Err(AppError::NotFound("concern")),
            Err(StoreError::Conflict { .. }) => Err(AppError::Conflict {
                code: "already_decided",
                message: "this concern has already been decided".to_owned(),
            }),
            Err(e) => Err(e.into()),
            Ok(()) => {
                self.audit(
                    Some(who.id),
                    "concern_decided",
                    "concern",
                    Some(id.to_string()),
                    Some(decision.to_owned()),
                )
                .await
            }
        }
    }

    /// Makes a member a safeguarding lead, or not (admins; audited).
    pub async fn set_safeguarding_lead(
        &self,
        who: &Identity,
        id: MemberId,
        lead: bool,
    ) -> Result<()> {
        who.require(Action::ManageMembers)?;
        self.require_recent_confirmation(who)?;
        match self.store.set_safeguarding_lead(id, lead).await {
            Err(StoreError::NotFound) => return Err(AppError::NotFound("member")),
            other => other?,
        };
        let action = if lead {
            "safeguarding_lead_granted"
        } else {
            "safeguarding_lead_removed"
        };
        self.audit(Some(who.id), action, "member", Some(id.to_string()), None)
            .await
    }

    /// Alerts every lead once about concerns past their deadline.
    pub async fn alert_overdue_concerns(&self) -> Result<u64> {
        let now = self.now();
        let overdue = self.store.take_overdue_concerns(now).await?;
        if overdue > 0 {
            for lead in self.store.safeguarding_leads(now).await? {
                self.notify(NewNotification {
                    member_id: lead,
                    kind: "concern_overdue",
                    thread_id: None,
                    post_id: None,
                    message: Some(format!(
                        "{overdue} safeguarding concern(s) are past their response deadline."
                    )),
                    at: now,
                })
                .await;
            }
        }
        Ok(overdue)
    }
}
