"""The raw RESP2/RESP3 reader every test client here is built on (resp3_client.py,
resp3_push_client.py, pubsub_client.py and the tests that talk RESP directly): each value read
is kept as its exact bytes, so replies and messages can be compared with a real Redis byte for
byte, and parse() turns those bytes into a typed tree, so no type is erased.

A tree node is a tuple (type byte, value): value is bytes for simple/blob/verbatim strings,
errors, numbers, doubles, big numbers and booleans (their text as sent), None for null (and
RESP2's null bulk / null array), and a list of nodes for arrays, sets, pushes and maps (a
map's list holds key, value, key, ...).

Not a test_*.py file: the test runner does not run it on its own.
"""
import socket
import time

AGGREGATES = {b"*": 1, b">": 1, b"~": 1, b"%": 2, b"|": 2}


def value_end(buf, pos):
    """The offset just past the RESP2/RESP3 value starting at `pos`, or None when `buf` does
    not hold all of it yet."""
    eol = buf.find(b"\r\n", pos)
    if eol < 0:
        return None
    kind, head = buf[pos:pos + 1], buf[pos + 1:eol]
    end = eol + 2
    if kind in (b"$", b"=", b"!"):
        n = int(head)
        if n < 0:
            return end
        return end + n + 2 if len(buf) >= end + n + 2 else None
    if kind in AGGREGATES:
        n = int(head)
        for _ in range(max(n, 0) * AGGREGATES[kind]):
            end = value_end(buf, end)
            if end is None:
                return None
        return end
    return end  # + - : _ , # ( one line


def parse(buf, pos=0):
    """The tree of the complete value at `pos` and the offset just past it."""
    eol = buf.index(b"\r\n", pos)
    kind, head = buf[pos:pos + 1], buf[pos + 1:eol]
    end = eol + 2
    if kind in (b"$", b"=", b"!"):
        n = int(head)
        if n < 0:
            return (kind, None), end
        return (kind, buf[end:end + n]), end + n + 2
    if kind in AGGREGATES:
        n = int(head)
        if n < 0:
            return (kind, None), end
        items = []
        for _ in range(n * AGGREGATES[kind]):
            item, end = parse(buf, end)
            items.append(item)
        return (kind, items), end
    if kind == b"_":
        return (kind, None), end
    return (kind, head), end  # + - : , ( #


def encode(args):
    """A command (str, bytes or int arguments) as a RESP multibulk request."""
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


class WireConn:
    """One connection; `protocol` 3 sends HELLO 3 first (its reply is dropped). Not
    thread-safe: one thread reads a connection."""

    def __init__(self, port, protocol=2, timeout=30):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.timeout = timeout
        self.buf = b""
        self.token = 0
        if protocol == 3:
            self.send("HELLO", "3")
            self.read_value()

    def close(self):
        self.sock.close()

    def send(self, *args):
        self.sock.sendall(encode(args))

    def read_value(self, deadline=None):
        """The next value's bytes (blocks until it is complete; None after `deadline`)."""
        while True:
            end = value_end(self.buf, 0) if self.buf else None
            if end is not None:
                value, self.buf = self.buf[:end], self.buf[end:]
                return value
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                return None
            finally:
                self.sock.settimeout(self.timeout)
            if not data:
                raise ConnectionError("connection closed")
            self.buf += data

    def read_tree(self, deadline=None):
        """The next value as (raw bytes, tree), or None after `deadline`."""
        raw = self.read_value(deadline)
        return None if raw is None else (raw, parse(raw)[0])

    def call(self, *args):
        """Sends one command; returns its reply as (raw bytes, tree)."""
        self.send(*args)
        return self.read_tree()

    def drain(self):
        """Every value that arrives before the reply to a PING sent now (the PING's reply is
        left out): the replies and messages this connection got so far, in order."""
        self.token += 1
        token = b"sentinel-%d" % self.token
        self.send("PING", token)
        out = []
        while True:
            v = self.read_value(time.monotonic() + 20)
            if v is None:
                raise AssertionError(f"no reply to PING {token!r} within 20 s; got {out!r}")
            if v.endswith(b"\r\n" + token + b"\r\n") and len(v) < 64 + len(token):
                return out
            out.append(v)


class RawConn(WireConn):
    """A WireConn whose call() returns only the reply's raw RESP bytes (type bytes included):
    what the differential tests compare byte for byte."""

    def call(self, *args):
        self.send(*args)
        return self.read_value()
