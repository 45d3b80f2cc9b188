//! The one permission policy. Every action a person can take is named in [`Action`], and
//! [`authorize`] decides it from the actor's role and standing alone, so the whole policy is a
//! small table that the unit tests below check cell by cell.
//!
//! Staff actions on another account (may this moderator suspend that admin, or that banned
//! account?) depend on the target too: they are named in [`StaffAction`] and decided by
//! [`may_act_on`] from the actor, the target's role and its standing *now*, so that rule is one
//! table as well.

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
    /// Everything that asks "is this account active?" goes through here, or through the store's
    /// SQL twin of it, which agrees cell by cell (a suspension whose end is at or before `now`
    /// has ended).
    pub fn effective(self, suspended_until: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Standing {
        match (self, suspended_until) {
            (Standing::Suspended, Some(until)) if until <= now => Standing::Active,
            (s, _) => s,
        }
    }

    /// Whether an account in this standing has a profile other members may see (and so may be
    /// muted). Applicants, turned-away applicants and banned accounts have none: to members
    /// they do not exist, so nobody learns who applied or was turned away. A suspension is
    /// nobody else's business, so a suspended member's profile stays as it was.
    pub fn has_profile(self) -> bool {
        matches!(self, Standing::Active | Standing::Suspended)
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
    /// Staff may not take a [`StaffAction`] on their own account.
    #[error("nobody can change their own standing or role, or erase their account, this way")]
    OwnAccount,
    /// The target's standing does not fit the [`StaffAction`] (see [`StaffAction::fits`]).
    #[error("{}", .action.refusal())]
    TargetStanding {
        /// What was asked.
        action: StaffAction,
        /// The target's standing now.
        standing: Standing,
    },
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

/// What staff may do to another account's standing, role or data. Each needs a permission from
/// [`Action`] first, and then fits only some targets (see [`may_act_on`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StaffAction {
    /// Bar an account until a time. Moderators may suspend active members only; admins may also
    /// change a suspension that is running.
    Suspend,
    /// Close an account until an admin reinstates it.
    Ban,
    /// Lift a running suspension or a ban.
    Reinstate,
    /// Change an account's role.
    ChangeRole,
    /// Erase an account (as the member could themselves).
    Erase,
}

impl StaffAction {
    /// Every staff action; used by the matrix tests.
    pub const ALL: [StaffAction; 5] = [
        StaffAction::Suspend,
        StaffAction::Ban,
        StaffAction::Reinstate,
        StaffAction::ChangeRole,
        StaffAction::Erase,
    ];

    /// The permission the actor needs before any target is considered.
    pub fn permission(self) -> Action {
        match self {
            StaffAction::Suspend => Action::SuspendMember,
            StaffAction::Ban
            | StaffAction::Reinstate
            | StaffAction::ChangeRole
            | StaffAction::Erase => Action::ManageMembers,
        }
    }

    /// The targets' standings (as they hold now) this action fits, when taken by `role`.
    ///
    /// Suspending is for members in the group: never an applicant (a suspension lapses into
    /// `Active`, which would let them in without an admin's 18+ confirmation), never a banned
    /// or rejected account (that would turn a permanent decision into a short one). Only admins
    /// may change a running suspension (a moderator re-suspending could shorten it). Bans and
    /// role changes are likewise for accounts that were let in, and only a suspension or a ban
    /// can be lifted. Erasure is for any account: applicants have a right to it too.
    pub fn fits(self, role: Role) -> &'static [Standing] {
        use Standing::*;
        match (self, role) {
            (StaffAction::Suspend, Role::Admin) => &[Active, Suspended],
            (StaffAction::Suspend, _) => &[Active],
            (StaffAction::Ban | StaffAction::ChangeRole, _) => &[Active, Suspended, Banned],
            (StaffAction::Reinstate, _) => &[Suspended, Banned],
            (StaffAction::Erase, _) => &Standing::ALL,
        }
    }

    /// Why a target's standing does not fit, in words that do not name the standing (a
    /// moderator is not told whether an account applied, was turned away or was banned).
    pub fn refusal(self) -> &'static str {
        match self {
            StaffAction::Suspend => {
                "only an active member can be suspended (admins may also change a running \
                 suspension; a ban is lifted by reinstating)"
            }
            StaffAction::Ban => "only an account that was let in can be banned",
            StaffAction::Reinstate => "this member is not suspended or banned",
            StaffAction::ChangeRole => "only an account that was let in can have its role changed",
            StaffAction::Erase => "this account cannot be erased",
        }
    }
}

/// The account a [`StaffAction`] is aimed at, as it stands when the action is decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target {
    /// The target's role.
    pub role: Role,
    /// The target's effective standing (see [`Standing::effective`]): a suspension that has
    /// ended counts as `Active`.
    pub standing: Standing,
    /// Whether the target is the actor themselves.
    pub is_self: bool,
}

/// Decides whether `actor` may take `action` on `target`. In order: the actor needs the
/// action's permission; nobody changes their own standing, role or account this way (an admin
/// locking themselves out could leave the group with no one to fix it); moderators act only on
/// members, never on their peers or admins; and the target's standing must fit the action
/// ([`StaffAction::fits`]).
pub fn may_act_on(actor: Actor, action: StaffAction, target: Target) -> Result<(), Denied> {
    authorize(actor, action.permission())?;
    if target.is_self {
        return Err(Denied::OwnAccount);
    }
    if actor.role < Role::Admin && target.role != Role::Member {
        return Err(Denied::NeedsRole(Role::Admin));
    }
    if !action.fits(actor.role).contains(&target.standing) {
        return Err(Denied::TargetStanding {
            action,
            standing: target.standing,
        });
    }
    Ok(())
}

/// The audit-log actions moderators may read: what staff did to content and to members'
/// standing. Everything else is for admins only: members' own account actions (password
/// changes, data exports, erasure), applications and their reasons, invites, account recovery,
/// safeguarding and operator actions. A new kind of entry is therefore admin-only until it is
/// added here.
pub const MODERATOR_AUDIT_ACTIONS: &[&str] = &[
    "queue_held_approved",
    "queue_held_rejected",
    "queue_flagged_approved",
    "queue_flagged_rejected",
    "queue_report_approved",
    "queue_report_rejected",
    "queue_rejection_undone",
    "post_removed",
    "thread_locked",
    "thread_unlocked",
    "thread_pinned",
    "thread_unpinned",
    "thread_moved",
    "chat_message_approved",
    "chat_message_rejected",
    "member_suspended",
    "member_banned",
    "member_reinstated",
    "role_changed",
    "rules_reloaded",
    "board_created",
    "board_updated",
    "board_archived",
    "board_unarchived",
    "boards_reordered",
    "room_created",
];

/// Which audit-log actions `role` may read: `None` for all of them (admins), otherwise the
/// list to filter by (moderators: [`MODERATOR_AUDIT_ACTIONS`]; members read none). Whether
/// the role may open the log at all is [`Action::ReadAuditLog`].
pub fn readable_audit_actions(role: Role) -> Option<&'static [&'static str]> {
    match role {
        Role::Admin => None,
        Role::Moderator => Some(MODERATOR_AUDIT_ACTIONS),
        Role::Member => Some(&[]),
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

    /// The expected answer for every staff-action cell, written out as the rules read, apart
    /// from [`StaffAction::fits`].
    fn expected_staff(
        actor: Actor,
        action: StaffAction,
        target_role: Role,
        standing: Standing,
        is_self: bool,
    ) -> bool {
        use Standing::*;
        if actor.standing != Active || is_self {
            return false;
        }
        match actor.role {
            Role::Member => false,
            // Moderators: suspend only, only members, only active ones.
            Role::Moderator => {
                action == StaffAction::Suspend && target_role == Role::Member && standing == Active
            }
            Role::Admin => match action {
                StaffAction::Suspend => matches!(standing, Active | Suspended),
                StaffAction::Ban | StaffAction::ChangeRole => {
                    matches!(standing, Active | Suspended | Banned)
                }
                StaffAction::Reinstate => matches!(standing, Suspended | Banned),
                StaffAction::Erase => true,
            },
        }
    }

    #[test]
    fn full_matrix_of_staff_actions_on_targets() {
        let mut cells = 0;
        for actor_role in Role::ALL {
            for actor_standing in Standing::ALL {
                let actor = Actor {
                    role: actor_role,
                    standing: actor_standing,
                };
                for action in StaffAction::ALL {
                    for target_role in Role::ALL {
                        for standing in Standing::ALL {
                            for is_self in [false, true] {
                                let target = Target {
                                    role: target_role,
                                    standing,
                                    is_self,
                                };
                                let got = may_act_on(actor, action, target).is_ok();
                                assert_eq!(
                                    got,
                                    expected_staff(actor, action, target_role, standing, is_self),
                                    "{actor:?} {action:?} on {target:?}"
                                );
                                cells += 1;
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(cells, 3 * 5 * 5 * 3 * 5 * 2);
    }

    #[test]
    fn staff_refusals_say_why() {
        let active = |role| Actor {
            role,
            standing: Standing::Active,
        };
        let target = |role, standing, is_self| Target {
            role,
            standing,
            is_self,
        };
        let moderator = active(Role::Moderator);
        // Peers and admins: a matter of rank, whatever their standing.
        assert_eq!(
            may_act_on(
                moderator,
                StaffAction::Suspend,
                target(Role::Admin, Standing::Banned, false)
            ),
            Err(Denied::NeedsRole(Role::Admin))
        );
        // A banned or pending member: a matter of standing.
        for standing in [
            Standing::Banned,
            Standing::Pending,
            Standing::Rejected,
            Standing::Suspended,
        ] {
            assert_eq!(
                may_act_on(
                    moderator,
                    StaffAction::Suspend,
                    target(Role::Member, standing, false)
                ),
                Err(Denied::TargetStanding {
                    action: StaffAction::Suspend,
                    standing
                })
            );
        }
        // Oneself: refused before anything else, for admins too.
        assert_eq!(
            may_act_on(
                active(Role::Admin),
                StaffAction::Ban,
                target(Role::Admin, Standing::Active, true)
            ),
            Err(Denied::OwnAccount)
        );
        // Bans and reinstatements need an admin; a suspended admin is not one.
        assert_eq!(
            may_act_on(
                moderator,
                StaffAction::Reinstate,
                target(Role::Member, Standing::Banned, false)
            ),
            Err(Denied::NeedsRole(Role::Admin))
        );
        assert_eq!(
            may_act_on(
                Actor {
                    role: Role::Admin,
                    standing: Standing::Suspended
                },
                StaffAction::Suspend,
                target(Role::Member, Standing::Active, false)
            ),
            Err(Denied::NotActive(Standing::Suspended))
        );
    }

    #[test]
    fn an_ended_suspension_counts_as_active_for_staff_actions() {
        let now = Utc::now();
        let ended = Standing::Suspended.effective(Some(now - chrono::Duration::seconds(1)), now);
        let moderator = Actor {
            role: Role::Moderator,
            standing: Standing::Active,
        };
        let on = |standing| Target {
            role: Role::Member,
            standing,
            is_self: false,
        };
        assert!(may_act_on(moderator, StaffAction::Suspend, on(ended)).is_ok());
        let running = Standing::Suspended.effective(Some(now + chrono::Duration::seconds(1)), now);
        assert!(may_act_on(moderator, StaffAction::Suspend, on(running)).is_err());
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
        // The end itself is the first moment of being active again.
        assert_eq!(
            Standing::Suspended.effective(Some(now), now),
            Standing::Active
        );
        for s in [Standing::Pending, Standing::Rejected, Standing::Active] {
            assert_eq!(s.effective(Some(past), now), s);
            assert_eq!(s.effective(Some(future), now), s);
        }
    }

    #[test]
    fn profiles_exist_for_active_and_suspended_members_only() {
        let with: Vec<_> = Standing::ALL
            .into_iter()
            .filter(|s| s.has_profile())
            .collect();
        assert_eq!(with, [Standing::Active, Standing::Suspended]);
    }

    #[test]
    fn moderators_read_staff_actions_only_in_the_audit_log() {
        let moderator = readable_audit_actions(Role::Moderator).unwrap_or_default();
        for private in [
            "password_changed",
            "password_reset",
            "data_exported",
            "member_erased_self",
            "member_erased_by_admin",
            "application_approved",
            "application_rejected",
            "invite_created",
            "invite_used",
            "invite_revoked",
            "reset_link_issued",
            "concern_raised",
            "concerns_viewed",
            "concern_decided",
            "safeguarding_lead_granted",
            "safeguarding_lead_removed",
            "admin_created_by_operator",
            "first_admin_created",
        ] {
            assert!(!moderator.contains(&private), "{private}");
        }
        for staff in ["member_suspended", "queue_held_rejected", "post_removed"] {
            assert!(moderator.contains(&staff), "{staff}");
        }
        assert_eq!(readable_audit_actions(Role::Admin), None);
        assert_eq!(readable_audit_actions(Role::Member), Some(&[][..]));
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
