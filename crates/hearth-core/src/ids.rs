//! Newtyped identifiers, so that the compiler stops a thread id being passed where a post id
//! belongs. All are UUIDs (v7, so they sort by creation time, which keeps indexes tidy).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh id, time-ordered.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }
    };
}

id_type!(
    /// A member's account (also applicants, moderators and admins: they are members with a role).
    MemberId
);
id_type!(
    /// A membership application, decided by an admin.
    ApplicationId
);
id_type!(
    /// An admin's single-use invitation.
    InviteId
);
id_type!(
    /// A board: a group of threads on one theme.
    BoardId
);
id_type!(
    /// A thread: a conversation on a board.
    ThreadId
);
id_type!(
    /// A post within a thread.
    PostId
);
id_type!(
    /// A live chat room.
    RoomId
);
id_type!(
    /// An entry in the append-only audit log.
    AuditId
);
id_type!(
    /// An item in the moderators' queue (a held post, a flagged post, or a report).
    QueueItemId
);
id_type!(
    /// A member's report of a post.
    ReportId
);
id_type!(
    /// A notification to one member.
    NotificationId
);
id_type!(
    /// A chat message.
    MessageId
);
