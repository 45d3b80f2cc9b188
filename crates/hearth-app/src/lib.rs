//! Hearth's use cases. Every caller (HTTP handlers, the websocket, the command line) goes
//! through [`App`], which checks permission, validates, (later) moderates, stores, and records
//! an audit line, in that order.
//!
//! This crate knows nothing of HTTP: it answers [`AppError`]s, which the server maps to statuses
//! in one place. It reads the time only through its [`Clock`], so tests can fix or move time.
#![forbid(unsafe_code)]

pub mod access;
mod accounts;
mod admin;
mod comforts;
mod content;
mod crisis;
mod error;
mod everyday;
pub mod factors;
mod held_chat;
pub mod limits;
mod moderation;
mod operations;
mod passwords;
pub mod read_model;
mod realtime;
mod recovery;
mod rights;
mod safeguarding;
mod secrets;
pub mod sessions;
mod setup;
pub mod stepup;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use hearth_core::ids::MemberId;
use hearth_core::policy::{self, Action, Actor, Role, Standing};
use hearth_store::Store;

pub use accounts::{ApplicationInput, ApplyOutcome, HANDLE_IDENTIFIES_MESSAGE, UNDER_AGE_MESSAGE};
pub use admin::{MemberPatch, Sanction};
pub use comforts::{MAX_SEARCH_CHARS, MAX_SEARCH_PAGE, Profile, SearchInput, SearchPage};
pub use content::{
    BOARD_TEXT_REFUSED, BoardPatch, HELD_MESSAGE, Moderation, NOTE_CRISIS_MESSAGE, Sent,
};
pub use crisis::{CHECKIN_MESSAGE_MAX, CheckinView, CrisisStep, CrisisView, CrisisWhere};
pub use error::{AppError, Result, SOMETHING_WENT_WRONG};
pub use everyday::{MAX_MENTION_PREFIX, MAX_MENTION_SUGGESTIONS};
pub use hearth_store::BoardActivity;
pub use hearth_store::ConcernRecord;
pub use hearth_store::ThreadCursor;
pub use hearth_store::records::{
    ApplicationRecord, AuditEntry, BoardRecord, InviteRecord, MemberRecord, NotificationRecord,
    PostRecord, QueueItemRecord, ThreadRecord,
};
pub use hearth_store::records::{MessageRecord, RoomRecord};
pub use hearth_store::{AccessFilter, AccessRecord};
pub use hearth_store::{CheckinMessageRecord, CheckinRecord, CrisisRecord};
pub use hearth_store::{FollowedThread, PostReactions, ProfileRecord, SearchHit};
pub use held_chat::{held_message_view, history_extras};
pub use moderation::{QueueVerdict, ReasonInput, RulesReloadError, ThreadAction, WaitingCounts};
pub use operations::{MetricsSnapshot, Readiness};
pub use realtime::{
    AppSocketHandler, RoomState, StoreHooks, message_view, post_event_view, thread_event_view,
};
pub use recovery::{Mailer, RESET_SUBJECT, RecoveryOptions, reset_email_body};
pub use rights::erase_posts_choice;
pub use safeguarding::{CONCERN_CATEGORIES, CONCERN_DECISIONS};

/// Where the current time comes from. Production uses the system clock; tests pass a clock
/// they can move, so suspensions and expiries are tested without sleeping.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(Utc::now)
}

/// Settings the use cases need (a slice of the server's configuration).
#[derive(Clone, Debug)]
pub struct AppConfig {
    /// How long an under-18 refusal is remembered (as a salted hash of the email).
    pub age_refusal_days: i64,
    /// How long an invite link works.
    pub invite_hours: i64,
    /// The origin browsers use, for links printed in logs and answers.
    pub public_url: String,
    /// The moderation rules file, re-read on reload.
    pub rules_path: std::path::PathBuf,
    /// Minutes a queue item may wait before moderators are alerted.
    pub queue_alert_minutes: i64,
    /// Days notifications are kept.
    pub notification_retention_days: i64,
    /// Days realtime events are kept for reconnecting clients.
    pub event_retention_days: i64,
    /// Hours a password-reset link works.
    pub reset_link_hours: i64,
    /// Hours within which a safeguarding lead should respond to a concern.
    pub concern_response_hours: i64,
    /// Days a decided safeguarding concern is kept.
    pub concern_retention_days: i64,
    /// Minutes within which a moderator should respond to the urgent (crisis) lane.
    pub crisis_deadline_minutes: i64,
    /// Days a handled crisis and a closed check-in are kept.
    pub crisis_retention_days: i64,
    /// Hours a sign-in session lasts however active (its absolute lifetime).
    pub session_max_hours: i64,
    /// Minutes a sign-in session lasts without use (HTTP requests and socket actions slide it).
    pub session_idle_minutes: i64,
    /// Whether moderators, admins and safeguarding leads must have a second factor before they
    /// can act as staff (`HEARTH_STAFF_SECOND_FACTOR`).
    pub staff_second_factor: factors::StaffSecondFactor,
    /// Days the access log (staff reads of restricted records) is kept.
    pub access_log_retention_days: i64,
    /// Minutes a moderator's, admin's or lead's session lasts unused, if shorter than
    /// `session_idle_minutes` (`None`: the same as everyone's; 30 by default, since a staff
    /// session left open on a shared device opens what is held).
    pub staff_session_idle_minutes: Option<i64>,
    /// Hours a staff session lasts however active, if shorter than `session_max_hours` (12 by
    /// default: an evening shift).
    pub staff_session_max_hours: Option<i64>,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            age_refusal_days: 30,
            invite_hours: 72,
            public_url: "http://127.0.0.1:8080".to_owned(),
            rules_path: std::path::PathBuf::from("moderation-rules.toml"),
            queue_alert_minutes: 120,
            notification_retention_days: 90,
            event_retention_days: 7,
            reset_link_hours: 24,
            concern_response_hours: 24,
            concern_retention_days: 730,
            crisis_deadline_minutes: 15,
            crisis_retention_days: 90,
            session_max_hours: 24 * 7,
            session_idle_minutes: 120,
            staff_second_factor: factors::StaffSecondFactor::Required,
            access_log_retention_days: 365,
            staff_session_idle_minutes: Some(30),
            staff_session_max_hours: Some(12),
        }
    }
}

/// The signed-in person making a request, as loaded fresh from storage for that request.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Identity {
    /// Their account.
    pub id: MemberId,
    /// Their handle.
    pub handle: String,
    /// Their role.
    pub role: Role,
    /// Their standing now.
    pub standing: Standing,
    /// Whether they are a safeguarding lead.
    pub safeguarding_lead: bool,
    /// Staff who must have a second factor and have none: signed in as a member only (`role`
    /// is `Member` and `safeguarding_lead` false for this request), and every staff action
    /// answers 403 `second_factor_required` until they enrol.
    pub second_factor_missing: bool,
    /// When this session last confirmed its person (a second factor, or the password for
    /// members without one), seconds since the epoch; sensitive actions ask for one recently.
    pub confirmed_at: Option<i64>,
}

impl Identity {
    /// The policy's view of this person.
    pub fn actor(&self) -> Actor {
        Actor {
            role: self.role,
            standing: self.standing,
        }
    }

    /// Checks the policy, turning a refusal into an [`AppError`].
    pub fn require(&self, action: Action) -> Result<()> {
        if self.second_factor_missing && policy::required_role(action) > Role::Member {
            return Err(factors::second_factor_required());
        }
        policy::authorize(self.actor(), action).map_err(AppError::from)
    }
}

/// The application: storage, clock, configuration and server secrets, shared by every request.
#[derive(Clone)]
pub struct App {
    store: Store,
    clock: Clock,
    config: AppConfig,
    secrets: Arc<secrets::Secrets>,
    passwords: passwords::Passwords,
    /// The rules in force. Readers clone the inner `Arc` under a brief read lock; a reload
    /// swaps it under the write lock, so a reload never waits for a moderation to finish.
    rules: Arc<std::sync::RwLock<Arc<hearth_core::moderation::RuleSet>>>,
    /// Carries events to this instance's sockets and, with Redis, to every other instance.
    bus: hearth_realtime::Bus,
    /// Sends email, when the server is configured for SMTP.
    mailer: Option<Arc<dyn recovery::Mailer>>,
    /// Rate limits (in memory by default; the server swaps in Redis with `REDIS_URL`).
    limits: limits::Limits,
}

impl App {
    /// Builds the application over a migrated store and checked rules. Loads (or on first
    /// start, creates) the server's secrets.
    pub async fn new(
        store: Store,
        clock: Clock,
        config: AppConfig,
        rules: hearth_core::moderation::RuleSet,
        bus: hearth_realtime::Bus,
    ) -> Result<App> {
        let secrets = Arc::new(secrets::Secrets::load_or_create(&store).await?);
        let passwords = passwords::Passwords::new()?;
        let rules = Arc::new(std::sync::RwLock::new(Arc::new(rules)));
        let limits_config = limits::LimitsConfig::default();
        let limits = limits::Limits::new(
            limits_config.clone(),
            Arc::new(limits::MemoryLimits::new(
                &limits_config,
                Arc::clone(&clock),
            )),
        );
        Ok(App {
            store,
            clock,
            config,
            secrets,
            passwords,
            rules,
            bus,
            mailer: None,
            limits,
        })
    }

    /// The store, for the server's session layer and readiness checks.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The time now, by this application's clock.
    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    /// This application's clock, for the server's session store, so that session expiry is
    /// counted by the same clock as everything else (and tests can move it).
    pub fn clock(&self) -> Clock {
        Arc::clone(&self.clock)
    }

    /// The configuration in force.
    pub fn config(&self) -> &AppConfig {
        &self.config
    }

    /// Loads the person behind a session. A member who is no longer active (suspended, banned,
    /// erased) gets `Unauthenticated`, so their session stops working at once.
    pub async fn identify(&self, id: MemberId) -> Result<Identity> {
        let mut who = match self.store.member(id).await {
            Ok(m) => self.identity_of(m)?,
            Err(hearth_store::StoreError::NotFound) => return Err(AppError::Unauthenticated),
            Err(e) => return Err(e.into()),
        };
        self.hold_back_staff_without_factor(&mut who).await?;
        Ok(who)
    }

    /// The person behind a member row just read (with their session, in one query): as
    /// [`App::identify`], `Unauthenticated` unless they are active now.
    pub fn identity_of(&self, member: hearth_store::records::MemberRecord) -> Result<Identity> {
        let standing = member
            .standing
            .effective(member.suspended_until, self.now());
        if standing != Standing::Active {
            return Err(AppError::Unauthenticated);
        }
        Ok(Identity {
            id: member.id,
            handle: member.handle,
            role: member.role,
            standing,
            safeguarding_lead: member.safeguarding_lead,
            second_factor_missing: false,
            confirmed_at: None,
        })
    }

    async fn audit(
        &self,
        actor: Option<MemberId>,
        action: &str,
        target_kind: &str,
        target_id: Option<String>,
        reason: Option<String>,
    ) -> Result<()> {
        self.store
            .append_audit(hearth_store::records::NewAudit {
                actor,
                action: action.to_owned(),
                target_kind: target_kind.to_owned(),
                target_id,
                reason,
                at: self.now(),
            })
            .await?;
        Ok(())
    }
}
