//! The storage layer's one error type. Database errors are classified here, once.

use sea_orm::DbErr;
use sea_orm::sqlx::sqlite::SqliteError;

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
    /// Classifies by what the driver reports (sqlx's error variant, the database's error kind,
    /// SQLSTATE or SQLite result code, the constraint's name), never by searching message text.
    fn from(err: DbErr) -> Self {
        use sea_orm::RuntimeErr;
        let sqlx = match &err {
            DbErr::Conn(RuntimeErr::SqlxError(e))
            | DbErr::Exec(RuntimeErr::SqlxError(e))
            | DbErr::Query(RuntimeErr::SqlxError(e)) => Some(e.as_ref()),
            _ => None,
        };
        if let Some(class) = sqlx.and_then(classify_sqlx) {
            return class;
        }
        match err {
            DbErr::RecordNotFound(_) => StoreError::NotFound,
            DbErr::ConnectionAcquire(e) => StoreError::Unavailable(e.to_string()),
            DbErr::Conn(e) => StoreError::Unavailable(e.to_string()),
            other => StoreError::Other(other.to_string()),
        }
    }
}

/// What an sqlx error means for the caller, when its kind says so.
fn classify_sqlx(err: &sea_orm::sqlx::Error) -> Option<StoreError> {
    use sea_orm::sqlx::Error;
    use sea_orm::sqlx::error::ErrorKind;
    match err {
        // The server went away, the pool is exhausted or shut, or the link broke mid-query.
        Error::Io(_)
        | Error::Tls(_)
        | Error::Protocol(_)
        | Error::PoolTimedOut
        | Error::PoolClosed
        | Error::WorkerCrashed => Some(StoreError::Unavailable(err.to_string())),
        Error::RowNotFound => Some(StoreError::NotFound),
        Error::Database(db) => {
            if db.kind() == ErrorKind::UniqueViolation {
                return Some(StoreError::Conflict {
                    what: unique_field(db.constraint(), db.message()),
                });
            }
            let code = db.code().unwrap_or_default();
            let unavailable = if db.try_downcast_ref::<SqliteError>().is_some() {
                // SQLITE_BUSY (5) and SQLITE_LOCKED (6), with their extended codes: another
                // writer held the file past the busy timeout. Try again later, not a bug.
                code.parse::<i32>().is_ok_and(|c| matches!(c & 0xff, 5 | 6))
            } else {
                // SQLSTATE class 08 (connection exception), 53 (insufficient resources: too
                // many connections, disk full) and 57P01-57P03 (the server is shutting down or
                // starting up).
                code.starts_with("08") || code.starts_with("53") || code.starts_with("57P0")
            };
            unavailable.then(|| StoreError::Unavailable(err.to_string()))
        }
        _ => None,
    }
}

/// Which field a unique violation is about: the constraint or index name on PostgreSQL (for
/// example `members_handle_key`), the `table.column` list in SQLite's report
/// (`UNIQUE constraint failed: members.handle`), where SQLite names no constraint.
fn unique_field(constraint: Option<&str>, message: &str) -> &'static str {
    let names = match constraint {
        Some(name) => name,
        None => message
            .split_once("constraint failed:")
            .map_or("", |(_, columns)| columns),
    };
    let has = |field: &str| {
        names
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .any(|part| part == field || part.split('_').any(|w| w == field))
    };
    if names.contains("client_key") {
        "client_key"
    } else if has("handle") {
        "handle"
    } else if has("email") {
        "email"
    } else {
        "unique"
    }
}

#[cfg(test)]
mod tests {
    use super::unique_field;

    #[test]
    fn the_field_comes_from_the_constraint_or_sqlites_column_list() {
        assert_eq!(
            unique_field(Some("members_handle_key"), "duplicate key value"),
            "handle"
        );
        assert_eq!(unique_field(Some("idx_members_email"), ""), "email");
        assert_eq!(unique_field(Some("posts_client_key"), ""), "client_key");
        assert_eq!(
            unique_field(None, "UNIQUE constraint failed: members.handle"),
            "handle"
        );
        assert_eq!(
            unique_field(
                None,
                "UNIQUE constraint failed: posts.author_id, posts.client_key"
            ),
            "client_key"
        );
        assert_eq!(
            unique_field(None, "UNIQUE constraint failed: reactions.post_id"),
            "unique"
        );
        // A message that only mentions a field elsewhere does not count.
        assert_eq!(unique_field(None, "handle: something else"), "unique");
    }
}
