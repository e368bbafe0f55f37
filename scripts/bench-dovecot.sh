#!/usr/bin/env bash
# The Dovecot benchmark (BENCHMARKS.md, "Dovecot: logins with the consent call, receipts"):
# staff IMAP logins per second through a real Dovecot whose Lua passdb asks Glassbox, against
# the same Dovecot and script with the consent call stubbed (test copy only), and receipts
# ingested per second against checks per second, in one run. Starts its own Glassbox (fresh
# demo database in a temporary directory, API rate limits off) and two private Dovecots
# (testinfra/dovecot.sh); stops them at the end. Needs Dovecot with Lua (testinfra/dovecot.sh
# install) and Python 3.
#   GLASSBOX_BIN   the glassbox binary (default: target/release/glassbox, built if missing)
#   BENCH_PROCS (8), BENCH_SECONDS (10), BENCH_WARMUP (2), BENCH_ROUNDS (3)
source "$(dirname "$0")/lib.sh"
set -euo pipefail
cd "$ROOT"
bin=${GLASSBOX_BIN:-}
if [ -z "$bin" ]; then
  say "Building the server (release)"
  cargo build --release -p server --bin glassbox
  bin="$(target_dir)/release/glassbox"
fi
work=$(mktemp -d); chmod 755 "$work"
port=$(free_port); real_imap=$(free_port); real_doveadm=$(free_port); stub_imap=$(free_port); stub_doveadm=$(free_port)
export GLASSBOX__HTTP__BIND="127.0.0.1:$port" GLASSBOX__PUBLIC_URL="http://127.0.0.1:$port" GLASSBOX__DATA_DIR="$work/glassbox" \
  GLASSBOX__API__RATE_LIMIT_PER_SECOND=0 GLASSBOX__API__RECEIPTS_RATE_LIMIT_PER_SECOND=0 \
  GLASSBOX__AUTH__SIGN_IN_PER_MINUTE=0 GLASSBOX_LOG=warn RUST_LOG=warn
mkdir -p "$work/glassbox"
token=$("$bin" service-token create bench 2>/dev/null)
"$bin" demo >"$work/glassbox.log" 2>&1 & server=$!
private_dovecot() { DOVECOT_DIR="$work/$1" DOVECOT_IMAP_PORT="$2" DOVECOT_DOVEADM_PORT="$3" GLASSBOX_URL="http://127.0.0.1:$port" \
  GLASSBOX_TOKEN="$token" DOVECOT_STUB_CONSENT="$4" testinfra/dovecot.sh "$5"; }
cleanup() {
  private_dovecot real "$real_imap" "$real_doveadm" 0 stop >/dev/null 2>&1 || true
  private_dovecot stub "$stub_imap" "$stub_doveadm" 1 stop >/dev/null 2>&1 || true
  kill "$server" 2>/dev/null || true
}
trap cleanup EXIT
wait_http "http://127.0.0.1:$port/readyz" 60 || { cat "$work/glassbox.log" >&2; exit 1; }
mkdir -p "$work/real" "$work/stub"; chmod 755 "$work/real" "$work/stub"
private_dovecot real "$real_imap" "$real_doveadm" 0 start
private_dovecot stub "$stub_imap" "$stub_doveadm" 1 start
say "Measuring (logins with and without the consent call; receipts and checks)"
GLASSBOX_URL="http://127.0.0.1:$port" GLASSBOX_TOKEN="$token" REAL_IMAP_PORT="$real_imap" STUB_IMAP_PORT="$stub_imap" \
  python3 scripts/bench_dovecot.py
echo
echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), Dovecot $(/usr/sbin/dovecot --version 2>/dev/null | head -1 || true), glassbox $bin"
