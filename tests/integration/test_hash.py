"""Hashes: a differential test of PetaCore (standalone) against Debian's redis-server 7.0, and
the hash commands on two replicated nodes.

A seeded generator produces a few thousand hash commands over a small key and field space
(binary and empty fields, numeric strings, int64 edges for HINCRBY), mixed with string
SET/GET/DEL/TYPE on the same keys to hit WRONGTYPE. Each command goes to both servers;
replies must match exactly, except where Redis leaves the order unspecified (HGETALL, HKEYS,
HVALS, HSCAN: compared sorted), or the result random (HRANDFIELD: sizes and membership).
The seeds are printed; rerun one with PETACORE_HASH_SEEDS=1234,5678.
"""
import threading
import unittest

from differential import (DifferentialTestCase, ReplicatedTestCase, call, compare_full_scans,
                          full_scan, incarnations, pairs, scan_options, vary_arity, vary_case,
                          replicated)
from harness import wait_for

DEFAULT_SEEDS = [20240612, 2, 99, 31337]
OPS_PER_SEED = 4000

INT64_MAX = 2**63 - 1
INT64_MIN = -2**63

KEYS = [b"h", b"h2", b"hh", b"", b"\x00k\xff", b"n"]
FIELDS = [b"a", b"b", b"c", b"ab", b"", b"\x00", b"f\x00\xff", b"1", b"-1", b"n", b"x y",
          b"\r\n", b"aa", b"[a]", b"*"]
VALUES = [b"", b"0", b"1", b"-1", b"10", b"-0", b"+1", b"007", b" 1", b"1 ", b"1e3", b"3.14",
          b"0.1", b".5", b"inf", b"-inf", b"nan", b"hello", b"\x00", b"\x00\x01\xff\r\n",
          str(INT64_MAX).encode(), str(INT64_MIN).encode(), str(INT64_MAX - 1).encode(),
          str(INT64_MIN + 1).encode(), str(INT64_MAX + 1).encode(), b"99999999999999999999",
          b"1.7976931348623157e308", b"x" * 70]
PATTERNS = [b"*", b"a*", b"?", b"[ab]", b"*\x00*", b"\\*", b"", b"[^a]*", b"1"]


def rand_value(rng):
    r = rng.random()
    if r < 0.5:
        return rng.choice(VALUES)
    if r < 0.75:
        return str(rng.randint(-1000, 1000)).encode()
    if r < 0.85:
        return str(rng.choice([INT64_MAX, INT64_MIN]) - rng.randint(-3, 3)).encode()
    if r < 0.92:
        return repr(rng.uniform(-1e6, 1e6)).encode()
    return bytes(rng.randrange(256) for _ in range(rng.randint(0, 10)))


def rand_int_arg(rng):
    r = rng.random()
    if r < 0.75:
        return str(rng.randint(-20, 20)).encode()
    if r < 0.93:
        return str(rng.choice([INT64_MAX, INT64_MIN, INT64_MAX - 1, INT64_MIN + 1, 0])).encode()
    return rng.choice([b"", b"1.5", b"abc", b" 1", b"+1", b"-0", b"01", b"1e3",
                       str(INT64_MAX + 1).encode(), str(INT64_MIN - 1).encode()])


def rand_float_arg(rng):
    r = rng.random()
    if r < 0.5:
        return rng.choice([b"1", b"-1", b"0.1", b"1.5", b"-2.25", b"1e3", b"1E-3", b"10", b"0",
                           b"5.0e3", b"0.0000001"])
    if r < 0.8:
        return repr(rng.uniform(-1e4, 1e4)).encode()
    return rng.choice([b"inf", b"-inf", b"nan", b"abc", b"", b" 1", b"1 ", b"0x10", b"1e400",
                       b"1e-400", b"1\x00", b"1.7976931348623157e308"])


def rand_count(rng):
    r = rng.random()
    if r < 0.8:
        return str(rng.randint(-8, 8)).encode()
    return rng.choice([b"abc", b"", b"1.5", str(INT64_MIN).encode(),
                       str(-(2**62)).encode(), str(2**62).encode()])


def gen_command(rng):
    # b"n" is where most SETs go (a string): 2.5% of the picks, so WRONGTYPE stays a small share.
    key = lambda: b"n" if rng.random() < 0.025 else rng.choice(KEYS[:-1])  # noqa: E731
    field = lambda: rng.choice(FIELDS)  # noqa: E731
    fields = lambda: [field() for _ in range(rng.randint(1, 4))]  # noqa: E731
    c = rng.choices(
        ["HSET", "HMSET", "HSETNX", "HGET", "HMGET", "HGETALL", "HDEL", "HEXISTS", "HLEN",
         "HKEYS", "HVALS", "HSTRLEN", "HINCRBY", "HINCRBYFLOAT", "HRANDFIELD", "HSCAN", "SET",
         "GET", "DEL", "TYPE", "EXISTS"],
        weights=[14, 2, 4, 8, 4, 4, 7, 3, 3, 2, 2, 2, 9, 6, 3, 2, 1, 1, 3, 2, 1])[0]
    if c in ("HSET", "HMSET"):
        args = [key()]
        for _ in range(rng.randint(1, 3)):
            args += [field(), rand_value(rng)]
    elif c == "HSETNX":
        args = [key(), field(), rand_value(rng)]
    elif c in ("HGET", "HEXISTS", "HSTRLEN"):
        args = [key(), field()]
    elif c in ("HMGET", "HDEL"):
        args = [key()] + fields()
    elif c == "GET":  # GET of a hash key: WRONGTYPE; mostly the string key
        args = [b"n" if rng.random() < 0.7 else key()]
    elif c in ("HGETALL", "HLEN", "HKEYS", "HVALS", "DEL", "TYPE", "EXISTS"):
        args = [key()]
    elif c == "HINCRBY":
        args = [key(), field(), rand_int_arg(rng)]
    elif c == "HINCRBYFLOAT":
        args = [key(), field(), rand_float_arg(rng)]
    elif c == "HRANDFIELD":
        args = [key()]
        if rng.random() < 0.8:
            args.append(rand_count(rng))
            # A huge negative count is refused only WITHVALUES; without, Redis would build
            # a reply of 2^62 fields.
            if rng.random() < 0.4 or args[-1] == str(-(2**62)).encode():
                args.append(rng.choice([b"WITHVALUES", b"withvalues", b"WithValues"]))
            if rng.random() < 0.05:
                args.append(b"bogus")
    elif c == "HSCAN":
        args = [key()] + scan_options(rng, PATTERNS)  # the runner adds the cursor
    else:  # SET
        args = [b"n" if rng.random() < 0.95 else key(), rand_value(rng)]
    # Now and then a wrong argument count, to compare the arity errors too.
    # (Not HRANDFIELD: dropping WITHVALUES after a huge negative count would hang Redis.)
    args = vary_arity(rng, args, c not in ("HSCAN", "HRANDFIELD"))
    return [vary_case(rng, c).encode()] + args


class HashDifferential(DifferentialTestCase):
    FAMILY = "hash"
    DEFAULT_SEEDS = DEFAULT_SEEDS
    OPS_PER_SEED = OPS_PER_SEED
    # Orders Redis leaves unspecified: compared sorted.
    UNORDERED = {b"HGETALL": pairs, b"HKEYS": sorted, b"HVALS": sorted}

    def run_both(self, args):
        """As DifferentialTestCase.run_both, with HSCAN as a full iteration and HRANDFIELD
        (random) checked for membership and compared by size."""
        pc, rr = self.pc, self.rr
        name = args[0].upper()
        if name == b"HSCAN":
            return compare_full_scans(pc, rr, b"HSCAN", args, pairs, "a field")
        if name == b"HRANDFIELD" and len(args) >= 2:
            hash_now = call(rr, [b"HGETALL", args[1]])
            got, want = call(pc, args), call(rr, args)
            if isinstance(got, bytes) and isinstance(want, bytes) and isinstance(hash_now, list):
                for f in (got, want):  # HRANDFIELD key: one field
                    assert f in hash_now[0::2], f"{args!r}: {f!r} not in the hash"
                return "a field", "a field"
            if isinstance(got, list) and isinstance(want, list) and isinstance(hash_now, list):
                content = dict(zip(hash_now[0::2], hash_now[1::2]))
                with_values = len(args) == 4
                for reply in (got, want):
                    items = pairs(reply) if with_values else [(f, content.get(f)) for f in reply]
                    for f, v in items:
                        assert f in content and content[f] == v, \
                            f"{args!r}: {f!r} not in the hash"
                return len(got), len(want)
            return got, want
        return super().run_both(args)

    def test_random_sequences(self):
        self.check_random_sequences(gen_command)

    # --- targeted edge cases -----------------------------------------------------------

    def test_arity_errors(self):
        for args in (["HSET", "h"], ["HSET", "h", "f"], ["HSET", "h", "f", "v", "g"],
                     ["HMSET", "h", "f"], ["HMSET", "h", "f", "v", "g"], ["HSETNX", "h", "f"],
                     ["HGET", "h"], ["HMGET", "h"], ["HGETALL"], ["HDEL", "h"],
                     ["HEXISTS", "h"], ["HLEN"], ["HKEYS", "h", "x"], ["HVALS"],
                     ["HSTRLEN", "h"], ["HINCRBY", "h", "f"], ["HINCRBYFLOAT", "h", "f"],
                     ["HRANDFIELD"]):
            got = self.same(*args)
            self.assertEqual(got[0], "error", args)
        for args in ([b"HSCAN"], [b"HSCAN", b"h"]):  # run_both would add a cursor
            self.assertEqual(call(self.pc, args), call(self.rr, args))

    def test_incr_edges(self):
        for args in (("HINCRBY", "h", "n", str(INT64_MAX)), ("HINCRBY", "h", "n", "1"),
                     ("HINCRBY", "h", "n", str(INT64_MIN)), ("HINCRBY", "h", "n", str(INT64_MIN)),
                     ("HGET", "h", "n"), ("HSET", "h", "f", "10.5"), ("HINCRBY", "h", "f", "1"),
                     ("HINCRBYFLOAT", "h", "f", "0.1"), ("HINCRBYFLOAT", "h", "f", "-10.6"),
                     ("HINCRBYFLOAT", "h", "g", "1e-400"), ("HINCRBYFLOAT", "h", "g", "1e400"),
                     ("HINCRBYFLOAT", "h", "g", "1.7976931348623157e308"),
                     ("HINCRBYFLOAT", "h", "g", "1.7976931348623157e308"), ("HGET", "h", "g"),
                     ("HSET", "h", "z", b"2\x00"), ("HINCRBYFLOAT", "h", "z", "1"),
                     ("HINCRBY", "h", "z", "1"), ("HLEN", "h")):
            self.same(*args)

    def test_hscan_pages(self):
        """A big hash (Redis: a hashtable, so COUNT pages there too): every field once."""
        for c in (self.pc, self.rr):
            c.execute_command("HSET", "big", *[x for i in range(500) for x in (f"f{i}", i)])
        got, pages = full_scan(self.pc, b"HSCAN", b"big", [b"COUNT", b"7"], pairs)
        self.assertEqual(len(got), 500)
        self.assertEqual(len(set(got)), 500)
        self.assertEqual(pages, (500 + 6) // 7)
        self.same("HSCAN", "big", "MATCH", "f1*", "COUNT", "3")
        self.same("HSCAN", "big", "MATCH", "nothing")

    def test_hrandfield_sizes(self):
        for c in (self.pc, self.rr):
            c.execute_command("HSET", "h", *[x for i in range(20) for x in (f"f{i}", i)])
        for count in ("0", "1", "5", "19", "20", "25", "-1", "-5", "-40"):
            for extra in ([], ["WITHVALUES"]):
                self.same("HRANDFIELD", "h", count, *extra)
        for _ in range(20):  # positive counts: distinct fields
            fields = self.pc.execute_command("HRANDFIELD", "h", "10")
            self.assertEqual(len(set(fields)), 10)


# One seed against a node on etcd (and its peer converging).
HashDifferentialReplicated = replicated(HashDifferential)
# The same run on collections moved into incarnations (keyspace/incarnation.h).
HashDifferentialIncarnations = incarnations(HashDifferential)


class HashReplicated(ReplicatedTestCase):
    """Two PetaCore nodes on one etcd."""

    def setUp(self):
        self.flush_replicated()

    def test_hset_on_a_is_read_on_b(self):
        ca, cb = self.a.client(), self.b.client()
        self.assertEqual(ca.hset("user", mapping={"name": "ada", "lang": b"\x00bin"}), 2)
        self.assertEqual(ca.hget("user", "name"), b"ada")  # read-your-writes on A
        wait_for(lambda: cb.hgetall("user") == {b"name": b"ada", b"lang": b"\x00bin"},
                 what="B sees A's hash")
        self.assertEqual(cb.hlen("user"), 2)
        self.assertEqual(cb.hdel("user", "name", "lang"), 2)
        wait_for(lambda: ca.exists("user") == 0, what="A sees B's HDEL")
        # An emptied hash leaves nothing behind in etcd (among Redis keys: databases 0..15; the
        # expiry election key lives at 0xFF).
        self.assertEqual(self.etcd.ctl("get", "/petacore/", "/petacore/\x10", "--keys-only").strip(),
                         b"")

    def test_concurrent_hincrby_from_both_nodes_is_exact(self):
        per_client, clients_per_node = 100, 5
        errors = []

        def worker(node, i):
            c = node.client()
            try:
                for _ in range(per_client):
                    c.hincrby("counters", "hits", 1)
                    c.hincrby("counters", f"{node.port}-{i}", 1)  # other fields meanwhile
            except Exception as e:  # surfaced below
                errors.append(e)

        threads = [threading.Thread(target=worker, args=(n, i))
                   for n in (self.a, self.b) for i in range(clients_per_node)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        total = 2 * clients_per_node * per_client

        def converged(node):
            # Every field, not only "hits": a worker's last write is to its own field, after
            # its last "hits"; a node may have applied all of "hits" but not that one yet.
            vals = node.client().hvals("counters")
            return sum(int(v) for v in vals) == 2 * total

        for node in (self.a, self.b):
            wait_for(lambda: converged(node), what=f"node {node.port} converges")
            self.assertEqual(node.client().hget("counters", "hits"), str(total).encode())
            self.assertEqual(node.client().hlen("counters"), 1 + 2 * clients_per_node)
            for i in range(clients_per_node):
                for n in (self.a, self.b):
                    self.assertEqual(node.client().hget("counters", f"{n.port}-{i}"),
                                     str(per_client).encode())


if __name__ == "__main__":
    unittest.main()
