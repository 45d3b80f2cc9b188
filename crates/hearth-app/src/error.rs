//! The use-case layer's one error type. The server maps each variant to an HTTP status in one
//! place; the command line prints its message.

use hearth_core::policy::{Denied, StaffAction};
use hearth_store::StoreError;

/// Shorthand for use-case results.
pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// Why a use case did not go ahead.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The input is wrong; `field` names the offending field.
    #[error("{message}")]
    Validation {
        /// The JSON field at fault.
        field: &'static str,
        /// A sentence for the person who typed it.
        message: String,
        /// Other fields found wrong in the same request, so a form can show every problem at
        /// once instead of one per submit (empty for most use cases, which check one thing).
        more: Vec<(&'static str, String)>,
    },
    /// The input is well formed but cannot be accepted as it is (a handle the moderation rules
    /// would hold): answered with its own code so a client can say what to change. Nothing was
    /// stored.
    #[error("{message}")]
    Unsuitable {
        /// The JSON field at fault.
        field: &'static str,
        /// Machine-readable reason (`handle_identifies`).
        code: &'static str,
        /// A kind sentence for the person, which never repeats what the rules matched.
        message: String,
    },
    /// The handle or email and password do not match an account. Deliberately says no more
    /// (a waiting application signs in only by its handle, whatever its email, so this answer
    /// reveals nothing about whose email is whose).
    #[error(
        "that handle or email and password do not match (if your application is still waiting, \
         sign in with your handle)"
    )]
    BadCredentials,
    /// Not signed in, or the session no longer stands.
    #[error("please sign in")]
    Unauthenticated,
    /// Signed in, but not allowed to do this.
    #[error("{0}")]
    Forbidden(String),
    /// Refused for a reason the person should see, with a code for the client (`under_age`,
    /// `application_pending`, `suspended`, ...).
    #[error("{message}")]
    Refused {
        /// Machine-readable reason.
        code: &'static str,
        /// A kind sentence for the person.
        message: String,
    },
    /// The moderation rules refused the text; the verdict says why (for the author).
    #[error("the group's rules do not allow this post as it is")]
    RuleRejected(Box<hearth_core::moderation::Verdict>),
    /// The thing does not exist (or the actor may not know it exists).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request collides with the current state (handle taken, already decided).
    #[error("{message}")]
    Conflict {
        /// Machine-readable reason.
        code: &'static str,
        /// A sentence for the person.
        message: String,
    },
    /// Too many of this action for now (a rate limit); the caller may try again after
    /// `retry_after` seconds. Answered as 429 with `Retry-After`, or a socket `error` frame.
    #[error("too many attempts; please wait {retry_after} seconds and try again")]
    RateLimited {
        /// Seconds to wait.
        retry_after: u64,
    },
    /// A backing service is down; try again later.
    #[error("the forum's database is unavailable; please try again shortly")]
    Unavailable(String),
    /// A bug. The cause is logged once; the client sees a generic message.
    #[error("internal error")]
    Internal(String),
}

/// What a person is told when something broke on our side: never the cause.
pub const SOMETHING_WENT_WRONG: &str = "something went wrong on our side; please try again";

impl AppError {
    /// The sentence a person is shown for this error, on every channel (an HTTP answer, a
    /// chat acknowledgement, one item of a bulk decision). A bug's cause is logged here, once,
    /// and never shown; an outage's cause is logged and the person is told to try again; a
    /// post the rules refused says what the rules tell its author.
    pub fn public_message(&self) -> String {
        match self {
            AppError::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                SOMETHING_WENT_WRONG.to_owned()
            }
            AppError::Unavailable(cause) => {
                tracing::warn!(%cause, "backing service unavailable");
                self.to_string()
            }
            AppError::RuleRejected(v) if !v.author_messages.is_empty() => {
                v.author_messages.join(" ")
            }
            other => other.to_string(),
        }
    }

    /// Shorthand for a validation error.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        AppError::Validation {
            field,
            message: message.into(),
            more: Vec::new(),
        }
    }

    /// Every problem found in a form, the first as the error's own field and message (what
    /// clients that read one field show); `None` when there are none.
    pub fn invalid_fields(mut problems: Vec<(&'static str, String)>) -> Option<Self> {
        if problems.is_empty() {
            return None;
        }
        let (field, message) = problems.remove(0);
        Some(AppError::Validation {
            field,
            message,
            more: problems,
        })
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound("record"),
            StoreError::Conflict { what } => AppError::Conflict {
                code: "conflict",
                message: format!("that {what} is already in use"),
            },
            StoreError::Unavailable(cause) => AppError::Unavailable(cause),
            StoreError::Other(cause) => AppError::Internal(cause),
        }
    }
}

impl From<Denied> for AppError {
    fn from(d: Denied) -> Self {
        match d {
            Denied::NotActive(_) => AppError::Unauthenticated,
            Denied::NeedsRole(_) | Denied::OwnAccount => AppError::Forbidden(d.to_string()),
            Denied::TargetStanding { action, .. } => AppError::Conflict {
                code: if action == StaffAction::Reinstate {
                    "not_sanctioned"
                } else {
                    "standing_forbids"
                },
                message: d.to_string(),
            },
        }
    }
}

#[cfg(test)]
mod public_message_tests {
    use super::{AppError, SOMETHING_WENT_WRONG};

    #[test]
    fn a_bugs_cause_is_never_shown_and_other_errors_say_what_they_are() {
        let bug = AppError::Internal("storage error: relation \"members\" has no column".into());
        assert_eq!(bug.public_message(), SOMETHING_WENT_WRONG);
        let down = AppError::Unavailable("Connection refused (os error 111) at 10.0.0.5".into());
        assert!(!down.public_message().contains("10.0.0.5"));
        assert_eq!(
            AppError::NotFound("post").public_message(),
            "post not found"
        );
        assert_eq!(
            AppError::invalid("reason", "a reason is needed").public_message(),
            "a reason is needed"
        );
    }
}
