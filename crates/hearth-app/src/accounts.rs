//! Applying to join (with the 18+ gate), signing in, and changing one's password.

use chrono::Duration;
use hearth_core::account::{normalise_email, validate_handle, validate_password};
use hearth_core::age::{AgeCheck, check_adult, parse_date_of_birth};
use hearth_core::ids::MemberId;
use hearth_core::moderation::{AuthorFacts, Outcome, Submission, TextKind};
use hearth_core::policy::{Role, Standing};
use hearth_store::StoreError;
use hearth_store::records::{MemberRecord, NewMember};

use crate::limits::Limit;
use crate::secrets::token_hash;
use crate::{App, AppError, Identity, Result};
use hearth_realtime::Topic;

/// Longest application statement, in characters.
pub const STATEMENT_MAX: usize = 2000;

/// The kind answer to someone under 18. It signposts services for young people, because a
/// young person affected by a family member's offending deserves support too, just not here.
pub const UNDER_AGE_MESSAGE: &str = "Sorry, this group is only for adults aged 18 or over, so we \
cannot offer you a place. You are not alone, and there is support meant for you: you can talk to \
Childline any time, free, on 0800 1111 or at childline.org.uk, and Stop It Now's helpline (0808 \
1000 900) also supports young people worried about someone in their family. If you are in danger \
now, call 999.";

/// The answer to a handle the moderation rules would hold or reject. It says what kind of handle
/// to choose and never which part matched: an applicant who typed someone's name learns nothing
/// about what the rules know.
pub const HANDLE_IDENTIFIES_MESSAGE: &str = "Please choose a different handle. A handle here must not identify anyone, you included: no real names, places, prisons, schools or postcodes. Something only the group will know you by, like \"hopeful_mum\" or \"northern_sky\", works well.";

/// The subject of the notice sent to an address used in an application: as neutral as a reset
/// email's, because a shared inbox may be read by the person a member is hiding from.
pub const APPLIED_SUBJECT: &str = "A request using your address";

/// The notice's body: no forum name, no handle, no content, and the same whoever owns the address.
pub const APPLIED_BODY: &str = "Someone used this email address to ask to join a group.\n\n\
If it was you, there is nothing more to do.\n\n\
If it was not you, you can ignore this message. Nothing is set up in your name, and this address \
cannot be used to sign in unless the person looking after the group approves the request.\n";

/// What an applicant sends.
#[derive(Clone, Debug, Default)]
pub struct ApplicationInput {
    /// The pseudonymous handle they want.
    pub handle: String,
    /// Their email (for signing in and account recovery; never shown to others).
    pub email: String,
    /// Their chosen password.
    pub password: String,
    /// Date of birth, `YYYY-MM-DD`; used for the age check and then forgotten.
    pub date_of_birth: String,
    /// A few words on why they would like to join (deleted once the application is decided).
    pub statement: String,
    /// Whether they accept the group's rules.
    pub accept_rules: bool,
    /// An invite token, if they were invited.
    pub invite: Option<String>,
}

/// What happened to an application that was accepted for consideration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApplyOutcome {
    /// It waits for an admin.
    Pending,
    /// It came with a valid invite: the account is active now.
    Approved,
}

impl App {
    /// Whether an invite can still be used: the application page asks as it opens, so a used
    /// or expired invite is said at once, not after the whole form is filled. Anyone may ask
    /// (the invitee has no account yet), at `invite_checks` per client `address`, and the
    /// answer is only yes or no: nothing about who made the invite, or when it was used.
    pub async fn invite_usable(&self, address: &str, token: &str) -> Result<bool> {
        let _counted = self.take_limit(Limit::InviteChecks, address).await?;
        let token = token.trim();
        if token.is_empty() || token.len() > 200 {
            return Ok(false);
        }
        Ok(self
            .store
            .invite_usable(&token_hash(token), self.now())
            .await?)
    }

    /// Applies to join. The date of birth is checked in UK time and never stored. Under 18:
    /// refused kindly, and a salted hash of the email is kept for a while so that a retry with
    /// another date is refused the same way. A duplicate email is answered exactly like a
    /// new one: a waiting application with the handle taken and sign-in by handle only, so that
    /// nobody can learn whether someone else is a member (the admin deciding sees the duplicate).
    #[tracing::instrument(skip_all)]
    pub async fn apply(&self, input: ApplicationInput) -> Result<ApplyOutcome> {
        // Every field is checked before answering, so the form can show every problem at once.
        let mut problems: Vec<(&'static str, String)> = Vec::new();
        let mut unsuitable = None;
        let handle = match validate_handle(&input.handle) {
            Ok(h) => {
                match self.check_handle(&h, Role::Member) {
                    Ok(()) => {}
                    Err(AppError::Validation { field, message, .. }) => {
                        problems.push((field, message));
                    }
                    Err(other) => unsuitable = Some(other),
                }
                h
            }
            Err(e) => {
                problems.push(("handle", e.to_string()));
                String::new()
            }
        };
        let email = normalise_email(&input.email).unwrap_or_else(|e| {
            problems.push(("email", e.to_string()));
            String::new()
        });
        if let Err(e) = validate_password(&input.password) {
            problems.push(("password", e.to_string()));
        }
        let now = self.now();
        // Age is judged before anything is looked up, and before a refusal record is
        // consulted, so the answer does not depend on whether the email is known.
        let age = parse_date_of_birth(&input.date_of_birth)
            .and_then(|dob| check_adult(dob, uk_today(now)));
        if let Err(e) = &age {
            problems.push(("date_of_birth", e.to_string()));
        }
        if !input.accept_rules {
            problems.push((
                "accept_rules",
                "please read and accept the group's rules to apply".to_owned(),
            ));
        }
        let statement = input.statement.trim().to_owned();
        if input.invite.is_none() && statement.is_empty() {
            problems.push((
                "statement",
                "please write a few words about why you would like to join".to_owned(),
            ));
        }
        if statement.chars().count() > STATEMENT_MAX {
            problems.push((
                "statement",
                "the statement can be at most 2000 characters".to_owned(),
            ));
        }
        if let Some(e) = AppError::invalid_fields(problems) {
            return Err(e);
        }
        if let Some(e) = unsuitable {
            return Err(e);
        }
        let age = age.map_err(|e| AppError::invalid("date_of_birth", e.to_string()))?;

        let email_hash = self.secrets.email_hash(&email);
        if age == AgeCheck::Minor {
            let expires = now + Duration::days(self.config.age_refusal_days);
            self.store
                .record_age_refusal(&email_hash, now, expires)
                .await?;
            tracing::info!("application refused by the age gate");
            return Err(under_age());
        }
        if self.store.age_refusal_active(&email_hash, now).await? {
            tracing::info!("application refused: email recently refused by the age gate");
            return Err(under_age());
        }

        // An erased member's handle stays theirs for a year: answered as taken.
        if self
            .store
            .handle_reserved(&self.secrets.handle_hash(&handle), now)
            .await?
        {
            return Err(AppError::Conflict {
                code: "handle_taken",
                message: "that handle is taken: please choose another".to_owned(),
            });
        }
        let invited = input.invite.is_some();
        let new = NewMember {
            id: MemberId::new(),
            handle,
            email,
            password_hash: self.passwords.hash(&input.password).await?,
            role: Role::Member,
            standing: if invited {
                Standing::Active
            } else {
                Standing::Pending
            },
            age_check: if invited {
                "declared_dob+invite_admin_confirmed"
            } else {
                "declared_dob"
            }
            .to_owned(),
            // An invite is issued by an admin who confirmed, when issuing it, that they know the
            // person to be an adult; the declared date of birth is still checked above.
            adult_confirmed_at: invited.then_some(now),
            now,
        };
        let invite_hash = input.invite.as_deref().map(token_hash);
        let mut submitted = self
            .store
            .submit_application(&new, Some(statement.clone()), invite_hash.as_deref())
            .await;
        if matches!(submitted, Err(StoreError::Conflict { what: "email" })) {
            // Another application took this email between the store's check and its insert:
            // once more, and the store now finds the email in use and makes it wait.
            submitted = self
                .store
                .submit_application(&new, Some(statement), invite_hash.as_deref())
                .await;
        }
        match submitted {
            Ok((application, member)) => {
                let approved = member.standing == Standing::Active;
                tracing::info!(%application, member = %member.id, invited, approved, "application received");
                if invited {
                    // The admins (never the invitee) learn that the email was already in use.
                    let note = member.email_shared.then(|| {
                        "the email given was already in use by another account: this account \
                         holds it beside that one, signs in with it and its own password, and a \
                         reset request for it sends a link for each account to that address"
                            .to_owned()
                    });
                    self.audit(
                        Some(member.id),
                        "invite_used",
                        "member",
                        Some(member.id.to_string()),
                        note,
                    )
                    .await?;
                }
                self.tell_address_owner(new.email.clone());
                if !approved {
                    // The admins' waiting count goes up on their screens (no details go out).
                    self.publish_quietly(
                        Topic::Applications,
                        serde_json::json!({"kind": "applications_changed"}),
                    )
                    .await;
                }
                Ok(if approved {
                    ApplyOutcome::Approved
                } else {
                    ApplyOutcome::Pending
                })
            }
            Err(StoreError::Conflict { what: "handle" }) => Err(AppError::Conflict {
                code: "handle_taken",
                message: "that handle is taken: please choose another".to_owned(),
            }),
            Err(StoreError::Conflict { what: "invite" }) => Err(AppError::Refused {
                code: "invite_invalid",
                message: "this invitation link has expired or has already been used; you can \
                          still apply without it"
                    .to_owned(),
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// Tells whoever reads an address that it was used to apply, when this server sends email:
    /// the same neutral words whether or not the address belongs to a member, sent after the
    /// applicant has their answer (so neither the answer nor its timing depends on it). The
    /// owner of an address someone else used learns of it; nobody learns whose address it is.
    fn tell_address_owner(&self, email: String) {
        let Some(mailer) = self.mailer.clone() else {
            return;
        };
        tokio::spawn(async move {
            match mailer.send(&email, APPLIED_SUBJECT, APPLIED_BODY).await {
                Ok(()) => tracing::info!("application notice sent"),
                Err(e) => tracing::warn!(error = %e, "application notice failed"),
            }
        });
    }

    /// Runs a handle through the moderation rules as [`TextKind::Handle`] (read split into its
    /// words, so `Emily.Harrington` is a name and `HMP-Parc` a prison). A handle is shown beside
    /// everything its owner writes, from the moment they join, with no moderator before it, so
    /// anything the rules would hold or reject is refused at once and nothing is stored. A
    /// flag alone (publish and tell the moderators) does not refuse it.
    pub(crate) fn check_handle(&self, handle: &str, role: Role) -> Result<()> {
        let verdict = self.rules().evaluate(&Submission {
            kind: TextKind::Handle,
            text: handle,
            board: None,
            author: AuthorFacts {
                approved_posts: 0,
                role,
            },
        });
        if matches!(verdict.outcome, Outcome::Hold | Outcome::Reject) {
            tracing::info!(rules = %verdict.rule_names().join(", "), "handle refused by the rules");
            return Err(AppError::Unsuitable {
                field: "handle",
                code: "handle_identifies",
                message: HANDLE_IDENTIFIES_MESSAGE.to_owned(),
            });
        }
        Ok(())
    }

    /// Checks credentials and the account's standing. Bad credentials answer
    /// [`AppError::BadCredentials`] (the caller counts those for rate limiting), taking as long
    /// as a good password would; an account that may not sign in answers a `Refused` error only
    /// once the password was right, so nobody learns an account's state without it.
    #[tracing::instrument(skip_all)]
    pub async fn sign_in(&self, login: &str, password: &str) -> Result<MemberRecord> {
        if login.trim().is_empty() || password.is_empty() || password.len() > 1024 {
            // Still burn the time of a verification, so malformed input is not a timing oracle.
            self.passwords.verify(password, None).await?;
            return Err(AppError::BadCredentials);
        }
        let Some(member) = self.check_login_password(login, password).await? else {
            return Err(AppError::BadCredentials);
        };
        let now = self.now();
        match member.standing.effective(member.suspended_until, now) {
            Standing::Active => Ok(member.as_of(now)),
            Standing::Pending => Err(AppError::Refused {
                code: "application_pending",
                message: "thank you for applying: your application is waiting for an admin; you \
                          can sign in once it is approved"
                    .to_owned(),
            }),
            Standing::Rejected => {
                let reason = self
                    .store
                    .application_for_member(member.id)
                    .await?
                    .and_then(|a| a.decision_reason)
                    .unwrap_or_else(|| "no reason was given".to_owned());
                Err(AppError::Refused {
                    code: "application_rejected",
                    message: format!("your application was not accepted: {reason}"),
                })
            }
            Standing::Suspended => Err(AppError::Refused {
                code: "suspended",
                message: format!(
                    "your account is suspended{}{}",
                    member
                        .suspended_until
                        .map(|u| format!(" until {}", u.format("%-d %B %Y, %H:%M UTC")))
                        .unwrap_or_default(),
                    member
                        .standing_reason
                        .map(|r| format!(": {r}"))
                        .unwrap_or_default()
                ),
            }),
            Standing::Banned => Err(AppError::Refused {
                code: "banned",
                message: format!(
                    "this account has been closed by the moderators{}",
                    member
                        .standing_reason
                        .map(|r| format!(": {r}"))
                        .unwrap_or_default()
                ),
            }),
        }
    }

    /// The account `login` and `password` name, if any: the account whose handle or own email
    /// `login` is, when the password is its own; else, for an email, an account that holds that
    /// email as a shared address (an invitee's, see [`Store::submit_application`]) whose
    /// password it is. The owner of an email is tried first, so its own sign-in never changes;
    /// a shared holder is only ever reached with its own password, never the owner's account.
    ///
    /// An email costs the same whether or not any account shares it: the owner (or a dummy)
    /// and then each sharing account (or one dummy when there is none) are verified, so a
    /// wrong password for an email takes two verifications either way. Shared holders are
    /// made only by admins' invites, so there are seldom more than one.
    ///
    /// [`Store::submit_application`]: hearth_store::Store::submit_application
    pub(crate) async fn check_login_password(
        &self,
        login: &str,
        password: &str,
    ) -> Result<Option<MemberRecord>> {
        let owner = self.store.member_by_login(login).await?;
        let ok = self
            .passwords
            .verify(password, owner.as_ref().map(|m| m.password_hash.as_str()))
            .await?;
        if ok {
            return Ok(owner);
        }
        if !login.contains('@') {
            // A handle: handles are unique and never shared.
            return Ok(None);
        }
        let sharing = self.store.members_sharing_email(login).await?;
        if sharing.is_empty() {
            self.passwords.verify(password, None).await?;
            return Ok(None);
        }
        for member in sharing {
            if self
                .passwords
                .verify(password, Some(&member.password_hash))
                .await?
            {
                return Ok(Some(member));
            }
        }
        Ok(None)
    }

    /// Changes one's own password, given the current one, and ends every other session.
    #[tracing::instrument(skip_all)]
    pub async fn change_password(
        &self,
        who: &Identity,
        current: &str,
        new: &str,
        keep_session: Option<&str>,
    ) -> Result<u64> {
        who.require(hearth_core::policy::Action::ManageOwnAccount)?;
        validate_password(new).map_err(|e| AppError::invalid("new_password", e.to_string()))?;
        let member = self.store.member(who.id).await?;
        if !self
            .passwords
            .verify(current, Some(&member.password_hash))
            .await?
        {
            return Err(AppError::invalid(
                "current_password",
                "the current password is not right",
            ));
        }
        let hash = self.passwords.hash(new).await?;
        self.store.set_password_hash(who.id, hash).await?;
        let ended = self
            .store
            .delete_member_sessions(who.id, keep_session)
            .await?;
        // The ended sessions' sockets close too, on every instance; this one's stay open.
        self.end_other_socket_sessions(who.id, keep_session, "your password was changed")
            .await;
        self.audit(
            Some(who.id),
            "password_changed",
            "member",
            Some(who.id.to_string()),
            None,
        )
        .await?;
        Ok(ended)
    }

    /// The full account record of the signed-in member (for `GET /api/me`).
    pub async fn me(&self, who: &Identity) -> Result<MemberRecord> {
        Ok(self.store.member(who.id).await?.as_of(self.now()))
    }
}

fn under_age() -> AppError {
    AppError::Refused {
        code: "under_age",
        message: UNDER_AGE_MESSAGE.to_owned(),
    }
}

/// Today's date in the UK, where the group is: a birthday starts at midnight there.
pub(crate) fn uk_today(now: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDate {
    now.with_timezone(&chrono_tz::Europe::London).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn uk_date_follows_british_summer_time() {
        // 23:30 UTC on 30 June is 00:30 on 1 July in London (BST).
        let now = chrono::Utc
            .with_ymd_and_hms(2026, 6, 30, 23, 30, 0)
            .unwrap();
        assert_eq!(
            uk_today(now),
            chrono::NaiveDate::from_ymd_opt(2026, 7, 1).unwrap()
        );
        // In winter London is on UTC.
        let now = chrono::Utc
            .with_ymd_and_hms(2026, 12, 31, 23, 30, 0)
            .unwrap();
        assert_eq!(
            uk_today(now),
            chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()
        );
    }
}
