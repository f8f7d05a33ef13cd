"""Differential test of the HyperLogLog commands (PFADD, PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST):
PetaCore (standalone) against redis-server 7.0.15, compared as raw RESP bytes, plus two
replicated nodes.

- fixed cases: replies, error texts (WRONGTYPE, INVALIDOBJ, PFDEBUG's), the exact bytes GET
  returns after PFADD / PFMERGE / PFDEBUG TODENSE;
- sparse, the sparse -> dense promotion (hll-sparse-max-bytes, default and lowered) and dense,
  at 10, 500, 5,000 and 100,000 elements: every reply, PFCOUNT and GET bytes equal;
- HLL strings copied from Redis with GET then SET here (and back) count the same;
- corrupt strings: INVALIDOBJ where Redis answers it;
- a seeded random sequence of PFADD / PFCOUNT / PFMERGE / GET / SET / PFDEBUG over a few keys
  (seeds printed; rerun with PETACORE_HLL_SEEDS=1,2);
- two nodes: PFADD on A, PFCOUNT / GET on B equal.

GET is compared exactly everywhere: PFCOUNT of one key stores the cached count in the header
as Redis does (docs/encoding.md, "HyperLogLog").
"""
import os
import random
import struct
import sys
import unittest

from differential import RawAgainstRedisTestCase, ReplicatedTestCase, replicated
from harness import wait_for
from resp_wire import WireConn

DEFAULT_SEEDS = [20261206, 7, 1234]
OPS_PER_SEED = 600
KEYS = [b"h1", b"h2", b"h3", b"s", b"l"]

INVALIDOBJ = b"-INVALIDOBJ Corrupted HLL object detected\r\n"
NOT_HLL = b"-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n"
WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"


def header(encoding, card=0, valid=True):
    raw = struct.pack("<Q", card)
    if not valid:
        raw = raw[:7] + bytes([raw[7] | 0x80])
    return b"HYLL" + bytes([encoding, 0, 0, 0]) + raw


def xzero(n):
    n -= 1
    return bytes([0x40 | (n >> 8), n & 0xff])


def bulk_value(raw):
    eol = raw.index(b"\r\n")
    return raw[eol + 2:-2]


class HllAgainstRedis(RawAgainstRedisTestCase):

    def test_pfadd_pfcount_get(self):
        for args in [
            ("PFADD", "k", "a", "b", "c"), ("GET", "k"), ("PFADD", "k", "a"), ("PFADD", "k"),
            ("GET", "k"), ("PFADD", "e"), ("GET", "e"), ("PFADD", "e"), ("PFCOUNT", "e"),
            ("GET", "e"), ("PFCOUNT", "nokey"), ("PFCOUNT", "k", "e", "nokey"),
            ("PFADD", "k", "d", "", "é", "x" * 100), ("GET", "k"), ("PFCOUNT", "k"),
            ("PFCOUNT", "k"), ("PFADD", "k", "d"), ("PFCOUNT", "k"), ("PFADD", "k", "zz"),
            ("PFCOUNT", "k"), ("PFADD",), ("PFCOUNT",), ("SET", "t", "x", "EX", "100"), ("DEL", "t"),
            ("PFADD", "t", "a"), ("EXPIRE", "t", "100"), ("PFADD", "t", "b"), ("TTL", "t"),
            ("TYPE", "k"), ("STRLEN", "k"),
        ]:
            self.same(*args)

    def test_get_bytes_exact_without_pfcount(self):
        rng = random.Random(5)
        for n in (1, 3, 40, 300):
            elements = [str(rng.random()) for _ in range(n)]
            self.same("PFADD", f"k{n}", *elements)
            self.same("GET", f"k{n}")
        self.same("PFMERGE", "m", "k1", "k3", "k40", "k300", "nokey")
        self.same("GET", "m")
        self.same("PFMERGE", "m2")
        self.same("GET", "m2")
        self.same("PFDEBUG", "TODENSE", "k40")
        self.same("GET", "k40")
        self.same("PFMERGE", "m3", "k3", "k40")  # a dense source: a dense destination
        self.same("GET", "m3")

    def test_pfcount_stores_the_cached_count(self):
        self.same("PFADD", "k", "a", "b", "c")
        got = self.same("GET", "k")
        self.assertTrue(bulk_value(got)[15] & 0x80)  # invalid after PFADD
        self.same("PFCOUNT", "k")
        got = self.same("GET", "k")
        self.assertEqual(bulk_value(got)[8:16], struct.pack("<Q", 3))  # valid, 3
        self.same("PFADD", "k", "a")  # no change: the cache stays valid
        self.same("GET", "k")
        self.same("PFCOUNT", "k", "nokey")  # several keys: nothing stored
        self.same("PFADD", "k", "d")
        self.same("PFCOUNT", "k", "nokey")
        self.same("GET", "k")
        self.same("SET", "c", header(1, card=77) + xzero(16384))
        self.same("PFCOUNT", "c")  # a valid cache is believed, as Redis
        self.same("PFCOUNT", "c", "nokey")
        self.same("PFADD", "x", "1")
        self.same("EXPIRE", "x", "1000")
        self.same("PFCOUNT", "x")
        self.same("TTL", "x")

    def test_wrong_types(self):
        self.both("RPUSH", "l", "a")
        self.both("SET", "s", "hello")
        self.both("SET", "short", "HYLL")
        self.both("SET", "num", "1234567890123456789")
        self.both("SET", "enc2", header(2) + xzero(16384))
        self.both("SET", "dshort", header(0) + b"\0" * 100)
        self.both("PFADD", "ok", "a")
        for key in ("l", "s", "short", "num", "enc2", "dshort"):
            for args in [("PFADD", key, "x"), ("PFADD", key), ("PFCOUNT", key),
                         ("PFCOUNT", "ok", key), ("PFCOUNT", key, "ok"), ("PFMERGE", key, "ok"),
                         ("PFMERGE", "ok", key), ("PFMERGE", "dst", "ok", key),
                         ("PFDEBUG", "ENCODING", key), ("PFDEBUG", "NOSUCH", key)]:
                got = self.same(*args)
                self.assertTrue(got in (WRONGTYPE, NOT_HLL), (args, got))
        self.same("EXISTS", "dst")

    def test_pfdebug(self):
        self.both("PFADD", "k", *[f"e{i}" for i in range(50)])
        for args in [
            ("PFDEBUG", "ENCODING", "k"), ("PFDEBUG", "DECODE", "k"), ("PFDEBUG", "decode", "k"),
            ("PFDEBUG", "GETREG", "k"), ("PFDEBUG", "ENCODING", "k"), ("GET", "k"),
            ("PFDEBUG", "DECODE", "k"), ("PFDEBUG", "TODENSE", "k"),
            ("PFADD", "k2", "x"), ("PFDEBUG", "TODENSE", "k2"), ("PFDEBUG", "TODENSE", "k2"),
            ("GET", "k2"), ("PFDEBUG", "GETREG", "k2"), ("PFDEBUG", "NOSUCH", "k2"),
            ("PFDEBUG", "ENCODING", "nokey"), ("PFDEBUG", "NOSUCH", "nokey"),
            ("PFDEBUG", "ENCODING"), ("PFDEBUG", "ENCODING", "k", "x"), ("PFDEBUG",),
            ("PFSELFTEST", "x"),
        ]:
            self.same(*args)

    def test_pfselftest(self):
        self.same("PFSELFTEST")

    def test_sizes_sparse_promotion_dense(self):
        rng = random.Random(16)
        for n in (10, 500, 5000, 100000):
            key = f"n{n}"
            added = 0
            while added < n:
                batch = min(n - added, rng.choice([1, 7, 50, 1000]))
                elements = [f"{key}:{added + i}:{rng.random()}" for i in range(batch)]
                self.same("PFADD", key, *elements)
                added += batch
                if n <= 5000:
                    self.same("PFDEBUG", "ENCODING", key)
            self.same("GET", key)
            self.same("PFCOUNT", key)
            self.same("PFDEBUG", "ENCODING", key)
        self.same("PFCOUNT", "n10", "n500", "n5000", "n100000")
        self.same("PFMERGE", "all", "n10", "n500", "n5000", "n100000")
        self.same("GET", "all")
        self.same("PFCOUNT", "all")
        self.same("PFMERGE", "small", "n10", "n500")
        self.same("GET", "small")

    def test_sparse_max_bytes_config(self):
        self.same("CONFIG", "GET", "hll-sparse-max-bytes")
        try:
            self.same("CONFIG", "SET", "hll-sparse-max-bytes", "100")
            self.same("CONFIG", "GET", "hll-sparse-max-bytes")
            for i in range(40):
                self.same("PFADD", "k", f"x{i}")
                self.same("PFDEBUG", "ENCODING", "k")
            self.same("GET", "k")
            self.same("PFADD", "a", "1", "2", "3")
            self.same("PFADD", "b", *[str(i) for i in range(60)])
            self.same("PFMERGE", "c", "a", "b")  # promoted half way through the merge
            self.same("PFDEBUG", "ENCODING", "c")
            self.same("GET", "c")
            self.same("CONFIG", "SET", "hll-sparse-max-bytes", "1kb")
            self.same("CONFIG", "GET", "hll-sparse-max-bytes")
            self.same("CONFIG", "SET", "hll-sparse-max-bytes", "x")
        finally:
            self.both("CONFIG", "SET", "hll-sparse-max-bytes", "3000")

    def test_copied_from_redis_and_back(self):
        rng = random.Random(3)
        for n in (5, 2000, 30000):
            elements = [str(rng.random()) for _ in range(n)]
            for i in range(0, n, 1000):
                self.rr.call("PFADD", "src", *elements[i:i + 1000])
            if n > 5:
                self.rr.call("PFCOUNT", "src")  # Redis caches the count in the header
            raw, _ = self.rr.call("GET", "src")
            value = bulk_value(raw)
            self.same("SET", f"copy{n}", value)
            self.same("PFCOUNT", f"copy{n}")
            self.same("PFCOUNT", f"copy{n}", "nokey")
            self.same("PFADD", f"copy{n}", "one", "more", "element")
            self.same("GET", f"copy{n}")  # Redis's bytes, edited the same way
            self.same("PFCOUNT", f"copy{n}", "nokey")
            self.rr.call("DEL", "src")
            # ... and back: built here, copied into Redis.
            self.pc.call("PFADD", "mine", *elements[:1000])
            raw, _ = self.pc.call("GET", "mine")
            self.rr.call("SET", "mine", bulk_value(raw))
            self.same("PFCOUNT", "mine")
            self.same("PFCOUNT", "mine", f"copy{n}")
            self.both("DEL", "mine")

    def test_corrupt(self):
        cases = {
            "short_runs": header(1, valid=False) + xzero(16383),
            "long_runs": header(1, valid=False) + xzero(16384) + b"\x00",
            "val_overflow": header(1, valid=False) + xzero(16383) + bytes([0x80 | 3]),
            "truncated_xzero": header(1, valid=False) + xzero(16000) + b"\x40",
            "empty_body": header(1, valid=False),
            "cached_garbage": header(1, card=12345) + xzero(100),
            "all_vals": header(1, valid=False) + bytes([0xff]) * 4096,
            "half_vals": header(1, valid=False) + bytes([0xfb]) * 2048 + xzero(8192),
        }
        for name, value in cases.items():
            self.both("SET", name, value)
        for name in cases:
            for args in [("PFCOUNT", name), ("PFCOUNT", name, "nokey"),
                         ("PFADD", name, "a", "b", "c"), ("PFADD", name),
                         ("PFMERGE", "dst", name), ("PFMERGE", name, "nokey"),
                         ("PFDEBUG", "DECODE", name), ("PFDEBUG", "ENCODING", name),
                         ("PFDEBUG", "TODENSE", name), ("PFDEBUG", "GETREG", name),
                         ("GET", name), ("PFCOUNT", name)]:
                self.same(*args)
            self.both("DEL", "dst")
        got = self.same("PFCOUNT", "short_runs")
        self.assertEqual(got, INVALIDOBJ)

    def test_random_sparse_bodies(self):
        """Sparse bodies Redis itself would not build (long VAL runs, split zero runs, runs
        that do not add up to 16384), set on both and then edited, counted and merged."""
        rng = random.Random(77)
        for it in range(150):
            body = b""
            covered = 0
            target = 16384 + rng.choice([0, 0, 0, 0, -1, 1, -300])
            while covered < target:
                left = target - covered
                c = rng.random()
                if c < 0.3:
                    n = min(left, rng.randint(1, 64))
                    body += bytes([n - 1])
                elif c < 0.45:
                    n = min(left, rng.randint(1, 16384))
                    body += xzero(n)
                else:
                    n = min(left, rng.randint(1, 4))
                    body += bytes([0x80 | (rng.randint(0, 31) << 2) | (n - 1)])
                covered += n
            value = header(1, card=rng.randint(0, 1000), valid=rng.random() < 0.3) + body
            self.both("SET", "r", value)
            self.both("SET", "other", header(1, valid=False) + xzero(16384))
            for args in [("PFCOUNT", "r"), ("PFCOUNT", "r", "nokey"),
                         ("PFADD", "r", *[str(rng.random()) for _ in range(rng.choice([1, 5, 40]))]),
                         ("GET", "r"), ("PFCOUNT", "r"), ("GET", "r"),
                         ("PFMERGE", "other", "r"), ("GET", "other"),
                         ("PFDEBUG", "DECODE", "r"), ("PFDEBUG", "TODENSE", "r"), ("GET", "r")]:
                got, want = self.both(*args)
                self.assertEqual(got, want, f"iteration {it}: {args!r:.80} on {value!r:.300}")

    def test_multi_and_script(self):
        self.same("MULTI")
        self.same("PFADD", "k", "a", "b")
        self.same("PFCOUNT", "k")
        self.same("PFMERGE", "m", "k")
        self.same("EXEC")
        self.same("EVAL", "redis.call('PFADD', KEYS[1], 'x', 'y'); return redis.call('PFCOUNT', KEYS[1])",
                  "1", "k")
        self.same("EVAL_RO", "return redis.call('PFCOUNT', KEYS[1])", "1", "k")
        self.same("EVAL_RO", "return redis.call('PFADD', KEYS[1], 'z')", "1", "k")
        self.same("GET", "m")
        self.same("GET", "k")

    def test_keyspace_events(self):
        subs = []
        try:
            for port in (self.node.port, self.redis.port):
                c = WireConn(port)
                c.call("CONFIG", "SET", "notify-keyspace-events", "KEA")
                c.call("PSUBSCRIBE", "__keyspace@0__:*")
                subs.append(c)
            pc, rr = self.pc, self.rr
            for args in [("PFADD", "k", "a"), ("PFADD", "k", "a"), ("PFADD", "k", "b"),
                         ("PFMERGE", "m", "k"), ("PFCOUNT", "k"), ("PFDEBUG", "TODENSE", "k"),
                         ("SET", "done", "1")]:
                self.same(*args)
            events = []
            for c in subs:
                seen = []
                while True:
                    _, tree = c.read_tree()
                    seen.append(tree)
                    if tree[1][2][1] == b"__keyspace@0__:done":
                        break
                events.append(seen)
            self.assertEqual(events[0], events[1])
        finally:
            for c in subs:
                c.close()
            self.both("CONFIG", "SET", "notify-keyspace-events", "")

    def gen(self, rng, pool):
        key = rng.choice(KEYS)
        c = rng.random()
        if c < 0.45:
            n = rng.choice([0, 1, 1, 3, 10, 60, 400])
            return ["PFADD", key] + [rng.choice(pool) for _ in range(n)]
        if c < 0.55:
            return ["PFCOUNT", key]
        if c < 0.62:
            return ["PFCOUNT"] + rng.sample(KEYS, rng.randint(2, 4))
        if c < 0.7:
            return ["PFMERGE", key] + rng.sample(KEYS, rng.randint(0, 3))
        if c < 0.8:
            return ["GET", key]
        if c < 0.87:
            return ["PFDEBUG", rng.choice(["ENCODING", "DECODE", "TODENSE", "GETREG", "bad"]), key]
        if c < 0.9:
            return ["COPY_FROM_REDIS", key, rng.choice(KEYS)]
        if c < 0.93:
            return ["SET", key, rng.choice([b"abc", b"HYLL", header(1) + xzero(16000)])]
        if c < 0.95:
            return ["RPUSH", key, "x"]
        return ["DEL", key]

    def test_random_sequences(self):
        env = os.environ.get("PETACORE_HLL_SEEDS")
        seeds = [int(s) for s in env.split(",")] if env else DEFAULT_SEEDS
        for seed in seeds:
            with self.subTest(seed=seed):
                print(f"\n[test_hll] seed={seed} ops={OPS_PER_SEED}", file=sys.stderr)
                self.both("FLUSHALL")
                rng = random.Random(seed)
                pool = [f"el{i}" for i in range(rng.choice([50, 3000, 50000]))]
                history = []
                for i in range(OPS_PER_SEED):
                    args = self.gen(rng, pool)
                    history.append(args)
                    if args[0] == "COPY_FROM_REDIS":
                        raw, _ = self.rr.call("GET", args[1])
                        if not raw.startswith(b"$") or raw == b"$-1\r\n":
                            continue
                        args = ["SET", args[2], bulk_value(raw)]
                    got, want = self.both(*args)
                    if got != want:
                        self.fail(f"seed {seed} op {i}: {args!r:.200}\n  petacore: {got!r:.300}\n"
                                  f"  redis:    {want!r:.300}\n  last commands: "
                                  f"{[repr(h)[:100] for h in history[-8:]]}")
                for key in KEYS:
                    self.same("GET", key)


class HllReplicated(ReplicatedTestCase):
    """Two PetaCore nodes on one etcd: an HLL written on A counts the same on B."""

    def test_written_on_a_read_on_b(self):
        a, b = WireConn(self.a.port), WireConn(self.b.port)
        try:
            a.call("FLUSHALL")
            for i in range(0, 20000, 1000):
                a.call("PFADD", "h", *[f"e{j}" for j in range(i, i + 1000)])
            a.call("PFADD", "small", "x", "y")
            a.call("PFMERGE", "m", "h", "small")
            want_get = a.call("GET", "h")[0]
            wait_for(lambda: b.call("EXISTS", "m")[0] == b":1\r\n", what="PFMERGE on B")
            self.assertEqual(b.call("GET", "h")[0], want_get)
            for args in [("PFCOUNT", "h"), ("PFCOUNT", "small"), ("PFCOUNT", "m"),
                         ("PFCOUNT", "h", "small"), ("PFDEBUG", "ENCODING", "h"),
                         ("GET", "m")]:
                self.assertEqual(b.call(*args)[0], a.call(*args)[0], args)
            self.assertEqual(b.call("PFCOUNT", "small")[0], b":2\r\n")
        finally:
            a.close()
            b.close()

    def test_linearizable_pfcount_on_b(self):
        """With LINEARIZABLE reads, PFCOUNT on B right after a PFADD + PFCOUNT on A answers A's
        count, whether B's call stores the cache (a commit) or finds it valid (fenced). A
        missing fence only shows when B's replica lags at that moment: a weak check of it."""
        a, b = WireConn(self.a.port), WireConn(self.b.port)
        try:
            a.call("FLUSHALL")
            self.assertEqual(b.call("PETACORE", "READCONSISTENCY", "LINEARIZABLE")[0], b"+OK\r\n")
            for i in range(60):
                self.assertEqual(a.call("PFADD", "lin", f"x{i}")[0], b":1\r\n")
                want = a.call("PFCOUNT", "lin")[0]
                self.assertEqual(b.call("PFCOUNT", "lin")[0], want, i)
                self.assertEqual(b.call("PFCOUNT", "lin", "nokey")[0], want, i)
        finally:
            a.close()
            b.close()


# The random run against a node on etcd too (issue 20: the etcd encoding, compare guards
# and folding are what differ from standalone).
HllAgainstRedisReplicated = replicated(HllAgainstRedis)

if __name__ == "__main__":
    unittest.main()
