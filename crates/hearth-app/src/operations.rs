//! What operators ask of a running instance: is it ready to serve, and how is it doing. The
//! server's `/readyz` and `/metrics` only present these answers; the checks themselves (which
//! services count, how old the oldest waiting item is by the app's clock) live here.

use hearth_realtime::BusState;

use crate::App;

/// Whether this instance can serve, and why not.
#[derive(Clone, Debug)]
pub struct Readiness {
    /// The database answered a ping.
    pub database: bool,
    /// The event bus as it is now.
    pub bus: BusState,
}

impl Readiness {
    /// Ready to take traffic: the database answers and the bus is usable.
    pub fn ready(&self) -> bool {
        self.database && self.bus.is_ready()
    }
}

/// One instance's figures at one moment, for `/metrics`. Counts only: nothing here names a
/// member or holds their words.
#[derive(Clone, Debug)]
pub struct MetricsSnapshot {
    /// Websockets open on this instance.
    pub sockets_open: u64,
    /// (socket, topic) subscriptions on this instance.
    pub subscriptions: u64,
    /// Sockets closed for not keeping up, since this instance started.
    pub slow_disconnects: u64,
    /// Gaps in a topic filled from the database, since this instance started.
    pub gap_fills: u64,
    /// Items waiting in the moderation queue (0 when the database does not answer).
    pub queue_items: u64,
    /// Age of the oldest waiting queue item, in seconds (0 when none waits).
    pub queue_oldest_seconds: u64,
    /// Readiness at the same moment.
    pub readiness: Readiness,
}

impl App {
    /// Checks the database and the bus, logging a database that does not answer.
    pub async fn readiness(&self) -> Readiness {
        let database = match self.store.ping().await {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(error = %e, "readiness: database unreachable");
                false
            }
        };
        Readiness {
            database,
            bus: self.bus().current_state(),
        }
    }

    /// This instance's figures now.
    pub async fn metrics_snapshot(&self) -> MetricsSnapshot {
        let stats = self.bus().hub().stats();
        let (queue_items, oldest) = self.store.queue_depth().await.unwrap_or((0, None));
        let queue_oldest_seconds = oldest.map_or(0, |t| {
            u64::try_from((self.now() - t).num_seconds()).unwrap_or(0)
        });
        MetricsSnapshot {
            sockets_open: stats.sockets as u64,
            subscriptions: stats.subscriptions as u64,
            slow_disconnects: stats.slow_disconnects,
            gap_fills: stats.gap_fills,
            queue_items,
            queue_oldest_seconds,
            readiness: self.readiness().await,
        }
    }
}
