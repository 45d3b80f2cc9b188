//! Password hashing with argon2id (the crate's defaults: 19 MiB, 2 passes), run off the async
//! threads because it is deliberately slow.

use std::sync::Arc;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::{AppError, Result};

/// Hashes and verifies passwords.
#[derive(Clone)]
pub(crate) struct Passwords {
    /// At most two hashes at once: each takes 19 MiB and a blocking thread, and a burst of
    /// sign-ins must not balloon the server's memory (the allocator keeps what it grew to).
    permits: Arc<tokio::sync::Semaphore>,
    /// A hash of a random password, verified against when an account does not exist, so that
    /// a sign-in for an unknown account takes as long as one for a known account.
    dummy_hash: Arc<str>,
}

impl Passwords {
    pub(crate) fn new() -> Result<Self> {
        let random = uuid::Uuid::new_v4().to_string();
        Ok(Passwords {
            permits: Arc::new(tokio::sync::Semaphore::new(2)),
            dummy_hash: hash_blocking(&random)?.into(),
        })
    }

    pub(crate) async fn hash(&self, password: &str) -> Result<String> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || hash_blocking(&password))
            .await
            .map_err(|e| AppError::Internal(format!("hashing task failed: {e}")))?
    }

    /// Verifies `password` against `hash`, or against a dummy hash when `hash` is `None`
    /// (always false then, but just as slow).
    pub(crate) async fn verify(&self, password: &str, hash: Option<&str>) -> Result<bool> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let password = password.to_owned();
        let known = hash.is_some();
        let hash = hash.map_or_else(|| self.dummy_hash.to_string(), str::to_owned);
        let ok = tokio::task::spawn_blocking(move || {
            PasswordHash::new(&hash)
                .map(|parsed| {
                    Argon2::default()
                        .verify_password(password.as_bytes(), &parsed)
                        .is_ok()
                })
                .unwrap_or(false)
        })
        .await
        .map_err(|e| AppError::Internal(format!("verify task failed: {e}")))?;
        Ok(ok && known)
    }
}

fn hash_blocking(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("hashing failed: {e}")))
}
