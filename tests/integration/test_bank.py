"""Bank test: 10 accounts, concurrent transfers with WATCH/MULTI/EXEC from 3 nodes while
faults 1-4 are injected (kill -9 an etcd follower, the leader, 2 of 3 members, a node).

Every audit (MGET of all balances inside MULTI/EXEC) must sum to the constant total, no
balance may go negative (transfers check the balance under WATCH), and at the end all nodes
converge to the same digest with the same total. PETACORE_LONG=1 lengthens every phase.
"""
import json
import os
import random
import signal
import threading
import time
import unittest

import redis

import cluster
import harness
from faultload import LONG, phase
from harness import wait_for

ACCOUNTS = [f"acct:{i}" for i in range(10)]
INITIAL = 100
TOTAL = INITIAL * len(ACCOUNTS)


class Worker(threading.Thread):
    def __init__(self, node, seed, audit):
        super().__init__(daemon=True)
        self.node, self.audit = node, audit
        self.rng = random.Random(seed)
        self.stop_flag = threading.Event()
        self.transfers = self.aborted = self.in_doubt = self.audits = 0
        self.anomalies = []
        self.unexpected = []  # exceptions no fault explains: each one fails the test

    def run(self):
        r = None
        while not self.stop_flag.is_set():
            try:
                if r is None:
                    r = self.node.client(socket_timeout=15, socket_connect_timeout=5)
                self.do_audit(r) if self.audit else self.do_transfer(r)
            except redis.WatchError:
                self.aborted += 1
            except (redis.ConnectionError, redis.TimeoutError):
                self.in_doubt += 1
                r = None
                time.sleep(0.05)
            except redis.ResponseError:
                self.in_doubt += 1  # etcd error: the EXEC happened entirely or not at all
                time.sleep(0.02)
            except Exception as e:  # noqa: BLE001 - anything else is a finding, not noise
                self.unexpected.append(f"{type(e).__name__}: {e}")
                r = None
                time.sleep(0.05)

    def do_audit(self, r):
        p = r.pipeline(transaction=True)
        p.mget(ACCOUNTS)
        raw = p.execute()[0]
        self.audits += 1
        if None in raw:  # a vanished balance
            self.anomalies.append(("missing balance", raw))
            return
        balances = [int(b) for b in raw]
        if sum(balances) != TOTAL or min(balances) < 0:
            self.anomalies.append(balances)

    def do_transfer(self, r):
        a, b = self.rng.sample(ACCOUNTS, 2)
        amount = self.rng.randint(1, 30)
        with r.pipeline(transaction=True) as p:
            p.watch(a, b)
            raw = p.get(a)
            if raw is None:  # a vanished balance
                self.anomalies.append(("missing balance", a))
                p.unwatch()
                return
            balance = int(raw)
            if balance < amount:
                p.unwatch()
                return
            p.multi()
            p.decrby(a, amount)
            p.incrby(b, amount)
            p.execute()
        self.transfers += 1


class BankTest(unittest.TestCase):
    def test_bank_under_faults(self):
        etcd = cluster.EtcdCluster()
        self.addCleanup(etcd.close)
        nodes = cluster.start_nodes(etcd, 3, ["--etcd-timeout-ms", "2000"])
        for n in nodes:
            self.addCleanup(n.close)
        nodes[0].client().mset({a: INITIAL for a in ACCOUNTS})
        cluster.wait_converged(nodes, etcd)
        workers = []
        for i, n in enumerate(nodes):
            workers += [Worker(n, 10 * i + j, audit=(j == 2)) for j in range(3)]
        for w in workers:
            w.start()

        def progress(n=30):
            """Transfers and audits both go on (after every fault, audits must run again)."""
            start = sum(w.transfers for w in workers)
            audits = sum(w.audits for w in workers)
            wait_for(lambda: sum(w.transfers for w in workers) >= start + n, timeout=60,
                     what="transfers progressing")
            wait_for(lambda: sum(w.audits for w in workers) >= audits + 3, timeout=60,
                     what="audits progressing")

        faults = 0
        # CI: one round of the four faults; long run: rounds for 25 s x PETACORE_LONG_FACTOR.
        deadline = time.monotonic() + (phase(25) if LONG else 0)
        while True:
            progress()
            # 1. kill -9 a follower, 2. kill -9 the leader.
            for victim in (etcd.followers()[0], etcd.wait_leader()):
                victim.kill()
                faults += 1
                progress()
                victim.start(wait=True)
                wait_for(etcd.healthy, timeout=30, what="cluster healthy")
            # 3. quorum loss, then back.
            down = etcd.members[:2]
            for m in down:
                m.kill()
            faults += 1
            time.sleep(phase(2))
            for m in down:
                m.start(wait=False)
            wait_for(etcd.healthy, timeout=30, what="quorum back")
            progress()
            # 4. kill -9 a node, restart it.
            victim = nodes[faults % 3]
            victim.kill(signal.SIGKILL)  # its workers are mid-transaction
            faults += 1
            progress()
            victim.start()
            progress()
            if time.monotonic() > deadline:
                break
        for w in workers:
            w.stop_flag.set()
        for w in workers:
            w.join(timeout=60)
        cluster.wait_converged(nodes, etcd)
        for n in nodes:
            balances = [int(b) for b in n.client().mget(ACCOUNTS)]
            self.assertEqual(sum(balances), TOTAL, balances)
            self.assertGreaterEqual(min(balances), 0, balances)
        anomalies = [a for w in workers for a in w.anomalies]
        self.assertEqual(anomalies, [])
        self.assertEqual([u for w in workers for u in w.unexpected], [])
        self.assertFalse(any(w.is_alive() for w in workers), "a worker did not stop")
        self.assertGreater(sum(w.audits for w in workers), 0)
        self.assertGreater(sum(w.transfers for w in workers), 0)
        path = os.environ.get("PETACORE_FAULTS_REPORT")
        if path:
            with open(path, "a") as f:
                f.write(json.dumps({
                    "test": self.id(), "ops": sum(w.transfers + w.audits for w in workers),
                    "faults": faults, "transfers": sum(w.transfers for w in workers),
                    "audits": sum(w.audits for w in workers),
                    "in_doubt": sum(w.in_doubt for w in workers),
                    "anomalies": [str(a) for a in anomalies]}) + "\n")
        print(f"bank: faults {faults}, transfers {sum(w.transfers for w in workers)}, "
              f"aborted {sum(w.aborted for w in workers)}, in doubt "
              f"{sum(w.in_doubt for w in workers)}, audits {sum(w.audits for w in workers)}, "
              f"anomalies {len(anomalies)}")



class BankWorkerSelfTest(unittest.TestCase):
    """The bank test's workers report what they cannot explain: a vanished balance is an
    anomaly, an exception of an unexpected kind is recorded (and fails the bank test)."""

    def run_worker(self, worker, until):
        worker.start()
        try:
            wait_for(until, timeout=30, what="the worker noticed")
        finally:
            worker.stop_flag.set()
            worker.join(timeout=30)

    def test_vanished_balance_and_injected_exception(self):
        node = harness.Node()
        try:
            c = node.client()
            c.mset({a: INITIAL for a in ACCOUNTS})
            c.delete("acct:3")
            auditor = Worker(node, 1, audit=True)
            self.run_worker(auditor, lambda: auditor.anomalies)
            self.assertEqual(auditor.anomalies[0][0], "missing balance")
            self.assertEqual(auditor.unexpected, [])

            transfers = Worker(node, 2, audit=False)
            self.run_worker(transfers, lambda: any(a == ("missing balance", "acct:3")
                                                   for a in transfers.anomalies))

            class Broken(Worker):
                def do_transfer(self, r):
                    raise RuntimeError("injected")

            broken = Broken(node, 3, audit=False)
            self.run_worker(broken, lambda: broken.unexpected)
            self.assertEqual(broken.unexpected[0], "RuntimeError: injected")
        finally:
            node.close()


if __name__ == "__main__":
    unittest.main()
