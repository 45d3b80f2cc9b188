//! Sign-in sessions as the realtime layer sees them: a socket belongs to the session it was
//! opened with, and closes, on every instance, when that session ends for any reason (sign-out,
//! a password change or reset, idle or absolute expiry, a sanction, erasure).
//!
//! Ends that happen by an action (sign-out, password change) close the session's sockets
//! through the bus at once. Ends that happen by the clock (idle or absolute expiry) are found
//! by [`App::sweep_socket_sessions`], which each instance runs every second over its own
//! sockets: only sessions whose expiry has come are looked up, so an idle forum costs nothing.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use hearth_core::ids::MemberId;
use hearth_core::policy::Standing;
use hearth_realtime::{CloseReason, SessionBinding};
use sha2::{Digest, Sha256};

use crate::{App, Result};

/// The session data key naming the signed-in member.
pub const SESSION_MEMBER: &str = "member_id";
/// The session data key holding when the member signed in (seconds since the epoch), for the
/// absolute lifetime.
pub const SESSION_SIGNED_IN_AT: &str = "signed_in_at";

/// The opaque tag of a session: what crosses the bus to close its sockets. A digest, so the
/// session id (the cookie's secret) never leaves this process.
pub fn session_tag(session_id: &str) -> String {
    let digest = Sha256::digest(session_id.as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// A live session: whose it is and when it must be looked at again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveSession {
    /// The signed-in member.
    pub member: MemberId,
    /// When it runs out unless renewed: its idle expiry or its absolute end, whichever is
    /// sooner.
    pub ends_at: DateTime<Utc>,
}

impl App {
    /// The session `session_id` if it still stands now: not signed out, not past its idle
    /// expiry or absolute lifetime, and its member still active. `None` otherwise.
    pub async fn live_session(&self, session_id: &str) -> Result<Option<LiveSession>> {
        let now = self.now();
        let Some((row, member)) = self.store.load_session_with_member(session_id, now).await?
        else {
            return Ok(None);
        };
        let data: serde_json::Value =
            serde_json::from_str(&row.data).unwrap_or(serde_json::Value::Null);
        let named: Option<MemberId> = data
            .get(SESSION_MEMBER)
            .and_then(|v| serde_json::from_value(v.clone()).ok());
        let Some(signed_in_at) = data.get(SESSION_SIGNED_IN_AT).and_then(|v| v.as_i64()) else {
            return Ok(None);
        };
        let Some(end) = DateTime::<Utc>::from_timestamp(
            signed_in_at.saturating_add(self.config.session_max_hours.saturating_mul(3600)),
            0,
        ) else {
            return Ok(None);
        };
        let Some(member) = member.filter(|m| Some(m.id) == named) else {
            return Ok(None);
        };
        if end <= now || member.standing.effective(member.suspended_until, now) != Standing::Active
        {
            return Ok(None);
        }
        Ok(Some(LiveSession {
            member: member.id,
            ends_at: end.min(row.expires_at),
        }))
    }

    /// What a socket opened with `session_id` is bound to, or `None` if that session does not
    /// stand (the upgrade is then refused as not signed in).
    pub async fn socket_binding(&self, session_id: &str) -> Result<Option<SessionBinding>> {
        Ok(self
            .live_session(session_id)
            .await?
            .map(|live| SessionBinding {
                tag: Arc::from(session_tag(session_id)),
                id: Arc::from(session_id),
                check_at: live.ends_at.timestamp(),
            }))
    }

    /// Closes the sockets of one session on every instance (sign-out).
    pub async fn end_socket_session(&self, session_id: &str, why: &str) {
        if let Err(e) = self
            .bus
            .disconnect_session(&session_tag(session_id), CloseReason::revoked(why))
            .await
        {
            tracing::warn!(error = %e, "could not tell other instances a session ended");
        }
    }

    /// Closes a member's sockets on every instance except those of `keep` (the session that
    /// changed the password).
    pub async fn end_other_socket_sessions(&self, member: MemberId, keep: Option<&str>, why: &str) {
        let keep = keep.map(session_tag);
        if let Err(e) = self
            .bus
            .disconnect_member_except(member, keep.as_deref(), CloseReason::revoked(why))
            .await
        {
            tracing::warn!(error = %e, "could not tell other instances to close sockets");
        }
    }

    /// Looks at every session with a socket on this instance whose expiry has come: closes the
    /// sockets of those that ended, and moves the next look of those that were renewed (a
    /// member active over HTTP slides their session). Run every second by the server. Answers
    /// how many sockets closed.
    pub async fn sweep_socket_sessions(&self) -> Result<usize> {
        let hub = self.bus.hub();
        let mut closed = 0;
        for (tag, id) in hub.sessions_due(self.now().timestamp()) {
            match self.live_session(&id).await? {
                Some(live) => hub.renew_session(&tag, live.ends_at.timestamp()),
                None => {
                    closed += hub.disconnect_session(
                        &tag,
                        CloseReason::revoked("your session has ended: please sign in again"),
                    );
                }
            }
        }
        Ok(closed)
    }
}
