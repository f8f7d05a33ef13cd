#!/usr/bin/env python3
"""bench/read_consistency: GET throughput and latency with local vs linearizable reads.

Starts one etcd member and two PetaCore nodes on it (free loopback ports): one with
--read-consistency local, one with --read-consistency linearizable. Pre-loads every one of
--keys keys (SET key:000000000000 .. key:<K-1>, the names redis-benchmark -r K draws, so every
GET hits), then runs redis-benchmark GET with each --configs entry (c1 = 1 client, c50 = 50
clients; pNN adds pipelining), alternating the two nodes for every run, --rounds rounds;
medians reported, with the CPU microseconds per GET of the PetaCore node that served it and
of etcd (from /proc, over the run). With --writes, a background redis-benchmark
SET load (-c 10) runs on the local node during every GET run, so linearizable reads also
wait for the watch to apply the revision they fetched.
The linearizable node's INFO read_barrier_fetches / read_barrier_readers give how many
readers one etcd request served (batching).

  bench/read_consistency                 # 3 rounds of c1, c50, c50p16; 200000 GETs per c50
                                         # run (c50p16: 4x, c1: a tenth)
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


def preload(port, keys, size):
    """SETs key:000000000000 .. key:<keys-1> (redis-benchmark's -r names) to `size` bytes
    through redis-cli --pipe, so every GET of the benchmark hits."""
    value = "x" * size
    payload = "".join(f"*3\r\n$3\r\nSET\r\n$16\r\nkey:{i:012d}\r\n${size}\r\n{value}\r\n"
                      for i in range(keys)).encode()
    subprocess.run(["redis-cli", "-p", str(port), "--pipe"], input=payload, check=True,
                   capture_output=True, timeout=3600)


def keys_in(port):
    """The number of keys in db 0 (INFO keyspace), 0 if none."""
    db0 = benchlib.info_field(port, "keyspace", "db0")
    return int(db0.split(",")[0].split("=")[1]) if db0 else 0


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--rounds", type=int)
    p.add_argument("--configs", default="c1,c50,c50p16")
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
        preload(nodes["local"].port, args.keys, args.size)
        for node in nodes.values():  # both replicas hold every key before the first GET
            h.wait_for(lambda: keys_in(node.port) >= args.keys, timeout=600,
                       what="preloaded keys replicated")
        samples = {}
        barrier_before = (int(benchlib.info_field(nodes["linearizable"].port, "petacore",
                                                  "read_barrier_fetches") or 0),
                          int(benchlib.info_field(nodes["linearizable"].port, "petacore",
                                                  "read_barrier_readers") or 0))
        for rnd in range(rounds):
            for cfg in configs:
                clients, pipeline = parse_config(cfg)
                n = requests if clients >= 10 else max(1000, requests // 10)
                if pipeline > 1:
                    n *= 4
                for mode in ("local", "linearizable"):
                    if args.writes:
                        writer = subprocess.Popen(
                            ["redis-benchmark", "-p", str(nodes["local"].port), "-t", "set",
                             "-n", "100000000", "-r", str(args.keys), "-c", "10", "-d",
                             str(args.size), "-q"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
                        time.sleep(0.5)
                    pids = [nodes[mode].proc.pid, etcd.pid]
                    cpu0 = [benchlib.cpu_seconds([pid]) for pid in pids]
                    try:
                        r = run_benchmark(nodes[mode].port, "get", n, clients, pipeline,
                                          args.size, args.keys, timeout=600)
                        cpu = [(benchlib.cpu_seconds([pid]) - c0) / n * 1e6
                               for pid, c0 in zip(pids, cpu0)]
                        r = (*r[:3], *cpu, r[3])
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
             "| clients | pipeline | mode | GET/s | p50 ms | p99 ms | PetaCore CPU µs/GET | "
             "etcd CPU µs/GET | vs local |",
             "|---|---|---|---|---|---|---|---|---|"]
    rows = []
    for cfg in configs:
        clients, pipeline = parse_config(cfg)
        med = {}
        for mode in ("local", "linearizable"):
            ok = [s for s in samples[(cfg, mode)] if s[0] is not None]
            med[mode] = tuple(benchlib.median([s[i] for s in ok]) for i in range(5))
        for mode in ("local", "linearizable"):
            rps, p50, p99, cpu_node, cpu_etcd = med[mode]
            lines.append(f"| {clients} | {pipeline} | {mode} | {benchlib.fmt_rate(rps)} | "
                         f"{benchlib.fmt_ms(p50)} | {benchlib.fmt_ms(p99)} | "
                         f"{benchlib.fmt(cpu_node, '.1f')} | {benchlib.fmt(cpu_etcd, '.1f')} | "
                         f"{benchlib.fmt_ratio(rps, med['local'][0])} |")
            rows.append([clients, pipeline, mode, rps, p50, p99, cpu_node, cpu_etcd])
    lines += ["", f"Linearizable node: {readers} reads served by {fetches} etcd revision fetches "
              f"({readers / fetches if fetches else 0:.1f} reads per fetch).",
              f"Wall time {time.monotonic() - started:.0f} s."]
    benchlib.write_results("read_consistency", "\n".join(lines), rows,
                           ["clients", "pipeline", "mode", "ops_per_sec", "p50_ms", "p99_ms",
                            "petacore_cpu_us_per_op", "etcd_cpu_us_per_op"])


if __name__ == "__main__":
    main()
