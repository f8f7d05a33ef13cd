"""FLUSHDB and DEL of a big hash under faults (issue 18; replication/range_tombstone.h,
expiry/tombstone_cleaner.h): kill -9 of the expiry leader while its tombstone cleaner is
half-way, kill -9 of the node that sent the FLUSHDB or the DEL before it answered, and the
etcd leader frozen (SIGSTOP) while the cleaner works.

What must hold in every case: another node sees the keys all there or all gone, never part
of them; writes made after the flush survive the cleaner; once a cleaner runs again (on the
node that took the expiry lease), etcd holds no key the tombstone deleted and no tombstone —
nothing is left behind; and a node started afterwards loads exactly what the others serve.
"""
import json
import os
import subprocess
import time
import unittest

import cluster
import harness
from test_big_values import NODE_ARGS, PREFIX

N = 200000
TOMBSTONES = PREFIX.encode() + b"\xfftombstone/"


def ctl_count(endpoint, key, range_end=None, prefix=False, serializable=False):
    """The number of etcd keys at `key` ([key, range_end) or the prefix), by one Range
    (serializable: answered by the member itself, without the leader)."""
    args = ["etcdctl", "--endpoints", endpoint, "--dial-timeout", "2s", "--command-timeout",
            "20s", "get", key]
    if serializable:
        args.append("--consistency=s")
    if range_end is not None:
        args.append(range_end)
    args += ["--keys-only", "--limit", "1", "-w", "json"]
    if prefix:
        args.append("--prefix")
    out = subprocess.run(args, env=dict(os.environ, ETCDCTL_API="3"), check=True,
                         capture_output=True, timeout=30).stdout
    return json.loads(out).get("count", 0)


def data_keys(endpoint):
    """Keys of Redis data (everything under the prefix below PetaCore's own 0xFF keys)."""
    return ctl_count(endpoint, PREFIX, PREFIX.encode() + b"\xff")


def load(client, n, tag="key"):
    per = 5000
    for s in range(0, n, per):
        client.mset({f"{tag}:{i}": i for i in range(s, min(n, s + per))})


def petacore_info(node, field):
    return int(node.client().info("petacore")[field])


def expiry_leader(nodes):
    """The node holding the expiry lease (the one whose tombstone cleaner runs)."""
    found = []
    harness.wait_for(lambda: found.append([n for n in nodes
                                           if petacore_info(n, "expiry_is_leader") == 1])
                     or len(found[-1]) == 1, timeout=30, what="one expiry leader")
    return found[-1][0]


def wait_cleaning_started(node):
    """Until `node`'s cleaner has deleted at least one page of stale keys from etcd."""
    harness.wait_for(lambda: petacore_info(node, "tombstone_stale_keys_deleted") > 0,
                     timeout=60, interval=0.02, what="the tombstone cleaner to begin")


class Faults(unittest.TestCase):
    """Two nodes (A, B), started with test_big_values.NODE_ARGS (2 s expiry lease), on
    `self.etcd` (set by start())."""

    def start(self, etcd):
        self.etcd = etcd
        self.addCleanup(etcd.close)
        self.nodes = [harness.Node(etcd, extra_args=NODE_ARGS) for _ in range(2)]
        for n in self.nodes:
            self.addCleanup(n.close)

    def assert_etcd_clean(self, endpoint, live):
        """Once a cleaner ran: etcd holds the `live` data keys and no tombstone."""
        harness.wait_for(lambda: data_keys(endpoint) == live, timeout=180, interval=0.5,
                         what=f"etcd to hold the {live} live keys only")
        harness.wait_for(lambda: ctl_count(endpoint, TOMBSTONES, prefix=True) == 0,
                         timeout=60, what="the tombstone to be deleted")


class KillDuringClean(Faults):

    def setUp(self):
        self.start(harness.Etcd())

    def test_kill_the_cleaning_leader_half_way(self):
        a, b = self.nodes
        ca = a.client(socket_timeout=120)
        load(ca, N)
        harness.wait_for(lambda: b.client().dbsize() == N, timeout=120, what="B to load")
        leader = expiry_leader(self.nodes)
        other = b if leader is a else a
        co = other.client(socket_timeout=120)
        self.assertTrue(co.flushdb())
        wait_cleaning_started(leader)
        leader.kill()
        # The premise: the killed cleaner left stale keys behind it in etcd.
        left = data_keys(self.etcd.endpoint)
        print(f"\n[flushdb faults] stale keys left by the killed cleaner: {left} of {N}")
        self.assertGreater(left, 0, "the cleaner finished before the kill: nothing tested")
        # The survivor serves the flush at once, takes the lease and finishes the cleaning;
        # what it writes meanwhile survives.
        self.assertEqual(co.dbsize(), 0)
        self.assertTrue(co.set("key:7", "after"))
        self.assertEqual(co.hset("h", "f", 1), 1)
        self.assert_etcd_clean(self.etcd.endpoint, live=3)  # key:7, h and h's field
        self.assertEqual(co.get("key:7"), b"after")
        self.assertEqual(co.hgetall("h"), {b"f": b"1"})
        self.assertGreater(petacore_info(other, "tombstone_stale_keys_deleted"), 0)
        # The killed node comes back: it loads the two keys, none of the flushed ones.
        leader.start()
        cl = leader.client()
        self.assertEqual(cl.dbsize(), 2)
        self.assertIsNone(cl.get("key:5"))
        self.assertEqual(cl.get("key:7"), b"after")

    def test_kill_the_sender_before_the_reply(self):
        # The kill comes 0-50 ms after the commands were sent: before A read them, while its
        # Txn is with etcd, or after. Each outcome must be whole.
        a, b = self.nodes
        cb = b.client(socket_timeout=120)
        # Both counts from one snapshot of B (a MULTI/EXEC reads at one revision).
        both = lambda c: tuple(c.pipeline(transaction=True).dbsize().hlen("big").execute())
        outcomes = []
        for delay in (0, 0.005, 0.02, 0.05):
            ca = a.client(socket_timeout=120)
            ca.flushall()
            load(ca, 20000)
            ca.hset("big", mapping={f"f{i}": i for i in range(20000)})
            harness.wait_for(lambda: both(cb) == (20001, 20000), timeout=60, what="B to load")
            with harness.Poller(lambda: b.client(socket_timeout=60), both) as poll:
                # DEL and FLUSHDB sent on one connection, A killed without reading the
                # replies: each is applied whole or not at all.
                conn = a.client(socket_timeout=5).connection_pool.get_connection("x")
                conn.send_command("DEL", "big")
                conn.send_command("FLUSHDB")
                time.sleep(delay)
                a.kill()
                # What A sent to etcd before it died may still be applied: B catches up.
                cluster.wait_converged([b], self.etcd)
            self.assertEqual(poll.seen - {(20001, 20000), (20000, 0), (0, 0)}, set(),
                             f"B saw part of a DEL or a FLUSHDB (kill after {delay} s)")
            final = both(cb)
            outcomes.append(final)
            live = {(20001, 20000): 40001, (20000, 0): 20000, (0, 0): 0}[final]
            # B (or A once back) holds the expiry lease and cleans what the tombstones deleted.
            self.assert_etcd_clean(self.etcd.endpoint, live=live)
            a.start()
            self.assertEqual(both(a.client()), final)
        print(f"\n[flushdb faults] (dbsize, hlen) on B after each kill: {outcomes}")


class FrozenEtcdLeaderDuringClean(Faults):

    def setUp(self):
        self.start(cluster.EtcdCluster())

    def test_cleaner_finishes_after_the_freeze_and_nothing_new_is_lost(self):
        a, b = self.nodes
        ca, cb = a.client(socket_timeout=120), b.client(socket_timeout=120)
        load(ca, N)
        harness.wait_for(lambda: cb.dbsize() == N, timeout=120, what="B to load")
        leader = expiry_leader(self.nodes)
        self.assertTrue(ca.flushdb())
        wait_cleaning_started(leader)
        victim = self.etcd.wait_leader()
        victim.stop()  # SIGSTOP
        try:
            # The premise: stale keys were left when etcd lost its leader (nothing is deleted
            # until a new one is elected; a follower's serializable count shows them).
            follower = next(m for m in self.etcd.members if m is not victim)
            left = ctl_count(follower.endpoint, PREFIX, PREFIX.encode() + b"\xff",
                             serializable=True)
            print(f"\n[flushdb faults] stale keys in etcd at the freeze: {left} of {N}")
            self.assertGreater(left, 0, "the cleaner finished before the freeze")
            self.etcd.wait_leader()  # a new leader among the two others
            # Writes after the flush, on both nodes, while the cleaner meets the freeze.
            for i, c in enumerate((ca, cb)):
                for j in range(20):
                    harness.wait_for(lambda: c.set(f"key:{i}{j}", "after"), timeout=30,
                                     what="a write with the old etcd leader frozen")
        finally:
            victim.cont()
        harness.wait_for(lambda: self.etcd.healthy(), timeout=60, what="etcd healthy again")
        endpoint = self.etcd.endpoint
        self.assert_etcd_clean(endpoint, live=40)
        for c in (ca, cb):
            harness.wait_for(lambda: c.dbsize() == 40, timeout=30, what="the 40 new keys")
            self.assertEqual(c.mget(f"key:{i}{j}" for i in range(2) for j in range(20)),
                             [b"after"] * 40)
        print(f"\n[flushdb faults] cleaner errors across the freeze: "
              f"{petacore_info(leader, 'tombstone_cleaner_errors')}")


if __name__ == "__main__":
    unittest.main()
