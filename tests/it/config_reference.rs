//! `hearth.example.toml` is the operators' configuration reference. These tests keep it honest:
//! it parses, it names every setting of `Config` (and nothing else), each setting says its
//! environment variable and default, and the defaults it shows are the ones in the code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use hearth_server::Config;
use serde_json::{Map, Value};

const EXAMPLE: &str = include_str!("../../hearth.example.toml");

/// A setting in the file: `# key = value` (commented out, so the file as shipped changes
/// nothing), with the comment block above it. A setting under a `[table]` header (such as
/// `[limits]`) is named `table.key`.
struct Setting {
    key: String,
    /// The table it is in, if any.
    table: Option<String>,
    line: String,
    comments: Vec<String>,
}

/// The settings in the file, in order. A setting line is `# ` followed directly by a
/// lower-case key and ` = `; prose comments never look like that.
fn settings(text: &str) -> Vec<Setting> {
    let mut out = Vec::new();
    let mut block: Vec<String> = Vec::new();
    let mut table: Option<String> = None;
    for line in text.lines() {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            table = Some(name.to_owned());
            block.clear();
            continue;
        }
        let setting = line.strip_prefix("# ").and_then(|rest| {
            let (key, _) = rest.split_once(" = ")?;
            (!key.is_empty() && key.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
                .then(|| key.to_owned())
        });
        match setting {
            Some(key) => {
                out.push(Setting {
                    key: match &table {
                        Some(t) => format!("{t}.{key}"),
                        None => key,
                    },
                    table: table.clone(),
                    line: line["# ".len()..].to_owned(),
                    comments: std::mem::take(&mut block),
                });
            }
            None if line.trim().is_empty() => block.clear(),
            None => block.push(line.to_owned()),
        }
    }
    out
}

/// `Config`'s fields, read from the struct itself (serialised), so a new field cannot be
/// forgotten here. A table's fields are named `table.key`.
fn config_fields(config: &Config) -> Map<String, Value> {
    let Value::Object(map) = serde_json::to_value(config).unwrap() else {
        panic!("Config did not serialise to a map");
    };
    let mut flat = Map::new();
    for (key, value) in map {
        match value {
            Value::Object(table) => {
                for (inner, v) in table {
                    flat.insert(format!("{key}.{inner}"), v);
                }
            }
            v => {
                flat.insert(key, v);
            }
        }
    }
    flat
}

/// The environment variable operators use for `key` (what `Config::load` reads).
fn env_name(key: &str) -> String {
    match key {
        "database_url" | "redis_url" => key.to_ascii_uppercase(),
        _ => format!("HEARTH_{}", key.replace('.', "_").to_ascii_uppercase()),
    }
}

#[test]
fn the_file_as_shipped_parses_and_changes_nothing() {
    let parsed = Config::from_toml(EXAMPLE).unwrap();
    assert_eq!(
        config_fields(&parsed),
        config_fields(&Config::default()),
        "every setting in hearth.example.toml is commented out, so it must give the defaults"
    );
}

#[test]
fn every_field_of_config_is_documented_and_nothing_else() {
    let found = settings(EXAMPLE);
    let keys: Vec<&str> = found.iter().map(|s| s.key.as_str()).collect();
    let unique: BTreeSet<&str> = keys.iter().copied().collect();
    assert_eq!(
        unique.len(),
        keys.len(),
        "a setting appears twice: {keys:?}"
    );
    let fields: BTreeSet<String> = config_fields(&Config::default()).keys().cloned().collect();
    let missing: Vec<&String> = fields
        .iter()
        .filter(|f| !unique.contains(f.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "hearth.example.toml does not document {missing:?}: add each with its default and meaning"
    );
    let unknown: Vec<&&str> = unique.iter().filter(|k| !fields.contains(**k)).collect();
    assert!(
        unknown.is_empty(),
        "hearth.example.toml documents settings Config does not have: {unknown:?}"
    );
}

#[test]
fn uncommenting_every_setting_parses_and_shows_the_real_defaults() {
    let found = settings(EXAMPLE);
    let mut uncommented = String::new();
    let mut table = None;
    for s in &found {
        if s.table != table {
            table = s.table.clone();
            if let Some(t) = &table {
                uncommented.push_str(&format!("[{t}]\n"));
            }
        }
        uncommented.push_str(&format!("{}\n", s.line));
    }
    // deny_unknown_fields: a misspelt key or a wrongly typed value fails here.
    let parsed = Config::from_toml(&uncommented)
        .unwrap_or_else(|e| panic!("the settings in hearth.example.toml do not parse: {e}"));
    let shown = config_fields(&parsed);
    let defaults = config_fields(&Config::default());
    for (key, default) in &defaults {
        if default.is_null() {
            // An optional setting: the file shows an example value, and says it is unset.
            assert!(
                !shown[key].is_null(),
                "{key}: the example value should parse to something"
            );
            continue;
        }
        assert_eq!(
            &shown[key], default,
            "{key}: hearth.example.toml shows a value that is not the default in the code"
        );
    }
}

#[test]
fn every_setting_names_its_environment_variable_and_default() {
    for s in settings(EXAMPLE) {
        let env_line = format!("# env: {}", env_name(&s.key));
        assert!(
            s.comments.iter().any(|c| c.starts_with(&env_line)),
            "{}: the comment above it should have a line starting {env_line:?}",
            s.key
        );
        assert!(
            s.comments.iter().any(|c| c.starts_with("# default: ")),
            "{}: the comment above it should say its default",
            s.key
        );
        let prose = s
            .comments
            .iter()
            .filter(|c| !c.starts_with("# env:") && !c.starts_with("# default:"))
            .count();
        assert!(prose > 0, "{}: say what the setting does", s.key);
    }
}

#[test]
fn the_environment_variables_named_are_the_ones_hearth_reads() {
    // For each setting, some valid value of its documented variable must change that setting
    // (setting a variable to the default would prove nothing).
    let dir = std::env::temp_dir().join(format!("hearth-config-ref-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let empty = dir.join("empty.toml");
    std::fs::write(&empty, "").unwrap();
    let defaults = config_fields(&Config::default());
    for s in settings(EXAMPLE) {
        let name = env_name(&s.key);
        // The example's value, as a variable would carry it (no TOML quotes).
        let (_, literal) = s.line.split_once(" = ").unwrap();
        let example = literal
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(literal)
            .to_owned();
        let mut candidates = vec![example.clone()];
        match (example.parse::<i64>(), example.parse::<bool>()) {
            (Ok(n), _) => candidates.push((n + 1).to_string()),
            (_, Ok(b)) => candidates.push((!b).to_string()),
            _ => candidates.extend(
                [
                    "json",
                    "127.0.0.1:8081",
                    "sqlite://other.db?mode=rwc",
                    "other-rules.toml",
                    "https://forum.example.org",
                    "redis://127.0.0.1:6380",
                    "Notes <no-reply@example.org>",
                    "smtp://127.0.0.1:2525",
                    "1/1s",
                    "optional",
                ]
                .map(str::to_owned),
            ),
        }
        let read = candidates.iter().any(|value| {
            Config::load_from(Some(&empty), |k| (k == name).then(|| value.clone()))
                .is_ok_and(|c| config_fields(&c).get(&s.key) != defaults.get(&s.key))
        });
        assert!(
            read,
            "{}: hearth.example.toml says {name} sets it, but no value of {name} changed it",
            s.key
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
