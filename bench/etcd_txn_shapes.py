#!/usr/bin/env python3
"""bench/etcd_txn_shapes: where etcd's CPU per replicated write goes (issue 18 "Throughput").

PetaCore's group commit sends etcd one Txn of ~24 blind SETs at a time (one Txn in flight,
`--etcd-max-inflight-txns 1`), each a DeleteRange of the key's subkeys plus a Put of its meta
key, and every node watches the prefix. This bench takes that shape apart on one etcd member
(scripts/start-etcd.sh, PetaCore's flags) with bench/etcd_put alone, no PetaCore, and
measures etcd's CPU µs per written key (/proc user + system time of etcd over the run, divided
by the keys) for:

- raw blocking Puts at --clients 50 (the issue's "raw Put" baseline);
- Txns of --batch Puts of new keys, one in flight (bench/etcd_put --bulk);
- the same Puts overwriting random keys among 100,000 (a SET -r 100000 load);
- overwrites, each preceded by the blind SET's DeleteRange [key\\0, KeyEnd(key)) (etcd_put
  --range-delete): PetaCore's blind SET shape;
- the last two again with one watcher on the prefix (`etcdctl watch --prefix`, output
  discarded), as a PetaCore node's watch.

Cells are medians of --rounds rounds in a rotating order. Nothing is asserted. Writes
bench/results/etcd_txn_shapes-<timestamp>.md and .csv. Not run by ctest.

Usage: bench/etcd_txn_shapes.py [--rounds 3] [--keys 100000] [--batch 24] [--no-build]
"""
import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from benchlib import cpu_seconds, fmt, median  # noqa: E402

PREFIX = "/petacore/"


def bulk_cell(binary, etcd, n, batch, extra):
    """etcd CPU µs per key and keys/s of n keys in Txns of `batch`, one Txn in flight."""
    e0 = cpu_seconds([etcd.pid])
    out = subprocess.run([binary, "--endpoints", etcd.endpoint, "--bulk", str(n), "--batch",
                          str(batch), "--clients", "1", "--petacore", "--prefix", PREFIX,
                          "--value-size", "3", *extra],
                         capture_output=True, text=True, timeout=1800)
    r = benchlib.parse_result_line(out.stdout)
    if not r or r.get("errors"):
        raise RuntimeError(f"etcd_put {extra}: {out.stdout}{out.stderr}")
    return {"us": (cpu_seconds([etcd.pid]) - e0) / n * 1e6, "rate": r.get("keys_per_sec")}


def put_cell(binary, etcd, n):
    """etcd CPU µs per Put and Puts/s of n blocking Puts from 50 threads."""
    e0 = cpu_seconds([etcd.pid])
    out = subprocess.run([binary, "--endpoints", etcd.endpoint, "--clients", "50", "--ops",
                          str(n), "--key-prefix", PREFIX + "raw/"],
                         capture_output=True, text=True, timeout=1800)
    r = benchlib.parse_result_line(out.stdout)
    return {"us": (cpu_seconds([etcd.pid]) - e0) / n * 1e6, "rate": r.get("ops_per_sec")}


class Watcher:
    """`etcdctl watch --prefix PREFIX` on the member, its output discarded."""

    def __init__(self, etcd):
        env = dict(os.environ, ETCDCTL_API="3")
        self.proc = subprocess.Popen(["etcdctl", "--endpoints", etcd.endpoint, "watch",
                                      "--prefix", PREFIX], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def close(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--requests", type=int, default=50000, help="keys or Puts per cell")
    p.add_argument("--keys", type=int, default=100000, help="key space of the overwrites")
    p.add_argument("--batch", type=int, default=24, help="Puts per Txn (PetaCore's ~24)")
    benchlib.add_build_args(p)
    args = p.parse_args()
    binary = benchlib.ensure_binaries(["etcd_put"], no_build=args.no_build)["etcd_put"]
    h = benchlib.harness()
    etcd = h.Etcd()
    n, b, keys = args.requests, args.batch, ["--keys", str(args.keys), "--overwrite"]
    cells = {
        "raw Put, --clients 50": lambda: put_cell(binary, etcd, n),
        f"Txn of {b} Puts, new keys": lambda: bulk_cell(binary, etcd, n, b, []),
        f"Txn of {b} Puts, overwrites": lambda: bulk_cell(binary, etcd, n, b, keys),
        f"Txn of {b} (DeleteRange + Put), overwrites":
            lambda: bulk_cell(binary, etcd, n, b, keys + ["--range-delete"]),
    }
    watched = {
        f"Txn of {b} Puts, overwrites, 1 watcher": keys,
        f"Txn of {b} (DeleteRange + Put), overwrites, 1 watcher": keys + ["--range-delete"],
    }
    for label, extra in watched.items():
        def cell(extra=extra):
            w = Watcher(etcd)
            try:
                return bulk_cell(binary, etcd, n, b, extra)
            finally:
                w.close()
        cells[label] = cell
    results = {label: [] for label in cells}
    try:
        labels = list(cells)
        for rnd in range(args.rounds):
            print(f"round {rnd + 1}/{args.rounds}", flush=True)
            shift = rnd % len(labels)
            for label in labels[shift:] + labels[:shift]:
                results[label].append(cells[label]())
    finally:
        etcd.close()
    raw = median([c["us"] for c in results["raw Put, --clients 50"]])
    md = [f"# etcd CPU per written key, by Txn shape (medians of {args.rounds})", "",
          benchlib.machine(), "",
          f"`bench/etcd_txn_shapes.py --rounds {args.rounds} --requests {n} --keys "
          f"{args.keys} --batch {b}`; one etcd member (scripts/start-etcd.sh), bench/etcd_put "
          "only; one Txn in flight for the Txn rows.", "",
          "| shape | etcd CPU µs / key | ÷ raw Put | keys/s |", "|---|---:|---:|---:|"]
    rows = []
    for label, cs in results.items():
        us = median([c["us"] for c in cs])
        rate = median([c["rate"] for c in cs])
        md.append(f"| {label} | {us:.1f} | {us / raw:.2f} | {fmt(rate)} |")
        rows.append([label, round(us, 2), round(us / raw, 3), rate])
    benchlib.write_results("etcd_txn_shapes", "\n".join(md) + "\n", rows,
                           ["shape", "etcd_us_per_key", "ratio_to_raw_put", "keys_per_sec"])


if __name__ == "__main__":
    main()
