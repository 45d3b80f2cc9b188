//! Who is here: the members with sockets in each room, and socket counts per member for the
//! cluster-wide picture.

use super::*;

impl Hub {
    /// Members present in a room on this instance (holding at least one socket subscribed to
    /// it), sorted. Other instances' members are not included.
    pub fn room_presence(&self, room: RoomId) -> Vec<MemberId> {
        let state = self.state();
        let mut members: Vec<MemberId> = state
            .presence
            .get(&room)
            .map(|m| m.keys().copied().collect())
            .unwrap_or_default();
        members.sort();
        members
    }

    /// Every (room, member) present on this instance, for sharing with the other instances.
    pub fn all_presence(&self) -> Vec<(RoomId, MemberId)> {
        let state = self.state();
        state
            .presence
            .iter()
            .flat_map(|(room, members)| members.keys().map(move |m| (*room, *m)))
            .collect()
    }

    /// How many sockets each member holds here (members with none are left out): what this
    /// instance shares so that the socket cap holds across instances.
    pub fn socket_counts(&self) -> HashMap<MemberId, usize> {
        self.state()
            .members
            .iter()
            .filter(|(_, sockets)| !sockets.is_empty())
            .map(|(member, sockets)| (*member, sockets.len()))
            .collect()
    }

    /// Replaces what this hub knows of members' sockets on other instances; the socket cap
    /// ([`Hub::admit_session`]) counts them with this instance's own.
    pub fn set_sockets_elsewhere(&self, counts: HashMap<MemberId, usize>) {
        self.state().elsewhere = counts;
    }

    /// How many of `member`'s sockets here are in `room`.
    pub fn presence_count(&self, room: RoomId, member: MemberId) -> usize {
        self.state()
            .presence
            .get(&room)
            .and_then(|m| m.get(&member))
            .copied()
            .unwrap_or(0)
    }
}
