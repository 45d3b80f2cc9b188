//! Hearth's side of the realtime layer: what may hold which topic, the event log behind
//! catch-up and gap-filling, publishing events after they are stored, and chat.

use std::sync::Arc;

use async_trait::async_trait;
use hearth_core::content::PostStatus;
use hearth_core::ids::{MemberId, MessageId, RoomId};
use hearth_core::moderation::{Outcome, TextKind};
use hearth_core::policy::{self, Action, Role, Standing};
use hearth_realtime::{
    Ack, Bus, CloseReason, Envelope, HookError, HubHooks, MemberAccess, ProtocolError,
    SocketHandler, SocketOp, Topic,
};
use hearth_store::records::{MessageRecord, NewNotification, PostRecord, RoomRecord, ThreadRecord};
use hearth_store::{Store, StoreError};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::limits::Limit;
use crate::read_model::Renderer;
use crate::{App, AppError, Clock, Identity, Result};

/// Longest chat message, in characters.
pub const CHAT_MAX: usize = 2000;

/// How many stored events one catch-up page returns.
const EVENT_PAGE: u64 = 500;

/// Whether a member with `role` may hold `topic`. Pure apart from looking things up.
async fn may_hold(
    store: &Store,
    member: MemberId,
    role: Role,
    topic: Topic,
) -> std::result::Result<(), ProtocolError> {
    let unavailable = |e: StoreError| match e {
        StoreError::NotFound => ProtocolError::NotFound { topic },
        StoreError::Unavailable(_) => ProtocolError::Unavailable,
        other => {
            tracing::error!(error = %other, "topic check failed");
            ProtocolError::Internal
        }
    };
    match topic {
        Topic::ModQueue if role >= Role::Moderator => Ok(()),
        Topic::ModQueue => Err(ProtocolError::Forbidden { topic }),
        // Whoever may decide applications, and nobody else.
        Topic::Applications if role >= policy::required_role(Action::DecideApplications) => Ok(()),
        Topic::Applications => Err(ProtocolError::Forbidden { topic }),
        Topic::Member(id) if id == member => Ok(()),
        Topic::Member(_) => Err(ProtocolError::Forbidden { topic }),
        Topic::Board(id) => {
            let board = store.board(id).await.map_err(unavailable)?;
            if board.visibility.readable_by(role) {
                Ok(())
            } else {
                Err(ProtocolError::NotFound { topic })
            }
        }
        Topic::Thread(id) => {
            let thread = store.thread(id, None).await.map_err(unavailable)?;
            let board = store.board(thread.board_id).await.map_err(unavailable)?;
            let visible = thread.status == PostStatus::Published
                || thread.author_id == Some(member)
                || role >= Role::Moderator;
            if board.visibility.readable_by(role) && visible {
                Ok(())
            } else {
                Err(ProtocolError::NotFound { topic })
            }
        }
        Topic::Room(id) => store.room(id).await.map(|_| ()).map_err(unavailable),
        // Rooms opening and closing: ids only, for everyone who may read the forum.
        Topic::Rooms => Ok(()),
        // A room's held messages: staff only, the same rule as the queue's.
        Topic::RoomHeld(id) if role >= Role::Moderator => {
            store.room(id).await.map(|_| ()).map_err(unavailable)
        }
        Topic::RoomHeld(_) => Err(ProtocolError::Forbidden { topic }),
    }
}

/// The database's side of the hub: stored events and members' current permissions.
pub struct StoreHooks {
    store: Store,
    clock: Clock,
}

impl StoreHooks {
    /// Hooks over `store`, judging standing by `clock`.
    pub fn new(store: Store, clock: Clock) -> Arc<Self> {
        Arc::new(StoreHooks { store, clock })
    }
}

#[async_trait]
impl HubHooks for StoreHooks {
    async fn events_since(
        &self,
        topic: Topic,
        after_seq: i64,
    ) -> std::result::Result<Vec<Envelope>, HookError> {
        let rows = self
            .store
            .events_since(&topic.to_string(), after_seq, EVENT_PAGE)
            .await
            .map_err(|e| HookError(e.to_string()))?;
        // Each stored reference is rendered as its thing stands now: a catch-up never replays
        // an earlier version, a held edit, or anything since withdrawn.
        let mut renderer = Renderer::new(&self.store);
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let stored: Value =
                serde_json::from_str(&r.payload).map_err(|e| HookError(e.to_string()))?;
            let event = renderer
                .render(topic, &stored)
                .await
                .map_err(|e| HookError(e.to_string()))?;
            out.push(Envelope::new(topic, r.seq, event).map_err(|e| HookError(e.to_string()))?);
        }
        Ok(out)
    }

    async fn render(&self, envelope: Envelope) -> std::result::Result<Envelope, HookError> {
        let topic = envelope.topic();
        let event = Renderer::new(&self.store)
            .render(topic, envelope.event())
            .await
            .map_err(|e| HookError(e.to_string()))?;
        Envelope::new(topic, envelope.seq(), event).map_err(|e| HookError(e.to_string()))
    }

    async fn recheck_topic(
        &self,
        topic: Topic,
        members: Vec<MemberId>,
    ) -> std::result::Result<Vec<MemberId>, HookError> {
        let mut keep = Vec::with_capacity(members.len());
        for member in members {
            let record = match self.store.member(member).await {
                Ok(m) => m,
                Err(StoreError::NotFound) => continue,
                Err(e) => return Err(HookError(e.to_string())),
            };
            match may_hold(&self.store, member, record.role, topic).await {
                Ok(()) => keep.push(member),
                Err(ProtocolError::Unavailable | ProtocolError::Internal) => {
                    return Err(HookError("cannot check permissions now".to_owned()));
                }
                Err(_) => {}
            }
        }
        Ok(keep)
    }

    async fn latest_seq(&self, topic: Topic) -> std::result::Result<i64, HookError> {
        self.store
            .latest_seq(&topic.to_string())
            .await
            .map_err(|e| HookError(e.to_string()))
    }

    async fn recheck_member(
        &self,
        member: MemberId,
        held: Vec<Topic>,
    ) -> std::result::Result<MemberAccess, HookError> {
        let record = match self.store.member(member).await {
            Ok(m) => m,
            Err(StoreError::NotFound) => {
                return Ok(MemberAccess::Disconnect(CloseReason::revoked(
                    "this account no longer exists",
                )));
            }
            Err(e) => return Err(HookError(e.to_string())),
        };
        if record
            .standing
            .effective(record.suspended_until, (self.clock)())
            != Standing::Active
        {
            return Ok(MemberAccess::Disconnect(CloseReason::revoked(
                "this account is not active",
            )));
        }
        let mut keep = Vec::with_capacity(held.len());
        for topic in held {
            match may_hold(&self.store, member, record.role, topic).await {
                Ok(()) => keep.push(topic),
                Err(ProtocolError::Unavailable | ProtocolError::Internal) => {
                    return Err(HookError("cannot check permissions now".to_owned()));
                }
                Err(_) => {}
            }
        }
        Ok(MemberAccess::Retain(keep))
    }
}

/// The public view of a post, as events carry it (never the source, the verdict or reasons).
pub fn post_event_view(p: &PostRecord) -> Value {
    let gone = crate::read_model::post_sight(p, None) != crate::read_model::PostSight::Full;
    json!({
        "id": p.id.to_string(),
        "thread_id": p.thread_id.to_string(),
        "author": p.author_handle,
        "is_first": p.is_first,
        "status": p.status.as_str(),
        "body_html": if gone { "" } else { p.body_html.as_str() },
        "content_warning": if gone { None } else { p.content_warning.clone() },
        "created_at": p.created_at,
        "edited_at": p.edited_at,
        "edited_by_moderator": p.edited_by_moderator && !gone,
    })
}

/// The public view of a thread, as events carry it.
pub fn thread_event_view(t: &ThreadRecord) -> Value {
    json!({
        "id": t.id.to_string(),
        "board_id": t.board_id.to_string(),
        "title": t.title,
        "author": t.author_handle,
        "status": t.status.as_str(),
        "pinned": t.pinned,
        "locked": t.locked,
        "post_count": t.post_count,
        "created_at": t.created_at,
        "last_activity_at": t.last_activity_at,
    })
}

/// The stored event for a chat message on its room's topic: its id only. Rendered for the
/// room's members by the read model when it is sent.
pub(crate) fn message_ref(id: MessageId) -> Value {
    json!({"kind": "message", "message_id": id.to_string()})
}

/// The public view of a chat message.
pub fn message_view(m: &MessageRecord) -> Value {
    json!({
        "id": m.id.to_string(),
        "room_id": m.room_id.to_string(),
        "author": m.author_handle,
        "moderator": m.author_is_moderator,
        "status": m.status.as_str(),
        "body_html": m.body_html,
        "created_at": m.created_at,
    })
}

impl App {
    /// The bus, for the server's websocket route, readiness and metrics.
    pub fn bus(&self) -> &Bus {
        &self.bus
    }

    /// Stores an event on a topic's log, then publishes it. A bus failure is logged, not
    /// returned: the event is in the database, and every instance fills gaps from there.
    pub(crate) async fn publish(&self, topic: Topic, event: Value) -> Result<()> {
        let seq = self
            .store
            .append_event(&topic.to_string(), event.to_string(), self.now())
            .await?;
        let envelope =
            Envelope::new(topic, seq, event).map_err(|e| AppError::Internal(e.to_string()))?;
        if let Err(e) = self.bus.publish(envelope).await {
            tracing::warn!(error = %e, "bus publish failed; other instances will catch up from the database");
        }
        Ok(())
    }

    /// Publishes, logging instead of failing: the action that caused the event has already
    /// been stored and answered, so a failure here must not turn it into an error.
    pub(crate) async fn publish_quietly(&self, topic: Topic, event: Value) {
        match self.publish(topic, event.clone()).await {
            Ok(()) => {}
            Err(AppError::Unavailable(_)) => {
                // The content is stored but the database went away before its event was: keep
                // trying for a while, so subscribers still hear of it when the database is back.
                let app = self.clone();
                tokio::spawn(async move {
                    let mut wait = std::time::Duration::from_millis(250);
                    for _ in 0..40 {
                        tokio::time::sleep(wait).await;
                        match app.publish(topic, event.clone()).await {
                            Ok(()) => return,
                            Err(AppError::Unavailable(_)) => {
                                wait = (wait * 2).min(std::time::Duration::from_secs(10))
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, %topic, "could not record a realtime event");
                                return;
                            }
                        }
                    }
                    tracing::warn!(%topic, "gave up recording a realtime event after the database stayed away");
                });
            }
            Err(e) => tracing::warn!(error = %e, %topic, "could not record a realtime event"),
        }
    }

    /// Adds a notification and sends it live to the member.
    ///
    /// A notice always follows an action that has already been stored, so it cannot fail that
    /// action: if it cannot be written (the database went away in between), it is logged and
    /// dropped rather than telling the member their stored post or decision was refused.
    pub(crate) async fn notify(&self, n: NewNotification) {
        let member = n.member_id;
        // Kinds and ids only: the words (a moderator's reason) are read over REST, so they are
        // never kept in the event log nor carried by the bus.
        let event = json!({
            "kind": "notification",
            "notification": {
                "kind": n.kind,
                "thread_id": n.thread_id.map(|t| t.to_string()),
                "post_id": n.post_id.map(|p| p.to_string()),
                "from": hearth_core::comforts::notification_from(n.kind),
                "created_at": n.at,
            }
        });
        if let Err(e) = self.store.notify(n).await {
            tracing::warn!(error = %e, "could not store a notification; the action it follows stands");
            return;
        }
        self.publish_quietly(Topic::Member(member), event).await;
    }

    /// Ends a member's live sockets on every instance (suspension, ban, sign-out).
    pub async fn disconnect_member(&self, member: MemberId, why: &str) {
        if let Err(e) = self
            .bus
            .disconnect_member(member, CloseReason::revoked(why))
            .await
        {
            tracing::warn!(error = %e, "could not tell other instances to disconnect a member");
        }
    }

    /// Tells every instance to re-check who may hold `topic`, after a change that can narrow
    /// it (a thread moved or hidden). The local re-check is done when this returns.
    pub(crate) async fn recheck_holders(&self, topic: Topic) {
        if let Err(e) = self.bus.recheck_topic(topic).await {
            tracing::warn!(error = %e, %topic, "could not ask other instances to re-check a topic's subscribers");
        }
    }

    /// Tells every instance to re-check a member's topics (role change).
    pub(crate) async fn role_changed(&self, member: MemberId) {
        if let Err(e) = self.bus.member_role_changed(member).await {
            tracing::warn!(error = %e, "could not tell other instances a role changed");
        }
    }

    /// Watches members leaving and entering rooms on this instance, for as long as the server
    /// runs: when the last moderator leaves a room that is open only while one is here, or the
    /// first one arrives in it, everyone in it and everyone on the chat list is told at once
    /// (`room_closed` / `room_opened` on the room's topic and on `rooms`) instead of finding
    /// out when they next try to speak or reload.
    pub fn watch_room_departures(&self) {
        let mut departures = self.bus.hub().watch_departures();
        let app = self.clone();
        tokio::spawn(async move {
            while let Some(d) = departures.recv().await {
                if let Err(e) = app.room_departure(d.room, d.member).await {
                    tracing::warn!(error = %e, room = %d.room, "could not check a room after a departure");
                }
            }
        });
        let mut arrivals = self.bus.hub().watch_arrivals();
        let app = self.clone();
        tokio::spawn(async move {
            while let Some(a) = arrivals.recv().await {
                if let Err(e) = app.room_arrival(a.room, a.member).await {
                    tracing::warn!(error = %e, room = %a.room, "could not check a room after an arrival");
                }
            }
        });
    }

    /// `room`, when it needs a moderator and `member` is staff (the only moves that can open or
    /// close it); `None` otherwise, or when either is gone.
    async fn staff_in_moderated_room(
        &self,
        room: RoomId,
        member: MemberId,
    ) -> Result<Option<hearth_store::records::RoomRecord>> {
        let who = match self.store.member(member).await {
            Ok(m) => m,
            Err(StoreError::NotFound) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        if who.role < Role::Moderator {
            return Ok(None);
        }
        match self.store.room(room).await {
            Ok(r) => Ok(r.needs_moderator.then_some(r)),
            Err(StoreError::NotFound) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// After `member` arrived in `room` here: announces the room open if it needs a moderator
    /// and they are the only one there now (so it was closed a moment ago).
    async fn room_arrival(&self, room: RoomId, member: MemberId) -> Result<()> {
        let Some(room) = self.staff_in_moderated_room(room, member).await? else {
            return Ok(());
        };
        // With Redis, this instance's presence is shared first, so the count below sees it.
        if let Err(e) = self.bus.share_presence(self.now().timestamp()).await {
            tracing::debug!(error = %e, "could not share presence before checking a room");
        }
        let members = match self
            .bus
            .room_presence(room.id, self.now().timestamp())
            .await
        {
            Ok(members) => members,
            Err(_) => self.bus.hub().room_presence(room.id),
        };
        let mut staff = 0;
        for m in members {
            if let Ok(m) = self.store.member(m).await
                && m.role >= Role::Moderator
            {
                staff += 1;
            }
        }
        // Another moderator was already here: the room was open, nothing changed.
        if staff > 1 {
            return Ok(());
        }
        let event = json!({"kind": "room_opened", "room_id": room.id.to_string()});
        self.publish(Topic::Room(room.id), event.clone()).await?;
        self.publish(Topic::Rooms, event).await
    }

    /// After `member` left `room` here: announces the room closed if that was its last
    /// moderator.
    async fn room_departure(&self, room: RoomId, member: MemberId) -> Result<()> {
        let Some(room) = self.staff_in_moderated_room(room, member).await? else {
            return Ok(());
        };
        // With Redis, what this instance shared of its presence is updated first, so the
        // moderator who just left is not still counted from it.
        if let Err(e) = self.bus.share_presence(self.now().timestamp()).await {
            tracing::debug!(error = %e, "could not share presence before checking a room");
        }
        if self.room_state(&room, false).await?.moderator_present {
            return Ok(());
        }
        let event = json!({"kind": "room_closed", "room_id": room.id.to_string()});
        self.publish(Topic::Room(room.id), event.clone()).await?;
        self.publish(Topic::Rooms, event).await
    }

    /// Chat rooms, with whether each is open now, as `who` may see who is there.
    pub async fn rooms(&self, who: &Identity) -> Result<Vec<(RoomRecord, RoomState)>> {
        who.require(Action::ReadForum)?;
        let mut out = Vec::new();
        for room in self.store.list_rooms().await? {
            let state = self.room_state(&room, who.role >= Role::Moderator).await?;
            out.push((room, state));
        }
        Ok(out)
    }

    /// Who is present in a room (on every instance) and whether it is open. Members see that a
    /// moderator is here, never which one: staff handles are listed only to staff.
    pub async fn room_state(&self, room: &RoomRecord, staff_viewer: bool) -> Result<RoomState> {
        // Presence on every instance (with Redis); if Redis cannot answer, this instance's own.
        let members = match self
            .bus
            .room_presence(room.id, self.now().timestamp())
            .await
        {
            Ok(members) => members,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read shared presence; using this instance's");
                self.bus.hub().room_presence(room.id)
            }
        };
        let mut present = Vec::new();
        let mut moderator_present = false;
        for member in members {
            if let Ok(m) = self.store.member(member).await {
                let staff = m.role >= Role::Moderator;
                moderator_present |= staff;
                if staff_viewer || !staff {
                    present.push(m.handle);
                }
            }
        }
        present.sort();
        Ok(RoomState {
            open: !room.needs_moderator || moderator_present,
            moderator_present,
            present,
        })
    }

    /// Creates a room (admins).
    pub async fn create_room(
        &self,
        who: &Identity,
        name: &str,
        description: &str,
        needs_moderator: bool,
        slow_mode_seconds: i32,
        new_member_slow_mode_seconds: i32,
    ) -> Result<RoomRecord> {
        who.require(Action::ManageSpaces)?;
        let name = name.trim();
        if !(1..=80).contains(&name.chars().count()) {
            return Err(AppError::invalid(
                "name",
                "a room name must be 1 to 80 characters long",
            ));
        }
        for (field, v) in [
            ("slow_mode_seconds", slow_mode_seconds),
            ("new_member_slow_mode_seconds", new_member_slow_mode_seconds),
        ] {
            if !(0..=3600).contains(&v) {
                return Err(AppError::invalid(
                    field,
                    "slow mode must be 0 to 3600 seconds",
                ));
            }
        }
        let room = self
            .store
            .create_room(RoomRecord {
                id: RoomId::new(),
                name: name.to_owned(),
                description: description.trim().to_owned(),
                position: 0,
                needs_moderator,
                slow_mode_seconds,
                new_member_slow_mode_seconds,
                created_at: self.now(),
            })
            .await?;
        self.audit(
            Some(who.id),
            "room_created",
            "room",
            Some(room.id.to_string()),
            None,
        )
        .await?;
        Ok(room)
    }

    /// A room's history, newest first.
    pub async fn room_messages(
        &self,
        who: &Identity,
        room: RoomId,
        before: Option<MessageId>,
        limit: u64,
    ) -> Result<Vec<MessageRecord>> {
        who.require(Action::ReadForum)?;
        self.store.room(room).await.map_err(|e| match e {
            StoreError::NotFound => AppError::NotFound("room"),
            other => other.into(),
        })?;
        Ok(self
            .store
            .messages(
                room,
                who.id,
                who.role >= Role::Moderator,
                before,
                limit.clamp(1, 200),
            )
            .await?)
    }

    /// Sends a chat message: permission, room open, slow mode, rules, store, publish.
    /// `who` is the sender as just loaded with their session (the socket checks it first).
    pub async fn say(
        &self,
        who: &Identity,
        room_id: RoomId,
        body: &str,
        client_key: Option<Uuid>,
    ) -> Result<(MessageRecord, Outcome, Vec<String>)> {
        who.require(Action::Chat)?;
        let room = self.store.room(room_id).await.map_err(|e| match e {
            StoreError::NotFound => AppError::NotFound("room"),
            other => other.into(),
        })?;
        let text = body.trim();
        if text.is_empty() || text.chars().count() > CHAT_MAX {
            return Err(AppError::invalid(
                "body",
                "a message must be 1 to 2000 characters long",
            ));
        }
        // A `say` resent after a dropped connection finds its message, even if the room has
        // closed or slow mode would refuse a new one since.
        if let Some(said) = self.said_before(who, room_id, text, client_key).await? {
            return Ok(said);
        }
        // Presence is looked up (a Redis read with two instances) only when it can matter.
        if room.needs_moderator
            && who.role < Role::Moderator
            && !self.room_state(&room, true).await?.open
        {
            return Err(AppError::Refused {
                code: "room_closed",
                message: "this room is open only while a moderator is here".to_owned(),
            });
        }
        let approved = self.store.count_published_posts(who.id).await?;
        let new_member = approved < 3 && who.role < Role::Moderator;
        let slow = if new_member {
            room.new_member_slow_mode_seconds
                .max(room.slow_mode_seconds)
        } else {
            room.slow_mode_seconds
        };
        let now = self.now();
        if slow > 0
            && who.role < Role::Moderator
            && let Some(last) = self.store.last_message_at(room_id, who.id).await?
        {
            let wait = i64::from(slow) - (now - last).num_seconds();
            if wait > 0 {
                return Err(AppError::Refused {
                    code: "slow_mode",
                    message: format!(
                        "slow mode is on in this room: you can send again in {wait} seconds"
                    ),
                });
            }
        }
        let verdict = self.moderate(who, TextKind::Chat, text, None).await?;
        if verdict.outcome == Outcome::Reject {
            let reasons = if verdict.author_messages.is_empty() {
                vec!["the group's rules do not allow this message".to_owned()]
            } else {
                verdict.author_messages.clone()
            };
            return Ok((
                MessageRecord {
                    id: MessageId::new(),
                    room_id,
                    author_id: Some(who.id),
                    author_handle: Some(who.handle.clone()),
                    author_is_moderator: who.role >= Role::Moderator,
                    body: String::new(),
                    body_html: String::new(),
                    status: PostStatus::Rejected,
                    verdict: String::new(),
                    created_at: now,
                    decision_reason: None,
                },
                Outcome::Reject,
                reasons,
            ));
        }
        let status = if verdict.outcome.is_published() {
            PostStatus::Published
        } else {
            PostStatus::Held
        };
        let message = self
            .store
            .insert_message(
                &MessageRecord {
                    id: MessageId::new(),
                    room_id,
                    author_id: Some(who.id),
                    author_handle: Some(who.handle.clone()),
                    author_is_moderator: who.role >= Role::Moderator,
                    body: text.to_owned(),
                    body_html: hearth_core::render::render_plain(text),
                    status,
                    verdict: serde_json::to_string(&verdict)
                        .map_err(|e| AppError::Internal(e.to_string()))?,
                    created_at: now,
                    decision_reason: None,
                },
                client_key,
            )
            .await;
        let message = match message {
            Err(StoreError::Conflict { what: "client_key" }) => {
                // The same `say` twice at once: the other one stored it.
                return self
                    .said_before(who, room_id, text, client_key)
                    .await?
                    .ok_or_else(|| AppError::Internal("a keyed message vanished".to_owned()));
            }
            other => other?,
        };
        if status == PostStatus::Published {
            self.publish_quietly(Topic::Room(room_id), message_ref(message.id))
                .await;
        }
        if status == PostStatus::Held {
            // Shown to the staff in the room and in the queue, never on the room's own topic.
            self.announce_held_message(&message).await;
        } else if verdict.outcome != Outcome::Publish {
            self.publish_quietly(
                Topic::ModQueue,
                json!({"kind": "chat_review", "outcome": verdict.outcome.status(), "message_id": message.id.to_string()}),
            )
            .await;
        }
        self.concern_from_rules(&verdict, None, Some(message.id))
            .await;
        self.crisis_from_rules(&verdict, who.id, crate::CrisisWhere::Message(message.id))
            .await;
        let reasons = crate::Moderation::from_verdict(&verdict).reasons;
        Ok((message, verdict.outcome, reasons))
    }
}

impl App {
    /// The message an earlier `say` with this `client_id` stored, answered as it was then; none
    /// for a new `client_id`. The same `client_id` for other words, or another room, is the
    /// client's mistake and is refused.
    async fn said_before(
        &self,
        who: &Identity,
        room_id: RoomId,
        text: &str,
        client_key: Option<Uuid>,
    ) -> Result<Option<(MessageRecord, Outcome, Vec<String>)>> {
        let Some(key) = client_key else {
            return Ok(None);
        };
        let Some(message) = self.store.message_by_client_key(who.id, key).await? else {
            return Ok(None);
        };
        if message.room_id != room_id
            || (message.status != PostStatus::Deleted && message.body != text)
        {
            return Err(AppError::Conflict {
                code: "client_id_reused",
                message: "this client_id was already used for another message; send a new one"
                    .to_owned(),
            });
        }
        let verdict = crate::content::stored_verdict(&message.verdict, message.id)?;
        let reasons = crate::Moderation::from_verdict(&verdict).reasons;
        Ok(Some((message, verdict.outcome, reasons)))
    }

    /// Approves (publishes to the room) or rejects a held chat message; the author is told,
    /// by "the moderators", with the reason. A second decision is a 409.
    pub async fn decide_message(
        &self,
        who: &Identity,
        id: MessageId,
        approve: bool,
        reason: Option<String>,
    ) -> Result<MessageRecord> {
        who.require(Action::ModerateQueue)?;
        let reason = match (approve, reason.as_deref().map(str::trim)) {
            (true, _) => None,
            (false, Some(r)) if !r.is_empty() && r.chars().count() <= 1000 => Some(r.to_owned()),
            (false, _) => {
                return Err(AppError::invalid(
                    "reason",
                    "please give the author a reason (at most 1000 characters)",
                ));
            }
        };
        let to = if approve {
            PostStatus::Published
        } else {
            PostStatus::Rejected
        };
        let message = match self.store.decide_message(id, to, reason.as_deref()).await {
            Err(StoreError::NotFound) => return Err(AppError::NotFound("message")),
            Err(StoreError::Conflict { .. }) => {
                return Err(AppError::Conflict {
                    code: "already_decided",
                    message: "another moderator has already decided this message".to_owned(),
                });
            }
            other => other?,
        };
        if approve {
            self.publish_quietly(Topic::Room(message.room_id), message_ref(message.id))
                .await;
        }
        // Off the queue and the room's held view for every other moderator, and news for the
        // author's open room.
        self.announce_held_decision(&message).await;
        if let Some(author) = message.author_id {
            self.notify(NewNotification {
                member_id: author,
                kind: if approve {
                    "message_approved"
                } else {
                    "message_rejected"
                },
                thread_id: None,
                post_id: None,
                message: reason.clone(),
                at: self.now(),
            })
            .await;
        }
        let action = if approve {
            "chat_message_approved"
        } else {
            "chat_message_rejected"
        };
        self.audit(
            Some(who.id),
            action,
            "message",
            Some(id.to_string()),
            reason,
        )
        .await?;
        Ok(message)
    }
}

/// Whether a room is open, and who is in it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct RoomState {
    /// Open for members to talk.
    pub open: bool,
    /// Whether a moderator (or admin) is here: what members are told instead of their names.
    pub moderator_present: bool,
    /// Handles of the members present (on every instance); staff handles only for staff.
    pub present: Vec<String>,
}

/// The websocket's handler: every subscribe is authorised against the member's current role,
/// every `say` goes through the same use case as any other text, and neither is accepted once
/// the sign-in session the socket was opened with has ended.
pub struct AppSocketHandler {
    app: App,
    /// The session the socket belongs to (`None`: not bound, for tests of the handler alone).
    session: Option<String>,
}

impl AppSocketHandler {
    /// The handler for a socket opened with the sign-in session `session_id`.
    pub fn new(app: App, session_id: Option<String>) -> Self {
        AppSocketHandler {
            app,
            session: session_id,
        }
    }

    /// The person behind the socket now, or `None` once the socket's session has ended
    /// (unbound sockets answer for the member as they stand).
    async fn current(&self, member: MemberId) -> std::result::Result<Option<Identity>, AppError> {
        match &self.session {
            Some(id) => Ok(self
                .app
                .session_identity(id)
                .await?
                .filter(|who| who.id == member)),
            None => match self.app.identify(member).await {
                Ok(who) => Ok(Some(who)),
                Err(AppError::Unauthenticated) => Ok(None),
                Err(e) => Err(e),
            },
        }
    }
}

#[async_trait]
impl SocketHandler for AppSocketHandler {
    async fn authorize_subscribe(
        &self,
        member: MemberId,
        topic: Topic,
    ) -> std::result::Result<(), ProtocolError> {
        let who = match self.current(member).await {
            Ok(Some(who)) => who,
            Ok(None) => return Err(ProtocolError::Forbidden { topic }),
            Err(AppError::Unavailable(_)) => return Err(ProtocolError::Unavailable),
            Err(_) => return Err(ProtocolError::Internal),
        };
        policy::authorize(who.actor(), Action::ReadForum)
            .map_err(|_| ProtocolError::Forbidden { topic })?;
        match may_hold(&self.app.store, member, who.role, topic).await {
            // Staff held back for want of a second factor are told why.
            Err(ProtocolError::Forbidden { topic }) if who.second_factor_missing => {
                Err(ProtocolError::SecondFactorRequired { topic })
            }
            other => other,
        }
    }

    async fn say(&self, member: MemberId, room: RoomId, body: String, client_id: Uuid) -> Ack {
        let who = match self.current(member).await {
            Ok(Some(who)) => who,
            Ok(None) => return Ack::rejected("your session has ended: please sign in again"),
            Err(e) => return Ack::rejected(e.public_message()),
        };
        match self.app.say(&who, room, &body, Some(client_id)).await {
            Ok((_, Outcome::Reject, reasons)) => Ack::rejected(reasons.join(" ")),
            Ok((message, outcome, reasons)) => {
                // Crisis support goes back with the answer, at once, whatever else happened.
                let signpost = crate::content::stored_verdict(&message.verdict, message.id)
                    .map(|v| v.signposts)
                    .unwrap_or_default();
                let ack = if outcome == Outcome::Hold {
                    Ack::held(reasons.join(" "))
                } else {
                    Ack::published()
                };
                ack.with_support(signpost, Some(reasons.join(" ")).filter(|r| !r.is_empty()))
            }
            Err(e) => Ack::rejected(e.public_message()),
        }
    }

    async fn allow(
        &self,
        member: MemberId,
        op: SocketOp,
    ) -> std::result::Result<(), ProtocolError> {
        let limit = match op {
            SocketOp::Subscribe => Limit::Subscribes,
            SocketOp::Say => Limit::Chat,
        };
        match self.app.take_limit(limit, &member.to_string()).await {
            Ok(_counted) => Ok(()),
            Err(AppError::RateLimited { retry_after }) => {
                Err(ProtocolError::LimitReached { retry_after })
            }
            Err(AppError::Unavailable(_)) => Err(ProtocolError::Unavailable),
            Err(_) => Err(ProtocolError::Internal),
        }
    }
}
