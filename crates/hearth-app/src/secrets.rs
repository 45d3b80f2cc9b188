//! Server-wide secrets, generated once and kept in the settings table so that every instance
//! shares them. Random tokens and their hashes also live here.

use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::{AppError, Result};

const AGE_REFUSAL_SALT: &str = "age_refusal_salt";

pub(crate) struct Secrets {
    /// Key for the salted hash of refused applicants' emails. Without it the stored hash
    /// cannot be linked back to an address by guessing common emails.
    age_refusal_salt: Vec<u8>,
}

impl Secrets {
    pub(crate) async fn load_or_create(store: &hearth_store::Store) -> Result<Secrets> {
        let salt = store
            .setting_or_insert(AGE_REFUSAL_SALT, random_token())
            .await?;
        let age_refusal_salt = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(salt)
            .map_err(|e| AppError::Internal(format!("stored salt is not base64: {e}")))?;
        Ok(Secrets { age_refusal_salt })
    }

    /// The keyed hash under which an erased member's handle stays reserved: the same key, a
    /// different domain (so a handle's hash never equals an email's), over the handle's
    /// comparison key (case and look-alikes folded as for uniqueness).
    pub(crate) fn handle_hash(&self, handle: &str) -> String {
        self.email_hash(&format!(
            "handle:{}",
            hearth_core::account::handle_key(handle)
        ))
    }

    /// The keyed hash under which an email's age refusal is remembered.
    pub(crate) fn email_hash(&self, email: &str) -> String {
        self.keyed_hash(email)
    }

    /// A keyed hash of `text` (HMAC-SHA-256, hex): what stands in for an email or a client
    /// address wherever one must be recognised but not kept (age refusals, rate limits).
    /// Callers put a domain prefix with a NUL in their text, so uses never collide.
    pub(crate) fn keyed_hash(&self, text: &str) -> String {
        // A key of any length is accepted by HMAC, so this cannot fail; fall back to a plain
        // hash rather than panic if it ever did.
        match Hmac::<Sha256>::new_from_slice(&self.age_refusal_salt) {
            Ok(mut mac) => {
                mac.update(text.as_bytes());
                hex(&mac.finalize().into_bytes())
            }
            Err(_) => token_hash(text),
        }
    }
}

/// 32 random bytes, URL-safe base64: for invite links, setup links and secrets.
pub(crate) fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// How a token is stored: SHA-256, hex. Tokens are long and random, so no salt is needed.
pub(crate) fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
