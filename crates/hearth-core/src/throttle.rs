//! Counting failures per key (an account, a client address) in a fixed window, so that
//! password guessing is slowed without ever locking a member out for long.
//!
//! Pure: the caller passes the time and keeps the [`Throttle`] behind whatever lock it likes.
//! Entries live only in memory (client addresses are never stored), and stale ones are swept.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

/// How many failures a key may have in a window before further attempts are refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    /// Failures allowed per window.
    pub failures: u32,
    /// The window's length.
    pub window: Duration,
}

/// Failure counts per key.
#[derive(Debug)]
pub struct Throttle {
    limit: Limit,
    /// key -> (window start, failures in the window)
    entries: HashMap<String, (DateTime<Utc>, u32)>,
}

/// How many entries to hold before sweeping stale ones.
const SWEEP_AT: usize = 10_000;

impl Throttle {
    /// A throttle with the given limit.
    pub fn new(limit: Limit) -> Self {
        Throttle {
            limit,
            entries: HashMap::new(),
        }
    }

    /// `Ok` if `key` may try now; otherwise the seconds until it may (for `Retry-After`).
    pub fn check(&self, key: &str, now: DateTime<Utc>) -> Result<(), u64> {
        match self.entries.get(key) {
            Some(&(start, n)) if n >= self.limit.failures && now < start + self.limit.window => {
                let wait = (start + self.limit.window - now).num_seconds().max(1);
                Err(u64::try_from(wait).unwrap_or(1))
            }
            _ => Ok(()),
        }
    }

    /// Counts a failure for `key`.
    pub fn fail(&mut self, key: &str, now: DateTime<Utc>) {
        if self.entries.len() >= SWEEP_AT {
            let window = self.limit.window;
            self.entries.retain(|_, (start, _)| now < *start + window);
        }
        let entry = self.entries.entry(key.to_owned()).or_insert((now, 0));
        if now >= entry.0 + self.limit.window {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
    }

    /// Forgets `key` (after a successful sign-in).
    pub fn clear(&mut self, key: &str) {
        self.entries.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_after_the_limit_until_the_window_ends() {
        let mut t = Throttle::new(Limit {
            failures: 3,
            window: Duration::minutes(15),
        });
        let t0 = Utc::now();
        for i in 0..3 {
            assert_eq!(t.check("a", t0), Ok(()), "attempt {i}");
            t.fail("a", t0);
        }
        assert_eq!(t.check("a", t0), Err(900));
        assert_eq!(t.check("b", t0), Ok(()), "other keys are unaffected");
        assert_eq!(t.check("a", t0 + Duration::minutes(10)), Err(300));
        assert_eq!(t.check("a", t0 + Duration::minutes(15)), Ok(()));
        t.fail("a", t0 + Duration::minutes(16));
        assert_eq!(
            t.check("a", t0 + Duration::minutes(16)),
            Ok(()),
            "a new window starts"
        );
    }

    #[test]
    fn clear_forgets() {
        let mut t = Throttle::new(Limit {
            failures: 1,
            window: Duration::minutes(1),
        });
        let t0 = Utc::now();
        t.fail("a", t0);
        assert!(t.check("a", t0).is_err());
        t.clear("a");
        assert!(t.check("a", t0).is_ok());
    }
}
