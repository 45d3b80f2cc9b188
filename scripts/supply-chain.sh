#!/usr/bin/env bash
# Supply-chain checks, run by .ci/run and by hand:
#   - cargo-deny (deny.toml): licences, banned and duplicate crates, sources (crates.io only),
#     and RustSec advisories when the advisory database can be fetched (see deny.toml);
#   - npm audit for the web client, failing at high severity.
# Installs cargo-deny with `cargo install --locked` only if it is missing, so a machine or CI
# cache that has it pays nothing.
#
# Environment:
#   HEARTH_REQUIRE_ADVISORIES=1  fail if the RustSec advisory database or the npm audit
#                                endpoint cannot be reached
#                                (default: say so loudly and check the rest)
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n--> %s\n' "$*"; }

not_checked() {
  if [ "${HEARTH_REQUIRE_ADVISORIES:-0}" = 1 ]; then
    echo "$1, and HEARTH_REQUIRE_ADVISORIES=1" >&2
    exit 1
  fi
  echo "************************************************************************************"
  echo "* NOT CHECKED: $1"
  echo "* Run this script where it is reachable before a release"
  echo "* (HEARTH_REQUIRE_ADVISORIES=1 makes that strict)."
  echo "************************************************************************************"
}

CARGO_DENY_VERSION=0.20.2

if ! command -v cargo-deny >/dev/null 2>&1; then
  # Unoptimised and without LTO: it builds in under a minute on 2 cores instead of about 3, and
  # still checks this workspace in seconds. CI runs on a fresh machine, so it pays this each time.
  say "installing cargo-deny $CARGO_DENY_VERSION (once; about a minute on 2 cores)"
  CARGO_PROFILE_RELEASE_OPT_LEVEL=0 CARGO_PROFILE_RELEASE_LTO=false \
    CARGO_PROFILE_RELEASE_CODEGEN_UNITS=256 CARGO_PROFILE_RELEASE_DEBUG=0 \
    cargo install --locked --version "$CARGO_DENY_VERSION" cargo-deny
fi
cargo deny --version

# The RustSec advisory database lives on GitHub. Probe it with a short timeout rather than let
# cargo-deny fail on it, so that a machine that reaches only package registries still checks
# everything else, and says exactly what it could not check.
advisories=yes
if ! timeout 20 git ls-remote --exit-code https://github.com/rustsec/advisory-db HEAD \
    >/dev/null 2>&1; then
  advisories=no
fi

if [ "$advisories" = yes ]; then
  say "cargo deny: advisories, bans, licences, sources"
  cargo deny --locked check advisories bans licenses sources
else
  not_checked "cargo deny advisories: the RustSec advisory database (github.com/rustsec/advisory-db) cannot be reached from here"
  say "cargo deny: bans, licences, sources"
  cargo deny --locked check bans licenses sources
fi

if [ -f web-client/package-lock.json ]; then
  say "npm audit (web client, high severity and above)"
  # A registry mirror may serve packages but not the audit endpoint. Only a real audit report
  # (it has "auditReportVersion") counts; anything else means the audit could not be done.
  report=$(cd web-client && npm audit --json 2>/dev/null || true)
  if grep -q '"auditReportVersion"' <<<"$report"; then
    (cd web-client && npm audit --audit-level=high)
  else
    not_checked "npm audit: the npm registry's audit endpoint is not available from here"
  fi
else
  say "no web-client/package-lock.json: npm audit not needed"
fi

say "supply-chain checks passed"
