//! What every handler shares.

use std::sync::{Arc, Mutex};

use chrono::Duration;
use hearth_app::App;
use hearth_core::throttle::{Limit, Throttle};

use crate::config::Config;
use crate::error::ApiError;

/// Shared by every request: the use cases, the configuration, and in-memory rate limits.
#[derive(Clone)]
pub struct AppState {
    /// The use cases.
    pub app: App,
    /// The configuration in force.
    pub config: Arc<Config>,
    /// Failed sign-in counters.
    pub throttles: Arc<Throttles>,
}

/// Failed sign-ins, per account and per client address. Held only in memory, per instance:
/// client addresses are never written anywhere. Each lock is held for a map look-up only.
pub struct Throttles {
    accounts: Mutex<Throttle>,
    addresses: Mutex<Throttle>,
    /// Accepted applications per client address, per hour.
    applications: Mutex<Throttle>,
    /// Posts per member, per 10 minutes.
    posts: Mutex<Throttle>,
}

impl Throttles {
    /// Limits from the configuration, over 15-minute windows.
    pub fn new(config: &Config) -> Self {
        let window = Duration::minutes(15);
        Throttles {
            accounts: Mutex::new(Throttle::new(Limit {
                failures: config.signin_failures_per_account,
                window,
            })),
            addresses: Mutex::new(Throttle::new(Limit {
                failures: config.signin_failures_per_address,
                window,
            })),
            applications: Mutex::new(Throttle::new(Limit {
                failures: config.applications_per_hour,
                window: Duration::hours(1),
            })),
            posts: Mutex::new(Throttle::new(Limit {
                failures: config.posts_per_ten_minutes,
                window: Duration::minutes(10),
            })),
        }
    }

    /// Refuses (with the wait) if either the account or the address has failed too often.
    pub fn check(
        &self,
        account: &str,
        address: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), ApiError> {
        let a = self
            .accounts
            .lock()
            .map_or(Ok(()), |t| t.check(account, now));
        let b = self
            .addresses
            .lock()
            .map_or(Ok(()), |t| t.check(address, now));
        match (a, b) {
            (Ok(()), Ok(())) => Ok(()),
            (Err(x), Ok(())) | (Ok(()), Err(x)) => Err(ApiError::RateLimited { retry_after: x }),
            (Err(x), Err(y)) => Err(ApiError::RateLimited {
                retry_after: x.max(y),
            }),
        }
    }

    /// Counts a failed attempt against both.
    pub fn fail(&self, account: &str, address: &str, now: chrono::DateTime<chrono::Utc>) {
        if let Ok(mut t) = self.accounts.lock() {
            t.fail(account, now);
        }
        if let Ok(mut t) = self.addresses.lock() {
            t.fail(address, now);
        }
    }

    /// Refuses (with the wait) when `key` has used up `which` limit. Uses are counted apart, with
    /// [`Throttles::count`], so that only accepted actions count.
    pub fn check_limit(
        &self,
        which: Limited,
        key: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), ApiError> {
        let t = match which {
            Limited::Applications => &self.applications,
            Limited::Posts => &self.posts,
        };
        t.lock()
            .map_or(Ok(()), |t| t.check(key, now))
            .map_err(|retry_after| ApiError::RateLimited { retry_after })
    }

    /// Counts one use of `which` by `key`.
    pub fn count(&self, which: Limited, key: &str, now: chrono::DateTime<chrono::Utc>) {
        let t = match which {
            Limited::Applications => &self.applications,
            Limited::Posts => &self.posts,
        };
        if let Ok(mut t) = t.lock() {
            t.fail(key, now);
        }
    }

    /// Forgets an account's failures after it signs in.
    pub fn succeed(&self, account: &str) {
        if let Ok(mut t) = self.accounts.lock() {
            t.clear(account);
        }
    }
}

/// Which per-key limit: applications per address, posts per member.
#[derive(Clone, Copy, Debug)]
pub enum Limited {
    /// Accepted applications per client address per hour.
    Applications,
    /// Posts per member per 10 minutes.
    Posts,
}
