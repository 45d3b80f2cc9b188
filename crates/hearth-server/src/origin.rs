//! Cross-site request protection on top of SameSite cookies: a state-changing request that
//! carries an `Origin` (or, failing that, a `Referer`) must come from the configured public
//! origin. A request with neither is let through only if it carries no session cookie (such a
//! request cannot ride on a member's session, and scripts like `curl` send neither).

use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::config::Config;
use crate::error::ApiError;
use crate::state::AppState;

/// The session cookie's name over plain http (a laptop, the tests).
pub const SESSION_COOKIE: &str = "hearth_session";

/// The session cookie's name over https. Browsers accept a `__Host-` cookie only if it is
/// `Secure`, has `Path=/` and no `Domain`, so neither a plain-http page nor a sibling subdomain
/// can set or overwrite a member's session.
pub const SECURE_SESSION_COOKIE: &str = "__Host-hearth_session";

/// The session cookie's name for this configuration: `__Host-` prefixed when served over https.
pub fn session_cookie_name(config: &Config) -> &'static str {
    if config.is_https() {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    }
}

fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    Some(format!(
        "{}://{}",
        scheme.to_ascii_lowercase(),
        host.to_ascii_lowercase()
    ))
}

/// Whether `claimed` (an `Origin` header's value) is the forum's own origin, as the public URL
/// gives it (scheme and host compared without case; any path on the public URL ignored). The
/// one comparison both the state-change check and the websocket upgrade make.
pub fn is_our_origin(config: &Config, claimed: &str) -> bool {
    claimed != "null"
        && origin_of(claimed).is_some()
        && origin_of(claimed) == origin_of(&config.public_url())
}

/// Middleware: refuses cross-origin state changes with 403 `cross_origin`.
pub async fn check_origin(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let headers = req.headers();
    let claimed = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .filter(|v| *v != "null")
        .map(str::to_owned)
        .or_else(|| {
            headers
                .get(header::REFERER)
                .and_then(|v| v.to_str().ok())
                .and_then(origin_of)
        });
    let cookie_name = session_cookie_name(&state.config);
    let has_session_cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|c| {
            c.split(';').any(|p| {
                p.split_once('=')
                    .is_some_and(|(name, _)| name.trim() == cookie_name)
            })
        });
    // Every page is sent with `Referrer-Policy: no-referrer`, so a browser posting a form from
    // one of our own pages (first-run setup, a password reset) says `Origin: null` and sends
    // no `Referer`. `Sec-Fetch-Site` is set by the browser itself (no page can forge it), and
    // `same-origin` then says the form is ours; `null` from anywhere else is still refused.
    let null_from_our_page = headers
        .get(header::ORIGIN)
        .is_some_and(|v| v.as_bytes() == b"null")
        && headers
            .get("sec-fetch-site")
            .is_some_and(|v| v.as_bytes() == b"same-origin");
    let allowed = match claimed {
        Some(origin) => is_our_origin(&state.config, &origin),
        None => {
            null_from_our_page || (!has_session_cookie && headers.get(header::ORIGIN).is_none())
        }
    };
    if allowed {
        next.run(req).await
    } else {
        tracing::warn!(method = %req.method(), "cross-origin state change refused");
        ApiError::CrossOrigin.into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::{is_our_origin, origin_of};
    use crate::config::Config;

    #[test]
    fn origins() {
        assert_eq!(
            origin_of("https://Forum.example.org/path?x=1").as_deref(),
            Some("https://forum.example.org")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:8080").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(origin_of("nonsense"), None);
    }

    /// The state-change check and the websocket upgrade agree: a public URL with a path or a
    /// trailing slash, or in other case, still names the same origin (the socket's own check
    /// once compared the whole URL and refused the forum's own pages behind such a URL).
    #[test]
    fn one_comparison_for_every_check() {
        let config = Config {
            public_url: Some("https://Forum.example.org/support/".to_owned()),
            ..Config::default()
        };
        assert!(is_our_origin(&config, "https://forum.example.org"));
        assert!(is_our_origin(&config, "https://FORUM.example.org"));
        assert!(!is_our_origin(&config, "http://forum.example.org"));
        assert!(!is_our_origin(
            &config,
            "https://forum.example.org.evil.test"
        ));
        assert!(!is_our_origin(&config, "null"));
        assert!(!is_our_origin(&config, ""));
    }
}
