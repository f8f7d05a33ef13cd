"""WAIT, ROLE, INFO replication and SHUTDOWN on a replicated cluster (issue 16), and the node
registry under them (docs/consistency.md "WAIT", "ROLE"; docs/operations.md "Node registry").

Three nodes on one etcd, with a short --node-report-interval-ms so the idle check is quick.
No timing assertions: waits are bounded (wait_for), and a WAIT that must time out is checked
by its reply, not by how long it took.
"""
import os
import signal
import socket
import threading
import time
import unittest

import cluster
from harness import Etcd, Node, wait_for
from resp_wire import WireConn

ARGS = ["--node-report-interval-ms", "200"]


def role_ports(node):
    """The ports ROLE on `node` lists as replicas, as ints."""
    kind, offset, replicas = node.client().execute_command("ROLE")
    assert kind == b"master", kind
    assert isinstance(offset, int), offset
    return sorted(int(r[1]) for r in replicas)


class WaitRoleCluster(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.etcd = Etcd()
        cls.nodes = cluster.start_nodes(cls.etcd, 3, extra_args=ARGS)
        cls.a, cls.b, cls.c = cls.nodes

    @classmethod
    def tearDownClass(cls):
        for n in cls.nodes:
            n.close()
        cls.etcd.close()

    def setUp(self):
        # Every node sees the other two (after a test that stopped one).
        for n in self.nodes:
            others = sorted(m.port for m in self.nodes if m is not n)
            wait_for(lambda n=n, others=others: role_ports(n) == others, timeout=60,
                     what=f"ROLE on {n.port} lists {others}")

    def test_role_lists_the_other_nodes(self):
        kind, offset, replicas = self.a.client().execute_command("ROLE")
        self.assertEqual(kind, b"master")
        self.assertGreater(offset, 0)  # the applied revision
        self.assertEqual(sorted(int(r[1]) for r in replicas), sorted([self.b.port, self.c.port]))
        for ip, port, repl_offset in replicas:
            self.assertEqual(ip, b"127.0.0.1")
            self.assertGreater(int(repl_offset), 0)

    def test_info_replication(self):
        info = self.a.client().info("replication")
        self.assertEqual(info["role"], "master")
        self.assertEqual(info["connected_slaves"], 2)
        self.assertEqual(sorted([info["slave0"]["port"], info["slave1"]["port"]]),
                         sorted([self.b.port, self.c.port]))
        self.assertEqual(info["slave0"]["state"], "online")
        self.assertGreater(info["master_repl_offset"], 0)

    def test_wait_after_a_write(self):
        ca = self.a.client(single_connection_client=True)
        for i in range(5):
            ca.set("wk", f"v{i}")
            self.assertGreaterEqual(ca.execute_command("WAIT", 1, 0), 1)
            self.assertEqual(ca.execute_command("WAIT", 2, 0), 2)
            # read-your-writes on both other nodes now
            self.assertEqual(self.b.client().get("wk"), f"v{i}".encode())
            self.assertEqual(self.c.client().get("wk"), f"v{i}".encode())

    def test_wait_on_a_read_only_client(self):
        # No write on this connection: the live count at once, as Redis's replica count.
        ca = self.a.client(single_connection_client=True)
        ca.get("nothing")
        self.assertEqual(ca.execute_command("WAIT", 5, 0), 2)
        self.assertEqual(ca.execute_command("WAIT", 0, 0), 2)

    def test_wait_in_multi_answers_at_once(self):
        conn = WireConn(self.a.port)
        try:
            conn.call("SET", "mk", "1")
            self.assertEqual(conn.call("MULTI")[0], b"+OK\r\n")
            self.assertEqual(conn.call("WAIT", "5", "0")[0], b"+QUEUED\r\n")
            raw, (kind, items) = conn.call("EXEC")
            self.assertEqual(kind, b"*")
            self.assertEqual(items[0][0], b":")
            self.assertLessEqual(int(items[0][1]), 2)
        finally:
            conn.close()

    def test_wait_with_a_stopped_node_times_out(self):
        ca = self.a.client(single_connection_client=True)
        self.c.proc.send_signal(signal.SIGSTOP)
        try:
            ca.set("sk", "1")
            # B applies it; C cannot: the timeout's reply is the count reached, 1.
            self.assertEqual(ca.execute_command("WAIT", 2, 500), 1)
            self.assertEqual(self.b.client().get("sk"), b"1")
        finally:
            self.c.proc.send_signal(signal.SIGCONT)
        # C catches up and reports: the same client's WAIT now reaches 2.
        self.assertEqual(ca.execute_command("WAIT", 2, 0), 2)

    def test_idle_cluster_writes_nothing(self):
        # After a write, each node publishes at most once per interval; then nothing moves:
        # no node republishes because of the others' registry writes.
        self.a.client().set("idle", "1")
        self.a.client().execute_command("WAIT", 2, 0)
        time.sleep(1.5)  # several report intervals: the publishes after the write are done
        before = cluster.current_revision(self.etcd)
        time.sleep(3)
        after = cluster.current_revision(self.etcd)
        self.assertEqual(before, after, "etcd's revision moved while the cluster was idle")


class NodeLifetime(unittest.TestCase):
    """A node that dies leaves ROLE; SHUTDOWN stops a node cleanly."""

    @classmethod
    def setUpClass(cls):
        cls.etcd = Etcd()
        cls.a = Node(cls.etcd, extra_args=ARGS)

    @classmethod
    def tearDownClass(cls):
        cls.a.close()
        cls.etcd.close()

    def test_killed_node_leaves_role(self):
        d = Node(self.etcd, extra_args=ARGS + ["--pubsub-lease-ttl", "2"])
        try:
            wait_for(lambda: d.port in role_ports(self.a), timeout=30, what="d in ROLE")
            d.kill(signal.SIGKILL)
            # Its record goes with its lease (TTL 2 s): bounded wait, no timing assertion.
            wait_for(lambda: d.port not in role_ports(self.a), timeout=60,
                     what="d gone from ROLE")
        finally:
            d.close()

    def test_wait_counts_a_node_that_appears_while_it_waits(self):
        # A node whose record is absent when WAIT parks (a node starting, or one publishing
        # again under a new lease after an etcd fault) counts once its record arrives.
        wait_for(lambda: role_ports(self.a) == [], timeout=60, what="A alone in ROLE")
        ca = self.a.client(single_connection_client=True, socket_timeout=120)
        ca.set("joined", "1")
        replies = []
        t = threading.Thread(target=lambda: replies.append(ca.execute_command("WAIT", 1, 60000)))
        t.start()
        try:
            wait_for(lambda: self.a.client().info("clients")["blocked_clients"] == 1,
                     what="WAIT parked")
            e = Node(self.etcd, extra_args=ARGS)
            try:
                t.join(90)
                self.assertEqual(replies, [1])
                self.assertEqual(e.client().get("joined"), b"1")
            finally:
                e.close()
        finally:
            t.join(90)

    def test_shutdown(self):
        # Alone on its own prefix, the node is the expiry leader; SHUTDOWN hands that over at
        # once (the leader key vanishes with the revoked lease), as SIGTERM does.
        prefix = "/shutdown-test/"
        e = Node(self.etcd, extra_args=ARGS, prefix=prefix)
        try:
            def keys():
                return self.etcd.ctl("get", "--prefix", prefix, "--keys-only")
            wait_for(lambda: b"expiry/leader" in keys() and b"node/" in keys(), timeout=30,
                     what="leader and node record")
            conn = WireConn(e.port)
            conn.send("SHUTDOWN")
            with self.assertRaises((ConnectionError, socket.error)):
                conn.read_value()  # the connection closes without a reply, as Redis
            conn.close()
            self.assertEqual(e.proc.wait(timeout=30), 0)
            self.assertNotIn(b"expiry/leader", keys())
            self.assertNotIn(b"node/", keys())
        finally:
            e.close()

    def test_shutdown_nosave_ends_a_busy_script(self):
        # As Redis: a busy script refuses SHUTDOWN but not SHUTDOWN NOSAVE (standalone node).
        n = Node(extra_args=["--busy-reply-threshold", "100"])
        try:
            script = WireConn(n.port)
            script.send("EVAL", "while true do end", "0")
            other = WireConn(n.port)
            wait_for(lambda: other.call("PING")[0].startswith(b"-BUSY"), what="busy node")
            self.assertTrue(other.call("SHUTDOWN")[0].startswith(b"-BUSY"))
            other.send("SHUTDOWN", "NOSAVE")
            with self.assertRaises((ConnectionError, socket.error)):
                other.read_value()
            self.assertEqual(n.proc.wait(timeout=30), 0)
            script.close()
            other.close()
        finally:
            n.close()

    def test_shutdown_abort_and_errors(self):
        c = self.a.client()
        with self.assertRaisesRegex(Exception, "No shutdown in progress"):
            c.execute_command("SHUTDOWN", "ABORT")
        with self.assertRaisesRegex(Exception, "syntax error"):
            c.execute_command("SHUTDOWN", "SAVE", "NOSAVE")
        self.assertTrue(c.ping())


if __name__ == "__main__":
    unittest.main()
