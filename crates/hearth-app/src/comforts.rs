//! Member comforts: search, supportive reactions, following and muting threads, muting
//! members, mentions and profiles.
//!
//! None of these may expose a member: who reacted is shown only to the post's author, a mute is
//! known only to the member who set it (it is used to hold back their notifications and to
//! collapse posts for them, never shown to anyone else), and a profile carries a handle, a month
//! of joining, a post count and a short text the rules have passed.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Days, NaiveDate, Utc};
use hearth_core::comforts::{FollowState, ReactionKind, search_words, validate_about};
use hearth_core::content::{BoardVisibility, PostStatus};
use hearth_core::ids::{BoardId, MemberId, PostId, ThreadId};
use hearth_core::moderation::{Outcome, TextKind};
use hearth_core::policy::{Action, Role};
use hearth_core::render::mentioned_handles;
use hearth_realtime::Topic;
use hearth_store::records::{NewNotification, PostRecord};
use hearth_store::{FollowedThread, PostReactions, ProfileRecord, SearchHit, SearchQuery};
use serde_json::json;

use crate::content::not_found;
use crate::{App, AppError, Identity, Result};

/// Longest search text, in characters.
pub const MAX_SEARCH_CHARS: usize = 200;

/// Most search results in one page.
pub const MAX_SEARCH_PAGE: u64 = 50;

/// Shown when the rules would hold an "about" text: a profile is on show at once, so it is
/// refused instead, with what to change.
pub const PROFILE_REFUSED: &str = "Your profile can't include anything that might identify you \
or someone else, such as a name, a place, a phone number or an email address. Please change it \
and save again.";

/// A search as the member asked for it.
#[derive(Clone, Debug, Default)]
pub struct SearchInput {
    /// The words typed.
    pub text: String,
    /// Only this board.
    pub board: Option<BoardId>,
    /// Only posts from this day on (UTC).
    pub from: Option<NaiveDate>,
    /// Only posts up to and including this day (UTC).
    pub until: Option<NaiveDate>,
    /// Where the previous page ended (`next` of the previous answer).
    pub cursor: Option<String>,
    /// Results per page (at most [`MAX_SEARCH_PAGE`]).
    pub limit: u64,
}

/// A page of search results, and the cursor for the next one.
#[derive(Clone, Debug)]
pub struct SearchPage {
    /// The results, title matches first, then by relevance.
    pub hits: Vec<SearchHit>,
    /// The `cursor` for the next page, if there is one.
    pub next: Option<String>,
}

/// A member's profile as another member sees it.
#[derive(Clone, Debug)]
pub struct Profile {
    /// The profile.
    pub record: ProfileRecord,
    /// Whether the reader has muted this member.
    pub muted_by_me: bool,
    /// Whether it is the reader's own.
    pub mine: bool,
}

fn day_start(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

impl App {
    /// Searches what the member may read.
    pub async fn search(&self, who: &Identity, input: SearchInput) -> Result<SearchPage> {
        who.require(Action::ReadForum)?;
        if input.text.chars().count() > MAX_SEARCH_CHARS {
            return Err(AppError::invalid(
                "q",
                format!("a search can be at most {MAX_SEARCH_CHARS} characters"),
            ));
        }
        let words = search_words(&input.text);
        if words.is_empty() {
            return Err(AppError::invalid(
                "q",
                "type at least one word to search for",
            ));
        }
        if let Some(board) = input.board {
            self.board(who, board).await?;
        }
        if let (Some(f), Some(u)) = (input.from, input.until)
            && f > u
        {
            return Err(AppError::invalid(
                "from",
                "the first day must not be after the last day",
            ));
        }
        let offset = match input.cursor.as_deref() {
            None | Some("") => 0,
            Some(c) => c
                .strip_prefix('o')
                .and_then(|n| n.parse::<u64>().ok())
                .filter(|n| *n <= 10_000)
                .ok_or_else(|| {
                    AppError::invalid("cursor", "cursor must be the `next` of an earlier answer")
                })?,
        };
        let limit = input.limit.clamp(1, MAX_SEARCH_PAGE);
        let (hits, more) = self
            .store
            .search(&SearchQuery {
                words,
                staff_boards: who.role >= Role::Moderator,
                board: input.board,
                from: input.from.map(day_start),
                until: input
                    .until
                    .and_then(|u| u.checked_add_days(Days::new(1)))
                    .map(day_start),
                offset,
                limit,
            })
            .await?;
        Ok(SearchPage {
            hits,
            next: more.then(|| format!("o{}", offset + limit)),
        })
    }

    /// Leaves (`on`) or takes back a supportive reaction on a published post, and tells the
    /// thread's readers the new counts. One of each kind per member per post; not on one's own.
    pub async fn react(
        &self,
        who: &Identity,
        post: PostId,
        kind: &str,
        on: bool,
    ) -> Result<PostReactions> {
        who.require(Action::Reply)?;
        let kind = ReactionKind::parse(kind).ok_or_else(|| {
            AppError::invalid(
                "kind",
                format!(
                    "a reaction is one of: {}",
                    ReactionKind::ALL.map(ReactionKind::as_str).join(", ")
                ),
            )
        })?;
        let post = self.visible_post(who, post).await?;
        if post.status != PostStatus::Published {
            return Err(AppError::NotFound("post"));
        }
        if post.author_id == Some(who.id) {
            return Err(AppError::Conflict {
                code: "own_post",
                message: "reactions are for other members' posts".to_owned(),
            });
        }
        let changed = if on {
            self.store
                .add_reaction(post.id, who.id, kind, self.now())
                .await?
        } else {
            self.store.remove_reaction(post.id, who.id, kind).await?
        };
        let mut all = self.store.reactions(&[post.id], who.id).await?;
        let now = all.remove(&post.id).unwrap_or_default();
        if changed {
            let event = json!({
                "kind": "reactions_changed",
                "post_id": post.id.to_string(),
                "thread_id": post.thread_id.to_string(),
                "counts": now.counts,
            });
            self.publish_quietly(Topic::Thread(post.thread_id), event)
                .await;
        }
        Ok(now)
    }

    /// Who reacted to a post, for its author only (nobody else, moderators included, learns
    /// who reacted to what).
    pub async fn reactors(
        &self,
        who: &Identity,
        post: PostId,
    ) -> Result<Vec<(String, &'static str)>> {
        who.require(Action::ReadForum)?;
        let post = self.visible_post(who, post).await?;
        if post.author_id != Some(who.id) {
            return Err(AppError::Forbidden(
                "only a post's author sees who reacted to it".to_owned(),
            ));
        }
        Ok(self.store.reactors(post.id).await?)
    }

    /// The reactions on a page of posts, for `who`.
    pub async fn reactions_for(
        &self,
        who: &Identity,
        posts: &[PostRecord],
    ) -> Result<HashMap<PostId, PostReactions>> {
        let ids: Vec<PostId> = posts.iter().map(|p| p.id).collect();
        Ok(self.store.reactions(&ids, who.id).await?)
    }

    /// The members `who` has muted (ids), to collapse their posts for them.
    pub async fn muted_ids(&self, who: &Identity) -> Result<HashSet<MemberId>> {
        Ok(self
            .store
            .muted_by(who.id)
            .await?
            .into_iter()
            .map(|(id, _, _)| id)
            .collect())
    }

    /// The members `who` has muted: (handle, since).
    pub async fn mutes(&self, who: &Identity) -> Result<Vec<(String, DateTime<Utc>)>> {
        who.require(Action::ManageOwnAccount)?;
        Ok(self
            .store
            .muted_by(who.id)
            .await?
            .into_iter()
            .map(|(_, h, at)| (h, at))
            .collect())
    }

    /// Mutes (`on`) or unmutes a member for `who`. Nobody is told: not the muted member, not
    /// the moderators. Moderators and admins cannot be muted, so that their notices always
    /// reach everyone.
    ///
    /// Only members with a profile can be found ([`App::profile`]): anyone else answers the
    /// same 404 as a handle nobody has. A member already muted can always be unmuted, whatever
    /// has become of their account since.
    pub async fn mute(&self, who: &Identity, handle: &str, on: bool) -> Result<()> {
        who.require(Action::ManageOwnAccount)?;
        if !on {
            let key = hearth_core::account::handle_key(handle);
            let muted = self.store.muted_by(who.id).await?;
            if let Some((id, _, _)) = muted
                .into_iter()
                .find(|(_, h, _)| hearth_core::account::handle_key(h) == key)
            {
                self.store.unmute_member(who.id, id).await?;
                return Ok(());
            }
        }
        let target = self
            .store
            .profile(handle)
            .await
            .map_err(not_found("member"))?;
        if target.id == who.id {
            return Err(AppError::Conflict {
                code: "mute_self",
                message: "you cannot mute yourself".to_owned(),
            });
        }
        if on {
            if Role::parse(&target.role).is_some_and(|r| r >= Role::Moderator) {
                return Err(AppError::Conflict {
                    code: "mute_staff",
                    message: "moderators cannot be muted, so that their notices reach everyone"
                        .to_owned(),
                });
            }
            self.store
                .mute_member(who.id, target.id, self.now())
                .await?;
        } else {
            self.store.unmute_member(who.id, target.id).await?;
        }
        Ok(())
    }

    /// A member's profile.
    pub async fn profile(&self, who: &Identity, handle: &str) -> Result<Profile> {
        who.require(Action::ReadForum)?;
        let record = self
            .store
            .profile(handle)
            .await
            .map_err(not_found("member"))?;
        let muted_by_me = self.store.has_muted(who.id, record.id).await?;
        let mine = record.id == who.id;
        Ok(Profile {
            record,
            muted_by_me,
            mine,
        })
    }

    /// Sets (or, when blank, clears) `who`'s "about" text. It goes through the rules like a
    /// post; since a profile is on show to everyone with no moderator before it, anything the
    /// rules would hold is refused, with the rules' reasons, rather than published.
    pub async fn set_about(&self, who: &Identity, about: &str) -> Result<Option<String>> {
        who.require(Action::ManageOwnAccount)?;
        let about = validate_about(about).map_err(|e| AppError::invalid("about", e.to_string()))?;
        if let Some(text) = &about {
            let mut verdict = self.moderate(who, TextKind::Profile, text, None).await?;
            if !matches!(verdict.outcome, Outcome::Publish) {
                if verdict.outcome != Outcome::Reject {
                    // The rules' words for a held post speak of a moderator reading it first;
                    // a profile is not held but refused, so say what to change instead.
                    verdict.outcome = Outcome::Reject;
                    verdict.author_messages = vec![PROFILE_REFUSED.to_owned()];
                }
                return Err(AppError::RuleRejected(Box::new(verdict)));
            }
        }
        let member = self.store.set_about(who.id, about).await?;
        Ok(member.about)
    }

    /// A member's follow state for a thread they can see.
    pub async fn follow_state(&self, who: &Identity, thread: ThreadId) -> Result<FollowState> {
        self.thread(who, thread).await?;
        Ok(self.store.follow_state(who.id, thread).await?)
    }

    /// Follows, stops following or mutes a thread.
    pub async fn set_follow_state(
        &self,
        who: &Identity,
        thread: ThreadId,
        state: &str,
    ) -> Result<FollowState> {
        who.require(Action::ReadForum)?;
        let state = FollowState::parse(state).ok_or_else(|| {
            AppError::invalid("state", "state is one of: following, not_following, muted")
        })?;
        self.thread(who, thread).await?;
        self.store
            .set_follow_state(who.id, thread, state, self.now())
            .await?;
        Ok(state)
    }

    /// The threads `who` follows, most recently active first, with unread counts.
    pub async fn following(&self, who: &Identity) -> Result<Vec<FollowedThread>> {
        who.require(Action::ReadForum)?;
        Ok(self
            .store
            .followed_threads(who.id, who.role >= Role::Moderator, 200)
            .await?)
    }

    /// Follows a thread for a member who has just written in it, unless they chose otherwise
    /// before. Never fails the post it follows.
    pub(crate) async fn follow_as_writer(&self, who: MemberId, thread: ThreadId) {
        if let Err(e) = self
            .store
            .follow_automatically(who, thread, self.now())
            .await
        {
            tracing::warn!(error = %e, "could not follow a thread for its writer");
        }
    }

    /// What follows a post becoming visible: its mentions are notified (once per member per
    /// post, never to someone who muted the author or cannot read the board), and, for a new
    /// reply (`new_reply`), the thread's followers hear of it. Never fails the action it follows.
    pub(crate) async fn after_published(&self, post: &PostRecord, new_reply: bool) {
        if let Err(e) = self.notify_readers(post, new_reply).await {
            tracing::warn!(error = %e, "could not notify mentions and followers of a post");
        }
    }

    async fn notify_readers(&self, post: &PostRecord, new_reply: bool) -> Result<()> {
        let Some(author) = post.author_id else {
            return Ok(());
        };
        if post.status != PostStatus::Published {
            return Ok(());
        }
        let mut told = HashSet::new();
        let handles = mentioned_handles(&post.body_source);
        if !handles.is_empty() {
            let thread = self.store.thread(post.thread_id, None).await?;
            let board = self.store.board(thread.board_id).await?;
            for (member, _, role) in self
                .store
                .active_members_by_handles(&handles, self.now())
                .await?
            {
                let role = Role::parse(&role).unwrap_or(Role::Member);
                let can_read =
                    board.visibility == BoardVisibility::Members || role >= Role::Moderator;
                if member == author
                    || !can_read
                    || self.store.has_muted(member, author).await?
                    || !self.store.record_mention(post.id, member).await?
                {
                    continue;
                }
                self.notify(NewNotification {
                    member_id: member,
                    kind: "mention",
                    thread_id: Some(post.thread_id),
                    post_id: Some(post.id),
                    message: None,
                    at: self.now(),
                })
                .await;
                told.insert(member);
            }
        }
        if new_reply && !post.is_first {
            for member in self
                .store
                .followers_to_notify(post.thread_id, author)
                .await?
            {
                if told.contains(&member) {
                    continue;
                }
                self.notify(NewNotification {
                    member_id: member,
                    kind: "reply",
                    thread_id: Some(post.thread_id),
                    post_id: Some(post.id),
                    message: None,
                    at: self.now(),
                })
                .await;
            }
        }
        Ok(())
    }
}
