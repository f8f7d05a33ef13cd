"""etcd compaction and defragmentation owned by PetaCore (issue 21).

- One member, one node, a sustained overwrite load (redis-benchmark: 200,000 SETs over 20,000
  keys): the expiry leader compacts etcd several times, and at the end etcd's dbSizeInUse,
  etcd's RSS and the node's used_memory stay under the bounds below.
- Three members, two nodes, the non-leader node SIGSTOPped: for less than its lease's TTL its
  registry record holds compaction back, so it catches up without a reload; for longer, its
  record vanishes, compaction passes its position, and it reloads and converges.
- Defragmentation of a 3-member cluster under a write load: every member defragmented, one at
  a time (the log's start/done lines never interleave), no write fails; the write p99 during
  defragmentation is printed, not asserted.
- Two PetaCore clusters (two --etcd-prefix) on one etcd: the compacting one's compaction never
  breaks the other's watch while that one keeps up (no reload); the other, with
  `etcd-compaction no`, never compacts.
"""
import os
import re
import signal
import subprocess
import sys
import threading
import time
import unittest

import redis

import cluster
import harness
from harness import wait_for

MiB = 1 << 20
# Bounds of the single-member load test (200,000 SETs over 20,000 keys, 100-byte values;
# about 2 MB of live data). etcd keeps the live keys plus etcd-compaction-window (1000)
# revisions of history below the oldest revision a node needs.
DB_IN_USE_BOUND = 32 * MiB
ETCD_RSS_BOUND = 256 * MiB
USED_MEMORY_BOUND = 64 * MiB  # the node's MVCC replica keeps its own window (h21 shrinks it)


def info(node):
    """INFO petacore as {name: text} (redis-py parses the reply; values back to text)."""
    return {k: str(v) for k, v in node.client(socket_timeout=30).info("petacore").items()}


def info_int(node, name):
    return int(info(node)[name])


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def used_memory(node):
    return int(node.client().info("memory")["used_memory"])


def leader_index(nodes):
    """Index of the node that holds the expiry leadership (it does the housekeeping)."""
    found = []

    def probe():
        found[:] = [i for i, n in enumerate(nodes) if info(n).get("expiry_is_leader") == "1"]
        return len(found) == 1

    wait_for(probe, timeout=30, interval=0.1, what="one expiry leader")
    return found[0]


def benchmark_sets(node, n, keyspace, size, clients=50):
    out = subprocess.run(["redis-benchmark", "-p", str(node.port), "-t", "set", "-n", str(n),
                          "-r", str(keyspace), "-d", str(size), "-c", str(clients), "-q"],
                         capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        raise AssertionError(f"redis-benchmark failed: {out.stderr}")
    return out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""


class Load:
    """One thread writing SETs on one node until stopped; records outcomes and latencies."""

    def __init__(self, node, tag, keys=2000, pad=0):
        self.client = node.client(decode_responses=True, socket_timeout=30)
        self.tag, self.keys, self.pad = tag, keys, "x" * pad
        self.ok, self.failed, self.latencies = 0, [], []  # latencies: (end time, seconds)
        self.last = {}
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        i = 0
        while not self.stopping.is_set():
            key = f"{self.tag}:{i % self.keys}"
            start = time.monotonic()
            value = f"{i}{self.pad}"
            try:
                self.client.set(key, value)
                end = time.monotonic()
                self.latencies.append((end, end - start))
                self.ok += 1
                self.last[key] = value
            except Exception as e:  # noqa: BLE001 - any failure fails the test
                self.failed.append((key, repr(e)))
            i += 1

    def stop(self):
        self.stopping.set()
        self.thread.join(timeout=60)
        assert not self.thread.is_alive(), f"load {self.tag} did not stop"


def p99(values):
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * 0.99))]


class SingleMemberLoadTest(unittest.TestCase):
    def test_overwrite_load_stays_bounded(self):
        etcd = harness.Etcd()
        self.addCleanup(etcd.close)
        node = harness.Node(etcd, extra_args=["--etcd-compaction-interval-ms", "1000"])
        self.addCleanup(node.close)
        leader_index([node])
        line = benchmark_sets(node, 200000, 20000, 100)
        print(f"\nredis-benchmark: {line}", file=sys.stderr)
        head = cluster.current_revision(etcd)
        window = int(node.client().config_get("etcd-compaction-window")["etcd-compaction-window"])
        # The last round after the load compacts to just below what the node needs.
        wait_for(lambda: info_int(node, "etcd_last_compaction_revision") >= head - window - 50,
                 timeout=30, interval=0.2, what="a compaction after the load")
        time.sleep(3)  # etcd frees the compacted pages in batches, then the next poll
        status = etcd_status(etcd.endpoint)
        fields = info(node)
        rss = rss_bytes(etcd.pid)
        used = used_memory(node)
        print(f"revision {head}, compactions {fields['etcd_compactions']}, last at "
              f"{fields['etcd_last_compaction_revision']} "
              f"({fields['etcd_last_compaction_duration_ms']} ms); etcd dbSize "
              f"{status['dbSize'] / MiB:.1f} MiB, dbSizeInUse {status['dbSizeInUse'] / MiB:.1f} "
              f"MiB, RSS {rss / MiB:.1f} MiB; PetaCore used_memory {used / MiB:.1f} MiB, "
              f"mvcc_versions {node.client().info('memory').get('mvcc_versions')}", file=sys.stderr)
        self.assertGreaterEqual(int(fields["etcd_compactions"]), 2)
        self.assertEqual(int(fields["etcd_compaction_errors"]), 0)
        self.assertLess(status["dbSizeInUse"], DB_IN_USE_BOUND)
        self.assertLess(rss, ETCD_RSS_BOUND)
        self.assertLess(used, USED_MEMORY_BOUND)
        # INFO's own figures come from the same Status calls.
        wait_for(lambda: info_int(node, "etcd_db_size") > 0, timeout=10, what="INFO db size")
        self.assertGreater(info_int(node, "etcd_db_size_in_use"), 0)


def etcd_status(endpoint):
    """etcdctl endpoint status of one member, as a dict (dbSize, dbSizeInUse, header...)."""
    import json
    out = subprocess.run(["etcdctl", "--endpoints", endpoint, "endpoint", "status", "-w", "json"],
                         env=dict(os.environ, ETCDCTL_API="3"), check=True, capture_output=True,
                         timeout=30).stdout
    return json.loads(out)[0]["Status"]


class SlowNodeTest(unittest.TestCase):
    """A SIGSTOPped node within its lease holds compaction back; past it, it reloads."""

    def setUp(self):
        self.etcd = cluster.EtcdCluster()
        self.addCleanup(self.etcd.close)
        self.nodes = cluster.start_nodes(self.etcd, 2, extra_args=[
            "--etcd-compaction-interval-ms", "200", "--etcd-compaction-window", "100",
            "--pubsub-lease-ttl", "3", "--node-report-interval-ms", "100"])
        for n in self.nodes:
            self.addCleanup(n.close)

    def stopped_for(self, seconds, writes, slow, load):
        """SIGSTOPs `slow` for `seconds` and at least `writes` writes of the load."""
        before = load.ok
        slow.proc.send_signal(signal.SIGSTOP)
        try:
            time.sleep(seconds)
            wait_for(lambda: load.ok > before + writes, timeout=60, what="writes while stopped")
        finally:
            slow.proc.send_signal(signal.SIGCONT)

    def test_stopped_within_and_past_the_lease(self):
        lead = leader_index(self.nodes)
        leader, slow = self.nodes[lead], self.nodes[1 - lead]
        # 4 KB values: past the lease, etcd must owe the stopped node more events than its
        # watch stream and socket buffers hold, or it would just catch up from the stream.
        load = Load(leader, "slow", keys=500, pad=4096)
        try:
            wait_for(lambda: info_int(leader, "etcd_compactions") > 0, timeout=30,
                     what="a first compaction")
            reloads = info_int(slow, "etcd_compaction_reloads")
            # Within the lease's TTL (3 s; keep-alives every second): the record holds compaction.
            self.stopped_for(1.0, 1, slow, load)
            cluster.wait_converged([slow], self.etcd)
            self.assertEqual(info_int(slow, "etcd_compaction_reloads"), reloads)
            # Past it: the record vanishes, compaction passes the node, it reloads.
            compactions = info_int(leader, "etcd_compactions")
            self.stopped_for(6, 3000, slow, load)
            wait_for(lambda: info_int(slow, "etcd_compaction_reloads") > reloads, timeout=60,
                     what="the slow node's reload")
            self.assertGreater(info_int(leader, "etcd_compactions"), compactions)
        finally:
            load.stop()
        self.assertEqual(load.failed, [])
        # Each node publishes its registry record once after the last data change (within
        # --node-report-interval-ms): let those settle, or the nodes' revisions differ.
        time.sleep(1)
        cluster.wait_converged(self.nodes, self.etcd)
        c = slow.client(decode_responses=True)
        keys = sorted(load.last)
        self.assertEqual(c.mget(keys), [load.last[k] for k in keys])


class DefragTest(unittest.TestCase):
    def test_members_defragmented_one_at_a_time_under_load(self):
        etcd = cluster.EtcdCluster()
        self.addCleanup(etcd.close)
        node = harness.Node(etcd, extra_args=[
            "--etcd-compaction", "no", "--etcd-defrag", "no", "--etcd-defrag-min-bytes", "4mb",
            "--etcd-defrag-interval-ms", "500", "--etcd-compaction-interval-ms", "200",
            "--etcd-compaction-window", "10"])
        self.addCleanup(node.close)
        leader_index([node])
        c = node.client()
        # History to free: 20,000 overwrites of 1 KB values over 500 keys, uncompacted.
        benchmark_sets(node, 20000, 500, 1000)
        c.config_set("etcd-compaction", "yes")
        wait_for(lambda: info_int(node, "etcd_compactions") > 0, timeout=30,
                 what="the compaction of the history")
        before = {m.endpoint: etcd_status(m.endpoint)["dbSize"] for m in etcd.members}
        load = Load(node, "defrag")
        try:
            time.sleep(1)
            start = time.monotonic()
            c.config_set("etcd-defrag", "yes")
            wait_for(lambda: len(defragged(node)) >= 3, timeout=120, interval=0.2,
                     what="every member defragmented")
            end = time.monotonic()
            time.sleep(0.5)
        finally:
            load.stop()
            c.config_set("etcd-defrag", "no")
        self.assertEqual(load.failed, [])
        events = defrag_events(node)
        # One at a time: every start is followed by its own done before the next start.
        open_member = None
        for kind, member in events:
            if kind == "start":
                self.assertIsNone(open_member, f"two defragmentations at once: {events}")
                open_member = member
            else:
                self.assertEqual(open_member, member, events)
                open_member = None
        self.assertEqual(set(defragged(node)), {m.endpoint for m in etcd.members})
        after = {m.endpoint: etcd_status(m.endpoint)["dbSize"] for m in etcd.members}
        during = [d for t, d in load.latencies if start <= t <= end]
        fields = info(node)
        print(f"\ndefrags {fields['etcd_defrags']}, last {fields['etcd_last_defrag_member']} "
              f"{fields['etcd_last_defrag_duration_ms']} ms; dbSize before {before} after "
              f"{after}; writes during defrag {len(during)}, p99 {p99(during) * 1000:.1f} ms, "
              f"overall p99 {p99([d for _, d in load.latencies]) * 1000:.1f} ms",
              file=sys.stderr)
        for ep in before:
            self.assertLess(after[ep], before[ep], ep)


def defrag_events(node):
    out = []
    for m in re.finditer(r"etcd defragmentation of member (\S+?)(: db size| done)",
                         node.log_text()):
        out.append(("start" if m.group(2) == ": db size" else "done", m.group(1)))
    return out


def defragged(node):
    return [m for kind, m in defrag_events(node) if kind == "done"]


class SharedEtcdTest(unittest.TestCase):
    """Two PetaCore clusters on one etcd: A compacts (small window), B has compaction off."""

    def test_two_prefixes(self):
        etcd = harness.Etcd()
        self.addCleanup(etcd.close)
        a = harness.Node(etcd, prefix="/a/", extra_args=[
            "--etcd-compaction-interval-ms", "200", "--etcd-compaction-window", "200"])
        self.addCleanup(a.close)
        b = harness.Node(etcd, prefix="/b/", extra_args=["--etcd-compaction", "no"])
        self.addCleanup(b.close)
        leader_index([a])
        leader_index([b])
        loads = [Load(a, "a", keys=300), Load(b, "b", keys=300)]
        try:
            wait_for(lambda: info_int(a, "etcd_compactions") >= 5, timeout=60,
                     what="A compacting")
            wait_for(lambda: all(ld.ok > 500 for ld in loads), timeout=60, what="the loads")
        finally:
            for ld in loads:
                ld.stop()
        for ld in loads:
            self.assertEqual(ld.failed, [])
        self.assertEqual(info_int(b, "etcd_compactions"), 0)
        # B kept up with its watch, so A's compaction (below A's window) never reached it.
        self.assertEqual(info_int(b, "etcd_compaction_reloads"), 0)
        for node, ld in ((a, loads[0]), (b, loads[1])):
            cluster.wait_converged([node], etcd)
            keys = sorted(ld.last)
            self.assertEqual(node.client(decode_responses=True).mget(keys),
                             [ld.last[k] for k in keys])


if __name__ == "__main__":
    unittest.main()
