"""A raw RESP3 client for tests: sends commands, parses every RESP3 type, and keeps the
push messages (`>`) it reads apart from the replies, so a test can wait for invalidations.

Not a test_*.py file: the test runner does not run it on its own.
"""
import time

from resp_wire import WireConn


def to_python(tree):
    """A resp_wire tree as this client's values (see Resp3Client)."""
    kind, value = tree
    t = kind.decode()
    if t in "-!":
        return ("error", value.decode())
    if value is None:
        return None
    if t in ":(":
        return int(value)
    if t == ",":
        return float(value)
    if t == "#":
        return value == b"t"
    if t in "*>":
        return [to_python(x) for x in value]
    if t == "~":
        return ("set", [to_python(x) for x in value])
    if t == "%":
        items = [to_python(x) for x in value]
        return ("map", list(zip(items[0::2], items[1::2])))
    return value  # + $ =


class Resp3Client:
    """One connection. call() returns the next non-push reply (errors as ("error", text));
    pushes read meanwhile go to self.pushes in arrival order. Values: bytes, int, float,
    None, True/False, lists, ("set", [...]), ("map", [(k, v)...]). Reads through
    resp_wire.WireConn. Not thread-safe."""

    def __init__(self, port, hello=True):
        self.wire = WireConn(port)
        self.sock = self.wire.sock
        self.pushes = []
        if hello:
            reply = self.call("HELLO", "3")
            assert not (isinstance(reply, tuple) and reply[0] == "error"), reply

    def close(self):
        self.wire.close()

    def send(self, *args):
        self.wire.send(*args)

    def call(self, *args):
        self.send(*args)
        return self.reply()

    def reply(self):
        """The next reply that is not a push."""
        while True:
            kind, value = self.read_frame()
            if kind == ">":
                self.pushes.append(value)
            else:
                return value

    def read_frame(self, deadline=None):
        """The next value as (type character, value), or None after `deadline` (monotonic)."""
        got = self.wire.read_tree(deadline)
        if got is None:
            return None
        tree = got[1]
        return tree[0].decode(), to_python(tree)

    def wait_push(self, timeout=20.0):
        """The oldest push not yet taken: read from the socket until one arrives, or None
        after `timeout` seconds (a bound for a hung test, not a timing assertion)."""
        deadline = time.monotonic() + timeout
        while not self.pushes:
            got = self.read_frame(deadline)
            if got is None:
                return None
            kind, value = got
            if kind == ">":
                self.pushes.append(value)
            else:
                raise AssertionError(f"unexpected reply {value!r}")
        return self.pushes.pop(0)
