#!/usr/bin/env bash
# README command 2: install, build everything and run every test with ctest.
# Tests start their own etcd, Redis and PetaCore processes on free loopback ports.
# Then the MVCC store's tests run once more under ThreadSanitizer (readers racing the writer).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
BUILD_DIR=build bash scripts/build.sh -DPETACORE_BUILD_TESTS=ON -DPETACORE_BUILD_BENCH=ON
(cd build && ctest --output-on-failure --timeout 900 -j "${CTEST_JOBS:-2}")

if [ "${SKIP_TSAN:-0}" != 1 ]; then
  cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DPETACORE_SANITIZE=thread -DPETACORE_BUILD_BENCH=OFF >/dev/null
  ninja -C build-tsan -j "$(nproc)" mvcc_test
  (cd build-tsan && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -R '^mvcc_test$')
fi
