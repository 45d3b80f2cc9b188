//! The per-instance subscriber task that feeds the hub from Redis, and its back-off.

use super::wire::{BodyIn, WireIn};
use super::*;

/// The per-instance subscriber task: connect, subscribe, feed the hub, reconnect on failure.
pub(super) struct Subscriber {
    pub(super) hub: Hub,
    pub(super) client: redis::Client,
    pub(super) config: RedisBusConfig,
    pub(super) origin: Uuid,
    pub(super) state: watch::Sender<BusState>,
}

impl Subscriber {
    pub(super) async fn run(self) {
        let mut attempts: u32 = 0;
        let mut had_outage = false;
        loop {
            match self.connect().await {
                Ok(pubsub) => {
                    attempts = 0;
                    self.state.send_replace(BusState::Connected {
                        since: SystemTime::now(),
                    });
                    info!(channel = %self.config.channel, "bus subscriber connected");
                    // Subscribed first, then re-fetch: events published from now on arrive
                    // live (buffered behind the fills), older ones come from the database.
                    self.hub.resync_all();
                    if had_outage {
                        let hub = self.hub.clone();
                        tokio::spawn(async move { hub.recheck_all_members().await });
                    }
                    let lost = self.pump(pubsub).await;
                    warn!(error = %lost, "bus subscriber connection lost; reconnecting");
                    had_outage = true;
                    self.state.send_replace(BusState::Disconnected {
                        since: SystemTime::now(),
                        attempts: 0,
                        last_error: Some(lost),
                    });
                }
                Err(err) => {
                    attempts = attempts.saturating_add(1);
                    had_outage = true;
                    debug!(error = %err, attempts, "bus subscriber could not connect");
                    self.state.send_modify(|state| match state {
                        BusState::Disconnected {
                            attempts: a,
                            last_error,
                            ..
                        } => {
                            *a = attempts;
                            *last_error = Some(err.clone());
                        }
                        other => {
                            *other = BusState::Disconnected {
                                since: SystemTime::now(),
                                attempts,
                                last_error: Some(err.clone()),
                            }
                        }
                    });
                }
            }
            tokio::time::sleep(backoff(&self.config, attempts)).await;
        }
    }

    async fn connect(&self) -> Result<redis::aio::PubSub, String> {
        let timeout = self.config.connect_timeout;
        let mut pubsub = tokio::time::timeout(timeout, self.client.get_async_pubsub())
            .await
            .map_err(|_| format!("connect timed out after {timeout:?}"))?
            .map_err(|err| err.to_string())?;
        tokio::time::timeout(timeout, pubsub.subscribe(&self.config.channel))
            .await
            .map_err(|_| format!("subscribe timed out after {timeout:?}"))?
            .map_err(|err| err.to_string())?;
        Ok(pubsub)
    }

    /// Feeds the hub until the connection fails; returns why.
    async fn pump(&self, pubsub: redis::aio::PubSub) -> String {
        let (mut sink, mut stream) = pubsub.split();
        let mut health = tokio::time::interval(self.config.health_check_interval);
        health.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        health.tick().await; // The first tick is immediate; the connection was just checked.
        loop {
            tokio::select! {
                message = stream.next() => {
                    let Some(message) = message else {
                        return "connection closed".to_owned();
                    };
                    self.handle(message.get_payload_bytes()).await;
                }
                _ = health.tick() => {
                    let ping = sink.ping::<redis::Value>();
                    match tokio::time::timeout(self.config.connect_timeout, ping).await {
                        Ok(Ok(_)) => {}
                        Ok(Err(err)) => return format!("health check failed: {err}"),
                        Err(_) => return "health check timed out".to_owned(),
                    }
                }
            }
        }
    }

    /// Applies one bus message. Awaited in the pump, so messages apply in the order Redis
    /// delivered them: a topic re-check finishes before a later event on that topic is rendered.
    async fn handle(&self, payload: &[u8]) {
        let message: WireIn = match serde_json::from_slice(payload) {
            Ok(message) => message,
            Err(err) => {
                // Only the error's position and kind: the payload may carry member text.
                warn!(
                    line = err.line(),
                    column = err.column(),
                    "undecodable bus message"
                );
                return;
            }
        };
        if message.origin == self.origin {
            return; // Applied locally when published.
        }
        match message.body {
            BodyIn::Event { topic, seq, event } => match Envelope::new(topic, seq, event) {
                Ok(envelope) => self.hub.deliver_rendered(envelope).await,
                Err(err) => warn!(%topic, seq, error = %err, "bad event on the bus"),
            },
            BodyIn::DisconnectMember {
                member,
                code,
                reason,
                keep,
            } => {
                self.hub.disconnect_member_except(
                    member,
                    keep.as_deref(),
                    CloseReason::new(code, reason),
                );
            }
            BodyIn::DisconnectSession { tag, code, reason } => {
                self.hub
                    .disconnect_session(&tag, CloseReason::new(code, reason));
            }
            BodyIn::RecheckTopic { topic } => self.hub.recheck_topic(topic).await,
            // Awaited here, before the next bus message is read, like a topic re-check: a
            // demotion followed by staff-only events from the same instance must drop the
            // member's staff topics before those events reach them (a spawned re-check could
            // lose that race).
            BodyIn::RoleChanged { member } => self.hub.recheck_member(member).await,
        }
    }
}

/// Exponential backoff, capped, with jitter (between half and all of the nominal delay) so a
/// fleet of instances does not reconnect in lockstep after Redis restarts.
fn backoff(config: &RedisBusConfig, attempts: u32) -> Duration {
    let nominal = config
        .backoff_min
        .saturating_mul(2u32.saturating_pow(attempts.min(16)))
        .min(config.backoff_max);
    let half = nominal / 2;
    let span = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX).max(1);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u32(attempts);
    half + Duration::from_nanos(hasher.finish() % span)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `rediss://` (TLS, for a Redis on another host) is understood, not refused as a scheme
    /// this build cannot speak.
    #[test]
    fn tls_urls_are_accepted() {
        let client = redis::Client::open("rediss://:hunter2@redis.internal:6380/0");
        assert!(client.is_ok(), "{:?}", client.err());
    }

    #[test]
    fn urls_are_redacted() {
        assert_eq!(
            redact_url("redis://:hunter2@cache:6379/0"),
            "redis://***@cache:6379/0"
        );
        assert_eq!(redact_url("redis://cache:6379"), "redis://cache:6379");
        let debug = format!("{:?}", RedisBusConfig::new("redis://u:pw@h"));
        assert!(!debug.contains("pw"), "{debug}");
    }

    #[test]
    fn backoff_is_capped_and_jittered() {
        let mut config = RedisBusConfig::new("redis://h");
        config.backoff_min = Duration::from_millis(100);
        config.backoff_max = Duration::from_secs(2);
        for attempts in 0..40 {
            let delay = backoff(&config, attempts);
            assert!(delay <= Duration::from_secs(2), "{attempts}: {delay:?}");
            assert!(delay >= Duration::from_millis(50), "{attempts}: {delay:?}");
        }
        assert!(backoff(&config, 30) >= Duration::from_secs(1));
    }
}
