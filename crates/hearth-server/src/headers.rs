//! Security headers on every response: pages, API answers, the websocket upgrade, errors and
//! 404s alike. The layer is the outermost one in [`crate::router`], so nothing the server answers
//! escapes it.
//!
//! Why each header is here:
//! - `Content-Security-Policy`: the web client is built to need no inline script or style, so
//!   only the site's own files may run or style the page. Should a post ever slip markup past the
//!   sanitiser, the browser still refuses to run it, to send data elsewhere, or to be framed.
//! - `Referrer-Policy: no-referrer`: a link clicked in a post must not tell another site that
//!   the member came from this forum (which would itself reveal something sensitive).
//! - `X-Content-Type-Options`, `X-Frame-Options`, `Cross-Origin-Opener-Policy`,
//!   `Cross-Origin-Resource-Policy`, `Permissions-Policy`: close old sniffing, framing and
//!   cross-window tricks, and switch off device features the forum never uses.
//! - `Cache-Control: no-store` on `/api/*` (and the one-time `/setup` and `/reset` pages): these answers hold
//!   member data, which must not be left in a shared or browser cache. A handler that sets its
//!   own `Cache-Control` keeps it.
//! - `Strict-Transport-Security`, only when the public URL is https: once a browser has seen the
//!   site over https it never again tries plain http, so a network attacker cannot strip TLS.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::config::Config;

/// The policy for everything the server answers. `connect-src` also names the public origin's
/// websocket form (`wss://host`): CSP3 makes `'self'` cover same-origin websockets, but Safari
/// before version 16 (iPhones that cannot update past iOS 15) did not, and would refuse the
/// realtime socket.
fn content_security_policy(config: &Config) -> String {
    let public = config.public_url();
    let socket_origin = public
        .strip_prefix("https://")
        .map(|host| format!(" wss://{host}"))
        .or_else(|| {
            public
                .strip_prefix("http://")
                .map(|host| format!(" ws://{host}"))
        })
        .unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; \
         connect-src 'self'{socket_origin}; font-src 'self'; object-src 'none'; \
         base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    )
}

/// Device and browser features the forum never uses, all switched off.
const PERMISSIONS_POLICY: &str = "accelerometer=(), autoplay=(), browsing-topics=(), camera=(), \
     display-capture=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), midi=(), \
     payment=(), publickey-credentials-get=(), screen-wake-lock=(), serial=(), usb=(), \
     xr-spatial-tracking=()";

/// Two years, with subdomains: the value HSTS preload lists ask for.
const HSTS: &str = "max-age=63072000; includeSubDomains";

/// The headers to set, worked out once from the configuration and shared by every request
/// (read-only, so no lock).
#[derive(Clone)]
pub struct SecurityHeaders {
    always: Arc<HeaderMap>,
}

impl SecurityHeaders {
    /// The headers for this configuration (HSTS only when the public URL is https).
    pub fn new(config: &Config) -> SecurityHeaders {
        let mut always = HeaderMap::new();
        let mut set = |name: HeaderName, value: &str| {
            // Every value is ASCII we wrote ourselves or a validated http(s) URL; a value that
            // still cannot be a header (a control character in the public URL) is left out
            // rather than taking the server down.
            match HeaderValue::from_str(value) {
                Ok(v) => {
                    always.insert(name, v);
                }
                Err(_) => tracing::error!(header = %name, "security header value is not valid"),
            }
        };
        set(
            header::CONTENT_SECURITY_POLICY,
            &content_security_policy(config),
        );
        set(header::REFERRER_POLICY, "no-referrer");
        set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
        set(header::X_FRAME_OPTIONS, "DENY");
        set(
            HeaderName::from_static("permissions-policy"),
            PERMISSIONS_POLICY,
        );
        set(
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        );
        set(
            HeaderName::from_static("cross-origin-resource-policy"),
            "same-origin",
        );
        if config.is_https() {
            set(header::STRICT_TRANSPORT_SECURITY, HSTS);
        }
        SecurityHeaders {
            always: Arc::new(always),
        }
    }

    /// Puts the headers on one response. The security headers replace whatever a handler set, so
    /// no handler can weaken them by accident; `Cache-Control` is only added where absent.
    fn apply(&self, no_store: bool, headers: &mut HeaderMap) {
        for (name, value) in self.always.iter() {
            headers.insert(name.clone(), value.clone());
        }
        if no_store && !headers.contains_key(header::CACHE_CONTROL) {
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
    }
}

/// Whether answers on this path hold member data (or a one-time secret) and must not be cached.
fn holds_private_data(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/") || path == "/setup" || path == "/reset"
}

/// Middleware (use with `axum::middleware::from_fn_with_state`): sets the security headers on
/// every response, whatever produced it.
pub async fn set_security_headers(
    State(headers): State<SecurityHeaders>,
    req: Request,
    next: Next,
) -> Response {
    let no_store = holds_private_data(req.uri().path());
    let mut response = next.run(req).await;
    headers.apply(no_store, response.headers_mut());
    response
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn config(public_url: Option<&str>) -> Config {
        Config {
            public_url: public_url.map(str::to_owned),
            ..Config::default()
        }
    }

    #[test]
    fn hsts_only_over_https() {
        let plain = SecurityHeaders::new(&config(None));
        assert!(!plain.always.contains_key(header::STRICT_TRANSPORT_SECURITY));
        let tls = SecurityHeaders::new(&config(Some("https://forum.example.org")));
        assert_eq!(
            tls.always[header::STRICT_TRANSPORT_SECURITY],
            "max-age=63072000; includeSubDomains"
        );
    }

    #[test]
    fn csp_names_the_socket_origin() {
        let csp = content_security_policy(&config(Some("https://forum.example.org")));
        assert!(
            csp.contains("connect-src 'self' wss://forum.example.org;"),
            "{csp}"
        );
        let csp = content_security_policy(&config(None));
        assert!(
            csp.contains("connect-src 'self' ws://127.0.0.1:8080;"),
            "{csp}"
        );
        assert!(!csp.contains("unsafe"), "{csp}");
    }

    #[test]
    fn cache_control_is_kept_when_a_handler_set_it() {
        let h = SecurityHeaders::new(&config(None));
        let mut map = HeaderMap::new();
        map.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("max-age=60"),
        );
        h.apply(true, &mut map);
        assert_eq!(map[header::CACHE_CONTROL], "max-age=60");
        let mut map = HeaderMap::new();
        h.apply(true, &mut map);
        assert_eq!(map[header::CACHE_CONTROL], "no-store");
        let mut map = HeaderMap::new();
        h.apply(false, &mut map);
        assert!(!map.contains_key(header::CACHE_CONTROL));
        assert!(holds_private_data("/api/session"));
        assert!(!holds_private_data("/apixyz"));
        assert!(!holds_private_data("/healthz"));
    }
}
