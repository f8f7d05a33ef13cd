"""TLS: the etcd link over TLS with client certificates and etcd user/password auth (token
refresh included), and RESP clients over TLS (redis-cli --tls, redis-py ssl=True).
Certificates are made per test class with the openssl CLI (tls_util.Certs).
"""
import signal
import subprocess
import time
import types
import unittest

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


if __name__ == "__main__":
    unittest.main()
