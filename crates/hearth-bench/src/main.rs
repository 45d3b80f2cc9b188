//! The `hearth-bench` command. See the crate documentation and `--help`.
#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use hearth_bench::load::LoadParams;
use hearth_bench::posting::{PostingParams, PostingSetup};
use hearth_bench::report::{Machine, PostingRecord, Record, Report};
use hearth_bench::scenario::{self, Environment, Mode};

/// Load generator for Hearth's realtime socket, measured against a bare tokio-tungstenite
/// broadcast server in the same run.
///
/// Quick check that everything works (about 20 s, no services needed):
///
///   cargo run --release -p hearth-bench -- --smoke
///
/// A real run (build the server first; PostgreSQL must be reachable for the pg modes):
///
///   cargo build --release -p hearth -p hearth-bench
///
///   cargo run --release -p hearth-bench -- --mode sqlite --sockets 5000
///
/// With no --mode, every mode runs. Each round runs the baseline and then each chosen Hearth
/// mode once, so Hearth and baseline alternate; --runs rounds are taken and the medians
/// reported. Servers run as separate processes (`hearth serve`, and this binary as the
/// baseline), so their memory and CPU are measured alone. Results: a table on stdout and JSON
/// in --out.
#[derive(Parser, Debug)]
#[command(
    name = "hearth-bench",
    version,
    about,
    long_about,
    verbatim_doc_comment
)]
struct Cli {
    /// Tiny end-to-end check for CI: Hearth on SQLite in this process, then the baseline, 20
    /// sockets for a few seconds. Exits non-zero if any message is lost or out of order.
    #[arg(long)]
    smoke: bool,

    /// What to run (repeat to pick several): sqlite, pg-redis, two-instances, posting.
    /// Default: all of them.
    #[arg(long, value_enum)]
    mode: Vec<Mode>,

    /// Receiving sockets. Past 25,000 they are spread over 127.0.0.2, .3, ...
    #[arg(long, default_value_t = 5000)]
    sockets: usize,

    /// Rooms the receivers are spread over (the targets are for one room).
    #[arg(long, default_value_t = 1)]
    rooms: usize,

    /// Members created for the run; receivers share their sessions round-robin.
    #[arg(long, default_value_t = 50)]
    members: usize,

    /// Senders (moderators, each with one sending socket). Hearth allows each member about one
    /// message per 2 s (burst 5), so keep --rate below --senders / 2.
    #[arg(long, default_value_t = 25)]
    senders: usize,

    /// Chat messages per second, all senders together.
    #[arg(long, default_value_t = 10.0)]
    rate: f64,

    /// Message body size in bytes.
    #[arg(long, default_value_t = 200)]
    size: usize,

    /// Seconds the senders send, per run.
    #[arg(long, default_value_t = 20)]
    duration: u64,

    /// Rounds (each runs the baseline and every chosen mode once); medians are reported.
    #[arg(long, default_value_t = 3)]
    runs: usize,

    /// Sockets connecting at once while the receivers are opened.
    #[arg(long, default_value_t = 64)]
    connect_concurrency: usize,

    /// Concurrent clients for the posting comparison (HTTP clients and pgbench -c).
    #[arg(long, default_value_t = 8)]
    posting_clients: usize,

    /// Seconds each side of the posting comparison runs.
    #[arg(long, default_value_t = 10)]
    posting_seconds: u64,

    /// The `hearth` binary to test (default: the one beside this executable).
    #[arg(long, value_name = "PATH")]
    hearth_bin: Option<PathBuf>,

    /// The moderation rules file the server loads.
    #[arg(long, value_name = "PATH", default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../moderation-rules.toml"))]
    rules: PathBuf,

    /// PostgreSQL server on which a fresh database is made for each run (and dropped after).
    #[arg(
        long,
        env = "HEARTH_BENCH_POSTGRES",
        default_value = "postgres://postgres@127.0.0.1:5432/test"
    )]
    postgres_url: String,

    /// Redis to use for the Redis modes. Default: start a private redis-server per run.
    #[arg(long, env = "HEARTH_BENCH_REDIS")]
    redis_url: Option<String>,

    /// Where the JSON results go.
    #[arg(long, default_value = "bench-results")]
    out: PathBuf,

    /// Internal: serve the baseline on ADDR (the bench starts itself this way).
    #[arg(long, hide = true, value_name = "ADDR")]
    baseline_server: Option<SocketAddr>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Thousands of sockets need thousands of descriptors; children inherit the raised limit.
    if let Err(e) = rlimit::increase_nofile_limit(u64::MAX) {
        eprintln!("hearth-bench: cannot raise the open-file limit: {e}");
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("hearth-bench: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        if let Some(addr) = cli.baseline_server {
            let listener = tokio::net::TcpListener::bind(addr).await?;
            hearth_bench::baseline::serve(listener).await?;
            return Ok(true);
        }
        if cli.smoke {
            return smoke(&cli).await;
        }
        full(cli).await
    });
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("hearth-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn smoke(cli: &Cli) -> anyhow::Result<bool> {
    let report = scenario::smoke(&cli.rules).await?;
    for (name, m) in [("hearth", &report.hearth), ("baseline", &report.baseline)] {
        println!(
            "{name:<9} published {:>3}  deliveries {:>4}/{:<4}  lost {}  out of order {}  p50 {:.2} ms  p99 {:.2} ms",
            m.published,
            m.deliveries,
            m.expected,
            m.lost,
            m.out_of_order,
            f64::from(m.latency.p50_us) / 1e3,
            f64::from(m.latency.p99_us) / 1e3,
        );
    }
    let ok = report.clean();
    println!(
        "smoke: {}",
        if ok {
            "ok"
        } else {
            "FAILED (lost, out of order or nothing published)"
        }
    );
    Ok(ok)
}

async fn full(cli: Cli) -> anyhow::Result<bool> {
    let mut modes = cli.mode.clone();
    if modes.is_empty() {
        modes = vec![
            Mode::Sqlite,
            Mode::PgRedis,
            Mode::TwoInstances,
            Mode::Posting,
        ];
    }
    modes.sort();
    modes.dedup();
    let work_dir =
        std::env::temp_dir().join(format!("hearth-bench-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&work_dir)?;
    let env = Environment {
        hearth_binary: cli
            .hearth_bin
            .clone()
            .unwrap_or_else(hearth_bench::procs::default_hearth_binary),
        rules: cli
            .rules
            .canonicalize()
            .with_context(|| format!("rules file {}", cli.rules.display()))?,
        postgres_url: cli.postgres_url.clone(),
        redis_url: cli.redis_url.clone(),
        work_dir: work_dir.clone(),
        members: cli.members,
    };
    let load = LoadParams {
        sockets: cli.sockets,
        rooms: cli.rooms.max(1),
        senders: cli.senders,
        rate: cli.rate,
        size: cli.size,
        duration: Duration::from_secs(cli.duration),
        connect_concurrency: cli.connect_concurrency,
    };
    let posting = PostingParams {
        clients: cli.posting_clients,
        seconds: cli.posting_seconds,
        size: cli.size,
    };
    let mut report = Report {
        machine: Machine::detect(),
        command: std::env::args().collect::<Vec<_>>().join(" "),
        load: load.clone(),
        posting: posting.clone(),
        records: Vec::new(),
        posting_records: Vec::new(),
        medians: Default::default(),
        ratios: Default::default(),
        targets: Vec::new(),
        load_at_end: String::new(),
    };
    let socket_modes: Vec<Mode> = modes
        .iter()
        .copied()
        .filter(|m| *m != Mode::Posting)
        .collect();
    for round in 0..cli.runs {
        if socket_modes.is_empty() {
            break;
        }
        let m = scenario::run_baseline(&env, &load)
            .await
            .context("baseline run")?;
        eprintln!("round {round} baseline: {}", brief(&m));
        report.records.push(Record {
            system: "baseline".to_owned(),
            round,
            metrics: m,
        });
        for &mode in &socket_modes {
            let m = scenario::run_hearth(mode, &env, &load).await?;
            eprintln!("round {round} {}: {}", mode.name(), brief(&m));
            report.records.push(Record {
                system: mode.name().to_owned(),
                round,
                metrics: m,
            });
        }
    }
    if modes.contains(&Mode::Posting) {
        let setup = PostingSetup::start(&env, &posting)
            .await
            .context("posting setup")?;
        let result = async {
            for round in 0..cli.runs {
                let h = setup.run_hearth(&posting).await?;
                eprintln!(
                    "round {round} posting hearth: {:.0}/s ({} failed, {:.0} us server CPU per post, {:.1} ms per request)",
                    h.per_sec,
                    h.failed,
                    h.server_cpu_us_per_post.unwrap_or(0.0),
                    h.mean_latency_ms.unwrap_or(0.0)
                );
                report.posting_records.push(PostingRecord {
                    system: "hearth".to_owned(),
                    round,
                    metrics: h,
                });
                let p = setup.run_pgbench(&posting).await?;
                eprintln!("round {round} posting pgbench: {:.0}/s", p.per_sec);
                report.posting_records.push(PostingRecord {
                    system: "pgbench".to_owned(),
                    round,
                    metrics: p,
                });
            }
            anyhow::Ok(())
        }
        .await;
        setup.stop().await;
        result?;
    }
    report.load_at_end = hearth_bench::report::read_trimmed("/proc/loadavg");
    report.finish();
    println!("{}", report.table());
    std::fs::create_dir_all(&cli.out)?;
    let path = cli.out.join(format!(
        "{}.json",
        chrono::Utc::now().format("%Y%m%dT%H%M%SZ")
    ));
    std::fs::write(&path, serde_json::to_string_pretty(&report)?)?;
    println!("results written to {}", path.display());
    let _ = std::fs::remove_dir_all(&work_dir);
    let clean = report
        .records
        .iter()
        .all(|r| r.metrics.lost == 0 && r.metrics.out_of_order == 0);
    Ok(clean)
}

fn brief(m: &hearth_bench::load::RunMetrics) -> String {
    format!(
        "{:.0} deliveries/s, p50 {:.2} ms, p99 {:.2} ms, cpu {:.2} us/delivery, {:.1} KiB/socket, lost {}, out of order {}, published {}, refused {} {:?}",
        m.deliveries_per_sec,
        f64::from(m.latency.p50_us) / 1e3,
        f64::from(m.latency.p99_us) / 1e3,
        m.cpu_per_delivery_us,
        m.mem_per_socket / 1024.0,
        m.lost,
        m.out_of_order,
        m.published,
        m.refused,
        m.refusal_samples
    )
}
