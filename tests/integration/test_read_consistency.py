"""Read consistency: --read-consistency and PETACORE READCONSISTENCY on two nodes of one etcd.
A write acknowledged by node A is always seen by an immediate linearizable read on node B;
local reads are not asserted to see it (they may be stale by design)."""
import threading
import unittest

import redis

from harness import Etcd, Node, proxied_node, wait_for


def info_field(client, name):
    return int(client.info("petacore")[name])


class ReadConsistency(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.etcd = Etcd()
        cls.a = Node(cls.etcd, extra_args=["--etcd-timeout-ms", "2000"])
        cls.b = Node(cls.etcd, extra_args=["--etcd-timeout-ms", "2000",
                                           "--read-consistency", "linearizable"])

    @classmethod
    def tearDownClass(cls):
        cls.a.close()
        cls.b.close()
        cls.etcd.close()

    def test_command_reports_and_sets_the_mode(self):
        ca, cb = self.a.client(), self.b.client()
        self.assertEqual(ca.execute_command("PETACORE", "READCONSISTENCY"), b"local")
        self.assertEqual(cb.execute_command("PETACORE", "READCONSISTENCY"), b"linearizable")
        self.assertTrue(ca.execute_command("petacore", "readconsistency", "LINEARIZABLE"))
        self.assertEqual(ca.execute_command("PETACORE", "READCONSISTENCY"), b"linearizable")
        self.assertTrue(ca.execute_command("PETACORE", "READCONSISTENCY", "local"))
        self.assertEqual(ca.execute_command("PETACORE", "READCONSISTENCY"), b"local")
        with self.assertRaisesRegex(redis.ResponseError, "^syntax error$"):
            ca.execute_command("PETACORE", "READCONSISTENCY", "strong")
        with self.assertRaisesRegex(redis.ResponseError, "unknown subcommand 'NOPE'. Try PETACORE HELP."):
            ca.execute_command("PETACORE", "NOPE")
        with self.assertRaisesRegex(redis.ResponseError, "wrong number of arguments for 'petacore\\|readconsistency'"):
            ca.execute_command("PETACORE", "READCONSISTENCY", "local", "x")
        help_lines = ca.execute_command("PETACORE", "HELP")
        self.assertIn(b"READCONSISTENCY [LOCAL|LINEARIZABLE]", help_lines)
        # The setting is per connection: a new connection starts at the server's default.
        self.assertEqual(self.a.client().execute_command("PETACORE", "READCONSISTENCY"), b"local")
        info = ca.execute_command("COMMAND", "INFO", "petacore")["petacore"]
        self.assertEqual(info["arity"], -2)
        self.assertNotIn("readonly", info["flags"])
        self.assertNotIn("write", info["flags"])

    def test_write_on_a_then_linearizable_get_on_b_always_sees_it(self):
        ca, cb = self.a.client(), self.b.client()  # B's connections default to linearizable
        before = info_field(cb, "read_barrier_fetches")
        for i in range(300):
            ca.set("lin", i)
            self.assertEqual(cb.get("lin"), str(i).encode(), f"round {i}")
            # Other read commands are fenced too.
            self.assertEqual(cb.strlen("lin"), len(str(i)))
            self.assertEqual(cb.exists("lin"), 1)
        self.assertGreaterEqual(info_field(cb, "read_barrier_fetches") - before, 900)

    def test_per_connection_switch_on_a_local_default_node(self):
        cb_local = self.b.client()
        cb_local.execute_command("PETACORE", "READCONSISTENCY", "LOCAL")
        ca = self.a.client()
        ca.execute_command("PETACORE", "READCONSISTENCY", "LINEARIZABLE")
        cb_writer = self.b.client()
        for i in range(200):
            cb_writer.set("sw", i)
            self.assertEqual(ca.get("sw"), str(i).encode(), f"round {i}")
        # Local reads on B's own writes: read-your-writes holds on the writing node.
        for i in range(50):
            cb_local.set("own", i)
            self.assertEqual(cb_local.get("own"), str(i).encode())

    def test_read_only_exec_and_no_write_commands_are_fenced(self):
        ca, cb = self.a.client(), self.b.client()
        for i in range(100):
            ca.set("tx", i)
            p = cb.pipeline(transaction=True)
            p.get("tx")
            p.strlen("tx")
            self.assertEqual(p.execute(), [str(i).encode(), len(str(i))], f"round {i}")
            # SET NX on an existing key writes nothing: its answer must still be current.
            ca.delete("nx")
            self.assertTrue(cb.set("nx", "b", nx=True), f"round {i}")
            ca.set("nx2", "a")
            self.assertIsNone(cb.set("nx2", "b", nx=True), f"round {i}")
            ca.delete("nx2")
            # DEL of a key B may not have applied yet: it must find it.
            ca.set("d", i)
            self.assertEqual(cb.delete("d"), 1, f"round {i}")

    def test_etcd_writes_outside_the_prefix_delay_but_do_not_fail_reads(self):
        # Revisions made outside --etcd-prefix reach the node only through the watch's
        # progress notifications (every 200 ms with scripts/start-etcd.sh): a linearizable
        # read waits for one instead of failing.
        ca, cb = self.a.client(), self.b.client()
        ca.set("foreign", "v")
        for i in range(5):
            self.etcd.ctl("put", "/elsewhere/key", str(i))
            self.assertEqual(cb.get("foreign"), b"v")
        ca.set("foreign", "w")
        self.etcd.ctl("put", "/elsewhere/key", "x")
        self.assertEqual(cb.get("foreign"), b"w")

    def test_concurrent_linearizable_readers_share_fetches(self):
        # Node C reaches etcd through a proxy that the test freezes (requests go up, answers
        # are held): the first max_in_flight readers each start a fetch, the other readers
        # register while all of those are in flight, so they must all share ONE next fetch:
        # max_in_flight + 1 fetches for 40 readers. Without batching it would take 40.
        node, proxy = proxied_node(self.etcd, ["--read-consistency", "linearizable",
                                                  "--read-barrier-max-inflight", "4"])
        try:
            self.a.client().set("shared", "v")
            cc = node.client(socket_timeout=90)
            self.assertEqual(cc.get("shared"), b"v")
            bound = info_field(cc, "read_barrier_max_in_flight")
            self.assertEqual(bound, 4)  # --read-barrier-max-inflight
            before_fetch = info_field(cc, "read_barrier_fetches")
            before_read = info_field(cc, "read_barrier_readers")
            got, errors = [], []
            readers = 40

            def reader():
                try:
                    got.append(node.client(socket_timeout=90).get("shared"))
                except Exception as e:  # surfaced below
                    errors.append(e)

            proxy.freeze()
            threads = [threading.Thread(target=reader) for _ in range(readers)]
            try:
                for t in threads:
                    t.start()
                wait_for(lambda: info_field(cc, "read_barrier_waiting") == readers, timeout=60,
                         what=f"{readers} linearizable readers waiting")
                self.assertEqual(info_field(cc, "read_barrier_in_flight"), bound)
            finally:
                proxy.thaw()
            for t in threads:
                t.join(timeout=90)
            self.assertEqual(errors, [])
            self.assertEqual(got, [b"v"] * readers)
            self.assertEqual(info_field(cc, "read_barrier_readers") - before_read, readers)
            self.assertEqual(info_field(cc, "read_barrier_fetches") - before_fetch, bound + 1)
        finally:
            node.close()
            proxy.close()

    def test_pipelined_reads_after_a_write_on_another_node_see_it(self):
        # A pipeline of reads on B right after A acknowledged a write: every read of the batch
        # sees it (one fence for the batch, taken after the whole batch arrived), and the
        # batch's reads share that fence: the counters show far fewer etcd fetches than reads.
        ca, cb = self.a.client(), self.b.client()  # B's connections default to linearizable
        rounds, per_batch = 200, 20
        before = {k: info_field(cb, "read_barrier_" + k)
                  for k in ("fetches", "readers", "shared_reads")}
        stale = []
        for i in range(rounds):
            ca.set("pl", i)
            ca.hset("plh", "f", i)
            p = cb.pipeline(transaction=False)
            for _ in range(per_batch // 2):
                p.get("pl")
                p.hget("plh", "f")
            want = str(i).encode()
            stale += [(i, got) for got in p.execute() if got != want]
        self.assertEqual(stale, [])
        after = {k: info_field(cb, "read_barrier_" + k) for k in before}
        delta = {k: after[k] - before[k] for k in before}
        reads = rounds * per_batch
        # Every read either awaited a fence or shared its batch's; batches of 20 reads that
        # arrive in one or a few socket reads need at most a few fences each.
        self.assertEqual(delta["readers"] + delta["shared_reads"], reads)
        self.assertLessEqual(delta["fetches"] * 5, reads, delta)
        self.assertLessEqual(delta["readers"] * 5, reads, delta)

    def test_batch_fence_does_not_outlive_its_batch(self):
        # Separate round trips on one connection are separate batches: each read after a
        # write on A takes a fence of its own (a fence of an earlier batch proves nothing
        # about writes acknowledged since).
        ca, cb = self.a.client(), self.b.client()
        before = info_field(cb, "read_barrier_readers")
        for i in range(100):
            ca.set("ob", i)
            self.assertEqual(cb.get("ob"), str(i).encode(), f"round {i}")
        self.assertEqual(info_field(cb, "read_barrier_readers") - before, 100)

    def test_etcd_down_linearizable_read_fails_local_read_serves(self):
        # Last by name order: it restarts etcd.
        ca, cb = self.a.client(), self.b.client()
        ca.set("down", "v")
        wait_for(lambda: cb.get("down") == b"v", what="B has the key")
        cl = self.b.client()
        cl.execute_command("PETACORE", "READCONSISTENCY", "LOCAL")
        self.etcd.kill()
        try:
            with self.assertRaisesRegex(redis.ResponseError, "^etcd: "):
                cb.get("down")
            self.assertEqual(cl.get("down"), b"v")  # local reads keep working
        finally:
            self.etcd.start()
        wait_for(lambda: cb.get("down") == b"v", what="linearizable reads back")


class Standalone(unittest.TestCase):
    def test_both_modes_read_the_one_copy(self):
        node = Node(extra_args=["--read-consistency", "linearizable"])
        try:
            c = node.client()
            self.assertEqual(c.execute_command("PETACORE", "READCONSISTENCY"), b"linearizable")
            c.set("k", "v")
            self.assertEqual(c.get("k"), b"v")
            self.assertTrue(c.execute_command("PETACORE", "READCONSISTENCY", "local"))
            self.assertEqual(c.get("k"), b"v")
        finally:
            node.close()

    def test_bad_flag_value_is_refused(self):
        import subprocess
        from harness import SERVER
        out = subprocess.run([SERVER, "--read-consistency", "strong"], capture_output=True,
                             text=True, timeout=30)
        self.assertEqual(out.returncode, 1)
        self.assertIn("--read-consistency 'strong': argument(s) must be one of the following: "
                      "local, linearizable", out.stderr)


if __name__ == "__main__":
    unittest.main()
