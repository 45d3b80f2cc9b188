//! Subscribing: the catch-up from the database with live events held back meanwhile, and the
//! switch to live under the lock (see the module documentation of `hub`).

use super::*;

/// One socket's catch-up in progress: sends history in order, remembering how far it got.
/// Runs with the hub's lock released; waits for room in the socket's own queue.
struct CatchUp<'a> {
    hub: &'a Hub,
    socket: SocketId,
    queue: &'a mpsc::Sender<Frame>,
    topic: Topic,
    /// The last sequence number the socket has (been sent or told it has).
    last: i64,
    sent: usize,
}

impl CatchUp<'_> {
    async fn send(&mut self, event: &Envelope) -> Result<(), SubscribeError> {
        if event.topic() != self.topic || event.seq() <= self.last {
            return Ok(());
        }
        // A re-check may have taken the topic away while history was being sent (a thread
        // moved to a staff board): stop at once, as for a socket unsubscribed meanwhile.
        if !self.hub.is_subscribed(self.socket, self.topic) {
            return Err(SubscribeError::SocketClosed);
        }
        self.queue
            .send(event.frame().clone())
            .await
            .map_err(|_| SubscribeError::SocketClosed)?;
        Counters::bump(&self.hub.inner.counters.frames_queued);
        self.last = event.seq();
        self.sent += 1;
        Ok(())
    }

    async fn send_all(&mut self, mut events: Vec<Envelope>) -> Result<(), SubscribeError> {
        events.sort_by_key(Envelope::seq);
        for event in &events {
            self.send(event).await?;
        }
        Ok(())
    }

    /// Fetches and sends further pages after the first, until a fetch brings nothing new.
    /// Returns the error if a later page could not be fetched.
    async fn send_remaining_pages(&mut self) -> Result<Option<HookError>, SubscribeError> {
        loop {
            let before = self.last;
            match self.hub.inner.hooks.events_since(self.topic, before).await {
                Ok(events) => self.send_all(events).await?,
                Err(err) => {
                    warn!(topic = %self.topic, error = %err, "catch-up fetch failed");
                    return Ok(Some(err));
                }
            }
            if self.last == before {
                return Ok(None);
            }
        }
    }

    /// Sends live events that were buffered during the catch-up. A hole before one of them
    /// (an event lost on the bus while this socket was not yet live, which the topic-level
    /// check may not have seen) is filled from the backfill hook first; if it cannot be, the
    /// event is sent anyway rather than held back forever.
    async fn send_buffered(&mut self, mut pending: Vec<Envelope>) -> Result<(), SubscribeError> {
        pending.sort_by_key(Envelope::seq);
        for event in &pending {
            if event.seq() > self.last + 1 {
                match self
                    .hub
                    .inner
                    .hooks
                    .events_since(self.topic, self.last)
                    .await
                {
                    Ok(mut missing) => {
                        missing.retain(|e| e.seq() < event.seq());
                        self.send_all(missing).await?;
                    }
                    Err(err) => {
                        warn!(topic = %self.topic, error = %err, "could not fill a catch-up hole");
                    }
                }
            }
            self.send(event).await?;
        }
        Ok(())
    }
}

impl Hub {
    /// Subscribes a socket to a topic. The caller has already checked the member may hold it.
    ///
    /// With `since`, events after it are fetched from the backfill hook and sent first, then live
    /// events follow with no gap and no duplicate (see the module doc). Without it, the topic's
    /// latest sequence number is read instead and live events follow it, so even the very first
    /// live event is checked for a gap. Waits for room in the socket's own queue while sending
    /// history, so a long catch-up is not mistaken for a slow client.
    pub async fn subscribe(
        &self,
        socket: SocketId,
        topic: Topic,
        since: Option<i64>,
    ) -> Result<Subscribed, SubscribeError> {
        // Join first, in catching-up mode: from here on live events for this socket are kept.
        let queue = {
            let mut state = self.state();
            let max = self.inner.config.max_topics_per_socket;
            let Some(entry) = state.sockets.get_mut(&socket) else {
                return Err(SubscribeError::SocketClosed);
            };
            if entry.topics.contains(&topic) {
                return Ok(Subscribed::AlreadySubscribed);
            }
            if entry.topics.len() >= max {
                return Err(SubscribeError::TooManyTopics { limit: max });
            }
            entry.topics.insert(topic);
            let member = entry.member;
            let queue = entry.queue.clone();
            if let Some(room) = topic.room() {
                let count = state
                    .presence
                    .entry(room)
                    .or_default()
                    .entry(member)
                    .or_default();
                *count += 1;
                if *count == 1
                    && let Some(tx) = &state.arrivals
                {
                    // Nobody watching (the receiver was dropped) is fine: nothing to tell.
                    let _ = tx.send(Arrival { room, member });
                }
            }
            state.topics.entry(topic).or_default().subscribers.insert(
                socket,
                Subscriber {
                    last_sent: since,
                    catch_up: Some(Vec::new()),
                },
            );
            queue
        };

        // Lock released: find where this socket starts, and send any history.
        let mut catch_up = CatchUp {
            hub: self,
            socket,
            queue: &queue,
            topic,
            last: since.unwrap_or(0),
            sent: 0,
        };
        let failure = match since {
            None => match self.inner.hooks.latest_seq(topic).await {
                Ok(latest) => {
                    catch_up.last = latest;
                    None
                }
                Err(err) => {
                    // Start from the first live event instead, unchecked: still live, just
                    // without a baseline for gap detection until one arrives.
                    warn!(%topic, error = %err, "could not read the latest sequence number");
                    return self.go_live_unchecked(socket, topic);
                }
            },
            Some(since) => match self.inner.hooks.events_since(topic, since).await {
                Ok(events) if events.is_empty() => {
                    // Nothing missed, or the client claims more than exists (a stale tab after
                    // a restore): never start beyond the real latest, or new events would be
                    // taken for duplicates.
                    if let Ok(latest) = self.inner.hooks.latest_seq(topic).await {
                        catch_up.last = catch_up.last.min(latest);
                    }
                    None
                }
                Ok(events) => {
                    catch_up.send_all(events).await?;
                    // The hook may answer a page at a time: ask again until nothing is new.
                    catch_up.send_remaining_pages().await?
                }
                Err(err) => {
                    warn!(%topic, error = %err, "catch-up fetch failed");
                    Some(err)
                }
            },
        };

        // Drain what arrived meanwhile. Switch to live only once the buffer is seen empty with
        // the lock held, so no live event can slip between the last drain and the switch.
        loop {
            let pending = {
                let mut state = self.state();
                let Some(sub) = state
                    .topics
                    .get_mut(&topic)
                    .and_then(|t| t.subscribers.get_mut(&socket))
                else {
                    // Unsubscribed or closed meanwhile.
                    return Err(SubscribeError::SocketClosed);
                };
                let pending = sub
                    .catch_up
                    .as_mut()
                    .map(std::mem::take)
                    .unwrap_or_default();
                if pending.is_empty() {
                    sub.catch_up = None;
                    sub.last_sent = Some(catch_up.last);
                    break;
                }
                pending
            };
            catch_up.send_buffered(pending).await?;
        }
        Ok(match (failure, since) {
            (Some(err), _) => Subscribed::CatchUpFailed(err),
            (None, None) => Subscribed::Live,
            (None, Some(_)) => Subscribed::CaughtUp {
                sent: catch_up.sent,
            },
        })
    }

    /// Switches a catching-up subscriber to live with no baseline, handing it what was buffered
    /// (used when the latest sequence number could not be read).
    fn go_live_unchecked(
        &self,
        socket: SocketId,
        topic: Topic,
    ) -> Result<Subscribed, SubscribeError> {
        let mut state = self.state();
        let Some(sub) = state
            .topics
            .get_mut(&topic)
            .and_then(|t| t.subscribers.get_mut(&socket))
        else {
            return Err(SubscribeError::SocketClosed);
        };
        let mut pending = sub.catch_up.take().unwrap_or_default();
        pending.sort_by_key(Envelope::seq);
        let mut last_sent = None;
        for event in pending {
            match state.try_queue(socket, event.frame().clone()) {
                None if state.sockets.contains_key(&socket) => {
                    Counters::bump(&self.inner.counters.frames_queued);
                    last_sent = Some(event.seq());
                }
                None => return Err(SubscribeError::SocketClosed),
                Some(_) => {
                    Counters::bump(&self.inner.counters.slow_disconnects);
                    state.kick(socket, CloseReason::too_slow());
                    return Err(SubscribeError::SocketClosed);
                }
            }
        }
        if let Some(sub) = state
            .topics
            .get_mut(&topic)
            .and_then(|t| t.subscribers.get_mut(&socket))
        {
            sub.last_sent = last_sent;
        }
        Ok(Subscribed::Live)
    }

    /// Unsubscribes a socket from a topic; `false` if it did not hold it.
    pub fn unsubscribe(&self, socket: SocketId, topic: Topic) -> bool {
        self.state().remove_subscription(socket, topic)
    }

    /// Whether a socket holds a topic.
    pub fn is_subscribed(&self, socket: SocketId, topic: Topic) -> bool {
        self.state()
            .sockets
            .get(&socket)
            .is_some_and(|s| s.topics.contains(&topic))
    }

    /// The topics a socket holds, sorted.
    pub fn topics_of(&self, socket: SocketId) -> Vec<Topic> {
        let state = self.state();
        let mut topics: Vec<Topic> = state
            .sockets
            .get(&socket)
            .map(|s| s.topics.iter().copied().collect())
            .unwrap_or_default();
        topics.sort();
        topics
    }
}
