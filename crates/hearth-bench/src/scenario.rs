//! One run of one system: start it (Hearth in a mode, or the baseline), set it up, run the load,
//! stop it and clean up.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use serde::Serialize;

use crate::load::{self, Endpoint, LoadParams, RunMetrics, Target};
use crate::procs::{self, HearthCommand, Managed, PgDatabase};
use crate::provision::{self, ADMIN_HANDLE, ADMIN_PASSWORD};

/// What runs the server side of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// One Hearth instance on SQLite with the in-process bus (the embedded default).
    Sqlite,
    /// One Hearth instance on PostgreSQL with the Redis bus.
    PgRedis,
    /// Two Hearth instances on one PostgreSQL and one Redis, clients split across them.
    TwoInstances,
    /// HTTP posting on PostgreSQL against pgbench running the equivalent INSERT.
    Posting,
}

impl Mode {
    /// Its command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Sqlite => "sqlite",
            Mode::PgRedis => "pg-redis",
            Mode::TwoInstances => "two-instances",
            Mode::Posting => "posting",
        }
    }
}

/// Where the outside services and files are.
#[derive(Clone, Debug)]
pub struct Environment {
    /// The `hearth` binary.
    pub hearth_binary: PathBuf,
    /// The moderation rules file.
    pub rules: PathBuf,
    /// A PostgreSQL URL whose server the bench may create databases on.
    pub postgres_url: String,
    /// A Redis to use; `None` starts a private `redis-server` per run.
    pub redis_url: Option<String>,
    /// Where logs and SQLite files of this invocation go.
    pub work_dir: PathBuf,
    /// Members to create (each holds many sockets).
    pub members: usize,
}

/// The database behind a Hearth run, removed by [`Backing::clean`].
pub enum Backing {
    /// An SQLite file in this directory.
    Sqlite(PathBuf),
    /// A PostgreSQL database, maybe with the private Redis started for it.
    Postgres(PgDatabase, Option<Box<Managed>>),
}

impl Backing {
    /// Creates the database (and Redis) for `mode`; answers it with `DATABASE_URL`/`REDIS_URL`.
    pub async fn create(
        mode: Mode,
        env: &Environment,
        dir: &Path,
    ) -> anyhow::Result<(Backing, String, Option<String>)> {
        if mode == Mode::Sqlite {
            let url = format!("sqlite://{}/hearth.db?mode=rwc", dir.display());
            return Ok((Backing::Sqlite(dir.to_owned()), url, None));
        }
        let db = PgDatabase::create(&env.postgres_url).await?;
        let url = db.url.clone();
        let (redis, redis_url) = match (&env.redis_url, mode) {
            (_, Mode::Posting) | (_, Mode::Sqlite) => (None, None),
            (Some(u), _) => (None, Some(u.clone())),
            (None, _) => {
                let (p, u) = procs::spawn_redis(dir).await?;
                (Some(Box::new(p)), Some(u))
            }
        };
        Ok((Backing::Postgres(db, redis), url, redis_url))
    }

    /// Drops the database and stops the private Redis.
    pub async fn clean(self) {
        match self {
            Backing::Sqlite(_) => {}
            Backing::Postgres(db, redis) => {
                db.drop_it().await;
                if let Some(r) = redis {
                    r.stop().await;
                }
            }
        }
    }
}

fn run_dir(env: &Environment, label: &str) -> anyhow::Result<PathBuf> {
    let dir = env
        .work_dir
        .join(format!("{label}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}

/// A Hearth deployment started for one run: its processes, database and where it listens.
pub struct Deployment {
    /// The server processes.
    pub servers: Vec<Managed>,
    /// Their addresses.
    pub addrs: Vec<SocketAddr>,
    /// What to remove afterwards.
    pub backing: Backing,
    /// The run's directory (logs, SQLite file).
    pub dir: PathBuf,
}

impl Deployment {
    /// Makes the database, the first admin, and starts the instances `mode` calls for.
    pub async fn start(mode: Mode, env: &Environment) -> anyhow::Result<Deployment> {
        let dir = run_dir(env, mode.name())?;
        let (backing, database_url, redis_url) = Backing::create(mode, env, &dir).await?;
        let cmd = HearthCommand {
            binary: env.hearth_binary.clone(),
            database_url,
            redis_url,
            rules: env.rules.clone(),
            dir: dir.clone(),
        };
        let started = async {
            cmd.create_admin(ADMIN_HANDLE, ADMIN_PASSWORD).await?;
            let instances = if mode == Mode::TwoInstances { 2 } else { 1 };
            let mut servers = Vec::new();
            let mut addrs = Vec::new();
            for i in 0..instances {
                let (p, a) = cmd.serve(&format!("hearth-{i}")).await?;
                servers.push(p);
                addrs.push(a);
            }
            anyhow::Ok((servers, addrs))
        }
        .await;
        match started {
            Ok((servers, addrs)) => Ok(Deployment {
                servers,
                addrs,
                backing,
                dir,
            }),
            Err(e) => {
                backing.clean().await;
                Err(e)
            }
        }
    }

    /// Stops the instances and removes the database and the run's files.
    pub async fn stop(self) {
        for s in self.servers {
            s.stop().await;
        }
        self.backing.clean().await;
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn endpoints(addrs: &[SocketAddr], path: &str) -> Vec<Endpoint> {
    addrs
        .iter()
        .map(|&addr| Endpoint {
            addr,
            path: path.to_owned(),
        })
        .collect()
}

/// One Hearth run in `mode` (a socket mode, not posting).
pub async fn run_hearth(
    mode: Mode,
    env: &Environment,
    params: &LoadParams,
) -> anyhow::Result<RunMetrics> {
    let deployment = Deployment::start(mode, env).await?;
    let result = async {
        let base = format!("http://{}", deployment.addrs[0]);
        let p = provision::provision(
            &base,
            params.rooms,
            env.members.max(params.senders),
            params.senders,
        )
        .await?;
        let target = Target {
            endpoints: endpoints(&deployment.addrs, "/api/ws"),
            pids: deployment.servers.iter().map(|s| s.pid).collect(),
            rooms: p.rooms,
            member_cookies: p.member_cookies,
            sender_cookies: p.sender_cookies,
        };
        load::run(&target, params).await
    }
    .await;
    let log_hint = deployment.dir.clone();
    if result.is_err() {
        // Keep the logs of a failed run for whoever reads the error.
        for s in deployment.servers {
            s.stop().await;
        }
        deployment.backing.clean().await;
        return result.with_context(|| {
            format!(
                "{} run failed; server logs in {}",
                mode.name(),
                log_hint.display()
            )
        });
    }
    deployment.stop().await;
    result
}

/// One baseline run (the bench's own broadcast server as a separate process).
pub async fn run_baseline(env: &Environment, params: &LoadParams) -> anyhow::Result<RunMetrics> {
    let dir = run_dir(env, "baseline")?;
    let (proc, addr) = procs::spawn_baseline(&dir).await?;
    let target = baseline_target(addr, proc.pid, params.rooms);
    let result = load::run(&target, params).await;
    proc.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// How the clients reach a baseline server at `addr`.
pub fn baseline_target(addr: SocketAddr, pid: u32, rooms: usize) -> Target {
    Target {
        endpoints: endpoints(&[addr], "/"),
        pids: vec![pid],
        rooms: (0..rooms.max(1)).map(|r| format!("r{r}")).collect(),
        member_cookies: Vec::new(),
        sender_cookies: Vec::new(),
    }
}

/// What the smoke mode measured: one Hearth run and one baseline run, both in this process.
#[derive(Debug, Serialize)]
pub struct SmokeReport {
    /// Hearth (SQLite, in-process bus, started with `hearth_server::start`).
    pub hearth: RunMetrics,
    /// The baseline server (spawned as a task).
    pub baseline: RunMetrics,
}

impl SmokeReport {
    /// Whether every message arrived, once, in order, in both runs.
    pub fn clean(&self) -> bool {
        [&self.hearth, &self.baseline].iter().all(|m| {
            m.lost == 0 && m.out_of_order == 0 && m.published > 0 && m.deliveries == m.expected
        })
    }
}

/// The smoke load: 20 sockets, 2 senders, a few seconds.
pub fn smoke_params() -> LoadParams {
    LoadParams {
        sockets: 20,
        rooms: 1,
        senders: 2,
        rate: 2.0,
        size: 200,
        duration: Duration::from_secs(3),
        connect_concurrency: 8,
    }
}

/// Runs the smoke mode: Hearth in this process on a fresh SQLite file in a temp directory, then
/// the baseline as a task, with the same small load. Needs no binary and no services.
pub async fn smoke(rules: &Path) -> anyhow::Result<SmokeReport> {
    let params = smoke_params();
    let dir = std::env::temp_dir().join(format!(
        "hearth-bench-smoke-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir)?;
    let result = async {
        let config = hearth_server::Config {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            database_url: format!("sqlite://{}/hearth.db?mode=rwc", dir.display()),
            rules: rules.to_owned(),
            limits: procs::raised_limits()?,
            ..hearth_server::Config::default()
        };
        let running = hearth_server::start(config, hearth_app::system_clock()).await?;
        let hearth = async {
            running
                .state
                .app
                .create_admin(ADMIN_HANDLE, "bench_admin@example.org", ADMIN_PASSWORD)
                .await
                .map_err(|e| anyhow::anyhow!("cannot create the admin: {e}"))?;
            let base = format!("http://{}", running.addr);
            let p = provision::provision(&base, params.rooms, 4, params.senders).await?;
            let target = Target {
                endpoints: endpoints(&[running.addr], "/api/ws"),
                pids: vec![std::process::id()],
                rooms: p.rooms,
                member_cookies: p.member_cookies,
                sender_cookies: p.sender_cookies,
            };
            load::run(&target, &params).await
        }
        .await;
        let _ = tokio::time::timeout(Duration::from_secs(5), running.stop()).await;
        let hearth = hearth?;

        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let server = tokio::spawn(crate::baseline::serve(listener));
        let baseline = load::run(
            &baseline_target(addr, std::process::id(), params.rooms),
            &params,
        )
        .await;
        server.abort();
        anyhow::Ok(SmokeReport {
            hearth,
            baseline: baseline?,
        })
    }
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}
