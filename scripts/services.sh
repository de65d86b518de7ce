#!/usr/bin/env bash
# Brings up (or stops) the servers that dbcheck's dev loop, tests and demo need, all on loopback:
#   PostgreSQL 127.0.0.1:5432 (trust), Redis 127.0.0.1:6379, Milvus Lite 127.0.0.1:19530.
#
#   bash scripts/services.sh up      start what is not already answering, wait until each answers
#   bash scripts/services.sh down    stop only what this script started (Milvus Lite, by pid file)
#   bash scripts/services.sh status  one line per service, exit 1 if any does not answer
#
# Postgres and Redis are normally started by the machine before a session; this script only starts
# (or installs) them when they do not answer. It never stops them. Milvus Lite runs from a private
# venv (.venv/milvus, built from scripts/milvus-requirements.txt) with its data and log in .services/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SERVICES_DIR="$ROOT/.services"
MILVUS_VENV="$ROOT/.venv/milvus"
MILVUS_REQUIREMENTS="$ROOT/scripts/milvus-requirements.txt"
MILVUS_HOST=127.0.0.1
MILVUS_PORT="${MILVUS_PORT:-19530}" # REDIS_PORT / MILVUS_PORT: only to try this script on spare ports
MILVUS_PID_FILE="$SERVICES_DIR/milvus.pid"
MILVUS_LOG="$SERVICES_DIR/milvus.log"
MILVUS_DATA_DIR="$SERVICES_DIR/milvus-data"
PG_HOST=127.0.0.1
REDIS_HOST=127.0.0.1
REDIS_PORT="${REDIS_PORT:-6379}"
READY_TIMEOUT_S="${SERVICES_READY_TIMEOUT:-90}"

say() { printf '%s\n' "$*"; }
fail() { printf 'services: %s\n' "$*" >&2; exit 1; }

# Runs "$@" quietly every half second until it succeeds or the timeout passes.
wait_until() {
  local timeout_s=$1; shift
  local deadline=$((SECONDS + timeout_s))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.5
  done
}

apt_install() {
  say "services: installing $* (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq "$@" >/dev/null
}

# ---------------------------------------------------------------- PostgreSQL
pg_answers() { pg_isready -q -h "$PG_HOST" -p 5432; }

pg_cluster_version() { ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1; }

pg_up() {
  if command -v pg_isready >/dev/null 2>&1 && pg_answers; then
    say "postgres: up (127.0.0.1:5432)"; return
  fi
  local fresh_install=no
  if [[ -z "$(pg_cluster_version)" ]]; then
    apt_install postgresql
    fresh_install=yes
  fi
  local version; version="$(pg_cluster_version)"
  [[ -n "$version" ]] || fail "postgres: installed, but no cluster under /etc/postgresql"
  if [[ $fresh_install == yes ]]; then
    # A fresh Debian cluster asks for passwords on TCP; dev/CI machines use trust on loopback only.
    local hba="/etc/postgresql/$version/main/pg_hba.conf"
    sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/' "$hba"
    pg_ctlcluster --skip-systemctl-redirect "$version" main stop >/dev/null 2>&1 || true
  fi
  local start_output
  start_output="$(pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>&1)" || true
  if ! wait_until "$READY_TIMEOUT_S" pg_answers; then
    [[ -n "$start_output" ]] && printf '%s\n' "$start_output" >&2
    fail "postgres: did not answer on 127.0.0.1:5432 within ${READY_TIMEOUT_S}s (see /var/log/postgresql/)"
  fi
  say "postgres: started (127.0.0.1:5432)"
}

# ---------------------------------------------------------------- Redis
redis_answers() { [[ "$(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]; }

redis_up() {
  if command -v redis-cli >/dev/null 2>&1 && redis_answers; then
    say "redis: up ($REDIS_HOST:$REDIS_PORT)"; return
  fi
  if ! command -v redis-server >/dev/null 2>&1; then
    apt_install redis-server
    # The package may have started its own server already.
    if wait_until 5 redis_answers; then say "redis: installed and up ($REDIS_HOST:$REDIS_PORT)"; return; fi
  fi
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" \
    --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log >/dev/null 2>&1 || true
  wait_until "$READY_TIMEOUT_S" redis_answers ||
    fail "redis: did not answer on $REDIS_HOST:$REDIS_PORT within ${READY_TIMEOUT_S}s (see /var/log/redis/ci.log)"
  say "redis: started ($REDIS_HOST:$REDIS_PORT)"
}

# ---------------------------------------------------------------- Milvus Lite
milvus_port_open() { (exec 3<>"/dev/tcp/$MILVUS_HOST/$MILVUS_PORT") 2>/dev/null; }

# A real RPC (GetVersion), not just an open port: the gRPC server accepts connections a moment
# before it serves. Uses the Node SDK when node_modules has it, else pymilvus from the venv.
milvus_answers() {
  local probe_node="$ROOT/scripts/lib/milvus-probe.mjs"
  if [[ -d "$ROOT/node_modules/@zilliz/milvus2-sdk-node" ]]; then
    node "$probe_node" "$MILVUS_HOST:$MILVUS_PORT"
  elif [[ -x "$MILVUS_VENV/bin/python" ]]; then
    "$MILVUS_VENV/bin/python" - "$MILVUS_HOST" "$MILVUS_PORT" <<'PY'
import sys
from pymilvus import MilvusClient
client = MilvusClient(uri=f"http://{sys.argv[1]}:{sys.argv[2]}", timeout=5)
print(client.get_server_version())
PY
  else
    milvus_port_open # nothing to speak the protocol with yet: an open port is the best we can do
  fi
}

requirements_hash() { { cat "$MILVUS_REQUIREMENTS"; python3 --version; } | sha256sum | cut -d' ' -f1; }

# Creates or refreshes the venv only when it is missing or the pinned requirements changed.
milvus_venv_ready() {
  local stamp="$MILVUS_VENV/.requirements.sha256" want
  want="$(requirements_hash)"
  if [[ -x "$MILVUS_VENV/bin/milvus-lite" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    return
  fi
  say "milvus: building $MILVUS_VENV from scripts/milvus-requirements.txt (first run: a few minutes)"
  rm -rf "$MILVUS_VENV"
  mkdir -p "$(dirname "$MILVUS_VENV")"
  python3 -m venv "$MILVUS_VENV" ||
    { apt_install python3-venv && python3 -m venv "$MILVUS_VENV"; }
  local pip_log="$SERVICES_DIR/milvus-pip.log"
  mkdir -p "$SERVICES_DIR"
  local pip_install=("$MILVUS_VENV/bin/pip" install --quiet --disable-pip-version-check -r "$MILVUS_REQUIREMENTS")
  # One retry: a registry hiccup should not fail a whole CI run.
  if ! "${pip_install[@]}" >"$pip_log" 2>&1 && ! { sleep 10; "${pip_install[@]}" >>"$pip_log" 2>&1; }; then
    tail -n 30 "$pip_log" >&2
    rm -rf "$MILVUS_VENV"
    fail "milvus: pip install -r scripts/milvus-requirements.txt failed (log: $pip_log)"
  fi
  printf '%s\n' "$want" >"$stamp"
}

our_milvus_pid() {
  [[ -f "$MILVUS_PID_FILE" ]] || return 1
  local pid; pid="$(cat "$MILVUS_PID_FILE")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && printf '%s' "$pid"
}

milvus_up() {
  # The venv is needed even when another server already answers: tests start private Milvus Lite
  # servers of their own (restarts, faults) from it.
  milvus_venv_ready
  if milvus_port_open; then
    # Someone (maybe us, earlier) already serves this port: use it, never start a second one.
    if wait_until 30 milvus_answers; then
      if our_milvus_pid >/dev/null; then say "milvus: up ($MILVUS_HOST:$MILVUS_PORT)";
      else say "milvus: up ($MILVUS_HOST:$MILVUS_PORT, not started by this script)"; fi
      return
    fi
    fail "milvus: port $MILVUS_PORT is open but GetVersion does not answer (another program on it?)"
  fi
  local running
  if running="$(our_milvus_pid)"; then
    fail "milvus: this script's milvus-lite (pid $running) runs but does not answer on port $MILVUS_PORT; run \`bash scripts/services.sh down\` first"
  fi
  mkdir -p "$SERVICES_DIR" "$MILVUS_DATA_DIR"
  rm -f "$MILVUS_PID_FILE"
  # setsid + closed stdio: the server outlives this script and holds none of the caller's pipes.
  setsid "$MILVUS_VENV/bin/milvus-lite" server --data-dir "$MILVUS_DATA_DIR" \
    --host "$MILVUS_HOST" --port "$MILVUS_PORT" </dev/null >"$MILVUS_LOG" 2>&1 &
  local pid=$!
  printf '%s\n' "$pid" >"$MILVUS_PID_FILE"
  local deadline=$((SECONDS + READY_TIMEOUT_S))
  until milvus_answers >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$MILVUS_PID_FILE"
      tail -n 30 "$MILVUS_LOG" >&2 || true
      fail "milvus: milvus-lite exited during start-up (log: $MILVUS_LOG)"
    fi
    if ((SECONDS >= deadline)); then
      tail -n 30 "$MILVUS_LOG" >&2 || true
      fail "milvus: no answer on $MILVUS_HOST:$MILVUS_PORT within ${READY_TIMEOUT_S}s (log: $MILVUS_LOG)"
    fi
    sleep 0.5
  done
  say "milvus: started ($MILVUS_HOST:$MILVUS_PORT, pid $pid, log .services/milvus.log)"
}

milvus_down() {
  local pid
  if ! pid="$(our_milvus_pid)"; then
    rm -f "$MILVUS_PID_FILE"
    say "milvus: not started by this script, left alone"; return
  fi
  kill -INT "$pid" 2>/dev/null || true # SIGINT: milvus-lite flushes and releases its data-dir lock
  if ! wait_until 20 bash -c "! kill -0 $pid"; then
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$MILVUS_PID_FILE"
  say "milvus: stopped (pid $pid)"
}

# ---------------------------------------------------------------- commands
status() {
  local bad=0 pid
  if command -v pg_isready >/dev/null 2>&1 && pg_answers; then say "postgres: up"; else say "postgres: down"; bad=1; fi
  if command -v redis-cli >/dev/null 2>&1 && redis_answers; then say "redis: up"; else say "redis: down"; bad=1; fi
  if milvus_answers >/dev/null 2>&1; then
    if pid="$(our_milvus_pid)"; then say "milvus: up (pid $pid)"; else say "milvus: up (not started by this script)"; fi
  else say "milvus: down"; bad=1; fi
  return "$bad"
}

case "${1:-}" in
  up) pg_up; redis_up; milvus_up ;;
  down) milvus_down; say "postgres, redis: left running (system services)" ;;
  status) status ;;
  *) fail "usage: bash scripts/services.sh up|down|status" ;;
esac
