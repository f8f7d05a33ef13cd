"""A raw RESP3 client for tests: sends commands, parses every RESP3 type, and keeps the
push messages (`>`) it reads apart from the replies, so a test can wait for invalidations.

Not a test_*.py file: the test runner does not run it on its own.
"""
import socket
import time


class Resp3Client:
    """One connection. call() returns the next non-push reply (errors as ("error", text));
    pushes read meanwhile go to self.pushes in arrival order. Values: bytes, int, float
    (as its text bytes), None, True/False, lists, ("set", [...]), ("map", [(k, v)...])."""

    def __init__(self, port, hello=True):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buf = b""
        self.pushes = []
        if hello:
            reply = self.call("HELLO", "3")
            assert not (isinstance(reply, tuple) and reply[0] == "error"), reply

    def close(self):
        self.sock.close()

    def send(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.sock.sendall(out)

    def call(self, *args):
        self.send(*args)
        return self.reply()

    def reply(self):
        """The next reply that is not a push."""
        while True:
            kind, value = self._read()
            if kind == ">":
                self.pushes.append(value)
            else:
                return value

    def wait_push(self, timeout=20.0):
        """The oldest push not yet taken: read from the socket until one arrives, or None
        after `timeout` seconds (a bound for a hung test, not a timing assertion)."""
        deadline = time.monotonic() + timeout
        while not self.pushes:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                kind, value = self._read()
            except socket.timeout:
                return None
            finally:
                self.sock.settimeout(30)
            if kind == ">":
                self.pushes.append(value)
            else:
                raise AssertionError(f"unexpected reply {value!r}")
        return self.pushes.pop(0)

    def _line(self):
        while b"\r\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("closed")
            self.buf += data
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("closed")
            self.buf += data
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def _read(self):
        line = self._line()
        t, rest = chr(line[0]), line[1:]
        if t == "+":
            return t, rest
        if t in "-!":
            text = rest if t == "-" else self._exact(int(rest))
            return t, ("error", text.decode())
        if t == ":":
            return t, int(rest)
        if t == ",":
            return t, float(rest)
        if t == "(":
            return t, int(rest)
        if t == "#":
            return t, rest == b"t"
        if t == "_":
            return t, None
        if t in "$=":
            n = int(rest)
            return t, None if n < 0 else self._exact(n)
        if t in "*~>":
            n = int(rest)
            if n < 0:
                return t, None
            items = [self._read()[1] for _ in range(n)]
            return t, ("set", items) if t == "~" else items
        if t == "%":
            n = int(rest)
            return t, ("map", [(self._read()[1], self._read()[1]) for _ in range(n)])
        raise AssertionError(f"bad RESP3 line {line!r}")
