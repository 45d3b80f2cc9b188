//! Members' everyday comforts (issue 14 item 8): unread counts and latest activity per board,
//! the first unread post of a thread, @mention completion, and the welcome on a member's first
//! sign-in.
//!
//! Each answers only what the reader may see already: counts cover the boards they may read
//! and published posts only; completion offers only active members' handles, which anyone
//! signed in can already find on their profiles and posts.

use hearth_core::ids::{MemberId, PostId, ThreadId};
use hearth_core::policy::Action;
use hearth_store::BoardActivity;

use crate::{App, AppError, Identity, Result};

/// Most handles offered for one prefix.
pub const MAX_MENTION_SUGGESTIONS: u64 = 8;

/// Longest prefix asked about: a handle's own longest length.
pub const MAX_MENTION_PREFIX: usize = 32;

impl App {
    /// For each board `who` may read, in the boards' order: how many threads have something
    /// they have not read, and when the board last had activity.
    pub async fn board_activity(&self, who: &Identity) -> Result<Vec<BoardActivity>> {
        let boards: Vec<_> = self.boards(who).await?.into_iter().map(|b| b.id).collect();
        Ok(self.store.board_activity(who.id, &boards).await?)
    }

    /// The first post of a thread newer than the reader's read marker as it stood before this
    /// visit (`before`), or `None` if they never opened it or have read it all.
    pub(crate) async fn first_unread(
        &self,
        reader: MemberId,
        thread: ThreadId,
        before: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<Option<PostId>> {
        match before {
            Some(at) => Ok(self.store.first_unread_post(thread, reader, at).await?),
            None => Ok(None),
        }
    }

    /// Handles of active members starting with `prefix`, for @mention completion. Signed-in
    /// members only; the prefix must be what a handle may hold (letters, digits, `_`, `-`,
    /// `.`), so nothing odd reaches the query. Never pending applicants, suspended, banned or
    /// erased accounts.
    pub async fn mention_suggestions(&self, who: &Identity, prefix: &str) -> Result<Vec<String>> {
        who.require(Action::ReadForum)?;
        let prefix = prefix.trim();
        let prefix = prefix.strip_prefix('@').unwrap_or(prefix);
        if prefix.is_empty() || prefix.chars().count() > MAX_MENTION_PREFIX {
            return Err(AppError::invalid(
                "prefix",
                format!("type 1 to {MAX_MENTION_PREFIX} letters of a handle"),
            ));
        }
        if !prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        {
            return Err(AppError::invalid(
                "prefix",
                "a handle holds only letters, digits, '_', '-' and '.'",
            ));
        }
        Ok(self
            .store
            .handles_starting_with(prefix, MAX_MENTION_SUGGESTIONS, self.now())
            .await?)
    }

    /// Whether `who` should be shown the welcome (their first sign-in, until they put it away).
    pub async fn welcome_due(&self, who: &Identity) -> Result<bool> {
        who.require(Action::ManageOwnAccount)?;
        Ok(self.store.welcome_due(who.id).await?)
    }

    /// Puts the welcome away for good, on every device.
    pub async fn dismiss_welcome(&self, who: &Identity) -> Result<()> {
        who.require(Action::ManageOwnAccount)?;
        self.store.mark_welcomed(who.id, self.now()).await?;
        Ok(())
    }
}

impl App {
    /// A member reports a chat message they can see (published, someone else's) for the
    /// moderators to look at, with one of the fixed reasons. One report per member per message;
    /// a message they cannot see is "not found", whatever it is. Its author is never told who.
    pub async fn report_message(
        &self,
        who: &Identity,
        id: hearth_core::ids::MessageId,
        reason: &str,
    ) -> Result<()> {
        use hearth_core::content::{PostStatus, REPORT_REASONS};
        who.require(Action::ReportPost)?;
        let message = match self.store.message(id).await {
            Ok(m) => m,
            Err(hearth_store::StoreError::NotFound) => return Err(AppError::NotFound("message")),
            Err(e) => return Err(e.into()),
        };
        let mine = message.author_id == Some(who.id);
        if message.status != PostStatus::Published && !mine {
            return Err(AppError::NotFound("message"));
        }
        if mine {
            return Err(AppError::Conflict {
                code: "own_message",
                message: "you cannot report your own message".to_owned(),
            });
        }
        if message.status != PostStatus::Published {
            return Err(AppError::NotFound("message"));
        }
        if !REPORT_REASONS.contains(&reason) {
            return Err(AppError::invalid(
                "reason",
                format!("reason must be one of: {}", REPORT_REASONS.join(", ")),
            ));
        }
        match self
            .store
            .report_message(id, who.id, reason, self.now())
            .await
        {
            Err(hearth_store::StoreError::Conflict { .. }) => Err(AppError::Conflict {
                code: "already_reported",
                message: "you have already reported this message; the moderators will look at it"
                    .to_owned(),
            }),
            Err(e) => Err(e.into()),
            Ok(()) => {
                let event = serde_json::json!({"kind": "message_reported", "message_id": id.to_string(), "room_id": message.room_id.to_string()});
                self.publish_quietly(hearth_realtime::Topic::ModQueue, event)
                    .await;
                Ok(())
            }
        }
    }

    /// Chat messages with open reports, for the moderators' queue: the message as it stands
    /// (its text included), its room, and the reasons given (never by whom).
    pub async fn reported_messages(&self, who: &Identity) -> Result<Vec<serde_json::Value>> {
        who.require(Action::ModerateQueue)?;
        let rooms = self.store.list_rooms().await?;
        Ok(self
            .store
            .reported_messages(100)
            .await?
            .into_iter()
            .map(|r| {
                let room = rooms
                    .iter()
                    .find(|x| x.id == r.message.room_id)
                    .map(|x| x.name.clone())
                    .unwrap_or_default();
                let mut view = crate::message_view(&r.message);
                view["body"] = serde_json::json!(r.message.body);
                serde_json::json!({
                    "message": view,
                    "room": {"id": r.message.room_id.to_string(), "name": room},
                    "reasons": r.reasons,
                    "first_reported_at": r.first_reported_at,
                })
            })
            .collect())
    }

    /// A moderator decides a reported chat message: `remove` takes it out of the room for
    /// everyone (its author is told, with the reason), otherwise it stays. Either way its open
    /// reports close. A second decision is a 409.
    pub async fn decide_reported_message(
        &self,
        who: &Identity,
        id: hearth_core::ids::MessageId,
        remove: bool,
        reason: Option<String>,
    ) -> Result<()> {
        who.require(Action::ModerateQueue)?;
        let reason = reason
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty());
        if remove && reason.as_ref().is_none_or(|r| r.chars().count() > 1000) {
            return Err(AppError::invalid(
                "reason",
                "please give the author a reason (at most 1000 characters)",
            ));
        }
        let message = match self.store.message(id).await {
            Ok(m) => m,
            Err(hearth_store::StoreError::NotFound) => return Err(AppError::NotFound("message")),
            Err(e) => return Err(e.into()),
        };
        let closed = self
            .store
            .decide_message_reports(id, remove, self.now())
            .await?;
        if closed == 0 {
            return Err(AppError::Conflict {
                code: "already_decided",
                message: "another moderator has already decided this message".to_owned(),
            });
        }
        if remove {
            // The room's readers get the tombstone: the read model renders the reference as
            // `message_withdrawn` now that the message is no longer published.
            self.publish_quietly(
                hearth_realtime::Topic::Room(message.room_id),
                crate::realtime::message_ref(id),
            )
            .await;
            if let Some(author) = message.author_id {
                self.notify(hearth_store::records::NewNotification {
                    member_id: author,
                    kind: "message_removed",
                    thread_id: None,
                    post_id: None,
                    message: reason.clone(),
                    at: self.now(),
                })
                .await;
            }
        }
        let event =
            serde_json::json!({"kind": "message_report_decided", "message_id": id.to_string()});
        self.publish_quietly(hearth_realtime::Topic::ModQueue, event)
            .await;
        self.audit(
            Some(who.id),
            if remove {
                "chat_message_removed"
            } else {
                "chat_report_dismissed"
            },
            "message",
            Some(id.to_string()),
            reason,
        )
        .await?;
        Ok(())
    }
}
