//! Fan-out: getting each event to the local subscribers of its topic in order and once, and
//! filling gaps from the database when events were missed on the bus.

use super::*;

impl Hub {
    /// Delivers one event to the local subscribers of its topic: drops duplicates, fills gaps
    /// from the backfill hook first, never waits on a socket. Call it for every event from the
    /// bus (the buses do). Never blocks; a gap fill runs on a spawned task.
    pub fn deliver(&self, envelope: Envelope) {
        let jobs = {
            let mut state = self.state();
            let mut jobs = Vec::new();
            self.ingest(&mut state, envelope, &mut jobs);
            jobs
        };
        self.spawn_fills(jobs);
    }

    /// Renders a stored event through [`HubHooks::render`] (the reader-aware view of what it
    /// names, as it stands now) and delivers it as [`Hub::deliver`] does. If it cannot be
    /// rendered (the database is away) nothing is sent: the next event on the topic shows a gap,
    /// which is filled from the database.
    pub async fn deliver_rendered(&self, envelope: Envelope) {
        let topic = envelope.topic();
        if !self.state().topics.contains_key(&topic) {
            return; // Nobody here listens: no need to look anything up.
        }
        match self.inner.hooks.render(envelope).await {
            Ok(rendered) => self.deliver(rendered),
            Err(err) => {
                warn!(%topic, error = %err, "could not render an event; it will be filled from the database")
            }
        }
    }

    /// Re-fetches every topic this instance has subscribers for from where it last was. The bus
    /// calls it after reconnecting, since events published during the outage never arrived.
    pub fn resync_all(&self) {
        let jobs = {
            let mut state = self.state();
            let mut jobs = Vec::new();
            let topics: Vec<Topic> = state.topics.keys().copied().collect();
            for topic in topics {
                let Some(t) = state.topics.get_mut(&topic) else {
                    continue;
                };
                if let Some(fill) = &mut t.fill {
                    fill.again = true;
                    continue;
                }
                if let Some(after) = t.baseline() {
                    jobs.push(self.start_fill(&mut state, topic, after, Vec::new()));
                }
            }
            jobs
        };
        debug!(topics = jobs.len(), "resyncing topics after reconnect");
        self.spawn_fills(jobs);
    }

    /// Takes one event in: duplicate, next in line, or a gap.
    fn ingest(&self, state: &mut State, envelope: Envelope, jobs: &mut Vec<FillJob>) {
        let topic = envelope.topic();
        let Some(t) = state.topics.get_mut(&topic) else {
            // Nobody here listens to this topic; nothing to track.
            return;
        };
        if let Some(fill) = &mut t.fill {
            if fill.buffer.len() < self.inner.config.fill_buffer_limit {
                fill.buffer.push(envelope);
                return;
            }
            // The fill is taking too long for the traffic: give up on it (the hook's late
            // answer will be ignored), tell subscribers, and carry on from the buffer.
            warn!(%topic, "gap fill buffer overflowed; abandoning the fill");
            let mut buffered = t.fill.take().map(|f| f.buffer).unwrap_or_default();
            buffered.push(envelope);
            self.abandon_gap(state, topic, buffered, jobs);
            return;
        }
        let seq = envelope.seq();
        match t.baseline() {
            Some(last) if seq <= last => {
                // Also drops the echo of an event already delivered locally.
                Counters::bump(&self.inner.counters.duplicates_dropped);
            }
            Some(last) if seq > last + 1 => {
                debug!(%topic, last, seq, "gap detected");
                let job = self.start_fill(state, topic, last, vec![envelope]);
                jobs.push(job);
            }
            _ => {
                t.last_seq = Some(seq);
                self.fan_out(state, &envelope);
            }
        }
    }

    /// Parks a topic and returns the fill to run.
    fn start_fill(
        &self,
        state: &mut State,
        topic: Topic,
        after: i64,
        buffer: Vec<Envelope>,
    ) -> FillJob {
        state.next_fill += 1;
        let id = state.next_fill;
        if let Some(t) = state.topics.get_mut(&topic) {
            t.fill = Some(PendingFill {
                id,
                buffer,
                again: false,
            });
        }
        Counters::bump(&self.inner.counters.gap_fills);
        FillJob { topic, after, id }
    }

    /// Sends one event to every subscriber of its topic that has not had it, closing the
    /// sockets whose queue is full.
    fn fan_out(&self, state: &mut State, envelope: &Envelope) {
        let State {
            sockets, topics, ..
        } = state;
        let Some(t) = topics.get_mut(&envelope.topic()) else {
            return;
        };
        let seq = envelope.seq();
        let limit = self.inner.config.catch_up_buffer_limit;
        let mut doomed = Vec::new();
        for (id, sub) in &mut t.subscribers {
            if sub.last_sent.is_some_and(|last| seq <= last) {
                continue;
            }
            if let Some(buffer) = &mut sub.catch_up {
                if buffer.len() < limit {
                    buffer.push(envelope.clone());
                } else {
                    doomed.push((*id, Doom::TooSlow));
                }
                continue;
            }
            let Some(socket) = sockets.get(id) else {
                doomed.push((*id, Doom::Gone));
                continue;
            };
            match socket.queue.try_send(envelope.frame().clone()) {
                Ok(()) => {
                    sub.last_sent = Some(seq);
                    Counters::bump(&self.inner.counters.frames_queued);
                }
                Err(mpsc::error::TrySendError::Full(_)) => doomed.push((*id, Doom::TooSlow)),
                Err(mpsc::error::TrySendError::Closed(_)) => doomed.push((*id, Doom::Gone)),
            }
        }
        for (id, doom) in doomed {
            match doom {
                Doom::TooSlow => {
                    debug!(%id, "socket too slow; closing it");
                    Counters::bump(&self.inner.counters.slow_disconnects);
                    state.kick(id, CloseReason::too_slow());
                }
                Doom::Gone => {
                    state.remove_socket(id);
                }
            }
        }
    }

    /// Gives up on a gap: fans out what is buffered from its first event on and tells the
    /// topic's subscribers to reload it.
    fn abandon_gap(
        &self,
        state: &mut State,
        topic: Topic,
        mut buffered: Vec<Envelope>,
        jobs: &mut Vec<FillJob>,
    ) {
        Counters::bump(&self.inner.counters.gaps_abandoned);
        buffered.sort_by_key(Envelope::seq);
        let frame: Frame = ProtocolError::CatchUpFailed { topic }
            .to_message()
            .to_text()
            .into();
        let ids: Vec<SocketId> = state
            .topics
            .get(&topic)
            .map(|t| t.subscribers.keys().copied().collect())
            .unwrap_or_default();
        for id in ids {
            if let Some(Doom::TooSlow) = state.try_queue(id, frame.clone()) {
                Counters::bump(&self.inner.counters.slow_disconnects);
                state.kick(id, CloseReason::too_slow());
            }
        }
        if let (Some(t), Some(first)) = (state.topics.get_mut(&topic), buffered.first()) {
            // Accept the hole: continue from just before the first event we do have.
            let resume = first.seq() - 1;
            if t.last_seq.is_none_or(|last| last < resume) {
                t.last_seq = Some(resume);
            }
        }
        for envelope in buffered {
            self.ingest(state, envelope, jobs);
        }
    }

    fn spawn_fills(&self, jobs: Vec<FillJob>) {
        for job in jobs {
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => {
                    let hub = self.clone();
                    runtime.spawn(async move { hub.run_fill(job).await });
                }
                Err(_) => {
                    // Only reachable when called outside tokio (the buses always run inside
                    // it). Treat the fill as failed: the gap is skipped and subscribers are
                    // told to reload; any fill that triggers is failed the same way.
                    warn!(topic = %job.topic, "no async runtime to fill a gap; skipping it");
                    let mut pending = vec![job];
                    while let Some(job) = pending.pop() {
                        let mut state = self.state();
                        let failed = Err(HookError("no async runtime".to_owned()));
                        self.finish_fill(&mut state, job, failed, &mut pending);
                    }
                }
            }
        }
    }

    async fn run_fill(&self, job: FillJob) {
        let mut delay = self.inner.config.fill_retry_delay;
        let mut attempt = 0;
        let result = loop {
            match self.inner.hooks.events_since(job.topic, job.after).await {
                Ok(events) => break Ok(events),
                Err(err) if attempt < self.inner.config.fill_retries => {
                    debug!(topic = %job.topic, error = %err, attempt, "gap fill failed; retrying");
                    attempt += 1;
                    tokio::time::sleep(delay).await;
                    delay = delay.saturating_mul(2);
                }
                Err(err) => break Err(err),
            }
        };
        let jobs = {
            let mut state = self.state();
            let mut jobs = Vec::new();
            self.finish_fill(&mut state, job, result, &mut jobs);
            jobs
        };
        self.spawn_fills(jobs);
    }

    /// Applies a fill's result: the fetched events in order, then the buffer.
    fn finish_fill(
        &self,
        state: &mut State,
        job: FillJob,
        result: Result<Vec<Envelope>, HookError>,
        jobs: &mut Vec<FillJob>,
    ) {
        let topic = job.topic;
        let Some(t) = state.topics.get_mut(&topic) else {
            return; // Everyone left meanwhile.
        };
        if t.fill.as_ref().is_none_or(|f| f.id != job.id) {
            return; // Superseded (abandoned, or the topic was emptied and re-created).
        }
        let Some(fill) = t.fill.take() else {
            return;
        };
        let mut buffered = fill.buffer;
        let buffered_was_empty = buffered.is_empty();
        buffered.sort_by_key(Envelope::seq);
        let before = t.baseline();
        let result_failed = result.is_err();
        let fetched_any = result.as_ref().is_ok_and(|events| !events.is_empty());
        match result {
            Ok(mut events) => {
                events.retain(|e| e.topic() == topic);
                events.sort_by_key(Envelope::seq);
                for event in events {
                    let Some(t) = state.topics.get_mut(&topic) else {
                        return;
                    };
                    if t.baseline().is_none_or(|last| event.seq() > last) {
                        t.last_seq = Some(event.seq());
                        self.fan_out(state, &event);
                    }
                }
            }
            Err(err) => {
                warn!(%topic, error = %err, "gap fill failed");
            }
        }
        let failed = result_failed;
        let progressed = state
            .topics
            .get(&topic)
            .is_some_and(|t| t.baseline() != before);
        let still_gap = match (state.topics.get(&topic), buffered.first()) {
            (Some(t), Some(first)) => t.baseline().is_some_and(|last| first.seq() > last + 1),
            _ => false,
        };
        if failed || (still_gap && !progressed) {
            // The database could not be read, or had nothing to close the gap: do not loop.
            // Subscribers are told to reload the topic.
            warn!(%topic, "could not fill a gap; continuing without it");
            self.abandon_gap(state, topic, buffered, jobs);
        } else {
            for envelope in buffered {
                self.ingest(state, envelope, jobs);
            }
        }
        // Fetch again if asked to (a reconnect during the fill), or if a fill with nothing
        // waiting behind it (a resync) brought events: the hook may answer a page at a time,
        // and only an answer with nothing new says the topic is complete.
        let more = fill.again || (fetched_any && progressed && buffered_was_empty);
        if more
            && let Some(t) = state.topics.get(&topic)
            && t.fill.is_none()
            && let Some(after) = t.baseline()
        {
            jobs.push(self.start_fill(state, topic, after, Vec::new()));
        }
    }
}
