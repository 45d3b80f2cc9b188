//! The browser app, served from the binary: `build.rs` builds `web-client/` with npm and embeds
//! its `dist/` (or, without npm, a page saying how to build it).
//!
//! - `/` and any other GET that is not the API or an operator's endpoint answer `index.html`
//!   (the app routes on the path itself), with `Cache-Control: no-store` so a new release is
//!   picked up at once and nothing is kept on a shared device.
//! - `/assets/*` are Vite's content-hashed files: cached for a year, immutable.
//! - Unknown `/api/*` paths (and non-GET requests to unknown paths) keep the JSON 404.
//!
//! This router uses a catch-all route rather than a fallback, because the main router owns the
//! fallback (JSON 404) and axum refuses to merge two routers that both have one.

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};

use crate::error::ApiError;
use crate::state::AppState;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));
}

/// Whether the real web client is embedded (false: the "not built" placeholder page).
pub const CLIENT_BUILT: bool = embedded::BUILT;

/// Paths that never fall back to the app: the API and what operators and scripts call.
const NOT_THE_APP: &[&str] = &["/api", "/healthz", "/readyz", "/metrics", "/setup"];

/// `/`, `/assets/*`, the other files in the client's build, and the app for every other page.
pub fn router() -> Router<AppState> {
    routes()
}

/// The routes, for any state (they use none), so tests can drive them without a database.
fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(get_index))
        .route("/assets/{*path}", get(get_asset))
        .route("/{*path}", any(get_page))
}

fn file(path: &str) -> Option<&'static [u8]> {
    embedded::FILES
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, bytes)| *bytes)
}

fn content_type(path: &str) -> &'static str {
    let ext = path.rsplit_once('.').map_or("", |(_, e)| e);
    match ext.to_ascii_lowercase().as_str() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn respond(path: &str, bytes: &'static [u8], cache: &'static str) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(path)),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// The app's page. Never cached: it names the current release's assets, and a shared device
/// should keep as little as possible. (CSP, framing and referrer headers are set for every
/// response by `crate::headers`.)
fn index() -> Response {
    match file("index.html") {
        Some(bytes) => respond("index.html", bytes, "no-store"),
        None => (StatusCode::SERVICE_UNAVAILABLE, "the web client is missing").into_response(),
    }
}

async fn get_index() -> Response {
    index()
}

/// A content-hashed asset; a missing one is a 404, never the page (that would hide the error).
async fn get_asset(req: Request) -> Response {
    let path = req.uri().path().trim_start_matches('/');
    match file(path) {
        Some(bytes) => respond(path, bytes, "public, max-age=31536000, immutable"),
        None => ApiError::NoRoute.into_response(),
    }
}

/// Any other path: a file from the build's root (the icon), else the app for a page, else the
/// server's usual JSON 404.
async fn get_page(req: Request) -> Response {
    let path = req.uri().path();
    let is_read = matches!(*req.method(), Method::GET | Method::HEAD);
    let reserved = NOT_THE_APP
        .iter()
        .any(|p| path == *p || path.strip_prefix(p).is_some_and(|r| r.starts_with('/')));
    if !is_read || reserved {
        return ApiError::NoRoute.into_response();
    }
    let relative = path.trim_start_matches('/');
    if relative != "index.html"
        && !relative.starts_with("assets/")
        && let Some(bytes) = file(relative)
    {
        return respond(relative, bytes, "public, max-age=86400");
    }
    index()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use axum::body::Body;
    use axum::http::{Method, Request, StatusCode, header};
    use tower::ServiceExt;

    use super::{content_type, embedded, file, routes};
    use crate::error::ApiError;

    /// The web routes as the server mounts them: beside an API route, under the JSON 404.
    fn app() -> axum::Router {
        routes::<()>()
            .route("/api/known", axum::routing::post(|| async { "ok" }))
            .fallback(|| async { ApiError::NoRoute })
    }

    async fn send(
        method: Method,
        path: &str,
    ) -> (StatusCode, Option<String>, Option<String>, String) {
        let response = app()
            .oneshot(
                Request::builder()
                    .method(method)
                    .uri(path)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        let status = response.status();
        let header = |h| {
            response
                .headers()
                .get(h)
                .map(|v: &axum::http::HeaderValue| v.to_str().unwrap().to_owned())
        };
        let (ct, cc) = (header(header::CONTENT_TYPE), header(header::CACHE_CONTROL));
        let body = axum::body::to_bytes(response.into_body(), 1 << 24)
            .await
            .unwrap();
        (status, ct, cc, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn pages_get_the_app_and_the_api_keeps_its_json_404() {
        for path in ["/", "/sign-in", "/admin/members", "/some/deep/page?x=1"] {
            let (status, ct, cc, body) = send(Method::GET, path).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            assert_eq!(ct.as_deref(), Some("text/html; charset=utf-8"), "{path}");
            assert_eq!(cc.as_deref(), Some("no-store"), "{path}");
            assert!(body.contains("<title>Notes</title>"), "{path}: {body}");
        }
        for (method, path) in [
            (Method::GET, "/api/nope"),
            (Method::GET, "/api"),
            (Method::POST, "/api/nope"),
            (Method::GET, "/metrics"),
            (Method::GET, "/setup/x"),
            (Method::POST, "/sign-in"),
            (Method::GET, "/assets/missing.js"),
        ] {
            let (status, ct, _, body) = send(method.clone(), path).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}");
            assert_eq!(ct.as_deref(), Some("application/json"), "{method} {path}");
            assert!(body.contains("\"not_found\""), "{method} {path}: {body}");
        }
        // A matched API route is untouched.
        let (status, _, _, body) = send(Method::POST, "/api/known").await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "ok"));
    }

    #[tokio::test]
    async fn hashed_assets_are_cached_for_long() {
        let Some((path, bytes)) = embedded::FILES
            .iter()
            .find(|(p, _)| p.starts_with("assets/"))
        else {
            // The placeholder page has no assets (built without npm).
            return;
        };
        let (status, _, cc, body) = send(Method::GET, &format!("/{path}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(cc.as_deref(), Some("public, max-age=31536000, immutable"));
        assert_eq!(body.len(), bytes.len());
    }

    #[test]
    fn the_page_is_embedded() {
        assert!(file("index.html").is_some());
    }

    #[test]
    fn content_types() {
        assert_eq!(
            content_type("assets/index-abc.js"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type("favicon.svg"), "image/svg+xml");
        assert_eq!(content_type("x.unknown"), "application/octet-stream");
    }
}
