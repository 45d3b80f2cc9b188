//! The read model: what a reader may see of each thing, decided in one place for every channel.
//!
//! REST lists and items, search, notifications, export, the live socket and catch-up all ask
//! the functions here rather than looking at a record's status themselves. Two rules carry the
//! weight:
//!
//! - [`post_sight`]: a post's author and staff see it whatever its state; everyone else sees a
//!   published post in full, a removed or deleted one as a placeholder (that something was
//!   there, no text), and a held or rejected one not at all.
//! - Events are stored and carried by the bus as *references* (a kind and ids, never member
//!   text). [`Renderer`] turns a reference into what the holders of its topic may see of the
//!   thing **as it stands now**, or into a tombstone (`post_withdrawn`, `thread_withdrawn`,
//!   `message_withdrawn`: ids only) when it has become invisible. So a catch-up from sequence 0
//!   shows current state only: an event about a post that was later edited shows the edit, one
//!   about a post later held, removed or deleted shows its tombstone or placeholder, and no
//!   earlier version of anything is ever kept to be replayed.
//!
//! Who may hold a topic at all is decided at subscribe time and again whenever it can narrow
//! (see `may_hold` in the realtime module); a socket's events are therefore rendered for "a
//! member who may hold this topic and is neither the author nor staff", except on the private
//! topics (`member:<id>`, `modqueue`, `roomheld:<id>`) whose only holders are that member or
//! staff.

use std::collections::HashMap;

use hearth_core::content::PostStatus;
use hearth_core::ids::{MemberId, MessageId, PostId, RoomId, ThreadId};
use hearth_core::policy::Role;
use hearth_realtime::Topic;
use hearth_store::records::{MessageRecord, PostRecord, ThreadRecord};
use hearth_store::{Store, StoreError};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::realtime::{message_view, post_event_view, thread_event_view};

/// How much of a post a reader may see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PostSight {
    /// Everything the post's view carries.
    Full,
    /// That a post was here (removed by a moderator or deleted by its author), without its
    /// text, content warning or reasons, so that replies to it still make sense.
    Placeholder,
    /// Nothing: for this reader the post does not exist.
    Nothing,
}

/// Who is reading, as far as visibility goes: `None` for "any member who may hold the topic"
/// (the socket's audience), or a particular member with their role.
pub type ReaderOf = Option<(MemberId, Role)>;

/// Whether `reader` is the post's author or staff: they see it in any state, with its source
/// and the reasons for decisions on it.
pub fn privileged(post: &PostRecord, reader: ReaderOf) -> bool {
    reader.is_some_and(|(id, role)| role >= Role::Moderator || post.author_id == Some(id))
}

/// What `reader` may see of `post`. The one rule for posts, on every channel.
pub fn post_sight(post: &PostRecord, reader: ReaderOf) -> PostSight {
    if privileged(post, reader) {
        return PostSight::Full;
    }
    match post.status {
        PostStatus::Published => PostSight::Full,
        PostStatus::Removed | PostStatus::Deleted => PostSight::Placeholder,
        PostStatus::Held | PostStatus::Rejected => PostSight::Nothing,
    }
}

/// Whether a thread shows on its board's list for readers who are neither its author nor
/// staff: only while its first post is published.
pub fn thread_listed(thread: &ThreadRecord) -> bool {
    thread.status == PostStatus::Published
}

/// Whether a chat message may be shown to a room's members (its author sees their own held
/// message through REST; staff see held ones in the queue).
pub fn message_shown(message: &MessageRecord) -> bool {
    message.status == PostStatus::Published
}

/// The id named by an event, in either the reference form (`"post_id": ...`) or the form
/// events had before they became references (`"post": {"id": ...}`), so events stored by an
/// older version render the same way and never pass their old text through.
fn id_in(event: &Value, field: &str, object: &str) -> Option<Uuid> {
    event
        .get(field)
        .or_else(|| event.get(object).and_then(|o| o.get("id")))
        .and_then(Value::as_str)
        .and_then(|s| Uuid::parse_str(s).ok())
}

/// A lookup that may find nothing: a thing that is gone renders as a tombstone.
fn found<T>(r: Result<T, StoreError>) -> Result<Option<T>, StoreError> {
    match r {
        Ok(t) => Ok(Some(t)),
        Err(StoreError::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Renders stored event references into what a topic's holders may see now. Keeps what it
/// looked up, so one catch-up page that names a post fifty times reads it once. Make one per
/// page or per live event: what it keeps is only as fresh as the moment it was read.
pub struct Renderer<'a> {
    store: &'a Store,
    posts: HashMap<PostId, Option<PostRecord>>,
    threads: HashMap<ThreadId, Option<ThreadRecord>>,
    messages: HashMap<MessageId, Option<MessageRecord>>,
    room_names: HashMap<RoomId, String>,
}

impl<'a> Renderer<'a> {
    /// A renderer reading from `store`.
    pub fn new(store: &'a Store) -> Self {
        Renderer {
            store,
            posts: HashMap::new(),
            threads: HashMap::new(),
            messages: HashMap::new(),
            room_names: HashMap::new(),
        }
    }

    async fn post(&mut self, id: PostId) -> Result<Option<PostRecord>, StoreError> {
        if let Some(p) = self.posts.get(&id) {
            return Ok(p.clone());
        }
        let p = found(self.store.post(id).await)?;
        self.posts.insert(id, p.clone());
        Ok(p)
    }

    async fn thread(&mut self, id: ThreadId) -> Result<Option<ThreadRecord>, StoreError> {
        if let Some(t) = self.threads.get(&id) {
            return Ok(t.clone());
        }
        let t = found(self.store.thread(id, None).await)?;
        self.threads.insert(id, t.clone());
        Ok(t)
    }

    pub(crate) async fn message(
        &mut self,
        id: MessageId,
    ) -> Result<Option<MessageRecord>, StoreError> {
        if let Some(m) = self.messages.get(&id) {
            return Ok(m.clone());
        }
        let m = found(self.store.message(id).await)?;
        self.messages.insert(id, m.clone());
        Ok(m)
    }

    /// A room's name, for staff views of held chat (empty for a room that is gone).
    pub(crate) async fn room_name(&mut self, id: RoomId) -> Result<String, StoreError> {
        if let Some(n) = self.room_names.get(&id) {
            return Ok(n.clone());
        }
        let name = found(self.store.room(id).await)?
            .map(|r| r.name)
            .unwrap_or_default();
        self.room_names.insert(id, name.clone());
        Ok(name)
    }

    /// The post `id` if it is in `thread` and that thread is still listed (its opening post
    /// published): the posts of a thread that went out of view are withdrawn with it, even for
    /// a socket that has not yet been dropped from the thread by its re-check.
    async fn post_in_listed(
        &mut self,
        id: PostId,
        thread: ThreadId,
    ) -> Result<Option<PostRecord>, StoreError> {
        if !self
            .thread(thread)
            .await?
            .is_some_and(|t| thread_listed(&t))
        {
            return Ok(None);
        }
        Ok(self.post(id).await?.filter(|p| p.thread_id == thread))
    }

    /// What the holders of `topic` may see of the stored event `event`, now.
    pub async fn render(&mut self, topic: Topic, event: &Value) -> Result<Value, StoreError> {
        let kind = event.get("kind").and_then(Value::as_str).unwrap_or("");
        // Held chat (staff-only topics, and the author's own): see `crate::held_chat`.
        if let Some(rendered) = self.render_held_chat(topic, kind, event).await? {
            return Ok(rendered);
        }
        match (topic, kind) {
            (Topic::Thread(thread), k) if k.starts_with("post_") => {
                let Some(id) = id_in(event, "post_id", "post").map(PostId) else {
                    return Ok(json!({"kind": "post_withdrawn", "thread_id": thread.to_string()}));
                };
                let post = self.post_in_listed(id, thread).await?;
                Ok(match post.as_ref().map(|p| (p, post_sight(p, None))) {
                    Some((p, PostSight::Full)) => {
                        let kind = if k == "post_published" {
                            "post_published"
                        } else {
                            "post_edited"
                        };
                        json!({"kind": kind, "post": post_event_view(p)})
                    }
                    Some((p, PostSight::Placeholder)) => {
                        json!({"kind": "post_edited", "post": post_event_view(p)})
                    }
                    Some((_, PostSight::Nothing)) | None => withdrawn_post(id, thread),
                })
            }
            (Topic::Thread(thread), "reactions_changed") => {
                let Some(id) = id_in(event, "post_id", "post").map(PostId) else {
                    return Ok(json!({"kind": "post_withdrawn", "thread_id": thread.to_string()}));
                };
                let post = self.post_in_listed(id, thread).await?;
                Ok(match post.as_ref().map(|p| post_sight(p, None)) {
                    Some(PostSight::Full) => json!({
                        "kind": "reactions_changed",
                        "post_id": id.to_string(),
                        "counts": event.get("counts").cloned().unwrap_or_else(|| json!({})),
                    }),
                    _ => withdrawn_post(id, thread),
                })
            }
            (Topic::Board(board), "thread_created" | "thread_updated" | "thread_withdrawn") => {
                let Some(id) = id_in(event, "thread_id", "thread").map(ThreadId) else {
                    return Ok(json!({"kind": "thread_withdrawn"}));
                };
                let thread = self
                    .thread(id)
                    .await?
                    .filter(|t| t.board_id == board && thread_listed(t));
                Ok(match thread {
                    Some(t) => {
                        let kind = if kind == "thread_created" {
                            "thread_created"
                        } else {
                            "thread_updated"
                        };
                        json!({"kind": kind, "thread": thread_event_view(&t)})
                    }
                    None => json!({"kind": "thread_withdrawn", "thread_id": id.to_string()}),
                })
            }
            (Topic::Room(room), "message" | "message_withdrawn") => {
                let Some(id) = id_in(event, "message_id", "message").map(MessageId) else {
                    return Ok(json!({"kind": "message_withdrawn", "room_id": room.to_string()}));
                };
                let message = self
                    .message(id)
                    .await?
                    .filter(|m| m.room_id == room && message_shown(m));
                Ok(match message {
                    Some(m) => json!({"kind": "message", "message": message_view(&m)}),
                    None => json!({
                        "kind": "message_withdrawn",
                        "message_id": id.to_string(),
                        "room_id": room.to_string(),
                    }),
                })
            }
            (Topic::ModQueue, "chat_review") => {
                // Staff only hold this topic, and staff may read held chat: the text comes from
                // the database here, on the instance that sends it, never over the bus.
                let Some(id) = id_in(event, "message_id", "message").map(MessageId) else {
                    return Ok(event.clone());
                };
                Ok(match self.message(id).await? {
                    Some(m) if m.status == PostStatus::Held || kind_is_flag(event) => {
                        let rules = crate::content::stored_verdict(&m.verdict, m.id)
                            .map(|v| json!(v.hits))
                            .unwrap_or_else(|_| json!([]));
                        json!({
                            "kind": "chat_review",
                            "outcome": event.get("outcome").cloned().unwrap_or(Value::Null),
                            "message": message_view(&m),
                            "body": m.body,
                            "rules": rules,
                        })
                    }
                    _ => json!({"kind": "queue_item_decided", "message_id": id.to_string()}),
                })
            }
            (Topic::Member(_), "notification") => {
                // Kinds and ids only: the words are read over REST. (Events stored before
                // events became references carried a moderator's reason here.)
                let mut event = event.clone();
                if let Some(n) = event.get_mut("notification").and_then(Value::as_object_mut) {
                    n.remove("message");
                }
                Ok(event)
            }
            // Everything else is ids and kinds already (queue changes).
            _ => Ok(event.clone()),
        }
    }
}

/// Whether a `chat_review` reference is about a flagged (published) message rather than a held
/// one: flagged ones stay reviewable after publication.
fn kind_is_flag(event: &Value) -> bool {
    event.get("outcome").and_then(Value::as_str) == Some("published")
}

/// The tombstone for a post that readers may no longer see: its id and thread, nothing else.
fn withdrawn_post(id: PostId, thread: ThreadId) -> Value {
    json!({"kind": "post_withdrawn", "post_id": id.to_string(), "thread_id": thread.to_string()})
}
