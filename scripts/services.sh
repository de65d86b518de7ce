#!/usr/bin/env bash
# Brings up (or stops) the servers that dbcheck's dev loop, tests and demo need, all on loopback:
#   PostgreSQL 127.0.0.1:5432 (trust), Redis 127.0.0.1:6379, Milvus Lite 127.0.0.1:19530 and the
#   real Milvus standalone 2.3.5 127.0.0.1:19540 (etcd 2479).
#
#   bash scripts/services.sh up      start what is not already answering, wait until each answers
#   bash scripts/services.sh down    stop only what this script started (the Milvus servers, by pid file)
#   bash scripts/services.sh status  one line per service, exit 1 if any does not answer
#
# Postgres and Redis are normally started by the machine before a session; this script only starts
# (or installs) them when they do not answer. It never stops them. Each Milvus runs from a private
# venv (.venv/milvus, .venv/milvus-real, built from scripts/milvus-requirements*.txt) with its data
# and log in .services/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SERVICES_DIR="$ROOT/.services"
MILVUS_VENV="$ROOT/.venv/milvus"
MILVUS_REQUIREMENTS="$ROOT/scripts/milvus-requirements.txt"
MILVUS_HOST=127.0.0.1
# REDIS_PORT / MILVUS_PORT / MILVUS_REAL_PORT / MILVUS_REAL_ETCD_PORT: only to try this script on spare ports
MILVUS_PORT="${MILVUS_PORT:-19530}"
MILVUS_REAL_PORT="${MILVUS_REAL_PORT:-19540}"
MILVUS_REAL_ETCD_PORT="${MILVUS_REAL_ETCD_PORT:-2479}"
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

# ---------------------------------------------------------------- Milvus (Lite and real)
# Two Milvus servers, side by side, because they behave differently (docs/milvus-paging.md):
#   lite  Milvus Lite 3.x (pure Python), 127.0.0.1:19530, venv .venv/milvus,
#         scripts/milvus-requirements.txt. The default test server and the demo's.
#   real  the real Milvus standalone 2.3.5 (PyPI `milvus`, "embedded Milvus": a compressed server
#         binary unpacked at first start, embedded etcd), proxy 127.0.0.1:19540, etcd 2479, venv
#         .venv/milvus-real, scripts/milvus-requirements-real.txt. The `integration-milvus-real`
#         vitest project runs the Milvus-touching tests against it.
# Every function below takes the flavour (lite|real) as its first argument.
milvus_port() { if [[ $1 == real ]]; then printf '%s' "$MILVUS_REAL_PORT"; else printf '%s' "$MILVUS_PORT"; fi; }
milvus_venv() { if [[ $1 == real ]]; then printf '%s' "$ROOT/.venv/milvus-real"; else printf '%s' "$MILVUS_VENV"; fi; }
milvus_requirements() { if [[ $1 == real ]]; then printf '%s' "$ROOT/scripts/milvus-requirements-real.txt"; else printf '%s' "$MILVUS_REQUIREMENTS"; fi; }
milvus_bin() { if [[ $1 == real ]]; then printf '%s' "$ROOT/.venv/milvus-real/bin/milvus-server"; else printf '%s' "$MILVUS_VENV/bin/milvus-lite"; fi; }
# Prefix of the server's files in .services/: <prefix>.pid, <prefix>.log, <prefix>-data/.
milvus_files() { if [[ $1 == real ]]; then printf '%s' "$SERVICES_DIR/milvus-real"; else printf '%s' "$SERVICES_DIR/milvus"; fi; }
milvus_name() { if [[ $1 == real ]]; then printf 'milvus-real'; else printf 'milvus'; fi; }

milvus_port_open() { (exec 3<>"/dev/tcp/$MILVUS_HOST/$(milvus_port "$1")") 2>/dev/null; }

# A real RPC (GetVersion), not just an open port: the gRPC server accepts connections a moment
# before it serves. Uses the Node SDK when node_modules has it, else pymilvus from the Lite venv.
milvus_answers() {
  local port; port="$(milvus_port "$1")"
  local probe_node="$ROOT/scripts/lib/milvus-probe.mjs"
  if [[ -d "$ROOT/node_modules/@zilliz/milvus2-sdk-node" ]]; then
    node "$probe_node" "$MILVUS_HOST:$port"
  elif [[ -x "$MILVUS_VENV/bin/python" ]]; then
    "$MILVUS_VENV/bin/python" - "$MILVUS_HOST" "$port" <<'PY'
import sys
from pymilvus import MilvusClient
client = MilvusClient(uri=f"http://{sys.argv[1]}:{sys.argv[2]}", timeout=5)
print(client.get_server_version())
PY
  else
    milvus_port_open "$1" # nothing to speak the protocol with yet: an open port is the best we can do
  fi
}

requirements_hash() { { cat "$(milvus_requirements "$1")"; python3 --version; } | sha256sum | cut -d' ' -f1; }

# Creates or refreshes a venv only when it is missing or its pinned requirements changed.
milvus_venv_ready() {
  local venv requirements stamp want
  venv="$(milvus_venv "$1")"; requirements="$(milvus_requirements "$1")"
  stamp="$venv/.requirements.sha256"
  want="$(requirements_hash "$1")"
  if [[ -x "$(milvus_bin "$1")" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    return
  fi
  say "$(milvus_name "$1"): building $venv from ${requirements#"$ROOT"/} (first run: a few minutes)"
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  python3 -m venv "$venv" ||
    { apt_install python3-venv && python3 -m venv "$venv"; }
  local pip_log; pip_log="$(milvus_files "$1")-pip.log"
  mkdir -p "$SERVICES_DIR"
  local pip_install=("$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements")
  # One retry: a registry hiccup should not fail a whole CI run.
  if ! "${pip_install[@]}" >"$pip_log" 2>&1 && ! { sleep 10; "${pip_install[@]}" >>"$pip_log" 2>&1; }; then
    tail -n 30 "$pip_log" >&2
    rm -rf "$venv"
    fail "$(milvus_name "$1"): pip install -r ${requirements#"$ROOT"/} failed (log: $pip_log)"
  fi
  printf '%s\n' "$want" >"$stamp"
}

our_milvus_pid() {
  local pid_file; pid_file="$(milvus_files "$1").pid"
  [[ -f "$pid_file" ]] || return 1
  local pid; pid="$(cat "$pid_file")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && printf '%s' "$pid"
}

milvus_up() {
  local flavour=$1 name port files
  name="$(milvus_name "$flavour")"; port="$(milvus_port "$flavour")"; files="$(milvus_files "$flavour")"
  # The venv is needed even when another server already answers: tests start private servers of
  # their own (restarts, faults, auth, TLS) from it.
  milvus_venv_ready "$flavour"
  if milvus_port_open "$flavour"; then
    # Someone (maybe us, earlier) already serves this port: use it, never start a second one.
    if wait_until 30 milvus_answers "$flavour"; then
      if our_milvus_pid "$flavour" >/dev/null; then say "$name: up ($MILVUS_HOST:$port)";
      else say "$name: up ($MILVUS_HOST:$port, not started by this script)"; fi
      return
    fi
    fail "$name: port $port is open but GetVersion does not answer (another program on it?)"
  fi
  local running
  if running="$(our_milvus_pid "$flavour")"; then
    fail "$name: this script's server (pid $running) runs but does not answer on port $port; run \`bash scripts/services.sh down\` first"
  fi
  mkdir -p "$SERVICES_DIR" "$files-data"
  rm -f "$files.pid"
  # setsid + closed stdio: the server outlives this script and holds none of the caller's pipes.
  # setsid also makes it a process group leader, so `down` can stop the real server's child too.
  if [[ $flavour == real ]]; then
    setsid "$(milvus_bin real)" --data "$files-data" --proxy-port "$port" --etcd-port "$MILVUS_REAL_ETCD_PORT" \
      </dev/null >"$files.log" 2>&1 &
  else
    setsid "$(milvus_bin lite)" server --data-dir "$files-data" \
      --host "$MILVUS_HOST" --port "$port" </dev/null >"$files.log" 2>&1 &
  fi
  local pid=$!
  printf '%s\n' "$pid" >"$files.pid"
  local deadline=$((SECONDS + READY_TIMEOUT_S))
  until milvus_answers "$flavour" >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$files.pid"
      tail -n 30 "$files.log" >&2 || true
      fail "$name: the server exited during start-up (log: $files.log)"
    fi
    if ((SECONDS >= deadline)); then
      tail -n 30 "$files.log" >&2 || true
      fail "$name: no answer on $MILVUS_HOST:$port within ${READY_TIMEOUT_S}s (log: $files.log)"
    fi
    sleep 0.5
  done
  say "$name: started ($MILVUS_HOST:$port, pid $pid, log ${files#"$ROOT"/}.log)"
}

milvus_down() {
  local flavour=$1 name pid files
  name="$(milvus_name "$flavour")"; files="$(milvus_files "$flavour")"
  if ! pid="$(our_milvus_pid "$flavour")"; then
    rm -f "$files.pid"
    say "$name: not started by this script, left alone"; return
  fi
  # SIGINT: milvus-lite flushes and releases its data-dir lock; the real server's Python wrapper
  # terminates its `milvus run standalone` child and exits.
  kill -INT "$pid" 2>/dev/null || true
  if ! wait_until 20 bash -c "! kill -0 $pid"; then
    kill -KILL "$pid" 2>/dev/null || true
  fi
  # Whatever is left of its process group (only ours: setsid made pid the group leader).
  kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$files.pid"
  say "$name: stopped (pid $pid)"
}

# ---------------------------------------------------------------- commands
status() {
  local bad=0 pid
  if command -v pg_isready >/dev/null 2>&1 && pg_answers; then say "postgres: up"; else say "postgres: down"; bad=1; fi
  if command -v redis-cli >/dev/null 2>&1 && redis_answers; then say "redis: up"; else say "redis: down"; bad=1; fi
  local flavour name
  for flavour in lite real; do
    name="$(milvus_name "$flavour")"
    if milvus_answers "$flavour" >/dev/null 2>&1; then
      if pid="$(our_milvus_pid "$flavour")"; then say "$name: up (pid $pid)"; else say "$name: up (not started by this script)"; fi
    else say "$name: down"; bad=1; fi
  done
  return "$bad"
}

case "${1:-}" in
  up) pg_up; redis_up; milvus_up lite; milvus_up real ;;
  down) milvus_down lite; milvus_down real; say "postgres, redis: left running (system services)" ;;
  status) status ;;
  *) fail "usage: bash scripts/services.sh up|down|status" ;;
esac
