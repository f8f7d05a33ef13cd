#!/usr/bin/env bash
# Configures and builds PetaCore (Release, Ninja) into build/ (or $BUILD_DIR).
#   scripts/build.sh [extra cmake -D options...]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
ninja -C "$build" -j "${JOBS:-$(nproc)}"
