//! Posting over HTTP on PostgreSQL (sign in, `POST /api/threads/{id}/posts` as an admin so
//! nothing is held: rules, store, publish) against `pgbench` running the equivalent INSERT into
//! a table shaped like `posts`, with the same number of clients, on the same database server.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures_util::future::try_join_all;
use serde::Serialize;
use serde_json::json;

use crate::codec::{self, Stamp};
use crate::provision::{ADMIN_HANDLE, ADMIN_PASSWORD, Site};
use crate::scenario::{Deployment, Environment, Mode};

/// Settings for the posting comparison.
#[derive(Clone, Debug, Serialize)]
pub struct PostingParams {
    /// Concurrent clients (HTTP clients, and pgbench's `-c`).
    pub clients: usize,
    /// Seconds each side runs.
    pub seconds: u64,
    /// Post body size in bytes.
    pub size: usize,
}

/// One posting measurement.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PostingMetrics {
    /// Posts (or INSERTs) per second.
    pub per_sec: f64,
    /// How many succeeded.
    pub ok: u64,
    /// How many failed (HTTP status other than 201, or held).
    pub failed: u64,
    /// Hearth only: the server process's CPU time per post, in microseconds.
    pub server_cpu_us_per_post: Option<f64>,
    /// Hearth only: mean time per request as the clients saw it, in milliseconds.
    pub mean_latency_ms: Option<f64>,
}

/// A Hearth instance on a fresh PostgreSQL database, with a board, one thread per client and
/// the `bench_posts` table for pgbench; stopped by [`PostingSetup::stop`].
pub struct PostingSetup {
    deployment: Deployment,
    base: String,
    threads: Vec<String>,
    author: String,
    db_url: String,
}

impl PostingSetup {
    /// Starts and prepares it.
    pub async fn start(env: &Environment, params: &PostingParams) -> anyhow::Result<PostingSetup> {
        let deployment = Deployment::start(Mode::Posting, env).await?;
        let db_url = match &deployment.backing {
            crate::scenario::Backing::Postgres(db, _) => db.url.clone(),
            crate::scenario::Backing::Sqlite(_) => bail!("posting runs on PostgreSQL"),
        };
        let base = format!("http://{}", deployment.addrs[0]);
        let prepared = async {
            let admin = Site::new(&base)?;
            let me = admin.sign_in(ADMIN_HANDLE, ADMIN_PASSWORD).await?;
            let author = me["member"]["id"].as_str().context("no member id")?.to_owned();
            let board = admin.post_ok("/api/admin/boards", json!({"name": "Bench board"})).await?;
            let board = board["board"]["id"].as_str().context("no board id")?.to_owned();
            let mut threads = Vec::new();
            for c in 0..params.clients {
                let t = admin
                    .post_ok(
                        &format!("/api/boards/{board}/threads"),
                        json!({"title": format!("Bench thread {c}"), "body": "A thread to reply to."}),
                    )
                    .await?;
                threads.push(t["thread"]["id"].as_str().context("no thread id")?.to_owned());
            }
            if let crate::scenario::Backing::Postgres(db, _) = &deployment.backing {
                db.execute("CREATE TABLE bench_posts (LIKE posts INCLUDING ALL)").await?;
            }
            anyhow::Ok((author, threads))
        }
        .await;
        match prepared {
            Ok((author, threads)) => Ok(PostingSetup {
                deployment,
                base,
                threads,
                author,
                db_url,
            }),
            Err(e) => {
                deployment.stop().await;
                Err(e)
            }
        }
    }

    /// Hearth: `clients` clients on one signed-in admin session, each replying in its own thread as fast as
    /// answers come, for `seconds`.
    pub async fn run_hearth(&self, params: &PostingParams) -> anyhow::Result<PostingMetrics> {
        // One admin sign-in, its session shared by every client: the admin has a second factor
        // (staff need one), and a code from the app is accepted once per 30-second step.
        let s = Site::new(&self.base)?;
        s.sign_in(ADMIN_HANDLE, ADMIN_PASSWORD).await?;
        let sites = vec![s; params.clients];
        let pid = self
            .deployment
            .servers
            .first()
            .map(|s| s.pid)
            .context("no server")?;
        let cpu_before = crate::procs::cpu_ticks(pid)?;
        let size = params.size;
        let started = Instant::now();
        let until = started + Duration::from_secs(params.seconds);
        let counts = try_join_all(sites.into_iter().zip(self.threads.clone()).enumerate().map(
            |(c, (site, thread))| async move {
                let (mut ok, mut failed) = (0u64, 0u64);
                let mut seq = 0u64;
                while Instant::now() < until {
                    let body = codec::encode(
                        Stamp {
                            sender: c as u32,
                            seq,
                            sent_micros: 0,
                        },
                        size,
                    );
                    seq += 1;
                    let (status, v) = site
                        .call(
                            reqwest::Method::POST,
                            &format!("/api/threads/{thread}/posts"),
                            Some(json!({"body": body})),
                        )
                        .await?;
                    if status == reqwest::StatusCode::CREATED
                        && v["moderation"]["status"] == "published"
                    {
                        ok += 1;
                    } else {
                        failed += 1;
                    }
                }
                anyhow::Ok((ok, failed))
            },
        ))
        .await?;
        let elapsed = started.elapsed().as_secs_f64();
        let cpu = crate::procs::cpu_ticks(pid)?.saturating_sub(cpu_before) as f64
            / crate::procs::clock_ticks_per_second() as f64;
        let ok: u64 = counts.iter().map(|c| c.0).sum();
        let failed: u64 = counts.iter().map(|c| c.1).sum();
        let requests = (ok + failed).max(1) as f64;
        Ok(PostingMetrics {
            per_sec: ok as f64 / elapsed,
            ok,
            failed,
            server_cpu_us_per_post: Some(cpu * 1e6 / ok.max(1) as f64),
            mean_latency_ms: Some(elapsed * 1e3 * params.clients as f64 / requests),
        })
    }

    /// pgbench: the same number of clients running the INSERT Hearth's post boils down to.
    pub async fn run_pgbench(&self, params: &PostingParams) -> anyhow::Result<PostingMetrics> {
        let body = codec::encode(
            Stamp {
                sender: 0,
                seq: 0,
                sent_micros: 0,
            },
            params.size,
        );
        let thread = self.threads.first().context("no thread")?;
        let script = format!(
            "INSERT INTO bench_posts (id, thread_id, author_id, is_first, body_source, body_html, \
             content_warning, status, verdict, decision_reason, created_at, edited_at, decided_at) \
             VALUES (gen_random_uuid(), '{thread}', '{author}', false, '{body}', '<p>{body}</p>', \
             NULL, 'published', '{{\"outcome\":\"publish\",\"hits\":[]}}', NULL, now(), NULL, NULL);\n",
            author = self.author
        );
        let path = self.deployment.dir.join("insert.sql");
        std::fs::write(&path, script)?;
        let out = tokio::process::Command::new("pgbench")
            .arg("-n")
            .arg("-f")
            .arg(&path)
            .args(["-c", &params.clients.to_string()])
            .args(["-j", &params.clients.min(2).to_string()])
            .args(["-T", &params.seconds.to_string()])
            .arg(&self.db_url)
            .output()
            .await
            .context("cannot run pgbench (is it installed? apt-get install postgresql-client)")?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if !out.status.success() {
            bail!("pgbench failed: {text}");
        }
        parse_pgbench(&text).with_context(|| format!("cannot read pgbench's output:\n{text}"))
    }

    /// Stops Hearth and drops the database.
    pub async fn stop(self) {
        self.deployment.stop().await;
    }
}

fn parse_pgbench(text: &str) -> Option<PostingMetrics> {
    let tps_line = text
        .lines()
        .find(|l| l.trim_start().starts_with("tps = "))?;
    let per_sec: f64 = tps_line.split_whitespace().nth(2)?.parse().ok()?;
    let ok = text
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("number of transactions actually processed: ")
        })
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    let failed = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("number of failed transactions: "))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    Some(PostingMetrics {
        per_sec,
        ok,
        failed,
        server_cpu_us_per_post: None,
        mean_latency_ms: None,
    })
}

#[cfg(test)]
mod tests {
    use super::parse_pgbench;

    #[test]
    fn reads_pgbench_output() {
        let text = "transaction type: insert.sql\nnumber of clients: 8\nnumber of transactions actually processed: 41234\nnumber of failed transactions: 0 (0.000%)\nlatency average = 1.9 ms\ninitial connection time = 12.3 ms\ntps = 4123.456789 (without initial connection time)\n";
        let m = parse_pgbench(text).map(|m| (m.per_sec, m.ok, m.failed));
        assert_eq!(m, Some((4123.456789, 41234, 0)));
        assert!(parse_pgbench("nothing").is_none());
    }
}
