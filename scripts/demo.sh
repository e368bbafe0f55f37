#!/usr/bin/env bash
# Runs the Glassbox demo: builds what is missing, seeds a populated SQLite database
# (data/glassbox.db, once), and serves it at http://127.0.0.1:3000.
source "$(dirname "$0")/lib.sh"
ensure_build_tools
build_site
say "Building the server"
(cd "$ROOT" && cargo build -p server --bin glassbox)
say "Starting Glassbox with demo data at http://127.0.0.1:3000 (Ctrl-C stops it)"
cd "$ROOT"
exec "$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/debug/glassbox" demo
