#!/usr/bin/env python3
"""bench/read_consistency: GET throughput and latency with local vs linearizable reads.

Starts one etcd member and two PetaCore nodes on it (free loopback ports): one with
--read-consistency local, one with --read-consistency linearizable. Pre-loads --keys keys
(redis-benchmark SET over key:0..K-1), then runs redis-benchmark GET with each --configs
entry (c1 = 1 client, c50 = 50 clients; pNN adds pipelining), alternating the two nodes for
every run, --rounds rounds; medians reported. With --writes, a background redis-benchmark
SET load (-c 10) runs on the local node during every GET run, so linearizable reads also
wait for the watch to apply the revision they fetched.
The linearizable node's INFO read_barrier_fetches / read_barrier_readers give how many
readers one etcd request served (batching).

  bench/read_consistency                 # 3 rounds, 200000 GETs per run (c50), 20000 (c1)
  bench/read_consistency --quick         # 1 round, 20000 / 2000 GETs
  bench/read_consistency --writes        # the same under a concurrent SET load
"""
import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from compare import run_benchmark  # noqa: E402


def parse_config(cfg):
    clients, _, pipeline = cfg.lstrip("c").partition("p")
    return int(clients), int(pipeline or 1)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--rounds", type=int)
    p.add_argument("--configs", default="c1,c50")
    p.add_argument("--keys", type=int, default=100000)
    p.add_argument("--size", type=int, default=100)
    p.add_argument("--requests", type=int, help="GETs per run with 50 clients (c1: a tenth)")
    p.add_argument("--writes", action="store_true", help="concurrent SET load on the other node")
    benchlib.add_build_args(p)
    args = p.parse_args()
    rounds = args.rounds or (1 if args.quick else 3)
    requests = args.requests or (20000 if args.quick else 200000)
    configs = [c.strip() for c in args.configs.split(",")]

    benchlib.ensure_binaries(["petacore-server"], no_build=args.no_build)
    h = benchlib.harness()
    desc = benchlib.machine()
    started = time.monotonic()
    etcd = h.Etcd()
    nodes = {}
    writer = None
    try:
        for mode in ("local", "linearizable"):
            nodes[mode] = h.Node(etcd, extra_args=["--read-consistency", mode])
        subprocess.run(["redis-benchmark", "-p", str(nodes["local"].port), "-t", "set", "-n",
                        str(args.keys), "-r", str(args.keys), "-c", "50", "-P", "20", "-d",
                        str(args.size), "-q"], check=True, capture_output=True, timeout=3600)
        samples = {}
        barrier_before = (int(benchlib.info_field(nodes["linearizable"].port, "petacore",
                                                  "read_barrier_fetches") or 0),
                          int(benchlib.info_field(nodes["linearizable"].port, "petacore",
                                                  "read_barrier_readers") or 0))
        for rnd in range(rounds):
            for cfg in configs:
                clients, pipeline = parse_config(cfg)
                n = requests if clients >= 10 else max(1000, requests // 10)
                for mode in ("local", "linearizable"):
                    if args.writes:
                        writer = subprocess.Popen(
                            ["redis-benchmark", "-p", str(nodes["local"].port), "-t", "set",
                             "-n", "100000000", "-r", str(args.keys), "-c", "10", "-d",
                             str(args.size), "-q"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
                        time.sleep(0.5)
                    try:
                        r = run_benchmark(nodes[mode].port, "get", n, clients, pipeline,
                                          args.size, args.keys, timeout=600)
                    finally:
                        if writer is not None:
                            writer.kill()
                            writer.wait()
                            writer = None
                    samples.setdefault((cfg, mode), []).append(r)
                    print(f"round {rnd + 1} {cfg} {mode}: {r}", flush=True)
        fetches = int(benchlib.info_field(nodes["linearizable"].port, "petacore",
                                          "read_barrier_fetches")) - barrier_before[0]
        readers = int(benchlib.info_field(nodes["linearizable"].port, "petacore",
                                          "read_barrier_readers")) - barrier_before[1]
    finally:
        if writer is not None:
            writer.kill()
        for node in nodes.values():
            node.close()
        etcd.close()

    lines = ["# Read consistency: GET, local vs linearizable (redis-benchmark)", "", desc, "",
             f"Command: `bench/read_consistency {' '.join(sys.argv[1:])}`; one etcd member, "
             f"two PetaCore nodes on it; {args.keys} keys of {args.size} B; "
             f"{'concurrent SET load (-c 10) on the other node; ' if args.writes else ''}"
             f"medians of {rounds} round(s).", "",
             "| clients | pipeline | mode | GET/s | p50 ms | p99 ms | vs local |",
             "|---|---|---|---|---|---|---|"]
    rows = []
    for cfg in configs:
        clients, pipeline = parse_config(cfg)
        med = {}
        for mode in ("local", "linearizable"):
            ok = [s for s in samples[(cfg, mode)] if s[0] is not None]
            med[mode] = tuple(benchlib.median([s[i] for s in ok]) for i in range(3))
        for mode in ("local", "linearizable"):
            rps, p50, p99 = med[mode]
            lines.append(f"| {clients} | {pipeline} | {mode} | {benchlib.fmt_rate(rps)} | "
                         f"{benchlib.fmt_ms(p50)} | {benchlib.fmt_ms(p99)} | "
                         f"{benchlib.fmt_ratio(rps, med['local'][0])} |")
            rows.append([clients, pipeline, mode, rps, p50, p99])
    lines += ["", f"Linearizable node: {readers} reads served by {fetches} etcd revision fetches "
              f"({readers / fetches if fetches else 0:.1f} reads per fetch).",
              f"Wall time {time.monotonic() - started:.0f} s."]
    benchlib.write_results("read_consistency", "\n".join(lines), rows,
                           ["clients", "pipeline", "mode", "ops_per_sec", "p50_ms", "p99_ms"])


if __name__ == "__main__":
    main()
