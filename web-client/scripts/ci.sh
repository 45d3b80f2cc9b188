#!/usr/bin/env bash
# The web client's part of CI: make sure Debian's Chromium is there, install the client's
# packages exactly as locked, build the server (which builds and embeds the client; with
# HEARTH_REQUIRE_WEB=1 a client that does not build fails here instead of being replaced by
# the placeholder page), then run the browser tests against it.
# Called from .ci/run; runnable by hand from anywhere.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
repo="$(cd "$here/.." && pwd)"
cd "$here"

export CHROMIUM_BIN="${CHROMIUM_BIN:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM_BIN" ]; then
  echo "web-client: $CHROMIUM_BIN is missing; installing Debian's chromium"
  if command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || true
    apt-get install -y -qq chromium >/dev/null || true
  fi
fi
if [ ! -x "$CHROMIUM_BIN" ]; then
  echo "web-client: FAILED: no Chromium at $CHROMIUM_BIN and it could not be installed" >&2
  echo "web-client: install it (apt-get install chromium) or set CHROMIUM_BIN; the browser tests cannot be skipped" >&2
  exit 1
fi
"$CHROMIUM_BIN" --version 2>/dev/null | grep -i chrom || {
  echo "web-client: FAILED: $CHROMIUM_BIN does not run" >&2
  exit 1
}

command -v npm >/dev/null 2>&1 || { echo "web-client: FAILED: npm is not installed" >&2; exit 1; }
npm ci --no-audit --no-fund
# A high or critical advisory fails CI. If the registry's audit service cannot be reached (some
# mirrors do not offer it), say so loudly and go on: that is not a finding.
audit_json="$(npm audit --json --audit-level=high 2>/dev/null || true)"
AUDIT_JSON="$audit_json" node -e '
  let report;
  try { report = JSON.parse(process.env.AUDIT_JSON || ""); } catch { report = null; }
  const v = report && report.metadata && report.metadata.vulnerabilities;
  if (!v) {
    console.error("web-client: WARNING: npm audit could not reach the audit service; not audited");
    process.exit(0);
  }
  const bad = (v.high || 0) + (v.critical || 0);
  console.log(`web-client: npm audit: ${bad} high or critical (${JSON.stringify(v)})`);
  process.exit(bad > 0 ? 1 : 0);
'

target="${CARGO_TARGET_DIR:-$repo/target}"
(cd "$repo" && HEARTH_REQUIRE_WEB=1 cargo build -p hearth --locked)
export HEARTH_BIN="${HEARTH_BIN:-$target/debug/hearth}"

# Two test files at a time (each has its own server and database): about 180 s instead of about
# 300 on 2 cores. (Once, in CI, a suspended tab missed its notice at two at a time: that was a
# race in the client, a 401 ending the session before the socket's close said why, fixed and
# tested in notices.test.mjs; it was not the load.)
start=$(date +%s)
npm run test:browser
echo "web-client: browser tests took $(( $(date +%s) - start )) s; screenshots in $here/screenshots/"
