#!/usr/bin/env python3
"""bench/tracking_delay: client-side caching's cross-node invalidation delay.

Starts an etcd member and two PetaCore nodes (A, B) on free loopback ports. A RESP3 client on
A runs CLIENT TRACKING on BCAST PREFIX bench: ; a client on B writes bench:k N times (one at a
time). For each write: the time from sending the SET on B to the `invalidate` push reaching
the client on A (so it includes B's commit through etcd, the watch delivery to A, and A's
push). Prints p50/p99/max and the write's own ack time for comparison; writes
bench/results/tracking_delay-<timestamp>.md.

Usage: bench/tracking_delay.py [--writes 10000] [--no-build]
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402


def percentile(sorted_values, p):
    i = min(len(sorted_values) - 1, max(0, int(round(p / 100.0 * len(sorted_values))) - 1))
    return sorted_values[i]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--writes", type=int, default=10000)
    benchlib.add_build_args(p)
    args = p.parse_args()
    benchlib.ensure_binaries(["petacore-server"], no_build=args.no_build)
    h = benchlib.harness()
    from resp3_push_client import Resp3Client  # tests/integration, on the path after harness()

    etcd = h.Etcd()
    a = b = None
    try:
        a, b = h.Node(etcd), h.Node(etcd)
        reader = Resp3Client(a.port)
        writer = Resp3Client(b.port)
        assert reader.call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "bench:") == b"OK"
        delays, acks = [], []
        for i in range(args.writes):
            t0 = time.perf_counter()
            writer.call("SET", "bench:k", str(i))
            t1 = time.perf_counter()
            push = reader.wait_push(timeout=30)
            t2 = time.perf_counter()
            assert push == [b"invalidate", [b"bench:k"]], push
            acks.append((t1 - t0) * 1000)
            delays.append((t2 - t0) * 1000)
        delays.sort()
        acks.sort()
        rows = [("write on B -> push on A", delays), ("write on B acked (for comparison)", acks)]
        md = [f"# Cross-node invalidation delay ({args.writes} writes, {benchlib.stamp()})", "",
              benchlib.machine(), "",
              "| measure | p50 ms | p99 ms | max ms |", "|---|---|---|---|"]
        for name, v in rows:
            md.append(f"| {name} | {percentile(v, 50):.3f} | {percentile(v, 99):.3f} | "
                      f"{v[-1]:.3f} |")
        benchlib.write_results("tracking_delay", "\n".join(md))
    finally:
        for n in (a, b):
            if n is not None:
                n.close()
        etcd.close()


if __name__ == "__main__":
    main()
