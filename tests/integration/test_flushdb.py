"""FLUSHDB, and DEL of a big collection, as one small write (issue 18;
replication/range_tombstone.h), on an etcd with its DEFAULT limits.

They put a range tombstone; every node drops the range's keys when it applies that revision,
a node loading etcd's data skips the keys older than the tombstone, a compare of an absent
key accepts such a stale key, and the tombstone cleaner (on the expiry leader) removes the
stale keys from etcd in the background with compares, so nothing written after the tombstone
is lost, then the tombstone. Before, FLUSHDB of a million keys, or DEL of a million-field
hash, was one DeleteRange that kept etcd busy for 4-7 s and failed with "Deadline Exceeded".
"""
import json
import os
import subprocess
import unittest

import harness
from test_big_values import (DefaultLimitsEtcd, DefaultLimitsNode, PREFIX,
                             TwoNodesOnDefaultLimits, etcd_count)

N = 200000


def load(client, n, tag="key"):
    per = 5000
    for s in range(0, n, per):
        client.mset({f"{tag}:{i}": i for i in range(s, min(n, s + per))})


def data_keys(etcd):
    """Keys of Redis data in etcd: [prefix, prefix + 0xFF), everything under the prefix but
    PetaCore's own keys — counted by one Range (two counts could straddle a change; etcd
    counts before it applies the limit)."""
    env = dict(os.environ, ETCDCTL_API="3")
    out = subprocess.run(["etcdctl", "--endpoints", etcd.endpoint, "get", PREFIX,
                          PREFIX.encode() + b"\xff", "--keys-only", "--limit", "1",
                          "-w", "json"],
                         env=env, check=True, capture_output=True, timeout=30).stdout
    return json.loads(out).get("count", 0)


class FlushDb(TwoNodesOnDefaultLimits):

    def setUp(self):
        self.ca.flushall()
        self.extra_subkeys = 0

    def wait_cleaned(self):
        harness.wait_for(lambda: data_keys(self.etcd) == self.ca.dbsize() +
                         sum(self.a.client(db=d).dbsize() for d in range(1, 16)) +
                         self.extra_subkeys, timeout=120, interval=0.2,
                         what="the tombstone cleaner to remove the stale keys from etcd")

    extra_subkeys = 0

    def test_flushdb_of_many_keys_is_seen_whole_and_leaves_etcd(self):
        load(self.ca, N)
        harness.wait_for(lambda: self.cb.dbsize() == N, timeout=60, what="B to load")
        with harness.Poller(lambda: self.b.client(socket_timeout=60),
                            lambda c: c.dbsize()) as poll:
            self.assertTrue(self.ca.flushdb())
            self.assertEqual(self.ca.dbsize(), 0)
            harness.wait_for(lambda: self.cb.dbsize() == 0, timeout=30, what="B to flush")
        self.assertEqual(poll.seen - {N, 0}, set())
        self.extra_subkeys = 0
        self.wait_cleaned()
        self.assertEqual(data_keys(self.etcd), 0)
        self.assertGreaterEqual(int(self.ca.info("petacore")["tombstone_stale_keys_deleted"]) +
                                int(self.cb.info("petacore")["tombstone_stale_keys_deleted"]), N)
        harness.wait_for(lambda: etcd_count(self.etcd, PREFIX.encode() + b"\xfftombstone/") == 0,
                         timeout=30, what="the cleaner to delete the tombstone")

    def test_writes_after_the_flush_survive_the_cleaner(self):
        load(self.ca, 20000)
        self.ca.hset("h", mapping={"a": 1, "b": 2})
        self.ca.flushdb()
        # Stale versions of these keys may still be in etcd: the writes must commit anyway.
        self.assertTrue(self.ca.set("key:1", "new"))
        self.assertTrue(self.ca.set("key:2", "nx", nx=True))
        self.assertEqual(self.ca.incr("key:3"), 1)
        self.assertEqual(self.ca.hset("h", "z", 1), 1)
        with self.ca.pipeline(transaction=True) as p:
            p.watch("key:4")
            p.multi()
            p.set("key:4", "watched")
            self.assertEqual(p.execute(), [True])
        want = {b"key:1": b"new", b"key:2": b"nx", b"key:3": b"1", b"key:4": b"watched"}
        self.extra_subkeys = 1  # h's field z
        self.wait_cleaned()
        for c in (self.ca, self.cb):
            harness.wait_for(lambda: c.dbsize() == 5, timeout=30, what="the five keys")
            self.assertEqual({k: c.get(k) for k in want}, want)
            self.assertEqual(c.hgetall("h"), {b"z": b"1"})

    def test_exec_flushdb_keeps_what_it_writes_after(self):
        load(self.ca, 5000)  # above the tombstone threshold (4,096 keys)
        self.ca.mset({"a": 1, "b": 1})
        with self.ca.pipeline(transaction=True) as p:
            p.set("a", 2)
            p.flushdb()
            p.set("c", 3)
            p.get("b")
            self.assertEqual(p.execute(), [True, True, True, None])
        for c in (self.ca, self.cb):
            harness.wait_for(lambda: c.dbsize() == 1, timeout=30, what="one key")
            self.assertEqual(c.mget("a", "b", "c"), [None, None, b"3"])

    def test_flushall_empties_every_database(self):
        load(self.ca, 1000)
        d3 = self.a.client(db=3)
        load(d3, 1000, tag="three")
        self.assertTrue(self.ca.flushall())
        for db in (0, 3):
            c = self.b.client(db=db)
            harness.wait_for(lambda: c.dbsize() == 0, timeout=30, what=f"db {db} empty on B")
        self.extra_subkeys = 0
        self.wait_cleaned()


    def test_del_of_a_big_hash_is_one_small_write_and_the_key_can_come_back(self):
        fields = {f"f{i}": i for i in range(20000)}
        self.ca.hset("h", mapping=fields)
        harness.wait_for(lambda: self.cb.hlen("h") == 20000, timeout=30, what="B to load")
        with harness.Poller(lambda: self.b.client(socket_timeout=60),
                            lambda c: c.hlen("h")) as poll:
            self.assertEqual(self.ca.delete("h"), 1)
            harness.wait_for(lambda: self.cb.exists("h") == 0, timeout=30, what="B to delete")
        self.assertEqual(poll.seen - {20000, 0}, set())
        # At once, while etcd still holds the stale fields: a new hash of the same name.
        self.assertEqual(self.ca.hset("h", "new", 1), 1)
        self.assertEqual(self.ca.hgetall("h"), {b"new": b"1"})
        self.extra_subkeys = 1  # h's field "new"
        self.wait_cleaned()
        for c in (self.ca, self.cb):
            harness.wait_for(lambda: c.hgetall("h") == {b"new": b"1"}, timeout=30,
                             what="the new hash alone")
        harness.wait_for(lambda: etcd_count(self.etcd, PREFIX.encode() + b"\xfftombstone/") == 0,
                         timeout=30, what="the cleaner to delete the tombstone")


    def cleaned_by_tombstones(self):
        return sum(int(c.info("petacore")["tombstone_stale_keys_deleted"])
                   for c in (self.ca, self.cb))

    def test_active_expiry_of_a_big_hash_is_a_tombstone_too(self):
        self.ca.hset("ttl", mapping={f"f{i}": i for i in range(20000)})
        before = self.cleaned_by_tombstones()
        self.ca.pexpire("ttl", 300)  # expired by the active expiry (nothing reads it)
        for c in (self.ca, self.cb):
            harness.wait_for(lambda: c.exists("ttl") == 0, timeout=30, what="the expiry")
        self.wait_cleaned()
        self.assertGreaterEqual(self.cleaned_by_tombstones() - before, 20001)


class FlushDbBeforeTheCleaner(unittest.TestCase):
    """No expiry leader (--active-expiry no), so no cleaner: the stale keys stay in etcd."""

    def test_a_node_starting_after_the_flush_loads_none_of_the_stale_keys(self):
        etcd = DefaultLimitsEtcd()
        nodes = []
        try:
            a = DefaultLimitsNode(etcd, extra_args=["--active-expiry", "no"])
            nodes.append(a)
            ca = a.client(socket_timeout=120)
            load(ca, 20000)
            ca.flushdb()
            ca.set("after", "1")
            self.assertEqual(data_keys(etcd), 20001)  # the stale keys are still there
            c = DefaultLimitsNode(etcd, extra_args=["--active-expiry", "no"])
            nodes.append(c)
            cc = c.client()
            self.assertEqual(cc.dbsize(), 1)
            self.assertEqual(cc.get("after"), b"1")
            self.assertIsNone(cc.get("key:5"))
            self.assertEqual(cc.incr("key:5"), 1)  # compares with the stale version: passes
            # A big hash deleted, then created again: the new node sees the new one only.
            ca.hset("big", mapping={f"f{i}": i for i in range(10000)})
            self.assertEqual(ca.delete("big"), 1)
            self.assertEqual(ca.hset("big", "z", 1), 1)
            d = DefaultLimitsNode(etcd, extra_args=["--active-expiry", "no"])
            nodes.append(d)
            self.assertEqual(d.client().hgetall("big"), {b"z": b"1"})
        finally:
            for n in nodes:
                n.close()
            etcd.close()


if __name__ == "__main__":
    unittest.main()
