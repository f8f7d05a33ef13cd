"""Streams (issue 15, first slice): XADD, XRANGE, XREVRANGE, XLEN, XDEL, XTRIM, XSETID, XREAD
(with BLOCK) and the consumer-group commands, differentially against redis-server 7.0.15:
replies compared as raw RESP bytes (RESP2 and RESP3), so error texts and reply shapes must
match exactly. Generated IDs (`*`) are compared structurally: the random sequences use
explicit and `<ms>-*` IDs, which both servers resolve the same way.

An approximate MAXLEN trim (`~`) removes whole hundreds of entries, as Redis frees whole
100-entry nodes: for streams built by XADD the lengths are Redis's (compared here). An
approximate MINID trim is exact up to LIMIT (Redis keeps the node holding the boundary):
docs/consistency.md "Streams".
"""
import random
import re
import time
import unittest

from differential import AgainstRedisTestCase
from resp_wire import RawConn, WireConn


ID_RE = re.compile(rb"^\$\d+\r\n(\d+)-(\d+)\r\n$")


def parse(raw):
    """A raw RESP2/RESP3 reply as Python values (aggregates as lists, maps flattened,
    errors as ("error", text)), for the comparisons that mask time-dependent fields."""
    def value(pos):
        eol = raw.index(b"\r\n", pos)
        kind, head, pos = raw[pos:pos + 1], raw[pos + 1:eol], eol + 2
        if kind in (b"$", b"=", b"!"):
            n = int(head)
            if n < 0:
                return None, pos
            return raw[pos:pos + n], pos + n + 2
        if kind in (b"*", b"%", b"~", b">"):
            n = int(head)
            if n < 0:
                return None, pos
            out = []
            for _ in range(n * (2 if kind == b"%" else 1)):
                v, pos = value(pos)
                out.append(v)
            return out, pos
        if kind == b":":
            return int(head), pos
        if kind == b"-":
            return ("error", head), pos
        if kind == b"_":
            return None, pos
        return head, pos
    return value(0)[0]


TIME = "<time>"


def mask_times(args, reply):
    """`reply` (parsed) with the fields that depend on the clock replaced by TIME: idle times
    (XPENDING extended, XINFO CONSUMERS), delivery and seen times (XINFO STREAM FULL), and
    XINFO STREAM's radix-tree sizes (Redis's memory layout)."""
    name = args[0].upper()
    if not isinstance(reply, list):
        return reply
    if name == "XPENDING" and len(args) > 3:
        return [[i[0], i[1], TIME, i[3]] for i in reply]
    if name == "XINFO":

        def walk(v):
            if not isinstance(v, list):
                return v
            out = list(v)
            for k in range(0, len(out) - 1):
                if out[k] in (b"idle", b"seen-time", b"radix-tree-keys", b"radix-tree-nodes"):
                    out[k + 1] = TIME
            for k, item in enumerate(out):
                if isinstance(item, list):
                    if len(item) in (3, 4) and all(isinstance(x, (bytes, int)) for x in item) \
                            and isinstance(item[0], bytes) and b"-" in item[0]:
                        item = list(item)
                        item[-2] = TIME  # a PEL entry's delivery time
                        out[k] = item
                    else:
                        out[k] = walk(item)
            return out
        return walk(reply)
    return reply


class StreamsAgainstRedis(AgainstRedisTestCase):
    def setUp(self):
        self.pc = RawConn(self.node.port)
        self.rr = RawConn(self.redis.port)
        self.both("FLUSHALL")

    def tearDown(self):
        self.pc.close()
        self.rr.close()

    def both(self, *args):
        return self.pc.call(*args), self.rr.call(*args)

    def same(self, *args):
        got, want = self.both(*args)
        self.assertEqual(got, want, f"{args!r}: petacore {got!r} != redis {want!r}")
        return got

    def test_basics_and_errors(self):
        script = [
            ("XADD", "s", "1-1", "a", "1", "b", "2"), ("XADD", "s", "1-*", "c", "3"),
            ("XADD", "s", "1", "c", "3"), ("XADD", "s", "1-2", "c", "3"),
            ("XADD", "s", "0-0", "c", "3"), ("XADD", "s", "0-*", "c", "3"),
            ("XADD", "s", "2-5", "x", "y"), ("XADD", "s", "2-5", "x"),
            ("XADD", "s", "3-x", "x", "y"), ("XADD", "s", "-", "x", "y"),
            ("XADD", "s", "+", "x", "y"), ("XADD", "s", "1-2-3", "x", "y"),
            ("XADD", "s", "007-1", "x", "y"), ("XADD", "s"), ("XADD", "s", "*"),
            ("XADD", "s", "MAXLEN", "x", "*", "a", "b"),
            ("XADD", "s", "MAXLEN", "-1", "*", "a", "b"),
            ("XADD", "s", "MAXLEN", "1", "MINID", "1", "*", "a", "b"),
            ("XADD", "s", "MAXLEN", "=", "1", "LIMIT", "5", "*", "a", "b"),
            ("XADD", "s", "MAXLEN", "~", "1", "LIMIT", "-5", "*", "a", "b"),
            ("XADD", "s", "MINID", "+", "*", "a", "b"),
            ("XADD", "nokey", "NOMKSTREAM", "*", "a", "b"), ("EXISTS", "nokey"),
            ("XLEN", "s"), ("XLEN", "nokey"),
            ("XRANGE", "s", "-", "+"), ("XRANGE", "s", "(1-1", "+"), ("XRANGE", "s", "-", "(2-5"),
            ("XRANGE", "s", "1", "1"), ("XRANGE", "s", "(-", "+"), ("XRANGE", "s", "-", "(+"),
            ("XRANGE", "s", "(18446744073709551615-18446744073709551615", "+"),
            ("XRANGE", "s", "-", "(0-0"),
            ("XRANGE", "s", "-", "+", "COUNT", "2"), ("XRANGE", "s", "-", "+", "COUNT", "0"),
            ("XRANGE", "s", "-", "+", "COUNT", "-3"), ("XRANGE", "s", "-", "+", "COUNT"),
            ("XRANGE", "s", "-", "+", "LIMIT", "1"), ("XRANGE", "s", "x", "+"),
            ("XRANGE", "nokey", "-", "+"), ("XREVRANGE", "s", "+", "-"),
            ("XREVRANGE", "s", "+", "-", "COUNT", "1"), ("XREVRANGE", "s", "(2-5", "-"),
            ("XREVRANGE", "s", "1-2", "1-1"), ("XREVRANGE", "nokey", "+", "-"),
            ("SET", "str", "v"), ("XADD", "str", "*", "a", "b"), ("XLEN", "str"),
            ("XRANGE", "str", "-", "+"), ("XDEL", "str", "1-1"), ("XTRIM", "str", "MAXLEN", "0"),
            ("XSETID", "str", "1-1"), ("XREAD", "STREAMS", "str", "0"),
            ("TYPE", "s"), ("OBJECT", "ENCODING", "s"),
            ("XDEL", "s", "1-2", "9-9"), ("XDEL", "s", "bad"), ("XDEL", "nokey", "bad"),
            ("XDEL", "s", "1-1", "bad"), ("XRANGE", "s", "-", "+"),
            ("XTRIM", "s"), ("XTRIM", "s", "MAXLEN"), ("XTRIM", "s", "FOO", "1"),
            ("XTRIM", "s", "LIMIT", "1"), ("XTRIM", "s", "MAXLEN", "5", "LIMIT", "1"),
            ("XTRIM", "nokey", "MAXLEN", "0"), ("XTRIM", "s", "MAXLEN", "10"),
            ("XTRIM", "s", "MINID", "2-0"), ("XRANGE", "s", "-", "+"),
            ("XSETID", "s", "1-0"), ("XSETID", "s", "2-5"), ("XSETID", "nokey", "1-1"),
            ("XSETID", "s", "9-0", "ENTRIESADDED", "-1"),
            ("XSETID", "s", "9-0", "ENTRIESADDED", "0"),
            ("XSETID", "s", "9-0", "MAXDELETEDID", "10-0"),
            ("XSETID", "s", "9-0", "MAXDELETEDID", "x"), ("XSETID", "s", "9-0", "FOO", "1"),
            ("XSETID", "s", "-"), ("XSETID", "s", "9-0", "ENTRIESADDED", "12",
                                    "MAXDELETEDID", "4-0"),
            ("XADD", "s", "9-*", "a", "b"), ("XADD", "s", "9-0", "a", "b"),
            ("XADD", "s", "10-*", "a", "b"),
            ("XREAD", "STREAMS", "s", "0"), ("XREAD", "COUNT", "1", "STREAMS", "s", "0"),
            ("XREAD", "STREAMS", "s", "nokey", "0", "0"), ("XREAD", "STREAMS", "s", "$"),
            ("XREAD", "STREAMS", "s", "nokey", "$", "$"), ("XREAD", "STREAMS", "s"),
            ("XREAD", "STREAMS", "s", ">"), ("XREAD", "STREAMS", "s", "+"),
            ("XREAD", "COUNT", "x", "STREAMS", "s", "0"), ("XREAD", "BLOCK", "x", "STREAMS",
                                                           "s", "0"),
            ("XREAD", "BLOCK", "-1", "STREAMS", "s", "0"), ("XREAD", "FOO", "STREAMS", "s", "0"),
            ("XREAD", "GROUP", "g", "c", "STREAMS", "s", "0"),
            ("XREAD", "NOACK", "STREAMS", "s", "0"), ("XREAD", "COUNT", "1", "s"),
            ("XREAD", "STREAMS", "s", "10-0"),
            ("XSETID", "s", "18446744073709551615-18446744073709551615"),
            ("XADD", "s", "*", "a", "b"),
        ]
        for args in script:
            self.same(*args)

    def test_resp3_shapes(self):
        pc3, rr3 = RawConn(self.node.port, 3), RawConn(self.redis.port, 3)
        try:
            for conn in (pc3, rr3):
                conn.call("XADD", "s", "1-1", "a", "1")
                conn.call("XADD", "t", "2-1", "b", "2")
            for args in [("XGROUP", "CREATE", "s", "g", "0"),
                         ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"),
                         ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"),
                         ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "0"),
                         ("XPENDING", "s", "g"), ("XINFO", "GROUPS", "s"),
                         ("XAUTOCLAIM", "s", "g", "c", "0", "0", "JUSTID"),
                         ("XINFO", "STREAM", "s"), ("XINFO", "HELP"),
                         ("XREAD", "STREAMS", "s", "t", "0", "0"), ("XREAD", "STREAMS", "s", "$"),
                         ("XRANGE", "s", "-", "+"), ("XRANGE", "s", "-", "+", "COUNT", "0"),
                         ("XREAD", "BLOCK", "10", "STREAMS", "s", "$")]:
                self.assertEqual(pc3.call(*args), rr3.call(*args), args)
        finally:
            pc3.close()
            rr3.close()

    def test_random_sequences(self):
        """Seeded random XADD / XDEL / XTRIM / XRANGE / XREVRANGE / XREAD / XSETID on a few
        keys, with explicit and <ms>-* IDs; every reply compared."""
        keys = ["s1", "s2", "s3"]
        for seed in range(1, 6):
            with self.subTest(seed=seed):
                self.both("FLUSHALL")
                rng = random.Random(seed)
                history = []

                def rid(maxms=40):
                    r = rng.random()
                    if r < 0.1:
                        return rng.choice(["-", "+", "0", "x-1", "(1-1"])
                    ms = rng.randint(0, maxms)
                    return f"{ms}-{rng.randint(0, 3)}" if rng.random() < 0.7 else str(ms)

                def bound():
                    b = rid()
                    return "(" + b if rng.random() < 0.2 and b not in "-+" else b

                for i in range(300):
                    k = rng.choice(keys)
                    op = rng.random()
                    if op < 0.35:
                        args = ["XADD", k]
                        if rng.random() < 0.1:
                            args.append("NOMKSTREAM")
                        if rng.random() < 0.15:
                            args += rng.choice([["MAXLEN", str(rng.randint(0, 6))],
                                                ["MAXLEN", "=", str(rng.randint(0, 6))],
                                                ["MINID", rid()]])
                        args.append(rng.choice([rid(), f"{rng.randint(0, 40)}-*"]))
                        for _ in range(rng.randint(1, 3)):
                            args += [rng.choice("abc"), str(rng.randint(0, 9))]
                    elif op < 0.45:
                        args = ["XDEL", k] + [rid() for _ in range(rng.randint(1, 3))]
                    elif op < 0.5:
                        args = ["XTRIM", k, rng.choice(["MAXLEN", "MINID"])]
                        args.append(str(rng.randint(0, 6)) if args[2] == "MAXLEN" else rid())
                    elif op < 0.65:
                        args = ["XRANGE", k, bound(), bound()]
                        if rng.random() < 0.4:
                            args += ["COUNT", str(rng.randint(-1, 4))]
                    elif op < 0.8:
                        args = ["XREVRANGE", k, bound(), bound()]
                        if rng.random() < 0.4:
                            args += ["COUNT", str(rng.randint(-1, 4))]
                    elif op < 0.9:
                        ks = rng.sample(keys, rng.randint(1, 3))
                        args = ["XREAD"]
                        if rng.random() < 0.5:
                            args += ["COUNT", str(rng.randint(0, 3))]
                        args += ["STREAMS"] + ks + [rng.choice([rid(), "$"]) for _ in ks]
                    elif op < 0.94:
                        args = ["XSETID", k, rid(60)]
                        if rng.random() < 0.3:
                            args += ["ENTRIESADDED", str(rng.randint(0, 30))]
                        if rng.random() < 0.3:
                            args += ["MAXDELETEDID", rid()]
                    elif op < 0.97:
                        args = ["XLEN", k]
                    else:
                        args = [rng.choice(["DEL", "TYPE", "EXISTS"]), k]
                    history.append(args)
                    got, want = self.both(*args)
                    self.assertEqual(got, want, f"seed {seed} op {i}: {args!r}\n"
                                     f"  petacore {got!r}\n  redis    {want!r}\n"
                                     f"  last: {history[-6:]!r}")
                for k in keys:
                    self.same("XRANGE", k, "-", "+")
                    self.same("XLEN", k)

    def test_generated_ids(self):
        """`*` IDs: the node's clock, increasing; past the clock (XSETID into the future, as
        after a clock step back) the next sequence of the last ID — the same as Redis."""
        before = int(time.time() * 1000)
        ids = []
        for _ in range(20):
            m = ID_RE.match(self.pc.call("XADD", "s", "*", "f", "v"))
            self.assertIsNotNone(m)
            ids.append((int(m.group(1)), int(m.group(2))))
        self.assertEqual(ids, sorted(set(ids)))
        self.assertGreaterEqual(ids[0][0], before - 1000)
        self.assertLessEqual(ids[-1][0], int(time.time() * 1000) + 1000)
        self.both("DEL", "s")
        self.same("XADD", "s", "99999999999999-5", "f", "v")
        self.same("XADD", "s", "*", "f", "v")
        self.same("XADD", "s", "*", "f", "v")
        self.same("XADD", "s", "99999999999999-*", "f", "v")
        self.same("XSETID", "s", "99999999999999-18446744073709551615")
        self.same("XADD", "s", "*", "f", "v")
        self.same("XADD", "s", "99999999999999-*", "f", "v")
        self.same("XRANGE", "s", "-", "+")

    def test_approximate_trims(self):
        for i in range(1, 251):
            self.both("XADD", "s", f"{i}-1", "f", str(i))
        self.same("XTRIM", "s", "MAXLEN", "~", "100")  # 100 removed: one whole node
        self.same("XLEN", "s")
        self.same("XTRIM", "s", "MAXLEN", "~", "100")  # 50 over: nothing, as Redis
        for i in range(251, 1001):  # XADD MAXLEN ~'s steady state: a trim per 100 additions
            self.same("XADD", "s", "MAXLEN", "~", "300", f"{i}-1", "f", str(i))
            if i % 50 == 0:
                self.same("XLEN", "s")
        self.same("XRANGE", "s", "-", "+", "COUNT", "3")
        self.same("XTRIM", "s", "MAXLEN", "~", "0")
        self.same("XLEN", "s")
        # LIMIT bounds what one call removes (an approximate MINID trim is exact up to it).
        for i in range(1, 251):
            self.pc.call("XADD", "m", f"{i}-1", "f", str(i))
        self.assertEqual(self.pc.call("XTRIM", "m", "MINID", "~", "200-0", "LIMIT", "30"),
                         b":30\r\n")
        self.assertTrue(self.pc.call("XRANGE", "m", "-", "+", "COUNT", "1").startswith(
            b"*1\r\n*2\r\n$4\r\n31-1\r\n"))
        # A large exact trim is one range delete.
        for i in range(1, 3251):
            self.pc.send("XADD", "big", f"{i}-1", "f", "v")
        for _ in range(1, 3251):
            self.pc.read_value()
        self.assertEqual(self.pc.call("XTRIM", "big", "MAXLEN", "10"), b":3240\r\n")
        self.assertTrue(self.pc.call("XRANGE", "big", "-", "+", "COUNT", "1").startswith(
            b"*1\r\n*2\r\n$6\r\n3241-1\r\n"))

    def test_exact_trims_as_redis(self):
        """MAXLEN = n in XADD's steady state (one entry removed per call) and large cuts in
        either direction leave exactly Redis's entries."""
        for i in range(1, 301):
            self.same("XADD", "s", "MAXLEN", "=", "100", f"{i}-1", "f", str(i))
        self.same("XLEN", "s")
        self.same("XRANGE", "s", "-", "+", "COUNT", "3")
        self.same("XTRIM", "s", "MAXLEN", "90")
        self.same("XTRIM", "s", "MAXLEN", "3")
        self.same("XRANGE", "s", "-", "+")
        self.same("XTRIM", "s", "MINID", "299-1")
        self.same("XTRIM", "s", "MAXLEN", "0")
        self.same("XINFO", "STREAM", "s")

    def test_generic_commands(self):
        self.same("XADD", "s", "1-1", "a", "1")
        self.same("XADD", "s", "2-1", "b", "2")
        self.same("XDEL", "s", "2-1")
        for args in [("TYPE", "s"), ("OBJECT", "ENCODING", "s"), ("SCAN", "0", "TYPE", "stream"),
                     ("COPY", "s", "c"), ("XRANGE", "c", "-", "+"), ("XLEN", "c"),
                     ("XADD", "c", "2-1", "x", "y"), ("XADD", "c", "2-2", "x", "y"),
                     ("RENAME", "c", "d"), ("XRANGE", "d", "-", "+"), ("EXISTS", "c"),
                     ("EXPIRE", "d", "100"), ("TTL", "d"), ("PERSIST", "d"), ("TTL", "d"),
                     ("MOVE", "d", "1"), ("EXISTS", "d"), ("SELECT", "1"),
                     ("XRANGE", "d", "-", "+"), ("MOVE", "d", "0"), ("SELECT", "0"),
                     ("DEL", "d"), ("EXISTS", "d"), ("XDEL", "s", "1-1"), ("XLEN", "s"),
                     ("EXISTS", "s"), ("TYPE", "s"), ("XADD", "s", "1-1", "a", "1"),
                     ("XRANGE", "s", "-", "+")]:
            self.same(*args)

    def test_multi_exec(self):
        for args in [("MULTI",), ("XADD", "s", "1-1", "a", "1"), ("XLEN", "s"),
                     ("XREAD", "BLOCK", "0", "STREAMS", "s", "$"), ("XRANGE", "s", "-", "+"),
                     ("EXEC",)]:
            self.same(*args)

    def test_scripts(self):
        for args in [("EVAL", "return redis.call('XADD', KEYS[1], '1-1', 'a', 'b')", "1", "s"),
                     ("EVAL", "return redis.call('XRANGE', KEYS[1], '-', '+')", "1", "s"),
                     ("EVAL", "return redis.call('XGROUP', 'CREATE', KEYS[1], 'g', '0')", "1",
                      "s"),
                     ("EVAL", "return redis.call('XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', "
                              "KEYS[1], '>')", "1", "s"),
                     ("EVAL", "return redis.call('XPENDING', KEYS[1], 'g')", "1", "s"),
                     ("EVAL", "return redis.call('XACK', KEYS[1], 'g', '1-1')", "1", "s"),
                     ("EVAL_RO", "return redis.call('XLEN', KEYS[1])", "1", "s"),
                     ("EVAL_RO", "return redis.pcall('XADD', KEYS[1], '*', 'a', 'b')", "1", "s"),
                     ("EVAL", "return redis.call('XREAD', 'STREAMS', KEYS[1], '0')", "1", "s")]:
            self.same(*args)

    def test_watch(self):
        """Which stream commands abort an EXEC watching the stream: as Redis, XADD, XDEL,
        XTRIM (and XGROUP CREATE MKSTREAM) do; the group commands do not."""
        others = [RawConn(self.node.port), RawConn(self.redis.port)]
        try:
            self.same("XADD", "s", "1-1", "f", "v")
            self.same("XADD", "s", "2-1", "f", "v")
            for cmd in [("XGROUP", "CREATE", "s", "g", "0"),
                        ("XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "s", ">"),
                        ("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "0"),
                        ("XACK", "s", "g", "1-1"), ("XGROUP", "CREATECONSUMER", "s", "g", "z"),
                        ("XCLAIM", "s", "g", "q", "0", "2-1", "FORCE"),
                        ("XAUTOCLAIM", "s", "g", "r", "0", "0"),
                        ("XGROUP", "SETID", "s", "g", "0"), ("XGROUP", "DELCONSUMER", "s", "g", "z"),
                        ("XGROUP", "DESTROY", "s", "g"), ("XADD", "s", "3-1", "f", "v"),
                        ("XDEL", "s", "3-1"), ("XTRIM", "s", "MAXLEN", "1"),
                        ("XGROUP", "CREATE", "t", "g", "$", "MKSTREAM")]:
                key = cmd[2] if cmd[0] == "XGROUP" else cmd[1]
                if cmd[0] == "XREADGROUP":
                    key = "s"
                self.same("WATCH", key)
                got, want = others[0].call(*cmd), others[1].call(*cmd)
                self.assertEqual(got, want, cmd)
                self.same("MULTI")
                self.same("PING")
                self.same("EXEC")
        finally:
            for c in others:
                c.close()

    def test_keyspace_events(self):
        self.both("CONFIG", "SET", "notify-keyspace-events", "KEAn")
        subs = [WireConn(self.node.port), WireConn(self.redis.port)]
        try:
            for sub in subs:
                sub.send("PSUBSCRIBE", "__key*__:*")
                sub.read_value()
            for args in [("XADD", "s", "1-1", "a", "1"), ("XADD", "s", "MAXLEN", "1", "2-1", "b",
                                                          "2"),
                         ("XDEL", "s", "9-9"), ("XDEL", "s", "2-1"), ("XSETID", "s", "5-0"),
                         ("XADD", "s", "6-1", "a", "1"), ("XTRIM", "s", "MAXLEN", "0"),
                         ("XTRIM", "s", "MAXLEN", "0"), ("XADD", "s", "7-1", "a", "1"),
                         ("XGROUP", "CREATE", "t", "g", "$", "MKSTREAM"),
                         ("XGROUP", "CREATE", "s", "g", "0"),
                         ("XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", ">"),
                         ("XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", "0"),
                         ("XCLAIM", "s", "g", "c2", "0", "7-1"), ("XACK", "s", "g", "7-1"),
                         ("XGROUP", "CREATECONSUMER", "s", "g", "c3"),
                         ("XGROUP", "DELCONSUMER", "s", "g", "c3"),
                         ("XGROUP", "SETID", "s", "g", "0"),
                         ("XAUTOCLAIM", "s", "g", "c4", "0", "0"),
                         ("XGROUP", "DESTROY", "s", "g"), ("DEL", "s"),
                         ("XADD", "s", "NOMKSTREAM", "*", "a", "1")]:
                self.same(*args)
            got, want = subs[0].drain(), subs[1].drain()
            self.assertEqual(got, want)
            self.assertTrue(any(b"xsetid" in m for m in got))
        finally:
            for sub in subs:
                sub.close()
            self.both("CONFIG", "SET", "notify-keyspace-events", "")

    def test_xread_block(self):
        """XREAD BLOCK: woken by an XADD from another connection with the entries after
        what `$` meant when it blocked; a timeout answers a null array; BLOCK 0 waits."""
        self.same("XADD", "s", "1-1", "a", "1")
        for port, conn in ((self.node.port, self.pc), (self.redis.port, self.rr)):
            waiter = RawConn(port)
            try:
                waiter.send("XREAD", "BLOCK", "0", "STREAMS", "s", "nokey", "$", "$")
                self.assertIsNone(waiter.read_value(time.monotonic() + 0.3))
                conn.call("XADD", "other", "1-1", "a", "1")
                self.assertIsNone(waiter.read_value(time.monotonic() + 0.3))
                conn.call("XADD", "s", "2-1", "b", "2")
                conn.call("XADD", "s", "3-1", "c", "3")
                got = waiter.read_value(time.monotonic() + 20)
                self.assertIn(got, (b"*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n2-1\r\n*2\r\n"
                                    b"$1\r\nb\r\n$1\r\n2\r\n",
                                    b"*1\r\n*2\r\n$1\r\ns\r\n*2\r\n*2\r\n$3\r\n2-1\r\n*2\r\n"
                                    b"$1\r\nb\r\n$1\r\n2\r\n*2\r\n$3\r\n3-1\r\n*2\r\n$1\r\nc"
                                    b"\r\n$1\r\n3\r\n"))
                self.assertEqual(waiter.call("XREAD", "BLOCK", "50", "STREAMS", "s", "$"),
                                 b"*-1\r\n")
                waiter.send("XREAD", "BLOCK", "0", "STREAMS", "nokey", "0")
                self.assertIsNone(waiter.read_value(time.monotonic() + 0.3))
                conn.call("SET", "nokey", "now a string")  # still waiting, as Redis
                self.assertIsNone(waiter.read_value(time.monotonic() + 0.3))
                conn.call("DEL", "nokey")
                conn.call("XADD", "nokey", "5-5", "k", "v")
                self.assertEqual(waiter.read_value(time.monotonic() + 20),
                                 b"*1\r\n*2\r\n$5\r\nnokey\r\n*1\r\n*2\r\n$3\r\n5-5\r\n*2\r\n"
                                 b"$1\r\nk\r\n$1\r\nv\r\n")
            finally:
                waiter.close()


    def test_xreadgroup_block(self):
        """A parked XREADGROUP: served by an XADD; answered UNBLOCKED when its stream is
        deleted and NOGROUP when its group is destroyed, as Redis 7.0."""
        for port, conn in ((self.node.port, self.pc), (self.redis.port, self.rr)):
            conn.call("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
            waiter = RawConn(port)
            try:
                waiter.send("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">")
                self.assertIsNone(waiter.read_value(time.monotonic() + 0.3))
                conn.call("XADD", "s", "1-1", "a", "1")
                self.assertEqual(waiter.read_value(time.monotonic() + 20),
                                 b"*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n"
                                 b"$1\r\na\r\n$1\r\n1\r\n")
                waiter.send("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">")
                self.assertIsNone(waiter.read_value(time.monotonic() + 0.3))
                conn.call("XGROUP", "DESTROY", "s", "g")
                self.assertEqual(waiter.read_value(time.monotonic() + 20),
                                 b"-NOGROUP the consumer group this client was blocked on no "
                                 b"longer exists\r\n")
                conn.call("XGROUP", "CREATE", "s", "g", "$")
                waiter.send("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">")
                self.assertIsNone(waiter.read_value(time.monotonic() + 0.3))
                conn.call("DEL", "s")
                self.assertEqual(waiter.read_value(time.monotonic() + 20),
                                 b"-UNBLOCKED the stream key no longer exists\r\n")
                self.assertEqual(waiter.call("XREADGROUP", "GROUP", "g", "c", "BLOCK", "10",
                                             "STREAMS", "s", ">"),
                                 b"-NOGROUP No such key 's' or consumer group 'g' in XREADGROUP "
                                 b"with GROUP option\r\n")
            finally:
                waiter.close()

    def same_masked(self, *args):
        got, want = self.both(*args)
        got, want = mask_times(args, parse(got)), mask_times(args, parse(want))
        self.assertEqual(got, want, f"{args!r}: petacore {got!r} != redis {want!r}")
        return got

    def test_consumer_groups(self):
        raw = [
            ("XGROUP", "CREATE", "s", "g", "$"), ("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"),
            ("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"), ("XGROUP", "CREATE", "s", "h", "0",
                                                             "ENTRIESREAD", "-2"),
            ("XGROUP", "CREATE", "s", "h", "x"), ("XGROUP", "CREATE", "s", "h", "0", "FOO"),
            ("XGROUP", "CREATE", "s", "h", "0", "ENTRIESREAD", "0"),
            ("XGROUP", "SETID", "s", "nog", "0"), ("XGROUP", "SETID", "s", "h", "0", "MKSTREAM"),
            ("XGROUP", "CREATECONSUMER", "s", "nog", "c"), ("XGROUP", "DELCONSUMER", "nokey", "g",
                                                            "c"),
            ("XGROUP", "DESTROY", "s", "nog"), ("XGROUP", "HELP"), ("XGROUP", "FOO"),
            ("XGROUP", "DESTROY", "s", "g", "x"), ("SET", "str", "v"),
            ("XGROUP", "CREATE", "str", "g", "$"), ("XREADGROUP", "GROUP", "g", "c", "STREAMS",
                                                    "str", ">"),
            ("XADD", "s", "1-1", "a", "1"), ("XADD", "s", "2-1", "b", "2"),
            ("XADD", "s", "3-1", "c", "3"),
            ("XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "s", ">"),
            ("XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">"),
            ("XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">"),
            ("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0"),
            ("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "$"),
            ("XREADGROUP", "GROUP", "nog", "alice", "STREAMS", "s", ">"),
            ("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "nokey", ">"),
            ("XREADGROUP", "STREAMS", "s", ">"), ("XREADGROUP", "GROUP", "g", "a", "STREAMS", "s"),
            ("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "bad"),
            ("XREADGROUP", "GROUP", "h", "zed", "NOACK", "STREAMS", "s", ">"),
            ("XPENDING", "s", "g"), ("XPENDING", "s", "h"), ("XPENDING", "s", "nog"),
            ("XPENDING", "s", "g", "-", "+"), ("XPENDING", "s", "g", "x", "+", "1"),
            ("XPENDING", "s", "g", "-", "+", "x"), ("XPENDING", "s", "g", "IDLE", "x", "-", "+",
                                                    "1"),
            ("XPENDING", "s", "g", "IDLE", "0", "-", "+"), ("XPENDING", "s", "g", "-", "+", "0"),
            ("XPENDING", "s", "g", "-", "+", "10", "nobody"),
            ("XINFO", "GROUPS", "s"), ("XINFO", "GROUPS", "nokey"), ("XINFO", "GROUPS", "str"),
            ("XINFO", "CONSUMERS", "s", "nog"), ("XINFO", "HELP"), ("XINFO", "FOO", "s"),
            ("XINFO", "STREAM", "s", "FULL", "x"), ("XINFO", "STREAM", "s", "FOO"),
            ("XINFO", "STREAM", "nokey", "FOO"), ("XINFO", "STREAM", "str", "FULL"),
            ("XINFO", "STREAM", "s", "FULL", "COUNT"), ("XINFO", "STREAM", "s", "FULL", "COUNT",
                                                         "x"),
            ("XINFO", "CONSUMERS", "nokey", "g"), ("XINFO", "STREAM"),
            ("XACK", "s", "g", "1-1", "9-9"), ("XACK", "s", "g", "bad"), ("XACK", "s", "nog", "1-1"),
            ("XACK", "nokey", "g", "1-1"), ("XACK", "str", "g", "1-1"),
            ("XDEL", "s", "2-1"),
            ("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0"),
            ("XINFO", "GROUPS", "s"), ("XGROUP", "CREATECONSUMER", "s", "g", "carol"),
            ("XGROUP", "CREATECONSUMER", "s", "g", "carol"),
            ("XAUTOCLAIM", "s", "g", "carol", "0", "0", "COUNT", "10", "JUSTID"),
            ("XAUTOCLAIM", "s", "g", "carol", "x", "0"), ("XAUTOCLAIM", "s", "g", "carol", "0", "x"),
            ("XAUTOCLAIM", "s", "g", "carol", "0", "0", "COUNT", "0"),
            ("XAUTOCLAIM", "s", "g", "carol", "0", "0", "FOO"),
            ("XAUTOCLAIM", "s", "nog", "carol", "0", "0"), ("XPENDING", "s", "g"),
            ("XCLAIM", "s", "g", "dave", "0", "3-1", "1-1", "FORCE", "RETRYCOUNT", "7", "JUSTID"),
            ("XCLAIM", "s", "g", "dave", "x", "3-1"), ("XCLAIM", "s", "nog", "dave", "0", "3-1"),
            ("XCLAIM", "s", "g", "dave", "0", "3-1", "FOO"),
            ("XCLAIM", "s", "g", "dave", "0", "3-1", "IDLE", "x"),
            ("XCLAIM", "s", "g", "dave", "0", "3-1", "LASTID", "x"),
            ("XCLAIM", "s", "g", "erin", "0", "3-1", "TIME", "1"),
            ("XCLAIM", "s", "g", "erin", "100000000", "3-1"),
            ("XCLAIM", "s", "g", "frank", "0", "1-1", "FORCE"),
            ("XCLAIM", "s", "g", "frank", "0", "9-9", "FORCE", "LASTID", "9-9"),
            ("XINFO", "GROUPS", "s"), ("XPENDING", "s", "g"),
            ("XAUTOCLAIM", "s", "g", "gina", "100000000", "0"),
            ("XAUTOCLAIM", "s", "g", "gina", "0", "(1-1", "COUNT", "1"),
            ("XGROUP", "DELCONSUMER", "s", "g", "carol"), ("XGROUP", "DELCONSUMER", "s", "g", "x"),
            ("XGROUP", "SETID", "s", "g", "0", "ENTRIESREAD", "0"), ("XINFO", "GROUPS", "s"),
            ("XADD", "s", "4-1", "d", "4"), ("XDEL", "s", "1-1"), ("XINFO", "GROUPS", "s"),
            ("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"), ("XINFO", "GROUPS", "s"),
            ("XGROUP", "SETID", "s", "g", "$"), ("XINFO", "GROUPS", "s"),
            ("XGROUP", "DESTROY", "s", "g"), ("XGROUP", "DESTROY", "s", "g"),
            ("XINFO", "STREAM", "nokey"),
        ]
        masked = {"XINFO", "XPENDING"}
        for args in raw:
            if args[0] in masked and (args[0] == "XINFO" and args[1] in ("STREAM", "CONSUMERS")
                                      or args[0] == "XPENDING" and len(args) > 3):
                self.same_masked(*args)
            else:
                self.same(*args)
        for args in [("XINFO", "STREAM", "s"), ("XINFO", "STREAM", "s", "FULL"),
                     ("XINFO", "STREAM", "s", "FULL", "COUNT", "1"),
                     ("XINFO", "CONSUMERS", "s", "h"), ("XPENDING", "s", "h", "-", "+", "5")]:
            self.same_masked(*args)

    def test_consumer_groups_random(self):
        """Seeded random sequences over one stream with two groups: XADD, XDEL, XTRIM,
        XREADGROUP (new and history, NOACK, COUNT), XACK, XCLAIM / XAUTOCLAIM (min-idle 0,
        or huge after TIME 1), XGROUP SETID / CREATECONSUMER / DELCONSUMER, and the
        deterministic views (XPENDING summary, XINFO GROUPS, XPENDING extended and XINFO
        CONSUMERS with their idle times masked)."""
        consumers = ["c1", "c2", "c3"]
        for seed in range(1, 5):
            with self.subTest(seed=seed):
                self.both("FLUSHALL")
                rng = random.Random(seed)
                self.same("XGROUP", "CREATE", "s", "g1", "$", "MKSTREAM")
                self.same("XGROUP", "CREATE", "s", "g2", "0")
                next_ms = 1
                history = []

                def some_id():
                    return f"{rng.randint(1, max(next_ms, 2))}-{rng.randint(0, 1)}"

                for i in range(250):
                    g, c = rng.choice(["g1", "g2"]), rng.choice(consumers)
                    op = rng.random()
                    if op < 0.25:
                        args = ["XADD", "s", f"{next_ms}-{rng.randint(0, 1)}", "f", str(i)]
                        next_ms += rng.randint(0, 2)
                    elif op < 0.3:
                        args = ["XDEL", "s", some_id()]
                    elif op < 0.32:
                        args = ["XTRIM", "s", "MAXLEN", str(rng.randint(2, 8))]
                    elif op < 0.5:
                        args = ["XREADGROUP", "GROUP", g, c]
                        if rng.random() < 0.5:
                            args += ["COUNT", str(rng.randint(1, 3))]
                        if rng.random() < 0.1:
                            args.append("NOACK")
                        args += ["STREAMS", "s", ">" if rng.random() < 0.75 else "0"]
                    elif op < 0.62:
                        args = ["XACK", "s", g] + [some_id() for _ in range(rng.randint(1, 3))]
                    elif op < 0.68:
                        args = ["XCLAIM", "s", g, c, rng.choice(["0", "100000000"])]
                        args += [some_id() for _ in range(rng.randint(1, 3))]
                        args += rng.choice([[], ["JUSTID"], ["TIME", "1"], ["FORCE"],
                                            ["RETRYCOUNT", "3"], ["LASTID", some_id()]])
                    elif op < 0.73:
                        args = ["XAUTOCLAIM", "s", g, c, rng.choice(["0", "100000000"]),
                                rng.choice(["0", "-", some_id()]), "COUNT",
                                str(rng.randint(1, 4))]
                        if rng.random() < 0.3:
                            args.append("JUSTID")
                    elif op < 0.76:
                        args = ["XGROUP", "SETID", "s", g, rng.choice(["0", "$", some_id()])]
                    elif op < 0.78:
                        args = ["XGROUP", rng.choice(["CREATECONSUMER", "DELCONSUMER"]), "s", g, c]
                    elif op < 0.86:
                        args = ["XPENDING", "s", g]
                    elif op < 0.92:
                        args = ["XINFO", "GROUPS", "s"]
                    elif op < 0.96:
                        args = ["XPENDING", "s", g, "-", "+", "10"] + ([c] if rng.random() < 0.5
                                                                       else [])
                    else:
                        args = ["XINFO", "CONSUMERS", "s", g]
                    history.append(args)
                    got, want = self.both(*args)
                    got, want = mask_times(args, parse(got)), mask_times(args, parse(want))
                    self.assertEqual(got, want, f"seed {seed} op {i}: {args!r}\n"
                                     f"  petacore {got!r}\n  redis    {want!r}\n"
                                     f"  last: {history[-6:]!r}")


if __name__ == "__main__":
    unittest.main()
