//! Hearth's HTTP front: axum routes, identity extractors, sessions, cross-site checks.
//!
//! Handlers are thin: they extract, call one use case in `hearth-app`, and answer. Errors are
//! mapped to statuses in one place ([`error::ApiError`]). This crate owns the process's
//! plumbing too: configuration, logging, start-up, background jobs and graceful shutdown.
#![forbid(unsafe_code)]

mod boundary;
pub mod config;
pub mod error;
pub mod extract;
pub mod headers;
pub mod mail;
pub mod origin;
pub mod routes;
pub mod sessions;
pub mod state;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::middleware;
use hearth_app::{App, AppConfig, Clock};
use hearth_store::Store;
use tower_http::trace::TraceLayer;
use tower_sessions::SessionManagerLayer;
use tower_sessions::cookie::SameSite;

pub use config::Config;
use error::ApiError;
use state::AppState;

/// This deployment's id: the configured one, or the one made at random on the first start and
/// kept in the database (every instance of the deployment reads the same).
async fn deployment_id(store: &Store, configured: Option<&str>) -> anyhow::Result<String> {
    if let Some(id) = configured {
        return Ok(id.to_owned());
    }
    store
        .setting_or_insert("deployment_id", uuid::Uuid::new_v4().simple().to_string())
        .await
        .context("cannot read or create the deployment id")
}

/// Connects to the database, migrates it, and builds the shared state.
pub async fn build_state(config: Config, clock: Clock) -> anyhow::Result<AppState> {
    let store = Store::connect(&config.database_url)
        .await
        .with_context(|| {
            format!(
                "cannot open the database ({})",
                store_kind(&config.database_url)
            )
        })?;
    store
        .migrate()
        .await
        .context("cannot bring the database schema up to date")?;
    let rules = load_rules(&config.rules)?;
    let hub = hearth_realtime::Hub::new(
        hearth_app::StoreHooks::new(store.clone(), clock.clone()),
        hearth_realtime::HubConfig {
            max_sockets_per_member: usize::try_from(config.limits.sockets_per_member)
                .unwrap_or(usize::MAX),
            ..hearth_realtime::HubConfig::default()
        },
    );
    // With Redis, the bus and the rate limits are shared by every instance of the deployment,
    // under the deployment's channel name.
    let (bus, limit_store): (_, Arc<dyn hearth_app::limits::LimitStore>) = match &config.redis_url {
        Some(url) => {
            let deployment = deployment_id(&store, config.deployment_id.as_deref()).await?;
            let mut redis = hearth_realtime::RedisBusConfig::new(url.clone());
            redis.channel = hearth_realtime::RedisBusConfig::channel_for(&deployment);
            let limits = hearth_app::limits::RedisLimits::new(
                url,
                &redis.channel,
                &config.limits,
                clock.clone(),
            )
            .map_err(|e| anyhow::anyhow!("REDIS_URL: cannot set up the shared limits: {e}"))?;
            let bus = hearth_realtime::Bus::redis(hub, redis)
                .context("REDIS_URL: cannot set up the Redis bus")?;
            (bus, Arc::new(limits))
        }
        None => (
            hearth_realtime::Bus::in_process(hub),
            Arc::new(hearth_app::limits::MemoryLimits::new(
                &config.limits,
                clock.clone(),
            )),
        ),
    };
    let app = App::new(
        store,
        clock,
        AppConfig {
            age_refusal_days: config.age_refusal_days,
            invite_hours: config.invite_hours,
            public_url: config.public_url(),
            rules_path: config.rules.clone(),
            queue_alert_minutes: config.queue_alert_minutes,
            notification_retention_days: config.notification_retention_days,
            event_retention_days: config.event_retention_days,
            reset_link_hours: config.reset_link_hours,
            concern_response_hours: config.concern_response_hours,
            crisis_deadline_minutes: config.crisis_deadline_minutes,
            crisis_retention_days: config.crisis_retention_days,
            concern_retention_days: config.concern_retention_days,
            session_max_hours: config.session_max_hours,
            session_idle_minutes: config.session_idle_minutes,
            staff_second_factor: config.staff_second_factor,
            access_log_retention_days: config.access_log_retention_days,
            staff_session_idle_minutes: config.staff_session_idle_minutes,
            staff_session_max_hours: config.staff_session_max_hours,
        },
        rules,
        bus,
    )
    .await
    .context("cannot start the application")?;
    let app = match &config.smtp_url {
        Some(url) => app.with_mailer(std::sync::Arc::new(mail::SmtpMailer::new(
            url,
            &config.smtp_from,
        )?)),
        None => app,
    };
    let app = app.with_limits(hearth_app::limits::Limits::new(
        config.limits.clone(),
        limit_store,
    ));
    Ok(AppState {
        app,
        config: Arc::new(config),
    })
}

/// Reads and checks the moderation rules; the server does not start with a broken file.
///
/// Compiling the rules takes a noticeable fraction of a second (about 150 patterns and the
/// prefilter over them), so the last text compiled in this process is remembered with its
/// rules: a process that starts many servers on the same file, as the tests do, compiles it
/// once. A changed file is compiled afresh.
pub fn load_rules(path: &std::path::Path) -> anyhow::Result<hearth_core::moderation::RuleSet> {
    use std::sync::Mutex;
    /// The last rule text compiled in this process, and what it compiled to.
    static LAST: Mutex<Option<(String, hearth_core::moderation::RuleSet)>> = Mutex::new(None);

    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the moderation rules file {}", path.display()))?;
    if let Ok(last) = LAST.lock()
        && let Some((known, rules)) = last.as_ref()
        && *known == text
    {
        return Ok(rules.clone());
    }
    let rules = parse_rules(path, &text)?;
    if let Ok(mut last) = LAST.lock() {
        *last = Some((text, rules.clone()));
    }
    Ok(rules)
}

/// Compiles rule text read from `path`, naming the file in every problem.
fn parse_rules(
    path: &std::path::Path,
    text: &str,
) -> anyhow::Result<hearth_core::moderation::RuleSet> {
    hearth_core::moderation::RuleSet::parse(text).map_err(|problems| {
        let lines: Vec<String> = problems.iter().map(|p| format!("  {}: {p}", path.display())).collect();
        anyhow::anyhow!(
            "the moderation rules file {} has {} problem(s); fix them (check with `hearth rules check`):\n{}",
            path.display(),
            problems.len(),
            lines.join("\n")
        )
    })
}

fn store_kind(url: &str) -> &'static str {
    if url.starts_with("sqlite:") {
        "SQLite"
    } else {
        "PostgreSQL"
    }
}

/// The whole HTTP surface, with its layers.
pub fn router(state: AppState) -> Router {
    let store = sessions::DbSessionStore::new(
        state.app.store().clone(),
        state.app.clock(),
        chrono::Duration::minutes(state.config.session_idle_minutes),
    );
    let sessions = SessionManagerLayer::new(store)
        .with_name(origin::session_cookie_name(&state.config))
        .with_http_only(true)
        .with_same_site(SameSite::Strict)
        .with_secure(state.config.is_https())
        .with_path("/")
        .with_expiry(extract::session_expiry(&state.config));
    // Every `/api` route comes with its operation in the OpenAPI document (the document is the
    // route list); the web client's pages are the only other routes.
    let (api, _document) = routes::openapi::api_router().split_for_parts();
    Router::new()
        .merge(api)
        .merge(routes::web::router())
        .fallback(|| async { ApiError::NoRoute })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(middleware::from_fn_with_state(
            state.clone(),
            origin::check_origin,
        ))
        .layer(middleware::from_fn(boundary::refuse_nul))
        .layer(sessions)
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            reject_oversized,
        ))
        .layer(
            // Spans name the route pattern, never the URL: query strings can hold tokens.
            TraceLayer::new_for_http().make_span_with(|req: &Request| {
                let route = req
                    .extensions()
                    .get::<MatchedPath>()
                    .map_or("unmatched", |p| p.as_str())
                    .to_owned();
                tracing::info_span!("http", method = %req.method(), route)
            }),
        )
        .layer(middleware::from_fn_with_state(
            headers::SecurityHeaders::new(&state.config),
            headers::set_security_headers,
        ))
        .with_state(state)
}

/// Answers 413 at once when `Content-Length` announces more than the limit, without reading the
/// body (a body without a length is still cut off by `DefaultBodyLimit` as it is read).
async fn reject_oversized(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: Request,
    next: middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let announced = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > state.config.max_body_bytes as u64) {
        return ApiError::TooLarge.into_response();
    }
    next.run(req).await
}

/// A server running in the background (for tests and `serve`).
pub struct Running {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The shared state (tests use it to reach the store).
    pub state: AppState,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Stops accepting, lets requests in flight finish, and waits.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        (&mut self.task)
            .await
            .context("server task panicked")?
            .context("server failed")
    }
}

/// Builds the state, binds `config.listen` (port 0 picks a free port), starts background jobs,
/// prints the first-run link if no admin exists, and serves until [`Running::stop`].
pub async fn start(config: Config, clock: Clock) -> anyhow::Result<Running> {
    let listen = config.listen;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    let mut config = config;
    if config.public_url.is_none() {
        config.public_url = Some(format!("http://{addr}"));
    }
    let state = build_state(config, clock).await?;
    if let Some(link) = state.app.first_run_link().await? {
        tracing::warn!(
            "no admin exists yet. Create the first one, once, by opening {link} \
             (or: curl -X POST {}/api/setup -H 'Content-Type: application/json' -d \
             '{{\"token\":\"<the token in the link>\",\"handle\":\"...\",\"email\":\"...\",\"password\":\"...\"}}')",
            state.config.public_url()
        );
    }
    spawn_housekeeping(state.clone());
    state.app.watch_room_departures();
    spawn_socket_session_sweep(state.clone());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let service = router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let task = tokio::spawn(async move {
        axum::serve(listener, service)
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await
    });
    tracing::info!(%addr, "listening");
    Ok(Running {
        addr,
        state,
        shutdown: Some(tx),
        task,
    })
}

/// Runs until SIGTERM or Ctrl-C, then shuts down gracefully.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    // Take over the signals before start-up says "listening": a SIGTERM or SIGHUP that arrives
    // in between must shut down gracefully or reload, not kill the process by default action.
    #[cfg(unix)]
    let (term, hup) = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::terminate()).context("cannot handle SIGTERM")?,
            signal(SignalKind::hangup()).context("cannot handle SIGHUP")?,
        )
    };
    let running = start(config, hearth_app::system_clock()).await?;
    #[cfg(unix)]
    spawn_reload_on_sighup(running.state.clone(), hup);
    #[cfg(unix)]
    shutdown_signal(term).await;
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
    tracing::info!("shutting down");
    running.stop().await
}

/// `kill -HUP` re-reads the moderation rules; a broken file keeps the old rules and is logged.
#[cfg(unix)]
fn spawn_reload_on_sighup(state: AppState, mut hup: tokio::signal::unix::Signal) {
    tokio::spawn(async move {
        while hup.recv().await.is_some() {
            match state.app.reload_rules(None).await {
                Ok(n) => tracing::info!(rules = n, "rules reloaded on SIGHUP"),
                Err(hearth_app::RulesReloadError::Problems(problems)) => {
                    for p in problems {
                        tracing::error!(problem = %p, "rules reload refused; previous rules still in force");
                    }
                }
                Err(e) => tracing::error!(error = %e, "rules reload failed"),
            }
        }
    });
}

/// Waits for SIGTERM (from systemd, or `kill`) or Ctrl-C.
#[cfg(unix)]
async fn shutdown_signal(mut term: tokio::signal::unix::Signal) {
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = term.recv() => {},
    }
}

/// Closes, every second, the sockets whose sign-in session has run out by the clock (idle or
/// absolute expiry; ends by an action close theirs at once through the bus), shares this
/// instance's chat presence with the others, and every five seconds alerts moderators about
/// urgent items past their deadline.
fn spawn_socket_session_sweep(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut seconds: u64 = 0;
        loop {
            tick.tick().await;
            match state.app.sweep_socket_sessions().await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(sockets = n, "closed sockets of ended sessions"),
                Err(e) => tracing::warn!(error = %e, "socket session sweep failed; will retry"),
            }
            // With Redis, who is in which room is shared each second too, so a room opens on
            // every instance when its moderator arrives on any of them.
            if let Err(e) = state
                .app
                .bus()
                .share_presence(state.app.now().timestamp())
                .await
            {
                tracing::debug!(error = %e, "could not share chat presence; will retry");
            }
            // And how many sockets each member holds, so the per-member cap holds across
            // instances (a second behind at most).
            if let Err(e) = state.app.bus().share_socket_counts().await {
                tracing::debug!(error = %e, "could not share socket counts; will retry");
            }
            // The urgent lane's deadline is minutes, not hours: check it every few seconds
            // (a conditional update, so one instance alerts for each crisis).
            seconds += 1;
            if seconds.is_multiple_of(5)
                && let Err(e) = state.app.alert_overdue_crises().await
            {
                tracing::warn!(error = %e, "crisis deadline check failed; will retry");
            }
        }
    });
}

/// Enforces retention (expired sessions, age-gate refusals, old events and notifications) and
/// alerts moderators about overdue queue items and concerns, every five minutes.
fn spawn_housekeeping(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5 * 60));
        loop {
            tick.tick().await;
            match state.app.enforce_retention().await {
                Ok(n) => tracing::debug!(rows = n, "retention enforced"),
                Err(e) => tracing::warn!(error = %e, "retention failed; will retry"),
            }
            if let Err(e) = state.app.alert_overdue_queue().await {
                tracing::warn!(error = %e, "queue alert check failed; will retry");
            }
            if let Err(e) = state.app.alert_overdue_concerns().await {
                tracing::warn!(error = %e, "concern alert check failed; will retry");
            }
        }
    });
}

/// Sets up logging: `RUST_LOG` filters (default `info`), text or JSON lines.
pub fn init_logging(json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
