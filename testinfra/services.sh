#!/usr/bin/env bash
# The real services Glassbox's tests talk to, run locally:
#   - an OpenID Connect provider (npm oidc-provider, wrapped by oidc-test-provider.mjs) on 127.0.0.1:$OIDC_PORT
#   - MailDev, a real SMTP server with an HTTP API, SMTP on 127.0.0.1:$SMTP_PORT, API on 127.0.0.1:$MAIL_HTTP_PORT
# usage: testinfra/services.sh install|start|stop|status
# Test-only: fixed keys, in-memory state. Never expose these ports.
set -euo pipefail
cd "$(dirname "$0")"
SELF="$PWD/$(basename "$0")"
RUN=${TESTINFRA_RUN_DIR:-$PWD/.run}; mkdir -p "$RUN"
OIDC_PORT=${OIDC_PORT:-9400}; SMTP_PORT=${SMTP_PORT:-1025}; MAIL_HTTP_PORT=${MAIL_HTTP_PORT:-1080}
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_http() { for _ in $(seq 1 150); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done; echo "timeout waiting for $1" >&2; return 1; }
running() { [ -f "$RUN/$1.pid" ] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }
case "${1:-}" in
  install)
    node -e "process.exit(Number(process.versions.node.split('.')[0]) >= 20 ? 0 : 1)" || { echo "need Node.js >= 20" >&2; exit 1; }
    npm ci --no-audit --no-fund --loglevel=error ;;
  start)
    [ -d node_modules ] || "$SELF" install
    if running oidc && running maildev; then echo "test services already running"; exit 0; fi
    "$SELF" stop >/dev/null 2>&1 || true
    for p in "$OIDC_PORT" "$SMTP_PORT" "$MAIL_HTTP_PORT"; do port_free "$p" || { echo "port $p is already in use: stop whatever listens there, or set OIDC_PORT/SMTP_PORT/MAIL_HTTP_PORT" >&2; exit 1; }; done
    OIDC_PORT=$OIDC_PORT OIDC_CONFIG=$PWD/oidc-config.json node oidc-test-provider.mjs >"$RUN/oidc.log" 2>&1 & echo $! >"$RUN/oidc.pid"
    ./node_modules/.bin/maildev --ip 127.0.0.1 --smtp "$SMTP_PORT" --web-ip 127.0.0.1 --web "$MAIL_HTTP_PORT" >"$RUN/maildev.log" 2>&1 & echo $! >"$RUN/maildev.pid"
    wait_http "http://127.0.0.1:$OIDC_PORT/.well-known/openid-configuration"
    wait_http "http://127.0.0.1:$MAIL_HTTP_PORT/api/healthz"
    for s in oidc maildev; do running "$s" || { echo "$s died; see $RUN/$s.log" >&2; exit 1; }; done
    echo "test services: OIDC issuer http://127.0.0.1:$OIDC_PORT; SMTP 127.0.0.1:$SMTP_PORT; mail API http://127.0.0.1:$MAIL_HTTP_PORT/api/email" ;;
  status)
    for s in oidc maildev; do if running "$s"; then echo "$s: running"; else echo "$s: stopped"; fi; done ;;
  stop)
    for s in oidc maildev; do
      if [ -f "$RUN/$s.pid" ]; then pid=$(cat "$RUN/$s.pid")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true; rm -f "$RUN/$s.pid"; fi
    done ;;
  *) echo "usage: $0 install|start|stop|status" >&2; exit 2 ;;
esac
