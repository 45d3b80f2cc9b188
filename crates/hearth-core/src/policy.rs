//! The one permission policy. Every action a person can take is named in [`Action`], and
//! [`authorize`] decides it from the actor's role and standing alone, so the whole policy is a
//! small table that the unit tests below check cell by cell.
//!
//! Actions that also depend on a target (may this moderator suspend that admin?) have their own
//! function, [`may_sanction`], so the rule is in one place too.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What a member may do in the group. Ordered: each role can do everything the one below can.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A family member using the forum.
    Member,
    /// A volunteer or staff member who reviews held content and reports.
    Moderator,
    /// Runs the group: decides applications, roles and standing, boards, rooms and rules.
    Admin,
}

impl Role {
    /// Every role, lowest first; used by the matrix tests and by input validation.
    pub const ALL: [Role; 3] = [Role::Member, Role::Moderator, Role::Admin];

    /// The name used in storage and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Moderator => "moderator",
            Role::Admin => "admin",
        }
    }

    /// Parses the stored or wire name.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// Where an account stands. Only `Active` accounts may do anything at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// Applied; waiting for an admin's decision. Cannot sign in.
    Pending,
    /// A full member in good standing.
    Active,
    /// Temporarily barred (until a time, with a reason). Cannot sign in.
    Suspended,
    /// Permanently barred. Cannot sign in.
    Banned,
    /// The application was turned down. Cannot sign in.
    Rejected,
}

impl Standing {
    /// Every standing; used by the matrix tests.
    pub const ALL: [Standing; 5] = [
        Standing::Pending,
        Standing::Active,
        Standing::Suspended,
        Standing::Banned,
        Standing::Rejected,
    ];

    /// The name used in storage and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Standing::Pending => "pending",
            Standing::Active => "active",
            Standing::Suspended => "suspended",
            Standing::Banned => "banned",
            Standing::Rejected => "rejected",
        }
    }

    /// Parses the stored or wire name.
    pub fn parse(s: &str) -> Option<Standing> {
        Standing::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// A suspension ends by itself when its time is up; this gives the standing that holds `now`.
    pub fn effective(self, suspended_until: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Standing {
        match (self, suspended_until) {
            (Standing::Suspended, Some(until)) if until <= now => Standing::Active,
            (s, _) => s,
        }
    }
}

/// Everything a person can ask Hearth to do. New features add a variant here and a line in
/// [`required_role`]; the compiler then points at every place that must decide about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    // Members.
    /// See one's own account, change one's password, sign out.
    ManageOwnAccount,
    /// Take a copy of, or erase, one's own data.
    ExerciseDataRights,
    /// List boards, threads and posts that members may read.
    ReadForum,
    /// Start a thread.
    CreateThread,
    /// Reply to a thread.
    Reply,
    /// Edit or delete one's own post.
    EditOwnPost,
    /// Report a post to the moderators.
    ReportPost,
    /// Take part in live chat.
    Chat,
    // Moderators.
    /// See the held-content and reports queue, and decide items in it.
    ModerateQueue,
    /// Read boards kept for moderators.
    ReadModeratorBoards,
    /// Remove posts; lock, pin or move threads.
    ModerateContent,
    /// Suspend a member for a while.
    SuspendMember,
    /// Read the audit log.
    ReadAuditLog,
    // Admins.
    /// List and decide membership applications.
    DecideApplications,
    /// List members, change roles, ban and reinstate.
    ManageMembers,
    /// Issue invitations.
    Invite,
    /// Create boards and rooms.
    ManageSpaces,
    /// See and reload the moderation rules.
    ManageRules,
}

impl Action {
    /// Every action; used by the matrix tests.
    pub const ALL: [Action; 18] = [
        Action::ManageOwnAccount,
        Action::ExerciseDataRights,
        Action::ReadForum,
        Action::CreateThread,
        Action::Reply,
        Action::EditOwnPost,
        Action::ReportPost,
        Action::Chat,
        Action::ModerateQueue,
        Action::ReadModeratorBoards,
        Action::ModerateContent,
        Action::SuspendMember,
        Action::ReadAuditLog,
        Action::DecideApplications,
        Action::ManageMembers,
        Action::Invite,
        Action::ManageSpaces,
        Action::ManageRules,
    ];
}

/// The lowest role that may take an action.
pub fn required_role(action: Action) -> Role {
    use Action::*;
    match action {
        ManageOwnAccount | ExerciseDataRights | ReadForum | CreateThread | Reply | EditOwnPost
        | ReportPost | Chat => Role::Member,
        ModerateQueue | ReadModeratorBoards | ModerateContent | SuspendMember | ReadAuditLog => {
            Role::Moderator
        }
        DecideApplications | ManageMembers | Invite | ManageSpaces | ManageRules => Role::Admin,
    }
}

/// Who is asking: their role and their standing as it holds now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Actor {
    /// The actor's role.
    pub role: Role,
    /// The actor's effective standing (see [`Standing::effective`]).
    pub standing: Standing,
}

/// Why an action was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// The account is not active (pending, suspended, banned or rejected).
    #[error("this account is not active ({})", .0.as_str())]
    NotActive(Standing),
    /// The role is too low for the action.
    #[error("this needs the {} role", .0.as_str())]
    NeedsRole(Role),
}

/// Decides whether `actor` may take `action`.
pub fn authorize(actor: Actor, action: Action) -> Result<(), Denied> {
    if actor.standing != Standing::Active {
        return Err(Denied::NotActive(actor.standing));
    }
    let needed = required_role(action);
    if actor.role < needed {
        return Err(Denied::NeedsRole(needed));
    }
    Ok(())
}

/// Whether `actor` may suspend, ban, reinstate or change the role of an account with
/// `target_role`. Moderators may only sanction members; admins may act on anyone but themselves
/// (an admin locking themselves out would leave the group with no one to fix it).
pub fn may_sanction(actor: Actor, target_role: Role, target_is_self: bool) -> Result<(), Denied> {
    authorize(actor, Action::SuspendMember)?;
    if target_is_self {
        return Err(Denied::NeedsRole(Role::Admin));
    }
    match actor.role {
        Role::Admin => Ok(()),
        _ if target_role == Role::Member => Ok(()),
        _ => Err(Denied::NeedsRole(Role::Admin)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The expected answer for every cell, written out independently of `required_role`.
    fn expected(role: Role, standing: Standing, action: Action) -> bool {
        use Action::*;
        if standing != Standing::Active {
            return false;
        }
        let member_actions = [
            ManageOwnAccount,
            ExerciseDataRights,
            ReadForum,
            CreateThread,
            Reply,
            EditOwnPost,
            ReportPost,
            Chat,
        ];
        let moderator_actions = [
            ModerateQueue,
            ReadModeratorBoards,
            ModerateContent,
            SuspendMember,
            ReadAuditLog,
        ];
        match role {
            Role::Member => member_actions.contains(&action),
            Role::Moderator => {
                member_actions.contains(&action) || moderator_actions.contains(&action)
            }
            Role::Admin => true,
        }
    }

    #[test]
    fn full_matrix_of_role_standing_and_action() {
        let mut cells = 0;
        for role in Role::ALL {
            for standing in Standing::ALL {
                for action in Action::ALL {
                    let got = authorize(Actor { role, standing }, action).is_ok();
                    assert_eq!(
                        got,
                        expected(role, standing, action),
                        "{role:?} {standing:?} {action:?}"
                    );
                    cells += 1;
                }
            }
        }
        assert_eq!(cells, 3 * 5 * 18);
    }

    #[test]
    fn refusals_say_why() {
        let suspended = Actor {
            role: Role::Admin,
            standing: Standing::Suspended,
        };
        assert_eq!(
            authorize(suspended, Action::ReadForum),
            Err(Denied::NotActive(Standing::Suspended))
        );
        let member = Actor {
            role: Role::Member,
            standing: Standing::Active,
        };
        assert_eq!(
            authorize(member, Action::ManageMembers),
            Err(Denied::NeedsRole(Role::Admin))
        );
    }

    #[test]
    fn sanctions_respect_rank() {
        let active = |role| Actor {
            role,
            standing: Standing::Active,
        };
        assert!(may_sanction(active(Role::Moderator), Role::Member, false).is_ok());
        assert!(may_sanction(active(Role::Moderator), Role::Moderator, false).is_err());
        assert!(may_sanction(active(Role::Moderator), Role::Admin, false).is_err());
        assert!(may_sanction(active(Role::Admin), Role::Moderator, false).is_ok());
        assert!(may_sanction(active(Role::Admin), Role::Admin, false).is_ok());
        assert!(may_sanction(active(Role::Admin), Role::Admin, true).is_err());
        assert!(may_sanction(active(Role::Member), Role::Member, false).is_err());
    }

    #[test]
    fn suspension_ends_by_itself() {
        let now = Utc::now();
        let past = now - chrono::Duration::minutes(1);
        let future = now + chrono::Duration::minutes(1);
        assert_eq!(
            Standing::Suspended.effective(Some(past), now),
            Standing::Active
        );
        assert_eq!(
            Standing::Suspended.effective(Some(future), now),
            Standing::Suspended
        );
        assert_eq!(
            Standing::Suspended.effective(None, now),
            Standing::Suspended
        );
        assert_eq!(
            Standing::Banned.effective(Some(past), now),
            Standing::Banned
        );
    }

    #[test]
    fn names_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        for s in Standing::ALL {
            assert_eq!(Standing::parse(s.as_str()), Some(s));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
