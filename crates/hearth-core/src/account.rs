//! Validation of what a person types to make an account: handle, email and password.
//!
//! Members are pseudonymous, so a handle may not carry contact details: it may not look like an
//! email address or a phone number. Handles are unique ignoring case ([`handle_key`]).

/// Shortest and longest handle, in characters.
pub const HANDLE_LEN: std::ops::RangeInclusive<usize> = 3..=32;
/// Shortest password, in characters. No composition rules: length is what matters.
pub const PASSWORD_MIN: usize = 10;
/// Longest password accepted, so that hashing cannot be used to burn CPU.
pub const PASSWORD_MAX: usize = 256;
/// Longest email address (RFC 5321 path limit).
pub const EMAIL_MAX: usize = 254;

/// Why a handle was refused. The messages are shown to the applicant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HandleError {
    /// Too short or too long.
    #[error("a handle must be 3 to 32 characters long")]
    Length,
    /// Uses characters other than letters, digits, `_`, `-` and `.`.
    #[error("a handle may use only letters, digits, '_', '-' and '.'")]
    Characters,
    /// Looks like an email address or a web address.
    #[error(
        "a handle must not look like an email or web address: choose a name that does not identify you"
    )]
    LooksLikeEmail,
    /// Contains enough digits to be a phone number.
    #[error("a handle must not look like a phone number: choose a name that does not identify you")]
    LooksLikePhone,
}

/// Checks a handle and returns it as typed (trimmed of surrounding spaces).
pub fn validate_handle(raw: &str) -> Result<String, HandleError> {
    let handle = raw.trim();
    let len = handle.chars().count();
    if !HANDLE_LEN.contains(&len) {
        return Err(HandleError::Length);
    }
    if !handle
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        // '@' lands here too: the plainest sign of an email address.
        return Err(HandleError::Characters);
    }
    let lower = handle.to_ascii_lowercase();
    const DOMAIN_ENDINGS: [&str; 12] = [
        ".com", ".co.uk", ".uk", ".org", ".net", ".io", ".me", ".info", ".gov", ".ac", ".nhs",
        ".email",
    ];
    if DOMAIN_ENDINGS.iter().any(|e| lower.ends_with(e))
        || [
            "gmail",
            "hotmail",
            "outlook",
            "yahoo",
            "icloud",
            "btinternet",
            "www.",
        ]
        .iter()
        .any(|p| lower.contains(p))
    {
        return Err(HandleError::LooksLikeEmail);
    }
    let digits = handle.chars().filter(char::is_ascii_digit).count();
    if digits >= 7 {
        return Err(HandleError::LooksLikePhone);
    }
    Ok(handle.to_owned())
}

/// The form of a handle used for uniqueness and look-up: `Jo_B` and `jo_b` are the same member.
pub fn handle_key(handle: &str) -> String {
    handle.trim().to_ascii_lowercase()
}

/// Why an email address was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("email must be an address like name@example.org")]
pub struct EmailError;

/// Checks an email address loosely (the real test is whether mail arrives) and returns it
/// normalised to lower case, which is also its look-up key.
pub fn normalise_email(raw: &str) -> Result<String, EmailError> {
    let email = raw.trim().to_lowercase();
    if email.len() > EMAIL_MAX || email.chars().any(char::is_whitespace) {
        return Err(EmailError);
    }
    let (local, domain) = email.split_once('@').ok_or(EmailError)?;
    if local.is_empty()
        || domain.contains('@')
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        // Reserved never to exist (RFC 2606); waiting accounts hold placeholders there.
        || domain == "invalid"
        || domain.ends_with(".invalid")
    {
        return Err(EmailError);
    }
    Ok(email)
}

/// Why a password was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Shorter than [`PASSWORD_MIN`].
    #[error("a password must be at least 10 characters long")]
    TooShort,
    /// Longer than [`PASSWORD_MAX`].
    #[error("a password must be at most 256 characters long")]
    TooLong,
}

/// Checks a new password's length (in characters, so any script counts fairly).
pub fn validate_password(password: &str) -> Result<(), PasswordError> {
    let n = password.chars().count();
    if n < PASSWORD_MIN {
        Err(PasswordError::TooShort)
    } else if n > PASSWORD_MAX {
        Err(PasswordError::TooLong)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles() {
        for ok in [
            "hope",
            "Tired_Mum",
            "a.b-c",
            "ash2024",
            "abc",
            "x".repeat(32).as_str(),
        ] {
            assert_eq!(validate_handle(ok).as_deref(), Ok(ok), "{ok}");
        }
        let cases = [
            ("ab", HandleError::Length),
            (&"x".repeat(33), HandleError::Length),
            ("jo@example.org", HandleError::Characters),
            ("two words", HandleError::Characters),
            ("<script>", HandleError::Characters),
            ("janet.moss.gmail", HandleError::LooksLikeEmail),
            ("janetmoss.co.uk", HandleError::LooksLikeEmail),
            ("07700900123", HandleError::LooksLikePhone),
            ("call-0770-0900", HandleError::LooksLikePhone),
        ];
        for (bad, why) in cases {
            assert_eq!(validate_handle(bad), Err(why), "{bad}");
        }
        assert_eq!(validate_handle("  padded  ").as_deref(), Ok("padded"));
        assert_eq!(handle_key("Tired_Mum"), "tired_mum");
    }

    #[test]
    fn emails() {
        assert_eq!(
            normalise_email(" Jo@Example.ORG ").as_deref(),
            Ok("jo@example.org")
        );
        for bad in [
            "",
            "jo",
            "jo@",
            "@x.org",
            "jo@localhost",
            "jo@@x.org",
            "j o@x.org",
            "jo@x.",
            "0190a2b4-0000-7000-8000-000000000000@pending.invalid",
            "jo@example.invalid",
        ] {
            assert_eq!(normalise_email(bad), Err(EmailError), "{bad}");
        }
    }

    #[test]
    fn passwords() {
        assert_eq!(validate_password("short"), Err(PasswordError::TooShort));
        assert_eq!(validate_password("ninechars"), Err(PasswordError::TooShort));
        assert_eq!(validate_password("tenchars!!"), Ok(()));
        assert_eq!(validate_password("ééééééééééé"), Ok(()));
        assert_eq!(
            validate_password(&"x".repeat(257)),
            Err(PasswordError::TooLong)
        );
    }
}
