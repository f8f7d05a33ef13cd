#!/usr/bin/env python3
"""bench/commands: the data commands of issue 16 (bitmaps, HyperLogLog, geo, SORT,
ZRANDMEMBER), PetaCore standalone and replicated (one node on its own etcd) next to
redis-server 7.0 in the same run.

Every workload is `redis-benchmark -c 50 -n N -r 1000000 CMD` (__rand_int__ in CMD is replaced
by a random number below 1,000,000), on data loaded first, the same on every target:
- SETBIT and GETBIT of bit 777 of random keys bench:bits:<n> (redis-benchmark pads __rand_int__
  with zeros, which a bit offset may not have), BITCOUNT of bench:bits, a 125,000-byte bitmap
  (SETBIT bench:bits 999999 1);
- bench:hll: PFADD of random elements, PFCOUNT (after 100,000 distinct adds: dense);
- bench:geo, 10,000 points around (13.4, 38.1): GEOADD of random points, GEOSEARCH FROMLONLAT
  BYRADIUS 50 km COUNT 10 ASC;
- bench:list, 100 random integers: SORT (numeric, the whole list);
- bench:zset, 1,000 members: ZRANDMEMBER 10 WITHSCORES.

Each cell is the median of ROUNDS runs (targets alternating within a round); ratio is
PetaCore / Redis; CPU us/op is the server processes' CPU time (user + system, /proc; replicated:
the node + etcd) divided by the operations. Writes bench/results/commands-<timestamp>.md.
Nothing is asserted; numbers depend on the machine's load. Not run by ctest.

Usage: bench/commands.py [--rounds 3] [--requests 20000] [--only SETBIT,GETBIT] [--no-build]
"""
import argparse
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from benchlib import benchmark_cell, fmt  # noqa: E402

WORKLOADS = {
    "SETBIT": ("SETBIT", "bench:bits:__rand_int__", "777", "1"),
    "GETBIT": ("GETBIT", "bench:bits:__rand_int__", "777"),
    "BITCOUNT (125 KB)": ("BITCOUNT", "bench:bits"),
    "PFADD": ("PFADD", "bench:hll", "e:__rand_int__"),
    "PFCOUNT (dense)": ("PFCOUNT", "bench:hll"),
    "GEOADD": ("GEOADD", "bench:geo:add", "13.__rand_int__", "38.__rand_int__", "m:__rand_int__"),
    "GEOSEARCH 50 km COUNT 10": ("GEOSEARCH", "bench:geo", "FROMLONLAT", "13.4", "38.1",
                                 "BYRADIUS", "50", "km", "COUNT", "10", "ASC"),
    "SORT of 100": ("SORT", "bench:list"),
    "ZRANDMEMBER 10 WITHSCORES": ("ZRANDMEMBER", "bench:zset", "10", "WITHSCORES"),
}


def load(port):
    """The same data on every target (a fixed seed)."""
    import redis
    rnd = random.Random(16)
    c = redis.Redis(host="127.0.0.1", port=port, socket_timeout=120)
    c.flushall()
    c.setbit("bench:bits", 999999, 1)
    for start in range(0, 100000, 5000):
        c.pfadd("bench:hll", *[f"x:{i}" for i in range(start, start + 5000)])
    for start in range(0, 10000, 1000):
        pts = []
        for i in range(start, start + 1000):
            pts += [13.4 + rnd.uniform(-1, 1), 38.1 + rnd.uniform(-1, 1), f"p:{i}"]
        c.geoadd("bench:geo", pts)
    c.rpush("bench:list", *[rnd.randrange(1000000) for _ in range(100)])
    c.zadd("bench:zset", {f"z:{i}": rnd.random() for i in range(1000)})
    c.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--requests", type=int, default=20000)
    p.add_argument("--only", default="", help="comma-separated workload names (default: all)")
    benchlib.add_build_args(p)
    args = p.parse_args()
    workloads = {k: v for k, v in WORKLOADS.items()
                 if not args.only or k in args.only.split(",")}
    benchlib.ensure_binaries(["petacore-server"], no_build=args.no_build)
    h = benchlib.harness()
    targets = benchlib.Targets(h, ["redis", "standalone", "replicated"])
    cells = {}
    try:
        pids = {name: [pid] for name, _, pid in targets.list}
        if targets.etcd is not None:
            pids["petacore-replicated"].append(targets.etcd.pid)
        for name, port in targets.ports():
            load(port)
        for rnd in range(args.rounds):
            print(f"round {rnd + 1}/{args.rounds}", flush=True)
            for label, cmd in workloads.items():
                for name, port in targets.ports():
                    cells.setdefault((label, name), []).append(benchmark_cell(
                        port, pids[name], 50, args.requests, *cmd,
                        options=("-r", "1000000")))
    finally:
        targets.close()

    med = benchlib.median
    md = [f"# Issue 16's data commands: PetaCore vs Redis ({benchlib.stamp()})", "",
          benchlib.machine(), "",
          f"Median of {args.rounds} rounds, redis-benchmark -c 50 -n {args.requests} -r 1000000. "
          "Replicated: one node on its own etcd. CPU: server processes (replicated: node + "
          "etcd).", "",
          "| workload | redis ops/s | standalone ops/s | replicated ops/s | standalone / redis "
          "| replicated / redis | redis CPU us/op | standalone CPU us/op | replicated CPU us/op |",
          "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    csv_rows = []
    r, s, q = "redis", "petacore-standalone", "petacore-replicated"
    for label in workloads:
        rate = {n: med([x[0] for x in cells.get((label, n), [])]) for n in (r, s, q)}
        cpu = {n: med([x[1] for x in cells.get((label, n), [])]) for n in (r, s, q)}
        md.append(f"| {label} | {fmt(rate[r])} | {fmt(rate[s])} | {fmt(rate[q])} | "
                  f"{benchlib.fmt_ratio(rate[s], rate[r])} | "
                  f"{benchlib.fmt_ratio(rate[q], rate[r])} | {fmt(cpu[r], '.1f')} | "
                  f"{fmt(cpu[s], '.1f')} | {fmt(cpu[q], '.1f')} |")
        csv_rows.append([label, rate[r], rate[s], rate[q]])

    benchlib.write_results("commands", "\n".join(md), csv_rows,
                           ["workload", "redis", "standalone", "replicated"])


if __name__ == "__main__":
    main()
