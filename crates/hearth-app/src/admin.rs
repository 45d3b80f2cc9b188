//! What admins (and, for suspension, moderators) do to accounts: decide applications, change
//! roles and standing, issue invites. Every action is checked against the policy and lands in
//! the audit log.

use chrono::{DateTime, Duration, Utc};
use hearth_core::ids::{ApplicationId, InviteId, MemberId};
use hearth_core::policy::{self, Action, Role, StaffAction, Standing, Target};
use hearth_store::records::{ApplicationRecord, AuditEntry, InviteRecord, MemberRecord};
use hearth_store::{ApplicationDecision, StandingChange, StoreError};

use crate::secrets::{random_token, token_hash};
use crate::{App, AppError, Identity, Result};

/// Longest reason an admin or moderator may give, in characters.
pub const REASON_MAX: usize = 1000;
/// Longest suspension, in days. Longer than this is a ban.
pub const SUSPENSION_MAX_DAYS: i64 = 365;

/// How many invites Admin > Invites lists (the newest): enough for a small charity's year.
pub const INVITES_LISTED: u64 = 200;

/// A change to a member's role.
#[derive(Clone, Debug, Default)]
pub struct MemberPatch {
    /// The new role, if it changes.
    pub role: Option<Role>,
}

/// A sanction on a member's standing.
#[derive(Clone, Debug)]
pub enum Sanction {
    /// Suspend until a time, with a reason.
    Suspend {
        /// When the suspension ends by itself.
        until: DateTime<Utc>,
        /// Why (the member sees this when they try to sign in).
        reason: String,
    },
    /// Close the account, with a reason.
    Ban {
        /// Why.
        reason: String,
    },
    /// Lift a suspension or ban.
    Reinstate,
}

fn reason(field: &'static str, text: &str, required: bool) -> Result<Option<String>> {
    let text = text.trim();
    if text.is_empty() {
        return if required {
            Err(AppError::invalid(field, "please give a reason"))
        } else {
            Ok(None)
        };
    }
    if text.chars().count() > REASON_MAX {
        return Err(AppError::invalid(
            field,
            "a reason can be at most 1000 characters",
        ));
    }
    Ok(Some(text.to_owned()))
}

impl App {
    /// Applications waiting for a decision, oldest first.
    pub async fn pending_applications(&self, who: &Identity) -> Result<Vec<ApplicationRecord>> {
        who.require(Action::DecideApplications)?;
        let list = self.store.list_applications("pending", 500).await?;
        self.record_reads(
            who,
            "application",
            list.iter().map(|a| Some(a.id.to_string())).collect(),
        )
        .await?;
        Ok(list)
    }

    /// Approves an application. `confirm_adult` must be true: the admin confirms that, as far
    /// as they can tell, the applicant is 18 or over. That confirmation is recorded.
    pub async fn approve_application(
        &self,
        who: &Identity,
        id: ApplicationId,
        confirm_adult: bool,
    ) -> Result<ApplicationRecord> {
        who.require(Action::DecideApplications)?;
        if !confirm_adult {
            return Err(AppError::invalid(
                "confirm_adult",
                "approving needs confirm_adult: true, confirming the applicant is 18 or over",
            ));
        }
        let app = self.decide(id, &ApplicationDecision::Approve).await?;
        self.audit(
            Some(who.id),
            "application_approved",
            "application",
            Some(id.to_string()),
            None,
        )
        .await?;
        Ok(app)
    }

    /// Rejects an application with a reason the applicant will see.
    pub async fn reject_application(
        &self,
        who: &Identity,
        id: ApplicationId,
        why: &str,
    ) -> Result<ApplicationRecord> {
        who.require(Action::DecideApplications)?;
        let why = reason("reason", why, true)?.unwrap_or_default();
        let app = self
            .decide(
                id,
                &ApplicationDecision::Reject {
                    reason: why.clone(),
                },
            )
            .await?;
        self.audit(
            Some(who.id),
            "application_rejected",
            "application",
            Some(id.to_string()),
            Some(why),
        )
        .await?;
        Ok(app)
    }

    async fn decide(
        &self,
        id: ApplicationId,
        d: &ApplicationDecision,
    ) -> Result<ApplicationRecord> {
        let decided = self.store.decide_application(id, d, self.now()).await;
        if decided.is_ok() {
            // One fewer waiting, on every admin's screen.
            self.publish_quietly(
                hearth_realtime::Topic::Applications,
                serde_json::json!({"kind": "applications_changed"}),
            )
            .await;
        }
        match decided {
            Err(StoreError::NotFound) => Err(AppError::NotFound("application")),
            Err(StoreError::Conflict { what: "email" }) => Err(AppError::Conflict {
                code: "email_in_use",
                message: "this application's email is already used by another account, so it \
                          cannot be approved as it is: reject it with a reason the applicant \
                          will see (for example, to apply again with their own address)"
                    .to_owned(),
            }),
            Err(StoreError::Conflict { .. }) => Err(AppError::Conflict {
                code: "already_decided",
                message: "this application has already been decided".to_owned(),
            }),
            other => Ok(other?),
        }
    }

    /// Members (not applicants), by handle, cursor-paged by handle, as they stand now (an
    /// ended suspension shows as active).
    pub async fn list_members(
        &self,
        who: &Identity,
        after: Option<&str>,
        limit: u64,
    ) -> Result<Vec<MemberRecord>> {
        who.require(Action::ManageMembers)?;
        let now = self.now();
        let list: Vec<MemberRecord> = self
            .store
            .list_members(after, limit.clamp(1, 200))
            .await?
            .into_iter()
            .map(|m| m.as_of(now))
            .collect();
        self.record_reads(
            who,
            "member",
            list.iter().map(|m| Some(m.id.to_string())).collect(),
        )
        .await?;
        Ok(list)
    }

    /// Changes a member's role.
    pub async fn patch_member(
        &self,
        who: &Identity,
        id: MemberId,
        patch: MemberPatch,
    ) -> Result<MemberRecord> {
        who.require(Action::ManageMembers)?;
        // A role change is sensitive: a fresh confirmation of who is asking (step-up).
        if patch.role.is_some() {
            self.require_recent_confirmation(who)?;
        }
        let now = self.now();
        let target = self.target(id).await?.as_of(now);
        let mut member = target.clone();
        if let Some(role) = patch.role
            && role != target.role
        {
            self.may_act_on(who, StaffAction::ChangeRole, &target, now)?;
            member = self.store.set_role(id, role).await?.as_of(now);
            self.role_changed(id).await;
            self.audit(
                Some(who.id),
                "role_changed",
                "member",
                Some(id.to_string()),
                Some(format!("{} -> {}", target.role.as_str(), role.as_str())),
            )
            .await?;
        }
        Ok(member)
    }

    /// Checks the policy for a staff action on `target` as it stands at `now`
    /// ([`policy::may_act_on`]); answers the effective standing it was judged on.
    pub(crate) fn may_act_on(
        &self,
        who: &Identity,
        action: StaffAction,
        target: &MemberRecord,
        now: DateTime<Utc>,
    ) -> Result<Standing> {
        let standing = target.standing.effective(target.suspended_until, now);
        policy::may_act_on(
            who.actor(),
            action,
            Target {
                role: target.role,
                standing,
                is_self: who.id == target.id,
            },
        )?;
        Ok(standing)
    }

    /// Suspends, bans or reinstates a member. Suspension and ban end the member's sessions at
    /// once. Who may do which to whom is the policy's ([`policy::may_act_on`]): moderators may
    /// suspend active members only; bans, reinstatements and changes to a running suspension
    /// are for admins; nobody sanctions themselves. The change is made only if the account still
    /// stands as it did when it was decided.
    pub async fn sanction(
        &self,
        who: &Identity,
        id: MemberId,
        sanction: Sanction,
    ) -> Result<MemberRecord> {
        let action = match &sanction {
            Sanction::Suspend { .. } => StaffAction::Suspend,
            Sanction::Ban { .. } => StaffAction::Ban,
            Sanction::Reinstate => StaffAction::Reinstate,
        };
        who.require(action.permission())?;
        self.require_recent_confirmation(who)?;
        let target = self.target(id).await?;
        let now = self.now();
        let from_standing = self.may_act_on(who, action, &target, now)?;
        let (to, why, until) = match sanction {
            Sanction::Suspend { until, reason: why } => {
                if until <= now {
                    return Err(AppError::invalid(
                        "until",
                        "a suspension must end in the future",
                    ));
                }
                if until > now + Duration::days(SUSPENSION_MAX_DAYS) {
                    return Err(AppError::invalid(
                        "until",
                        "a suspension can last at most a year; use a ban for longer",
                    ));
                }
                (
                    Standing::Suspended,
                    reason("reason", &why, true)?,
                    Some(until),
                )
            }
            Sanction::Ban { reason: why } => {
                (Standing::Banned, reason("reason", &why, true)?, None)
            }
            Sanction::Reinstate => (Standing::Active, None, None),
        };
        let change = StandingChange {
            from_role: target.role,
            from_standing,
            to,
            reason: why.clone(),
            until,
            now,
        };
        let member = match self.store.change_standing(id, change).await {
            Err(StoreError::NotFound) => return Err(AppError::NotFound("member")),
            Err(StoreError::Conflict { .. }) => {
                return Err(AppError::Conflict {
                    code: "standing_changed",
                    message: "this account's role or standing changed meanwhile; look again \
                              before deciding"
                        .to_owned(),
                });
            }
            other => other?,
        };
        if member.standing != Standing::Active {
            // The sockets close first, saying why, then the sessions go (the account stopped
            // being active when the change was stored, so its sessions already answer 401: a
            // tab may hear that before its socket's close, and the client keeps listening for
            // the reason; see web-client/src/socket.ts).
            // The member's open tabs show why they were closed, and stop reconnecting: the close
            // says the standing and until when (machine-readable, well inside a close frame's
            // 123 bytes). The moderators' words stay behind the password, as at sign-in: they
            // never cross the bus, and a passer-by at a shared screen does not read them.
            let why = match (to, until) {
                (Standing::Suspended, Some(until)) => format!(
                    "suspended until {}",
                    until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                ),
                (Standing::Suspended, None) => "suspended".to_owned(),
                _ => "banned".to_owned(),
            };
            self.disconnect_member(id, &why).await;
            let ended = self.store.delete_member_sessions(id, None).await?;
            tracing::info!(member = %id, ended, "sessions ended by sanction");
        }
        let (action, why) = match (to, until) {
            (Standing::Suspended, Some(until)) => (
                "member_suspended",
                why.map(|w| format!("until {}: {w}", until.to_rfc3339())),
            ),
            (Standing::Banned, _) => ("member_banned", why),
            _ => ("member_reinstated", None),
        };
        self.audit(Some(who.id), action, "member", Some(id.to_string()), why)
            .await?;
        Ok(member)
    }

    /// Issues a single-use invite link, valid for the configured hours. The admin confirms they
    /// know the invitee to be an adult; the invitee's declared date of birth is still checked.
    /// Answers the link (shown once: only its hash is kept), when it expires, and the invite's
    /// id (so the screen that shows the link can tell when that invite is withdrawn).
    pub async fn create_invite(
        &self,
        who: &Identity,
        confirm_adult: bool,
    ) -> Result<(String, DateTime<Utc>, InviteId)> {
        who.require(Action::Invite)?;
        if !confirm_adult {
            return Err(AppError::invalid(
                "confirm_adult",
                "inviting needs confirm_adult: true, confirming you know the invitee is 18 or over",
            ));
        }
        let token = random_token();
        let now = self.now();
        let expires = now + Duration::hours(self.config.invite_hours);
        let invite = self
            .store
            .create_invite(token_hash(&token), who.id, now, expires)
            .await?;
        self.audit(
            Some(who.id),
            "invite_created",
            "invite",
            Some(invite.id.to_string()),
            None,
        )
        .await?;
        let link = format!(
            "{}/apply?invite={token}",
            self.config.public_url.trim_end_matches('/')
        );
        Ok((link, expires, invite.id))
    }

    /// The invites issued, newest first, for admins to see which are still outstanding: never
    /// a token (only its hash is kept, and the link was shown once).
    pub async fn invites(&self, who: &Identity) -> Result<Vec<InviteRecord>> {
        who.require(Action::Invite)?;
        Ok(self.store.list_invites(INVITES_LISTED).await?)
    }

    /// Revokes an outstanding invite (an admin sent it to the wrong person, or it leaked): its
    /// link then says it is no longer valid, and applying with it is refused. Audited. One
    /// already used, expired or revoked is a 409 `invite_closed`.
    pub async fn revoke_invite(&self, who: &Identity, id: InviteId) -> Result<InviteRecord> {
        who.require(Action::Invite)?;
        let invite = match self.store.revoke_invite(id, self.now()).await {
            Err(StoreError::NotFound) => return Err(AppError::NotFound("invite")),
            Err(StoreError::Conflict { .. }) => {
                return Err(AppError::Conflict {
                    code: "invite_closed",
                    message: "this invite has already been used, has expired or was revoked"
                        .to_owned(),
                });
            }
            other => other?,
        };
        self.audit(
            Some(who.id),
            "invite_revoked",
            "invite",
            Some(invite.id.to_string()),
            None,
        )
        .await?;
        Ok(invite)
    }

    /// The audit log, newest first: for moderators, what staff did to content and standing;
    /// for admins, everything (see [`policy::readable_audit_actions`]).
    pub async fn audit_log(
        &self,
        who: &Identity,
        before: Option<DateTime<Utc>>,
        limit: u64,
    ) -> Result<Vec<AuditEntry>> {
        who.require(Action::ReadAuditLog)?;
        Ok(self
            .store
            .list_audit(
                before,
                policy::readable_audit_actions(who.role),
                limit.clamp(1, 200),
            )
            .await?)
    }

    async fn target(&self, id: MemberId) -> Result<MemberRecord> {
        match self.store.member(id).await {
            Err(StoreError::NotFound) => Err(AppError::NotFound("member")),
            other => Ok(other?),
        }
    }
}
