#!/usr/bin/env python3
"""bench/streams: stream commands, PetaCore (standalone, and replicated: two nodes A, B on one
etcd) next to redis-server 7.0 in the same run.

- XADD throughput: redis-benchmark -c 50 `XADD bench:s * f v` (one stream: every PetaCore
  XADD compares the stream's meta key, so concurrent adds conflict and re-run), and
  `XADD bench:m MAXLEN ~ 1000 * f v`.
- XRANGE of 100 entries: redis-benchmark -c 50 `XRANGE bench:r - +` on a stream of 100.
- XREADGROUP + XACK: one consumer (one connection, node A), COUNT 1, then XACK of the entry
  read, over a stream of READGROUP_ENTRIES entries; round trips/s counts pairs.
- XADD -> blocked XREAD wake-up latency: a reader parked in `XREAD BLOCK 0 STREAMS k <last>`,
  a writer adding one entry at a time, the next 1 ms after the previous was received (so the
  reader is parked again); the time from sending XADD to the reader having the entry. Same
  node (Redis: itself; PetaCore A->A) and across nodes (replicated only: written on A, read
  on B).

Every cell is the median of ROUNDS runs (targets alternating within a round); ratio is
PetaCore / Redis. CPU us/op is the CPU time (user + system, /proc) of the server processes
during the cell (replicated: A + B + etcd) divided by the operations. Prints a Markdown table
and writes bench/results/streams-<timestamp>.md. Nothing is asserted; numbers depend on the
machine's load. Not run by ctest.

Usage: bench/streams.py [--rounds 3] [--requests 20000] [--readgroup 2000]
                        [--latency-samples 500] [--no-build]
"""
import argparse
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from benchlib import benchmark_cell, cpu_seconds, fmt, percentile  # noqa: E402







def client(port):
    import redis
    return redis.Redis(host="127.0.0.1", port=port, socket_timeout=60)




def readgroup_cell(port, pids, entries, rnd):
    """(XREADGROUP+XACK pairs/s, CPU us/pair): one consumer, COUNT 1, then XACK."""
    c = client(port)
    key, group = f"bench:g{rnd}", "g"
    c.delete(key)
    pipe = c.pipeline(transaction=False)
    for i in range(entries):
        pipe.xadd(key, {"f": i})
    pipe.execute()
    c.xgroup_create(key, group, id="0")
    cpu0, t0 = cpu_seconds(pids), time.monotonic()
    done = 0
    while done < entries:
        reply = c.xreadgroup(group, "c1", {key: ">"}, count=1)
        if not reply:
            break
        entry_id = reply[0][1][0][0]
        c.xack(key, group, entry_id)
        done += 1
    seconds, cpu1 = time.monotonic() - t0, cpu_seconds(pids)
    c.delete(key)
    c.close()
    return done / seconds, (cpu1 - cpu0) / max(done, 1) * 1e6


def latency_cell(write_port, read_port, samples, rnd):
    """(p50 ms, p99 ms) from XADD sent on write_port to the entry read by a blocked XREAD
    on read_port; one entry at a time."""
    key = f"bench:lat{rnd}:{write_port}:{read_port}"
    writer, reader = client(write_port), client(read_port)
    writer.delete(key)
    last = writer.xadd(key, {"f": "start"})
    got = threading.Event()
    stop = [False]
    arrived = []

    def read_loop():
        nonlocal last
        while not stop[0]:
            reply = reader.xread({key: last}, block=2000)
            if reply:
                last = reply[0][1][-1][0]
                arrived.append(time.perf_counter())
                got.set()

    t = threading.Thread(target=read_loop, daemon=True)
    t.start()
    time.sleep(0.05)
    lat = []
    for _ in range(samples):
        got.clear()
        t0 = time.perf_counter()
        writer.xadd(key, {"f": "v"})
        if not got.wait(10):
            break
        lat.append((arrived[-1] - t0) * 1000)
        time.sleep(0.001)  # let the reader park again before the next entry
    stop[0] = True
    t.join(5)
    writer.delete(key)
    writer.close()
    reader.close()
    lat.sort()
    if not lat:
        return None, None
    return percentile(lat, 50), percentile(lat, 99)




def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--requests", type=int, default=20000)
    p.add_argument("--readgroup", type=int, default=2000)
    p.add_argument("--latency-samples", type=int, default=500)
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
        for ports, _ in targets.values():
            c = client(ports[0])
            c.delete("bench:r")
            for i in range(100):
                c.xadd("bench:r", {"f": "v" * 16, "n": i})
            c.close()
        workloads = {
            "XADD s * f v": ("XADD", "bench:s", "*", "f", "v"),
            "XADD MAXLEN ~ 1000": ("XADD", "bench:m", "MAXLEN", "~", "1000", "*", "f", "v"),
            "XRANGE 100 entries": ("XRANGE", "bench:r", "-", "+"),
        }
        cells = {}
        for rnd in range(args.rounds):
            print(f"round {rnd + 1}/{args.rounds}", flush=True)
            for label, cmd in workloads.items():
                n = args.requests if label != "XRANGE 100 entries" else args.requests // 2
                for name, (ports, pids) in targets.items():
                    cells.setdefault((label, name), []).append(
                        benchmark_cell(ports[0], pids, 50, n, *cmd))
            for name, (ports, pids) in targets.items():
                cells.setdefault(("XREADGROUP + XACK", name), []).append(
                    readgroup_cell(ports[0], pids, args.readgroup, rnd))
                cells.setdefault(("latency same node", name), []).append(
                    latency_cell(ports[0], ports[0], args.latency_samples, rnd))
            cells.setdefault(("latency across nodes", "replicated"), []).append(
                latency_cell(a.port, b.port, args.latency_samples, rnd))
    finally:
        for n in nodes:
            n.close()
        etcd.close()
        redis.close()

    med = benchlib.median
    names = list(targets)
    md = [f"# Streams: PetaCore vs Redis ({benchlib.stamp()})", "", benchlib.machine(), "",
          f"Median of {args.rounds} rounds. Replicated: two nodes on one etcd (throughput on "
          "node A). CPU: server processes (replicated: A + B + etcd).", "",
          "| workload | redis ops/s | standalone ops/s | replicated ops/s | standalone / redis "
          "| replicated / redis | redis CPU us/op | standalone CPU us/op | replicated CPU us/op |",
          "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    csv_rows = []
    for label in list(workloads) + ["XREADGROUP + XACK"]:
        rate = {n: med([x[0] for x in cells[(label, n)]]) for n in names}
        cpu = {n: med([x[1] for x in cells[(label, n)]]) for n in names}
        shown = label + (" (-c 50)" if label in workloads else " (pairs/s, 1 consumer)")
        md.append(f"| {shown} | {fmt(rate['redis'])} | {fmt(rate['standalone'])} | "
                  f"{fmt(rate['replicated'])} | "
                  f"{benchlib.fmt_ratio(rate['standalone'], rate['redis'])} | "
                  f"{benchlib.fmt_ratio(rate['replicated'], rate['redis'])} | "
                  f"{fmt(cpu['redis'], '.1f')} | {fmt(cpu['standalone'], '.1f')} | "
                  f"{fmt(cpu['replicated'], '.1f')} |")
        csv_rows.append([label, rate["redis"], rate["standalone"], rate["replicated"]])
    md += ["", f"XADD -> blocked XREAD wake-up latency, ms ({args.latency_samples} entries, one "
           "at a time):", "",
           "| path | redis p50 | redis p99 | standalone p50 | standalone p99 | replicated p50 "
           "| replicated p99 |", "|---|---:|---:|---:|---:|---:|---:|"]
    for label in ("latency same node", "latency across nodes"):
        row, p50s, p99s = [label.replace("latency ", "")], [], []
        for n in names:
            vals = cells.get((label, n))
            p50 = med([v[0] for v in vals]) if vals else None
            p99 = med([v[1] for v in vals]) if vals else None
            p50s.append(p50)
            p99s.append(p99)
            row += [fmt(p50, ".3f"), fmt(p99, ".3f")]
        csv_rows += [[f"{label} p50 ms", *p50s], [f"{label} p99 ms", *p99s]]
        md.append("| " + " | ".join(row) + " |")
    benchlib.write_results("streams", "\n".join(md), csv_rows,
                           ["workload", "redis", "standalone", "replicated"])


if __name__ == "__main__":
    main()
