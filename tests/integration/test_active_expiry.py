"""Active expiry: expired keys leave etcd and every node's replica without any client reading
them, one node at a time (elected through an etcd lease), with a hand-over when that node dies.
Standalone mode expires keys from its store too.

Keys are checked in etcd with etcdctl and on the nodes through INFO figures that read no key
(INFO memory / stats / petacore), so no lazy expiry can be what removed them. No assertion
depends on how fast anything is: every wait is polled with a bound."""
import base64
import json
import signal
import time
import unittest

from harness import Etcd, Node, proxied_node, wait_for

PREFIX = b"/petacore/"
LEADER_KEY = PREFIX + b"\xffexpiry/leader"


def info(node, section):
    return node.client().info(section)


def etcd_kvs(etcd):
    """{key: value} of everything under the data prefix, as etcd has it now."""
    out = json.loads(etcd.ctl("get", "--prefix", PREFIX.decode(), "-w", "json"))
    return {base64.b64decode(kv["key"]): base64.b64decode(kv.get("value", ""))
            for kv in out.get("kvs", [])}


def data_keys(etcd):
    """Keys under the data prefix that belong to Redis keys (internal 0xFF keys left out)."""
    return [k for k in etcd_kvs(etcd) if not k.startswith(PREFIX + b"\xff")]


def etcd_value(etcd, key):
    return etcd_kvs(etcd).get(key)


class ActiveExpiryReplicated(unittest.TestCase):
    """Two nodes, "node-a" and "node-b", on one etcd; fresh for every test."""

    def setUp(self):
        self.etcd = Etcd()
        self.addCleanup(self.etcd.close)
        # A lease far longer than any wait here: only a revoked lease lets B take over in time.
        ttl = ["--expiry-lease-ttl", "300"] if "sigterm" in self._testMethodName else []
        self.a = Node(self.etcd, extra_args=["--node-id", "node-a", *ttl])
        self.addCleanup(self.a.close)
        self.b = Node(self.etcd, extra_args=["--node-id", "node-b", *ttl])
        self.addCleanup(self.b.close)
        self.nodes = {"node-a": self.a, "node-b": self.b}

    def leader(self):
        """The node id whose INFO says it leads, once exactly one node says so."""
        found = []

        def one():
            found[:] = [n for n, node in self.nodes.items()
                        if node.proc.poll() is None
                        and info(node, "petacore")["expiry_is_leader"] == 1]
            return len(found) == 1
        wait_for(one, timeout=30, what="exactly one expiry leader")
        return found[0]

    def test_px_key_visible_on_both_then_deleted_from_etcd_without_reads(self):
        a, b = self.a.client(), self.b.client()
        a.execute_command("SET", "k", "v", "PX", "1500")
        a.execute_command("HSET", "h", "f1", "x", "f2", "y")
        a.execute_command("PEXPIRE", "h", "1500")
        wait_for(lambda: b.get("k") == b"v", timeout=10, what="B sees the key")
        self.assertEqual(b.hlen("h"), 2)
        self.assertEqual(len(data_keys(self.etcd)), 4)  # k, h's meta key and two fields
        # From here on nothing reads k or h: only etcd and key-free INFO sections are asked.
        wait_for(lambda: data_keys(self.etcd) == [], timeout=20, what="keys deleted from etcd")
        for node in (self.a, self.b):
            # Only the election key is left in each replica, and the node registry's records
            # (this node's, and the other nodes' that ROLE lists), and the stored-format marker.
            def emptied(node=node):
                records = 1 + len(node.client().execute_command("ROLE")[2])
                return info(node, "memory")["mvcc_live_keys"] == 1 + records + 1
            wait_for(emptied, timeout=10, what="replica emptied")
            self.assertEqual(info(node, "petacore")["expiry_tracked_keys"], 0)
        # Each key was deleted once, by whichever node led at the time (normally one node; a
        # hand-over in between, e.g. keep-alives starved on a loaded machine, may split them).
        self.assertEqual(sum(info(n, "stats")["expired_keys"] for n in (self.a, self.b)), 2)
        leader = self.leader()
        self.assertEqual(etcd_value(self.etcd, LEADER_KEY), leader.encode())
        for node in (self.a, self.b):
            pc = info(node, "petacore")
            self.assertEqual(pc["expiry_leader"], leader)
            self.assertEqual(pc["expiry_node_id"] == leader, pc["expiry_is_leader"] == 1)
        self.assertEqual(a.exists("k", "h"), 0)
        self.assertEqual(b.exists("k", "h"), 0)

    def test_killing_the_leader_hands_expiry_over(self):
        leader = self.leader()
        survivor_id = "node-b" if leader == "node-a" else "node-a"
        survivor = self.nodes[survivor_id]
        self.nodes[leader].kill(signal.SIGKILL)  # no lease revoke: etcd expires it after its TTL
        c = survivor.client()
        c.execute_command("SET", "after-kill", "v", "PX", "500")
        for i in range(50):
            c.execute_command("SET", f"k{i}", "v", "PX", "300")
        wait_for(lambda: data_keys(self.etcd) == [], timeout=30,
                 what="keys set after the kill deleted from etcd")
        pc = info(survivor, "petacore")
        self.assertEqual(pc["expiry_is_leader"], 1)
        self.assertEqual(pc["expiry_leader"], survivor_id)
        self.assertEqual(info(survivor, "stats")["expired_keys"], 51)
        self.assertEqual(etcd_value(self.etcd, LEADER_KEY), survivor_id.encode())

    def test_sigterm_revokes_the_lease_for_the_next_leader(self):
        leader = self.leader()
        survivor_id = "node-b" if leader == "node-a" else "node-a"
        self.nodes[leader].kill(signal.SIGTERM)
        wait_for(lambda: info(self.nodes[survivor_id], "petacore")["expiry_is_leader"] == 1,
                 timeout=30, what="survivor leads")
        self.assertEqual(etcd_value(self.etcd, LEADER_KEY), survivor_id.encode())

    def test_key_rewritten_just_before_its_expiry_is_not_deleted(self):
        # End to end, whichever comes first. That a delete decided on an old version fails
        # its compare is proven deterministically against etcd in tests/expiry/expirer_test.cc
        # (StaleModRevisionDeleteFailsAndLeavesTheKey); this run may or may not race.
        a, b = self.a.client(), self.b.client()
        n = 300
        pipe = a.pipeline(transaction=False)
        for i in range(n):
            pipe.execute_command("SET", f"r{i}", "old", "PX", "1000")
        start = time.monotonic()
        pipe.execute()
        # Rewrite everything close to the old expiry so that rewrites and expiry deletes race;
        # whichever comes first, the rewritten value must survive: a delete that was decided on
        # the old version must fail its mod_revision compare.
        time.sleep(max(0.0, 0.95 - (time.monotonic() - start)))
        pipe = b.pipeline(transaction=False)
        for i in range(n):
            pipe.execute_command("SET", f"r{i}", "new")
        pipe.execute()
        time.sleep(1.5)  # well past the old expiry: any wrong delete has happened by now
        wait_for(lambda: info(self.a, "petacore")["expiry_due_keys"] == 0, timeout=10,
                 what="nothing left to expire")
        self.assertEqual(len(data_keys(self.etcd)), n)
        for node in (a, b):
            wait_for(lambda: node.mget([f"r{i}" for i in range(n)]) == [b"new"] * n,
                     timeout=10, what="every rewritten key on both nodes")
        self.assertEqual(b.ttl("r0"), -1)


class ActiveExpiryStandalone(unittest.TestCase):
    def test_keys_leave_the_store_without_reads(self):
        node = Node()
        self.addCleanup(node.close)
        c = node.client()
        for i in range(100):
            c.execute_command("SET", f"k{i}", "v", "PX", "300")
        c.execute_command("SADD", "s", "a", "b", "c")
        c.execute_command("PEXPIRE", "s", "300")
        c.set("keep", "v")
        self.assertEqual(info(node, "petacore")["expiry_tracked_keys"], 101)
        wait_for(lambda: info(node, "memory")["mvcc_live_keys"] == 1, timeout=20,
                 what="expired keys gone from the store")
        self.assertEqual(info(node, "stats")["expired_keys"], 101)
        self.assertEqual(info(node, "petacore")["expiry_tracked_keys"], 0)
        self.assertEqual(c.dbsize(), 1)

    def test_without_active_expiry_keys_stay_until_read(self):
        node = Node(extra_args=["--active-expiry", "no"])
        self.addCleanup(node.close)
        c = node.client()
        c.execute_command("SET", "k", "v", "PX", "100")
        wait_for(lambda: info(node, "petacore")["expiry_due_keys"] == 1, timeout=10,
                 what="key due")
        self.assertEqual(info(node, "memory")["mvcc_live_keys"], 1)  # still held
        self.assertEqual(info(node, "stats")["expired_stale_perc"], 100.0)
        self.assertIsNone(c.get("k"))  # lazy expiry still hides it
        self.assertEqual(info(node, "stats")["expired_keys"], 0)

class ExpiryLeaderWithAStalledWatch(unittest.TestCase):
    """The expiry leader reaches etcd through a proxy that the test freezes (requests go up,
    answers and the watch are held), so its replica still has the old versions of keys that
    another node rewrote without a TTL. A leader whose replica is not known to be current
    decides nothing: the keys expired in its replica stay due, none is deleted, and after the
    thaw every rewritten key survives."""

    def test_stale_leader_deletes_nothing(self):
        etcd = Etcd()
        self.addCleanup(etcd.close)
        leader, proxy = proxied_node(etcd, ["--node-id", "node-l", "--expiry-lease-ttl", "60"])
        self.addCleanup(proxy.close)
        self.addCleanup(leader.close)
        wait_for(lambda: info(leader, "petacore")["expiry_is_leader"] == 1, timeout=30,
                 what="the proxied node leads active expiry")
        other = Node(etcd, extra_args=["--node-id", "node-o", "--active-expiry", "no"])
        self.addCleanup(other.close)
        lc, oc = leader.client(socket_timeout=90), other.client()
        n = 200
        keys = [f"r{i}" for i in range(n)]
        pipe = oc.pipeline(transaction=False)
        for k in keys:
            pipe.execute_command("SET", k, "old", "PX", "1500")
        pipe.execute()
        wait_for(lambda: info(leader, "petacore")["expiry_tracked_keys"] == n, timeout=10,
                 what="the leader tracks every key's TTL")
        proxy.freeze()
        try:
            pipe = oc.pipeline(transaction=False)
            for k in keys:
                pipe.execute_command("SET", k, "new")  # no TTL; the leader does not see it
            pipe.execute()
            # The old versions expire in the leader's replica: all due, none taken (several
            # expiry cycles of 100 ms pass while it is frozen).
            wait_for(lambda: info(leader, "petacore")["expiry_due_keys"] == n, timeout=30,
                     what="the old versions due in the leader's replica")
            for _ in range(5):
                time.sleep(0.2)
                self.assertEqual(info(leader, "petacore")["expiry_due_keys"], n)
        finally:
            proxy.thaw()
        wait_for(lambda: info(leader, "petacore")["expiry_tracked_keys"] == 0, timeout=30,
                 what="the leader applied the rewrites")
        self.assertEqual(info(leader, "stats")["expired_keys"], 0)
        self.assertEqual(len(data_keys(etcd)), n)
        for c in (lc, oc):
            wait_for(lambda: c.mget(keys) == [b"new"] * n, timeout=30,
                     what="every rewritten key on both nodes")


if __name__ == "__main__":
    unittest.main()
