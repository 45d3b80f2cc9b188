//! What the API shows of stored records. Built here, so that nothing is serialised by accident
//! (a password hash, an email) from a storage record.

use chrono::{DateTime, Utc};
use hearth_app::{ApplicationRecord, AuditEntry, Identity, MemberRecord};
use serde::Serialize;
use utoipa::ToSchema;

/// A member as they see themselves.
#[derive(Serialize, ToSchema)]
pub struct SelfView {
    /// Account id.
    #[schema(format = Uuid)]
    pub id: String,
    /// Handle.
    pub handle: String,
    /// Email (only ever shown to its owner); null when the account has none (an invited
    /// account whose email was already in use: an admin can issue reset links instead).
    pub email: Option<String>,
    /// Role.
    pub role: &'static str,
    /// Standing.
    pub standing: &'static str,
    /// When they joined.
    pub joined_at: Option<DateTime<Utc>>,
}

impl From<&MemberRecord> for SelfView {
    fn from(m: &MemberRecord) -> Self {
        SelfView {
            id: m.id.to_string(),
            handle: m.handle.clone(),
            email: m.email.clone(),
            role: m.role.as_str(),
            standing: m.standing.as_str(),
            joined_at: m.approved_at,
        }
    }
}

/// The signed-in identity, as `GET /api/session` answers it.
#[derive(Serialize, ToSchema)]
pub struct IdentityView {
    /// Account id.
    #[schema(format = Uuid)]
    pub id: String,
    /// Handle.
    pub handle: String,
    /// Role.
    pub role: &'static str,
    /// Whether they are a safeguarding lead.
    pub safeguarding_lead: bool,
    /// Staff who must set up a second factor before they can use anything of staff: until
    /// then `role` shows `member` and staff pages answer 403 `second_factor_required`.
    pub second_factor_required: bool,
}

impl From<&Identity> for IdentityView {
    fn from(i: &Identity) -> Self {
        IdentityView {
            id: i.id.to_string(),
            handle: i.handle.clone(),
            role: i.role.as_str(),
            safeguarding_lead: i.safeguarding_lead,
            second_factor_required: i.second_factor_missing,
        }
    }
}

/// A member as admins see them: no email, no password hash.
#[derive(Serialize, ToSchema)]
pub struct MemberAdminView {
    /// Account id.
    #[schema(format = Uuid)]
    pub id: String,
    /// Handle.
    pub handle: String,
    /// Role.
    pub role: &'static str,
    /// Standing.
    pub standing: &'static str,
    /// Why suspended or banned.
    pub standing_reason: Option<String>,
    /// When a suspension ends.
    pub suspended_until: Option<DateTime<Utc>>,
    /// How the 18+ check was made.
    pub age_check: String,
    /// When an admin confirmed the member is an adult.
    pub adult_confirmed_at: Option<DateTime<Utc>>,
    /// Whether they are a safeguarding lead.
    pub safeguarding_lead: bool,
    /// When they joined.
    pub joined_at: Option<DateTime<Utc>>,
}

impl From<&MemberRecord> for MemberAdminView {
    fn from(m: &MemberRecord) -> Self {
        MemberAdminView {
            id: m.id.to_string(),
            handle: m.handle.clone(),
            role: m.role.as_str(),
            standing: m.standing.as_str(),
            standing_reason: m.standing_reason.clone(),
            suspended_until: m.suspended_until,
            age_check: m.age_check.clone(),
            adult_confirmed_at: m.adult_confirmed_at,
            safeguarding_lead: m.safeguarding_lead,
            joined_at: m.approved_at,
        }
    }
}

/// A member as a moderator sees them after suspending them: who, and how they stand. Nothing
/// that is for admins only (how their age was checked, when an admin confirmed it, whether they
/// are a safeguarding lead).
///
/// Its schema allows no other property (`deny_unknown_fields` becomes `additionalProperties:
/// false`): the suspend answer is one of this or [`MemberAdminView`], and the admins' view,
/// which has every field of this one and more, must not match this one too.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberModView {
    /// Account id.
    #[schema(format = Uuid)]
    pub id: String,
    /// Handle.
    pub handle: String,
    /// Role.
    pub role: &'static str,
    /// Standing.
    pub standing: &'static str,
    /// Why suspended or banned.
    pub standing_reason: Option<String>,
    /// When a suspension ends.
    pub suspended_until: Option<DateTime<Utc>>,
}

impl From<&MemberRecord> for MemberModView {
    fn from(m: &MemberRecord) -> Self {
        MemberModView {
            id: m.id.to_string(),
            handle: m.handle.clone(),
            role: m.role.as_str(),
            standing: m.standing.as_str(),
            standing_reason: m.standing_reason.clone(),
            suspended_until: m.suspended_until,
        }
    }
}

/// An application as admins see it.
#[derive(Serialize, ToSchema)]
pub struct ApplicationView {
    /// Application id.
    #[schema(format = Uuid)]
    pub id: String,
    /// Applicant's handle.
    pub handle: String,
    /// The statement (gone once decided).
    pub statement: Option<String>,
    /// Whether they came through an invite.
    pub invited: bool,
    /// pending, approved or rejected.
    pub status: String,
    /// When they applied.
    pub created_at: DateTime<Utc>,
    /// When it was decided.
    pub decided_at: Option<DateTime<Utc>>,
    /// Whether its email is already used by an account or another waiting application (then it
    /// cannot be approved as it is). Only the admin deciding ever learns this.
    pub email_in_use: bool,
}

impl From<&ApplicationRecord> for ApplicationView {
    fn from(a: &ApplicationRecord) -> Self {
        ApplicationView {
            id: a.id.to_string(),
            handle: a.handle.clone(),
            statement: a.statement.clone(),
            invited: a.invited,
            status: a.status.clone(),
            created_at: a.created_at,
            decided_at: a.decided_at,
            email_in_use: a.email_in_use,
        }
    }
}

/// An audit-log line.
#[derive(Serialize, ToSchema)]
pub struct AuditView {
    /// Entry id.
    #[schema(format = Uuid)]
    pub id: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Who acted (handle), or "operator"/"system".
    pub actor: String,
    /// What was done.
    pub action: String,
    /// Kind of target.
    pub target_kind: String,
    /// Target id.
    pub target_id: Option<String>,
    /// The handle of the member acted on, when the target is a member who still exists.
    pub target_handle: Option<String>,
    /// Reason given.
    pub reason: Option<String>,
}

impl From<&AuditEntry> for AuditView {
    fn from(e: &AuditEntry) -> Self {
        AuditView {
            id: e.id.to_string(),
            at: e.at,
            actor: e.actor_handle.clone().unwrap_or_else(|| {
                if e.actor.is_some() {
                    "former member".to_owned()
                } else {
                    "operator".to_owned()
                }
            }),
            action: e.action.clone(),
            target_kind: e.target_kind.clone(),
            target_id: e.target_id.clone(),
            target_handle: e.target_handle.clone(),
            reason: e.reason.clone(),
        }
    }
}

/// An invite as Admin > Invites lists it: when it was made and by whom, and what became of it.
/// Never its token: only a hash is stored, and the link is shown once, when it is made.
#[derive(Serialize, ToSchema)]
pub struct InviteView {
    /// Invite id.
    #[schema(format = Uuid)]
    pub id: String,
    /// The admin who made it (null once their account is gone).
    pub created_by: Option<String>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it stops (or stopped) working.
    pub expires_at: DateTime<Utc>,
    /// When it was used, if it was.
    pub used_at: Option<DateTime<Utc>>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
    /// What it is now: `outstanding` (it still works), `used`, `revoked` or `expired`.
    pub status: &'static str,
}

impl InviteView {
    /// The view of `i` as it stands at `now` (an unused invite past its expiry is `expired`).
    pub fn new(i: &hearth_app::InviteRecord, now: DateTime<Utc>) -> Self {
        let status = if i.used_at.is_some() {
            "used"
        } else if i.revoked_at.is_some() {
            "revoked"
        } else if i.expires_at <= now {
            "expired"
        } else {
            "outstanding"
        };
        InviteView {
            id: i.id.to_string(),
            created_by: i.created_by_handle.clone(),
            created_at: i.created_at,
            expires_at: i.expires_at,
            used_at: i.used_at,
            revoked_at: i.revoked_at,
            status,
        }
    }
}

/// A board.
#[derive(Serialize, ToSchema)]
pub struct BoardView {
    /// Board id.
    #[schema(format = Uuid)]
    pub id: String,
    /// Name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Order.
    pub position: i32,
    /// members or moderators.
    pub visibility: &'static str,
    /// When an admin archived it (read-only, off the list of boards); null while in use.
    pub archived_at: Option<DateTime<Utc>>,
}

impl From<&hearth_app::BoardRecord> for BoardView {
    fn from(b: &hearth_app::BoardRecord) -> Self {
        BoardView {
            id: b.id.to_string(),
            name: b.name.clone(),
            description: b.description.clone(),
            position: b.position,
            visibility: b.visibility.as_str(),
            archived_at: b.archived_at,
        }
    }
}

/// A thread as a reader sees it.
#[derive(Serialize, ToSchema)]
pub struct ThreadView {
    /// Thread id.
    #[schema(format = Uuid)]
    pub id: String,
    /// Board id.
    #[schema(format = Uuid)]
    pub board_id: String,
    /// Title (plain text: the client escapes it).
    pub title: String,
    /// The starter's handle (null once erased).
    pub author: Option<String>,
    /// published, held, rejected, removed, deleted.
    pub status: &'static str,
    /// Shown first.
    pub pinned: bool,
    /// No more replies.
    pub locked: bool,
    /// Published posts.
    pub post_count: i32,
    /// When started.
    pub created_at: DateTime<Utc>,
    /// When last active.
    pub last_activity_at: DateTime<Utc>,
    /// Whether it has posts the reader has not read.
    pub unread: bool,
}

impl From<&hearth_app::ThreadRecord> for ThreadView {
    fn from(t: &hearth_app::ThreadRecord) -> Self {
        ThreadView {
            id: t.id.to_string(),
            board_id: t.board_id.to_string(),
            title: t.title.clone(),
            author: t.author_handle.clone(),
            status: t.status.as_str(),
            pinned: t.pinned,
            locked: t.locked,
            post_count: t.post_count,
            created_at: t.created_at,
            last_activity_at: t.last_activity_at,
            unread: t.read_at.is_none_or(|r| t.last_activity_at > r),
        }
    }
}

/// A post as one reader sees it: the text of removed or deleted posts, and the reasons for
/// decisions, only for their author and moderators.
#[derive(Serialize, ToSchema)]
pub struct PostView {
    /// Post id.
    #[schema(format = Uuid)]
    pub id: String,
    /// Thread id.
    #[schema(format = Uuid)]
    pub thread_id: String,
    /// Author's handle (null once erased or anonymised).
    pub author: Option<String>,
    /// Whether the reader wrote it.
    pub mine: bool,
    /// Whether it opens the thread.
    pub is_first: bool,
    /// published, held, rejected, removed, deleted.
    pub status: &'static str,
    /// Sanitised HTML.
    pub body_html: String,
    /// The Markdown source (for the author, to edit; and moderators).
    pub body_source: Option<String>,
    /// Content warning, shown collapsed.
    pub content_warning: Option<String>,
    /// The reason for a rejection or removal (author and moderators only), signed by "the moderators".
    pub decision_reason: Option<String>,
    /// When written.
    pub created_at: DateTime<Utc>,
    /// When last edited.
    pub edited_at: Option<DateTime<Utc>>,
    /// Whether the text is a moderator's edit (shown as "edited by a moderator"), until the
    /// author edits it again.
    pub edited_by_moderator: bool,
    /// The supportive reactions on it, and the reader's own.
    pub reactions: crate::routes::comforts::ReactionsView,
    /// Whether the reader has muted its author (the client shows it collapsed).
    pub author_muted: bool,
}

impl PostView {
    /// Adds the reactions and whether the reader muted the author.
    pub fn with_comforts(
        mut self,
        reactions: Option<&hearth_app::PostReactions>,
        author_muted: bool,
    ) -> PostView {
        if let Some(r) = reactions {
            self.reactions = r.into();
        }
        self.author_muted = author_muted;
        self
    }

    /// The view of `p` for `reader`.
    pub fn of(p: &hearth_app::PostRecord, reader: &Identity) -> PostView {
        use hearth_app::read_model::{PostSight, post_sight, privileged};
        let mine = p.author_id == Some(reader.id);
        let as_reader = Some((reader.id, reader.role));
        let privileged = privileged(p, as_reader);
        // The read model's rule: a reader who may not see the text gets the placeholder.
        let gone = post_sight(p, as_reader) != PostSight::Full;
        PostView {
            id: p.id.to_string(),
            thread_id: p.thread_id.to_string(),
            author: p.author_handle.clone(),
            mine,
            is_first: p.is_first,
            status: p.status.as_str(),
            body_html: if gone {
                String::new()
            } else {
                p.body_html.clone()
            },
            body_source: privileged.then(|| p.body_source.clone()),
            content_warning: if gone {
                None
            } else {
                p.content_warning.clone()
            },
            decision_reason: if privileged {
                p.decision_reason.clone()
            } else {
                None
            },
            created_at: p.created_at,
            edited_at: p.edited_at,
            edited_by_moderator: p.edited_by_moderator && !gone,
            reactions: crate::routes::comforts::ReactionsView::none(),
            author_muted: false,
        }
    }
}

/// A notification.
#[derive(Serialize, ToSchema)]
pub struct NotificationView {
    /// Id.
    #[schema(format = Uuid)]
    pub id: String,
    /// post_approved, post_edited_by_moderator, post_rejected, post_removed, reply (in a followed thread), mention,
    /// queue_overdue, concern_raised.
    pub kind: String,
    /// Thread concerned.
    pub thread_id: Option<String>,
    /// Post concerned.
    pub post_id: Option<String>,
    /// Extra words (a reason, signed by "the moderators").
    pub message: Option<String>,
    /// Who it is from: "the forum" for replies and mentions; otherwise always the moderators
    /// as a team, never one of them.
    pub from: &'static str,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Whether it has been seen.
    pub read: bool,
}

impl From<&hearth_app::NotificationRecord> for NotificationView {
    fn from(n: &hearth_app::NotificationRecord) -> Self {
        NotificationView {
            id: n.id.to_string(),
            kind: n.kind.clone(),
            thread_id: n.thread_id.map(|t| t.to_string()),
            post_id: n.post_id.map(|p| p.to_string()),
            message: n.message.clone(),
            from: hearth_core::comforts::notification_from(&n.kind),
            created_at: n.created_at,
            read: n.read_at.is_some(),
        }
    }
}
