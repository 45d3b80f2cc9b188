#!/usr/bin/env bash
# API schema fuzzing: runs schemathesis (PyPI) against a real server's /api/openapi.json with a
# signed-in admin session, and fails on any 5xx or any answer that does not fit the document.
#
#   scripts/schemathesis.sh            a longer run by hand (all phases, more examples)
#   SHORT=1 scripts/schemathesis.sh    the short run CI does (few examples, a time limit)
#
# It builds the server (or uses HEARTH_BIN), starts it on a fresh SQLite database in a temporary
# directory on a free port (read from its "listening" log line), creates the first admin through
# the one-time setup link in the log, signs in, and passes the session cookie and the site's
# Origin (state changes need it) to every request. Sign-out is excluded: it would end the session
# the run depends on. Reports (JUnit, NDJSON) go to $REPORT_DIR (default: a temporary directory).
#
# Environment: SHORT=1, MAX_EXAMPLES, MAX_TIME (seconds), CHECKS (default
# not_a_server_error,response_schema_conformance), PHASES, WORKERS, SEED, HEARTH_BIN, REPORT_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."

# The short run uses one worker so that it is repeatable; the long one runs several at once,
# which also shakes out concurrency problems (SQLite write contention, for one).
if [ "${SHORT:-0}" = "1" ]; then
  : "${MAX_EXAMPLES:=8}" "${MAX_TIME:=60}" "${PHASES:=examples,coverage,fuzzing}" "${WORKERS:=1}"
else
  : "${MAX_EXAMPLES:=100}" "${MAX_TIME:=900}" "${PHASES:=examples,coverage,fuzzing,stateful}" "${WORKERS:=4}"
fi
: "${CHECKS:=not_a_server_error,response_schema_conformance}" "${SEED:=20261125}"

python3 -m schemathesis.cli --version >/dev/null 2>&1 \
  || python3 -m pip install --quiet --disable-pip-version-check schemathesis
python3 -m schemathesis.cli --version

if [ -z "${HEARTH_BIN:-}" ]; then
  cargo build --quiet --locked --bin hearth
  HEARTH_BIN="${CARGO_TARGET_DIR:-target}/debug/hearth"
fi

work=$(mktemp -d)
REPORT_DIR=${REPORT_DIR:-$work/report}
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ "${KEEP:-0}" != "1" ]; then rm -rf "$work"; fi
}
trap cleanup EXIT

DATABASE_URL="sqlite://$work/hearth.db?mode=rwc" \
HEARTH_LISTEN=127.0.0.1:0 \
HEARTH_RULES="$PWD/moderation-rules.toml" \
HEARTH_LOG_FORMAT=json \
REDIS_URL= \
HEARTH_STAFF_SECOND_FACTOR=optional \
  "$HEARTH_BIN" serve >"$work/server.log" 2>&1 &
server_pid=$!

# Second factors are optional here: this run checks the answers against the document, acting
# as an admin signed in with curl (tests/it covers second factors and step-up; a sensitive
# operation answers its documented 403 reauth_required to the fuzzer, which is conformant).

# The address and the setup token, from the JSON log lines.
read_log() {
  python3 - "$work/server.log" <<'EOF'
import json, re, sys
addr = token = ""
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    try:
        entry = json.loads(line)
    except ValueError:
        continue
    fields = entry.get("fields", {})
    message = fields.get("message", "")
    if message == "listening":
        addr = fields.get("addr", "")
    m = re.search(r"token=([A-Za-z0-9_-]+)", message)
    if m and not token:
        token = m.group(1)
print(addr, token)
EOF
}
addr="" token=""
for _ in $(seq 1 300); do
  read -r addr token < <(read_log) || true
  [ -n "$addr" ] && [ -n "$token" ] && break
  kill -0 "$server_pid" 2>/dev/null || { echo "the server exited:" >&2; cat "$work/server.log" >&2; exit 1; }
  sleep 0.1
done
[ -n "$addr" ] && [ -n "$token" ] || { echo "no 'listening' line or setup link in the log" >&2; cat "$work/server.log" >&2; exit 1; }
base="http://$addr"
echo "server at $base (log: $work/server.log)"

# The first admin, then a session.
curl -fsS -o /dev/null -X POST "$base/api/setup" -H 'Content-Type: application/json' -H "Origin: $base" \
  -d "{\"token\":\"$token\",\"handle\":\"schema_admin\",\"email\":\"schema.admin@example.org\",\"password\":\"schema-admin-password\"}"
cookie=$(curl -fsS -D - -o /dev/null -X POST "$base/api/session" -H 'Content-Type: application/json' -H "Origin: $base" \
  -d '{"login":"schema_admin","password":"schema-admin-password"}' \
  | tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p' | head -n1)
[ -n "$cookie" ] || { echo "sign-in set no cookie" >&2; exit 1; }
# Something to act on: a board with a thread, a chat room.
curl -fsS -o /dev/null -X POST "$base/api/admin/boards" -H 'Content-Type: application/json' -H "Origin: $base" -H "Cookie: $cookie" -d '{"name":"Schema board"}'
curl -fsS -o /dev/null -X POST "$base/api/admin/rooms" -H 'Content-Type: application/json' -H "Origin: $base" -H "Cookie: $cookie" -d '{"name":"Schema room"}'

mkdir -p "$REPORT_DIR"
set +e
python3 -m schemathesis.cli run "$base/api/openapi.json" \
  --header "Cookie: $cookie" \
  --header "Origin: $base" \
  --checks "$CHECKS" \
  --phases "$PHASES" \
  --max-examples "$MAX_EXAMPLES" \
  --max-time "$MAX_TIME" \
  --workers "$WORKERS" \
  --seed "$SEED" \
  --request-timeout 20 \
  --exclude-operation-id delete_session \
  --suppress-health-check all \
  --continue-on-failure \
  --report junit,ndjson --report-dir "$REPORT_DIR"
status=$?
set -e
echo "reports in $REPORT_DIR"

# The session must have lasted the whole run, or later answers were only 401s.
still=$(curl -s -o /dev/null -w '%{http_code}' "$base/api/session" -H "Cookie: $cookie")
if [ "$still" != "200" ]; then
  echo "the session ended during the run (GET /api/session answered $still): results are incomplete" >&2
  exit 1
fi
if grep -q '"level":"ERROR"' "$work/server.log"; then
  echo "the server logged errors during the run:" >&2
  grep '"level":"ERROR"' "$work/server.log" | head -n 20 >&2
fi
exit "$status"
