//! Upgrading a database that was written by an earlier build, on SQLite and PostgreSQL: what the
//! migrations must change in data already stored, not only in the schema.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{Backend, TestDb};
use hearth_migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Database};

/// Events stored before the read model carried members' text (a post's HTML, a thread's title);
/// after the upgrade the event log holds references only, which still name what they are about.
async fn old_events_lose_their_text_on_upgrade(backend: Backend) {
    let Some(test_db) = TestDb::create(backend).await else {
        return;
    };
    let db = Database::connect(&test_db.url).await.unwrap();
    Migrator::up(&db, Some(13)).await.unwrap();
    let old = r#"{"kind":"post_published","post":{"id":"0190a2b4-0000-7000-8000-000000000001","thread_id":"0190a2b4-0000-7000-8000-000000000002","body_html":"<p>Emily Harrington lives at 42 Acacia Avenue</p>","author":"tired_mum"}}"#;
    db.execute_unprepared(&format!(
        "INSERT INTO events (topic, seq, payload, created_at) VALUES \
         ('thread:0190a2b4-0000-7000-8000-000000000002', 1, '{old}', CURRENT_TIMESTAMP)"
    ))
    .await
    .unwrap();
    Migrator::up(&db, None).await.unwrap();
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT payload FROM events",
        ))
        .await
        .unwrap()
        .unwrap();
    let payload: String = row.try_get("", "payload").unwrap();
    assert!(!payload.contains("Emily"), "{payload}");
    assert!(!payload.contains("tired_mum"), "{payload}");
    let event: serde_json::Value = serde_json::from_str(&payload).unwrap();
    assert_eq!(event["kind"], "post_published");
    assert_eq!(event["post_id"], "0190a2b4-0000-7000-8000-000000000001");
    db.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_events_lose_their_text_on_upgrade_sqlite() {
    old_events_lose_their_text_on_upgrade(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_events_lose_their_text_on_upgrade_postgres() {
    old_events_lose_their_text_on_upgrade(Backend::Postgres).await;
}
