#!/usr/bin/env bash
# Scripting benchmark, PetaCore (standalone, and two nodes on one etcd) next to
# redis-server 7.0.15 in the same run: EVALSHA of a read-only and of a read-modify-write
# script at -c 1 and -c 50, and BullMQ jobs/s (tests/clients/bullmq.mjs; needs
# scripts/install-node-clients.sh). Medians of ROUNDS runs, ratios, CPU per op; writes
# bench/results/scripting-<timestamp>.md (bench/scripting.py).
#   bench/scripting.sh [ROUNDS (default 3)] [EVALSHA requests per cell (default 20000)] [JOBS (default 2000)]
# Binary: $PETACORE_BUILD_DIR/bin/petacore-server (default build/, used as it is: no build).
# Not run by ctest; nothing is asserted (the numbers depend on the machine's load).
set -euo pipefail
cd "$(dirname "$0")/.."
export PETACORE_BUILD_DIR=${PETACORE_BUILD_DIR:-build}
exec /usr/bin/python3 bench/scripting.py --no-build --rounds "${1:-3}" --requests "${2:-20000}" --jobs "${3:-2000}"
