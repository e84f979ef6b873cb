#!/usr/bin/env bash
# Glimpse on four "hosts" on one machine: Linux network namespaces joined by veth pairs on a private bridge
# (docs/cluster.md, "Several hosts on one machine"). Needs root and iproute2.
#   host a  gateway + capture              + NATS node nats-1   <subnet>.1
#   host b  recognizer + Python worker     + NATS node nats-2   <subnet>.2
#   host c  recognizer + Python worker                          <subnet>.3
#   host d  matcher + Postgres (pgvector)  + NATS node nats-3   <subnet>.4
#   this machine (root namespace): the bridge, <subnet>.254, to reach the gateway.
# Usage: hosts.sh up [HOST...]   network up, then start HOSTs (default: all four); skips hosts already running
#        hosts.sh start HOST...  the same for named hosts: add one at run time (`start c`) or restart a stopped one
#        hosts.sh stop HOST...   SIGKILL every process of a host (a host that died)
#        hosts.sh down           stop everything, remove the namespaces and the bridge (HOSTS_DIR stays)
#        hosts.sh status         namespaces, addresses, processes, the gateway's /healthz
# Env: HOSTS_PREFIX (glimpse: namespaces glimpse-a..d, bridge glimpse-br), HOSTS_SUBNET (10.77.0, a /24),
#      HOSTS_DIR (data/hosts: NATS stores, Postgres, logs, admin-api-key), PORT (gateway, 3000),
#      WORKER_PROCESSES (engine processes per worker, 0 = one per CPU), HOSTS_TIMEOUT_S (180),
#      HOSTS_EPHEMERAL=1 (tests: Postgres without fsync), GLIMPSE_PG_USER (glimpsepg).
# Idempotent: `up` after a failed or half-finished run repairs what is missing; a failed `up` stops what it
# started (and removes the network when it created it).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
P="${HOSTS_PREFIX:-glimpse}"
NET="${HOSTS_SUBNET:-10.77.0}"
DIR="${HOSTS_DIR:-$ROOT/data/hosts}"
GW_PORT="${PORT:-3000}"
TIMEOUT="${HOSTS_TIMEOUT_S:-180}"
PG_USER="${GLIMPSE_PG_USER:-glimpsepg}"
HOSTS=(a b c d)
declare -A ADDR=([a]=1 [b]=2 [c]=3 [d]=4)
BRIDGE_IP="$NET.254"
NATS_URL="nats://$NET.1:4222,nats://$NET.2:4222,nats://$NET.4:4222"

say() { printf 'hosts       | %s\n' "$*"; }
fail() { say "ERROR: $*" >&2; exit 1; }
ns() { echo "$P-$1"; }
ip_of() { echo "$NET.${ADDR[$1]}"; }
in_ns() { local h=$1; shift; ip netns exec "$(ns "$h")" "$@"; }
valid_host() { [[ " ${HOSTS[*]} " == *" $1 "* ]] || fail "unknown host '$1' (hosts: ${HOSTS[*]})"; }

preflight() {
  [ "$(id -u)" = 0 ] || fail "needs root (network namespaces)"
  command -v ip >/dev/null && ip netns list >/dev/null 2>&1 || fail "'ip netns' unavailable: install iproute2"
  [ ${#P} -le 11 ] && [[ "$P" =~ ^[a-z0-9-]+$ ]] || fail "HOSTS_PREFIX must be 1-11 of a-z, 0-9, - (interface names are at most 15 characters)"
  [[ "$NET" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "HOSTS_SUBNET must be the first three octets of a /24, e.g. 10.77.0"
}

# The bridge, one namespace per host, and a veth pair from each into the bridge. No default route in any
# namespace: a host reaches the other hosts and its own loopback, nothing else.
net_up() {
  if ! ip link show "$P-br" >/dev/null 2>&1; then
    if ip -4 -o addr show | grep -qF " inet $NET."; then fail "$NET.0/24 is already in use on this machine: choose another HOSTS_SUBNET"; fi
    ip link add "$P-br" type bridge
    ip addr add "$BRIDGE_IP/24" dev "$P-br"
  fi
  ip link set "$P-br" up
  for h in "${HOSTS[@]}"; do
    local n; n=$(ns "$h")
    ip netns list | grep -qx "$n\( .*\)\?" || ip netns add "$n"
    if ! ip link show "$P-v$h" >/dev/null 2>&1; then
      ip -n "$n" link del eth0 2>/dev/null || true
      ip link add "$P-v$h" type veth peer name eth0 netns "$n"
    fi
    ip link set "$P-v$h" master "$P-br" up
    ip -n "$n" addr replace "$(ip_of "$h")/24" dev eth0
    ip -n "$n" link set eth0 up
    ip -n "$n" link set lo up
  done
}

net_down() {
  for h in "${HOSTS[@]}"; do
    ip link del "$P-v$h" 2>/dev/null || true
    ip netns del "$(ns "$h")" 2>/dev/null || true
  done
  ip link del "$P-br" 2>/dev/null || true
}

pids_of() { ip netns pids "$(ns "$1")" 2>/dev/null || true; }
running() { [ -n "$(pids_of "$1")" ]; }

stop_host() {
  local h=$1 pids
  pids=$(pids_of "$h")
  [ -z "$pids" ] && return 0
  # shellcheck disable=SC2086
  kill -KILL $pids 2>/dev/null || true
  for _ in $(seq 50); do [ -z "$(pids_of "$h")" ] && return 0; sleep 0.1; done
  fail "processes of host $h did not exit: $(pids_of "$h" | tr '\n' ' ')"
}

# Runs one process detached inside a host's namespace, with only the environment it is given.
launch() {
  local h=$1 name=$2; shift 2
  mkdir -p "$DIR/logs"
  in_ns "$h" setsid env -i PATH="$PATH" HOME="${HOME:-/root}" LANG=C.UTF-8 "$@" \
    >>"$DIR/logs/$h-$name.log" 2>&1 </dev/null &
}

wait_for() {
  local what=$1; shift
  local deadline=$((SECONDS + TIMEOUT))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt "$deadline" ] || fail "$what not ready after ${TIMEOUT}s (logs: $DIR/logs)"
    sleep 0.25
  done
}

start_nats() {
  local h=$1 i=$2 routes=()
  for o in a b d; do [ "$o" != "$h" ] && routes+=("nats-route://$(ip_of "$o"):6222"); done
  mkdir -p "$DIR/$h/nats"
  launch "$h" "nats" NODE_NAME="nats-$i" HOST="$(ip_of "$h")" CLIENT_PORT=4222 CLUSTER_PORT=6222 MONITOR_PORT=8222 \
    STORE_DIR="$DIR/$h/nats" ROUTE_A="${routes[0]}" ROUTE_B="${routes[1]}" "$(command -v "${NATS_SERVER_BIN:-nats-server}")" -c "$ROOT/infra/cluster/nats-node.conf"
}

node_service() {
  local h=$1 svc=$2; shift 2
  local main="$ROOT/services/$svc/dist/main.js"
  [ -f "$main" ] || fail "$main is missing: run npm run build"
  launch "$h" "$svc" NATS_URL="$NATS_URL" INSTANCE_ID="$svc-$h" "$@" "$(command -v node)" --enable-source-maps "$main"
}

start_worker() {
  local h=$1 py="$ROOT/services/recognizer/worker/.venv/bin/python"
  [ -x "$py" ] || fail "Python worker venv missing: run bash services/recognizer/worker/setup.sh"
  (cd "$ROOT/services/recognizer/worker" && launch "$h" worker GLIMPSE_WORKER_HOST=127.0.0.1 GLIMPSE_WORKER_PORT=8500 \
    GLIMPSE_WORKER_PROCESSES="${WORKER_PROCESSES:-0}" PYTHONUNBUFFERED=1 "$py" -m app)
  wait_for "worker on host $h" in_ns "$h" curl --noproxy '*' -fsS -m 2 http://127.0.0.1:8500/ping
}

pg_bin() {
  local f="$ROOT/test/pg/.venv/pg-bin"
  [ -f "$f" ] || fail "no PostgreSQL binaries ($f missing): run bash infra/scripts/pg-setup.sh"
  cat "$f"
}
as_pg() { setpriv --reuid="$PG_USER" --regid="$PG_USER" --clear-groups "$@"; }

# Postgres on host d, listening on d's address only, with the roles of infra/postgres/init: pgvector created
# by the superuser, the matcher connecting as `glimpse` (no superuser) which owns its database.
start_postgres() {
  local bin data="$DIR/d/pg" pw url
  bin=$(pg_bin)
  id -u "$PG_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_USER"
  as_pg "$bin/postgres" --version >/dev/null 2>&1 || fail "$bin/postgres does not run as $PG_USER (is the path readable by it?)"
  mkdir -p "$DIR/d"; chmod a+x "$DIR" "$DIR/d"
  if [ ! -f "$data/PG_VERSION" ]; then
    rm -rf "$data"; mkdir -p "$data"; chown "$PG_USER:" "$data"; chmod 700 "$data"
    head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$DIR/d/pg-admin-password"
    head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$DIR/d/pg-app-password"
    chmod 600 "$DIR"/d/pg-*-password
    install -o "$PG_USER" -m 600 "$DIR/d/pg-admin-password" "$DIR/d/pwfile"
    as_pg "$bin/initdb" -D "$data" -U postgres --pwfile="$DIR/d/pwfile" -A scram-sha-256 -E UTF8 >"$DIR/logs/d-initdb.log" 2>&1 \
      || { rm -rf "$data" "$DIR/d/pwfile"; fail "initdb failed (log: $DIR/logs/d-initdb.log)"; }
    rm -f "$DIR/d/pwfile"
    echo "host all all $NET.0/24 scram-sha-256" >>"$data/pg_hba.conf"
  fi
  local extra=()
  if [ "${HOSTS_EPHEMERAL:-0}" = 1 ]; then extra=(-c fsync=off); fi
  mkdir -p "$DIR/d/pg-sock"; chown "$PG_USER:" "$DIR/d/pg-sock"
  launch d postgres "$(command -v setpriv)" --reuid="$PG_USER" --regid="$PG_USER" --clear-groups \
    "$bin/postgres" -D "$data" -p 5432 -k "$DIR/d/pg-sock" -c listen_addresses="$(ip_of d)" "${extra[@]}"
  url="postgres://postgres:$(cat "$DIR/d/pg-admin-password")@$(ip_of d):5432"
  wait_for "postgres on host d" in_ns d "$bin/pg_isready" -q -h "$(ip_of d)" -p 5432
  if [ ! -f "$DIR/d/pg-roles-done" ]; then
    pw=$(cat "$DIR/d/pg-app-password")
    in_ns d "$bin/psql" -q -v ON_ERROR_STOP=1 "$url/postgres" -c "CREATE ROLE glimpse LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD '$pw'" -c "CREATE DATABASE glimpse OWNER glimpse" >/dev/null
    in_ns d "$bin/psql" -q -v ON_ERROR_STOP=1 "$url/glimpse" -c "CREATE EXTENSION IF NOT EXISTS vector" -c "ALTER SCHEMA public OWNER TO glimpse" \
      -c "REVOKE ALL ON DATABASE glimpse FROM PUBLIC" -c "GRANT CONNECT, TEMPORARY ON DATABASE glimpse TO glimpse" >/dev/null
    touch "$DIR/d/pg-roles-done"
  fi
  # The same superuser step as compose (docker-entrypoint-initdb.d) and Helm (postInitApplicationSQL): the
  # role glimpse_audit and glimpse_admin.seal_audit_log(), which the matcher's migration 0008 calls to make
  # the audit trail append-only for the application (docs/privacy.md "Audit trail").
  if [ ! -f "$DIR/d/pg-audit-owner-done" ]; then
    in_ns d "$bin/psql" -q -v ON_ERROR_STOP=1 "$url/glimpse" -f "$ROOT/infra/postgres/init/20-audit-owner.sql" >/dev/null
    touch "$DIR/d/pg-audit-owner-done"
  fi
}

nats_ready() { in_ns "$1" curl --noproxy '*' -fsS -m 2 "http://$(ip_of "$1"):8222/healthz" >/dev/null; }
gateway_ready() { in_ns a curl --noproxy '*' -fsS -m 5 "http://$(ip_of a):$GW_PORT/healthz" | grep -q '"status":"ok"'; }

# Keys shared the way `npm start` makes them (infra/scripts/stack.js): generated once into HOSTS_DIR.
keys() {
  node -e 'const s=require(process.argv[1]);s.adminApiKey(process.argv[2]);s.cropKeyFile(process.argv[2])' "$ROOT/infra/scripts/stack.js" "$DIR"
}

nats_index() { case "$1" in a) echo 1 ;; b) echo 2 ;; d) echo 3 ;; esac; }

# Everything of host h but its NATS node, in dependency order (the caller started and awaited NATS).
start_services() {
  local h=$1
  case "$h" in
    a)
      node_service a capture STREAM_ALLOWED_SCHEMES=rtsp,rtsps,http,https,file STREAM_FILE_ROOTS="$DIR/a/uploads"
      node_service a gateway HOST="$(ip_of a)" PORT="$GW_PORT" UPLOAD_DIR="$DIR/a/uploads" ADMIN_API_KEY="$(cat "$DIR/admin-api-key")"
      ;;
    b | c)
      start_worker "$h"
      node_service "$h" recognizer WORKER_URLS=http://127.0.0.1:8500
      ;;
    d)
      start_postgres
      node_service d matcher DATABASE_URL="postgres://glimpse:$(cat "$DIR/d/pg-app-password")@$(ip_of d):5432/glimpse" CROP_KEY_FILE="$DIR/crop-key"
      ;;
  esac
}

# Starts the given hosts (default all) that are not running; hosts already running are left alone, so
# `up c` adds host c at run time without touching the others. A failed start stops what it started, and
# takes the network down too when this call created it.
up() {
  local want=("$@") fresh=() created=0
  [ ${#want[@]} -gt 0 ] || want=("${HOSTS[@]}")
  for h in "${want[@]}"; do valid_host "$h"; done
  ip link show "$P-br" >/dev/null 2>&1 || created=1
  for h in "${want[@]}"; do if running "$h"; then say "host $h already running"; else fresh+=("$h"); fi; done
  STARTING=("${fresh[@]}") CREATED=$created
  trap on_exit EXIT
  mkdir -p "$DIR/logs"; chmod 755 "$DIR"
  net_up
  keys
  # NATS first, all nodes before waiting: a node reports healthy only once the cluster has a meta leader.
  for h in "${fresh[@]}"; do if [ -n "$(nats_index "$h")" ]; then start_nats "$h" "$(nats_index "$h")"; fi; done
  for h in "${fresh[@]}"; do if [ -n "$(nats_index "$h")" ]; then wait_for "NATS on host $h" nats_ready "$h"; fi; done
  for h in d b c a; do
    if [[ " ${fresh[*]} " == *" $h "* ]]; then say "starting host $h ($(ip_of "$h"))"; start_services "$h"; fi
  done
  if [[ " ${fresh[*]} " == *" a "* ]] || { [ ${#fresh[@]} -gt 0 ] && running a; }; then wait_for "the gateway's /healthz" gateway_ready; fi
  STARTING=()
  trap - EXIT
  say "up: gateway http://$(ip_of a):$GW_PORT (admin key in $DIR/admin-api-key), NATS_URL=$NATS_URL"
}

STARTING=()
CREATED=0
on_exit() {
  local rc=$?
  [ $rc -eq 0 ] && return 0
  if [ "$CREATED" = 1 ]; then say "start failed: taking the layout down"; down
  else say "start failed: stopping ${STARTING[*]}"; for h in "${STARTING[@]}"; do stop_host "$h"; done; fi
  exit $rc
}

down() {
  trap - EXIT
  for h in "${HOSTS[@]}"; do stop_host "$h"; done
  net_down
  say "down"
}

status() {
  ip link show "$P-br" >/dev/null 2>&1 || { say "down (no bridge $P-br)"; return 0; }
  for h in "${HOSTS[@]}"; do
    local n; n=$(ns "$h")
    if ! ip netns list | grep -q "^$n\b"; then say "host $h: no namespace $n"; continue; fi
    say "host $h: $n $(ip -n "$n" -4 -br addr show eth0 2>/dev/null | awk '{print $3}')"
    local pids; pids=$(pids_of "$h" | tr '\n' ',' | sed 's/,$//')
    [ -n "$pids" ] && ps -o pid=,user=,args= -p "$pids" | cut -c1-150 | sed 's/^/              /' || echo "              (nothing running)"
  done
  if in_ns a true 2>/dev/null; then say "gateway /healthz: $(in_ns a curl --noproxy '*' -sS -m 5 "http://$(ip_of a):$GW_PORT/healthz" 2>&1 || true)"; fi
}

preflight
cmd="${1:-}"; shift || true
case "$cmd" in
  up) up "$@" ;;
  start) [ $# -gt 0 ] || fail "start which host?"; up "$@" ;;
  stop) [ $# -gt 0 ] || fail "stop which host?"; for h in "$@"; do valid_host "$h"; stop_host "$h"; say "host $h stopped"; done ;;
  down) down ;;
  status) status ;;
  *) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
