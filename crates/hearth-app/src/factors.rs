//! Second factors (issue 16): TOTP authenticators (RFC 6238) with ten single-use recovery
//! codes, the sign-in's second step, and the rule that staff must have one.
//!
//! - **Enrolment** is two steps: [`App::begin_totp`] makes a secret and shows it once (as text
//!   and as a QR code in an inline SVG); [`App::confirm_totp`] takes a code from the member's
//!   app, and only then does the factor count. Confirming answers ten fresh recovery codes,
//!   shown once and stored as SHA-256 digests (they are 80 random bits, so no salt is needed).
//! - **Sign-in**: when the password is right and the member has a factor, the session holds
//!   only a pending sign-in ([`crate::sessions::SESSION_PENDING`]), which reaches nothing;
//!   [`App::second_factor_limited`] finishes it. Wrong codes count against the same limits as
//!   wrong passwords. A TOTP step once accepted is never accepted again (replays fail), and a
//!   recovery code works once.
//! - **Staff**: with [`StaffSecondFactor::Required`] (the default), a moderator, admin or
//!   safeguarding lead with no factor is signed in as a member only, and every staff action
//!   answers 403 `second_factor_required` until they enrol (see [`App::check_session`]).
//!
//! The TOTP secret is kept as base32 text in the database (the server must be able to compute
//! codes, so a hash cannot do); it is never sent to anyone after the enrolment step.

use hearth_core::ids::MemberId;
use hearth_core::policy::Role;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use totp_rs::{Algorithm, TOTP};

use crate::limits::Limit;
use crate::secrets::token_hash;
use crate::{App, AppError, Identity, MemberRecord, Result};

/// The TOTP step, in seconds (RFC 6238's default, what every authenticator app uses).
pub const TOTP_STEP_SECS: i64 = 30;
/// How many recovery codes a member is given at once.
pub const RECOVERY_CODES: usize = 10;
/// The kind name of a TOTP factor.
pub const TOTP: &str = "totp";
/// The issuer shown in authenticator apps.
const ISSUER: &str = "Hearth";
/// How long a pending sign-in (password right, second factor not yet given) lasts, in seconds.
pub const PENDING_SIGN_IN_SECS: i64 = 300;

/// Whether staff must have a second factor (`HEARTH_STAFF_SECOND_FACTOR`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StaffSecondFactor {
    /// Moderators, admins and safeguarding leads reach nothing of staff until they enrol.
    #[default]
    Required,
    /// Staff may enrol; nothing is refused without.
    Optional,
}

impl std::str::FromStr for StaffSecondFactor {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.trim() {
            "required" => Ok(StaffSecondFactor::Required),
            "optional" => Ok(StaffSecondFactor::Optional),
            other => Err(format!("{other:?}: use `required` or `optional`")),
        }
    }
}

/// A TOTP enrolment begun: what the member's authenticator app needs. Shown once.
#[derive(Clone, Debug, Serialize)]
pub struct TotpEnrolment {
    /// The secret as base32 text, for typing in by hand.
    pub secret: String,
    /// The `otpauth://` URI the QR code holds.
    pub otpauth_url: String,
    /// The QR code as an SVG document, to show inline.
    pub qr_svg: String,
}

/// One enrolled factor, as its member sees it (never its secret).
#[derive(Clone, Debug, Serialize)]
pub struct FactorSummary {
    /// The factor's id.
    pub id: uuid::Uuid,
    /// `totp` or `webauthn`.
    pub kind: String,
    /// The member's name for it.
    pub label: String,
    /// When it was added.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// When it last let its member in.
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A member's second factors as they stand.
#[derive(Clone, Debug, Serialize)]
pub struct FactorStatus {
    /// The confirmed factors.
    pub factors: Vec<FactorSummary>,
    /// Unused recovery codes left.
    pub recovery_codes_left: u64,
    /// Whether this member must have a factor to act as staff.
    pub required: bool,
}

/// What a person offers as their second factor.
#[derive(Clone, Debug)]
pub enum FactorProof {
    /// A six-digit code from their authenticator app.
    Totp(String),
    /// One of their recovery codes.
    RecoveryCode(String),
}

/// Whether `role` (with the safeguarding-lead flag) makes someone staff, who may be required to
/// have a second factor.
pub fn is_staff(role: Role, safeguarding_lead: bool) -> bool {
    role >= Role::Moderator || safeguarding_lead
}

fn totp_of(secret_b32: &str) -> Result<TOTP> {
    let bytes = totp_rs::Secret::Encoded(secret_b32.to_owned())
        .to_bytes()
        .map_err(|_| AppError::Internal("stored TOTP secret is not base32".to_owned()))?;
    TOTP::new(Algorithm::SHA1, 6, 1, TOTP_STEP_SECS as u64, bytes)
        .map_err(|e| AppError::Internal(format!("TOTP: {e}")))
}

/// The step (of [`TOTP_STEP_SECS`]) at `unix` seconds.
fn step_at(unix: i64) -> i64 {
    unix.div_euclid(TOTP_STEP_SECS)
}

/// The step the code matches, within one step either side of `now` (clocks drift), if any.
fn matching_step(totp: &TOTP, code: &str, now: i64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let here = step_at(now);
    [here - 1, here, here + 1].into_iter().find(|s| {
        u64::try_from(s * TOTP_STEP_SECS).is_ok_and(|at| same_text(&totp.generate(at), &code))
    })
}

/// Compares two short texts in time that does not depend on where they differ.
fn same_text(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Percent-encodes `s` for a URI path or query.
fn uri_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A recovery code: 16 characters from an alphabet without look-alikes, in four groups.
fn new_recovery_code() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    let chars: Vec<char> = bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// How a recovery code is compared: lower case, without spaces or dashes.
fn recovery_code_hash(code: &str) -> String {
    let folded: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    token_hash(&format!("recovery\u{0}{folded}"))
}

fn wrong_code() -> AppError {
    AppError::Refused {
        code: "invalid_code",
        message: "that code is not right, or was already used; please try the newest code"
            .to_owned(),
    }
}

/// The refusal a staff member without a factor gets.
pub fn second_factor_required() -> AppError {
    AppError::Refused {
        code: "second_factor_required",
        message: "staff accounts need a second factor: please set up an authenticator app \
                  (Account, Security) before using the staff pages"
            .to_owned(),
    }
}

impl App {
    /// Whether someone with this role must have a factor before acting as staff.
    pub fn factor_required_for(&self, role: Role, safeguarding_lead: bool) -> bool {
        self.config.staff_second_factor == StaffSecondFactor::Required
            && is_staff(role, safeguarding_lead)
    }

    /// Whether the member has a confirmed second factor (so sign-in asks for it).
    pub async fn has_second_factor(&self, member: MemberId) -> Result<bool> {
        Ok(self.store.has_factor(member).await?)
    }

    /// The member's own second factors.
    pub async fn factor_status(&self, who: &Identity) -> Result<FactorStatus> {
        let factors = self
            .store
            .factors(who.id)
            .await?
            .into_iter()
            .map(|f| FactorSummary {
                id: f.id,
                kind: f.kind,
                label: f.label,
                created_at: f.created_at,
                last_used_at: f.last_used_at,
            })
            .collect();
        Ok(FactorStatus {
            factors,
            recovery_codes_left: self.store.recovery_codes_left(who.id).await?,
            required: who.second_factor_missing
                || self.factor_required_for(who.role, who.safeguarding_lead),
        })
    }

    /// Begins adding an authenticator app: a new secret, shown once. Confirm it with
    /// [`App::confirm_totp`]; until then it counts for nothing.
    ///
    /// Needs a recent confirmation (step-up): with the session alone (a stolen cookie) nobody
    /// may put their own app in place of the member's, or give a member without one an app
    /// that would then stand between them and their own password.
    pub async fn begin_totp(&self, who: &Identity) -> Result<TotpEnrolment> {
        self.require_recent_confirmation(who)?;
        let mut bytes = [0u8; 20];
        rand::rng().fill_bytes(&mut bytes);
        let secret = match totp_rs::Secret::Raw(bytes.to_vec()).to_encoded() {
            totp_rs::Secret::Encoded(text) => text,
            totp_rs::Secret::Raw(_) => {
                return Err(AppError::Internal("TOTP secret encoding".to_owned()));
            }
        };
        self.store
            .begin_factor(
                who.id,
                TOTP,
                "authenticator app",
                secret.clone(),
                self.now(),
            )
            .await?;
        let otpauth_url = format!(
            "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}&algorithm=SHA1\
             &digits=6&period={TOTP_STEP_SECS}",
            issuer = ISSUER,
            account = uri_encode(&who.handle),
        );
        let qr_svg = qrcode::QrCode::new(otpauth_url.as_bytes())
            .map_err(|e| AppError::Internal(format!("QR code: {e}")))?
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .build();
        tracing::info!(member = %who.id, "TOTP enrolment begun");
        Ok(TotpEnrolment {
            secret,
            otpauth_url,
            qr_svg,
        })
    }

    /// Finishes adding an authenticator app with a code from it; answers ten fresh recovery
    /// codes (shown once; any earlier ones stop working). Replaces an earlier app.
    /// Needs a recent confirmation, as beginning does; confirming a new app is not itself a
    /// confirmation of the person.
    pub async fn confirm_totp(&self, who: &Identity, code: &str) -> Result<Vec<String>> {
        self.require_recent_confirmation(who)?;
        let Some(pending) = self.store.pending_factor(who.id, TOTP).await? else {
            return Err(AppError::Conflict {
                code: "no_enrolment",
                message: "there is no authenticator app being set up: start again".to_owned(),
            });
        };
        let totp = totp_of(&pending.secret)?;
        let Some(step) = matching_step(&totp, code, self.now().timestamp()) else {
            return Err(wrong_code());
        };
        if !self
            .store
            .confirm_factor(pending.id, who.id, Some(step), Some(TOTP), self.now())
            .await?
        {
            return Err(wrong_code());
        }
        let codes = self.new_recovery_codes(who.id).await?;
        self.audit(
            Some(who.id),
            "factor_added",
            "member",
            Some(who.id.to_string()),
            Some(TOTP.to_owned()),
        )
        .await?;
        tracing::info!(member = %who.id, "TOTP enrolled");
        Ok(codes)
    }

    /// Replaces the member's recovery codes with ten new ones, answered once.
    pub(crate) async fn new_recovery_codes(&self, member: MemberId) -> Result<Vec<String>> {
        let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
        self.store
            .replace_recovery_codes(
                member,
                codes.iter().map(|c| recovery_code_hash(c)).collect(),
                self.now(),
            )
            .await?;
        Ok(codes)
    }

    /// Checks a second factor of `member`'s, spending it (a TOTP step or a recovery code is
    /// accepted once). `Refused { code: "invalid_code" }` when it does not fit.
    pub async fn verify_factor(&self, member: MemberId, proof: &FactorProof) -> Result<()> {
        let now = self.now();
        match proof {
            FactorProof::Totp(code) => {
                for factor in self.store.factors(member).await? {
                    if factor.kind != TOTP {
                        continue;
                    }
                    let totp = totp_of(&factor.secret)?;
                    if let Some(step) = matching_step(&totp, code, now.timestamp())
                        && self.store.spend_totp_step(factor.id, step, now).await?
                    {
                        return Ok(());
                    }
                }
                Err(wrong_code())
            }
            FactorProof::RecoveryCode(code) => {
                if code.len() <= 64
                    && self
                        .store
                        .spend_recovery_code(member, &recovery_code_hash(code), now)
                        .await?
                {
                    self.audit(
                        Some(member),
                        "recovery_code_used",
                        "member",
                        Some(member.to_string()),
                        None,
                    )
                    .await?;
                    Ok(())
                } else {
                    Err(wrong_code())
                }
            }
        }
    }

    /// An admin removes every second factor and recovery code of another account (a staff
    /// member who lost their phone and their codes). Needs the admin's own fresh confirmation
    /// (step-up); never one's own account; the person's sessions end, they are notified, and it
    /// is audited. Answers how many factors went.
    pub async fn reset_member_factors(&self, who: &Identity, id: MemberId) -> Result<u64> {
        who.require(hearth_core::policy::Action::ManageMembers)?;
        if who.id == id {
            return Err(AppError::Forbidden(
                "nobody resets their own second factors this way: use a recovery code, or ask \
                 another admin"
                    .to_owned(),
            ));
        }
        self.require_recent_confirmation(who)?;
        match self.store.member(id).await {
            Err(hearth_store::StoreError::NotFound) => return Err(AppError::NotFound("member")),
            other => other?,
        };
        let removed = self.store.reset_factors(id).await?;
        self.store.delete_member_sessions(id, None).await?;
        self.disconnect_member(id, "your second factors were reset")
            .await;
        self.notify(hearth_store::records::NewNotification {
            member_id: id,
            kind: "factors_reset",
            thread_id: None,
            post_id: None,
            message: Some(
                "An admin reset your sign-in second factors. Set up your authenticator app again \
                 under Account, Sign-in security. If you did not ask for this, tell the admins."
                    .to_owned(),
            ),
            at: self.now(),
        })
        .await;
        self.audit(
            Some(who.id),
            "factors_reset",
            "member",
            Some(id.to_string()),
            Some(format!("{removed} factor(s)")),
        )
        .await?;
        Ok(removed)
    }

    /// Removes every factor and recovery code of the account `handle`, from the server's
    /// command line (`hearth admin reset-factors`): the way back for staff who lost their
    /// factor with no admin left to reset it. Their sessions end; it is audited. Answers how
    /// many factors went.
    pub async fn reset_factors_from_command_line(&self, handle: &str) -> Result<u64> {
        let Some(member) = self.store.member_by_handle(handle).await? else {
            return Err(AppError::NotFound("member"));
        };
        let removed = self.store.reset_factors(member.id).await?;
        self.store.delete_member_sessions(member.id, None).await?;
        self.disconnect_member(member.id, "your second factors were reset")
            .await;
        self.audit(
            None,
            "factors_reset",
            "member",
            Some(member.id.to_string()),
            Some("command line".to_owned()),
        )
        .await?;
        tracing::info!(member = %member.id, removed, "second factors reset from the command line");
        Ok(removed)
    }

    /// The sign-in's second step for `member` (whose password was right a moment ago), under
    /// the sign-in limits: a wrong code counts as a wrong password would, per account, per
    /// (account, address) and per address; the right one counts for nothing.
    pub async fn second_factor_limited(
        &self,
        member: MemberId,
        proof: &FactorProof,
        address: &str,
    ) -> Result<MemberRecord> {
        let account = format!("member:{member}");
        let pair = format!("{account}\u{0}{address}");
        let mut taken = Vec::with_capacity(3);
        let result = async {
            taken.push(self.take_limit(Limit::SignInPair, &pair).await?);
            taken.push(self.take_limit(Limit::SignInAccount, &account).await?);
            taken.push(self.take_limit(Limit::SignInAddress, address).await?);
            self.verify_factor(member, proof).await?;
            let m = self.store.member(member).await?;
            // Still let in? (A ban between the two steps ends the sign-in.)
            self.identity_of(m.clone())?;
            Ok(m.as_of(self.now()))
        }
        .await;
        match &result {
            Err(AppError::Refused {
                code: "invalid_code",
                ..
            }) => {}
            _ => {
                for t in taken {
                    self.give_back(t).await;
                }
            }
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_matches_its_step_and_its_neighbours_only() {
        let totp = totp_of("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").unwrap_or_else(|e| panic!("{e}"));
        let now = 1_700_000_000_i64;
        let code = totp.generate(u64::try_from(now).unwrap_or_default());
        assert_eq!(matching_step(&totp, &code, now), Some(step_at(now)));
        assert_eq!(matching_step(&totp, &code, now + 30), Some(step_at(now)));
        assert_eq!(matching_step(&totp, &code, now + 95), None);
        assert_eq!(matching_step(&totp, "12345", now), None);
        assert_eq!(matching_step(&totp, "abcdef", now), None);
    }

    #[test]
    fn recovery_codes_compare_without_case_or_dashes() {
        let code = new_recovery_code();
        assert_eq!(code.len(), 19);
        assert_eq!(
            recovery_code_hash(&code),
            recovery_code_hash(&code.to_uppercase().replace('-', " "))
        );
    }
}
