#!/usr/bin/env python3
"""bench/default: redis-benchmark's own default test list, PetaCore vs a real Redis.

Runs `redis-benchmark -n N -r R --csv` (no -t: every default test, PING to MSET and XADD)
against a real Redis, PetaCore standalone and PetaCore replicated on one etcd, in that order,
and prints one table: ops/s per test and target, the ratio to Redis, and any error a target
answered. `-r` (default 100000) makes the keys and members random: without it SADD, ZADD,
SPOP and ZPOPMIN touch one element and change nothing after the first call, which makes a
replicated write look cheaper than it is (-r 0 reproduces redis-benchmark's own default).

  bench/default [-n 100000] [-r 100000] [--no-build]
"""
import argparse
import csv
import io
import subprocess

import benchlib


def run(port, n, r):
    keyspace = ["-r", str(r)] if r > 0 else []
    res = subprocess.run(["redis-benchmark", "-p", str(port), "-n", str(n), *keyspace, "--csv"],
                         capture_output=True, text=True, timeout=3600)
    rows, errors = {}, []
    text = res.stdout.replace("\r", "\n")
    for row in csv.reader(io.StringIO(text)):
        if len(row) >= 2 and row[0] != "test":
            try:
                rows[row[0]] = float(row[1])
            except ValueError:
                pass
    for line in (res.stdout + res.stderr).replace("\r", "\n").splitlines():
        if "ERR" in line or "rror" in line:
            errors.append(line.strip())
    return rows, errors


def main():
    p = argparse.ArgumentParser()
    p.add_argument("-n", type=int, default=100000)
    p.add_argument("-r", type=int, default=100000, help="random keys/members (0 = none)")
    benchlib.add_build_args(p)
    args = p.parse_args()
    benchlib.ensure_binaries(["petacore-server"], args.no_build)
    servers = benchlib.Targets(benchlib.harness(), ["redis", "standalone", "replicated"])
    targets = []
    try:
        for name, port in servers.ports():
            targets.append((name,) + run(port, args.n, args.r))
    finally:
        servers.close()

    tests = list(targets[0][1])
    lines = [f"Machine: {benchlib.machine()}", "",
             f"`redis-benchmark -n {args.n} -r {args.r} --csv` (default test list, 50 clients, "
             "3-byte values; -r 0 = no -r)",
             "", "| test | Redis ops/s | standalone ops/s | ÷ Redis | replicated ops/s | ÷ Redis |",
             "|---|---:|---:|---:|---:|---:|"]
    for t in tests:
        base = targets[0][1][t]
        cells = [t, f"{base:,.0f}"]
        for _, rows, _ in targets[1:]:
            v = rows.get(t)
            cells += [f"{v:,.0f}", f"{v / base:.2f}"] if v else ["error", "-"]
        lines.append("| " + " | ".join(cells) + " |")
    for name, _, errors in targets:
        uniq = sorted(set(errors))
        lines.append("")
        lines.append(f"{name}: " + ("no errors" if not uniq else "errors: " + "; ".join(uniq[:5])))
    benchlib.write_results("default", "\n".join(lines))


if __name__ == "__main__":
    main()
