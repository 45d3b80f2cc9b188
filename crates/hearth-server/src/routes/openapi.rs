//! `GET /api/openapi.json`: the OpenAPI 3 description of the HTTP API, generated from the code.
//!
//! Every `/api` route is registered through `utoipa-axum` ([`api_router`]): each area's
//! `router()` lists its handlers with `routes!(...)`, which adds the route to the axum router and
//! the handler's `#[utoipa::path]` operation to the document in one step. The answers are the
//! typed structs the handlers return ([`crate::routes::answers`], the views), so the document is
//! the route list and the wire format at once. `web-client/openapi.json` is this document as
//! committed; the web client's types are generated from it.
//!
//! What stays here is what no handler builds: the error body (built by `ApiError`), the shared
//! error responses the annotations name, and the shapes `hearth-app` builds as JSON (chat
//! messages, held and reported messages).
//!
//! The document reveals no data, so it is readable without signing in.

use std::sync::LazyLock;

use axum::Json;
use chrono::{DateTime, Utc};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{IntoResponses, Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::routes::rule_views::{ModerationView, RuleHitView};
use crate::state::AppState;

/// The name of the security scheme for the session cookie, as `security(...)` names it.
pub const SESSION: &str = "session_cookie";

/// The document's frame: its title, description, tags, security schemes and the error schemas.
/// The operations are added by [`api_router`] as the routes are registered.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Hearth",
        description = "The HTTP API of Hearth, a small private moderated support forum. \
            Bodies are JSON. Every error is `{\"error\": {\"code\", \"message\", \"field\"?, \"fields\"?}}` \
            (see `ErrorBody`) with the status saying what kind of failure it is. \
            Operations marked with the `session_cookie` security scheme need the session cookie \
            set by `POST /api/session`; some also need the moderator or admin role, as their \
            descriptions say. A state-changing request (anything but GET and HEAD) that carries \
            an `Origin` or `Referer` must come from the forum's own origin, and one with a \
            session cookie must carry one of them; otherwise it answers 403 `cross_origin`."
    ),
    components(schemas(ErrorBody, ErrorDetail, RuleProblem)),
    modifiers(&SessionCookie),
    tags(
        (name = "session", description = "Signing in and out."),
        (name = "account", description = "The signed-in member's own account."),
        (name = "membership", description = "Applying to join, and creating the first admin."),
        (name = "content", description = "Boards, threads, posts and reports, for members."),
        (name = "comforts", description = "Search, supportive reactions, following threads, muting members, and profiles."),
        (name = "notifications", description = "Decisions on the member's own content, and replies."),
        (name = "moderation", description = "The moderators' queue, content actions, suspensions and the audit log."),
        (name = "safeguarding", description = "Safeguarding concerns, seen only by safeguarding leads; every read is audited."),
        (name = "admin", description = "Membership decisions, roles and standing, invites, boards, rooms and rules."),
        (name = "realtime", description = "The realtime socket and chat rooms."),
        (name = "operator", description = "Liveness, readiness, metrics, and this document."),
    )
)]
pub struct ApiDoc;

/// Declares the session cookie as an API key carried in a cookie.
struct SessionCookie;

impl Modify for SessionCookie {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let mut scheme = ApiKeyValue::with_description(
            crate::origin::SESSION_COOKIE,
            "The session cookie set by `POST /api/session` (named `__Host-hearth_session` when \
             the forum is served over https). It is HttpOnly and SameSite=Strict.",
        );
        scheme.name = crate::origin::SESSION_COOKIE.to_owned();
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(SESSION, SecurityScheme::ApiKey(ApiKey::Cookie(scheme)));
        // The operator's bearer token for /metrics (`metrics_token` in the configuration).
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                "metrics_token",
                SecurityScheme::Http(utoipa::openapi::security::Http::new(
                    utoipa::openapi::security::HttpAuthScheme::Bearer,
                )),
            );
    }
}

/// Every area's routes, each registered with its operation in the document. The server serves
/// the router half ([`crate::router`]); [`document`] is the other half.
pub fn api_router() -> OpenApiRouter<AppState> {
    use crate::routes::{
        access_log, account, admin, applications, comforts, content, crisis, everyday, factors,
        health, moderation, realtime, recovery, safeguarding, setup,
    };
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(health::router())
        .merge(applications::router())
        .merge(content::router())
        .merge(comforts::router())
        .merge(everyday::router())
        .merge(realtime::router())
        .merge(recovery::router())
        .merge(safeguarding::router())
        .merge(crisis::router())
        .merge(account::router())
        .merge(factors::router())
        .merge(access_log::router())
        .merge(admin::router())
        .merge(moderation::router())
        .merge(setup::router())
        .merge(router())
}

/// The document, built once from the routes.
static DOCUMENT: LazyLock<utoipa::openapi::OpenApi> = LazyLock::new(|| api_router().into_openapi());

/// The OpenAPI document as the server serves it.
pub fn document() -> utoipa::openapi::OpenApi {
    DOCUMENT.clone()
}

/// The document as pretty JSON with a final newline: what `web-client/openapi.json` holds, and
/// what `hearth openapi` prints.
pub fn document_json() -> String {
    let mut text = DOCUMENT
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}

/// `GET /api/openapi.json`.
fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_openapi))
}

/// This document.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "operator",
    responses(
        (status = 200, description = "The OpenAPI 3.1 document describing every `/api` route.",
         content_type = "application/json", body = Object),
    )
)]
async fn get_openapi() -> Json<&'static utoipa::openapi::OpenApi> {
    Json(&*DOCUMENT)
}

// ---------------------------------------------------------------------------------------------
// Errors

/// Every error answer. `moderation` is present only on 422 `rejected_by_rules`.
#[derive(ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
    /// On 422 `rejected_by_rules`: the rules' verdict, with reasons and signposts for the author.
    #[schema(required = false)]
    pub moderation: Option<ModerationView>,
}

/// The error itself.
#[derive(ToSchema)]
pub struct ErrorDetail {
    /// A stable snake_case code: `invalid`, `bad_request`, `invalid_credentials`,
    /// `not_signed_in`, `forbidden`, `cross_origin`, `not_found`, `rejected_by_rules`,
    /// `rules_invalid`, `handle_identifies`, `too_large`, `unsupported_media_type`,
    /// `rate_limited`, `unavailable`, `internal`, a refusal code on 403 or a conflict code on
    /// 409.
    #[schema(example = "invalid")]
    pub code: String,
    /// A sentence for a person.
    pub message: String,
    /// With `invalid` and `handle_identifies`: the request field at fault (the first, when
    /// several are).
    #[schema(required = false, nullable = false)]
    pub field: Option<String>,
    /// With `invalid`: every request field at fault, each with its sentence (a form can show
    /// them all at once).
    #[schema(required = false, nullable = false)]
    pub fields: Option<std::collections::BTreeMap<String, String>>,
    /// With `rules_invalid`: the problems in the rules file.
    #[schema(required = false, nullable = false)]
    pub problems: Option<Vec<RuleProblem>>,
}

/// A problem in the moderation rules file.
#[derive(ToSchema)]
pub struct RuleProblem {
    /// Line in the file.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// The body is not the JSON expected (`bad_request`) or a value is not valid (`invalid`,
/// naming the `field`).
#[derive(IntoResponses)]
#[response(status = 400)]
pub struct BadRequest(pub ErrorBody);

/// Not signed in, or the session has ended (`not_signed_in`); on sign-in, wrong
/// credentials (`invalid_credentials`).
#[derive(IntoResponses)]
#[response(status = 401)]
pub struct NotSignedIn(pub ErrorBody);

/// The member's role does not allow this (`forbidden`), the request came from another
/// site (`cross_origin`), or the action was refused (a specific code).
#[derive(IntoResponses)]
#[response(status = 403)]
pub struct Forbidden(pub ErrorBody);

/// No such record (`not_found`).
#[derive(IntoResponses)]
#[response(status = 404)]
pub struct NotFound(pub ErrorBody);

/// The request conflicts with the current state (a specific code, such as a handle
/// already taken or an item already decided).
#[derive(IntoResponses)]
#[response(status = 409)]
pub struct Conflict(pub ErrorBody);

/// The body is larger than allowed (`too_large`).
#[derive(IntoResponses)]
#[response(status = 413)]
pub struct TooLarge(pub ErrorBody);

/// The body was not sent as `application/json` (`unsupported_media_type`).
#[derive(IntoResponses)]
#[response(status = 415)]
pub struct UnsupportedMediaType(pub ErrorBody);

/// The moderation rules rejected the text (`rejected_by_rules`, with `moderation`).
#[derive(IntoResponses)]
#[response(status = 422)]
pub struct RuleRejected(pub ErrorBody);

/// The handle would identify someone (`handle_identifies`, with `field`): a real name, a
/// place, a prison, a postcode. Nothing was stored; the applicant picks another handle.
#[derive(IntoResponses)]
#[response(status = 422)]
pub struct HandleIdentifies(pub ErrorBody);

/// Too many attempts (`rate_limited`); `Retry-After` says how many seconds to wait.
#[derive(IntoResponses)]
#[response(
    status = 429,
    headers(("Retry-After" = u64, description = "Seconds to wait before trying again."))
)]
pub struct RateLimited(pub ErrorBody);

/// The rules file has problems (`rules_invalid`, with `problems`); the previous rules stay
/// in force.
#[derive(IntoResponses)]
#[response(status = 422)]
pub struct RulesInvalid(pub ErrorBody);

// ---------------------------------------------------------------------------------------------
// Shapes `hearth-app` builds as JSON (the realtime socket sends the same ones): described here,
// referred to by the answers with `#[schema(value_type = ...)]`. Typing them belongs in
// `hearth-app` with the realtime protocol.

/// A reported chat message, as the moderators' queue shows it.
#[derive(ToSchema)]
pub struct ReportedMessage {
    /// The message as it stands, with its text (`body`).
    pub message: ReportedMessageView,
    /// Its room.
    pub room: HeldMessageRoom,
    /// The reason given with each open report (never who gave it).
    pub reasons: Vec<String>,
    /// When the first open report was made.
    pub first_reported_at: DateTime<Utc>,
}

/// A reported chat message's own fields.
#[derive(ToSchema)]
pub struct ReportedMessageView {
    /// Message id.
    #[schema(format = Uuid)]
    pub id: String,
    /// Its room.
    #[schema(format = Uuid)]
    pub room_id: String,
    /// Author's handle (null once erased).
    pub author: Option<String>,
    /// Whether the author is a moderator.
    pub moderator: bool,
    /// published (or removed, if decided since).
    pub status: String,
    /// Sanitised HTML.
    pub body_html: String,
    /// The text as written.
    pub body: String,
    /// When written.
    pub created_at: DateTime<Utc>,
}

/// A held chat message in the moderators' queue (and, without `waited_seconds`, in the live
/// `held_message_added` and `message_held` events).
#[derive(ToSchema)]
pub struct HeldMessage {
    /// The message's id.
    #[schema(format = Uuid)]
    pub id: String,
    /// The room it was said in.
    pub room: HeldMessageRoom,
    /// The author's handle (null once erased).
    pub author: Option<String>,
    /// `held`.
    pub status: String,
    /// The text as the room would show it.
    pub body_html: String,
    /// The text as typed (the rules' byte spans refer to it).
    pub body: String,
    /// When it was sent.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// How long it has waited, in seconds.
    pub waited_seconds: i64,
    /// The names of the rules that held it.
    pub reasons: Vec<String>,
    /// The rules that fired, with the matched text and its byte span in `body`.
    pub rules: Vec<RuleHitView>,
    /// Whether the rules asked for a safeguarding concern.
    pub concern: bool,
}

/// The room of a held chat message.
#[derive(ToSchema)]
pub struct HeldMessageRoom {
    /// Room id.
    #[schema(format = Uuid)]
    pub id: String,
    /// Its name.
    pub name: String,
}

/// A chat message.
#[derive(ToSchema)]
pub struct ChatMessage {
    /// Message id.
    #[schema(format = Uuid)]
    pub id: String,
    /// Its room.
    #[schema(format = Uuid)]
    pub room_id: String,
    /// Author's handle (null once erased).
    pub author: Option<String>,
    /// Whether the author is a moderator now (shown as a badge; nothing more about staff).
    pub moderator: bool,
    /// published, held, rejected, removed, deleted.
    pub status: String,
    /// Sanitised HTML.
    pub body_html: String,
    /// When written.
    pub created_at: DateTime<Utc>,
    /// Whether the reader wrote it.
    pub mine: bool,
    /// Staff only, on a held message: the names of the rules that held it.
    #[schema(required = false)]
    pub held_reasons: Option<Vec<String>>,
    /// Its author and staff only, on a rejected message: the reason the moderator gave.
    #[schema(required = false)]
    pub reason: Option<String>,
}
