#!/usr/bin/env bash
# Runs the Glassbox demo: builds what is missing, seeds a populated SQLite database
# (data/glassbox.db, once), and serves it at http://127.0.0.1:3000.
source "$(dirname "$0")/lib.sh"
trap stop_background_builds EXIT
ensure_build_tools
# The browser bundle, wasm-bindgen-cli (first run) and the server build side by side: each
# build has idle moments (linking, one large crate at a time) the others fill.
start_site
say "Building the server"
(cd "$ROOT" && cargo build -p server --bin glassbox)
finish_site
say "Starting Glassbox with demo data at http://127.0.0.1:3000 (Ctrl-C stops it)"
cd "$ROOT"
exec "$(target_dir)/debug/glassbox" demo
