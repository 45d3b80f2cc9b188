//! Hearth's storage: sea-orm over SQLite (the embedded default) or PostgreSQL, behind a small
//! repository API on [`Store`].
//!
//! Callers never see `DbErr` or sea-orm models: every method returns a record type from
//! [`records`] or a [`StoreError`], with database constraints already mapped (a duplicate handle
//! is `Conflict { what: "handle" }`). This crate decides nothing about permissions or
//! moderation; it stores what `hearth-app` tells it to, and takes the current time as an
//! argument so that time-based rules can be tested with a fixed clock.
#![forbid(unsafe_code)]

mod entity;
mod error;
pub mod records;
mod repo;

use std::time::Duration;

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend};

pub use error::StoreError;
pub use repo::access_log::{AccessFilter, AccessRecord};
pub use repo::applications::ApplicationDecision;
pub use repo::comforts::{FollowedThread, PostReactions, ProfileRecord, SearchHit, SearchQuery};
pub use repo::concerns::{ConcernDecision, ConcernRecord, NewConcern};
pub use repo::content::ThreadCursor;
pub use repo::crisis::{
    CheckinMessageRecord, CheckinRecord, CrisisAction, CrisisRecord, CrisisSource,
    NewCheckinMessage, NewCrisis,
};
pub use repo::everyday::{BoardActivity, ReportedMessage, UNREAD_WINDOW};
pub use repo::factors::FactorRecord;
pub use repo::members::StandingChange;
pub use repo::realtime::NewEvent;
pub use repo::rights::{ErasePosts, MemberContent};

/// Shorthand for storage results.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A handle on the database. Cheap to clone: it wraps a connection pool.
#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
}

impl Store {
    /// Connects to `url` (`sqlite://path?mode=rwc` or `postgres://...`). For SQLite the parent
    /// folder is created, and WAL and foreign keys are switched on.
    #[tracing::instrument(skip_all)]
    pub async fn connect(url: &str) -> Result<Store> {
        if let Some(path) = sqlite_path(url)
            && let Some(parent) = std::path::Path::new(path).parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(|e| {
                StoreError::Unavailable(format!("cannot create {}: {e}", parent.display()))
            })?;
        }
        let mut opts = ConnectOptions::new(url.to_owned());
        opts.connect_timeout(Duration::from_secs(5))
            .acquire_timeout(Duration::from_secs(5))
            .sqlx_logging(false);
        if url.starts_with("sqlite:") {
            // One writer at a time is SQLite's nature; a small pool avoids "database is locked".
            opts.max_connections(4).min_connections(1);
            // Per connection (a pragma run once would reach one pooled connection only):
            // WAL, foreign keys, a wait for the write lock, and secure_delete, so deleted rows
            // (an erased member's email, posts, chat) are overwritten with zeros, not left in
            // free pages of the file.
            opts.map_sqlx_sqlite_opts(|o| {
                use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
                o.journal_mode(SqliteJournalMode::Wal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(5))
                    .synchronous(SqliteSynchronous::Normal)
                    .pragma("secure_delete", "ON")
            });
        } else {
            opts.max_connections(32);
        }
        let db = Database::connect(opts).await?;
        Ok(Store { db })
    }

    /// After an erasure on SQLite: copies the write-ahead log into the database file and empties
    /// it (`wal_checkpoint(TRUNCATE)`), so the erased rows' old pages do not linger in the WAL.
    /// With `secure_delete` on, the file itself keeps zeros where they were. A checkpoint that
    /// cannot run now (a reader holds the log) is tried again by the caller's next erasure and
    /// by SQLite's own automatic checkpoints; it is never an error for the member. PostgreSQL
    /// keeps dead rows until VACUUM: see docs/operating.md.
    pub async fn scrub_after_erasure(&self) -> Result<()> {
        if self.db.get_database_backend() == DbBackend::Sqlite {
            self.db
                .execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
                .await?;
        }
        Ok(())
    }

    /// Begins a transaction that will write. On SQLite it is `BEGIN IMMEDIATE`: the write lock is
    /// taken at the start (waiting up to `busy_timeout` for another writer), so a transaction
    /// that reads before it writes cannot fail with "database is locked" when it upgrades.
    pub(crate) async fn begin_write(&self) -> Result<sea_orm::DatabaseTransaction> {
        use sea_orm::TransactionTrait;
        if self.db.get_database_backend() == DbBackend::Sqlite {
            Ok(self
                .db
                .begin_with_options(sea_orm::TransactionOptions {
                    sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
                    ..Default::default()
                })
                .await?)
        } else {
            Ok(self.db.begin().await?)
        }
    }

    /// Brings the schema up to date. Safe to run on every start and from several instances.
    pub async fn migrate(&self) -> Result<()> {
        use hearth_migrations::MigratorTrait;
        hearth_migrations::Migrator::up(&self.db, None).await?;
        Ok(())
    }

    /// Whether the database answers; used by `/readyz`.
    pub async fn ping(&self) -> Result<()> {
        self.db.ping().await?;
        Ok(())
    }

    /// Which database this is, for logs and for the few queries that differ.
    pub fn backend_name(&self) -> &'static str {
        match self.db.get_database_backend() {
            DbBackend::Postgres => "postgresql",
            DbBackend::Sqlite => "sqlite",
            _ => "other",
        }
    }

    /// The live schema as (table, column) pairs, for the data-inventory test.
    pub async fn schema_columns(&self) -> Result<Vec<(String, String)>> {
        let backend = self.db.get_database_backend();
        let sql = match backend {
            DbBackend::Postgres => {
                "SELECT table_name::text AS t, column_name::text AS c FROM information_schema.columns \
                 WHERE table_schema = current_schema() ORDER BY 1, 2"
            }
            _ => {
                // FTS5's shadow tables (`search_posts_data`, ...) are its internals, holding the
                // same words as the virtual table they belong to, which is listed.
                "SELECT m.name AS t, p.name AS c FROM sqlite_master m, pragma_table_info(m.name) p \
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' \
                 AND NOT EXISTS (SELECT 1 FROM sqlite_master v WHERE v.sql LIKE 'CREATE VIRTUAL TABLE%' \
                 AND m.name GLOB v.name || '_*') ORDER BY 1, 2"
            }
        };
        let rows = self
            .db
            .query_all_raw(sea_orm::Statement::from_string(backend, sql))
            .await?;
        rows.into_iter()
            .map(|r| Ok((r.try_get::<String>("", "t")?, r.try_get::<String>("", "c")?)))
            .collect()
    }
}

fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then_some(path)
}
