#!/usr/bin/env bash
# README command 2: install, build everything and run every test with ctest.
# Tests start their own etcd, Redis and PetaCore processes on free loopback ports.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
BUILD_DIR=build bash scripts/build.sh -DPETACORE_BUILD_TESTS=ON -DPETACORE_BUILD_BENCH=ON
cd build
ctest --output-on-failure --timeout 900 -j "${CTEST_JOBS:-2}"
