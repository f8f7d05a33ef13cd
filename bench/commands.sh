#!/usr/bin/env bash
# Issue 16's data commands (SETBIT, GETBIT, BITCOUNT, PFADD, PFCOUNT, GEOADD, GEOSEARCH, SORT of
# 100, ZRANDMEMBER), PetaCore standalone and replicated next to redis-server 7.0.15 in the
# same run, redis-benchmark -c 50; medians of ROUNDS runs, ratios, CPU per op; writes
# bench/results/commands-<timestamp>.md (bench/commands.py).
#   bench/commands.sh [ROUNDS (default 3)] [requests per cell (default 20000)]
# Binary: $PETACORE_BUILD_DIR/bin/petacore-server (default build/, used as it is: no build).
# Not run by ctest; nothing is asserted (the numbers depend on the machine's load).
set -euo pipefail
cd "$(dirname "$0")/.."
export PETACORE_BUILD_DIR=${PETACORE_BUILD_DIR:-build}
exec /usr/bin/python3 bench/commands.py --no-build --rounds "${1:-3}" --requests "${2:-20000}"
