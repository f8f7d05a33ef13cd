#!/usr/bin/env bash
# Installs every Debian 12 package PetaCore needs to build, run and test.
# Used by both README commands and by .ci/run. Idempotent: apt-get skips what is there.
set -euo pipefail
PKGS=(
  build-essential cmake ninja-build pkg-config git
  libboost-dev libboost-system-dev libboost-program-options-dev
  libgrpc++-dev libabsl-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  libfmt-dev libspdlog-dev googletest libgtest-dev libgmock-dev libbenchmark-dev
  etcd-server etcd-client redis-server redis-tools libhiredis-dev python3 python3-redis python3-celery python3-kombu
  libssl-dev openssl liblua5.1-0-dev lua-cjson-dev lua-bitop-dev libmsgpack-dev libjemalloc-dev
  clang libclang-rt-14-dev
  nodejs
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# npm: Debian ships it as its own package; NodeSource's nodejs package bundles it (and
# conflicts with Debian's npm), so it is installed only when no npm came with nodejs.
if ! command -v npm >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends npm
fi
# Debian's redis-server and etcd-server packages start system services on install;
# PetaCore's scripts start their own on free ports, so stop the system ones if they run.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  $SUDO systemctl stop redis-server etcd 2>/dev/null || true
fi
