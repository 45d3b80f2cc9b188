//! Rate limits for every costly or amplifying action: one [`LimitStore`] trait, two stores.
//!
//! - [`MemoryLimits`]: the `governor` crate's GCRA over this instance's memory, for a single
//!   instance (no `REDIS_URL`).
//! - [`RedisLimits`]: the same GCRA in a Lua script run inside Redis (`EVALSHA`, falling back to
//!   `EVAL`), so every instance of a deployment shares one count.
//!
//! Either way a use is checked and counted in one atomic step ([`LimitStore::take`]): there is
//! no gap between "may they?" and "count it" that concurrent requests could slip through. An
//! action that turns out not to count (a sign-in with the right password, a post refused by
//! validation) is given back afterwards ([`LimitStore::give_back`]), so a burst of concurrent
//! attempts can never run more than the limit's worth of them at once.
//!
//! Time comes from the application's [`Clock`], so tests move it instead of sleeping. Keys
//! (member ids, emails, client addresses) never reach a store as they are: they are replaced by
//! a keyed hash (see [`App::limit_key`]), so Redis never holds a client address.
//!
//! When a store cannot answer (Redis down), each limit fails open or closed as
//! [`Limit::fails_closed`] says: the doors strangers knock on (sign-in, applications, resets)
//! close, members' own actions (posts, chat, concerns) go on unlimited for the outage.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use governor::clock::{Clock as GovernorClock, Reference};
use governor::nanos::Nanos;
use governor::state::StateStore;
use governor::{Quota, RateLimiter};
use serde::{Deserialize, Serialize};

use crate::{App, AppError, Clock, Result};

/// A rate: `count` uses at once, then `count` more spread evenly over `per` (a GCRA, so one use
/// comes back every `per / count`). Written `"30/10m"` in the configuration: a count, a slash,
/// and a period with a unit (`s`, `m`, `h` or `d`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    /// Uses allowed at once (the burst), and per period.
    pub count: NonZeroU32,
    /// The period over which `count` uses come back.
    pub per: Duration,
}

impl Rate {
    /// `count` per `per`; `None` if `count` is 0 or the period is shorter than a millisecond.
    pub fn new(count: u32, per: Duration) -> Option<Rate> {
        let count = NonZeroU32::new(count)?;
        (per >= Duration::from_millis(1)).then_some(Rate { count, per })
    }

    /// The time one use takes to come back (`per / count`), at least a millisecond.
    pub fn interval(self) -> Duration {
        (self.per / self.count.get()).max(Duration::from_millis(1))
    }

    fn quota(self) -> Quota {
        Quota::with_period(self.interval())
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(self.count)
    }
}

impl std::fmt::Display for Rate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secs = self.per.as_secs();
        let (n, unit) = if self.per.subsec_nanos() != 0 || secs == 0 {
            return write!(f, "{}/{}ms", self.count, self.per.as_millis());
        } else if secs.is_multiple_of(86_400) {
            (secs / 86_400, "d")
        } else if secs.is_multiple_of(3600) {
            (secs / 3600, "h")
        } else if secs.is_multiple_of(60) {
            (secs / 60, "m")
        } else {
            (secs, "s")
        };
        write!(f, "{}/{n}{unit}", self.count)
    }
}

impl std::str::FromStr for Rate {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Rate, String> {
        let bad = || {
            format!("{s:?} is not a rate like \"30/10m\" (a count, '/', a period in s, m, h or d)")
        };
        let (count, period) = s.trim().split_once('/').ok_or_else(bad)?;
        let count: u32 = count.trim().parse().map_err(|_| bad())?;
        let period = period.trim();
        let split = period.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        let (n, unit) = period.split_at(split);
        let n: u64 = if n.is_empty() {
            1
        } else {
            n.parse().map_err(|_| bad())?
        };
        let per = match unit {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" => Duration::from_secs(n.saturating_mul(60)),
            "h" => Duration::from_secs(n.saturating_mul(3600)),
            "d" => Duration::from_secs(n.saturating_mul(86_400)),
            _ => return Err(bad()),
        };
        Rate::new(count, per)
            .ok_or_else(|| format!("{s:?}: the count and the period must be above 0"))
    }
}

impl Serialize for Rate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Rate, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Builds a default rate; the literals in [`LimitsConfig::default`] are all valid.
fn rate(count: u32, per_secs: u64) -> Rate {
    Rate::new(count, Duration::from_secs(per_secs)).unwrap_or(Rate {
        count: NonZeroU32::MIN,
        per: Duration::from_secs(1),
    })
}

/// Every limit, in one place: the `[limits]` table of the server's configuration.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Wrong passwords per (account, client address) pair. Past it, that pair waits; nobody
    /// else does.
    pub signin_failures_per_pair: Rate,
    /// Wrong passwords per account from all addresses together. Past it, the account is slowed
    /// down (429 and `Retry-After`) at addresses it has not signed in from lately, each further
    /// wrong password doubling the wait up to [`SIGNIN_SLOWDOWN_MAX`]; never at an address it
    /// has, and its sign-in from one, or a password reset, clears it.
    pub signin_failures_per_account: Rate,
    /// Wrong passwords per client address, for all accounts together.
    pub signin_failures_per_address: Rate,
    /// Applications per client address (every attempt: each costs a password hash).
    pub applications: Rate,
    /// Applications answered `409 handle_taken` per client address: how fast an outsider can
    /// test whether a handle exists.
    pub handle_checks: Rate,
    /// Invite checks per client address (the application page asks, as it opens, whether its
    /// invite can still be used): how fast an outsider can test guessed invite tokens.
    pub invite_checks: Rate,
    /// Password-reset requests per email address asked for.
    pub reset_requests_per_account: Rate,
    /// Password-reset requests per client address.
    pub reset_requests_per_address: Rate,
    /// Threads and replies per member (moderators and admins are not limited).
    pub posts: Rate,
    /// Post edits per member (moderators and admins are not limited).
    pub edits: Rate,
    /// Reactions added or taken back, per member.
    pub reactions: Rate,
    /// Reports of posts, per member.
    pub reports: Rate,
    /// Safeguarding concerns, per member.
    pub concerns: Rate,
    /// Topics subscribed on the realtime socket, per member (all their sockets together).
    pub subscribes: Rate,
    /// Chat messages (`say`), per member.
    pub chat: Rate,
    /// Handle look-ups for @mention completion, per member (one per pause in typing): enough
    /// to write, too few to list the membership by walking every prefix.
    pub mention_lookups: Rate,
    /// Realtime sockets one member may hold open on one instance; past it the socket is closed
    /// at once with a reason.
    pub sockets_per_member: u32,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        const MIN: u64 = 60;
        const HOUR: u64 = 3600;
        LimitsConfig {
            signin_failures_per_pair: rate(5, 15 * MIN),
            signin_failures_per_account: rate(20, 15 * MIN),
            signin_failures_per_address: rate(30, 15 * MIN),
            applications: rate(20, HOUR),
            handle_checks: rate(10, HOUR),
            invite_checks: rate(30, HOUR),
            reset_requests_per_account: rate(3, HOUR),
            reset_requests_per_address: rate(10, HOUR),
            posts: rate(30, 10 * MIN),
            edits: rate(30, 10 * MIN),
            reactions: rate(120, 10 * MIN),
            reports: rate(20, HOUR),
            concerns: rate(10, HOUR),
            subscribes: rate(300, MIN),
            chat: rate(5, 10),
            mention_lookups: rate(60, MIN),
            sockets_per_member: 16,
        }
    }
}

/// Each limited action. The name is part of the store's key, so two limits never share counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Limit {
    /// See [`LimitsConfig::signin_failures_per_pair`].
    SignInPair,
    /// See [`LimitsConfig::signin_failures_per_account`].
    SignInAccount,
    /// See [`LimitsConfig::signin_failures_per_address`].
    SignInAddress,
    /// See [`LimitsConfig::applications`].
    Applications,
    /// See [`LimitsConfig::handle_checks`].
    HandleChecks,
    /// See [`LimitsConfig::invite_checks`].
    InviteChecks,
    /// See [`LimitsConfig::reset_requests_per_account`].
    ResetAccount,
    /// See [`LimitsConfig::reset_requests_per_address`].
    ResetAddress,
    /// See [`LimitsConfig::posts`].
    Posts,
    /// See [`LimitsConfig::edits`].
    Edits,
    /// See [`LimitsConfig::reactions`].
    Reactions,
    /// See [`LimitsConfig::reports`].
    Reports,
    /// See [`LimitsConfig::concerns`].
    Concerns,
    /// See [`LimitsConfig::subscribes`].
    Subscribes,
    /// See [`LimitsConfig::chat`].
    Chat,
    /// See [`LimitsConfig::mention_lookups`].
    MentionLookups,
}

impl Limit {
    /// Limits moderators and admins do not have: posting and editing, since they write
    /// announcements and fix posts in bulk.
    pub fn staff_exempt(self) -> bool {
        matches!(self, Limit::Posts | Limit::Edits)
    }

    /// Every limit, for building a store's table.
    pub const ALL: [Limit; 16] = [
        Limit::SignInPair,
        Limit::SignInAccount,
        Limit::SignInAddress,
        Limit::Applications,
        Limit::HandleChecks,
        Limit::InviteChecks,
        Limit::ResetAccount,
        Limit::ResetAddress,
        Limit::Posts,
        Limit::Edits,
        Limit::Reactions,
        Limit::Reports,
        Limit::Concerns,
        Limit::Subscribes,
        Limit::Chat,
        Limit::MentionLookups,
    ];

    /// A short stable name, used in store keys and logs.
    pub fn name(self) -> &'static str {
        match self {
            Limit::SignInPair => "signin_pair",
            Limit::SignInAccount => "signin_account",
            Limit::SignInAddress => "signin_address",
            Limit::Applications => "applications",
            Limit::HandleChecks => "handle_checks",
            Limit::InviteChecks => "invite_checks",
            Limit::ResetAccount => "reset_account",
            Limit::ResetAddress => "reset_address",
            Limit::Posts => "posts",
            Limit::Edits => "edits",
            Limit::Reactions => "reactions",
            Limit::Reports => "reports",
            Limit::Concerns => "concerns",
            Limit::Subscribes => "subscribes",
            Limit::Chat => "chat",
            Limit::MentionLookups => "mention_lookups",
        }
    }

    /// Whether the action is refused (`503`) when the store cannot answer. Closed for what
    /// strangers can do without an account (guess passwords, apply, probe handles, send reset
    /// emails): an outage must not open the door to guessing. Open for members' own actions:
    /// a Redis outage must not silence a member in crisis or a safeguarding concern, and
    /// members are accountable and moderated anyway.
    pub fn fails_closed(self) -> bool {
        matches!(
            self,
            Limit::SignInPair
                | Limit::SignInAccount
                | Limit::SignInAddress
                | Limit::Applications
                | Limit::HandleChecks
                | Limit::InviteChecks
                | Limit::ResetAccount
                | Limit::ResetAddress
        )
    }

    /// This limit's rate in `config`.
    pub fn rate(self, config: &LimitsConfig) -> Rate {
        match self {
            Limit::SignInPair => config.signin_failures_per_pair,
            Limit::SignInAccount => config.signin_failures_per_account,
            Limit::SignInAddress => config.signin_failures_per_address,
            Limit::Applications => config.applications,
            Limit::HandleChecks => config.handle_checks,
            Limit::InviteChecks => config.invite_checks,
            Limit::ResetAccount => config.reset_requests_per_account,
            Limit::ResetAddress => config.reset_requests_per_address,
            Limit::Posts => config.posts,
            Limit::Edits => config.edits,
            Limit::Reactions => config.reactions,
            Limit::Reports => config.reports,
            Limit::Concerns => config.concerns,
            Limit::Subscribes => config.subscribes,
            Limit::Chat => config.chat,
            Limit::MentionLookups => config.mention_lookups,
        }
    }
}

/// A store that cannot answer (Redis unreachable or erroring); the text is for the log.
#[derive(Debug, thiserror::Error)]
#[error("rate-limit store unavailable: {0}")]
pub struct StoreDown(pub String);

/// Where counts live. Keys arrive already hashed ([`App::limit_key`]).
#[async_trait]
pub trait LimitStore: Send + Sync + 'static {
    /// Checks and counts one use of `key` under `limit`, atomically: `Ok(None)` if it was
    /// allowed (and is now counted), `Ok(Some(wait))` if refused (and not counted).
    async fn take(&self, limit: Limit, key: &str) -> Result<Option<Duration>, StoreDown>;

    /// Gives back one use taken earlier (an action that turned out not to count).
    async fn give_back(&self, limit: Limit, key: &str) -> Result<(), StoreDown>;

    /// Forgets everything counted for `key` under `limit`, slow-down included (a member
    /// proved who they are).
    async fn forget(&self, limit: Limit, key: &str) -> Result<(), StoreDown>;

    /// Makes the wait after a use that left `key` with nothing to spare longer, in one atomic
    /// step: the first such use waits the limit's interval as usual, and each further one
    /// (while `key` has not fully refilled) doubles it, up to `max`. A use within the limit's
    /// burst changes nothing. For wrong passwords past the per-account threshold
    /// ([`Limit::SignInAccount`]): a steady one guess per interval becomes ever fewer, while
    /// [`LimitStore::forget`] (a member's sign-in from a known address, or a password reset)
    /// starts the account afresh.
    async fn slow_down(&self, limit: Limit, key: &str, max: Duration) -> Result<(), StoreDown>;

    /// Remembers `key` for `ttl` (an address a member signed in from).
    async fn remember(&self, key: &str, ttl: Duration) -> Result<(), StoreDown>;

    /// Whether `key` is remembered.
    async fn remembers(&self, key: &str) -> Result<bool, StoreDown>;
}

/// The application's clock as a `governor` clock: nanoseconds since the Unix epoch, so a test
/// that moves the app's clock moves the limits too.
#[derive(Clone)]
struct AppClock(Clock);

impl AppClock {
    fn since_epoch(&self) -> Duration {
        let now = (self.0)();
        Duration::from_nanos(u64::try_from(now.timestamp_nanos_opt().unwrap_or(0)).unwrap_or(0))
    }
}

impl GovernorClock for AppClock {
    type Instant = Duration;
    fn now(&self) -> Duration {
        self.since_epoch()
    }
}

/// One limit's GCRA states (theoretical arrival times, in nanoseconds from the limiter's start),
/// shared between `governor`'s limiter and this module, which gives back and forgets.
#[derive(Clone, Default)]
struct Cells(Arc<Mutex<HashMap<String, Nanos>>>);

impl Cells {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Nanos>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl StateStore for Cells {
    type Key = String;

    fn measure_and_replace<T, F, E>(&self, key: &String, f: F) -> std::result::Result<T, E>
    where
        F: Fn(Option<Nanos>) -> std::result::Result<(T, Nanos), E>,
    {
        // One lock around read, decide and write: the atomic step.
        let mut cells = self.lock();
        let (out, next) = f(cells.get(key).copied())?;
        cells.insert(key.clone(), next);
        Ok(out)
    }
}

/// Entries held per limit before stale ones (fully replenished) are swept.
const SWEEP_ABOVE: usize = 10_000;

struct MemoryLimit {
    limiter: RateLimiter<String, Cells, AppClock, governor::middleware::NoOpMiddleware<Duration>>,
    cells: Cells,
    /// The limiter's start by its clock (taken just before it, so never later).
    start: Duration,
    interval: Nanos,
    /// The burst's allowance (`interval * (count - 1)`), as `governor` computes it.
    tau: Nanos,
    /// Slow-down levels by key ([`LimitStore::slow_down`]): how many doublings the next use
    /// past the burst adds, and until when (from `start`) the level holds. Locked after
    /// `cells`, never before, so the two change together.
    levels: Mutex<HashMap<String, (u32, Nanos)>>,
}

impl MemoryLimit {
    fn levels(&self) -> std::sync::MutexGuard<'_, HashMap<String, (u32, Nanos)>> {
        self.levels.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The in-memory store: `governor` keyed limiters over this instance's memory. For one
/// instance; with several, each would count on its own (use [`RedisLimits`]).
pub struct MemoryLimits {
    clock: AppClock,
    limits: HashMap<Limit, MemoryLimit>,
    remembered: Mutex<HashMap<String, Duration>>,
}

impl MemoryLimits {
    /// A store applying `config`'s rates by `clock`.
    pub fn new(config: &LimitsConfig, clock: Clock) -> MemoryLimits {
        let clock = AppClock(clock);
        let limits = Limit::ALL
            .iter()
            .map(|&limit| {
                let rate = limit.rate(config);
                let cells = Cells::default();
                let start = clock.now();
                let limiter = RateLimiter::new(rate.quota(), cells.clone(), clock.clone());
                let interval = Nanos::from(rate.interval());
                let memory = MemoryLimit {
                    limiter,
                    cells,
                    start,
                    interval,
                    tau: interval * u64::from(rate.count.get() - 1),
                    levels: Mutex::new(HashMap::new()),
                };
                (limit, memory)
            })
            .collect();
        MemoryLimits {
            clock,
            limits,
            remembered: Mutex::new(HashMap::new()),
        }
    }

    fn limit(&self, limit: Limit) -> Result<&MemoryLimit, StoreDown> {
        self.limits
            .get(&limit)
            .ok_or_else(|| StoreDown(format!("no limiter for {}", limit.name())))
    }
}

#[async_trait]
impl LimitStore for MemoryLimits {
    async fn take(&self, limit: Limit, key: &str) -> Result<Option<Duration>, StoreDown> {
        let memory = self.limit(limit)?;
        {
            let cells = memory.cells.lock();
            if cells.len() > SWEEP_ABOVE {
                drop(cells);
                let now = self.clock.now().duration_since(memory.start);
                memory.cells.lock().retain(|_, tat| *tat > now);
            }
        }
        let key = key.to_owned();
        Ok(match memory.limiter.check_key(&key) {
            Ok(()) => None,
            Err(not_until) => Some(not_until.wait_time_from(self.clock.now())),
        })
    }

    async fn give_back(&self, limit: Limit, key: &str) -> Result<(), StoreDown> {
        let memory = self.limit(limit)?;
        if let Some(tat) = memory.cells.lock().get_mut(key) {
            *tat = tat.saturating_sub(memory.interval);
        }
        Ok(())
    }

    async fn forget(&self, limit: Limit, key: &str) -> Result<(), StoreDown> {
        let memory = self.limit(limit)?;
        let mut cells = memory.cells.lock();
        cells.remove(key);
        memory.levels().remove(key);
        Ok(())
    }

    async fn slow_down(&self, limit: Limit, key: &str, max: Duration) -> Result<(), StoreDown> {
        let memory = self.limit(limit)?;
        let now = self.clock.now().duration_since(memory.start);
        // One lock around read, decide and write, as for a use itself.
        let mut cells = memory.cells.lock();
        let Some(tat) = cells.get_mut(key) else {
            return Ok(());
        };
        if tat.saturating_sub(memory.tau) <= now {
            // Still within the burst: a use to spare.
            return Ok(());
        }
        let mut levels = memory.levels();
        if levels.len() > SWEEP_ABOVE {
            levels.retain(|_, (_, until)| *until > now);
        }
        let level = levels
            .get(key)
            .filter(|(_, until)| *until > now)
            .map_or(0, |(level, _)| *level);
        let extra = slow_down_extra(memory.interval.into(), level, max);
        *tat = *tat + extra;
        // The level holds until the key would be fully refilled, as in Redis.
        levels.insert(key.to_owned(), (level.saturating_add(1), *tat));
        Ok(())
    }

    async fn remember(&self, key: &str, ttl: Duration) -> Result<(), StoreDown> {
        let now = self.clock.now();
        let mut remembered = self
            .remembered
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if remembered.len() > SWEEP_ABOVE {
            remembered.retain(|_, until| *until > now);
        }
        remembered.insert(key.to_owned(), now + ttl);
        Ok(())
    }

    async fn remembers(&self, key: &str) -> Result<bool, StoreDown> {
        let now = self.clock.now();
        let remembered = self
            .remembered
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        Ok(remembered.get(key).is_some_and(|until| *until > now))
    }
}

/// Doublings past which the wait is at its cap anyway (2^32 intervals of a millisecond are
/// 49 days), so the arithmetic never overflows.
const MAX_DOUBLINGS: u32 = 32;

/// What one more use past a limit's burst adds to its wait, beyond the one `interval` every use
/// adds: at `level` 0 nothing (the wait is the interval), then the interval, three, seven...
/// so that the wait is `interval * 2^level`, but never more than `max`.
fn slow_down_extra(interval: Duration, level: u32, max: Duration) -> Duration {
    let factor = 1u32 << level.min(MAX_DOUBLINGS - 1);
    interval
        .checked_mul(factor)
        .unwrap_or(max)
        .min(max)
        .saturating_sub(interval)
}

/// The GCRA in Redis, as `governor` does it in memory: a key holds its theoretical arrival time
/// (`tat`, milliseconds since the epoch by the application's clock, passed in so that every
/// instance and the tests agree). A use is allowed when `now >= tat - tau` (`tau` being the
/// burst's allowance), and then `tat` becomes `max(tat, now) + interval`. Giving back moves `tat`
/// back one interval. The script runs atomically inside Redis: the check and the count are one
/// step for every instance.
///
/// KEYS[1]: the key. ARGV: now, interval, tau (all ms), and `take` or `give`.
/// Answers 0 when allowed (or given back), else the milliseconds to wait.
const GCRA_SCRIPT: &str = r"
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local tau = tonumber(ARGV[3])
local stored = redis.call('GET', KEYS[1])
local tat = now
if stored then tat = math.max(tonumber(stored), now) end
if ARGV[4] == 'give' then
  if stored then
    local back = tonumber(stored) - interval
    if back <= now then
      redis.call('DEL', KEYS[1])
    else
      redis.call('SET', KEYS[1], back, 'PX', back - now)
    end
  end
  return 0
end
local earliest = tat - tau
if now < earliest then
  return earliest - now
end
local next = tat + interval
redis.call('SET', KEYS[1], next, 'PX', next - now)
return 0
";

/// [`LimitStore::slow_down`] in Redis, as [`MemoryLimits`] does it: if the key's `tat` leaves
/// no use to spare (`tat - tau > now`), the wait grows to `interval * 2^level` (at most `max`)
/// by moving `tat` on, and the level (its own key, `<key>:level`) goes up by one. The level
/// expires when `tat` would have fully refilled, so a key left alone long enough starts afresh.
///
/// KEYS[1]: the key, KEYS[2]: its level. ARGV: now, interval, tau, max (all ms), and the most
/// doublings. Answers the milliseconds added.
const SLOW_DOWN_SCRIPT: &str = r"
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local tau = tonumber(ARGV[3])
local max = tonumber(ARGV[4])
local doublings = tonumber(ARGV[5])
local stored = redis.call('GET', KEYS[1])
if not stored then return 0 end
local tat = tonumber(stored)
if tat - tau <= now then return 0 end
local level = tonumber(redis.call('GET', KEYS[2]) or '0')
local wait = interval * (2 ^ math.min(level, doublings - 1))
if wait > max then wait = max end
local extra = wait - interval
if extra < 0 then extra = 0 end
tat = tat + extra
redis.call('SET', KEYS[1], tat, 'PX', tat - now)
redis.call('SET', KEYS[2], level + 1, 'PX', tat - now)
return extra
";

/// The Redis store, shared by every instance of a deployment. Keys are
/// `<prefix>:limit:<name>:<hashed key>` and expire by themselves once fully replenished.
pub struct RedisLimits {
    connection: redis::aio::ConnectionManager,
    prefix: String,
    clock: Clock,
    rates: HashMap<Limit, Rate>,
    script: redis::Script,
    slow_down: redis::Script,
}

impl RedisLimits {
    /// A store on `url`, naming its keys under `prefix` (the deployment's channel, so that two
    /// deployments sharing a Redis server never share counts). Does not wait for Redis: the
    /// connection is made on first use, and each command gives up after a second, so an outage
    /// answers quickly (open or closed, per limit).
    pub fn new(
        url: &str,
        prefix: &str,
        config: &LimitsConfig,
        clock: Clock,
    ) -> std::result::Result<RedisLimits, String> {
        let client = redis::Client::open(url).map_err(|e| format!("invalid Redis URL: {e}"))?;
        let manager = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(1)))
            .set_response_timeout(Some(Duration::from_secs(1)))
            .set_number_of_retries(1);
        let connection = redis::aio::ConnectionManager::new_lazy_with_config(client, manager)
            .map_err(|e| e.to_string())?;
        Ok(RedisLimits {
            connection,
            prefix: prefix.to_owned(),
            clock,
            rates: Limit::ALL.iter().map(|&l| (l, l.rate(config))).collect(),
            script: redis::Script::new(GCRA_SCRIPT),
            slow_down: redis::Script::new(SLOW_DOWN_SCRIPT),
        })
    }

    fn now_ms(&self) -> i64 {
        (self.clock)().timestamp_millis()
    }

    fn key(&self, limit: Limit, key: &str) -> String {
        format!("{}:limit:{}:{key}", self.prefix, limit.name())
    }

    /// A limit's interval and burst allowance (`tau`), in milliseconds.
    fn interval_and_tau(&self, limit: Limit) -> Result<(i64, i64), StoreDown> {
        let rate = self
            .rates
            .get(&limit)
            .copied()
            .ok_or_else(|| StoreDown(format!("no rate for {}", limit.name())))?;
        let interval = i64::try_from(rate.interval().as_millis()).unwrap_or(i64::MAX / 4);
        Ok((
            interval,
            interval.saturating_mul(i64::from(rate.count.get()) - 1),
        ))
    }

    async fn run(&self, limit: Limit, key: &str, op: &str) -> Result<i64, StoreDown> {
        let (interval, tau) = self.interval_and_tau(limit)?;
        // Once more after a failure: the connection manager reconnects only when a request
        // fails, so the first request after Redis returns would otherwise fail too (and a
        // limit that fails closed would refuse a sign-in for nothing).
        let mut last = String::new();
        for attempt in 0..2 {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let mut connection = self.connection.clone();
            match self
                .script
                .key(self.key(limit, key))
                .arg(self.now_ms())
                .arg(interval)
                .arg(tau)
                .arg(op)
                .invoke_async(&mut connection)
                .await
            {
                Ok(v) => return Ok(v),
                Err(e) => last = e.to_string(),
            }
        }
        Err(StoreDown(last))
    }
}

#[async_trait]
impl LimitStore for RedisLimits {
    async fn take(&self, limit: Limit, key: &str) -> Result<Option<Duration>, StoreDown> {
        let wait = self.run(limit, key, "take").await?;
        Ok((wait > 0).then(|| Duration::from_millis(u64::try_from(wait).unwrap_or(0))))
    }

    async fn give_back(&self, limit: Limit, key: &str) -> Result<(), StoreDown> {
        self.run(limit, key, "give").await.map(|_| ())
    }

    async fn forget(&self, limit: Limit, key: &str) -> Result<(), StoreDown> {
        let mut connection = self.connection.clone();
        let key = self.key(limit, key);
        redis::cmd("DEL")
            .arg(&key)
            .arg(format!("{key}:level"))
            .query_async::<i64>(&mut connection)
            .await
            .map(|_| ())
            .map_err(|e| StoreDown(e.to_string()))
    }

    async fn slow_down(&self, limit: Limit, key: &str, max: Duration) -> Result<(), StoreDown> {
        let (interval, tau) = self.interval_and_tau(limit)?;
        let max = i64::try_from(max.as_millis()).unwrap_or(i64::MAX / 4);
        let key = self.key(limit, key);
        // Once more after a failure, as for a use (the connection manager reconnects lazily).
        let mut last = String::new();
        for attempt in 0..2 {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let mut connection = self.connection.clone();
            match self
                .slow_down
                .key(&key)
                .key(format!("{key}:level"))
                .arg(self.now_ms())
                .arg(interval)
                .arg(tau)
                .arg(max)
                .arg(MAX_DOUBLINGS)
                .invoke_async::<i64>(&mut connection)
                .await
            {
                Ok(_) => return Ok(()),
                Err(e) => last = e.to_string(),
            }
        }
        Err(StoreDown(last))
    }

    async fn remember(&self, key: &str, ttl: Duration) -> Result<(), StoreDown> {
        let mut connection = self.connection.clone();
        redis::cmd("SET")
            .arg(format!("{}:known:{key}", self.prefix))
            .arg(1)
            .arg("PX")
            .arg(u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1))
            .query_async::<()>(&mut connection)
            .await
            .map_err(|e| StoreDown(e.to_string()))
    }

    async fn remembers(&self, key: &str) -> Result<bool, StoreDown> {
        let mut connection = self.connection.clone();
        redis::cmd("EXISTS")
            .arg(format!("{}:known:{key}", self.prefix))
            .query_async::<i64>(&mut connection)
            .await
            .map(|n| n > 0)
            .map_err(|e| StoreDown(e.to_string()))
    }
}

/// The limits in force: the rates and the store that counts them.
#[derive(Clone)]
pub struct Limits {
    store: Arc<dyn LimitStore>,
    config: LimitsConfig,
}

impl Limits {
    /// Limits counted by `store` (built with the same `config`).
    pub fn new(config: LimitsConfig, store: Arc<dyn LimitStore>) -> Limits {
        Limits { store, config }
    }

    /// The rates in force.
    pub fn config(&self) -> &LimitsConfig {
        &self.config
    }
}

/// A use taken from a limit, to give back if the action turns out not to count.
#[derive(Clone, Debug)]
#[must_use = "a use that should not count must be given back"]
pub struct Taken {
    limit: Limit,
    key: Option<String>,
}

/// Seconds for `Retry-After`: whole seconds, rounded up, at least one.
fn retry_after(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

/// How long an address a member signed in from is remembered as theirs (exempt from the
/// per-account slow-down).
const KNOWN_ADDRESS_DAYS: u64 = 30;

/// The longest wait the per-account sign-in slow-down grows to: past the threshold each wrong
/// password doubles the wait, up to an hour, so a stranger's guessing dwindles to one an hour
/// while the member, from an address they have used, is never slowed at all.
pub const SIGNIN_SLOWDOWN_MAX: Duration = Duration::from_secs(3600);

impl App {
    /// Uses these limits instead of the default in-memory ones.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The name under which `key` is counted for `limit`: a keyed hash, so that no store (and
    /// no Redis dump) holds a member's email or a client address.
    pub fn limit_key(&self, limit: Limit, key: &str) -> String {
        let full = self
            .secrets
            .keyed_hash(&format!("limit\u{0}{}\u{0}{key}", limit.name()));
        full.get(..32).unwrap_or(&full).to_owned()
    }

    /// Takes one use of `limit` for `key`, checked and counted in one step. Past the limit the
    /// answer is [`AppError::RateLimited`] with the seconds to wait. If the store cannot
    /// answer, the limit fails open or closed as [`Limit::fails_closed`] says.
    pub async fn take_limit(&self, limit: Limit, key: &str) -> Result<Taken> {
        let hashed = self.limit_key(limit, key);
        match self.limits.store.take(limit, &hashed).await {
            Ok(None) => Ok(Taken {
                limit,
                key: Some(hashed),
            }),
            Ok(Some(wait)) => {
                tracing::info!(limit = limit.name(), "rate limited");
                Err(AppError::RateLimited {
                    retry_after: retry_after(wait),
                })
            }
            Err(e) if limit.fails_closed() => {
                tracing::warn!(limit = limit.name(), error = %e, "limit store down: refusing");
                Err(AppError::Unavailable(e.to_string()))
            }
            Err(e) => {
                tracing::warn!(limit = limit.name(), error = %e, "limit store down: allowing");
                Ok(Taken { limit, key: None })
            }
        }
    }

    /// Gives back a use that should not count (the action failed, or was a replay).
    pub async fn give_back(&self, taken: Taken) {
        if let Some(key) = taken.key
            && let Err(e) = self.limits.store.give_back(taken.limit, &key).await
        {
            tracing::warn!(limit = taken.limit.name(), error = %e, "could not give a use back");
        }
    }

    /// Runs `action` under `limit` for `key`: taken first (atomically), given back if the
    /// action fails or `counts` says its result should not count.
    pub async fn limited<T>(
        &self,
        limit: Limit,
        key: &str,
        action: impl std::future::Future<Output = Result<T>>,
        counts: impl FnOnce(&T) -> bool,
    ) -> Result<T> {
        let taken = self.take_limit(limit, key).await?;
        match action.await {
            Ok(out) => {
                if !counts(&out) {
                    self.give_back(taken).await;
                }
                Ok(out)
            }
            Err(e) => {
                self.give_back(taken).await;
                Err(e)
            }
        }
    }

    /// Runs a member's `action` under their own per-member `limit`, as [`App::limited`] does.
    /// Moderators and admins are exempt from the limits staff must not have (see
    /// [`Limit::staff_exempt`]): they write announcements and fix posts in bulk.
    pub async fn member_limited<T>(
        &self,
        who: &crate::Identity,
        limit: Limit,
        action: impl std::future::Future<Output = Result<T>>,
        counts: impl FnOnce(&T) -> bool,
    ) -> Result<T> {
        if limit.staff_exempt() && who.role >= hearth_core::policy::Role::Moderator {
            return action.await;
        }
        self.limited(limit, &who.id.to_string(), action, counts)
            .await
    }

    /// Signs in under the sign-in limits. Failures count per (account, address) pair; per
    /// address; and per account, where the account limit only applies at addresses the member
    /// has not signed in from in the last 30 days, so a stranger's wrong guesses elsewhere can
    /// never keep the member out from their own device. Past the account's threshold each
    /// further wrong password makes the wait longer (doubling, up to [`SIGNIN_SLOWDOWN_MAX`]);
    /// the member's sign-in from a known address, or a password reset, starts it afresh. A
    /// use is taken from each limit *before* the password is checked and given back when it
    /// was right, so concurrent guesses can never get more checks than the limit.
    ///
    /// The account is the one the login names (for an email, its owner). An invitee signing
    /// in with an address they share with that owner ([`App::check_login_password`]) proves only
    /// their own account: the owner's address memory and slow-down are left as they were, so
    /// the invitee's wrong passwords for the address count against the owner like anyone's.
    pub async fn sign_in_limited(
        &self,
        login: &str,
        password: &str,
        address: &str,
    ) -> Result<crate::MemberRecord> {
        let account = self.sign_in_account(login).await?;
        let known = self.known_key(&account, address);
        let mut taken = Vec::with_capacity(3);
        let mut is_known = false;
        let result = async {
            taken.push(
                self.take_limit(Limit::SignInPair, &pair_of(&account, address))
                    .await?,
            );
            taken.push(self.take_limit(Limit::SignInAddress, address).await?);
            is_known = self.remembers_or_refuse(&known).await?;
            if !is_known {
                taken.push(self.take_limit(Limit::SignInAccount, &account).await?);
            }
            self.sign_in(login, password).await
        }
        .await;
        match &result {
            // A wrong password: every use taken stays counted, and past the account's
            // threshold the next guess waits longer.
            Err(AppError::BadCredentials) => {
                if let Some(key) = taken
                    .iter()
                    .find(|t| t.limit == Limit::SignInAccount)
                    .and_then(|t| t.key.as_deref())
                    && let Err(e) = self
                        .limits
                        .store
                        .slow_down(Limit::SignInAccount, key, SIGNIN_SLOWDOWN_MAX)
                        .await
                {
                    tracing::warn!(error = %e, "could not slow an account's sign-ins down");
                }
            }
            // The right password (or refused before any check): nothing counts, and the pair's
            // slate is wiped.
            other => {
                let signed_in = other.as_ref().ok();
                for t in taken {
                    if signed_in.is_some() && t.limit == Limit::SignInPair {
                        self.forget_limit(t).await;
                    } else {
                        self.give_back(t).await;
                    }
                }
                if let Some(member) = signed_in {
                    let own = format!("member:{}", member.id);
                    if own == account {
                        self.signed_in_from(&account, &known, is_known).await;
                    } else {
                        // An invitee by the address they share: their own account's memory.
                        let known = self.known_key(&own, address);
                        let was_known = self.limits.store.remembers(&known).await.unwrap_or(false);
                        let pair = self.limit_key(Limit::SignInPair, &pair_of(&own, address));
                        self.forget_limit(Taken {
                            limit: Limit::SignInPair,
                            key: Some(pair),
                        })
                        .await;
                        self.signed_in_from(&own, &known, was_known).await;
                    }
                }
            }
        }
        result
    }

    /// The store's name for "`account` has signed in from `address` lately".
    fn known_key(&self, account: &str, address: &str) -> String {
        self.limit_key(
            Limit::SignInPair,
            &format!("known\u{0}{}", pair_of(account, address)),
        )
    }

    /// Whether `known` is remembered; a store that cannot answer refuses the sign-in.
    async fn remembers_or_refuse(&self, known: &str) -> Result<bool> {
        self.limits.store.remembers(known).await.map_err(|e| {
            tracing::warn!(error = %e, "limit store down: refusing a sign-in");
            AppError::Unavailable(e.to_string())
        })
    }

    /// After `account` signed in from an address (`known`, already known or not): remembers
    /// the address as theirs for 30 days, and, from an address already known, clears the
    /// account's slow-down (the member proved who they are where they usually are).
    async fn signed_in_from(&self, account: &str, known: &str, was_known: bool) {
        if let Err(e) = self
            .limits
            .store
            .remember(known, Duration::from_secs(KNOWN_ADDRESS_DAYS * 86_400))
            .await
        {
            tracing::warn!(error = %e, "could not remember a sign-in address");
        }
        if was_known {
            let key = self.limit_key(Limit::SignInAccount, account);
            self.forget_limit(Taken {
                limit: Limit::SignInAccount,
                key: Some(key),
            })
            .await;
        }
    }

    /// Forgets everything counted under a taken use's limit and key.
    async fn forget_limit(&self, taken: Taken) {
        if let Some(key) = &taken.key
            && let Err(e) = self.limits.store.forget(taken.limit, key).await
        {
            tracing::warn!(limit = taken.limit.name(), error = %e, "could not clear a limit");
        }
    }

    /// What a sign-in counts against: the member's id when the login names one (so a handle
    /// and an email for the same account count together), else the login as typed.
    async fn sign_in_account(&self, login: &str) -> Result<String> {
        let login = login.trim();
        if login.is_empty() || login.len() > 1024 {
            return Ok(format!("login:{}", login.to_lowercase()));
        }
        Ok(match self.store.member_by_login(login).await? {
            Some(m) => format!("member:{}", m.id),
            None => format!("login:{}", login.to_lowercase()),
        })
    }

    /// Clears a member's account-wide sign-in failures and slow-down (after they reset their
    /// password).
    pub(crate) async fn clear_sign_in_failures(&self, member: hearth_core::ids::MemberId) {
        let key = self.limit_key(Limit::SignInAccount, &format!("member:{member}"));
        self.forget_limit(Taken {
            limit: Limit::SignInAccount,
            key: Some(key),
        })
        .await;
    }
}

/// What the per-pair sign-in limit counts: an account and a client address together.
fn pair_of(account: &str, address: &str) -> String {
    format!("{account}\u{0}{address}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicI64, Ordering};

    fn clock() -> (Clock, Arc<AtomicI64>) {
        let offset = Arc::new(AtomicI64::new(0));
        let o = Arc::clone(&offset);
        let base = chrono::Utc::now();
        (
            Arc::new(move || base + chrono::Duration::milliseconds(o.load(Ordering::SeqCst))),
            offset,
        )
    }

    #[test]
    fn rates_parse_and_print() {
        let r: Rate = "30/10m".parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.count.get(), 30);
        assert_eq!(r.per, Duration::from_secs(600));
        assert_eq!(r.interval(), Duration::from_secs(20));
        assert_eq!(r.to_string(), "30/10m");
        assert_eq!(rate(5, 10).to_string(), "5/10s");
        assert_eq!(rate(20, 3600).to_string(), "20/1h");
        for bad in ["", "30", "0/1m", "3/0s", "3/1y", "x/1m", "3/m5"] {
            assert!(bad.parse::<Rate>().is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn the_slow_down_doubles_up_to_its_cap() {
        let i = Duration::from_secs(45);
        let max = Duration::from_secs(3600);
        let waits: Vec<u64> = (0..8)
            .map(|level| (i + slow_down_extra(i, level, max)).as_secs())
            .collect();
        assert_eq!(waits, [45, 90, 180, 360, 720, 1440, 2880, 3600]);
        assert_eq!(
            slow_down_extra(i, u32::MAX, max),
            max - i,
            "never overflows"
        );
        assert_eq!(slow_down_extra(max * 2, 3, max), Duration::ZERO);
    }

    #[tokio::test]
    async fn memory_store_slows_down_past_the_burst_and_forgets() {
        let (clock, offset) = clock();
        let config = LimitsConfig {
            signin_failures_per_account: rate(2, 20),
            ..LimitsConfig::default()
        };
        let store = MemoryLimits::new(&config, clock);
        let max = Duration::from_secs(60);
        let limit = Limit::SignInAccount;
        let wait = |w: Option<Option<Duration>>| w.flatten().map(|d| d.as_millis());
        // Within the burst a slow-down changes nothing.
        assert_eq!(store.take(limit, "k").await.ok(), Some(None));
        store.slow_down(limit, "k", max).await.ok();
        assert_eq!(store.take(limit, "k").await.ok(), Some(None));
        store.slow_down(limit, "k", max).await.ok();
        // Then the waits are 10 s, 20 s, 40 s, 60 s (the cap), 60 s.
        let mut waits = Vec::new();
        for _ in 0..5 {
            let w = wait(store.take(limit, "k").await.ok());
            waits.push(w);
            let ms = i64::try_from(w.unwrap_or(0)).unwrap_or(0);
            offset.fetch_add(ms, Ordering::SeqCst);
            assert_eq!(store.take(limit, "k").await.ok(), Some(None));
            store.slow_down(limit, "k", max).await.ok();
        }
        assert_eq!(
            waits,
            [
                Some(10_000),
                Some(20_000),
                Some(40_000),
                Some(60_000),
                Some(60_000)
            ]
        );
        // Forgetting starts afresh.
        store.forget(limit, "k").await.ok();
        assert_eq!(store.take(limit, "k").await.ok(), Some(None));
        assert_eq!(store.take(limit, "k").await.ok(), Some(None));
        store.slow_down(limit, "k", max).await.ok();
        assert_eq!(wait(store.take(limit, "k").await.ok()), Some(10_000));
        // So does leaving it alone until it has fully refilled.
        offset.fetch_add(200_000, Ordering::SeqCst);
        for _ in 0..2 {
            assert_eq!(store.take(limit, "k").await.ok(), Some(None));
            store.slow_down(limit, "k", max).await.ok();
        }
        assert_eq!(wait(store.take(limit, "k").await.ok()), Some(10_000));
    }

    #[tokio::test]
    async fn memory_store_counts_gives_back_and_refills_by_the_app_clock() {
        let (clock, offset) = clock();
        let config = LimitsConfig {
            posts: rate(3, 30),
            ..LimitsConfig::default()
        };
        let store = MemoryLimits::new(&config, clock);
        for i in 0..3 {
            assert_eq!(
                store.take(Limit::Posts, "a").await.ok(),
                Some(None),
                "use {i}"
            );
        }
        let wait = store.take(Limit::Posts, "a").await.ok().flatten();
        assert!(
            wait.is_some_and(|w| w > Duration::ZERO && w <= Duration::from_secs(10)),
            "{wait:?}"
        );
        assert_eq!(
            store.take(Limit::Posts, "b").await.ok(),
            Some(None),
            "keys are apart"
        );
        assert_eq!(
            store.take(Limit::Edits, "a").await.ok(),
            Some(None),
            "limits are apart"
        );
        store.give_back(Limit::Posts, "a").await.ok();
        assert_eq!(
            store.take(Limit::Posts, "a").await.ok(),
            Some(None),
            "given back"
        );
        assert!(store.take(Limit::Posts, "a").await.ok().flatten().is_some());
        offset.fetch_add(10_000, Ordering::SeqCst);
        assert_eq!(
            store.take(Limit::Posts, "a").await.ok(),
            Some(None),
            "one came back"
        );
        assert!(store.take(Limit::Posts, "a").await.ok().flatten().is_some());
        store.forget(Limit::Posts, "a").await.ok();
        for _ in 0..3 {
            assert_eq!(store.take(Limit::Posts, "a").await.ok(), Some(None));
        }
    }
}
