#!/usr/bin/env bash
# Installs the Node.js Redis clients the client scenarios use (tests/clients/: node-redis 5,
# node-redis 4 as the npm alias `redis4`, ioredis), exactly as pinned by the committed
# tests/clients/package-lock.json, into tests/clients/node_modules (ignored by git).
# Needs node and npm (scripts/install-deps.sh) and the npm registry. Idempotent: does nothing
# when node_modules was installed from the same lockfile (a stamp holds its sha256).
set -euo pipefail
cd "$(dirname "$0")/../tests/clients"
stamp=node_modules/.petacore-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
echo "$want" > "$stamp"
