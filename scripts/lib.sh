# Shared helpers for the project's scripts. Source it; do not run it.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WASM_BINDGEN_VERSION=0.2.130
say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Installs what building Glassbox needs and is missing: the WASM target, and wasm-bindgen-cli.
# wasm-bindgen is needed only at the end of the browser bundle's build, so a missing one is
# compiled in the background while the builds run (on two cores this overlaps its ~2.5
# minutes with the others' idle moments); finish_site waits for it.
WASM_BINDGEN_INSTALL_PID=""; WASM_BINDGEN_INSTALL_LOG=""
ensure_build_tools() {
  command -v cargo >/dev/null || { echo "Rust (cargo) is required: https://rustup.rs" >&2; exit 1; }
  if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    say "Adding the Rust WASM target (once)"
    rustup target add wasm32-unknown-unknown
  fi
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
    say "Installing wasm-bindgen-cli $WASM_BINDGEN_VERSION in the background (once, a few minutes)"
    WASM_BINDGEN_INSTALL_LOG=$(mktemp)
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" >"$WASM_BINDGEN_INSTALL_LOG" 2>&1 &
    WASM_BINDGEN_INSTALL_PID=$!
  fi
}

target_dir() {
  (cd "$ROOT" && cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
}

# Builds the browser bundle into target/site/pkg (glassbox.js + glassbox.wasm): start_site
# compiles the WASM in the background (its own build directory, so a server build can run
# beside it), finish_site waits for it and for wasm-bindgen, then binds and places the files.
SITE_BUILD_PID=""; SITE_BUILD_LOG=""
start_site() {
  say "Building the browser bundle (WASM) in the background"
  SITE_BUILD_LOG=$(mktemp)
  cargo build --manifest-path "$ROOT/Cargo.toml" -p app --lib --target wasm32-unknown-unknown --features hydrate \
    --profile wasm-release >"$SITE_BUILD_LOG" 2>&1 &
  SITE_BUILD_PID=$!
}
# Called from EXIT traps under `set -e`: a build that already finished makes `kill` fail,
# which must not end the trap before it stops the test services.
stop_background_builds() {
  local pid
  for pid in "$SITE_BUILD_PID" "$WASM_BINDGEN_INSTALL_PID"; do
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
  done
  return 0
}
finish_site() {
  if [ -n "$SITE_BUILD_PID" ]; then
    say "Waiting for the browser bundle's build"
    wait "$SITE_BUILD_PID" || { cat "$SITE_BUILD_LOG" >&2; echo "The browser bundle (WASM) did not build (above)" >&2; exit 1; }
    SITE_BUILD_PID=""; rm -f "$SITE_BUILD_LOG"
  fi
  if [ -n "$WASM_BINDGEN_INSTALL_PID" ]; then
    say "Waiting for the wasm-bindgen-cli install"
    wait "$WASM_BINDGEN_INSTALL_PID" || { cat "$WASM_BINDGEN_INSTALL_LOG" >&2; echo "wasm-bindgen-cli did not install (above)" >&2; exit 1; }
    WASM_BINDGEN_INSTALL_PID=""; rm -f "$WASM_BINDGEN_INSTALL_LOG"
  fi
  local dir
  dir=$(target_dir)
  mkdir -p "$dir/site/pkg"
  # Without the name and producers sections the module is half the size (3.2 MB, 0.62 MB as
  # brotli). binaryen's `wasm-opt -Oz` (npm's; Debian's breaks hydration) was measured too:
  # 2.7 MB, but 0.68 MB as brotli and slower to start, after a minute's work (BENCHMARKS.md).
  wasm-bindgen --target web --no-typescript --remove-name-section --remove-producers-section \
    --out-dir "$dir/site/pkg" --out-name glassbox "$dir/wasm32-unknown-unknown/wasm-release/app.wasm"
  # Leptos loads <output-name>.wasm (the name cargo-leptos gives it).
  mv -f "$dir/site/pkg/glassbox_bg.wasm" "$dir/site/pkg/glassbox.wasm"
  ensure_api_reference "$dir/site/pkg"
  if command -v node >/dev/null; then
    # Content-hashed names (kept a year by browsers) and brotli/gzip copies; hash.txt last.
    say "Naming and compressing the browser bundle"
    node "$ROOT/scripts/finish-site.mjs" "$dir/site"
  else
    # Without Node the bundle works as built, just larger, uncompressed and under plain names
    # (browsers revalidate them); an earlier build's hash file would name stale files.
    say "Node.js not found: the browser bundle is served as built (larger, not compressed)"
    rm -f "$dir/site/hash.txt"
  fi
  export GLASSBOX__HTTP__SITE_ROOT="$dir/site"
}
# The readable API page (/api/docs) draws the OpenAPI document with Redoc's standalone
# bundle, taken from the npm registry once (npm checks the package's integrity).
REDOC_VERSION=2.5.4
ensure_api_reference() {
  local out="$1/redoc.standalone.js" tmp
  [ -s "$out" ] && return 0
  say "Fetching Redoc $REDOC_VERSION for the API reference page (once)"
  tmp=$(mktemp -d)
  if (cd "$tmp" && npm pack --silent "redoc@$REDOC_VERSION" >/dev/null && tar xzf "redoc-$REDOC_VERSION.tgz" package/bundles/redoc.standalone.js); then
    mv "$tmp/package/bundles/redoc.standalone.js" "$out"
  else
    echo "Could not fetch Redoc; /api/docs will link to the raw document instead" >&2
  fi
  rm -rf "$tmp"
}

# Installs what the tests need and is missing: Node packages and Debian's Chromium.
ensure_test_tools() {
  command -v node >/dev/null || { echo "Node.js >= 20 is required for the test services and browser tests" >&2; exit 1; }
  if ! command -v chromium >/dev/null; then
    say "Installing Debian's Chromium for the browser tests (once)"
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium
    else sudo apt-get update -qq && sudo apt-get install -y -qq chromium; fi
  fi
  # libfaketime, for the clock-jump test (F10): the real server under a shifted wall clock.
  if ! dpkg -s libfaketime >/dev/null 2>&1; then
    say "Installing Debian's faketime for the clock-jump test (once)"
    if [ "$(id -u)" = 0 ]; then apt-get install -y -qq faketime || { apt-get update -qq && apt-get install -y -qq faketime; }
    else sudo apt-get install -y -qq faketime || { sudo apt-get update -qq && sudo apt-get install -y -qq faketime; }; fi
  fi
  # The private Dovecot of the IMAP tests (testinfra/dovecot.sh); it installs the packages
  # and keeps the system service stopped.
  "$ROOT/testinfra/dovecot.sh" install
  for dir in testinfra end2end; do
    if [ ! -d "$ROOT/$dir/node_modules" ] || [ "$ROOT/$dir/package-lock.json" -nt "$ROOT/$dir/node_modules/.package-lock.json" ]; then
      say "Installing Node packages in $dir/ (once)"
      (cd "$ROOT/$dir" && npm ci --no-audit --no-fund --loglevel=error)
    fi
  done
  if ! python3 -c 'import aiosmtpd' 2>/dev/null; then
    say "Installing aiosmtpd for the SMTP fault sink (once)"
    # Debian marks its Python as externally managed; the sink is a test tool, so install it
    # for this user when a plain install is refused.
    python3 -m pip install --quiet 'aiosmtpd==1.4.6' 2>/dev/null \
      || python3 -m pip install --quiet --user --break-system-packages 'aiosmtpd==1.4.6' || true
  fi
}

# Installs Schemathesis (the API contract fuzzer, from PyPI) once, in its own virtualenv
# under the user's cache, and prints the path of its command.
SCHEMATHESIS_VERSION=4.32.5
ensure_schemathesis() {
  local venv="${XDG_CACHE_HOME:-$HOME/.cache}/glassbox/schemathesis-$SCHEMATHESIS_VERSION"
  if [ ! -x "$venv/bin/schemathesis" ]; then
    say "Installing Schemathesis $SCHEMATHESIS_VERSION for the API contract test (once, about a minute)"
    python3 -m venv "$venv" >&2 && "$venv/bin/pip" install --quiet "schemathesis==$SCHEMATHESIS_VERSION" >&2
  fi
  echo "$venv/bin/schemathesis"
}

# Waits until $1 answers 2xx, up to $2 seconds.
wait_http() {
  local url=$1 limit=${2:-60}
  for _ in $(seq 1 $((limit * 10))); do
    curl -sf -o /dev/null "$url" && return 0
    sleep 0.1
  done
  echo "timed out waiting for $url" >&2
  return 1
}

# Prints a free TCP port on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
