//! Member comforts: search, supportive reactions, following and muting threads, muting members,
//! mention notices sent once, and a short profile text.
//!
//! Search is the one place the two databases differ in shape. PostgreSQL keeps a generated
//! `tsvector` column on `posts` and `threads` with a GIN index; SQLite keeps two FTS5 tables
//! (`search_posts`, `search_threads`) filled by triggers. In both, the index follows the rows
//! it was made from by itself: an edit re-indexes, a deleted or erased post leaves the index in
//! the same statement, so no code path can forget to.

use sea_orm_migration::sea_orm::DbBackend;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(from: &'static str, col: &'static str, to: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from, col)
        .to(to, "id")
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

/// PostgreSQL: generated search vectors, indexed.
const POSTGRES_SEARCH: &[&str] = &[
    "ALTER TABLE posts ADD COLUMN search_vector tsvector \
     GENERATED ALWAYS AS (to_tsvector('english', body_source)) STORED",
    "CREATE INDEX posts_search ON posts USING GIN (search_vector)",
    "ALTER TABLE threads ADD COLUMN search_vector tsvector \
     GENERATED ALWAYS AS (to_tsvector('english', title)) STORED",
    "CREATE INDEX threads_search ON threads USING GIN (search_vector)",
];

/// SQLite: FTS5 tables kept in step with their rows by triggers, and filled from what exists.
const SQLITE_SEARCH: &[&str] = &[
    "CREATE VIRTUAL TABLE search_posts USING fts5(post_id UNINDEXED, body, \
     tokenize = 'porter unicode61 remove_diacritics 2')",
    "CREATE VIRTUAL TABLE search_threads USING fts5(thread_id UNINDEXED, title, \
     tokenize = 'porter unicode61 remove_diacritics 2')",
    "INSERT INTO search_posts (post_id, body) SELECT id, body_source FROM posts",
    "INSERT INTO search_threads (thread_id, title) SELECT id, title FROM threads",
    "CREATE TRIGGER search_posts_insert AFTER INSERT ON posts BEGIN \
     INSERT INTO search_posts (post_id, body) VALUES (new.id, new.body_source); END",
    "CREATE TRIGGER search_posts_update AFTER UPDATE OF body_source ON posts BEGIN \
     UPDATE search_posts SET body = new.body_source WHERE post_id = old.id; END",
    "CREATE TRIGGER search_posts_delete AFTER DELETE ON posts BEGIN \
     DELETE FROM search_posts WHERE post_id = old.id; END",
    "CREATE TRIGGER search_threads_insert AFTER INSERT ON threads BEGIN \
     INSERT INTO search_threads (thread_id, title) VALUES (new.id, new.title); END",
    "CREATE TRIGGER search_threads_update AFTER UPDATE OF title ON threads BEGIN \
     UPDATE search_threads SET title = new.title WHERE thread_id = old.id; END",
    "CREATE TRIGGER search_threads_delete AFTER DELETE ON threads BEGIN \
     DELETE FROM search_threads WHERE thread_id = old.id; END",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("reactions")
                    .col(uuid("post_id"))
                    .col(uuid("member_id"))
                    .col(string("kind"))
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(Index::create().col("post_id").col("member_id").col("kind"))
                    .foreign_key(&mut fk("reactions", "post_id", "posts"))
                    .foreign_key(&mut fk("reactions", "member_id", "members"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("thread_follows")
                    .col(uuid("member_id"))
                    .col(uuid("thread_id"))
                    .col(string("state"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .primary_key(Index::create().col("member_id").col("thread_id"))
                    .foreign_key(&mut fk("thread_follows", "member_id", "members"))
                    .foreign_key(&mut fk("thread_follows", "thread_id", "threads"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("thread_follows_thread")
                    .table("thread_follows")
                    .col("thread_id")
                    .col("state")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("member_mutes")
                    .col(uuid("member_id"))
                    .col(uuid("muted_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(Index::create().col("member_id").col("muted_id"))
                    .foreign_key(&mut fk("member_mutes", "member_id", "members"))
                    .foreign_key(&mut fk("member_mutes", "muted_id", "members"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("mentions")
                    .col(uuid("post_id"))
                    .col(uuid("member_id"))
                    .primary_key(Index::create().col("post_id").col("member_id"))
                    .foreign_key(&mut fk("mentions", "post_id", "posts"))
                    .foreign_key(&mut fk("mentions", "member_id", "members"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("members")
                    .add_column(text_null("about"))
                    .to_owned(),
            )
            .await?;
        // Threads their authors started are followed, as new ones will be.
        let db = manager.get_connection();
        db.execute_unprepared(
            "INSERT INTO thread_follows (member_id, thread_id, state, updated_at) \
             SELECT author_id, id, 'following', created_at FROM threads WHERE author_id IS NOT NULL",
        )
        .await?;
        let search = match manager.get_database_backend() {
            DbBackend::Postgres => POSTGRES_SEARCH,
            _ => SQLITE_SEARCH,
        };
        for sql in search {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared("ALTER TABLE posts DROP COLUMN search_vector")
                    .await?;
                db.execute_unprepared("ALTER TABLE threads DROP COLUMN search_vector")
                    .await?;
            }
            _ => {
                for t in [
                    "search_posts_insert",
                    "search_posts_update",
                    "search_posts_delete",
                    "search_threads_insert",
                    "search_threads_update",
                    "search_threads_delete",
                ] {
                    db.execute_unprepared(&format!("DROP TRIGGER {t}")).await?;
                }
                db.execute_unprepared("DROP TABLE search_posts").await?;
                db.execute_unprepared("DROP TABLE search_threads").await?;
            }
        }
        for t in ["mentions", "member_mutes", "thread_follows", "reactions"] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table("members")
                    .drop_column("about")
                    .to_owned(),
            )
            .await
    }
}
