//! `GET /api/openapi.json` describes the HTTP API, and no route can escape it.
//!
//! - Coverage: the document is the route list. Every `/api` route is registered with
//!   `utoipa-axum` (`routes!(...)`), which adds the route to the router and its operation to the
//!   document in one step; a source check finds any `/api` route registered with plain axum.
//!   Each documented operation is also requested over HTTP, to see that the running server
//!   routes it (it does not answer with the fallback).
//! - Current: `web-client/openapi.json`, from which the web client's types are generated, is the
//!   document the code generates (`cargo run -p hearth -- openapi` rewrites it).
//! - Well-formed: OpenAPI 3 shape, every `$ref` resolves, path parameters match the path, unique
//!   operation ids, known security schemes; then the OpenAPI 3.1 JSON Schema (`jsonschema` crate).
//! - Truthful: answers from a running server, for most operations and their common errors, are
//!   checked against the documented schema for their status, strictly (no undocumented fields).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::collections::BTreeSet;

use common::{Backend, Client, TestApp, application, password_of};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A (METHOD, path template) pair.
type Route = (String, String);

async fn spawn() -> TestApp {
    TestApp::spawn(Backend::Sqlite)
        .await
        .expect("SQLite is always available")
}

/// Fetches the document as anyone would: no cookie, no Origin.
async fn fetch_document(app: &TestApp) -> Value {
    let resp = reqwest::get(format!("{}/api/openapi.json", app.base))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let ct = resp.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ct.starts_with("application/json"), "content-type {ct}");
    resp.json().await.unwrap()
}

const METHODS: [&str; 9] = [
    "get", "head", "delete", "options", "patch", "post", "put", "trace", "connect",
];

/// The documented (METHOD, path) pairs.
fn documented_routes(doc: &Value) -> BTreeSet<Route> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths is an object") {
        for (method, _) in item.as_object().expect("a path item is an object") {
            if METHODS.contains(&method.as_str()) {
                out.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

fn show(routes: &BTreeSet<Route>) -> String {
    routes
        .iter()
        .map(|(m, p)| format!("  {m} {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The `.route("/api...")` calls in a source file: an `/api` route registered with plain axum
/// instead of `routes!(...)` would be served without being in the document. Every `/api` route
/// goes through `OpenApiRouter::routes`, which adds the route and its operation together, so the
/// document is the route list; this finds the one way around it.
fn plain_api_routes(file: &str, source: &str) -> Vec<String> {
    let mut found = Vec::new();
    // A file's unit tests (at its end, by the house's habit) build routers that are never served.
    let served = source.split("#[cfg(test)]").next().unwrap_or_default();
    let flat: String = served.split_whitespace().collect();
    for call in [".route(", ".route_service(", ".nest(", ".nest_service("] {
        let needle = format!("{call}\"/api");
        let mut rest = flat.as_str();
        while let Some(i) = rest.find(&needle) {
            let after = &rest[i + call.len() + 1..];
            let path: String = after.chars().take_while(|c| *c != '"').collect();
            found.push(format!("  {file}: {call}\"{path}\""));
            rest = &rest[i + needle.len()..];
        }
    }
    found
}

/// Every `/api` route is registered through `utoipa-axum`, so it is in the document.
#[test]
fn no_api_route_bypasses_the_document() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/hearth-server/src");
    let mut found = Vec::new();
    let mut files = 0;
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files += 1;
                let text = std::fs::read_to_string(&path).unwrap();
                found.extend(plain_api_routes(&path.display().to_string(), &text));
            }
        }
    }
    assert!(files > 10, "read only {files} source files");
    assert!(
        found.is_empty(),
        "/api routes registered with plain axum, so missing from /api/openapi.json (register them \
         with .routes(routes!(handler)) and annotate the handler with #[utoipa::path(...)]):\n{}",
        found.join("\n")
    );
}

/// The source check itself finds a plain `/api` route, however it is formatted, and ignores
/// the others and those of unit tests.
#[test]
fn the_bypass_check_catches_a_plain_api_route() {
    let source = r#"
        OpenApiRouter::new()
            .routes(routes!(get_session, create_session))
            .route("/setup", get(get_setup_page))
            .route(
                "/api/secret",
                post(secret),
            )
        #[cfg(test)]
        mod tests {
            fn app() -> Router { routes().route("/api/known", post(ok)) }
        }
    "#;
    let found = plain_api_routes("x.rs", source);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("\"/api/secret\""), "{found:?}");
}

/// The served document is the one the code generates, and `web-client/openapi.json` (from
/// which the web client's types are generated) is that document, byte for byte.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_committed_document_is_current() {
    let generated = hearth_server::routes::openapi::document_json();
    let app = spawn().await;
    let served = fetch_document(&app).await;
    assert_eq!(
        served,
        serde_json::from_str::<Value>(&generated).unwrap(),
        "the served document differs from the generated one"
    );
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web-client/openapi.json");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is not the document the code generates; regenerate it with\n\n    \
         cargo run -p hearth -- openapi > web-client/openapi.json\n\nthen rebuild the web \
         client (npm run build in web-client/, or cargo build), which regenerates \
         web-client/src/generated/api.ts from it, and commit both",
        path.display()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_api_route_is_documented() {
    let app = spawn().await;
    let doc = fetch_document(&app).await;
    let documented = documented_routes(&doc);
    assert!(
        documented.contains(&("GET".to_owned(), "/api/session".to_owned())),
        "{documented:?}"
    );

    // The document is built from the same registrations as the router, so every documented
    // operation is routed over HTTP. Unknown paths and methods answer the fallbacks; learn
    // what those look like first.
    let client = Client::new(&app.base, true);
    let no_route = Client::send(client.request(Method::GET, "/api/no-such-route-at-all")).await;
    let no_method = Client::send(client.request(Method::PUT, "/api/session")).await;
    assert_eq!(no_route.0, StatusCode::NOT_FOUND, "{no_route:?}");
    for (method, path) in &documented {
        let concrete = path.replace("{id}", &uuid::Uuid::new_v4().to_string());
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        // No body and no session: nothing is changed by these requests.
        let answer = Client::send(client.request(method.clone(), &concrete)).await;
        assert!(
            answer != no_route && answer != no_method,
            "{method} {path} is documented but the server answers it with a fallback: {answer:?}"
        );
    }

    // And it routes nothing more: a method the document does not list for a path answers 405
    // (`routes!` given handlers of different paths would mount each on every one of them).
    let paths: BTreeSet<&String> = documented.iter().map(|(_, p)| p).collect();
    for path in paths {
        let concrete = path.replace("{id}", &uuid::Uuid::new_v4().to_string());
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
            if documented.contains(&(method.to_owned(), path.clone())) {
                continue;
            }
            let m = Method::from_bytes(method.as_bytes()).unwrap();
            let answer = Client::send(client.request(m, &concrete)).await;
            assert_eq!(
                answer, no_method,
                "{method} {path} is not documented, but the server routes it"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Well-formed

/// Follows a local `$ref` (`#/components/schemas/X`).
fn resolve<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    doc.pointer(reference.strip_prefix('#')?)
}

fn collect_refs(v: &Value, at: String, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                if k == "$ref"
                    && let Some(r) = child.as_str()
                {
                    out.push((at.clone(), r.to_owned()));
                }
                collect_refs(child, format!("{at}/{k}"), out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                collect_refs(child, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_is_well_formed_openapi_3() {
    let app = spawn().await;
    let doc = fetch_document(&app).await;
    assert!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")),
        "openapi version: {}",
        doc["openapi"]
    );
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() > 10, "paths: {}", paths.len());

    let mut problems = Vec::new();
    let mut refs = Vec::new();
    collect_refs(&doc, String::new(), &mut refs);
    assert!(!refs.is_empty());
    for (at, r) in refs {
        if resolve(&doc, &r).is_none() {
            problems.push(format!("{at}: $ref {r} does not resolve"));
        }
    }

    let schemes = doc["components"]["securitySchemes"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    assert!(schemes.contains_key("session_cookie"), "{schemes:?}");
    let tags: BTreeSet<&str> = doc["tags"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    let mut operation_ids = BTreeSet::new();
    for (path, item) in paths {
        assert!(path.starts_with('/'), "{path}");
        let in_path: BTreeSet<String> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .map(str::to_owned)
            .collect();
        for (method, op) in item.as_object().unwrap() {
            let name = format!("{} {path}", method.to_uppercase());
            if !METHODS.contains(&method.as_str()) {
                continue;
            }
            match op["operationId"].as_str() {
                Some(id) if operation_ids.insert(id.to_owned()) => {}
                other => {
                    problems.push(format!("{name}: operationId {other:?} missing or repeated"))
                }
            }
            let op_tags = op["tags"].as_array().cloned().unwrap_or_default();
            if op_tags.is_empty() {
                problems.push(format!("{name}: no tag"));
            }
            for t in op_tags {
                if !tags.contains(t.as_str().unwrap_or_default()) {
                    problems.push(format!("{name}: tag {t} is not declared"));
                }
            }
            let responses = op["responses"].as_object().cloned().unwrap_or_default();
            if responses.is_empty() {
                problems.push(format!("{name}: no responses"));
            }
            for (status, r) in &responses {
                if status.starts_with('4') || status.starts_with('5') {
                    let schema = &r["content"]["application/json"]["schema"];
                    let is_error = schema["$ref"] == "#/components/schemas/ErrorBody";
                    // readyz answers its own body on 503.
                    let own_body = path == "/readyz" && status == "503";
                    if !is_error && !own_body {
                        problems.push(format!("{name}: {status} does not answer ErrorBody"));
                    }
                }
            }
            let declared: BTreeSet<String> = op["parameters"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .filter(|p| p["in"] == "path")
                .filter_map(|p| p["name"].as_str().map(str::to_owned))
                .collect();
            if declared != in_path {
                problems.push(format!(
                    "{name}: path parameters {declared:?} do not match the path's {in_path:?}"
                ));
            }
            for requirement in op["security"].as_array().cloned().unwrap_or_default() {
                for scheme in requirement.as_object().unwrap().keys() {
                    if !schemes.contains_key(scheme) {
                        problems.push(format!("{name}: unknown security scheme {scheme}"));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    // Every operation that takes a member's session says so.
    for (path, op) in [
        ("/api/me", "get"),
        ("/api/mod/queue", "get"),
        ("/api/admin/members", "get"),
    ] {
        assert_eq!(
            doc["paths"][path][op]["security"],
            json!([{"session_cookie": []}]),
            "{op} {path}"
        );
    }
    for (path, op) in [("/api/applications", "post"), ("/api/openapi.json", "get")] {
        assert!(doc["paths"][path][op]["security"].is_null(), "{op} {path}");
    }

    spec_validator(&doc);
}

/// Validates the document against the OpenAPI Initiative's schema for OpenAPI 3.1 (kept in
/// `testdata/openapi/`), with the `jsonschema` crate: every error, with where it is.
fn spec_validator(doc: &Value) {
    assert_eq!(
        doc["openapi"].as_str().map(|v| v.starts_with("3.1")),
        Some(true),
        "the schema kept in testdata is for OpenAPI 3.1: {}",
        doc["openapi"]
    );
    let errors = openapi_errors(doc);
    assert!(
        errors.is_empty(),
        "the document is not valid OpenAPI 3.1:\n{}",
        errors.join("\n")
    );
}

/// What the OpenAPI 3.1 schema finds wrong with `doc`.
fn openapi_errors(doc: &Value) -> Vec<String> {
    let schema: Value = serde_json::from_str(include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/openapi/oas-3.1-schema.json"
    )))
    .unwrap();
    let validator = jsonschema::draft202012::new(&schema).expect("the OpenAPI 3.1 schema compiles");
    validator
        .iter_errors(doc)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

/// The schema check can fail: a document with a malformed operation is refused.
#[test]
fn the_schema_check_refuses_a_broken_document() {
    let broken = json!({
        "openapi": "3.1.0",
        "info": {"title": "x", "version": "1"},
        "paths": {"/x": {"get": {"responses": {"200": {"description": 5}}}}},
    });
    assert!(!openapi_errors(&broken).is_empty());
    let fine = json!({
        "openapi": "3.1.0",
        "info": {"title": "x", "version": "1"},
        "paths": {"/x": {"get": {"responses": {"200": {"description": "ok"}}}}},
    });
    assert_eq!(openapi_errors(&fine), Vec::<String>::new());
}

// ---------------------------------------------------------------------------------------------
// Truthful: real answers against the documented schemas

/// Checks `value` against `schema` (the JSON Schema subset utoipa writes). Objects are checked
/// strictly: a field the schema does not list is an error, so the document cannot fall behind
/// what a handler's `json!` sends.
fn check_schema(doc: &Value, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    if let Some(r) = schema["$ref"].as_str() {
        match resolve(doc, r) {
            Some(target) => check_schema(doc, target, value, at, errors),
            None => errors.push(format!("{at}: $ref {r} does not resolve")),
        }
        return;
    }
    if let Some(branches) = schema["oneOf"].as_array() {
        let matching = branches
            .iter()
            .filter(|b| {
                let mut e = Vec::new();
                check_schema(doc, b, value, at, &mut e);
                e.is_empty()
            })
            .count();
        if matching != 1 {
            errors.push(format!("{at}: {matching} oneOf branches match {value}"));
        }
        return;
    }
    if let Some(all) = schema["allOf"].as_array() {
        for s in all {
            check_schema(doc, s, value, at, errors);
        }
    }
    if let Some(types) = schema.get("type") {
        let types: Vec<&str> = match types {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let fits = types.iter().any(|t| match *t {
            "null" => value.is_null(),
            "boolean" => value.is_boolean(),
            "string" => value.is_string(),
            "object" => value.is_object(),
            "array" => value.is_array(),
            "number" => value.is_number(),
            "integer" => value.is_i64() || value.is_u64(),
            _ => false,
        });
        if !fits {
            errors.push(format!("{at}: {value} is not of type {types:?}"));
            return;
        }
    }
    if let Some(options) = schema["enum"].as_array()
        && !options.contains(value)
    {
        errors.push(format!("{at}: {value} is not one of {options:?}"));
    }
    if let (Some(format), Some(s)) = (schema["format"].as_str(), value.as_str()) {
        let ok = match format {
            "uuid" => uuid::Uuid::parse_str(s).is_ok(),
            "date-time" => chrono::DateTime::parse_from_rfc3339(s).is_ok(),
            _ => true,
        };
        if !ok {
            errors.push(format!("{at}: {s:?} is not a {format}"));
        }
    }
    if let (Some(min), Some(n)) = (schema["minimum"].as_f64(), value.as_f64())
        && n < min
    {
        errors.push(format!("{at}: {n} is below {min}"));
    }
    if let Value::Object(fields) = value {
        for name in schema["required"].as_array().cloned().unwrap_or_default() {
            let name = name.as_str().unwrap_or_default();
            if !fields.contains_key(name) {
                errors.push(format!("{at}: required field {name} is missing"));
            }
        }
        let properties = schema["properties"].as_object();
        for (name, v) in fields {
            match properties.and_then(|p| p.get(name)) {
                Some(s) => check_schema(doc, s, v, &format!("{at}.{name}"), errors),
                None if properties.is_some() || schema["additionalProperties"] == false => {
                    errors.push(format!("{at}: field {name} is not documented"));
                }
                None => {}
            }
        }
    }
    if let (Value::Array(items), Some(item_schema)) = (value, schema.get("items")) {
        for (i, v) in items.iter().enumerate() {
            check_schema(doc, item_schema, v, &format!("{at}[{i}]"), errors);
        }
    }
}

/// Records answers and checks each against the document.
struct Checker {
    doc: Value,
    checked: BTreeSet<(String, String, u16)>,
    errors: Vec<String>,
}

impl Checker {
    /// Checks that `path` (a template) documents `status` for `method`, and that `body` fits.
    fn check(&mut self, method: &str, path: &str, (status, body): &(StatusCode, Value)) {
        let name = format!("{method} {path} -> {}", status.as_u16());
        self.checked
            .insert((method.to_owned(), path.to_owned(), status.as_u16()));
        let op = &self.doc["paths"][path][method.to_lowercase()];
        if op.is_null() {
            self.errors.push(format!("{name}: not documented"));
            return;
        }
        let response = &op["responses"][status.as_u16().to_string()];
        if response.is_null() {
            self.errors
                .push(format!("{name}: status not documented (body {body})"));
            return;
        }
        let content = &response["content"];
        let textual = content
            .as_object()
            .is_some_and(|c| c.keys().any(|k| k.starts_with("text/")));
        match content["application/json"].get("schema") {
            Some(schema) => {
                let schema = schema.clone();
                let doc = self.doc.clone();
                let mut errors = Vec::new();
                check_schema(&doc, &schema, body, "body", &mut errors);
                for e in errors {
                    self.errors.push(format!("{name}: {e}\n    in {body}"));
                }
            }
            None if body.is_null() => {}
            None if textual && body.is_string() => {}
            None => self.errors.push(format!(
                "{name}: documented without a body, but sent {body}"
            )),
        }
    }
}

async fn call(c: &Client, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    let mut rb = c.request(Method::from_bytes(method.as_bytes()).unwrap(), path);
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    Client::send(rb).await
}

/// Calls `template` (with `{id}` replaced by `id`) and checks the answer.
async fn run(
    k: &mut Checker,
    c: &Client,
    method: &str,
    template: &str,
    id: &str,
    body: Option<Value>,
) -> Value {
    let answer = call(c, method, &template.replace("{id}", id), body).await;
    k.check(method, template, &answer);
    answer.1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_match_the_documented_schemas() {
    let app = spawn().await;
    let doc = fetch_document(&app).await;
    let mut k = Checker {
        doc,
        checked: BTreeSet::new(),
        errors: Vec::new(),
    };
    let k = &mut k;
    let anon = app.client();

    run(k, &anon, "GET", "/api/openapi.json", "", None).await;
    run(k, &anon, "GET", "/healthz", "", None).await;
    run(k, &anon, "GET", "/readyz", "", None).await;
    run(k, &anon, "GET", "/metrics", "", None).await;
    run(k, &anon, "GET", "/api/ws", "", None).await; // 401
    run(k, &anon, "GET", "/api/me", "", None).await; // 401
    run(k, &anon, "GET", "/api/session", "", None).await; // 401
    run(k, &anon, "POST", "/api/setup", "", Some(json!({"token": "nope", "handle": "x", "email": "x@example.org", "password": "long-enough-pw"}))).await; // 403
    let bad = anon
        .request(Method::POST, "/api/applications")
        .body("{}")
        .header("content-type", "text/plain");
    k.check("POST", "/api/applications", &Client::send(bad).await); // 415
    run(
        k,
        &anon,
        "POST",
        "/api/applications",
        "",
        Some(json!({"handle": 1})),
    )
    .await; // 400

    // The first admin, through the documented setup call.
    let link = app.state().app.first_run_link().await.unwrap().unwrap();
    let token = link.split("token=").nth(1).unwrap().to_owned();
    let admin = app.client();
    run(k, &admin, "POST", "/api/setup", "", Some(json!({"token": token, "handle": "first_admin", "email": "admin@example.org", "password": "admin-password-1"}))).await;
    run(
        k,
        &admin,
        "POST",
        "/api/session",
        "",
        Some(json!({"login": "first_admin", "password": "wrong-password-1"})),
    )
    .await; // 401
    run(
        k,
        &admin,
        "POST",
        "/api/session",
        "",
        Some(json!({"login": "first_admin", "password": "admin-password-1"})),
    )
    .await;
    run(k, &admin, "GET", "/api/session", "", None).await;
    run(k, &admin, "GET", "/api/me", "", None).await;

    // An application, approved.
    let jo = app.client();
    run(
        k,
        &jo,
        "POST",
        "/api/applications",
        "",
        Some(application("jo_member", "1990-05-17")),
    )
    .await;
    run(
        k,
        &jo,
        "POST",
        "/api/applications",
        "",
        Some(application("jo_member", "1990-05-17")),
    )
    .await; // 409
    let mut young = application("too_young", "2015-01-01");
    young["handle"] = json!("too_young");
    run(
        k,
        &app.client(),
        "POST",
        "/api/applications",
        "",
        Some(young),
    )
    .await;
    run(k, &admin, "GET", "/api/admin/applications", "", None).await;
    let jo_app = admin.pending_application_id("jo_member").await;
    run(
        k,
        &admin,
        "POST",
        "/api/admin/applications/{id}/approve",
        &jo_app,
        Some(json!({})),
    )
    .await; // 400 confirm_adult
    run(
        k,
        &admin,
        "POST",
        "/api/admin/applications/{id}/approve",
        &jo_app,
        Some(json!({"confirm_adult": true})),
    )
    .await;
    run(
        k,
        &jo,
        "POST",
        "/api/session",
        "",
        Some(json!({"login": "jo_member", "password": password_of("jo_member")})),
    )
    .await;
    let jo_id = call(&jo, "GET", "/api/me", None).await.1["member"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let sam = app.client();
    call(
        &sam,
        "POST",
        "/api/applications",
        Some(application("sam_member", "1988-01-02")),
    )
    .await;
    let sam_app = admin.pending_application_id("sam_member").await;
    run(
        k,
        &admin,
        "POST",
        "/api/admin/applications/{id}/reject",
        &sam_app,
        Some(json!({"reason": "Not this time."})),
    )
    .await;
    run(
        k,
        &admin,
        "POST",
        "/api/admin/applications/{id}/reject",
        &uuid::Uuid::new_v4().to_string(),
        Some(json!({"reason": "x"})),
    )
    .await; // 404

    // Admin: boards, invites, members, rules.
    let board = run(
        k,
        &admin,
        "POST",
        "/api/admin/boards",
        "",
        Some(json!({"name": "Coping", "description": "Day to day."})),
    )
    .await;
    let board_id = board["board"]["id"].as_str().unwrap().to_owned();
    let other = run(
        k,
        &admin,
        "POST",
        "/api/admin/boards",
        "",
        Some(json!({"name": "Staff room", "visibility": "moderators", "position": 2})),
    )
    .await;
    let other_id = other["board"]["id"].as_str().unwrap().to_owned();
    run(
        k,
        &admin,
        "POST",
        "/api/admin/boards",
        "",
        Some(json!({"name": "x", "visibility": "everyone"})),
    )
    .await; // 400
    run(
        k,
        &jo,
        "POST",
        "/api/admin/boards",
        "",
        Some(json!({"name": "Mine"})),
    )
    .await; // 403
    run(
        k,
        &admin,
        "POST",
        "/api/admin/invites",
        "",
        Some(json!({"confirm_adult": true})),
    )
    .await;
    run(k, &admin, "GET", "/api/admin/members", "", None).await;
    run(k, &admin, "GET", "/api/admin/rules", "", None).await;
    run(k, &admin, "POST", "/api/admin/rules/reload", "", None).await;
    run(
        k,
        &admin,
        "PATCH",
        "/api/admin/members/{id}",
        &jo_id,
        Some(json!({"role": "ruler"})),
    )
    .await; // 400

    // Chat rooms.
    let room = run(
        k,
        &admin,
        "POST",
        "/api/admin/rooms",
        "",
        Some(json!({"name": "Evening chat", "slow_mode_seconds": 5})),
    )
    .await;
    let room_id = room["room"]["id"].as_str().unwrap().to_owned();
    run(k, &jo, "GET", "/api/rooms", "", None).await;
    run(k, &jo, "GET", "/api/rooms/{id}/messages", &room_id, None).await;
    let bad_before = call(
        &jo,
        "GET",
        &format!("/api/rooms/{room_id}/messages?before=x"),
        None,
    )
    .await;
    k.check("GET", "/api/rooms/{id}/messages", &bad_before); // 400
    // A new member's chat message is held: the staff's history says why, and the queue (below)
    // lists it in `held_messages`.
    let mut jo_socket = jo.socket().await;
    jo_socket
        .send(json!({"type": "say", "room": room_id, "body": "Hello from Jo, new here", "client_id": uuid::Uuid::new_v4()}))
        .await;
    let ack = jo_socket.expect("the ack", |v| v["type"] == "ack").await;
    assert_eq!(ack["status"], "held", "{ack}");
    run(k, &admin, "GET", "/api/rooms/{id}/messages", &room_id, None).await;

    // Member content: a new member's first post is held.
    run(k, &jo, "GET", "/api/boards", "", None).await;
    let started = run(
        k,
        &jo,
        "POST",
        "/api/boards/{id}/threads",
        &board_id,
        Some(json!({"title": "Hello", "body": "My first post here.", "content_warning": "arrest"})),
    )
    .await;
    let held_thread = started["thread"]["id"].as_str().unwrap().to_owned();
    let mine = run(
        k,
        &admin,
        "POST",
        "/api/boards/{id}/threads",
        &board_id,
        Some(json!({"title": "Welcome", "body": "Say hello."})),
    )
    .await;
    let thread_id = mine["thread"]["id"].as_str().unwrap().to_owned();
    let first_post = mine["post"]["id"].as_str().unwrap().to_owned();
    run(k, &jo, "GET", "/api/boards/{id}/threads", &board_id, None).await;
    let paged = call(
        &jo,
        "GET",
        &format!("/api/boards/{board_id}/threads?limit=1"),
        None,
    )
    .await;
    k.check("GET", "/api/boards/{id}/threads", &paged);
    let cursor = paged.1["next"].as_str().unwrap().to_owned();
    let next_page = call(
        &jo,
        "GET",
        &format!("/api/boards/{board_id}/threads?cursor={cursor}"),
        None,
    )
    .await;
    k.check("GET", "/api/boards/{id}/threads", &next_page);
    let bad_cursor = call(
        &jo,
        "GET",
        &format!("/api/boards/{board_id}/threads?cursor=x"),
        None,
    )
    .await;
    k.check("GET", "/api/boards/{id}/threads", &bad_cursor); // 400
    run(k, &jo, "GET", "/api/threads/{id}", &thread_id, None).await;
    run(
        k,
        &jo,
        "GET",
        "/api/threads/{id}",
        &uuid::Uuid::new_v4().to_string(),
        None,
    )
    .await; // 404
    run(k, &jo, "GET", "/api/threads/{id}/posts", &thread_id, None).await;
    let reply = run(
        k,
        &admin,
        "POST",
        "/api/threads/{id}/posts",
        &thread_id,
        Some(json!({"body": "A reply."})),
    )
    .await;
    let reply_id = reply["post"]["id"].as_str().unwrap().to_owned();
    run(
        k,
        &admin,
        "PATCH",
        "/api/posts/{id}",
        &reply_id,
        Some(json!({"body": "A reply, edited."})),
    )
    .await;
    run(
        k,
        &jo,
        "POST",
        "/api/threads/{id}/posts",
        &thread_id,
        Some(json!({"body": "You're a disgusting enabler and you know it."})),
    )
    .await; // 422
    run(
        k,
        &jo,
        "POST",
        "/api/threads/{id}/posts",
        &thread_id,
        Some(json!({"body": "Thank you", "extra": 1})),
    )
    .await; // 400
    run(
        k,
        &jo,
        "POST",
        "/api/posts/{id}/reports",
        &first_post,
        Some(json!({"reason": "unkind", "note": "This felt aimed at me."})),
    )
    .await;
    run(k, &jo, "GET", "/api/notifications", "", None).await;
    run(k, &jo, "POST", "/api/notifications/read", "", None).await;

    // Moderation: the queue has a held post and a report.
    let queue = run(k, &admin, "GET", "/api/mod/queue", "", None).await;
    let items = queue["items"].as_array().unwrap().clone();
    assert!(items.len() >= 2, "{queue}");
    let by_kind = |kind: &str| {
        items
            .iter()
            .find(|i| i["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind} item: {queue}"))["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let held_item = by_kind("held");
    let report_item = by_kind("report");
    // The held chat message: rejected with a reason, which its author's history carries.
    let held_chat = queue["held_messages"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("a held chat message: {queue}"))
        .to_owned();
    run(
        k,
        &admin,
        "POST",
        "/api/mod/messages/{id}/reject",
        &held_chat,
        Some(json!({"reason": ""})),
    )
    .await; // 400
    run(
        k,
        &admin,
        "POST",
        "/api/mod/messages/{id}/reject",
        &held_chat,
        Some(json!({"reason": "Please say it without the name."})),
    )
    .await;
    run(
        k,
        &admin,
        "POST",
        "/api/mod/messages/{id}/approve",
        &held_chat,
        None,
    )
    .await; // 409
    let rooms_history = call(&jo, "GET", &format!("/api/rooms/{room_id}/messages"), None).await;
    assert!(
        rooms_history
            .1
            .to_string()
            .contains("Please say it without the name."),
        "{:?}",
        rooms_history.1
    );
    k.check("GET", "/api/rooms/{id}/messages", &rooms_history);
    run(
        k,
        &admin,
        "POST",
        "/api/mod/queue/{id}/reject",
        &held_item,
        Some(json!({"reason": "Please leave out names."})),
    )
    .await;
    run(
        k,
        &admin,
        "POST",
        "/api/mod/queue/{id}/reject",
        &held_item,
        Some(json!({"reason": "Again."})),
    )
    .await; // 409?
    run(
        k,
        &admin,
        "POST",
        "/api/mod/queue/{id}/undo",
        &held_item,
        None,
    )
    .await;
    let approve = admin
        .request(Method::POST, &format!("/api/mod/queue/{held_item}/approve"))
        .header("content-type", "application/json")
        .body(r#"{"body": "My first post here (edited)."}"#);
    k.check(
        "POST",
        "/api/mod/queue/{id}/approve",
        &Client::send(approve).await,
    );
    run(
        k,
        &admin,
        "POST",
        "/api/mod/queue/{id}/approve",
        &report_item,
        None,
    )
    .await;
    run(
        k,
        &admin,
        "POST",
        "/api/mod/queue/bulk",
        "",
        Some(json!({"ids": [held_item, report_item], "action": "reject", "reason": "Tidying."})),
    )
    .await;
    run(
        k,
        &admin,
        "POST",
        "/api/mod/queue/bulk",
        "",
        Some(json!({"ids": [], "action": "approve"})),
    )
    .await; // 400
    run(k, &jo, "GET", "/api/mod/queue", "", None).await; // 403
    for action in ["lock", "unlock", "pin", "unpin"] {
        run(
            k,
            &admin,
            "POST",
            &format!("/api/mod/threads/{{id}}/{action}"),
            &held_thread,
            None,
        )
        .await;
    }
    run(
        k,
        &admin,
        "POST",
        "/api/mod/threads/{id}/move",
        &thread_id,
        Some(json!({"board_id": other_id})),
    )
    .await;
    run(
        k,
        &admin,
        "POST",
        "/api/mod/threads/{id}/move",
        &thread_id,
        Some(json!({"board_id": board_id})),
    )
    .await;
    run(
        k,
        &admin,
        "POST",
        "/api/mod/posts/{id}/remove",
        &reply_id,
        Some(json!({"reason": "Off topic."})),
    )
    .await;
    run(k, &jo, "GET", "/api/threads/{id}/posts", &thread_id, None).await;
    run(k, &admin, "GET", "/api/mod/audit", "", None).await;
    let audit = call(&admin, "GET", "/api/mod/audit?limit=2", None).await;
    k.check("GET", "/api/mod/audit", &audit);

    // Members: role, suspension, ban, reinstatement.
    run(
        k,
        &admin,
        "PATCH",
        "/api/admin/members/{id}",
        &jo_id,
        Some(json!({"role": "moderator"})),
    )
    .await;
    run(
        k,
        &admin,
        "PATCH",
        "/api/admin/members/{id}",
        &jo_id,
        Some(json!({"role": "member"})),
    )
    .await;
    run(
        k,
        &admin,
        "POST",
        "/api/mod/members/{id}/suspend",
        &jo_id,
        Some(json!({"hours": 0, "reason": "x"})),
    )
    .await; // 400
    run(
        k,
        &admin,
        "POST",
        "/api/mod/members/{id}/suspend",
        &jo_id,
        Some(json!({"hours": 24, "reason": "Cooling off."})),
    )
    .await;
    run(
        k,
        &admin,
        "POST",
        "/api/admin/members/{id}/reinstate",
        &jo_id,
        None,
    )
    .await;
    run(
        k,
        &admin,
        "POST",
        "/api/admin/members/{id}/ban",
        &jo_id,
        Some(json!({"reason": "Threats."})),
    )
    .await;
    run(
        k,
        &admin,
        "POST",
        "/api/admin/members/{id}/reinstate",
        &jo_id,
        None,
    )
    .await;

    // Own account.
    run(k, &jo, "GET", "/api/me", "", None).await; // 401: the ban ended the session
    run(
        k,
        &jo,
        "POST",
        "/api/session",
        "",
        Some(json!({"login": "jo_member", "password": password_of("jo_member")})),
    )
    .await;
    let jo_post = run(
        k,
        &jo,
        "POST",
        "/api/threads/{id}/posts",
        &thread_id,
        Some(json!({"body": "Glad to be here."})),
    )
    .await;
    let jo_post = jo_post["post"]["id"].as_str().unwrap().to_owned();
    run(k, &jo, "DELETE", "/api/posts/{id}", &jo_post, None).await;
    run(
        k,
        &jo,
        "POST",
        "/api/me/password",
        "",
        Some(
            json!({"current_password": "wrong-one-here", "new_password": "another-long-password"}),
        ),
    )
    .await; // 400
    run(k, &jo, "POST", "/api/me/password", "", Some(json!({"current_password": password_of("jo_member"), "new_password": "another-long-password"}))).await;
    run(k, &jo, "DELETE", "/api/session", "", None).await;
    run(k, &anon, "DELETE", "/api/session", "", None).await;
    let cross = anon
        .http
        .post(format!("{}/api/applications", app.base))
        .header("Origin", "https://elsewhere.example")
        .json(&application("x_member", "1990-01-01"));
    k.check("POST", "/api/applications", &Client::send(cross).await); // 403 cross_origin

    assert!(
        k.errors.is_empty(),
        "answers that do not fit the document:\n{}",
        k.errors.join("\n")
    );

    // Most documented operations were exercised (the rest are listed, to be added here).
    let exercised: BTreeSet<Route> = k
        .checked
        .iter()
        .map(|(m, p, _)| (m.clone(), p.clone()))
        .collect();
    let not_exercised: BTreeSet<Route> = documented_routes(&k.doc)
        .difference(&exercised)
        .cloned()
        .collect();
    eprintln!(
        "operations not exercised by this test:\n{}",
        show(&not_exercised)
    );
}
