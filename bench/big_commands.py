#!/usr/bin/env python3
"""Commands with thousands of writes on an etcd with its DEFAULT limits (128 ops, 1.5 MiB per
request), two PetaCore nodes, next to a real redis-server in the same run (issue 18, "No limit
that Redis does not have"; replication/etcd_txn_fanout.h).

The compares of the DEL, the EVAL and the WATCH rows do not fit one Txn list: they travel as
a check tree (etcd_txn_fanout.h CheckTree). For each command: its time on node A, the time until node B shows the result, and Redis's
time for the same command. Medians of --rounds rounds (each round starts from empty dbs).

  PETACORE_SERVER=build/bin/petacore-server /usr/bin/python3 bench/big_commands.py [--rounds 3]
"""
import argparse
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import harness  # noqa: E402
import test_big_values as t  # noqa: E402

N = 20000


def watched_exec(c):
    """WATCH of 1,000 existing keys, then MULTI INCR after EXEC."""
    with c.pipeline(transaction=True) as pipe:
        pipe.watch(*[f"k{i}" for i in range(4000, 5000)])
        pipe.multi()
        pipe.incr("after")
        return pipe.execute()


def steps():
    """(name, setup, command, visible-on-B check) — setup and command take a client."""
    fields = {f"f{i}": f"v{i}" for i in range(N)}
    big_fields = {f"field:{i:06d}": "v" * 30 for i in range(60000)}
    return [
        ("HSET 20000 fields", None, lambda c: c.hset("h", mapping=fields),
         lambda c: c.hlen("h") == N),
        ("MSET 5000 keys", None, lambda c: c.mset({f"k{i}": i for i in range(5000)}),
         lambda c: c.exists("k4999") == 1),
        ("DEL 2000 existing keys", None, lambda c: c.delete(*[f"k{i}" for i in range(2000)]),
         lambda c: c.exists("k0", "k1999") == 0),
        ("GET+SET of 2000 keys (EVAL)", None,
         lambda c: c.eval("for i = 2000, 3999 do local k = 'k' .. i "
                          "redis.call('SET', k, tonumber(redis.call('GET', k)) + 1) end", 0),
         lambda c: c.get("k3999") == b"4000"),
        ("EXEC after WATCH 1000 keys", None, watched_exec, lambda c: c.get("after") == b"1"),
        ("SADD 10000 members", None, lambda c: c.sadd("s", *range(10000)),
         lambda c: c.scard("s") == 10000),
        ("ZADD 10000 members", None, lambda c: c.zadd("z", {f"m{i}": i for i in range(10000)}),
         lambda c: c.zcard("z") == 10000),
        ("RPUSH 10000 elements", None, lambda c: c.rpush("l", *range(10000)),
         lambda c: c.llen("l") == 10000),
        # More element bytes than one request (1.5 MiB): staged into a new incarnation
        # (keyspace/txn_view.h StageLargeCollections).
        ("HSET 60000 fields (2.5 MB)", None, lambda c: c.hset("hb", mapping=big_fields),
         lambda c: c.hlen("hb") == 60000),
        ("SADD 200000 members (4 MB)", None, lambda c: c.sadd("sb", *range(200000)),
         lambda c: c.scard("sb") == 200000),
        ("RENAME 20000-field hash", None, lambda c: c.rename("h", "h2"),
         lambda c: c.exists("h2") == 1),
        ("COPY 20000-field hash", None, lambda c: c.copy("h2", "h3"),
         lambda c: c.exists("h3") == 1),
        ("DEL 20000-field hash", None, lambda c: c.delete("h3"),
         lambda c: c.exists("h3") == 0),
    ]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    etcd = t.DefaultLimitsEtcd()
    redis_server = harness.RealRedis()
    a = t.DefaultLimitsNode(etcd)
    b = t.DefaultLimitsNode(etcd)
    results = {}
    try:
        ca, cb = a.client(socket_timeout=300), b.client(socket_timeout=300)
        r = redis_server.client(socket_timeout=300)
        for _ in range(args.rounds):
            ca.flushall()
            r.flushall()
            harness.wait_for(lambda: cb.dbsize() == 0, timeout=60)
            for name, _, cmd, visible in steps():
                t0 = time.monotonic()
                cmd(ca)
                t1 = time.monotonic()
                harness.wait_for(lambda: visible(cb), timeout=120, interval=0.002)
                t2 = time.monotonic()
                cmd(r)
                t3 = time.monotonic()
                results.setdefault(name, []).append((t1 - t0, t2 - t1, t3 - t2))
        print(f"{'command':28} {'PetaCore A s':>12} {'+visible B s':>12} {'Redis s':>9} "
              f"{'ratio':>7}")
        for name, runs in results.items():
            pa = statistics.median(x[0] for x in runs)
            vb = statistics.median(x[1] for x in runs)
            rd = statistics.median(x[2] for x in runs)
            print(f"{name:28} {pa:12.3f} {vb:12.3f} {rd:9.3f} {pa / rd:7.1f}")
        info = ca.info("petacore")
        print("etcd_txns", info.get("etcd_txns"), "rounds", args.rounds)
    finally:
        a.close()
        b.close()
        etcd.close()
        redis_server.close()


if __name__ == "__main__":
    main()
