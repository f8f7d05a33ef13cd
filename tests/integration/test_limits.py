"""Redis's client and memory limits on a real petacore-server: maxclients, the query and output
buffer limits, the idle timeout, maxmemory (noeviction) and etcd's NOSPACE alarm.

Replies are checked byte for byte with raw sockets where redis-py would hide them (it
reconnects silently when the server closes a connection). Error texts are compared with a
real redis-server where it can show them.
"""
import os
import resource
import socket
import subprocess
import time
import unittest

import redis

from harness import SERVER, Etcd, Node, RealRedis, free_port, wait_for

OOM = "OOM command not allowed when used memory > 'maxmemory'."
_sockets = []  # closed when the module's tests end


def tearDownModule():
    for s in _sockets:
        s.close()


def raw(port, rcvbuf=None, timeout=10):
    s = socket.socket()
    _sockets.append(s)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(timeout)
    s.connect(("127.0.0.1", port))
    return s


def read_until_closed(s, limit=64 << 20):
    """Reads until EOF (or a reset); returns the bytes received."""
    data = b""
    while len(data) < limit:
        try:
            chunk = s.recv(1 << 20)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return data


def request(s, line):
    s.sendall(line)
    return s.recv(4096)


class MaxClientsTest(unittest.TestCase):
    def test_over_maxclients_is_refused_with_redis_error(self):
        node = Node(extra_args=["--maxclients", "5"])
        self.addCleanup(node.close)
        held = [raw(node.port) for _ in range(5)]
        for s in held:
            self.assertEqual(request(s, b"PING\r\n"), b"+PONG\r\n")
        extra = raw(node.port)
        self.assertEqual(read_until_closed(extra), b"-ERR max number of clients reached\r\n")
        held.pop().close()
        # Once a client has gone, a new one is served again.
        def fresh_ok():
            s = raw(node.port)
            try:
                return request(s, b"PING\r\n") == b"+PONG\r\n"
            finally:
                s.close()
        wait_for(fresh_ok, what="a free client slot")
        for s in held:
            s.close()
        c = node.client()
        self.assertGreaterEqual(c.info("stats")["rejected_connections"], 1)
        self.assertEqual(c.config_get("maxclients"), {"maxclients": "5"})
        self.assertEqual(c.info("clients")["maxclients"], 5)

    def test_maxclients_lowered_to_fit_open_files_limit(self):
        # As Redis: maxclients + 32 descriptors are needed; with 256 open files at most, the
        # server keeps running with maxclients 224 and says so.
        port = free_port()
        log_path = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"petacore-fd-{port}.log")
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                [SERVER, "--port", str(port), "--threads", "1", "--maxclients", "10000"],
                stdout=log, stderr=subprocess.STDOUT,
                preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256)))
        self.addCleanup(lambda: os.path.exists(log_path) and os.unlink(log_path))
        self.addCleanup(lambda: (proc.kill(), proc.wait(timeout=30)))
        c = redis.Redis(port=port, socket_timeout=10)
        wait_for(c.ping, what="petacore with a low open files limit")
        self.assertEqual(c.config_get("maxclients"), {"maxclients": "224"})
        with open(log_path, "rb") as f:
            self.assertIn(b"maxclients lowered to 224", f.read())


class QueryBufferTest(unittest.TestCase):
    def test_client_over_query_buffer_limit_is_closed(self):
        node = Node(extra_args=["--client-query-buffer-limit", "1mb"])
        self.addCleanup(node.close)
        s = raw(node.port)
        # A 2 MB argument can never fit a 1 MB query buffer: the client is closed, no reply.
        s.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2000000\r\n")
        try:
            for _ in range(32):
                s.sendall(b"x" * 65536)
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.assertEqual(read_until_closed(s), b"")
        self.assertIn("Closing client that reached max query buffer length", node.log_text())
        c = node.client()
        self.assertTrue(c.ping())
        self.assertIsNone(c.get("k"))
        self.assertEqual(c.config_get("client-query-buffer-limit"),
                         {"client-query-buffer-limit": str(1 << 20)})

    def test_query_buffer_limit_under_1mb_is_refused(self):
        out = subprocess.run([SERVER, "--client-query-buffer-limit", "100"],
                             capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 1)
        self.assertIn("argument must be between 1048576 and", out.stderr)  # Redis's floor

    def test_proto_max_bulk_len_flag(self):
        node = Node(extra_args=["--proto-max-bulk-len", "1mb"])  # Redis's smallest value
        self.addCleanup(node.close)
        s = raw(node.port)
        s.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048577\r\n")
        self.assertEqual(read_until_closed(s), b"-ERR Protocol error: invalid bulk length\r\n")
        self.assertTrue(node.client().set("k", "x" * 1048576))


class OutputBufferTest(unittest.TestCase):
    VALUE = 100_000
    GETS = 100  # 10 MB of replies, far more than the kernel's socket buffers take

    def slow_reader(self, node):
        s = raw(node.port, rcvbuf=4096)
        s.sendall(b"GET big\r\n" * self.GETS)
        return s

    def test_hard_limit_closes_client_that_does_not_read(self):
        node = Node(extra_args=["--client-output-buffer-limit", "normal 1mb 0 0"])
        self.addCleanup(node.close)
        c = node.client()
        c.set("big", "v" * self.VALUE)
        s = self.slow_reader(node)
        wait_for(lambda: "closed for overcoming of output buffer limits" in node.log_text(),
                 what="the output buffer log line")
        self.assertLess(len(read_until_closed(s)), self.VALUE * self.GETS)
        wait_for(lambda: c.info("clients")["connected_clients"] == 1, what="client gone")
        self.assertEqual(c.config_get("client-output-buffer-limit"),
                         {"client-output-buffer-limit":
                          f"normal {1 << 20} 0 0 pubsub {32 << 20} {8 << 20} 60"})

    def test_soft_limit_closes_client_after_its_seconds(self):
        node = Node(extra_args=["--client-output-buffer-limit", "normal 0 512kb 1"])
        self.addCleanup(node.close)
        c = node.client()
        c.set("big", "v" * self.VALUE)
        s = self.slow_reader(node)
        wait_for(lambda: "closed for overcoming of output buffer limits" in node.log_text(),
                 what="the output buffer log line")
        self.assertLess(len(read_until_closed(s)), self.VALUE * self.GETS)

    def test_reader_within_limits_gets_everything(self):
        node = Node(extra_args=["--client-output-buffer-limit", "normal 32mb 16mb 60"])
        self.addCleanup(node.close)
        c = node.client()
        c.set("big", "v" * self.VALUE)
        p = c.pipeline(transaction=False)
        for _ in range(self.GETS):
            p.get("big")
        self.assertEqual(p.execute(), [b"v" * self.VALUE] * self.GETS)

    def test_malformed_limit_is_refused(self):
        out = subprocess.run([SERVER, "--client-output-buffer-limit", "normal 1mb 1mb"],
                             capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 1)
        self.assertIn("client-output-buffer-limit", out.stderr)


class IdleTimeoutTest(unittest.TestCase):
    def setUp(self):
        self.node = Node(extra_args=["--timeout", "1"])
        self.addCleanup(self.node.close)

    def test_idle_client_is_closed(self):
        s = raw(self.node.port)
        self.assertEqual(request(s, b"PING\r\n"), b"+PONG\r\n")
        self.assertEqual(read_until_closed(s), b"")  # closed by the server, bounded by 10 s
        self.assertEqual(self.node.client().config_get("timeout"), {"timeout": "1"})

    def test_multi_client_is_not_exempt(self):
        s = raw(self.node.port)
        self.assertEqual(request(s, b"MULTI\r\n"), b"+OK\r\n")
        self.assertEqual(read_until_closed(s), b"")

    def test_blocked_client_is_exempt(self):
        s = raw(self.node.port)
        s.sendall(b"BLPOP l 0\r\n")
        time.sleep(3)  # three timeouts long: an idle client would have been closed
        self.node.client().rpush("l", "x")
        self.assertEqual(s.recv(4096), b"*2\r\n$1\r\nl\r\n$1\r\nx\r\n")

    def test_active_client_stays(self):
        s = raw(self.node.port)
        for _ in range(6):
            self.assertEqual(request(s, b"PING\r\n"), b"+PONG\r\n")
            time.sleep(0.4)


class MaxmemoryTest(unittest.TestCase):
    def fill_until_oom(self, c):
        for i in range(10000):
            try:
                c.set(f"k{i}", "x" * 1000)
            except redis.ResponseError as e:
                return i, str(e)
        self.fail("maxmemory never refused a write")

    def test_noeviction_refuses_denyoom_writes_serves_reads(self):
        node = Node(extra_args=["--maxmemory", "200kb"])
        self.addCleanup(node.close)
        c = node.client()
        written, error = self.fill_until_oom(c)
        self.assertEqual(error, OOM)
        self.assertGreater(written, 10)
        self.assertEqual(c.get("k0"), b"x" * 1000)          # reads continue
        with self.assertRaises(redis.ResponseError) as ctx:
            c.rpush("l", "a")
        self.assertEqual(str(ctx.exception), OOM)
        info = c.info("memory")
        self.assertEqual(info["maxmemory"], 200 * 1024)
        self.assertGreater(info["used_memory"], 200 * 1024)
        # DEL is not denyoom (checked while over the limit: the store frees the deleted
        # value at once, which may bring memory back under it).
        self.assertEqual(c.delete("k0"), 1)
        self.assertEqual(c.config_get("maxmemory"), {"maxmemory": str(200 * 1024)})
        self.fill_until_oom(c)  # over the limit again
        # Inside MULTI the refusal flags the transaction, as Redis.
        s = raw(node.port)
        self.assertEqual(request(s, b"MULTI\r\n"), b"+OK\r\n")
        self.assertEqual(request(s, b"SET a 1\r\n"), b"-" + OOM.encode() + b"\r\n")
        self.assertEqual(request(s, b"EXEC\r\n"),
                         b"-EXECABORT Transaction discarded because of previous errors.\r\n")

    def test_exec_of_queued_write_refused_when_over(self):
        node = Node(extra_args=["--maxmemory", "200kb"])
        self.addCleanup(node.close)
        s = raw(node.port)
        self.assertEqual(request(s, b"MULTI\r\n"), b"+OK\r\n")
        self.assertEqual(request(s, b"SET a 1\r\n"), b"+QUEUED\r\n")
        self.fill_until_oom(node.client())  # another client goes over meanwhile
        self.assertEqual(request(s, b"EXEC\r\n"),
                         b"-EXECABORT Transaction discarded because of: " + OOM.encode() + b"\r\n")
        self.assertEqual(request(s, b"GET a\r\n"), b"$-1\r\n")  # discarded, not in MULTI

    def test_same_errors_as_redis(self):
        real = RealRedis()
        self.addCleanup(real.close)
        node = Node(extra_args=["--maxmemory", "1"])  # the empty store's index is over already
        self.addCleanup(node.close)
        rc = real.client()
        rc.config_set("maxmemory", "1")
        for port in (real.port, node.port):
            s = raw(port)
            self.assertEqual(request(s, b"SET k v\r\n"), b"-" + OOM.encode() + b"\r\n", port)
            self.assertEqual(request(s, b"MULTI\r\n"), b"+OK\r\n")
            self.assertEqual(request(s, b"LPUSH l a\r\n"), b"-" + OOM.encode() + b"\r\n")
            self.assertEqual(request(s, b"EXEC\r\n"),
                             b"-EXECABORT Transaction discarded because of previous errors.\r\n")
            self.assertEqual(request(s, b"DEL k\r\n"), b":0\r\n")

    def test_every_replicated_node_enforces_its_own(self):
        etcd = Etcd()
        self.addCleanup(etcd.close)
        limited = Node(etcd, extra_args=["--maxmemory", "200kb"])
        self.addCleanup(limited.close)
        free = Node(etcd)
        self.addCleanup(free.close)
        fc, lc = free.client(), limited.client()
        p = fc.pipeline(transaction=False)
        for i in range(400):
            p.set(f"k{i}", "x" * 1000)
        p.execute()
        wait_for(lambda: lc.get("k399") is not None, what="replication to the limited node")
        with self.assertRaises(redis.ResponseError) as ctx:
            lc.set("more", "x")
        self.assertEqual(str(ctx.exception), OOM)
        self.assertTrue(fc.set("more", "x"))        # the node without a limit writes on
        wait_for(lambda: lc.get("more") == b"x", what="the write reaching the limited node")

    def test_bad_policy_refused(self):
        # Redis's eight names are accepted (eviction itself is issue 17); others are refused.
        out = subprocess.run([SERVER, "--maxmemory-policy", "allkeys-bogus"],
                             capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 1)
        self.assertIn("must be one of the following", out.stderr)


class EtcdNoSpaceTest(unittest.TestCase):
    def test_nospace_alarm_reported_as_clear_error_reads_continue(self):
        old = os.environ.get("ETCD_EXTRA_ARGS")
        os.environ["ETCD_EXTRA_ARGS"] = "--quota-backend-bytes=4194304"
        try:
            etcd = Etcd()
        finally:
            if old is None:
                del os.environ["ETCD_EXTRA_ARGS"]
            else:
                os.environ["ETCD_EXTRA_ARGS"] = old
        self.addCleanup(etcd.close)
        node = Node(etcd)
        self.addCleanup(node.close)
        c = node.client()
        c.set("first", "kept")
        error = None
        for i in range(200):  # 200 x 256 KB = 50 MB: far past the 4 MB quota
            try:
                c.set(f"k{i}", "x" * 262144)
            except redis.ResponseError as e:
                error = str(e)
                break
        self.assertIsNotNone(error, "etcd never raised NOSPACE")
        self.assertTrue(error.startswith("OOM etcd refused the write: its NOSPACE alarm"), error)
        self.assertIn("etcdserver: mvcc: database space exceeded", error)
        self.assertEqual(c.get("first"), b"kept")  # reads are served by the local replica
        self.assertIn(b"NOSPACE", etcd.ctl("alarm", "list"))


if __name__ == "__main__":
    unittest.main()
