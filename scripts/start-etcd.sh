#!/usr/bin/env bash
# Starts one local etcd member (Debian's etcd-server) on loopback, in the background.
#   scripts/start-etcd.sh DATA_DIR CLIENT_PORT PEER_PORT [NAME INITIAL_CLUSTER]
# Prints the etcd pid. Logs go to DATA_DIR/etcd.log (appended, so a restarted member keeps
# its history).
# Alone, it is a one-member cluster. With NAME and INITIAL_CLUSTER
# ("n1=http://127.0.0.1:P1,n2=...", etcd's --initial-cluster) it is one member of a
# multi-member cluster (scripts/cluster.sh starts three); a DATA_DIR that already holds data
# restarts that member (etcd then ignores the initial-cluster flags).
# PETACORE_ETCD_NOWAIT=1: print the pid at once instead of waiting for `endpoint health`
# (the first member of a new cluster is not healthy before a quorum of members is up).
# Settings PetaCore relies on:
#   --auto-compaction-mode periodic --auto-compaction-retention 1h: a backstop only. PetaCore
#     compacts etcd itself (the expiry leader, every etcd-compaction-interval-ms, to just
#     below what every live node still needs: docs/operations.md "etcd compaction and
#     defragmentation"); etcd's own compaction keeps the last hour, for when no PetaCore
#     node runs or `etcd-compaction no` is set. Without any, Debian's etcd keeps every
#     revision until NOSPACE.
#   --snapshot-count 5000: etcd keeps its Raft log in memory from one snapshot to the next
#     (plus 5000 entries after it); with the default 100,000 entries, a group-committed
#     write load holds hundreds of MiB of Raft log in etcd's RSS whatever the compaction
#     (issue 21: 481 MiB after 900,000 SETs). 5000 bounds it to ~10,000 entries.
#   --max-txn-ops 10000 / --max-request-bytes 10 MiB: one Redis command = one Txn, so MSET of
#     many keys or a big EXEC must fit (defaults are 128 ops and 1.5 MiB).
#   --experimental-watch-progress-notify-interval 200ms: idle watchers learn the current
#     revision quickly (the default is 10 minutes).
# ETCD_EXTRA_ARGS (optional, split on spaces) is appended to etcd's flags, e.g.
#   ETCD_EXTRA_ARGS="--quota-backend-bytes=4194304" for the NOSPACE test.
# PETACORE_ETCD_TLS_DIR=DIR (optional) serves clients over TLS with DIR/server.pem and
#   DIR/server-key.pem, requiring client certificates signed by DIR/ca.pem (--client-cert-auth);
#   the health check below then uses DIR/client.pem + DIR/client-key.pem. Peers stay on http.
set -euo pipefail
dir=${1:?data dir}; cport=${2:?client port}; pport=${3:?peer port}
name=${4:-petacore-etcd}
cluster=${5:-"$name=http://127.0.0.1:$pport"}
mkdir -p "$dir"
scheme=http; tls_args=(); ctl_tls=()
if [ -n "${PETACORE_ETCD_TLS_DIR:-}" ]; then
  t=$PETACORE_ETCD_TLS_DIR; scheme=https
  tls_args=(--cert-file "$t/server.pem" --key-file "$t/server-key.pem"
            --trusted-ca-file "$t/ca.pem" --client-cert-auth)
  ctl_tls=(--cacert "$t/ca.pem" --cert "$t/client.pem" --key "$t/client-key.pem")
fi
etcd --name "$name" --data-dir "$dir/data" \
  --listen-client-urls "$scheme://127.0.0.1:$cport" --advertise-client-urls "$scheme://127.0.0.1:$cport" \
  --listen-peer-urls "http://127.0.0.1:$pport" --initial-advertise-peer-urls "http://127.0.0.1:$pport" \
  --initial-cluster "$cluster" --initial-cluster-state new \
  --initial-cluster-token petacore \
  --auto-compaction-mode periodic --auto-compaction-retention 1h \
  --snapshot-count 5000 \
  --max-txn-ops 10000 --max-request-bytes 10485760 \
  --experimental-watch-progress-notify-interval 200ms \
  ${tls_args[@]+"${tls_args[@]}"} ${ETCD_EXTRA_ARGS:-} \
  >>"$dir/etcd.log" 2>&1 &
pid=$!
if [ "${PETACORE_ETCD_NOWAIT:-0}" = 1 ]; then echo "$pid"; exit 0; fi
for _ in $(seq 1 100); do
  if ETCDCTL_API=3 etcdctl --endpoints "127.0.0.1:$cport" ${ctl_tls[@]+"${ctl_tls[@]}"} --dial-timeout 1s endpoint health >/dev/null 2>&1; then
    echo "$pid"; exit 0
  fi
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.2
done
echo "etcd did not start; log:" >&2; tail -20 "$dir/etcd.log" >&2; kill "$pid" 2>/dev/null || true; exit 1
