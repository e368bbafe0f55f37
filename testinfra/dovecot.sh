#!/usr/bin/env bash
# A private Dovecot for Glassbox's tests and the README's walk: never the system service.
# Its own base dir, state, logs and maildirs live in $DOVECOT_DIR (default
# testinfra/.dovecot, git-ignored); it listens on 127.0.0.1 only.
#   IMAP        127.0.0.1:${DOVECOT_IMAP_PORT:-10143} (plaintext: test only)
#   doveadm API 127.0.0.1:${DOVECOT_DOVEADM_PORT:-10144}, key ${DOVECOT_DOVEADM_KEY:-glassbox-test-doveadm-key}
#   Glassbox    ${GLASSBOX_URL:-http://127.0.0.1:3000}, service token in $GLASSBOX_TOKEN
#               (or the file $GLASSBOX_TOKEN_FILE)
# Demo owners (alice@example.org, alice.martin@work.example.org, bilal@, chen.wei@, dana@,
# emeka.obi@example.org) log in with the password ${DOVECOT_OWNER_PASSWORD:-owner-password}; each
# has three messages. Staff log in as mailbox*agent (e.g. alice@example.org*sam.rivera)
# with the gbg_ credential Glassbox shows them.
#   DOVECOT_AUTH_CACHE=1   starts with auth_cache_size = 1M (the integration must refuse it)
#   DOVECOT_STUB_CONSENT=1 benchmark reference only: the passdb answers "allow" without asking
#                          Glassbox (never in integrations/dovecot/, only in this test copy)
# usage: testinfra/dovecot.sh install|start|stop|status|restart
set -euo pipefail
cd "$(dirname "$0")"
HERE=$PWD
SELF="$HERE/$(basename "$0")"
ROOT=$(cd .. && pwd)
DIR=${DOVECOT_DIR:-$HERE/.dovecot}
IMAP_PORT=${DOVECOT_IMAP_PORT:-10143}
DOVEADM_PORT=${DOVECOT_DOVEADM_PORT:-10144}
DOVEADM_KEY=${DOVECOT_DOVEADM_KEY:-glassbox-test-doveadm-key}
GLASSBOX_URL=${GLASSBOX_URL:-http://127.0.0.1:3000}
OWNER_PASSWORD=${DOVECOT_OWNER_PASSWORD:-owner-password}
OWNERS="alice@example.org alice.martin@work.example.org bilal@example.org chen.wei@example.org dana@example.org emeka.obi@example.org"
PACKAGES="dovecot-imapd dovecot-auth-lua lua-cjson"

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
running() { [ -f "$DIR/run/master.pid" ] && kill -0 "$(cat "$DIR/run/master.pid")" 2>/dev/null; }

install_packages() {
  local missing=""
  for p in $PACKAGES; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"; done
  [ -z "$missing" ] && return 0
  echo "Installing Debian packages:$missing (once)" >&2
  local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  # The packages start the system service where an init system runs; stop and disable it
  # (these tests never use it). policy-rc.d keeps it from starting in containers.
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing
  if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    $sudo systemctl disable --now dovecot.service dovecot.socket >/dev/null 2>&1 || true
  elif [ -x /etc/init.d/dovecot ]; then
    $sudo /etc/init.d/dovecot stop >/dev/null 2>&1 || true
  fi
}

write_messages() {
  local user=$1 maildir=$2 n
  mkdir -p "$maildir"/{cur,new,tmp}
  for n in 1 2 3; do
    cat >"$maildir/cur/170000000$n.M${n}P1.glassbox:2,S" <<MSG
From: Support Desk <desk@example.net>
To: $user
Subject: Demo message $n for $user
Date: Mon, 0$n Dec 2026 09:00:00 +0000
Message-ID: <demo-$n.$user@example.net>

This is demo message $n in the mailbox of $user.
MSG
  done
}

configure() {
  mkdir -p "$DIR/run" "$DIR/state" "$DIR/mail" "$DIR/glassbox"
  local internal login mail_user mail_group
  if [ "$(id -u)" = 0 ]; then
    internal=dovecot; login=dovenull; mail_user=nobody; mail_group=nogroup
  else
    internal=$(id -un); login=$internal; mail_user=$internal; mail_group=$(id -gn)
  fi
  : >"$DIR/users"
  for u in $OWNERS; do
    local d=${u#*@} n=${u%@*}
    echo "$u:{PLAIN}$OWNER_PASSWORD::::::" >>"$DIR/users"
    [ -d "$DIR/mail/$d/$n/cur" ] || write_messages "$u" "$DIR/mail/$d/$n"
  done
  [ "$(id -u)" = 0 ] && chown -R "$mail_user:$mail_group" "$DIR/mail"
  # The token file is root-only, as in production (the auth worker runs as root).
  local token=${GLASSBOX_TOKEN:-}
  if [ -z "$token" ] && [ -n "${GLASSBOX_TOKEN_FILE:-}" ]; then token=$(cat "$GLASSBOX_TOKEN_FILE"); fi
  [ -n "$token" ] || token=gbx_unset
  (umask 077; printf '%s\n' "$token" >"$DIR/glassbox/token")
  cp "$ROOT/integrations/dovecot/glassbox-passdb.lua" "$DIR/glassbox/glassbox-passdb.lua"
  if [ "${DOVECOT_STUB_CONSENT:-0}" = 1 ]; then
    # Benchmark reference only (scripts/bench-dovecot.sh): the same script with the consent
    # call replaced by a canned "allow", so the two arms differ by the call alone. The
    # shipped script has no such switch.
    sed -i 's#^  local response = request:submit()$#  local response = { status = function() return 200 end, payload = function() return [[{"decision":"allow","event_id":"stub"}]] end }#' \
      "$DIR/glassbox/glassbox-passdb.lua"
    grep -q '"event_id":"stub"' "$DIR/glassbox/glassbox-passdb.lua" || { echo "the consent call stub did not apply" >&2; exit 1; }
  fi
  sed -e "s#^url = .*#url = $GLASSBOX_URL#" -e "s#/etc/dovecot/glassbox#$DIR/glassbox#g" \
      -e "s#^config = .*#config = $DIR/dovecot.conf#" -e "s#^timeout_msecs = .*#timeout_msecs = ${GLASSBOX_TIMEOUT_MSECS:-2000}#" \
      "$ROOT/integrations/dovecot/glassbox.settings" >"$DIR/glassbox/glassbox.settings"
  # The administrator's snippet, with this instance's paths, URL and token.
  sed -e "s#/etc/dovecot/glassbox#$DIR/glassbox#g" \
      -e "s#https://glassbox:SERVICE_TOKEN@glassbox.example.net#${GLASSBOX_URL/:\/\//://glassbox:$token@}#g" \
      "$ROOT/integrations/dovecot/95-glassbox.conf" >"$DIR/95-glassbox.conf"
  if [ "${DOVECOT_AUTH_CACHE:-0}" = 1 ]; then
    sed -i 's/^auth_cache_size = 0/auth_cache_size = 1M/' "$DIR/95-glassbox.conf"
  fi
  chmod 600 "$DIR/95-glassbox.conf"
  cat >"$DIR/dovecot.conf" <<CONF
# Generated by testinfra/dovecot.sh: a private, test-only Dovecot. Do not expose it.
instance_name = glassbox-test
base_dir = $DIR/run
state_dir = $DIR/state
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
log_path = $DIR/dovecot.log
info_log_path = $DIR/dovecot.log
default_internal_user = $internal
default_internal_group = $internal
default_login_user = $login
first_valid_uid = 0
mail_uid = $mail_user
mail_gid = $mail_group
mail_location = maildir:$DIR/mail/%d/%n
namespace inbox {
  inbox = yes
}
passdb {
  driver = passwd-file
  args = $DIR/users
}
userdb {
  driver = static
  args = home=$DIR/mail/%d/%n
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    port = 0
  }
}
service doveadm {
  inet_listener http {
    address = 127.0.0.1
    port = $DOVEADM_PORT
  }
}
doveadm_api_key = $DOVEADM_KEY
service stats {
  unix_listener stats-reader {
    mode = 0600
  }
  unix_listener stats-writer {
    mode = 0666
  }
}
!include $DIR/95-glassbox.conf
CONF
}

case "${1:-}" in
  install) install_packages ;;
  start)
    if running; then echo "dovecot (private) already running on 127.0.0.1:$IMAP_PORT"; exit 0; fi
    command -v dovecot >/dev/null && [ -f /usr/lib/dovecot/modules/auth/libauthdb_lua.so ] || install_packages
    for p in "$IMAP_PORT" "$DOVEADM_PORT"; do port_free "$p" || { echo "port $p is already in use: stop whatever listens there, or set DOVECOT_IMAP_PORT/DOVECOT_DOVEADM_PORT" >&2; exit 1; }; done
    configure
    : >"$DIR/dovecot.log"
    # Its own stdio: a caller reading this script's output must not wait for the daemon.
    dovecot -c "$DIR/dovecot.conf" </dev/null >>"$DIR/dovecot.log" 2>&1 \
      || { echo "dovecot did not start; see $DIR/dovecot.log" >&2; tail -20 "$DIR/dovecot.log" >&2; exit 1; }
    for _ in $(seq 1 50); do port_free "$IMAP_PORT" || break; sleep 0.1; done
    port_free "$IMAP_PORT" && { echo "dovecot did not start; see $DIR/dovecot.log" >&2; tail -20 "$DIR/dovecot.log" >&2; exit 1; }
    echo "dovecot (private): IMAP 127.0.0.1:$IMAP_PORT, doveadm HTTP 127.0.0.1:$DOVEADM_PORT, Glassbox $GLASSBOX_URL, log $DIR/dovecot.log" ;;
  status)
    if running; then echo "dovecot (private): running (pid $(cat "$DIR/run/master.pid"))"; else echo "dovecot (private): stopped"; exit 3; fi ;;
  stop)
    if running; then
      pid=$(cat "$DIR/run/master.pid")
      doveadm -c "$DIR/dovecot.conf" stop 2>/dev/null || kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi ;;
  restart) "$SELF" stop; "$SELF" start ;;
  *) echo "usage: $0 install|start|stop|status|restart" >&2; exit 2 ;;
esac
