//! The smoke mode end to end: a real Hearth (in this process, on a fresh SQLite file), real
//! websockets, then the baseline; every message must arrive once and in order.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smoke_mode_delivers_everything_in_order() {
    let rules = std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../moderation-rules.toml"
    ));
    let report = tokio::time::timeout(
        std::time::Duration::from_secs(120),
        hearth_bench::scenario::smoke(rules),
    )
    .await
    .expect("the smoke run finished in time")
    .expect("the smoke run worked");
    for m in [&report.hearth, &report.baseline] {
        assert!(m.published > 0, "{m:?}");
        assert_eq!(m.lost, 0, "{m:?}");
        assert_eq!(m.out_of_order, 0, "{m:?}");
        assert_eq!(m.deliveries, m.expected, "{m:?}");
        assert_eq!(m.deliveries, m.published * 20, "{m:?}");
        assert!(
            m.latency.p99_us > 0 && m.latency.max_us >= m.latency.p99_us,
            "{m:?}"
        );
    }
    assert_eq!(
        report.hearth.refused, 0,
        "{:?}",
        report.hearth.refusal_samples
    );
    assert!(report.clean());
}
