#!/usr/bin/env python3
"""`write-ack applied` against `write-ack committed` (issue 18) on a 3-member etcd cluster, in
one run: one node at a time on the same cluster, the two modes alternating which goes first
each round; redis-benchmark SET -r 100000 at -c 1 and -c 50 (requests/s, p50, p99, the
node's CPU µs per SET) and, on the same cluster, bench/etcd_put's blocking Put at --clients 1
(p50: the issue's "SET -c 1 p50 <= Put p50 + 0.15 ms"). Medians of --rounds. Also redis-server
7.0.15 at -c 1 for scale. Not run by ctest; nothing is asserted.

With one etcd member the watch event and the Txn response leave the same process at about the
same moment, so the ack-after-visible hop is small (bench/ab_binaries.py --replicated shows
it); with three, the node's watch is on one member and its Txns are answered by whichever
member it sent them to, and the watch can lag the response.

  bench/write_ack.py [--rounds 3] [--c1-requests 5000] [--c50-requests 50000] [--no-build]

Writes bench/results/write_ack-<timestamp>.md/.csv.
"""
import argparse
import subprocess

import benchlib

MODES = ("applied", "committed")


def set_cell(port, pid, clients, n):
    cpu0 = benchlib.cpu_seconds([pid])
    r = benchlib.redis_benchmark_csv(port, clients, n, "SET", "key:__rand_int__", "v",
                                     options=("-r", "100000"))
    r["cpu_us"] = (benchlib.cpu_seconds([pid]) - cpu0) / n * 1e6
    return r


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--c1-requests", type=int, default=5000)
    p.add_argument("--c50-requests", type=int, default=50000)
    benchlib.add_build_args(p)
    args = p.parse_args()
    bins = benchlib.ensure_binaries(["petacore-server", "etcd_put"], no_build=args.no_build)
    h = benchlib.harness()
    import cluster  # tests/integration/cluster.py, on the path harness() set
    cells = {}
    etcd = cluster.EtcdCluster(3)
    redis = h.RealRedis()
    try:
        for rnd in range(args.rounds):
            print(f"round {rnd + 1}/{args.rounds}", flush=True)
            for mode in (MODES if rnd % 2 == 0 else tuple(reversed(MODES))):
                node = h.Node(etcd, extra_args=["--write-ack", mode])
                try:
                    pid = node.proc.pid
                    for clients, n in ((1, args.c1_requests), (50, args.c50_requests)):
                        cells.setdefault((mode, clients), []).append(
                            set_cell(node.port, pid, clients, n))
                finally:
                    node.close()
            out = subprocess.run([bins["etcd_put"], "--endpoints", etcd.endpoint, "--clients",
                                  "1", "--ops", str(args.c1_requests)],
                                 capture_output=True, text=True, timeout=1800).stdout
            cells.setdefault(("put", 1), []).append(
                {"p50": benchlib.parse_result_line(out).get("p50_ms"),
                 "rps": benchlib.parse_result_line(out).get("ops_per_sec")})
            cells.setdefault(("redis", 1), []).append(
                set_cell(redis.port, redis.proc.pid, 1, args.c1_requests))
    finally:
        redis.close()
        etcd.close()

    def med(key, field):
        return benchlib.median([c.get(field) for c in cells.get(key, [])])

    put_p50 = med(("put", 1), "p50")
    md = [f"# write-ack applied vs committed ({benchlib.stamp()})", "", benchlib.machine(), "",
          f"3-member etcd cluster on this machine, one PetaCore node at a time; "
          f"`redis-benchmark SET -r 100000` (-c 1: -n {args.c1_requests}; -c 50: "
          f"-n {args.c50_requests}); medians of {args.rounds} rounds, the modes alternating "
          "which goes first. CPU: the node's user + system time (/proc) per SET. etcd Put: "
          f"`bench/etcd_put --clients 1 --ops {args.c1_requests}` on the same cluster.", "",
          "| mode | clients | SET/s | p50 ms | p99 ms | node CPU µs/SET | p50 − etcd Put p50 |",
          "|---|---:|---:|---:|---:|---:|---:|"]
    rows = []
    for mode in MODES:
        for clients in (1, 50):
            k = (mode, clients)
            p50 = med(k, "p50")
            diff = (p50 - put_p50) if clients == 1 and None not in (p50, put_p50) else None
            md.append(f"| {mode} | {clients} | {benchlib.fmt(med(k, 'rps'))} | "
                      f"{benchlib.fmt_ms(p50)} | {benchlib.fmt_ms(med(k, 'p99'))} | "
                      f"{benchlib.fmt(med(k, 'cpu_us'), '.1f')} | {benchlib.fmt_ms(diff)} |")
            rows.append([mode, clients, med(k, "rps"), p50, med(k, "p99"), med(k, "cpu_us")])
    for c in (1, 50):
        a, b = med(("applied", c), "rps"), med(("committed", c), "rps")
        md.append(f"\n-c {c}: committed / applied SET/s = {benchlib.fmt_ratio(b, a)}")
    md += ["", f"etcd Put --clients 1: p50 {benchlib.fmt_ms(put_p50)} ms, "
           f"{benchlib.fmt(med(('put', 1), 'rps'))} Puts/s; redis-server SET -c 1: "
           f"{benchlib.fmt(med(('redis', 1), 'rps'))}/s, p50 "
           f"{benchlib.fmt_ms(med(('redis', 1), 'p50'))} ms."]
    rows.append(["etcd_put", 1, med(("put", 1), "rps"), put_p50, None, None])
    benchlib.write_results("write_ack", "\n".join(md), rows,
                           ["mode", "clients", "rps", "p50_ms", "p99_ms", "cpu_us"])


if __name__ == "__main__":
    main()
