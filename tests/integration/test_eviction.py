"""maxmemory eviction (issue 17; src/expiry/evictor.h, docs/consistency.md "Eviction").

Each load is played against a real redis-server 7.0.15 and PetaCore in the same test and the
surviving fraction of a hot set compared (both sample: not the exact keys). Volumes are kept
small enough for the whole file to run in about three minutes (stated per test); no timing
assertions: waits are bounded.

used_memory bound: PetaCore's used_memory (the MVCC store's bytes, old versions included)
may exceed maxmemory by what eviction does not count (mem_not_counted_for_evict: versions of
evicted keys waiting for the store's compaction, index nodes of deleted keys) plus eviction's
lag: it runs beside the writers (Redis evicts before each write). The tests assert
used_memory - mem_not_counted_for_evict <= 2 x maxmemory after every batch (the lag measured
on a shared 2-core machine at load ~17 reached ~1.2 x maxmemory over; see the printed
"[eviction]" lines for peaks), and <= maxmemory once the load stops (bounded wait).
"""
import os
import time
import unittest

import cluster
from harness import Etcd, Node, RealRedis, wait_for
from resp_wire import WireConn

MB = 1024 * 1024
VALUE = b"v" * 1000
HOT = 1000
# One batch of writes (pipelined) is the unit after which memory is checked: the evictor
# runs beside the writers, so the bound allows one batch (and group-commit in flight) over.
BATCH = 250


def mem(client):
    info = client.info("memory")
    return int(info["used_memory"]), int(info.get("mem_not_counted_for_evict", 0))


def hot_key(i):
    return f"hot:{i}"


def play(write_clients, read_clients, total_writes, read_every, ttl=None, hot_ttl=None,
         check=None):
    """The load: the hot set (HOT keys) written first, then `total_writes` new 1 KB keys
    spread over `write_clients` in pipelined batches; after every `read_every` writes, every
    client of `read_clients` reads the whole hot set. `ttl(i)`: EX seconds for key i (None =
    no TTL). `check()` runs after every batch. Returns the number of hot keys left."""
    p = write_clients[0].pipeline(transaction=False)
    for i in range(HOT):
        if hot_ttl:
            p.set(hot_key(i), VALUE, ex=hot_ttl)
        else:
            p.set(hot_key(i), VALUE)
    p.execute()
    written = 0
    since_read = 0
    while written < total_writes:
        c = write_clients[(written // BATCH) % len(write_clients)]
        p = c.pipeline(transaction=False)
        for i in range(written, min(written + BATCH, total_writes)):
            ex = ttl(i) if ttl else None
            if ex:
                p.set(f"key:{i}", VALUE, ex=ex)
            else:
                p.set(f"key:{i}", VALUE)
        p.execute()
        n = min(BATCH, total_writes - written)
        written += n
        since_read += n
        if since_read >= read_every:
            since_read = 0
            for rc in read_clients:
                rp = rc.pipeline(transaction=False)
                for i in range(HOT):
                    rp.get(hot_key(i))
                rp.execute()
        if check:
            check()
    return count_hot(read_clients[0])


def count_hot(client):
    p = client.pipeline(transaction=False)
    for i in range(HOT):
        p.exists(hot_key(i))
    return sum(p.execute())


def configure(client, maxmemory, policy):
    client.config_set("maxmemory-policy", policy)
    client.config_set("maxmemory", str(maxmemory))


class MemoryWatch:
    """Checks after every batch that eviction holds the limit on every PetaCore node."""

    def __init__(self, test, clients, maxmemory):
        self.test, self.clients, self.maxmemory = test, clients, maxmemory
        self.peak_used = 0
        self.peak_counted = 0

    def __call__(self):
        for c in self.clients:
            used, not_counted = mem(c)
            self.peak_used = max(self.peak_used, used)
            self.peak_counted = max(self.peak_counted, used - not_counted)

    def settle_and_assert(self):
        # After the load: the evictor catches up within a bounded wait.
        def under():
            return all(mem(c)[0] - mem(c)[1] <= self.maxmemory for c in self.clients)
        wait_for(under, timeout=120, interval=0.5, what="memory back under maxmemory")
        self.test.assertLessEqual(self.peak_counted, 2 * self.maxmemory,
                                  f"peak {self.peak_counted} over 2 x {self.maxmemory}")


def report(name, **figures):
    print(f"\n[eviction] {name}: " + ", ".join(f"{k}={v}" for k, v in figures.items()))


class EvictionStandalone(unittest.TestCase):
    """Standalone PetaCore against redis-server under the same loads."""

    def setUp(self):
        self.redis = RealRedis()
        self.node = Node()

    def tearDown(self):
        self.node.close()
        self.redis.close()

    def run_both(self, maxmemory, policy, total, read_every, **kw):
        results = {}
        for name, target in (("redis", self.redis), ("petacore", self.node)):
            c = target.client()
            configure(c, maxmemory, policy)
            watch = MemoryWatch(self, [c], maxmemory) if name == "petacore" else None
            results[name] = play([c], [c], total, read_every, check=watch, **kw)
            if watch:
                watch.settle_and_assert()
                results["peak_used"] = watch.peak_used
                results["peak_counted"] = watch.peak_counted
                results["evicted"] = c.info("stats")["evicted_keys"]
        report(policy, **results)
        return results

    def test_allkeys_lru_hot_set_survives(self):
        # 20mb, 60 MB of 1 KB keys (the 100 MB scaled for the runtime budget).
        r = self.run_both(20 * MB, "allkeys-lru", 60000, 500)
        self.assertGreater(r["evicted"], 0)
        # Redis ranks by a 1 s LRU clock, and this load writes thousands of keys per second,
        # so most of its candidates tie with the hot keys: its survivors are sampling noise
        # (331, 549, 999, 179, 188 in five runs). PetaCore ranks eviction by the access time
        # at 1/256 s (AccessRecord::last_access_frac): the hot set, read every 500 writes, is
        # always fresher than the keys written before the last read. It kept 1000 of 1000 in
        # every run since; with the 1 s clock it kept 165-896 and once failed this test's
        # former margin (Redis - 250) on CI.
        self.assertGreaterEqual(r["petacore"], 950)

    def test_allkeys_lfu(self):
        # Kept 132-170 of 1000 hot keys while the sampling cursors swept freely: they drifted
        # into the hot keys' region together and the pool held nothing else (evictor.cc).
        # With each cursor held to its own region the hot set survives as on Redis.
        r = self.run_both(8 * MB, "allkeys-lfu", 25000, 500)
        self.assertGreaterEqual(r["petacore"], r["redis"] - 150)

    def test_volatile_lru_never_evicts_keys_without_ttl(self):
        # Every other key without TTL; the hot set has a TTL (so it may be evicted).
        ttl = lambda i: 3600 if i % 2 else None
        r = self.run_both(8 * MB, "volatile-lru", 12000, 500, ttl=ttl, hot_ttl=3600)
        c = self.node.client()
        p = c.pipeline(transaction=False)
        for i in range(0, 12000, 2):
            p.exists(f"key:{i}")
        self.assertEqual(sum(p.execute()), 6000, "a key without TTL was evicted")
        self.assertGreaterEqual(r["petacore"], r["redis"] - 150)

    def test_volatile_ttl_evicts_nearest_expiry_first(self):
        # Hot keys expire last (1 day); the others expire in 1 hour: volatile-ttl keeps the hot
        # set, whatever the reads.
        ttl = lambda i: 3600
        r = self.run_both(8 * MB, "volatile-ttl", 12000, 10 ** 9, ttl=ttl, hot_ttl=86400)
        self.assertGreaterEqual(r["petacore"], r["redis"] - 150)

    def test_oom_text_when_nothing_is_evictable(self):
        replies = {}
        for name, target in (("redis", self.redis), ("petacore", self.node)):
            c = target.client()
            configure(c, 1 * MB, "volatile-lru")
            conn = WireConn(target.port)
            raw = None
            for i in range(5000):
                raw, _ = conn.call("SET", f"big:{i}", VALUE)
                if raw.startswith(b"-"):
                    break
            replies[name] = raw
            conn.close()
        self.assertTrue(replies["redis"].startswith(b"-OOM"), replies)
        self.assertEqual(replies["petacore"], replies["redis"])


class EvictionReplicated(unittest.TestCase):
    """Two PetaCore nodes on one etcd: eviction decided by the expiry lease holder."""

    def setUp(self):
        self.etcd = Etcd()
        self.nodes = cluster.start_nodes(self.etcd, 2, extra_args=["--expiry-lease-ttl", "2"])

    def tearDown(self):
        for n in self.nodes:
            n.close()
        self.etcd.close()

    def leader(self):
        for n in self.nodes:
            if n.proc.poll() is None and n.client().info("petacore").get(
                    "expiry_is_leader") == 1:
                return n
        return None

    def redis_hot_baseline(self, redis, maxmemory, total):
        """The hot keys a real Redis keeps under the same load (read on itself)."""
        rc = redis.client()
        configure(rc, maxmemory, "allkeys-lru")
        return play([rc], [rc], total, 500)

    def test_allkeys_lru_two_nodes(self):
        redis = RealRedis()
        try:
            maxmemory, total = 20 * MB, 40000
            redis_hot = self.redis_hot_baseline(redis, maxmemory, total)
            clients = [n.client() for n in self.nodes]
            for c in clients:  # maxmemory is a node option; the policy is cluster-wide
                configure(c, maxmemory, "allkeys-lru")
            wait_for(lambda: all(c.config_get("maxmemory-policy")["maxmemory-policy"] ==
                                 "allkeys-lru" for c in clients), what="policy everywhere")
            # Only the decider knows which versions wait for compaction (docs/consistency.md
            # "Eviction"): memory is watched on it.
            wait_for(lambda: self.leader() is not None, timeout=30, what="an expiry leader")
            watch = MemoryWatch(self, [self.leader().client()], maxmemory)
            hot = play(clients, clients, total, 500, check=watch)
            watch.settle_and_assert()
            evicted = sum(int(c.info("stats")["evicted_keys"]) for c in clients)
            report("replicated allkeys-lru", redis=redis_hot, petacore=hot,
                   peak_used=watch.peak_used, peak_counted=watch.peak_counted,
                   evicted=evicted)
            self.assertGreater(evicted, 0)
            self.assertGreaterEqual(hot, redis_hot - 150)
            cluster.wait_converged(self.nodes, self.etcd)
            wait_for(lambda: clients[0].dbsize() == clients[1].dbsize(), timeout=30,
                     what="the same DBSIZE on both nodes")
        finally:
            redis.close()

    def test_hot_set_read_only_on_the_other_node(self):
        """The deciding node never reads the hot set; the other node does. Without the access
        summaries (expiry/access_reporter.h) the decider sees the hot keys as the oldest
        written and evicts them first; with them it ranks by the other node's reads."""
        redis = RealRedis()
        try:
            maxmemory, total = 20 * MB, 40000
            redis_hot = self.redis_hot_baseline(redis, maxmemory, total)
            wait_for(lambda: self.leader() is not None, timeout=30, what="an expiry leader")
            leader = self.leader()
            other = next(n for n in self.nodes if n is not leader)
            lc, oc = leader.client(), other.client()
            for c in (lc, oc):
                configure(c, maxmemory, "allkeys-lru")
            wait_for(lambda: oc.config_get("maxmemory-policy")["maxmemory-policy"] ==
                     "allkeys-lru", what="the policy on the other node")
            watch = MemoryWatch(self, [lc], maxmemory)
            hot = play([lc], [oc], total, 500, check=watch)
            watch.settle_and_assert()
            info_l, info_o = lc.info("petacore"), oc.info("petacore")
            report("replicated allkeys-lru, hot set read on the other node", redis=redis_hot,
                   petacore=hot, evicted=lc.info("stats")["evicted_keys"],
                   summaries=info_o.get("access_summaries_published"),
                   remote_keys=info_l.get("access_summary_remote_keys"))
            self.assertEqual(info_l.get("expiry_is_leader"), 1,
                             "the decider changed during the load")
            self.assertGreaterEqual(hot, redis_hot - 150)
            self.assertGreater(int(info_o["access_summaries_published"]), 0)
        finally:
            redis.close()

    def test_kill_deciding_node(self):
        maxmemory = 8 * MB
        wait_for(lambda: self.leader() is not None, timeout=30, what="an expiry leader")
        leader = self.leader()
        other = next(n for n in self.nodes if n is not leader)
        oc = other.client()
        configure(leader.client(), maxmemory, "allkeys-lru")
        configure(oc, maxmemory, "allkeys-lru")
        p = oc.pipeline(transaction=False)
        written = 0
        for _ in range(40):  # 10 MB: over the limit, the leader evicts
            for i in range(written, written + BATCH):
                p.set(f"key:{i}", VALUE)
            p.execute()
            written += BATCH
        leader.kill()
        for _ in range(40):  # another 10 MB while the lease expires
            for i in range(written, written + BATCH):
                p.set(f"key:{i}", VALUE)
            p.execute()
            written += BATCH
        wait_for(lambda: oc.info("petacore").get("expiry_is_leader") == 1, timeout=30,
                 what="the surviving node takes the expiry lease")
        wait_for(lambda: mem(oc)[0] - mem(oc)[1] <= maxmemory, timeout=120, interval=0.5,
                 what="memory under the limit after the takeover")
        self.assertGreater(int(oc.info("stats")["evicted_keys"]), 0)


if __name__ == "__main__":
    unittest.main()
