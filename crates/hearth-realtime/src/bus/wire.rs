//! What goes over Redis: the messages one instance sends the others, as written and as read.

use super::*;

/// What goes over Redis: who sent it and what it is.
#[derive(Serialize)]
pub(super) struct WireOut<'a> {
    pub(super) origin: Uuid,
    pub(super) body: BodyOut<'a>,
}

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(super) enum BodyOut<'a> {
    Event {
        topic: Topic,
        seq: i64,
        event: &'a serde_json::Value,
    },
    DisconnectMember {
        member: MemberId,
        code: u16,
        reason: &'a str,
        /// The session whose sockets stay open (a password change keeps its own).
        #[serde(skip_serializing_if = "Option::is_none")]
        keep: Option<&'a str>,
    },
    DisconnectSession {
        tag: &'a str,
        code: u16,
        reason: &'a str,
    },
    RoleChanged {
        member: MemberId,
    },
    RecheckTopic {
        topic: Topic,
    },
}

#[derive(Deserialize)]
pub(super) struct WireIn {
    pub(super) origin: Uuid,
    pub(super) body: BodyIn,
}

#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(super) enum BodyIn {
    Event {
        topic: Topic,
        seq: i64,
        event: serde_json::Value,
    },
    DisconnectMember {
        member: MemberId,
        code: u16,
        reason: String,
        #[serde(default)]
        keep: Option<String>,
    },
    DisconnectSession {
        tag: String,
        code: u16,
        reason: String,
    },
    RoleChanged {
        member: MemberId,
    },
    RecheckTopic {
        topic: Topic,
    },
}
