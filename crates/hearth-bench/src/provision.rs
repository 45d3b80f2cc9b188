//! Setting Hearth up for a run over its HTTP API, as an operator would: the admin signs in,
//! makes rooms (no slow mode for new members), members apply and are approved, the senders are
//! promoted to moderator (so the new-member rules never hold their chat), and everyone signs in
//! once; their session cookies are then used for as many sockets as the run needs.
//!
//! Staff need a second factor (`HEARTH_STAFF_SECOND_FACTOR=required`, the default): the admin
//! and the senders enrol an authenticator app as they are made staff, and codes are computed
//! here (RFC 6238) when the admin signs in again.

use anyhow::{Context, bail};
use futures_util::{StreamExt, TryStreamExt};
use serde_json::{Value, json};

/// The first admin's handle and password (made with `hearth admin create` or in-process).
pub const ADMIN_HANDLE: &str = "bench_admin";
/// See [`ADMIN_HANDLE`].
pub const ADMIN_PASSWORD: &str = "bench-admin-password-1";

/// A member's handle in run order.
pub fn member_handle(i: usize) -> String {
    format!("bench_m{i}")
}

fn member_password(i: usize) -> String {
    format!("bench-member-{i}-password")
}

/// A cookie-keeping client that sends the site's `Origin` on every request.
#[derive(Clone)]
pub struct Site {
    /// `http://127.0.0.1:port`.
    pub base: String,
    http: reqwest::Client,
}

impl Site {
    /// A fresh client for `base`.
    pub fn new(base: &str) -> anyhow::Result<Site> {
        Ok(Site {
            base: base.to_owned(),
            http: reqwest::Client::builder().cookie_store(true).build()?,
        })
    }

    /// Sends `body` with `method` to `path`; answers the status and JSON body.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<(reqwest::StatusCode, Value)> {
        let mut rb = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("Origin", &self.base);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let resp = rb
            .send()
            .await
            .with_context(|| format!("request to {path}"))?;
        let status = resp.status();
        let text = resp.text().await?;
        Ok((
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        ))
    }

    /// POSTs and fails unless the status is a success.
    pub async fn post_ok(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        let (status, v) = self.call(reqwest::Method::POST, path, Some(body)).await?;
        if !status.is_success() {
            bail!("POST {path}: {status}: {v}");
        }
        Ok(v)
    }

    /// Signs in; answers the response body. With a second factor enrolled by this process,
    /// gives a code from it; staff without one enrol one at once.
    pub async fn sign_in(&self, login: &str, password: &str) -> anyhow::Result<Value> {
        let (status, v) = self
            .call(
                reqwest::Method::POST,
                "/api/session",
                Some(json!({"login": login, "password": password})),
            )
            .await?;
        if status == reqwest::StatusCode::ACCEPTED {
            let secret = secret_of(&self.base, login)
                .with_context(|| format!("{login} has a second factor this run did not enrol"))?;
            return self
                .post_ok(
                    "/api/session/second-factor",
                    json!({"code": fresh_code(&self.base, login, &secret)?}),
                )
                .await
                .with_context(|| format!("second step of {login}"));
        }
        if !status.is_success() {
            bail!("sign-in of {login}: {status}: {v}");
        }
        let (_, session) = self
            .call(reqwest::Method::GET, "/api/session", None)
            .await?;
        if session["member"]["second_factor_required"] == true {
            self.enrol_totp(login).await?;
        }
        Ok(v)
    }

    /// Enrols an authenticator app for the member signed in here (named `login` for later
    /// sign-ins by this process).
    pub async fn enrol_totp(&self, login: &str) -> anyhow::Result<()> {
        let begun = self.post_ok("/api/me/factors/totp", json!({})).await?;
        let secret = begun["secret"]
            .as_str()
            .context("enrolment answered no secret")?
            .to_owned();
        remember_secret(&self.base, login, &secret);
        let code = fresh_code(&self.base, login, &secret)?;
        self.post_ok("/api/me/factors/totp/confirm", json!({ "code": code }))
            .await
            .with_context(|| format!("confirming {login}'s authenticator app"))?;
        Ok(())
    }
}

/// (server, login) -> (secret, last step used): the authenticator apps this process enrolled.
type Enrolled = std::collections::HashMap<(String, String), (String, i64)>;
static ENROLLED: std::sync::LazyLock<std::sync::Mutex<Enrolled>> =
    std::sync::LazyLock::new(|| std::sync::Mutex::new(Enrolled::new()));

fn remember_secret(base: &str, login: &str, secret: &str) {
    if let Ok(mut m) = ENROLLED.lock() {
        m.insert((base.to_owned(), login.to_owned()), (secret.to_owned(), 0));
    }
}

fn secret_of(base: &str, login: &str) -> Option<String> {
    ENROLLED
        .lock()
        .ok()?
        .get(&(base.to_owned(), login.to_owned()))
        .map(|(s, _)| s.clone())
}

/// A code never used before by this process: a step's code is accepted once, so a second use
/// within a step takes the next step's code (the server allows one step of drift).
fn fresh_code(base: &str, login: &str, secret: &str) -> anyhow::Result<String> {
    let bytes = totp_rs::Secret::Encoded(secret.to_owned())
        .to_bytes()
        .map_err(|e| anyhow::anyhow!("secret: {e:?}"))?;
    let totp = totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes)
        .map_err(|e| anyhow::anyhow!("TOTP: {e}"))?;
    let here = chrono::Utc::now().timestamp().div_euclid(30);
    let mut m = ENROLLED
        .lock()
        .map_err(|_| anyhow::anyhow!("enrolment registry poisoned"))?;
    let last = m
        .get(&(base.to_owned(), login.to_owned()))
        .map_or(0, |(_, l)| *l);
    let step = here.max(last + 1);
    if step > here + 1 {
        bail!("{login} signed in too often for one 30-second step");
    }
    m.insert(
        (base.to_owned(), login.to_owned()),
        (secret.to_owned(), step),
    );
    Ok(totp.generate(u64::try_from(step * 30)?))
}

/// Signs in without a cookie jar; answers the session cookie (`name=value`) and member id.
pub async fn session_cookie(
    base: &str,
    login: &str,
    password: &str,
) -> anyhow::Result<(String, String)> {
    let resp = reqwest::Client::new()
        .post(format!("{base}/api/session"))
        .header("Origin", base)
        .json(&json!({"login": login, "password": password}))
        .send()
        .await?;
    if !resp.status().is_success() {
        bail!("sign-in of {login}: {}", resp.status());
    }
    let cookie = resp
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .context("sign-in answered no session cookie")?
        .to_owned();
    let body: Value = resp.json().await?;
    let id = body["member"]["id"]
        .as_str()
        .context("sign-in answered no member id")?
        .to_owned();
    Ok((cookie, id))
}

/// Enrols an authenticator app for the session `cookie` (of `login`).
async fn enrol_with_cookie(base: &str, cookie: &str, login: &str) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let call = |path: &str, body: Value| {
        http.post(format!("{base}{path}"))
            .header("Origin", base)
            .header("Cookie", cookie)
            .json(&body)
            .send()
    };
    let begun: Value = call("/api/me/factors/totp", json!({}))
        .await?
        .error_for_status()?
        .json()
        .await?;
    let secret = begun["secret"]
        .as_str()
        .context("enrolment answered no secret")?
        .to_owned();
    remember_secret(base, login, &secret);
    let code = fresh_code(base, login, &secret)?;
    call("/api/me/factors/totp/confirm", json!({ "code": code }))
        .await?
        .error_for_status()
        .with_context(|| format!("confirming {login}'s authenticator app"))?;
    Ok(())
}

/// What a run needs: rooms, and session cookies for receivers and senders.
#[derive(Clone, Debug)]
pub struct Provisioned {
    /// Room ids.
    pub rooms: Vec<String>,
    /// One session cookie per member (receivers use them round-robin).
    pub member_cookies: Vec<String>,
    /// Session cookies of the senders (moderators).
    pub sender_cookies: Vec<String>,
}

/// Makes `rooms` rooms and `members` members (the first `senders` of them moderators) on the
/// server at `base`, whose admin is [`ADMIN_HANDLE`].
pub async fn provision(
    base: &str,
    rooms: usize,
    members: usize,
    senders: usize,
) -> anyhow::Result<Provisioned> {
    if senders > members {
        bail!("--senders ({senders}) cannot exceed --members ({members})");
    }
    let admin = Site::new(base)?;
    admin.sign_in(ADMIN_HANDLE, ADMIN_PASSWORD).await?;
    let mut room_ids = Vec::with_capacity(rooms);
    for r in 0..rooms {
        let v = admin
            .post_ok(
                "/api/admin/rooms",
                json!({"name": format!("Bench room {r}"), "new_member_slow_mode_seconds": 0}),
            )
            .await?;
        room_ids.push(
            v["room"]["id"]
                .as_str()
                .context("room answer has no id")?
                .to_owned(),
        );
    }
    // Apply (argon2 on the server: a few at a time on two cores).
    futures_util::stream::iter(0..members)
        .map(|i| {
            let site = Site::new(base);
            async move {
                let site = site?;
                site.post_ok(
                    "/api/applications",
                    json!({
                        "handle": member_handle(i),
                        "email": format!("{}@example.org", member_handle(i)),
                        "password": member_password(i),
                        "date_of_birth": "1980-02-03",
                        "statement": "I am here to help measure how the forum copes with a busy evening.",
                        "accept_rules": true,
                    }),
                )
                .await
            }
        })
        .buffer_unordered(4)
        .try_collect::<Vec<_>>()
        .await?;
    let (_, pending) = admin
        .call(reqwest::Method::GET, "/api/admin/applications", None)
        .await?;
    let apps: Vec<String> = pending["applications"]
        .as_array()
        .context("no applications list")?
        .iter()
        .filter(|a| {
            a["handle"]
                .as_str()
                .is_some_and(|h| h.starts_with("bench_m"))
        })
        .filter_map(|a| a["id"].as_str().map(str::to_owned))
        .collect();
    if apps.len() != members {
        bail!(
            "expected {members} pending applications, found {}",
            apps.len()
        );
    }
    futures_util::stream::iter(apps)
        .map(|id| {
            let admin = admin.clone();
            async move {
                admin
                    .post_ok(
                        &format!("/api/admin/applications/{id}/approve"),
                        json!({"confirm_adult": true}),
                    )
                    .await
            }
        })
        .buffer_unordered(8)
        .try_collect::<Vec<_>>()
        .await?;
    // Sign everyone in once (argon2 again), then promote the senders.
    let signed: Vec<(String, String)> = futures_util::stream::iter(0..members)
        .map(|i| async move { session_cookie(base, &member_handle(i), &member_password(i)).await })
        .buffered(4)
        .try_collect()
        .await?;
    for (_, id) in signed.iter().take(senders) {
        let (status, v) = admin
            .call(
                reqwest::Method::PATCH,
                &format!("/api/admin/members/{id}"),
                Some(json!({"role": "moderator"})),
            )
            .await?;
        if !status.is_success() {
            bail!("promoting a sender: {status}: {v}");
        }
    }
    // The senders are staff now, and staff need a second factor: each enrols an authenticator
    // app on the session it already has (which then counts as a moderator's).
    for (i, (cookie, _)) in signed.iter().enumerate().take(senders) {
        enrol_with_cookie(base, cookie, &member_handle(i)).await?;
    }
    let member_cookies: Vec<String> = signed.into_iter().map(|(c, _)| c).collect();
    Ok(Provisioned {
        rooms: room_ids,
        sender_cookies: member_cookies.iter().take(senders).cloned().collect(),
        member_cookies,
    })
}
