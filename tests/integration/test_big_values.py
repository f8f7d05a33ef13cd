"""Strings larger than one etcd request (issue 18, keyspace/chunked_value.h), on an etcd
with its DEFAULT limits (--max-request-bytes 1.5 MiB, --max-txn-ops 128).

A value above the chunk size is staged in chunk keys and switched in by one Txn: a 100 MB
SET on node A reads back byte-exact on node B; GETRANGE / STRLEN / APPEND / EXPIRE / RENAME /
COPY / DEL work on it; the chunk cleaner removes chunks no key references; a kill -9 of the
writing node mid-SET leaves nothing visible and, once the cleaner ran, no chunk keys; a
stored-format marker naming an unknown format makes a node refuse to start.
"""
import contextlib
import hashlib
import json
import os
import socket
import subprocess
import threading
import time
import unittest

import harness

# etcd's own defaults, restoring what scripts/start-etcd.sh raises (the last flag wins).
DEFAULT_LIMITS = "--max-txn-ops=128 --max-request-bytes=1572864"
NODE_ARGS = ["--chunk-cleaner-interval-ms", "200", "--chunk-orphan-grace-ms", "1000",
             "--expiry-lease-ttl", "2"]
PREFIX = "/petacore/"
CHUNK_PREFIX = b"\xffchunk/"
MB = 1024 * 1024


class DefaultLimitsEtcd(harness.Etcd):
    def start(self):
        old = os.environ.get("ETCD_EXTRA_ARGS")
        os.environ["ETCD_EXTRA_ARGS"] = DEFAULT_LIMITS
        try:
            super().start()
        finally:
            if old is None:
                del os.environ["ETCD_EXTRA_ARGS"]
            else:
                os.environ["ETCD_EXTRA_ARGS"] = old


class DefaultLimitsNode(harness.Node):
    """A node told etcd's default limits (harness.Node passes the raised ones)."""

    def start(self):
        args = [harness.SERVER, "--port", str(self.port), "--threads", "2", *self.extra_args,
                "--etcd-endpoints", self.etcd.endpoint, "--etcd-max-txn-ops", "128",
                "--etcd-max-request-bytes", "1572864"]
        if self.prefix:
            args += ["--etcd-prefix", self.prefix]
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        harness.wait_for(lambda: self.client().ping(), what=f"petacore on {self.port}")


@contextlib.contextmanager
def default_limits_pair_and_redis():
    """For bench scripts: an etcd with its default limits, two nodes A and B on it (NODE_ARGS)
    and a real Redis; yields (etcd, a, b, redis_server) and stops them all."""
    etcd = DefaultLimitsEtcd()
    redis_server = harness.RealRedis()
    a = DefaultLimitsNode(etcd, extra_args=NODE_ARGS)
    b = DefaultLimitsNode(etcd, extra_args=NODE_ARGS)
    try:
        yield etcd, a, b, redis_server
    finally:
        for node in (a, b):
            node.close()
        etcd.close()
        redis_server.close()


def etcd_count(etcd, key, prefix=True):
    env = dict(os.environ, ETCDCTL_API="3")
    args = ["etcdctl", "--endpoints", etcd.endpoint, "get", key, "--keys-only", "-w", "json"]
    if prefix:
        args.append("--prefix")
    out = subprocess.run(args, env=env, check=True, capture_output=True, timeout=30).stdout
    return json.loads(out).get("count", 0)


def chunk_keys(etcd):
    return etcd_count(etcd, PREFIX.encode() + CHUNK_PREFIX)


def sha(b):
    return hashlib.sha256(b).hexdigest()


class TwoNodesOnDefaultLimits(unittest.TestCase):
    """Base of the suites on one etcd with its default limits and two nodes A and B (clients
    ca, cb), started with `node_args`."""
    node_args = NODE_ARGS

    @classmethod
    def setUpClass(cls):
        cls.etcd = DefaultLimitsEtcd()
        cls.a = DefaultLimitsNode(cls.etcd, extra_args=cls.node_args)
        cls.b = DefaultLimitsNode(cls.etcd, extra_args=cls.node_args)
        cls.ca = cls.a.client(socket_timeout=120)
        cls.cb = cls.b.client(socket_timeout=120)

    @classmethod
    def tearDownClass(cls):
        for n in (cls.a, cls.b):
            n.close()
        cls.etcd.close()


class TwoNodesAndRedis(TwoNodesOnDefaultLimits):
    """TwoNodesOnDefaultLimits with a real Redis beside (self.r), both emptied before each
    test; both(fn) runs fn on node A and on Redis and asserts equal replies."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.redis = harness.RealRedis()
        cls.r = cls.redis.client(socket_timeout=120)

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.redis.close()

    def setUp(self):
        self.ca.flushall()
        self.r.flushall()

    def both(self, fn):
        mine, theirs = fn(self.ca), fn(self.r)
        self.assertEqual(mine, theirs)
        return mine


class BigValues(TwoNodesOnDefaultLimits):

    def wait_no_chunks(self):
        harness.wait_for(lambda: chunk_keys(self.etcd) == 0, timeout=30,
                         what="the cleaner to remove every chunk key")

    def test_etcd_runs_with_default_limits(self):
        # The premise: a single 1.6 MB put is refused by this etcd.
        env = dict(os.environ, ETCDCTL_API="3")
        p = subprocess.run(["etcdctl", "--endpoints", self.etcd.endpoint, "put", "/probe"],
                           input=b"x" * (1600 * 1024), env=env, capture_output=True, timeout=30)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(b"too large", p.stderr + p.stdout)

    def test_100mb_across_nodes(self):
        value = os.urandom(100 * MB)
        self.assertTrue(self.ca.set("big100", value))
        harness.wait_for(lambda: self.cb.strlen("big100") == len(value), timeout=60,
                         what="B to see the 100 MB value")
        self.assertEqual(sha(self.cb.get("big100")), sha(value))
        self.assertEqual(self.cb.getrange("big100", 0, 9), value[:10])
        mid = 50 * MB + 12345
        self.assertEqual(self.cb.getrange("big100", mid, mid + 999), value[mid:mid + 1000])
        self.assertEqual(self.cb.getrange("big100", -5, -1), value[-5:])
        # APPEND on B, seen on A.
        self.assertEqual(self.cb.append("big100", b"tail!"), len(value) + 5)
        harness.wait_for(lambda: self.ca.strlen("big100") == len(value) + 5, timeout=60,
                         what="A to see the APPEND")
        self.assertEqual(self.ca.getrange("big100", -10, -1), value[-5:] + b"tail!")
        # Overwrite with a small value: B reads it, and the old chunks go.
        self.assertTrue(self.ca.set("big100", b"small"))
        harness.wait_for(lambda: self.cb.get("big100") == b"small", timeout=30,
                         what="B to see the overwrite")
        self.assertEqual(self.cb.type("big100"), b"string")
        self.wait_no_chunks()
        self.assertEqual(self.cb.get("big100"), b"small")

    def test_del_and_key_commands(self):
        value = os.urandom(3 * MB + 7)
        self.assertTrue(self.ca.set("k3", value))
        self.assertTrue(self.ca.expire("k3", 1000))
        harness.wait_for(lambda: self.cb.ttl("k3") > 0, timeout=30, what="B to see the TTL")
        self.assertEqual(self.cb.get("k3"), value)
        self.assertTrue(self.cb.rename("k3", "k3r"))
        self.assertEqual(self.cb.get("k3r"), value)
        self.assertGreater(self.cb.ttl("k3r"), 0)
        self.assertTrue(self.cb.copy("k3r", "k3c"))
        self.assertEqual(self.cb.delete("k3r"), 1)
        self.assertTrue(self.cb.persist("k3c"))
        harness.wait_for(lambda: self.ca.get("k3c") == value, timeout=30, what="A to see COPY")
        self.assertIsNone(self.ca.get("k3r"))
        self.assertEqual(self.ca.ttl("k3c"), -1)
        # The copy still references the chunks: the cleaner must leave them, even after
        # several of its rounds (interval 200 ms, grace 1 s).
        time.sleep(2.5)
        self.assertGreater(chunk_keys(self.etcd), 0)
        self.assertEqual(self.cb.get("k3c"), value)
        self.assertEqual(self.ca.delete("k3c"), 1)
        # Deleted on A, read on B: B's local replica shows it once B applied it.
        harness.wait_for(lambda: self.cb.get("k3c") is None, timeout=30, what="B to see DEL")
        self.wait_no_chunks()

    def test_setrange_getset_mset(self):
        value = os.urandom(2 * MB)
        self.assertEqual(self.ca.setrange("sr", 1 * MB, value), 3 * MB)
        expected = b"\0" * MB + value
        self.assertEqual(sha(self.ca.get("sr")), sha(expected))
        self.assertEqual(self.ca.getset("sr", b"x" * (700 * 1024)), expected)
        # MSET of three 600 KB values: each below the chunk size, together above one request.
        vals = {f"m{i}": os.urandom(600 * 1024) for i in range(3)}
        self.assertTrue(self.ca.mset(vals))
        harness.wait_for(lambda: self.cb.exists(*vals) == 3, timeout=30, what="B to see MSET")
        for k, v in vals.items():
            self.assertEqual(self.cb.get(k), v)
        self.ca.delete("sr", *vals)

    def test_lua_exec_dump_restore_move(self):
        value = os.urandom(2 * MB + 3)
        script = "redis.call('SET', KEYS[1], ARGV[1]) return redis.call('STRLEN', KEYS[1])"
        self.assertEqual(self.ca.eval(script, 1, "lua", value), len(value))
        pipe = self.ca.pipeline(transaction=True)
        pipe.set("tx", value)
        pipe.append("tx", b"!")
        pipe.strlen("tx")
        self.assertEqual(pipe.execute()[2], len(value) + 1)
        harness.wait_for(lambda: self.cb.exists("lua", "tx") == 2, timeout=30,
                         what="B to see the script's and EXEC's values")
        self.assertEqual(self.cb.get("lua"), value)
        self.assertEqual(self.cb.get("tx"), value + b"!")
        dump = self.cb.dump("lua")
        self.assertTrue(self.cb.restore("restored", 0, dump))
        # Written on B, read on A: local reads see it once A applied it.
        harness.wait_for(lambda: self.ca.exists("restored") == 1, timeout=30,
                         what="A to see the RESTORE")
        self.assertEqual(self.ca.get("restored"), value)
        self.assertEqual(self.ca.object("encoding", "restored"), b"raw")
        self.assertTrue(self.ca.move("restored", 3))
        db3 = self.b.client(db=3)
        harness.wait_for(lambda: db3.exists("restored") == 1, timeout=30, what="B to see MOVE")
        self.assertEqual(db3.get("restored"), value)
        self.assertEqual(db3.delete("restored"), 1)
        self.ca.delete("lua", "tx")
        self.wait_no_chunks()

    def test_flushall_frees_the_chunks(self):
        self.assertTrue(self.ca.set("f1", os.urandom(MB)))
        self.assertTrue(self.a.client(db=5).set("f2", os.urandom(2 * MB)))
        self.assertGreater(chunk_keys(self.etcd), 0)
        self.assertTrue(self.cb.flushall())
        # Flushed on B, read on A: A shows it once applied.
        harness.wait_for(lambda: self.ca.get("f1") is None, timeout=30, what="A to see FLUSHALL")
        self.assertIsNone(self.a.client(db=5).get("f2"))
        self.wait_no_chunks()


class FreshTwoNodes(unittest.TestCase):
    """Per test: an etcd with its default limits and two nodes A and B (NODE_ARGS), for tests
    that kill a node."""

    def setUp(self):
        self.etcd = DefaultLimitsEtcd()
        self.a = DefaultLimitsNode(self.etcd, extra_args=NODE_ARGS)
        self.b = DefaultLimitsNode(self.etcd, extra_args=NODE_ARGS)

    def tearDown(self):
        self.a.close()
        self.b.close()
        self.etcd.close()


class InterruptedWrite(FreshTwoNodes):

    def test_kill_9_mid_set(self):
        value = os.urandom(100 * MB)
        cmd = b"*3\r\n$3\r\nSET\r\n$4\r\nhalf\r\n$%d\r\n" % len(value)
        sock = socket.create_connection(("127.0.0.1", self.a.port))

        def send():
            try:
                sock.sendall(cmd)
                sock.sendall(value)
                sock.sendall(b"\r\n")
            except OSError:
                pass  # the node died under us
        t = threading.Thread(target=send, daemon=True)
        t.start()
        info = self.a.client()

        def staging():
            return int(info.info("petacore").get("chunks_staged", 0)) >= 20
        harness.wait_for(staging, timeout=60, interval=0.01, what="A to stage some chunks")
        self.a.kill()
        sock.close()
        t.join(timeout=30)
        self.assertGreater(chunk_keys(self.etcd), 0, "the kill came after staging ended")
        self.assertIsNone(self.b.client().get("half"))
        self.assertEqual(self.b.client().exists("half"), 0)
        # B becomes the expiry leader once A's lease lapses, and its cleaner removes them.
        harness.wait_for(lambda: chunk_keys(self.etcd) == 0, timeout=60,
                         what="the cleaner on B to remove the orphan chunks")
        self.assertIsNone(self.b.client().get("half"))


class StoredFormat(unittest.TestCase):
    def setUp(self):
        self.etcd = DefaultLimitsEtcd()

    def tearDown(self):
        self.etcd.close()

    def test_marker_written_then_checked(self):
        # A new data set gets format 4; formats 2 (no range tombstones) and 3 (no
        # incarnations) are upgraded in place: their data reads the same.
        for older in (None, "2", "3"):
            if older:
                self.etcd.ctl("put", PREFIX.encode() + b"\xffformat", older)
            n = DefaultLimitsNode(self.etcd, extra_args=NODE_ARGS)
            try:
                self.assertEqual(self.etcd.ctl("get", "--print-value-only",
                                               PREFIX.encode() + b"\xffformat").strip(), b"4")
            finally:
                n.close()
        # A node started on data of another format refuses, saying why.
        self.etcd.ctl("put", PREFIX.encode() + b"\xffformat", "99")
        p = subprocess.run([harness.SERVER, "--port", str(harness.free_port()),
                            "--etcd-endpoints", self.etcd.endpoint], capture_output=True,
                           timeout=60)
        self.assertNotEqual(p.returncode, 0)
        out = (p.stdout + p.stderr).decode(errors="replace")
        self.assertIn("stored format '99'", out)
        self.assertIn("Refusing to start", out)


if __name__ == "__main__":
    unittest.main()
