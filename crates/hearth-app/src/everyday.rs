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
