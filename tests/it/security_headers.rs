//! Security headers on everything the server answers (an HTML page, API answers signed in and
//! out, JSON errors and 404s, health checks, the websocket upgrade), and over https: HSTS and a
//! `__Host-` session cookie. On SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::TestApp;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

/// The public URL of the https server in these tests; it still listens on plain http locally,
/// as it would behind a TLS reverse proxy.
const PUBLIC: &str = "https://forum.example.org";

/// The CSP directives every response must carry.
const CSP_DIRECTIVES: &[&str] = &[
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
];

/// Asserts the headers every response carries. `https` says whether HSTS must be there (it must
/// be absent otherwise: HSTS over plain http is meaningless and a misconfiguration sign).
fn assert_security_headers(what: &str, h: &HeaderMap, https: bool) {
    let get = |name: &str| {
        h.get(name)
            .unwrap_or_else(|| panic!("{what}: no {name} header in {h:?}"))
            .to_str()
            .unwrap()
            .to_owned()
    };
    let csp = get("content-security-policy");
    let directives: Vec<&str> = csp.split(';').map(str::trim).collect();
    for d in CSP_DIRECTIVES {
        assert!(directives.contains(d), "{what}: CSP lacks {d:?}: {csp}");
    }
    let connect = directives
        .iter()
        .find(|d| d.starts_with("connect-src "))
        .unwrap_or_else(|| panic!("{what}: CSP has no connect-src: {csp}"));
    let sources: Vec<&str> = connect.split_whitespace().skip(1).collect();
    assert_eq!(sources[0], "'self'", "{what}: {csp}");
    for s in &sources[1..] {
        // Only the site's own websocket origin may be named beside 'self'.
        assert!(
            s.starts_with("ws://127.0.0.1:") || *s == "wss://forum.example.org",
            "{what}: unexpected connect-src source {s}: {csp}"
        );
    }
    assert!(!csp.contains("unsafe-"), "{what}: {csp}");
    assert_eq!(get("referrer-policy"), "no-referrer", "{what}");
    assert_eq!(get("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(get("x-frame-options"), "DENY", "{what}");
    assert_eq!(get("cross-origin-opener-policy"), "same-origin", "{what}");
    let permissions = get("permissions-policy");
    for feature in ["camera=()", "microphone=()", "geolocation=()"] {
        assert!(
            permissions.contains(feature),
            "{what}: Permissions-Policy lacks {feature}: {permissions}"
        );
    }
    if https {
        assert_eq!(
            get("strict-transport-security"),
            "max-age=63072000; includeSubDomains",
            "{what}"
        );
    } else {
        assert!(
            h.get("strict-transport-security").is_none(),
            "{what}: HSTS over plain http"
        );
    }
}

fn assert_no_store(what: &str, h: &HeaderMap) {
    assert_eq!(
        h.get("cache-control").map(|v| v.to_str().unwrap()),
        Some("no-store"),
        "{what}: API answers hold member data and must not be cached"
    );
}

/// A request sent by hand (no cookie jar), so the test sees and controls every header.
async fn raw(
    method: reqwest::Method,
    url: &str,
    origin: Option<&str>,
    cookie: Option<&str>,
    body: Option<Value>,
) -> reqwest::Response {
    let mut rb = reqwest::Client::new().request(method, url);
    if let Some(o) = origin {
        rb = rb.header("Origin", o);
    }
    if let Some(c) = cookie {
        rb = rb.header("Cookie", c);
    }
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    rb.send().await.unwrap()
}

/// Attempts the websocket upgrade on `/api/ws` and answers the status and headers of whatever
/// the server said (101 if the socket opened, an error answer otherwise, or a 404 before the
/// route exists): the headers must be there in every case.
async fn websocket_answer(
    base: &str,
    origin: &str,
    cookie: Option<&str>,
) -> (StatusCode, HeaderMap) {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::http::HeaderValue;
    let url = format!("{}/api/ws", base.replacen("http://", "ws://", 1));
    let mut req = url.into_client_request().unwrap();
    req.headers_mut()
        .insert("Origin", HeaderValue::from_str(origin).unwrap());
    if let Some(c) = cookie {
        req.headers_mut()
            .insert("Cookie", HeaderValue::from_str(c).unwrap());
    }
    let (status, headers) = match tokio_tungstenite::connect_async(req).await {
        Ok((mut socket, resp)) => {
            let _ = socket.close(None).await;
            (resp.status(), resp.headers().clone())
        }
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            (resp.status(), resp.headers().clone())
        }
        Err(e) => panic!("websocket upgrade failed without an HTTP answer: {e}"),
    };
    // Convert from tungstenite's http types to reqwest's (the same `http` crate, possibly
    // another version), header by header.
    let mut out = HeaderMap::new();
    for (name, value) in &headers {
        out.append(
            reqwest::header::HeaderName::from_bytes(name.as_str().as_bytes()).unwrap(),
            reqwest::header::HeaderValue::from_bytes(value.as_bytes()).unwrap(),
        );
    }
    (StatusCode::from_u16(status.as_u16()).unwrap(), out)
}

/// The `name=value` part of a `Set-Cookie` header.
fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().trim().to_owned()
}

async fn every_kind_of_answer_carries_the_headers(app: TestApp) {
    use reqwest::Method;
    let base = app.base.clone();
    let site = Some(base.as_str());

    // An HTML page (the first-run setup form).
    let resp = raw(Method::GET, &format!("{base}/setup"), None, None, None).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert_security_headers("GET /setup", resp.headers(), false);
    assert_no_store("GET /setup (carries the one-time token)", resp.headers());

    // An API answer, signed out (401).
    let resp = raw(
        Method::GET,
        &format!("{base}/api/session"),
        None,
        None,
        None,
    )
    .await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_security_headers("GET /api/session (401)", resp.headers(), false);
    assert_no_store("GET /api/session (401)", resp.headers());

    // Signed in as the first admin (200), through the harness...
    let admin = app.admin().await;
    let resp = admin
        .request(Method::GET, "/api/session")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_security_headers("GET /api/session (200)", resp.headers(), false);
    assert_no_store("GET /api/session (200)", resp.headers());
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["member"]["handle"], "first_admin", "{body}");

    // ...and by hand, to hold the cookie for the websocket upgrade. The sign-in answer itself
    // (which sets the cookie) carries the headers too.
    let resp = raw(
        Method::POST,
        &format!("{base}/api/session"),
        site,
        None,
        Some(json!({"login": "first_admin", "password": "admin-password-1"})),
    )
    .await;
    // 202: the password is right and the admin's second factor is asked next.
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    assert_security_headers("POST /api/session", resp.headers(), false);
    assert_no_store("POST /api/session", resp.headers());
    let set_cookie = resp.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(set_cookie.starts_with("hearth_session="), "{set_cookie}");
    let pending = cookie_pair(&set_cookie);
    let code = common::factors::next_code(&base, "first_admin").unwrap();
    let resp = raw(
        Method::POST,
        &format!("{base}/api/session/second-factor"),
        site,
        Some(pending.as_str()),
        Some(json!({ "code": code })),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_security_headers("POST /api/session/second-factor", resp.headers(), false);
    assert_no_store("POST /api/session/second-factor", resp.headers());
    let set_cookie = resp.headers()["set-cookie"].to_str().unwrap().to_owned();
    let cookie = cookie_pair(&set_cookie);

    // A JSON 404 under /api, and one outside it.
    let resp = raw(
        Method::GET,
        &format!("{base}/api/no-such-thing"),
        None,
        None,
        None,
    )
    .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert_security_headers("GET /api/no-such-thing (404)", resp.headers(), false);
    assert_no_store("GET /api/no-such-thing (404)", resp.headers());
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found", "{body}");
    // Outside /api an unknown path is the web client's to route (it may answer its page, or a
    // 404): the headers are there either way. So is the web client's own page.
    for path in ["/no-such-page", "/"] {
        let resp = raw(Method::GET, &format!("{base}{path}"), None, None, None).await;
        let status = resp.status();
        assert!(
            status == StatusCode::OK || status == StatusCode::NOT_FOUND,
            "GET {path}: {status}"
        );
        assert_security_headers(&format!("GET {path} ({status})"), resp.headers(), false);
    }

    // Errors made by layers rather than handlers: a cross-site state change (403 from the
    // origin check, which sits under the headers layer) and a method with no route.
    let resp = raw(
        Method::POST,
        &format!("{base}/api/session"),
        Some("https://evil.example"),
        None,
        Some(json!({"login": "first_admin", "password": "admin-password-1"})),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_security_headers("cross-origin POST (403)", resp.headers(), false);
    assert_no_store("cross-origin POST (403)", resp.headers());
    let resp = raw(Method::PUT, &format!("{base}/healthz"), site, None, None).await;
    assert!(resp.status().is_client_error(), "{}", resp.status());
    assert_security_headers("PUT /healthz", resp.headers(), false);

    // Health checks.
    for path in ["/healthz", "/readyz"] {
        let resp = raw(Method::GET, &format!("{base}{path}"), None, None, None).await;
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        assert_security_headers(path, resp.headers(), false);
    }

    // The websocket upgrade, signed in and signed out: whatever /api/ws answers (101, 401, or a
    // 404 while the route does not exist yet) carries the headers.
    let (status, headers) = websocket_answer(&base, &base, Some(&cookie)).await;
    assert_security_headers(
        &format!("GET /api/ws signed in ({status})"),
        &headers,
        false,
    );
    assert_no_store(&format!("GET /api/ws signed in ({status})"), &headers);
    let (status, headers) = websocket_answer(&base, &base, None).await;
    assert_ne!(
        status,
        StatusCode::SWITCHING_PROTOCOLS,
        "no socket without a session"
    );
    assert_security_headers(
        &format!("GET /api/ws signed out ({status})"),
        &headers,
        false,
    );
}

async fn over_https_hsts_and_a_host_prefixed_secure_cookie(mut app: TestApp) {
    use reqwest::Method;
    // Restart the server on the same fresh database, told that browsers reach it over https.
    if let Some(r) = app.running.take() {
        r.stop().await.unwrap();
    }
    let mut config = common::test_config(&app.db.url);
    config.public_url = Some(PUBLIC.to_owned());
    let running = hearth_server::start(config, app.clock.as_clock())
        .await
        .unwrap();
    let base = format!("http://{}", running.addr);
    let origin = Some(PUBLIC);

    // Any answer, even before anyone signs in, carries HSTS.
    let resp = raw(Method::GET, &format!("{base}/healthz"), None, None, None).await;
    assert_security_headers("GET /healthz over https", resp.headers(), true);
    let csp = resp.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("connect-src 'self' wss://forum.example.org;"),
        "{csp}"
    );

    // Create the first admin (state changes carry the public origin, as a browser would).
    let link = running.state.app.first_run_link().await.unwrap().unwrap();
    assert!(link.starts_with(PUBLIC), "{link}");
    let token = link.split("token=").nth(1).unwrap();
    let resp = raw(
        Method::POST,
        &format!("{base}/api/setup"),
        origin,
        None,
        Some(json!({"token": token, "handle": "tls_admin", "email": "tls@example.org", "password": "admin-password-1"})),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert_security_headers("POST /api/setup over https", resp.headers(), true);

    // Sign in: the cookie is `__Host-` prefixed, Secure, Path=/, and has no Domain.
    let resp = raw(
        Method::POST,
        &format!("{base}/api/session"),
        origin,
        None,
        Some(json!({"login": "tls_admin", "password": "admin-password-1"})),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_security_headers("POST /api/session over https", resp.headers(), true);
    let set_cookie = resp.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        set_cookie.starts_with("__Host-hearth_session="),
        "{set_cookie}"
    );
    let attributes: Vec<String> = set_cookie
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect();
    for wanted in ["secure", "httponly", "path=/", "samesite=strict"] {
        assert!(
            attributes.iter().any(|a| a == wanted),
            "{wanted} missing: {set_cookie}"
        );
    }
    assert!(
        !attributes.iter().any(|a| a.starts_with("domain")),
        "a __Host- cookie must not name a Domain: {set_cookie}"
    );
    let cookie = cookie_pair(&set_cookie);

    // The server reads the prefixed cookie back.
    let resp = raw(
        Method::GET,
        &format!("{base}/api/session"),
        None,
        Some(&cookie),
        None,
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_security_headers("GET /api/session over https", resp.headers(), true);
    assert_no_store("GET /api/session over https", resp.headers());
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["member"]["handle"], "tls_admin", "{body}");

    // The origin check recognises the prefixed cookie: a state change riding on the session
    // with no Origin or Referer is refused; from the public origin it works.
    let resp = raw(
        Method::DELETE,
        &format!("{base}/api/session"),
        None,
        Some(&cookie),
        None,
    )
    .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "cross_origin", "{body}");
    let resp = raw(
        Method::DELETE,
        &format!("{base}/api/session"),
        origin,
        Some(&cookie),
        None,
    )
    .await;
    assert!(resp.status().is_success(), "{}", resp.status());
    assert_security_headers("DELETE /api/session over https", resp.headers(), true);

    // 404s and the websocket path carry HSTS as well.
    let resp = raw(
        Method::GET,
        &format!("{base}/api/nothing"),
        None,
        None,
        None,
    )
    .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert_security_headers("404 over https", resp.headers(), true);
    let (status, headers) = websocket_answer(&base, PUBLIC, None).await;
    assert_security_headers(
        &format!("GET /api/ws over https ({status})"),
        &headers,
        true,
    );

    running.stop().await.unwrap();
}

on_both_backends!(
    every_kind_of_answer_carries_the_headers,
    over_https_hsts_and_a_host_prefixed_secure_cookie,
);
