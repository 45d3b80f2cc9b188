//! Shared test harness: a real server on a free port over a real database (a fresh SQLite file
//! or a fresh PostgreSQL database per test), a movable clock, and a cookie-keeping client.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

pub mod factors;
pub mod own_redis;
pub mod smtp;
pub mod ws;

/// Which database a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server tests create their databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("HEARTH_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// Whether a missing service must fail the test run (CI sets this) rather than skip.
pub fn services_required() -> bool {
    std::env::var("HEARTH_REQUIRE_SERVICES").is_ok_and(|v| v == "1")
}

/// A database made for one test and dropped after it.
pub struct TestDb {
    pub url: String,
    cleanup: Option<Box<dyn FnOnce() + Send>>,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(f) = self.cleanup.take() {
            f();
        }
    }
}

/// The migrated database each test server starts from, made once per test process: a database
/// name on PostgreSQL (copied with `CREATE DATABASE ... TEMPLATE`), a file on SQLite (copied).
/// Running the migrations for every test cost about a second on PostgreSQL and half of one on
/// SQLite, a large part of the suite's time; copying costs a fraction of that.
static MIGRATED: [tokio::sync::OnceCell<String>; 2] = [
    tokio::sync::OnceCell::const_new(),
    tokio::sync::OnceCell::const_new(),
];

/// Whether the test process `pid` is gone (so its template may be dropped). Where `/proc` is
/// missing nothing is taken for gone.
fn process_gone(pid: &str) -> bool {
    std::path::Path::new("/proc/self").exists()
        && pid.parse::<u32>().is_ok()
        && !std::path::Path::new("/proc").join(pid).exists()
}

impl TestDb {
    /// A fresh database with every migration applied, or `None` as for [`TestDb::create`].
    pub async fn create_migrated(backend: Backend) -> Option<TestDb> {
        if backend == Backend::Postgres {
            // Connect once first, so that a missing PostgreSQL is reported (or skipped) as usual.
            postgres_admin().await?;
        }
        let template = MIGRATED[backend as usize]
            .get_or_init(|| Self::make_template(backend))
            .await;
        let name = format!("hearth_test_{}", uuid::Uuid::new_v4().simple());
        match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(&name);
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::copy(template, dir.join("hearth.db")).unwrap();
                Some(Self::sqlite_in(dir))
            }
            Backend::Postgres => {
                Self::postgres(
                    &name,
                    &format!("CREATE DATABASE {name} TEMPLATE {template}"),
                )
                .await
            }
        }
    }

    /// A fresh, empty database, or `None` (with a SKIPPED line) when PostgreSQL is not
    /// reachable and services are not required.
    pub async fn create(backend: Backend) -> Option<TestDb> {
        let name = format!("hearth_test_{}", uuid::Uuid::new_v4().simple());
        match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(&name);
                std::fs::create_dir_all(&dir).unwrap();
                Some(Self::sqlite_in(dir))
            }
            Backend::Postgres => Self::postgres(&name, &format!("CREATE DATABASE {name}")).await,
        }
    }

    /// The database file `hearth.db` in `dir`, removed with `dir` afterwards.
    fn sqlite_in(dir: std::path::PathBuf) -> TestDb {
        TestDb {
            url: format!("sqlite://{}/hearth.db?mode=rwc", dir.display()),
            cleanup: Some(Box::new(move || {
                let _ = std::fs::remove_dir_all(dir);
            })),
        }
    }

    /// The PostgreSQL database `name`, made by `create` and dropped afterwards.
    async fn postgres(name: &str, create: &str) -> Option<TestDb> {
        use sea_orm::{ConnectionTrait, Database};
        let admin = postgres_admin().await?;
        admin.execute_unprepared(create).await.unwrap();
        let _ = admin.close().await;
        let admin_url = postgres_admin_url();
        let name = name.to_owned();
        Some(TestDb {
            url: postgres_url_of(&name),
            cleanup: Some(Box::new(move || {
                // Drop runs outside any runtime we may block, so use a thread of its own.
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .unwrap();
                    rt.block_on(async {
                        if let Ok(db) = Database::connect(&admin_url).await {
                            let _ = db
                                .execute_unprepared(&format!(
                                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                                ))
                                .await;
                            let _ = db.close().await;
                        }
                    });
                })
                .join();
            })),
        })
    }

    /// Migrates a database of this process's own (first dropping those of test processes that
    /// are gone) and answers what [`MIGRATED`] keeps for `backend`.
    async fn make_template(backend: Backend) -> String {
        use hearth_migrations::{Migrator, MigratorTrait};
        use sea_orm::{ConnectionTrait, Database, Statement};
        let pid = std::process::id();
        match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir();
                for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                    let file = entry.file_name().to_string_lossy().into_owned();
                    if let Some(owner) = file.strip_prefix("hearth-template-")
                        && let Some(owner) = owner.strip_suffix(".db")
                        && process_gone(owner)
                    {
                        let _ = std::fs::remove_file(entry.path());
                    }
                }
                let path = dir.join(format!("hearth-template-{pid}.db"));
                let _ = std::fs::remove_file(&path);
                let db = Database::connect(format!("sqlite://{}?mode=rwc", path.display()))
                    .await
                    .unwrap();
                Migrator::up(&db, None).await.unwrap();
                db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
                    .await
                    .unwrap();
                db.close().await.unwrap();
                path.display().to_string()
            }
            Backend::Postgres => {
                let admin = postgres_admin()
                    .await
                    .expect("PostgreSQL answered a moment ago");
                let rows = admin
                    .query_all_raw(Statement::from_string(
                        admin.get_database_backend(),
                        "SELECT datname FROM pg_database WHERE datname LIKE 'hearth_template_%'",
                    ))
                    .await
                    .unwrap();
                for row in rows {
                    let name: String = row.try_get("", "datname").unwrap();
                    if process_gone(name.trim_start_matches("hearth_template_")) {
                        let _ = admin
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            ))
                            .await;
                    }
                }
                let name = format!("hearth_template_{pid}");
                for sql in [
                    format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                    format!("CREATE DATABASE {name}"),
                ] {
                    admin.execute_unprepared(&sql).await.unwrap();
                }
                let _ = admin.close().await;
                let db = Database::connect(postgres_url_of(&name)).await.unwrap();
                Migrator::up(&db, None).await.unwrap();
                db.close().await.unwrap();
                name
            }
        }
    }
}

/// A connection to the PostgreSQL server's admin database, or `None` (with a SKIPPED line)
/// when it is not reachable and services are not required.
async fn postgres_admin() -> Option<sea_orm::DatabaseConnection> {
    use sea_orm::{ConnectOptions, Database};
    let admin_url = postgres_admin_url();
    let mut opts = ConnectOptions::new(admin_url.clone());
    opts.connect_timeout(std::time::Duration::from_secs(3))
        .acquire_timeout(std::time::Duration::from_secs(3))
        .sqlx_logging(false);
    match Database::connect(opts).await {
        Ok(db) => Some(db),
        Err(e) => {
            if services_required() {
                panic!(
                    "PostgreSQL is required (HEARTH_REQUIRE_SERVICES=1) but {admin_url} is unreachable: {e}"
                );
            }
            eprintln!(
                "SKIPPED: PostgreSQL not reachable at {admin_url} ({e}); set HEARTH_TEST_POSTGRES"
            );
            None
        }
    }
}

/// The URL of database `name` on the tests' PostgreSQL server.
fn postgres_url_of(name: &str) -> String {
    let admin_url = postgres_admin_url();
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url.as_str(), |(b, _)| b);
    format!("{base}/{name}")
}

/// A clock the test can move forward.
#[derive(Clone, Default)]
pub struct TestClock(Arc<AtomicI64>);

impl TestClock {
    pub fn advance(&self, by: Duration) {
        self.0.fetch_add(by.num_seconds(), Ordering::SeqCst);
    }
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::seconds(self.0.load(Ordering::SeqCst))
    }
    pub fn as_clock(&self) -> hearth_app::Clock {
        let me = self.clone();
        Arc::new(move || me.now())
    }
}

/// Which bus a test's server uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BusKind {
    /// In-process fan-out (one instance).
    Local,
    /// Redis pub/sub (`HEARTH_TEST_REDIS`, default `redis://127.0.0.1:6379`).
    Redis,
}

/// The Redis server tests use.
pub fn redis_url() -> String {
    std::env::var("HEARTH_TEST_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// Whether Redis answers; panics when it does not and services are required, else prints a
/// SKIPPED line and answers false.
pub async fn redis_available() -> bool {
    let url = redis_url();
    let ok = async {
        let client = redis::Client::open(url.as_str()).ok()?;
        let mut c = tokio::time::timeout(
            std::time::Duration::from_secs(2),
            client.get_multiplexed_async_connection(),
        )
        .await
        .ok()?
        .ok()?;
        redis::cmd("PING").query_async::<String>(&mut c).await.ok()
    }
    .await
    .is_some();
    if !ok {
        if services_required() {
            panic!("Redis is required (HEARTH_REQUIRE_SERVICES=1) but {url} is unreachable");
        }
        eprintln!("SKIPPED: Redis not reachable at {url}; set HEARTH_TEST_REDIS");
    }
    ok
}

/// A running server with its database and clock.
pub struct TestApp {
    pub backend: Backend,
    pub base: String,
    pub clock: TestClock,
    pub running: Option<hearth_server::Running>,
    pub db: TestDb,
}

/// The bearer token the test servers' `/metrics` asks for.
pub const METRICS_TOKEN: &str = "test-metrics-token-0123456789";

pub fn test_config(db_url: &str) -> hearth_server::Config {
    hearth_server::Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        database_url: db_url.to_owned(),
        rules: concat!(env!("CARGO_MANIFEST_DIR"), "/moderation-rules.toml").into(),
        metrics_token: Some(METRICS_TOKEN.to_owned()),
        ..hearth_server::Config::default()
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        Self::spawn_with(backend, |_| {}).await
    }

    /// A server on `backend` whose events go through `bus`.
    pub async fn spawn_on(backend: Backend, bus: BusKind) -> Option<TestApp> {
        if bus == BusKind::Redis && !redis_available().await {
            return None;
        }
        Self::spawn_with(backend, |c| {
            if bus == BusKind::Redis {
                c.redis_url = Some(redis_url());
            }
        })
        .await
    }

    /// Another instance of this deployment: same database, same Redis, same clock, same
    /// configuration (limits included) on a port of its own.
    pub async fn another_instance(&self) -> hearth_server::Running {
        let mut config = (*self.running.as_ref().unwrap().state.config).clone();
        config.listen = "127.0.0.1:0".parse().unwrap();
        config.public_url = None;
        assert!(config.redis_url.is_some(), "a second instance needs Redis");
        let running = hearth_server::start(config, self.clock.as_clock())
            .await
            .unwrap();
        factors::register_instance(&format!("http://{}", running.addr), &self.base);
        running
    }

    /// As [`TestApp::spawn`], with the configuration adjusted first.
    pub async fn spawn_with(
        backend: Backend,
        adjust: impl FnOnce(&mut hearth_server::Config),
    ) -> Option<TestApp> {
        let db = TestDb::create_migrated(backend).await?;
        let clock = TestClock::default();
        let mut config = test_config(&db.url);
        adjust(&mut config);
        let running = hearth_server::start(config, clock.as_clock())
            .await
            .unwrap();
        let base = format!("http://{}", running.addr);
        factors::register_clock(&base, &clock);
        Some(TestApp {
            backend,
            base,
            clock,
            running: Some(running),
            db,
        })
    }

    /// Stops the server and starts a new one on the same database (as after a restart).
    pub async fn restart(&mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await.unwrap();
        }
        let mut config = test_config(&self.db.url);
        config.listen = self.base.trim_start_matches("http://").parse().unwrap();
        let running = hearth_server::start(config, self.clock.as_clock())
            .await
            .unwrap();
        self.running = Some(running);
    }

    pub fn state(&self) -> &hearth_server::state::AppState {
        &self.running.as_ref().unwrap().state
    }

    /// A browser-like client: keeps cookies, sends the site's Origin on every request.
    pub fn client(&self) -> Client {
        Client::new(&self.base, true)
    }

    /// Creates the first admin through the one-time setup link; answers a signed-in client.
    pub async fn admin(&self) -> Client {
        let link = self
            .state()
            .app
            .first_run_link()
            .await
            .unwrap()
            .expect("no admin yet");
        let token = link.split("token=").nth(1).unwrap().to_owned();
        let c = self.client();
        let (status, body) = c
            .post("/api/setup", json!({"token": token, "handle": "first_admin", "email": "admin@example.org", "password": "admin-password-1"}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        c.sign_in("first_admin", "admin-password-1").await;
        // Staff need a second factor (the default): the first admin enrols at once, as the
        // setup page leads them to.
        factors::enrol(&c).await;
        c
    }

    /// An applicant's application, approved by `admin`; answers the new member's signed-in
    /// client and id.
    pub async fn member(&self, admin: &Client, handle: &str) -> (Client, String) {
        let c = self.client();
        let (status, body) = c
            .post("/api/applications", application(handle, "1990-05-17"))
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        let app_id = admin.pending_application_id(handle).await;
        let (status, body) = admin
            .post(
                &format!("/api/admin/applications/{app_id}/approve"),
                json!({"confirm_adult": true}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let me = c.sign_in(handle, &password_of(handle)).await;
        (c, me["member"]["id"].as_str().unwrap().to_owned())
    }
}

impl TestApp {
    /// A member past the new-member rule (their first posts are read by a moderator before
    /// they appear): three posts approved by `admin`, in a board of their own.
    pub async fn established_member(&self, admin: &Client, handle: &str) -> (Client, String) {
        let (c, id) = self.member(admin, handle).await;
        let (status, b) = admin
            .post(
                "/api/admin/boards",
                json!({"name": format!("Welcome {handle}")}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{b}");
        let board = b["board"]["id"].as_str().unwrap().to_owned();
        for i in 0..3 {
            let (status, body) = c
                .post(
                    &format!("/api/boards/{board}/threads"),
                    json!({"title": format!("Hello number {i}"), "body": "Glad to have found this group."}),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
            if body["moderation"]["status"] == "held" {
                let post = body["post"]["id"].as_str().unwrap().to_owned();
                let (_, queue) = admin.get("/api/mod/queue").await;
                let item = queue["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|i| i["post"]["id"] == post.as_str())
                    .unwrap_or_else(|| panic!("queued: {queue}"))["id"]
                    .as_str()
                    .unwrap()
                    .to_owned();
                let (status, b) = admin
                    .post(&format!("/api/mod/queue/{item}/approve"), json!({}))
                    .await;
                assert!(status.is_success(), "{b}");
            }
        }
        (c, id)
    }
}

pub fn password_of(handle: &str) -> String {
    format!("pw-{handle}-long-enough")
}

pub fn email_of(handle: &str) -> String {
    format!("{}@example.org", handle.to_lowercase())
}

/// A complete application body.
pub fn application(handle: &str, dob: &str) -> Value {
    json!({
        "handle": handle,
        "email": email_of(handle),
        "password": password_of(handle),
        "date_of_birth": dob,
        "statement": "My brother was arrested last year and I need people who understand.",
        "accept_rules": true,
    })
}

/// A small HTTP client for the API.
#[derive(Clone)]
pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
    origin: bool,
    jar: Arc<reqwest::cookie::Jar>,
    /// Whether a 403 `second_factor_required` makes this client enrol an authenticator app
    /// and try again (as staff promoted mid-test would, before using the staff pages), and a
    /// 403 `reauth_required` makes it confirm who it is (a code, or the password) and try again.
    auto_enrol: bool,
    /// The login and password this client last signed in with, for step-up confirmations.
    creds: Arc<std::sync::Mutex<Option<(String, String)>>>,
}

impl Client {
    pub fn new(base: &str, origin: bool) -> Client {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .build()
            .unwrap();
        Client {
            base: base.to_owned(),
            http,
            origin,
            jar,
            auto_enrol: true,
            creds: Arc::default(),
        }
    }

    /// Confirms who this client's member is (step-up), with a code from the app the harness
    /// enrolled for them, or with the password they signed in with.
    pub async fn confirm(&self) -> (StatusCode, Value) {
        let (login, password) = self
            .creds
            .lock()
            .unwrap()
            .clone()
            .expect("a client asked to confirm who it is signed in through Client::sign_in");
        let body = match factors::next_code(&self.base, &login) {
            Some(code) => json!({ "code": code }),
            None => json!({ "password": password }),
        };
        self.post_plain("/api/me/confirm", body).await
    }

    /// This client (same cookies) without enrolling on a 403 `second_factor_required`, for
    /// tests of that refusal.
    pub fn strict(&self) -> Client {
        Client {
            auto_enrol: false,
            ..self.clone()
        }
    }

    /// Sends, and on a 403 `second_factor_required` enrols an authenticator app and sends
    /// again (unless the client is [`Client::strict`]).
    async fn send_enrolling(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        let build = || {
            let rb = self.request(method.clone(), path);
            match body {
                Some(b) => rb.json(b),
                None => rb,
            }
        };
        let (status, answer) = Self::send(build()).await;
        if self.auto_enrol && factors::is_factor_refusal(status, &answer) {
            factors::enrol(self).await;
            return Self::send(build()).await;
        }
        if self.auto_enrol
            && status == StatusCode::FORBIDDEN
            && answer["error"]["code"] == "reauth_required"
            && self.creds.lock().unwrap().is_some()
        {
            let (status, body) = self.confirm().await;
            assert_eq!(status, StatusCode::OK, "step-up confirmation: {body}");
            return Self::send(build()).await;
        }
        // An admin made someone staff: they set up their authenticator app at once (signing in
        // with the harness's password for their handle), as they are told to.
        if self.auto_enrol
            && method == reqwest::Method::PATCH
            && path.starts_with("/api/admin/members/")
            && status == StatusCode::OK
            && body.is_some_and(|b| {
                b["role"] == "moderator" || b["role"] == "admin" || b["safeguarding_lead"] == true
            })
            && let Some(handle) = answer["member"]["handle"].as_str()
            && factors::secret_of(&self.base, handle).is_none()
        {
            let them = Client::new(&self.base, true);
            let (signed_in, _) = them
                .post_plain(
                    "/api/session",
                    json!({"login": handle, "password": password_of(handle)}),
                )
                .await;
            if signed_in == StatusCode::OK {
                factors::enrol(&them).await;
            }
        }
        (status, answer)
    }

    /// GET without enrolling on a refusal.
    pub async fn get_plain(&self, path: &str) -> (StatusCode, Value) {
        Self::send(self.request(reqwest::Method::GET, path)).await
    }

    /// POST without enrolling on a refusal.
    pub async fn post_plain(&self, path: &str, body: Value) -> (StatusCode, Value) {
        Self::send(self.request(reqwest::Method::POST, path).json(&body)).await
    }

    /// The `Cookie` header this client sends (its session), if any.
    pub fn cookie(&self) -> Option<String> {
        use reqwest::cookie::CookieStore;
        let url: reqwest::Url = self.base.parse().unwrap();
        self.jar
            .cookies(&url)
            .map(|v| v.to_str().unwrap().to_owned())
    }

    /// Opens the realtime socket with this client's session, as the browser would.
    pub async fn socket(&self) -> ws::Ws {
        ws::Ws::open(&self.base, self.cookie().as_deref()).await
    }

    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let mut rb = self.http.request(method, format!("{}{path}", self.base));
        if self.origin {
            rb = rb.header("Origin", &self.base);
        }
        rb
    }

    pub async fn send(rb: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let resp = rb.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, body)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send_enrolling(reqwest::Method::GET, path, None).await
    }
    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.send_enrolling(reqwest::Method::DELETE, path, None)
            .await
    }
    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send_enrolling(reqwest::Method::POST, path, Some(&body))
            .await
    }
    pub async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send_enrolling(reqwest::Method::PUT, path, Some(&body))
            .await
    }
    pub async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send_enrolling(reqwest::Method::PATCH, path, Some(&body))
            .await
    }

    /// Signs in again with the credentials it last signed in with: for a staff client after a
    /// test moved the clock past a staff session's 30 idle minutes.
    pub async fn sign_in_again(&self) {
        let (login, password) = self
            .creds
            .lock()
            .unwrap()
            .clone()
            .expect("this client never signed in");
        self.sign_in(&login, &password).await;
    }

    /// Signs in and asserts it worked; with a second factor the harness enrolled, gives a
    /// code from it at the second step.
    pub async fn sign_in(&self, login: &str, password: &str) -> Value {
        *self.creds.lock().unwrap() = Some((login.to_owned(), password.to_owned()));
        let (status, body) = self
            .post_plain(
                "/api/session",
                json!({"login": login, "password": password}),
            )
            .await;
        if status == StatusCode::ACCEPTED {
            let code = factors::next_code(&self.base, login)
                .unwrap_or_else(|| panic!("{login} has a second factor the harness does not know"));
            let (status, body) = self
                .post_plain("/api/session/second-factor", json!({ "code": code }))
                .await;
            assert_eq!(status, StatusCode::OK, "second step of {login}: {body}");
            return body;
        }
        assert_eq!(status, StatusCode::OK, "sign-in of {login}: {body}");
        body
    }

    pub async fn pending_application_id(&self, handle: &str) -> String {
        let (status, body) = self.get("/api/admin/applications").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["applications"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["handle"] == handle)
            .unwrap_or_else(|| panic!("no pending application for {handle}: {body}"))["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

/// The error code of a JSON error body.
pub fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("<no error code>")
}

/// Runs each named `async fn(TestApp)` on every combination of database (SQLite, PostgreSQL)
/// and bus (in-process, Redis).
#[macro_export]
macro_rules! on_all_backends {
    ($($name:ident),* $(,)?) => {
        $crate::on_all_backends!(@one sqlite_local, Sqlite, Local, $($name),*);
        $crate::on_all_backends!(@one sqlite_redis, Sqlite, Redis, $($name),*);
        $crate::on_all_backends!(@one postgres_local, Postgres, Local, $($name),*);
        $crate::on_all_backends!(@one postgres_redis, Postgres, Redis, $($name),*);
    };
    (@one $module:ident, $db:ident, $bus:ident, $($name:ident),*) => {
        mod $module {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(app) = $crate::common::TestApp::spawn_on(
                        $crate::common::Backend::$db,
                        $crate::common::BusKind::$bus,
                    )
                    .await
                    {
                        super::$name(app).await;
                    }
                }
            )*
        }
    };
}

/// Runs each named `async fn(TestApp)` once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(app) = $crate::common::TestApp::spawn($crate::common::Backend::Sqlite).await {
                        super::$name(app).await;
                    }
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(app) = $crate::common::TestApp::spawn($crate::common::Backend::Postgres).await {
                        super::$name(app).await;
                    }
                }
            )*
        }
    };
}

/// Signs `login` in with a fresh cookie-less request and answers the session cookie
/// (`name=value`), for a socket or a second client of one's own.
pub async fn session_cookie(base: &str, login: &str, password: &str) -> String {
    let resp = reqwest::Client::new()
        .post(format!("{base}/api/session"))
        .header("Origin", base)
        .json(&json!({"login": login, "password": password}))
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let cookie = set_cookie_of(&resp);
    if status == StatusCode::ACCEPTED {
        // A second factor: the harness's code for it, on the pending session.
        let code = factors::next_code(base, login)
            .unwrap_or_else(|| panic!("{login} has a second factor the harness does not know"));
        let resp = reqwest::Client::new()
            .post(format!("{base}/api/session/second-factor"))
            .header("Origin", base)
            .header("Cookie", &cookie)
            .json(&json!({ "code": code }))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "second step of {login}");
        return set_cookie_of(&resp);
    }
    assert_eq!(status, StatusCode::OK, "signing {login} in");
    cookie
}

/// The `name=value` of a response's `Set-Cookie`.
fn set_cookie_of(resp: &reqwest::Response) -> String {
    resp.headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}
