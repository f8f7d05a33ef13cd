#!/usr/bin/env python3
"""bench/scripting: EVALSHA and BullMQ, PetaCore (standalone, and replicated through etcd)
next to redis-server 7.0 in the same run.

- EVALSHA of a read-only script (`return redis.call('GET', KEYS[1])`) and of a small
  read-modify-write script (GET, then SET of the value + 1) on random keys
  (redis-benchmark -r 100000 `key:__rand_int__`), at -c 1 and -c 50.
- BullMQ: tests/clients/bullmq.mjs with JOBS jobs (producer and two workers; PetaCore
  replicated: producer and one worker on node A, one worker on node B; standalone and Redis:
  everything on the one server); jobs/s from the producer's first add to the last
  completion.

Every cell is the median of ROUNDS runs (targets alternating within a round); ratio is
PetaCore / Redis. CPU us/op is the CPU time (user + system, /proc) of the server processes
during the cell (PetaCore replicated: the nodes and etcd) divided by the operations. Prints a
Markdown table and writes bench/results/scripting-<timestamp>.md. Nothing is asserted.

Usage: bench/scripting.py [--rounds 3] [--requests 20000] [--jobs 2000] [--no-build]
"""
import argparse
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from benchlib import benchmark_cell, cpu_seconds, fmt  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPTS = {
    "read-only": "return redis.call('GET', KEYS[1])",
    "read-modify-write": "local v = tonumber(redis.call('GET', KEYS[1]) or '0') "
                         "redis.call('SET', KEYS[1], v + 1) return v + 1",
}




def cli(port, *args):
    return subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True,
                          text=True, timeout=60, check=True).stdout.strip()


def evalsha_cell(port, pids, sha, clients, n):
    """(ops/s, CPU us/op) of redis-benchmark EVALSHA sha 1 key:__rand_int__."""
    return benchmark_cell(port, pids, clients, n, "EVALSHA", sha, "1", "key:__rand_int__",
                          options=("-r", "100000"))


def bullmq_cell(endpoints, pids, jobs):
    """(jobs/s, CPU us/job) of one bullmq.mjs run, or (None, None) if it failed."""
    cpu0 = cpu_seconds(pids)
    out = subprocess.run(["node", "bullmq.mjs", *endpoints, str(jobs)],
                         cwd=os.path.join(ROOT, "tests", "clients"), capture_output=True,
                         text=True, timeout=600)
    cpu1 = cpu_seconds(pids)
    m = re.search(r"= (\d+) jobs/s", out.stderr)
    if out.returncode != 0 or not m:
        print(f"bullmq run failed on {endpoints}: {out.stderr[-2000:]}", file=sys.stderr)
        return None, None
    return float(m.group(1)), (cpu1 - cpu0) / jobs * 1e6




def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--requests", type=int, default=20000)
    p.add_argument("--jobs", type=int, default=2000)
    benchlib.add_build_args(p)
    args = p.parse_args()
    benchlib.ensure_binaries(["petacore-server"], no_build=args.no_build)
    h = benchlib.harness()

    redis, etcd = h.RealRedis(), h.Etcd()
    nodes = []
    try:
        standalone = h.Node()
        nodes.append(standalone)
        a, b = h.Node(etcd), h.Node(etcd)
        nodes += [a, b]
        targets = {
            "redis": ([redis.port], [redis.proc.pid]),
            "standalone": ([standalone.port], [standalone.proc.pid]),
            "replicated": ([a.port, b.port], [a.proc.pid, b.proc.pid, etcd.pid]),
        }
        shas = {}
        for name, (ports, _) in targets.items():
            for kind, body in SCRIPTS.items():
                shas[(name, kind)] = cli(ports[0], "SCRIPT", "LOAD", body)
        cells = {}
        for rnd in range(args.rounds):
            print(f"round {rnd + 1}/{args.rounds}", flush=True)
            for kind in SCRIPTS:
                for clients in (1, 50):
                    n = args.requests // 4 if clients == 1 else args.requests
                    for name, (ports, pids) in targets.items():
                        cells.setdefault((kind, clients, name), []).append(
                            evalsha_cell(ports[0], pids, shas[(name, kind)], clients, n))
            for name, (ports, pids) in targets.items():
                endpoints = [f"127.0.0.1:{p}" for p in (ports * 2)[:2]]
                cells.setdefault(("bullmq", 0, name), []).append(
                    bullmq_cell(endpoints, pids, args.jobs))
    finally:
        for n in nodes:
            n.close()
        etcd.close()
        redis.close()

    med = benchlib.median
    md = [f"# Scripting: PetaCore vs Redis ({benchlib.stamp()})", "", benchlib.machine(), "",
          f"Median of {args.rounds} rounds. Replicated: two nodes on one etcd (EVALSHA on "
          "node A; BullMQ producer and a worker on A, a worker on B). CPU: server processes "
          "(replicated: A + B + etcd).", "",
          "| workload | clients | redis ops/s | standalone ops/s | replicated ops/s | "
          "standalone / redis | replicated / redis | redis CPU us/op | standalone CPU us/op "
          "| replicated CPU us/op |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    rows = [(kind, c) for kind in SCRIPTS for c in (1, 50)] + [("bullmq", 0)]
    csv_rows = []
    for kind, clients in rows:
        vals = {name: cells[(kind, clients, name)] for name in targets}
        rate = {n: med([x[0] for x in v]) for n, v in vals.items()}
        cpu = {n: med([x[1] for x in v]) for n, v in vals.items()}
        label = f"EVALSHA {kind}" if kind != "bullmq" else f"BullMQ {args.jobs} jobs (jobs/s)"
        md.append(f"| {label} | {clients or 16} | {fmt(rate['redis'])} | "
                  f"{fmt(rate['standalone'])} | {fmt(rate['replicated'])} | "
                  f"{benchlib.fmt_ratio(rate['standalone'], rate['redis'])} | "
                  f"{benchlib.fmt_ratio(rate['replicated'], rate['redis'])} | "
                  f"{fmt(cpu['redis'], '.1f')} | {fmt(cpu['standalone'], '.1f')} | "
                  f"{fmt(cpu['replicated'], '.1f')} |")
        csv_rows.append([kind, clients, rate["redis"], rate["standalone"], rate["replicated"]])
    benchlib.write_results("scripting", "\n".join(md), csv_rows,
                           ["workload", "clients", "redis", "standalone", "replicated"])


if __name__ == "__main__":
    main()
