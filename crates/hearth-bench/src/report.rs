//! The report: medians per mode, Hearth/baseline ratios, the targets of issue 4, a table for
//! the terminal and JSON for the record.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::load::{LoadParams, RunMetrics};
use crate::posting::{PostingMetrics, PostingParams};
use crate::stats::median;

/// The machine a report was taken on.
#[derive(Clone, Debug, Serialize)]
pub struct Machine {
    /// Logical CPUs.
    pub cores: usize,
    /// Total memory, in bytes.
    pub memory_bytes: u64,
    /// `uname -r`.
    pub kernel: String,
    /// `rustc --version`.
    pub rustc: String,
    /// When the run started (UTC, RFC 3339).
    pub date: String,
    /// `/proc/loadavg` when the run started.
    pub load_at_start: String,
}

impl Machine {
    /// Reads it from the system.
    pub fn detect() -> Machine {
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory_bytes = meminfo
            .lines()
            .find(|l| l.starts_with("MemTotal:"))
            .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024);
        let rustc = std::process::Command::new("rustc")
            .arg("--version")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .map_or_else(|| "unknown".to_owned(), |s| s.trim().to_owned());
        Machine {
            cores: std::thread::available_parallelism().map_or(0, usize::from),
            memory_bytes,
            kernel: read_trimmed("/proc/sys/kernel/osrelease"),
            rustc,
            date: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            load_at_start: read_trimmed("/proc/loadavg"),
        }
    }
}

/// A file's contents, trimmed (empty if unreadable).
pub fn read_trimmed(path: &str) -> String {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

/// One socket run: `baseline`, `sqlite`, `pg-redis` or `two-instances`.
#[derive(Clone, Debug, Serialize)]
pub struct Record {
    /// Which system ran.
    pub system: String,
    /// 0-based round (each round runs every system once, in turn).
    pub round: usize,
    /// What it measured.
    pub metrics: RunMetrics,
}

/// One posting run: `hearth` or `pgbench`.
#[derive(Clone, Debug, Serialize)]
pub struct PostingRecord {
    /// Which side ran.
    pub system: String,
    /// 0-based round.
    pub round: usize,
    /// What it measured.
    pub metrics: PostingMetrics,
}

/// Medians over a system's runs, plus totals of what must be zero.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Medians {
    /// Runs counted.
    pub runs: usize,
    /// Deliveries per second.
    pub deliveries_per_sec: f64,
    /// Server CPU microseconds per delivery.
    pub cpu_per_delivery_us: f64,
    /// Latency median, ms.
    pub p50_ms: f64,
    /// Latency 99th percentile, ms.
    pub p99_ms: f64,
    /// Latency maximum, ms.
    pub max_ms: f64,
    /// Server memory per open idle socket, bytes.
    pub mem_per_socket: f64,
    /// Messages published per run.
    pub published: f64,
    /// Lost deliveries, all runs together.
    pub lost_total: u64,
    /// Out-of-order deliveries, all runs together.
    pub out_of_order_total: u64,
    /// Receivers closed by the server, all runs together.
    pub receivers_closed_total: u64,
    /// Refused `say`s, all runs together.
    pub refused_total: u64,
}

fn med(runs: &[&RunMetrics], f: impl Fn(&RunMetrics) -> f64) -> f64 {
    median(&runs.iter().map(|m| f(m)).collect::<Vec<_>>()).unwrap_or(0.0)
}

impl Medians {
    /// Medians of `runs`.
    pub fn of(runs: &[&RunMetrics]) -> Medians {
        Medians {
            runs: runs.len(),
            deliveries_per_sec: med(runs, |m| m.deliveries_per_sec),
            cpu_per_delivery_us: med(runs, |m| m.cpu_per_delivery_us),
            p50_ms: med(runs, |m| f64::from(m.latency.p50_us) / 1e3),
            p99_ms: med(runs, |m| f64::from(m.latency.p99_us) / 1e3),
            max_ms: med(runs, |m| f64::from(m.latency.max_us) / 1e3),
            mem_per_socket: med(runs, |m| m.mem_per_socket),
            published: med(runs, |m| m.published as f64),
            lost_total: runs.iter().map(|m| m.lost).sum(),
            out_of_order_total: runs.iter().map(|m| m.out_of_order).sum(),
            receivers_closed_total: runs.iter().map(|m| m.receivers_closed).sum(),
            refused_total: runs.iter().map(|m| m.refused).sum(),
        }
    }
}

/// One target of issue 4 and whether it was met.
#[derive(Clone, Debug, Serialize)]
pub struct TargetCheck {
    /// What is compared.
    pub name: String,
    /// The measured value.
    pub value: f64,
    /// The bound, as text (`>= 0.8`).
    pub bound: String,
    /// Whether it was met.
    pub met: bool,
}

/// Everything a full run produced.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Where it ran.
    pub machine: Machine,
    /// The command line.
    pub command: String,
    /// The socket load.
    pub load: LoadParams,
    /// The posting comparison's settings.
    pub posting: PostingParams,
    /// Every socket run.
    pub records: Vec<Record>,
    /// Every posting run.
    pub posting_records: Vec<PostingRecord>,
    /// Medians per system.
    pub medians: BTreeMap<String, Medians>,
    /// Named ratios (Hearth over baseline, two instances over one, Hearth over pgbench).
    pub ratios: BTreeMap<String, f64>,
    /// The targets.
    pub targets: Vec<TargetCheck>,
    /// `/proc/loadavg` when the run ended.
    pub load_at_end: String,
}

fn ratio(a: f64, b: f64) -> f64 {
    if b == 0.0 { f64::NAN } else { a / b }
}

impl Report {
    /// Works out medians, ratios and targets from the records.
    pub fn finish(&mut self) {
        let mut by: BTreeMap<String, Vec<&RunMetrics>> = BTreeMap::new();
        for r in &self.records {
            by.entry(r.system.clone()).or_default().push(&r.metrics);
        }
        self.medians = by
            .iter()
            .map(|(k, v)| (k.clone(), Medians::of(v)))
            .collect();
        let mut ratios = BTreeMap::new();
        let mut targets = Vec::new();
        let base = self.medians.get("baseline").cloned();
        for mode in ["sqlite", "pg-redis", "two-instances"] {
            let (Some(h), Some(b)) = (self.medians.get(mode), base.as_ref()) else {
                continue;
            };
            ratios.insert(
                format!("{mode}/baseline deliveries_per_sec"),
                ratio(h.deliveries_per_sec, b.deliveries_per_sec),
            );
            ratios.insert(
                format!("{mode}/baseline cpu_per_delivery"),
                ratio(h.cpu_per_delivery_us, b.cpu_per_delivery_us),
            );
            ratios.insert(format!("{mode}/baseline p99"), ratio(h.p99_ms, b.p99_ms));
            ratios.insert(
                format!("{mode}/baseline mem_per_socket"),
                ratio(h.mem_per_socket, b.mem_per_socket),
            );
        }
        if let (Some(h), Some(_)) = (self.medians.get("sqlite"), base.as_ref()) {
            let r = |k: &str| {
                ratios
                    .get(&format!("sqlite/baseline {k}"))
                    .copied()
                    .unwrap_or(f64::NAN)
            };
            targets.push(check(
                "one instance (sqlite): deliveries/s vs baseline",
                r("deliveries_per_sec"),
                ">= 0.8",
                |v| v >= 0.8,
            ));
            targets.push(check(
                "one instance (sqlite): CPU per delivery vs baseline",
                r("cpu_per_delivery"),
                "<= 1.3",
                |v| v <= 1.3,
            ));
            targets.push(check(
                "one instance (sqlite): p99 latency vs baseline",
                r("p99"),
                "<= 1.5",
                |v| v <= 1.5,
            ));
            let bad = (h.lost_total + h.out_of_order_total) as f64;
            targets.push(check(
                "one instance (sqlite): lost + out of order",
                bad,
                "== 0",
                |v| v == 0.0,
            ));
        }
        if let (Some(two), Some(one)) = (
            self.medians.get("two-instances"),
            self.medians.get("pg-redis"),
        ) {
            let rate = ratio(two.deliveries_per_sec, one.deliveries_per_sec);
            ratios.insert("two-instances/pg-redis deliveries_per_sec".to_owned(), rate);
            let added = two.p50_ms - one.p50_ms;
            ratios.insert("two-instances minus pg-redis p50 (ms)".to_owned(), added);
            targets.push(check(
                "two instances via Redis: deliveries/s vs one instance (pg-redis)",
                rate,
                ">= 0.8",
                |v| v >= 0.8,
            ));
            targets.push(check(
                "two instances via Redis: p50 added (ms)",
                added,
                "<= 1.0",
                |v| v <= 1.0,
            ));
            let bad = (two.lost_total + two.out_of_order_total) as f64;
            targets.push(check(
                "two instances: lost + out of order",
                bad,
                "== 0",
                |v| v == 0.0,
            ));
        }
        for mode in ["sqlite", "pg-redis", "two-instances"] {
            if let Some(h) = self.medians.get(mode) {
                targets.push(check(
                    &format!("{mode}: memory per idle signed-in socket (KiB)"),
                    h.mem_per_socket / 1024.0,
                    "< 16",
                    |v| v < 16.0,
                ));
            }
        }
        let hearth: Vec<f64> = self
            .posting_records
            .iter()
            .filter(|r| r.system == "hearth")
            .map(|r| r.metrics.per_sec)
            .collect();
        let pgbench: Vec<f64> = self
            .posting_records
            .iter()
            .filter(|r| r.system == "pgbench")
            .map(|r| r.metrics.per_sec)
            .collect();
        if let (Some(h), Some(p)) = (median(&hearth), median(&pgbench)) {
            ratios.insert("posting hearth posts/s (median)".to_owned(), h);
            ratios.insert("posting pgbench inserts/s (median)".to_owned(), p);
            ratios.insert("posting hearth/pgbench".to_owned(), ratio(h, p));
            targets.push(check(
                "HTTP posting on PostgreSQL vs pgbench",
                ratio(h, p),
                ">= 0.5",
                |v| v >= 0.5,
            ));
        }
        self.ratios = ratios;
        self.targets = targets;
    }

    /// The report as a text table.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{:<14} {:>4} {:>12} {:>10} {:>9} {:>9} {:>9} {:>10} {:>6} {:>6} {:>7}",
            "system",
            "runs",
            "deliv/s",
            "cpu us/dl",
            "p50 ms",
            "p99 ms",
            "max ms",
            "KiB/sock",
            "lost",
            "ooo",
            "closed"
        );
        for (k, m) in &self.medians {
            let _ = writeln!(
                s,
                "{:<14} {:>4} {:>12.0} {:>10.2} {:>9.2} {:>9.2} {:>9.2} {:>10.1} {:>6} {:>6} {:>7}",
                k,
                m.runs,
                m.deliveries_per_sec,
                m.cpu_per_delivery_us,
                m.p50_ms,
                m.p99_ms,
                m.max_ms,
                m.mem_per_socket / 1024.0,
                m.lost_total,
                m.out_of_order_total,
                m.receivers_closed_total
            );
        }
        if !self.ratios.is_empty() {
            let _ = writeln!(s, "\nratios");
            for (k, v) in &self.ratios {
                let _ = writeln!(s, "  {k:<48} {v:>10.3}");
            }
        }
        if !self.targets.is_empty() {
            let _ = writeln!(s, "\ntargets (issue 4)");
            for t in &self.targets {
                let _ = writeln!(
                    s,
                    "  [{}] {:<64} {:>9.3} {}",
                    if t.met { "met " } else { "MISS" },
                    t.name,
                    t.value,
                    t.bound
                );
            }
        }
        s
    }
}

fn check(name: &str, value: f64, bound: &str, ok: impl Fn(f64) -> bool) -> TargetCheck {
    TargetCheck {
        name: name.to_owned(),
        value,
        bound: bound.to_owned(),
        met: !value.is_nan() && ok(value),
    }
}
