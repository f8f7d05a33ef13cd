#!/usr/bin/env python3
"""FLUSHDB of a large database and DEL of a large hash (issue 18; range tombstones,
replication/range_tombstone.h) on an etcd with its DEFAULT limits, two PetaCore nodes, next to
a real redis-server in the same run.

Reports: FLUSHDB's reply time on node A, until node B shows DBSIZE 0, until the tombstone
cleaner has removed the stale keys from etcd, and the slowest etcd health check (a
linearizable read) while it cleaned; DEL of a hash of --hash-fields fields, the same way;
then the same database deleted by one etcd DeleteRange (what FLUSHDB did before), with its
time and the slowest health check during it; and Redis's FLUSHDB and DEL.

  PETACORE_SERVER=build/bin/petacore-server /usr/bin/python3 bench/big_deletes.py \
      [--keys 1000000] [--hash-fields 1000000]
"""
import argparse
import os
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import harness  # noqa: E402
import test_big_values as t  # noqa: E402
from test_flushdb import data_keys, load  # noqa: E402


class Prober:
    """etcdctl endpoint health (a linearizable read) in a loop; the slowest while running."""

    def __init__(self, etcd):
        self.etcd, self.worst, self.stop = etcd, 0.0, threading.Event()
        self.thread = threading.Thread(target=self.run)
        self.thread.start()

    def run(self):
        env = dict(os.environ, ETCDCTL_API="3")
        while not self.stop.is_set():
            t0 = time.monotonic()
            subprocess.run(["etcdctl", "--endpoints", self.etcd.endpoint, "endpoint", "health"],
                           env=env, capture_output=True, timeout=60)
            self.worst = max(self.worst, time.monotonic() - t0)
            time.sleep(0.05)

    def end(self):
        self.stop.set()
        self.thread.join()
        return self.worst


def timed_delete(what, etcd, delete, gone_on_b):
    """Times `delete` on node A, until `gone_on_b`, until etcd holds no data key; prints them
    with the slowest etcd health check meanwhile."""
    prober = Prober(etcd)
    t0 = time.monotonic()
    delete()
    t1 = time.monotonic()
    harness.wait_for(gone_on_b, timeout=600, interval=0.002)
    t2 = time.monotonic()
    harness.wait_for(lambda: data_keys(etcd) == 0, timeout=600, interval=0.2)
    t3 = time.monotonic()
    worst = prober.end()
    print(f"PetaCore {what}: reply {t1 - t0:.3f} s, gone on B +{t2 - t1:.3f} s, stale keys "
          f"gone from etcd +{t3 - t1:.1f} s, slowest etcd health check meanwhile {worst:.3f} s")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--keys", type=int, default=1000000)
    ap.add_argument("--hash-fields", type=int, default=1000000)
    args = ap.parse_args()
    n = args.keys
    with t.default_limits_pair_and_redis() as (etcd, a, b, redis_server):
        ca, cb = a.client(socket_timeout=600), b.client(socket_timeout=600)
        t0 = time.monotonic()
        load(ca, n)
        harness.wait_for(lambda: cb.dbsize() == n, timeout=600, interval=0.2)
        print(f"loaded {n} keys in {time.monotonic() - t0:.1f} s (MSET of 5,000)")
        timed_delete("FLUSHDB", etcd, lambda: ca.flushdb(), lambda: cb.dbsize() == 0)
        t0 = time.monotonic()
        for s in range(0, args.hash_fields, 10000):
            ca.hset("big", mapping={f"field:{i}": i for i in range(s, s + 10000)})
        harness.wait_for(lambda: cb.hlen("big") == args.hash_fields, timeout=600, interval=0.2)
        print(f"built a hash of {args.hash_fields} fields in {time.monotonic() - t0:.1f} s "
              f"(HSET of 10,000)")
        timed_delete("DEL of the hash", etcd, lambda: ca.delete("big"),
                     lambda: cb.exists("big") == 0)
        # Before: one DeleteRange of the database, straight to etcd (no PetaCore node).
        a.close()
        b.close()
        load_direct = t.DefaultLimitsNode(etcd, extra_args=["--active-expiry", "no"])
        cd = load_direct.client(socket_timeout=600)
        load(cd, n, tag="direct")
        load_direct.close()
        prober = Prober(etcd)
        env = dict(os.environ, ETCDCTL_API="3")
        t0 = time.monotonic()
        # [prefix, prefix + 0x01): every key of database 0 (no key is the prefix itself).
        p = subprocess.run(["etcdctl", "--endpoints", etcd.endpoint, "--command-timeout=600s",
                            "del", t.PREFIX, t.PREFIX.encode() + b"\x01"], env=env,
                           capture_output=True, timeout=600)
        t1 = time.monotonic()
        worst = prober.end()
        print(f"one etcd DeleteRange of the database (before): {t1 - t0:.2f} s "
              f"({p.stdout.decode().strip()} keys), slowest etcd health check meanwhile {worst:.3f} s")
        r = redis_server.client(socket_timeout=600)
        load(r, n)
        t0 = time.monotonic()
        r.flushdb()
        print(f"Redis FLUSHDB: {time.monotonic() - t0:.3f} s")
        for s in range(0, args.hash_fields, 10000):
            r.hset("big", mapping={f"field:{i}": i for i in range(s, s + 10000)})
        t0 = time.monotonic()
        r.delete("big")
        print(f"Redis DEL of the hash: {time.monotonic() - t0:.3f} s")


if __name__ == "__main__":
    main()
