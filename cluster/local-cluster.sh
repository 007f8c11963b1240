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
# Logs and pids go under target/local-cluster/ (HUBBUB_LOCAL_RUN), data under data/local-cluster/; the edges
# listen on 8080 and 8081 (HUBBUB_LOCAL_PORTS="8080 8081"). Logs are appended to, never truncated. 'start' refuses
# to start over nodes it started that still run, checks that each edge answering is the one it started (the
# node name in /ready), and stops everything again if a node exits; 'stop' says which nodes it could not find.
# Build the jar first: mvn -B -q -DskipTests package
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
run="${HUBBUB_LOCAL_RUN:-$root/target/local-cluster}" # pids and logs
read -r -a ports <<<"${HUBBUB_LOCAL_PORTS:-8080 8081}" # the edges' HTTP ports

nodes=(core edge-1 edge-2)

# the pid a node was started with, if that process still runs
live_pid() { # name
  local file="$run/$1.pid" pid
  [ -f "$file" ] || return 1
  pid="$(cat "$file")"
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

start_node() { # name conf [VAR=value ...]
  local name="$1" conf="$2"
  shift 2
  mkdir -p "$run"
  echo "=== $(date -u +%FT%TZ) starting $name" >>"$run/$name.log" # logs are appended: an earlier run's lines (and its admin password line) stay
  (cd "$root" && exec env HUBBUB_NODE_NAME="$name" "$@" "$root/cluster/start-node.sh" "$conf") \
    >>"$run/$name.log" 2>&1 &
  echo $! >"$run/$name.pid"
  echo "started $name (pid $(cat "$run/$name.pid"), log $run/$name.log)"
}

# fails when a node this script started has exited: its log says why
check_alive() {
  for name in "${nodes[@]}"; do
    if ! live_pid "$name" >/dev/null; then
      echo "$name exited: the end of $run/$name.log says why:" >&2
      tail -n 5 "$run/$name.log" >&2
      return 1
    fi
  done
}

wait_ready() {
  local i=0
  for port in "${ports[@]}"; do
    i=$((i + 1))
    for _ in $(seq 1 120); do
      check_alive || return 1
      ready="$(curl -fs "http://localhost:$port/ready" 2>/dev/null || true)"
      node="$(grep -o '"node":"[^"]*"' <<<"$ready" | head -n 1 | cut -d'"' -f4 || true)" # the answering node's own name comes first
      if [ -n "$node" ] && [ "$node" != "edge-$i" ]; then # some other process answers on our port
        echo "port $port answers as node '$node', not the edge-$i this script started: is another cluster running?" >&2
        return 1
      fi
      total="$(grep -o '"total":[0-9]*' <<<"$ready" | cut -d: -f2 || true)"
      owned="$(grep -o '"owned":[0-9]*' <<<"$ready" | cut -d: -f2 || true)"
      if [ -n "$total" ] && [ "$total" = "$owned" ]; then # ready, and every storage partition has an owner
        echo "ready: http://localhost:$port (edge-$i)"
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
  for name in "${nodes[@]}"; do
    if pid="$(live_pid "$name")"; then
      echo "$name is already running (pid $pid): '$0 stop' first" >&2
      exit 1
    fi
  done
  start_node core conf/core.json HUBBUB_DATA_DIR="$root/data/local-cluster"
  start_node edge-1 conf/edge.json HUBBUB_HTTP_PORT="${ports[0]}"
  start_node edge-2 conf/edge.json HUBBUB_HTTP_PORT="${ports[1]}"
  if ! wait_ready; then
    echo "not started: stopping what did start" >&2
    stop >&2
    exit 1
  fi
}

stop() {
  local pids=() missing=0
  for name in edge-2 edge-1 core; do
    local file="$run/$name.pid"
    if [ ! -f "$file" ]; then
      echo "$name: no pid file, not started by this script"
      missing=1
      continue
    fi
    local pid
    pid="$(cat "$file")"
    if kill -TERM "$pid" 2>/dev/null; then
      echo "stopping $name (pid $pid)"
      pids+=("$pid")
    else
      echo "$name: not running (no process $pid)"
      missing=1
    fi
    rm -f "$file"
  done
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
  done
  if [ "$missing" = 1 ]; then
    echo "stopped ${#pids[@]} of ${#nodes[@]} nodes"
    return 1
  else
    echo "stopped"
  fi
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
