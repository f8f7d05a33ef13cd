"""The differential harness itself (differential.call / typed): two fake servers that differ
only in a reply's type must compare unequal, and identical bytes equal. No PetaCore, no Redis:
each fake server answers every request with one fixed RESP value."""
import socket
import threading
import unittest

from differential import call, raw_client, typed
from resp_wire import parse


class FakeServer:
    """A loopback server answering every command (one RESP request per read) with `reply`."""

    def __init__(self, reply):
        self.reply = reply
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(10)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(10)
            try:
                while conn.recv(65536):
                    conn.sendall(self.reply)
            except OSError:
                pass

    def close(self):
        self.sock.close()
        self.thread.join(10)


# Pairs of replies that redis-py's parser (with no response callbacks) made equal.
DIFFER_ONLY_IN_TYPE = [
    (b"+OK\r\n", b"$2\r\nOK\r\n"),
    (b"*-1\r\n", b"$-1\r\n"),
    (b"-ERR foo\r\n", b"-foo\r\n"),
    (b"-WRONGTYPE x\r\n", b"-ERR WRONGTYPE x\r\n"),
    (b":1\r\n", b"$1\r\n1\r\n"),
    (b"*1\r\n+OK\r\n", b"*1\r\n$2\r\nOK\r\n"),
    (b"*2\r\n:1\r\n-ERR x\r\n", b"*2\r\n:1\r\n-x\r\n"),
    (b":01\r\n", b":1\r\n"),
]


class HarnessTest(unittest.TestCase):
    def replies(self, a, b):
        servers = [FakeServer(a), FakeServer(b)]
        clients = [raw_client(s.port) for s in servers]
        try:
            return [call(c, [b"GET", b"k"]) for c in clients]
        finally:
            for c in clients:
                c.close()
            for s in servers:
                s.close()

    def test_replies_differing_only_in_type_compare_unequal(self):
        for a, b in DIFFER_ONLY_IN_TYPE:
            with self.subTest(a=a, b=b):
                got, want = self.replies(a, b)
                self.assertNotEqual(got, want)

    def test_identical_bytes_compare_equal(self):
        for a, _ in DIFFER_ONLY_IN_TYPE:
            with self.subTest(a=a):
                got, want = self.replies(a, a)
                self.assertEqual(got, want)

    def test_typed_is_injective_on_these_values(self):
        values = [typed(parse(x)[0]) for pair in DIFFER_ONLY_IN_TYPE for x in pair]
        self.assertEqual(len({repr(v) for v in values}), len(set(sum(DIFFER_ONLY_IN_TYPE, ()))))


if __name__ == "__main__":
    unittest.main()
