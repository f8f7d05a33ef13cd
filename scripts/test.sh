#!/usr/bin/env bash
# README command 2: install, build everything and run every test with ctest.
# Tests start their own etcd, Redis and PetaCore processes on free loopback ports.
# Then the MVCC store's tests run once more under ThreadSanitizer (readers racing the writer),
# the whole suite under AddressSanitizer + UndefinedBehaviorSanitizer (integration tests then
# drive the sanitized server), and each libFuzzer target for FUZZ_SECONDS (default 60) from a
# copy of its committed seed corpus. Switches: SKIP_TSAN=1, SKIP_ASAN=1, SKIP_FUZZ=1.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/install-node-clients.sh  # npm clients for tests/clients (pinned lockfile)
BUILD_DIR=build bash scripts/build.sh -DPETACORE_BUILD_TESTS=ON -DPETACORE_BUILD_BENCH=ON
(cd build && ctest --output-on-failure --timeout 900 -j "${CTEST_JOBS:-2}")

if [ "${SKIP_TSAN:-0}" != 1 ]; then
  cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DPETACORE_SANITIZE=thread -DPETACORE_BUILD_BENCH=OFF >/dev/null
  ninja -C build-tsan -j "$(nproc)" mvcc_test
  (cd build-tsan && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -R '^mvcc_test$')
fi

if [ "${SKIP_ASAN:-0}" != 1 ]; then
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DPETACORE_SANITIZE=address,undefined -DPETACORE_BUILD_BENCH=OFF >/dev/null
  ninja -C build-asan -j "$(nproc)"
  # Reports also go to files: a sanitized server that dies under a test that does not notice
  # (it only reads its log) still fails CI.
  reports=$(mktemp -d)
  export ASAN_OPTIONS="log_path=$reports/asan:detect_leaks=1:abort_on_error=1"
  export UBSAN_OPTIONS="log_path=$reports/ubsan:print_stacktrace=1:halt_on_error=1"
  status=0
  (cd build-asan && ctest --output-on-failure --timeout 900 -j "${CTEST_JOBS:-2}") || status=$?
  unset ASAN_OPTIONS UBSAN_OPTIONS
  if compgen -G "$reports/*" >/dev/null; then
    echo "sanitizer reports:" >&2; cat "$reports"/* >&2; status=1
  fi
  rm -rf "$reports"
  [ "$status" = 0 ] || exit "$status"
fi

if [ "${SKIP_FUZZ:-0}" != 1 ]; then
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DPETACORE_FUZZ=ON -DPETACORE_BUILD_BENCH=OFF >/dev/null
  ninja -C build-fuzz -j "$(nproc)" resp_parser_fuzz command_fuzz eval_fuzz
  for target in resp_parser_fuzz command_fuzz eval_fuzz; do
    corpus=$(mktemp -d)
    cp tests/fuzz/corpus/$target/* "$corpus"/
    # Any crash, sanitizer report, leak, timeout (25 s per input) or OOM exits non-zero;
    # the input that caused it is kept as build-fuzz/$target-crash-*.
    build-fuzz/bin/$target -max_total_time="${FUZZ_SECONDS:-60}" -timeout=25 \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="build-fuzz/$target-" "$corpus"
    rm -rf "$corpus"
  done
fi
