"""Pub/sub through real Python clients, across two nodes: redis-py's PubSub (Debian
python3-redis 4.3.4) and Celery (python3-celery 5.2 / kombu 5.2) with its Redis broker on one
node and its Redis result backend on the other.

Each scenario runs twice: against one real redis-server 7.0 standing for both nodes (this
proves the scenario itself) and against two PetaCore nodes on one etcd (node A and node B).

- redis-py: subscribe / psubscribe on B, get_message loop, handlers run by
  PubSub.run_in_thread, publish on A, unsubscribe / punsubscribe, PUBSUB NUMSUB / NUMPAT /
  CHANNELS through redis-py's own methods.
- Celery: a worker (started by the test: loopback, solo pool, bounded, stopped at the end)
  consumes from the broker on A (BRPOP, kombu's fanout = PUBLISH/PSUBSCRIBE for the
  remote-control ping; kombu's ack emulation on, whose lock is released by EVALSHA) and
  stores results on B (SETEX + PUBLISH; the caller's
  AsyncResult.get() waits on a SUBSCRIBE to the task's channel on B). Skipped, with the
  reason, when the celery module is missing (scripts/install-deps.sh installs it).

No timing assertions: every wait is bounded (a hung test fails, a slow one passes).
"""
import gc
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

import redis

import harness
from harness import Etcd, Node, RealRedis, wait_for

try:
    import celery  # noqa: F401
    CELERY = True
except ImportError:
    CELERY = False


class TwoNodes:
    """Mixin: self.a and self.b expose .port and .client(); subclasses start them."""

    def client_a(self):
        return self.a.client(socket_timeout=30)

    def client_b(self):
        return self.b.client(socket_timeout=30)


class OnPetaCore(harness.TwoNodes, TwoNodes):
    """The tests of TwoNodes on two PetaCore nodes (harness.TwoNodes' etcd and nodes)."""


class OnRedis(TwoNodes):
    @classmethod
    def setUpClass(cls):
        cls.redis = RealRedis()
        cls.a = cls.b = cls.redis

    @classmethod
    def tearDownClass(cls):
        cls.redis.close()


def next_message(pubsub, timeout=20.0):
    """redis-py's get_message polled until a message (not a subscribe confirmation ...) comes,
    or None after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
        if m is not None:
            return m
    return None


class RedisPyPubSub:
    """The redis-py scenario; mixed with OnRedis or OnPetaCore and unittest.TestCase."""

    def wait_numsub(self, client, channel, n):
        wait_for(lambda: dict(client.pubsub_numsub(channel)).get(channel.encode()) == n,
                 timeout=30, what=f"NUMSUB {channel} = {n}")

    def test_subscribe_psubscribe_get_message_unsubscribe(self):
        pub = self.client_a()
        p = self.client_b().pubsub()
        self.addCleanup(p.close)
        p.subscribe("py:news", "py:alerts")
        p.psubscribe("py:n*")
        confirmations = [p.get_message(timeout=10) for _ in range(3)]
        self.assertEqual([(m["type"], m["channel"], m["data"]) for m in confirmations],
                         [("subscribe", b"py:news", 1), ("subscribe", b"py:alerts", 2),
                          ("psubscribe", b"py:n*", 3)])
        # Asked on A: a replica read, polled until A has applied B's subscriptions.
        self.wait_numsub(pub, "py:news", 1)
        wait_for(lambda: pub.pubsub_numpat() == 1, timeout=30, what="NUMPAT 1 on A")
        self.assertEqual(sorted(pub.pubsub_channels("py:*")), [b"py:alerts", b"py:news"])

        self.assertEqual(pub.publish("py:news", "n1"), 2)
        self.assertEqual(pub.publish("py:alerts", "a1"), 1)
        self.assertEqual(pub.publish("py:nothing", "x"), 1)   # the pattern only
        self.assertEqual(pub.publish("py:other", "x"), 0)
        got = [next_message(p) for _ in range(4)]
        self.assertEqual([(m["type"], m["pattern"], m["channel"], m["data"]) for m in got
                          if m is not None],
                         [("message", None, b"py:news", b"n1"),
                          ("pmessage", b"py:n*", b"py:news", b"n1"),
                          ("message", None, b"py:alerts", b"a1"),
                          ("pmessage", b"py:n*", b"py:nothing", b"x")])

        p.unsubscribe("py:news")
        p.punsubscribe("py:n*")
        confirmations = [p.get_message(timeout=10) for _ in range(2)]
        self.assertEqual([(m["type"], m["channel"], m["data"]) for m in confirmations],
                         [("unsubscribe", b"py:news", 2), ("punsubscribe", b"py:n*", 1)])
        self.wait_numsub(pub, "py:news", 0)
        self.assertEqual(pub.publish("py:news", "n2"), 0)
        self.assertEqual(pub.publish("py:alerts", "a2"), 1)
        m = next_message(p)
        self.assertEqual((m["type"], m["channel"], m["data"]), ("message", b"py:alerts", b"a2"))
        p.unsubscribe()
        self.assertEqual(p.get_message(timeout=10)["type"], "unsubscribe")
        self.assertFalse(p.subscribed)
        self.wait_numsub(pub, "py:alerts", 0)

    def test_handlers_run_in_thread(self):
        pub = self.client_a()
        p = self.client_b().pubsub(ignore_subscribe_messages=True)
        got = []
        p.subscribe(**{"py:jobs": lambda m: got.append(("job", m["data"]))})
        p.psubscribe(**{"py:jobs:*": lambda m: got.append(("pjob", m["channel"], m["data"]))})
        worker = p.run_in_thread(sleep_time=0.05, daemon=True)

        def stop():  # the thread closes the PubSub when it ends
            worker.stop()
            worker.join(timeout=30)
        self.addCleanup(stop)
        self.wait_numsub(pub, "py:jobs", 1)
        wait_for(lambda: pub.pubsub_numpat() == 1, timeout=30, what="NUMPAT 1")
        for i in range(100):
            self.assertEqual(pub.publish("py:jobs" if i % 2 == 0 else f"py:jobs:{i}", i), 1)
        wait_for(lambda: len(got) >= 100, timeout=60, what="the 100 handled messages")
        want = [("job", str(i).encode()) if i % 2 == 0
                else ("pjob", f"py:jobs:{i}".encode(), str(i).encode()) for i in range(100)]
        self.assertEqual(got, want)


class RedisPyPubSubOnRedis(RedisPyPubSub, OnRedis, unittest.TestCase):
    pass


class RedisPyPubSubOnPetaCore(RedisPyPubSub, OnPetaCore, unittest.TestCase):
    pass


CELERY_APP = '''
import os
from celery import Celery

app = Celery("petacore_pubsub_test", broker=os.environ["PETACORE_CELERY_BROKER"],
             backend=os.environ["PETACORE_CELERY_BACKEND"])
app.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"],
                broker_connection_retry_on_startup=True, worker_hijack_root_logger=False)
# kombu's ack emulation is on (its default): unacked messages wait in a hash and a sorted set,
# and its unacked_mutex, a redis-py Lock, is released with a Lua script (EVALSHA).


@app.task
def add(x, y):
    return x + y


@app.task
def fail(message):
    raise ValueError(message)
'''


class CeleryBrokerAndBackend:
    """Celery with the broker on node A (db 0) and the result backend on node B (db 1)."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="petacore-celery-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        with open(os.path.join(self.dir, "petacore_celery_app.py"), "w") as f:
            f.write(textwrap.dedent(CELERY_APP))
        os.environ["PETACORE_CELERY_BROKER"] = f"redis://127.0.0.1:{self.a.port}/0"
        os.environ["PETACORE_CELERY_BACKEND"] = f"redis://127.0.0.1:{self.b.port}/1"
        env = dict(os.environ, PYTHONPATH=self.dir, PYTHONDONTWRITEBYTECODE="1")
        self.log_path = os.path.join(self.dir, "worker.log")
        self.log = open(self.log_path, "wb")
        self.worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "petacore_celery_app", "worker",
             "--pool=solo", "--loglevel=info", "--without-mingle", "--without-gossip",
             "--without-heartbeat", "-n", "petacore-test@localhost"],
            cwd=self.dir, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.addCleanup(self.stop_worker)
        sys.path.insert(0, self.dir)
        self.addCleanup(sys.path.remove, self.dir)
        sys.modules.pop("petacore_celery_app", None)
        import petacore_celery_app
        self.app = petacore_celery_app
        self.addCleanup(self.app.app.close)
        # AsyncResults unsubscribe from the backend when collected: while it is still up.
        self.addCleanup(gc.collect)

    def stop_worker(self):
        if self.worker.poll() is None:
            self.worker.terminate()  # warm shutdown
            try:
                self.worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.worker.kill()
                self.worker.wait(timeout=30)
        self.log.close()

    def worker_log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")[-4000:]

    def test_tasks_through_broker_on_a_and_backend_on_b(self):
        app = self.app.app
        # The remote-control ping: a fanout (PUBLISH on A, the worker's PSUBSCRIBE on A) and
        # the reply through a queue. Polled until the worker is up (bounded).
        replies = []

        def pinged():
            self.assertIsNone(self.worker.poll(), self.worker_log())
            replies[:] = app.control.ping(timeout=1.0)
            return bool(replies)
        try:
            wait_for(pinged, timeout=90, interval=0.5, what="the worker to answer a ping")
        except TimeoutError:
            self.fail(f"no answer to the remote-control ping; worker log:\n{self.worker_log()}")
        self.assertEqual(replies, [{"petacore-test@localhost": {"ok": "pong"}}])

        results = [self.app.add.delay(i, 10 * i) for i in range(10)]
        try:
            self.assertEqual([r.get(timeout=60) for r in results], [11 * i for i in range(10)])
        except Exception:
            print(self.worker_log(), file=sys.stderr)
            raise
        with self.assertRaises(ValueError) as caught:
            self.app.fail.delay("boom").get(timeout=60)
        self.assertEqual(str(caught.exception), "boom")
        from celery import chain, group
        self.assertEqual(chain(self.app.add.s(1, 2), self.app.add.s(10)).apply_async()
                         .get(timeout=60), 13)
        # A group: Celery's result consumer sends SUBSCRIBE celery-task-meta-<id> for each
        # task on B without waiting for its confirmation, then sends the task; the worker's
        # PUBLISH of the result must reach it (redis-server: it always does).
        self.assertEqual(group(self.app.add.s(i, i) for i in range(20)).apply_async()
                         .get(timeout=60), [2 * i for i in range(20)])
        # The results live on B (db 1), the queue on A (db 0).
        backend = redis.Redis(host="127.0.0.1", port=self.b.port, db=1)
        self.assertEqual(backend.exists(f"celery-task-meta-{results[0].id}"), 1)
        broker = redis.Redis(host="127.0.0.1", port=self.a.port, db=0)
        self.assertEqual(broker.llen("celery"), 0)


@unittest.skipUnless(CELERY, "python3-celery is not installed (scripts/install-deps.sh)")
class CeleryOnRedis(CeleryBrokerAndBackend, OnRedis, unittest.TestCase):
    pass


@unittest.skipUnless(CELERY, "python3-celery is not installed (scripts/install-deps.sh)")
class CeleryOnPetaCore(CeleryBrokerAndBackend, OnPetaCore, unittest.TestCase):
    pass


if __name__ == "__main__":
    unittest.main()
