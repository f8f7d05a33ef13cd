"""Test harness: real etcd, real Redis and real PetaCore processes on free loopback ports.

Every process is started in a fresh temporary directory and stopped (SIGKILL as a last
resort) when the test ends, so a failed test leaves nothing running. Paths come from the
environment set by CTest: PETACORE_SERVER (the built binary) and PETACORE_SCRIPTS.
PETACORE_TEST_EXTRA_ARGS (space-separated) is appended to every node's command line, to run
a suite under another setting (e.g. `--allocator-trim-interval-ms 20`); CTest never sets it.
"""
import os
import sys
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import unittest
import time

import redis

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SERVER = os.environ.get("PETACORE_SERVER", os.path.join(ROOT, "build", "bin", "petacore-server"))
START_ETCD = os.path.join(ROOT, "scripts", "start-etcd.sh")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout=20.0, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except Exception:  # the thing waited for may refuse connections meanwhile
            pass
        time.sleep(interval)
    raise TimeoutError(f"timed out waiting for {what}")


class Etcd:
    """One etcd member, started with scripts/start-etcd.sh (PetaCore's own settings)."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="petacore-etcd-")
        self.port = free_port()
        self.peer_port = free_port()
        self.pid = None
        self.start()

    @property
    def endpoint(self):
        return f"127.0.0.1:{self.port}"

    def start(self):
        out = subprocess.run(["bash", START_ETCD, self.dir, str(self.port), str(self.peer_port)],
                             check=True, capture_output=True, text=True, timeout=60)
        self.pid = int(out.stdout.strip())

    def kill(self, sig=signal.SIGKILL):
        if self.pid:
            try:
                os.kill(self.pid, sig)
                for _ in range(200):
                    os.kill(self.pid, 0)
                    time.sleep(0.05)
            except ProcessLookupError:
                pass
            self.pid = None

    def ctl(self, *args):
        env = dict(os.environ, ETCDCTL_API="3")
        return subprocess.run(["etcdctl", "--endpoints", self.endpoint, *args], env=env,
                              check=True, capture_output=True, timeout=30).stdout

    def close(self):
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


class Node:
    """One petacore-server process; standalone when etcd is None."""

    def __init__(self, etcd=None, extra_args=(), prefix=None):
        self.etcd = etcd
        self.port = free_port()
        self.extra_args = list(extra_args)
        self.prefix = prefix
        self.log_path = tempfile.mktemp(prefix="petacore-node-", suffix=".log")
        self.proc = None
        self.start()

    def start(self):
        args = [SERVER, "--port", str(self.port), "--threads", "2", *self.extra_args]
        args += os.environ.get("PETACORE_TEST_EXTRA_ARGS", "").split()
        if self.etcd is not None:
            # scripts/start-etcd.sh raises etcd's Txn limits; group commit may use them.
            args += ["--etcd-endpoints", self.etcd.endpoint, "--etcd-max-txn-ops", "10000",
                     "--etcd-max-request-bytes", "10485760"]
        if self.prefix:
            args += ["--etcd-prefix", self.prefix]
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        wait_for(lambda: self.client().ping(), what=f"petacore on {self.port}")

    def client(self, **kw):
        kw.setdefault("socket_timeout", 30)
        return redis.Redis(host="127.0.0.1", port=self.port, **kw)

    def cli(self, *args, input=None):
        """Runs redis-cli against this node; returns stdout."""
        return subprocess.run(["redis-cli", "-p", str(self.port), *args], input=input,
                              capture_output=True, text=True, timeout=60).stdout

    def kill(self, sig=signal.SIGKILL):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=30)
        if self.log:
            self.log.close()
            self.log = None

    def restart(self):
        self.kill()
        self.start()

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def close(self):
        self.kill()
        try:
            self.report_warnings()
            os.unlink(self.log_path)
        except OSError:
            pass

    def report_warnings(self, most=40):
        """Prints the node's last `most` warning and error log lines to stderr: ctest shows a
        test's output only when it fails, so a failure comes with what its nodes reported."""
        lines = [ln for ln in self.log_text().splitlines()
                 if "[warning]" in ln or "[error]" in ln or "[critical]" in ln]
        if lines:
            print(f"--- node on port {self.port}: last {min(most, len(lines))} of "
                  f"{len(lines)} warnings/errors", file=sys.stderr)
            for ln in lines[-most:]:
                print(ln[:400], file=sys.stderr)


class Poller:
    """Calls fn(client) in a loop on a thread of its own while its with-block runs, `client`
    a fresh connection made by `connect()`; `seen` holds every distinct result. For "another
    node sees all of a write or none of it": the block does the write and waits for it."""

    def __init__(self, connect, fn):
        self.seen, self._stop = set(), threading.Event()
        self._client, self._fn = connect(), fn
        self._thread = threading.Thread(target=self._run)

    def _run(self):
        while not self._stop.is_set():
            self.seen.add(self._fn(self._client))

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        return False


class TwoNodes(unittest.TestCase):
    """Base of suites on one etcd and two nodes `a` and `b`, shared by the class's tests,
    started with `a_args` and `b_args`."""
    a_args = ()
    b_args = ()

    @classmethod
    def setUpClass(cls):
        cls.etcd = Etcd()
        cls.a = cls.b = None
        try:
            cls.a = Node(cls.etcd, extra_args=list(cls.a_args))
            cls.b = Node(cls.etcd, extra_args=list(cls.b_args))
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for n in (cls.a, cls.b):
            if n is not None:
                n.close()
        cls.etcd.close()


class RealRedis:
    """Debian's redis-server with persistence off, for differential tests."""

    def __init__(self):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="petacore-redis-")
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.dir, "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: self.client().ping(), what="redis-server")

    def client(self, **kw):
        return redis.Redis(host="127.0.0.1", port=self.port, **kw)

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)
        shutil.rmtree(self.dir, ignore_errors=True)


def proxied_node(etcd, extra_args=()):
    """A Node reaching `etcd` only through a tcpproxy.TcpProxy, for tests that freeze its
    link (requests still reach etcd; answers and the watch are held). gRPC keepalives and
    member health probes are off (a frozen link is then a slow member, not a dead one), etcd
    calls wait up to 60 s,
    and nothing of the node's own writes in the background (no active expiry campaign, a
    long pub/sub lease), so what the test counts is what the test did. Returns
    (node, proxy); the caller closes both."""
    import tcpproxy  # noqa: PLC0415 - only the tests that freeze links need it
    proxy = tcpproxy.TcpProxy([etcd.endpoint])
    link = type("Link", (), {"endpoint": proxy.endpoint})
    args = ["--etcd-timeout-ms", "60000", "--etcd-keepalive-ms", "0",
            "--etcd-member-timeout-ms", "0", "--pubsub-lease-ttl", "900"]
    if not any(a == "--active-expiry" or a == "--expiry-lease-ttl" for a in extra_args):
        args += ["--active-expiry", "no"]
    try:
        node = Node(link, extra_args=args + list(extra_args))
    except BaseException:
        proxy.close()
        raise
    return node, proxy

