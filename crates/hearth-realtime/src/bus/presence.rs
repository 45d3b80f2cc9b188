//! Presence across instances: each instance shares who is in which room (a Redis sorted set
//! per room, entries that expire), and its sockets per member.

use super::*;

/// How long a shared presence entry lasts unless renewed: an instance that stops (or crashes)
/// drops out of every room this long after its last share.
pub const PRESENCE_TTL_SECS: i64 = 10;

/// The Redis sorted set holding a room's presence, named with the deployment's channel.
fn presence_key(channel: &str, room: RoomId) -> String {
    format!("{channel}:presence:{}", room.0)
}

impl Bus {
    /// Members present in `room` on any instance, sorted. With Redis this is this instance's
    /// own presence joined with what every instance shared (see [`Bus::share_presence`]) and has
    /// not let expire, so a crashed instance's sockets drop out by themselves; in-process it is
    /// the hub's own.
    pub async fn room_presence(&self, room: RoomId, now: i64) -> Result<Vec<MemberId>, BusError> {
        let mut members = self.inner.hub.room_presence(room);
        if let Kind::Redis(publisher) = &self.inner.kind {
            let mut connection = publisher.connection.clone();
            let shared: Vec<String> = tokio::time::timeout(
                publisher.publish_timeout,
                redis::cmd("ZRANGEBYSCORE")
                    .arg(presence_key(&publisher.channel, room))
                    .arg(now)
                    .arg("+inf")
                    .query_async(&mut connection),
            )
            .await
            .map_err(|_| BusError::Timeout(publisher.publish_timeout))?
            .map_err(|err| BusError::Unavailable(err.to_string()))?;
            members.extend(
                shared
                    .iter()
                    .filter_map(|entry| entry.split_once('|'))
                    .filter_map(|(member, _)| member.parse::<Uuid>().ok())
                    .map(MemberId),
            );
            members.sort();
            members.dedup();
        }
        Ok(members)
    }

    /// Shares this instance's presence with the others (Redis only): each (room, member) here
    /// is written with an expiry `PRESENCE_TTL_SECS` from `now`, entries that have expired are
    /// cleared, and this instance's entries for members who have left are removed at once.
    /// Called every second, so presence elsewhere is at most a second behind.
    pub async fn share_presence(&self, now: i64) -> Result<(), BusError> {
        let Kind::Redis(publisher) = &self.inner.kind else {
            return Ok(());
        };
        let here: HashSet<(RoomId, MemberId)> = self.inner.hub.all_presence().into_iter().collect();
        let gone: Vec<(RoomId, MemberId)> = {
            let mut shared = lock(&publisher.shared_presence);
            let gone = shared.difference(&here).copied().collect();
            *shared = here.clone();
            gone
        };
        if here.is_empty() && gone.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        let entry = |member: MemberId| format!("{}|{}", member.0, publisher.origin);
        for (room, member) in &here {
            let key = presence_key(&publisher.channel, *room);
            pipe.cmd("ZADD")
                .arg(&key)
                .arg(now + PRESENCE_TTL_SECS)
                .arg(entry(*member))
                .ignore();
            pipe.cmd("ZREMRANGEBYSCORE")
                .arg(&key)
                .arg("-inf")
                .arg(format!("({now}"))
                .ignore();
            pipe.cmd("EXPIRE")
                .arg(&key)
                .arg(PRESENCE_TTL_SECS * 2)
                .ignore();
        }
        for (room, member) in &gone {
            pipe.cmd("ZREM")
                .arg(presence_key(&publisher.channel, *room))
                .arg(entry(*member))
                .ignore();
        }
        let mut connection = publisher.connection.clone();
        match tokio::time::timeout(
            publisher.publish_timeout,
            pipe.query_async::<()>(&mut connection),
        )
        .await
        {
            Ok(Ok(())) => Ok(()),
            Ok(Err(err)) => Err(BusError::Unavailable(err.to_string())),
            Err(_) => Err(BusError::Timeout(publisher.publish_timeout)),
        }
    }

    /// Shares how many sockets each member holds on this instance and learns the same of the
    /// others (Redis only), so the per-member socket cap holds across instances, a second
    /// behind at most. Each instance writes one hash (member to count) that expires unless
    /// renewed, so a crashed instance's sockets stop counting by themselves; the instances are
    /// listed in a set, from which those whose hash has expired are dropped. Called every
    /// second with [`Bus::share_presence`].
    pub async fn share_socket_counts(&self) -> Result<(), BusError> {
        let Kind::Redis(publisher) = &self.inner.kind else {
            return Ok(());
        };
        let instances = format!("{}:sockets", publisher.channel);
        let mine = format!("{instances}:{}", publisher.origin);
        let counts = self.inner.hub.socket_counts();
        let mut pipe = redis::pipe();
        pipe.atomic().cmd("DEL").arg(&mine).ignore();
        if !counts.is_empty() {
            let mut hset = redis::cmd("HSET");
            hset.arg(&mine);
            for (member, count) in &counts {
                hset.arg(member.0.to_string()).arg(*count);
            }
            pipe.add_command(hset).ignore();
            pipe.cmd("EXPIRE")
                .arg(&mine)
                .arg(PRESENCE_TTL_SECS)
                .ignore();
        }
        pipe.cmd("SADD")
            .arg(&instances)
            .arg(publisher.origin.to_string())
            .ignore();
        pipe.cmd("SMEMBERS").arg(&instances);
        let mut connection = publisher.connection.clone();
        let timeout = publisher.publish_timeout;
        let (listed,): (Vec<String>,) =
            tokio::time::timeout(timeout, pipe.query_async(&mut connection))
                .await
                .map_err(|_| BusError::Timeout(timeout))?
                .map_err(|err| BusError::Unavailable(err.to_string()))?;
        let me = publisher.origin.to_string();
        let others: Vec<String> = listed.into_iter().filter(|o| *o != me).collect();
        let mut elsewhere: HashMap<MemberId, usize> = HashMap::new();
        if !others.is_empty() {
            let mut read = redis::pipe();
            for other in &others {
                read.cmd("HGETALL").arg(format!("{instances}:{other}"));
            }
            let hashes: Vec<HashMap<String, usize>> =
                tokio::time::timeout(timeout, read.query_async(&mut connection))
                    .await
                    .map_err(|_| BusError::Timeout(timeout))?
                    .map_err(|err| BusError::Unavailable(err.to_string()))?;
            let mut expired = redis::pipe();
            for (other, hash) in others.iter().zip(&hashes) {
                if hash.is_empty() {
                    // Gone, or holding no sockets: either way it need not be read again until
                    // it writes once more.
                    expired.cmd("SREM").arg(&instances).arg(other).ignore();
                }
                for (member, count) in hash {
                    if let Ok(id) = member.parse::<Uuid>() {
                        *elsewhere.entry(MemberId(id)).or_default() += count;
                    }
                }
            }
            if let Err(err) =
                tokio::time::timeout(timeout, expired.query_async::<()>(&mut connection))
                    .await
                    .unwrap_or(Ok(()))
            {
                debug!(error = %err, "could not forget an instance that went");
            }
        }
        self.inner.hub.set_sockets_elsewhere(elsewhere);
        Ok(())
    }
}
