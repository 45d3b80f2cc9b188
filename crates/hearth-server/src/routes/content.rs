//! Boards, threads, posts, reports and notifications, for members.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::DateTime;
use hearth_app::limits::Limit;
use hearth_app::{AppError, ThreadCursor};
use hearth_core::ids::{BoardId, PostId, ThreadId};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::Result;
use crate::extract::{ApiJson, ApiQuery, IdempotencyKey, Member};
use crate::routes::IdPath;
use crate::routes::answers::{
    BoardAnswer, BoardsAnswer, MarkedReadAnswer, ModeratedPostAnswer, NotificationsAnswer,
    PostAnswer, PostsAnswer, ReceivedAnswer, ThreadAnswer, ThreadCreatedAnswer, ThreadsAnswer,
};
use crate::routes::openapi::{
    BadRequest, Conflict, Forbidden, NotFound, NotSignedIn, RateLimited, RuleRejected, TooLarge,
    UnsupportedMediaType,
};
use crate::routes::views::{BoardView, NotificationView, PostView, ThreadView};
use crate::state::AppState;

/// Member-facing content routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_boards))
        .routes(routes!(get_board))
        .routes(routes!(list_threads, create_thread))
        .routes(routes!(get_thread))
        .routes(routes!(list_posts, create_post))
        .routes(routes!(edit_post, delete_post))
        .routes(routes!(report_post))
        .routes(routes!(list_notifications))
        .routes(routes!(read_notifications))
}

/// The boards the member may read, in order.
#[utoipa::path(
    get,
    path = "/api/boards",
    tag = "content",
    security(("session_cookie" = [])),
    responses(
        (status = 200, description = "The boards.", body = BoardsAnswer),
        NotSignedIn,
    )
)]
async fn list_boards(
    State(state): State<AppState>,
    Member(who): Member,
) -> Result<Json<BoardsAnswer>> {
    let boards = state.app.boards(&who).await?;
    Ok(Json(BoardsAnswer {
        boards: boards.iter().map(BoardView::from).collect(),
    }))
}

/// One board the member may read, archived or not (an archived board is off the list, but its
/// page and threads are still readable by link, read-only).
#[utoipa::path(
    get,
    path = "/api/boards/{id}",
    tag = "content",
    security(("session_cookie" = [])),
    params(("id" = uuid::Uuid, Path, description = "The board's id.")),
    responses(
        (status = 200, description = "The board.", body = BoardAnswer),
        NotSignedIn, NotFound,
    )
)]
async fn get_board(
    State(state): State<AppState>,
    Member(who): Member,
    IdPath(id): IdPath<BoardId>,
) -> Result<Json<BoardAnswer>> {
    let board = state.app.board(&who, id).await?;
    Ok(Json(BoardAnswer {
        board: BoardView::from(&board),
    }))
}

/// Paging through threads (`cursor`) or posts (`after`).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct PageQuery {
    /// Threads: the `next` of the previous page.
    cursor: Option<String>,
    /// Posts: the `next` of the previous page (a post id).
    after: Option<String>,
    /// How many to answer (threads: default 30, at most 100; posts: default 50, at most 200).
    limit: Option<u64>,
}

/// What the `Idempotency-Key` header is for, in the API document.
const IDEMPOTENCY_KEY_DOC: &str = "A UUID the client picks for this one send and sends again with \
any retry of it (after a dropped connection or a 503). A retry finds what the first send stored \
instead of storing it twice; the same key with other words answers 409 `idempotency_key_reused`.";

/// `Idempotent-Replayed: true` on the answer to a retry that found what an earlier send stored,
/// `false` on one that stored now.
fn replayed_header(sent: hearth_app::Sent) -> [(&'static str, &'static str); 1] {
    let replayed = if sent == hearth_app::Sent::Replayed {
        "true"
    } else {
        "false"
    };
    [("idempotent-replayed", replayed)]
}

fn encode_cursor(t: &hearth_app::ThreadRecord) -> String {
    format!(
        "{}.{}.{}",
        u8::from(t.pinned),
        t.last_activity_at.timestamp_nanos_opt().unwrap_or_default(),
        t.id
    )
}

fn decode_cursor(s: &str) -> Result<ThreadCursor> {
    let bad = || AppError::invalid("cursor", "this cursor is not one the server gave out");
    let mut parts = s.splitn(3, '.');
    let pinned = match parts.next() {
        Some("1") => true,
        Some("0") => false,
        _ => return Err(bad().into()),
    };
    let nanos: i64 = parts.next().and_then(|n| n.parse().ok()).ok_or_else(bad)?;
    let id: ThreadId = parts.next().and_then(|i| i.parse().ok()).ok_or_else(bad)?;
    Ok(ThreadCursor {
        pinned,
        last_activity_at: DateTime::from_timestamp_nanos(nanos),
        id,
    })
}

/// A board's threads, pinned first then by last activity, a page at a time.
#[utoipa::path(
    get,
    path = "/api/boards/{id}/threads",
    tag = "content",
    security(("session_cookie" = [])),
    params(("id" = uuid::Uuid, Path, description = "The board's id.")),
    responses(
        (status = 200, description = "A page of threads.", body = ThreadsAnswer),
        BadRequest, NotSignedIn, Forbidden, NotFound,
    )
)]
async fn list_threads(
    State(state): State<AppState>,
    Member(who): Member,
    IdPath(board): IdPath<BoardId>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<ThreadsAnswer>> {
    let limit = q.limit.unwrap_or(30).clamp(1, 100);
    let cursor = q.cursor.as_deref().map(decode_cursor).transpose()?;
    let threads = state.app.threads(&who, board, cursor, limit).await?;
    let next = (threads.len() as u64 == limit)
        .then(|| threads.last().map(encode_cursor))
        .flatten();
    Ok(Json(ThreadsAnswer {
        threads: threads.iter().map(ThreadView::from).collect(),
        next,
    }))
}

/// A new thread and its first post.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewThreadBody {
    /// The title (plain text).
    title: String,
    /// The first post (Markdown).
    body: String,
    /// A content warning, shown collapsed.
    #[schema(required = false)]
    content_warning: Option<String>,
}

/// Starts a thread with its first post; both go through the moderation rules.
#[utoipa::path(
    post,
    path = "/api/boards/{id}/threads",
    tag = "content",
    security(("session_cookie" = [])),
    params(
        ("id" = uuid::Uuid, Path, description = "The board's id."),
        ("Idempotency-Key" = Option<uuid::Uuid>, Header, description = IDEMPOTENCY_KEY_DOC),
    ),
    request_body = NewThreadBody,
    responses(
        (status = 201, description = "Created (published or held: see `moderation`), or found: a retry with the same `Idempotency-Key` answers the thread it made, with `Idempotent-Replayed: true`.", body = ThreadCreatedAnswer),
        BadRequest, NotSignedIn, Forbidden, NotFound, Conflict, TooLarge, UnsupportedMediaType, RuleRejected, RateLimited,
    )
)]
async fn create_thread(
    State(state): State<AppState>,
    Member(who): Member,
    IdPath(board): IdPath<BoardId>,
    IdempotencyKey(key): IdempotencyKey,
    ApiJson(b): ApiJson<NewThreadBody>,
) -> Result<(
    StatusCode,
    [(&'static str, &'static str); 1],
    Json<ThreadCreatedAnswer>,
)> {
    let (thread, post, moderation, sent) = state
        .app
        .member_limited(
            &who,
            Limit::Posts,
            state.app.create_thread(
                &who,
                board,
                &b.title,
                &b.body,
                b.content_warning.as_deref(),
                key,
            ),
            |(_, _, _, sent)| *sent == hearth_app::Sent::New,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        replayed_header(sent),
        Json(ThreadCreatedAnswer {
            thread: ThreadView::from(&thread),
            post: PostView::of(&post, &who),
            moderation: moderation.into(),
        }),
    ))
}

/// One thread.
#[utoipa::path(
    get,
    path = "/api/threads/{id}",
    tag = "content",
    security(("session_cookie" = [])),
    params(("id" = uuid::Uuid, Path, description = "The thread's id.")),
    responses(
        (status = 200, description = "The thread.", body = ThreadAnswer),
        NotSignedIn, Forbidden, NotFound,
    )
)]
async fn get_thread(
    State(state): State<AppState>,
    Member(who): Member,
    IdPath(id): IdPath<ThreadId>,
) -> Result<Json<ThreadAnswer>> {
    let thread = state.app.thread(&who, id).await?;
    Ok(Json(ThreadAnswer {
        thread: ThreadView::from(&thread),
    }))
}

/// A thread's posts, oldest first, a page at a time.
#[utoipa::path(
    get,
    path = "/api/threads/{id}/posts",
    tag = "content",
    security(("session_cookie" = [])),
    params(("id" = uuid::Uuid, Path, description = "The thread's id.")),
    responses(
        (status = 200, description = "A page of posts.", body = PostsAnswer),
        BadRequest, NotSignedIn, Forbidden, NotFound,
    )
)]
async fn list_posts(
    State(state): State<AppState>,
    Member(who): Member,
    IdPath(id): IdPath<ThreadId>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<PostsAnswer>> {
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    let after = match q.after.as_deref() {
        Some(a) => Some(
            a.parse::<PostId>()
                .map_err(|_| AppError::invalid("after", "after must be a post id"))?,
        ),
        None => None,
    };
    let (posts, first_unread) = state.app.posts_from_unread(&who, id, after, limit).await?;
    let next = (posts.len() as u64 == limit)
        .then(|| posts.last().map(|p| p.id.to_string()))
        .flatten();
    let reactions = state.app.reactions_for(&who, &posts).await?;
    let muted = state.app.muted_ids(&who).await?;
    let views: Vec<PostView> = posts
        .iter()
        .map(|p| {
            PostView::of(p, &who).with_comforts(
                reactions.get(&p.id),
                p.author_id.is_some_and(|a| muted.contains(&a)),
            )
        })
        .collect();
    Ok(Json(PostsAnswer {
        posts: views,
        next,
        // Only the first page says where the unread part starts.
        first_unread: after.is_none().then(|| first_unread.map(|p| p.to_string())),
    }))
}

/// A post's text.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PostBody {
    /// The post (Markdown).
    body: String,
    /// A content warning, shown collapsed.
    #[schema(required = false)]
    content_warning: Option<String>,
}

/// Replies to a thread; the reply goes through the moderation rules.
#[utoipa::path(
    post,
    path = "/api/threads/{id}/posts",
    tag = "content",
    security(("session_cookie" = [])),
    params(
        ("id" = uuid::Uuid, Path, description = "The thread's id."),
        ("Idempotency-Key" = Option<uuid::Uuid>, Header, description = IDEMPOTENCY_KEY_DOC),
    ),
    request_body = PostBody,
    responses(
        (status = 201, description = "Created (published or held: see `moderation`), or found: a retry with the same `Idempotency-Key` answers the post it made, with `Idempotent-Replayed: true`.", body = ModeratedPostAnswer),
        BadRequest, NotSignedIn, Forbidden, NotFound, Conflict, TooLarge, UnsupportedMediaType, RuleRejected, RateLimited,
    )
)]
async fn create_post(
    State(state): State<AppState>,
    Member(who): Member,
    IdPath(id): IdPath<ThreadId>,
    IdempotencyKey(key): IdempotencyKey,
    ApiJson(b): ApiJson<PostBody>,
) -> Result<(
    StatusCode,
    [(&'static str, &'static str); 1],
    Json<ModeratedPostAnswer>,
)> {
    let (post, moderation, sent) = state
        .app
        .member_limited(
            &who,
            Limit::Posts,
            state
                .app
                .reply(&who, id, &b.body, b.content_warning.as_deref(), key),
            |(_, _, sent)| *sent == hearth_app::Sent::New,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        replayed_header(sent),
        Json(ModeratedPostAnswer {
            post: PostView::of(&post, &who),
            moderation: moderation.into(),
        }),
    ))
}

/// Edits one's own post; the new text goes through the moderation rules.
#[utoipa::path(
    patch,
    path = "/api/posts/{id}",
    tag = "content",
    security(("session_cookie" = [])),
    params(("id" = uuid::Uuid, Path, description = "The post's id.")),
    request_body = PostBody,
    responses(
        (status = 200, description = "Edited (published or held: see `moderation`).", body = ModeratedPostAnswer),
        BadRequest, NotSignedIn, Forbidden, NotFound, TooLarge, UnsupportedMediaType, RuleRejected, RateLimited,
    )
)]
async fn edit_post(
    State(state): State<AppState>,
    Member(who): Member,
    IdPath(id): IdPath<PostId>,
    ApiJson(b): ApiJson<PostBody>,
) -> Result<Json<ModeratedPostAnswer>> {
    let (post, moderation) = state
        .app
        .member_limited(
            &who,
            Limit::Edits,
            state
                .app
                .edit_post(&who, id, &b.body, b.content_warning.as_deref()),
            |_| true,
        )
        .await?;
    let reactions = state
        .app
        .reactions_for(&who, std::slice::from_ref(&post))
        .await?;
    let view = PostView::of(&post, &who).with_comforts(reactions.get(&post.id), false);
    Ok(Json(ModeratedPostAnswer {
        post: view,
        moderation: moderation.into(),
    }))
}

/// Deletes one's own post.
#[utoipa::path(
    delete,
    path = "/api/posts/{id}",
    tag = "content",
    security(("session_cookie" = [])),
    params(("id" = uuid::Uuid, Path, description = "The post's id.")),
    responses(
        (status = 200, description = "Deleted.", body = PostAnswer),
        NotSignedIn, Forbidden, NotFound,
    )
)]
async fn delete_post(
    State(state): State<AppState>,
    Member(who): Member,
    IdPath(id): IdPath<PostId>,
) -> Result<Json<PostAnswer>> {
    let post = state.app.delete_post(&who, id).await?;
    Ok(Json(PostAnswer {
        post: PostView::of(&post, &who),
    }))
}

/// A report of a post to the moderators.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ReportBody {
    /// One of the fixed reasons.
    reason: String,
    /// A note for the moderators.
    #[schema(required = false)]
    note: Option<String>,
}

/// Reports a post to the moderators; its author is not told who reported it.
#[utoipa::path(
    post,
    path = "/api/posts/{id}/reports",
    tag = "content",
    security(("session_cookie" = [])),
    params(("id" = uuid::Uuid, Path, description = "The post's id.")),
    request_body = ReportBody,
    responses(
        (status = 201, description = "Received (`status`: `received`), with crisis support for the reporter when their note reads as a crisis.", body = ReceivedAnswer),
        BadRequest, NotSignedIn, Forbidden, NotFound, TooLarge, UnsupportedMediaType, RateLimited,
    )
)]
async fn report_post(
    State(state): State<AppState>,
    Member(who): Member,
    IdPath(id): IdPath<PostId>,
    ApiJson(b): ApiJson<ReportBody>,
) -> Result<(StatusCode, Json<ReceivedAnswer>)> {
    let signpost = state
        .app
        .member_limited(
            &who,
            Limit::Reports,
            state
                .app
                .report_post(&who, id, &b.reason, b.note.as_deref()),
            |_| true,
        )
        .await?;
    let mut message = "Thank you. The moderators will look at this post. Its author will not be \
                       told who reported it."
        .to_owned();
    if !signpost.is_empty() {
        message.push(' ');
        message.push_str(hearth_app::NOTE_CRISIS_MESSAGE);
    }
    Ok((
        StatusCode::CREATED,
        Json(ReceivedAnswer {
            status: "received",
            message,
            signpost: signpost.into_iter().map(Into::into).collect(),
        }),
    ))
}

/// The member's notifications, newest first (at most 100), with the unread count.
#[utoipa::path(
    get,
    path = "/api/notifications",
    tag = "notifications",
    security(("session_cookie" = [])),
    responses(
        (status = 200, description = "The notifications.", body = NotificationsAnswer),
        NotSignedIn,
    )
)]
async fn list_notifications(
    State(state): State<AppState>,
    Member(who): Member,
) -> Result<Json<NotificationsAnswer>> {
    let list = state.app.notifications(&who, 100).await?;
    let unread = list.iter().filter(|n| n.read_at.is_none()).count();
    Ok(Json(NotificationsAnswer {
        notifications: list.iter().map(NotificationView::from).collect(),
        unread,
    }))
}

/// Marks all the member's notifications read.
#[utoipa::path(
    post,
    path = "/api/notifications/read",
    tag = "notifications",
    security(("session_cookie" = [])),
    responses(
        (status = 200, description = "Marked read.", body = MarkedReadAnswer),
        NotSignedIn, Forbidden,
    )
)]
async fn read_notifications(
    State(state): State<AppState>,
    Member(who): Member,
) -> Result<Json<MarkedReadAnswer>> {
    let n = state.app.mark_notifications_read(&who).await?;
    Ok(Json(MarkedReadAnswer { marked_read: n }))
}
