"""A frozen etcd member (SIGSTOP: a hung process, a paused VM, a black-holed link, quorum
intact) must not stall writes (issue 18).

Three members, two nodes, a write load on both nodes. Each member is frozen in turn. Every node
finds the member silent (INFO etcd_members) and from then on sends it nothing: every write made
while it stays frozen succeeds, WAIT 1 answers 1 (the other node's registry record passes the
write) and the write is read back on the other node. Writes in flight at the
freeze end OK or with the in-doubt error ("may or may not have been applied"), or with a
refusal that proves nothing was applied (no leader while the frozen member was the leader);
never anything else. After SIGCONT every acknowledged write is on both nodes and every refused
one is on neither.

--etcd-timeout-ms is 60 s here, so a write that went to the frozen member and waited for it
would outlast the clients' 30 s socket timeout and fail the test: what ends such a write is
the member's detection (--etcd-member-timeout-ms, 1 s by default), not a deadline.
"""
import sys
import threading
import unittest

import redis

import cluster
from harness import wait_for

IN_DOUBT = "may or may not have been applied"
# Refusals before Raft (etcdlink retry_policy NotApplied), possible while a new leader is elected.
REFUSED = ("etcdserver: no leader", "etcdserver: not capable", "etcdserver: too many requests")


class Load:
    """One thread writing unique keys on one node until stopped; records each outcome."""

    def __init__(self, node, tag):
        self.client = node.client(decode_responses=True, socket_timeout=30)
        self.tag = tag
        self.ok, self.in_doubt, self.refused, self.other = [], [], [], []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        i = 0
        while not self.stopping.is_set():
            key = f"load:{self.tag}:{i}"
            i += 1
            try:
                self.client.set(key, key)
                self.ok.append(key)
            except redis.ResponseError as e:
                text = str(e)
                if IN_DOUBT in text:
                    self.in_doubt.append(key)
                elif any(r in text for r in REFUSED):
                    self.refused.append(key)
                else:
                    self.other.append((key, text))
            except Exception as e:  # noqa: BLE001 - a timeout or a dropped connection fails the test
                self.other.append((key, repr(e)))

    def stop(self):
        self.stopping.set()
        self.thread.join(timeout=60)
        assert not self.thread.is_alive(), f"load {self.tag} did not stop"


class FrozenMemberTest(unittest.TestCase):
    def setUp(self):
        self.etcd = cluster.EtcdCluster()
        self.addCleanup(self.etcd.close)
        self.nodes = cluster.start_nodes(self.etcd, 2, extra_args=["--etcd-timeout-ms", "60000"])
        for n in self.nodes:
            self.addCleanup(n.close)
        self.clients = [n.client(decode_responses=True, socket_timeout=30) for n in self.nodes]

    def members_state(self, client):
        """{endpoint: 'up'|'silent'} from INFO petacore's etcd_members."""
        line = client.info("petacore")["etcd_members"]
        if isinstance(line, dict):  # redis-py parses "a=b,c=d" values itself
            return line
        return dict(part.split("=") for part in str(line).split(","))

    def test_each_member_frozen_in_turn_under_load(self):
        loads = [Load(n, f"n{i}") for i, n in enumerate(self.nodes)]
        try:
            for r, victim in enumerate(self.etcd.members):
                wait_for(lambda: all(len(ld.ok) > 20 * (r + 1) for ld in loads), timeout=60,
                         what="the load progressing before the freeze")
                victim.stop()
                for c in self.clients:
                    wait_for(lambda: self.members_state(c).get(victim.endpoint) == "silent",
                             timeout=30, interval=0.1, what=f"{victim.name} seen silent")
                self.etcd.wait_leader()  # a running member leads (a new one if it was the victim)
                # Detected: from now on no write may fail or wait for the frozen member.
                for i, c in enumerate(self.clients):
                    for j in range(50):
                        key = f"frozen:{r}:{i}:{j}"
                        self.assertTrue(c.set(key, j), key)
                    # WAIT works through the surviving members: the other node publishes its
                    # applied revision (node registry) past this client's last write.
                    self.assertEqual(c.execute_command("WAIT", 1, 20000), 1,
                                     f"WAIT with {victim.name} frozen")
                    other = self.clients[1 - i]
                    wait_for(lambda: other.get(f"frozen:{r}:{i}:49") == "49", timeout=30,
                             what="the writes read on the other node")
                counts_before = [len(ld.ok) for ld in loads]
                wait_for(lambda: all(len(ld.ok) > b + 50 for ld, b in zip(loads, counts_before)),
                         timeout=60, what="the load progressing with the member frozen")
                victim.cont()
                wait_for(lambda: self.etcd.healthy(), timeout=30, what="cluster healthy again")
                for c in self.clients:
                    wait_for(lambda: self.members_state(c).get(victim.endpoint) == "up",
                             timeout=30, interval=0.1, what=f"{victim.name} seen up again")
        finally:
            for ld in loads:
                ld.stop()
        for ld in loads:
            print(f"load {ld.tag}: {len(ld.ok)} ok, {len(ld.in_doubt)} in doubt, "
                  f"{len(ld.refused)} refused", file=sys.stderr)
            self.assertEqual(ld.other, [], f"unexpected outcomes on {ld.tag}")
        cluster.wait_converged(self.nodes, self.etcd)
        for ld in loads:
            for c in self.clients:
                got = c.mget(ld.ok) if ld.ok else []
                missing = [k for k, v in zip(ld.ok, got) if v != k]
                self.assertEqual(missing, [], f"acknowledged writes of {ld.tag} lost")
                if ld.refused:
                    self.assertEqual(c.exists(*ld.refused), 0, "a refused write was applied")
        silences = [int(c.info("petacore")["etcd_member_silences"]) for c in self.clients]
        self.assertTrue(all(s >= 3 for s in silences), silences)


class StaleReplicaTest(unittest.TestCase):
    """replica-max-lag-ms: a node whose every etcd link is frozen (answers held, nothing
    dropped) refuses local reads with MASTERDOWN once etcd has been silent for longer than
    the bound, serves them again once the link thaws and its replica caught up; writes
    made meanwhile on another node are then visible. Without the option the same node answers
    from its old replica (the behaviour the option exists to change)."""

    def setUp(self):
        import harness
        import tcpproxy
        self.etcd = harness.Etcd()
        self.addCleanup(self.etcd.close)
        self.proxy = tcpproxy.TcpProxy([self.etcd.endpoint])
        self.addCleanup(self.proxy.close)
        link = type("Link", (), {"endpoint": self.proxy.endpoint})
        self.cut_off = harness.Node(link, extra_args=[
            "--etcd-member-timeout-ms", "500", "--etcd-timeout-ms", "60000"])
        self.addCleanup(self.cut_off.close)
        self.other = harness.Node(self.etcd)
        self.addCleanup(self.other.close)
        self.a = self.cut_off.client(decode_responses=True, socket_timeout=30)
        self.b = self.other.client(decode_responses=True, socket_timeout=30)

    def test_reads_refused_while_cut_off_then_served(self):
        self.b.set("k", "old")
        wait_for(lambda: self.a.get("k") == "old", what="k on the cut-off node")
        self.assertEqual(self.a.config_get("replica-max-lag-ms"), {"replica-max-lag-ms": "0"})
        self.proxy.freeze()
        try:
            wait_for(lambda: int(self.a.info("petacore")["etcd_last_contact_ms"]) > 2000,
                     timeout=30, what="etcd silent for 2 s as the node sees it")
            self.b.set("k", "new")
            # Off (the default): the stale value, silently.
            self.assertEqual(self.a.get("k"), "old")
            self.a.config_set("replica-max-lag-ms", 1000)
            wait_for(lambda: self.a.info("petacore")["replica_stale"] == 1, timeout=30,
                     what="the node stale")
            with self.assertRaises(redis.ResponseError) as e:
                self.a.get("k")
            self.assertTrue(str(e.exception).startswith("MASTERDOWN this node's replica is"),
                            e.exception)
            self.assertEqual(self.a.ping(), True)  # not a data read: served
        finally:
            self.proxy.thaw()

        def fresh():
            try:
                return self.a.get("k") == "new"
            except redis.ResponseError:
                return False
        wait_for(fresh, timeout=30, what="reads served again, up to date")
        self.assertGreaterEqual(int(self.a.info("petacore")["replica_stale_refusals"]), 1)


if __name__ == "__main__":
    unittest.main()
