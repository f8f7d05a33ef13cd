#!/usr/bin/env bash
# Streams benchmark, PetaCore (standalone, and two nodes on one etcd) next to redis-server
# 7.0.15 in the same run: XADD throughput at -c 50 (plain and MAXLEN ~ 1000), XRANGE of 100
# entries at -c 50, XREADGROUP + XACK round trips per second (one consumer, COUNT 1), and
# XADD -> blocked XREAD wake-up latency p50/p99 on one node and across nodes. Medians of
# ROUNDS runs, ratios, CPU per op; writes bench/results/streams-<timestamp>.md (bench/streams.py).
#   bench/streams.sh [ROUNDS (default 3)] [XADD requests per cell (default 20000)]
#                    [XREADGROUP entries (default 2000)] [latency samples (default 500)]
# Binary: $PETACORE_BUILD_DIR/bin/petacore-server (default build/, used as it is: no build).
# Needs redis-server, redis-benchmark and etcd on PATH. Not run by ctest; nothing is asserted
# (the numbers depend on the machine's load).
set -euo pipefail
cd "$(dirname "$0")/.."
export PETACORE_BUILD_DIR=${PETACORE_BUILD_DIR:-build}
exec /usr/bin/python3 bench/streams.py --no-build --rounds "${1:-3}" --requests "${2:-20000}" \
  --readgroup "${3:-2000}" --latency-samples "${4:-500}"
