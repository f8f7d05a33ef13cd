"""An etcd member frozen (SIGSTOP) or killed while a node stages a big write (issue 18:
"nothing half-applied is ever visible"): a 24 MB SET (its chunks, keyspace/chunked_value.h)
with the leader frozen, then with the leader killed (and restarted), a RENAME of a
30,000-field hash (its incarnation, keyspace/incarnation.h) with a follower frozen. Three
members, two nodes; node A writes, node B reads throughout.

The write ends OK, in doubt ("may or may not have been applied") or refused before Raft —
nothing else, and within the clients' timeout (the member's detection ends what waited for
it). While it runs and after, node B sees the old state or the whole new one: the old or the
new value byte for byte, exactly one of source and destination. After SIGCONT both nodes
agree, an acknowledged write is there, a refused one is not; once the keys are deleted, the
chunk cleaner leaves etcd with no chunk or element key (orphans of an abandoned staging too).
"""
import hashlib
import os
import sys
import threading
import unittest

import redis

import cluster
from harness import wait_for
from test_big_values import chunk_keys

IN_DOUBT = "may or may not have been applied"
# Refused before Raft, or a staging commit failed so the command's own was never sent.
REFUSED = ("etcdserver: no leader", "etcdserver: not capable", "etcdserver: too many requests",
           "nothing was applied")
NODE_ARGS = ["--etcd-timeout-ms", "60000", "--chunk-cleaner-interval-ms", "200",
             "--chunk-orphan-grace-ms", "1000", "--expiry-lease-ttl", "2"]


class Outcome:
    """Runs fn in a thread; `.result` is "ok", "in doubt", "refused" or the unexpected text."""

    def __init__(self, fn):
        self.result = None
        self.thread = threading.Thread(target=self.run, args=(fn,), daemon=True)
        self.thread.start()

    def run(self, fn):
        try:
            fn()
            self.result = "ok"
        except redis.ResponseError as e:
            text = str(e)
            if IN_DOUBT in text:
                self.result = "in doubt"
            elif any(r in text for r in REFUSED):
                self.result = "refused"
            else:
                self.result = text
        except Exception as e:  # noqa: BLE001 - a timeout fails the test
            self.result = repr(e)

    def wait(self):
        self.thread.join(timeout=120)
        return self.result


class FrozenDuringStaging(unittest.TestCase):
    def setUp(self):
        self.etcd = cluster.EtcdCluster()
        self.addCleanup(self.etcd.close)
        self.nodes = cluster.start_nodes(self.etcd, 2, extra_args=NODE_ARGS)
        for n in self.nodes:
            self.addCleanup(n.close)
        self.a = self.nodes[0].client(socket_timeout=90)
        self.b = self.nodes[1].client(socket_timeout=90)

    def staged(self, field):
        return int(self.a.info("petacore").get(field, 0))

    def fault_while(self, fault, recover, start, field, seen_on_b):
        """Starts the write, injects `fault` once node A staged part of it, polls node B with
        seen_on_b (which must hold every time) until the write ended, then `recover`s."""
        before = self.staged(field)
        outcome = Outcome(start)
        wait_for(lambda: self.staged(field) > before or outcome.result is not None,
                 timeout=60, interval=0.005, what="node A to stage part of the write")
        fault()
        try:
            while outcome.result is None:
                self.assertTrue(seen_on_b(), "node B saw a half-applied write")
            result = outcome.wait()
        finally:
            recover()
        self.assertIn(result, ("ok", "in doubt", "refused"))
        print(f"{self.id()}: the write ended {result!r}", file=sys.stderr)
        wait_for(lambda: self.etcd.healthy(), timeout=60, what="cluster healthy again")
        cluster.wait_converged(self.nodes, self.etcd)
        return result

    def freeze_while(self, victim, start, field, seen_on_b):
        return self.fault_while(victim.stop, victim.cont, start, field, seen_on_b)

    def big_set(self, fault, recover):
        """SET of 24 MB over a small value under the fault; then the value on both nodes,
        and no chunk left in etcd once it is deleted."""
        old, new = b"old value", os.urandom(24 * 1024 * 1024)
        digests = {hashlib.sha256(old).digest(), hashlib.sha256(new).digest()}
        self.a.set("big", old)
        wait_for(lambda: self.b.get("big") == old, what="B to see the old value")
        result = self.fault_while(
            fault, recover, lambda: self.a.set("big", new), "chunks_staged",
            lambda: hashlib.sha256(self.b.get("big")).digest() in digests)
        for c in (self.a, self.b):
            got = c.get("big")
            if result == "ok":
                self.assertEqual(got, new)
            elif result == "refused":
                self.assertEqual(got, old)
            else:
                self.assertIn(hashlib.sha256(got).digest(), digests)
        self.a.delete("big")
        wait_for(lambda: chunk_keys(self.etcd) == 0, timeout=90,
                 what="the chunk cleaner to remove every chunk")

    def test_leader_frozen_during_a_chunked_set(self):
        leader = self.etcd.wait_leader()
        self.big_set(leader.stop, leader.cont)

    def test_leader_killed_during_a_chunked_set(self):
        leader = self.etcd.wait_leader()
        self.big_set(leader.kill, leader.restart)

    def test_follower_frozen_during_a_big_rename(self):
        n = 30000
        for s in range(0, n, 5000):
            self.a.hset("src", mapping={f"f{i}": i for i in range(s, s + 5000)})
        wait_for(lambda: self.b.hlen("src") == n, timeout=60, what="B to load the hash")
        result = self.freeze_while(
            self.etcd.followers()[0], lambda: self.a.rename("src", "dst"),
            "incarnation_batches_staged", lambda: self.b.exists("src", "dst") == 1)
        for c in (self.a, self.b):
            moved = c.exists("dst") == 1
            if result == "ok":
                self.assertTrue(moved)
            elif result == "refused":
                self.assertFalse(moved)
            self.assertEqual(c.hlen("dst" if moved else "src"), n)
            self.assertEqual(c.hget("dst" if moved else "src", "f29999"), b"29999")
        self.a.delete("src", "dst")
        wait_for(lambda: chunk_keys(self.etcd) == 0, timeout=90,
                 what="the chunk cleaner to remove every element")


if __name__ == "__main__":
    unittest.main()
