//! Held chat messages, moderated where they happen.
//!
//! A chat message the rules hold is stored `held`. Nobody but staff and its author may read it,
//! yet it must not wait unseen: a moderator in the room should see it inline and decide at once,
//! and every moderator should find it in the queue. So it is announced, as a reference (kind and
//! ids, never text), on two topics that only staff may hold:
//!
//! - `roomheld:<room>`: the staff in the room show it inline, marked held, with Approve and
//!   Reject (`message_held`). The room's own topic, which every member may hold, never names it
//!   while it is held: a member's socket receives nothing of it, live or on catch-up.
//! - `modqueue`: the queue lists it with its room and author (`held_message_added`).
//!
//! Its author is answered by the `ack` to their `say` and reads it in their own history.
//!
//! A decision is announced on the same two topics (`held_message_decided`), so it leaves every
//! other moderator's queue and room view live, and to the author on their own topic
//! (`chat_message_decided`: ids and the new status, no words; the reason is read over REST with
//! the room's history). An approved message is then published on the room's topic like any
//! other, so it reaches everyone live and is in catch-up and history from then on.
//!
//! The text is read from the database by the instance that sends an event to a socket
//! ([`crate::read_model::Renderer`]), and only for those staff-only topics.

use std::collections::HashMap;

use hearth_core::content::PostStatus;
use hearth_core::ids::{MemberId, MessageId, RoomId};
use hearth_core::moderation::Action as RuleAction;
use hearth_core::policy::{Action, Role};
use hearth_realtime::Topic;
use hearth_store::StoreError;
use hearth_store::records::MessageRecord;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::read_model::Renderer;
use crate::{App, Identity, Result};

/// What staff see of a held (or just decided) chat message: where it was said, by whom, the
/// text as the room would show it, the source for highlighting what the rules matched, and the
/// rules that held it. One shape for the queue's answer, the live events and the room's
/// history, so a moderator sees the same thing wherever they meet it.
pub fn held_message_view(m: &MessageRecord, room_name: &str) -> Value {
    let verdict = crate::content::stored_verdict(&m.verdict, m.id).ok();
    let hits = verdict.as_ref().map(|v| v.hits.clone()).unwrap_or_default();
    json!({
        "id": m.id.to_string(),
        "room": {"id": m.room_id.to_string(), "name": room_name},
        "author": m.author_handle,
        "status": m.status.as_str(),
        "body_html": m.body_html,
        "body": m.body,
        "created_at": m.created_at,
        "reasons": hold_reasons(&hits),
        "rules": hits,
        "concern": verdict.is_some_and(|v| v.concern),
    })
}

/// The names of the rules that held the message (not those that only flagged it), in the
/// rules file's order, without repeats: "why is this waiting?" in the moderator's words.
fn hold_reasons(hits: &[hearth_core::moderation::RuleHit]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for h in hits {
        if h.action == RuleAction::Hold && !out.contains(&h.rule) {
            out.push(h.rule.clone());
        }
    }
    out
}

/// The extra fields a room's history gives `reader` about `m`, beyond its public view: staff
/// see why a held message is waiting (so they can decide it inline after a reload), and the
/// author and staff see the reason a moderator gave for rejecting it (so the author is never
/// left with a message that vanished without a word). Nothing for anyone else.
pub fn history_extras(m: &MessageRecord, reader: &Identity) -> serde_json::Map<String, Value> {
    let staff = reader.role >= Role::Moderator;
    let author = m.author_id == Some(reader.id);
    let mut out = serde_json::Map::new();
    if staff && m.status == PostStatus::Held {
        let hits = crate::content::stored_verdict(&m.verdict, m.id)
            .map(|v| v.hits)
            .unwrap_or_default();
        out.insert("held_reasons".to_owned(), json!(hold_reasons(&hits)));
    }
    if (staff || author) && m.status == PostStatus::Rejected {
        out.insert("reason".to_owned(), json!(m.decision_reason));
    }
    out
}

/// The reference announcing a held message to the staff in its room.
fn held_ref(kind: &str, m: &MessageRecord) -> Value {
    json!({"kind": kind, "message_id": m.id.to_string(), "room_id": m.room_id.to_string()})
}

impl App {
    /// The held chat messages for the moderators' queue, oldest first, each with its room's
    /// name and how long it has waited. Needs a moderator.
    pub async fn held_chat_queue(&self, who: &Identity) -> Result<Vec<Value>> {
        who.require(Action::ModerateQueue)?;
        let messages = self.store.held_messages(200).await?;
        let now = self.now();
        let mut names: HashMap<RoomId, String> = HashMap::new();
        let mut out = Vec::with_capacity(messages.len());
        for m in &messages {
            let name = match names.entry(m.room_id) {
                std::collections::hash_map::Entry::Occupied(e) => e.get().clone(),
                std::collections::hash_map::Entry::Vacant(slot) => {
                    let name = match self.store.room(m.room_id).await {
                        Ok(r) => r.name,
                        Err(StoreError::NotFound) => String::new(),
                        Err(e) => return Err(e.into()),
                    };
                    slot.insert(name).clone()
                }
            };
            let mut v = held_message_view(m, &name);
            v["waited_seconds"] = json!((now - m.created_at).num_seconds().max(0));
            out.push(v);
        }
        Ok(out)
    }

    /// Tells the staff in the room and the queue that `m` was held. References only.
    pub(crate) async fn announce_held_message(&self, m: &MessageRecord) {
        self.publish_quietly(Topic::RoomHeld(m.room_id), held_ref("message_held", m))
            .await;
        self.publish_quietly(Topic::ModQueue, held_ref("held_message_added", m))
            .await;
    }

    /// Tells the staff in the room, the queue and the author that `m` was decided. An approved
    /// message is published on the room's topic by the caller.
    pub(crate) async fn announce_held_decision(&self, m: &MessageRecord) {
        self.publish_quietly(
            Topic::RoomHeld(m.room_id),
            held_ref("held_message_decided", m),
        )
        .await;
        self.publish_quietly(Topic::ModQueue, held_ref("held_message_decided", m))
            .await;
        if let Some(author) = m.author_id {
            self.publish_quietly(Topic::Member(author), held_ref("chat_message_decided", m))
                .await;
        }
    }
}

/// The message named by a held-chat reference.
fn message_id_in(event: &Value) -> Option<MessageId> {
    event
        .get("message_id")
        .and_then(Value::as_str)
        .and_then(|s| Uuid::parse_str(s).ok())
        .map(MessageId)
}

impl Renderer<'_> {
    /// Renders a held-chat reference for the holders of `topic`, or `None` when `event` is not
    /// one (the caller renders it). The text goes only to staff-only topics (`roomheld:`,
    /// `modqueue`), and only while the message is still held; the author's own topic gets the
    /// new status and ids.
    pub(crate) async fn render_held_chat(
        &mut self,
        topic: Topic,
        kind: &str,
        event: &Value,
    ) -> std::result::Result<Option<Value>, StoreError> {
        let (added, in_room) = match (topic, kind) {
            (Topic::RoomHeld(room), "message_held" | "held_message_decided") => {
                ("message_held", Some(room))
            }
            (Topic::ModQueue, "held_message_added" | "held_message_decided") => {
                ("held_message_added", None)
            }
            (Topic::Member(member), "chat_message_decided") => {
                return Ok(Some(self.render_own_decision(member, event).await?));
            }
            _ => return Ok(None),
        };
        let Some(id) = message_id_in(event) else {
            return Ok(Some(json!({"kind": "held_message_decided"})));
        };
        let message = self
            .message(id)
            .await?
            .filter(|m| in_room.is_none_or(|room| m.room_id == room));
        Ok(Some(match message {
            Some(m) if m.status == PostStatus::Held => {
                let name = self.room_name(m.room_id).await?;
                json!({"kind": added, "message": held_message_view(&m, &name)})
            }
            Some(m) => json!({
                "kind": "held_message_decided",
                "message_id": id.to_string(),
                "room_id": m.room_id.to_string(),
                "status": m.status.as_str(),
            }),
            None => json!({
                "kind": "held_message_decided",
                "message_id": id.to_string(),
                "status": "gone",
            }),
        }))
    }

    /// The author's news of a decision on their held message: ids and the new status. The
    /// moderator's reason is read over REST, with the room's history.
    async fn render_own_decision(
        &mut self,
        member: MemberId,
        event: &Value,
    ) -> std::result::Result<Value, StoreError> {
        let Some(id) = message_id_in(event) else {
            return Ok(json!({"kind": "chat_message_decided"}));
        };
        Ok(match self.message(id).await? {
            Some(m) if m.author_id == Some(member) => json!({
                "kind": "chat_message_decided",
                "message_id": id.to_string(),
                "room_id": m.room_id.to_string(),
                "status": m.status.as_str(),
            }),
            _ => json!({"kind": "chat_message_decided", "message_id": id.to_string()}),
        })
    }
}
