#!/usr/bin/env python3
"""bench/eviction: a cache under eviction (issue 17) — PetaCore beside a real Redis.

Each target gets `CONFIG SET maxmemory <--maxmemory-mb>mb` and `maxmemory-policy <--policy>`
(allkeys-lru by default) on every node, then bench/loader plays a Zipfian (s = --zipf) GET/SET
90/10 load over --keys keys of --value-size bytes — a key space about 10x larger than memory
(1,000,000 x 1,000 B against 100 MB) — for --duration seconds. Before that the cache is
filled past its limit (`loader --load` of 1.2 x maxmemory / value-size keys, the fill time
reported), so the run measures a full cache that evicts; --no-fill starts it empty. Targets: a real redis-server 7.0.15, PetaCore standalone,
and two replicated PetaCore nodes on one etcd (half of the clients on each; ops/s and
keyspace hits/misses summed over both). They run one after another.

Once a second, on every node: used_memory, mem_not_counted_for_evict, evicted_keys,
keyspace_hits/misses and RSS. Reported per target: ops/s, GET hit rate (INFO deltas) over the
whole run and its second half, peak and final used_memory (and used minus not counted, what
eviction compares with maxmemory), keys evicted, CPU seconds per 1000 operations of the
server processes (etcd's included for the replicated target); and every 10 s, used_memory and the hit rate of that window.

  bench/eviction.py --no-build                       # full run, about 4 minutes
  bench/eviction.py --no-build --duration 10 --maxmemory-mb 20 --keys 200000   # smoke
Nothing is asserted. Writes bench/results/eviction-<timestamp>.md/.csv.
"""
import argparse
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

FIELDS = ("used_memory", "mem_not_counted_for_evict", "evicted_keys", "keyspace_hits",
          "keyspace_misses", "used_memory_rss")


def sample(port):
    out = subprocess.run(["redis-cli", "-p", str(port), "info", "everything"],
                         capture_output=True, text=True, timeout=30).stdout
    got = {}
    for line in out.splitlines():
        k, _, v = line.partition(":")
        if k in FIELDS:
            got[k] = int(v.strip())
    return {k: got.get(k, 0) for k in FIELDS}


def total(samples):
    """Sums one sampling round over the target's nodes."""
    return {k: sum(s[k] for s in samples) for k in FIELDS}


def hit_rate(a, b):
    hits = b["keyspace_hits"] - a["keyspace_hits"]
    misses = b["keyspace_misses"] - a["keyspace_misses"]
    return hits / (hits + misses) if hits + misses else None


def run_target(name, nodes, args, loader, extra_pids=()):
    """nodes: [(port, pid)]; extra_pids: other processes whose CPU the target costs (etcd).
    Returns (summary dict, [(t, totals)] series)."""
    for port, _ in nodes:
        for k, v in (("maxmemory-policy", args.policy), ("maxmemory", f"{args.maxmemory_mb}mb")):
            subprocess.run(["redis-cli", "-p", str(port), "CONFIG", "SET", k, v], check=True,
                           capture_output=True, timeout=30)
    fill_s = None
    if not args.no_fill:
        n = int(args.maxmemory_mb * 1024 * 1024 * 1.2 / args.value_size)
        t0 = time.monotonic()
        subprocess.run([loader, "--port", str(nodes[0][0]), "--load", str(n), "--value-size",
                        str(args.value_size), "--clients", "4", "--pipeline", "100"],
                       check=True, capture_output=True, timeout=1800)
        fill_s = time.monotonic() - t0
    per_node = max(1, args.clients // len(nodes))
    cmd = ["--duration", str(args.duration), "--keys", str(args.keys), "--zipf", str(args.zipf),
           "--value-size", str(args.value_size), "--read-ratio", "0.9",
           "--clients", str(per_node)]
    pids = [pid for _, pid in nodes] + list(extra_pids)
    cpu0 = benchlib.cpu_seconds(pids)
    series = [(0.0, total([sample(p) for p, _ in nodes]))]
    procs = [subprocess.Popen([loader, "--port", str(p), "--seed", str(i + 1), *cmd],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for i, (p, _) in enumerate(nodes)]
    outs = [None] * len(procs)

    def collect(i):
        outs[i] = procs[i].communicate(timeout=args.duration + 300)[0]
    readers = [threading.Thread(target=collect, args=(i,)) for i in range(len(procs))]
    for t in readers:
        t.start()
    start = time.monotonic()
    while any(p.poll() is None for p in procs):
        time.sleep(1)
        series.append((time.monotonic() - start, total([sample(p) for p, _ in nodes])))
    for t in readers:
        t.join()
    cpu = benchlib.cpu_seconds(pids) - cpu0
    results = [benchlib.parse_result_line(o or "") for o in outs]
    ops = sum(r.get("ops_per_sec", 0) for r in results)
    errors = sum(int(r.get("errors", 0)) for r in results) + sum(not r for r in results)
    first, last = series[0][1], series[-1][1]
    mid = min(series, key=lambda e: abs(e[0] - series[-1][0] / 2))[1]
    summary = {
        "target": name, "nodes": len(nodes), "fill_s": fill_s, "ops_per_sec": ops,
        "errors": errors,
        "hit_rate": hit_rate(first, last), "hit_rate_second_half": hit_rate(mid, last),
        # per node: every node holds the whole data set
        "peak_used": max(s["used_memory"] for _, s in series) // len(nodes),
        "peak_counted": max(s["used_memory"] - s["mem_not_counted_for_evict"]
                            for _, s in series) // len(nodes),
        "final_used": last["used_memory"] // len(nodes),
        "evicted": last["evicted_keys"] - first["evicted_keys"],
        "cpu_per_1000_ops": 1000 * cpu / (ops * args.duration) if ops else None,
    }
    return summary, series


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--maxmemory-mb", type=int, default=100)
    p.add_argument("--policy", default="allkeys-lru")
    p.add_argument("--keys", type=int, default=1000000)
    p.add_argument("--value-size", type=int, default=1000)
    p.add_argument("--zipf", type=float, default=0.99)
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--duration", type=float, default=60)
    p.add_argument("--no-fill", action="store_true", help="start with an empty cache")
    benchlib.add_build_args(p)
    args = p.parse_args()
    bins = benchlib.ensure_binaries(["petacore-server", "loader"], no_build=args.no_build)
    h = benchlib.harness()
    desc = benchlib.machine()
    summaries, all_series = [], {}
    targets = benchlib.Targets(h, ["redis", "standalone", "replicated"])
    second = None
    try:
        second = h.Node(targets.etcd)
        procs = {name: (port, pid) for name, port, pid in targets.list}
        plan = [("redis", [procs["redis"]]),
                ("petacore-standalone", [procs["petacore-standalone"]]),
                ("petacore-2-replicated", [procs["petacore-replicated"],
                                           (second.port, second.proc.pid)])]
        for name, nodes in plan:
            extra = [targets.etcd.pid] if "replicated" in name else []
            s, series = run_target(name, nodes, args, bins["loader"], extra)
            summaries.append(s)
            all_series[name] = series
            print(s, flush=True)
    finally:
        if second is not None:
            second.close()
        targets.close()

    mb = 1024 * 1024
    lines = [
        "# Eviction under a cache load (issue 17)", "", desc, "",
        f"`bench/eviction.py --maxmemory-mb {args.maxmemory_mb} --policy {args.policy} --keys "
        f"{args.keys} --value-size {args.value_size} --zipf {args.zipf} --clients "
        f"{args.clients} --duration {args.duration:g}`: bench/loader GET/SET 90/10, Zipfian "
        f"(s={args.zipf}) over {args.keys:,} keys of {args.value_size} bytes (the key space is "
        f"{args.keys * args.value_size / mb / args.maxmemory_mb:.0f}x maxmemory), "
        f"{'no pre-load' if args.no_fill else 'the cache filled past maxmemory first'}; "
        f"{args.clients} connections (split over the nodes of a target); targets run one "
        "after another. Memory figures are per node; hits and ops summed over the nodes. "
        "Redis has 1 io thread, PetaCore `--threads 2`; CPU includes etcd for the replicated "
        "target.", "",
        "| target | fill s | ops/s | GET hit rate (whole / second half) | peak used_memory | "
        "peak counted | final used_memory | evicted | errors | CPU s / 1000 ops |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    pct = lambda x: "" if x is None else f"{100 * x:.1f} %"  # noqa: E731
    for s in summaries:
        cpu = "" if s["cpu_per_1000_ops"] is None else f"{s['cpu_per_1000_ops']:.3f}"
        fill = "" if s["fill_s"] is None else f"{s['fill_s']:.1f}"
        lines.append(
            f"| {s['target']} | {fill} | "
            f"{benchlib.fmt_rate(s['ops_per_sec'])} | {pct(s['hit_rate'])} / "
            f"{pct(s['hit_rate_second_half'])} | {s['peak_used'] / mb:.1f} MiB | "
            f"{s['peak_counted'] / mb:.1f} MiB | {s['final_used'] / mb:.1f} MiB | "
            f"{s['evicted']:,} | {s['errors']} | {cpu} |")
    lines += ["", "Over time (every 10 s: used_memory per node, MiB / GET hit rate of the "
              "window):", "", "| s | " + " | ".join(all_series) + " |",
              "|---:|" + "---:|" * len(all_series)]
    n_nodes = {s["target"]: s["nodes"] for s in summaries}
    for t in range(10, int(args.duration) + 1, 10):
        cells = []
        for name, series in all_series.items():
            a = min(series, key=lambda e: abs(e[0] - (t - 10)))[1]
            b = min(series, key=lambda e: abs(e[0] - t))[1]
            cells.append(f"{b['used_memory'] / n_nodes[name] / mb:.1f} / {pct(hit_rate(a, b))}")
        lines.append(f"| {t} | " + " | ".join(cells) + " |")
    keys = ["target", "nodes", "fill_s", "ops_per_sec", "hit_rate", "hit_rate_second_half", "peak_used",
            "peak_counted", "final_used", "evicted", "errors", "cpu_per_1000_ops"]
    benchlib.write_results("eviction", "\n".join(lines),
                           [[s[k] for k in keys] + [desc] for s in summaries], keys + ["machine"])


if __name__ == "__main__":
    main()
