"""The wire protocol against a standalone node, through raw sockets and real tools
(redis-py, redis-cli, redis-benchmark), with Debian's redis-server 7.0 as the reference
where the two must answer alike."""
import re
import socket
import subprocess
import time
import unittest

import redis

from differential import AgainstRedisTestCase, raw_client


class RespReader:
    """A minimal RESP2 reply reader over a blocking socket. Replies keep their type: a
    simple string is ("+", text), an error ("error", text), a null array ("*", None); bulk
    strings are bytes (None when null), integers ints, arrays lists."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed")
        self.buf += chunk

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def read(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return ("+", rest)
        if kind == b"-":
            return ("error", rest)
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n)
        if kind == b"*":
            n = int(rest)
            return ("*", None) if n < 0 else [self.read() for _ in range(n)]
        raise AssertionError(f"unexpected reply line {line!r}")


def encode(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_until_closed(sock, limit=1 << 20):
    """Everything the server sends until it closes the connection (b'' from recv)."""
    data = b""
    while len(data) < limit:
        chunk = sock.recv(65536)
        if not chunk:
            return data, True
        data += chunk
    return data, False


class Protocol(AgainstRedisTestCase):
    def setUp(self):
        self.client = self.node.client()
        self.client.flushall()

    def tearDown(self):
        self.client.close()

    def both(self, fn):
        """fn(port) on PetaCore and on Redis; returns (petacore result, redis result)."""
        return fn(self.node.port), fn(self.redis.port)

    # --- framing -------------------------------------------------------------------------

    def test_pipeline_1000_in_order(self):
        with connect(self.node.port) as s:
            reqs = []
            for i in range(500):
                reqs.append(encode("INCR", "pipe:counter"))
                reqs.append(encode("ECHO", f"msg-{i}"))
            s.sendall(b"".join(reqs))  # one send
            r = RespReader(s)
            replies = [r.read() for _ in range(1000)]
        for i in range(500):
            self.assertEqual(replies[2 * i], i + 1)
            self.assertEqual(replies[2 * i + 1], f"msg-{i}".encode())
        self.assertEqual(self.client.get("pipe:counter"), b"500")

    def test_inline_commands(self):
        script = (b"SET k v\r\n"
                  b"GET k\r\n"
                  b"SET \"a b\" 'c d'\r\n"
                  b"GET \"a b\"\r\n"
                  b"ECHO \"\\x41\\x42\\n\"\r\n"
                  b"  PING   \r\n"
                  b"ECHO lf-only\n"
                  b"\r\n"  # an empty line is skipped, no reply
                  b"MGET k \"a b\" missing\r\n"
                  b"ECHO ''\r\n")

        def run(port):
            with connect(port) as s:
                s.sendall(script)
                r = RespReader(s)
                return [r.read() for _ in range(9)]

        mine, theirs = self.both(run)
        self.assertEqual(mine, theirs)
        self.assertEqual(mine[:4], [("+", b"OK"), b"v", ("+", b"OK"), b"c d"])
        self.assertEqual(mine[4], b"AB\n")

    def test_split_into_single_bytes(self):
        payload = encode("SET", "split", "x" * 30) + encode("GET", "split") + b"ECHO inline\r\n"
        with connect(self.node.port) as s:
            for i in range(len(payload)):
                s.sendall(payload[i:i + 1])
            r = RespReader(s)
            self.assertEqual(r.read(), ("+", b"OK"))
            self.assertEqual(r.read(), b"x" * 30)
            self.assertEqual(r.read(), b"inline")

    def test_10mb_value_round_trip(self):
        value = bytes(range(256)) * (10 * 1024 * 1024 // 256)
        self.assertTrue(self.client.set("big", value))
        self.assertEqual(self.client.strlen("big"), len(value))
        self.assertEqual(self.client.get("big"), value)
        self.assertEqual(self.client.getrange("big", 5_000_000, 5_000_009),
                         value[5_000_000:5_000_010])
        self.assertEqual(self.client.ping(), True)  # the connection is still usable

    # --- protocol errors -----------------------------------------------------------------

    def check_protocol_error(self, data, expected):
        def run(port):
            with connect(port) as s:
                s.sendall(data)
                return read_until_closed(s)

        (mine, closed), (theirs, theirs_closed) = self.both(run)
        self.assertTrue(theirs_closed, f"reference redis kept {data!r} open")
        self.assertTrue(closed, f"petacore did not close after {data!r}")
        self.assertEqual(mine, theirs, f"input {data!r}")
        self.assertTrue(mine.endswith(expected + b"\r\n"), mine)

    def test_protocol_errors_close_the_connection(self):
        cases = [
            (b"*1\r\n$abc\r\nPING\r\n", b"-ERR Protocol error: invalid bulk length"),
            (b"*1\r\n$-5\r\n", b"-ERR Protocol error: invalid bulk length"),
            (b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$99999999999\r\n",
             b"-ERR Protocol error: invalid bulk length"),
            (b"*abc\r\n", b"-ERR Protocol error: invalid multibulk length"),
            (b"*2147483648\r\n", b"-ERR Protocol error: invalid multibulk length"),
            (b"*1\r\nx\r\n", b"-ERR Protocol error: expected '$', got 'x'"),
            (b"*2\r\n$4\r\nECHO\r\n:5\r\n", b"-ERR Protocol error: expected '$', got ':'"),
            (b"PING\r\n*1\r\n$x\r\n", b"-ERR Protocol error: invalid bulk length"),
            (b"SET \"abc k\r\n", b"-ERR Protocol error: unbalanced quotes in request"),
        ]
        for data, expected in cases:
            with self.subTest(data=data):
                self.check_protocol_error(data, expected)
        # The server is still fine for others.
        self.assertTrue(self.client.ping())

    def test_more_than_a_million_arguments(self):
        n = 1024 * 1024 + 10
        data = b"*%d\r\n$6\r\nEXISTS\r\n" % n + b"$1\r\nx\r\n" * (n - 1)

        def run(port):
            with connect(port) as s:
                s.sendall(data)
                return RespReader(s).read()

        mine, theirs = self.both(run)
        self.assertEqual(theirs, 0)
        self.assertEqual(mine, theirs)

    def test_empty_multibulk_is_ignored(self):
        def run(port):
            with connect(port) as s:
                s.sendall(b"*0\r\n*-1\r\nPING\r\n")
                return RespReader(s).read()

        self.assertEqual(*self.both(run))

    # --- real tools ------------------------------------------------------------------------

    def cli(self, port, *args):
        return subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True,
                              text=True, timeout=60)

    def test_redis_cli(self):
        rr = self.redis.client()
        rr.flushall()
        for args in (["--no-raw", "SET", "n", "5"], ["--no-raw", "GET", "n"],
                     ["--no-raw", "INCR", "n"], ["--no-raw", "GET", "missing"],
                     ["--no-raw", "MGET", "n", "missing"], ["--no-raw", "INCR", "clikey2"],
                     ["--no-raw", "APPEND", "clikey2", "x"], ["--no-raw", "INCR", "clikey2"],
                     ["--no-raw", "KEYS", "n"], ["--no-raw", "TYPE", "n"],
                     ["--no-raw", "NOSUCHCMD"], ["--no-raw", "DBSIZE"]):
            mine, theirs = self.both(lambda p, a=args: self.cli(p, *a))
            self.assertEqual(mine.stdout, theirs.stdout, args)
        out = self.cli(self.node.port, "--no-raw", "GET", "n").stdout
        self.assertEqual(out.strip(), '"6"')
        self.assertEqual(self.node.cli("SET", "clikey", "hello world").strip(), "OK")
        self.assertEqual(self.node.cli("GET", "clikey").strip(), "hello world")
        # Piped commands (redis-cli reads them from stdin).
        out = subprocess.run(["redis-cli", "-p", str(self.node.port)],
                             input="SET p1 a\nAPPEND p1 b\nGET p1\n", capture_output=True,
                             text=True, timeout=60).stdout
        self.assertEqual(out.split(), ["OK", "2", "ab"])

    def test_redis_benchmark(self):
        out = subprocess.run(["redis-benchmark", "-p", str(self.node.port), "-t", "set,get",
                              "-n", "20000", "-q"], capture_output=True, text=True,
                             timeout=120)
        text = out.stdout + out.stderr
        self.assertEqual(out.returncode, 0, text)
        self.assertNotIn("ERR", text)
        self.assertNotIn("error", text.lower())
        self.assertRegex(text, r"SET: [\d.]+ requests per second")
        self.assertRegex(text, r"GET: [\d.]+ requests per second")
        self.assertEqual(self.client.strlen("key:__rand_int__"), 3)  # -d default: 3 bytes

    # --- introspection ---------------------------------------------------------------------

    def raw(self, port=None):
        return raw_client(port or self.node.port)

    def test_time(self):
        c = self.raw()
        secs, micros = c.execute_command("TIME")
        self.assertLess(abs(int(secs) - time.time()), 60)  # the node's clock, in seconds
        self.assertTrue(0 <= int(micros) < 1000000)
        self.assertIn(b"time", set(c.execute_command("COMMAND", "LIST")))
        with self.assertRaises(redis.ResponseError) as cm:
            c.execute_command("TIME", "x")
        self.assertEqual(str(cm.exception), "wrong number of arguments for 'time' command")
        c.close()

    def test_command(self):
        c = self.raw()
        self.assertGreater(c.execute_command("COMMAND", "COUNT"), 30)
        info = c.execute_command("COMMAND", "INFO", "get")
        self.assertEqual(info[0][0], b"get")
        self.assertEqual(info[0][1], 2)
        self.assertIn(b"readonly", info[0][2])
        self.assertEqual(info[0][3:6], [1, 1, 1])
        set_info, missing = c.execute_command("COMMAND", "INFO", "SET", "nosuch")
        self.assertEqual(set_info[1], -3)
        self.assertIn(b"write", set_info[2])
        self.assertIsNone(missing)
        mset = c.execute_command("COMMAND", "INFO", "mset")[0]
        self.assertEqual(mset[1:2] + mset[3:6], [-3, 1, -1, 2])
        names = c.execute_command("COMMAND")
        self.assertEqual(len(names), c.execute_command("COMMAND", "COUNT"))
        listed = set(c.execute_command("COMMAND", "LIST"))
        for name in (b"get", b"set", b"multi", b"exec", b"watch", b"incrbyfloat", b"keys"):
            self.assertIn(name, listed)
        c.close()

    def error_text(self, port, *args):
        s = connect(port)
        try:
            s.sendall(encode(*args))
            return RespReader(s).read()
        finally:
            s.close()

    def test_subcommand_errors_match_redis(self):
        for args in (["CLIENT", "NOSUCH"], ["CLIENT", "SETNAME"], ["CLIENT", "GETNAME", "x"],
                     ["CLIENT", "ID", "x"], ["CONFIG", "NOSUCH"], ["CONFIG", "GET"],
                     ["COMMAND", "NOSUCH"], ["COMMAND", "COUNT", "x"], ["CLIENT"],
                     ["CONFIG"], ["CLIENT", "SETNAME", "a b"], ["HELLO", "x"], ["HELLO", "4"],
                     ["HELLO", "2", "FOO"], ["HELLO", "2", "SETNAME", "bad name"]):
            mine, theirs = self.both(lambda p, a=args: self.error_text(p, *a))
            self.assertEqual(mine, theirs, args)
            self.assertEqual(mine[0], "error", args)

    def test_client_commands(self):
        c = self.raw()
        other = self.raw()
        my_id = c.execute_command("CLIENT", "ID")
        other_id = other.execute_command("CLIENT", "ID")
        self.assertIsInstance(my_id, int)
        self.assertNotEqual(my_id, other_id)
        self.assertIsNone(c.execute_command("CLIENT", "GETNAME"))
        self.assertEqual(c.execute_command("CLIENT", "SETNAME", "tester-1"), b"OK")
        self.assertEqual(c.execute_command("CLIENT", "GETNAME"), b"tester-1")
        with self.assertRaises(redis.ResponseError):
            c.execute_command("CLIENT", "SETNAME", "has space")
        self.assertEqual(c.execute_command("CLIENT", "GETNAME"), b"tester-1")
        listing = c.execute_command("CLIENT", "LIST").decode()
        lines = [l for l in listing.split("\n") if l]
        self.assertGreaterEqual(len(lines), 2)
        mine = [l for l in lines if re.search(rf"\bid={my_id}\b", l)]
        self.assertEqual(len(mine), 1, listing)
        self.assertIn("name=tester-1", mine[0])
        self.assertRegex(mine[0], r"addr=127\.0\.0\.1:\d+")
        self.assertRegex(mine[0], r"\bdb=0\b")
        self.assertTrue(any(re.search(rf"\bid={other_id}\b", l) for l in lines))
        # An empty name clears it, as in Redis.
        self.assertEqual(c.execute_command("CLIENT", "SETNAME", ""), b"OK")
        self.assertIsNone(c.execute_command("CLIENT", "GETNAME"))
        c.close()
        other.close()

    def test_hello(self):
        c = self.raw()
        reply = c.execute_command("HELLO", "2")
        fields = dict(zip(reply[::2], reply[1::2]))
        self.assertEqual(fields[b"proto"], 2)
        self.assertEqual(fields[b"server"], b"redis")
        self.assertEqual(fields[b"id"], c.execute_command("CLIENT", "ID"))
        self.assertIn(b"version", fields)
        reply = c.execute_command("HELLO", "2", "SETNAME", "via-hello")
        self.assertEqual(c.execute_command("CLIENT", "GETNAME"), b"via-hello")
        with self.assertRaises(redis.ResponseError) as ctx:
            c.execute_command("HELLO", "4")
        self.assertEqual(str(ctx.exception), "NOPROTO unsupported protocol version")
        self.assertEqual(c.execute_command("PING"), b"PONG")  # still RESP2
        c.close()
        # HELLO with no version answers the RESP2 map too; HELLO 3 a RESP3 map (test_resp3).
        s = connect(self.node.port)
        try:
            s.sendall(b"HELLO\r\n")
            self.assertTrue(s.recv(1).startswith(b"*"))
        finally:
            s.close()

    def test_info(self):
        c = self.raw()
        c.execute_command("SET", "info:key", "1")
        c.execute_command("SELECT", "5")
        c.execute_command("SET", "info:key5", "1")
        c.execute_command("SET", "info:key6", "1")
        text = c.execute_command("INFO").decode()
        for section in ("Server", "Clients", "Memory", "Stats", "Keyspace", "PetaCore"):
            self.assertIn(f"# {section}\r\n", text)
        self.assertRegex(text, r"\r\ndb0:keys=1,expires=0,avg_ttl=0\r\n")
        self.assertRegex(text, r"\r\ndb5:keys=2,")
        self.assertNotIn("db1:", text)
        self.assertRegex(text, r"redis_version:\d+\.\d+\.\d+")
        self.assertRegex(text, rf"tcp_port:{self.node.port}\r\n")
        self.assertRegex(text, r"connected_clients:[1-9]")
        self.assertIn("mode:standalone", text)
        one = c.execute_command("INFO", "keyspace").decode()
        self.assertTrue(one.startswith("# Keyspace\r\n"), one)
        self.assertNotIn("# Server", one)
        self.assertIn("db5:keys=2", one)
        # redis-py's parser understands it.
        parsed = self.node.client().info()
        self.assertEqual(parsed["db0"]["keys"], 1)
        c.close()

    def test_config_get(self):
        for args in (["CONFIG", "GET", "save"], ["CONFIG", "GET", "appendonly"],
                     ["CONFIG", "GET", "databases"], ["CONFIG", "GET", "nosuchparam"]):
            mine, theirs = self.both(lambda p, a=args: self.raw(p).execute_command(*a))
            self.assertEqual(mine, theirs, args)
        self.assertEqual(self.raw().execute_command("CONFIG", "GET", "save"), [b"save", b""])
        self.assertEqual(self.raw().execute_command("CONFIG", "GET", "appendonly"),
                         [b"appendonly", b"no"])

    def test_quit(self):
        with connect(self.node.port) as s:
            s.sendall(encode("QUIT") + encode("PING"))
            data, closed = read_until_closed(s)
        self.assertTrue(closed)
        self.assertEqual(data, b"+OK\r\n")


if __name__ == "__main__":
    unittest.main()
