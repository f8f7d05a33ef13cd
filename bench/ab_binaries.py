#!/usr/bin/env python3
"""A/B of two petacore-server binaries on the same machine in one run: standalone nodes (or,
with --replicated, one node on a fresh etcd member per side), redis-benchmark -c 50 per
command, rounds alternating which binary goes first; medians of requests/s and of the
server's CPU µs per request (/proc; with --replicated also etcd's). For a lever that changes
the server alone (the load and the client are the same on both sides). Not run by ctest.

  bench/ab_binaries.py --a OLD_BINARY --b NEW_BINARY [--rounds 3] [--requests 300000]
      [--commands SET,HSET,LPUSH,LRANGE_100,GET] [--replicated] [--clients 50]
      [--a-args "--flag v"] [--b-args "--flag v"]

--a-args / --b-args give each side's server extra flags, so one binary can be compared
with itself under two settings (--a and --b naming the same file).

Writes bench/results/ab-<timestamp>.md/.csv. Keep an old binary with
`cp build/bin/petacore-server /tmp/petacore-server.a` before rebuilding.
"""
import argparse
import os
import shlex
import sys

import benchlib

# redis-benchmark arguments per command (-r spreads keys; LRANGE_100 reads the list LPUSH
# fills, which is why LPUSH runs first when both are wanted).
COMMANDS = {
    "SET": ["-r", "100000", "-t", "set"],
    "GET": ["-r", "100000", "-t", "get"],
    "INCR": ["-r", "100000", "-t", "incr"],
    "HSET": ["-r", "100000", "-t", "hset"],
    "SADD": ["-r", "100000", "-t", "sadd"],
    "ZADD": ["-r", "100000", "-t", "zadd"],
    "LPUSH": ["-t", "lpush"],
    "LRANGE_100": ["-t", "lrange_100"],
}


def run_side(h, binary, extra_args, commands, requests, replicated, clients):
    """{command: (requests/s, server CPU µs per request, etcd CPU µs per request or None,
    server RSS in MiB right after the run, p50 ms)} on a fresh node (standalone, or on a
    fresh etcd member when `replicated`) started with `extra_args`."""
    h.SERVER = binary
    etcd = h.Etcd() if replicated else None
    node = None
    try:
        node = h.Node(etcd, extra_args=extra_args)
        out = {}
        for name in commands:
            etcd0 = benchlib.cpu_seconds([etcd.pid]) if etcd else 0
            cpu0 = benchlib.cpu_seconds([node.proc.pid])
            r = benchlib.redis_benchmark_csv(node.port, clients, requests, options=COMMANDS[name])
            rate, p50 = r["rps"], r["p50"]
            cpu = (benchlib.cpu_seconds([node.proc.pid]) - cpu0) / requests * 1e6
            etcd_cpu = ((benchlib.cpu_seconds([etcd.pid]) - etcd0) / requests * 1e6
                        if etcd else None)
            rss = benchlib.rss_bytes(node.proc.pid) / 2**20
            out[name] = (rate, cpu, etcd_cpu, rss, p50)
        return out
    finally:
        if node is not None:
            node.close()
        if etcd is not None:
            etcd.close()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--a", required=True, help="binary A (before)")
    p.add_argument("--b", required=True, help="binary B (after)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--requests", type=int, default=300000)
    p.add_argument("--commands", default="SET,HSET,LPUSH,LRANGE_100,GET")
    p.add_argument("--replicated", action="store_true",
                   help="one node on a fresh etcd member per side (etcd's CPU reported too)")
    p.add_argument("--clients", type=int, default=50, help="redis-benchmark -c")
    p.add_argument("--a-args", default="", help="extra server flags of side A")
    p.add_argument("--b-args", default="", help="extra server flags of side B")
    args = p.parse_args()
    commands = [c.strip().upper() for c in args.commands.split(",") if c.strip()]
    unknown = [c for c in commands if c not in COMMANDS]
    if unknown:
        sys.exit(f"unknown command(s) {unknown}; known: {sorted(COMMANDS)}")
    for b in (args.a, args.b):
        if not os.access(b, os.X_OK):
            sys.exit(f"not an executable: {b}")
    h = benchlib.harness()
    sides = {"A": (args.a, shlex.split(args.a_args)), "B": (args.b, shlex.split(args.b_args))}
    cells = {s: {c: [] for c in commands} for s in sides}
    for r in range(args.rounds):
        for side in (("A", "B") if r % 2 == 0 else ("B", "A")):
            binary, extra = sides[side]
            for c, v in run_side(h, binary, extra, commands, args.requests, args.replicated,
                                 args.clients).items():
                cells[side][c].append(v)
    rows, table = [], []
    for c in commands:
        a_rate = benchlib.median([v[0] for v in cells["A"][c]])
        b_rate = benchlib.median([v[0] for v in cells["B"][c]])
        a_cpu = benchlib.median([v[1] for v in cells["A"][c]])
        b_cpu = benchlib.median([v[1] for v in cells["B"][c]])
        a_etcd = benchlib.median([v[2] for v in cells["A"][c] if v[2] is not None])
        b_etcd = benchlib.median([v[2] for v in cells["B"][c] if v[2] is not None])
        a_rss = benchlib.median([v[3] for v in cells["A"][c]])
        b_rss = benchlib.median([v[3] for v in cells["B"][c]])
        a_p50 = benchlib.median([v[4] for v in cells["A"][c]])
        b_p50 = benchlib.median([v[4] for v in cells["B"][c]])
        rows.append([c, a_rate, b_rate, a_cpu, b_cpu, a_etcd, b_etcd, a_rss, b_rss, a_p50,
                     b_p50])
        row = (f"| {c} | {benchlib.fmt(a_rate)} | {benchlib.fmt(b_rate)} | "
               f"{benchlib.fmt(b_rate / a_rate if a_rate and b_rate else None, '.2f')} | "
               f"{benchlib.fmt(a_cpu, '.1f')} | {benchlib.fmt(b_cpu, '.1f')} | "
               f"{benchlib.fmt(b_cpu / a_cpu if a_cpu and b_cpu else None, '.2f')} |")
        if args.replicated:
            row += (f" {benchlib.fmt(a_etcd, '.1f')} | {benchlib.fmt(b_etcd, '.1f')} |")
        row += f" {benchlib.fmt(a_rss, '.1f')} | {benchlib.fmt(b_rss, '.1f')} |"
        row += f" {benchlib.fmt(a_p50, '.3f')} | {benchlib.fmt(b_p50, '.3f')} |"
        table.append(row)
    md = "\n".join([
        f"# A/B of two petacore-server binaries ({benchlib.stamp()})", "",
        benchlib.machine(), "",
        f"A: `{args.a}`{' ' + args.a_args if args.a_args else ''}; "
        f"B: `{args.b}`{' ' + args.b_args if args.b_args else ''}. "
        f"{'One node on a fresh etcd member per side' if args.replicated else 'Standalone nodes'}"
        f", `redis-benchmark -c {args.clients} -n "
        f"{args.requests}` per command, {args.rounds} rounds alternating which side goes "
        "first; medians. CPU: the server's user + system time (/proc) per request; RSS: the "
        "server's, read right after each run (each side's node is fresh per round, and runs "
        "the commands in the order listed); "
        "2 cores shared with redis-benchmark.", "",
        "| command | A req/s | B req/s | B/A | A CPU µs/req | B CPU µs/req | B/A CPU |"
        + (" A etcd CPU µs/req | B etcd CPU µs/req |" if args.replicated else "")
        + " A RSS MiB | B RSS MiB | A p50 ms | B p50 ms |",
        "|---|---:|---:|---:|---:|---:|---:|" + ("---:|---:|" if args.replicated else "")
        + "---:|---:|---:|---:|",
        *table])
    benchlib.write_results("ab", md, rows,
                           ["command", "a_rps", "b_rps", "a_cpu_us", "b_cpu_us", "a_etcd_cpu_us",
                            "b_etcd_cpu_us", "a_rss_mib", "b_rss_mib", "a_p50_ms", "b_p50_ms"])


if __name__ == "__main__":
    main()
