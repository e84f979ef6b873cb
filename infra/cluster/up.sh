#!/usr/bin/env bash
# Starts Glimpse's three-node NATS JetStream cluster on this machine (nats-node.conf, one process per
# node), for trying the cluster out; production runs one node per host with the same file.
# Clients: NATS_URL=nats://127.0.0.1:4222,nats://127.0.0.1:4223,nats://127.0.0.1:4224 npm start
# Env: BASE_PORT (4222: clients 4222-4224, routes +2000, monitoring +4000), DATA (./data/nats-cluster).
# Stops every node on Ctrl-C.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
base="${BASE_PORT:-4222}"
data="${DATA:-$here/../../data/nats-cluster}"
bin="${NATS_SERVER_BIN:-nats-server}"
command -v "$bin" >/dev/null || { echo "nats-server not found (Debian: apt-get install nats-server)" >&2; exit 1; }

pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait' EXIT INT TERM
for i in 0 1 2; do
  routes=()
  for j in 0 1 2; do [ "$j" != "$i" ] && routes+=("nats-route://127.0.0.1:$((base + 2000 + j))"); done
  mkdir -p "$data/nats-$((i + 1))"
  NODE_NAME="nats-$((i + 1))" HOST=127.0.0.1 CLIENT_PORT=$((base + i)) CLUSTER_PORT=$((base + 2000 + i)) \
    MONITOR_PORT=$((base + 4000 + i)) STORE_DIR="$data/nats-$((i + 1))" ROUTE_A="${routes[0]}" ROUTE_B="${routes[1]}" \
    "$bin" -c "$here/nats-node.conf" &
  pids+=($!)
done
echo "cluster  | nats-1..3 on 127.0.0.1:$base-$((base + 2)); NATS_URL=nats://127.0.0.1:$base,nats://127.0.0.1:$((base + 1)),nats://127.0.0.1:$((base + 2))"
wait
