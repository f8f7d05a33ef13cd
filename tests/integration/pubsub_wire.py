"""Raw RESP2/RESP3 connections for the pub/sub tests: each value read is kept as its exact
bytes, so replies and messages can be compared with a real Redis byte for byte.

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


def encode(args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


class WireConn:
    """One connection; `protocol` 3 sends HELLO 3 first (its reply is dropped)."""

    def __init__(self, port, protocol=2):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
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
                self.sock.settimeout(30)
            if not data:
                raise ConnectionError("connection closed")
            self.buf += data

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
