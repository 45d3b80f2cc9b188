//! Sign-in sessions as the realtime layer sees them: a socket belongs to the session it was
//! opened with, and closes, on every instance, when that session ends for any reason (sign-out,
//! a password change or reset, idle or absolute expiry, a sanction, erasure).
//!
//! Ends that happen by an action (sign-out, password change) close the session's sockets
//! through the bus at once. Ends that happen by the clock (idle or absolute expiry) are found
//! by [`App::sweep_socket_sessions`], which each instance runs every second over its own
//! sockets: only sessions whose expiry has come are looked up, so an idle forum costs nothing.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use hearth_core::ids::MemberId;
use hearth_realtime::{CloseReason, SessionBinding};
use sha2::{Digest, Sha256};

use crate::{App, AppError, Identity, Result};

/// The session data key naming the signed-in member.
pub const SESSION_MEMBER: &str = "member_id";
/// The session data key holding when the member signed in (seconds since the epoch), for the
/// absolute lifetime.
pub const SESSION_SIGNED_IN_AT: &str = "signed_in_at";

/// The session data key naming a member whose password was right but whose second factor is
/// still to come: a pending sign-in, which reaches nothing but the second step.
pub const SESSION_PENDING: &str = "pending_member_id";
/// The session data key holding when the pending sign-in began (seconds since the epoch).
pub const SESSION_PENDING_AT: &str = "pending_at";
/// The session data key holding when the session last confirmed its person (seconds since the
/// epoch): at sign-in, and at each step-up confirmation.
pub const SESSION_CONFIRMED_AT: &str = "confirmed_at";

/// How long before its idle expiry a session used on a socket is slid on, in seconds.
const SLIDE_AHEAD_SECS: i64 = 60;

/// The opaque tag of a session: what crosses the bus to close its sockets. A digest, so the
/// session id (the cookie's secret) never leaves this process.
pub fn session_tag(session_id: &str) -> String {
    let digest = Sha256::digest(session_id.as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// What a sign-in session amounts to now. One check for every caller: the HTTP identity
/// extractor and the realtime socket ask the same question and get the same answer.
#[derive(Clone, Debug)]
pub enum SessionCheck {
    /// No such session, or past its idle expiry (its row is gone or stale).
    Missing,
    /// A session with nobody signed in to it.
    Anonymous,
    /// Signed in once, but over now: past its absolute lifetime, or its member is no longer
    /// active (suspended, banned, erased). The caller should end it.
    Ended,
    /// Signed in and standing.
    Live {
        /// The signed-in person, as loaded with the session.
        who: Identity,
        /// When the session's idle expiry falls, unless it is used again.
        expires_at: DateTime<Utc>,
        /// When it must be looked at again: its idle expiry or absolute end, whichever is
        /// sooner.
        ends_at: DateTime<Utc>,
    },
}

impl App {
    /// What the session `session_id` amounts to now, by this application's clock: the session
    /// and its member in one query, the absolute lifetime, and the member's standing.
    pub async fn check_session(&self, session_id: &str) -> Result<SessionCheck> {
        let now = self.now();
        let Some((row, member_row)) = self.store.load_session_with_member(session_id, now).await?
        else {
            return Ok(SessionCheck::Missing);
        };
        let data: HashMap<String, serde_json::Value> = serde_json::from_str(&row.data)
            .map_err(|e| AppError::Internal(format!("session data: {e}")))?;
        let named: Option<MemberId> = data
            .get(SESSION_MEMBER)
            .and_then(|v| serde_json::from_value(v.clone()).ok());
        let Some(member) = named else {
            return Ok(SessionCheck::Anonymous);
        };
        // The absolute lifetime: however active, a session ends this long after sign-in.
        let max = self.config.session_max_hours.saturating_mul(3600);
        let Some(signed_in_at) = data
            .get(SESSION_SIGNED_IN_AT)
            .and_then(|v| v.as_i64())
            .filter(|t| now.timestamp().saturating_sub(*t) <= max)
        else {
            return Ok(SessionCheck::Ended);
        };
        let end = DateTime::<Utc>::from_timestamp(signed_in_at.saturating_add(max), 0)
            .unwrap_or(row.expires_at);
        let who = match member_row {
            Some(m) if m.id == member => self.identity_of(m),
            // The row's member column disagrees with its data (not expected), or the account
            // is gone: look the member up as the data names them.
            _ => self.identify(member).await,
        };
        // Staff sessions may be shorter (`staff_session_idle_minutes`, `staff_session_max_hours`):
        // judged on the account's real role, before any holding back for want of a factor.
        if let Ok(w) = &who
            && crate::factors::is_staff(w.role, w.safeguarding_lead)
        {
            let now_s = now.timestamp();
            if let Some(hours) = self.config.staff_session_max_hours
                && now_s.saturating_sub(signed_in_at) > hours.saturating_mul(3600)
            {
                return Ok(SessionCheck::Ended);
            }
            if let Some(minutes) = self.config.staff_session_idle_minutes {
                // The row's expiry is its last use plus the general idle limit.
                let last_used =
                    row.expires_at - chrono::Duration::minutes(self.config.session_idle_minutes);
                if now - last_used > chrono::Duration::minutes(minutes) {
                    return Ok(SessionCheck::Ended);
                }
            }
        }
        let who = match who {
            Ok(mut who) => {
                who.confirmed_at = data.get(SESSION_CONFIRMED_AT).and_then(|v| v.as_i64());
                self.hold_back_staff_without_factor(&mut who).await?;
                Ok(who)
            }
            Err(e) => Err(e),
        };
        match who {
            Ok(who) => Ok(SessionCheck::Live {
                who,
                expires_at: row.expires_at,
                ends_at: end.min(row.expires_at),
            }),
            Err(AppError::Unauthenticated) => Ok(SessionCheck::Ended),
            Err(e) => Err(e),
        }
    }

    /// Staff who must have a second factor and have none are signed in as a member only, until
    /// they enrol: their role and lead flag are held back for this request.
    pub(crate) async fn hold_back_staff_without_factor(&self, who: &mut Identity) -> Result<()> {
        if self.factor_required_for(who.role, who.safeguarding_lead)
            && !self.store.has_factor(who.id).await?
        {
            who.role = hearth_core::policy::Role::Member;
            who.safeguarding_lead = false;
            who.second_factor_missing = true;
        }
        Ok(())
    }

    /// The person signed in to `session_id` and when to look again, if the session stands.
    async fn live_session(&self, session_id: &str) -> Result<Option<(Identity, DateTime<Utc>)>> {
        Ok(match self.check_session(session_id).await? {
            SessionCheck::Live { who, ends_at, .. } => Some((who, ends_at)),
            _ => None,
        })
    }

    /// The person signed in to `session_id`, if the session still stands (a socket asks before
    /// every `subscribe` and `say`).
    pub async fn session_identity(&self, session_id: &str) -> Result<Option<Identity>> {
        Ok(self.live_session(session_id).await?.map(|(who, _)| who))
    }

    /// What a socket opened with `session_id` is bound to, or `None` if that session does not
    /// stand (the upgrade is then refused as not signed in).
    pub async fn socket_binding(&self, session_id: &str) -> Result<Option<SessionBinding>> {
        Ok(self
            .live_session(session_id)
            .await?
            .map(|(_, ends_at)| SessionBinding {
                tag: Arc::from(session_tag(session_id)),
                id: Arc::from(session_id),
                check_at: ends_at.timestamp(),
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
    /// member active over HTTP slides their session). A session whose member acted on a socket
    /// (subscribed, said something) since its last look is slid on here, in the last minute
    /// before it would run out: one write per idle period, not one per message. Run every
    /// second by the server. Answers how many sockets closed.
    pub async fn sweep_socket_sessions(&self) -> Result<usize> {
        let hub = self.bus.hub();
        let now = self.now();
        let mut closed = 0;
        for due in hub.sessions_due(now.timestamp(), SLIDE_AHEAD_SECS) {
            let (tag, id) = (due.tag, due.id);
            if due.active {
                let until = now + chrono::Duration::minutes(self.config.session_idle_minutes);
                self.store.slide_session(&id, now, until).await?;
            }
            match self.live_session(&id).await? {
                Some((_, ends_at)) => hub.renew_session(&tag, ends_at.timestamp()),
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
