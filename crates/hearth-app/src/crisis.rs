//! The crisis lane and staff check-ins.
//!
//! When the rules mark a text urgent (someone may be at risk now), it is published as usual
//! (the author needs the group, not a wall), the author is shown crisis support at once, and a
//! *crisis* opens in the moderators' urgent lane: every moderator online is alerted live, it
//! has a short deadline (15 minutes by default) with an overdue alert, and the actions that
//! fit: reach out (which opens a check-in), resolve, or escalate to the safeguarding leads.
//!
//! A check-in is a private conversation between one member and the moderators. Only staff can
//! open one; the member can read and answer it, never start one, and members never message
//! each other. Every message goes through the rules like any other text (a crisis in an
//! answer opens a new crisis), and opening, closing and staff reads are audited.

use chrono::Duration;
use hearth_core::ids::{MemberId, MessageId, PostId};
use hearth_core::moderation::{Outcome, TextKind, Verdict};
use hearth_core::policy::{Action, Role};
use hearth_core::render::render_markdown;
use hearth_realtime::Topic;
use hearth_store::records::NewNotification;
use hearth_store::{
    CheckinMessageRecord, CheckinRecord, CrisisAction, CrisisRecord, CrisisSource,
    NewCheckinMessage, NewConcern, NewCrisis, StoreError,
};
use serde_json::json;

use crate::{App, AppError, Identity, Result};

/// The longest check-in message, in characters.
pub const CHECKIN_MESSAGE_MAX: usize = 4000;
/// The longest note on a crisis's outcome, in characters.
const NOTE_MAX: usize = 2000;

/// Where a crisis was seen, for [`App::crisis_from_rules`].
#[derive(Clone, Copy, Debug)]
pub enum CrisisWhere {
    /// In a post (or its thread's title, or its content warning).
    Post(PostId),
    /// In a chat message.
    Message(MessageId),
    /// In the note of a report about a post.
    ReportNote(PostId),
    /// In the note of a safeguarding concern about a post.
    ConcernNote(PostId),
    /// In a member's answer in a check-in.
    Checkin(uuid::Uuid),
}

/// A crisis as the urgent lane shows it: the record and the text that raised it, read where it
/// lives (a crisis keeps no copy).
#[derive(Clone, Debug)]
pub struct CrisisView {
    /// The record.
    pub crisis: CrisisRecord,
    /// The text, as sanitised HTML, if it still exists.
    pub text_html: Option<String>,
    /// Where it was: the thread (id, title) of a post.
    pub thread: Option<(hearth_core::ids::ThreadId, String)>,
    /// Where it was: the room of a chat message.
    pub room_id: Option<hearth_core::ids::RoomId>,
    /// Whether the deadline has passed with no one acting.
    pub overdue: bool,
}

/// A check-in with its messages, as its reader may see it.
#[derive(Clone, Debug)]
pub struct CheckinView {
    /// The check-in.
    pub checkin: CheckinRecord,
    /// Its messages, oldest first. For a member, staff authors are not named.
    pub messages: Vec<CheckinMessageRecord>,
}

/// What a moderator does about a crisis.
#[derive(Clone, Debug)]
pub enum CrisisStep {
    /// Opens (or continues) a check-in with the member with this first message.
    ReachOut {
        /// The message to the member.
        message: String,
    },
    /// Nothing more is needed; the note says why.
    Resolve {
        /// The moderator's note (staff only).
        note: Option<String>,
    },
    /// Hands it to the safeguarding leads as a concern.
    Escalate {
        /// What the leads should know.
        note: Option<String>,
    },
}

fn tidy_note(note: Option<String>) -> Result<Option<String>> {
    let note = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    if note.as_ref().is_some_and(|n| n.chars().count() > NOTE_MAX) {
        return Err(AppError::invalid(
            "note",
            "a note can be at most 2000 characters",
        ));
    }
    Ok(note)
}

fn checkin_text(raw: &str) -> Result<String> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(AppError::invalid("body", "please write something first"));
    }
    if text.chars().count() > CHECKIN_MESSAGE_MAX {
        return Err(AppError::invalid(
            "body",
            "a message can be at most 4000 characters long",
        ));
    }
    Ok(text.to_owned())
}

impl App {
    /// The rules marked a text urgent: open a crisis, alert every moderator online, and record
    /// it in the audit log. Never fails the author's request: a failure here is logged loudly
    /// (the text itself is stored and flagged in the queue either way).
    pub(crate) async fn crisis_from_rules(
        &self,
        verdict: &Verdict,
        author: MemberId,
        at: CrisisWhere,
    ) {
        if !verdict.urgent {
            return;
        }
        if let Err(e) = self.open_crisis(verdict, author, at).await {
            tracing::error!(error = %e, "could not open a crisis the rules raised");
        }
    }

    async fn open_crisis(
        &self,
        verdict: &Verdict,
        author: MemberId,
        at: CrisisWhere,
    ) -> Result<()> {
        let now = self.now();
        let (source, post_id, message_id, checkin_id) = match at {
            CrisisWhere::Post(p) => (CrisisSource::Post, Some(p), None, None),
            CrisisWhere::Message(m) => (CrisisSource::Message, None, Some(m), None),
            CrisisWhere::ReportNote(p) => (CrisisSource::ReportNote, Some(p), None, None),
            CrisisWhere::ConcernNote(p) => (CrisisSource::ConcernNote, Some(p), None, None),
            CrisisWhere::Checkin(c) => (CrisisSource::Checkin, None, None, Some(c)),
        };
        let id = self
            .store
            .insert_crisis(NewCrisis {
                member_id: author,
                source,
                post_id,
                message_id,
                checkin_id,
                rules: verdict.rule_names().join(", "),
                now,
                due_at: now + Duration::minutes(self.config.crisis_deadline_minutes),
            })
            .await?;
        self.audit(None, "crisis_raised", "crisis", Some(id.to_string()), None)
            .await?;
        // The live alert: ids only; staff read the lane over REST.
        self.publish_quietly(
            Topic::ModQueue,
            json!({"kind": "crisis_raised", "crisis_id": id.to_string()}),
        )
        .await;
        Ok(())
    }

    /// The urgent lane: open crises first (by deadline), then those of the last day.
    pub async fn crises(&self, who: &Identity) -> Result<Vec<CrisisView>> {
        who.require(Action::ModerateQueue)?;
        let now = self.now();
        let list = self
            .store
            .list_crises(now - Duration::hours(24), 100)
            .await?;
        let mut views = Vec::with_capacity(list.len());
        for c in list {
            views.push(self.crisis_view(c).await?);
        }
        Ok(views)
    }

    async fn crisis_view(&self, crisis: CrisisRecord) -> Result<CrisisView> {
        let mut view = CrisisView {
            overdue: crisis.state == "open" && crisis.due_at < self.now(),
            crisis,
            text_html: None,
            thread: None,
            room_id: None,
        };
        let c = &view.crisis;
        if let Some(p) = c.post_id {
            match self.store.post(p).await {
                Ok(post) => {
                    if c.source == "post" {
                        view.text_html = Some(post.body_html.clone());
                    }
                    if let Ok(t) = self.store.thread(post.thread_id, None).await {
                        view.thread = Some((t.id, t.title));
                    }
                }
                Err(StoreError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
        if let Some(m) = c.message_id {
            match self.store.message(m).await {
                Ok(m) => {
                    view.text_html = Some(m.body_html);
                    view.room_id = Some(m.room_id);
                }
                Err(StoreError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
        if c.source == "checkin"
            && let Some(id) = c.checkin_id
        {
            let last = self
                .store
                .checkin_messages(id)
                .await?
                .into_iter()
                .rev()
                .find(|m| !m.from_staff);
            view.text_html = last.map(|m| m.body_html);
        }
        Ok(view)
    }

    /// A moderator acts on a crisis: reach out, resolve or escalate. Acting on one already
    /// resolved or escalated is a 409; reaching out again adds to the same check-in.
    pub async fn act_on_crisis(
        &self,
        who: &Identity,
        id: uuid::Uuid,
        step: CrisisStep,
    ) -> Result<CrisisView> {
        who.require(Action::ModerateQueue)?;
        let crisis = self.store.crisis(id).await.map_err(|e| match e {
            StoreError::NotFound => AppError::NotFound("crisis"),
            other => other.into(),
        })?;
        if !matches!(crisis.state.as_str(), "open" | "reaching_out") {
            return Err(already_handled());
        }
        let now = self.now();
        let (state, note, checkin) = match step {
            CrisisStep::ReachOut { message } => {
                let Some(member) = crisis.member_id else {
                    return Err(AppError::Conflict {
                        code: "member_gone",
                        message: "this member has left the group; there is no one to reach"
                            .to_owned(),
                    });
                };
                let checkin = self.open_checkin(who, member, &message).await?;
                ("reaching_out", None, Some(checkin.checkin.id))
            }
            CrisisStep::Resolve { note } => ("resolved", tidy_note(note)?, None),
            CrisisStep::Escalate { note } => {
                let note = tidy_note(note)?;
                let category = "suicide_risk".to_owned();
                let mut text = format!("Escalated from the urgent lane ({})", crisis.rules);
                if let Some(n) = &note {
                    text.push_str(": ");
                    text.push_str(n);
                }
                self.record_concern(
                    NewConcern {
                        post_id: crisis.post_id,
                        message_id: crisis.message_id,
                        raised_by: Some(who.id),
                        source: "moderator",
                        category,
                        note: Some(text),
                        now,
                        due_at: now + Duration::hours(self.config.concern_response_hours),
                    },
                    Some(who.id),
                    "A moderator escalated an urgent concern to the safeguarding leads.",
                )
                .await?;
                ("escalated", note, None)
            }
        };
        match self
            .store
            .act_on_crisis(
                id,
                CrisisAction {
                    state,
                    by: who.id,
                    note,
                    checkin_id: checkin,
                    at: now,
                },
            )
            .await
        {
            Ok(()) => {}
            Err(StoreError::Conflict { .. }) => return Err(already_handled()),
            Err(StoreError::NotFound) => return Err(AppError::NotFound("crisis")),
            Err(e) => return Err(e.into()),
        }
        self.audit(
            Some(who.id),
            &format!("crisis_{state}"),
            "crisis",
            Some(id.to_string()),
            None,
        )
        .await?;
        self.publish_quietly(
            Topic::ModQueue,
            json!({"kind": "crisis_updated", "crisis_id": id.to_string()}),
        )
        .await;
        let updated = self.store.crisis(id).await?;
        self.crisis_view(updated).await
    }

    /// Alerts every moderator once about crises past their deadline with no one acting.
    pub async fn alert_overdue_crises(&self) -> Result<u64> {
        let now = self.now();
        let overdue = self.store.take_overdue_crises(now).await?;
        if overdue > 0 {
            self.publish_quietly(
                Topic::ModQueue,
                json!({"kind": "crisis_overdue", "count": overdue}),
            )
            .await;
            for m in self.store.active_moderators(now).await? {
                self.notify(NewNotification {
                    member_id: m,
                    kind: "crisis_overdue",
                    thread_id: None,
                    post_id: None,
                    message: Some(format!(
                        "{overdue} urgent item(s) have had no response for {} minutes. Please look now.",
                        self.config.crisis_deadline_minutes
                    )),
                    at: now,
                })
                .await;
            }
        }
        Ok(overdue)
    }

    /// Staff open a check-in with a member (or add to the open one), with a first message.
    pub async fn open_checkin(
        &self,
        who: &Identity,
        member: MemberId,
        message: &str,
    ) -> Result<CheckinView> {
        who.require(Action::ModerateQueue)?;
        let text = checkin_text(message)?;
        let target = self.store.member(member).await.map_err(|e| match e {
            StoreError::NotFound => AppError::NotFound("member"),
            other => other.into(),
        })?;
        if target.id == who.id {
            return Err(AppError::invalid(
                "member",
                "a check-in is with someone else",
            ));
        }
        let verdict = self.moderate(who, TextKind::Chat, &text, None).await?;
        if verdict.outcome == Outcome::Reject {
            return Err(AppError::RuleRejected(Box::new(verdict)));
        }
        let now = self.now();
        let id = self
            .store
            .open_checkin(
                target.id,
                who.id,
                NewCheckinMessage {
                    checkin_id: uuid::Uuid::nil(),
                    author_id: who.id,
                    from_staff: true,
                    body_html: render_markdown(&text),
                    body_source: text,
                    verdict: serde_json::to_string(&verdict)
                        .map_err(|e| AppError::Internal(e.to_string()))?,
                    now,
                },
            )
            .await?;
        self.audit(
            Some(who.id),
            "checkin_message_sent",
            "checkin",
            Some(id.to_string()),
            None,
        )
        .await?;
        self.tell_of_checkin(target.id, now).await;
        self.announce_checkin(id).await;
        self.checkin(who, id).await
    }

    /// Check-ins the reader may see: a member's own; every one for staff.
    pub async fn checkins(&self, who: &Identity) -> Result<Vec<CheckinRecord>> {
        who.require(Action::ReadForum)?;
        let mine = if who.role >= Role::Moderator {
            None
        } else {
            Some(who.id)
        };
        Ok(self.store.list_checkins(mine, 200).await?)
    }

    /// A check-in and its messages, if the reader may see it (otherwise it does not exist for
    /// them). Staff reads of another member's check-in are audited.
    pub async fn checkin(&self, who: &Identity, id: uuid::Uuid) -> Result<CheckinView> {
        who.require(Action::ReadForum)?;
        let checkin = self.visible_checkin(who, id).await?;
        let staff = who.role >= Role::Moderator;
        let mut messages = self.store.checkin_messages(id).await?;
        if staff && checkin.member_id != who.id {
            self.audit(
                Some(who.id),
                "checkin_read",
                "checkin",
                Some(id.to_string()),
                None,
            )
            .await?;
        } else {
            // The member sees "the moderators", never which moderator.
            for m in &mut messages {
                if m.from_staff {
                    m.author_id = None;
                    m.author_handle = None;
                }
            }
        }
        Ok(CheckinView { checkin, messages })
    }

    async fn visible_checkin(&self, who: &Identity, id: uuid::Uuid) -> Result<CheckinRecord> {
        let checkin = self.store.checkin(id).await.map_err(|e| match e {
            StoreError::NotFound => AppError::NotFound("check-in"),
            other => other.into(),
        })?;
        if checkin.member_id != who.id && who.role < Role::Moderator {
            return Err(AppError::NotFound("check-in"));
        }
        Ok(checkin)
    }

    /// Sends a message in a check-in: the member in their own, staff in any. The rules read it
    /// like any text: a rejected one is refused, an urgent one opens a crisis.
    pub async fn send_checkin_message(
        &self,
        who: &Identity,
        id: uuid::Uuid,
        body: &str,
    ) -> Result<(CheckinMessageRecord, crate::Moderation)> {
        who.require(Action::ReadForum)?;
        let checkin = self.visible_checkin(who, id).await?;
        let text = checkin_text(body)?;
        let from_staff = who.role >= Role::Moderator && checkin.member_id != who.id;
        let verdict = self.moderate(who, TextKind::Chat, &text, None).await?;
        if verdict.outcome == Outcome::Reject {
            return Err(AppError::RuleRejected(Box::new(verdict)));
        }
        let now = self.now();
        let stored = self
            .store
            .add_checkin_message(NewCheckinMessage {
                checkin_id: id,
                author_id: who.id,
                from_staff,
                body_html: render_markdown(&text),
                body_source: text,
                verdict: serde_json::to_string(&verdict)
                    .map_err(|e| AppError::Internal(e.to_string()))?,
                now,
            })
            .await;
        let message_id = match stored {
            Ok(m) => m,
            Err(StoreError::Conflict { .. }) => {
                return Err(AppError::Conflict {
                    code: "checkin_closed",
                    message: "this check-in has been closed".to_owned(),
                });
            }
            Err(StoreError::NotFound) => return Err(AppError::NotFound("check-in")),
            Err(e) => return Err(e.into()),
        };
        self.audit(
            Some(who.id),
            "checkin_message_sent",
            "checkin",
            Some(id.to_string()),
            None,
        )
        .await?;
        if from_staff {
            self.tell_of_checkin(checkin.member_id, now).await;
        } else {
            self.crisis_from_rules(&verdict, who.id, CrisisWhere::Checkin(id))
                .await;
        }
        self.announce_checkin(id).await;
        let view = self.checkin(who, id).await?;
        let message = view
            .messages
            .into_iter()
            .find(|m| m.id == message_id)
            .ok_or(AppError::Internal(
                "a stored check-in message vanished".to_owned(),
            ))?;
        Ok((message, crate::Moderation::from_verdict(&verdict)))
    }

    /// Staff close a check-in; the member can still read it but not answer.
    pub async fn close_checkin(&self, who: &Identity, id: uuid::Uuid) -> Result<CheckinView> {
        who.require(Action::ModerateQueue)?;
        match self.store.close_checkin(id, self.now()).await {
            Ok(()) => {}
            Err(StoreError::NotFound) => return Err(AppError::NotFound("check-in")),
            Err(StoreError::Conflict { .. }) => {
                return Err(AppError::Conflict {
                    code: "checkin_closed",
                    message: "this check-in is already closed".to_owned(),
                });
            }
            Err(e) => return Err(e.into()),
        }
        self.audit(
            Some(who.id),
            "checkin_closed",
            "checkin",
            Some(id.to_string()),
            None,
        )
        .await?;
        self.announce_checkin(id).await;
        self.checkin(who, id).await
    }
}

impl App {
    /// Tells a member the moderators wrote to them (the kind only on the socket; the words are
    /// read over REST).
    async fn tell_of_checkin(&self, member: MemberId, at: chrono::DateTime<chrono::Utc>) {
        self.notify(NewNotification {
            member_id: member,
            kind: "checkin",
            thread_id: None,
            post_id: None,
            message: Some("The moderators have sent you a private check-in message.".to_owned()),
            at,
        })
        .await;
    }

    /// Tells staff screens that a check-in changed (ids only).
    async fn announce_checkin(&self, id: uuid::Uuid) {
        self.publish_quietly(
            Topic::ModQueue,
            json!({"kind": "checkin_updated", "checkin_id": id.to_string()}),
        )
        .await;
    }
}

fn already_handled() -> AppError {
    AppError::Conflict {
        code: "already_handled",
        message: "another moderator has already resolved or escalated this".to_owned(),
    }
}
