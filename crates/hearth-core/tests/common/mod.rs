//! What the core's integration tests share.

/// A file of the shared test data: `shared/data/` beside the checkout when it is there (the
/// team's copy), else the copy kept in the repository (`testdata/shared-data/`) so a clone
/// alone still runs every test.
pub fn shared_data(rel: &str) -> String {
    let beside = format!("{}/../../../shared/data/{rel}", env!("CARGO_MANIFEST_DIR"));
    if std::path::Path::new(&beside).exists() {
        beside
    } else {
        format!(
            "{}/../../testdata/shared-data/{rel}",
            env!("CARGO_MANIFEST_DIR")
        )
    }
}
