//! The registry of sockets: registering and removing them, their handles, the sessions they
//! belong to, and closing them (a member, a session, every socket at shutdown).

use super::*;

/// What a session holds for its socket: its id and the way into the hub. Dropping it unregisters
/// the socket, so a session that ends for any reason leaves nothing behind.
#[derive(Debug)]
pub struct SocketHandle {
    id: SocketId,
    member: MemberId,
    hub: Hub,
    queue: mpsc::Sender<Frame>,
    close: mpsc::Sender<CloseReason>,
}

/// The receiving ends of a socket's queues, for the task that writes to the transport.
#[derive(Debug)]
pub struct SocketOutput {
    /// Frames to send, in order.
    pub frames: mpsc::Receiver<Frame>,
    /// A request to close, sent by the hub (too slow, member disconnected) or by the session
    /// (idle). Takes priority over `frames`.
    pub close: mpsc::Receiver<CloseReason>,
}

impl SocketHandle {
    /// This socket's id.
    pub fn id(&self) -> SocketId {
        self.id
    }

    /// The member this socket belongs to.
    pub fn member(&self) -> MemberId {
        self.member
    }

    /// The hub this socket is registered with.
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// Records that the member acted on this socket (not a ping: an open tab alone must not
    /// keep a session on a shared device alive), so its session slides at its next check.
    pub fn note_activity(&self) {
        if let Some(entry) = self.hub.state().sockets.get_mut(&self.id) {
            entry.active = true;
        }
    }

    /// Queues a reply (pong, ack, error) behind whatever events are already queued, waiting for
    /// room: only this socket's own reader waits. `false` if the writer has gone.
    pub async fn send(&self, frame: Frame) -> bool {
        self.queue.send(frame).await.is_ok()
    }

    /// Asks the writer to close the socket with `reason`. The first request wins.
    pub fn close(&self, reason: CloseReason) {
        let _ = self.close.try_send(reason);
    }

    /// A way to request the close that outlives this handle (the session uses it after the
    /// reader, which owns the handle, has ended).
    pub(crate) fn close_sender(&self) -> mpsc::Sender<CloseReason> {
        self.close.clone()
    }

    /// Subscribes this socket to `topic`; see [`Hub::subscribe`].
    pub async fn subscribe(
        &self,
        topic: Topic,
        since: Option<i64>,
    ) -> Result<Subscribed, SubscribeError> {
        self.hub.subscribe(self.id, topic, since).await
    }

    /// Unsubscribes this socket from `topic`; `false` if it did not hold it.
    pub fn unsubscribe(&self, topic: Topic) -> bool {
        self.hub.unsubscribe(self.id, topic)
    }

    /// Whether this socket holds `topic`.
    pub fn is_subscribed(&self, topic: Topic) -> bool {
        self.hub.is_subscribed(self.id, topic)
    }
}

impl Drop for SocketHandle {
    fn drop(&mut self) {
        self.hub.unregister(self.id);
    }
}

impl Hub {
    /// Registers a socket for `member`, without the per-member cap (for tests and tools). The
    /// session keeps the handle (dropping it unregisters) and gives the output to its writer.
    pub fn register(&self, member: MemberId) -> (SocketHandle, SocketOutput) {
        match self.insert_socket(member, None, usize::MAX) {
            Ok(socket) => socket,
            Err(_) => unreachable!("a socket with no cap is never refused"),
        }
    }

    /// Registers a socket for `member` opened with the sign-in session `session` (ending that
    /// session, [`Hub::disconnect_session`], closes it), unless the member already holds
    /// [`HubConfig::max_sockets_per_member`] sockets here: then the reason to close it with.
    /// Counted and inserted under one lock, so concurrent opens cannot overshoot the cap.
    pub fn admit_session(
        &self,
        member: MemberId,
        session: Option<SessionBinding>,
    ) -> Result<(SocketHandle, SocketOutput), CloseReason> {
        self.insert_socket(member, session, self.inner.config.max_sockets_per_member)
    }

    fn insert_socket(
        &self,
        member: MemberId,
        session: Option<SessionBinding>,
        cap: usize,
    ) -> Result<(SocketHandle, SocketOutput), CloseReason> {
        let (queue_tx, queue_rx) = mpsc::channel(self.inner.config.queue_capacity.max(1));
        // Capacity 1: only the first close request matters.
        let (close_tx, close_rx) = mpsc::channel(1);
        let id = {
            let mut state = self.state();
            let here = state.members.get(&member).map_or(0, HashSet::len);
            let elsewhere = if cap == usize::MAX {
                0
            } else {
                state.elsewhere.get(&member).copied().unwrap_or(0)
            };
            if here.saturating_add(elsewhere) >= cap {
                debug!(%member, cap, "socket refused: too many for this member");
                return Err(CloseReason::too_many_sockets(cap));
            }
            state.next_socket += 1;
            let id = SocketId(state.next_socket);
            state.sockets.insert(
                id,
                SocketEntry {
                    member,
                    session,
                    queue: queue_tx.clone(),
                    close: close_tx.clone(),
                    topics: HashSet::new(),
                    active: false,
                },
            );
            state.members.entry(member).or_default().insert(id);
            id
        };
        debug!(%id, %member, "socket registered");
        Ok((
            SocketHandle {
                id,
                member,
                hub: self.clone(),
                queue: queue_tx,
                close: close_tx,
            },
            SocketOutput {
                frames: queue_rx,
                close: close_rx,
            },
        ))
    }

    /// Removes a socket and all its subscriptions. Idempotent.
    pub fn unregister(&self, id: SocketId) {
        if self.state().remove_socket(id).is_some() {
            debug!(%id, "socket unregistered");
        }
    }

    /// Closes every socket opened with the session tagged `tag` (sign-out, the session expired).
    /// Returns how many.
    pub fn disconnect_session(&self, tag: &str, reason: CloseReason) -> usize {
        let mut state = self.state();
        let ids: Vec<SocketId> = state
            .sockets
            .iter()
            .filter(|(_, s)| s.session.as_ref().is_some_and(|b| &*b.tag == tag))
            .map(|(id, _)| *id)
            .collect();
        for id in &ids {
            state.kick(*id, reason.clone());
        }
        ids.len()
    }

    /// Closes `member`'s sockets except those opened with the session tagged `keep` (a password
    /// change ends the member's other sessions). Returns how many.
    pub fn disconnect_member_except(
        &self,
        member: MemberId,
        keep: Option<&str>,
        reason: CloseReason,
    ) -> usize {
        let mut state = self.state();
        let ids: Vec<SocketId> = state
            .members
            .get(&member)
            .map(|ids| ids.iter().copied().collect())
            .unwrap_or_default();
        let mut closed = 0;
        for id in ids {
            let kept = keep.is_some_and(|keep| {
                state
                    .sockets
                    .get(&id)
                    .and_then(|s| s.session.as_ref())
                    .is_some_and(|b| &*b.tag == keep)
            });
            if !kept {
                state.kick(id, reason.clone());
                closed += 1;
            }
        }
        if closed > 0 {
            debug!(%member, sockets = closed, "member disconnected");
        }
        closed
    }

    /// Sessions with a socket here that need looking at, each once: those whose check time is
    /// at or before `now` (seconds since the epoch), and those used on a socket since their
    /// last renewal whose check time is within `ahead` seconds (to be slid on before they run
    /// out). Whoever looks them up then calls [`Hub::renew_session`] or
    /// [`Hub::disconnect_session`].
    pub fn sessions_due(&self, now: i64, ahead: i64) -> Vec<DueSession> {
        let state = self.state();
        let mut due: HashMap<Arc<str>, DueSession> = HashMap::new();
        for socket in state.sockets.values() {
            let Some(b) = socket.session.as_ref() else {
                continue;
            };
            if b.check_at <= now || (socket.active && b.check_at <= now.saturating_add(ahead)) {
                let entry = due.entry(b.tag.clone()).or_insert_with(|| DueSession {
                    tag: b.tag.clone(),
                    id: b.id.clone(),
                    active: false,
                });
                entry.active |= socket.active;
            }
        }
        let mut due: Vec<DueSession> = due.into_values().collect();
        due.sort_by(|a, b| a.tag.cmp(&b.tag));
        due
    }

    /// Moves the next check of a session's sockets to `check_at` (the session was renewed)
    /// and starts counting their activity afresh.
    pub fn renew_session(&self, tag: &str, check_at: i64) {
        let mut state = self.state();
        for socket in state.sockets.values_mut() {
            if let Some(b) = socket.session.as_mut()
                && &*b.tag == tag
            {
                b.check_at = check_at;
                socket.active = false;
            }
        }
    }

    /// Closes every socket of `member` on this instance (suspension, sign-out). Returns how many.
    pub fn disconnect_member(&self, member: MemberId, reason: CloseReason) -> usize {
        self.disconnect_member_except(member, None, reason)
    }

    /// Closes every socket (shutdown). Returns how many.
    pub fn close_all(&self, reason: CloseReason) -> usize {
        let mut state = self.state();
        let ids: Vec<SocketId> = state.sockets.keys().copied().collect();
        for id in &ids {
            state.kick(*id, reason.clone());
        }
        ids.len()
    }
}
