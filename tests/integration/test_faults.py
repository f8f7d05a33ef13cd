"""Fault tests: a 3-member etcd cluster, PetaCore nodes under write load, one fault each.

For every fault: no acknowledged write lost, no write applied twice (per-client INCR counter
within [acked, acked + in doubt]), and all nodes converge to the same DEBUG DIGEST at the same
revision. PETACORE_LONG=1 runs the same tests with longer phases (faultload.long_factor());
PETACORE_FAULTS_REPORT=FILE appends one JSON line per test (ops, faults, anomalies).
"""
import json
import os
import signal
import threading
import time
import unittest

import redis

import cluster
import harness
import tcpproxy
from faultload import Load, phase
from harness import wait_for
from resp_wire import WireConn

# Short etcd deadline so that faults resolve quickly; the ack bound uses it too.
NODE_ARGS = ["--etcd-timeout-ms", "2000"]
# A stalled-watch test finds the watch's links by who gets bytes while idle: no gRPC keepalive
# pings, no member health probes, no active-expiry campaign (a leader refreshes its lease every
# second), and the pub/sub lease's keep-alives (every TTL/3) kept out of the test's minutes.
STALL_ARGS = ["--etcd-keepalive-ms", "0", "--etcd-member-timeout-ms", "0", "--active-expiry", "no",
              "--pubsub-lease-ttl", "900"]


def report(name, load, faults, anomalies, **extra):
    path = os.environ.get("PETACORE_FAULTS_REPORT")
    if path:
        with open(path, "a") as f:
            f.write(json.dumps({"test": name, **load.stats(), "faults": faults,
                                "anomalies": anomalies, **extra}) + "\n")


class FaultTest(unittest.TestCase):
    nodes_count = 3

    def setUp(self):
        self.etcd = cluster.EtcdCluster()
        self.addCleanup(self.etcd.close)
        self.nodes = cluster.start_nodes(self.etcd, self.nodes_count, NODE_ARGS)
        for n in self.nodes:
            self.addCleanup(n.close)

    def finish(self, load, faults, nodes=None, **extra):
        """Stops the load, waits for convergence and checks every client's writes on every
        node."""
        load.stop()
        nodes = nodes or self.nodes
        rev, digest = cluster.wait_converged(nodes, self.etcd)
        anomalies = []
        for n in nodes:
            anomalies += load.check(n.client())
        report(self.id(), load, faults, anomalies, revision=rev, digest=digest, **extra)
        self.assertEqual(anomalies, [])
        self.assertGreater(load.stats()["incr_acked"], 0)
        return rev, digest


class EtcdMemberFaults(FaultTest):
    def kill_during_load(self, pick):
        load = Load(self.nodes).start()
        faults = 0
        deadline = time.monotonic() + phase(6)
        while True:
            load.wait_ops(200)
            victim = pick()
            victim.kill()  # kill -9
            faults += 1
            load.wait_ops(200)  # writes go on with two members
            victim.start(wait=True)
            wait_for(lambda: self.etcd.healthy(), timeout=30, what="cluster healthy again")
            if time.monotonic() > deadline:
                break
        return load, faults

    def test_kill_follower(self):
        load, faults = self.kill_during_load(lambda: self.etcd.followers()[0])
        self.finish(load, faults)

    def test_kill_leader(self):
        load, faults = self.kill_during_load(self.etcd.wait_leader)
        self.finish(load, faults)

    def test_quorum_loss(self):
        r = self.nodes[0].client()
        r.set("before", "1")
        load = Load(self.nodes).start()
        errors = []
        rounds = max(1, int(phase(1)))
        for round_ in range(rounds):
            load.wait_ops(200)
            survivor = self.etcd.followers()[0]
            down = [m for m in self.etcd.members if m is not survivor]
            for m in down:
                m.kill()
            # Writes fail with a clear error (no hang: the client's socket timeout bounds
            # it), and reads continue from the replica.
            for n in self.nodes:
                c = n.client(socket_timeout=15)

                def write_fails():
                    try:
                        c.set("during", "1")
                    except redis.ResponseError as e:
                        errors.append(str(e))
                        return "no leader" in str(e)
                    return False
                wait_for(write_fails, timeout=20, interval=0.2, what="writes failing fast")
                self.assertEqual(c.get("before"), b"1")
            self.assertTrue(all(e.startswith("etcd: ") for e in errors), errors)
            for m in down:
                m.start(wait=False)
            wait_for(lambda: self.etcd.healthy(), timeout=30, what="quorum back")
            # Writes resume on every node.
            for n in self.nodes:
                c = n.client()
                wait_for(lambda: c.set("after", round_), timeout=30, what="writes resume")
        load.wait_ops(200)
        self.finish(load, rounds, sample_error=errors[-1])


class NodeFaults(FaultTest):
    def test_kill_node_and_restart(self):
        load = Load(self.nodes).start()
        faults = 0
        deadline = time.monotonic() + phase(4)
        victim = self.nodes[1]
        mine = [c for c in load.clients if c.node is victim]
        while True:
            load.wait_ops(200)
            # Mid-write: its client is writing (the write in flight becomes "in doubt").
            victim.kill(signal.SIGKILL)
            faults += 1
            load.wait_ops(100)  # the other nodes keep writing
            victim.start()      # same port: reloads everything from etcd
            start = sum(c.ops for c in mine)
            wait_for(lambda: sum(c.ops for c in mine) > start, what="its client writes again")
            if time.monotonic() > deadline:
                break
        load.wait_ops(100)
        self.finish(load, faults)

    def test_fall_behind_compaction(self):
        """SIGSTOP a node, write and compact etcd past its revision, SIGCONT: it reloads a
        snapshot, and a reader on it never sees a torn MSET invariant."""
        writer, _, lagging = self.nodes
        w = writer.client()
        w.mset({"inv:a": 0, "inv:b": 0, "inv:c": 0})
        cluster.wait_converged(self.nodes, self.etcd)
        torn = []
        reads = [0]
        stop = threading.Event()

        def reader():
            r = lagging.client(socket_timeout=60)
            while not stop.is_set():
                try:
                    vals = r.mget("inv:a", "inv:b", "inv:c")
                    # A missing key is an anomaly too: the keys always exist.
                    if None in vals or len(set(vals)) != 1:
                        torn.append(vals)
                    # Inside MULTI too: one snapshot for the whole EXEC.
                    p = r.pipeline(transaction=True)
                    p.get("inv:a").get("inv:b").get("inv:c")
                    vals = p.execute()
                    if None in vals or len(set(vals)) != 1:
                        torn.append(vals)
                    reads[0] += 1
                except Exception as e:  # noqa: BLE001 - every error fails the test
                    reader_errors.append(repr(e))
                    time.sleep(0.1)
        reader_errors = []
        t = threading.Thread(target=reader, daemon=True)
        t.start()
        wait_for(lambda: reads[0] > 10, what="reader running")
        load = Load([writer]).start()
        lag = lagging.client()

        def reloads():
            return int(lag.info("petacore")["etcd_compaction_reloads"])

        def stall_past_compaction():
            """One SIGSTOP / write / compact / SIGCONT. Returns whether the node reloaded
            (else its watch stream had buffered every event and it caught up normally)."""
            before = reloads()
            lagging.proc.send_signal(signal.SIGSTOP)
            try:
                # ~48 MB: more than the gRPC window and socket buffers can hold for a stopped
                # reader, so etcd moves the node's watcher to its unsynced set, which the
                # compaction then cancels with compact_revision.
                big = "x" * 65536
                p = w.pipeline(transaction=False)
                for i in range(1, 751):
                    p.mset({"inv:a": i, "inv:b": i, "inv:c": i, f"pad:{i % 50}": big})
                    if i % 25 == 0:
                        p.execute()
                p.execute()
                target = self.etcd.revision()
                self.etcd.compact(target)
            finally:
                lagging.proc.send_signal(signal.SIGCONT)
            wait_for(lambda: reloads() > before or cluster.applied_revision(lagging) >= target,
                     timeout=60, what="reload or catch-up after SIGCONT")
            wait_for(lambda: cluster.applied_revision(lagging) >= target, timeout=60,
                     what="caught up")
            # The reader goes on after the reload: it must read (checked) again.
            after = reads[0]
            wait_for(lambda: reads[0] >= after + 10, timeout=60, what="reads after SIGCONT")
            return reloads() > before
        faults = reloaded = 0
        rounds = max(1, int(phase(1)))
        while reloaded < rounds:
            faults += 1
            reloaded += stall_past_compaction()
            self.assertLess(faults, 3 * rounds, "the node never fell behind the compaction")
        load.wait_ops(100)
        stop.set()
        t.join(timeout=60)
        self.assertFalse(t.is_alive(), "the reader did not stop")
        self.assertEqual(torn, [])
        self.assertEqual(reader_errors, [])
        self.finish(load, faults, torn_reads=len(torn), invariant_reads=reads[0],
                    reloads=reloaded, reader_errors=reader_errors[:3])


class LinkFaults(unittest.TestCase):
    """A node reaching etcd only through a TCP proxy that the test cuts or freezes."""

    def setUp(self):
        self.etcd = cluster.EtcdCluster()
        self.addCleanup(self.etcd.close)
        self.nodes = cluster.start_nodes(self.etcd, 2, NODE_ARGS)
        # One proxy per member: the watch stream is pinned to one of them.
        self.proxies = [tcpproxy.TcpProxy([ep]) for ep in self.etcd.endpoints]
        for p in self.proxies:
            self.addCleanup(p.close)
        link = type("Link", (), {"endpoint": ",".join(p.endpoint for p in self.proxies)})
        # Without keepalive pings a frozen proxy is a watch stalled while Txns pass (as a
        # member whose watch lags but answers pings); with them the node would leave it.
        self.cut_node = harness.Node(link, extra_args=NODE_ARGS + STALL_ARGS)
        self.addCleanup(self.cut_node.close)
        for n in self.nodes:
            self.addCleanup(n.close)
        self.all_nodes = self.nodes + [self.cut_node]

    def test_cut_off_from_etcd(self):
        r = self.cut_node.client(socket_timeout=15)
        r.set("seen", "before")
        load = Load(self.all_nodes).start()
        load.wait_ops(300)
        faults = 0
        for _ in range(max(1, int(phase(1)))):
            for p in self.proxies:
                p.cut()
            faults += 1
            # Reads continue from the replica; writes fail with an etcd error.
            self.assertEqual(r.get("seen"), b"before")
            with self.assertRaises(redis.ResponseError) as cm:
                r.set("cut", "1")
            self.assertTrue(str(cm.exception).startswith("etcd: "), str(cm.exception))
            self.assertEqual(r.get("seen"), b"before")
            load.wait_ops(200)  # the other nodes write on
            self.nodes[0].client().set("written-while-cut", faults)
            for p in self.proxies:
                p.restore()
            # It catches up: the write made elsewhere while it was cut becomes visible.
            wait_for(lambda: r.get("written-while-cut") == str(faults).encode(), timeout=30,
                     what="catch-up after the link returns")
        load.wait_ops(200)
        self.assertIsNone(r.get("cut"))
        FaultTest.finish(self, load, faults, nodes=self.all_nodes)

    def test_stalled_watch_acks_after_timeout(self):
        """The watch stalls while Txns still work: a committed write is acknowledged after
        --etcd-timeout-ms (counted in INFO acks_before_visible), never held forever."""
        r = self.cut_node.client(socket_timeout=15)
        r.set("k", "0")
        # Idle for a while: only streams (the watch) get bytes (progress notifications). One
        # second at a time (up to 10): answers still in flight may cross every link at first.
        for _ in range(10):
            before = [p.bytes_down for p in self.proxies]
            time.sleep(1.0)
            streams = [p for p, b in zip(self.proxies, before) if p.bytes_down > b]
            quiet = [p for p in self.proxies if p not in streams]
            if streams and quiet:
                break
        self.assertTrue(streams and quiet, "the watch is on some members' links, not all")
        for p in streams:
            p.freeze()
        acked, errors = [], []
        try:
            # Round robin: some Txns go through the quiet proxies. A frozen proxy may carry a
            # request to etcd and hold back only the answer, so each attempt writes a key of
            # its own (a later SET of that key would conflict with the unseen write).
            for i in range(1, 61):
                try:
                    r.set(f"k{i}", i)
                    acked.append(i)
                    break
                except redis.ResponseError as e:
                    errors.append(str(e))  # this Txn went through a frozen proxy (in doubt)
            self.assertTrue(acked, f"no write went through a live proxy: {sorted(set(errors))}")
            info = r.info("stats")
            self.assertGreaterEqual(info["acks_before_visible"], 1)
            # The acknowledged write is durable: the other nodes see it already.
            wait_for(lambda: self.nodes[0].client().get(f"k{acked[-1]}") ==
                     str(acked[-1]).encode(), what="the acked write on another node")
        finally:
            for p in streams:
                p.thaw()
        wait_for(lambda: r.get(f"k{acked[-1]}") == str(acked[-1]).encode(), timeout=30,
                 what="the stalled node catches up")
        cluster.wait_converged(self.all_nodes, self.etcd)


    def test_subscribe_with_unknown_outcome_delivers_nothing(self):
        """SUBSCRIBE's commit reaches etcd but its answer does not (frozen links): the client
        gets an etcd error, the subscription key is committed all the same and counted
        cluster-wide, yet the connection is not subscribed: it gets no message, stays out of
        RESP2's subscribed mode, and its disconnection removes the key."""
        sub = WireConn(self.cut_node.port)
        for p in self.proxies:
            p.freeze()
        try:
            sub.send("SUBSCRIBE", "doubt")
            reply = sub.read_value(time.monotonic() + 60)
        finally:
            for p in self.proxies:
                p.thaw()
        self.assertIsNotNone(reply, "no answer to SUBSCRIBE within 60 s")
        self.assertTrue(reply.startswith(b"-ERR etcd"), reply)
        other = self.nodes[0].client()
        wait_for(lambda: other.pubsub_numsub("doubt") == [(b"doubt", 1)], timeout=30,
                 what="the committed subscription key counted on another node")
        self.assertEqual(other.publish("doubt", "not for you"), 1)
        wait_for(lambda: cluster.applied_revision(self.cut_node) >= self.etcd.revision(),
                 timeout=30, what="the proxied node applied the publish")
        self.assertEqual(sub.drain(), [])  # no message; PING answered as outside subscribed mode
        sub.send("GET", "k")
        self.assertEqual(sub.read_value(time.monotonic() + 30), b"$-1\r\n")
        sub.close()
        wait_for(lambda: other.pubsub_numsub("doubt") == [(b"doubt", 0)], timeout=30,
                 what="the key dropped with its connection")


if __name__ == "__main__":
    unittest.main()
