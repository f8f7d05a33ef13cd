"""Differential test of the bitmap commands (SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD,
BITFIELD_RO): PetaCore (standalone) against redis-server 7.0.15, compared as raw RESP bytes (so
reply types count: integer vs bulk vs null), plus keyspace events and two replicated nodes.

- fixed cases: every error text and edge case of bitops.c;
- a seeded random sequence of bitmap and string commands over a few keys, reply by reply
  (seeds printed; rerun with PETACORE_BITMAPS_SEEDS=1,2), then GET of every key compared;
- keyspace events of each write compared with Redis's;
- two nodes: bitmaps written on A read on B.
"""
import os
import random
import sys
import unittest

from differential import RawAgainstRedisTestCase, ReplicatedTestCase, replicated
from harness import wait_for
from resp_wire import WireConn

DEFAULT_SEEDS = [20261206, 3, 99]
OPS_PER_SEED = 1500
KEYS = [b"b1", b"b2", b"b3", b"s", b"h"]


class BitmapsAgainstRedis(RawAgainstRedisTestCase):

    def test_setbit_getbit(self):
        for args in [
            ("SETBIT", "k", "7", "1"), ("GET", "k"), ("SETBIT", "k", "7", "1"),
            ("SETBIT", "k", "7", "0"), ("GET", "k"), ("SETBIT", "k", "100", "1"),
            ("GET", "k"), ("STRLEN", "k"), ("GETBIT", "k", "100"), ("GETBIT", "k", "99"),
            ("GETBIT", "k", "100000"), ("GETBIT", "nokey", "3"),
            ("SETBIT", "k", "-1", "1"), ("SETBIT", "k", "x", "1"), ("SETBIT", "k", "1", "2"),
            ("SETBIT", "k", "1", "-1"), ("SETBIT", "k", "1", "x"), ("SETBIT", "k", "1", ""),
            ("SETBIT", "k", "4294967296", "1"), ("SETBIT", "k", "#1", "1"),
            ("GETBIT", "k", "-1"), ("GETBIT", "k", "4294967296"), ("GETBIT", "k", " 1"),
            ("SETBIT", "k", "x", "2"), ("SETBIT", "k"), ("GETBIT", "k"),
            ("SET", "num", "12"), ("GETBIT", "num", "2"), ("SETBIT", "num", "7", "1"),
            ("GET", "num"), ("RPUSH", "l", "a"), ("SETBIT", "l", "1", "1"),
            ("GETBIT", "l", "1"), ("SETBIT", "l", "-1", "1"), ("SET", "t", "v", "EX", "100"),
            ("SETBIT", "t", "0", "1"), ("TTL", "t"),
        ]:
            self.same(*args)

    def test_bitcount(self):
        self.same("SET", "k", b"foobar\x00\xff\x80\x01")
        self.same("RPUSH", "l", "a")
        for args in [
            ("BITCOUNT", "k"), ("BITCOUNT", "k", "0", "0"), ("BITCOUNT", "k", "1", "1"),
            ("BITCOUNT", "k", "-2", "-1"), ("BITCOUNT", "k", "-1", "-2"),
            ("BITCOUNT", "k", "5", "30"), ("BITCOUNT", "k", "-100", "100"),
            ("BITCOUNT", "k", "5", "30", "BIT"), ("BITCOUNT", "k", "1", "13", "bit"),
            ("BITCOUNT", "k", "0", "0", "BYTE"), ("BITCOUNT", "k", "-5", "-1", "BIT"),
            ("BITCOUNT", "k", "3", "3", "BIT"), ("BITCOUNT", "k", "9", "3", "BIT"),
            ("BITCOUNT", "k", "0", "0", "BITS"), ("BITCOUNT", "k", "0"),
            ("BITCOUNT", "k", "a", "1"), ("BITCOUNT", "k", "0", "b"),
            ("BITCOUNT", "k", "0", "1", "BIT", "x"), ("BITCOUNT", "nokey", "0"),
            ("BITCOUNT", "nokey", "x", "y", "z"), ("BITCOUNT", "l"), ("BITCOUNT", "l", "0"),
            ("BITCOUNT", "k", "-1", "-2", "XX"), ("BITCOUNT",),
            ("BITCOUNT", "k", "9223372036854775807", "-9223372036854775808", "BIT"),
        ]:
            self.same(*args)

    def test_bitpos(self):
        self.same("SET", "k", b"\xff\xf0\x00")
        self.same("SET", "ones", b"\xff\xff\xff")
        self.same("SET", "zeros", b"\x00\x00\x00")
        self.same("SET", "e", b"")
        self.same("SADD", "st", "a")
        cases = [("BITPOS", "nokey", "0"), ("BITPOS", "nokey", "1"), ("BITPOS", "k", "2"),
                 ("BITPOS", "k", "x"), ("BITPOS", "k", "-1"), ("BITPOS", "st", "1"),
                 ("BITPOS", "st", "3"), ("BITPOS", "k", "1", "x"), ("BITPOS", "k", "1", "0", "y"),
                 ("BITPOS", "k", "1", "0", "1", "BITS"), ("BITPOS", "k", "1", "0", "1", "BIT", "x"),
                 ("BITPOS", "e", "0"), ("BITPOS", "e", "1"), ("BITPOS", "e", "0", "0", "-1")]
        for key in ["k", "ones", "zeros"]:
            for bit in ["0", "1"]:
                cases.append(("BITPOS", key, bit))
                for start in ["0", "1", "2", "-1", "-2", "5", "-100", "3", "12", "9"]:
                    cases.append(("BITPOS", key, bit, start))
                    for end in ["0", "1", "-1", "2", "-3", "100", "14", "23", "6"]:
                        cases.append(("BITPOS", key, bit, start, end))
                        cases.append(("BITPOS", key, bit, start, end, "BIT"))
                        cases.append(("BITPOS", key, bit, start, end, "byte"))
        for args in cases:
            self.same(*args)

    def test_bitop(self):
        self.same("SET", "a", b"\x0f\xf0abc")
        self.same("SET", "b", b"\xff")
        self.same("SET", "c", b"")
        self.same("HSET", "h", "f", "v")
        for args in [
            ("BITOP", "AND", "d", "a", "b"), ("GET", "d"), ("BITOP", "or", "d", "a", "b"),
            ("GET", "d"), ("BITOP", "XOR", "d", "a", "b", "a"), ("GET", "d"),
            ("BITOP", "NOT", "d", "a"), ("GET", "d"), ("BITOP", "NOT", "d", "a", "b"),
            ("BITOP", "NOT", "d"), ("BITOP", "NAND", "d", "a"), ("BITOP", "AND", "d"),
            ("BITOP", "AND", "d", "a", "h"), ("BITOP", "AND", "h", "a"), ("TYPE", "h"),
            ("GET", "h"), ("BITOP", "AND", "d", "nokey"), ("EXISTS", "d"),
            ("SET", "d", "x"), ("BITOP", "OR", "d", "c", "nokey"), ("EXISTS", "d"),
            ("BITOP", "AND", "d", "a", "nokey"), ("GET", "d"), ("BITOP", "AND", "a", "a"),
            ("GET", "a"), ("SET", "t", "v", "EX", "100"), ("BITOP", "OR", "t", "a"),
            ("TTL", "t"), ("BITOP", "XOR", "big", "a", "b", "c", "a"), ("GET", "big"),
        ]:
            self.same(*args)

    def test_bitfield(self):
        self.same("SET", "s", "hello")
        self.same("LPUSH", "l", "x")
        cases = [
            ("BITFIELD", "nokey"), ("BITFIELD", "nokey", "GET", "u8", "0"), ("EXISTS", "nokey"),
            ("BITFIELD", "s", "GET", "u8", "0", "GET", "i8", "0", "GET", "i64", "0",
             "GET", "u63", "1", "GET", "i5", "#3", "GET", "u1", "39", "GET", "u3", "38"),
            ("BITFIELD", "s", "GET", "u64", "0"), ("BITFIELD", "s", "GET", "i65", "0"),
            ("BITFIELD", "s", "GET", "i0", "0"), ("BITFIELD", "s", "GET", "x8", "0"),
            ("BITFIELD", "s", "GET", "u08", "0"), ("BITFIELD", "s", "GET", "", "0"),
            ("BITFIELD", "s", "GET", "u8", "-1"), ("BITFIELD", "s", "GET", "u8", "#-1"),
            ("BITFIELD", "s", "GET", "u8", "#x"), ("BITFIELD", "s", "GET", "u8", "4294967296"),
            ("BITFIELD", "s", "GET", "u8", "#536870912"), ("BITFIELD", "s", "GET", "u8"),
            ("BITFIELD", "s", "SET", "u8", "0"), ("BITFIELD", "s", "SET", "u8", "0", "x"),
            ("BITFIELD", "s", "INCRBY", "u8", "0", "1.5"), ("BITFIELD", "s", "FOO", "u8", "0"),
            ("BITFIELD", "s", "OVERFLOW", "BAD"), ("BITFIELD", "s", "OVERFLOW"),
            ("BITFIELD", "s", "OVERFLOW", "SAT"), ("BITFIELD", "l", "GET", "u8", "0"),
            ("BITFIELD", "l", "SET", "u8", "0", "1"), ("BITFIELD_RO", "l", "GET", "u8", "0"),
            ("BITFIELD_RO", "s", "GET", "u8", "0", "GET", "i16", "#1"),
            ("BITFIELD_RO", "s", "SET", "u8", "0", "1"), ("BITFIELD_RO", "s", "INCRBY", "u8", "0", "1"),
            ("BITFIELD_RO", "s", "OVERFLOW", "FAIL", "GET", "u8", "0"), ("BITFIELD_RO", "s"),
            ("BITFIELD", "k", "SET", "u8", "0", "255", "GET", "u8", "0", "INCRBY", "u8", "0", "1"),
            ("GET", "k"),
            ("BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "u8", "0", "300", "INCRBY", "u8", "0", "-300",
             "INCRBY", "i8", "0", "200", "INCRBY", "i8", "0", "-500"),
            ("BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "300", "SET", "i4", "0", "8",
             "SET", "i4", "0", "-9", "SET", "u4", "#1", "16", "INCRBY", "i4", "0", "1"),
            ("GET", "k"),
            ("BITFIELD", "k", "OVERFLOW", "WRAP", "SET", "i8", "0", "128", "SET", "u8", "0", "-1",
             "INCRBY", "u8", "0", "-300", "INCRBY", "i8", "0", "-300", "INCRBY", "i64", "8",
             "9223372036854775807", "INCRBY", "i64", "8", "9223372036854775807",
             "INCRBY", "u63", "8", "-1", "SET", "i64", "8", "-9223372036854775808",
             "INCRBY", "i64", "8", "-1"),
            ("GET", "k"),
            ("BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "i64", "0", "9223372036854775807",
             "INCRBY", "i64", "0", "9223372036854775807", "INCRBY", "i64", "0",
             "-9223372036854775808", "INCRBY", "i64", "0", "-9223372036854775808",
             "INCRBY", "i64", "0", "-9223372036854775808", "SET", "u63", "0", "-1"),
            ("BITFIELD", "f", "OVERFLOW", "FAIL", "INCRBY", "u2", "100", "5"), ("GET", "f"),
            ("STRLEN", "f"), ("BITFIELD", "g", "SET", "u8", "#2", "0"), ("GET", "g"),
            ("BITFIELD", "g", "SET", "i16", "#0", "-2", "GET", "u16", "0", "get", "i3", "#5"),
            ("bitfield", "g", "overflow", "sat", "incrby", "u3", "#0", "9", "overflow", "wrap",
             "incrby", "u3", "#1", "9"),
            ("GET", "g"), ("SET", "t", "v", "EX", "100"), ("BITFIELD", "t", "SET", "u8", "0", "1"),
            ("TTL", "t"),
        ]
        for args in cases:
            self.same(*args)

    def test_offsets_bounded_by_proto_max_bulk_len(self):
        self.same("CONFIG", "SET", "proto-max-bulk-len", "1mb")
        try:
            for args in [("SETBIT", "k", str(8 * 1024 * 1024), "1"),
                         ("SETBIT", "k", str(8 * 1024 * 1024 - 1), "1"), ("STRLEN", "k"),
                         ("GETBIT", "k", str(8 * 1024 * 1024)), ("BITCOUNT", "k"),
                         ("BITFIELD", "k", "GET", "u8", "#1048576"),
                         ("BITFIELD", "k", "SET", "u8", "#1048575", "3"),
                         ("BITFIELD", "k", "GET", "i64", str(8 * 1024 * 1024 - 60)),
                         ("BITPOS", "k", "1", "-1"), ("BITPOS", "k", "0", "-1", "-1")]:
                self.same(*args)
        finally:
            self.same("CONFIG", "SET", "proto-max-bulk-len", "512mb")

    def test_resp3(self):
        pc, rr = WireConn(self.node.port, 3), WireConn(self.redis.port, 3)
        try:
            for args in [("BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "9",
                          "SET", "i8", "0", "-5", "GET", "u8", "0"),
                         ("BITFIELD_RO", "k", "GET", "i8", "0"), ("BITFIELD_RO", "none", "GET", "i8", "0"),
                         ("SETBIT", "k", "3", "1"), ("GETBIT", "k", "3"), ("BITCOUNT", "k"),
                         ("BITPOS", "k", "1"), ("BITOP", "OR", "d", "k")]:
                got, want = pc.call(*args)[0], rr.call(*args)[0]
                self.assertEqual(got, want, f"{args!r}")
        finally:
            pc.close()
            rr.close()

    def test_keyspace_events(self):
        """The events of each bitmap write, as Redis's (setbit only when something changed;
        new before it; BITOP's set / del)."""
        self.same_events([("SETBIT", "k", "3", "1"), ("SETBIT", "k", "3", "1"),
                         ("SETBIT", "k", "3", "0"), ("SETBIT", "k", "30", "0"),
                         ("BITFIELD", "k", "GET", "u8", "0"),
                         ("BITFIELD", "k", "SET", "u8", "0", "0"),
                         ("BITFIELD", "k", "SET", "u8", "0", "7"),
                         ("BITFIELD", "n", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "9"),
                         ("BITFIELD", "m", "SET", "u8", "0", "0"),
                         ("BITOP", "OR", "d", "k"), ("BITOP", "OR", "d", "k"),
                         ("BITOP", "AND", "d", "none"), ("BITOP", "AND", "d", "none")])

    def test_multi_and_script(self):
        for args in [("MULTI",), ("SETBIT", "k", "1", "1"), ("BITCOUNT", "k"),
                     ("BITFIELD", "k", "INCRBY", "u4", "0", "3"), ("BITFIELD_RO", "k", "GET", "u4", "0"),
                     ("EXEC",),
                     ("EVAL", "redis.call('setbit', KEYS[1], 9, 1); "
                      "return {redis.call('bitcount', KEYS[1]), redis.call('bitpos', KEYS[1], 1), "
                      "redis.call('bitfield', KEYS[1], 'GET', 'u16', 0)}", "1", "k"),
                     ("EVAL", "return redis.call('setbit', KEYS[1], -1, 1)", "1", "k")]:
            self.same(*args)

    def test_command_info(self):
        for name in ["setbit", "getbit", "bitcount", "bitpos", "bitop", "bitfield", "bitfield_ro"]:
            self.same("COMMAND", "INFO", name)
        for args in [("COMMAND", "GETKEYSANDFLAGS", "BITFIELD", "k", "GET", "u8", "0"),
                     ("COMMAND", "GETKEYSANDFLAGS", "BITFIELD", "k", "GET", "u8", "0", "SET", "u8", "0", "1"),
                     ("COMMAND", "GETKEYSANDFLAGS", "BITFIELD", "k", "OVERFLOW", "SAT"),
                     ("COMMAND", "GETKEYSANDFLAGS", "BITOP", "AND", "d", "a", "b")]:
            self.same(*args)

    # ---- the seeded random sequence -----------------------------------------------------
    def gen(self, rng):
        key = rng.choice(KEYS)
        def off():
            r = rng.random()
            if r < 0.8:
                return str(rng.randint(0, 90))
            return rng.choice(["-1", "x", "#2", "4294967296", "0"])
        def idx():
            return str(rng.randint(-14, 14)) if rng.random() < 0.95 else rng.choice(["a", "9223372036854775807"])
        def ftype():
            r = rng.random()
            if r < 0.9:
                return rng.choice("iu") + str(rng.randint(1, 64 if r < 0.45 else 63))
            return rng.choice(["u64", "i0", "x3", "i65"])
        def foff():
            return ("#" if rng.random() < 0.3 else "") + str(rng.randint(0, 40))
        def fval():
            r = rng.random()
            if r < 0.6:
                return str(rng.randint(-300, 300))
            return rng.choice(["9223372036854775807", "-9223372036854775808", "1000000", "-1", "z"])
        c = rng.random()
        if c < 0.22:
            return ["SETBIT", key, off(), rng.choice(["0", "1", "1", "0", "2"])]
        if c < 0.32:
            return ["GETBIT", key, off()]
        if c < 0.44:
            args = ["BITCOUNT", key]
            if rng.random() < 0.7:
                args += [idx(), idx()]
                if rng.random() < 0.5:
                    args.append(rng.choice(["BIT", "BYTE", "bit", "nope"]))
            return args
        if c < 0.58:
            args = ["BITPOS", key, rng.choice(["0", "1", "1", "0", "3"])]
            for _ in range(rng.randint(0, 2)):
                args.append(idx())
            if len(args) == 5 and rng.random() < 0.5:
                args.append(rng.choice(["BIT", "BYTE"]))
            return args
        if c < 0.68:
            op = rng.choice(["AND", "OR", "XOR", "NOT", "not", "and"])
            n = 1 if op.upper() == "NOT" and rng.random() < 0.9 else rng.randint(1, 3)
            return ["BITOP", op, rng.choice(KEYS)] + [rng.choice(KEYS) for _ in range(n)]
        if c < 0.9:
            name = "BITFIELD_RO" if rng.random() < 0.15 else "BITFIELD"
            args = [name, key]
            for _ in range(rng.randint(0, 4)):
                s = rng.random()
                if s < 0.35 or name == "BITFIELD_RO" and s < 0.9:
                    args += ["GET", ftype(), foff()]
                elif s < 0.6:
                    args += ["SET", ftype(), foff(), fval()]
                elif s < 0.85:
                    args += ["INCRBY", ftype(), foff(), fval()]
                else:
                    args += ["OVERFLOW", rng.choice(["WRAP", "SAT", "FAIL", "fail", "bad"])]
            return args
        if c < 0.95:
            return ["GET", key]
        if c < 0.97:
            return ["SET", key, rng.choice([b"abc", b"\xff\x00", b"12", b""])]
        if c < 0.98:
            return ["HSET", "h", "f", "v"]
        return ["DEL", key]

    def test_random_sequences(self):
        env = os.environ.get("PETACORE_BITMAPS_SEEDS")
        seeds = [int(s) for s in env.split(",")] if env else DEFAULT_SEEDS
        for seed in seeds:
            with self.subTest(seed=seed):
                print(f"\n[test_bitmaps] seed={seed} ops={OPS_PER_SEED}", file=sys.stderr)
                self.both("FLUSHALL")
                rng = random.Random(seed)
                history = []
                for i in range(OPS_PER_SEED):
                    args = self.gen(rng)
                    history.append(args)
                    got, want = self.both(*args)
                    if got != want:
                        self.fail(f"seed {seed} op {i}: {args!r}\n  petacore: {got!r}\n"
                                  f"  redis:    {want!r}\n  last commands: {history[-8:]!r}")
                for key in KEYS:
                    self.same("GET", key)


class BitmapsReplicated(ReplicatedTestCase):
    """Two PetaCore nodes on one etcd: a bitmap written on A reads the same on B."""

    def test_written_on_a_read_on_b(self):
        a, b = WireConn(self.a.port), WireConn(self.b.port)
        try:
            a.call("FLUSHALL")
            a.call("SETBIT", "bm", "77", "1")
            a.call("BITFIELD", "bm", "SET", "u8", "#0", "200")
            a.call("BITOP", "NOT", "inv", "bm")
            want_get = a.call("GET", "bm")[0]
            wait_for(lambda: b.call("GET", "inv")[0] != b"$-1\r\n", what="BITOP on B")
            self.assertEqual(b.call("GET", "bm")[0], want_get)
            self.assertEqual(b.call("GETBIT", "bm", "77")[0], b":1\r\n")
            self.assertEqual(b.call("BITCOUNT", "bm")[0], a.call("BITCOUNT", "bm")[0])
            self.assertEqual(b.call("BITFIELD_RO", "bm", "GET", "u8", "0")[0], b"*1\r\n:200\r\n")
            self.assertEqual(b.call("BITPOS", "inv", "0")[0], a.call("BITPOS", "inv", "0")[0])
            self.assertEqual(b.call("GET", "inv")[0], a.call("GET", "inv")[0])
        finally:
            a.close()
            b.close()


# The random run against a node on etcd too (issue 20: the etcd encoding, compare guards
# and folding are what differ from standalone).
BitmapsAgainstRedisReplicated = replicated(BitmapsAgainstRedis)

if __name__ == "__main__":
    unittest.main()
