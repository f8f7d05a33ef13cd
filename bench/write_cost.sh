#!/usr/bin/env bash
# Issue 18's write cost: etcd CPU and PetaCore CPU per acknowledged write (SET, INCR, HSET,
# LPUSH, MSET of 10 keys at -c 50; SET -c 1 p50), next to redis-server 7.0.15 and to
# bench/etcd_put's blocking Puts on the same etcd, in one run; medians of ROUNDS rounds;
# writes bench/results/write_cost-<timestamp>.md/.csv (bench/write_cost.py).
#   bench/write_cost.sh [ROUNDS (default 3)] [writes per -c 50 cell (default 100000)] [label]
# Binaries: $PETACORE_BUILD_DIR/bin/{petacore-server,etcd_put} (default build/, used as they
# are: no build). Not run by ctest; nothing is asserted (the numbers depend on the load).
set -euo pipefail
cd "$(dirname "$0")/.."
export PETACORE_BUILD_DIR=${PETACORE_BUILD_DIR:-build}
exec /usr/bin/python3 bench/write_cost.py --no-build --rounds "${1:-3}" \
  --requests "${2:-100000}" --label "${3:-}"
