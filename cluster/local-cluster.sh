#!/usr/bin/env bash
# A three-node Hubbub cluster on this machine:
#   core   conf/core.json  storage + auth + sensors + audit, hosting the embedded store on 127.0.0.1:27117
#   edge-1 conf/edge.json  gateway + chat on http://localhost:8080
#   edge-2 conf/edge.json  gateway + chat on http://localhost:8081
#
#   cluster/local-cluster.sh         start all three, wait until they are ready, stop them all on Ctrl-C
#   cluster/local-cluster.sh start   start them in the background and return
#   cluster/local-cluster.sh stop    stop the ones started in the background (SIGTERM, then wait)
#   cluster/local-cluster.sh status  what /ready says on each edge
#
# Logs and pids go under target/local-cluster/, data under data/local-cluster/.
# Build the jar first: mvn -B -q -DskipTests package
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
run="$root/target/local-cluster"
ports=(8080 8081)

start_node() { # name conf [VAR=value ...]
  local name="$1" conf="$2"
  shift 2
  mkdir -p "$run"
  (cd "$root" && exec env HUBBUB_NODE_NAME="$name" "$@" "$root/cluster/start-node.sh" "$conf") \
    >"$run/$name.log" 2>&1 &
  echo $! >"$run/$name.pid"
  echo "started $name (pid $(cat "$run/$name.pid"), log $run/$name.log)"
}

wait_ready() {
  for port in "${ports[@]}"; do
    for _ in $(seq 1 120); do
      ready="$(curl -fs "http://localhost:$port/ready" 2>/dev/null || true)"
      total="$(grep -o '"total":[0-9]*' <<<"$ready" | cut -d: -f2 || true)"
      owned="$(grep -o '"owned":[0-9]*' <<<"$ready" | cut -d: -f2 || true)"
      if [ -n "$total" ] && [ "$total" = "$owned" ]; then # ready, and every storage partition has an owner
        echo "ready: http://localhost:$port"
        continue 2
      fi
      sleep 0.5
    done
    echo "edge on port $port did not become ready: see $run/*.log" >&2
    return 1
  done
}

start() {
  if [ ! -f "$root/verticles/target/hubbub.jar" ]; then
    echo "build the jar first: mvn -B -q -DskipTests package" >&2
    exit 1
  fi
  start_node core conf/core.json HUBBUB_DATA_DIR="$root/data/local-cluster"
  start_node edge-1 conf/edge.json HUBBUB_HTTP_PORT="${ports[0]}"
  start_node edge-2 conf/edge.json HUBBUB_HTTP_PORT="${ports[1]}"
  wait_ready
}

stop() {
  local pids=()
  for name in edge-2 edge-1 core; do
    local file="$run/$name.pid"
    if [ -f "$file" ]; then
      local pid
      pid="$(cat "$file")"
      if kill -TERM "$pid" 2>/dev/null; then
        echo "stopping $name (pid $pid)"
        pids+=("$pid")
      fi
      rm -f "$file"
    fi
  done
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
  done
  echo "stopped"
}

status() {
  for port in "${ports[@]}"; do
    echo "edge on $port: $(curl -s "http://localhost:$port/ready" || echo 'not answering')"
  done
}

case "${1:-run}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  run)
    trap 'stop; exit 0' INT TERM
    start
    echo "Ctrl-C stops the cluster"
    while true; do sleep 1; done
    ;;
  *) echo "usage: $0 [run|start|stop|status]" >&2; exit 2 ;;
esac
