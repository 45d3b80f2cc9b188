//! Setting Hearth up for a run over its HTTP API, as an operator would: the admin signs in,
//! makes rooms (no slow mode for new members), members apply and are approved, the senders are
//! promoted to moderator (so the new-member rules never hold their chat), and everyone signs in
//! once; their session cookies are then used for as many sockets as the run needs.

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

    /// Signs in; answers the response body.
    pub async fn sign_in(&self, login: &str, password: &str) -> anyhow::Result<Value> {
        self.post_ok(
            "/api/session",
            json!({"login": login, "password": password}),
        )
        .await
        .with_context(|| format!("sign-in of {login}"))
    }
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
    let member_cookies: Vec<String> = signed.into_iter().map(|(c, _)| c).collect();
    Ok(Provisioned {
        rooms: room_ids,
        sender_cookies: member_cookies.iter().take(senders).cloned().collect(),
        member_cookies,
    })
}
