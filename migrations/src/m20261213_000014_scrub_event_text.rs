//! Events stored before the read model (issue 11) carried what they were about in full: a
//! post's text and HTML, a thread's title, a chat message. Since then an event is a reference
//! (a kind and ids) rendered from the thing as it stands now, so nothing held, removed or
//! deleted can be replayed; but the old rows kept their text on disk until the seven-day event
//! retention took them. This rewrites each such row into the reference it would be today, so an
//! upgraded database holds no member text in its event log from the moment it is migrated.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;
use sea_orm_migration::sea_orm::sea_query::{Query, Value as SqlValue};
use serde_json::{Map, Value, json};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The objects an old event embedded, and the reference key each becomes.
const EMBEDDED: [(&str, &str); 3] = [
    ("post", "post_id"),
    ("thread", "thread_id"),
    ("message", "message_id"),
];

/// Keys of a reference that carry no member text: kept as they are.
const SAFE_KEYS: [&str; 9] = [
    "kind",
    "post_id",
    "thread_id",
    "message_id",
    "room_id",
    "crisis_id",
    "checkin_id",
    "counts",
    "count",
];

/// The reference an old event would be now, or `None` when it already is one.
pub(crate) fn as_reference(event: &Value) -> Option<Value> {
    let object = event.as_object()?;
    if object.keys().all(|k| SAFE_KEYS.contains(&k.as_str())) {
        return None;
    }
    let mut out = Map::new();
    for key in SAFE_KEYS {
        if let Some(v) = object.get(key) {
            out.insert(key.to_owned(), v.clone());
        }
    }
    for (embedded, key) in EMBEDDED {
        if let Some(id) = object.get(embedded).and_then(|o| o.get("id")).cloned() {
            out.entry(key.to_owned()).or_insert(id);
        }
        // A post's thread, a message's room: the reference names them too.
        if let Some(thread) = object
            .get(embedded)
            .and_then(|o| o.get("thread_id"))
            .cloned()
        {
            out.entry("thread_id".to_owned()).or_insert(thread);
        }
        if let Some(room) = object.get(embedded).and_then(|o| o.get("room_id")).cloned() {
            out.entry("room_id".to_owned()).or_insert(room);
        }
    }
    out.entry("kind".to_owned()).or_insert(json!("unknown"));
    Some(Value::Object(out))
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let rows = db
            .query_all(
                &Query::select()
                    .columns(["topic", "seq", "payload"])
                    .from("events")
                    .to_owned(),
            )
            .await?;
        for row in rows {
            let topic: String = row.try_get("", "topic")?;
            let seq: i64 = row.try_get("", "seq")?;
            let payload: String = row.try_get("", "payload")?;
            let Ok(event) = serde_json::from_str::<Value>(&payload) else {
                continue;
            };
            let Some(reference) = as_reference(&event) else {
                continue;
            };
            db.execute(
                &Query::update()
                    .table("events")
                    .value("payload", SqlValue::from(reference.to_string()))
                    .and_where(Expr::col("topic").eq(topic))
                    .and_where(Expr::col("seq").eq(seq))
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        // The text is gone on purpose; the references still render.
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_events_become_references_and_new_ones_are_left_alone() {
        let old = json!({"kind": "post_published", "post": {"id": "p1", "thread_id": "t1",
            "body_html": "<p>Emily Harrington, 07700 900127</p>", "author": "tired_mum"}});
        assert_eq!(
            as_reference(&old),
            Some(json!({"kind": "post_published", "post_id": "p1", "thread_id": "t1"}))
        );
        let title =
            json!({"kind": "thread_created", "thread": {"id": "t1", "title": "Court on the 3rd"}});
        assert_eq!(
            as_reference(&title),
            Some(json!({"kind": "thread_created", "thread_id": "t1"}))
        );
        let new = json!({"kind": "post_edited", "post_id": "p1", "thread_id": "t1"});
        assert_eq!(as_reference(&new), None);
        let reactions =
            json!({"kind": "reactions_changed", "post_id": "p1", "counts": {"heart": 2}});
        assert_eq!(as_reference(&reactions), None);
    }
}
