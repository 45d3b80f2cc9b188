//! Re-checking who may hold a topic or what a member may hold, after a change that narrows it.

use super::*;

impl Hub {
    /// Asks the application which of `topic`'s local subscribers may still hold it, and drops
    /// the rest with a `forbidden` error frame (see [`HubHooks::recheck_topic`]).
    pub async fn recheck_topic(&self, topic: Topic) {
        // Rounds, as in [`Hub::recheck_member`]: a member who joins while the hook runs (on a
        // check made before the change) is asked about in the next round, and a member found
        // denied loses every subscription to the topic they hold by then.
        let mut asked: HashSet<MemberId> = HashSet::new();
        let mut denied: HashSet<MemberId> = HashSet::new();
        for round in 0..=RECHECK_ROUNDS {
            let fresh: Vec<MemberId> = {
                let mut state = self.state();
                let ids: Vec<SocketId> = state
                    .topics
                    .get(&topic)
                    .map(|t| t.subscribers.keys().copied().collect())
                    .unwrap_or_default();
                let mut fresh = BTreeSet::new();
                for id in ids {
                    let Some(member) = state.sockets.get(&id).map(|s| s.member) else {
                        continue;
                    };
                    if denied.contains(&member)
                        || (round == RECHECK_ROUNDS && !asked.contains(&member))
                    {
                        self.forbid(&mut state, id, topic);
                    } else if !asked.contains(&member) {
                        fresh.insert(member);
                    }
                }
                fresh.into_iter().collect()
            };
            if fresh.is_empty() || round == RECHECK_ROUNDS {
                return;
            }
            asked.extend(fresh.iter().copied());
            let allowed: HashSet<MemberId> = match self
                .inner
                .hooks
                .recheck_topic(topic, fresh.clone())
                .await
            {
                Ok(allowed) => allowed.into_iter().collect(),
                Err(err) => {
                    warn!(%topic, error = %err, "topic re-check failed; dropping its subscribers");
                    HashSet::new()
                }
            };
            denied.extend(fresh.into_iter().filter(|m| !allowed.contains(m)));
        }
    }

    /// Asks the application which topics `member` may still hold (their role or standing
    /// changed) and drops the rest, telling each socket with a `forbidden` error frame; or closes
    /// their sockets if the hook says so or fails.
    pub async fn recheck_member(&self, member: MemberId) {
        // Rounds, because a socket may join a topic while the hook runs, on the strength of a
        // check made before the change: such a topic is asked about in the next round, and a
        // topic found denied is dropped from every socket of the member that holds it now.
        let mut asked: HashSet<Topic> = HashSet::new();
        let mut denied: HashSet<Topic> = HashSet::new();
        for round in 0..=RECHECK_ROUNDS {
            let fresh: Vec<Topic> = {
                let mut state = self.state();
                self.forbid_member_topics(&mut state, member, |t| {
                    denied.contains(t) || (round == RECHECK_ROUNDS && !asked.contains(t))
                });
                let Some(ids) = state.members.get(&member) else {
                    return;
                };
                let set: BTreeSet<Topic> = ids
                    .iter()
                    .filter_map(|id| state.sockets.get(id))
                    .flat_map(|s| s.topics.iter().copied())
                    .filter(|t| !asked.contains(t))
                    .collect();
                set.into_iter().collect()
            };
            if fresh.is_empty() || round == RECHECK_ROUNDS {
                return;
            }
            asked.extend(fresh.iter().copied());
            match self.inner.hooks.recheck_member(member, fresh.clone()).await {
                Ok(MemberAccess::Retain(allowed)) => {
                    let allowed: HashSet<Topic> = allowed.into_iter().collect();
                    denied.extend(fresh.into_iter().filter(|t| !allowed.contains(t)));
                }
                Ok(MemberAccess::Disconnect(reason)) => {
                    self.disconnect_member(member, reason);
                    return;
                }
                Err(err) => {
                    warn!(%member, error = %err, "member re-check failed; closing their sockets");
                    self.disconnect_member(
                        member,
                        CloseReason::revoked("permissions changed: reconnect"),
                    );
                    return;
                }
            }
        }
    }

    /// Drops, from every socket of `member`, the topics `drop` picks (with a `forbidden` frame).
    fn forbid_member_topics(
        &self,
        state: &mut State,
        member: MemberId,
        drop: impl Fn(&Topic) -> bool,
    ) {
        let ids: Vec<SocketId> = state
            .members
            .get(&member)
            .map(|ids| ids.iter().copied().collect())
            .unwrap_or_default();
        for id in ids {
            let dropped: Vec<Topic> = state
                .sockets
                .get(&id)
                .map(|s| s.topics.iter().filter(|t| drop(t)).copied().collect())
                .unwrap_or_default();
            for topic in dropped {
                self.forbid(state, id, topic);
            }
        }
    }

    /// Re-checks every member connected here, one after another. The Redis bus calls it after a
    /// reconnect, because "disconnect member" and "role changed" messages sent during the outage
    /// were lost.
    pub async fn recheck_all_members(&self) {
        let members: Vec<MemberId> = self.state().members.keys().copied().collect();
        for member in members {
            self.recheck_member(member).await;
        }
    }

    /// Drops a socket's subscription that is no longer allowed and tells it with a `forbidden`
    /// error frame (closing it if even that frame does not fit its queue).
    fn forbid(&self, state: &mut State, id: SocketId, topic: Topic) {
        state.remove_subscription(id, topic);
        let frame: Frame = ProtocolError::Forbidden { topic }
            .to_message()
            .to_text()
            .into();
        if let Some(Doom::TooSlow) = state.try_queue(id, frame) {
            state.kick(id, CloseReason::too_slow());
            Counters::bump(&self.inner.counters.slow_disconnects);
        }
    }
}
