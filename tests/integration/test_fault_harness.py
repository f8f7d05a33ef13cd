"""The fault tests' own workers report what they cannot explain (issue 20), so a green fault
test means no anomaly, not a worker that died quietly: faultload.Client (test_faults,
test_faults_lifetimes, test_frozen_member) and history.Worker (test_linearizability). Each
check is made to fail on purpose, against a real standalone node: an exception of no
expected kind raised inside the worker, an acknowledged write that vanished. test_bank has
its own (BankWorkerSelfTest)."""
import time
import unittest

import faultload
import harness
import history
from harness import wait_for


class FaultloadSelfTest(unittest.TestCase):
    def setUp(self):
        self.node = harness.Node()
        self.r = self.node.client()

    def tearDown(self):
        self.node.close()

    def run_client(self, client, until):
        client.start()
        try:
            wait_for(until, timeout=30, what="the client got there")
        finally:
            client.stop()

    def test_injected_exception_is_an_anomaly(self):
        class Broken(faultload.Client):
            def _conn(self):
                r = super()._conn()

                def broken_set(*args, **kwargs):
                    raise RuntimeError("injected")
                r.set = broken_set
                return r

        c = Broken(self.node, "broken")
        self.run_client(c, lambda: c.unexpected)
        anomalies = c.check(self.r)
        self.assertIn("broken: SET: RuntimeError: injected", anomalies)
        self.assertGreater(c.incr_acked, 0)  # the rest of the loop went on

    def test_every_acked_write_is_checked(self):
        c = faultload.Client(self.node, "ok")
        self.run_client(c, lambda: len(c.set_acked) >= 20)
        self.assertEqual(c.check(self.r), [])
        # An acknowledged SET that vanished, one that changed, and a counter off by more than
        # the in-doubt INCRs: each is reported.
        keys = list(c.set_acked)
        first, middle = keys[0], keys[len(keys) // 2]
        self.r.delete(first)
        self.r.set(middle, "other")
        self.r.incrby(c.counter_key, c.incr_doubt + 1)
        anomalies = c.check(self.r)
        self.assertIn(f"{first}=None, acked {c.set_acked[first]}", anomalies)
        self.assertTrue(any(a.startswith(f"{middle}=") for a in anomalies), anomalies)
        self.assertTrue(any(a.startswith(f"{c.counter_key}=") for a in anomalies), anomalies)


class HistoryWorkerSelfTest(unittest.TestCase):
    def setUp(self):
        self.node = harness.Node()

    def tearDown(self):
        self.node.close()

    def test_injected_exception_fails_the_run(self):
        original = history.Worker.connect

        def broken_connect(worker):
            original(worker)

            def broken_get(*args, **kwargs):
                raise RuntimeError("injected")
            worker.conn.get = broken_get

        history.Worker.connect = broken_connect
        try:
            with self.assertRaises(AssertionError) as cm:
                history.run_workers([self.node], 2, ["k1", "k2"], "local",
                                    lambda: time.sleep(1))
        finally:
            history.Worker.connect = original
        self.assertIn("GET: RuntimeError: injected", str(cm.exception))

    def test_a_clean_run_passes(self):
        ops, stats = history.run_workers([self.node], 2, ["k1", "k2"], "local",
                                         lambda: time.sleep(1))
        self.assertGreater(stats["writes"], 0)
        self.assertGreater(stats["reads"], 0)
        self.assertEqual(stats["writes_in_doubt"], 0)


if __name__ == "__main__":
    unittest.main()
