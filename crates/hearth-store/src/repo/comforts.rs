//! Member comforts: reactions, following and muting threads, muting members, mentions sent,
//! profiles and full-text search.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use hearth_core::comforts::{FollowState, ReactionKind};
use hearth_core::content::PostStatus;
use hearth_core::ids::{BoardId, MemberId, PostId, ThreadId};
use hearth_core::policy::Standing;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    Set, Statement, Value,
};

use crate::entity::{member, member_mute, mention, post, reaction, thread_follow};
use crate::records::ThreadRecord;
use crate::repo::content::handles;
use crate::{Result, Store, StoreError};

/// The reactions on one post, as one reader sees them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PostReactions {
    /// How many members left each kind (every kind present, zero included).
    pub counts: BTreeMap<&'static str, i64>,
    /// The kinds the reader left.
    pub mine: Vec<&'static str>,
}

impl PostReactions {
    fn empty() -> PostReactions {
        PostReactions {
            counts: ReactionKind::ALL.iter().map(|k| (k.as_str(), 0)).collect(),
            mine: Vec::new(),
        }
    }
}

/// A thread a member follows, with how many published posts they have not read.
#[derive(Clone, Debug)]
pub struct FollowedThread {
    /// The thread, with the member's read marker.
    pub thread: ThreadRecord,
    /// Published posts newer than the member's read marker.
    pub unread_posts: i64,
}

/// A member's public profile.
#[derive(Clone, Debug)]
pub struct ProfileRecord {
    /// Who.
    pub id: MemberId,
    /// Their handle.
    pub handle: String,
    /// When they joined (their approval, or their account for the first admin).
    pub joined_at: DateTime<Utc>,
    /// Their published posts.
    pub post_count: u64,
    /// Their "about" text.
    pub about: Option<String>,
    /// Their role, so a member can tell a moderator's profile.
    pub role: String,
}

/// What to search for, and where.
#[derive(Clone, Debug)]
pub struct SearchQuery {
    /// The words (see `hearth_core::comforts::search_words`); all must match.
    pub words: Vec<String>,
    /// Whether moderators-only boards are searched too.
    pub staff_boards: bool,
    /// Only this board.
    pub board: Option<BoardId>,
    /// Only posts written at or after this.
    pub from: Option<DateTime<Utc>>,
    /// Only posts written before this.
    pub until: Option<DateTime<Utc>>,
    /// Hits to skip (the cursor).
    pub offset: u64,
    /// Hits to return.
    pub limit: u64,
}

/// One search result: a published post, found by its text or (for a thread's first post) by
/// its thread's title.
#[derive(Clone, Debug)]
pub struct SearchHit {
    /// The post.
    pub post_id: PostId,
    /// Its thread.
    pub thread_id: ThreadId,
    /// The thread's title.
    pub thread_title: String,
    /// The title with matches marked (`MARK_START`/`MARK_END`), for a title match.
    pub title_marked: Option<String>,
    /// The board.
    pub board_id: BoardId,
    /// The board's name.
    pub board_name: String,
    /// The author's handle (none once erased or anonymised).
    pub author_handle: Option<String>,
    /// When the post was written.
    pub created_at: DateTime<Utc>,
    /// An extract of the post with matches marked.
    pub snippet_marked: String,
    /// Whether the title matched (such hits come first).
    pub title_match: bool,
}

/// Options for PostgreSQL's `ts_headline`: the control characters mark matches, and the
/// fragments are short enough for a results list.
const HEADLINE_OPTIONS: &str = "StartSel=\u{1}, StopSel=\u{2}, MaxWords=28, MinWords=10, \
                                MaxFragments=2, FragmentDelimiter=\" … \"";

/// On PostgreSQL, how many of the newest matches are ranked. A word found in tens of thousands of
/// posts would otherwise make every search read and rank them all; members looking for a thread
/// they half remember are served by the best of the most recent matches, and rarer words (which
/// match fewer posts than this) are ranked in full.
const RANKED_CANDIDATES: u64 = 2_000;

/// SQL text with numbered placeholders in either dialect.
pub(crate) struct Sql {
    backend: DbBackend,
    text: String,
    values: Vec<Value>,
}

impl Sql {
    pub(crate) fn new(backend: DbBackend) -> Sql {
        Sql {
            backend,
            text: String::new(),
            values: Vec::new(),
        }
    }

    /// Adds `v` and returns its placeholder.
    pub(crate) fn bind(&mut self, v: impl Into<Value>) -> String {
        self.values.push(v.into());
        // Numbered in both dialects, so the text may use values in any order.
        match self.backend {
            DbBackend::Postgres => format!("${}", self.values.len()),
            _ => format!("?{}", self.values.len()),
        }
    }

    pub(crate) fn push(&mut self, s: &str) {
        self.text.push_str(s);
    }

    pub(crate) fn statement(self) -> Statement {
        Statement::from_sql_and_values(self.backend, self.text, self.values)
    }
}

impl Store {
    /// Leaves a reaction; `false` if the member had already left that one.
    #[tracing::instrument(skip_all)]
    pub async fn add_reaction(
        &self,
        post: PostId,
        member: MemberId,
        kind: ReactionKind,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let inserted = reaction::Entity::insert(reaction::ActiveModel {
            post_id: Set(post.0),
            member_id: Set(member.0),
            kind: Set(kind.as_str().to_owned()),
            created_at: Set(now),
        })
        .on_conflict(
            OnConflict::columns([
                reaction::Column::PostId,
                reaction::Column::MemberId,
                reaction::Column::Kind,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(&self.db)
        .await?;
        Ok(inserted > 0)
    }

    /// Takes a reaction back; `false` if there was none.
    #[tracing::instrument(skip_all)]
    pub async fn remove_reaction(
        &self,
        post: PostId,
        member: MemberId,
        kind: ReactionKind,
    ) -> Result<bool> {
        let r = reaction::Entity::delete_many()
            .filter(reaction::Column::PostId.eq(post.0))
            .filter(reaction::Column::MemberId.eq(member.0))
            .filter(reaction::Column::Kind.eq(kind.as_str()))
            .exec(&self.db)
            .await?;
        Ok(r.rows_affected > 0)
    }

    /// The reactions on `posts` as `reader` sees them (counts, and their own), in two queries.
    #[tracing::instrument(skip_all)]
    pub async fn reactions(
        &self,
        posts: &[PostId],
        reader: MemberId,
    ) -> Result<HashMap<PostId, PostReactions>> {
        let mut out: HashMap<PostId, PostReactions> =
            posts.iter().map(|p| (*p, PostReactions::empty())).collect();
        if posts.is_empty() {
            return Ok(out);
        }
        let ids: Vec<uuid::Uuid> = posts.iter().map(|p| p.0).collect();
        let rows = reaction::Entity::find()
            .filter(reaction::Column::PostId.is_in(ids))
            .all(&self.db)
            .await?;
        for r in rows {
            let Some(kind) = ReactionKind::parse(&r.kind) else {
                continue;
            };
            let entry = out
                .entry(PostId(r.post_id))
                .or_insert_with(PostReactions::empty);
            *entry.counts.entry(kind.as_str()).or_default() += 1;
            if r.member_id == reader.0 {
                entry.mine.push(kind.as_str());
            }
        }
        Ok(out)
    }

    /// Who left which reaction on a post (for its author only: the app checks), oldest first.
    #[tracing::instrument(skip_all)]
    pub async fn reactors(&self, post: PostId) -> Result<Vec<(String, &'static str)>> {
        let rows = reaction::Entity::find()
            .filter(reaction::Column::PostId.eq(post.0))
            .order_by_asc(reaction::Column::CreatedAt)
            .all(&self.db)
            .await?;
        let names = handles(&self.db, rows.iter().map(|r| r.member_id)).await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                Some((
                    names.get(&r.member_id)?.clone(),
                    ReactionKind::parse(&r.kind)?.as_str(),
                ))
            })
            .collect())
    }

    /// A member's follow state for a thread (not following when never set).
    #[tracing::instrument(skip_all)]
    pub async fn follow_state(&self, member: MemberId, thread: ThreadId) -> Result<FollowState> {
        Ok(thread_follow::Entity::find_by_id((member.0, thread.0))
            .one(&self.db)
            .await?
            .and_then(|f| FollowState::parse(&f.state))
            .unwrap_or(FollowState::NotFollowing))
    }

    /// Sets a member's follow state for a thread.
    #[tracing::instrument(skip_all)]
    pub async fn set_follow_state(
        &self,
        member: MemberId,
        thread: ThreadId,
        state: FollowState,
        now: DateTime<Utc>,
    ) -> Result<()> {
        thread_follow::Entity::insert(thread_follow::ActiveModel {
            member_id: Set(member.0),
            thread_id: Set(thread.0),
            state: Set(state.as_str().to_owned()),
            updated_at: Set(now),
        })
        .on_conflict(
            OnConflict::columns([
                thread_follow::Column::MemberId,
                thread_follow::Column::ThreadId,
            ])
            .update_columns([
                thread_follow::Column::State,
                thread_follow::Column::UpdatedAt,
            ])
            .to_owned(),
        )
        .exec_without_returning(&self.db)
        .await?;
        Ok(())
    }

    /// Follows a thread for a member who wrote in it, unless they have chosen a state for it
    /// already (turning following off, or muting, is remembered).
    #[tracing::instrument(skip_all)]
    pub async fn follow_automatically(
        &self,
        member: MemberId,
        thread: ThreadId,
        now: DateTime<Utc>,
    ) -> Result<()> {
        thread_follow::Entity::insert(thread_follow::ActiveModel {
            member_id: Set(member.0),
            thread_id: Set(thread.0),
            state: Set(FollowState::Following.as_str().to_owned()),
            updated_at: Set(now),
        })
        .on_conflict(
            OnConflict::columns([
                thread_follow::Column::MemberId,
                thread_follow::Column::ThreadId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(&self.db)
        .await?;
        Ok(())
    }

    /// The members following `thread` who should hear of a new post by `author`: not the
    /// author, and not anyone who muted the author.
    #[tracing::instrument(skip_all)]
    pub async fn followers_to_notify(
        &self,
        thread: ThreadId,
        author: MemberId,
    ) -> Result<Vec<MemberId>> {
        let followers = thread_follow::Entity::find()
            .filter(thread_follow::Column::ThreadId.eq(thread.0))
            .filter(thread_follow::Column::State.eq(FollowState::Following.as_str()))
            .filter(thread_follow::Column::MemberId.ne(author.0))
            .all(&self.db)
            .await?;
        let muting = self.muting(author).await?;
        Ok(followers
            .into_iter()
            .map(|f| MemberId(f.member_id))
            .filter(|m| !muting.contains(m))
            .collect())
    }

    /// The threads a member follows that they can still see (published), most recently active
    /// first, with their unread counts (others' published posts since their read marker).
    #[tracing::instrument(skip_all)]
    pub async fn followed_threads(
        &self,
        member: MemberId,
        staff_boards: bool,
        limit: u64,
    ) -> Result<Vec<FollowedThread>> {
        let backend = self.db.get_database_backend();
        let mut q = Sql::new(backend);
        let m1 = q.bind(member.0);
        let m2 = q.bind(member.0);
        let m3 = q.bind(member.0);
        let published = q.bind(PostStatus::Published.as_str());
        let published2 = q.bind(PostStatus::Published.as_str());
        let following = q.bind(FollowState::Following.as_str());
        q.push(&format!(
            "SELECT t.id AS id, \
               (SELECT COUNT(*) FROM posts p WHERE p.thread_id = t.id AND p.status = {published} \
                 AND (p.author_id IS NULL OR p.author_id <> {m3}) \
                 AND (r.read_at IS NULL OR p.created_at > r.read_at)) AS unread \
             FROM thread_follows f \
             JOIN threads t ON t.id = f.thread_id \
             JOIN boards b ON b.id = t.board_id \
             LEFT JOIN read_markers r ON r.thread_id = t.id AND r.member_id = {m2} \
             WHERE f.member_id = {m1} AND f.state = {following} AND t.status = {published2}"
        ));
        if !staff_boards {
            let members = q.bind("members");
            q.push(&format!(" AND b.visibility = {members}"));
        }
        let lim = q.bind(i64::try_from(limit.min(500)).unwrap_or(100));
        q.push(&format!(" ORDER BY t.last_activity_at DESC LIMIT {lim}"));
        let rows = self.db.query_all_raw(q.statement()).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let id: uuid::Uuid = row.try_get("", "id")?;
            let unread: i64 = row.try_get("", "unread")?;
            out.push(FollowedThread {
                thread: self.thread(ThreadId(id), Some(member)).await?,
                unread_posts: unread,
            });
        }
        Ok(out)
    }

    /// A member's own reactions and follow choices, for their data export:
    /// ((post, kind, when), (thread, state, when)).
    #[allow(clippy::type_complexity)]
    #[tracing::instrument(skip_all)]
    pub async fn member_comforts(
        &self,
        member: MemberId,
    ) -> Result<(
        Vec<(PostId, String, DateTime<Utc>)>,
        Vec<(ThreadId, String, DateTime<Utc>)>,
    )> {
        let reactions = reaction::Entity::find()
            .filter(reaction::Column::MemberId.eq(member.0))
            .order_by_asc(reaction::Column::CreatedAt)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|r| (PostId(r.post_id), r.kind, r.created_at))
            .collect();
        let follows = thread_follow::Entity::find()
            .filter(thread_follow::Column::MemberId.eq(member.0))
            .order_by_asc(thread_follow::Column::UpdatedAt)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|f| (ThreadId(f.thread_id), f.state, f.updated_at))
            .collect();
        Ok((reactions, follows))
    }

    /// Mutes a member for another; `false` if already muted.
    #[tracing::instrument(skip_all)]
    pub async fn mute_member(
        &self,
        member: MemberId,
        muted: MemberId,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let n = member_mute::Entity::insert(member_mute::ActiveModel {
            member_id: Set(member.0),
            muted_id: Set(muted.0),
            created_at: Set(now),
        })
        .on_conflict(
            OnConflict::columns([member_mute::Column::MemberId, member_mute::Column::MutedId])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&self.db)
        .await?;
        Ok(n > 0)
    }

    /// Unmutes; `false` if not muted.
    #[tracing::instrument(skip_all)]
    pub async fn unmute_member(&self, member: MemberId, muted: MemberId) -> Result<bool> {
        let r = member_mute::Entity::delete_many()
            .filter(member_mute::Column::MemberId.eq(member.0))
            .filter(member_mute::Column::MutedId.eq(muted.0))
            .exec(&self.db)
            .await?;
        Ok(r.rows_affected > 0)
    }

    /// The members `member` has muted, as (id, handle, since), oldest first.
    #[tracing::instrument(skip_all)]
    pub async fn muted_by(
        &self,
        member: MemberId,
    ) -> Result<Vec<(MemberId, String, DateTime<Utc>)>> {
        let rows = member_mute::Entity::find()
            .filter(member_mute::Column::MemberId.eq(member.0))
            .order_by_asc(member_mute::Column::CreatedAt)
            .all(&self.db)
            .await?;
        let names = handles(&self.db, rows.iter().map(|r| r.muted_id)).await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                Some((
                    MemberId(r.muted_id),
                    names.get(&r.muted_id)?.clone(),
                    r.created_at,
                ))
            })
            .collect())
    }

    /// The members who muted `author`: used only to decide whom not to notify, never shown.
    async fn muting(&self, author: MemberId) -> Result<HashSet<MemberId>> {
        Ok(member_mute::Entity::find()
            .filter(member_mute::Column::MutedId.eq(author.0))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|m| MemberId(m.member_id))
            .collect())
    }

    /// Whether `member` muted `author`.
    #[tracing::instrument(skip_all)]
    pub async fn has_muted(&self, member: MemberId, author: MemberId) -> Result<bool> {
        Ok(member_mute::Entity::find_by_id((member.0, author.0))
            .one(&self.db)
            .await?
            .is_some())
    }

    /// Records that `member` was told of their mention in `post`; `false` if they had been
    /// already (an edit or a later approval never notifies twice).
    #[tracing::instrument(skip_all)]
    pub async fn record_mention(&self, post: PostId, member: MemberId) -> Result<bool> {
        let n = mention::Entity::insert(mention::ActiveModel {
            post_id: Set(post.0),
            member_id: Set(member.0),
        })
        .on_conflict(
            OnConflict::columns([mention::Column::PostId, mention::Column::MemberId])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&self.db)
        .await?;
        Ok(n > 0)
    }

    /// The members with these handles (any case) who are active at `now`, as (id, handle, role).
    #[tracing::instrument(skip_all)]
    pub async fn active_members_by_handles(
        &self,
        handles: &[String],
        now: DateTime<Utc>,
    ) -> Result<Vec<(MemberId, String, String)>> {
        if handles.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<String> = handles
            .iter()
            .map(|h| hearth_core::account::handle_key(h))
            .collect();
        Ok(member::Entity::find()
            .filter(member::Column::HandleKey.is_in(keys))
            .filter(crate::repo::members::standing_at(Standing::Active, now))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|m| (MemberId(m.id), m.handle, m.role))
            .collect())
    }

    /// A member's public profile, by handle (any case). Only accounts with a profile
    /// ([`Standing::has_profile`]) are found; for any other the answer is `NotFound`, exactly as
    /// for a handle nobody has.
    #[tracing::instrument(skip_all)]
    pub async fn profile(&self, handle: &str) -> Result<ProfileRecord> {
        let with_profile: Vec<&str> = Standing::ALL
            .into_iter()
            .filter(|s| s.has_profile())
            .map(Standing::as_str)
            .collect();
        let m = member::Entity::find()
            .filter(member::Column::HandleKey.eq(hearth_core::account::handle_key(handle)))
            .filter(member::Column::Standing.is_in(with_profile))
            .one(&self.db)
            .await?
            .ok_or(StoreError::NotFound)?;
        let post_count = post::Entity::find()
            .filter(post::Column::AuthorId.eq(m.id))
            .filter(post::Column::Status.eq(PostStatus::Published.as_str()))
            .count(&self.db)
            .await?;
        Ok(ProfileRecord {
            id: MemberId(m.id),
            handle: m.handle,
            joined_at: m.approved_at.unwrap_or(m.created_at),
            post_count,
            about: m.about,
            role: m.role,
        })
    }

    /// Searches published posts and thread titles. Title matches (which stand for the
    /// thread's first post) come first, then post matches by rank; only published posts in
    /// published threads are found, so held, rejected, removed and deleted ones never are, and
    /// erased ones are gone from the index with their rows. Returns the page and whether more
    /// follow.
    #[tracing::instrument(skip_all)]
    pub async fn search(&self, q: &SearchQuery) -> Result<(Vec<SearchHit>, bool)> {
        if q.words.is_empty() {
            return Ok((Vec::new(), false));
        }
        let want = q.offset + q.limit + 1;
        let (titles, posts) = if self.db.get_database_backend() == DbBackend::Postgres {
            // The words are a bound parameter, and after five runs PostgreSQL may plan a
            // prepared statement once for every word: a plan good for a word in half the posts
            // (read the newest first) is ruinous for a rare one, and the reverse. Plan each
            // search for its own words.
            use sea_orm::TransactionTrait;
            let txn = self.db.begin().await?;
            txn.execute_unprepared("SET LOCAL plan_cache_mode = force_custom_plan")
                .await?;
            let titles = search_part(&txn, q, true, want).await?;
            let posts = search_part(&txn, q, false, want).await?;
            txn.commit().await?;
            (titles, posts)
        } else {
            (
                search_part(&self.db, q, true, want).await?,
                search_part(&self.db, q, false, want).await?,
            )
        };
        let mut seen = HashSet::new();
        let mut merged: Vec<SearchHit> = Vec::new();
        for hit in titles.into_iter().chain(posts) {
            if seen.insert(hit.post_id) {
                merged.push(hit);
            }
        }
        let more = merged.len() as u64 > q.offset + q.limit;
        let mut page: Vec<SearchHit> = merged
            .into_iter()
            .skip(usize::try_from(q.offset).unwrap_or(usize::MAX))
            .take(usize::try_from(q.limit).unwrap_or(usize::MAX))
            .collect();
        let authors = handles(
            &self.db,
            page.iter()
                .filter_map(|h| h.author_handle.as_deref())
                .filter_map(|a| a.parse().ok()),
        )
        .await?;
        for hit in &mut page {
            hit.author_handle = hit
                .author_handle
                .take()
                .and_then(|a| a.parse::<uuid::Uuid>().ok())
                .and_then(|a| authors.get(&a).cloned());
        }
        Ok((page, more))
    }
}

/// One half of a search: title matches or post matches, best first, at most `want`.
async fn search_part(
    db: &impl ConnectionTrait,
    q: &SearchQuery,
    titles: bool,
    want: u64,
) -> Result<Vec<SearchHit>> {
    let backend = db.get_database_backend();
    let mut sql = Sql::new(backend);
    let postgres = backend == DbBackend::Postgres;
    let words = q.words.join(" ");
    let fts = if postgres {
        String::new()
    } else {
        // FTS5: each word quoted (so nothing is an operator), all must match.
        q.words
            .iter()
            .map(|w| format!("\"{}\"", w.replace('"', "")))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let select = "p.id AS post_id, p.thread_id AS thread_id, t.title AS title, \
                      t.board_id AS board_id, b.name AS board_name, p.author_id AS author_id, \
                      p.created_at AS created_at";
    let mut tsq = String::new();
    if postgres {
        tsq = sql.bind(words.clone());
        let filter = if titles {
            "t.search_vector @@ q AND p.is_first"
        } else {
            "p.search_vector @@ q"
        };
        // Candidates first, newest first and without ranking: ranking reads every matching
        // row's vector, and a word in half the forum's posts would rank tens of thousands.
        sql.push(&format!(
            "SELECT {select} FROM posts p \
                 JOIN threads t ON t.id = p.thread_id JOIN boards b ON b.id = t.board_id, \
                 plainto_tsquery('english', {tsq}) q WHERE {filter}"
        ));
    } else if titles {
        let m = sql.bind(fts.clone());
        sql.push(&format!(
            "SELECT {select}, -bm25(search_threads) AS rank, \
                 highlight(search_threads, 1, char(1), char(2)) AS title_marked, \
                 substr(p.body_source, 1, 240) AS snippet \
                 FROM search_threads JOIN threads t ON t.id = search_threads.thread_id \
                 JOIN posts p ON p.thread_id = t.id AND p.is_first \
                 JOIN boards b ON b.id = t.board_id WHERE search_threads MATCH {m}"
        ));
    } else {
        let m = sql.bind(fts.clone());
        sql.push(&format!(
            "SELECT {select}, -bm25(search_posts) AS rank, \
                 snippet(search_posts, 1, char(1), char(2), '…', 24) AS snippet \
                 FROM search_posts JOIN posts p ON p.id = search_posts.post_id \
                 JOIN threads t ON t.id = p.thread_id \
                 JOIN boards b ON b.id = t.board_id WHERE search_posts MATCH {m}"
        ));
    }
    let published = sql.bind(PostStatus::Published.as_str());
    let published2 = sql.bind(PostStatus::Published.as_str());
    sql.push(&format!(
        " AND p.status = {published} AND t.status = {published2}"
    ));
    if !q.staff_boards {
        let members = sql.bind("members");
        sql.push(&format!(" AND b.visibility = {members}"));
    }
    if let Some(board) = q.board {
        let b = sql.bind(board.0);
        sql.push(&format!(" AND t.board_id = {b}"));
    }
    if let Some(from) = q.from {
        let f = sql.bind(from);
        sql.push(&format!(" AND p.created_at >= {f}"));
    }
    if let Some(until) = q.until {
        let u = sql.bind(until);
        sql.push(&format!(" AND p.created_at < {u}"));
    }
    if postgres {
        // Rank the newest RANKED_CANDIDATES matches (or as many as the page needs).
        let cap = sql.bind(i64::try_from(want.max(RANKED_CANDIDATES)).unwrap_or(i64::MAX));
        let lim = sql.bind(i64::try_from(want).unwrap_or(i64::MAX));
        let (table, key) = if titles {
            ("threads", "thread_id")
        } else {
            ("posts", "post_id")
        };
        sql.text = format!(
            "SELECT c.*, ts_rank(x.search_vector, plainto_tsquery('english', {tsq}))::float8 AS rank \
                 FROM ({inner} ORDER BY p.created_at DESC LIMIT {cap}) c \
                 JOIN {table} x ON x.id = c.{key} \
                 ORDER BY rank DESC, c.created_at DESC LIMIT {lim}",
            inner = sql.text
        );
    } else {
        let lim = sql.bind(i64::try_from(want).unwrap_or(i64::MAX));
        sql.push(&format!(
            " ORDER BY rank DESC, p.created_at DESC LIMIT {lim}"
        ));
    }
    let mut text = sql.text.clone();
    let mut values = sql.values.clone();
    if postgres {
        // The headlines are costly: make them for the chosen rows only.
        values.push(Value::from(words));
        let q2 = format!("${}", values.len());
        values.push(Value::from(HEADLINE_OPTIONS));
        let opts = format!("${}", values.len());
        let title_marked = if titles {
            format!(
                "ts_headline('english', hit.title, plainto_tsquery('english', {q2}), \
                     'HighlightAll=true, StartSel=\u{1}, StopSel=\u{2}')"
            )
        } else {
            "NULL".to_owned()
        };
        let snippet = if titles {
            "substr(p2.body_source, 1, 240)".to_owned()
        } else {
            format!(
                "ts_headline('english', p2.body_source, plainto_tsquery('english', {q2}), {opts})"
            )
        };
        text = format!(
            "SELECT hit.*, {title_marked} AS title_marked, {snippet} AS snippet \
                 FROM ({text}) hit JOIN posts p2 ON p2.id = hit.post_id \
                 ORDER BY hit.rank DESC, hit.created_at DESC"
        );
    }
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(backend, text, values))
        .await?;
    let mut hits = Vec::with_capacity(rows.len());
    for row in rows {
        let author: Option<uuid::Uuid> = row.try_get("", "author_id")?;
        let title_marked: Option<String> = if titles {
            row.try_get("", "title_marked")?
        } else {
            None
        };
        hits.push(SearchHit {
            post_id: PostId(row.try_get("", "post_id")?),
            thread_id: ThreadId(row.try_get("", "thread_id")?),
            thread_title: row.try_get("", "title")?,
            title_marked,
            board_id: BoardId(row.try_get("", "board_id")?),
            board_name: row.try_get("", "board_name")?,
            // Resolved to a handle once the page is chosen.
            author_handle: author.map(|a| a.to_string()),
            created_at: row.try_get("", "created_at")?,
            snippet_marked: row.try_get("", "snippet")?,
            title_match: titles,
        });
    }
    Ok(hits)
}
