//! The processes under test and what the kernel says about them: starting `hearth serve`, the
//! baseline server and a private `redis-server`; making and dropping PostgreSQL databases;
//! reading a process's resident memory and CPU time from `/proc`.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::process::{Child, Command};

/// Resident memory of process `pid`, in bytes (`VmRSS` in `/proc/<pid>/status`).
pub fn rss_bytes(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("cannot read /proc/{pid}/status"))?;
    parse_vm_rss(&status).with_context(|| format!("no VmRSS in /proc/{pid}/status"))
}

fn parse_vm_rss(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// User plus system CPU time of process `pid` (all its threads), in clock ticks
/// (`utime` + `stime` in `/proc/<pid>/stat`).
pub fn cpu_ticks(pid: u32) -> anyhow::Result<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("cannot read /proc/{pid}/stat"))?;
    parse_cpu_ticks(&stat).with_context(|| format!("cannot parse /proc/{pid}/stat"))
}

fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    // The command name (field 2) may hold spaces; fields after its closing parenthesis are
    // plain. utime and stime are fields 14 and 15, i.e. the 12th and 13th after the name.
    let rest = stat.get(stat.rfind(')')? + 1..)?;
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 on every Linux we know of).
pub fn clock_ticks_per_second() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100)
}

/// A free TCP port on 127.0.0.1 (bound, read, released; the race is harmless here).
pub fn free_port() -> anyhow::Result<u16> {
    let l = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(l.local_addr()?.port())
}

/// Waits until something accepts TCP connections at `addr`.
pub async fn wait_for_port(addr: SocketAddr, within: Duration) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            bail!("nothing listens on {addr} after {within:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A child process that is killed when dropped (benchmarks must stop on their own).
pub struct Managed {
    /// What it is, for messages.
    pub name: String,
    child: Child,
    /// Its process id.
    pub pid: u32,
}

impl Managed {
    /// Starts `cmd` with its output going to `log`.
    pub fn spawn(name: &str, mut cmd: Command, log: &Path) -> anyhow::Result<Managed> {
        let out = std::fs::File::create(log)
            .with_context(|| format!("cannot create {}", log.display()))?;
        let err = out.try_clone()?;
        cmd.stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .stdin(Stdio::null())
            .kill_on_drop(true);
        let child = cmd
            .spawn()
            .with_context(|| format!("cannot start {name}"))?;
        let pid = child
            .id()
            .with_context(|| format!("{name} exited at once"))?;
        Ok(Managed {
            name: name.to_owned(),
            child,
            pid,
        })
    }

    /// Fails if the process has already exited.
    pub fn check_alive(&mut self) -> anyhow::Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!("{} exited early ({status})", self.name);
        }
        Ok(())
    }

    /// Kills it and waits for it to go.
    pub async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await;
    }
}

/// Where the `hearth` binary of this build is: beside `hearth-bench` in the target directory.
pub fn default_hearth_binary() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join("hearth")))
        .unwrap_or_else(|| PathBuf::from("target/release/hearth"))
}

/// How to run `hearth` for one benchmark run.
#[derive(Clone, Debug)]
pub struct HearthCommand {
    /// The `hearth` binary.
    pub binary: PathBuf,
    /// `DATABASE_URL`.
    pub database_url: String,
    /// `REDIS_URL`, if any.
    pub redis_url: Option<String>,
    /// `HEARTH_RULES`.
    pub rules: PathBuf,
    /// Working directory (holds nothing but logs; keeps a stray `hearth.toml` out).
    pub dir: PathBuf,
}

/// The `[limits]` the bench raises, and to what: it applies for dozens of members from one
/// address, opens thousands of sockets (and subscriptions) for a few members, and has its
/// senders chat faster than a person would. It measures fan-out, not the limits.
pub const RAISED_LIMITS: [(&str, &str); 4] = [
    ("applications", "100000/1h"),
    ("sockets_per_member", "1000000"),
    ("subscribes", "10000000/1m"),
    ("chat", "1000000/1s"),
];

/// The default limits with [`RAISED_LIMITS`] applied, for a server run in this process.
pub fn raised_limits() -> anyhow::Result<hearth_app::limits::LimitsConfig> {
    let mut table = serde_json::to_value(hearth_app::limits::LimitsConfig::default())?;
    for (key, value) in RAISED_LIMITS {
        table[key] = match value.parse::<u64>() {
            Ok(n) => serde_json::Value::from(n),
            Err(_) => serde_json::Value::from(value),
        };
    }
    Ok(serde_json::from_value(table)?)
}

impl HearthCommand {
    fn command(&self, listen: Option<SocketAddr>) -> Command {
        let mut cmd = Command::new(&self.binary);
        cmd.current_dir(&self.dir)
            .env_remove("HEARTH_CONFIG")
            .env("DATABASE_URL", &self.database_url)
            .env("HEARTH_RULES", &self.rules);
        // The server's own default (info) unless told otherwise, as in production.
        match std::env::var("HEARTH_BENCH_SERVER_LOG") {
            Ok(filter) => cmd.env("RUST_LOG", filter),
            Err(_) => cmd.env_remove("RUST_LOG"),
        };
        // The bench signs up dozens of members from one address and opens thousands of sockets
        // for a few of them: raise the limits in the way (see `RAISED_LIMITS`).
        for (key, value) in RAISED_LIMITS {
            cmd.env(format!("HEARTH_LIMITS_{}", key.to_ascii_uppercase()), value);
        }
        match &self.redis_url {
            Some(url) => cmd.env("REDIS_URL", url),
            None => cmd.env_remove("REDIS_URL"),
        };
        if let Some(addr) = listen {
            cmd.env("HEARTH_LISTEN", addr.to_string())
                .env_remove("HEARTH_PUBLIC_URL");
        }
        cmd
    }

    /// `hearth admin create --password-stdin` on this database (which also migrates it).
    pub async fn create_admin(&self, handle: &str, password: &str) -> anyhow::Result<()> {
        use tokio::io::AsyncWriteExt;
        if !self.binary.exists() {
            bail!(
                "no hearth binary at {}: build it first with `cargo build --release -p hearth` \
                 (or pass --hearth-bin)",
                self.binary.display()
            );
        }
        let mut cmd = self.command(None);
        cmd.args([
            "admin",
            "create",
            "--handle",
            handle,
            "--email",
            &format!("{handle}@example.org"),
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut child = cmd.spawn().context("cannot run hearth admin create")?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(format!("{password}\n").as_bytes()).await?;
        }
        let out = child.wait_with_output().await?;
        if !out.status.success() {
            bail!(
                "hearth admin create failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(())
    }

    /// Starts `hearth serve` on a free port and waits until `/healthz` answers.
    pub async fn serve(&self, name: &str) -> anyhow::Result<(Managed, SocketAddr)> {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, free_port()?));
        let log = self.dir.join(format!("{name}.log"));
        let mut proc = Managed::spawn(name, self.command(Some(addr)), &log)?;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        let http = reqwest::Client::new();
        loop {
            if let Ok(r) = http.get(format!("http://{addr}/healthz")).send().await
                && r.status().is_success()
            {
                return Ok((proc, addr));
            }
            if proc.check_alive().is_err() || tokio::time::Instant::now() > deadline {
                let text = std::fs::read_to_string(&log).unwrap_or_default();
                bail!("{name} did not come up on {addr}; its log:\n{text}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Starts the bench's own baseline server (this executable, `--baseline-server ADDR`).
pub async fn spawn_baseline(dir: &Path) -> anyhow::Result<(Managed, SocketAddr)> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, free_port()?));
    let exe = std::env::current_exe().context("cannot find this executable")?;
    let mut cmd = Command::new(exe);
    cmd.arg("--baseline-server").arg(addr.to_string());
    let proc = Managed::spawn("baseline", cmd, &dir.join("baseline.log"))?;
    wait_for_port(addr, Duration::from_secs(20)).await?;
    Ok((proc, addr))
}

/// Starts a private `redis-server` on a free port, persisting nothing.
pub async fn spawn_redis(dir: &Path) -> anyhow::Result<(Managed, String)> {
    let port = free_port()?;
    let mut cmd = Command::new("redis-server");
    cmd.args([
        "--port",
        &port.to_string(),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
    ])
    .arg(dir);
    let proc = Managed::spawn("redis-server", cmd, &dir.join("redis.log"))?;
    wait_for_port(
        SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
        Duration::from_secs(20),
    )
    .await?;
    Ok((proc, format!("redis://127.0.0.1:{port}")))
}

/// A PostgreSQL database made for one run; [`PgDatabase::drop_it`] removes it.
pub struct PgDatabase {
    admin_url: String,
    /// Its name.
    pub name: String,
    /// Its URL.
    pub url: String,
}

impl PgDatabase {
    /// Creates `hearth_bench_<uuid>` on the server `admin_url` points at.
    pub async fn create(admin_url: &str) -> anyhow::Result<PgDatabase> {
        use sea_orm::{ConnectionTrait, Database};
        let name = format!("hearth_bench_{}", uuid::Uuid::new_v4().simple());
        let db = Database::connect(admin_url)
            .await
            .with_context(|| format!("PostgreSQL at {admin_url} is unreachable"))?;
        db.execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await?;
        let _ = db.close().await;
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url, |(b, _)| b)
            .to_owned();
        Ok(PgDatabase {
            admin_url: admin_url.to_owned(),
            url: format!("{base}/{name}"),
            name,
        })
    }

    /// Runs one SQL statement in this database.
    pub async fn execute(&self, sql: &str) -> anyhow::Result<()> {
        use sea_orm::{ConnectionTrait, Database};
        let db = Database::connect(&self.url).await?;
        db.execute_unprepared(sql).await?;
        let _ = db.close().await;
        Ok(())
    }

    /// Drops it (forcing off any connection still open).
    pub async fn drop_it(self) {
        use sea_orm::{ConnectionTrait, Database};
        if let Ok(db) = Database::connect(&self.admin_url).await {
            let _ = db
                .execute_unprepared(&format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    self.name
                ))
                .await;
            let _ = db.close().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_files() {
        assert_eq!(
            parse_vm_rss("Name:\thearth\nVmPeak:\t  999 kB\nVmRSS:\t   20480 kB\n"),
            Some(20480 * 1024)
        );
        let stat = "4242 (tokio (worker)) S 1 4242 4242 0 -1 4194560 1234 0 0 0 150 25 0 0 20 0 3";
        assert_eq!(parse_cpu_ticks(stat), Some(175));
        assert!(rss_bytes(std::process::id()).is_ok_and(|b| b > 0));
        assert!(cpu_ticks(std::process::id()).is_ok());
    }
}
