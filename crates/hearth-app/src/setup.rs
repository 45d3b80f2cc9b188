//! First run: creating the first admin, from the browser (with a one-time link printed to the
//! log) or from the command line.

use hearth_core::account::{normalise_email, validate_handle, validate_password};
use hearth_core::ids::MemberId;
use hearth_core::policy::{Role, Standing};
use hearth_store::StoreError;
use hearth_store::records::{MemberRecord, NewMember};

use crate::secrets::{random_token, token_hash};
use crate::{App, AppError, Result};

const SETUP_TOKEN: &str = "setup_token_hash";

/// How an admin was created, for the audit log and the account's age-check record.
#[derive(Clone, Copy, Debug)]
pub enum AdminOrigin {
    /// Through the first-run setup link.
    SetupLink,
    /// By the operator with `hearth admin create`.
    CommandLine,
}

impl App {
    /// When no admin exists yet, makes a fresh one-time setup token and answers the link to
    /// print. Answers `None` once an admin exists (and removes any stale token).
    pub async fn first_run_link(&self) -> Result<Option<String>> {
        if self.store.count_active_admins(self.now()).await? > 0 {
            if self.store.setting(SETUP_TOKEN).await?.is_some() {
                self.store.put_setting(SETUP_TOKEN, String::new()).await?;
            }
            return Ok(None);
        }
        let token = random_token();
        self.store
            .put_setting(SETUP_TOKEN, token_hash(&token))
            .await?;
        Ok(Some(format!(
            "{}/setup?token={token}",
            self.config.public_url.trim_end_matches('/')
        )))
    }

    /// Creates the first admin with the one-time setup token. The token stops working once
    /// used, and refuses if an admin already exists.
    pub async fn complete_setup(
        &self,
        token: &str,
        handle: &str,
        email: &str,
        password: &str,
    ) -> Result<MemberRecord> {
        let gone = || AppError::Refused {
            code: "setup_unavailable",
            message: "this setup link is not valid: it has been used, or an admin already exists"
                .to_owned(),
        };
        if token.is_empty() || self.store.count_active_admins(self.now()).await? > 0 {
            return Err(gone());
        }
        // The token first: a wrong one costs no password hash (anyone can reach this page).
        if self.store.setting(SETUP_TOKEN).await?.as_deref() != Some(token_hash(token).as_str()) {
            return Err(gone());
        }
        // Validate before spending the token, so a typo does not burn it.
        let new = self.new_admin(handle, email, password).await?;
        if !self
            .store
            .take_setting(SETUP_TOKEN, &token_hash(token))
            .await?
        {
            return Err(gone());
        }
        self.insert_admin(new, AdminOrigin::SetupLink).await
    }

    /// Creates an admin from the command line (`hearth admin create`).
    pub async fn create_admin(
        &self,
        handle: &str,
        email: &str,
        password: &str,
    ) -> Result<MemberRecord> {
        let new = self.new_admin(handle, email, password).await?;
        self.insert_admin(new, AdminOrigin::CommandLine).await
    }

    async fn new_admin(&self, handle: &str, email: &str, password: &str) -> Result<NewMember> {
        let handle =
            validate_handle(handle).map_err(|e| AppError::invalid("handle", e.to_string()))?;
        self.check_handle(&handle, Role::Admin)?;
        let email =
            normalise_email(email).map_err(|e| AppError::invalid("email", e.to_string()))?;
        validate_password(password).map_err(|e| AppError::invalid("password", e.to_string()))?;
        let now = self.now();
        Ok(NewMember {
            id: MemberId::new(),
            handle,
            email,
            password_hash: self.passwords.hash(password).await?,
            role: Role::Admin,
            standing: Standing::Active,
            age_check: "operator".to_owned(),
            adult_confirmed_at: Some(now),
            now,
        })
    }

    async fn insert_admin(&self, new: NewMember, origin: AdminOrigin) -> Result<MemberRecord> {
        let member = match self.store.create_member(&new).await {
            Err(StoreError::Conflict { what }) => {
                return Err(AppError::Conflict {
                    code: if what == "handle" {
                        "handle_taken"
                    } else {
                        "email_taken"
                    },
                    message: format!("that {what} is already in use"),
                });
            }
            other => other?,
        };
        let action = match origin {
            AdminOrigin::SetupLink => "first_admin_created",
            AdminOrigin::CommandLine => "admin_created_by_operator",
        };
        self.audit(
            Some(member.id),
            action,
            "member",
            Some(member.id.to_string()),
            None,
        )
        .await?;
        tracing::info!(member = %member.id, "admin created");
        Ok(member)
    }
}
