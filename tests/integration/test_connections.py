"""Many clients at once against a real petacore-server: 10,000 concurrent connections, and
1,000 clients that do not read their replies.

The server must keep answering a fresh client and keep its memory bounded. RSS figures are
printed (stderr, "FIGURE ...") for docs and notes; the ceilings asserted are far above the
expected values, and nothing about time is asserted. The test process raises its own
RLIMIT_NOFILE (it holds 10,000 sockets); the server raises its own at start-up.
"""
import resource
import socket
import sys
import unittest

from harness import Node, wait_for

CONNECTIONS = 10_000
SLOW_READERS = 1_000
GiB = 1 << 30


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def figure(name, value):
    print(f"FIGURE {name} {value}", file=sys.stderr, flush=True)


def read_until_closed(s):
    total = 0
    while True:
        try:
            chunk = s.recv(1 << 20)
        except (ConnectionResetError, socket.timeout):
            return total
        if not chunk:
            return total
        total += len(chunk)


def setUpModule():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = CONNECTIONS + 256
    if hard != resource.RLIM_INFINITY and hard < needed:
        raise unittest.SkipTest(f"RLIMIT_NOFILE hard limit {hard} < {needed}: cannot hold "
                                f"{CONNECTIONS} sockets (raise 'ulimit -Hn')")
    if soft != resource.RLIM_INFINITY and soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


class ManyConnectionsTest(unittest.TestCase):
    def test_10k_concurrent_connections(self):
        node = Node(extra_args=["--maxclients", str(CONNECTIONS + 100)])
        self.addCleanup(node.close)
        fresh = node.client()
        fresh.set("k", "v")
        rss_idle = rss_bytes(node.proc.pid)
        socks = []
        self.addCleanup(lambda: [s.close() for s in socks])
        for _ in range(CONNECTIONS):
            s = socket.create_connection(("127.0.0.1", node.port), timeout=60)
            socks.append(s)
        for s in socks:
            s.sendall(b"PING\r\n")
        for s in socks:
            self.assertEqual(s.recv(16), b"+PONG\r\n")
        rss_held = rss_bytes(node.proc.pid)
        # A fresh client is answered while all of them are connected.
        self.assertTrue(fresh.ping())
        self.assertEqual(fresh.get("k"), b"v")
        self.assertEqual(fresh.info("clients")["connected_clients"], CONNECTIONS + 1)
        for s in socks:
            s.close()
        socks.clear()
        wait_for(lambda: fresh.info("clients")["connected_clients"] == 1, timeout=60,
                 what="all connections closed")
        rss_after = rss_bytes(node.proc.pid)
        figure("rss_idle_bytes", rss_idle)
        figure("rss_10k_connections_bytes", rss_held)
        figure("rss_per_connection_bytes", (rss_held - rss_idle) // CONNECTIONS)
        figure("rss_after_close_bytes", rss_after)
        self.assertLess(rss_held, 2 * GiB)  # expected a few hundred MB (16 KB read buffers)

    def test_1k_slow_readers(self):
        # None of them reads. Half ask for 512 x 8 KB: over the hard limit, each is closed at
        # once. Half ask for 64 x 8 KB: under the limits, they stay, holding their replies
        # (in the kernel's socket buffers and the server's output buffer).
        node = Node(extra_args=["--client-output-buffer-limit", "normal 2mb 1mb 60"])
        self.addCleanup(node.close)
        fresh = node.client()
        value = b"v" * 8192
        fresh.set("v", value)
        rss_idle = rss_bytes(node.proc.pid)
        slow = []
        self.addCleanup(lambda: [s.close() for s in slow])
        requested = 0
        for i in range(SLOW_READERS):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.settimeout(60)
            s.connect(("127.0.0.1", node.port))
            gets = 512 if i % 2 else 64
            s.sendall(b"GET v\r\n" * gets)
            requested += gets * len(value)
            slow.append(s)
        # The server still answers others while the slow readers hold their replies.
        self.assertTrue(fresh.ping())
        self.assertEqual(fresh.get("v"), value)
        wait_for(lambda: fresh.info("clients")["connected_clients"] == 1 + SLOW_READERS // 2,
                 timeout=120, what="the slow readers over the hard limit disconnected")
        rss_held = rss_bytes(node.proc.pid)
        self.assertTrue(fresh.ping())
        self.assertEqual(fresh.get("v"), value)
        for s in slow:
            s.shutdown(socket.SHUT_WR)  # the staying half now read everything they asked for
        received = sum(read_until_closed(s) for s in slow[0::2])
        closed = sum(read_until_closed(s) for s in slow[1::2])
        rss_after = rss_bytes(node.proc.pid)
        figure("slow_readers_rss_idle_bytes", rss_idle)
        figure("slow_readers_rss_held_bytes", rss_held)
        figure("slow_readers_rss_after_bytes", rss_after)
        figure("slow_readers_bytes_requested", requested)
        figure("slow_readers_bytes_received_staying_half", received)
        figure("slow_readers_bytes_received_closed_half", closed)
        self.assertIn("closed for overcoming of output buffer limits", node.log_text())
        self.assertEqual(closed, 0)  # dropped with their replies, as Redis
        self.assertGreaterEqual(received, SLOW_READERS // 2 * 64 * len(value))
        self.assertLess(rss_held, 2 * GiB)  # expected: base + ~500 x (512 KB + 16 KB) at most
        self.assertTrue(fresh.ping())

if __name__ == "__main__":
    unittest.main()
