"""TLS: the etcd link over TLS with client certificates and etcd user/password auth (token
refresh included), and RESP clients over TLS (redis-cli --tls, redis-py ssl=True).
Certificates are made per test class with the openssl CLI (tls_util.Certs).
"""
import signal
import socket
import subprocess
import time
import types
import unittest

import redis

import harness
import tls_util


class EtcdLinkTlsAuthTest(unittest.TestCase):
    """etcd serving clients over TLS only, with --client-cert-auth and auth enabled; simple
    tokens expire after 2 s without use (--auth-token-ttl 2)."""

    TOKEN_TTL_S = 2

    @classmethod
    def setUpClass(cls):
        cls.certs = tls_util.Certs()
        cls.etcd = tls_util.TlsEtcd(cls.certs, ["--auth-token-ttl", str(cls.TOKEN_TTL_S)])
        cls.etcd.enable_auth()

    @classmethod
    def tearDownClass(cls):
        cls.etcd.close()
        cls.certs.close()

    def setUp(self):
        self.nodes = []

    def tearDown(self):
        for n in self.nodes:
            n.close()

    def node(self, endpoint=None, **kw):
        target = self.etcd if endpoint is None else types.SimpleNamespace(endpoint=endpoint)
        n = harness.Node(target, extra_args=tls_util.etcd_link_args(self.certs), **kw)
        self.nodes.append(n)
        return n

    def refreshes(self, node):
        return int(tls_util.info_field(node.client(), "etcd_auth_refreshes"))

    def test_writes_reads_and_watch_across_nodes(self):
        a = self.node()
        # The etcdctl URL form is accepted too.
        b = self.node(endpoint=f"https://127.0.0.1:{self.etcd.port}")
        ca, cb = a.client(), b.client()
        self.assertTrue(ca.set("k1", "v1"))
        self.assertEqual(ca.get("k1"), b"v1")
        harness.wait_for(lambda: cb.get("k1") == b"v1", what="k1 on the second node")
        self.assertEqual(cb.incr("n"), 1)
        harness.wait_for(lambda: ca.get("n") == b"1", what="n on the first node")
        # The data really went through etcd, readable with root's credentials.
        keys = self.etcd.ctl("get", "/petacore/", "--prefix", "--keys-only").split()
        self.assertGreaterEqual(len(keys), 2)

    def test_wrong_password_is_a_clear_startup_error(self):
        args = [harness.SERVER, "--port", str(harness.free_port()), "--etcd-endpoints",
                self.etcd.endpoint,
                *tls_util.etcd_link_args(self.certs, password="not-the-password")]
        out = subprocess.run(args, capture_output=True, text=True, timeout=60)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("authentication failed", out.stdout + out.stderr)

    def test_unreadable_certificate_file_is_a_startup_error(self):
        args = [harness.SERVER, "--port", str(harness.free_port()), "--etcd-endpoints",
                self.etcd.endpoint, "--etcd-cacert", self.certs.path("no-such-ca.pem")]
        out = subprocess.run(args, capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 1)
        self.assertIn("no-such-ca.pem", out.stdout + out.stderr)

    def test_expired_token_is_refreshed(self):
        a = self.node()
        b = self.node()
        ca, cb = a.client(), b.client()
        self.assertTrue(ca.set("before", "1"))
        before = self.refreshes(a)
        # Idle past the token TTL (etcd checks expiry once a second): the next call is refused
        # with "etcdserver: invalid auth token", re-authenticates and succeeds.
        time.sleep(self.TOKEN_TTL_S + 2)
        self.assertTrue(ca.set("after", "2"))
        self.assertEqual(ca.get("after"), b"2")
        self.assertGreater(self.refreshes(a), before)
        harness.wait_for(lambda: cb.get("after") == b"2", what="write after refresh on b")

    def test_tokens_lost_by_etcd_restart_are_refreshed(self):
        a = self.node()
        b = self.node()
        ca, cb = a.client(), b.client()
        self.assertTrue(ca.set("r1", "1"))
        harness.wait_for(lambda: cb.get("r1") == b"1", what="r1 on b")
        before_a, before_b = self.refreshes(a), self.refreshes(b)
        # Simple tokens live in etcd's memory only: after a restart every token is unknown.
        self.etcd.kill(signal.SIGTERM)
        self.etcd.start()
        harness.wait_for(lambda: ca.set("r2", "2"), timeout=30, what="a write after restart")
        # b's watch stream reconnects with its stale token, is refused, and re-authenticates.
        harness.wait_for(lambda: cb.get("r2") == b"2", timeout=30, what="r2 on b")
        self.assertGreater(self.refreshes(a), before_a)
        self.assertGreater(self.refreshes(b), before_b)


class ClientTlsTest(unittest.TestCase):
    """RESP over TLS: one node requiring client certificates (--tls-auth-clients yes), one
    accepting clients without (optional), both with the plain port open too."""

    @classmethod
    def setUpClass(cls):
        cls.certs = tls_util.Certs()
        cls.tls_port = harness.free_port()
        cls.node = harness.Node(extra_args=tls_util.tls_server_args(cls.certs, cls.tls_port))
        cls.opt_port = harness.free_port()
        cls.opt_node = harness.Node(
            extra_args=tls_util.tls_server_args(cls.certs, cls.opt_port, "optional"))

    @classmethod
    def tearDownClass(cls):
        cls.node.close()
        cls.opt_node.close()
        cls.certs.close()

    def assert_refused(self, port, client):
        c = tls_util.tls_client(self.certs, port, client=client, socket_timeout=10)
        with self.assertRaises((redis.exceptions.ConnectionError, OSError)):
            c.ping()

    def test_redis_cli_tls_and_plain_port(self):
        out = tls_util.tls_cli(self.certs, self.tls_port, "PING")
        self.assertEqual(out.stdout.strip(), "PONG", out.stderr)
        self.assertEqual(tls_util.tls_cli(self.certs, self.tls_port, "SET", "cli", "v").stdout,
                         "OK\n")
        self.assertEqual(tls_util.tls_cli(self.certs, self.tls_port, "GET", "cli").stdout, "v\n")
        # The plain port serves the same data.
        self.assertEqual(self.node.cli("GET", "cli"), "v\n")

    def test_redis_py_ssl(self):
        c = tls_util.tls_client(self.certs, self.tls_port)
        self.assertTrue(c.ping())
        self.assertTrue(c.set("py", "1"))
        self.assertEqual(c.incr("py"), 2)
        self.assertEqual(self.node.client().get("py"), b"2")

    def test_large_values_and_pipelines(self):
        c = tls_util.tls_client(self.certs, self.tls_port)
        big = bytes(range(256)) * (4 * 1024 * 16)  # 16 MiB: many TLS records each way
        self.assertTrue(c.set("big", big))
        self.assertEqual(c.get("big"), big)
        pipe = c.pipeline(transaction=False)
        for i in range(2000):
            pipe.set(f"p{i}", i)
            pipe.get(f"p{i}")
        replies = pipe.execute()
        self.assertEqual(replies[1::2], [str(i).encode() for i in range(2000)])
        self.assertTrue(all(r is True for r in replies[0::2]))

    def test_client_certificate_required(self):
        self.assert_refused(self.tls_port, None)
        self.assert_refused(self.tls_port, "rogue-client")
        out = tls_util.tls_cli(self.certs, self.tls_port, "PING", client=None)
        self.assertNotIn("PONG", out.stdout)
        self.assertTrue(tls_util.tls_client(self.certs, self.tls_port).ping())

    def test_client_certificate_optional(self):
        self.assertTrue(tls_util.tls_client(self.certs, self.opt_port, client=None).ping())
        self.assertTrue(tls_util.tls_client(self.certs, self.opt_port).ping())
        out = tls_util.tls_cli(self.certs, self.opt_port, "PING", client=None)
        self.assertEqual(out.stdout.strip(), "PONG", out.stderr)
        # A certificate that is sent is still verified.
        self.assert_refused(self.opt_port, "rogue-client")

    def test_plain_text_client_on_tls_port(self):
        plain = redis.Redis(host="127.0.0.1", port=self.tls_port, socket_timeout=15)
        with self.assertRaises((redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)):
            plain.ping()
        # A raw connection that sends nothing is dropped after the handshake timeout at the
        # latest; meanwhile everything else keeps working.
        with socket.create_connection(("127.0.0.1", self.tls_port), timeout=30) as idle:
            self.assertTrue(tls_util.tls_client(self.certs, self.tls_port).ping())
            self.assertTrue(self.node.client().ping())
            self.assertEqual(idle.recv(1), b"")  # closed by the server, no bytes sent
        self.assertTrue(tls_util.tls_client(self.certs, self.tls_port).ping())
        self.assertIsNone(self.node.proc.poll())

    def test_tls_only_server(self):
        port = harness.free_port()
        proc = subprocess.Popen(
            [harness.SERVER, "--port", "0", "--threads", "1",
             *tls_util.tls_server_args(self.certs, port, "no")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            c = tls_util.tls_client(self.certs, port, client=None)
            harness.wait_for(c.ping, what="TLS-only server")
            self.assertTrue(c.set("only", "tls"))
            self.assertEqual(c.get("only"), b"tls")
        finally:
            proc.kill()
            proc.wait(timeout=30)

    def test_bad_tls_settings_are_startup_errors(self):
        cases = [
            (["--tls-port", str(harness.free_port())], "--tls-cert-file"),
            (tls_util.tls_server_args(self.certs, harness.free_port())[:-4],
             "--tls-ca-cert-file"),
            (["--tls-port", str(harness.free_port()), "--tls-cert-file",
              self.certs.path("server.pem"), "--tls-key-file", self.certs.path("client-key.pem"),
              "--tls-auth-clients", "no"], "mismatch"),
            (["--tls-port", str(harness.free_port()), "--tls-cert-file",
              self.certs.path("missing.pem"), "--tls-key-file",
              self.certs.path("server-key.pem"), "--tls-auth-clients", "no"], "missing.pem"),
            (["--tls-auth-clients", "maybe"], "--tls-auth-clients"),
        ]
        for args, message in cases:
            out = subprocess.run([harness.SERVER, "--port", str(harness.free_port()), *args],
                                 capture_output=True, text=True, timeout=60)
            self.assertEqual(out.returncode, 1, args)
            self.assertIn(message, out.stdout + out.stderr, args)


if __name__ == "__main__":
    unittest.main()
