//! Percentiles and medians for the report.

/// The `p`th percentile (0 to 100) of `sorted` (ascending) by the nearest-rank method: the
/// smallest sample such that at least `p`% of samples are at or below it. `None` if empty.
pub fn percentile(sorted: &[u32], p: f64) -> Option<u32> {
    if sorted.is_empty() {
        return None;
    }
    let n = sorted.len();
    let rank = ((p.clamp(0.0, 100.0) / 100.0) * n as f64).ceil() as usize;
    sorted.get(rank.clamp(1, n) - 1).copied()
}

/// The median of `values` (the mean of the middle two when there is an even number). `None` if
/// empty or if a value is NaN.
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() || values.iter().any(|v| v.is_nan()) {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    if v.len() % 2 == 1 {
        v.get(mid).copied()
    } else {
        Some((v.get(mid - 1)? + v.get(mid)?) / 2.0)
    }
}

/// Delivery latency over a run, in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Latency {
    /// Samples (one per delivery).
    pub count: usize,
    /// Median.
    pub p50_us: u32,
    /// 99th percentile.
    pub p99_us: u32,
    /// Slowest.
    pub max_us: u32,
}

impl Latency {
    /// Summarises samples (sorts them in place).
    pub fn from_samples(samples: &mut [u32]) -> Latency {
        samples.sort_unstable();
        Latency {
            count: samples.len(),
            p50_us: percentile(samples, 50.0).unwrap_or(0),
            p99_us: percentile(samples, 99.0).unwrap_or(0),
            max_us: samples.last().copied().unwrap_or(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<u32> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), Some(50));
        assert_eq!(percentile(&v, 99.0), Some(99));
        assert_eq!(percentile(&v, 99.5), Some(100));
        assert_eq!(percentile(&v, 100.0), Some(100));
        assert_eq!(percentile(&v, 0.0), Some(1));
        assert_eq!(percentile(&[7], 99.0), Some(7));
        assert_eq!(percentile(&[], 50.0), None);
        // 1,000 samples with ten slow ones: the 99th percentile is the fast side's top.
        let mut w = vec![10u32; 990];
        w.extend([5_000; 10]);
        let l = Latency::from_samples(&mut w);
        assert_eq!(
            (l.count, l.p50_us, l.p99_us, l.max_us),
            (1000, 10, 10, 5_000)
        );
        w.push(5_000);
        assert_eq!(Latency::from_samples(&mut w).p99_us, 5_000);
    }

    #[test]
    fn medians() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[1.0, f64::NAN]), None);
    }
}
