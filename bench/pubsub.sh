#!/usr/bin/env bash
# Pub/sub benchmark, PetaCore (2 nodes on one etcd) next to redis-server 7.0.15 in the same
# run: PUBLISH throughput with 1 and 50 publishers x 1 and 100 subscribers, publish->deliver
# latency p50/p99 on the same node and across nodes, SET throughput with
# notify-keyspace-events "" vs "KEA" (one psubscriber). Medians of ROUNDS runs, ratios, CPU
# per op; prints a table and writes bench/results/pubsub-<timestamp>.md (bench/pubsub.py).
#   bench/pubsub.sh [ROUNDS (default 3)] [PUBLISHES per cell (default 20000)]
# Binary: $PETACORE_BUILD_DIR/bin/petacore-server (default build/, used as it is: no build).
# Needs redis-server, redis-benchmark, redis-cli and etcd on PATH. Not run by ctest; nothing
# is asserted (the numbers depend on the machine's load).
set -euo pipefail
cd "$(dirname "$0")/.."
export PETACORE_BUILD_DIR=${PETACORE_BUILD_DIR:-build}
exec /usr/bin/python3 bench/pubsub.py --no-build --rounds "${1:-3}" --publishes "${2:-20000}"
