//! Token buckets for rate limits, per socket (all frames) and per member (chat messages).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// A rate: up to `burst` actions at once, then one more every `refill_every`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Actions allowed in a burst (the bucket's size).
    pub burst: u32,
    /// Time to earn back one action.
    pub refill_every: Duration,
}

impl RateLimit {
    /// A limit of `burst` at once and one more every `refill_every`.
    pub const fn new(burst: u32, refill_every: Duration) -> Self {
        Self {
            burst,
            refill_every,
        }
    }
}

/// One bucket. Uses tokio's clock so tests can pause and advance time instead of sleeping.
#[derive(Clone, Debug)]
pub struct TokenBucket {
    limit: RateLimit,
    tokens: f64,
    updated: Instant,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            tokens: f64::from(limit.burst),
            updated: Instant::now(),
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.updated);
        self.updated = now;
        let per = self.limit.refill_every.as_secs_f64();
        let earned = if per > 0.0 {
            elapsed.as_secs_f64() / per
        } else {
            f64::INFINITY
        };
        self.tokens = (self.tokens + earned).min(f64::from(self.limit.burst));
    }

    /// Takes one token if there is one. `false` means "over the limit: refuse this action".
    pub fn try_take(&mut self) -> bool {
        self.refill(Instant::now());
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    fn is_full(&mut self, now: Instant) -> bool {
        self.refill(now);
        self.tokens >= f64::from(self.limit.burst)
    }
}

/// Entries kept before full (idle) buckets are pruned.
const PRUNE_ABOVE: usize = 1024;

/// A bucket per key (a member), shared by all of that member's sockets on this instance, so
/// opening more tabs does not multiply the allowance.
///
/// Locking: one `std::sync::Mutex` around the map, held only to find and update one bucket (and,
/// rarely, to prune idle ones); never across an `.await`, and never while the hub's lock is held.
#[derive(Debug)]
pub struct KeyedLimiter<K> {
    limit: RateLimit,
    buckets: Mutex<HashMap<K, TokenBucket>>,
}

impl<K: Eq + Hash + Clone> KeyedLimiter<K> {
    /// A limiter applying `limit` to each key separately.
    pub fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token from `key`'s bucket; `false` means the key is over its limit.
    pub fn try_take(&self, key: &K) -> bool {
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() > PRUNE_ABOVE {
            let now = Instant::now();
            buckets.retain(|_, bucket| !bucket.is_full(now));
        }
        buckets
            .entry(key.clone())
            .or_insert_with(|| TokenBucket::new(self.limit))
            .try_take()
    }
}
