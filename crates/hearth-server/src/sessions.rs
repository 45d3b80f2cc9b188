//! tower-sessions' store over our database, so sessions survive a restart and are shared by
//! every instance. The member id is copied into its own column so that all of a member's
//! sessions can be ended at once.
//!
//! The idle expiry in the `expires_at` column is counted by the application's clock, not
//! tower-sessions' own (the system clock): every save sets it to the clock's now plus the idle
//! limit, and only live sessions by that clock are loaded. A session slides: the identity
//! extractor asks for a save of a signed-in session at most once a minute
//! ([`crate::extract`]), which moves its expiry on and renews the cookie.

use async_trait::async_trait;
use hearth_app::Clock;
use hearth_core::ids::MemberId;
use hearth_store::Store;
use hearth_store::records::SessionRow;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

use crate::extract::SESSION_MEMBER;

/// Sessions kept in the `sessions` table.
#[derive(Clone)]
pub struct DbSessionStore {
    store: Store,
    clock: Clock,
    idle: chrono::Duration,
}

impl std::fmt::Debug for DbSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbSessionStore")
            .field("idle", &self.idle)
            .finish_non_exhaustive()
    }
}

impl DbSessionStore {
    /// A session store over `store`, whose sessions end after `idle` unused by `clock`.
    pub fn new(store: Store, clock: Clock, idle: chrono::Duration) -> Self {
        DbSessionStore { store, clock, idle }
    }

    fn row(&self, record: &Record) -> session_store::Result<SessionRow> {
        let member_id = record
            .data
            .get(SESSION_MEMBER)
            .and_then(|v| serde_json::from_value::<MemberId>(v.clone()).ok());
        Ok(SessionRow {
            id: record.id.to_string(),
            member_id,
            data: serde_json::to_string(&record.data)
                .map_err(|e| session_store::Error::Encode(e.to_string()))?,
            expires_at: (self.clock)() + self.idle,
        })
    }
}

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // Session ids are 128 random bits; a collision is astronomically unlikely, but if one
        // happens the id is drawn again rather than overwriting someone else's session.
        loop {
            if self
                .store
                .insert_session(&self.row(record)?)
                .await
                .map_err(backend)?
            {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.store
            .save_session(&self.row(record)?)
            .await
            .map_err(backend)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let Some(found) = self
            .store
            .load_session(&id.to_string(), (self.clock)())
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        let data = serde_json::from_str(&found.data)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        let expiry_date = time::OffsetDateTime::from_unix_timestamp(found.expires_at.timestamp())
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.store
            .delete_session(&id.to_string())
            .await
            .map_err(backend)
    }
}
