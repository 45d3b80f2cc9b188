//! What every handler shares.

use std::sync::Arc;

use hearth_app::App;

use crate::config::Config;

/// Shared by every request: the use cases (which hold the rate limits) and the configuration.
#[derive(Clone)]
pub struct AppState {
    /// The use cases.
    pub app: App,
    /// The configuration in force.
    pub config: Arc<Config>,
}
