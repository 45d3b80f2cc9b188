//! Step-up (issue 16): sensitive actions need the person to have confirmed who they are in the
//! last ten minutes, by the app's clock: a second factor, or the password for members without
//! one. Sign-in counts as a confirmation; so does `POST /api/me/confirm`. Without one the
//! answer is 403 `reauth_required` (401 keeps meaning "not signed in").
//!
//! Asked by: data export, erasure (one's own and an admin's), role, lead and standing changes
//! (suspend, ban, reinstate), rules reload, resetting another person's factors, and reading the
//! safeguarding concerns.

use hearth_core::ids::MemberId;

use crate::factors::FactorProof;
use crate::limits::Limit;
use crate::{App, AppError, Identity, Result};

/// How long a confirmation lasts, in seconds.
pub const STEP_UP_SECS: i64 = 600;

/// What a person offers to confirm who they are.
#[derive(Clone, Debug)]
pub enum Confirmation {
    /// Their password (members without a second factor only).
    Password(String),
    /// A second factor.
    Factor(FactorProof),
}

impl App {
    /// `Ok` if `who` confirmed who they are in the last ten minutes, else 403
    /// `reauth_required`.
    pub fn require_recent_confirmation(&self, who: &Identity) -> Result<()> {
        let now = self.now().timestamp();
        match who.confirmed_at {
            Some(at) if now - at <= STEP_UP_SECS && at <= now + 60 => Ok(()),
            _ => Err(AppError::Refused {
                code: "reauth_required",
                message: "please confirm it is you (your authenticator app, or your password) \
                          before doing this"
                    .to_owned(),
            }),
        }
    }

    /// Confirms who `who` is, under the sign-in limits: with a second factor if they have one
    /// (the password alone is then not enough), else with their password.
    pub async fn confirm_person(
        &self,
        who: &Identity,
        proof: &Confirmation,
        address: &str,
    ) -> Result<()> {
        let has_factor = self.store.has_factor(who.id).await?;
        let account = format!("member:{}", who.id);
        let pair = format!("{account}\u{0}{address}");
        let mut taken = Vec::with_capacity(2);
        let result = async {
            taken.push(self.take_limit(Limit::SignInPair, &pair).await?);
            taken.push(self.take_limit(Limit::SignInAccount, &account).await?);
            match (proof, has_factor) {
                (Confirmation::Factor(p), true) => self.verify_factor(who.id, p).await,
                (Confirmation::Password(_), true) => Err(AppError::Refused {
                    code: "factor_needed",
                    message: "your account has a second factor: confirm with a code from your \
                              authenticator app, or a recovery code"
                        .to_owned(),
                }),
                (Confirmation::Password(pw), false) => self.check_password(who.id, pw).await,
                (Confirmation::Factor(_), false) => Err(AppError::Refused {
                    code: "invalid_code",
                    message: "your account has no second factor: confirm with your password"
                        .to_owned(),
                }),
            }
        }
        .await;
        let wrong = matches!(
            &result,
            Err(AppError::Refused {
                code: "invalid_code" | "invalid_password",
                ..
            })
        );
        if !wrong {
            for t in taken {
                self.give_back(t).await;
            }
        }
        result
    }

    /// Whether `password` is `member`'s (403 `invalid_password` if not).
    async fn check_password(&self, member: MemberId, password: &str) -> Result<()> {
        let record = self.store.member(member).await?;
        if password.len() <= 1024
            && self
                .passwords
                .verify(password, Some(record.password_hash.as_str()))
                .await?
        {
            Ok(())
        } else {
            // Not 401, which would mean "not signed in" and end the session in the client.
            Err(AppError::Refused {
                code: "invalid_password",
                message: "that is not your password".to_owned(),
            })
        }
    }
}
