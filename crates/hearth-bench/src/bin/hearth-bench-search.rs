//! `hearth-bench-search`: how fast `GET /api/search` answers at 100,000 posts on PostgreSQL,
//! against a baseline run beside it in the same run: the bare full-text query Hearth's search
//! is built on (match, take the newest 2,000 matches, rank them, top 20) sent straight to the
//! same database, which is the least that search must do.
//!
//!   cargo build --release -p hearth -p hearth-bench
//!   target/release/hearth-bench-search --posts 100000
//!
//! The posts are written straight into the database (generated text over a skewed vocabulary,
//! so some words are in a third of all posts and some in a handful), because making 100,000
//! posts through the API would measure posting, not search. Then the same queries (common,
//! middling and rare words, and two-word searches) are run through Hearth as a signed-in member
//! and through the baseline, alternating, and the medians and 99th percentiles are reported.
#![allow(clippy::print_stderr, clippy::print_stdout)]

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::Parser;
use hearth_bench::procs::default_hearth_binary;
use hearth_bench::provision::{ADMIN_HANDLE, ADMIN_PASSWORD, Site};
use hearth_bench::scenario::{Backing, Deployment, Environment, Mode};
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use serde_json::json;

/// Measures search at scale on PostgreSQL.
#[derive(Parser, Debug)]
struct Cli {
    /// Posts to generate.
    #[arg(long, default_value_t = 100_000)]
    posts: usize,
    /// Searches per query word per side.
    #[arg(long, default_value_t = 20)]
    repeats: usize,
    /// The `hearth` binary (default: target/release/hearth beside this one).
    #[arg(long)]
    hearth_bin: Option<PathBuf>,
    /// The moderation rules file.
    #[arg(long, default_value = "moderation-rules.toml")]
    rules: PathBuf,
    /// A PostgreSQL server the bench may create a database on.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    postgres_url: String,
}

/// Words a family member might write, most common first: the generator picks early words far
/// more often than late ones.
const VOCABULARY: &[&str] = &[
    "the",
    "and",
    "feel",
    "know",
    "time",
    "family",
    "today",
    "still",
    "think",
    "people",
    "week",
    "help",
    "talk",
    "court",
    "visit",
    "children",
    "partner",
    "prison",
    "worry",
    "hope",
    "night",
    "tired",
    "friends",
    "mother",
    "father",
    "brother",
    "sister",
    "son",
    "daughter",
    "letter",
    "phone",
    "probation",
    "police",
    "hearing",
    "sentence",
    "solicitor",
    "school",
    "work",
    "neighbours",
    "shame",
    "anger",
    "grief",
    "love",
    "trust",
    "sleep",
    "group",
    "counsellor",
    "holiday",
    "christmas",
    "birthday",
    "garden",
    "dog",
    "walk",
    "tea",
    "rain",
    "drive",
    "appointment",
    "licence",
    "hostel",
    "release",
    "conditions",
    "supervision",
    "therapy",
    "newspaper",
    "reporter",
    "village",
    "move",
    "house",
    "money",
    "debt",
    "benefits",
    "doctor",
    "medication",
    "panic",
    "breathing",
    "kindness",
    "strength",
    "courage",
    "patience",
    "future",
    "past",
    "memories",
    "photographs",
    "wedding",
    "anniversary",
    "divorce",
    "separation",
    "contact",
    "grandchildren",
    "social",
    "worker",
    "assessment",
    "meeting",
    "conference",
    "paperwork",
    "forms",
    "deadline",
    "barrister",
    "verdict",
    "appeal",
    "visiting",
    "order",
    "lighthouse",
    "kayak",
    "marmalade",
    "harpsichord",
    "origami",
    "sourdough",
    "allotment",
];

fn words_sql() -> String {
    VOCABULARY
        .iter()
        .map(|w| format!("'{w}'"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Queries: common, middling and rare single words, and two-word searches.
const QUERIES: &[&str] = &[
    "family",
    "court",
    "probation hearing",
    "anniversary",
    "solicitor letter",
    "lighthouse",
    "sourdough marmalade",
];

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let work_dir = std::env::temp_dir().join(format!(
        "hearth-bench-search-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&work_dir)?;
    let env = Environment {
        hearth_binary: cli.hearth_bin.clone().unwrap_or_else(default_hearth_binary),
        rules: cli
            .rules
            .canonicalize()
            .with_context(|| format!("rules file {}", cli.rules.display()))?,
        postgres_url: cli.postgres_url.clone(),
        redis_url: None,
        work_dir: work_dir.clone(),
        members: 1,
    };
    // A PostgreSQL instance without Redis: the posting mode's deployment.
    let deployment = Deployment::start(Mode::Posting, &env).await?;
    let result = run(&cli, &deployment).await;
    deployment.stop().await;
    let _ = std::fs::remove_dir_all(&work_dir);
    result
}

async fn run(cli: &Cli, deployment: &Deployment) -> anyhow::Result<()> {
    let Backing::Postgres(db, _) = &deployment.backing else {
        anyhow::bail!("search is measured on PostgreSQL");
    };
    let base = format!("http://{}", deployment.addrs[0]);
    let admin = Site::new(&base)?;
    let me = admin.sign_in(ADMIN_HANDLE, ADMIN_PASSWORD).await?;
    let author = me["member"]["id"].as_str().context("no id")?.to_owned();
    let board = admin
        .post_ok("/api/admin/boards", json!({"name": "Everyday life"}))
        .await?;
    let board = board["board"]["id"]
        .as_str()
        .context("no board")?
        .to_owned();

    let threads = cli.posts.div_ceil(20);
    let started = Instant::now();
    let words = words_sql();
    let n = VOCABULARY.len();
    // Skewed picks: floor(n * random()^2.5) makes early words common and late ones rare. The
    // `g * 0` keeps each row's random text its own (a correlated subquery).
    let text = |count: usize| {
        format!(
            "array_to_string(ARRAY(SELECT (ARRAY[{words}])[1 + floor({n} * power(random(), 2.5))::int] \
             FROM generate_series(1, {count} + g * 0)), ' ')"
        )
    };
    db.execute(&format!(
        "INSERT INTO threads (id, board_id, author_id, title, status, pinned, locked, post_count, \
         created_at, last_activity_at) \
         SELECT gen_random_uuid(), '{board}', '{author}', {title}, 'published', false, false, 20, \
         now() - (g || ' minutes')::interval, now() - (g || ' minutes')::interval \
         FROM generate_series(1, {threads}) g",
        title = text(5),
    ))
    .await?;
    db.execute(&format!(
        "WITH t AS (SELECT id, created_at, row_number() OVER (ORDER BY created_at) - 1 AS r \
         FROM threads) \
         INSERT INTO posts (id, thread_id, author_id, is_first, body_source, body_html, status, \
         verdict, created_at) \
         SELECT gen_random_uuid(), t.id, '{author}', g % 20 = 0, b.body, '<p>' || b.body || '</p>', \
         'published', '{{}}', t.created_at + (g % 20 || ' seconds')::interval \
         FROM generate_series(0, {last}) g JOIN t ON t.r = g / 20 \
         CROSS JOIN LATERAL (SELECT {body} AS body) b",
        body = text(40),
        last = cli.posts.saturating_sub(1),
    ))
    .await?;
    db.execute("ANALYZE").await?;
    eprintln!(
        "generated {} posts in {threads} threads in {:.1} s",
        cli.posts,
        started.elapsed().as_secs_f64()
    );

    let member = Site::new(&base)?;
    member.sign_in(ADMIN_HANDLE, ADMIN_PASSWORD).await?;
    let bare = Database::connect(db.url.clone()).await?;
    let mut hearth_ms = Vec::new();
    let mut bare_ms = Vec::new();
    let mut per_query = Vec::new();
    for q in QUERIES {
        let (mut h, mut b) = (Vec::new(), Vec::new());
        let mut found = 0;
        for _ in 0..cli.repeats {
            let t = Instant::now();
            let (status, v) = member
                .call(
                    reqwest::Method::GET,
                    &format!("/api/search?q={}", q.replace(' ', "%20")),
                    None,
                )
                .await?;
            h.push(t.elapsed().as_secs_f64() * 1000.0);
            anyhow::ensure!(status.is_success(), "search {q}: {status} {v}");
            found = v["results"].as_array().map_or(0, Vec::len);
            let t = Instant::now();
            bare.query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT id FROM (SELECT id, search_vector FROM posts \
                 WHERE search_vector @@ plainto_tsquery('english', $1) AND status = 'published' \
                 ORDER BY created_at DESC LIMIT 2000) c \
                 ORDER BY ts_rank(search_vector, plainto_tsquery('english', $1)) DESC LIMIT 21",
                [(*q).into()],
            ))
            .await?;
            b.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        let matching: i64 = bare
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT COUNT(*) AS n FROM posts WHERE search_vector @@ plainto_tsquery('english', $1)",
                [(*q).into()],
            ))
            .await?
            .map(|r| r.try_get::<i64>("", "n"))
            .transpose()?
            .unwrap_or(0);
        h.sort_by(f64::total_cmp);
        b.sort_by(f64::total_cmp);
        per_query.push((q, matching, found, percentile(&h, 0.5), percentile(&b, 0.5)));
        hearth_ms.extend(h);
        bare_ms.extend(b);
    }
    hearth_ms.sort_by(f64::total_cmp);
    bare_ms.sort_by(f64::total_cmp);
    println!(
        "search at {} posts on PostgreSQL ({} searches per side)",
        cli.posts,
        hearth_ms.len()
    );
    println!("| query | posts matching | results shown | Hearth p50 ms | bare query p50 ms |");
    println!("|---|---|---|---|---|");
    for (q, matching, found, h, b) in &per_query {
        println!("| {q} | {matching} | {found} | {h:.1} | {b:.1} |");
    }
    let (h50, h99) = (percentile(&hearth_ms, 0.5), percentile(&hearth_ms, 0.99));
    let (b50, b99) = (percentile(&bare_ms, 0.5), percentile(&bare_ms, 0.99));
    println!(
        "Hearth GET /api/search: p50 {h50:.1} ms, p99 {h99:.1} ms; bare full-text query: p50 {b50:.1} ms, p99 {b99:.1} ms; ratio p50 {:.2}x, p99 {:.2}x",
        h50 / b50,
        h99 / b99
    );
    println!(
        "target: under 50 ms at 100,000 posts: {}",
        if h99 < 50.0 {
            "met (p99)"
        } else if h50 < 50.0 {
            "met at p50, not at p99"
        } else {
            "NOT met"
        }
    );
    Ok(())
}
