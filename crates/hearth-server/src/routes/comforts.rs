//! Member comforts: search, supportive reactions, following threads, muting members, profiles.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, NaiveDate, Utc};
use hearth_app::limits::Limit;
use hearth_app::{AppError, PostReactions, SearchInput};
use hearth_core::comforts::ReactionKind;
use hearth_core::comforts::marked_snippet_html;
use hearth_core::ids::{BoardId, PostId, ThreadId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::Result;
use crate::extract::{ApiJson, ApiQuery, Member};
use crate::routes::IdPath;
use crate::routes::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, NotSignedIn, RateLimited, RuleRejected, TooLarge,
    UnsupportedMediaType,
};
use crate::routes::views::ThreadView;
use crate::state::AppState;

/// Search, reactions, following, muting and profiles.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(search))
        .routes(routes!(list_reactors))
        .routes(routes!(add_reaction, remove_reaction))
        .routes(routes!(get_follow, set_follow))
        .routes(routes!(list_following))
        .routes(routes!(list_mutes))
        .routes(routes!(set_profile))
        .routes(routes!(get_profile))
        .routes(routes!(mute, unmute))
}

// ---------------------------------------------------------------------------------------------
// Search

/// What to search for.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct SearchParams {
    /// The words to find (all of them), at most 200 characters.
    q: String,
    /// Only this board.
    #[param(format = Uuid)]
    board: Option<String>,
    /// Only posts written on or after this day (`YYYY-MM-DD`, UTC).
    #[param(format = Date)]
    from: Option<String>,
    /// Only posts written on or before this day (`YYYY-MM-DD`, UTC).
    #[param(format = Date)]
    until: Option<String>,
    /// The `next` of the previous page.
    cursor: Option<String>,
    /// Results per page (default 20, at most 50).
    limit: Option<u64>,
}

/// One search result: a published post, found by its words or its thread's title.
#[derive(Serialize, ToSchema)]
struct SearchResultView {
    /// The post.
    #[schema(format = Uuid)]
    post_id: String,
    /// Its thread.
    #[schema(format = Uuid)]
    thread_id: String,
    /// The thread's title (plain text: the client escapes it).
    thread_title: String,
    /// The title as HTML with the matched words in `<mark>` (escaped; only `<mark>` is markup).
    title_html: String,
    /// The board.
    #[schema(format = Uuid)]
    board_id: String,
    /// The board's name.
    board_name: String,
    /// The author's handle (null once erased or anonymised).
    author: Option<String>,
    /// When the post was written.
    created_at: DateTime<Utc>,
    /// An extract of the post as HTML with the matched words in `<mark>` (escaped; only
    /// `<mark>` is markup).
    snippet_html: String,
    /// `title` when the thread's title matched (these come first), else `post`.
    matched: &'static str,
}

/// A page of search results.
#[derive(Serialize, ToSchema)]
struct SearchAnswer {
    /// Title matches first, then posts by relevance.
    results: Vec<SearchResultView>,
    /// The `cursor` for the next page, or null at the end.
    next: Option<String>,
}

fn escape(text: &str) -> String {
    marked_snippet_html(&text.replace(
        [
            hearth_core::comforts::MARK_START,
            hearth_core::comforts::MARK_END,
        ],
        "",
    ))
}

fn day(field: &'static str, raw: Option<&str>) -> Result<Option<NaiveDate>> {
    raw.filter(|s| !s.is_empty())
        .map(|s| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
                AppError::invalid(field, format!("{field} must be a day, YYYY-MM-DD")).into()
            })
        })
        .transpose()
}

/// Searches the thread titles and posts the member may read. Held, rejected, removed and
/// erased posts are never found.
#[utoipa::path(
    get,
    path = "/api/search",
    tag = "comforts",
    security(("session_cookie" = [])),
    params(SearchParams),
    responses(
        (status = 200, description = "A page of results.", body = SearchAnswer),
        BadRequest, NotSignedIn, Forbidden, NotFound,
    )
)]
async fn search(
    State(state): State<AppState>,
    Member(who): Member,
    ApiQuery(p): ApiQuery<SearchParams>,
) -> Result<Json<SearchAnswer>> {
    let board = match p.board.as_deref().filter(|b| !b.is_empty()) {
        Some(b) => Some(
            b.parse::<BoardId>()
                .map_err(|_| AppError::invalid("board", "board must be a board id"))?,
        ),
        None => None,
    };
    let page = state
        .app
        .search(
            &who,
            SearchInput {
                text: p.q,
                board,
                from: day("from", p.from.as_deref())?,
                until: day("until", p.until.as_deref())?,
                cursor: p.cursor,
                limit: p.limit.unwrap_or(20),
            },
        )
        .await?;
    let results = page
        .hits
        .into_iter()
        .map(|h| SearchResultView {
            post_id: h.post_id.to_string(),
            thread_id: h.thread_id.to_string(),
            title_html: match &h.title_marked {
                Some(t) => marked_snippet_html(t),
                None => escape(&h.thread_title),
            },
            thread_title: h.thread_title,
            board_id: h.board_id.to_string(),
            board_name: h.board_name,
            author: h.author_handle,
            created_at: h.created_at,
            snippet_html: if h.title_match {
                escape(&h.snippet_marked)
            } else {
                marked_snippet_html(&h.snippet_marked)
            },
            matched: if h.title_match { "title" } else { "post" },
        })
        .collect();
    Ok(Json(SearchAnswer {
        results,
        next: page.next,
    }))
}

// ---------------------------------------------------------------------------------------------
// Reactions

/// The reactions on a post.
#[derive(Serialize, ToSchema)]
pub struct ReactionsView {
    /// How many members left each kind: `thank_you`, `sending_strength`, `me_too`,
    /// `thinking_of_you` (every kind, zero included).
    pub counts: BTreeMap<String, i64>,
    /// The kinds the reader left.
    pub mine: Vec<String>,
}

impl From<&PostReactions> for ReactionsView {
    fn from(r: &PostReactions) -> Self {
        ReactionsView {
            counts: r
                .counts
                .iter()
                .map(|(k, v)| ((*k).to_owned(), *v))
                .collect(),
            mine: r.mine.iter().map(|k| (*k).to_owned()).collect(),
        }
    }
}

impl ReactionsView {
    /// No reactions yet.
    pub fn none() -> ReactionsView {
        ReactionsView {
            counts: ReactionKind::ALL
                .iter()
                .map(|k| (k.as_str().to_owned(), 0))
                .collect(),
            mine: Vec::new(),
        }
    }
}

/// A post's reactions after a change.
#[derive(Serialize, ToSchema)]
struct ReactionsAnswer {
    /// The counts and the reader's own.
    reactions: ReactionsView,
}

/// Path of a reaction.
#[derive(Deserialize)]
struct ReactionPath {
    id: String,
    kind: String,
}

fn reaction_path(p: &ReactionPath) -> Result<PostId> {
    p.id.parse::<PostId>()
        .map_err(|_| AppError::NotFound("post").into())
}

/// Leaves a supportive reaction on another member's published post (once per kind). The
/// thread's readers see the new counts live.
#[utoipa::path(
    put,
    path = "/api/posts/{id}/reactions/{kind}",
    tag = "comforts",
    security(("session_cookie" = [])),
    params(
        ("id" = uuid::Uuid, Path, description = "The post's id."),
        ("kind" = String, Path, description = "`thank_you`, `sending_strength`, `me_too` or `thinking_of_you`."),
    ),
    responses(
        (status = 200, description = "The post's reactions now.", body = ReactionsAnswer),
        BadRequest, NotSignedIn, Forbidden, NotFound, Conflict, RateLimited,
    )
)]
async fn add_reaction(
    State(state): State<AppState>,
    Member(who): Member,
    Path(p): Path<ReactionPath>,
) -> Result<Json<ReactionsAnswer>> {
    let post = reaction_path(&p)?;
    let r = state
        .app
        .member_limited(
            &who,
            Limit::Reactions,
            state.app.react(&who, post, &p.kind, true),
            |_| true,
        )
        .await?;
    Ok(Json(ReactionsAnswer {
        reactions: ReactionsView::from(&r),
    }))
}

/// Takes a reaction back.
#[utoipa::path(
    delete,
    path = "/api/posts/{id}/reactions/{kind}",
    tag = "comforts",
    security(("session_cookie" = [])),
    params(
        ("id" = uuid::Uuid, Path, description = "The post's id."),
        ("kind" = String, Path, description = "`thank_you`, `sending_strength`, `me_too` or `thinking_of_you`."),
    ),
    responses(
        (status = 200, description = "The post's reactions now.", body = ReactionsAnswer),
        BadRequest, NotSignedIn, Forbidden, NotFound, Conflict, RateLimited,
    )
)]
async fn remove_reaction(
    State(state): State<AppState>,
    Member(who): Member,
    Path(p): Path<ReactionPath>,
) -> Result<Json<ReactionsAnswer>> {
    let post = reaction_path(&p)?;
    let r = state
        .app
        .member_limited(
            &who,
            Limit::Reactions,
            state.app.react(&who, post, &p.kind, false),
            |_| true,
        )
        .await?;
    Ok(Json(ReactionsAnswer {
        reactions: ReactionsView::from(&r),
    }))
}

/// One member's reaction.
#[derive(Serialize, ToSchema)]
struct ReactorView {
    /// Who.
    handle: String,
    /// Which reaction.
    kind: String,
}

/// Who reacted to a post.
#[derive(Serialize, ToSchema)]
struct ReactorsAnswer {
    /// Oldest first.
    reactors: Vec<ReactorView>,
}

/// Who reacted to one's own post, and how. Only the post's author may ask.
#[utoipa::path(
    get,
    path = "/api/posts/{id}/reactions",
    tag = "comforts",
    security(("session_cookie" = [])),
    params(("id" = uuid::Uuid, Path, description = "The post's id.")),
    responses(
        (status = 200, description = "Who reacted.", body = ReactorsAnswer),
        NotSignedIn, Forbidden, NotFound,
    )
)]
async fn list_reactors(
    State(state): State<AppState>,
    Member(who): Member,
    IdPath(id): IdPath<PostId>,
) -> Result<Json<ReactorsAnswer>> {
    let reactors = state
        .app
        .reactors(&who, id)
        .await?
        .into_iter()
        .map(|(handle, kind)| ReactorView {
            handle,
            kind: kind.to_owned(),
        })
        .collect();
    Ok(Json(ReactorsAnswer { reactors }))
}

// ---------------------------------------------------------------------------------------------
// Following

/// A member's follow state for a thread.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct FollowBody {
    /// `following` (notified of replies), `not_following`, or `muted` (never notified, not
    /// followed again by replying).
    state: String,
}

/// Whether the member follows a thread.
#[utoipa::path(
    get,
    path = "/api/threads/{id}/follow",
    tag = "comforts",
    security(("session_cookie" = [])),
    params(("id" = uuid::Uuid, Path, description = "The thread's id.")),
    responses(
        (status = 200, description = "The state.", body = FollowBody),
        NotSignedIn, Forbidden, NotFound,
    )
)]
async fn get_follow(
    State(state): State<AppState>,
    Member(who): Member,
    IdPath(id): IdPath<ThreadId>,
) -> Result<Json<FollowBody>> {
    let s = state.app.follow_state(&who, id).await?;
    Ok(Json(FollowBody {
        state: s.as_str().to_owned(),
    }))
}

/// Follows, stops following or mutes a thread. Threads one starts or replies to are followed
/// automatically, unless one has turned that off for the thread.
#[utoipa::path(
    put,
    path = "/api/threads/{id}/follow",
    tag = "comforts",
    security(("session_cookie" = [])),
    params(("id" = uuid::Uuid, Path, description = "The thread's id.")),
    request_body = FollowBody,
    responses(
        (status = 200, description = "The state now.", body = FollowBody),
        BadRequest, NotSignedIn, Forbidden, NotFound, TooLarge, UnsupportedMediaType,
    )
)]
async fn set_follow(
    State(state): State<AppState>,
    Member(who): Member,
    IdPath(id): IdPath<ThreadId>,
    ApiJson(b): ApiJson<FollowBody>,
) -> Result<Json<FollowBody>> {
    let s = state.app.set_follow_state(&who, id, &b.state).await?;
    Ok(Json(FollowBody {
        state: s.as_str().to_owned(),
    }))
}

/// A followed thread.
#[derive(Serialize, ToSchema)]
struct FollowedView {
    /// The thread.
    thread: ThreadView,
    /// Published posts the member has not read.
    unread_posts: i64,
}

/// The threads the member follows.
#[derive(Serialize, ToSchema)]
struct FollowingAnswer {
    /// Most recently active first.
    threads: Vec<FollowedView>,
}

/// The threads the member follows, with how many posts in each they have not read.
#[utoipa::path(
    get,
    path = "/api/me/following",
    tag = "comforts",
    security(("session_cookie" = [])),
    responses(
        (status = 200, description = "Followed threads.", body = FollowingAnswer),
        NotSignedIn, Forbidden,
    )
)]
async fn list_following(
    State(state): State<AppState>,
    Member(who): Member,
) -> Result<Json<FollowingAnswer>> {
    let threads = state
        .app
        .following(&who)
        .await?
        .iter()
        .map(|f| FollowedView {
            thread: ThreadView::from(&f.thread),
            unread_posts: f.unread_posts,
        })
        .collect();
    Ok(Json(FollowingAnswer { threads }))
}

// ---------------------------------------------------------------------------------------------
// Muting members and profiles

/// A member one has muted.
#[derive(Serialize, ToSchema)]
struct MuteView {
    /// Their handle.
    handle: String,
    /// Since when.
    since: DateTime<Utc>,
}

/// The members one has muted.
#[derive(Serialize, ToSchema)]
struct MutesAnswer {
    /// Oldest first.
    mutes: Vec<MuteView>,
}

/// The members the signed-in member has muted. Only they can see this list.
#[utoipa::path(
    get,
    path = "/api/me/mutes",
    tag = "comforts",
    security(("session_cookie" = [])),
    responses(
        (status = 200, description = "Muted members.", body = MutesAnswer),
        NotSignedIn, Forbidden,
    )
)]
async fn list_mutes(
    State(state): State<AppState>,
    Member(who): Member,
) -> Result<Json<MutesAnswer>> {
    let mutes = state
        .app
        .mutes(&who)
        .await?
        .into_iter()
        .map(|(handle, since)| MuteView { handle, since })
        .collect();
    Ok(Json(MutesAnswer { mutes }))
}

/// Whether a member is muted.
#[derive(Serialize, ToSchema)]
struct MutedAnswer {
    /// Whether the signed-in member now mutes them.
    muted: bool,
}

/// Mutes a member: their posts and chat messages are collapsed for you. They are not told,
/// and nobody else (moderators included) can see it. Moderators cannot be muted.
#[utoipa::path(
    put,
    path = "/api/members/{handle}/mute",
    tag = "comforts",
    security(("session_cookie" = [])),
    params(("handle" = String, Path, description = "The member's handle.")),
    responses(
        (status = 200, description = "Muted.", body = MutedAnswer),
        NotSignedIn, Forbidden, NotFound, Conflict,
    )
)]
async fn mute(
    State(state): State<AppState>,
    Member(who): Member,
    Path(handle): Path<String>,
) -> Result<Json<MutedAnswer>> {
    state.app.mute(&who, &handle, true).await?;
    Ok(Json(MutedAnswer { muted: true }))
}

/// Unmutes a member.
#[utoipa::path(
    delete,
    path = "/api/members/{handle}/mute",
    tag = "comforts",
    security(("session_cookie" = [])),
    params(("handle" = String, Path, description = "The member's handle.")),
    responses(
        (status = 200, description = "Not muted.", body = MutedAnswer),
        NotSignedIn, Forbidden, NotFound, Conflict,
    )
)]
async fn unmute(
    State(state): State<AppState>,
    Member(who): Member,
    Path(handle): Path<String>,
) -> Result<Json<MutedAnswer>> {
    state.app.mute(&who, &handle, false).await?;
    Ok(Json(MutedAnswer { muted: false }))
}

/// A member's profile: nothing beyond what the forum needs.
#[derive(Serialize, ToSchema)]
struct ProfileView {
    /// Their handle.
    handle: String,
    /// The month they joined, `YYYY-MM`.
    joined: String,
    /// Their published posts.
    post_count: u64,
    /// Their short "about" text (plain text: the client escapes it).
    about: Option<String>,
    /// `member`, `moderator` or `admin`.
    role: String,
    /// Whether the reader has muted them.
    muted_by_me: bool,
    /// Whether it is the reader's own profile.
    mine: bool,
}

/// A profile.
#[derive(Serialize, ToSchema)]
struct ProfileAnswer {
    /// The profile.
    profile: ProfileView,
}

/// A member's profile.
#[utoipa::path(
    get,
    path = "/api/members/{handle}",
    tag = "comforts",
    security(("session_cookie" = [])),
    params(("handle" = String, Path, description = "The member's handle.")),
    responses(
        (status = 200, description = "The profile.", body = ProfileAnswer),
        NotSignedIn, Forbidden, NotFound,
    )
)]
async fn get_profile(
    State(state): State<AppState>,
    Member(who): Member,
    Path(handle): Path<String>,
) -> Result<Json<ProfileAnswer>> {
    let p = state.app.profile(&who, &handle).await?;
    Ok(Json(ProfileAnswer {
        profile: ProfileView {
            handle: p.record.handle,
            joined: p.record.joined_at.format("%Y-%m").to_string(),
            post_count: p.record.post_count,
            about: p.record.about,
            role: p.record.role,
            muted_by_me: p.muted_by_me,
            mine: p.mine,
        },
    }))
}

/// One's own profile text.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct AboutBody {
    /// A line or two about oneself, at most 280 characters (blank clears it). It goes through
    /// the group's rules; anything that might identify someone is refused.
    about: Option<String>,
}

/// Sets one's own "about" text.
#[utoipa::path(
    put,
    path = "/api/me/profile",
    tag = "comforts",
    security(("session_cookie" = [])),
    request_body = AboutBody,
    responses(
        (status = 200, description = "The text now.", body = AboutBody),
        BadRequest, NotSignedIn, Forbidden, TooLarge, UnsupportedMediaType, RuleRejected,
    )
)]
async fn set_profile(
    State(state): State<AppState>,
    Member(who): Member,
    ApiJson(b): ApiJson<AboutBody>,
) -> Result<Json<AboutBody>> {
    let about = state
        .app
        .set_about(&who, b.about.as_deref().unwrap_or(""))
        .await?;
    Ok(Json(AboutBody { about }))
}
