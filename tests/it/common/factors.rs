//! Second factors in the harness: staff need one (`HEARTH_STAFF_SECOND_FACTOR=required` is the
//! default), so the harness enrols an authenticator app for the staff it makes and computes
//! codes when they sign in, as a person with the app would.
//!
//! Each test server registers its clock under its address; codes are computed by that clock.
//! A code is accepted once (the server refuses a replayed step), so a second sign-in within the
//! same 30-second step uses the next step's code (the server allows one step of drift), and past
//! that moves the test's clock on to the next step.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use serde_json::{Value, json};

use super::TestClock;

/// One enrolled authenticator app.
pub struct Enrolled {
    pub secret: String,
    /// The last step whose code the harness used.
    last_step: i64,
}

type Shared = Arc<Mutex<Enrolled>>;

/// (server address, lower-case login) -> the enrolment, shared by a member's handle and email.
static ENROLLED: LazyLock<Mutex<HashMap<(String, String), Shared>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// Server address -> its clock.
static CLOCKS: LazyLock<Mutex<HashMap<String, TestClock>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// Registers the clock of the server at `base`.
pub fn register_clock(base: &str, clock: &TestClock) {
    CLOCKS
        .lock()
        .unwrap()
        .insert(base.to_owned(), clock.clone());
}

/// Another instance's address -> the first instance's (same database, same members).
static ALIASES: LazyLock<Mutex<HashMap<String, String>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// Registers `other` as another instance of the deployment at `base`.
pub fn register_instance(other: &str, base: &str) {
    ALIASES
        .lock()
        .unwrap()
        .insert(other.to_owned(), base.to_owned());
}

/// The first instance's address for any instance's.
fn canonical(base: &str) -> String {
    ALIASES
        .lock()
        .unwrap()
        .get(base)
        .cloned()
        .unwrap_or_else(|| base.to_owned())
}

/// The clock of the server at `base`.
fn clock_of(base: &str) -> Option<TestClock> {
    CLOCKS.lock().unwrap().get(&canonical(base)).cloned()
}

/// Remembers `secret` for each of `logins` on the server at `base`.
pub fn register(base: &str, logins: &[&str], secret: &str) {
    let shared = Arc::new(Mutex::new(Enrolled {
        secret: secret.to_owned(),
        last_step: i64::MIN,
    }));
    let mut map = ENROLLED.lock().unwrap();
    for login in logins {
        map.insert((canonical(base), login.to_lowercase()), Arc::clone(&shared));
    }
}

/// The secret enrolled for `login` on `base`, if the harness enrolled one.
pub fn secret_of(base: &str, login: &str) -> Option<String> {
    ENROLLED
        .lock()
        .unwrap()
        .get(&(canonical(base), login.to_lowercase()))
        .map(|e| e.lock().unwrap().secret.clone())
}

/// The code for `secret` at unix time `at`.
pub fn code_at(secret: &str, at: i64) -> String {
    let bytes = base32_decode(secret);
    totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes)
        .unwrap()
        .generate(u64::try_from(at).unwrap())
}

fn base32_decode(s: &str) -> Vec<u8> {
    totp_rs::Secret::Encoded(s.to_owned()).to_bytes().unwrap()
}

/// The time now by the clock of the server at `base`.
pub fn now_at(base: &str) -> i64 {
    clock_of(base).map_or_else(|| chrono::Utc::now().timestamp(), |c| c.now().timestamp())
}

/// A fresh code (one never used before by the harness) for `login` on `base`, moving the
/// server's clock on to the next step if both the current step and the next were used.
pub fn next_code(base: &str, login: &str) -> Option<String> {
    let shared = ENROLLED
        .lock()
        .unwrap()
        .get(&(canonical(base), login.to_lowercase()))
        .cloned()?;
    let mut e = shared.lock().unwrap();
    Some(fresh_code(base, &mut e))
}

fn fresh_code(base: &str, e: &mut Enrolled) -> String {
    let mut now = now_at(base);
    let mut here = now.div_euclid(30);
    if e.last_step > here {
        // Both this step and the next were used: move the clock to the next step's start.
        if let Some(clock) = clock_of(base) {
            let by = (here + 1) * 30 - now;
            clock.advance(chrono::Duration::seconds(by));
            now = clock.now().timestamp();
            here = now.div_euclid(30);
        }
    }
    let step = (e.last_step + 1).max(here);
    e.last_step = step;
    code_at(&e.secret, step * 30)
}

/// Enrols an authenticator app for the member signed in on `client`, registering it under
/// their handle and email; answers the secret and the recovery codes.
pub async fn enrol(client: &super::Client) -> (String, Vec<String>) {
    let (status, me) = client.get_plain("/api/me").await;
    assert_eq!(status, reqwest::StatusCode::OK, "{me}");
    let (status, begun) = client.post_plain("/api/me/factors/totp", json!({})).await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{begun}");
    let secret = begun["secret"].as_str().unwrap().to_owned();
    let mut logins = vec![me["member"]["handle"].as_str().unwrap().to_owned()];
    if let Some(email) = me["member"]["email"].as_str() {
        logins.push(email.to_owned());
    }
    let refs: Vec<&str> = logins.iter().map(String::as_str).collect();
    register(&client.base, &refs, &secret);
    let code = next_code(&client.base, &logins[0]).unwrap();
    let (status, done) = client
        .post_plain("/api/me/factors/totp/confirm", json!({ "code": code }))
        .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{done}");
    let codes = done["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    (secret, codes)
}

/// Whether an answer is the refusal staff without a factor get.
pub fn is_factor_refusal(status: reqwest::StatusCode, body: &Value) -> bool {
    status == reqwest::StatusCode::FORBIDDEN && body["error"]["code"] == "second_factor_required"
}
