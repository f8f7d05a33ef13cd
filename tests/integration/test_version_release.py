"""Issue 21 (last bullet): the local MVCC store releases old versions as soon as no snapshot
needs them, so INFO's mvcc_versions and used_memory follow the live data plus a bounded window
under a sustained overwrite load — while a slow script, which reads one snapshot for its whole
run, and WATCH/MULTI/EXEC still read correctly.

Bounds stated here (2,000 live keys of 100 bytes, overwritten by redis-benchmark with 50
clients): at every sample mvcc_versions <= 3 x 2,000 + 1,000 (the live keys, one batch in
flight and what short readers pinned for one more batch; the store kept up to 20,000 revisions
of history before, i.e. hundreds of thousands of versions) and used_memory <= 4 MiB; after the
load mvcc_versions falls back to the index's keys (+ a few internal records)."""
import shutil
import subprocess
import threading
import time
import unittest

import redis

from differential import ReplicatedTestCase
from harness import wait_for

KEYS = 2000
VERSION_BOUND = 3 * KEYS + 1000
USED_MEMORY_BOUND = 4 * 1024 * 1024


def info(node, section="memory", timeout=30):
    return node.client(socket_timeout=timeout).info(section)


class VersionRelease(ReplicatedTestCase):
    def setUp(self):
        self.flush_replicated()

    def sample_while(self, proc_alive, node, samples, errors):
        while proc_alive():
            try:
                mem = info(node, "memory", timeout=5)
                samples.append((mem["mvcc_versions"], mem["used_memory"]))
            except redis.RedisError as e:  # surfaced below
                errors.append(e)
            time.sleep(0.1)

    @unittest.skipIf(shutil.which("redis-benchmark") is None, "redis-benchmark not installed")
    def test_sustained_overwrite_keeps_versions_and_memory_bounded(self):
        bench = subprocess.Popen(
            ["redis-benchmark", "-p", str(self.a.port), "-t", "set", "-r", str(KEYS),
             "-n", "150000", "-d", "100", "-c", "50", "-q"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        samples_a, samples_b, errors = [], [], []
        samplers = [threading.Thread(target=self.sample_while,
                                     args=(lambda: bench.poll() is None, n, s, errors))
                    for n, s in ((self.a, samples_a), (self.b, samples_b))]
        for t in samplers:
            t.start()
        try:
            bench.wait(timeout=600)
        finally:
            if bench.poll() is None:
                bench.kill()
            for t in samplers:
                t.join(timeout=30)
        self.assertEqual(bench.returncode, 0)
        self.assertEqual(errors, [])
        self.assertGreater(len(samples_a), 5, "the load ended before INFO was sampled")
        live = self.a.client().dbsize()
        self.assertGreater(live, KEYS * 0.9)
        for name, samples in (("A", samples_a), ("B", samples_b)):
            most_versions = max(v for v, _ in samples)
            most_memory = max(m for _, m in samples)
            self.assertLessEqual(most_versions, VERSION_BOUND, f"node {name}: {samples[-5:]}")
            self.assertLessEqual(most_memory, USED_MEMORY_BOUND, f"node {name}: {samples[-5:]}")
        # At rest every node holds about one version per key: data + internal records.
        for node in (self.a, self.b):
            wait_for(lambda: info(node)["mvcc_versions"] <= info(node)["mvcc_index_keys"] + 50,
                     what=f"versions fall back to the keys on port {node.port}")
            pc = info(node, "petacore")
            self.assertGreater(pc["mvcc_local_compactions"], 0)
            self.assertGreaterEqual(pc["mvcc_compacted_revision"],
                                    pc["mvcc_oldest_snapshot_revision"] - 1)

    def test_deleted_keys_leave_the_index(self):
        # A cache's churn: keys written once and deleted (DEL here; eviction and expiry delete
        # the same way). Each node must give back the keys' index nodes, not only their
        # versions: INFO mvcc_index_keys and used_memory fall back to where they were. Keys of
        # ~250 bytes make the nodes weigh: 20,000 of them are ~5 MB, against the 2 MiB allowed.
        count, pad = 20000, "p" * 240
        keys = [f"gone:{pad}:{i}" for i in range(count)]
        before = {n.port: info(n) for n in (self.a, self.b)}
        a, b = self.a.client(), self.b.client()
        for i in range(0, count, 1000):
            a.mset({k: "v" for k in keys[i:i + 1000]})
        wait_for(lambda: b.exists(keys[-1]) == 1, what="the last MSET on B")
        grown = {n.port: info(n)["mvcc_index_keys"] for n in (self.a, self.b)}
        for node in (self.a, self.b):
            self.assertGreaterEqual(grown[node.port], before[node.port]["mvcc_index_keys"] + count)
        for i in range(0, count, 1000):
            self.assertEqual(b.delete(*keys[i:i + 1000]), 1000)
        for node in (self.a, self.b):
            base = before[node.port]
            wait_for(lambda: info(node)["mvcc_index_keys"] <= base["mvcc_index_keys"] + 50,
                     what=f"deleted keys to leave the index on port {node.port}")

            def memory_back():
                a.set("tick", "1")  # a batch to apply: each compaction frees what it unlinked
                return info(node)["used_memory"] <= base["used_memory"] + 2 * 1024 * 1024
            wait_for(memory_back, what=f"used_memory back on port {node.port}")

    def test_slow_script_reads_one_snapshot_while_versions_are_released(self):
        # B rewrites all 2,000 keys in one MSET per round, so any one snapshot sees every key
        # with the same round number. A script on A reads them all, spins, reads them again:
        # both reads must be that one round although A compacts after every batch meanwhile.
        keys = [f"k{i}" for i in range(KEYS)]
        pad = "x" * 100
        self.b.client().mset({k: f"0:{pad}" for k in keys})
        wait_for(lambda: self.a.client().get("k1999") is not None, what="first round on A")
        stop = threading.Event()
        rounds = [0]
        errors = []

        def writer():
            c = self.b.client()
            try:
                while not stop.is_set():
                    rounds[0] += 1
                    c.mset({k: f"{rounds[0]}:{pad}" for k in keys})
            except redis.RedisError as e:  # surfaced below
                errors.append(e)

        script = (
            "local first = redis.call('MGET', unpack(KEYS))\n"
            "local t0 = redis.call('TIME')\n"
            "local spins = 0\n"
            "while true do\n"
            "  for i = 1, 20000 do spins = spins + 1 end\n"
            "  local t = redis.call('TIME')\n"
            "  if (t[1] - t0[1]) * 1000000 + (t[2] - t0[2]) > tonumber(ARGV[1]) then break end\n"
            "end\n"
            "local second = redis.call('MGET', unpack(KEYS))\n"
            "local round = string.match(first[1], '^(%d+):')\n"
            "for i = 1, #KEYS do\n"
            "  if first[i] ~= second[i] then return redis.error_reply('CHANGED ' .. KEYS[i]) end\n"
            "  if string.match(first[i], '^(%d+):') ~= round then\n"
            "    return redis.error_reply('MIXED ' .. KEYS[i] .. ' ' .. first[i]:sub(1, 12))\n"
            "  end\n"
            "end\n"
            "return tonumber(round)")
        w = threading.Thread(target=writer)
        w.start()
        try:
            wait_for(lambda: rounds[0] >= 3, what="writer running")
            ca = self.a.client()
            seen = []
            for _ in range(3):
                before = rounds[0]
                seen.append(ca.execute_command("EVAL_RO", script, len(keys), *keys, 1500000))
                # The writer moved on while the script held its snapshot.
                wait_for(lambda: rounds[0] > before + 2, what="rounds during the script")
        finally:
            stop.set()
            w.join(timeout=60)
        self.assertEqual(errors, [])
        self.assertEqual(len(seen), 3)
        self.assertTrue(all(isinstance(r, int) and r >= 0 for r in seen), seen)
        # Released: once the writer stopped, versions fall back to about one per key.
        wait_for(lambda: info(self.a)["mvcc_versions"] <= info(self.a)["mvcc_index_keys"] + 50,
                 what="versions released after the script")

    def test_watch_multi_exec_under_overwrite(self):
        # A watched key that another node overwrites makes EXEC fail; an unwatched transaction
        # reads one round for all keys (one snapshot), while A compacts after every batch.
        keys = [f"w{i}" for i in range(200)]
        self.b.client().mset({k: "0" for k in keys})
        wait_for(lambda: self.a.client().get("w199") == b"0", what="keys on A")
        stop = threading.Event()
        errors = []

        def writer():
            c = self.b.client()
            n = 0
            try:
                while not stop.is_set():
                    n += 1
                    c.mset({k: str(n) for k in keys})
            except redis.RedisError as e:  # surfaced below
                errors.append(e)

        w = threading.Thread(target=writer)
        w.start()
        aborted = 0
        try:
            ca = self.a.client()
            for _ in range(20):
                p = ca.pipeline(transaction=True)
                p.watch("w0")
                watched = p.get("w0")
                wait_for(lambda: ca.get("w0") != watched, what="w0 overwritten")
                p.multi()
                p.mget(keys)
                try:
                    p.execute()
                except redis.WatchError:
                    aborted += 1
                p.reset()
                vals = ca.pipeline(transaction=True).mget(keys).execute()[0]
                self.assertEqual(len(set(vals)), 1, vals[:3])
        finally:
            stop.set()
            w.join(timeout=60)
        self.assertEqual(errors, [])
        self.assertEqual(aborted, 20)


if __name__ == "__main__":
    unittest.main()
