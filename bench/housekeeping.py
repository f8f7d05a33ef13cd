"""bench/housekeeping: issue 21's table — whether etcd's and PetaCore's memory follow the data
or the write history under a sustained overwrite load.

One etcd member started as scripts/start-etcd.sh does, one replicated PetaCore node on it (its
own etcd compaction and defragmentation on, the defaults), and a real redis-server 7.0 beside
it. The load is `redis-benchmark -t set -c 50 -r 20000 -d 100` (20,000 live keys, about 2 MB of
data), played in chunks of --chunk SETs on PetaCore and on Redis, until --total SETs. After each
chunk (and a settle of --settle seconds, so a compaction round can pass) one row: etcd's
revision and the last compaction PetaCore made, etcd's dbSize and dbSizeInUse (etcdctl
endpoint status), etcd's and PetaCore's RSS (/proc), PetaCore's used_memory and mvcc_versions,
Redis's used_memory and RSS on the same key space, the chunk's SET rate on PetaCore, and the
allocator purges so far (server/allocator_trim.h, every --allocator-trim-ms; off by default,
as on the server: the jemalloc build returns free pages by itself; with a glibc build, pass
--allocator-trim-ms 10000 --settle 11 so one trim passes before each row). The header says
which allocator the node runs (INFO mem_allocator).

Writes bench/results/housekeeping-<timestamp>.md. Nothing is asserted; the sizes do not depend
on the machine's load, the rates do. Not run by ctest.

Usage: bench/housekeeping.py [--total 3000000] [--chunk 500000] [--settle 5] [--no-build]
"""
import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from benchlib import human_bytes, info_field, rss_bytes  # noqa: E402


def etcd_status(endpoint):
    out = subprocess.run(["etcdctl", "--endpoints", endpoint, "endpoint", "status", "-w", "json"],
                         env=dict(os.environ, ETCDCTL_API="3"), capture_output=True, check=True,
                         timeout=60).stdout
    return json.loads(out)[0]["Status"]


def set_chunk(port, n):
    """n SETs as the issue's load; returns the seconds they took."""
    start = time.monotonic()
    subprocess.run(["redis-benchmark", "-p", str(port), "-t", "set", "-n", str(n), "-r", "20000",
                    "-d", "100", "-c", "50", "-q"], check=True, capture_output=True, timeout=3600)
    return time.monotonic() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--total", type=int, default=3_000_000)
    parser.add_argument("--chunk", type=int, default=500_000)
    parser.add_argument("--settle", type=float, default=5.0)
    parser.add_argument("--allocator-trim-ms", type=int, default=0,
                        help="CONFIG SET allocator-trim-interval-ms on the node (0 = off)")
    benchlib.add_build_args(parser)
    args = parser.parse_args()
    benchlib.ensure_binaries(["petacore-server"], args.no_build)
    h = benchlib.harness()
    header = benchlib.machine()
    targets = benchlib.Targets(h, ["redis", "replicated"])
    try:
        etcd = targets.etcd
        ports = dict(targets.ports())
        pids = {name: pid for name, _, pid in targets.list}
        node_port, redis_port = ports["petacore-replicated"], ports["redis"]
        subprocess.run(["redis-cli", "-p", str(node_port), "CONFIG", "SET",
                        "allocator-trim-interval-ms", str(args.allocator_trim_ms)],
                       check=True, capture_output=True, timeout=60)
        allocator = info_field(node_port, "memory", "mem_allocator")
        rows = []
        done = 0
        while done < args.total:
            n = min(args.chunk, args.total - done)
            seconds = set_chunk(node_port, n)
            set_chunk(redis_port, n)
            done += n
            time.sleep(args.settle)
            st = etcd_status(etcd.endpoint)
            row = {
                "sets": done,
                "revision": int(st["header"]["revision"]),
                "compacted": int(info_field(node_port, "petacore",
                                            "etcd_last_compaction_revision") or 0),
                "db": int(st["dbSize"]),
                "in_use": int(st.get("dbSizeInUse", 0)),
                "etcd_rss": rss_bytes(etcd.pid),
                "pc_rss": rss_bytes(pids["petacore-replicated"]),
                "pc_used": int(info_field(node_port, "memory", "used_memory")),
                "versions": int(info_field(node_port, "memory", "mvcc_versions") or 0),
                "redis_used": int(info_field(redis_port, "memory", "used_memory")),
                "redis_rss": rss_bytes(pids["redis"]),
                "rate": n / seconds,
                "trims": int(info_field(node_port, "petacore", "allocator_trims") or 0),
                "trim_max_us": int(info_field(node_port, "petacore", "allocator_trim_max_us")
                                   or 0),
            }
            rows.append(row)
            print(row, flush=True)
    finally:
        targets.close()
    lines = [
        "# etcd housekeeping under a sustained overwrite load (issue 21)", "",
        header, "",
        "`bench/housekeeping.py --total {} --chunk {}`: `redis-benchmark -t set -c 50 -r 20000 "
        "-d 100` (20,000 live keys) in chunks, on one replicated PetaCore node (one etcd member "
        "as scripts/start-etcd.sh starts it; PetaCore's etcd compaction and defragmentation at "
        "their defaults; allocator {}, allocator-trim-interval-ms {}) and on redis-server "
        "beside it.".format(args.total, args.chunk, allocator, args.allocator_trim_ms), "",
        "| SETs | etcd revision | compacted to | etcd db size | db size in use | etcd RSS | "
        "PetaCore RSS | PetaCore used_memory | mvcc versions | Redis used_memory | Redis RSS | "
        "PetaCore SET/s | allocator purges (longest, µs) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    csv_rows = []
    for r in rows:
        lines.append(
            f"| {r['sets']:,} | {r['revision']:,} | {r['compacted']:,} | {human_bytes(r['db'])} | "
            f"{human_bytes(r['in_use'])} | {human_bytes(r['etcd_rss'])} | "
            f"{human_bytes(r['pc_rss'])} | {human_bytes(r['pc_used'])} | {r['versions']:,} | "
            f"{human_bytes(r['redis_used'])} | {human_bytes(r['redis_rss'])} | "
            f"{r['rate']:,.0f} | {r['trims']} ({r['trim_max_us']:,}) |")
        csv_rows.append([r[k] for k in ("sets", "revision", "compacted", "db", "in_use",
                                        "etcd_rss", "pc_rss", "pc_used", "versions",
                                        "redis_used", "redis_rss", "rate", "trims",
                                        "trim_max_us")])
    benchlib.write_results("housekeeping", "\n".join(lines), csv_rows,
                           ["sets", "revision", "compacted", "db_size", "db_size_in_use",
                            "etcd_rss", "petacore_rss", "petacore_used_memory", "mvcc_versions",
                            "redis_used_memory", "redis_rss", "petacore_sets_per_s",
                            "allocator_trims", "allocator_trim_max_us"])


if __name__ == "__main__":
    main()
