#!/usr/bin/env bash
# Runs every Glassbox test: unit and API tests (SQLite always; PostgreSQL when one answers),
# then the browser tests against a freshly seeded demo. Installs what is missing first.
#   TEST_POSTGRES_URL=postgres://…   the PostgreSQL server for the PostgreSQL tests
#                                    (default: postgres://postgres@127.0.0.1:5432/postgres if it answers)
#   GLASSBOX_REQUIRE_POSTGRES=1      fail instead of skipping when PostgreSQL is not there (CI sets it)
#   GLASSBOX_REQUIRE_DOVECOT=1       fail instead of skipping the IMAP tests without Dovecot (CI sets it)
#   GLASSBOX_REQUIRE_FAKETIME=1      fail instead of skipping the clock-jump test without libfaketime (CI sets it)
#   GLASSBOX_REQUIRE_PG_CTL=1        fail instead of skipping the PostgreSQL-stop test (F4) without Debian's
#                                    initdb/pg_ctl under /usr/lib/postgresql (CI sets it)
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
ensure_build_tools
ensure_test_tools
# The browser bundle builds in the background (its own build directory) while the Rust tests
# compile; finish_site, before the browser tests, waits for it.
start_site

say "Starting the test services (OpenID Connect provider, SMTP server)"
testinfra/services.sh start
# The IMAP tests each run their own private Dovecot (testinfra/dovecot.sh, wired to that
# test's Glassbox); this start/stop proves one starts here before the suite relies on it.
say "Checking that a private Dovecot starts (IMAP tests)"
dovecot_check=$(mktemp -d); chmod 755 "$dovecot_check"
if DOVECOT_DIR="$dovecot_check" DOVECOT_IMAP_PORT=$(free_port) DOVECOT_DOVEADM_PORT=$(free_port) testinfra/dovecot.sh start >/dev/null; then
  DOVECOT_DIR="$dovecot_check" testinfra/dovecot.sh stop; dovecot_note="Dovecot IMAP tests: RAN against private Dovecot instances"
elif [ "${GLASSBOX_REQUIRE_DOVECOT:-}" = 1 ]; then
  echo "GLASSBOX_REQUIRE_DOVECOT=1 but a private Dovecot does not start; see $dovecot_check/dovecot.log" >&2; exit 1
else
  dovecot_note="Dovecot IMAP tests: SKIPPED (Dovecot does not start here)"
fi
rm -rf "$dovecot_check"
server_pid=""; data_dir=""
# On every exit, also a failed one: no step here may fail under `set -e`, or the trap would
# end before stopping the test services (the next run would find their ports taken).
cleanup() {
  stop_background_builds || true
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  if [ -n "$data_dir" ]; then rm -rf "$data_dir"; fi
  testinfra/services.sh stop || true
}
trap cleanup EXIT

if [ -z "${TEST_POSTGRES_URL:-}" ] && (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
  export TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:5432/postgres"
fi
if [ -n "${TEST_POSTGRES_URL:-}" ]; then
  say "PostgreSQL tests will run against ${TEST_POSTGRES_URL%%\?*}"
  postgres_note="PostgreSQL integration tests: RAN"
elif [ "${GLASSBOX_REQUIRE_POSTGRES:-}" = 1 ]; then
  echo "GLASSBOX_REQUIRE_POSTGRES=1 but no PostgreSQL answers on 127.0.0.1:5432 and TEST_POSTGRES_URL is unset" >&2
  exit 1
else
  say "No PostgreSQL found: PostgreSQL tests will be SKIPPED (set TEST_POSTGRES_URL to run them)"
  postgres_note="PostgreSQL integration tests: SKIPPED (no PostgreSQL server; set TEST_POSTGRES_URL)"
fi

say "Unit and API tests (cargo test --workspace)"
rust_log=$(mktemp)
set +e
cargo test --workspace 2>&1 | tee "$rust_log"
rust_status=${PIPESTATUS[0]}
set -e
rust_passed=$( (grep -Eo 'test result: [a-zA-Z]+\. [0-9]+ passed' "$rust_log" || true) | awk '{s+=$4} END {print s+0}')
rust_failed=$( (grep -Eo '[0-9]+ failed;' "$rust_log" || true) | awk '{s+=$1} END {print s+0}')
rm -f "$rust_log"
[ "$rust_status" = 0 ] || { echo "Rust tests failed" >&2; exit "$rust_status"; }

finish_site
# The API tests already built the server binary (they run it as a command), with the same
# features as the tests; a separate `cargo build -p server` would compile many crates again
# with other features (minutes from cold). Build only if that binary is missing.
bin="$(target_dir)/debug/glassbox"
if [ ! -x "$bin" ] || [ -n "$(find server/src app/src log/src -newer "$bin" -name '*.rs' -print -quit)" ]; then
  say "Building the server for the browser tests"
  cargo test -p server --no-run >/dev/null
fi
port=$(free_port); data_dir=$(mktemp -d)
export GLASSBOX__HTTP__BIND="127.0.0.1:$port" GLASSBOX__PUBLIC_URL="http://127.0.0.1:$port" GLASSBOX__DATA_DIR="$data_dir"
# Owners and staff can also sign in through the real test provider (testinfra/).
export GLASSBOX__AUTH__OIDC__ISSUER="http://127.0.0.1:9400" GLASSBOX__AUTH__OIDC__CLIENT_ID="glassbox-test" \
  GLASSBOX__AUTH__OIDC__CLIENT_SECRET="glassbox-test-secret" GLASSBOX__AUTH__SIGN_IN_PER_MINUTE=600
# Email goes to the real SMTP server (MailDev); the browser tests read it back through its API.
export GLASSBOX__EMAIL__BACKEND=smtp GLASSBOX__EMAIL__SMTP__HOST=127.0.0.1 GLASSBOX__EMAIL__SMTP__PORT=1025 \
  GLASSBOX__EMAIL__SMTP__TLS=none GLASSBOX__EMAIL__POLL_INTERVAL_MS=200
say "Creating a service token for the browser tests' API calls"
token=$("$bin" service-token create e2e-browser 2>/dev/null)
say "Starting a fresh demo on http://127.0.0.1:$port for the browser tests"
"$bin" demo >"$data_dir/server.log" 2>&1 & server_pid=$!
wait_http "http://127.0.0.1:$port/readyz" 60 || { cat "$data_dir/server.log" >&2; exit 1; }

say "Browser tests (Playwright + Debian Chromium)"
e2e_log=$(mktemp)
set +e
(cd end2end && GLASSBOX_URL="http://127.0.0.1:$port" GLASSBOX_TOKEN="$token" GLASSBOX_BIN="$bin" npx playwright test) 2>&1 | tee "$e2e_log"
e2e_status=${PIPESTATUS[0]}
set -e
e2e_passed=$( (grep -Eo '^ *[0-9]+ passed' "$e2e_log" || true) | awk '{s+=$1} END {print s+0}')
e2e_failed=$( (grep -Eo '^ *[0-9]+ failed' "$e2e_log" || true) | awk '{s+=$1} END {print s+0}')
rm -f "$e2e_log"
if [ "$e2e_status" != 0 ]; then
  echo "Browser tests failed; server log:" >&2; tail -50 "$data_dir/server.log" >&2; exit "$e2e_status"
fi

# The API contract from the outside: Schemathesis generates requests from the served
# OpenAPI document (valid ones must be accepted, invalid ones refused, every answer as
# documented) against the same real server. A fixed seed keeps CI repeatable; run it with
# another seed or more examples to search further (README, "Service API").
schemathesis=$(ensure_schemathesis)
say "API contract (Schemathesis against /api/v1/openapi.json)"
st_log=$(mktemp)
set +e
(cd "$data_dir" && "$schemathesis" run "http://127.0.0.1:$port/api/v1/openapi.json" \
  -H "Authorization: Bearer $token" --max-examples "${SCHEMATHESIS_EXAMPLES:-100}" --seed "${SCHEMATHESIS_SEED:-20261201}" \
  --workers 2 --no-color) 2>&1 | tee "$st_log"
st_status=${PIPESTATUS[0]}
set -e
st_cases=$( (grep -Eo '[0-9]+ generated' "$st_log" || true) | awk '{print $1}' | tail -1)
rm -f "$st_log"
if [ "$st_status" != 0 ]; then
  echo "Schemathesis found requests the server and its OpenAPI document disagree on (above)" >&2; exit "$st_status"
fi

echo
echo "Rust unit and API tests: $rust_passed passed"
echo "Browser tests: $e2e_passed passed"
echo "API contract (Schemathesis): ${st_cases:-0} generated requests, 0 failures"
echo "$postgres_note"
echo "$dovecot_note"
echo "OpenID Connect tests: RAN against the test provider at http://127.0.0.1:9400"
echo "tests: $((rust_passed + e2e_passed)) passed, $((rust_failed + e2e_failed)) failed"
