"""Two PetaCore nodes on one real etcd: replication, concurrency, WATCH across nodes,
restart, etcd outage and compaction. Driven with redis-py and redis-cli."""
import os
import signal
import threading
import unittest

import redis

import harness
from harness import Etcd, Node, proxied_node, wait_for


class TwoNodes(harness.TwoNodes):
    a_args = b_args = ["--etcd-timeout-ms", "2000"]

    def setUp(self):
        self.a.client().flushall()
        wait_for(lambda: self.b.client().dbsize() == 0, what="flush replicated")

    def test_write_on_a_is_read_on_b(self):
        ca, cb = self.a.client(), self.b.client()
        self.assertTrue(ca.set("greeting", b"hello\x00world"))
        self.assertEqual(ca.get("greeting"), b"hello\x00world")  # read-your-writes on A
        wait_for(lambda: cb.get("greeting") == b"hello\x00world", what="B sees A's write")
        self.assertEqual(self.b.cli("get", "greeting").strip(), "hello\x00world")
        # The value lives in etcd under the prefix, as the encoding says.
        keys = self.etcd.ctl("get", "--prefix", "/petacore/", "--keys-only")
        self.assertIn(b"greeting", keys)

    def test_concurrent_incr_from_both_nodes_is_exact(self):
        per_client, clients_per_node = 100, 5
        errors = []

        def worker(node):
            c = node.client()
            try:
                for _ in range(per_client):
                    c.incr("counter")
            except Exception as e:  # surfaced below
                errors.append(e)

        threads = [threading.Thread(target=worker, args=(n,))
                   for n in (self.a, self.b) for _ in range(clients_per_node)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        total = 2 * clients_per_node * per_client
        wait_for(lambda: int(self.a.client().get("counter")) == total, what="A converges")
        wait_for(lambda: int(self.b.client().get("counter")) == total, what="B converges")

    def test_hot_key_writes_on_one_node_are_folded(self):
        """20 clients INCR one key on A: exact total, in fewer etcd commits than INCRs (the
        Driver folds single-key writes queued behind each other into one commit)."""
        before = int(self.a.client().info("petacore")["etcd_commit_requests"])
        errors = []

        def worker():
            c = self.a.client()
            try:
                for _ in range(50):
                    c.incr("hot")
                    c.append("hot-log", "x")
            except Exception as e:
                errors.append(e)

        threads = [threading.Thread(target=worker) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(self.a.client().get("hot"), b"1000")
        self.assertEqual(self.a.client().strlen("hot-log"), 1000)
        commits = int(self.a.client().info("petacore")["etcd_commit_requests"]) - before
        self.assertLessEqual(commits, 2000)  # never more commits than writes
        wait_for(lambda: self.b.client().get("hot") == b"1000", what="B converges")

    def test_writes_queued_behind_an_inflight_write_fold_into_one_commit(self):
        """Exactly: a node reaching etcd through a frozen proxy holds its first INCR's commit;
        19 more INCRs of the same key from 19 connections queue behind it; after the thaw they
        all go in ONE commit (2 commit requests for 20 INCRs), each with its own reply."""
        node, proxy = proxied_node(self.etcd)
        try:
            admin = node.client(socket_timeout=90)
            admin.delete("folded")
            before = int(admin.info("petacore")["etcd_commit_requests"])
            replies, errors = [], []

            def incr(c):
                try:
                    replies.append(c.execute_command("INCR", "folded"))
                except Exception as e:  # surfaced below
                    errors.append(e)

            clients = [node.client(socket_timeout=90) for _ in range(20)]
            for c in clients:
                c.ping()
            proxy.freeze()
            threads = [threading.Thread(target=incr, args=(c,)) for c in clients]
            try:
                for t in threads:
                    t.start()
                # Every INCR has reached the Driver (CLIENT LIST names each one's command).
                wait_for(lambda: sum(1 for c in admin.client_list() if c["cmd"] == "incr") == 20,
                         timeout=60, what="20 INCRs in the Driver")
            finally:
                proxy.thaw()
            for t in threads:
                t.join(timeout=90)
            self.assertEqual(errors, [])
            self.assertEqual(sorted(replies), list(range(1, 21)))
            commits = int(admin.info("petacore")["etcd_commit_requests"]) - before
            self.assertEqual(commits, 2)
        finally:
            node.close()
            proxy.close()

    def test_pipelined_writes_keep_one_by_one_semantics(self):
        """A pipeline mixing writes (run concurrently, sharing Txns) and reads gives exactly the
        replies of executing it one command at a time."""
        c = self.a.client()
        with c.pipeline(transaction=False) as p:
            for i in range(300):
                p.incr("pc")
                p.set(f"pk{i % 7}", i)
                p.append("plog", "ab")
                if i % 25 == 0:
                    p.get("pc")
                    p.mget("pk0", "pk1")
            replies = p.execute()
        expected = []
        last = {}
        for i in range(300):
            expected += [i + 1, True, 2 * (i + 1)]
            last[f"pk{i % 7}"] = str(i).encode()
            if i % 25 == 0:
                expected += [str(i + 1).encode(), [last.get("pk0"), last.get("pk1")]]
        self.assertEqual(replies, expected)
        wait_for(lambda: self.b.client().get("pc") == b"300", what="B converges")

    def test_watch_on_a_aborted_by_write_on_b(self):
        ca = self.a.client()
        ca.set("balance", 100)
        wait_for(lambda: self.b.client().get("balance") == b"100", what="B sees balance")
        with ca.pipeline() as p:  # redis-py's WATCH/MULTI/EXEC
            p.watch("balance")
            self.b.client().incrby("balance", 5)  # committed in etcd before A's EXEC
            p.multi()
            p.decrby("balance", 30)
            with self.assertRaises(redis.WatchError):
                p.execute()
        wait_for(lambda: ca.get("balance") == b"105", what="A sees B's write")
        with ca.pipeline() as p:  # without interference the same transaction commits
            p.watch("balance")
            p.multi()
            p.decrby("balance", 30)
            self.assertEqual(p.execute(), [75])

    def test_exec_is_one_revision_seen_atomically_on_b(self):
        ca = self.a.client()
        with ca.pipeline(transaction=True) as p:
            for i in range(20):
                p.set(f"batch:{i}", "v")
            self.assertEqual(p.execute(), [True] * 20)
        wait_for(lambda: self.b.client().exists(*[f"batch:{i}" for i in range(20)]) == 20,
                 what="B sees the batch")
        # One EXEC = one etcd Txn = one revision shared by every key it wrote.
        import json
        # Redis keys only (databases 0..15), not internal 0xFF keys such as the expiry leader.
        kvs = json.loads(self.etcd.ctl("get", "/petacore/", "/petacore/\x10", "-w", "json"))["kvs"]
        revs = {kv["mod_revision"] for kv in kvs}
        self.assertEqual(len(kvs), 20)
        self.assertEqual(len(revs), 1)

    def test_restarted_node_reloads_everything(self):
        ca = self.a.client()
        for i in range(300):
            ca.set(f"k{i}", f"v{i}")
        wait_for(lambda: self.b.client().dbsize() == 300, what="B has all keys")
        self.b.kill()
        ca.set("written-while-b-down", "yes")
        self.b.start()
        cb = self.b.client()
        self.assertEqual(cb.dbsize(), 301)
        self.assertEqual(cb.get("k299"), b"v299")
        self.assertEqual(cb.get("written-while-b-down"), b"yes")
        # 301 Redis keys, plus the expiry election key whenever a node holds it, plus the node
        # registry's records (A's, and B's old one until its lease expires), plus the
        # stored-format marker (server/stored_format.h).
        self.assertRegex(self.b.log_text(), r"keys_loaded=30[2-5] ")

    def test_redis_benchmark_runs_without_errors(self):
        import subprocess
        res = subprocess.run(["redis-benchmark", "-p", str(self.a.port), "-t", "set,get,incr",
                              "-n", "2000", "-c", "20", "-q"], capture_output=True, text=True,
                             timeout=300)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertNotIn("ERR", res.stdout + res.stderr)
        self.assertIn("SET:", res.stdout.replace("\r", "\n"))


class EtcdOutage(unittest.TestCase):
    """etcd down: writes fail fast with an error naming etcd, reads go on; then recovery."""

    def test_writes_fail_reads_continue_then_recover(self):
        etcd = Etcd()
        node = Node(etcd, extra_args=["--etcd-timeout-ms", "1500"])
        try:
            c = node.client()
            c.set("k", "before")
            etcd.kill()
            with self.assertRaises(redis.ResponseError) as ctx:
                c.set("k", "during")
            self.assertIn("etcd", str(ctx.exception))
            self.assertEqual(c.get("k"), b"before")  # served from the local replica
            etcd.start()
            wait_for(lambda: c.set("k", "after"), timeout=30, what="writes resume")
            self.assertEqual(c.get("k"), b"after")
        finally:
            node.close()
            etcd.close()


class Compaction(unittest.TestCase):
    """A node stopped while etcd moves on and compacts past it reloads and converges."""

    def test_node_behind_compaction_reloads(self):
        etcd = Etcd()
        a, b = Node(etcd), Node(etcd)
        try:
            ca = a.client()
            ca.set("x", "0")
            wait_for(lambda: b.client().get("x") == b"0", what="B sees x")
            b.proc.send_signal(signal.SIGSTOP)
            # More revisions and bytes (~600 revisions, ~19 MiB) than etcd's per-watch buffers and
            # the socket can hold, so etcd must still owe B events when the compaction comes.
            big = b"z" * (64 * 1024)
            for i in range(300):
                ca.set("x", str(i + 1))
                ca.set("big", big + str(i).encode())
            for i in range(50):
                ca.set(f"y{i}", "v")
            ca.delete("y0")
            rev = int(ca.info("petacore")["applied_revision"])
            etcd.ctl("compact", str(rev))
            b.proc.send_signal(signal.SIGCONT)
            cb = b.client()
            wait_for(lambda: cb.get("x") == b"300" and cb.dbsize() == 51, timeout=30,
                     what="B reloads after compaction")
            self.assertIsNone(cb.get("y0"))
            self.assertEqual(int(cb.info("petacore")["etcd_compaction_reloads"]), 1)
        finally:
            a.close()
            b.close()
            etcd.close()

    def test_big_values_survive_a_reload_and_its_cleaner(self):
        # The chunk cleaner's index (keyspace/chunk_references.h) is kept from the applied
        # batches, a reload's diff included: after B reloads, the chunks a key references
        # (here through an overwrite and a RENAME B never saw one by one) must not look
        # unreferenced to B's cleaner once B leads.
        etcd = Etcd()
        a, b = Node(etcd), Node(etcd)
        try:
            ca, cb = a.client(socket_timeout=60), b.client(socket_timeout=60)
            ca.set("moved", os.urandom(3 * 1024 * 1024))  # chunked: 512 KiB chunks
            wait_for(lambda: cb.exists("moved") == 1, what="B sees the first value")
            reloads = lambda: int(cb.info("petacore")["etcd_compaction_reloads"])  # noqa: E731
            big = b"z" * (64 * 1024)
            # Whether etcd still owes B events when it compacts depends on buffers: repeat
            # the freeze until B had to reload.
            for attempt in range(5):
                value = os.urandom(3 * 1024 * 1024)
                b.proc.send_signal(signal.SIGSTOP)
                ca.set("v", value)
                ca.rename("v", "moved")
                for i in range(300):
                    ca.set("x", f"{attempt}:{i}")
                    ca.set("filler", big + str(i).encode())
                etcd.ctl("compact", str(ca.info("petacore")["applied_revision"]))
                b.proc.send_signal(signal.SIGCONT)
                last = f"{attempt}:299".encode()
                wait_for(lambda: cb.get("x") == last, timeout=30, what="B to catch up")
                if reloads() > 0:
                    break
            self.assertGreaterEqual(reloads(), 1)
            cb.config_set("chunk-cleaner-interval-ms", 100)
            a.close()  # B leads expiry, and with it the cleaner, once A's lease is gone
            scans = lambda: int(cb.info("petacore")["chunk_cleaner_scans"])  # noqa: E731
            wait_for(lambda: scans() >= 3, timeout=60, what="B's cleaner to run")
            wait_for(lambda: cb.info("petacore")["chunk_ids_unreferenced"] == 0, timeout=30,
                     what="B's cleaner to drop the values overwritten")
            self.assertEqual(cb.info("petacore")["chunk_ids"], 1)
            self.assertEqual(cb.get("moved"), value)
        finally:
            a.close()
            b.close()
            etcd.close()

if __name__ == "__main__":
    unittest.main()
