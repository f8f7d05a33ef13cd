#!/usr/bin/env bash
# A local PetaCore cluster for tests and demos: a 3-member etcd cluster and N PetaCore nodes,
# all on free loopback ports, with the faults to inject into them.
#   scripts/cluster.sh up [N]          start 3 etcd members (scripts/start-etcd.sh) and N nodes
#                                      (default 3); prints the state
#   scripts/cluster.sh status          each process: name, pid, port, state (up/stopped/down)
#   scripts/cluster.sh kill NAME [SIG] send SIG (default KILL) to NAME (etcd1.. / node1.. / pid)
#   scripts/cluster.sh stop NAME       SIGSTOP (freeze)      scripts/cluster.sh cont NAME  SIGCONT
#   scripts/cluster.sh restart NAME    start a killed member or node again (same ports, same data)
#   scripts/cluster.sh down            kill everything and remove the state dir
# State: $PETACORE_CLUSTER_DIR (default /tmp/petacore-cluster): one line per process in `state`
# ("name pid port peer_port"), etcd data dirs and every log (etcdN/etcd.log, nodeN.log).
# The binary: $PETACORE_SERVER (default build/bin/petacore-server).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${PETACORE_CLUSTER_DIR:-/tmp/petacore-cluster}
server=${PETACORE_SERVER:-$root/build/bin/petacore-server}
state=$dir/state

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
line() { awk -v n="$1" '$1==n' "$state"; }
field() { line "$1" | awk -v f="$2" '{print $f}'; }
set_pid() { awk -v n="$1" -v p="$2" '$1==n{$2=p}1' "$state" >"$state.tmp" && mv "$state.tmp" "$state"; }
endpoints() { awk '$1 ~ /^etcd/ {printf "%s127.0.0.1:%s", (n++ ? "," : ""), $3}' "$state"; }
initial_cluster() { awk '$1 ~ /^etcd/ {printf "%s%s=http://127.0.0.1:%s", (n++ ? "," : ""), $1, $4}' "$state"; }

start_member() {  # name [nowait]
  local port peer
  port=$(field "$1" 3); peer=$(field "$1" 4)
  set_pid "$1" "$(PETACORE_ETCD_NOWAIT=${2:-0} bash "$root/scripts/start-etcd.sh" "$dir/$1" \
    "$port" "$peer" "$1" "$(initial_cluster)")"
}

start_node() {  # name
  local port pid
  port=$(field "$1" 3)
  nohup "$server" --port "$port" --etcd-endpoints "$(endpoints)" --etcd-max-txn-ops 10000 \
    --etcd-max-request-bytes 10485760 ${PETACORE_NODE_ARGS:-} >>"$dir/$1.log" 2>&1 </dev/null &
  pid=$!
  set_pid "$1" "$pid"
  for _ in $(seq 1 200); do
    redis-cli -p "$port" ping >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "$1 did not start; log:" >&2; tail -20 "$dir/$1.log" >&2; return 1
}

resolve() {  # NAME or pid -> name
  if [ -f "$state" ] && [ -n "$(line "$1")" ]; then echo "$1"; return; fi
  local n; n=$(awk -v p="$1" '$2==p {print $1}' "$state" 2>/dev/null)
  [ -n "$n" ] || { echo "unknown process: $1" >&2; exit 2; }
  echo "$n"
}

status() {
  printf '%-7s %-8s %-6s %s\n' NAME PID PORT STATE
  while read -r name pid port _; do
    local st=down
    if [ "$pid" != - ] && kill -0 "$pid" 2>/dev/null; then
      st=up; [ "$(ps -o stat= -p "$pid" | cut -c1)" = T ] && st=stopped
    fi
    printf '%-7s %-8s %-6s %s\n' "$name" "$pid" "$port" "$st"
  done <"$state"
  echo "etcd endpoints: $(endpoints)"
}

cmd=${1:-status}; shift || true
case $cmd in
  up)
    n=${1:-3}
    [ -f "$state" ] && { echo "$state exists: run '$0 down' first" >&2; exit 1; }
    mkdir -p "$dir"; : >"$state"
    for i in 1 2 3; do echo "etcd$i - $(free_port) $(free_port)" >>"$state"; done
    for i in $(seq 1 "$n"); do echo "node$i - $(free_port) -" >>"$state"; done
    # The first member alone has no quorum: start all three, then wait for the cluster.
    for i in 1 2 3; do start_member "etcd$i" 1; done
    for _ in $(seq 1 150); do
      ETCDCTL_API=3 etcdctl --endpoints "$(endpoints)" --dial-timeout 1s endpoint health \
        >/dev/null 2>&1 && break
      sleep 0.2
    done
    ETCDCTL_API=3 etcdctl --endpoints "$(endpoints)" endpoint health >/dev/null 2>&1 || { echo "etcd cluster not healthy" >&2; exit 1; }
    for i in $(seq 1 "$n"); do start_node "node$i"; done
    status ;;
  status) status ;;
  kill|stop|cont)
    name=$(resolve "${1:?name or pid}")
    sig=${2:-KILL}; [ "$cmd" = stop ] && sig=STOP; [ "$cmd" = cont ] && sig=CONT
    pid=$(field "$name" 2)
    kill -s "$sig" "$pid"
    if [ "$sig" = KILL ]; then
      while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
      set_pid "$name" -
    fi
    echo "$name ($pid): SIG$sig" ;;
  restart)
    name=$(resolve "${1:?name or pid}")
    pid=$(field "$name" 2)
    if [ "$pid" != - ] && kill -0 "$pid" 2>/dev/null; then
      kill -s KILL "$pid"; while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
    fi
    case $name in etcd*) start_member "$name" ;; *) start_node "$name" ;; esac
    echo "$name restarted: pid $(field "$name" 2)" ;;
  down)
    if [ -f "$state" ]; then
      while read -r name pid _; do
        [ "$pid" = - ] && continue
        kill -s CONT "$pid" 2>/dev/null || true
        kill -s KILL "$pid" 2>/dev/null || true
      done <"$state"
      # SIGKILL is asynchronous: wait (bounded) until each process is gone or a zombie, so
      # that `down` returning means nothing of the cluster runs any more.
      while read -r name pid _; do
        [ "$pid" = - ] && continue
        for _ in $(seq 1 100); do
          # /proc files report size 0, so read it: a zombie's command line is empty.
          [ -n "$(tr -d '\0' <"/proc/$pid/cmdline" 2>/dev/null)" ] || break
          sleep 0.1
        done
      done <"$state"
    fi
    rm -rf "$dir" ;;
  *) sed -n '2,14p' "$0"; exit 2 ;;
esac
