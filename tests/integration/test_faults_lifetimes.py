"""Fault suite, lifetimes: callbacks that fire after their client is gone (issue 19).

A write is acknowledged after --etcd-timeout-ms when the node's watch is stalled (the write
is committed; only read-your-writes is late), and a conflict answers "replica is behind"
after the same bound. In both cases a store waiter is still registered for the revision the
watch has not delivered. The client then closes its connection; when the watch resumes, the
waiter fires. These tests close the client before the watch resumes and check the node stays
up and serves, and that the waiters of finished commands were dropped (INFO
apply_waiters). Under CI's AddressSanitizer build, a use after free here is a report.
"""
import random
import signal
import socket
import subprocess
import threading
import time
import unittest

import redis

import cluster
import harness
import tcpproxy
from faultload import Load, phase
from harness import wait_for

NODE_ARGS = ["--etcd-timeout-ms", "1500"]


def alive(node):
    return node.proc.poll() is None


def info_field(node, section, field):
    return node.client(socket_timeout=10).info(section)[field]


class StalledWatch(unittest.TestCase):
    """One node reaches the 3 members through one proxy each; the test freezes the proxies
    that carry its watch (found by who gets bytes while idle: progress notifications)."""

    def setUp(self):
        self.etcd = cluster.EtcdCluster()
        self.addCleanup(self.etcd.close)
        self.other = harness.Node(self.etcd, extra_args=NODE_ARGS)
        self.addCleanup(self.other.close)
        self.proxies = [tcpproxy.TcpProxy([ep]) for ep in self.etcd.endpoints]
        for p in self.proxies:
            self.addCleanup(p.close)
        link = type("Link", (), {"endpoint": ",".join(p.endpoint for p in self.proxies)})
        # No keepalive pings: the frozen proxies then stall the watch for as long as the test
        # needs (as a member whose watch lags while it answers pings), not ~15 s.
        # Nor an active-expiry leader's lease refreshes (every second) or the pub/sub lease's
        # keep-alives (every TTL/3): only the watch gets bytes at rest.
        self.node = harness.Node(link, extra_args=NODE_ARGS + [
            "--etcd-keepalive-ms", "0", "--etcd-member-timeout-ms", "0", "--active-expiry", "no",
            "--pubsub-lease-ttl", "900"])
        self.addCleanup(self.node.close)

    def freeze_watch(self):
        # One idle second at a time (up to 10): start-up traffic, or answers still in flight
        # on a loaded machine, may cross every link in the first window.
        for _ in range(10):
            before = [p.bytes_down for p in self.proxies]
            time.sleep(1.0)
            streams = [p for p, b in zip(self.proxies, before) if p.bytes_down > b]
            if streams and len(streams) < len(self.proxies):
                break
        self.assertTrue(streams and len(streams) < len(self.proxies),
                        "the watch is on some members' links, not all")
        for p in streams:
            p.freeze()
        self.addCleanup(lambda: [p.thaw() for p in streams])
        return streams

    def resume_and_check(self, streams, key, expected):
        for p in streams:
            p.thaw()
        wait_for(lambda: self.node.client().get(key) == expected, timeout=30,
                 what="the stalled node catches up")
        # The late waiters have fired (or were cancelled) by now; the node must still serve.
        for i in range(20):
            self.assertTrue(self.node.client().ping())
        self.assertTrue(alive(self.node), self.node.log_text()[-2000:])
        self.assertEqual(info_field(self.node, "petacore", "apply_waiters"), 0)
        cluster.wait_converged([self.node, self.other], self.etcd)

    def test_ack_bound_then_client_gone(self):
        self.node.client().set("k", "0")
        streams = self.freeze_watch()
        acked = []
        # Round robin: some Txns go through the frozen proxies. A frozen proxy may still carry
        # a request to etcd and hold back only the answer, so each attempt writes a key of its
        # own (a later SET of the same key would conflict with that unseen write).
        for i in range(1, 31):
            r = self.node.client(socket_timeout=15)
            try:
                r.set(f"k{i}", i)
                acked.append(i)
            except redis.ResponseError:
                pass  # this Txn went through a frozen proxy (etcd deadline)
            r.close()  # the client is gone before the watch delivers its revision
            if len(acked) >= 3:
                break
        self.assertTrue(acked, "no write went through a live proxy")
        self.assertGreaterEqual(info_field(self.node, "stats", "acks_before_visible"), 1)
        # Each acked write's waiter was dropped when the bound answered it.
        self.assertEqual(info_field(self.node, "petacore", "apply_waiters"), 0)
        self.resume_and_check(streams, f"k{acked[-1]}", str(acked[-1]).encode())

    def test_conflict_bound_then_client_gone(self):
        self.node.client().set("n", "0")
        streams = self.freeze_watch()
        # Written elsewhere: the stalled node's replica still has n = 0, so its INCR's
        # compare fails and its retry waits for a revision the watch does not deliver.
        self.other.client().set("n", "100")
        behind = 0
        for _ in range(30):
            r = self.node.client(socket_timeout=15)
            try:
                r.incr("n")
                self.fail("an INCR on a stale replica cannot commit")
            except redis.ResponseError as e:
                if "replica is behind" in str(e):
                    behind += 1
            r.close()
            if behind >= 3:
                break
        self.assertGreater(behind, 0, "no conflict reached the bound")
        self.assertEqual(info_field(self.node, "petacore", "apply_waiters"), 0)
        self.resume_and_check(streams, "n", b"100")
        self.assertEqual(self.node.client().incr("n"), 101)


class MemberFreezes(unittest.TestCase):
    """The issue's reproduction: 3 members, 2 nodes; each member in turn is SIGSTOPped while
    fresh redis-cli processes write on every node, then SIGCONTed. Every node stays up."""

    def test_each_member_frozen_in_turn(self):
        etcd = cluster.EtcdCluster()
        self.addCleanup(etcd.close)
        nodes = cluster.start_nodes(etcd, 2, NODE_ARGS)
        for n in nodes:
            self.addCleanup(n.close)
        for m in etcd.members:
            m.stop()
            try:
                for n in nodes:
                    for i in range(4):
                        subprocess.run(["redis-cli", "-p", str(n.port), "SET", "k", str(i)],
                                       capture_output=True, timeout=30)
            finally:
                m.cont()
            wait_for(lambda: etcd.healthy(), timeout=30, what="etcd healthy again")
            time.sleep(0.5)  # the resumed member's streams deliver what they held
            for n in nodes:
                self.assertTrue(alive(n), n.log_text()[-2000:])
                self.assertTrue(n.client().ping())
        cluster.wait_converged(nodes, etcd)


class ChurnUnderFaults(unittest.TestCase):
    """Stress: clients connect, write and disconnect at random (some before their reply)
    while members are frozen and resumed and one node's watch link is frozen, cut and
    restored. At the end: every node up, no acknowledged write lost, digests equal."""

    def test_churn(self):
        etcd = cluster.EtcdCluster()
        self.addCleanup(etcd.close)
        nodes = cluster.start_nodes(etcd, 1, NODE_ARGS)
        proxies = [tcpproxy.TcpProxy([ep]) for ep in etcd.endpoints]
        for p in proxies:
            self.addCleanup(p.close)
        link = type("Link", (), {"endpoint": ",".join(p.endpoint for p in proxies)})
        nodes.append(harness.Node(link, extra_args=NODE_ARGS))
        for n in nodes:
            self.addCleanup(n.close)

        stop = threading.Event()
        churned = [0]

        def churn(seed):
            rnd = random.Random(seed)
            while not stop.is_set():
                node = rnd.choice(nodes)
                try:
                    s = socket.create_connection(("127.0.0.1", node.port), timeout=5)
                except OSError:
                    continue
                try:
                    key = f"churn:{rnd.randrange(20)}"
                    cmds = rnd.choice([[b"SET", key.encode(), b"v"], [b"INCR", b"churn:n"],
                                       [b"HSET", b"churn:h", key.encode(), b"1"],
                                       [b"RPUSH", b"churn:l", b"x"]])
                    payload = b"*%d\r\n" % len(cmds) + b"".join(
                        b"$%d\r\n%s\r\n" % (len(a), a) for a in cmds)
                    s.sendall(payload * rnd.randint(1, 3))
                    if rnd.random() < 0.5:
                        s.settimeout(rnd.uniform(0.01, 2.0))
                        try:
                            s.recv(4096)
                        except OSError:
                            pass
                    # else: gone without waiting for the reply
                except OSError:
                    pass
                finally:
                    s.close()
                churned[0] += 1

        load = Load(nodes).start()
        workers = [threading.Thread(target=churn, args=(i,), daemon=True) for i in range(6)]
        for w in workers:
            w.start()
        rnd = random.Random(19)
        faults = 0
        deadline = time.monotonic() + phase(25)
        try:
            while time.monotonic() < deadline:
                kind = rnd.choice(["member", "freeze", "cut"])
                if kind == "member":
                    m = rnd.choice(etcd.members)
                    m.stop()
                    time.sleep(rnd.uniform(0.5, 2.0))
                    m.cont()
                elif kind == "freeze":
                    ps = rnd.sample(proxies, rnd.randint(1, len(proxies)))
                    for p in ps:
                        p.freeze()
                    time.sleep(rnd.uniform(0.5, 2.5))
                    for p in ps:
                        p.thaw()
                else:
                    for p in proxies:
                        p.cut()
                    time.sleep(rnd.uniform(0.2, 1.0))
                    for p in proxies:
                        p.restore()
                faults += 1
                time.sleep(rnd.uniform(0.2, 1.0))
                for n in nodes:
                    self.assertTrue(alive(n), n.log_text()[-3000:])
        finally:
            stop.set()
            for m in etcd.members:
                if m.stopped:
                    m.cont()
            for p in proxies:
                p.thaw()
                p.restore()
        for w in workers:
            w.join(timeout=30)
        load.stop()
        wait_for(lambda: etcd.healthy(), timeout=30, what="etcd healthy again")
        cluster.wait_converged(nodes, etcd)
        anomalies = []
        for n in nodes:
            self.assertTrue(alive(n), n.log_text()[-3000:])
            anomalies += load.check(n.client())
        self.assertEqual(anomalies, [])
        self.assertGreater(churned[0], 50)
        self.assertGreater(faults, 3)
        for n in nodes:
            wait_for(lambda: info_field(n, "petacore", "apply_waiters") == 0, timeout=30,
                     what="no store waiter left behind")


if __name__ == "__main__":
    unittest.main()
