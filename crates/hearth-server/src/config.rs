//! The one typed configuration: built-in defaults, then an optional `hearth.toml`, then
//! environment variables (`HEARTH_*`, plus `DATABASE_URL` and `REDIS_URL` as operators expect).
//! A bad value stops start-up with one line naming the key.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Everything the server can be told. See `hearth.example.toml` for each key. `Serialize` is
/// there so a test can list the keys; never serialise a live config anywhere (it holds secrets).
#[derive(Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address to listen on (`HEARTH_LISTEN`).
    pub listen: SocketAddr,
    /// Database URL (`DATABASE_URL`): `sqlite://path?mode=rwc` or `postgres://...`.
    pub database_url: String,
    /// Redis URL (`REDIS_URL`): unset means one instance with in-process fan-out.
    pub redis_url: Option<String>,
    /// This deployment's id (`HEARTH_DEPLOYMENT_ID`), which names its Redis channel so that two
    /// deployments sharing a Redis server never hear each other. Unset: one is made at random
    /// on first start and kept in the database, so every instance of a deployment agrees.
    pub deployment_id: Option<String>,
    /// The moderation rules file (`HEARTH_RULES`).
    pub rules: PathBuf,
    /// The origin browsers use (`HEARTH_PUBLIC_URL`); defaults to `http://<listen>`. Origin
    /// checks compare against it, and cookies are `Secure` when it is https.
    pub public_url: Option<String>,
    /// Minutes of inactivity after which a session ends (`HEARTH_SESSION_IDLE_MINUTES`).
    pub session_idle_minutes: i64,
    /// Hours after sign-in after which a session ends regardless (`HEARTH_SESSION_MAX_HOURS`).
    pub session_max_hours: i64,
    /// Largest request body, in bytes (`HEARTH_MAX_BODY_BYTES`).
    pub max_body_bytes: usize,
    /// Days an under-18 refusal is remembered (`HEARTH_AGE_REFUSAL_DAYS`).
    pub age_refusal_days: i64,
    /// Hours an invite link works (`HEARTH_INVITE_HOURS`).
    pub invite_hours: i64,
    /// Days within which applicants are told to expect an answer, on the page shown after they
    /// apply: a promise the admins keep, so set it to what they can do
    /// (`HEARTH_APPLICATION_ANSWER_DAYS`).
    pub application_answer_days: i64,
    /// Trust the first `X-Forwarded-For` address (only behind your own reverse proxy)
    /// (`HEARTH_TRUST_FORWARDED_FOR`).
    pub trust_forwarded_for: bool,
    /// Log format: `text` or `json` (`HEARTH_LOG_FORMAT`).
    pub log_format: String,
    /// Minutes a moderation queue item may wait before moderators are alerted
    /// (`HEARTH_QUEUE_ALERT_MINUTES`).
    pub queue_alert_minutes: i64,
    /// Days notifications are kept (`HEARTH_NOTIFICATION_RETENTION_DAYS`).
    pub notification_retention_days: i64,
    /// Days realtime events are kept for reconnecting clients (`HEARTH_EVENT_RETENTION_DAYS`).
    pub event_retention_days: i64,
    /// Hours a password-reset link works (`HEARTH_RESET_LINK_HOURS`).
    pub reset_link_hours: i64,
    /// Hours within which a safeguarding lead should respond to a concern; past it, leads are
    /// alerted (`HEARTH_CONCERN_RESPONSE_HOURS`).
    pub concern_response_hours: i64,
    /// Days a decided safeguarding concern is kept (`HEARTH_CONCERN_RETENTION_DAYS`).
    pub concern_retention_days: i64,
    /// Minutes within which a moderator should respond to a text in the urgent (crisis) lane;
    /// past it, every moderator is alerted again (`HEARTH_CRISIS_DEADLINE_MINUTES`).
    pub crisis_deadline_minutes: i64,
    /// Days a handled crisis and a closed check-in are kept (`HEARTH_CRISIS_RETENTION_DAYS`).
    pub crisis_retention_days: i64,
    /// Whether moderators, admins and safeguarding leads must enrol a second factor before they
    /// can use anything of staff: `required` (the default) or `optional`
    /// (`HEARTH_STAFF_SECOND_FACTOR`).
    pub staff_second_factor: hearth_app::factors::StaffSecondFactor,
    /// Days the access log (staff reads of held items, concerns, members, applications and
    /// exports) is kept (`HEARTH_ACCESS_LOG_RETENTION_DAYS`).
    pub access_log_retention_days: i64,
    /// Minutes a staff session (moderator, admin, safeguarding lead) lasts unused, when shorter
    /// than `session_idle_minutes` (`HEARTH_STAFF_SESSION_IDLE_MINUTES`; 30 by default).
    pub staff_session_idle_minutes: Option<i64>,
    /// Hours a staff session lasts however active, when shorter than `session_max_hours`
    /// (`HEARTH_STAFF_SESSION_MAX_HOURS`; 12 by default).
    pub staff_session_max_hours: Option<i64>,
    /// SMTP server for password-reset emails, e.g. `smtps://user:pass@mail.example.org` or
    /// `smtp://127.0.0.1:2525` (`HEARTH_SMTP_URL`). Unset: no email; admins issue reset links.
    pub smtp_url: Option<String>,
    /// The sender of emails: keep it neutral, never the forum's name (`HEARTH_SMTP_FROM`).
    pub smtp_from: String,
    /// The bearer token `/metrics` asks for (`HEARTH_METRICS_TOKEN`). Unset: `/metrics` is off
    /// (404), so nothing about the forum's activity is public by accident.
    pub metrics_token: Option<String>,
    /// Every rate limit, in one table (`[limits]`; each key also from `HEARTH_LIMITS_<KEY>`,
    /// e.g. `HEARTH_LIMITS_POSTS=30/10m`). Tests and the bench raise them here.
    pub limits: hearth_app::limits::LimitsConfig,
}

impl Default for Config {
    fn default() -> Self {
        // The use cases' settings have their defaults in one place, `AppConfig`.
        let app = hearth_app::AppConfig::default();
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: "sqlite://hearth-data/hearth.db?mode=rwc".to_owned(),
            redis_url: None,
            deployment_id: None,
            rules: app.rules_path,
            public_url: None,
            session_idle_minutes: app.session_idle_minutes,
            session_max_hours: app.session_max_hours,
            max_body_bytes: 256 * 1024,
            age_refusal_days: app.age_refusal_days,
            invite_hours: app.invite_hours,
            application_answer_days: 3,
            trust_forwarded_for: false,
            log_format: "text".to_owned(),
            queue_alert_minutes: app.queue_alert_minutes,
            notification_retention_days: app.notification_retention_days,
            event_retention_days: app.event_retention_days,
            reset_link_hours: app.reset_link_hours,
            concern_response_hours: app.concern_response_hours,
            concern_retention_days: app.concern_retention_days,
            crisis_deadline_minutes: app.crisis_deadline_minutes,
            crisis_retention_days: app.crisis_retention_days,
            staff_second_factor: app.staff_second_factor,
            access_log_retention_days: app.access_log_retention_days,
            staff_session_idle_minutes: app.staff_session_idle_minutes,
            staff_session_max_hours: app.staff_session_max_hours,
            smtp_url: None,
            smtp_from: "Notes <no-reply@localhost>".to_owned(),
            metrics_token: None,
            limits: hearth_app::limits::LimitsConfig::default(),
        }
    }
}

/// Redacts the password in a URL like `postgres://user:secret@host/db`.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("database_url", &redact(&self.database_url))
            .field("redis_url", &self.redis_url.as_deref().map(redact))
            .field("deployment_id", &self.deployment_id)
            .field("smtp_url", &self.smtp_url.as_deref().map(redact))
            .field("rules", &self.rules)
            .field("public_url", &self.public_url())
            .field("session_idle_minutes", &self.session_idle_minutes)
            .field("session_max_hours", &self.session_max_hours)
            .field("max_body_bytes", &self.max_body_bytes)
            .finish_non_exhaustive()
    }
}

/// A configuration problem, naming the key.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {key}: {message}")]
pub struct ConfigError {
    /// The key (or file) at fault.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

fn bad(key: &str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        key: key.to_owned(),
        message: message.into(),
    }
}

/// The `[limits]` table with each `HEARTH_LIMITS_<KEY>` variable applied. Goes through the
/// table's own serialised form, so a limit added to it is read from the environment without
/// anyone remembering to add it here.
fn limits_from_env(
    limits: &hearth_app::limits::LimitsConfig,
    get: impl Fn(&str) -> Option<String>,
) -> Result<hearth_app::limits::LimitsConfig, ConfigError> {
    let serde_json::Value::Object(mut table) =
        serde_json::to_value(limits).map_err(|e| bad("limits", e.to_string()))?
    else {
        return Err(bad("limits", "is not a table"));
    };
    let mut changed = false;
    for (key, value) in &mut table {
        let name = format!("HEARTH_LIMITS_{}", key.to_ascii_uppercase());
        if let Some(v) = get(&name) {
            *value = if value.is_number() {
                serde_json::Value::from(
                    v.trim()
                        .parse::<u64>()
                        .map_err(|e| bad(&name, format!("{v:?} is not valid: {e}")))?,
                )
            } else {
                serde_json::Value::from(v.trim())
            };
            changed = true;
        }
    }
    if !changed {
        return Ok(limits.clone());
    }
    serde_json::from_value(serde_json::Value::Object(table))
        .map_err(|e| bad("HEARTH_LIMITS_*", e.to_string()))
}

impl Config {
    /// Loads the configuration from `file` (if given, it must exist; otherwise `./hearth.toml`
    /// is read when present) and the process environment.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        Self::load_from(file, |k| std::env::var(k).ok())
    }

    /// As [`Config::load`], with the environment supplied (for tests).
    pub fn load_from(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let explicit = file.map(Path::to_path_buf).or_else(|| {
            env("HEARTH_CONFIG")
                .filter(|v| !v.trim().is_empty())
                .map(PathBuf::from)
        });
        let path = explicit
            .clone()
            .unwrap_or_else(|| PathBuf::from("hearth.toml"));
        let mut config = match std::fs::read_to_string(&path) {
            Ok(text) => Self::from_toml(&text).map_err(|e| bad(&path.display().to_string(), e))?,
            Err(e) if explicit.is_none() && e.kind() == std::io::ErrorKind::NotFound => {
                Config::default()
            }
            Err(e) => return Err(bad(&path.display().to_string(), e.to_string())),
        };
        config.apply_env(env)?;
        config.validate()?;
        Ok(config)
    }

    /// Parses a `hearth.toml` text over the defaults.
    pub fn from_toml(text: &str) -> Result<Config, String> {
        toml::from_str(text).map_err(|e| e.to_string().replace('\n', " "))
    }

    fn apply_env(&mut self, env: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        fn parse<T: std::str::FromStr>(key: &str, v: &str) -> Result<T, ConfigError>
        where
            T::Err: std::fmt::Display,
        {
            v.trim()
                .parse()
                .map_err(|e| bad(key, format!("{v:?} is not valid: {e}")))
        }
        let get = |k: &str| env(k).filter(|v| !v.trim().is_empty());
        if let Some(v) = get("HEARTH_LISTEN") {
            self.listen = parse("HEARTH_LISTEN", &v)?;
        }
        if let Some(v) = get("DATABASE_URL") {
            self.database_url = v;
        }
        if let Some(v) = get("REDIS_URL") {
            self.redis_url = Some(v);
        }
        if let Some(v) = get("HEARTH_DEPLOYMENT_ID") {
            self.deployment_id = Some(v);
        }
        if let Some(v) = get("HEARTH_RULES") {
            self.rules = PathBuf::from(v);
        }
        if let Some(v) = get("HEARTH_PUBLIC_URL") {
            self.public_url = Some(v);
        }
        if let Some(v) = get("HEARTH_SESSION_IDLE_MINUTES") {
            self.session_idle_minutes = parse("HEARTH_SESSION_IDLE_MINUTES", &v)?;
        }
        if let Some(v) = get("HEARTH_SESSION_MAX_HOURS") {
            self.session_max_hours = parse("HEARTH_SESSION_MAX_HOURS", &v)?;
        }
        if let Some(v) = get("HEARTH_MAX_BODY_BYTES") {
            self.max_body_bytes = parse("HEARTH_MAX_BODY_BYTES", &v)?;
        }
        if let Some(v) = get("HEARTH_AGE_REFUSAL_DAYS") {
            self.age_refusal_days = parse("HEARTH_AGE_REFUSAL_DAYS", &v)?;
        }
        if let Some(v) = get("HEARTH_INVITE_HOURS") {
            self.invite_hours = parse("HEARTH_INVITE_HOURS", &v)?;
        }
        if let Some(v) = get("HEARTH_APPLICATION_ANSWER_DAYS") {
            self.application_answer_days = parse("HEARTH_APPLICATION_ANSWER_DAYS", &v)?;
        }
        if let Some(v) = get("HEARTH_TRUST_FORWARDED_FOR") {
            self.trust_forwarded_for = parse("HEARTH_TRUST_FORWARDED_FOR", &v)?;
        }
        if let Some(v) = get("HEARTH_LOG_FORMAT") {
            self.log_format = v;
        }
        if let Some(v) = get("HEARTH_QUEUE_ALERT_MINUTES") {
            self.queue_alert_minutes = parse("HEARTH_QUEUE_ALERT_MINUTES", &v)?;
        }
        if let Some(v) = get("HEARTH_NOTIFICATION_RETENTION_DAYS") {
            self.notification_retention_days = parse("HEARTH_NOTIFICATION_RETENTION_DAYS", &v)?;
        }
        if let Some(v) = get("HEARTH_EVENT_RETENTION_DAYS") {
            self.event_retention_days = parse("HEARTH_EVENT_RETENTION_DAYS", &v)?;
        }
        if let Some(v) = get("HEARTH_RESET_LINK_HOURS") {
            self.reset_link_hours = parse("HEARTH_RESET_LINK_HOURS", &v)?;
        }
        if let Some(v) = get("HEARTH_CONCERN_RESPONSE_HOURS") {
            self.concern_response_hours = parse("HEARTH_CONCERN_RESPONSE_HOURS", &v)?;
        }
        if let Some(v) = get("HEARTH_CONCERN_RETENTION_DAYS") {
            self.concern_retention_days = parse("HEARTH_CONCERN_RETENTION_DAYS", &v)?;
        }
        if let Some(v) = get("HEARTH_CRISIS_DEADLINE_MINUTES") {
            self.crisis_deadline_minutes = parse("HEARTH_CRISIS_DEADLINE_MINUTES", &v)?;
        }
        if let Some(v) = get("HEARTH_STAFF_SESSION_IDLE_MINUTES") {
            self.staff_session_idle_minutes = Some(parse("HEARTH_STAFF_SESSION_IDLE_MINUTES", &v)?);
        }
        if let Some(v) = get("HEARTH_STAFF_SESSION_MAX_HOURS") {
            self.staff_session_max_hours = Some(parse("HEARTH_STAFF_SESSION_MAX_HOURS", &v)?);
        }
        if let Some(v) = get("HEARTH_ACCESS_LOG_RETENTION_DAYS") {
            self.access_log_retention_days = parse("HEARTH_ACCESS_LOG_RETENTION_DAYS", &v)?;
        }
        if let Some(v) = get("HEARTH_STAFF_SECOND_FACTOR") {
            self.staff_second_factor = parse("HEARTH_STAFF_SECOND_FACTOR", &v)?;
        }
        if let Some(v) = get("HEARTH_CRISIS_RETENTION_DAYS") {
            self.crisis_retention_days = parse("HEARTH_CRISIS_RETENTION_DAYS", &v)?;
        }
        if let Some(v) = get("HEARTH_SMTP_URL") {
            self.smtp_url = Some(v);
        }
        if let Some(v) = get("HEARTH_SMTP_FROM") {
            self.smtp_from = v;
        }
        if let Some(v) = get("HEARTH_METRICS_TOKEN") {
            self.metrics_token = Some(v).filter(|t| !t.is_empty());
        }
        self.limits = limits_from_env(&self.limits, get)?;
        Ok(())
    }

    /// Checks values no type can: positive durations, URL schemes, a long enough metrics
    /// token. Loading runs it; tests and tools that build a config by hand can too.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let db = &self.database_url;
        if !(db.starts_with("sqlite:")
            || db.starts_with("postgres://")
            || db.starts_with("postgresql://"))
        {
            return Err(bad(
                "DATABASE_URL",
                "must start with sqlite: or postgres://",
            ));
        }
        if let Some(r) = &self.redis_url
            && !(r.starts_with("redis://") || r.starts_with("rediss://"))
        {
            return Err(bad("REDIS_URL", "must start with redis:// or rediss://"));
        }
        if let Some(d) = &self.deployment_id
            && (!(1..=64).contains(&d.len())
                || !d
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        {
            return Err(bad(
                "HEARTH_DEPLOYMENT_ID",
                "must be 1 to 64 letters, digits, '-' or '_'",
            ));
        }
        if let Some(p) = &self.public_url
            && !(p.starts_with("http://") || p.starts_with("https://"))
        {
            return Err(bad(
                "HEARTH_PUBLIC_URL",
                "must start with http:// or https://",
            ));
        }
        for (key, v) in [
            ("session_idle_minutes", self.session_idle_minutes),
            ("session_max_hours", self.session_max_hours),
            ("age_refusal_days", self.age_refusal_days),
            ("invite_hours", self.invite_hours),
            ("application_answer_days", self.application_answer_days),
            ("queue_alert_minutes", self.queue_alert_minutes),
            (
                "notification_retention_days",
                self.notification_retention_days,
            ),
            ("event_retention_days", self.event_retention_days),
            ("reset_link_hours", self.reset_link_hours),
            ("concern_response_hours", self.concern_response_hours),
            ("concern_retention_days", self.concern_retention_days),
            ("crisis_deadline_minutes", self.crisis_deadline_minutes),
            ("crisis_retention_days", self.crisis_retention_days),
            ("access_log_retention_days", self.access_log_retention_days),
            (
                "staff_session_idle_minutes",
                self.staff_session_idle_minutes.unwrap_or(1),
            ),
            (
                "staff_session_max_hours",
                self.staff_session_max_hours.unwrap_or(1),
            ),
        ] {
            if v <= 0 {
                return Err(bad(key, "must be a positive number"));
            }
        }
        if self.max_body_bytes < 1024 {
            return Err(bad("max_body_bytes", "must be at least 1024"));
        }
        if self.metrics_token.as_ref().is_some_and(|t| t.len() < 16) {
            return Err(bad(
                "metrics_token",
                "must be at least 16 characters (a long random string)",
            ));
        }
        if let Some(u) = &self.smtp_url
            && !(u.starts_with("smtp://") || u.starts_with("smtps://"))
        {
            return Err(bad(
                "HEARTH_SMTP_URL",
                "must start with smtp:// or smtps://",
            ));
        }
        if self.smtp_from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(bad(
                "HEARTH_SMTP_FROM",
                "must be an address like Notes <no-reply@example.org>",
            ));
        }
        if self.limits.sockets_per_member == 0 {
            return Err(bad("limits.sockets_per_member", "must be at least 1"));
        }
        if !matches!(self.log_format.as_str(), "text" | "json") {
            return Err(bad("HEARTH_LOG_FORMAT", "must be text or json"));
        }
        Ok(())
    }

    /// The public origin, e.g. `https://forum.example.org` (no trailing slash).
    pub fn public_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen))
            .trim_end_matches('/')
            .to_owned()
    }

    /// Whether browsers reach the site over https (cookies are then `Secure`).
    pub fn is_https(&self) -> bool {
        self.public_url().starts_with("https://")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(key, _)| *key == k)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn defaults_are_the_embedded_setup() {
        let c = Config::load_from(Some(Path::new("/nonexistent/hearth.toml")), env(&[]));
        assert!(c.is_err(), "an explicit missing file is an error");
        let c = Config::load_from(None, env(&[("HEARTH_CONFIG", "")])).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert!(c.database_url.starts_with("sqlite:"));
        assert_eq!(c.public_url(), "http://127.0.0.1:8080");
        assert!(!c.is_https());
    }

    #[test]
    fn environment_overrides_and_bad_values_name_the_key() {
        let c = Config::load_from(
            None,
            env(&[
                ("HEARTH_LISTEN", "0.0.0.0:9000"),
                ("DATABASE_URL", "postgres://u:secret@db/hearth"),
                ("HEARTH_PUBLIC_URL", "https://forum.example.org/"),
            ]),
        )
        .unwrap();
        assert_eq!(c.listen.port(), 9000);
        assert!(c.is_https());
        assert_eq!(c.public_url(), "https://forum.example.org");
        let shown = format!("{c:?}");
        assert!(!shown.contains("secret"), "{shown}");

        let err = Config::load_from(None, env(&[("HEARTH_LISTEN", "nowhere")])).unwrap_err();
        assert!(
            err.to_string().starts_with("configuration: HEARTH_LISTEN:"),
            "{err}"
        );
        let err = Config::load_from(None, env(&[("DATABASE_URL", "mysql://x")])).unwrap_err();
        assert!(err.to_string().contains("DATABASE_URL"), "{err}");
    }

    #[test]
    fn unknown_keys_in_the_file_are_refused() {
        assert!(Config::from_toml("listne = \"127.0.0.1:1\"").is_err());
        assert!(Config::from_toml("listen = \"127.0.0.1:1\"").is_ok());
    }
}
