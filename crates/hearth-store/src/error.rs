//! The storage layer's one error type. Database errors are classified here, once.

use sea_orm::{DbErr, SqlErr};

/// What can go wrong when storing or loading.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row asked for does not exist.
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was broken, or a conditional update found the row already changed
    /// (for example an application already decided). `what` names the field or thing.
    #[error("conflict on {what}")]
    Conflict {
        /// Which field or thing collided: "handle", "email", "decision", ...
        what: &'static str,
    },
    /// The database cannot be reached right now; the caller should answer 503.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Anything else: a bug or corrupt data. Logged, answered as 500.
    #[error("storage error: {0}")]
    Other(String),
}

impl From<DbErr> for StoreError {
    fn from(err: DbErr) -> Self {
        if let Some(SqlErr::UniqueConstraintViolation(msg)) = err.sql_err() {
            let what = if msg.contains("client_key") {
                "client_key"
            } else if msg.contains("handle") {
                "handle"
            } else if msg.contains("email") {
                "email"
            } else {
                "unique"
            };
            return StoreError::Conflict { what };
        }
        match err {
            DbErr::RecordNotFound(_) => StoreError::NotFound,
            DbErr::ConnectionAcquire(e) => StoreError::Unavailable(e.to_string()),
            DbErr::Conn(e) => StoreError::Unavailable(e.to_string()),
            other => {
                let text = other.to_string();
                // sqlx reports a vanished server as an I/O or protocol error during a query.
                if [
                    "Connection refused",
                    "connection closed",
                    "PoolTimedOut",
                    "pool timed out",
                    "broken pipe",
                    "Io(",
                    "error communicating",
                ]
                .iter()
                .any(|needle| text.contains(needle))
                {
                    StoreError::Unavailable(text)
                } else {
                    StoreError::Other(text)
                }
            }
        }
    }
}
