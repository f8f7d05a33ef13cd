#!/usr/bin/env python3
"""bench/write_cost: what one acknowledged write costs, in etcd CPU and PetaCore CPU (issue 18
"Throughput").

One run starts its own etcd (scripts/start-etcd.sh, PetaCore's flags), a replicated PetaCore
node on it, a standalone PetaCore node and a real redis-server 7.0, and measures, each cell
being the median of ROUNDS rounds (the target order reversed every other round):

- for SET, INCR, HSET, LPUSH and MSET of 10 keys, `redis-benchmark -c 50 -n N -r 100000`
  on each target: ops/s; CPU µs per write of the server process (/proc user + system time
  delta divided by the writes: one command = one write, MSET of 10 keys is one write); for the
  replicated node also etcd's CPU µs per write (etcd's own pid) and the commands per etcd Txn
  (INFO petacore etcd_commit_requests / etcd_txns deltas);
- `SET -c 1` p50 latency (ms) on each target (redis-benchmark's CSV p50);
- bench/etcd_put on the same etcd: blocking Puts at --clients 50 (etcd CPU µs per Put, ops/s)
  and at --clients 1 (Put p50 ms), the baseline of "one Put per request".

The ratios of issue 18's targets are printed next to the table: etcd CPU per replicated write
over etcd CPU per raw Put (target <= 1/3), PetaCore replicated CPU per write over standalone
(target <= 2), SET -c 1 p50 minus Put p50 (target <= 0.15 ms). Nothing is asserted (numbers
depend on the machine's load: etcd, PetaCore and redis-benchmark share its cores). Writes
bench/results/write_cost-<timestamp>.md and .csv. Not run by ctest.

With --lane K (issue 18's priority lane): a replicated node only; each round loads K string
keys expiring at one moment (SET ... PXAT), and from that moment runs `SET -c 50` while the
active expirer deletes them: SET ops/s, p50 and p99 (ms), and the seconds until the last
expired key is gone; the same SET run without an expiry burst as the reference.

Usage: bench/write_cost.py [--rounds 3] [--requests 100000] [--c1-requests 5000]
                           [--only SET,INCR] [--label before] [--lane K] [--no-build]
"""
import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from benchlib import cpu_seconds, fmt  # noqa: E402

MSET10 = ["MSET"] + [x for i in range(10) for x in (f"m{i}:__rand_int__", "v")]
WORKLOADS = {
    "SET": ("SET", "key:__rand_int__", "xxx"),
    "INCR": ("INCR", "ctr:__rand_int__"),
    "HSET": ("HSET", "h:__rand_int__", "f", "v"),
    "LPUSH": ("LPUSH", "l:__rand_int__", "v"),
    "MSET (10 keys)": tuple(MSET10),
}
R, S, Q = "redis", "petacore-standalone", "petacore-replicated"


def bench_csv(port, clients, n, *cmd, options=()):
    """(ops/s, p50 ms) of one redis-benchmark run (its --csv line), or (None, None)."""
    args = ["redis-benchmark", "-p", str(port), "-c", str(clients), "-n", str(n),
            *options, "--csv", *cmd]
    out = subprocess.run(args, capture_output=True, text=True, timeout=1800).stdout
    lines = out.strip().splitlines()
    if len(lines) < 2:
        return None, None
    head = [h.strip('"') for h in lines[0].split(",")]
    for line in lines[1:]:
        parts = [p.strip('"') for p in line.split(",")]
        try:
            row = dict(zip(head, parts))
            return float(row["rps"]), float(row.get("p50_latency_ms", "nan"))
        except (KeyError, ValueError):
            continue
    return None, None


def commit_counters(port):
    """(etcd_commit_requests, etcd_txns) from INFO replication (0, 0 if absent)."""
    req = benchlib.info_field(port, "petacore", "etcd_commit_requests")
    txns = benchlib.info_field(port, "petacore", "etcd_txns")
    return int(req or 0), int(txns or 0)


def write_cell(name, port, pid, etcd_pid, clients, n, cmd):
    """One redis-benchmark run: {rate, p50, cpu_us, etcd_us, per_txn}."""
    replicated = name == Q
    c0 = commit_counters(port) if replicated else None
    cpu0 = cpu_seconds([pid])
    e0 = cpu_seconds([etcd_pid]) if replicated else 0
    rate, p50 = bench_csv(port, clients, n, *cmd, options=("-r", "100000"))
    cell = {"rate": rate, "p50": p50, "cpu_us": (cpu_seconds([pid]) - cpu0) / n * 1e6}
    if replicated:
        cell["etcd_us"] = (cpu_seconds([etcd_pid]) - e0) / n * 1e6
        c1 = commit_counters(port)
        txns = c1[1] - c0[1]
        cell["per_txn"] = (c1[0] - c0[0]) / txns if txns else None
    return cell


def etcd_put_cell(binary, endpoint, etcd_pid, clients, n):
    """bench/etcd_put: {rate, p50, etcd_us} of n blocking Puts from `clients` threads."""
    e0 = cpu_seconds([etcd_pid])
    out = subprocess.run([binary, "--endpoints", endpoint, "--clients", str(clients),
                          "--ops", str(n)], capture_output=True, text=True, timeout=1800).stdout
    r = benchlib.parse_result_line(out)
    return {"rate": r.get("ops_per_sec"), "p50": r.get("p50_ms"),
            "etcd_us": (cpu_seconds([etcd_pid]) - e0) / n * 1e6}


def lane(args, h):
    """SET -c 50 during an expiry burst of args.lane keys, against a quiet reference."""
    import time
    etcd = h.Etcd()
    node = h.Node(etcd)
    rows = {"quiet": [], "burst": []}
    try:
        c = node.client(socket_timeout=300)
        for rnd in range(args.rounds):
            print(f"round {rnd + 1}/{args.rounds}", flush=True)
            rows["quiet"].append(benchlib.redis_benchmark_csv(node.port, 50, args.requests, "SET",
                                                "key:__rand_int__", "xxx"))
            at = int(time.time() * 1000) + 2000 + args.lane // 10
            pipe = c.pipeline(transaction=False)
            for i in range(args.lane):
                pipe.set(f"exp:{rnd}:{i}", "v", pxat=at)
                if i % 1000 == 999:
                    pipe.execute()
            pipe.execute()
            while time.time() * 1000 < at:
                time.sleep(0.005)
            t0 = time.time()
            cell = benchlib.redis_benchmark_csv(node.port, 50, args.requests, "SET", "key:__rand_int__", "xxx")
            while c.info("keyspace").get("db0", {}).get("expires", 0) > 0 \
                    and time.time() - t0 < 300:
                time.sleep(0.05)
            cell["drain_s"] = time.time() - t0
            rows["burst"].append(cell)
    finally:
        node.close()
        etcd.close()
    med = benchlib.median
    md = [f"# Write cost: priority lane{' (' + args.label + ')' if args.label else ''} "
          f"({benchlib.stamp()})", "", benchlib.machine(), "",
          f"Replicated node on its own etcd; median of {args.rounds} rounds. Burst: "
          f"{args.lane} keys expiring at one moment (SET PXAT), then redis-benchmark -c 50 -n "
          f"{args.requests} -r 100000 SET; drain: seconds from that moment until the node holds "
          "no expiring key (the SET keys excepted). Quiet: the same SET run with nothing "
          "expiring.", "",
          "| run | SET ops/s | p50 ms | p99 ms | drain s |", "|---|---:|---:|---:|---:|"]
    for k in ("quiet", "burst"):
        r = rows[k]
        md.append(f"| {k} | {fmt(med([x['rps'] for x in r]))} | "
                  f"{benchlib.fmt_ms(med([x['p50'] for x in r]))} | "
                  f"{benchlib.fmt_ms(med([x['p99'] for x in r]))} | "
                  f"{fmt(med([x.get('drain_s') for x in r]), '.2f')} |")
    benchlib.write_results("write_cost_lane", "\n".join(md))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--requests", type=int, default=100000, help="writes per -c 50 cell")
    p.add_argument("--c1-requests", type=int, default=5000, help="writes per -c 1 cell")
    p.add_argument("--only", default="", help="comma-separated workloads (default: all)")
    p.add_argument("--label", default="", help="a word for the results' title (before, ...)")
    p.add_argument("--lane", type=int, default=0, help="expiry burst size (priority lane run)")
    benchlib.add_build_args(p)
    args = p.parse_args()
    if args.lane:
        benchlib.ensure_binaries(["petacore-server"], no_build=args.no_build)
        if os.environ.get("PETACORE_SERVER_OVERRIDE"):
            os.environ["PETACORE_SERVER"] = os.environ["PETACORE_SERVER_OVERRIDE"]
        return lane(args, benchlib.harness())
    workloads = {k: v for k, v in WORKLOADS.items()
                 if not args.only or k in args.only.split(",")}
    bins = benchlib.ensure_binaries(["petacore-server", "etcd_put"], no_build=args.no_build)
    h = benchlib.harness()
    targets = benchlib.Targets(h, ["redis", "standalone", "replicated"])
    cells = {}  # (workload, target) -> [cell per round]
    try:
        etcd_pid = targets.etcd.pid
        procs = [(name, port, pid) for name, port, pid in targets.list]
        for rnd in range(args.rounds):
            print(f"round {rnd + 1}/{args.rounds}", flush=True)
            order = procs if rnd % 2 == 0 else list(reversed(procs))
            for label, cmd in workloads.items():
                for name, port, pid in order:
                    cells.setdefault((label, name), []).append(
                        write_cell(name, port, pid, etcd_pid, 50, args.requests, cmd))
            put_first = rnd % 2 == 1
            if put_first:
                cells.setdefault(("PUT", 50), []).append(
                    etcd_put_cell(bins["etcd_put"], targets.etcd.endpoint, etcd_pid, 50,
                                  args.requests))
            for name, port, pid in order:
                cells.setdefault(("SET -c 1", name), []).append(
                    write_cell(name, port, pid, etcd_pid, 1, args.c1_requests,
                               WORKLOADS["SET"]))
            if not put_first:
                cells.setdefault(("PUT", 50), []).append(
                    etcd_put_cell(bins["etcd_put"], targets.etcd.endpoint, etcd_pid, 50,
                                  args.requests))
            cells.setdefault(("PUT", 1), []).append(
                etcd_put_cell(bins["etcd_put"], targets.etcd.endpoint, etcd_pid, 1,
                              args.c1_requests))
    finally:
        targets.close()

    def med(key, field):
        return benchlib.median([c.get(field) for c in cells.get(key, [])])

    put_us = med(("PUT", 50), "etcd_us")
    put_rate = med(("PUT", 50), "rate")
    put_p50 = med(("PUT", 1), "p50")
    title = f"# Write cost{' (' + args.label + ')' if args.label else ''} ({benchlib.stamp()})"
    md = [title, "", benchlib.machine(), "",
          f"Median of {args.rounds} rounds (target order reversed every other round); "
          f"redis-benchmark -c 50 -n {args.requests} -r 100000 per cell. CPU µs per write: "
          "the process's user + system time (/proc) over the run divided by the writes (one "
          "command = one write; MSET of 10 keys is one write). etcd CPU is etcd's own pid "
          "during the replicated node's run. cmds/Txn: INFO etcd_commit_requests / etcd_txns. "
          "2 cores shared by etcd, PetaCore and redis-benchmark.", "",
          "| workload | redis ops/s | standalone ops/s | replicated ops/s | redis CPU µs/w "
          "| standalone CPU µs/w | replicated CPU µs/w | replicated / standalone CPU "
          "| etcd CPU µs/w | etcd µs/w ÷ etcd µs/Put | cmds/Txn |",
          "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    csv_rows = []
    for label in workloads:
        rate = {n: med((label, n), "rate") for n in (R, S, Q)}
        cpu = {n: med((label, n), "cpu_us") for n in (R, S, Q)}
        etcd_us = med((label, Q), "etcd_us")
        per_txn = med((label, Q), "per_txn")
        md.append(f"| {label} -c 50 | {fmt(rate[R])} | {fmt(rate[S])} | {fmt(rate[Q])} | "
                  f"{fmt(cpu[R], '.1f')} | {fmt(cpu[S], '.1f')} | {fmt(cpu[Q], '.1f')} | "
                  f"{benchlib.fmt_ratio(cpu[Q], cpu[S])} | {fmt(etcd_us, '.1f')} | "
                  f"{benchlib.fmt_ratio(etcd_us, put_us)} | {fmt(per_txn, '.1f')} |")
        csv_rows.append([label, rate[R], rate[S], rate[Q], cpu[R], cpu[S], cpu[Q], etcd_us,
                         per_txn])
    md.append(f"| etcd_put --clients 50 (one blocking Put each) | | | {fmt(put_rate)} | | | "
              f"| | {fmt(put_us, '.1f')} | 1.00 | |")
    csv_rows.append(["etcd_put -c 50", None, None, put_rate, None, None, None, put_us, None])
    md += ["", f"SET -c 1 (-n {args.c1_requests}) p50 latency, ms:", "",
           "| redis | standalone | replicated | etcd_put --clients 1 Put p50 "
           "| replicated − Put p50 |", "|---:|---:|---:|---:|---:|"]
    p50 = {n: med(("SET -c 1", n), "p50") for n in (R, S, Q)}
    diff = None if p50[Q] is None or put_p50 is None else p50[Q] - put_p50
    md.append(f"| {benchlib.fmt_ms(p50[R])} | {benchlib.fmt_ms(p50[S])} | "
              f"{benchlib.fmt_ms(p50[Q])} | {benchlib.fmt_ms(put_p50)} | "
              f"{benchlib.fmt_ms(diff)} |")
    csv_rows.append(["SET -c 1 p50 ms", p50[R], p50[S], p50[Q], None, None, None, put_p50,
                     None])
    md += ["", "Rounds (replicated SET ops/s, etcd µs/w): " + "; ".join(
        f"{fmt(c['rate'])}, {fmt(c['etcd_us'], '.1f')}" for c in cells.get(("SET", Q), []))]
    benchlib.write_results("write_cost", "\n".join(md), csv_rows,
                           ["workload", "redis_ops", "standalone_ops", "replicated_ops",
                            "redis_cpu_us", "standalone_cpu_us", "replicated_cpu_us",
                            "etcd_cpu_us", "cmds_per_txn"])


if __name__ == "__main__":
    main()
