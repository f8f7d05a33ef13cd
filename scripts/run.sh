#!/usr/bin/env bash
# README command 1: install, build, start a local etcd and one PetaCore node on port 6379.
# Ctrl-C stops both. PORT / ETCD_PORT override the ports.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
BUILD_DIR=build bash scripts/build.sh -DPETACORE_BUILD_TESTS=OFF -DPETACORE_BUILD_BENCH=OFF
port=${PORT:-6379}; eport=${ETCD_PORT:-2379}; pport=$((eport + 1))
data=${ETCD_DATA:-$PWD/.etcd-data}
etcd_pid=$(bash scripts/start-etcd.sh "$data" "$eport" "$pport")
trap 'kill "$etcd_pid" 2>/dev/null; wait "$etcd_pid" 2>/dev/null' EXIT INT TERM
echo "etcd on 127.0.0.1:$eport (data in $data); PetaCore on 127.0.0.1:$port — try: redis-cli -p $port set k v"
build/bin/petacore-server --port "$port" --etcd-endpoints "127.0.0.1:$eport" \
  --etcd-max-txn-ops 10000 --etcd-max-request-bytes 10485760
