"""The cluster harness itself (scripts/cluster.sh), etcdlink against a 3-member cluster
(balancing, failover) and DEBUG DIGEST."""
import os
import re
import shutil
import subprocess
import tempfile
import unittest
import urllib.request

import redis

import cluster
import harness
from harness import wait_for

ROOT = harness.ROOT


def txns_handled(member):
    """etcd's count of Txn calls this member answered (its Prometheus /metrics)."""
    with urllib.request.urlopen(f"http://{member.endpoint}/metrics", timeout=10) as f:
        text = f.read().decode()
    total = 0
    for line in text.splitlines():
        if line.startswith("grpc_server_handled_total{") and 'grpc_method="Txn"' in line:
            total += int(float(line.rsplit(" ", 1)[1]))
    return total


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline") as f:
            return f.read()
    except OSError:
        return ""


class ClusterScriptTest(unittest.TestCase):
    def run_script(self, *args):
        out = subprocess.run(["bash", os.path.join(ROOT, "scripts", "cluster.sh"), *args],
                             env=self.env, capture_output=True, text=True, timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr)
        return out.stdout

    def state(self):
        rows = {}
        for line in self.run_script("status").splitlines()[1:]:
            parts = line.split()
            if len(parts) == 4:
                rows[parts[0]] = {"pid": parts[1], "port": int(parts[2]), "state": parts[3]}
        return rows

    def test_up_faults_down(self):
        d = tempfile.mkdtemp(prefix="petacore-cluster-sh-")
        self.env = dict(os.environ, PETACORE_CLUSTER_DIR=os.path.join(d, "c"),
                        PETACORE_SERVER=harness.SERVER)
        self.addCleanup(shutil.rmtree, d, ignore_errors=True)
        self.addCleanup(lambda: self.run_script("down"))
        self.run_script("up", "2")
        st = self.state()
        self.assertEqual(sorted(st), ["etcd1", "etcd2", "etcd3", "node1", "node2"])
        self.assertTrue(all(v["state"] == "up" for v in st.values()), st)
        pids = [int(v["pid"]) for v in st.values()]
        a = redis.Redis(port=st["node1"]["port"], socket_timeout=10)
        b = redis.Redis(port=st["node2"]["port"], socket_timeout=10)
        a.set("k", "1")
        wait_for(lambda: b.get("k") == b"1", what="replicated write")
        self.run_script("kill", "etcd1")
        self.assertEqual(self.state()["etcd1"]["state"], "down")
        wait_for(lambda: a.set("k", "2"), what="write with 2 members")
        self.run_script("stop", "node2")
        self.assertEqual(self.state()["node2"]["state"], "stopped")
        self.run_script("cont", st["node2"]["pid"])  # by pid
        self.assertEqual(self.state()["node2"]["state"], "up")
        wait_for(lambda: b.get("k") == b"2", what="node2 caught up")
        self.run_script("restart", "etcd1")
        self.assertEqual(self.state()["etcd1"]["state"], "up")
        self.run_script("restart", "node1")
        a = redis.Redis(port=st["node1"]["port"], socket_timeout=10)
        self.assertEqual(a.get("k"), b"2")
        pids += [int(v["pid"]) for v in self.state().values()]
        self.run_script("down")
        self.assertFalse(os.path.exists(self.env["PETACORE_CLUSTER_DIR"]))
        for pid in pids:  # every process is gone (or a zombie: no command line left)
            self.assertEqual(cmdline(pid), "", pid)


class EtcdlinkClusterTest(unittest.TestCase):
    def setUp(self):
        self.etcd = cluster.EtcdCluster()
        self.addCleanup(self.etcd.close)

    def test_balances_over_all_members(self):
        # No active expiry: its elector's campaign Txn may land inside the counted window.
        node = harness.Node(self.etcd, extra_args=["--active-expiry", "no"])
        self.addCleanup(node.close)
        before = [txns_handled(m) for m in self.etcd.members]
        r = node.client()
        for i in range(300):
            r.set(f"k{i}", i)  # one at a time: one Txn each
        after = [txns_handled(m) for m in self.etcd.members]
        served = [a - b for a, b in zip(after, before)]
        self.assertEqual(sum(served), 300, served)
        self.assertTrue(all(s > 0 for s in served), served)

    def test_fails_over_and_starts_with_a_member_down(self):
        node = harness.Node(self.etcd)
        self.addCleanup(node.close)
        r = node.client()
        victim = self.etcd.wait_leader()
        victim.kill()
        wait_for(lambda: r.set("a", "1"), what="first write after the kill")
        for i in range(100):  # the dead member is skipped from then on
            self.assertTrue(r.set(f"b{i}", i))
        # A node started with a dead member in its endpoint list loads from the others.
        other = harness.Node(self.etcd)
        self.addCleanup(other.close)
        wait_for(lambda: other.client().get("b99") == b"99", what="second node loaded")
        victim.start(wait=True)
        cluster.wait_converged([node, other], self.etcd)


class DebugDigestTest(unittest.TestCase):
    def fill(self, r, order):
        ops = [lambda: r.set("s", "v"), lambda: r.hset("h", mapping={"f1": 1, "f2": 2}),
               lambda: r.rpush("l", "a", "b"), lambda: r.zadd("z", {"m": 1.5}),
               lambda: r.sadd("set", "x", "y"), lambda: r.execute_command("SELECT", 0)]
        for i in order:
            ops[i]()

    def test_digest(self):
        a, b = harness.Node(), harness.Node()
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        ra, rb = a.client(), b.client()
        self.assertEqual(ra.execute_command("DEBUG", "DIGEST"), b"0" * 40)
        self.fill(ra, [0, 1, 2, 3, 4])
        self.fill(rb, [4, 3, 2, 1, 0])
        da = ra.execute_command("DEBUG", "DIGEST")
        self.assertRegex(da, re.compile(rb"^[0-9a-f]{40}$"))
        self.assertEqual(da, rb.execute_command("DEBUG", "DIGEST"))
        rev, dig = ra.execute_command("DEBUG", "DIGEST-REVISION")
        self.assertEqual(dig, da)
        self.assertIsInstance(rev, int)
        rb.hset("h", "f2", 3)
        self.assertNotEqual(da, rb.execute_command("DEBUG", "DIGEST"))
        rb.hset("h", "f2", 2)
        self.assertEqual(da, rb.execute_command("DEBUG", "DIGEST"))
        rb.select(3)
        rb.set("s", "v")  # same key and value in another database: another key space
        self.assertNotEqual(da, rb.execute_command("DEBUG", "DIGEST"))
        with self.assertRaises(redis.ResponseError) as cm:
            ra.execute_command("DEBUG", "NOPE")
        self.assertEqual(str(cm.exception),
                         "unknown subcommand or wrong number of arguments for 'NOPE'. "
                         "Try DEBUG HELP.")

    def test_digest_revision_replicated(self):
        etcd = harness.Etcd()
        self.addCleanup(etcd.close)
        nodes = cluster.start_nodes(etcd, 2)
        for n in nodes:
            self.addCleanup(n.close)
        nodes[0].client().mset({"a": 1, "b": 2})
        rev, digest = cluster.wait_converged(nodes, etcd)
        self.assertGreater(rev, 1)
        self.assertNotEqual(digest, "0" * 40)


if __name__ == "__main__":
    unittest.main()
