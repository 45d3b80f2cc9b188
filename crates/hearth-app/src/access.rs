//! The access log (issue 16): a record of every staff read of a held item, a safeguarding
//! concern, a member's admin view, an application or an export: who, what kind, which id and
//! when, never the content. Admins read it (filtered); it is kept for
//! `access_log_retention_days` and then deleted by the retention job.

use hearth_core::policy::Action;
use hearth_store::{AccessFilter, AccessRecord};

use crate::{App, Identity, Result};

/// Kinds of record whose reads are logged.
pub const ACCESS_KINDS: [&str; 5] = ["held_item", "concern", "member", "application", "export"];

impl App {
    /// Records that `who` read the records `ids` of `kind`. A failure to record is an error:
    /// a read that cannot be logged is not answered.
    pub(crate) async fn record_reads(
        &self,
        who: &Identity,
        kind: &'static str,
        ids: Vec<Option<String>>,
    ) -> Result<()> {
        Ok(self
            .store
            .record_access(who.id, kind, ids, self.now())
            .await?)
    }

    /// The access log, newest first (admins).
    pub async fn access_log(
        &self,
        who: &Identity,
        filter: AccessFilter,
    ) -> Result<Vec<AccessRecord>> {
        who.require(Action::ManageMembers)?;
        if let Some(kind) = &filter.kind
            && !ACCESS_KINDS.contains(&kind.as_str())
        {
            return Err(crate::AppError::invalid(
                "kind",
                format!("kind must be one of {}", ACCESS_KINDS.join(", ")),
            ));
        }
        Ok(self.store.access_log(&filter).await?)
    }
}
