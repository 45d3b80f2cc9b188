//! The live schema, after migrations, on SQLite and PostgreSQL, must match DATA-INVENTORY.md
//! exactly: every column listed, and nothing listed that does not exist.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::collections::BTreeSet;

use common::TestApp;

/// The (table, column) rows of DATA-INVENTORY.md for `backend`: a row whose description starts
/// "(SQLite only)" or "(PostgreSQL only)" belongs to that database alone (full-text search is
/// built differently on each).
fn inventory(backend: &str) -> BTreeSet<(String, String)> {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/DATA-INVENTORY.md")).unwrap();
    text.lines()
        .filter_map(|line| {
            let mut cells = line.split('|').map(str::trim).filter(|c| !c.is_empty());
            let table = cells.next()?.strip_prefix('`')?.strip_suffix('`')?;
            let column = cells.next()?.strip_prefix('`')?.strip_suffix('`')?;
            let why = cells.next().unwrap_or("");
            let only_here = match why {
                w if w.starts_with("(SQLite only)") => backend == "sqlite",
                w if w.starts_with("(PostgreSQL only)") => backend == "postgresql",
                _ => true,
            };
            only_here.then(|| (table.to_owned(), column.to_owned()))
        })
        .collect()
}

async fn the_schema_matches_the_data_inventory(app: TestApp) {
    let listed = inventory(app.state().app.store().backend_name());
    assert!(listed.len() > 20, "the inventory parses: {listed:?}");
    let live: BTreeSet<_> = app
        .state()
        .app
        .store()
        .schema_columns()
        .await
        .unwrap()
        .into_iter()
        .collect();
    let unlisted: Vec<_> = live.difference(&listed).collect();
    let stale: Vec<_> = listed.difference(&live).collect();
    assert!(
        unlisted.is_empty(),
        "columns missing from DATA-INVENTORY.md: {unlisted:?}"
    );
    assert!(
        stale.is_empty(),
        "DATA-INVENTORY.md lists columns that do not exist: {stale:?}"
    );
    // What must never be stored.
    for (_, column) in &live {
        for banned in [
            "date_of_birth",
            "dob",
            "birth",
            "ip",
            "ip_address",
            "real_name",
            "address",
            "phone",
            "diagnosis",
        ] {
            assert_ne!(column, banned, "a column named {column} must not exist");
        }
    }
}

on_both_backends!(the_schema_matches_the_data_inventory);
