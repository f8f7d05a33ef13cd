#!/usr/bin/env python3
"""bench/compare: PetaCore vs a real Redis, side by side, on this machine, in one run.

Starts (on free loopback ports) a real redis-server (persistence off), PetaCore standalone,
an etcd member (scripts/start-etcd.sh) and PetaCore replicated on it; runs redis-benchmark
with the same flags against each, alternating the targets (A B C A B C ...) for --rounds
rounds; prints a Markdown table of the median ops/s and p50/p99 latency with the ratio
PetaCore/Redis, and writes it under bench/results/.

  bench/compare [--requests N] [--rounds R] [--tests set,get] [--clients 50] [--pipeline 1]
"""
import argparse
import csv
import datetime
import io
import os
import platform
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "integration"))
from harness import Etcd, Node, RealRedis  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_benchmark(port, tests, requests, clients, pipeline, size, keyspace):
    cmd = ["redis-benchmark", "-p", str(port), "-t", tests, "-n", str(requests), "-c",
           str(clients), "-P", str(pipeline), "-d", str(size), "-r", str(keyspace), "--csv"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=1800).stdout
    rows = {}
    for row in csv.DictReader(io.StringIO(out)):
        rows[row["test"]] = (float(row["rps"]), float(row["p50_latency_ms"]),
                             float(row["p99_latency_ms"]))
    return rows


def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{platform.node()} — {cpu}, {os.cpu_count()} cores, Linux {platform.release()}"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--requests", type=int, default=100000)
    p.add_argument("--replicated-requests", type=int, default=20000,
                   help="requests for the replicated node's write tests (etcd bound)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--tests", default="set,get")
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--pipeline", type=int, default=1)
    p.add_argument("--size", type=int, default=3)
    p.add_argument("--keyspace", type=int, default=100000)
    args = p.parse_args()

    redis_server = RealRedis()
    standalone = Node()
    etcd = Etcd()
    replicated = Node(etcd)
    targets = [("redis", redis_server.port), ("petacore-standalone", standalone.port),
               ("petacore-replicated", replicated.port)]
    results = {name: {} for name, _ in targets}
    try:
        for _ in range(args.rounds):
            for name, port in targets:
                n = args.replicated_requests if name == "petacore-replicated" else args.requests
                for test, row in run_benchmark(port, args.tests, n, args.clients, args.pipeline,
                                               args.size, args.keyspace).items():
                    results[name].setdefault(test, []).append(row)
    finally:
        replicated.close()
        etcd.close()
        standalone.close()
        redis_server.close()

    flags = (f"-t {args.tests} -c {args.clients} -P {args.pipeline} -d {args.size} "
             f"-r {args.keyspace}; -n {args.requests} (replicated: {args.replicated_requests})")
    lines = [f"Machine: {machine()}", f"redis-benchmark {flags}; median of {args.rounds} "
             "alternating rounds", "",
             "| test | target | ops/s | p50 ms | p99 ms | ops/s ÷ Redis |",
             "|---|---|---:|---:|---:|---:|"]
    for test in sorted(results["redis"]):
        base = statistics.median(r[0] for r in results["redis"][test])
        for name, _ in targets:
            rows = results[name].get(test)
            if not rows:
                continue
            rps = statistics.median(r[0] for r in rows)
            p50 = statistics.median(r[1] for r in rows)
            p99 = statistics.median(r[2] for r in rows)
            lines.append(f"| {test} | {name} | {rps:,.0f} | {p50:.3f} | {p99:.3f} | "
                         f"{rps / base:.2f} |")
    table = "\n".join(lines)
    print(table)
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = os.path.join(ROOT, "bench", "results", f"compare-{stamp}.md")
    with open(path, "w") as f:
        f.write(table + "\n")
    print(f"\nwritten to {path}")


if __name__ == "__main__":
    main()
