#!/usr/bin/env bash
# RESP2 vs RESP3 GET/SET throughput, PetaCore standalone next to redis-server 7.0.15, in the
# same run: redis-benchmark -t get,set -c 50 -n N, with and without -3, ROUNDS rounds
# alternating the servers (A B A B), median ops/s per cell printed as a table.
#   bench/resp3.sh [ROUNDS (default 3)] [N (default 200000)]
# Binary: $PETACORE_SERVER (default build/bin/petacore-server). Needs redis-server and
# redis-benchmark on PATH. Results depend on the machine's load; nothing here is asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
N=${2:-200000}
SERVER=${PETACORE_SERVER:-build/bin/petacore-server}

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

RPORT=$(free_port)
PPORT=$(free_port)
redis-server --port "$RPORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize no \
  >/dev/null 2>&1 &
RPID=$!
"$SERVER" --port "$PPORT" >/dev/null 2>&1 &
PPID_=$!
trap 'kill $RPID $PPID_ 2>/dev/null || true' EXIT
for p in "$RPORT" "$PPORT"; do
  for _ in $(seq 100); do redis-cli -p "$p" PING >/dev/null 2>&1 && break; sleep 0.1; done
done

OUT=$(mktemp)
for round in $(seq "$ROUNDS"); do
  for proto in 2 3; do
    for target in redis:$RPORT petacore:$PPORT; do
      name=${target%%:*}
      port=${target##*:}
      flag=""
      [ "$proto" = 3 ] && flag="-3"
      redis-benchmark -p "$port" -t get,set -c 50 -n "$N" $flag --csv 2>/dev/null |
        tail -n +2 | while IFS=, read -r test rps _; do
          echo "$name RESP$proto ${test//\"/} ${rps//\"/}" >>"$OUT"
        done
    done
  done
done

/usr/bin/python3 - "$OUT" "$ROUNDS" "$N" <<'EOF'
import statistics, sys
cells = {}
for line in open(sys.argv[1]):
    server, proto, test, rps = line.split()
    cells.setdefault((test, proto, server), []).append(float(rps))
print(f"redis-benchmark -c 50 -n {sys.argv[3]}, median of {sys.argv[2]} rounds (ops/s)")
print(f"| test | protocol | redis 7.0.15 | petacore standalone | ratio |")
print(f"|---|---|---:|---:|---:|")
for test in ("SET", "GET"):
    for proto in ("RESP2", "RESP3"):
        r = statistics.median(cells.get((test, proto, "redis"), [0]))
        p = statistics.median(cells.get((test, proto, "petacore"), [0]))
        print(f"| {test} | {proto} | {r:,.0f} | {p:,.0f} | {p / r if r else 0:.2f}x |")
EOF
rm -f "$OUT"
