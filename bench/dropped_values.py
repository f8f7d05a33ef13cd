#!/usr/bin/env python3
"""How long the space of a dropped big value stays taken, with the chunk cleaner's DEFAULT
settings (`chunk-cleaner-interval-ms` 5000, `chunk-orphan-grace-ms` 60000), for two
petacore-server binaries side by side (issue 18; expiry/chunk_cleaner.h).

Per binary, rounds alternating which goes first: a fresh etcd member and one node; a hash of
--fields fields RENAMEd (so its elements live under an incarnation) and a 3 MB string
(chunked), then DEL of both; reported: the seconds from the DEL's reply until etcd holds no
chunk or element key, and the node's INFO used_memory before the DEL and after that point.

  /usr/bin/python3 bench/dropped_values.py --a OLD_BINARY --b NEW_BINARY [--rounds 2]
      [--fields 20000]
"""
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
sys.path.insert(0, HERE)
import benchlib  # noqa: E402
import harness  # noqa: E402
import test_big_values as t  # noqa: E402


def one_round(binary, fields):
    """(seconds until etcd is clean, used_memory before the DEL, used_memory after)."""
    with benchlib.EtcdAndNode(binary) as (etcd, node):
        c = node.client(socket_timeout=120)
        for s in range(0, fields, 5000):
            c.hset("h", mapping={f"field:{i}": f"value:{i}" for i in range(s, min(fields, s + 5000))})
        c.rename("h", "h2")  # into an incarnation (more than 4,096 elements)
        c.set("s", os.urandom(3 * 1024 * 1024))  # chunked
        before = int(c.info("memory")["used_memory"])
        c.delete("h2", "s")
        t0 = time.monotonic()
        harness.wait_for(lambda: t.chunk_keys(etcd) == 0, timeout=300, interval=0.1,
                         what="etcd to hold no chunk or element key")
        seconds = time.monotonic() - t0
        return seconds, before, int(c.info("memory")["used_memory"])


def main():
    ap = benchlib.ab_parser()
    ap.add_argument("--fields", type=int, default=20000)
    args = ap.parse_args()

    def report(r, side, res):
        print(f"round {r} {side}: etcd clean {res[0]:.1f} s after the DEL, used_memory "
              f"{res[1] / 2**20:.1f} -> {res[2] / 2**20:.1f} MiB", flush=True)

    results = benchlib.ab_rounds(args, lambda binary: one_round(binary, args.fields), report)
    for side in ("a", "b"):
        secs = [x[0] for x in results[side]]
        print(f"{side} ({getattr(args, side)}): median {statistics.median(secs):.1f} s "
              f"until etcd is clean")


if __name__ == "__main__":
    main()
