//! First-run setup: create the first admin with the one-time link printed to the log, either
//! in the browser (`GET /setup`, a plain form that needs no script) or by `curl`
//! (`POST /api/setup`).

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, Result};
use crate::extract::ApiJson;
use crate::routes::answers::SelfAnswer;
use crate::routes::openapi::{
    BadRequest, Conflict, Forbidden, HandleIdentifies, TooLarge, UnsupportedMediaType,
};
use crate::state::AppState;

/// `/setup` and `/api/setup`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/setup", get(get_setup_page).post(submit_setup_form))
        .route("/plain.css", get(get_plain_css))
        .route("/plain.js", get(get_plain_js))
        .routes(routes!(create_first_admin))
}

/// The first admin, with the one-time token from the setup link.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SetupBody {
    /// The token in the setup link printed to the log.
    token: String,
    /// The admin's handle.
    handle: String,
    /// The admin's email.
    email: String,
    /// The admin's password (at least 10 characters).
    password: String,
}

/// Creates the first admin with the one-time token printed to the log; works once.
#[utoipa::path(
    post,
    path = "/api/setup",
    tag = "membership",
    request_body = SetupBody,
    responses(
        (status = 201, description = "The first admin was created.", body = SelfAnswer),
        BadRequest, Forbidden, Conflict, HandleIdentifies, TooLarge, UnsupportedMediaType,
    )
)]
async fn create_first_admin(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<SetupBody>,
) -> Result<(StatusCode, Json<SelfAnswer>)> {
    let admin = state
        .app
        .complete_setup(&body.token, &body.handle, &body.email, &body.password)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(SelfAnswer {
            member: crate::routes::views::SelfView::from(&admin),
        }),
    ))
}

#[derive(Deserialize)]
struct TokenQuery {
    #[serde(default)]
    token: String,
}

pub(crate) use hearth_core::render::escape_html as escape;

/// Where quick exit goes (the web client's `NEUTRAL_SITE`): an everyday page that draws no
/// attention.
const NEUTRAL_SITE: &str = "https://www.bbc.co.uk/weather";

/// The look of the pages served without the web client.
const PLAIN_CSS: &str = include_str!("plain/plain.css");
/// Their quick exit: the button and Escape twice, replacing the history entry.
const PLAIN_JS: &str = include_str!("plain/plain.js");

/// A page served without the web client (setup, password reset): plain HTML that works without
/// script, with the site's own stylesheet and the quick exit every page has. The title says
/// nothing about the forum.
pub(crate) fn page(body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Set up</title><link rel=\"stylesheet\" href=\"/plain.css\">\
         <script src=\"/plain.js\" defer></script></head><body>\
         <header><a class=\"quick-exit\" href=\"{NEUTRAL_SITE}\" rel=\"noreferrer\">Quick exit</a></header>\
         <main>{body}</main>\
         <footer><p>In danger now? Call 999. To leave this page quickly, press Esc twice.</p></footer>\
         </body></html>"
    ))
}

/// Serves one of the plain pages' two files.
fn plain_file(content_type: &'static str, text: &'static str) -> Response {
    (
        [
            (axum::http::header::CONTENT_TYPE, content_type),
            (axum::http::header::CACHE_CONTROL, "no-cache"),
        ],
        text,
    )
        .into_response()
}

async fn get_plain_css() -> Response {
    plain_file("text/css; charset=utf-8", PLAIN_CSS)
}

async fn get_plain_js() -> Response {
    plain_file("text/javascript; charset=utf-8", PLAIN_JS)
}

async fn get_setup_page(Query(q): Query<TokenQuery>) -> Html<String> {
    page(&format!(
        "<h1>Create the first admin</h1>\
         <p>This link works once. The account you create here runs the group: choose a handle \
         that does not identify you, and a password of at least 10 characters.</p>\
         <form method=\"post\" action=\"/setup\">\
         <input type=\"hidden\" name=\"token\" value=\"{}\">\
         <p><label>Handle <input name=\"handle\" required minlength=\"3\" maxlength=\"32\" autocomplete=\"username\"></label></p>\
         <p><label>Email <input name=\"email\" type=\"email\" required autocomplete=\"email\"></label></p>\
         <p><label>Password <input name=\"password\" type=\"password\" required minlength=\"10\" autocomplete=\"new-password\"></label></p>\
         <p><button type=\"submit\">Create admin</button></p></form>",
        escape(&q.token)
    ))
}

async fn submit_setup_form(
    State(state): State<AppState>,
    axum::Form(body): axum::Form<SetupBody>,
) -> Response {
    if [&body.token, &body.handle, &body.email, &body.password]
        .iter()
        .any(|f| f.contains('\0'))
    {
        return (
            axum::http::StatusCode::BAD_REQUEST,
            page(&format!("<h1>Not yet</h1><p>{}</p>", ApiError::InvalidText)),
        )
            .into_response();
    }
    match state
        .app
        .complete_setup(&body.token, &body.handle, &body.email, &body.password)
        .await
    {
        Ok(admin) => page(&format!(
            "<h1>Done</h1><p>The admin <strong>{}</strong> was created. This setup link no longer \
             works.</p><p>Staff need a second factor: next, sign in and set up an authenticator \
             app (a phone app or password manager that shows six-digit codes). \
             <a href=\"/account/security\">Sign in and set it up</a>.</p>",
            escape(&admin.handle)
        ))
        .into_response(),
        Err(e) => {
            let message = e.public_message();
            let (status, _) = ApiError::from(e).status_and_code();
            let token = escape(&body.token);
            (
                status,
                page(&format!(
                    "<h1>Not yet</h1><p>{}</p><p><a href=\"/setup?token={token}\">Try again</a></p>",
                    escape(&message)
                )),
            )
                .into_response()
        }
    }
}
