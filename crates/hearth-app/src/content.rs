//! Boards, threads and posts: every piece of member text goes through the rules engine before
//! it is stored as visible; what the rules hold waits in the moderators' queue.

use hearth_core::content::{
    BoardVisibility, PostStatus, REPORT_NOTE_MAX, REPORT_REASONS, validate_body,
    validate_content_warning, validate_title,
};
use hearth_core::ids::{BoardId, PostId, ThreadId};
use hearth_core::moderation::{AuthorFacts, Outcome, Signpost, Submission, TextKind, Verdict};
use hearth_core::policy::{Action, Role};
use hearth_core::render::render_markdown;
use hearth_realtime::{Envelope, Topic};
use hearth_store::records::{BoardRecord, NewPost, PostRecord, QueueKind, ThreadRecord};
use hearth_store::{NewEvent, StoreError, ThreadCursor};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{App, AppError, Identity, Result};

/// What the author is told about their post's moderation.
#[derive(Clone, Debug, Serialize)]
pub struct Moderation {
    /// published, held or rejected.
    pub status: &'static str,
    /// Sentences for the author: why it was held or rejected.
    pub reasons: Vec<String>,
    /// Support resources the rules point the author to.
    pub signpost: Vec<Signpost>,
}

/// What an admin is told when the rules would hold a board's name or description: a board is
/// on show to every member with no moderator before it, so it is refused instead.
pub const BOARD_TEXT_REFUSED: &str = "The group's rules would need a moderator to read this \
before members see it, so a board cannot be named or described this way. Please change it.";

/// What an admin changes about a board; `None` leaves that part as it is.
#[derive(Clone, Debug, Default)]
pub struct BoardPatch {
    /// A new name.
    pub name: Option<String>,
    /// A new description (empty clears it).
    pub description: Option<String>,
    /// Archive it (`true`) or bring it back (`false`).
    pub archived: Option<bool>,
}

/// Shown to an author whose post waits for a moderator.
pub const HELD_MESSAGE: &str = "Thank you for posting. A moderator will read it before others \
can see it: this keeps everyone in the group safe, and it is nothing you did wrong. You can \
still edit it while it waits.";

/// Added to the answer to a report or a concern whose note reads as a crisis, above the
/// support shown with it: the writer is the one who may be at risk.
pub const NOTE_CRISIS_MESSAGE: &str = "Some of what you wrote sounds like things are very hard \
for you right now. You matter here too: the support below is there for you at any time, day or \
night.";

impl Moderation {
    /// The author's view of a verdict.
    pub fn from_verdict(v: &Verdict) -> Moderation {
        let mut reasons = v.author_messages.clone();
        if v.outcome == Outcome::Hold && reasons.is_empty() {
            reasons.push(HELD_MESSAGE.to_owned());
        }
        Moderation {
            status: v.outcome.status(),
            reasons,
            signpost: v.signposts.clone(),
        }
    }
}

/// Whether an answer is about a post stored by this request, or one that an earlier send with
/// the same `Idempotency-Key` had already stored (its answer was lost, so the client retried).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sent {
    /// Stored now.
    New,
    /// Stored before, by a send with the same key; nothing was stored or announced again.
    Replayed,
}

/// Combines the verdicts on the texts of one item (a post's body, its content warning, a new
/// thread's title): the more severe wins, and everything found in either is kept.
pub(crate) fn combine(mut a: Verdict, b: Verdict) -> Verdict {
    a.outcome = a.outcome.max(b.outcome);
    a.hits.extend(b.hits);
    for m in b.author_messages {
        if !a.author_messages.contains(&m) {
            a.author_messages.push(m);
        }
    }
    for s in b.signposts {
        if !a.signposts.iter().any(|x| x.name == s.name) {
            a.signposts.push(s);
        }
    }
    a.concern |= b.concern;
    a
}

fn queue_for(outcome: Outcome) -> Option<QueueKind> {
    match outcome {
        Outcome::Hold => Some(QueueKind::Held),
        Outcome::PublishAndFlag => Some(QueueKind::Flagged),
        Outcome::Publish | Outcome::Reject => None,
    }
}

fn status_for(outcome: Outcome) -> PostStatus {
    if outcome.is_published() {
        PostStatus::Published
    } else {
        PostStatus::Held
    }
}

fn verdict_json(v: &Verdict) -> Result<String> {
    serde_json::to_string(v).map_err(|e| AppError::Internal(format!("verdict json: {e}")))
}

/// The answer to a key used again for a different post: the client has a bug, and handing it
/// the other post would tell it that this one was stored.
fn key_reused() -> AppError {
    AppError::Conflict {
        code: "idempotency_key_reused",
        message: "this Idempotency-Key was already used for a different post; send a new key \
                  for a new post"
            .to_owned(),
    }
}

/// Two sends with one key at once: the second finds the first's post being stored. As the
/// Idempotency-Key draft (IETF httpapi) asks, that is a 409, and a later retry finds the post.
fn in_flight(e: StoreError) -> AppError {
    match e {
        StoreError::Conflict { what: "client_key" } => AppError::Conflict {
            code: "idempotency_key_in_flight",
            message: "a send with this Idempotency-Key is still being stored; try again in a \
                      moment"
                .to_owned(),
        },
        other => other.into(),
    }
}

/// The verdict stored with a post or message (`what` names it for the log if it is corrupt).
pub(crate) fn stored_verdict(json: &str, what: impl std::fmt::Display) -> Result<Verdict> {
    serde_json::from_str(json)
        .map_err(|e| AppError::Internal(format!("stored verdict of {what}: {e}")))
}

/// The author's view of a stored post's moderation, as it was answered when it was sent.
fn moderation_of(post: &PostRecord) -> Result<Moderation> {
    Ok(Moderation::from_verdict(&stored_verdict(
        &post.verdict,
        post.id,
    )?))
}

fn invalid(e: hearth_core::content::ContentError) -> AppError {
    AppError::invalid(e.field, e.message)
}

/// Something the member may not see is, for them, not there; but a database outage stays an
/// outage (503), never a 404.
pub(crate) fn hide_as(what: &'static str) -> impl Fn(AppError) -> AppError {
    move |e| match e {
        AppError::Unavailable(_) | AppError::Internal(_) => e,
        _ => AppError::NotFound(what),
    }
}

pub(crate) fn not_found(what: &'static str) -> impl Fn(StoreError) -> AppError {
    move |e| match e {
        StoreError::NotFound => AppError::NotFound(what),
        other => other.into(),
    }
}

/// The events that announce a change to a post: on its thread, and on its board (the thread's
/// new activity, or its disappearance when its first post went). They are references (kinds
/// and ids): each reader gets the post and thread as they stand when the event reaches them,
/// through the read model, so a post that is held, removed or deleted later is never shown
/// from an old event. A new post that is not published (held) is announced on neither: held
/// content only ever reaches moderators.
fn post_events(
    post: &PostRecord,
    thread: Option<&ThreadRecord>,
    kind: &str,
) -> Vec<(Topic, Value)> {
    let mut out = Vec::with_capacity(2);
    if kind == "post_published" && post.status != PostStatus::Published {
        return out;
    }
    out.push((Topic::Thread(post.thread_id), post_ref(kind, post)));
    if let Some(thread) = thread.filter(|t| t.status == PostStatus::Published || post.is_first) {
        let kind = if post.is_first && kind == "post_published" {
            "thread_created"
        } else {
            "thread_updated"
        };
        out.push((Topic::Board(thread.board_id), thread_ref(kind, thread)));
    }
    out
}

/// The stored event for a post on its thread's topic: the kind and its ids.
fn post_ref(kind: &str, post: &PostRecord) -> Value {
    json!({"kind": kind, "post_id": post.id.to_string(), "thread_id": post.thread_id.to_string()})
}

/// The stored event for a thread on its board's topic: the kind and its id.
pub(crate) fn thread_ref(kind: &str, thread: &ThreadRecord) -> Value {
    json!({"kind": kind, "thread_id": thread.id.to_string()})
}

/// The moderators' event for a post the rules held or flagged.
fn queue_event(outcome: Outcome, post: &PostRecord) -> Option<(Topic, Value)> {
    matches!(outcome, Outcome::Hold | Outcome::PublishAndFlag).then(|| {
        (
            Topic::ModQueue,
            json!({"kind": "queue_item_added", "post_id": post.id.to_string(), "thread_id": post.thread_id.to_string()}),
        )
    })
}

/// Events as the store keeps them.
fn stored_events(events: &[(Topic, Value)]) -> Vec<NewEvent> {
    events
        .iter()
        .map(|(topic, event)| NewEvent {
            topic: topic.to_string(),
            payload: event.to_string(),
        })
        .collect()
}

impl App {
    /// Runs the rules over one piece of the author's text.
    pub(crate) async fn moderate(
        &self,
        who: &Identity,
        kind: TextKind,
        text: &str,
        board: Option<&str>,
    ) -> Result<Verdict> {
        self.moderate_texts(who, &[(kind, text)], board).await
    }

    /// Runs the rules over every text of one item (a body with its content warning, a title
    /// with its first post), each read as its own kind, and combines the verdicts: a content
    /// warning is on show to every reader, so it cannot be a way round the rules. The first
    /// text is the item's main one; hits in the others say which text they are in
    /// ([`hearth_core::moderation::RuleHit::part`]). The author's facts are read once.
    pub(crate) async fn moderate_texts(
        &self,
        who: &Identity,
        texts: &[(TextKind, &str)],
        board: Option<&str>,
    ) -> Result<Verdict> {
        let rules = self.rules();
        // Counting is a query: only when a new-member rule could apply to this author.
        let approved = if rules.needs_approved_posts(who.role) {
            self.store.count_published_posts(who.id).await?
        } else {
            0
        };
        let facts = AuthorFacts {
            approved_posts: u32::try_from(approved).unwrap_or(u32::MAX),
            role: who.role,
        };
        let mut combined: Option<Verdict> = None;
        for (i, &(kind, text)) in texts.iter().enumerate() {
            let mut v = rules.evaluate(&Submission {
                kind,
                text,
                board,
                author: facts,
            });
            if i > 0 {
                for h in &mut v.hits {
                    h.part = Some(kind);
                }
            }
            combined = Some(match combined {
                None => v,
                Some(c) => combine(c, v),
            });
        }
        Ok(combined.unwrap_or_else(Verdict::publish))
    }

    /// Boards the member may read, in order; archived boards are not listed (their threads
    /// are still readable by link).
    pub async fn boards(&self, who: &Identity) -> Result<Vec<BoardRecord>> {
        who.require(Action::ReadForum)?;
        Ok(self
            .store
            .list_boards()
            .await?
            .into_iter()
            .filter(|b| b.visibility.readable_by(who.role) && b.archived_at.is_none())
            .collect())
    }

    /// A board, if the member may read it (otherwise it does not exist for them).
    pub async fn board(&self, who: &Identity, id: BoardId) -> Result<BoardRecord> {
        who.require(Action::ReadForum)?;
        let board = self.store.board(id).await.map_err(not_found("board"))?;
        if !board.visibility.readable_by(who.role) {
            return Err(AppError::NotFound("board"));
        }
        Ok(board)
    }

    /// Creates a board (admins).
    pub async fn create_board(
        &self,
        who: &Identity,
        name: &str,
        description: &str,
        position: Option<i32>,
        visibility: BoardVisibility,
    ) -> Result<BoardRecord> {
        who.require(Action::ManageSpaces)?;
        let (name, description) = self.board_texts(who, name, description).await?;
        // A new board goes after the others unless told where.
        let position = match position {
            Some(p) => p,
            None => self.store.next_board_position().await?,
        };
        let board = self
            .store
            .create_board(name, description, position, visibility, self.now())
            .await?;
        self.audit(
            Some(who.id),
            "board_created",
            "board",
            Some(board.id.to_string()),
            None,
        )
        .await?;
        Ok(board)
    }

    /// A board's name and description checked: lengths, no control characters, and the group's
    /// rules (read as a thread title and a post: both are on show to every member, with no
    /// moderator before them, so anything the rules would hold is refused with their reasons).
    async fn board_texts(
        &self,
        who: &Identity,
        name: &str,
        description: &str,
    ) -> Result<(String, String)> {
        let name = name.trim();
        if !(1..=80).contains(&name.chars().count()) {
            return Err(AppError::invalid(
                "name",
                "a board name must be 1 to 80 characters long",
            ));
        }
        let description = description.trim();
        if description.chars().count() > 500 {
            return Err(AppError::invalid(
                "description",
                "a description can be at most 500 characters",
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(AppError::invalid(
                "name",
                "a board name cannot contain control characters",
            ));
        }
        if description
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
        {
            return Err(AppError::invalid(
                "description",
                "a description cannot contain control characters",
            ));
        }
        let mut texts = vec![(TextKind::ThreadTitle, name)];
        if !description.is_empty() {
            texts.push((TextKind::Post, description));
        }
        let mut verdict = self.moderate_texts(who, &texts, None).await?;
        if !matches!(verdict.outcome, Outcome::Publish | Outcome::PublishAndFlag) {
            if verdict.outcome != Outcome::Reject {
                verdict.outcome = Outcome::Reject;
                verdict.author_messages = vec![BOARD_TEXT_REFUSED.to_owned()];
            }
            return Err(AppError::RuleRejected(Box::new(verdict)));
        }
        Ok((name.to_owned(), description.to_owned()))
    }

    /// Renames, re-describes, archives or brings back a board (admins; audited). An archived
    /// board is read-only (no new threads, replies or edits), off the list of boards, and its
    /// threads are still readable by link.
    pub async fn update_board(
        &self,
        who: &Identity,
        id: BoardId,
        patch: BoardPatch,
    ) -> Result<BoardRecord> {
        who.require(Action::ManageSpaces)?;
        let board = self.store.board(id).await.map_err(not_found("board"))?;
        let texts = if patch.name.is_some() || patch.description.is_some() {
            let name = patch.name.as_deref().unwrap_or(&board.name);
            let description = patch.description.as_deref().unwrap_or(&board.description);
            Some(self.board_texts(who, name, description).await?)
        } else {
            None
        };
        let archived_at = match patch.archived {
            Some(true) if board.archived_at.is_none() => Some(Some(self.now())),
            Some(false) if board.archived_at.is_some() => Some(None),
            _ => None,
        };
        let (name, description) = texts.map_or((None, None), |(n, d)| (Some(n), Some(d)));
        let renamed = name.as_deref().is_some_and(|n| n != board.name)
            || description
                .as_deref()
                .is_some_and(|d| d != board.description);
        let updated = self
            .store
            .update_board(id, name, description, archived_at)
            .await
            .map_err(not_found("board"))?;
        if renamed {
            self.audit(
                Some(who.id),
                "board_updated",
                "board",
                Some(id.to_string()),
                None,
            )
            .await?;
        }
        if let Some(a) = archived_at {
            let action = if a.is_some() {
                "board_archived"
            } else {
                "board_unarchived"
            };
            self.audit(Some(who.id), action, "board", Some(id.to_string()), None)
                .await?;
        }
        Ok(updated)
    }

    /// Puts the boards in the order given: every board's id once, archived ones included
    /// (admins; audited). A list that is not exactly the boards is a 409 `stale_order`.
    pub async fn reorder_boards(
        &self,
        who: &Identity,
        order: &[BoardId],
    ) -> Result<Vec<BoardRecord>> {
        who.require(Action::ManageSpaces)?;
        let boards = match self.store.reorder_boards(order).await {
            Err(StoreError::Conflict { .. }) => {
                return Err(AppError::Conflict {
                    code: "stale_order",
                    message: "the order must name every board once: the boards may have changed since this page was opened, so reload it".to_owned(),
                });
            }
            other => other?,
        };
        self.audit(Some(who.id), "boards_reordered", "board", None, None)
            .await?;
        Ok(boards)
    }

    /// Every board, archived ones too, for admins arranging them.
    pub async fn all_boards(&self, who: &Identity) -> Result<Vec<BoardRecord>> {
        who.require(Action::ManageSpaces)?;
        Ok(self.store.list_boards().await?)
    }

    /// Refuses a new thread, reply or edit on an archived board.
    fn writable(board: &BoardRecord) -> Result<()> {
        if board.archived_at.is_some() {
            return Err(AppError::Conflict {
                code: "board_archived",
                message: "this board is archived: it can still be read, but it takes no new threads, replies or edits".to_owned(),
            });
        }
        Ok(())
    }

    /// A page of a board's threads, pinned first, then by last activity.
    pub async fn threads(
        &self,
        who: &Identity,
        board: BoardId,
        cursor: Option<ThreadCursor>,
        limit: u64,
    ) -> Result<Vec<ThreadRecord>> {
        self.board(who, board).await?;
        Ok(self
            .store
            .threads_in_board(board, who.id, cursor, limit.clamp(1, 100))
            .await?)
    }

    /// A thread the member may see: published, their own, or any for moderators.
    pub async fn thread(&self, who: &Identity, id: ThreadId) -> Result<ThreadRecord> {
        who.require(Action::ReadForum)?;
        let thread = self
            .store
            .thread(id, Some(who.id))
            .await
            .map_err(not_found("thread"))?;
        self.board(who, thread.board_id)
            .await
            .map_err(hide_as("thread"))?;
        let visible = thread.status == PostStatus::Published
            || thread.author_id == Some(who.id)
            || who.role >= Role::Moderator;
        if !visible {
            return Err(AppError::NotFound("thread"));
        }
        Ok(thread)
    }

    /// A thread the member may see, as [`App::thread`], with its board, in one query (no read
    /// marker).
    async fn thread_in_board(
        &self,
        who: &Identity,
        id: ThreadId,
    ) -> Result<(ThreadRecord, BoardRecord)> {
        who.require(Action::ReadForum)?;
        let (thread, board) = self
            .store
            .thread_in_board(id)
            .await
            .map_err(not_found("thread"))?;
        let visible = board.visibility.readable_by(who.role)
            && (thread.status == PostStatus::Published
                || thread.author_id == Some(who.id)
                || who.role >= Role::Moderator);
        if !visible {
            return Err(AppError::NotFound("thread"));
        }
        Ok((thread, board))
    }

    /// A page of a thread's posts, oldest first; marks the thread read up to now.
    pub async fn posts(
        &self,
        who: &Identity,
        thread: ThreadId,
        after: Option<PostId>,
        limit: u64,
    ) -> Result<Vec<PostRecord>> {
        Ok(self.posts_from_unread(who, thread, after, limit).await?.0)
    }

    /// A page of a thread's posts, as [`App::posts`], with the first post that was unread
    /// before this visit (newer than the reader's read marker, published, someone else's), for
    /// "jump to first unread". Only the first page (`after` unset) looks; `None` when the
    /// reader never opened the thread before or had read it all.
    pub async fn posts_from_unread(
        &self,
        who: &Identity,
        thread: ThreadId,
        after: Option<PostId>,
        limit: u64,
    ) -> Result<(Vec<PostRecord>, Option<PostId>)> {
        self.thread(who, thread).await?;
        let first_unread = match after {
            None => {
                let before = self.store.read_marker(who.id, thread).await?;
                self.first_unread(who.id, thread, before).await?
            }
            Some(_) => None,
        };
        let posts = self
            .store
            .posts_in_thread(
                thread,
                who.id,
                who.role >= Role::Moderator,
                after,
                limit.clamp(1, 200),
            )
            .await?;
        self.store.mark_read(who.id, thread, self.now()).await?;
        Ok((posts, first_unread))
    }

    /// Starts a thread. The title and the first post are checked by the rules; a rejection
    /// stores nothing and answers why.
    pub async fn create_thread(
        &self,
        who: &Identity,
        board: BoardId,
        title: &str,
        body: &str,
        content_warning: Option<&str>,
        client_key: Option<Uuid>,
    ) -> Result<(ThreadRecord, PostRecord, Moderation, Sent)> {
        who.require(Action::CreateThread)?;
        let board = self.board(who, board).await?;
        Self::writable(&board)?;
        let title = validate_title(title).map_err(invalid)?;
        let body = validate_body(body).map_err(invalid)?;
        if let Some(post) = self.sent_before(who, client_key, &body).await? {
            let thread = self.thread(who, post.thread_id).await?;
            if !post.is_first || thread.board_id != board.id {
                return Err(key_reused());
            }
            let moderation = moderation_of(&post)?;
            return Ok((thread, post, moderation, Sent::Replayed));
        }
        let cw = validate_content_warning(content_warning).map_err(invalid)?;
        let mut texts = vec![
            (TextKind::Post, body.as_str()),
            (TextKind::ThreadTitle, &title),
        ];
        texts.extend(cw.as_deref().map(|c| (TextKind::ContentWarning, c)));
        let verdict = self.moderate_texts(who, &texts, Some(&board.name)).await?;
        if verdict.outcome == Outcome::Reject {
            return Err(AppError::RuleRejected(Box::new(verdict)));
        }
        let now = self.now();
        let new = NewPost {
            id: PostId::new(),
            thread_id: ThreadId::new(),
            author_id: who.id,
            body_html: render_markdown(&body),
            body_source: body,
            content_warning: cw,
            status: status_for(verdict.outcome),
            verdict: verdict_json(&verdict)?,
            client_key,
            now,
        };
        let outcome = verdict.outcome;
        let mut events = Vec::new();
        let (thread, post, seqs) = self
            .store
            .create_thread(
                board.id,
                title,
                &new,
                &who.handle,
                queue_for(outcome),
                |thread, post| {
                    if post.status == PostStatus::Published {
                        // The opening post on the thread's own topic too, so that a catch-up
                        // from 0 holds the whole thread.
                        events.push((Topic::Thread(thread.id), post_ref("post_published", post)));
                        let event = thread_ref("thread_created", thread);
                        events.push((Topic::Board(thread.board_id), event));
                    }
                    events.extend(queue_event(outcome, post));
                    stored_events(&events)
                },
            )
            .await
            .map_err(in_flight)?;
        // Stored with the thread; from here on nothing may fail the answer.
        tracing::info!(thread = %thread.id, status = outcome.status(), "thread created");
        self.publish_stored(events, seqs).await;
        self.follow_as_writer(who.id, thread.id).await;
        if post.status == PostStatus::Published {
            self.after_published(&post, false).await;
        }
        self.concern_from_rules(&verdict, Some(post.id), None).await;
        self.crisis_from_rules(&verdict, who.id, crate::CrisisWhere::Post(post.id))
            .await;
        Ok((thread, post, Moderation::from_verdict(&verdict), Sent::New))
    }

    /// Replies to a thread. Locked threads take replies only from moderators.
    pub async fn reply(
        &self,
        who: &Identity,
        thread: ThreadId,
        body: &str,
        content_warning: Option<&str>,
        client_key: Option<Uuid>,
    ) -> Result<(PostRecord, Moderation, Sent)> {
        who.require(Action::Reply)?;
        let (thread, board) = self.thread_in_board(who, thread).await?;
        // A retried send finds its post even if the thread has been locked since.
        let body = validate_body(body).map_err(invalid)?;
        if let Some(post) = self.sent_before(who, client_key, &body).await? {
            if post.thread_id != thread.id || post.is_first {
                return Err(key_reused());
            }
            let moderation = moderation_of(&post)?;
            return Ok((post, moderation, Sent::Replayed));
        }
        Self::writable(&board)?;
        if thread.status != PostStatus::Published {
            return Err(AppError::Conflict {
                code: "thread_not_open",
                message: "this thread is not open for replies yet".to_owned(),
            });
        }
        if thread.locked && who.role < Role::Moderator {
            return Err(AppError::Conflict {
                code: "thread_locked",
                message:
                    "this thread has been locked by the moderators, so it takes no more replies"
                        .to_owned(),
            });
        }
        let cw = validate_content_warning(content_warning).map_err(invalid)?;
        let mut texts = vec![(TextKind::Post, body.as_str())];
        texts.extend(cw.as_deref().map(|c| (TextKind::ContentWarning, c)));
        let verdict = self.moderate_texts(who, &texts, Some(&board.name)).await?;
        if verdict.outcome == Outcome::Reject {
            return Err(AppError::RuleRejected(Box::new(verdict)));
        }
        let now = self.now();
        let new = NewPost {
            id: PostId::new(),
            thread_id: thread.id,
            author_id: who.id,
            body_html: render_markdown(&body),
            body_source: body,
            content_warning: cw,
            status: status_for(verdict.outcome),
            verdict: verdict_json(&verdict)?,
            client_key,
            now,
        };
        // The post, the thread's new count and the events announcing them are one transaction:
        // a stored reply always has its events, and a refused one has none.
        let outcome = verdict.outcome;
        let mut events = Vec::new();
        let (post, thread, seqs) = self
            .store
            .create_reply(
                &new,
                &who.handle,
                &thread,
                queue_for(outcome),
                |post, thread| {
                    events = post_events(post, Some(thread), "post_published");
                    events.extend(queue_event(outcome, post));
                    stored_events(&events)
                },
            )
            .await
            .map_err(in_flight)?;
        // Committed: from here on nothing may turn the answer into an error.
        self.publish_stored(events, seqs).await;
        self.follow_as_writer(who.id, thread.id).await;
        if post.status == PostStatus::Published {
            self.after_published(&post, true).await;
        }
        self.concern_from_rules(&verdict, Some(post.id), None).await;
        self.crisis_from_rules(&verdict, who.id, crate::CrisisWhere::Post(post.id))
            .await;
        Ok((post, Moderation::from_verdict(&verdict), Sent::New))
    }

    /// Edits one's own post. The new text is checked again: an edit the rules hold takes the
    /// post out of view until a moderator approves it; one they reject changes nothing.
    pub async fn edit_post(
        &self,
        who: &Identity,
        id: PostId,
        body: &str,
        content_warning: Option<&str>,
    ) -> Result<(PostRecord, Moderation)> {
        who.require(Action::EditOwnPost)?;
        let post = self.own_post(who, id).await?;
        if !matches!(
            post.status,
            PostStatus::Published | PostStatus::Held | PostStatus::Rejected
        ) {
            return Err(AppError::Conflict {
                code: "post_closed",
                message: "this post can no longer be edited".to_owned(),
            });
        }
        let thread = self.store.thread(post.thread_id, None).await?;
        let board = self.store.board(thread.board_id).await?;
        Self::writable(&board)?;
        let body = validate_body(body).map_err(invalid)?;
        let cw = validate_content_warning(content_warning).map_err(invalid)?;
        let mut texts = vec![(TextKind::Edit, body.as_str())];
        texts.extend(cw.as_deref().map(|c| (TextKind::ContentWarning, c)));
        let verdict = self.moderate_texts(who, &texts, Some(&board.name)).await?;
        if verdict.outcome == Outcome::Reject {
            return Err(AppError::RuleRejected(Box::new(verdict)));
        }
        // A post that was held or rejected stays under review: only a moderator publishes it.
        let status = if post.status == PostStatus::Published {
            status_for(verdict.outcome)
        } else {
            PostStatus::Held
        };
        let queue = if status == PostStatus::Held {
            Some(QueueKind::Held)
        } else {
            queue_for(verdict.outcome)
        };
        let updated = self
            .store
            .edit_post(
                id,
                body.clone(),
                render_markdown(&body),
                cw,
                status,
                verdict_json(&verdict)?,
                queue,
                self.now(),
            )
            .await?;
        match (post.status, updated.status) {
            (PostStatus::Published, PostStatus::Published) => {
                self.announce_post(&updated, "post_edited").await;
                // Someone newly mentioned hears of it; nobody is told twice.
                self.after_published(&updated, false).await;
            }
            // The event names the post only: readers get its tombstone, never the held text.
            (PostStatus::Published, _) => self.announce_post(&updated, "post_hidden").await,
            _ => {}
        }
        if updated.status == PostStatus::Held {
            self.announce_queue(Outcome::Hold, &updated).await;
        } else {
            self.announce_queue(verdict.outcome, &updated).await;
        }
        self.concern_from_rules(&verdict, Some(updated.id), None)
            .await;
        self.crisis_from_rules(&verdict, who.id, crate::CrisisWhere::Post(updated.id))
            .await;
        let mut moderation = Moderation::from_verdict(&verdict);
        if status == PostStatus::Held {
            moderation.status = "held";
            if moderation.reasons.is_empty() {
                moderation.reasons.push(HELD_MESSAGE.to_owned());
            }
        }
        Ok((updated, moderation))
    }

    /// Deletes one's own post: its text is cleared and a placeholder stays in the thread.
    pub async fn delete_post(&self, who: &Identity, id: PostId) -> Result<PostRecord> {
        who.require(Action::EditOwnPost)?;
        let post = self.own_post(who, id).await?;
        if matches!(post.status, PostStatus::Deleted | PostStatus::Removed) {
            return Err(AppError::Conflict {
                code: "post_closed",
                message: "this post is already gone".to_owned(),
            });
        }
        let deleted = self
            .store
            .set_post_status(id, PostStatus::Deleted, None, self.now())
            .await?;
        // Announced whatever it was before: readers' pages then show what REST shows (the
        // placeholder), and the event carries no text either way.
        self.announce_post(&deleted, "post_deleted").await;
        Ok(deleted)
    }

    /// Tells the thread's readers about a change to a public post, and its board's readers
    /// about the thread's new activity. Used after changes stored without their events (edits,
    /// deletions, moderators' decisions); a new post stores its events with it.
    ///
    /// An opening post that is no longer published (held by an edit, removed, deleted) takes
    /// its thread out of members' view: the thread's subscribers are re-checked on every
    /// instance first, so nothing said on it afterwards reaches a member's open page.
    pub(crate) async fn announce_post(&self, post: &PostRecord, kind: &str) {
        if post.is_first && post.status != PostStatus::Published {
            self.recheck_holders(Topic::Thread(post.thread_id)).await;
        }
        let thread = match self.store.thread_in_board(post.thread_id).await {
            Ok((thread, _)) => Some(thread),
            Err(e) => {
                tracing::warn!(error = %e, "could not read a thread to announce its new activity");
                None
            }
        };
        for (topic, event) in post_events(post, thread.as_ref(), kind) {
            self.publish_quietly(topic, event).await;
        }
    }

    /// Publishes events already stored with the change they report (`seqs` as the store gave
    /// them, in the same order). Never fails: the change is committed, and a lost publish is
    /// made good by every instance filling gaps from the database.
    pub(crate) async fn publish_stored(&self, events: Vec<(Topic, Value)>, seqs: Vec<i64>) {
        let envelopes: Vec<Envelope> = events
            .into_iter()
            .zip(seqs)
            .filter_map(|((topic, event), seq)| match Envelope::new(topic, seq, event) {
                Ok(envelope) => Some(envelope),
                Err(e) => {
                    tracing::warn!(error = %e, %topic, "could not build a stored event's envelope");
                    None
                }
            })
            .collect();
        if envelopes.is_empty() {
            return;
        }
        if let Err(e) = self.bus.publish_all(&envelopes).await {
            tracing::warn!(error = %e, "bus publish failed; other instances will catch up from the database");
        }
    }

    /// Tells moderators that the queue has something new about `post`.
    pub(crate) async fn announce_queue(&self, outcome: Outcome, post: &PostRecord) {
        if matches!(outcome, Outcome::Hold | Outcome::PublishAndFlag) {
            let event = json!({"kind": "queue_item_added", "post_id": post.id.to_string(), "thread_id": post.thread_id.to_string()});
            self.publish_quietly(Topic::ModQueue, event).await;
        }
    }

    /// The post an earlier send with this `Idempotency-Key` stored, if any. A key names one
    /// send: the same key with other words (unless the post was edited or deleted since) is a
    /// client's mistake, refused rather than answered with the other post.
    async fn sent_before(
        &self,
        who: &Identity,
        client_key: Option<Uuid>,
        body: &str,
    ) -> Result<Option<PostRecord>> {
        let Some(key) = client_key else {
            return Ok(None);
        };
        let Some(post) = self.store.post_by_client_key(who.id, key).await? else {
            return Ok(None);
        };
        let unchanged = post.edited_at.is_none() && post.status != PostStatus::Deleted;
        if unchanged && post.body_source != body {
            return Err(key_reused());
        }
        Ok(Some(post))
    }

    async fn own_post(&self, who: &Identity, id: PostId) -> Result<PostRecord> {
        let post = self.store.post(id).await.map_err(not_found("post"))?;
        if post.author_id != Some(who.id) {
            // Someone else's post: say no more than whether they could see it.
            self.visible_post(who, id).await?;
            return Err(AppError::Forbidden(
                "only its author can change a post".to_owned(),
            ));
        }
        Ok(post)
    }

    /// A post the member may see.
    pub(crate) async fn visible_post(&self, who: &Identity, id: PostId) -> Result<PostRecord> {
        let post = self.store.post(id).await.map_err(not_found("post"))?;
        self.thread(who, post.thread_id)
            .await
            .map_err(hide_as("post"))?;
        let visible = post.status.visible_to_others()
            || post.author_id == Some(who.id)
            || who.role >= Role::Moderator;
        if !visible {
            return Err(AppError::NotFound("post"));
        }
        Ok(post)
    }

    /// Reports a post to the moderators. The author never learns who reported it. The note is
    /// read by the crisis rules only ([`App::crisis_in_note`]): the support they point to is
    /// answered, for the reporter, as a post's would be.
    pub async fn report_post(
        &self,
        who: &Identity,
        id: PostId,
        reason: &str,
        note: Option<&str>,
    ) -> Result<Vec<Signpost>> {
        who.require(Action::ReportPost)?;
        let post = self.visible_post(who, id).await?;
        if post.status != PostStatus::Published {
            return Err(AppError::Conflict {
                code: "post_closed",
                message: "this post is not published".to_owned(),
            });
        }
        if !REPORT_REASONS.contains(&reason) {
            return Err(AppError::invalid(
                "reason",
                format!("reason must be one of: {}", REPORT_REASONS.join(", ")),
            ));
        }
        let note = note
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
        if note
            .as_ref()
            .is_some_and(|n| n.chars().count() > REPORT_NOTE_MAX)
        {
            return Err(AppError::invalid(
                "note",
                "a note can be at most 1000 characters",
            ));
        }
        let support = match &note {
            Some(n) => self.crisis_in_note(who, n, NoteSource::Report(id)).await?,
            None => Vec::new(),
        };
        match self
            .store
            .create_report(id, who.id, reason.to_owned(), note, self.now())
            .await
        {
            Err(StoreError::Conflict { .. }) => Err(AppError::Conflict {
                code: "already_reported",
                message: "you have already reported this post; the moderators will look at it"
                    .to_owned(),
            }),
            Err(e) => Err(e.into()),
            Ok(_) => {
                let event = json!({"kind": "queue_item_added", "post_id": id.to_string(), "thread_id": post.thread_id.to_string()});
                self.publish_quietly(Topic::ModQueue, event).await;
                Ok(support)
            }
        }
    }

    /// Reads a note a member wrote to the staff (with a report or a safeguarding concern) with
    /// the crisis rules only, and answers the support to show its writer. Notes are not
    /// published, so nothing else in them is moderated; but someone writing "I can't go on"
    /// in a report is as much at risk as in a post. A crisis is a verdict with signposts (the
    /// rule file's crisis rules are the ones that signpost); it is handed to
    /// [`App::crisis_from_note`] so a person hears of it.
    pub(crate) async fn crisis_in_note(
        &self,
        who: &Identity,
        note: &str,
        source: NoteSource,
    ) -> Result<Vec<Signpost>> {
        let verdict = self.moderate(who, TextKind::Post, note, None).await?;
        if verdict.signposts.is_empty() {
            return Ok(Vec::new());
        }
        self.crisis_from_note(who, &verdict, source).await;
        Ok(verdict.signposts)
    }

    /// A crisis found in a note reaches a person: it opens an item in the moderators' urgent
    /// lane (with the live alert and deadline), and the audit log records that it happened,
    /// naming the writer, the rules and where the note was, never its words. Never fails the
    /// request: the writer's report or concern is received, and their support shown, whatever
    /// happens here.
    pub(crate) async fn crisis_from_note(
        &self,
        who: &Identity,
        verdict: &Verdict,
        source: NoteSource,
    ) {
        let rules = verdict.rule_names().join(", ");
        tracing::warn!(source = source.kind(), %rules, "a note to the staff reads as a crisis");
        let at = match source {
            NoteSource::Report(p) => crate::CrisisWhere::ReportNote(p),
            NoteSource::Concern(p) => crate::CrisisWhere::ConcernNote(p),
        };
        self.crisis_from_rules(verdict, who.id, at).await;
        let recorded = self
            .audit(
                Some(who.id),
                "crisis_in_note",
                "member",
                Some(who.id.to_string()),
                Some(format!(
                    "{} {}; rules: {rules}",
                    source.kind(),
                    source.target()
                )),
            )
            .await;
        if let Err(e) = recorded {
            tracing::error!(error = %e, "could not record a crisis found in a note");
        }
    }
}

/// Where a note to the staff was written, for [`App::crisis_from_note`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NoteSource {
    /// The note of a report on this post.
    Report(PostId),
    /// The note of a safeguarding concern about this post.
    Concern(PostId),
}

impl NoteSource {
    /// `report_note` or `concern_note`.
    pub(crate) fn kind(self) -> &'static str {
        match self {
            NoteSource::Report(_) => "report_note",
            NoteSource::Concern(_) => "concern_note",
        }
    }

    /// The post the note was about.
    pub(crate) fn target(self) -> String {
        match self {
            NoteSource::Report(p) | NoteSource::Concern(p) => format!("on post {p}"),
        }
    }
}
