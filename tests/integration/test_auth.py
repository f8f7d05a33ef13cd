"""Authentication and protected mode, black-box: --requirepass, AUTH in both forms, HELLO
AUTH, the NOAUTH / WRONGPASS texts (compared with a real redis-server 7.0 started with the same
password), redis-cli -a / --user --pass, redis-py with username and password, and protected
mode (the DENIED line compared with Redis's, from a non-loopback address of this host when it
has one).
"""
import os
import shutil
import socket
import subprocess
import tempfile
import unittest

import redis

from harness import Node, free_port, wait_for

PASSWORD = "s3cret"


class AuthNode(Node):
    """A PetaCore node whose own readiness probe and client() authenticate."""

    def __init__(self, password, extra_args=(), **kw):
        self.password = password
        super().__init__(extra_args=["--requirepass", password, *extra_args], **kw)

    def client(self, **kw):
        kw.setdefault("password", self.password)
        return super().client(**kw)


class Redis:
    """Debian's redis-server with extra arguments (RealRedis has a fixed command line)."""

    def __init__(self, *extra, host="127.0.0.1"):
        self.port = free_port()
        self.host = host
        self.dir = tempfile.mkdtemp(prefix="petacore-redis-")
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--dir", self.dir, "--daemonize", "no", *extra],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # Ready once it accepts (a protected-mode Redis may refuse a PING from `host`).
        wait_for(lambda: PortProbe(host, self.port).ping(), what="redis-server")

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)
        shutil.rmtree(self.dir, ignore_errors=True)


def encode(cmd):
    out = b"*%d\r\n" % len(cmd)
    for a in cmd:
        a = a.encode() if isinstance(a, str) else a
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


class RespReader:
    """A minimal RESP2 reader over a socket: the exact reply, no client-side mapping."""

    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def reply(self):
        line = self.line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest
        if kind == b"-":
            return ("error", rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionError("closed")
                self.buf += chunk
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.reply() for _ in range(n)]
        raise ValueError(f"bad reply line {line!r}")


def replies(port, commands, host="127.0.0.1"):
    """Runs `commands` one by one on one fresh connection (which does not authenticate by
    itself); returns each exact reply (errors as ("error", text)). A HELLO success is reduced
    to "hello-map" (version and client id differ between servers)."""
    out = []
    with socket.create_connection((host, port), timeout=30) as s:
        reader = RespReader(s)
        for cmd in commands:
            s.sendall(encode(cmd))
            reply = reader.reply()
            if cmd[0].upper() == "HELLO" and isinstance(reply, list):
                reply = "hello-map"
            out.append(reply)
    return out


def non_loopback_ipv4():
    """An IPv4 address of this host that is not loopback, or None."""
    try:
        out = subprocess.run(["ip", "-o", "-4", "addr", "show", "scope", "global"],
                             capture_output=True, text=True, timeout=10).stdout
    except OSError:
        return None
    for line in out.splitlines():
        fields = line.split()
        if "inet" in fields:
            addr = fields[fields.index("inet") + 1].split("/")[0]
            if not addr.startswith("127."):
                return addr
    return None


def read_until_closed(host, port, source=None):
    """Connects (from `source` when given) and returns every byte until the server closes."""
    with socket.socket() as s:
        s.settimeout(30)
        if source:
            s.bind((source, 0))
        s.connect((host, port))
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return data
            data += chunk


UNAUTHENTICATED = [
    ("PING",), ("GET", "k"), ("NOSUCH", "a"), ("GET",), ("MULTI",), ("CLIENT", "SETNAME", "x"),
    ("ACL", "WHOAMI"), ("HELLO", "2"), ("HELLO", "2", "AUTH", "default", "bad"),
    ("AUTH", "wrong"), ("AUTH", "a", "b", "c"), ("AUTH", "default", "wrong"),
    ("AUTH", "nosuch", PASSWORD), ("AUTH",), ("PING",),
    ("AUTH", PASSWORD), ("PING",), ("ACL", "WHOAMI"), ("AUTH", "default", PASSWORD),
    ("SET", "k", "v"), ("GET", "k"), ("QUIT",),
]


class RequirePassTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.node = AuthNode(PASSWORD)
        cls.redis = Redis("--bind", "127.0.0.1", "--requirepass", PASSWORD)

    @classmethod
    def tearDownClass(cls):
        cls.node.close()
        cls.redis.close()

    def test_unauthenticated_replies_as_redis(self):
        want = replies(self.redis.port, UNAUTHENTICATED)
        got = replies(self.node.port, UNAUTHENTICATED)
        self.assertEqual(got, want)
        self.assertEqual(got[0], ("error", "NOAUTH Authentication required."))
        self.assertEqual(got[9], ("error", "WRONGPASS invalid username-password pair or user is "
                                            "disabled."))

    def test_hello_auth_and_setname(self):
        cmds = [("HELLO", "2", "AUTH", "default", PASSWORD, "SETNAME", "me"),
                ("CLIENT", "GETNAME"), ("ACL", "WHOAMI")]
        want = replies(self.redis.port, cmds)
        got = replies(self.node.port, cmds)
        self.assertEqual(got, want)
        self.assertEqual(got, ["hello-map", b"me", b"default"])

    def test_redis_py_password_and_username(self):
        self.assertTrue(self.node.client(password=PASSWORD).ping())
        self.assertTrue(self.node.client(username="default", password=PASSWORD).ping())
        with self.assertRaisesRegex(redis.RedisError, "invalid username-password pair"):
            self.node.client(password="bad").ping()
        with self.assertRaisesRegex(redis.RedisError, "Authentication required"):
            self.node.client(password=None).ping()

    def test_redis_cli(self):
        cli = lambda *a: subprocess.run(["redis-cli", "-p", str(self.node.port), *a],
                                        capture_output=True, text=True, timeout=60).stdout
        self.assertEqual(cli("-a", PASSWORD, "--no-auth-warning", "PING").strip(), "PONG")
        self.assertEqual(cli("--user", "default", "--pass", PASSWORD, "--no-auth-warning",
                             "ACL", "WHOAMI").strip(), "default")
        self.assertIn("NOAUTH", cli("PING"))
        self.assertEqual(cli("-u", f"redis://default:{PASSWORD}@127.0.0.1:{self.node.port}",
                             "--no-auth-warning", "PING").strip(), "PONG")
        # redis-cli's -a with a wrong password prints Redis's warning, then NOAUTH.
        self.assertIn("NOAUTH", cli("-a", "bad", "--no-auth-warning", "PING"))


class NoPasswordTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.node = Node()
        cls.redis = Redis("--bind", "127.0.0.1")

    @classmethod
    def tearDownClass(cls):
        cls.node.close()
        cls.redis.close()

    def test_auth_without_password_configured(self):
        cmds = [("AUTH", "x"), ("AUTH", "default", "anything"), ("AUTH", "nosuch", "x"),
                ("HELLO", "2", "AUTH", "default", "x"), ("ACL", "WHOAMI"), ("PING",)]
        want = replies(self.redis.port, cmds)
        got = replies(self.node.port, cmds)
        self.assertEqual(got, want)
        self.assertEqual(got[0], ("error", "ERR AUTH <password> called without any password "
                                           "configured for the default user. Are you sure your "
                                           "configuration is correct?"))

    def test_protected_mode_serves_loopback(self):
        # --protected-mode yes is the default and no password is set: loopback still works.
        self.assertTrue(self.node.client().ping())
        self.assertEqual(replies(self.node.port, [("PING",)]), [b"PONG"])


class PortProbe:
    """Stands in for a client in Node's readiness wait: ready once the port accepts."""

    def __init__(self, host, port):
        self.host, self.port = host, port

    def ping(self):
        socket.create_connection((self.host, self.port), timeout=5).close()
        return True


class BoundNode(Node):
    """A node listening on `addr` only (a protected-mode server may refuse PING from it)."""

    def __init__(self, addr, extra_args=()):
        self.addr = addr
        super().__init__(extra_args=["--bind", addr, *extra_args])

    def client(self, **kw):
        return PortProbe(self.addr, self.port)


@unittest.skipIf(non_loopback_ipv4() is None, "this host has no non-loopback IPv4 address")
class ProtectedModeTest(unittest.TestCase):
    """Clients from a non-loopback address of this host (servers bound to that address only,
    so nothing listens beyond it): refused with Redis's DENIED line unless a password is set
    or --protected-mode no."""

    def setUp(self):
        self.addr = non_loopback_ipv4()
        self.nodes = []

    def tearDown(self):
        for n in self.nodes:
            n.close()

    def start(self, *extra):
        node = BoundNode(self.addr, extra)
        self.nodes.append(node)
        return node

    def test_denied_text_and_close_as_redis(self):
        r = Redis("--bind", self.addr, host=self.addr)
        try:
            want = read_until_closed(self.addr, r.port, source=self.addr)
        finally:
            r.close()
        self.assertTrue(want.startswith(b"-DENIED Redis is running in protected mode"))
        node = self.start()
        self.assertEqual(read_until_closed(self.addr, node.port, source=self.addr), want)

    def test_protected_mode_no(self):
        node = self.start("--protected-mode", "no")
        self.assertEqual(replies(node.port, [("PING",)], host=self.addr), [b"PONG"])

    def test_password_lifts_protection(self):
        node = self.start("--requirepass", PASSWORD)
        self.assertEqual(replies(node.port, [("PING",), ("AUTH", PASSWORD), ("PING",)],
                                 host=self.addr),
                         [("error", "NOAUTH Authentication required."), b"OK", b"PONG"])


if __name__ == "__main__":
    unittest.main()
