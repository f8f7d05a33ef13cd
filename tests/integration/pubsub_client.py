"""A raw subscriber connection for the pub/sub tests: sends SUBSCRIBE / PSUBSCRIBE / ... and
reads the frames the server pushes (RESP2 arrays, or RESP3 `>` pushes after HELLO 3) one by
one, with a bounded wait.

Not a test_*.py file: the test runner does not run it on its own.
"""
import time

from resp3_push_client import Resp3Client


class Subscriber:
    """One connection in subscribed mode. Frames are lists of bytes/ints, as the server sent
    them: [b"message", channel, payload], [b"pmessage", pattern, channel, payload],
    [b"subscribe", channel, count] ... Errors come back as ("error", text). Not thread-safe:
    one thread reads a Subscriber."""

    def __init__(self, port, resp3=False):
        self.conn = Resp3Client(port, hello=resp3)
        self.resp3 = resp3
        self.kinds = set()  # the RESP type bytes of every frame read (">" pushes, "*" arrays)

    def close(self):
        self.conn.close()

    def _frame(self, timeout):
        """The next frame, or None when nothing complete arrived within `timeout` seconds
        (a partial frame stays buffered for the next read)."""
        got = self.conn.read_frame(time.monotonic() + timeout)
        if got is None:
            return None
        kind, value = got
        self.kinds.add(kind)
        return value

    def command(self, *args, frames=None):
        """Sends one command and returns its confirmation frames: one per channel/pattern
        argument (SUBSCRIBE a b -> 2 frames), or `frames` of them when given (UNSUBSCRIBE with
        no argument: one per subscription the connection had). Raises if one is missing."""
        self.conn.send(*args)
        want = frames if frames is not None else max(1, len(args) - 1)
        out = []
        for _ in range(want):
            f = self._frame(30)
            if f is None:
                raise AssertionError(f"{args}: {len(out)} of {want} confirmations in 30 s")
            out.append(f)
        return out

    def subscribe(self, *channels):
        return self.command("SUBSCRIBE", *channels)

    def psubscribe(self, *patterns):
        return self.command("PSUBSCRIBE", *patterns)

    def next(self, timeout=20.0):
        """The next frame (a message or anything else), or None after `timeout` seconds: a
        bound for a hung test, never a timing assertion."""
        return self._frame(timeout)

    def messages(self, n, timeout=60.0):
        """Reads until n frames arrived or `timeout` seconds passed without a new one; returns
        what arrived (fewer than n on a timeout: the caller's assertion reports it)."""
        out = []
        while len(out) < n:
            f = self._frame(timeout)
            if f is None:
                break
            out.append(f)
        return out


def numsub(client, channel):
    """PUBSUB NUMSUB of one channel through a redis-py client."""
    reply = client.execute_command("PUBSUB", "NUMSUB", channel)
    if reply and isinstance(reply[0], tuple):  # redis-py's parsed form [(channel, n)]
        return int(reply[0][1])
    return int(reply[1])


def numpat(client):
    return int(client.execute_command("PUBSUB", "NUMPAT"))


def channels(client, pattern=None):
    args = ["PUBSUB", "CHANNELS"] + ([pattern] if pattern is not None else [])
    return sorted(c if isinstance(c, bytes) else c.encode()
                  for c in client.execute_command(*args))


def wait_value(fn, expected, timeout=30.0, what="value"):
    """Polls fn() until it returns `expected` (bounded); returns the last value seen so the
    caller can assert on it (a timeout is then an assertion failure naming both values)."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            last = fn()
        except Exception as e:  # a node may refuse connections meanwhile
            last = e
        if last == expected or time.monotonic() > deadline:
            return last
        time.sleep(0.05)
