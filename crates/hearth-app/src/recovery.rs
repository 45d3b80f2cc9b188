//! Account recovery: one-time, expiring password-reset links, issued by an admin or (when the
//! server can send email) requested by the member. Every email is discreet: a neutral sender,
//! a neutral subject, no forum name and no content, so someone else reading the inbox learns
//! nothing.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use hearth_core::account::{normalise_email, validate_password};
use hearth_core::ids::MemberId;
use hearth_core::policy::{Action, Standing};
use hearth_store::StoreError;

use crate::secrets::{random_token, token_hash};
use crate::{App, AppError, Identity, Result};

/// The subject of a reset email: says nothing about what it is for.
pub const RESET_SUBJECT: &str = "Your requested link";

/// Sends email. The server implements it over SMTP; nothing else in Hearth sends mail.
#[async_trait]
pub trait Mailer: Send + Sync + 'static {
    /// Sends a plain-text message to one address.
    async fn send(&self, to: &str, subject: &str, body: &str) -> std::result::Result<(), String>;
}

/// The body of a reset email: the link, its limits, and nothing that names the forum.
pub fn reset_email_body(link: &str, hours: i64) -> String {
    format!(
        "Here is the link you asked for:\n\n{link}\n\nIt works once, for the next {hours} hours.\n\n\
         If you did not ask for it, you can ignore this message.\n"
    )
}

/// How a member who forgot their password can get back in on this server. The sign-in screen
/// shows it, so it promises an email only when the server can send one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecoveryOptions {
    /// Whether a member can ask for a link by email (the server is configured for SMTP).
    pub by_email: bool,
    /// How many hours a reset link works, however it was issued.
    pub link_hours: i64,
}

impl App {
    /// What recovery this server offers (see [`RecoveryOptions`]). Reveals nothing about any
    /// member, so anyone may ask.
    pub fn recovery_options(&self) -> RecoveryOptions {
        RecoveryOptions {
            by_email: self.mailer.is_some(),
            link_hours: self.config.reset_link_hours,
        }
    }

    /// Lets the server send email (password resets).
    pub fn with_mailer(mut self, mailer: Arc<dyn Mailer>) -> Self {
        self.mailer = Some(mailer);
        self
    }

    async fn new_reset_link(&self, member: MemberId) -> Result<(String, DateTime<Utc>)> {
        let token = random_token();
        let now = self.now();
        let expires = now + Duration::hours(self.config.reset_link_hours);
        self.store
            .create_password_reset(member, token_hash(&token), now, expires)
            .await?;
        let link = format!(
            "{}/reset?token={token}",
            self.config.public_url.trim_end_matches('/')
        );
        Ok((link, expires))
    }

    /// An admin issues a one-time reset link for a member, to pass on by whatever safe route
    /// they have (audited). A recent confirmation is needed (step-up): a link sets a password,
    /// and with a staff account not yet enrolled that is the whole account.
    pub async fn issue_reset_link(
        &self,
        who: &Identity,
        id: MemberId,
    ) -> Result<(String, DateTime<Utc>)> {
        who.require(Action::ManageMembers)?;
        self.require_recent_confirmation(who)?;
        match self.store.member(id).await {
            Err(StoreError::NotFound) => return Err(AppError::NotFound("member")),
            other => other?,
        };
        let issued = self.new_reset_link(id).await?;
        self.audit(
            Some(who.id),
            "reset_link_issued",
            "member",
            Some(id.to_string()),
            None,
        )
        .await?;
        Ok(issued)
    }

    /// A member asks for a reset link by email. The answer never says whether the address
    /// belongs to anyone: the look-up and the sending happen after answering. The address's
    /// own account and every account holding it as a shared address get a link each, all sent
    /// to the address, so an invitee whose address was in use is sent one as anyone else is.
    pub async fn request_reset(&self, email: &str) -> Result<()> {
        let Ok(email) = normalise_email(email) else {
            return Err(AppError::invalid(
                "email",
                "email must be an address like name@example.org",
            ));
        };
        let Some(mailer) = self.mailer.clone() else {
            tracing::info!("password reset requested, but this server sends no email");
            return Ok(());
        };
        let app = self.clone();
        tokio::spawn(async move {
            // The address's own account, then every account that holds it as a shared address
            // (invitees who typed it): each gets its own link, sent to the address, whose
            // owner already controls the first and whose invitees gave it for theirs.
            let owner = app.store.member_by_login(&email).await.map(|m| {
                m.filter(|m| !m.email_shared && m.email.as_deref() == Some(email.as_str()))
            });
            let sharing = app.store.members_sharing_email(&email).await;
            let accounts = match (owner, sharing) {
                (Ok(owner), Ok(sharing)) => owner.into_iter().chain(sharing),
                (Err(e), _) | (_, Err(e)) => {
                    tracing::warn!(error = %e, "password reset look-up failed");
                    return;
                }
            };
            for member in accounts {
                if member.standing.effective(member.suspended_until, app.now()) != Standing::Active
                {
                    continue;
                }
                match app.new_reset_link(member.id).await {
                    Ok((link, _)) => {
                        let body = reset_email_body(&link, app.config.reset_link_hours);
                        match mailer.send(&email, RESET_SUBJECT, &body).await {
                            Ok(()) => tracing::info!(member = %member.id, "reset email sent"),
                            Err(e) => {
                                tracing::warn!(member = %member.id, error = %e, "reset email failed")
                            }
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "could not make a reset link"),
                }
            }
        });
        Ok(())
    }

    /// Sets a new password with a reset token. The token works once; every session of the
    /// member ends and their sockets close.
    pub async fn complete_reset(&self, token: &str, new_password: &str) -> Result<()> {
        validate_password(new_password)
            .map_err(|e| AppError::invalid("new_password", e.to_string()))?;
        let Some(member) = self
            .store
            .take_password_reset(&token_hash(token), self.now())
            .await?
        else {
            return Err(AppError::Refused {
                code: "reset_invalid",
                message: "this link has expired or has already been used; ask for a new one"
                    .to_owned(),
            });
        };
        let hash = self.passwords.hash(new_password).await?;
        self.store.set_password_hash(member, hash).await?;
        let ended = self.store.delete_member_sessions(member, None).await?;
        // The way back in for a member a stranger's guesses slowed down: a fresh start.
        self.clear_sign_in_failures(member).await;
        self.disconnect_member(member, "your password was reset")
            .await;
        self.audit(
            Some(member),
            "password_reset",
            "member",
            Some(member.to_string()),
            None,
        )
        .await?;
        tracing::info!(%member, ended, "password reset");
        Ok(())
    }
}
