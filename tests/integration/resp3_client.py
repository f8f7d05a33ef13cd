"""A raw RESP3 client for the RESP3 differential test (test_resp3.py): sends one command as
a multibulk request and hands back the reply's exact bytes together with a parsed tree, so a
test can compare bytes exactly or, where the server's order is a hash order, compare the
trees with their aggregates sorted (canonical).

A tree node is a tuple (type byte, value): value is bytes for simple/blob/verbatim strings,
errors, numbers, doubles, big numbers and booleans (their text as sent), None for null, and
a list of nodes for arrays, sets, pushes and maps (a map's list holds key, value, key, ...).
Not thread-safe: one object per connection.
"""
import socket

AGGREGATES = b"*~>%"
LINES = b"+-:,(#_"
BLOBS = b"$!="


def encode(args):
    """A command (str or bytes arguments) as a RESP multibulk request."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class Resp3Conn:
    """One TCP connection; call(*args) returns (raw bytes, tree) of the next reply."""

    def __init__(self, port, timeout=30):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def close(self):
        self.sock.close()

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("connection closed by the server")
        self.buf += data

    def _line(self, pos):
        while True:
            end = self.buf.find(b"\r\n", pos)
            if end >= 0:
                return self.buf[pos:end], end + 2
            self._fill()

    def _parse(self, pos):
        """Parses one reply at pos (reading more as needed); returns (tree, next pos)."""
        while len(self.buf) <= pos:
            self._fill()
        kind = self.buf[pos:pos + 1]
        line, pos = self._line(pos + 1)
        if kind in (b"$", b"!", b"=") and line != b"-1":
            n = int(line)
            while len(self.buf) < pos + n + 2:
                self._fill()
            return (kind, self.buf[pos:pos + n]), pos + n + 2
        if kind in (b"*", b"~", b">", b"%") and line != b"-1":
            n = int(line) * (2 if kind == b"%" else 1)
            items = []
            for _ in range(n):
                item, pos = self._parse(pos)
                items.append(item)
            return (kind, items), pos
        if kind == b"_" or line == b"-1":
            return (kind, None), pos
        return (kind, line), pos

    def read(self):
        """The next reply: (raw bytes, tree)."""
        tree, end = self._parse(0)
        raw, self.buf = self.buf[:end], self.buf[end:]
        return raw, tree

    def call(self, *args):
        self.sock.sendall(encode(args))
        return self.read()


def canonical(tree):
    """The tree with every set and map sorted (maps by key) and every array kept in order;
    for replies whose order is a hash order use canonical_unordered."""
    kind, value = tree
    if not isinstance(value, list):
        return tree
    items = [canonical(x) for x in value]
    if kind == b"~":
        items.sort()
    elif kind == b"%":
        pairs = sorted(zip(items[0::2], items[1::2]))
        items = [x for p in pairs for x in p]
    return (kind, items)


def canonical_unordered(tree):
    """canonical, and the top-level array's elements sorted too (KEYS, HKEYS, ...); a
    two-element [cursor, items] SCAN-style reply gets its items sorted instead."""
    kind, value = canonical(tree)
    if kind == b"*" and isinstance(value, list):
        if len(value) == 2 and value[0][0] == b"$" and value[1][0] == b"*":
            return (kind, [value[0], (b"*", sorted(value[1][1]))])
        return (kind, sorted(value))
    return (kind, value)


def shape(tree):
    """The reply's types and sizes with the values left out, for random replies (SRANDMEMBER
    with a negative count): only the RESP3 types must agree."""
    kind, value = tree
    if isinstance(value, list):
        return (kind, [shape(x) for x in value])
    return (kind, None if value is None else "...")
