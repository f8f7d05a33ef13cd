"""Differential test of the generic key-space commands (RENAME, RENAMENX, COPY, MOVE, SWAPDB,
SELECT, KEYS, SCAN, DBSIZE, TYPE, EXISTS, RANDOMKEY, OBJECT): PetaCore (standalone) against
Debian's redis-server 7.0, plus SCAN's exactly-once guarantee under concurrent writes and a
replicated check (two nodes on one etcd).

The random stream uses strings only; the collection tests run for every collection type whose
creating command (HSET, SADD, RPUSH, ZADD) PetaCore has (COMMAND INFO), so they start running
as the families land. Seeds are printed; rerun one with PETACORE_KEYSPACE_SEEDS=1,2.
"""
import random
import threading
import unittest

from differential import (DifferentialTestCase, ReplicatedTestCase, raw_client, sorted_scan_page,
                          vary_arity, replicated)
from harness import Node, wait_for

DEFAULT_SEEDS = [20240612, 3, 99]
OPS_PER_SEED = 2500

KEYS = [b"a", b"b", b"c", b"ab", b"abc", b"b1", b"k*", b"[k]", b"", b"\xffbin\x00", b"num",
        b"user:1", b"user:2", b"user:10"]

VALUES = [b"", b"0", b"1", b"-1", b"42", b"9999", b"10000", b"-0", b"007", b" 1", b"1e3",
          b"3.14", b"9223372036854775807", b"-9223372036854775808", b"9223372036854775808",
          b"12345678901234567890", b"hello", b"\x00\xff", b"x" * 44, b"x" * 45, b"y" * 100]

PATTERNS = [b"*", b"a*", b"user:*", b"user:1*", b"*b*", b"?", b"[a-c]", b"k\\*", b"\\[k\\]",
            b"\xff*", b"nomatch*", b""]

DBS = [b"0", b"1", b"2", b"3"]
# Integer-valued strings: most SET/INCR traffic uses these so INCR's errors stay a small share.
INT_VALUES = [b"0", b"1", b"-1", b"42", b"9999", b"10000"]


def db_arg(rng, bad):
    """A database index: 10% of the time one of `bad` (out of range or not a number)."""
    return rng.choice(bad) if rng.random() < 0.1 else rng.choice(DBS)


def gen_command(rng):
    key = lambda: rng.choice(KEYS)  # noqa: E731
    c = rng.choices(
        ["SET", "MSET", "GETSET", "SETNX", "INCR", "INCRBY", "DEL", "GET", "EXISTS", "TYPE",
         "DBSIZE", "KEYS", "SELECT", "RENAME", "RENAMENX", "COPY", "MOVE", "SWAPDB",
         "OBJECT", "SCAN", "FLUSHDB"],
        weights=[12, 3, 2, 2, 3, 2, 3, 3, 2, 2, 2, 3, 3, 5, 4, 5, 4, 2, 4, 2, 0.2])[0]
    if c in ("SET", "GETSET", "SETNX"):
        args = [key(), rng.choice(VALUES if rng.random() < 0.5 else INT_VALUES)]
    elif c == "MSET":
        args = [x for _ in range(rng.randint(1, 3)) for x in (key(), rng.choice(VALUES))]
    elif c == "INCRBY":
        args = [key(), rng.choice([b"1", b"-5", b"10000", b"1", b"-5", b"10000", b"x"])]
    elif c in ("INCR", "GET", "TYPE"):
        args = [key()]
    elif c in ("DEL", "EXISTS"):
        args = [key() for _ in range(rng.randint(1, 3))]
    elif c in ("DBSIZE", "FLUSHDB"):
        args = []
    elif c == "KEYS":
        args = [rng.choice(PATTERNS)]
    elif c == "SELECT":
        args = [db_arg(rng, [b"16", b"x"])]
    elif c in ("RENAME", "RENAMENX"):
        args = [key(), key()]
    elif c == "COPY":
        args = [key(), key()]
        for _ in range(rng.choice([0, 0, 1, 2])):
            r = rng.random()
            if r < 0.5:
                args += [b"DB", db_arg(rng, [b"16", b"-1", b"x", b"99999999999"])]
            elif r < 0.9:
                args.append(rng.choice([b"REPLACE", b"replace"]))
            else:
                args.append(rng.choice([b"BOGUS", b"DB"]))
    elif c == "MOVE":
        args = [key(), db_arg(rng, [b"16", b"x"])]
    elif c == "SWAPDB":
        args = [db_arg(rng, [b"16", b"x"]), db_arg(rng, [b"-1"])]
    elif c == "OBJECT":
        args = [rng.choice([b"ENCODING", b"encoding", b"Encoding"]), key()]
        if rng.random() < 0.05:
            args = rng.choice([[b"BOGUS", key()], [b"ENCODING"], [b"encoding", key(), key()]])
    else:  # SCAN: one page that covers these small databases whole
        args = [b"0", b"COUNT", b"1000"]
        if rng.random() < 0.5:
            args += [b"MATCH", rng.choice(PATTERNS)]
        if rng.random() < 0.3:
            args += [b"TYPE", rng.choice([b"string", b"hash", b"bogus"])]
    args = vary_arity(rng, args)
    return [c.encode()] + args


def has_command(client, name):
    return client.execute_command("COMMAND", "INFO", name)[0] is not None


class KeyspaceDifferential(DifferentialTestCase):
    FAMILY = "keyspace"
    DEFAULT_SEEDS = DEFAULT_SEEDS
    OPS_PER_SEED = OPS_PER_SEED
    DUMP_ALL_DBS = True
    UNORDERED = {b"KEYS": sorted, b"SCAN": sorted_scan_page}

    def check_randomkey(self):
        got = self.pc.execute_command("RANDOMKEY")
        want = self.rr.execute_command("RANDOMKEY")
        self.assertEqual(got is None, want is None, (got, want))
        if got is not None:
            self.assertEqual(self.pc.execute_command("EXISTS", got), 1, got)
            self.assertEqual(self.rr.execute_command("EXISTS", got), 1, got)

    def before_command(self, rng):
        """Now and then (2% of the ops) a RANDOMKEY check: random, so not compared as is."""
        if rng.random() < 0.02:
            self.check_randomkey()

    def test_random_sequences(self):
        self.check_random_sequences(gen_command)

    def test_error_texts(self):
        self.both("SET", "a", "1")
        for args in (("RENAME", "nokey", "b"), ("RENAMENX", "nokey", "b"), ("RENAME", "a", "a"),
                     ("RENAMENX", "a", "a"), ("COPY", "a", "a"), ("COPY", "nokey", "nokey"),
                     ("COPY", "a", "b", "DB", "x"), ("COPY", "a", "b", "DB", "16"),
                     ("COPY", "a", "b", "DB", "99999999999"), ("COPY", "a", "b", "REPLACE", "DB"),
                     ("COPY", "a", "b", "DB", "1", "DB", "2"), ("MOVE", "a", "0"),
                     ("MOVE", "nokey", "0"), ("MOVE", "a", "16"), ("MOVE", "a", "x"),
                     ("MOVE", "a", "99999999999"), ("SWAPDB", "x", "1"), ("SWAPDB", "1", "x"),
                     ("SWAPDB", "99999999999", "1"), ("SWAPDB", "16", "1"), ("SWAPDB", "0", "0"),
                     ("OBJECT",), ("OBJECT", "foo", "a"), ("OBJECT", "Foo"),
                     ("OBJECT", "ENCODING"), ("OBJECT", "encoding", "a", "b"),
                     ("OBJECT", "FREQ", "a"), ("OBJECT", "FREQ", "nokey"),
                     ("OBJECT", "IDLETIME", "nokey"), ("OBJECT", "REFCOUNT", "nokey"),
                     ("OBJECT", "HELP"), ("OBJECT", "HELP", "x"), ("OBJECT", "REFCOUNT", "a"),
                     ("SCAN",), ("SCAN", "x"), ("SCAN", "0", "COUNT", "0"),
                     ("SCAN", "0", "COUNT", "x"), ("SCAN", "0", "MATCH"), ("SCAN", "1 "),
                     ("SCAN", "18446744073709551616"), ("SCAN", "0", "BOGUS", "1"),
                     ("RANDOMKEY", "x"), ("RENAME", "a"), ("COPY", "a"), ("MOVE", "a"),
                     ("SWAPDB", "0")):
            self.same(*args)

    def test_object_encoding_strings(self):
        for i, v in enumerate(VALUES):
            self.both("SET", f"k{i}", v)
            self.same("OBJECT", "ENCODING", f"k{i}")
        self.both("SET", "n", "9998")
        self.same("INCR", "n")
        self.same("OBJECT", "ENCODING", "n")
        self.same("INCRBY", "n", "100000000000")
        self.same("OBJECT", "ENCODING", "n")

    def test_randomkey_membership(self):
        self.same("RANDOMKEY")
        keys = [f"key:{i}".encode() for i in range(40)]
        self.both("MSET", *[x for k in keys for x in (k, b"v")])
        seen = set()
        for _ in range(300):
            k = self.pc.execute_command("RANDOMKEY")
            self.assertIn(k, keys)
            seen.add(k)
        self.assertGreater(len(seen), 20)  # uniform over 40 keys: ~all show up in 300 draws

    # --- collections, once their families exist ------------------------------------------

    def collection_types(self):
        """(name, build commands, read command) for each type PetaCore can create."""
        small_hash = [["HSET", "{k}", "f1", "v1", "f2", "v2"]]
        big_hash = [["HSET", "{k}"] + [x for i in range(129) for x in (f"f{i}", "v")]]
        long_hash = [["HSET", "{k}", "f", "v" * 65]]
        int_set = [["SADD", "{k}", "1", "2", "-3"]]
        str_set = [["SADD", "{k}", "a", "b"]]
        big_set = [["SADD", "{k}"] + [str(i) for i in range(513)]]
        small_z = [["ZADD", "{k}", "1", "a", "2.5", "b"]]
        big_z = [["ZADD", "{k}"] + [x for i in range(129) for x in (str(i), f"m{i}")]]
        lists = [["RPUSH", "{k}", "a", "b", "c"]]
        types = [("HSET", "hash", [small_hash, big_hash, long_hash], ["HGETALL"]),
                 ("SADD", "set", [int_set, str_set, big_set], ["SMEMBERS"]),
                 ("ZADD", "zset", [small_z, big_z], ["ZRANGE", "{k}", "0", "-1", "WITHSCORES"]),
                 ("RPUSH", "list", [lists], ["LRANGE", "{k}", "0", "-1"])]
        return [t for t in types if has_command(self.pc, t[0])]

    def read_same(self, read, key):
        args = [a.replace("{k}", key) for a in read] if len(read) > 1 else read + [key]
        want = self.rr.execute_command(*args)
        got = self.pc.execute_command(*args)
        if read[0] in ("HGETALL", "SMEMBERS"):  # hash-table order in Redis
            want, got = sorted(want or []), sorted(got or [])
        self.assertEqual(got, want, f"{args!r}")

    def test_collections_whole_key_commands(self):
        types = self.collection_types()
        if not types:
            self.skipTest("no collection family registered yet")
        for creator, type_name, builds, read in types:
            for n, build in enumerate(builds):
                with self.subTest(type=type_name, build=n):
                    self.flush_both()
                    for cmd in build:
                        for k in ("src", "other"):
                            self.both(*[a.replace("{k}", k) for a in cmd])
                    self.both("SET", "str", "v")
                    for args in (("TYPE", "src"), ("EXISTS", "src", "other"), ("DBSIZE",),
                                 ("OBJECT", "ENCODING", "src"), ("KEYS", "*"),
                                 ("SCAN", "0", "COUNT", "1000", "TYPE", type_name),
                                 ("RENAME", "src", "dst"), ("TYPE", "src"), ("TYPE", "dst"),
                                 ("OBJECT", "ENCODING", "dst"), ("RENAMENX", "dst", "other"),
                                 ("RENAME", "dst", "other"), ("DBSIZE",),
                                 ("COPY", "other", "str"), ("COPY", "other", "str", "REPLACE"),
                                 ("OBJECT", "ENCODING", "str"), ("COPY", "other", "c2", "DB", "2"),
                                 ("MOVE", "str", "1"), ("RENAME", "str", "c2"),
                                 ("SWAPDB", "0", "2"), ("KEYS", "*"), ("DBSIZE",)):
                        self.same(*args)
                    for db in (0, 1, 2):
                        self.both("SELECT", db)
                        for k in sorted(self.pc.execute_command("KEYS", "*")):
                            self.same("TYPE", k)
                            self.read_same(read, k.decode())
                        self.same("DBSIZE")
                    self.same("DEL", "c2", "other")
                    self.same("DBSIZE")


# One seed against a node on etcd (and its peer converging).
KeyspaceDifferentialReplicated = replicated(KeyspaceDifferential)


class ScanUnderWrites(unittest.TestCase):
    """SCAN returns every key present for the whole iteration exactly once, whatever other
    clients write meanwhile (Redis promises at-least-once; PetaCore, in key order, exactly
    once)."""

    @classmethod
    def setUpClass(cls):
        cls.node = Node()

    @classmethod
    def tearDownClass(cls):
        cls.node.close()

    def setUp(self):
        self.c = self.node.client()
        self.c.flushall()
        self.stable = {f"stable:{i}".encode() for i in range(500)}
        self.c.mset({k: b"v" for k in self.stable})

    def scan_all(self, *opts):
        keys, cursor, calls = [], b"0", 0
        while True:
            cursor, page = self.c.execute_command("SCAN", cursor, *opts)
            keys += page
            calls += 1
            self.assertLess(calls, 10000)
            if cursor in (b"0", 0):
                return keys, calls

    def test_exactly_once_while_others_write(self):
        stop = threading.Event()
        errors = []

        def churn():
            c = self.node.client()
            rng = random.Random(5)
            try:
                while not stop.is_set():
                    # Keys interleaved with the stable ones in key order.
                    k = f"stable:{rng.randrange(600)}x"
                    if rng.random() < 0.5:
                        c.set(k, "t")
                    else:
                        c.delete(k)
            except Exception as e:  # surfaced below
                errors.append(e)

        t = threading.Thread(target=churn)
        t.start()
        try:
            for _ in range(3):
                keys, calls = self.scan_all("COUNT", 7)
                self.assertEqual(len(keys), len(set(keys)), "SCAN returned a key twice")
                got = [k for k in keys if k in self.stable]
                self.assertEqual(sorted(got), sorted(self.stable))
                self.assertGreaterEqual(calls, 500 // 7)  # COUNT bounds the page
        finally:
            stop.set()
            t.join()
        self.assertEqual(errors, [])

    def test_match_and_type(self):
        has_hash = has_command(raw_client(self.node.port), "HSET")
        if has_hash:
            self.c.hset("stable:h", "f", "v")
        keys, _ = self.scan_all("MATCH", "stable:1*", "COUNT", 7)
        self.assertEqual(sorted(keys),
                         sorted(k for k in self.stable if k.startswith(b"stable:1")))
        keys, _ = self.scan_all("MATCH", "*:4?", "COUNT", 3)
        self.assertEqual(sorted(keys), sorted(f"stable:{i}".encode() for i in range(40, 50)))
        keys, _ = self.scan_all("TYPE", "string", "COUNT", 50)
        self.assertEqual(sorted(keys), sorted(self.stable))
        keys, _ = self.scan_all("TYPE", "hash", "COUNT", 50)
        self.assertEqual(keys, [b"stable:h"] if has_hash else [])
        keys, _ = self.scan_all("TYPE", "nosuch")
        self.assertEqual(keys, [])


class KeyspaceReplicated(ReplicatedTestCase):
    """Whole-key commands on node A are seen on node B (through etcd)."""

    def test_rename_and_swapdb(self):
        ca, cb = self.a.client(), self.b.client()
        ca.flushall()
        ca.set("old", "v1")
        ca.set("other", "v2")
        self.assertTrue(ca.rename("old", "new"))
        wait_for(lambda: cb.get("new") == b"v1" and cb.exists("old") == 0,
                 what="B sees the rename")
        if has_command(raw_client(self.a.port), "HSET"):
            ca.hset("h", mapping={"f1": "1", "f2": "2"})
            ca.rename("h", "h2")
            wait_for(lambda: cb.hgetall("h2") == {b"f1": b"1", b"f2": b"2"} and
                     cb.exists("h") == 0, what="B sees the hash rename")
        a1 = self.a.client(db=1)
        a1.set("in1", "x")
        self.assertTrue(ca.swapdb(0, 1))
        b1 = self.b.client(db=1)
        wait_for(lambda: cb.keys("*") == [b"in1"], what="B's db 0 holds db 1's keys")
        self.assertIn(b"new", a1.keys("*"))
        self.assertEqual(sorted(b1.keys("*")), sorted(a1.keys("*")))
        self.assertEqual(b1.get("new"), b"v1")
        self.assertEqual(cb.dbsize(), 1)


if __name__ == "__main__":
    unittest.main()
