#!/usr/bin/env python3
"""RENAME, COPY and DEL of a hash of a million fields (issue 18: "RENAME of a 1M-element hash
... atomic as seen from another node"; keyspace/incarnation.h) on an etcd with its DEFAULT
limits (128 operations, 1.5 MiB per request), two PetaCore nodes, next to a real redis-server
in the same run.

Reports, on node A: the first RENAME (the elements staged under a new incarnation, then one
switching Txn), a second RENAME (the meta key alone), COPY (a new incarnation), and DEL of both
(the meta keys; the chunk cleaner removes the elements later) — each with its reply time, the
time until node B shows the result, and for the deletes the time until etcd holds no element
left. While the first RENAME runs, a client on node B polls EXISTS src dst in a loop: every
answer must be 1 (never both, never neither). Then Redis's RENAME, COPY and DEL of the same
hash.

  PETACORE_SERVER=build/bin/petacore-server /usr/bin/python3 bench/big_rename.py \
      [--fields 1000000]
"""
import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import harness  # noqa: E402
import test_big_values as t  # noqa: E402


def build(client, n):
    for s in range(0, n, 10000):
        client.hset("src", mapping={f"field:{i}": i for i in range(s, min(n, s + 10000))})


def timed(what, op, seen_on_b):
    t0 = time.monotonic()
    reply = op()
    t1 = time.monotonic()
    harness.wait_for(seen_on_b, timeout=600, interval=0.002, what=what)
    t2 = time.monotonic()
    print(f"PetaCore {what}: reply {reply!r} in {t1 - t0:.3f} s, on node B +{t2 - t1:.3f} s",
          flush=True)
    return t1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fields", type=int, default=1000000)
    args = ap.parse_args()
    n = args.fields
    with t.default_limits_pair_and_redis() as (etcd, a, b, redis_server):
        ca, cb = a.client(socket_timeout=600), b.client(socket_timeout=600)
        t0 = time.monotonic()
        build(ca, n)
        harness.wait_for(lambda: cb.hlen("src") == n, timeout=600, interval=0.2)
        print(f"built a hash of {n} fields in {time.monotonic() - t0:.1f} s (HSET of 10,000)",
              flush=True)
        with harness.Poller(lambda: b.client(socket_timeout=600),
                            lambda c: c.exists("src", "dst")) as poll:
            timed("RENAME src dst (staged into a new incarnation)",
                  lambda: ca.rename("src", "dst"),
                  lambda: cb.exists("dst") == 1 and cb.hlen("dst") == n)
        print(f"  node B's EXISTS src dst during it: {sorted(poll.seen)} "
              f"({'never both, never neither' if poll.seen == {1} else 'NOT ATOMIC'})")
        info = ca.info("petacore")
        print(f"  incarnations_staged {info['incarnations_staged']}, "
              f"incarnation_batches_staged {info['incarnation_batches_staged']}, "
              f"element keys in etcd {t.chunk_keys(etcd)}")
        assert cb.hget("dst", "field:765432" if n > 765432 else "field:1") is not None
        timed("RENAME dst dst2 (the meta key alone)", lambda: ca.rename("dst", "dst2"),
              lambda: cb.exists("dst2") == 1)
        timed("COPY dst2 copy (a new incarnation)", lambda: ca.copy("dst2", "copy"),
              lambda: cb.hlen("copy") == n)
        t1 = timed("DEL dst2 copy", lambda: ca.delete("dst2", "copy"),
                   lambda: cb.exists("dst2", "copy") == 0)
        harness.wait_for(lambda: t.chunk_keys(etcd) == 0, timeout=900, interval=0.5)
        print(f"  elements gone from etcd +{time.monotonic() - t1:.1f} s "
              f"(chunk cleaner, --chunk-orphan-grace-ms 1000, then the tombstone cleaner)")
        r = redis_server.client(socket_timeout=600)
        build(r, n)
        for what, op in (("RENAME src dst", lambda: r.rename("src", "dst")),
                         ("RENAME dst dst2", lambda: r.rename("dst", "dst2")),
                         ("COPY dst2 copy", lambda: r.copy("dst2", "copy")),
                         ("DEL dst2 copy", lambda: r.delete("dst2", "copy"))):
            t0 = time.monotonic()
            op()
            print(f"Redis {what}: {time.monotonic() - t0:.3f} s")


if __name__ == "__main__":
    main()
