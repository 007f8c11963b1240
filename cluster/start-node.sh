#!/usr/bin/env bash
# Starts one Hubbub node in the foreground with the conf file given (e.g. conf/edge.json).
# The node joins the cluster named in its conf over Hazelcast's TCP/IP join:
#   HUBBUB_CLUSTER_HOST     this node's address (default from the conf, 127.0.0.1)
#   HUBBUB_CLUSTER_MEMBERS  the nodes to join, comma-separated (default from the conf)
#   HUBBUB_HTTP_PORT, HUBBUB_MONGO_URI, HUBBUB_DATA_DIR, HUBBUB_NODE_NAME: as for any node
#   HUBBUB_JAVA_OPTS        extra JVM options (e.g. -Xmx512m)
# SIGTERM or Ctrl-C stops it gracefully. Build the jar first: mvn -B -q -DskipTests package
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 CONF   (e.g. $0 conf/edge.json)" >&2
  exit 2
fi
root="$(cd "$(dirname "$0")/.." && pwd)"
jar="$root/verticles/target/hubbub.jar"
if [ ! -f "$jar" ]; then
  echo "$0: $jar is missing: build it first with 'mvn -B -q -DskipTests package'" >&2
  exit 1
fi
export HUBBUB_CONF="$1"
# shellcheck disable=SC2086 # HUBBUB_JAVA_OPTS holds several options
exec java ${HUBBUB_JAVA_OPTS:-} -jar "$jar"
